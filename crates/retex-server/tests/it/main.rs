//! The server over real HTTP: a server on an ephemeral port over a temporary SQLite store, spoken to with a
//! minimal HTTP/1.1 client, as a source, a script or a browser would.

mod admin;
mod api;
mod client;
mod email;
mod imports;
mod incidents;
mod outbound;
mod queue;
mod reports;
mod ui;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::serve::ListenerExt;
use retex_core::engine::EngineConfig;
use retex_core::rules::file::parse_rules;
use retex_server::auth::{Role, new_token, token_account, user_account};
use retex_server::tls::TlsListener;
use retex_server::{AppState, ServerOptions, app_state};
use retex_store::{Leadership, LiveEngine, LiveOptions, StoreLocation};
use tempfile::TempDir;

pub use client::{Response, request};

/// Two stores, one product: an unreceived transfer to S1 and counts that disagree with the ledger at S1 and S2.
pub const WORLD: &str = include_str!("../data/world.ndjson");

/// A running server with its accounts: `admin`, `lead`, `s1` (a team member limited to S1), `viewer`, and
/// the tokens `source_token` (role source) and `viewer_token`.
pub struct Server {
    pub address: SocketAddr,
    pub state: Arc<AppState>,
    pub source_token: String,
    pub viewer_token: String,
    runtime: tokio::runtime::Runtime,
    _dir: TempDir,
}

pub const PASSWORD: &str = "correct horse";

impl Server {
    pub fn start() -> Self {
        Self::start_with_rules("")
    }

    /// A server running under a rules file's text.
    pub fn start_with_rules(rules: &str) -> Self {
        Self::start_with(rules, ServerOptions::engine_clock())
    }

    /// A server running under a rules file's text and options.
    pub fn start_with(rules: &str, options: ServerOptions) -> Self {
        let dir = TempDir::new().unwrap();
        let location = StoreLocation::Sqlite(dir.path().join("retex.db"));
        let store = retex_store::open(&location).unwrap();
        let config = EngineConfig {
            rules: Arc::new(parse_rules(rules).unwrap()),
            insight: None,
        };
        let live = LiveEngine::open(store, config, LiveOptions::default()).unwrap();
        let mut accounts = retex_store::open(&location).unwrap();
        for (name, role, locations) in [
            ("admin", Role::Admin, vec![]),
            ("lead", Role::OperationsLead, vec![]),
            ("s1", Role::TeamMember, vec!["S1".to_string()]),
            ("viewer", Role::Viewer, vec![]),
        ] {
            let mut account = user_account(name, PASSWORD, role, Some("store_team".into()), locations, 0).unwrap();
            account.email = Some(format!("{name}@shop.example"));
            accounts.put_account(&account).unwrap();
        }
        let mut token = |name: &str, role: Role| {
            let (token, secret_hash) = new_token().unwrap();
            accounts
                .put_account(&token_account(name, secret_hash, role, None, vec![], 0))
                .unwrap();
            token
        };
        let source_token = token("feed", Role::Source);
        let viewer_token = token("report", Role::Viewer);
        let tls = options.tls.clone();
        let state = app_state(live, accounts, Leadership::Sole, rules.to_owned(), options).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let address = listener.local_addr().unwrap();
        let app = retex_server::router(Arc::clone(&state)).into_make_service_with_connect_info::<SocketAddr>();
        match tls {
            Some(files) => {
                let tls = runtime
                    .block_on(async { TlsListener::start(listener, &files) })
                    .unwrap();
                runtime.spawn(async move { axum::serve(tls.tap_io(|_| {}), app).await });
            }
            None => drop(runtime.spawn(async move { axum::serve(listener, app).await })),
        }
        let dispatcher = runtime.block_on(retex_server::dispatcher_of(&state)).unwrap();
        runtime.spawn(dispatcher.run(Arc::clone(&state)));
        Self {
            address,
            state,
            source_token,
            viewer_token,
            runtime,
            _dir: dir,
        }
    }

    /// Runs a background task (a connector, an exporter) beside the server.
    pub fn spawn(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        self.runtime.spawn(work);
    }

    /// Runs `work` to its end on the server's runtime.
    pub fn block_on<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        self.runtime.block_on(work)
    }

    /// A server with [`WORLD`] ingested.
    pub fn with_world() -> Self {
        Self::with_world_and_rules("")
    }

    pub fn with_world_and_rules(rules: &str) -> Self {
        let server = Self::start_with_rules(rules);
        let response = server.send("POST", "/api/v1/events", &server.bearer_source(), WORLD);
        assert_eq!(response.status, 200, "{}", response.body);
        server
    }

    pub fn send<H: AsRef<str>>(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, H)],
        body: impl AsRef<[u8]>,
    ) -> Response {
        request(self.address, method, path, headers, body)
    }

    pub fn bearer_source(&self) -> Vec<(&'static str, String)> {
        vec![("authorization", format!("Bearer {}", self.source_token))]
    }

    /// Posts the login form as a browser does: the form's cookie and token from `GET /login`, then `fields`.
    pub fn post_login(&self, fields: &str) -> Response {
        let form = self.send("GET", "/login", &[] as &[(&str, &str)], "");
        let cookie = form.header("set-cookie").expect("the login form's cookie");
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let token = form
            .body
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the login form's token");
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("cookie", cookie.as_str()),
        ];
        self.send("POST", "/login", &headers, format!("{fields}&csrf={token}"))
    }

    /// Logs in through the form and returns the session cookie.
    /// A page of the web UI as `cookie`'s person sees it; anything but 200 fails the test.
    pub fn page(&self, cookie: &str, path: &str) -> String {
        let response = self.send("GET", path, &[("cookie", cookie)], "");
        assert_eq!(response.status, 200, "{path}: {}", response.body);
        response.body
    }

    pub fn login(&self, name: &str) -> String {
        let body = format!("name={name}&password={}", PASSWORD.replace(' ', "+"));
        let response = self.post_login(&body);
        assert_eq!(response.status, 303, "login of {name}: {}", response.body);
        let cookie = response.header("set-cookie").expect("a session cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        cookie.split(';').next().unwrap().to_owned()
    }

    /// The CSRF token of a session, as its pages carry it.
    pub fn csrf(&self, cookie: &str) -> String {
        let value = cookie.split_once('=').unwrap().1;
        self.state.keys.csrf_token(value)
    }
}

/// The numbers of the rows a list page links to under `path` (`/exceptions/`, `/incidents/`), in order.
pub fn linked_ids(body: &str, path: &str) -> Vec<u64> {
    body.split(&format!(r#"<td class="id"><a href="{path}"#))
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect()
}
