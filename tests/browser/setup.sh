#!/usr/bin/env bash
# Install playwright-core (tests/browser/package-lock.json) into
# tests/browser/node_modules with `npm ci`, unless that exact lock file is
# installed already. Only the driver: the browser is Debian's chromium
# (scripts/deps.sh), never one playwright downloads. Run by
# tests/integration/t1930-browser.sh.
set -euo pipefail

cd "$(dirname "$0")"
stamp=node_modules/.installed-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || {
    echo "browser: npm not found (scripts/deps.sh installs nodejs and npm)" >&2
    exit 1
}
# playwright-core downloads no browser by itself; say so anyway
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2
cp package-lock.json "$stamp"
