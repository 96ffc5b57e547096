-- Each append transaction's entry digests (32 bytes of SHA-256 per entry, in seq order), so that verifying the
-- chain names the first changed entry rather than its transaction. NULL on transactions appended before.
ALTER TABLE log_batch ADD COLUMN entry_digests BYTEA;
