//! [`PostgresStore`]: the log and snapshots in PostgreSQL, for deployments where many `retex serve` replicas
//! append to one log.
//!
//! Appenders on different connections must still produce one gap-free, ordered seq. A SEQUENCE cannot give
//! that (a rolled-back transaction burns its numbers, and numbers commit out of order), so every append takes
//! the transaction-scoped advisory lock [`APPEND_LOCK_KEY`], reads max(seq) and numbers its new entries from
//! there. The lock is held until commit, and a commit is visible before the lock is released, so the next
//! appender always sees every earlier entry, and a reader never sees seq N+1 without N.
//!
//! A batch travels as arrays: one statement finds which of its keys are already in the log, the client drops
//! those and repeats inside the batch, and one `INSERT ... SELECT FROM unnest(...)` writes the rest. The
//! statements are prepared once per connection. A connection that breaks stays broken: every call then fails
//! as [`StoreError::Unavailable`], and the caller connects again.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config, GenericClient, IsolationLevel, NoTls, Row, Statement, Transaction};

use crate::boundary::{check_append_batch, format_version_from_sql, read_limit_to_sql, seq_from_sql, seq_to_sql};
use crate::chain::{CHAIN_GENESIS, ChainBatch, ChainLink, link_batch};
use crate::{
    Account, AccountRow, AccountSessions, AdminChange, AppendOutcome, COUNT_PEOPLE, DELETE_SESSION, DELETE_SESSIONS_OF,
    DELETE_STALE_SESSIONS, DeliveryClaim, INSERT_ADMIN_CHANGE, INSERT_DELIVERY_CLAIM, INSERT_EVIDENCE, INSERT_SESSION,
    INSERT_SETTING_IF_ABSENT, Migration, NOTE_LOGIN, NewEntry, SELECT_ACCOUNT_BY_NAME, SELECT_ACCOUNT_BY_SECRET,
    SELECT_ACCOUNTS, SELECT_ADMIN_CHANGES, SELECT_DELIVERY_CLAIM, SELECT_EVIDENCE, SELECT_SESSION, SELECT_SETTING,
    SNAPSHOTS_KEPT, Session, Snapshot, Store, StoreError, StoredEntry, TOUCH_SESSION, UPSERT_ACCOUNT, UPSERT_SETTING,
    applied_migrations, migrations,
};

/// The advisory lock that serialises appends ("RETEXLOG" in ASCII). Other Retex locks (migrations, the
/// engine leader) use other keys.
const APPEND_LOCK_KEY: i64 = 0x5245_5445_584c_4f47;
/// The advisory lock that serialises migrations when replicas start together ("RETEXMIG" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x5245_5445_584d_4947;
/// How long connecting may take when the URL does not say (`connect_timeout`).
const POSTGRES_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The port PostgreSQL listens on when the URL does not say.
const POSTGRES_DEFAULT_PORT: u16 = 5432;

const MIGRATIONS: &[Migration] = migrations!("postgres":
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

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS retex_schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)";
const TAKE_LOCK: &str = "SELECT pg_advisory_xact_lock($1)";
const SELECT_SCHEMA_VERSION: &str = "SELECT COALESCE(MAX(version), 0) FROM retex_schema_migrations";
const RECORD_MIGRATION: &str = "INSERT INTO retex_schema_migrations (version, name) VALUES ($1, $2)";

const SELECT_LAST_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) FROM log";
const SELECT_LAST_BATCH_HASH: &str = "SELECT hash FROM log_batch ORDER BY last_seq DESC LIMIT 1";
const INSERT_BATCH: &str = "INSERT INTO log_batch (last_seq, first_seq, hash, entry_digests) VALUES ($1, $2, $3, $4)";
const SELECT_BATCHES_AFTER: &str =
    "SELECT first_seq, last_seq, hash, entry_digests FROM log_batch WHERE first_seq > $1 ORDER BY first_seq LIMIT $2";
/// The 1-based positions of the batch keys that are already in the log.
const SELECT_PRESENT_ORDINALS: &str = "SELECT key.ordinal
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS key(source, event_id, ordinal)
     JOIN log ON log.source = key.source AND log.event_id = key.event_id";
