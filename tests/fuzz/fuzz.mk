# libFuzzer harnesses for the request parsers; included by the top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]   build, then fuzz each harness for
#                                 FUZZ_SECONDS from a scratch copy of its
#                                 seed corpus; fails if any harness fails
#   make fuzz-regress             replay every seed and regression input
#                                 once through its harness (make test)
#   make fuzz-build               build the harnesses only
#
# Harness H is tests/fuzz/H.c (H = fuzz_json, fuzz_route, ...), built with
# clang, ASan and UBSan into build/fuzz/H, together with the fcgi/*.c it
# needs compiled by clang too (scripts/fuzz-deps.sh checks for clang and
# libFuzzer and installs them as root). Seeds are tests/fuzz/corpus/H/;
# `make fuzz` copies them to build/fuzz/run/H/corpus/ and fuzzes there, so
# the repository's corpus never changes. Each run prints libFuzzer's final
# line (exec/s, cov) or the sanitizer's report; build/fuzz/run/H/fuzz.log
# holds all of it.
#
# A crash, leak, timeout or out-of-memory leaves its input as
# build/fuzz/run/H/crash-<sha1> (leak-, timeout-, oom-). To keep it fixed:
#   1. build/fuzz/H build/fuzz/run/H/crash-<sha1>   reproduces it
#   2. cp it to tests/fuzz/regress/H/<what-it-breaks> and commit it
#   3. fix fcgi/ until `make fuzz-regress` passes: it runs every file in
#      tests/fuzz/regress/H/ and tests/fuzz/corpus/H/ through build/fuzz/H.

FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz

# The top Makefile's warnings when included from it, the same list if not.
FUZZ_WARN    := $(if $(WARN),$(WARN),-std=c11 -Wall -Wextra -Werror -Wshadow \
                -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
                -Wcast-qual -fno-common)
# `=`: pkg-config runs when a recipe needs the flags, after whatever
# installed the libraries (as the top Makefile's ALL_CFLAGS).
FUZZ_CFLAGS   = $(FUZZ_WARN) -O1 -g -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all \
                -D_DEFAULT_SOURCE -DBOOKING_VERSION='"$(VERSION)"' -Ifcgi \
                $(shell pkg-config --cflags fcgi libpq json-c 2>/dev/null)
FUZZ_LIBS     = $(shell pkg-config --libs fcgi libpq json-c 2>/dev/null)

# config_parse_int reports on stderr: -close_fd_mask=2 silences the code
# under test, while libFuzzer and the sanitizers still print their reports.
FUZZ_FLAGS   := -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2

FUZZ_HARNESS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_HARNESS:%=$(FUZZ_DIR)/%)
# Everything but the two main()s; the archive links only what is called.
FUZZ_LIB_SRC := $(filter-out fcgi/main.c fcgi/expire.c,$(wildcard fcgi/*.c))
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:fcgi/%.c=$(FUZZ_DIR)/obj/%.o) \
                $(FUZZ_DIR)/obj/openapi_doc.o

.PHONY: fuzz fuzz-build fuzz-regress fuzz-deps

# The sanitizer's report in log $(1), up to its SUMMARY, and where the
# input went.
fuzz_report = { awk '/ERROR: |runtime error:/ { on = 1 } on && n++ < 60 \
                     { print } on && /^SUMMARY: / { exit }' $(1); \
                grep -E 'Test unit written|^Base64: ' $(1); } | sed 's/^/    /'

fuzz-deps:
	@scripts/fuzz-deps.sh

$(FUZZ_DIR)/obj/%.o: fcgi/%.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_DIR)/obj/openapi_doc.o: $(BUILD)/openapi_doc.c | fuzz-deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/libbooking.a: $(FUZZ_LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_BIN): $(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_DIR)/libbooking.a | fuzz-deps
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -MMD -MP -o $@ $< \
	    $(FUZZ_DIR)/libbooking.a $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BIN)

# Each harness in turn; a failure shows the sanitizer's report and where
# the input was saved, and the target fails once all have run.
fuzz: fuzz-build
	@passed=0; failed=0; \
	for h in $(FUZZ_HARNESS); do \
	    run=$(FUZZ_DIR)/run/$$h; \
	    rm -rf $$run/corpus; mkdir -p $$run/corpus; \
	    cp tests/fuzz/corpus/$$h/* $$run/corpus/ 2>/dev/null; \
	    dict=; [ -f tests/fuzz/$$h.dict ] && dict=-dict=tests/fuzz/$$h.dict; \
	    echo "fuzz: $$h for $(FUZZ_SECONDS)s (log: $$run/fuzz.log)"; \
	    if UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
	       $(FUZZ_DIR)/$$h $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	           -print_final_stats=1 -artifact_prefix=$$run/ $$dict \
	           $$run/corpus >$$run/fuzz.log 2>&1; then \
	        grep -E '^#[0-9]+[[:space:]]+DONE' $$run/fuzz.log \
	            | sed 's/^/    /'; \
	        echo "ok - $$h"; passed=$$((passed + 1)); \
	    else \
	        $(call fuzz_report,$$run/fuzz.log); \
	        echo "not ok - $$h: input saved as $$run/{crash,leak,timeout,oom}-*;" \
	             "copy it to tests/fuzz/regress/$$h/"; \
	        failed=$$((failed + 1)); \
	    fi; \
	done; \
	echo "fuzz: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

# Every seed and regression input once through its own harness.
fuzz-regress: fuzz-build
	@passed=0; failed=0; \
	for d in tests/fuzz/regress/*/; do \
	    [ -d "$$d" ] || continue; h=$$(basename $$d); \
	    [ -f tests/fuzz/$$h.c ] && continue; \
	    echo "not ok - $$d has no harness tests/fuzz/$$h.c"; \
	    failed=$$((failed + 1)); \
	done; \
	for h in $(FUZZ_HARNESS); do \
	    files=$$(find tests/fuzz/corpus/$$h tests/fuzz/regress/$$h \
	             -type f 2>/dev/null | sort); \
	    [ -n "$$files" ] || { echo "ok - $$h # SKIP no inputs"; continue; }; \
	    n=$$(echo "$$files" | wc -l); \
	    if UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
	       $(FUZZ_DIR)/$$h $(FUZZ_FLAGS) -artifact_prefix=$(FUZZ_DIR)/ $$files \
	           >$(FUZZ_DIR)/$$h.regress.log 2>&1; then \
	        echo "ok - $$h ($$n inputs)"; passed=$$((passed + 1)); \
	    else \
	        $(call fuzz_report,$(FUZZ_DIR)/$$h.regress.log); \
	        echo "not ok - $$h: see $(FUZZ_DIR)/$$h.regress.log"; \
	        failed=$$((failed + 1)); \
	    fi; \
	done; \
	echo "fuzz-regress: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_BIN:=.d)

# Included before the first target, this file must not become the default.
.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
