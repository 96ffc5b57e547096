//! `retex serve`: the HTTP API, its OpenAPI document, the web UI, auth, health and metrics, over one live engine.
//!
//! This crate holds no business rules: it authenticates, checks roles and scope, and turns requests into log
//! entries (events and commands) and engine views into JSON and HTML.
//!
//! # Layout
//! Modules in layers; each uses only the layers below it, so the API and the web UI never use each other and
//! no two modules use each other.
//! 1. `error.rs`: [`error::Failure`], the one error of a request, and its HTTP answer (5xx answers are opaque).
//!    `auth.rs`: roles, principals, passwords, tokens, sessions, the login limiter. `metrics.rs`: the
//!    Prometheus exposition.
//! 2. `scope.rs`: what a principal may see and do (read, act, locations), for exceptions, incidents and stores.
//!    `params.rs`: reading query strings and forms (an empty value is absent; a bad one is a 400 naming it).
//!    `group_commit.rs`: concurrent requests' events in one log transaction. `ingest_body.rs`: an ingest body's
//!    lines, each parsed on its own, and the report the request is answered with.
//! 3. `state.rs`: [`AppState`] and the operations both the API and the UI perform (ingest, act, merge or split an
//!    incident, evidence, shop-floor events).
//! 4. `extract.rs`: who is asking (a token or a session cookie). `bulk.rs`: one command on many exceptions (the
//!    queue's selected rows, an incident's members), each logged on its own. `dispatch.rs`: the outbox dispatcher.
//!    `import.rs`: a CSV file of master data or counts, for the API and the admin's upload. `nats.rs`: events
//!    from a NATS JetStream stream, and publishing to one. `odoo_sync.rs`: pulls from Odoo on a schedule.
//!    `outbound.rs`: approved drafts to a webhook or NATS, exception changes to NATS. `tls.rs`: serving HTTPS.
//! 5. `api/`: the JSON API, one module per resource; `api/mod.rs` lists the routes once as
//!    [`api::OPERATIONS`]. `ui/`: the web UI, one module per page; `ui/page.rs` holds what the pages share and
//!    `ui/mod.rs` the routes.
//! 6. `openapi.rs`: the OpenAPI 3.1 document, built from [`api::OPERATIONS`].
//! 7. `lib.rs`: the router, serving with graceful shutdown, the wall-clock ticker, health and metrics.

pub mod api;
pub mod auth;
pub mod bulk;
pub mod dispatch;
pub mod error;
pub mod extract;
pub mod group_commit;
pub mod import;
pub mod ingest_body;
pub mod metrics;
pub mod nats;
pub mod odoo_sync;
pub mod openapi;
pub mod outbound;
pub mod params;
pub mod scope;
pub mod state;
pub mod tls;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::{Listener, ListenerExt};
use retex_core::codes::Timestamp;
use retex_store::{Leadership, LiveEngine, Store};

use crate::metrics::EngineGauges;
pub use crate::state::{AppState, ClockMode, ServerOptions};

/// Largest request body: an ingest batch of about 100,000 events.
pub const BODY_BYTES_MAX: usize = 64 << 20;
/// How often the wall clock is checked against the engine's next deadline.
const CLOCK_CHECK_EVERY: Duration = Duration::from_secs(1);
/// How often a replica checks who leads and applies what others appended: a read on any replica reflects an
/// accepted event within about this long.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);
/// The setting that holds the session signing key.
const SESSION_KEY_SETTING: &str = "session_key";

/// Builds the state of a server on an opened engine and a second connection for accounts.
pub fn app_state(
    live: LiveEngine,
    mut accounts: Box<dyn Store>,
    leadership: Leadership,
    rules_text: String,
    options: ServerOptions,
) -> anyhow::Result<Arc<AppState>> {
    let key = accounts
        .setting_or_insert(SESSION_KEY_SETTING, &auth::new_session_key()?)
        .context("read the session key")?;
    let state =
        AppState::new(live, accounts, leadership, &key, rules_text, options).context("start the group committer")?;
    Ok(Arc::new(state))
}

/// Every route: the API under `/api/v1`, the web UI, health and metrics.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .nest(
            "/api/v1",
            api::routes()
                .merge(openapi::routes())
                .fallback(api_path_unknown)
                .layer(middleware::from_fn(entity_tags)),
        )
        .merge(ui::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), observe))
        .layer(middleware::from_fn_with_state(Arc::clone(&state), bound_bodies))
        .layer(middleware::from_fn(secure_headers))
        .layer(DefaultBodyLimit::max(BODY_BYTES_MAX))
        .with_state(state)
}

/// An unknown path under `/api/v1`: a problem, like every other API error, not the web UI's page.
async fn api_path_unknown(uri: axum::http::Uri) -> error::Failure {
    error::Failure::not_found(format!(
        "no API operation at {}; /api/v1/openapi.json lists them",
        uri.path()
    ))
}

