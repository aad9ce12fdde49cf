#!/usr/bin/env bash
# Install the OpenAPI tools (tests/openapi/package-lock.json) into
# tests/openapi/node_modules with `npm ci`, unless that exact lock file is
# installed already. Run by tests/integration/t9900-openapi.sh.
set -euo pipefail

cd "$(dirname "$0")"
stamp=node_modules/.installed-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || {
    echo "openapi: npm not found (scripts/deps.sh installs nodejs and npm)" >&2
    exit 1
}
npm ci --no-audit --no-fund --loglevel=error >&2
cp package-lock.json "$stamp"
