# make bench: the release binaries, then tests/bench/run.sh on the real
# stack (see its header). BENCH_SECONDS=10 per scenario, BENCH_WARMUP=2;
# BENCH_ONLY="hot hot-seated" runs only those scenarios; MIX_BOOK,
# MIX_SHOW, MIX_LIST share mixed's connections; BENCH_SEATED_ROWS
# shrinks the seated hall; WORKERS and NGINX_WORKERS size the service.
# Writes tests/bench/results/latest.txt. Included by the Makefile.

.PHONY: bench

# Always the release build: a sanitizer build would measure the
# sanitizer, so SANITIZE is overridden for the sub-make.
bench: deps
	$(MAKE) all SANITIZE=
	BUILD=build/release tests/bench/run.sh
