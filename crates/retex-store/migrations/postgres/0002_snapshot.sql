-- Engine snapshots, each taken after applying the log up to `seq`, in the engine's own encoding
-- `format_version`. The store keeps only the newest few.
CREATE TABLE snapshot (
    seq BIGINT NOT NULL,
    format_version BIGINT NOT NULL,
    state_hash TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (seq, format_version)
);
