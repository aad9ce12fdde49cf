#!/usr/bin/env bash
# Install the OpenAPI tools (tests/openapi/package-lock.json) into
# tests/openapi/node_modules. Run by tests/integration/t9900-openapi.sh.
exec "$(dirname "$0")/../../scripts/npm-ci.sh" "$(dirname "$0")"
