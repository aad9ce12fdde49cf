#ifndef FCGI_STANDING_H
#define FCGI_STANDING_H

/* A booking's standing places: POST /book's "standing" member. */

#include <stdint.h>

#include <json-c/json.h>

#include "request.h"

/*
 * POST /book's optional "standing": {"Floor": 2}, an object of 1 to
 * SEATING_STANDING_MAX members, each an area's name (1 to
 * SEATING_NAME_MAX characters) and the places wanted there (an integer,
 * 1 to SEATING_SEATS_MAX). *json is the member as plain JSON (it lives
 * as long as body) and *places their sum; absent or null: *json NULL
 * and *places 0. Whether the show has areas of those names is the
 * database's to say (400 unknown_area). Returns 0, or -1 after
 * answering 400 invalid_value (field "standing").
 */
int standing_places_or_reply(json_object *body, const char **json,
    int64_t *places, struct response *res);

#endif
