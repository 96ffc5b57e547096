-- Administration from the web UI: an account can be disabled (a person cannot log in, a token is revoked) and
-- remembers its last login; every change an admin makes to accounts or silences is kept in `admin_change`, which
-- the store only ever appends to (there is no statement that updates or deletes a row of it).
ALTER TABLE account ADD COLUMN disabled_ms INTEGER;
ALTER TABLE account ADD COLUMN last_login_ms INTEGER;
CREATE TABLE admin_change (
    id INTEGER PRIMARY KEY,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
