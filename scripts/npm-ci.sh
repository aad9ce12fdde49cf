#!/usr/bin/env bash
# npm-ci.sh DIR: install DIR/package-lock.json into DIR/node_modules with
# `npm ci`, unless that exact lock file is installed already (a stamp in
# node_modules), so that a test pays for it once. The tests' own tools
# only (tests/openapi, tests/browser); the service itself needs no npm.
set -euo pipefail

cd "$1"
stamp=node_modules/.installed-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
    exit 0
fi
command -v npm >/dev/null 2>&1 || {
    echo "npm-ci: npm not found (scripts/deps.sh installs nodejs and npm)" >&2
    exit 1
}
npm ci --no-audit --no-fund --loglevel=error >&2
cp package-lock.json "$stamp"
