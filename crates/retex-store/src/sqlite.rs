//! [`SqliteStore`]: the log and snapshots in one SQLite file, the single-node default.
//!
//! The file runs in WAL mode with `synchronous=FULL`, so a committed append survives `kill -9` and power loss,
//! and readers never block the writer. `seq` is the table's rowid: SQLite gives each insert max(rowid) + 1 and,
//! without AUTOINCREMENT, a rolled-back transaction gives its numbers back, so seq has no gaps. Appends take
//! the write lock at `BEGIN` (IMMEDIATE), so two processes appending to one file queue on `busy_timeout`
//! instead of failing half-way. The schema version lives in `PRAGMA user_version`.
//!
//! Appends are the hot path. A batch goes in as multi-row `INSERT OR IGNORE` statements of
//! [`SQLITE_INSERT_ROWS_PER_STATEMENT`] rows: one statement per row costs about a third more CPU time, and
//! `OR IGNORE`, unlike `ON CONFLICT DO NOTHING`, leaves no constraint that can abort the statement half-way,
//! so SQLite keeps no statement journal (an undo copy of every page the statement touches), which otherwise
//! costs more than the multi-row statement saves. The rows a statement inserted get consecutive seqs in
//! batch order, so only a statement that skipped a duplicate needs a look back at what it wrote.

use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Params, Row, Statement, ToSql, Transaction, TransactionBehavior,
};

use crate::boundary::{check_append_batch, read_limit_to_sql, seq_from_sql, seq_to_sql};
use crate::chain::{CHAIN_GENESIS, ChainBatch, ChainLink, ChainVerdict, link_batch, verify_chain};
use crate::{
    Account, AccountRow, AccountSessions, AdminChange, AppendOutcome, COUNT_PEOPLE, DELETE_SESSION, DELETE_SESSIONS_OF,
    DELETE_STALE_SESSIONS, DeliveryClaim, INSERT_ADMIN_CHANGE, INSERT_DELIVERY_CLAIM, INSERT_EVIDENCE, INSERT_SESSION,
    INSERT_SETTING_IF_ABSENT, Migration, NOTE_LOGIN, NewEntry, SELECT_ACCOUNT_BY_NAME, SELECT_ACCOUNT_BY_SECRET,
    SELECT_ACCOUNTS, SELECT_ADMIN_CHANGES, SELECT_DELIVERY_CLAIM, SELECT_EVIDENCE, SELECT_SESSION, SELECT_SETTING,
    SNAPSHOTS_KEPT, Session, Snapshot, Store, StoreError, StoredEntry, TOUCH_SESSION, UPSERT_ACCOUNT, UPSERT_SETTING,
    applied_migrations, migrations,
};

/// How long a statement waits for another connection's lock on the file before failing as unavailable.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Rows per multi-row insert statement; from a few dozen to a few hundred rows the rate barely changes.
const SQLITE_INSERT_ROWS_PER_STATEMENT: usize = 100;
/// Columns bound per inserted row.
const INSERT_COLUMNS: usize = 5;
/// The page size of a new file. Larger pages than the 4 KiB default mean fewer WAL frames and page splits per
/// appended row: about a tenth less time per append.
const SQLITE_PAGE_BYTES: i64 = 16 * 1024;
/// The WAL size, in pages, past which a commit copies the WAL back into the database file. Fewer, larger
/// checkpoints stall appends less often; 4,096 pages of 16 KiB is 64 MiB of WAL. A larger WAL only moves the
/// copying to the close of the store (256 MiB ingested no faster once the closing checkpoint was counted).
const SQLITE_WAL_AUTOCHECKPOINT_PAGES: i64 = 4_096;
/// The page cache of one connection, in KiB. The unique index on `(source, event_id)` is looked up for
/// every append, and keeping more of it in memory keeps appends fast as the log grows.
const SQLITE_CACHE_KIB: i64 = 64 * 1024;

const MIGRATIONS: &[Migration] = migrations!("sqlite":
    "0001_log.sql",
    "0002_snapshot.sql",
    "0003_log_batch.sql",
    "0004_account.sql",
    "0005_evidence.sql",
    "0006_entry_digests.sql",
    "0007_account_email.sql",
    "0008_session.sql",
    "0009_administration.sql",
    "0010_delivery_claim.sql",
);

