# make test-fresh: the committed tree (HEAD) on a Debian 12 root made
# with mmdebstrap, which has nothing else: the first make run, Ctrl-C,
# then make test, in there (see tests/fresh/run.sh). About 4 minutes,
# root only. Included by the Makefile.

.PHONY: test-fresh

test-fresh:
	@scripts/deps.sh mmdebstrap git
	tests/fresh/run.sh
