# make test-cluster: the service on a small cluster of network
# namespaces (three app hosts, nginx, a pg_auto_failover formation, a
# client), one fault at a time (see tests/cluster/run.sh and
# docs/cluster.md); minutes long and root only, so apart from make
# test. Included after tests/faults/faults.mk, whose load generator and
# build it shares.

.PHONY: test-cluster

# pg_auto_failover (monitor, keepers) is this target's alone: scripts/deps.sh
# installs it from here, not for every make test.
test-cluster: deps
	@scripts/deps.sh postgresql-15-auto-failover pg-auto-failover-cli
	@$(MAKE) --no-print-directory faults-build
	BUILD=$(BUILD) LOADGEN=$(BUILD)/tests/loadgen tests/cluster/run.sh