/// `INSERT OR IGNORE` of [`SQLITE_INSERT_ROWS_PER_STATEMENT`] rows.
static INSERT_ROWS_SQL: LazyLock<String> = LazyLock::new(|| insert_sql(SQLITE_INSERT_ROWS_PER_STATEMENT));
/// `INSERT OR IGNORE` of one row, for the rest of a batch.
static INSERT_ROW_SQL: LazyLock<String> = LazyLock::new(|| insert_sql(1));
/// The rows inserted after a seq, to tell which entries of a statement were duplicates.
const SELECT_KEYS_AFTER: &str = "SELECT seq, source, event_id FROM log WHERE seq > ?1 ORDER BY seq";
const SELECT_ENTRIES_AFTER: &str = "SELECT seq, source, event_id, kind, at_ms, body FROM log
     WHERE seq > ?1 ORDER BY seq LIMIT ?2";
const SELECT_ENTRY_BY_KEY: &str = "SELECT seq, source, event_id, kind, at_ms, body FROM log
     WHERE source = ?1 AND event_id = ?2";
const SELECT_LAST_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) FROM log";
const SELECT_LAST_BATCH_HASH: &str = "SELECT hash FROM log_batch ORDER BY last_seq DESC LIMIT 1";
const INSERT_BATCH: &str = "INSERT INTO log_batch (last_seq, first_seq, hash, entry_digests) VALUES (?1, ?2, ?3, ?4)";
const SELECT_BATCHES_AFTER: &str =
    "SELECT first_seq, last_seq, hash, entry_digests FROM log_batch WHERE first_seq > ?1 ORDER BY first_seq LIMIT ?2";
const UPSERT_SNAPSHOT: &str = "INSERT INTO snapshot (seq, format_version, state_hash, bytes)
     VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT (seq, format_version) DO UPDATE SET state_hash = excluded.state_hash, bytes = excluded.bytes";
const DELETE_OLD_SNAPSHOTS: &str = "DELETE FROM snapshot WHERE (seq, format_version) NOT IN
     (SELECT seq, format_version FROM snapshot ORDER BY seq DESC, format_version DESC LIMIT ?1)";
const SELECT_LATEST_SNAPSHOT: &str = "SELECT seq, format_version, state_hash, bytes FROM snapshot
     WHERE format_version = ?1 ORDER BY seq DESC LIMIT 1";

/// A store in one SQLite file, through one connection.
pub struct SqliteStore {
    connection: Connection,
    /// The file path, for error messages.
    location: String,
}

/// Opens the SQLite store at `path`, creating the file if it is missing (not its directory), and brings its
/// schema up to date.
pub fn open_sqlite(path: &Path) -> Result<SqliteStore, StoreError> {
    let location = path.display().to_string();
    let connection = Connection::open(path).map_err(|error| StoreError::Unavailable {
        location: location.clone(),
        cause: format!("open: {error}"),
    })?;
    let mut store = SqliteStore { connection, location };
    store.configure()?;
    store.migrate()?;
    Ok(store)
}

/// Writes a consistent copy of the whole store at `source` (log, snapshots, accounts, evidence) to `target`,
/// which must not exist, while a server keeps reading and appending: the copy is one read transaction
/// (`VACUUM INTO`), so it holds every transaction committed before it began and none after.
pub fn back_up_sqlite(source: &Path, target: &Path) -> Result<(), StoreError> {
    refuse_existing(target)?;
    let store = open_sqlite(source)?;
    let target_text = target.to_str().ok_or_else(|| StoreError::Invalid {
        reason: format!("{}: the backup's path is not UTF-8", target.display()),
    })?;
    store
        .connection
        .execute("VACUUM INTO ?1", [target_text])
        .map_err(|error| store_error(&store.location, "back up", error))?;
    Ok(())
}

