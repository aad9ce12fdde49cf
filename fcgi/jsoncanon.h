#ifndef FCGI_JSONCANON_H
#define FCGI_JSONCANON_H

/* One text for every spelling of the same JSON value: what a retry's body is compared by. */

#include <json-c/json.h>

char *json_canonical(json_object *o);

#endif
