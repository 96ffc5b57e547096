-- The append-only log. `seq` is the rowid: SQLite assigns max(seq) + 1 to each insert and, without
-- AUTOINCREMENT, reuses the numbers of a rolled-back transaction, so seq stays gap-free.
-- UNIQUE(source, event_id) is the idempotency key: a repeated input is ignored, not stored twice.
CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (source, event_id)
);