/// Puts a backup in place as the store at `target`, which must not exist: the backup is copied beside the
/// target, opened as a store (which checks its schema), its audit chain verified, and only then renamed into
/// place, so an interrupted or refused restore leaves no store behind. Returns what verifying found (intact).
pub fn restore_sqlite(backup: &Path, target: &Path) -> Result<ChainVerdict, StoreError> {
    refuse_existing(target)?;
    let file_error = |operation: &str, error: std::io::Error| StoreError::Unavailable {
        location: target.display().to_string(),
        cause: format!("{operation}: {error}"),
    };
    let mut partial = target.as_os_str().to_owned();
    partial.push(".restoring");
    let partial = std::path::PathBuf::from(partial);
    std::fs::copy(backup, &partial).map_err(|error| file_error("copy the backup", error))?;
    let restored = open_sqlite(&partial).and_then(|mut store| {
        let verdict = verify_chain(&mut store, None)?;
        if let ChainVerdict::Broken { seq, problem } = verdict {
            return Err(StoreError::Corrupt {
                location: backup.display().to_string(),
                detail: format!("its audit chain is broken at seq {seq}: {problem}"),
            });
        }
        drop(store);
        std::fs::rename(&partial, target).map_err(|error| file_error("rename into place", error))?;
        Ok(verdict)
    });
    if restored.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    restored
}

/// Refuses a path that already holds a file (or the WAL of one): backups and restores never overwrite.
fn refuse_existing(path: &Path) -> Result<(), StoreError> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if path.exists() || Path::new(&wal).exists() {
        return Err(StoreError::Invalid {
            reason: format!(
                "{} already exists; a backup or restore never overwrites a file",
                path.display()
            ),
        });
    }
    Ok(())
}

impl SqliteStore {
    fn configure(&self) -> Result<(), StoreError> {
        let error = |error| store_error(&self.location, "configure", error);
        self.connection.busy_timeout(SQLITE_BUSY_TIMEOUT).map_err(error)?;
        // Takes effect only while the file is still empty, so it must come before anything is written.
        self.connection
            .pragma_update(None, "page_size", SQLITE_PAGE_BYTES)
            .map_err(error)?;
        let journal_mode: String = self
            .connection
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
            .map_err(error)?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            // The file system or the file itself does not allow WAL (an in-memory or read-only database).
            return Err(StoreError::Refused {
                location: self.location.clone(),
                cause: format!("configure: journal mode is {journal_mode}, not wal"),
            });
        }
        self.connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(error)?;
        self.connection
            .pragma_update(None, "wal_autocheckpoint", SQLITE_WAL_AUTOCHECKPOINT_PAGES)
            .map_err(error)?;
        self.connection
            .pragma_update(None, "cache_size", -SQLITE_CACHE_KIB)
            .map_err(error)?;
        Ok(())
    }

    /// Applies the migrations the file has not seen, all in one transaction, and records the new version.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "migrate", error);
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error)?;
        let found: i64 = transaction
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(error)?;
        let applied = applied_migrations(found, MIGRATIONS.len(), location)?;
        for migration in &MIGRATIONS[applied..] {
            transaction
                .execute_batch(migration.sql)
                .map_err(|error| store_error(location, &format!("migrate {}", migration.name), error))?;
        }
        transaction
            .pragma_update(None, "user_version", MIGRATIONS.len() as i64)
            .map_err(error)?;
        transaction.commit().map_err(error)
    }

    /// Runs a query that selects whole log entries.
    fn query_entries(
        &mut self,
        operation: &str,
        sql: &str,
        params: impl Params,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, operation, error);
        let mut statement = self.connection.prepare_cached(sql).map_err(error)?;
        let mut rows = statement.query(params).map_err(error)?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            entries.push(entry_from_row(row).map_err(error)?);
        }
        Ok(entries)
    }
}

impl Store for SqliteStore {
    fn append(&mut self, batch: &[NewEntry<'_>]) -> Result<AppendOutcome, StoreError> {
        check_append_batch(batch)?;
        let location = &self.location;
        let error = |error| store_error(location, "append", error);
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error)?;
        let seqs = insert_batch(&transaction, batch, location)?;
        let links: Vec<ChainLink> = batch
            .iter()
            .zip(&seqs)
            .filter_map(|(entry, seq)| seq.map(|seq| ChainLink::new_entry(seq, entry)))
            .collect();
        if let (Some(first), Some(last)) = (links.first().map(|link| link.seq), links.last().map(|link| link.seq)) {
            let previous: Option<String> = transaction
                .query_row(SELECT_LAST_BATCH_HASH, (), |row| row.get(0))
                .optional()
                .map_err(error)?;
            let link = link_batch(previous.as_deref().unwrap_or(CHAIN_GENESIS), links.into_iter());
            let row = (seq_to_sql(last)?, seq_to_sql(first)?, link.hash, link.entry_digests);
            transaction.execute(INSERT_BATCH, row).map_err(error)?;
        }
        crate::fault::before_commit(seqs.iter().flatten().count());
        transaction.commit().map_err(error)?;
        Ok(AppendOutcome { seqs })
    }

