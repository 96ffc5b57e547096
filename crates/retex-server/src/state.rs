//! The server's shared state and the operations both the API and the web UI perform: ingest events, run a
//! workflow command, merge or split an incident, record a receipt or a count from the shop floor. Each checks who
//! asks before it touches the log, and each goes through the log, so a restart replays it like everything else.
//!
//! Reads and writes go different ways. Requests that read see the engine as the [`SharedEngine`] publishes it and
//! never wait for the log's I/O; writes (one writer, by design) take turns on the write path, and concurrent
//! ingest requests share its transactions ([`GroupCommit`]). Work on either runs on tokio's blocking pool so a long
//! batch never stalls the async workers. Accounts, and the reads of the log itself, use a second connection.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use chrono::{DateTime, FixedOffset, Utc};
use retex_core::codes::Timestamp;
use retex_core::command::{
    Action, Command, IncidentAction, IncidentCommand, Silence, SilenceEnd, keyed_command_id, keyed_incident_command_id,
};
use retex_core::engine::{Engine, Refusal};
use retex_core::event::Event;
use retex_core::receive::FutureEvents;
use retex_core::wire::parse_event;
use retex_store::{
    Account, IncomingEvent, Leadership, LiveEngine, PriorCommand, SharedEngine, Store, check_evidence, sha256_hex,
};
use tokio::sync::Semaphore;

use crate::auth::{
    LoginLimiter, Principal, SESSION_IDLE, SESSION_MAX, SESSION_TOUCH_EVERY, SessionKeys, new_session, token_hash,
};
use crate::error::{Failure, FailureKind, Outcome};
use crate::group_commit::{GROUP_EVENTS_MAX, GroupCommit};
use crate::ingest_body::{IngestReport, LineConflict, parse_body};
use crate::metrics::Metrics;
use crate::scope::{require_act, require_location, require_whole_incident, visible_exception};

/// Where "now" comes from for commands and KPIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockMode {
    /// The wall clock; the engine is ticked to it so deadlines fire between events.
    Wall,
    /// The engine's own clock (the newest event time): a replayed or simulated history reads as it was then.
    Engine,
}

/// How a server behaves, as `retex serve`'s flags set it.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub clock: ClockMode,
    /// Whether events dated ahead of this machine's clock are accepted.
    pub future_events: FutureEvents,
    /// When set, `/metrics` answers only a request that bears this token.
    pub metrics_token: Option<String>,
    /// Certificate authorities (PEM) trusted for `https://` webhooks besides the system's.
    pub webhook_roots: Option<Vec<u8>>,
    /// Where e-mail notifications are sent; without it they wait in the outbox for a relay.
    pub email: Option<EmailOptions>,
    /// The certificate and key to serve HTTPS with; cookies are then `Secure`.
    pub tls: Option<TlsFiles>,
}

/// A certificate chain and its private key, in PEM.
#[derive(Clone)]
pub struct TlsFiles {
    pub certificates: Vec<u8>,
    pub key: Vec<u8>,
}

impl std::fmt::Debug for TlsFiles {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TlsFiles { .. }")
    }
}

/// An SMTP server and the sender of Retex's e-mails.
#[derive(Clone, Debug)]
pub struct EmailOptions {
    /// `smtps://user:pass@host:465`, `smtp://user:pass@host:587?tls=required` (STARTTLS), or `smtp://host:port`.
    pub url: String,
    /// The From address.
    pub from: String,
}

impl ServerOptions {
    /// The engine's own clock, events from the future refused, open metrics: for tests and benchmarks.
    pub fn engine_clock() -> Self {
        Self {
            clock: ClockMode::Engine,
            future_events: FutureEvents::Refused,
            metrics_token: None,
            webhook_roots: None,
            email: None,
            tls: None,
        }
    }
}

/// The source under which the server logs what people do.
pub const UI_SOURCE: &str = "retex-ui";

