#!/usr/bin/env bash
# booking-nginx-cors: the origins allowed to call the API from another
# origin's pages, as the lines of nginx's map in the site
# (snippets/booking-cors-origins.conf, included by nginx/booking.conf).
#
#   booking-nginx-cors --print   the lines for $CORS_ORIGINS, on stdout
#                                (make run and the tests' nginx)
#   booking-nginx-cors           the same from CORS_ORIGINS in
#                                /etc/default/booking, written to
#                                /etc/nginx/snippets/booking-cors-origins.conf,
#                                then nginx checked and reloaded
#
# CORS_ORIGINS: origins separated by spaces or commas, each
# scheme://host[:port] exactly as a browser sends it in Origin (no path,
# no trailing slash). Empty: no cross-origin caller. A malformed origin
# fails the whole list rather than being half-matched.
set -euo pipefail

ENV_FILE=${ENV_FILE:-/etc/default/booking}
SNIPPET=${SNIPPET:-/etc/nginx/snippets/booking-cors-origins.conf}

cors_lines() {
    local o
    echo "# written by booking-nginx-cors from CORS_ORIGINS; do not edit"
    for o in ${1//,/ }; do
        if ! [[ $o =~ ^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$ ]]; then
            echo "booking-nginx-cors: '$o' in CORS_ORIGINS is not an origin (scheme://host[:port])" >&2
            return 1
        fi
        printf '"%s" $http_origin;\n' "$o"
    done
}

if [ "${1:-}" = --print ]; then
    cors_lines "${CORS_ORIGINS:-}"
    exit
fi

# The last assignment in the env file, quotes removed, read without
# sourcing it (as postinst reads it).
origins=$(sed -n 's/^[[:space:]]*CORS_ORIGINS=//p' "$ENV_FILE" 2>/dev/null | tail -n 1 |
          sed -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/")
cors_lines "$origins" >"$SNIPPET.new"
mv "$SNIPPET.new" "$SNIPPET"
echo "booking-nginx-cors: $(grep -c '^"' "$SNIPPET") origin(s) in $SNIPPET"
if command -v nginx >/dev/null && nginx -t -q; then
    systemctl reload nginx.service 2>/dev/null || true
fi