    fn read_log(&mut self, after_seq: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError> {
        let params = (seq_to_sql(after_seq)?, read_limit_to_sql(limit)?);
        self.query_entries("read log", SELECT_ENTRIES_AFTER, params)
    }

    fn find_entry(&mut self, source: &str, event_id: &str) -> Result<Option<StoredEntry>, StoreError> {
        let entries = self.query_entries("find entry", SELECT_ENTRY_BY_KEY, (source, event_id))?;
        Ok(entries.into_iter().next())
    }

    fn read_batches(&mut self, after_seq: u64, limit: usize) -> Result<Vec<ChainBatch>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "read chain", error);
        let mut statement = self.connection.prepare_cached(SELECT_BATCHES_AFTER).map_err(error)?;
        let rows = statement
            .query_map((seq_to_sql(after_seq)?, read_limit_to_sql(limit)?), |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<Vec<u8>>>(3)?,
                ))
            })
            .map_err(error)?;
        let mut batches = Vec::new();
        for row in rows {
            let (first, last, hash, entry_digests) = row.map_err(error)?;
            batches.push(ChainBatch {
                first_seq: seq_from_sql(first, location)?,
                last_seq: seq_from_sql(last, location)?,
                hash,
                entry_digests,
            });
        }
        Ok(batches)
    }

    fn last_seq(&mut self) -> Result<u64, StoreError> {
        self.connection
            .query_row(SELECT_LAST_SEQ, (), |row| row.get(0))
            .map_err(|error| store_error(&self.location, "last seq", error))
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let seq = seq_to_sql(snapshot.seq)?;
        let location = &self.location;
        let error = |error| store_error(location, "save snapshot", error);
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error)?;
        transaction
            .prepare_cached(UPSERT_SNAPSHOT)
            .and_then(|mut upsert| {
                upsert.execute((
                    seq,
                    i64::from(snapshot.format_version),
                    &snapshot.state_hash,
                    &snapshot.bytes,
                ))
            })
            .map_err(error)?;
        transaction
            .prepare_cached(DELETE_OLD_SNAPSHOTS)
            .and_then(|mut delete| delete.execute([SNAPSHOTS_KEPT as i64]))
            .map_err(error)?;
        transaction.commit().map_err(error)
    }

    fn latest_snapshot(&mut self, format_version: u32) -> Result<Option<Snapshot>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "latest snapshot", error);
        let mut select = self.connection.prepare_cached(SELECT_LATEST_SNAPSHOT).map_err(error)?;
        let mut rows = select.query([i64::from(format_version)]).map_err(error)?;
        let Some(row) = rows.next().map_err(error)? else {
            return Ok(None);
        };
        Ok(Some(Snapshot {
            seq: row.get(0).map_err(error)?,
            format_version: row.get(1).map_err(error)?,
            state_hash: row.get(2).map_err(error)?,
            bytes: row.get(3).map_err(error)?,
        }))
    }

    fn put_account(&mut self, account: &Account) -> Result<(), StoreError> {
        upsert_account(&self.connection, account)
            .map(drop)
            .map_err(|error| store_error(&self.location, "put account", error))
    }

    fn accounts(&mut self) -> Result<Vec<Account>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "list accounts", error);
        let mut select = self.connection.prepare_cached(SELECT_ACCOUNTS).map_err(error)?;
        let rows = select.query_map((), account_row).map_err(error)?;
        let mut accounts = Vec::new();
        for row in rows {
            accounts.push(row.map_err(error)?.into_account(location)?);
        }
        Ok(accounts)
    }

    fn change_account(
        &mut self,
        account: &Account,
        sessions: AccountSessions,
        change: &AdminChange,
    ) -> Result<(), StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "change account", error);
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(error)?;
        upsert_account(&transaction, account).map_err(error)?;
        if sessions == AccountSessions::End {
            transaction
                .execute(DELETE_SESSIONS_OF, [&account.name])
                .map_err(error)?;
        }
        insert_admin_change(&transaction, change).map_err(error)?;
        transaction.commit().map_err(error)
    }

    fn record_admin_change(&mut self, change: &AdminChange) -> Result<(), StoreError> {
        insert_admin_change(&self.connection, change)
            .map(drop)
            .map_err(|error| store_error(&self.location, "record admin change", error))
    }

    fn admin_changes(&mut self, limit: usize) -> Result<Vec<AdminChange>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "read admin changes", error);
        let mut select = self.connection.prepare_cached(SELECT_ADMIN_CHANGES).map_err(error)?;
        let rows = select
            .query_map([read_limit_to_sql(limit)?], |row| {
                Ok(AdminChange {
                    at_ms: row.get(0)?,
                    actor: row.get(1)?,
                    action: row.get(2)?,
                    target: row.get(3)?,
                    detail: row.get(4)?,
                })
            })
            .map_err(error)?;
        rows.collect::<Result<_, _>>().map_err(error)
    }

    fn account(&mut self, name: &str) -> Result<Option<Account>, StoreError> {
        self.select_account(SELECT_ACCOUNT_BY_NAME, name)
    }

    fn account_by_secret(&mut self, secret_hash: &str) -> Result<Option<Account>, StoreError> {
        self.select_account(SELECT_ACCOUNT_BY_SECRET, secret_hash)
    }

    fn has_people(&mut self) -> Result<bool, StoreError> {
        self.connection
            .prepare_cached(COUNT_PEOPLE)
            .and_then(|mut count| count.query_row((), |row| row.get::<_, i64>(0)))
            .map(|people| people > 0)
            .map_err(|error| store_error(&self.location, "count people", error))
    }

    fn start_session(&mut self, id_hash: &str, account: &str, now_ms: i64) -> Result<(), StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "session", error);
        let transaction = self.connection.transaction().map_err(error)?;
        transaction
            .execute(INSERT_SESSION, rusqlite::params![id_hash, account, now_ms])
            .map_err(error)?;
        transaction
            .execute(NOTE_LOGIN, rusqlite::params![now_ms, account])
            .map_err(error)?;
        transaction.commit().map_err(error)
    }

    fn session(&mut self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.connection
            .prepare_cached(SELECT_SESSION)
            .and_then(|mut select| {
                select
                    .query_row([id_hash], |row| {
                        Ok(Session {
                            account: row.get(0)?,
                            started_ms: row.get(1)?,
                            seen_ms: row.get(2)?,
                        })
                    })
                    .optional()
            })
            .map_err(|error| store_error(&self.location, "session", error))
    }

    fn touch_session(&mut self, id_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        self.run_session(TOUCH_SESSION, rusqlite::params![now_ms, id_hash])
            .map(drop)
    }

    fn end_session(&mut self, id_hash: &str) -> Result<(), StoreError> {
        self.run_session(DELETE_SESSION, [id_hash]).map(drop)
    }

    fn end_sessions_of(&mut self, account: &str) -> Result<(), StoreError> {
        self.run_session(DELETE_SESSIONS_OF, [account]).map(drop)
    }

    fn end_stale_sessions(&mut self, idle_before_ms: i64, started_before_ms: i64) -> Result<u64, StoreError> {
        self.run_session(DELETE_STALE_SESSIONS, [idle_before_ms, started_before_ms])
            .map(|ended| ended as u64)
    }

    fn claim_delivery(&mut self, claim: &DeliveryClaim) -> Result<Option<DeliveryClaim>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "claim a delivery", error);
        let (task, attempt) = (seq_to_sql(claim.task)?, i64::from(claim.attempt));
        let claimed = (self.connection.prepare_cached(INSERT_DELIVERY_CLAIM))
            .and_then(|mut insert| insert.execute(rusqlite::params![task, attempt, claim.claimant, claim.claimed_ms]))
            .map_err(error)?;
        if claimed == 1 {
            return Ok(None);
        }
        let (claimant, claimed_ms) = (self.connection.prepare_cached(SELECT_DELIVERY_CLAIM))
            .and_then(|mut select| {
                select.query_row(rusqlite::params![task, attempt], |row| Ok((row.get(0)?, row.get(1)?)))
            })
            .map_err(error)?;
        Ok(Some(DeliveryClaim {
            claimant,
            claimed_ms,
            ..claim.clone()
        }))
    }

    fn put_evidence(&mut self, sha256: &str, media_type: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(INSERT_EVIDENCE)
            .and_then(|mut insert| insert.execute(rusqlite::params![sha256, media_type, bytes]))
            .map_err(|error| store_error(&self.location, "put evidence", error))?;
        Ok(())
    }

    fn evidence(&mut self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.connection
            .prepare_cached(SELECT_EVIDENCE)
            .and_then(|mut select| {
                select
                    .query_row([sha256], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .map_err(|error| store_error(&self.location, "read evidence", error))
    }

    fn setting_or_insert(&mut self, key: &str, default: &str) -> Result<String, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "setting", error);
        self.connection
            .prepare_cached(INSERT_SETTING_IF_ABSENT)
            .and_then(|mut insert| insert.execute([key, default]))
            .map_err(error)?;
        self.connection
            .prepare_cached(SELECT_SETTING)
            .and_then(|mut select| select.query_row([key], |row| row.get(0)))
            .map_err(error)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.connection
            .prepare_cached(SELECT_SETTING)
            .and_then(|mut select| select.query_row([key], |row| row.get(0)).optional())
            .map_err(|error| store_error(&self.location, "setting", error))
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.connection
            .prepare_cached(UPSERT_SETTING)
            .and_then(|mut upsert| upsert.execute([key, value]))
            .map(drop)
            .map_err(|error| store_error(&self.location, "setting", error))
    }
}

