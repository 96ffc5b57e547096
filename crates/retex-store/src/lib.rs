//! The Retex log and snapshots, on SQLite (one node, the default) and PostgreSQL (many nodes).
//!
//! Everything that changes Retex's state is appended to the log first, under an idempotency key
//! `(source, event_id)`, and the engine applies the log in `seq` order; a restart loads the newest snapshot
//! and replays the entries after it. This crate is that log and those snapshots. The backends store entries as
//! opaque text and snapshots as opaque bytes; only [`LiveEngine`], which hosts the engine on a store (append
//! first, then apply what the log accepted), decodes them.
//!
//! The guarantees every backend gives, checked by one conformance suite (`tests/it`):
//! - `seq` starts at 1 and increases by 1 with every accepted entry, with no gaps, also with concurrent
//!   appenders, and an entry becomes visible only after every entry before it;
//! - an append batch is one transaction: all its new entries are durable when it returns, or none are;
//! - an entry whose `(source, event_id)` is already in the log, or earlier in the same batch, is ignored;
//! - every transaction that appends entries also appends its link of the audit chain (`chain.rs`);
//! - both backends refuse the same requests (see [`APPEND_BATCH_ENTRIES_MAX`], [`READ_LOG_LIMIT_MAX`]).
//!
//! # Layout
//! - `lib.rs`: the entry and snapshot types, the [`Store`] trait, [`open`] and the limits.
//! - `error.rs`: [`StoreError`], the one error type, named for what the caller does next.
//! - `boundary.rs`: the checks a request passes before it reaches a database, and the conversions between
//!   Rust's unsigned numbers and SQL's signed 64-bit integers.
//! - `chain.rs`: the audit chain (a digest per entry, a link per append transaction, chained) and
//!   [`verify_chain`].
//! - `live.rs`: [`LiveEngine`], the engine kept current with a store: append first, then apply; snapshots; the
//!   [`SharedEngine`] readers read meanwhile.
//! - `sqlite.rs`: [`SqliteStore`], one WAL-mode file with `synchronous=FULL`.
//! - `postgres.rs`: [`PostgresStore`], appends serialised by a transaction-scoped advisory lock.
//! - `leadership.rs`: [`Leadership`], which replica leads (on PostgreSQL, the holder of a session advisory lock).
//! - `migrations/{sqlite,postgres}/*.sql`: the schema of each backend, embedded and applied in order at open.
//! - `examples/append_rate.rs`: measures append throughput of either backend.

mod boundary;
mod chain;
mod error;
mod evidence;
pub mod fault;
mod leadership;
mod live;
mod postgres;
mod sqlite;

use std::path::PathBuf;

pub use crate::chain::{
    CHAIN_GENESIS, ChainBatch, ChainHead, ChainLink, ChainVerdict, legacy_batch_hash, verify_chain,
};
pub use crate::error::StoreError;
pub use crate::evidence::{EVIDENCE_BYTES_MAX, check_evidence, sha256_hex};
pub use crate::leadership::{LeaderLock, Leadership};
pub use crate::live::{
    APPLY_CHUNK_INPUTS, AppendSummary, Appender, Applier, Conflict, ImportSummary, IncomingEvent, LiveEngine,
    LiveOptions, PriorCommand, SharedEngine, TICK_KIND, TICK_SOURCE, decode_entry, log_entry,
};
pub use crate::postgres::{PostgresStore, connect_postgres};
pub use crate::sqlite::{SqliteStore, back_up_sqlite, open_sqlite, restore_sqlite};

/// How many snapshots [`Store::save_snapshot`] keeps; older ones are deleted in the same transaction.
pub const SNAPSHOTS_KEPT: usize = 3;
/// The most entries one [`Store::append`] accepts. It bounds the memory and the transaction time of a batch;
/// the ingest path batches 5,000 to 20,000 entries.
pub const APPEND_BATCH_ENTRIES_MAX: usize = 100_000;
/// The largest `limit` [`Store::read_log`] accepts; it bounds the memory one page of replay takes.
pub const READ_LOG_LIMIT_MAX: usize = 100_000;

/// One input to append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewEntry<'a> {
    /// Where the input came from (a till system, the web shop, a person's session, ...); with `event_id`
    /// it forms the idempotency key.
    pub source: &'a str,
    /// The input's id, unique within its `source`.
    pub event_id: &'a str,
    /// The event type (`sale`, `count`, ...), `tick` or a command name.
    pub kind: &'a str,
    /// The event time in Unix milliseconds (UTC).
    pub at_ms: i64,
    /// The original JSON text, stored verbatim.
    pub body: &'a str,
}

/// One log entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// The entry's position: starts at 1 and increases by 1 with every accepted entry, with no gaps.
    pub seq: u64,
    pub source: String,
    pub event_id: String,
    pub kind: String,
    /// The event time in Unix milliseconds (UTC).
    pub at_ms: i64,
    /// The original JSON text, byte for byte as appended.
    pub body: String,
}

