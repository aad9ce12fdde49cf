-- How many times a hold was extended (POST /bookings/{id}/extend). A
-- constant default adds the column without a rewrite (PostgreSQL 11+).
ALTER TABLE bookings ADD COLUMN extends smallint NOT NULL DEFAULT 0;