pub struct AppState {
    /// The one write path: appends, commands, ticks, catching up with the log; shared with the committer.
    writer: Arc<Mutex<LiveEngine>>,
    /// What reads see.
    engine: SharedEngine,
    /// Ingest requests waiting to share the next transaction.
    group_commit: GroupCommit,
    /// The principals of bearer tokens looked up lately.
    tokens_seen: RecentTokens,
    /// A second connection for accounts, settings, evidence files and the reads of the log.
    side: Mutex<Box<dyn Store>>,
    /// How this replica finds out whether it leads, and what it found last.
    leadership: Mutex<Leadership>,
    leads: AtomicBool,
    /// This replica's name where it claims work: host, process and a random part.
    pub replica: String,
    pub keys: SessionKeys,
    pub limiter: LoginLimiter,
    pub metrics: Metrics,
    /// The active rules as a TOML text, for the read-only rules page.
    pub rules_text: String,
    pub options: ServerOptions,
    /// Cleared when the store fails, set again by the next success: what `/readyz` reports.
    ready: AtomicBool,
    /// Request bodies being read or worked on, in KiB: bounds their memory whatever the number of clients.
    pub body_budget: Semaphore,
}

/// Memory for the request bodies in flight at once: two ingest batches of the largest size.
pub const BODY_BUDGET_BYTES: usize = 128 << 20;

/// The share of [`BODY_BUDGET_BYTES`] a body of `bytes` holds, in the budget's units (KiB).
pub fn budget_units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

