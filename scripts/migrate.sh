#!/usr/bin/env bash
# Apply sql/NNN_*.sql in order to $DATABASE_URL, each once.
#
# Applied versions are recorded in schema_migrations; each migration and
# its record commit together, and an advisory lock keeps two runners from
# interleaving, so running this again (or twice at once) is safe.
#
# usage: DATABASE_URL=... booking-migrate [SQL_DIR]
# The migrations: SQL_DIR, else $BOOKING_SQL_DIR, else where `make
# install` put them (it sets installed_sql_dir below in the installed
# copy), else sql/ beside scripts/ in a checkout.
set -euo pipefail

installed_sql_dir=

: "${DATABASE_URL:?DATABASE_URL must be set}"
here=$(cd "$(dirname "$0")" && pwd)
sql_dir=${1:-${BOOKING_SQL_DIR:-$installed_sql_dir}}
if [ -z "$sql_dir" ]; then
    for d in "$here/../sql" "$here/../share/booking/sql"; do
        [ -d "$d" ] && sql_dir=$d && break
    done
fi
[ -d "${sql_dir:-}" ] || { echo "migrate: no sql directory found" >&2; exit 2; }

{
    echo '\set ON_ERROR_STOP on'
    echo 'SET client_min_messages = warning;'
    echo 'SELECT pg_advisory_lock(727001);'
    echo 'CREATE TABLE IF NOT EXISTS schema_migrations ('
    echo '    version text PRIMARY KEY,'
    echo '    applied_at timestamptz NOT NULL DEFAULT now());'
    for f in "$sql_dir"/[0-9][0-9][0-9]_*.sql; do
        v=$(basename "$f" .sql)
        case "$v" in *[!A-Za-z0-9_]*) echo "migrate: bad name $f" >&2; exit 2;; esac
        echo "SELECT NOT EXISTS (SELECT 1 FROM schema_migrations"
        echo "                   WHERE version = '$v') AS pending \\gset"
        echo '\if :pending'
        echo "\\echo migrate: applying $v"
        echo 'BEGIN;'
        echo "\\i '$f'"
        echo "INSERT INTO schema_migrations (version) VALUES ('$v');"
        echo 'COMMIT;'
        echo '\endif'
    done
    echo 'SELECT pg_advisory_unlock(727001);'
} | psql -X -q -t -A -o /dev/null "$DATABASE_URL"
