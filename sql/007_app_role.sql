-- Least privilege: booking-fcgi and booking-expire connect as booking_app,
-- which can read and write the rows the service needs and nothing else:
-- no DDL, no DELETE of shows or bookings, no ownership, no superuser.
-- Migrations keep running as the owner of the tables.
--
-- The role is created without a password: give it one, or map it in
-- pg_hba.conf (peer or certificate), as your site does for services.
-- Creating it needs CREATEROLE; where the migrating role lacks that,
-- have an administrator run `CREATE ROLE booking_app LOGIN` first.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'booking_app') THEN
        CREATE ROLE booking_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
            NOINHERIT;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO booking_app;

GRANT SELECT, INSERT, UPDATE ON shows, bookings TO booking_app;
-- booking-expire deletes idempotency keys older than 24 hours.
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO booking_app;
GRANT SELECT ON schema_migrations TO booking_app;
