#!/usr/bin/env bash
# Install playwright-core (tests/browser/package-lock.json) into
# tests/browser/node_modules. Only the driver: the browser is Debian's
# chromium (scripts/deps.sh), never one playwright downloads (the
# variable says so, though playwright-core downloads none by itself).
# Run by tests/integration/t1930-browser.sh.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    exec "$(dirname "$0")/../../scripts/npm-ci.sh" "$(dirname "$0")"