/// Inserts a batch in statements of [`SQLITE_INSERT_ROWS_PER_STATEMENT`] rows, then one row at a time,
/// and returns what became of each entry.
impl SqliteStore {
    /// Runs a statement on the session table; the rows it changed.
    fn run_session(&mut self, sql: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
        self.connection
            .prepare_cached(sql)
            .and_then(|mut statement| statement.execute(params))
            .map_err(|error| store_error(&self.location, "session", error))
    }

    fn select_account(&mut self, sql: &str, key: &str) -> Result<Option<Account>, StoreError> {
        let row = self
            .connection
            .prepare_cached(sql)
            .and_then(|mut select| select.query_row([key], account_row).optional())
            .map_err(|error| store_error(&self.location, "read account", error))?;
        row.map(|row| row.into_account(&self.location)).transpose()
    }
}

/// Creates or replaces an account through `connection` (the store's own, or a transaction's).
fn upsert_account(connection: &Connection, account: &Account) -> rusqlite::Result<usize> {
    let row = AccountRow::from_account(account);
    connection.prepare_cached(UPSERT_ACCOUNT)?.execute(rusqlite::params![
        row.name,
        row.kind,
        row.secret_hash,
        row.role,
        row.team,
        row.locations,
        row.created_ms,
        row.email,
        row.disabled_ms
    ])
}

