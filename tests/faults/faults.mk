# make test-faults: the fault-injection suite, minutes long, so apart from
# make test (see tests/faults/run.sh). Included at the end of the
# Makefile: it uses BUILD, CC, ALL_CFLAGS and ALL_LDFLAGS as set there,
# and must not come before `all`, which stays the default goal.

.PHONY: test-faults

$(BUILD)/tests/loadgen: tests/faults/loadgen.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -o $@ $< $(ALL_LDFLAGS)

test-faults: deps all $(BUILD)/tests/loadgen
	BUILD=$(BUILD) LOADGEN=$(BUILD)/tests/loadgen tests/faults/run.sh

-include $(BUILD)/tests/loadgen.d