/// Where a server takes events from besides HTTP, and where approved drafts go.
#[derive(Default)]
pub struct Connectors {
    pub nats: Option<nats::NatsOptions>,
    pub odoo: Option<retex_odoo::OdooConfig>,
    /// Where approved drafts go when Odoo does not take them.
    pub drafts_to: Option<outbound::DraftsTo>,
}

impl Connectors {
    /// Refuses settings that contradict each other, before anything starts.
    pub fn check(&self) -> anyhow::Result<()> {
        let odoo_takes_drafts = self.odoo.as_ref().is_some_and(|odoo| odoo.write_back);
        anyhow::ensure!(
            !(odoo_takes_drafts && self.drafts_to.is_some()),
            "approved drafts go to one place: Odoo (write_back in the --odoo file) or --drafts-to, not both"
        );
        let publishes = matches!(self.drafts_to, Some(outbound::DraftsTo::Nats(_)))
            || self.nats.as_ref().is_some_and(|nats| nats.exceptions.is_some());
        anyhow::ensure!(
            !publishes || self.nats.is_some(),
            "--drafts-to nats:... and --nats-exceptions need --nats"
        );
        Ok(())
    }
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight; takes events from the connectors too.
pub async fn serve(state: Arc<AppState>, listen: SocketAddr, connectors: Connectors) -> anyhow::Result<()> {
    let dispatcher = dispatcher_of(&state).await?;
    connectors.check()?;
    let exceptions_subject = connectors.nats.as_ref().and_then(|nats| nats.exceptions.clone());
    let nats = match connectors.nats {
        Some(options) => Some(nats::NatsIngest::connect(options).await?),
        None => None,
    };
    let mut published: Vec<String> = exceptions_subject.iter().cloned().collect();
    if let Some(outbound::DraftsTo::Nats(subject)) = &connectors.drafts_to {
        published.push(subject.clone());
    }
    let publisher = match &nats {
        Some(nats) if !published.is_empty() => Some(nats.publisher(published).await?),
        _ => None,
    };
    let exporter = match (connectors.drafts_to, &publisher) {
        (Some(outbound::DraftsTo::Webhook { url, secret }), _) => Some(outbound::DraftExporter::webhook(
            url,
            secret.as_ref(),
            state.options.webhook_roots.as_deref(),
        )?),
        (Some(outbound::DraftsTo::Nats(subject)), Some(publisher)) => {
            Some(outbound::DraftExporter::nats(publisher.clone(), subject))
        }
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listen on {listen}"))?;
    let tls = state.options.tls.clone();
    if let Some(files) = &tls {
        tls::server_config(files)?;
    }
    tokio::spawn(follow_the_log(Arc::clone(&state)));
    if state.options.clock == ClockMode::Wall {
        tokio::spawn(follow_wall_clock(Arc::clone(&state)));
    }
    tokio::spawn(dispatcher.run(Arc::clone(&state)));
    if let Some(exporter) = exporter {
        tokio::spawn(exporter.run(Arc::clone(&state)));
    }
    if let (Some(subject), Some(publisher)) = (exceptions_subject, publisher) {
        tokio::spawn(outbound::ExceptionFeed { publisher, subject }.run(Arc::clone(&state)));
    }
    if let Some(nats) = nats {
        tokio::spawn(nats.run(Arc::clone(&state)));
    }
    if let Some(odoo) = connectors.odoo {
        tokio::spawn(odoo_sync::run(Arc::clone(&state), odoo));
    }
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(files) => {
            let tls = tls::TlsListener::start(listener, &files)?;
            tracing::info!("serving on https://{}", tls.local_addr()?);
            // Tapped, so the connection's peer address reaches the handlers as it does over plain HTTP.
            axum::serve(tls.tap_io(|_| {}), app)
                .with_graceful_shutdown(shutdown_signal())
                .await
        }
        None => {
            tracing::info!("serving on http://{}", listener.local_addr()?);
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
        }
    }
    .context("serve HTTP")
}

/// The outbox dispatcher for the rules the engine runs under and the server's options.
pub async fn dispatcher_of(state: &Arc<AppState>) -> anyhow::Result<dispatch::Dispatcher> {
    let rules = state
        .read(|engine| Ok(engine.rules().clone()))
        .await
        .map_err(|failure| anyhow::anyhow!(failure.message))?;
    dispatch::Dispatcher::new(
        &rules,
        state.options.webhook_roots.as_deref(),
        state.options.email.as_ref(),
    )
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Every replica: checks who leads and applies what the others appended.
async fn follow_the_log(state: Arc<AppState>) {
    let mut interval = tokio::time::interval(FOLLOW_EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(failure) = state.follow().await {
            tracing::warn!(message = %failure.message, "could not follow the log");
        }
    }
}

/// The leader ticks the engine to the wall clock whenever a deadline has come due, so SLA breaches and overdue
/// documents fire between events. A tick is logged only then, not every second.
async fn follow_wall_clock(state: Arc<AppState>) {
    let mut interval = tokio::time::interval(CLOCK_CHECK_EVERY);
    loop {
        interval.tick().await;
        if !state.leads() {
            continue;
        }
        let now = Timestamp::from_datetime(&chrono::Utc::now());
        let ticked = state
            .write(move |live| {
                if live.engine().next_deadline().is_some_and(|due| due < now) {
                    live.tick(now)?;
                }
                Ok(())
            })
            .await;
        if let Err(failure) = ticked {
            tracing::warn!(message = %failure.message, "could not tick the engine to the wall clock");
        }
    }
}

/// Ready when the store answers: says whether this replica leads or follows, and how far its engine is behind
/// the log.
async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let lag = state
        .read_with_log(|engine, log| Ok(log.last_seq()?.saturating_sub(engine.applied_seq())))
        .await;
    let role = if state.leads() { "leader" } else { "follower" };
    match lag {
        Ok(lag) if state.is_ready() => format!("ready: {role}, {lag} log entries to apply").into_response(),
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "the store failed recently").into_response(),
        Err(failure) => (StatusCode::SERVICE_UNAVAILABLE, failure.message).into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.options.metrics_token {
        // Compared as digests, so the time taken says nothing about how much of the token was right.
        let offered = extract::bearer_token(&headers).map(auth::token_hash);
        if offered != Some(auth::token_hash(expected)) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "metrics need the token given to retex serve --metrics-token-file",
            )
                .into_response();
        }
    }
    let leader = state.leads();
    let gauges = state
        .read_with_log(move |engine, log| {
            let log_seq = log.last_seq()?;
            let mut open_by_type = std::collections::BTreeMap::new();
            for record in engine.exception_records() {
                if record.status.is_active() {
                    *open_by_type
                        .entry(engine.type_name(record.key.exception_type).to_owned())
                        .or_insert(0) += 1;
                }
            }
            let now = Timestamp::from_datetime(&chrono::Utc::now());
            Ok(EngineGauges {
                log_seq,
                applied_seq: engine.applied_seq(),
                engine_clock: engine.clock(),
                wall_clock: now,
                open_by_type,
                leader,
            })
        })
        .await;
    match gauges {
        Ok(gauges) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            state.metrics.render(&gauges),
        )
            .into_response(),
        Err(failure) => failure.into_response(),
    }
}