/// No ON CONFLICT: under the append lock nothing else inserts, so a conflict is a bug and must fail the batch
/// rather than leave a gap.
const INSERT_ENTRIES: &str = "INSERT INTO log (seq, source, event_id, kind, at_ms, body)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])";
const SELECT_ENTRIES_AFTER: &str = "SELECT seq, source, event_id, kind, at_ms, body FROM log
     WHERE seq > $1 ORDER BY seq LIMIT $2";
const SELECT_ENTRY_BY_KEY: &str = "SELECT seq, source, event_id, kind, at_ms, body FROM log
     WHERE source = $1 AND event_id = $2";
const UPSERT_SNAPSHOT: &str = "INSERT INTO snapshot (seq, format_version, state_hash, bytes)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (seq, format_version) DO UPDATE SET state_hash = excluded.state_hash, bytes = excluded.bytes";
const DELETE_OLD_SNAPSHOTS: &str = "DELETE FROM snapshot WHERE (seq, format_version) NOT IN
     (SELECT seq, format_version FROM snapshot ORDER BY seq DESC, format_version DESC LIMIT $1)";
const SELECT_LATEST_SNAPSHOT: &str = "SELECT seq, format_version, state_hash, bytes FROM snapshot
     WHERE format_version = $1 ORDER BY seq DESC LIMIT 1";

/// A store in a PostgreSQL database, through one connection.
pub struct PostgresStore {
    client: Client,
    /// `host:port/database`, for error messages; never the password.
    location: String,
    statements: Statements,
}

/// The statements of the hot paths, prepared once per connection.
struct Statements {
    take_lock: Statement,
    last_seq: Statement,
    present_ordinals: Statement,
    insert_entries: Statement,
    entries_after: Statement,
    entry_by_key: Statement,
}

/// Connects to the PostgreSQL database at `url` (`postgres://user@host:port/database`, no TLS) and brings its
/// schema up to date. The database must exist.
pub fn connect_postgres(url: &str) -> Result<PostgresStore, StoreError> {
    let config = parse_url(url)?;
    let location = describe_location(&config);
    let mut client = config.connect(NoTls).map_err(|error| StoreError::Unavailable {
        location: location.clone(),
        cause: format!("connect: {}", error_chain(&error)),
    })?;
    migrate(&mut client, &location)?;
    let statements = Statements::prepare(&mut client).map_err(|error| store_error(&location, "prepare", &error))?;
    Ok(PostgresStore {
        client,
        location,
        statements,
    })
}

pub(crate) fn parse_url(url: &str) -> Result<Config, StoreError> {
    let mut config: Config = url.parse().map_err(|error| StoreError::Invalid {
        reason: format!("postgres url is not valid: {error}"),
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(POSTGRES_CONNECT_TIMEOUT);
    }
    Ok(config)
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
        Ok(Statements {
            take_lock: client.prepare(TAKE_LOCK)?,
            last_seq: client.prepare(SELECT_LAST_SEQ)?,
            present_ordinals: client.prepare(SELECT_PRESENT_ORDINALS)?,
            insert_entries: client.prepare(INSERT_ENTRIES)?,
            entries_after: client.prepare(SELECT_ENTRIES_AFTER)?,
            entry_by_key: client.prepare(SELECT_ENTRY_BY_KEY)?,
        })
    }
}

/// Applies the migrations the database has not seen, all in one transaction, under [`MIGRATION_LOCK_KEY`] so
/// that replicas starting together apply each migration once.
fn migrate(client: &mut Client, location: &str) -> Result<(), StoreError> {
    let error = |error| store_error(location, "migrate", &error);
    let mut transaction = client.transaction().map_err(error)?;
    transaction.execute(TAKE_LOCK, &[&MIGRATION_LOCK_KEY]).map_err(error)?;
    transaction.batch_execute(CREATE_MIGRATIONS_TABLE).map_err(error)?;
    let found: i64 = transaction
        .query_one(SELECT_SCHEMA_VERSION, &[])
        .and_then(|row| row.try_get(0))
        .map_err(error)?;
    let applied = applied_migrations(found, MIGRATIONS.len(), location)?;
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        let operation = format!("migrate {}", migration.name);
        transaction
            .batch_execute(migration.sql)
            .map_err(|error| store_error(location, &operation, &error))?;
        let version = (index + 1) as i64;
        transaction
            .execute(RECORD_MIGRATION, &[&version, &migration.name])
            .map_err(error)?;
    }
    transaction.commit().map_err(error)
}