impl AppState {
    /// The state of a server; fails only when the committer thread cannot be started.
    pub fn new(
        live: LiveEngine,
        accounts: Box<dyn Store>,
        leadership: Leadership,
        session_key: &str,
        rules_text: String,
        options: ServerOptions,
    ) -> std::io::Result<Self> {
        let engine = live.shared();
        let writer = Arc::new(Mutex::new(live));
        Ok(Self {
            leads: AtomicBool::new(matches!(leadership, Leadership::Sole)),
            leadership: Mutex::new(leadership),
            replica: replica_name(),
            engine,
            group_commit: GroupCommit::start(Arc::clone(&writer))?,
            writer,
            tokens_seen: RecentTokens::default(),
            side: Mutex::new(accounts),
            keys: SessionKeys::new(session_key),
            limiter: LoginLimiter::default(),
            metrics: Metrics::default(),
            rules_text,
            options,
            ready: AtomicBool::new(true),
            body_budget: Semaphore::new(budget_units(BODY_BUDGET_BYTES) as usize),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed)
    }

    /// Whether this replica leads: runs the engine's clock and sends what leaves it. Followers serve and take
    /// writes all the same.
    pub fn leads(&self) -> bool {
        self.leads.load(Ordering::Relaxed)
    }

    /// Checks which replica leads, then applies what other replicas (or `retex` commands) appended to the log.
    pub async fn follow(self: &Arc<Self>) -> Outcome<()> {
        let state = Arc::clone(self);
        self.on_blocking_pool(move || {
            let leads = state.leadership.lock().unwrap_or_else(PoisonError::into_inner).check();
            if state.leads.swap(leads, Ordering::Relaxed) != leads {
                match leads {
                    true => tracing::info!(replica = %state.replica, "this replica leads: it runs the clock and sends notifications"),
                    false => tracing::info!(replica = %state.replica, "another replica leads: this one follows the log"),
                }
            }
            let logged = state.side.lock().unwrap_or_else(PoisonError::into_inner).last_seq()?;
            if logged > state.engine.read().applied_seq() {
                state.writer.lock().unwrap_or_else(PoisonError::into_inner).catch_up()?;
            }
            Ok(())
        })
        .await
    }

    /// Runs `work` reading the engine, on the blocking pool; readers run side by side and never wait for the
    /// writer's I/O.
    pub async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Engine) -> Outcome<T> + Send + 'static,
    ) -> Outcome<T> {
        let state = Arc::clone(self);
        self.on_blocking_pool(move || work(&state.engine.read())).await
    }

    /// Runs `work` reading the engine and the log (through the side connection, never the writer's), on the
    /// blocking pool.
    pub async fn read_with_log<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&Engine, &mut dyn Store) -> Outcome<T> + Send + 'static,
    ) -> Outcome<T> {
        let state = Arc::clone(self);
        self.on_blocking_pool(move || {
            let mut side = state.side.lock().unwrap_or_else(PoisonError::into_inner);
            work(&state.engine.read(), side.as_mut())
        })
        .await
    }

    /// Runs `work` changing the engine (appending to the log), on the blocking pool; one writer at a time.
    pub async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut LiveEngine) -> Outcome<T> + Send + 'static,
    ) -> Outcome<T> {
        let state = Arc::clone(self);
        self.on_blocking_pool(move || work(&mut state.writer.lock().unwrap_or_else(PoisonError::into_inner)))
            .await
    }

    async fn on_blocking_pool<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce() -> Outcome<T> + Send + 'static,
    ) -> Outcome<T> {
        let outcome = tokio::task::spawn_blocking(work)
            .await
            .map_err(|error| Failure::internal("the engine task failed", &error))?;
        self.noted(outcome)
    }

    /// Notes whether the store failed (what `/readyz` reports) and passes the outcome on.
    fn noted<T>(&self, outcome: Outcome<T>) -> Outcome<T> {
        self.ready.store(
            !matches!(&outcome, Err(failure) if failure.kind == FailureKind::Unavailable),
            Ordering::Relaxed,
        );
        outcome
    }

    /// Runs `work` on the side connection (accounts, settings, evidence) on the blocking pool.
    pub async fn side_store<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut dyn Store) -> Outcome<T> + Send + 'static,
    ) -> Outcome<T> {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut store = state.side.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            work(store.as_mut())
        })
        .await
        .map_err(|error| Failure::internal("the store task failed", &error))?
    }

    pub async fn account(self: &Arc<Self>, name: String) -> Outcome<Option<Account>> {
        self.side_store(move |store| Ok(store.account(&name)?)).await
    }

    /// Starts a session for `name`; the cookie's value. Sessions that ended by themselves are cleared on the way.
    pub async fn start_session(self: &Arc<Self>, name: String) -> Outcome<String> {
        let (cookie, hash) = new_session().map_err(|error| Failure::internal("draw a session", &error))?;
        let now = Utc::now().timestamp_millis();
        self.side_store(move |store| {
            store.end_stale_sessions(now - millis(SESSION_IDLE), now - millis(SESSION_MAX))?;
            Ok(store.start_session(&hash, &name, now)?)
        })
        .await?;
        Ok(cookie)
    }

    /// The account of a live session: none when the cookie is unknown or its session has ended (logged out,
    /// unused for [`SESSION_IDLE`], or older than [`SESSION_MAX`]).
    pub async fn session_account(self: &Arc<Self>, cookie: &str) -> Outcome<Option<Account>> {
        let hash = token_hash(cookie);
        let now = Utc::now().timestamp_millis();
        self.side_store(move |store| {
            let Some(session) = store.session(&hash)? else {
                return Ok(None);
            };
            let idle = now - session.seen_ms >= millis(SESSION_IDLE);
            let old = now - session.started_ms >= millis(SESSION_MAX);
            if idle || old {
                store.end_session(&hash)?;
                return Ok(None);
            }
            if now - session.seen_ms >= millis(SESSION_TOUCH_EVERY) {
                store.touch_session(&hash, now)?;
            }
            Ok(store.account(&session.account)?)
        })
        .await
    }

    /// Ends the session of this cookie (logging out).
    pub async fn end_session(self: &Arc<Self>, cookie: &str) -> Outcome<()> {
        let hash = token_hash(cookie);
        self.side_store(move |store| Ok(store.end_session(&hash)?)).await
    }

    /// Changes an account with its record (`Store::change_account`); this replica forgets the tokens it looked
    /// up, so a token revoked here is refused at once.
    pub async fn change_account(
        self: &Arc<Self>,
        account: Account,
        sessions: retex_store::AccountSessions,
        change: retex_store::AdminChange,
    ) -> Outcome<()> {
        self.side_store(move |store| Ok(store.change_account(&account, sessions, &change)?))
            .await?;
        self.tokens_seen.forget();
        Ok(())
    }

    /// The principal behind a bearer token: looked up in the store at most every [`TOKEN_RECHECK`] per token, so
    /// a source posting an event per request does not pay a lookup for each (a revoked token stops working
    /// within that time).
    pub async fn principal_for_token(self: &Arc<Self>, token: &str) -> Outcome<Option<Principal>> {
        let hash = token_hash(token);
        if let Some(principal) = self.tokens_seen.recent(&hash) {
            return Ok(Some(principal));
        }
        let key = hash.clone();
        let account = self.side_store(move |store| Ok(store.account_by_secret(&key)?)).await?;
        let principal = account.and_then(|account| Principal::from_account(account, false));
        if let Some(principal) = &principal {
            self.tokens_seen.remember(hash, principal.clone());
        }
        Ok(principal)
    }

    /// Now, as commands and KPIs see it.
    pub fn now(&self, engine: &Engine) -> Timestamp {
        match (self.options.clock, engine.clock()) {
            (ClockMode::Engine, Some(clock)) => clock,
            _ => Timestamp::from_datetime(&Utc::now()),
        }
    }

    pub fn now_datetime(&self, engine: &Engine) -> DateTime<FixedOffset> {
        DateTime::from_timestamp_millis(self.now(engine).0)
            .unwrap_or_default()
            .fixed_offset()
    }

    /// Parses an NDJSON body (or a JSON array of events) and appends the valid events; nothing accepted is
    /// lost to a bad line.
    pub async fn ingest(self: &Arc<Self>, body: Bytes, json_array: bool) -> Outcome<IngestReport> {
        // A small body (a till's one event) is parsed here; a large one on the blocking pool.
        let (mut report, parsed) = if body.len() <= PARSE_INLINE_BYTES_MAX {
            parse_body(self.options.future_events, &body, json_array)?
        } else {
            let state = Arc::clone(self);
            self.on_blocking_pool(move || parse_body(state.options.future_events, &body, json_array))
                .await?
        };
        let mut parsed = parsed.into_iter().peekable();
        while parsed.peek().is_some() {
            let (lines, events): (Vec<usize>, Vec<(Event, String)>) = parsed.by_ref().take(GROUP_EVENTS_MAX).unzip();
            let summary = self.noted(self.group_commit.commit(events).await)?;
            report.accepted += summary.accepted;
            report.duplicates += summary.duplicates;
            report.conflicts.extend(
                summary
                    .conflicting
                    .into_iter()
                    .map(|conflict| LineConflict::new(lines[conflict.index], conflict)),
            );
        }
        self.metrics
            .count_events(report.accepted, report.duplicates, report.rejected);
        Ok(report)
    }

    /// Checks and logs a person's command on an exception.
    pub async fn act(
        self: &Arc<Self>,
        principal: &Principal,
        exception: u64,
        action: Action,
        key: Option<String>,
    ) -> Outcome<bool> {
        require_act(principal)?;
        if let Action::Assign { assignee } = &action {
            let name = assignee.clone();
            let known = self
                .side_store(move |store| Ok(store.account(&name)?))
                .await?
                .is_some_and(|account| account.kind == retex_store::AccountKind::User);
            if !known {
                return Err(Failure::new(
                    FailureKind::Unprocessable,
                    format!("assign refused: no user {assignee}"),
                ));
            }
        }
        let principal = principal.clone();
        let state = Arc::clone(self);
        self.write(move |live| {
            visible_exception(&live.engine(), &principal, exception)?;
            let at = state.now_datetime(&live.engine());
            let command = Command {
                id: match key {
                    Some(key) => keyed_command_id(&principal.name, exception, &key),
                    None => generated_key(&principal.name, at, action.name()),
                },
                source: UI_SOURCE.to_owned(),
                at,
                actor: principal.name.clone(),
                role: Some(principal.role.name().to_owned()),
                exception,
                action,
            };
            log_command(live, &command)
        })
        .await
    }

    /// Checks and logs a person's merge or split of an incident. Both change incidents at every location they
    /// reach, so the person must see every exception of the incidents involved.
    pub async fn reshape_incident(
        self: &Arc<Self>,
        principal: &Principal,
        incident: u64,
        action: IncidentAction,
        key: Option<String>,
    ) -> Outcome<bool> {
        require_act(principal)?;
        let principal = principal.clone();
        let state = Arc::clone(self);
        self.write(move |live| {
            require_whole_incident(&live.engine(), &principal, incident)?;
            if let IncidentAction::Merge { from } = action {
                require_whole_incident(&live.engine(), &principal, from)?;
            }
            let at = state.now_datetime(&live.engine());
            let command = IncidentCommand {
                id: match key {
                    Some(key) => keyed_incident_command_id(&principal.name, incident, &key),
                    None => generated_key(&principal.name, at, action.name()),
                },
                source: UI_SOURCE.to_owned(),
                at,
                actor: principal.name.clone(),
                role: Some(principal.role.name().to_owned()),
                incident,
                action,
            };
            let prior = live.prior_incident_command(&command)?;
            if !is_new(prior, command.action.name(), || {
                live.engine().check_incident_command(&command)
            })? {
                return Ok(false);
            }
            Ok(live.append_incident_command(&command)?)
        })
        .await
    }

    /// Checks and logs a command the server itself issues (the outbox dispatcher's delivery reports), made
    /// by `action` from the time it is logged at.
    pub async fn system_command(
        self: &Arc<Self>,
        actor: &'static str,
        exception: u64,
        action: impl FnOnce(DateTime<FixedOffset>) -> Action + Send + 'static,
    ) -> Outcome<bool> {
        let state = Arc::clone(self);
        self.write(move |live| {
            let at = state.now_datetime(&live.engine());
            let action = action(at);
            let command = Command {
                id: generated_key(actor, at, action.name()),
                source: actor.to_owned(),
                at,
                actor: actor.to_owned(),
                role: None,
                exception,
                action,
            };
            log_command(live, &command)
        })
        .await
    }

    /// Checks an evidence file and keeps it in the store, for an exception the principal may work; the
    /// returned action attaches it.
    pub async fn keep_evidence(
        self: &Arc<Self>,
        principal: &Principal,
        exception: u64,
        name: String,
        declared_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Outcome<Action> {
        require_act(principal)?;
        let viewer = principal.clone();
        self.read(move |engine| visible_exception(engine, &viewer, exception).map(|_| ()))
            .await?;
        let media_type = check_evidence(&bytes, declared_type)?;
        let sha256 = sha256_hex(&bytes);
        let stored = sha256.clone();
        let size = bytes.len() as u64;
        self.side_store(move |store| Ok(store.put_evidence(&stored, media_type, &bytes)?))
            .await?;
        Ok(Action::AttachEvidence {
            sha256,
            name,
            media_type: media_type.to_owned(),
            bytes: size,
        })
    }

    /// Checks and logs a silence a person sets from now (the server's clock) for `hours`; the silence as logged.
    pub async fn set_silence(self: &Arc<Self>, principal: &Principal, request: SilenceRequest) -> Outcome<Silence> {
        require_act(principal)?;
        let actor = principal.name.clone();
        let state = Arc::clone(self);
        self.write(move |live| {
            let at = state.now_datetime(&live.engine());
            let silence = Silence {
                id: generated_key(&actor, at, "silence"),
                source: UI_SOURCE.to_owned(),
                at,
                actor,
                exception_type: request.exception_type,
                location: request.location,
                sku: request.sku,
                until: at + chrono::Duration::hours(i64::from(request.hours)),
                comment: request.comment,
            };
            if let Err(refusal) = live.engine().check_silence(&silence) {
                return Err(refusal.about(format_args!("silence refused")).into());
            }
            live.append_silence(&silence)?;
            Ok(silence)
        })
        .await
    }

    /// Checks and logs a person ending silence `silence` now (the server's clock), with why.
    pub async fn end_silence(self: &Arc<Self>, principal: &Principal, silence: u64, comment: String) -> Outcome<()> {
        require_act(principal)?;
        let actor = principal.name.clone();
        let state = Arc::clone(self);
        self.write(move |live| {
            let at = state.now_datetime(&live.engine());
            let end = SilenceEnd {
                id: generated_key(&actor, at, "silence-end"),
                source: UI_SOURCE.to_owned(),
                at,
                actor,
                silence,
                comment,
            };
            if let Err(refusal) = live.engine().check_silence_end(&end) {
                return Err(refusal.into());
            }
            live.append_silence_end(&end)?;
            Ok(())
        })
        .await
    }

    /// Logs an event a person entered on the shop floor (a receipt confirmation, a count) under their name.
    pub async fn record_event(
        self: &Arc<Self>,
        principal: &Principal,
        location: &str,
        event_json: String,
    ) -> Outcome<bool> {
        if !principal.role.can_act() {
            return Err(Failure::forbidden(format!(
                "role {} may not record receipts or counts",
                principal.role.name()
            )));
        }
        require_location(principal, location)?;
        self.write(move |live| {
            let event = parse_event(&event_json)
                .map_err(|error| Failure::bad_request(format!("{}: {}", error.field, error.problem)))?;
            let summary = live.append_events(&[IncomingEvent {
                event: &event,
                text: &event_json,
            }])?;
            Ok(summary.accepted == 1)
        })
        .await
    }
}