/// What every answer tells the browser: run only this site's own scripts and styles, never in a frame, never
/// guess a content type, and send no referrer to other sites.
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// The largest read whose answer gets an entity tag; larger ones (a page of a thousand rows is far below it)
/// go out without one rather than being held in memory twice.
const TAGGED_BODY_BYTES_MAX: usize = 8 << 20;

/// Reads of the API carry an `ETag` (a digest of the answer, so it is right whoever asks and whatever the
/// query), and a read whose `If-None-Match` names it is answered 304 with no body: a client polling the queue
/// moves nothing while nothing changed.
async fn entity_tags(request: Request, next: Next) -> Response {
    if request.method() != axum::http::Method::GET {
        return next.run(request).await;
    }
    let wanted = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let small = axum::body::HttpBody::size_hint(&body)
        .exact()
        .is_some_and(|bytes| bytes <= TAGGED_BODY_BYTES_MAX as u64);
    if !small {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, TAGGED_BODY_BYTES_MAX).await else {
        return error::Failure::internal("read an answer to tag it", &"the body failed").into_response();
    };
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&bytes);
    let tag = format!(
        "\"{}\"",
        digest[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let Ok(tag_value) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    let matches = wanted
        .as_ref()
        .and_then(|wanted| wanted.to_str().ok())
        .is_some_and(|wanted| wanted.split(',').any(|one| one.trim() == tag || one.trim() == "*"));
    if matches {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        not_modified.headers_mut().insert(header::ETAG, tag_value);
        return not_modified;
    }
    parts.headers.insert(header::ETAG, tag_value);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

async fn secure_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Holds a share of the body budget for the request's declared size (the largest size when it is not
/// declared) until the answer, so parallel large posts take turns instead of filling memory.
async fn bound_bodies(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
    let bytes = match declared {
        Some(length) => length.min(BODY_BYTES_MAX),
        None if headers.contains_key(header::TRANSFER_ENCODING) => BODY_BYTES_MAX,
        None => 0,
    };
    // A body no larger than a page's form never waits for the budget.
    if bytes <= ui::FORM_BYTES_MAX {
        return next.run(request).await;
    }
    let Ok(_share) = state.body_budget.acquire_many(state::budget_units(bytes)).await else {
        return (StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down").into_response();
    };
    next.run(request).await
}

/// Records each request's latency under its route pattern (not its raw path, which would explode the labels).
async fn observe(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .observe_request(&route, response.status().as_u16(), started.elapsed());
    response
}