impl Store for PostgresStore {
    fn append(&mut self, batch: &[NewEntry<'_>]) -> Result<AppendOutcome, StoreError> {
        check_append_batch(batch)?;
        let location = &self.location;
        let statements = &self.statements;
        let error = |error| store_error(location, "append", &error);
        // READ COMMITTED whatever the server's default: each statement must see what the previous holder of
        // the append lock committed.
        let mut transaction = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .map_err(error)?;
        transaction
            .execute(&statements.take_lock, &[&APPEND_LOCK_KEY])
            .map_err(error)?;
        let last_seq: i64 = transaction
            .query_one(&statements.last_seq, &[])
            .and_then(|row| row.try_get(0))
            .map_err(error)?;

        let present = present_in_log(&mut transaction, statements, batch).map_err(error)?;

        let mut new_entries = NewColumns::with_capacity(batch.len());
        let mut keys_in_batch = HashSet::with_capacity(batch.len());
        let mut seqs = Vec::with_capacity(batch.len());
        for (entry, already_in_log) in batch.iter().zip(present) {
            if already_in_log || !keys_in_batch.insert((entry.source, entry.event_id)) {
                seqs.push(None);
                continue;
            }
            let seq = last_seq + 1 + new_entries.seqs.len() as i64;
            new_entries.push(seq, entry);
            seqs.push(Some(seq_from_sql(seq, location)?));
        }
        if !new_entries.seqs.is_empty() {
            new_entries
                .insert(&mut transaction, &statements.insert_entries)
                .map_err(error)?;
            let links: Vec<ChainLink> = batch
                .iter()
                .zip(&seqs)
                .filter_map(|(entry, seq)| seq.map(|seq| ChainLink::new_entry(seq, entry)))
                .collect();
            let (first, last) = (links[0].seq, links[links.len() - 1].seq);
            let previous: Option<String> = transaction
                .query_opt(SELECT_LAST_BATCH_HASH, &[])
                .map_err(error)?
                .map(|row| row.get(0));
            let link = link_batch(previous.as_deref().unwrap_or(CHAIN_GENESIS), links.into_iter());
            let row: [&(dyn postgres::types::ToSql + Sync); 4] =
                [&seq_to_sql(last)?, &seq_to_sql(first)?, &link.hash, &link.entry_digests];
            transaction.execute(INSERT_BATCH, &row).map_err(error)?;
        }
        crate::fault::before_commit(seqs.iter().flatten().count());
        transaction.commit().map_err(error)?;
        Ok(AppendOutcome { seqs })
    }

    fn read_log(&mut self, after_seq: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError> {
        let after_seq = seq_to_sql(after_seq)?;
        let limit = read_limit_to_sql(limit)?;
        let rows = self
            .client
            .query(&self.statements.entries_after, &[&after_seq, &limit])
            .map_err(|error| store_error(&self.location, "read log", &error))?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            entries.push(entry_from_row(row, &self.location)?);
        }
        Ok(entries)
    }

    fn read_batches(&mut self, after_seq: u64, limit: usize) -> Result<Vec<ChainBatch>, StoreError> {
        let (after_seq, limit) = (seq_to_sql(after_seq)?, read_limit_to_sql(limit)?);
        let rows = self
            .client
            .query(SELECT_BATCHES_AFTER, &[&after_seq, &limit])
            .map_err(|error| store_error(&self.location, "read chain", &error))?;
        let mut batches = Vec::with_capacity(rows.len());
        for row in &rows {
            let read = |error| store_error(&self.location, "read chain", &error);
            batches.push(ChainBatch {
                first_seq: seq_from_sql(row.try_get(0).map_err(read)?, &self.location)?,
                last_seq: seq_from_sql(row.try_get(1).map_err(read)?, &self.location)?,
                hash: row.try_get(2).map_err(read)?,
                entry_digests: row.try_get(3).map_err(read)?,
            });
        }
        Ok(batches)
    }

    fn find_entry(&mut self, source: &str, event_id: &str) -> Result<Option<StoredEntry>, StoreError> {
        let row = self
            .client
            .query_opt(&self.statements.entry_by_key, &[&source, &event_id])
            .map_err(|error| store_error(&self.location, "find entry", &error))?;
        match row {
            Some(row) => Ok(Some(entry_from_row(&row, &self.location)?)),
            None => Ok(None),
        }
    }

    fn last_seq(&mut self) -> Result<u64, StoreError> {
        let last_seq: i64 = self
            .client
            .query_one(&self.statements.last_seq, &[])
            .and_then(|row| row.try_get(0))
            .map_err(|error| store_error(&self.location, "last seq", &error))?;
        seq_from_sql(last_seq, &self.location)
    }

    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let seq = seq_to_sql(snapshot.seq)?;
        let format_version = i64::from(snapshot.format_version);
        let kept = SNAPSHOTS_KEPT as i64;
        let location = &self.location;
        let error = |error| store_error(location, "save snapshot", &error);
        let mut transaction = self.client.transaction().map_err(error)?;
        transaction
            .execute(
                UPSERT_SNAPSHOT,
                &[&seq, &format_version, &snapshot.state_hash, &snapshot.bytes],
            )
            .map_err(error)?;
        transaction.execute(DELETE_OLD_SNAPSHOTS, &[&kept]).map_err(error)?;
        transaction.commit().map_err(error)
    }

