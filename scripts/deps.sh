#!/usr/bin/env bash
# Install the Debian packages the build, `make run` and `make test` need,
# and any named as arguments (make deb's tools, for one).
# As root it runs apt-get; as a user it names what to install and fails.
set -euo pipefail

# build: compiler and the C library's headers (gcc only recommends
#        libc6-dev, and recommends are not installed), pkg-config, the
#        libraries (libsystemd for sd_notify), cmocka for unit tests
# run:   nginx, PostgreSQL server and client (psql runs the migrations)
# test:  curl drives the HTTP API, jq reads its JSON answers, systemd
#        brings systemd-analyze (unit checks) and systemd-socket-activate,
#        iproute2 brings ss (the workers' FastCGI connections), procps
#        pgrep
# bench: wrk drives the HTTP load (pgbench comes with postgresql-client)
# openapi: node runs redocly lint and the ajv check of every answer against
#        api/openapi.json (t9900), npm installs them (tests/openapi); a
#        nodejs from NodeSource bundles npm and conflicts with Debian's,
#        so npm is asked for only when there is none; ca-certificates
#        lets npm check the registry's certificate over https
# metrics: prometheus brings promtool, which checks GET /metrics (t1400)
# seat map: libnginx-mod-nchan, nginx's push module, holds the browsers'
#        live connections (EventSource) and relays the seat changes that
#        booking-events publishes; chromium is the headless browser
#        the seat map page's test drives (playwright-core, tests/browser),
#        fonts-dejavu-core a font for it: chromium only recommends one,
#        and without any, playwright's screenshot waits for fonts for
#        ever (a fresh root's t1930 ran out of time there)
# deadlines: nftables brings nft, which cuts the network between the
#        workers and PostgreSQL in make test-deadlines' netcut scenario
#        (the database in a network namespace of its own)
PKGS=(gcc libc6-dev make pkg-config libfcgi-dev libpq-dev libjson-c-dev libsystemd-dev
      libcmocka-dev nginx-light postgresql postgresql-client curl jq procps iproute2
      systemd wrk nodejs $(command -v npm >/dev/null 2>&1 || echo npm) ca-certificates
      prometheus nftables libnginx-mod-nchan chromium fonts-dejavu-core
      "$@")

missing=()
for p in "${PKGS[@]}"; do
    # nginx-light or any other nginx flavour will do
    if [ "$p" = nginx-light ] && command -v nginx >/dev/null 2>&1; then
        continue
    fi
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