fn insert_admin_change(connection: &Connection, change: &AdminChange) -> rusqlite::Result<usize> {
    connection
        .prepare_cached(INSERT_ADMIN_CHANGE)?
        .execute(rusqlite::params![
            change.at_ms,
            change.actor,
            change.action,
            change.target,
            change.detail
        ])
}

/// Reads a row of the account columns, in the order the account statements select them.
fn account_row(row: &Row<'_>) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        name: row.get(0)?,
        kind: row.get(1)?,
        secret_hash: row.get(2)?,
        role: row.get(3)?,
        team: row.get(4)?,
        locations: row.get(5)?,
        created_ms: row.get(6)?,
        email: row.get(7)?,
        disabled_ms: row.get(8)?,
        last_login_ms: row.get(9)?,
    })
}

fn insert_batch(
    transaction: &Transaction<'_>,
    batch: &[NewEntry<'_>],
    location: &str,
) -> Result<Vec<Option<u64>>, StoreError> {
    let error = |error| store_error(location, "append", error);
    let mut seqs = Vec::with_capacity(batch.len());
    let mut chunks = batch.chunks_exact(SQLITE_INSERT_ROWS_PER_STATEMENT);
    let mut insert_rows = transaction.prepare_cached(&INSERT_ROWS_SQL).map_err(error)?;
    for chunk in &mut chunks {
        insert(transaction, &mut insert_rows, chunk, &mut seqs, location)?;
    }
    let mut insert_row = transaction.prepare_cached(&INSERT_ROW_SQL).map_err(error)?;
    for entry in chunks.remainder() {
        insert(
            transaction,
            &mut insert_row,
            std::slice::from_ref(entry),
            &mut seqs,
            location,
        )?;
    }
    Ok(seqs)
}

/// `INSERT OR IGNORE` of `rows` log entries in one statement.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from("INSERT OR IGNORE INTO log (source, event_id, kind, at_ms, body) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str("(?, ?, ?, ?, ?)");
    }
    sql
}