    fn latest_snapshot(&mut self, format_version: u32) -> Result<Option<Snapshot>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "latest snapshot", &error);
        let Some(row) = self
            .client
            .query_opt(SELECT_LATEST_SNAPSHOT, &[&i64::from(format_version)])
            .map_err(error)?
        else {
            return Ok(None);
        };
        let seq: i64 = row.try_get(0).map_err(error)?;
        let stored_format_version: i64 = row.try_get(1).map_err(error)?;
        Ok(Some(Snapshot {
            seq: seq_from_sql(seq, location)?,
            format_version: format_version_from_sql(stored_format_version, location)?,
            state_hash: row.try_get(2).map_err(error)?,
            bytes: row.try_get(3).map_err(error)?,
        }))
    }

    fn put_account(&mut self, account: &Account) -> Result<(), StoreError> {
        upsert_account(&mut self.client, account)
            .map(drop)
            .map_err(|error| store_error(&self.location, "put account", &error))
    }

    fn accounts(&mut self) -> Result<Vec<Account>, StoreError> {
        let location = &self.location;
        let rows = self
            .client
            .query(SELECT_ACCOUNTS, &[])
            .map_err(|error| store_error(location, "list accounts", &error))?;
        let mut accounts = Vec::with_capacity(rows.len());
        for row in &rows {
            accounts.push(account_from_row(row, location)?);
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
        let error = |error| store_error(location, "change account", &error);
        let mut transaction = self.client.transaction().map_err(error)?;
        upsert_account(&mut transaction, account).map_err(error)?;
        if sessions == AccountSessions::End {
            transaction
                .execute(DELETE_SESSIONS_OF, &[&account.name])
                .map_err(error)?;
        }
        insert_admin_change(&mut transaction, change).map_err(error)?;
        transaction.commit().map_err(error)
    }

    fn record_admin_change(&mut self, change: &AdminChange) -> Result<(), StoreError> {
        insert_admin_change(&mut self.client, change)
            .map(drop)
            .map_err(|error| store_error(&self.location, "record admin change", &error))
    }

    fn admin_changes(&mut self, limit: usize) -> Result<Vec<AdminChange>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "read admin changes", &error);
        let rows = self
            .client
            .query(SELECT_ADMIN_CHANGES, &[&read_limit_to_sql(limit)?])
            .map_err(error)?;
        let mut changes = Vec::with_capacity(rows.len());
        for row in &rows {
            changes.push(AdminChange {
                at_ms: row.try_get(0).map_err(error)?,
                actor: row.try_get(1).map_err(error)?,
                action: row.try_get(2).map_err(error)?,
                target: row.try_get(3).map_err(error)?,
                detail: row.try_get(4).map_err(error)?,
            });
        }
        Ok(changes)
    }

    fn account(&mut self, name: &str) -> Result<Option<Account>, StoreError> {
        self.select_account(SELECT_ACCOUNT_BY_NAME, name)
    }

    fn account_by_secret(&mut self, secret_hash: &str) -> Result<Option<Account>, StoreError> {
        self.select_account(SELECT_ACCOUNT_BY_SECRET, secret_hash)
    }

    fn has_people(&mut self) -> Result<bool, StoreError> {
        let location = &self.location;
        let people: i64 = self
            .client
            .query_one(COUNT_PEOPLE, &[])
            .and_then(|row| row.try_get(0))
            .map_err(|error| store_error(location, "count people", &error))?;
        Ok(people > 0)
    }

    fn start_session(&mut self, id_hash: &str, account: &str, now_ms: i64) -> Result<(), StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "session", &error);
        let mut transaction = self.client.transaction().map_err(error)?;
        transaction
            .execute(INSERT_SESSION, &[&id_hash, &account, &now_ms])
            .map_err(error)?;
        transaction.execute(NOTE_LOGIN, &[&now_ms, &account]).map_err(error)?;
        transaction.commit().map_err(error)
    }

    fn session(&mut self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "session", &error);
        let Some(row) = self.client.query_opt(SELECT_SESSION, &[&id_hash]).map_err(error)? else {
            return Ok(None);
        };
        Ok(Some(Session {
            account: row.try_get(0).map_err(error)?,
            started_ms: row.try_get(1).map_err(error)?,
            seen_ms: row.try_get(2).map_err(error)?,
        }))
    }

    fn touch_session(&mut self, id_hash: &str, now_ms: i64) -> Result<(), StoreError> {
        self.run_session(TOUCH_SESSION, &[&now_ms, &id_hash]).map(drop)
    }

    fn end_session(&mut self, id_hash: &str) -> Result<(), StoreError> {
        self.run_session(DELETE_SESSION, &[&id_hash]).map(drop)
    }

    fn end_sessions_of(&mut self, account: &str) -> Result<(), StoreError> {
        self.run_session(DELETE_SESSIONS_OF, &[&account]).map(drop)
    }

    fn end_stale_sessions(&mut self, idle_before_ms: i64, started_before_ms: i64) -> Result<u64, StoreError> {
        self.run_session(DELETE_STALE_SESSIONS, &[&idle_before_ms, &started_before_ms])
    }

    fn claim_delivery(&mut self, claim: &DeliveryClaim) -> Result<Option<DeliveryClaim>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "claim a delivery", &error);
        let (task, attempt) = (seq_to_sql(claim.task)?, i64::from(claim.attempt));
        let claimed = (self.client)
            .execute(
                INSERT_DELIVERY_CLAIM,
                &[&task, &attempt, &claim.claimant, &claim.claimed_ms],
            )
            .map_err(error)?;
        if claimed == 1 {
            return Ok(None);
        }
        let row = (self.client)
            .query_one(SELECT_DELIVERY_CLAIM, &[&task, &attempt])
            .map_err(error)?;
        Ok(Some(DeliveryClaim {
            claimant: row.get(0),
            claimed_ms: row.get(1),
            ..claim.clone()
        }))
    }

    fn put_evidence(&mut self, sha256: &str, media_type: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.client
            .execute(INSERT_EVIDENCE, &[&sha256, &media_type, &bytes])
            .map_err(|error| store_error(&self.location, "put evidence", &error))?;
        Ok(())
    }

    fn evidence(&mut self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "read evidence", &error);
        let Some(row) = self.client.query_opt(SELECT_EVIDENCE, &[&sha256]).map_err(error)? else {
            return Ok(None);
        };
        Ok(Some((row.try_get(0).map_err(error)?, row.try_get(1).map_err(error)?)))
    }

    fn setting_or_insert(&mut self, key: &str, default: &str) -> Result<String, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "setting", &error);
        self.client
            .execute(INSERT_SETTING_IF_ABSENT, &[&key, &default])
            .map_err(error)?;
        let row = self.client.query_one(SELECT_SETTING, &[&key]).map_err(error)?;
        row.try_get(0).map_err(error)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let location = &self.location;
        let error = |error| store_error(location, "setting", &error);
        let row = self.client.query_opt(SELECT_SETTING, &[&key]).map_err(error)?;
        row.map(|row| row.try_get(0)).transpose().map_err(error)
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        let location = &self.location;
        self.client
            .execute(UPSERT_SETTING, &[&key, &value])
            .map(drop)
            .map_err(|error| store_error(location, "setting", &error))
    }
}

