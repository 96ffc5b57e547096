-- People and API tokens that may use the server, and server settings (the session signing key). These are
-- not log entries: they are who may append to the log, not what happened.
CREATE TABLE account (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    team TEXT,
    locations TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX account_secret ON account (secret_hash);
CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