/// What [`Store::append`] did with each entry of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendOutcome {
    /// One element per batch entry, in batch order: `Some(seq)` when it was appended, `None` when its
    /// `(source, event_id)` was already in the log or earlier in the same batch (a duplicate, ignored).
    pub seqs: Vec<Option<u64>>,
}

/// An engine snapshot: the engine's state after applying the log up to `seq`, in an encoding the engine owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The last log entry applied to this state.
    pub seq: u64,
    /// The version of the engine's encoding of `bytes`; a snapshot is only loaded by an engine that reads
    /// this version.
    pub format_version: u32,
    /// The engine's hash of the state, kept so a replay can be checked against it.
    pub state_hash: String,
    pub bytes: Vec<u8>,
}

/// The log and snapshots of one Retex deployment, behind one connection.
///
/// Methods take `&mut self` because a connection runs one statement at a time; open one store per thread.
pub trait Store: Send {
    /// Appends the batch in one transaction: either all its new entries are durable when this returns `Ok`,
    /// or none are. Entries get consecutive seqs in batch order; duplicates get `None`.
    fn append(&mut self, batch: &[NewEntry<'_>]) -> Result<AppendOutcome, StoreError>;
    /// Entries with `seq > after_seq`, in seq order, at most `limit` of them.
    fn read_log(&mut self, after_seq: u64, limit: usize) -> Result<Vec<StoredEntry>, StoreError>;
    /// The entry under an idempotency key, if any (used to tell a harmless repeat from a conflicting one).
    fn find_entry(&mut self, source: &str, event_id: &str) -> Result<Option<StoredEntry>, StoreError>;
    /// The audit chain's batches whose first seq is after `after_seq`, in order, at most `limit` of them.
    fn read_batches(&mut self, after_seq: u64, limit: usize) -> Result<Vec<ChainBatch>, StoreError>;
    /// The seq of the newest entry, 0 when the log is empty.
    fn last_seq(&mut self) -> Result<u64, StoreError>;
    /// Stores an engine snapshot taken after applying entries up to `snapshot.seq`, replacing one with the
    /// same seq and format version, and keeps only the newest [`SNAPSHOTS_KEPT`] (highest seq first).
    fn save_snapshot(&mut self, snapshot: &Snapshot) -> Result<(), StoreError>;
    /// The newest snapshot in the given format version; snapshots in other versions are ignored, so an
    /// engine that changed its encoding replays the log instead.
    fn latest_snapshot(&mut self, format_version: u32) -> Result<Option<Snapshot>, StoreError>;
    /// Creates the account, or replaces the one with the same name (its last login stays as it was).
    fn put_account(&mut self, account: &Account) -> Result<(), StoreError>;
    /// Every account, people and tokens, by name.
    fn accounts(&mut self) -> Result<Vec<Account>, StoreError>;
    /// Creates or replaces the account as [`Store::put_account`] does, ends its sessions when `sessions` says
    /// so, and records `change`, all in one transaction: no account changes without its record.
    fn change_account(
        &mut self,
        account: &Account,
        sessions: AccountSessions,
        change: &AdminChange,
    ) -> Result<(), StoreError>;
    /// Records an administrative change that is not an account's (a silence set from the web UI).
    fn record_admin_change(&mut self, change: &AdminChange) -> Result<(), StoreError>;
    /// The newest administrative changes, newest first, at most `limit` of them (up to [`READ_LOG_LIMIT_MAX`]).
    fn admin_changes(&mut self, limit: usize) -> Result<Vec<AdminChange>, StoreError>;
    /// The account with this name.
    fn account(&mut self, name: &str) -> Result<Option<Account>, StoreError>;
    /// Whether any person (not a token) may log in: a store without people takes any name as actor.
    fn has_people(&mut self) -> Result<bool, StoreError>;
    /// The account whose secret hashes to `secret_hash` (API tokens are looked up this way).
    fn account_by_secret(&mut self, secret_hash: &str) -> Result<Option<Account>, StoreError>;
    /// The setting under `key`; when there is none, stores `default` and returns it. Concurrent callers all
    /// get the value that was stored first.
    fn setting_or_insert(&mut self, key: &str, default: &str) -> Result<String, StoreError>;
    /// The setting under `key`, if any.
    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores a setting, replacing the value under `key` (a connector's cursor).
    fn put_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    /// Starts a session of `account`, kept under the hash of its cookie, and notes it as the account's last login.
    fn start_session(&mut self, id_hash: &str, account: &str, now_ms: i64) -> Result<(), StoreError>;
    /// The session kept under this hash, if it has not ended.
    fn session(&mut self, id_hash: &str) -> Result<Option<Session>, StoreError>;
    /// Notes that the session was used at `now_ms`.
    fn touch_session(&mut self, id_hash: &str, now_ms: i64) -> Result<(), StoreError>;
    /// Ends one session (logging out).
    fn end_session(&mut self, id_hash: &str) -> Result<(), StoreError>;
    /// Ends every session of an account (its password was changed).
    fn end_sessions_of(&mut self, account: &str) -> Result<(), StoreError>;
    /// Ends the sessions last used before `idle_before_ms` or started before `started_before_ms`; how many.
    fn end_stale_sessions(&mut self, idle_before_ms: i64, started_before_ms: i64) -> Result<u64, StoreError>;
    /// Claims one attempt at delivering a notification for its claimant: `None` when this call claimed it, the
    /// earlier claim when there was one (then the attempt is not this caller's to send).
    fn claim_delivery(&mut self, claim: &DeliveryClaim) -> Result<Option<DeliveryClaim>, StoreError>;
    /// Keeps an evidence file under its SHA-256 (a file already kept is left as it is).
    fn put_evidence(&mut self, sha256: &str, media_type: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// An evidence file: its media type and bytes.
    fn evidence(&mut self, sha256: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;
}

/// Who may use the server: a person (password) or an API token, with a role and the locations it is limited to
/// (none: all). Only a hash of the secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub kind: AccountKind,
    /// A PHC string (argon2) for a person, the hex SHA-256 of the token for a token.
    pub secret_hash: String,
    pub role: String,
    pub team: Option<String>,
    pub locations: Vec<String>,
    pub created_ms: i64,
    /// Where notifications naming this person are e-mailed.
    pub email: Option<String>,
    /// When an admin disabled it: a disabled person cannot log in, a disabled token is revoked.
    pub disabled_ms: Option<i64>,
    /// When the person last logged in; written by [`Store::start_session`] only.
    pub last_login_ms: Option<i64>,
}

impl Account {
    pub fn is_disabled(&self) -> bool {
        self.disabled_ms.is_some()
    }
}

/// Whether [`Store::change_account`] ends the account's sessions (a new password, a disabled account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSessions {
    Keep,
    End,
}

/// One administrative change, as the admin page lists it: who did what to which account or silence, when.
/// Kept append-only beside the log: accounts are who may append to the log, not what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminChange {
    pub at_ms: i64,
    /// Who made it: a person's account name, or `cli` for the command line.
    pub actor: String,
    /// What was done, e.g. `user added`, `password reset`, `token revoked`.
    pub action: String,
    /// The account name or silence it was done to.
    pub target: String,
    /// The values it set, in words (never a secret).
    pub detail: String,
}

/// A replica's claim to send one attempt of a notification (a task of the outbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryClaim {
    pub task: u64,
    /// How many attempts were reported before this one.
    pub attempt: u32,
    /// The replica that claimed it.
    pub claimant: String,
    pub claimed_ms: i64,
}

/// A person's session: whose it is, when they logged in and when they last used it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub account: String,
    pub started_ms: i64,
    pub seen_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    User,
    Token,
}