impl PostgresStore {
    /// Runs a statement on the session table; the rows it changed.
    fn run_session(&mut self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<u64, StoreError> {
        self.client
            .execute(sql, params)
            .map_err(|error| store_error(&self.location, "session", &error))
    }

    fn select_account(&mut self, sql: &str, key: &str) -> Result<Option<Account>, StoreError> {
        let location = &self.location;
        let row = self
            .client
            .query_opt(sql, &[&key])
            .map_err(|error| store_error(location, "read account", &error))?;
        row.map(|row| account_from_row(&row, location)).transpose()
    }
}

/// Creates or replaces an account through `client` (the store's own, or a transaction).
fn upsert_account(client: &mut impl GenericClient, account: &Account) -> Result<u64, postgres::Error> {
    let row = AccountRow::from_account(account);
    client.execute(
        UPSERT_ACCOUNT,
        &[
            &row.name,
            &row.kind,
            &row.secret_hash,
            &row.role,
            &row.team,
            &row.locations,
            &row.created_ms,
            &row.email,
            &row.disabled_ms,
        ],
    )
}

fn insert_admin_change(client: &mut impl GenericClient, change: &AdminChange) -> Result<u64, postgres::Error> {
    client.execute(
        INSERT_ADMIN_CHANGE,
        &[
            &change.at_ms,
            &change.actor,
            &change.action,
            &change.target,
            &change.detail,
        ],
    )
}

/// Reads a row of the account columns, in the order the account statements select them.
fn account_from_row(row: &Row, location: &str) -> Result<Account, StoreError> {
    let error = |error| store_error(location, "read account", &error);
    let account = AccountRow {
        name: row.try_get(0).map_err(error)?,
        kind: row.try_get(1).map_err(error)?,
        secret_hash: row.try_get(2).map_err(error)?,
        role: row.try_get(3).map_err(error)?,
        team: row.try_get(4).map_err(error)?,
        locations: row.try_get(5).map_err(error)?,
        created_ms: row.try_get(6).map_err(error)?,
        email: row.try_get(7).map_err(error)?,
        disabled_ms: row.try_get(8).map_err(error)?,
        last_login_ms: row.try_get(9).map_err(error)?,
    };
    account.into_account(location)
}

/// For each entry of the batch, whether its key is already in the log.
fn present_in_log(
    transaction: &mut Transaction<'_>,
    statements: &Statements,
    batch: &[NewEntry<'_>],
) -> Result<Vec<bool>, postgres::Error> {
    let mut sources = Vec::with_capacity(batch.len());
    let mut event_ids = Vec::with_capacity(batch.len());
    for entry in batch {
        sources.push(entry.source);
        event_ids.push(entry.event_id);
    }
    let mut present = vec![false; batch.len()];
    for row in transaction.query(&statements.present_ordinals, &[&sources, &event_ids])? {
        let ordinal: i64 = row.try_get(0)?;
        let index = usize::try_from(ordinal - 1).expect("unnest ordinals start at 1");
        present[index] = true;
    }
    Ok(present)
}

/// The entries of one append that are new, column by column, as `INSERT_ENTRIES` takes them.
struct NewColumns<'a> {
    seqs: Vec<i64>,
    sources: Vec<&'a str>,
    event_ids: Vec<&'a str>,
    kinds: Vec<&'a str>,
    at_ms: Vec<i64>,
    bodies: Vec<&'a str>,
}

impl<'a> NewColumns<'a> {
    fn with_capacity(capacity: usize) -> NewColumns<'a> {
        NewColumns {
            seqs: Vec::with_capacity(capacity),
            sources: Vec::with_capacity(capacity),
            event_ids: Vec::with_capacity(capacity),
            kinds: Vec::with_capacity(capacity),
            at_ms: Vec::with_capacity(capacity),
            bodies: Vec::with_capacity(capacity),
        }
    }

