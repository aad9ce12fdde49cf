# make test-faults: the fault-injection suite, minutes long, so apart from
# make test (see tests/faults/run.sh). Included at the end of the
# Makefile: it uses BUILD, CC, ALL_CFLAGS and ALL_LDFLAGS as set there,
# and must not come before `all`, which stays the default goal.

.PHONY: test-faults faults-build

$(BUILD)/tests/loadgen: tests/faults/loadgen.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(ALL_LDFLAGS)

# deps first, then the build in a make of its own, as run and test do.
faults-build: all $(BUILD)/tests/loadgen
	@:

test-faults: deps
	@$(MAKE) --no-print-directory faults-build
	BUILD=$(BUILD) LOADGEN=$(BUILD)/tests/loadgen tests/faults/run.sh

-include $(BUILD)/tests/loadgen.d
