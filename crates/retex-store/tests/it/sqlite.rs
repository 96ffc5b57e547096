//! The conformance suite on SQLite: each test gets a database file in a temporary directory of its own.

use std::path::PathBuf;

use retex_store::{Store, StoreError, StoreLocation};
use rusqlite::Connection;
use tempfile::TempDir;

use crate::Harness;

/// A store file in a temporary directory, deleted with the harness.
pub struct SqliteHarness {
    directory: TempDir,
}

impl SqliteHarness {
    fn path(&self) -> PathBuf {
        self.directory.path().join("retex.sqlite")
    }

    /// A connection of the test's own, beside the store's.
    fn connect(&self) -> Connection {
        Connection::open(self.path()).expect("open the store file directly")
    }
}

impl Harness for SqliteHarness {
    fn create() -> Option<Self> {
        Some(SqliteHarness {
            directory: tempfile::tempdir().expect("create a temporary directory"),
        })
    }

    fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        retex_store::open(&StoreLocation::Sqlite(self.path()))
    }

    fn fail_inserts_of(&self, event_id: &str) {
        let event_id = event_id.replace('\'', "''");
        let trigger = format!(
            "CREATE TRIGGER fail_inserts BEFORE INSERT ON log WHEN NEW.event_id = '{event_id}'
             BEGIN SELECT RAISE(ABORT, 'insert failed on purpose'); END"
        );
        self.connect()
            .execute_batch(&trigger)
            .expect("create the failing trigger");
    }

    fn claim_newer_schema(&self) {
        self.connect()
            .pragma_update(None, "user_version", 1_000)
            .expect("set the schema version");
    }

    fn tamper(&self, sql: &str) {
        self.connect().execute_batch(sql).expect("tamper with the database");
    }
}

store_conformance_suite!(SqliteHarness);

#[test]
fn a_file_that_is_not_a_database_is_corrupt() {
    let harness = SqliteHarness::create().expect("sqlite is always available");
    std::fs::write(harness.path(), vec![0x5a; 8192]).expect("write a non-database file");
    let error = harness.open().err().expect("a non-database file is refused");
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
}

#[test]
fn a_missing_directory_is_unavailable_and_named() {
    let harness = SqliteHarness::create().expect("sqlite is always available");
    let path = harness.directory.path().join("missing").join("retex.sqlite");
    let error = retex_store::open_sqlite(&path).err().expect("no directory, no store");
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    assert!(error.to_string().contains(&path.display().to_string()), "{error}");
}