impl AccountKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Token => "token",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "user" => Some(Self::User),
            "token" => Some(Self::Token),
            _ => None,
        }
    }
}

/// Account and setting statements, the same text on both backends (`$n` placeholders work on SQLite too).
const UPSERT_ACCOUNT: &str = "INSERT INTO account
        (name, kind, secret_hash, role, team, locations, created_ms, email, disabled_ms)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, secret_hash = excluded.secret_hash,
        role = excluded.role, team = excluded.team, locations = excluded.locations, email = excluded.email,
        disabled_ms = excluded.disabled_ms";
const SELECT_ACCOUNT_BY_NAME: &str = "SELECT name, kind, secret_hash, role, team, locations, created_ms, email,
    disabled_ms, last_login_ms FROM account WHERE name = $1";
const SELECT_ACCOUNT_BY_SECRET: &str = "SELECT name, kind, secret_hash, role, team, locations, created_ms, email,
    disabled_ms, last_login_ms FROM account WHERE secret_hash = $1";
const SELECT_ACCOUNTS: &str = "SELECT name, kind, secret_hash, role, team, locations, created_ms, email,
    disabled_ms, last_login_ms FROM account ORDER BY name";
const NOTE_LOGIN: &str = "UPDATE account SET last_login_ms = $1 WHERE name = $2";
const INSERT_ADMIN_CHANGE: &str =
    "INSERT INTO admin_change (at_ms, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)";
const SELECT_ADMIN_CHANGES: &str =
    "SELECT at_ms, actor, action, target, detail FROM admin_change ORDER BY id DESC LIMIT $1";