    fn insert(&self, transaction: &mut Transaction<'_>, insert_entries: &Statement) -> Result<u64, postgres::Error> {
        transaction.execute(
            insert_entries,
            &[
                &self.seqs,
                &self.sources,
                &self.event_ids,
                &self.kinds,
                &self.at_ms,
                &self.bodies,
            ],
        )
    }

    fn push(&mut self, seq: i64, entry: &NewEntry<'a>) {
        self.seqs.push(seq);
        self.sources.push(entry.source);
        self.event_ids.push(entry.event_id);
        self.kinds.push(entry.kind);
        self.at_ms.push(entry.at_ms);
        self.bodies.push(entry.body);
    }
}

/// Reads a row of `seq, source, event_id, kind, at_ms, body`.
fn entry_from_row(row: &Row, location: &str) -> Result<StoredEntry, StoreError> {
    let error = |error| store_error(location, "read entry", &error);
    let seq: i64 = row.try_get(0).map_err(error)?;
    Ok(StoredEntry {
        seq: seq_from_sql(seq, location)?,
        source: row.try_get(1).map_err(error)?,
        event_id: row.try_get(2).map_err(error)?,
        kind: row.try_get(3).map_err(error)?,
        at_ms: row.try_get(4).map_err(error)?,
        body: row.try_get(5).map_err(error)?,
    })
}

