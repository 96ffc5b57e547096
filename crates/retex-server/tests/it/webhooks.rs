//! Webhooks a receiver can trust: delivered over TLS to a receiver behind a private certificate authority,
//! signed, with one idempotency key per notification, retried and resent; and approved drafts sent to a
//! receiver that answers with its own reference.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use hmac::{Hmac, Mac};
use retex_server::ServerOptions;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::Sha256;

use crate::Server;

const TLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls");

/// One request as the receiver read it.
struct Received {
    head: String,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// An HTTPS receiver on an ephemeral port: it answers each request with the next status of `statuses` (the
/// last one from then on) and hands what it read to the test.
fn tls_receiver(statuses: &'static [u16]) -> (String, Receiver<Received>) {
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(format!("{TLS}/localhost.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(format!("{TLS}/localhost.key")).unwrap();
    retex_odoo::install_tls_provider();
    let config = Arc::new(
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(certificates, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
    let (sender, received) = channel();
    std::thread::spawn(move || {
        let mut answered = 0;
        for stream in listener.incoming() {
            let connection = rustls::ServerConnection::new(Arc::clone(&config)).unwrap();
            let mut tls = rustls::StreamOwned::new(connection, stream.unwrap());
            // A client that refuses the certificate ends the handshake: nothing to answer.
            if tls.conn.complete_io(&mut tls.sock).is_err() {
                continue;
            }
            let status = statuses[answered.min(statuses.len() - 1)];
            answered += 1;
            let _ = sender.send(answer(&mut tls, status, ""));
        }
    });
    (url, received)
}

/// A plain HTTP receiver that answers every request 200 with `body`.
fn http_receiver(body: &'static str) -> (String, Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/drafts", listener.local_addr().unwrap().port());
    let (sender, received) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let _ = sender.send(answer(&mut stream.unwrap(), 200, body));
        }
    });
    (url, received)
}

/// Reads one request from `stream` and answers it with `status` and `body`.
fn answer(stream: &mut (impl Read + Write), status: u16, body: &str) -> Received {
    let mut reader = BufReader::new(&mut *stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let request = Received {
        head,
        body: String::new(),
    };
    let length: usize = request
        .header("content-length")
        .map_or(0, |value| value.parse().unwrap());
    let mut read = vec![0; length];
    reader.read_exact(&mut read).unwrap();
    let answer = format!(
        "HTTP/1.1 {status} Whatever\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).unwrap();
    stream.flush().unwrap();
    Received {
        body: String::from_utf8(read).unwrap(),
        ..request
    }
}

/// Checks a `Retex-Signature` value as docs/integrations.md tells a receiver to.
fn signed_by(secret: &str, received: &Received) -> bool {
    let Some(value) = received.header("retex-signature") else {
        return false;
    };
    let fields: Vec<(&str, &str)> = value.split(',').filter_map(|field| field.split_once('=')).collect();
    let field = |name: &str| fields.iter().find(|(key, _)| *key == name).map(|(_, value)| *value);
    let (Some(t), Some(v1)) = (field("t"), field("v1")) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    expected == v1
}

/// The notification tasks, once `done` holds for all of them.
fn tasks_when(server: &Server, done: impl Fn(&serde_json::Value) -> bool) -> Vec<serde_json::Value> {
    tasks_of_kind_when(server, "notify_webhook", done)
}

/// The tasks of a kind, once `done` holds for all of them.
pub fn tasks_of_kind_when(
    server: &Server,
    kind: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let admin = vec![("cookie", server.login("admin"))];
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let answer = server
            .send("GET", &format!("/api/v1/tasks?kind={kind}"), &admin, "")
            .json();
        tasks = answer["items"].as_array().unwrap().clone();
        if !tasks.is_empty() && tasks.iter().all(&done) {
            return tasks;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the notifications never got there: {tasks:?}");
}

#[test]
fn a_signed_delivery_over_tls_is_retried_and_resent_under_one_idempotency_key() {
    let (url, received) = tls_receiver(&[503, 204]);
    let rules = format!(
        "[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"notify_webhook\"\ntarget = \"{url}\"\n\
         secret = \"s3cret\"\n"
    );
    let options = ServerOptions {
        webhook_roots: Some(std::fs::read(format!("{TLS}/ca.pem")).unwrap()),
        ..ServerOptions::engine_clock()
    };
    let server = Server::start_with(&rules, options);
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), crate::WORLD);
    assert_eq!(response.status, 200, "{}", response.body);

    // The world raises two exceptions with notifications: the receiver fails the first delivery only.
    let first = received
        .recv_timeout(Duration::from_secs(10))
        .expect("a delivery over TLS");
    let other = received
        .recv_timeout(Duration::from_secs(10))
        .expect("the other delivery");
    for request in [&first, &other] {
        assert!(request.head.starts_with("POST /hook HTTP/1.1"), "{}", request.head);
        assert!(signed_by("s3cret", request), "{}", request.head);
        assert!(!signed_by("another secret", request));
    }
    let key = first.header("idempotency-key").expect("an idempotency key").to_owned();
    assert_ne!(
        other.header("idempotency-key"),
        Some(key.as_str()),
        "one key per notification"
    );
    let tasks = tasks_when(&server, |task| task["status"] != "pending");
    let failed: Vec<&serde_json::Value> = tasks.iter().filter(|task| task["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{tasks:?}");
    assert_eq!(failed[0]["attempts"], 1);
    assert!(
        failed[0]["detail"].as_str().unwrap().ends_with("failed: HTTP 503"),
        "{failed:?}"
    );
    assert!(
        failed[0]["retry_at"].is_string(),
        "a failure says when it is tried again: {failed:?}"
    );
    assert_eq!(key, format!("retex-task-{}", failed[0]["id"]));

    // Someone who fixed the receiver does not wait for the next try.
    let lead = server.login("lead");
    let mut headers = vec![("cookie", lead.clone()), ("x-csrf-token", server.csrf(&lead))];
    headers.push(("content-type", "application/json".into()));
    let resend = format!(r#"{{"action":"resend_task","task":{}}}"#, failed[0]["id"]);
    let path = format!("/api/v1/exceptions/{}/actions", failed[0]["exception"]);
    let resent = server.send("POST", &path, &headers, &resend);
    assert_eq!(resent.status, 200, "{}", resent.body);
    let second = received.recv_timeout(Duration::from_secs(10)).expect("the resend");
    assert_eq!(
        second.header("idempotency-key"),
        Some(key.as_str()),
        "one key for every attempt"
    );
    assert!(signed_by("s3cret", &second));
    let delivered = tasks_when(&server, |task| task["status"] == "delivered");
    let resent_task = delivered.iter().find(|task| task["id"] == failed[0]["id"]).unwrap();
    assert_eq!(resent_task["attempts"], 2);
    assert_eq!(
        server.send("POST", &path, &headers, &resend).status,
        409,
        "a delivered notification is not resent"
    );
}

#[test]
fn a_receiver_whose_authority_is_not_trusted_is_a_failure_that_says_so() {
    let (url, _received) = tls_receiver(&[204]);
    let rules =
        format!("[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"notify_webhook\"\ntarget = \"{url}\"\n");
    let server = Server::start_with(&rules, ServerOptions::engine_clock());
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), crate::WORLD);
    assert_eq!(response.status, 200, "{}", response.body);
    let failed = tasks_when(&server, |task| task["status"] == "failed");
    let detail = failed[0]["detail"].as_str().unwrap();
    assert!(detail.contains("certificate"), "{detail}");
}

/// A warehouse with stock and a store that sold the item twice a day for a week, then counted two left: the
/// count variance proposes a transfer from the warehouse.
const REPLENISHMENT_WORLD: &str = include_str!("../../../retex-core/tests/data/replenishment_world.ndjson");

/// Rules under which a count variance proposes replenishment.
pub const PROPOSE_REPLENISHMENT: &str =
    "[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"propose_replenishment\"\n";

/// Proposes a draft transfer in `server` (running under [`PROPOSE_REPLENISHMENT`]) and has the lead approve
/// it; the draft task.
pub fn approve_a_draft(server: &Server) -> serde_json::Value {
    let draft = propose_a_draft(server);
    approve(server, &draft);
    draft
}

/// Proposes a draft transfer in `server` (running under [`PROPOSE_REPLENISHMENT`]); the draft task.
pub fn propose_a_draft(server: &Server) -> serde_json::Value {
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), REPLENISHMENT_WORLD);
    assert_eq!(response.status, 200, "{}", response.body);
    let proposed = tasks_of_kind_when(server, "transfer", |task| task["status"] == "proposed");
    proposed[0].clone()
}

/// The lead approves a proposed draft.
pub fn approve(server: &Server, draft: &serde_json::Value) {
    let lead = server.login("lead");
    let headers = vec![
        ("cookie", lead.clone()),
        ("x-csrf-token", server.csrf(&lead)),
        ("content-type", "application/json".into()),
    ];
    let decide = format!(
        r#"{{"action":"decide_task","task":{},"approve":true,"note":"send it"}}"#,
        draft["id"]
    );
    let path = format!("/api/v1/exceptions/{}/actions", draft["exception"]);
    let approved = server.send("POST", &path, &headers, &decide);
    assert_eq!(approved.status, 200, "{}", approved.body);
}

#[test]
fn an_approved_draft_goes_to_the_webhook_and_its_reference_comes_back_to_the_timeline() {
    let (url, received) = http_receiver(r#"{"reference":"ERP-TR-77"}"#);
    let server = Server::start_with_rules(PROPOSE_REPLENISHMENT);
    let secret = retex_core::rules::workflow::Secret::Inline("drafts-k3y".into());
    let exporter = retex_server::outbound::DraftExporter::webhook(url.clone(), Some(&secret), None).unwrap();
    server.spawn(exporter.run(Arc::clone(&server.state)));
    let draft = approve_a_draft(&server);

    let request = received.recv_timeout(Duration::from_secs(10)).expect("the draft");
    assert!(signed_by("drafts-k3y", &request), "{}", request.head);
    assert_eq!(
        request.header("idempotency-key"),
        Some(format!("retex-task-{}", draft["id"]).as_str())
    );
    let sent: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(sent["event"], "draft_approved");
    assert_eq!(
        (
            sent["task"]["kind"].as_str(),
            sent["task"]["from"].as_str(),
            sent["task"]["location"].as_str()
        ),
        (Some("transfer"), Some("DC"), Some("S1"))
    );
    assert_eq!(sent["task"]["sku"], "K0");
    assert_eq!(sent["task"]["decided_by"], "lead");

    let exported = tasks_of_kind_when(&server, "transfer", |task| task["status"] == "exported");
    assert_eq!(exported[0]["detail"], format!("ERP-TR-77 (from {url})"));
    let admin = vec![("cookie", server.login("admin"))];
    let detail = server
        .send("GET", &format!("/api/v1/exceptions/{}", draft["exception"]), &admin, "")
        .body;
    assert!(
        detail.contains("exported: ERP-TR-77"),
        "noted on the timeline: {detail}"
    );
    assert!(
        received.recv_timeout(Duration::from_secs(3)).is_err(),
        "an exported draft is not sent again"
    );
}
