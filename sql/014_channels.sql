-- migrate: no-transaction
-- Channels (issue 14): a box office's own server sells for many buyers
-- from one address, so it gets a key of its own instead of an anonymous
-- address's caps. The admin creates a channel with its caps; the key
-- ("key_...") is shown once and kept here only as its SHA-256. A
-- request bearing the key is that channel: its caps, its own namespace
-- of idempotency keys, and the bookings it made are its own. Revoking
-- sets revoked_at; every request looks the key up, so it takes effect
-- at once in every worker.
--
-- Expand only, online, each statement safe to run again: a new table;
-- on bookings nullable columns, and constraints added NOT VALID then
-- validated in their own transaction (a SHARE UPDATE EXCLUSIVE lock,
-- not an exclusive one, while the table is scanned).
CREATE TABLE IF NOT EXISTS channels (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL
                CHECK (btrim(name) <> '' AND char_length(name) <= 200),
    key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    -- the channel's caps, as an anonymous client's (NULL: none)
    max_seats_per_booking integer CHECK (max_seats_per_booking > 0),
    max_live_holds        integer CHECK (max_live_holds > 0),
    max_held_seats        integer CHECK (max_held_seats > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
GRANT SELECT, INSERT, UPDATE ON channels TO booking_app;

-- The channel that made a booking, and its reference for the buyer.
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS channel_id bigint;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS customer_ref text;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conname = 'bookings_channel_id_fkey') THEN
        ALTER TABLE bookings ADD CONSTRAINT bookings_channel_id_fkey
            FOREIGN KEY (channel_id) REFERENCES channels (id) NOT VALID;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                    WHERE conname = 'bookings_customer_ref') THEN
        ALTER TABLE bookings ADD CONSTRAINT bookings_customer_ref
            CHECK (char_length(customer_ref) BETWEEN 1 AND 200) NOT VALID;
    END IF;
END
$$;
ALTER TABLE bookings VALIDATE CONSTRAINT bookings_channel_id_fkey;
ALTER TABLE bookings VALIDATE CONSTRAINT bookings_customer_ref;
