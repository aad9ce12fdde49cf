-- A channel's hold caps counted in shards (issue 14), so that its holds
-- are not one queue: sql/functions/45_limits.sql, client_hold_take().
-- Expand only, online: a new table, and a nullable column of bookings
-- without a default (sql/README.md); the index that counts one shard is
-- built concurrently in 017.
--
-- client_hold_shards: how a client's caps (cap_holds, cap_seats, as
-- they were when split; NULL: no cap) are split into quotas, one row per
-- shard 0 .. K-1, and shard -1 for the holds that name no shard (made
-- before this release, or under the client's single lock): quotas sum
-- to the caps. Written only under every shard's lock of the client.
CREATE TABLE IF NOT EXISTS client_hold_shards (
    client      text     NOT NULL,
    shard       smallint NOT NULL CHECK (shard >= -1),
    cap_holds   integer,
    cap_seats   integer,
    quota_holds integer  CHECK (quota_holds >= 0),
    quota_seats integer  CHECK (quota_seats >= 0),
    split_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, shard)
);
GRANT SELECT, INSERT, UPDATE ON client_hold_shards TO booking_app;

-- The shard whose quota a hold was counted in; NULL: none (shard -1
-- above), as every booking before this release.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS client_shard smallint;
