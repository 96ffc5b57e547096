//! [`StoreError`], the one error type of this crate.
//!
//! Each variant says what the caller should do next, and carries the database's own message as text: callers
//! never see `rusqlite::Error` or `postgres::Error`, so the backends stay swappable and their types stay out
//! of every signature above this crate. `location` is a file path or `host:port/database`, never a password.

/// Why a store operation failed. When it fails, the operation had no effect: its transaction was rolled back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or cannot work right now (cannot open the file or connect, connection lost,
    /// locked by another writer past the timeout, disk full or failing). Retrying later may succeed.
    #[error("store {location} is unavailable: {cause}")]
    Unavailable { location: String, cause: String },
    /// The request breaks one of the store's limits or rules (too many entries, a NUL character, a number
    /// out of range). Retrying the same request fails the same way: fix the request.
    #[error("invalid store request: {reason}")]
    Invalid { reason: String },
    /// The database refused the operation for a reason of its own (a constraint, a trigger, a missing
    /// permission). Retrying the same request fails the same way: report it to an operator.
    #[error("store {location} refused the operation: {cause}")]
    Refused { location: String, cause: String },
    /// The schema was written by a newer Retex than this one: run a build that knows the newer schema.
    #[error("store {location} has schema version {found}, newer than the {supported} this build knows")]
    Incompatible {
        location: String,
        found: u64,
        supported: u64,
    },
    /// The stored data is damaged or breaks the store's invariants: stop, and have an operator restore it.
    #[error("store {location} is corrupt: {detail}")]
    Corrupt { location: String, detail: String },
}
