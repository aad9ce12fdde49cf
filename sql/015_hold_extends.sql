-- How many times a hold was extended (POST /bookings/{id}/extend); NULL
-- counts as 0. Nullable and without a default: a column added with one
-- (or NOT NULL) is refused by PostgreSQL 15.20 and later while a
-- function's SQL-standard body uses the table's row type, as
-- booking_view(text, bookings) does (sql/README.md).
ALTER TABLE bookings ADD COLUMN extends smallint;
