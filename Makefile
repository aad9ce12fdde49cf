# booking: nginx -> libfcgi workers -> PostgreSQL. See README.md.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
# The one version string: booking-fcgi --version and the Debian package.
VERSION := 0.8.0

PKGS    := fcgi libpq json-c libsystemd
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wcast-qual -fno-common
OPT     := -O2 -g

ifeq ($(SANITIZE),1)
BUILD   := build/sanitize
OPT     := -O1 -g -fno-omit-frame-pointer \
           -fsanitize=address,undefined -fno-sanitize-recover=all
else
BUILD   := build/release
endif

# `=`, not `:=`: pkg-config runs when a recipe needs the flags, not when
# make reads this file, which on a fresh machine is before deps has
# installed the .pc files (the flags would come out empty).
ALL_CFLAGS   = $(WARN) $(OPT) -D_DEFAULT_SOURCE -DBOOKING_VERSION='"$(VERSION)"' \
               $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(CFLAGS)
ALL_LDFLAGS := $(OPT) $(LDFLAGS)
LIBS         = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread

# Everything but main() goes into a library that the unit tests link too.
LIB_SRC  := fcgi/auth.c fcgi/authfail.c fcgi/bookings.c fcgi/channels.c fcgi/config.c \
            fcgi/db.c fcgi/db_bookings.c fcgi/db_channels.c \
            fcgi/db_expire.c fcgi/db_listen.c fcgi/db_seats.c fcgi/db_shows.c \
            fcgi/envfile.c fcgi/events_lapse.c fcgi/events_publish.c \
            fcgi/health.c fcgi/idempotency.c fcgi/json.c fcgi/jsoncanon.c \
            fcgi/jsoncheck.c fcgi/listen.c fcgi/master.c fcgi/metrics.c \
            fcgi/notify.c fcgi/observe.c fcgi/query.c fcgi/request.c \
            fcgi/rfc3339.c fcgi/route.c fcgi/scoreboard.c fcgi/sha256.c \
            fcgi/seatadmin.c fcgi/seatmap.c fcgi/seating.c fcgi/shows.c \
            fcgi/standing.c \
            fcgi/textbuf.c \
            fcgi/token.c \
            fcgi/worker.c
LIB_OBJ  := $(LIB_SRC:fcgi/%.c=$(BUILD)/%.o) $(BUILD)/openapi_doc.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test check run migrate unit clean install uninstall deps
.PHONY: verify-units run-build test-build

all: $(BUILD)/booking-fcgi $(BUILD)/booking-expire $(BUILD)/booking-events

$(BUILD)/%.o: fcgi/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# GET /openapi.json serves api/openapi.json, compiled in: nothing to
# find at run time, and the served document is the one tested.
$(BUILD)/openapi_doc.c: api/openapi.json scripts/embed.sh
	@mkdir -p $(@D)
	scripts/embed.sh $< openapi_doc >$@

$(BUILD)/openapi_doc.o: $(BUILD)/openapi_doc.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libbooking.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/booking-fcgi: $(BUILD)/main.o $(BUILD)/libbooking.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/booking-expire: $(BUILD)/expire.o $(BUILD)/libbooking.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The live seat map's relay: LISTEN seat_events, POST to nchan.
$(BUILD)/booking-events: $(BUILD)/events.o $(BUILD)/libbooking.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbooking.a
	@mkdir -p $(@D)
	$(CC) -Ifcgi $(ALL_CFLAGS) -MMD -MP -o $@ $< $(BUILD)/libbooking.a \
	    $(ALL_LDFLAGS) $(LIBS) -lcmocka

unit: $(UNIT_BIN)

# run and test install what is missing first, then build in a make of
# their own: with `run: deps all`, make -j would compile beside deps,
# before the libraries' headers are there. The sub-make's goals have a
# recipe, so a build that is up to date prints no "Nothing to be done".
run-build: all
	@:

test-build: all unit fuzz-regress
	@:

# Installs what is missing (apt-get as root), replays the fuzz corpus
# through the harnesses, then runs every test.
test: deps
	@$(MAKE) --no-print-directory test-build
	BUILD=$(BUILD) scripts/test.sh

check: test

# The service in the foreground on 127.0.0.1:$(PORT), with a local
# PostgreSQL cluster unless DATABASE_URL is set. exec: make's child is
# run.sh itself. make passes a SIGTERM on to its child, and on Ctrl-C
# waits for it and says nothing if it exits 0; a shell in between would
# die of either signal at once (make: *** Interrupt), and on SIGTERM
# leave run.sh and the service running.
run: deps
	@$(MAKE) --no-print-directory run-build
	BUILD=$(BUILD) exec scripts/run.sh

migrate:
	scripts/migrate.sh

deps:
	@scripts/deps.sh

verify-units:
	scripts/verify-units.sh

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/main.d $(BUILD)/expire.d $(BUILD)/events.d \
    $(UNIT_BIN:=.d)

# make fuzz, make fuzz-regress (libFuzzer harnesses, built with clang)
include tests/fuzz/fuzz.mk

# make test-faults (the fault-injection suite, minutes long)
include tests/faults/faults.mk

# make test-deadlines (answers within the deadline under database faults)
include tests/deadlines/deadlines.mk

# make test-cluster (several app hosts and a failing-over PostgreSQL)
include tests/cluster/cluster.mk

# make bench (the on-sale benchmark; see tests/bench/run.sh)
include tests/bench/bench.mk

# make install, make uninstall, make deb, make test-install
include debian/install.mk

# make test-fresh (the committed tree on a fresh Debian 12 root)
include tests/fresh/fresh.mk