const COUNT_PEOPLE: &str = "SELECT COUNT(*) FROM account WHERE kind = 'user'";
const INSERT_SETTING_IF_ABSENT: &str = "INSERT INTO setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
const SELECT_SETTING: &str = "SELECT value FROM setting WHERE key = $1";
const UPSERT_SETTING: &str =
    "INSERT INTO setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
const INSERT_EVIDENCE: &str =
    "INSERT INTO evidence (sha256, media_type, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING";
const SELECT_EVIDENCE: &str = "SELECT media_type, bytes FROM evidence WHERE sha256 = $1";
const INSERT_DELIVERY_CLAIM: &str = "INSERT INTO delivery_claim (task, attempt, claimant, claimed_ms)
    VALUES ($1, $2, $3, $4) ON CONFLICT (task, attempt) DO NOTHING";
const SELECT_DELIVERY_CLAIM: &str = "SELECT claimant, claimed_ms FROM delivery_claim WHERE task = $1 AND attempt = $2";
const INSERT_SESSION: &str = "INSERT INTO session (id_hash, account, started_ms, seen_ms) VALUES ($1, $2, $3, $3)";
const SELECT_SESSION: &str = "SELECT account, started_ms, seen_ms FROM session WHERE id_hash = $1";
// SQLite numbers `$n` parameters in the order they appear: keep them in order.
const TOUCH_SESSION: &str = "UPDATE session SET seen_ms = $1 WHERE id_hash = $2";
const DELETE_SESSION: &str = "DELETE FROM session WHERE id_hash = $1";
const DELETE_SESSIONS_OF: &str = "DELETE FROM session WHERE account = $1";
const DELETE_STALE_SESSIONS: &str = "DELETE FROM session WHERE seen_ms < $1 OR started_ms < $2";

/// The columns of an `account` row as both backends store them: locations are joined by commas.
struct AccountRow {
    name: String,
    kind: String,
    secret_hash: String,
    role: String,
    team: Option<String>,
    locations: String,
    created_ms: i64,
    email: Option<String>,
    disabled_ms: Option<i64>,
    last_login_ms: Option<i64>,
}

impl AccountRow {
    fn from_account(account: &Account) -> Self {
        Self {
            name: account.name.clone(),
            kind: account.kind.name().to_owned(),
            secret_hash: account.secret_hash.clone(),
            role: account.role.clone(),
            team: account.team.clone(),
            locations: account.locations.join(","),
            created_ms: account.created_ms,
            email: account.email.clone(),
            disabled_ms: account.disabled_ms,
            last_login_ms: account.last_login_ms,
        }
    }

    fn into_account(self, location: &str) -> Result<Account, StoreError> {
        let kind = AccountKind::from_name(&self.kind).ok_or_else(|| StoreError::Corrupt {
            location: location.to_owned(),
            detail: format!("account {:?} has unknown kind {:?}", self.name, self.kind),
        })?;
        let locations = self
            .locations
            .split(',')
            .filter(|code| !code.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Account {
            name: self.name,
            kind,
            secret_hash: self.secret_hash,
            role: self.role,
            team: self.team,
            locations,
            created_ms: self.created_ms,
            email: self.email,
            disabled_ms: self.disabled_ms,
            last_login_ms: self.last_login_ms,
        })
    }
}

/// Where a store lives, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// An SQLite database file, created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/database`); the database must exist.
    Postgres(String),
}

/// Opens the store at `location`, creating its schema or bringing it up to date.
pub fn open(location: &StoreLocation) -> Result<Box<dyn Store>, StoreError> {
    match location {
        StoreLocation::Sqlite(path) => Ok(Box::new(open_sqlite(path)?)),
        StoreLocation::Postgres(url) => Ok(Box::new(connect_postgres(url)?)),
    }
}

/// One schema migration: its version is its position in the backend's list, counted from 1.
struct Migration {
    /// The file name, recorded so an operator can see what was applied.
    name: &'static str,
    sql: &'static str,
}

/// How many migrations a database has applied, from the schema version it records: refused when negative
/// (corrupt) or newer than this build knows.
fn applied_migrations(found: i64, supported: usize, location: &str) -> Result<usize, StoreError> {
    let Ok(applied) = usize::try_from(found) else {
        return Err(StoreError::Corrupt {
            location: location.to_owned(),
            detail: format!("schema version {found} is negative"),
        });
    };
    if applied > supported {
        return Err(StoreError::Incompatible {
            location: location.to_owned(),
            found: applied as u64,
            supported: supported as u64,
        });
    }
    Ok(applied)
}

/// A backend's migrations from its folder under `migrations/`, in order: `migrations!("sqlite": "0001_log.sql", ...)`.
macro_rules! migrations {
    ($backend:literal: $($file:literal),+ $(,)?) => {
        &[$(crate::Migration {
            name: $file,
            sql: include_str!(concat!("../migrations/", $backend, "/", $file)),
        }),+]
    };
}
pub(crate) use migrations;
