# make test-deadlines: every answer within the request's deadline while
# PostgreSQL hangs, locks, turns read-only, fails over or runs short of
# connections (see tests/deadlines/run.sh), minutes long, so apart from
# make test. Included after tests/faults/faults.mk, whose load generator
# and build it shares.

.PHONY: test-deadlines

test-deadlines: deps
	@$(MAKE) --no-print-directory faults-build
	BUILD=$(BUILD) LOADGEN=$(BUILD)/tests/loadgen tests/deadlines/run.sh
