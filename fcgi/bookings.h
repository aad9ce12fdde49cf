#ifndef FCGI_BOOKINGS_H
#define FCGI_BOOKINGS_H

/* Handlers of the booking resources: book seats, read a booking. */

#include "route.h"

#define BOOKINGS_SEATS_MAX 1000000

void bookings_create(struct handler_ctx *ctx);
void bookings_get(struct handler_ctx *ctx);

#endif
