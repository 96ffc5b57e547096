-- The append-only log. `seq` is assigned by the appender as max(seq) + 1 under an advisory lock, not by a
-- SEQUENCE (a rolled-back transaction would leave a gap). UNIQUE(source, event_id) is the idempotency key.
CREATE TABLE log (
    seq BIGINT PRIMARY KEY,
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (source, event_id)
);
