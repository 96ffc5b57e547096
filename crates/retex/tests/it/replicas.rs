//! Replicas of `retex serve` on one PostgreSQL database, as real processes: each takes events and serves reads,
//! one leads (ticks the clock, sends notifications). Killed with SIGKILL, the leader hands over to the other,
//! and nothing accepted is lost, no deadline fires twice and no notification is sent twice.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use retex_store::StoreLocation;

use crate::{PostgresDatabase, Server, free_port, get, log_ids_at, post_events, retex, stdout};

/// What happens before the kill: master data, stock, a transfer long overdue (a deadline the leader's clock fires)
/// and a count 30 short of the books (an exception whose notification the leader sends).
const BEFORE: &str = r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store","region":"east","timezone":"UTC","hours":"00:00-24:00"}
{"id":"L2","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S2","name":"Two","kind":"store","region":"east","timezone":"UTC","hours":"00:00-24:00"}
{"id":"P1","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K1","name":"Kettle","category":"Home/Kitchen","uom":"unit","cost":20,"price":45}
{"id":"a1","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S1","sku":"K1","qty":50,"reason":"correction"}
{"id":"a2","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S2","sku":"K1","qty":50,"reason":"correction"}
{"id":"T1","source":"wms","type":"transfer_shipped","at":"2026-11-02T08:00:00Z","transfer":"T1","from":"S2","to":"S1","expected":"2026-11-02T12:00:00Z","lines":[{"sku":"K1","qty":5}]}
{"id":"c1","source":"t","type":"count","at":"2026-11-02T09:00:00Z","location":"S1","sku":"K1","counted":20}"#;
/// After the kill, posted to the survivor: another count far from the books, another notification.
const AFTER: &str =
    r#"{"id":"c2","source":"t","type":"count","at":"2026-11-02T10:00:00Z","location":"S2","sku":"K1","counted":10}"#;

/// A webhook receiver that answers 204 and reports each delivery's idempotency key.
fn receiver() -> (String, Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
    let (sender, received) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(&mut stream);
            let (mut key, mut length) = (String::new(), 0);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("idempotency-key:") {
                    key = value.trim().to_owned();
                }
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            let _ = sender.send(key);
        }
    });
    (url, received)
}

/// The body of an authenticated `GET`, or `None` while the server does not answer.
fn get_as(port: u16, token: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// Waits up to `limit` for `condition`; how long it took, or `None`.
fn within(limit: Duration, mut condition: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn leads(port: u16) -> bool {
    get(port, "/metrics").is_some_and(|metrics| metrics.lines().any(|line| line == "retex_leader 1"))
}

/// The exceptions of a type a replica lists.
fn listed(port: u16, token: &str, exception_type: &str) -> usize {
    get_as(
        port,
        token,
        &format!("/api/v1/exceptions?type={exception_type}&status=all"),
    )
    .and_then(|body| serde_json::from_str::<serde_json::Value>(&body).ok())
    .and_then(|answer| answer["items"].as_array().map(Vec::len))
    .unwrap_or(0)
}

fn token(url: &str, name: &str, role: &str) -> String {
    let added = retex(&["token", "add", "--database-url", url, name, "--role", role]);
    assert!(added.status.success(), "{}", crate::stderr(&added));
    stdout(&added).lines().last().unwrap().to_owned()
}

#[test]
fn replicas_share_the_log_and_a_killed_leader_hands_over_losing_and_repeating_nothing() {
    let Some(database) = PostgresDatabase::create("replicas") else {
        return;
    };
    let url = database.url.as_str();
    let (hook, deliveries) = receiver();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        format!(
            "[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"notify_webhook\"\ntarget = \"{hook}\"\n"
        ),
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let source = token(url, "feed", "source");
    let reader = token(url, "reader", "viewer");
    let serve = |port: u16| {
        Server(
            Command::new(env!("CARGO_BIN_EXE_retex"))
                .args(["serve", "--database-url", url, "--rules", rules, "--clock", "wall"])
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let (first_port, second_port) = (free_port(), free_port());
    let mut first = serve(first_port);
    within(Duration::from_secs(30), || leads(first_port)).expect("the first replica leads");
    let _second = serve(second_port);
    within(Duration::from_secs(30), || {
        get(second_port, "/readyz").is_some_and(|ready| ready.starts_with("ready: follower"))
    })
    .expect("the second replica follows");

    let posted = post_events(second_port, &source, BEFORE).expect("the follower takes events");
    assert!(posted.starts_with("HTTP/1.1 200"), "{posted}");
    let seen = within(Duration::from_secs(1), || {
        listed(first_port, &reader, "count_variance") == 1
    });
    assert!(
        seen.is_some(),
        "the leader reflects the follower's event within a second"
    );
    let first_key = deliveries
        .recv_timeout(Duration::from_secs(10))
        .expect("the leader sends the notification");
    within(Duration::from_secs(10), || {
        listed(second_port, &reader, "transfer_overdue") == 1
    })
    .expect("the leader's clock fires the overdue transfer, and the follower sees it");
    within(Duration::from_secs(10), || {
        get_as(second_port, &reader, "/api/v1/tasks?kind=notify_webhook")
            .is_some_and(|tasks| tasks.contains("\"delivered\""))
    })
    .expect("the delivery is logged, and the follower sees it");

    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let took_over = within(Duration::from_secs(10), || leads(second_port));
    assert!(took_over.is_some(), "the survivor leads within 10 s of the kill");

    let posted = post_events(second_port, &source, AFTER).expect("the survivor takes events");
    assert!(posted.starts_with("HTTP/1.1 200"), "{posted}");
    let second_key = deliveries
        .recv_timeout(Duration::from_secs(10))
        .expect("the new leader sends the new notification");
    assert_ne!(first_key, second_key, "{first_key}");
    // Time for any repeat to show: the dispatcher polls every second.
    let repeat = deliveries.recv_timeout(Duration::from_secs(4));
    assert!(repeat.is_err(), "a notification was sent twice: {repeat:?}");
    assert_eq!(
        listed(second_port, &reader, "transfer_overdue"),
        1,
        "the deadline fired once"
    );
    assert_eq!(listed(second_port, &reader, "count_variance"), 2);

    let logged = log_ids_at(&StoreLocation::Postgres(url.to_owned()));
    for id in ["L1", "L2", "P1", "a1", "a2", "T1", "c1", "c2"] {
        assert_eq!(
            logged.iter().filter(|logged| *logged == id).count(),
            1,
            "{id} is in the log once: {logged:?}"
        );
    }
}