/// How long a token's principal is used without looking the token up again.
pub const TOKEN_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);
/// The most tokens remembered at once; past it, the memory starts again.
const TOKENS_REMEMBERED_MAX: usize = 1024;

/// Bearer tokens' principals as looked up lately, by the token's hash; unknown tokens are never remembered.
#[derive(Default)]
struct RecentTokens(Mutex<std::collections::HashMap<String, (Principal, std::time::Instant)>>);

impl RecentTokens {
    fn recent(&self, hash: &str) -> Option<Principal> {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (principal, at) = seen.get(hash)?;
        (at.elapsed() < TOKEN_RECHECK).then(|| principal.clone())
    }

    fn forget(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    fn remember(&self, hash: String, principal: Principal) {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= TOKENS_REMEMBERED_MAX {
            seen.clear();
        }
        seen.insert(hash, (principal, std::time::Instant::now()));
    }
}

/// A silence as a person asks for it: a type, maybe a location and a SKU, how long, and why.
pub struct SilenceRequest {
    pub exception_type: String,
    pub location: Option<String>,
    pub sku: Option<String>,
    pub hours: u32,
    pub comment: String,
}

/// The largest ingest body parsed on an async worker rather than the blocking pool: a few events.
const PARSE_INLINE_BYTES_MAX: usize = 16 << 10;

/// Checks a command against the engine (a refusal is a 409 that says why) and logs it; false when its
/// idempotency key was logged before.
fn log_command(live: &mut LiveEngine, command: &Command) -> Outcome<bool> {
    let prior = live.prior_command(command)?;
    if !is_new(prior, command.action.name(), || live.engine().check_command(command))? {
        return Ok(false);
    }
    Ok(live.append_command(command)?)
}

/// Whether a person's command is to be logged: not when its idempotency key was (a retry is harmless, even when
/// the command would no longer fit); refused when the key was used for another command, or when `check` refuses
/// it (named by its action, `merge refused: ...`).
fn is_new(prior: PriorCommand, action: &str, check: impl FnOnce() -> Result<(), Refusal>) -> Outcome<bool> {
    match prior {
        PriorCommand::None => {}
        PriorCommand::Same => return Ok(false),
        PriorCommand::Other { seq } => {
            return Err(Failure::new(
                FailureKind::Conflict,
                format!("this idempotency key was used for another command (log seq {seq}); use a new key"),
            ));
        }
    }
    check().map_err(|refusal| refusal.about(format_args!("{action} refused")))?;
    Ok(true)
}

/// This process's name among replicas: its host, its process id and a random part (process ids are reused).
fn replica_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "retex".to_owned());
    let mut nonce = [0u8; 4];
    let _ = getrandom::fill(&mut nonce);
    format!("{host}-{}-{:08x}", std::process::id(), u32::from_le_bytes(nonce))
}

/// An idempotency key for a command sent without one: who, when (to the microsecond), what.
fn generated_key(actor: &str, at: DateTime<FixedOffset>, action: &str) -> String {
    let mut nonce = [0u8; 4];
    // A failing random source only makes two identical same-microsecond commands collapse into one.
    let _ = getrandom::fill(&mut nonce);
    format!(
        "{actor}-{}-{action}-{:08x}",
        at.timestamp_micros(),
        u32::from_le_bytes(nonce)
    )
}

fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
