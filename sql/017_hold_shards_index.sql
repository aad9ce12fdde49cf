-- migrate: no-transaction
-- One shard's live holds of a client (016, sql/functions/45_limits.sql),
-- and those of shard -1 (client_shard IS NULL), each read without the
-- rest of the client's holds: a busy channel's shards are counted apart
-- as often as it holds. Built concurrently, after dropping what a failed
-- build left, so the file may run again from any statement.
DROP INDEX CONCURRENTLY IF EXISTS bookings_client_shard_pending;
CREATE INDEX CONCURRENTLY bookings_client_shard_pending
    ON bookings (client, client_shard, expires_at)
    WHERE status = 'PENDING' AND client IS NOT NULL;
