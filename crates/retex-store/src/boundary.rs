//! What crosses between callers and databases: the checks a request passes before it reaches a database, and
//! the conversions between Rust's unsigned seqs and versions and SQL's signed 64-bit integers.
//!
//! Both backends call these, so they refuse the same requests in the same words: PostgreSQL rejects a NUL
//! character in TEXT while SQLite stores it, and a log that SQLite accepted must also load into PostgreSQL.

use crate::{APPEND_BATCH_ENTRIES_MAX, NewEntry, READ_LOG_LIMIT_MAX, StoreError};

/// Checks an append batch against [`APPEND_BATCH_ENTRIES_MAX`] and for NUL characters in its text.
pub(crate) fn check_append_batch(batch: &[NewEntry<'_>]) -> Result<(), StoreError> {
    if batch.len() > APPEND_BATCH_ENTRIES_MAX {
        return Err(StoreError::Invalid {
            reason: format!(
                "append batch has {} entries, more than the {APPEND_BATCH_ENTRIES_MAX} allowed",
                batch.len()
            ),
        });
    }
    for (index, entry) in batch.iter().enumerate() {
        let fields = [
            ("source", entry.source),
            ("event_id", entry.event_id),
            ("kind", entry.kind),
            ("body", entry.body),
        ];
        for (field, text) in fields {
            if text.as_bytes().contains(&0) {
                return Err(StoreError::Invalid {
                    reason: format!("append batch entry {index} has a nul character in its {field}"),
                });
            }
        }
    }
    Ok(())
}

/// Checks a `read_log` limit against [`READ_LOG_LIMIT_MAX`] and returns it as an SQL `LIMIT`.
pub(crate) fn read_limit_to_sql(limit: usize) -> Result<i64, StoreError> {
    if limit > READ_LOG_LIMIT_MAX {
        return Err(StoreError::Invalid {
            reason: format!("read limit {limit} is more than the {READ_LOG_LIMIT_MAX} allowed"),
        });
    }
    i64::try_from(limit).map_err(|_| StoreError::Invalid {
        reason: format!("read limit {limit} does not fit in a 64-bit signed integer"),
    })
}

/// A seq given by the caller, as SQL stores it.
pub(crate) fn seq_to_sql(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Invalid {
        reason: format!("seq {seq} does not fit in a 64-bit signed integer"),
    })
}

/// A seq read from the database; a negative one means the table was written by something other than this
/// crate.
pub(crate) fn seq_from_sql(value: i64, location: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        location: location.to_owned(),
        detail: format!("stored seq {value} is negative"),
    })
}

/// A snapshot format version read from the database.
pub(crate) fn format_version_from_sql(value: i64, location: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Corrupt {
        location: location.to_owned(),
        detail: format!("stored snapshot format version {value} is not a 32-bit unsigned integer"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(event_id: &'a str, body: &'a str) -> NewEntry<'a> {
        NewEntry {
            source: "pos",
            event_id,
            kind: "sale",
            at_ms: 0,
            body,
        }
    }

    #[test]
    fn a_nul_anywhere_is_refused_with_its_field_and_index() {
        let batch = [entry("a", "{}"), entry("b", "{\"x\":\"\0\"}")];
        let error = check_append_batch(&batch).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid store request: append batch entry 1 has a nul character in its body"
        );
    }

    #[test]
    fn limits_are_inclusive() {
        assert_eq!(read_limit_to_sql(READ_LOG_LIMIT_MAX).unwrap(), 100_000);
        assert!(matches!(
            read_limit_to_sql(READ_LOG_LIMIT_MAX + 1),
            Err(StoreError::Invalid { .. })
        ));
        let full = vec![entry("a", "{}"); APPEND_BATCH_ENTRIES_MAX];
        assert!(check_append_batch(&full).is_ok());
        let over = vec![entry("a", "{}"); APPEND_BATCH_ENTRIES_MAX + 1];
        assert!(matches!(check_append_batch(&over), Err(StoreError::Invalid { .. })));
    }

    #[test]
    fn out_of_range_numbers_are_invalid_going_in_and_corrupt_coming_out() {
        assert!(matches!(seq_to_sql(u64::MAX), Err(StoreError::Invalid { .. })));
        assert!(matches!(seq_from_sql(-1, "here"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(
            format_version_from_sql(1 << 40, "here"),
            Err(StoreError::Corrupt { .. })
        ));
        assert_eq!(seq_from_sql(7, "here").unwrap(), 7);
    }
}