/// Runs `insert`, a statement made for exactly `entries.len()` rows, and pushes to `seqs` what became of
/// each entry.
fn insert(
    transaction: &Transaction<'_>,
    insert: &mut Statement<'_>,
    entries: &[NewEntry<'_>],
    seqs: &mut Vec<Option<u64>>,
    location: &str,
) -> Result<(), StoreError> {
    let error = |error| store_error(location, "append", error);
    for (row, entry) in entries.iter().enumerate() {
        let columns: [&dyn ToSql; INSERT_COLUMNS] =
            [&entry.source, &entry.event_id, &entry.kind, &entry.at_ms, &entry.body];
        for (column, value) in columns.into_iter().enumerate() {
            // Parameters are numbered from 1.
            let parameter = row * INSERT_COLUMNS + column + 1;
            insert.raw_bind_parameter(parameter, value).map_err(error)?;
        }
    }
    let inserted = insert.raw_execute().map_err(error)?;
    if inserted == 0 {
        seqs.resize(seqs.len() + entries.len(), None);
        return Ok(());
    }
    // The inserted rows took the seqs after the one the log ended at, one each, in batch order.
    let last_seq = seq_from_sql(transaction.last_insert_rowid(), location)?;
    let seq_before = last_seq - inserted as u64;
    if inserted == entries.len() {
        for seq in seq_before + 1..=last_seq {
            seqs.push(Some(seq));
        }
        return Ok(());
    }
    // Some entries were duplicates. The inserted rows are the others, in order, so the next inserted row
    // belongs to the first entry not yet matched that has its key.
    let mut select = transaction.prepare_cached(SELECT_KEYS_AFTER).map_err(error)?;
    let mut inserted_rows = select.query([seq_before]).map_err(error)?;
    let mut next_inserted = inserted_rows.next().map_err(error)?;
    for entry in entries {
        let Some(row) = next_inserted else {
            seqs.push(None);
            continue;
        };
        let source: String = row.get(1).map_err(error)?;
        let event_id: String = row.get(2).map_err(error)?;
        if source != entry.source || event_id != entry.event_id {
            seqs.push(None);
            continue;
        }
        seqs.push(Some(row.get(0).map_err(error)?));
        next_inserted = inserted_rows.next().map_err(error)?;
    }
    Ok(())
}

/// Reads a row of `seq, source, event_id, kind, at_ms, body`.
fn entry_from_row(row: &Row<'_>) -> rusqlite::Result<StoredEntry> {
    Ok(StoredEntry {
        seq: row.get(0)?,
        source: row.get(1)?,
        event_id: row.get(2)?,
        kind: row.get(3)?,
        at_ms: row.get(4)?,
        body: row.get(5)?,
    })
}

/// Turns an SQLite error into a [`StoreError`] by what the caller can do about it.
fn store_error(location: &str, operation: &str, error: rusqlite::Error) -> StoreError {
    let location = location.to_owned();
    let cause = format!("{operation}: {error}");
    match error.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::ReadOnly
            | ErrorCode::OutOfMemory
            | ErrorCode::FileLockingProtocolFailed,
        ) => StoreError::Unavailable { location, cause },
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt {
            location,
            detail: cause,
        },
        Some(ErrorCode::TooBig) => StoreError::Invalid { reason: cause },
        Some(_) => StoreError::Refused { location, cause },
        // rusqlite's own errors: the ones that can reach here come from reading a column whose stored value
        // does not fit the Rust type (a negative seq, a text where an integer belongs).
        None => StoreError::Corrupt {
            location,
            detail: cause,
        },
    }
}
