-- The evidence store: files attached to exceptions, content-addressed by their SHA-256 (hex). The log holds
-- the attachment command with the hash; the bytes live here, once however often they are attached.
CREATE TABLE evidence (
    sha256 TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    bytes BYTEA NOT NULL
);
