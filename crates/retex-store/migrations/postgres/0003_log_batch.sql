-- The audit chain: one row per append transaction, the SHA-256 of the previous row's hash and the
-- transaction's new entries (seqs first_seq..=last_seq). See chain.rs.
CREATE TABLE log_batch (
    last_seq BIGINT PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
