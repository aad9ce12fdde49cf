#!/usr/bin/env bash
# Apply sql/NNN_*.sql in order to $DATABASE_URL, each once, then the
# live definitions of the functions and views, sql/functions/*.sql.
#
# Applied versions are recorded in schema_migrations; each migration and
# its record commit together, and an advisory lock keeps two runners from
# interleaving, so running this again (or twice at once) is safe.
#
# A file of sql/functions/ holds the one current definition of a
# concern's functions and views (CREATE OR REPLACE), as Flyway's
# repeatable migrations do. After the migrations, the files whose
# content changed since they were last applied (their sha256 is kept in
# schema_functions) are applied again, in name order, all in one
# transaction with their records, under the same advisory lock. After a
# migration every file is applied again: a migration may have dropped
# what a file defines. See sql/README.md.
#
# Online: each run waits at most MIGRATE_LOCK_TIMEOUT (default 1s) for a
# lock, so that a DDL statement never holds every request queued behind
# it for longer; a run that timed out (SQLSTATE 55P03) is started again
# after a pause, up to MIGRATE_RETRIES times (default 20): what had
# committed is recorded and skipped. A migration whose first line is
# "-- migrate: no-transaction" runs statement by statement, outside a
# transaction (CREATE INDEX CONCURRENTLY, batched backfills), and must
# be safe to run again after a failure half way. See sql/README.md.
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
lock_timeout=${MIGRATE_LOCK_TIMEOUT:-1s}
retries=${MIGRATE_RETRIES:-20}
# Both go into the script's text: digits and a unit (ms, s, min) only.
case "$lock_timeout" in
    ''|[!0-9]*|*[!0-9a-z]*)
        echo "migrate: bad MIGRATE_LOCK_TIMEOUT '$lock_timeout'" >&2; exit 2;;
esac
case "$retries" in
    ''|*[!0-9]*) echo "migrate: bad MIGRATE_RETRIES '$retries'" >&2; exit 2;;
esac

# check_name FILE: names go into the SQL text below, so only these.
check_name() {
    case "$(basename "$1" .sql)" in
        *[!A-Za-z0-9_-]*) echo "migrate: bad name $1" >&2; exit 2;;
    esac
}

# script: the whole run as one psql script.
script() {
    echo '\set ON_ERROR_STOP on'
    echo '\set VERBOSITY verbose'
    echo 'SET client_min_messages = warning;'
    echo 'SELECT pg_advisory_lock(727001);'
    # After the advisory lock: a second runner waits for the first,
    # however long its CREATE INDEX CONCURRENTLY takes.
    echo "SET lock_timeout = '$lock_timeout';"
    echo 'CREATE TABLE IF NOT EXISTS schema_migrations ('
    echo '    version text PRIMARY KEY,'
    echo '    applied_at timestamptz NOT NULL DEFAULT now());'
    echo 'CREATE TABLE IF NOT EXISTS schema_functions ('
    echo '    file text PRIMARY KEY,'
    echo '    sha256 text NOT NULL,'
    echo '    applied_at timestamptz NOT NULL DEFAULT now());'
    for f in "$sql_dir"/[0-9][0-9][0-9]_*.sql; do
        check_name "$f"
        v=$(basename "$f" .sql)
        echo "SELECT NOT EXISTS (SELECT 1 FROM schema_migrations"
        echo "                   WHERE version = '$v') AS pending \\gset"
        echo '\if :pending'
        echo "\\echo migrate: applying $v"
        if head -n 1 "$f" | grep -qx -- '-- migrate: no-transaction'; then
            echo "\\i '$f'"
            echo "INSERT INTO schema_migrations (version) VALUES ('$v');"
        else
            echo 'BEGIN;'
            echo "\\i '$f'"
            echo "INSERT INTO schema_migrations (version) VALUES ('$v');"
            echo 'COMMIT;'
        fi
        echo '\endif'
    done
    echo 'BEGIN;'
    for f in "$sql_dir"/functions/*.sql; do
        [ -e "$f" ] || continue
        check_name "$f"
        v=$(basename "$f" .sql)
        sum=$(sha256sum "$f" | cut -d' ' -f1)
        # Changed, or a migration ran since (in this run or in an
        # earlier one that failed before this point).
        echo "SELECT NOT EXISTS (SELECT 1 FROM schema_functions"
        echo "    WHERE file = '$v' AND sha256 = '$sum'"
        echo "      AND applied_at >= (SELECT max(applied_at)"
        echo "                           FROM schema_migrations)) AS changed \\gset"
        echo '\if :changed'
        echo "\\echo migrate: applying functions/$v"
        echo "\\i '$f'"
        echo "INSERT INTO schema_functions (file, sha256) VALUES ('$v', '$sum')"
        echo "    ON CONFLICT (file) DO UPDATE"
        echo "    SET sha256 = excluded.sha256, applied_at = now();"
        echo '\endif'
    done
    echo 'COMMIT;'
    echo 'SELECT pg_advisory_unlock(727001);'
}

err=$(mktemp)
trap 'rm -f "$err"' EXIT
for attempt in $(seq 0 "$retries"); do
    if script | psql -X -q -t -A -o /dev/null "$DATABASE_URL" 2>"$err"; then
        exit 0
    fi
    # 55P03 lock_not_available: a lock wait gave up; 40P01: a deadlock
    # with the serving workers' transactions, of which PostgreSQL chose
    # the migration's to roll back; anything else is the migration's own
    # error, which a retry would not mend.
    if ! grep -qE 'ERROR:  (55P03|40P01)' "$err" || [ "$attempt" -eq "$retries" ]; then
        cat "$err" >&2
        exit 1
    fi
    if grep -q 'ERROR:  55P03' "$err"; then
        echo "migrate: a lock wait timed out ($lock_timeout); trying again" >&2
    else
        echo "migrate: a deadlock with a serving transaction; trying again" >&2
    fi
    sleep "$(( attempt < 4 ? attempt + 1 : 5 ))"
done
