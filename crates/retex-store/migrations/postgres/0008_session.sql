-- Sessions of people logged in to the web UI, kept so that logging out ends one on every replica, and an idle or
-- old one ends by itself. Only the SHA-256 of the session cookie is kept.
CREATE TABLE session (
    id_hash TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    seen_ms BIGINT NOT NULL
);
CREATE INDEX session_account ON session (account);
