-- Engine snapshots, each taken after applying the log up to `seq`, in the engine's own encoding
-- `format_version`. The store keeps only the newest few.
CREATE TABLE snapshot (
    seq INTEGER NOT NULL,
    format_version INTEGER NOT NULL,
    state_hash TEXT NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (seq, format_version)
);