/// `host:port/database` for every host of the configuration; the password is left out.
fn describe_location(config: &Config) -> String {
    let ports = config.get_ports();
    let mut location = String::new();
    for (index, host) in config.get_hosts().iter().enumerate() {
        if index > 0 {
            location.push(',');
        }
        let port = ports
            .get(index)
            .or(ports.first())
            .copied()
            .unwrap_or(POSTGRES_DEFAULT_PORT);
        match host {
            Host::Tcp(name) => write!(location, "{name}:{port}"),
            Host::Unix(directory) => write!(location, "{}:{port}", directory.display()),
        }
        .expect("writing to a String cannot fail");
    }
    if location.is_empty() {
        location.push_str("localhost");
    }
    if let Some(dbname) = config.get_dbname() {
        location.push('/');
        location.push_str(dbname);
    }
    location
}

/// Turns a PostgreSQL error into a [`StoreError`] by what the caller can do about it, from its SQLSTATE class.
fn store_error(location: &str, operation: &str, error: &postgres::Error) -> StoreError {
    let location = location.to_owned();
    let cause = format!("{operation}: {}", error_chain(error));
    // No SQLSTATE: the client failed to talk to the server (I/O, closed connection, protocol).
    let Some(state) = error.code() else {
        return StoreError::Unavailable { location, cause };
    };
    let code = state.code();
    let class = code.get(..2).unwrap_or(code);
    // connection exception, transaction rollback (serialisation failure, deadlock), insufficient resources,
    // operator intervention (shutdown), system error (I/O), lock not available
    if matches!(class, "08" | "40" | "53" | "57" | "58") || code == "55P03" {
        return StoreError::Unavailable { location, cause };
    }
    // data corrupted, index corrupted
    if matches!(code, "XX001" | "XX002") {
        return StoreError::Corrupt {
            location,
            detail: cause,
        };
    }
    // data exception (a value out of range, a bad encoding), program limit exceeded
    if matches!(class, "22" | "54") {
        return StoreError::Invalid { reason: cause };
    }
    StoreError::Refused { location, cause }
}

/// The error and its causes, `: `-separated; the client's own message alone is often just "db error".
fn error_chain(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_location_names_host_port_and_database_but_not_the_password() {
        let config: Config = "postgres://retex:hunter2@db.example:6543/retex".parse().unwrap();
        assert_eq!(describe_location(&config), "db.example:6543/retex");
        let config: Config = "postgres://db.example".parse().unwrap();
        assert_eq!(describe_location(&config), "db.example:5432");
    }
}
