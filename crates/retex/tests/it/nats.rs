//! `retex serve --nats`: events from a real NATS JetStream stream (RETEX_TEST_NATS_URL; `.ci/run` starts the
//! machine's server), acknowledged only after their commit. A `kill -9` mid-stream loses nothing and applies
//! nothing twice; malformed messages are acknowledged and copied to the dead-letter subject with their problem.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use futures_util::StreamExt;

use crate::{Server, free_port, get, log_ids, synthetic_stream};

/// Events sent one per message, then in NDJSON messages of [`LINES_PER_MESSAGE`].
const SINGLE_EVENTS: usize = 20_000;
const NDJSON_MESSAGES: usize = 50;
const LINES_PER_MESSAGE: usize = 100;
/// A stall of the consumer (a lost pull request waits 30 s without its heartbeat) exceeds it; a resume takes about
/// `ACK_WAIT` (10 s), when the killed run's messages come again.
const WAIT_MAX: Duration = Duration::from_secs(30);

fn nats_url() -> Option<String> {
    let url = std::env::var("RETEX_TEST_NATS_URL").ok();
    if url.is_none() {
        eprintln!("NATS tests skipped: set RETEX_TEST_NATS_URL (nats://127.0.0.1:4222), as .ci/run does");
    }
    url
}

/// `retex serve` taking events from the stream, its log in `log`.
fn serve(db: &Path, port: u16, url: &str, names: &Names, log: &Path) -> Server {
    let log = std::fs::File::create(log).unwrap();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_retex"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            &listen,
            "--clock",
            "log",
        ])
        .args([
            "--nats",
            url,
            "--nats-stream",
            &names.stream,
            "--nats-subject",
            &names.subject,
        ])
        .args(["--nats-dead-letter", &names.dead_letter])
        .env("RETEX_LOG", "info,retex_server::nats=debug")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(log)
        .spawn()
        .unwrap();
    Server(child)
}

fn metric(port: u16, name: &str) -> Option<u64> {
    let metrics = get(port, "/metrics")?;
    let line = metrics
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

struct Names {
    stream: String,
    subject: String,
    dead_letter: String,
}

#[test]
fn a_killed_consumer_resumes_without_losing_or_repeating_an_event() {
    let Some(url) = nats_url() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime
        .block_on(async_nats::connect(&url))
        .unwrap_or_else(|error| panic!("RETEX_TEST_NATS_URL is set but {url} does not answer: {error}"));
    let unique = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let names = Names {
        stream: format!("RETEX_TEST_{unique}"),
        subject: format!("retex.test.{unique}.events"),
        dead_letter: format!("retex.test.{unique}.dead"),
    };
    let _in_runtime = runtime.enter();
    let jetstream = jetstream::new(client.clone());
    runtime
        .block_on(jetstream.create_stream(stream::Config {
            name: names.stream.clone(),
            subjects: vec![names.subject.clone()],
            ..Default::default()
        }))
        .unwrap();
    let mut dead_letters = runtime.block_on(client.subscribe(names.dead_letter.clone())).unwrap();

    let events: Vec<String> = synthetic_stream(SINGLE_EVENTS + NDJSON_MESSAGES * LINES_PER_MESSAGE)
        .lines()
        .map(str::to_owned)
        .collect();
    let (single, grouped) = events.split_at(SINGLE_EVENTS);
    let mut payloads: Vec<String> = single.to_vec();
    payloads.extend(grouped.chunks(LINES_PER_MESSAGE).map(|lines| lines.join("\n")));
    payloads.push("this is not an event".to_owned());
    let good_then_bad = r#"{"id":"mixed-1","source":"pos","type":"sale","at":"2025-11-01T00:00:00Z","location":"S01","sku":"K001","qty":1,"unit_price":2.5,"channel":"pos"}
{"id":"mixed-2","source":"pos","type":"sale","at":"2025-11-01T00:00:00Z","location":"S01","sku":"K001","qty":-1,"unit_price":2.5,"channel":"pos"}"#;
    payloads.push(good_then_bad.to_owned());
    let expected = events.len() + 1;
    runtime.block_on(async {
        // Acknowledgements in flight are bounded: wait for each group's before sending the next.
        for group in payloads.chunks(500) {
            let mut acks = Vec::with_capacity(group.len());
            for payload in group {
                acks.push(
                    jetstream
                        .publish(names.subject.clone(), payload.clone().into())
                        .await
                        .unwrap(),
                );
            }
            for ack in acks {
                ack.await.unwrap();
            }
        }
    });

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let port = free_port();
    let mut first = serve(&db, port, &url, &names, &dir.path().join("first.log"));
    let started = Instant::now();
    while metric(port, "retex_nats_messages_total").unwrap_or(0) == 0 {
        assert!(
            started.elapsed() < WAIT_MAX,
            "the first run took nothing from the stream"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    first.0.kill().unwrap(); // SIGKILL, mid-stream
    first.0.wait().unwrap();
    let after_kill = log_ids(&db).len();
    assert!(
        after_kill > 0 && after_kill < expected,
        "the kill landed mid-stream: {after_kill} of {expected} logged"
    );

    let port = free_port();
    let second_log = dir.path().join("second.log");
    let mut second = serve(&db, port, &url, &names, &second_log);
    let started = Instant::now();
    let consumer_state = || {
        runtime.block_on(async {
            let mut consumer: jetstream::consumer::PullConsumer =
                jetstream.get_consumer_from_stream("retex", &names.stream).await.ok()?;
            let info = consumer.info().await.ok()?;
            Some((
                info.num_pending,
                info.num_ack_pending,
                info.num_redelivered,
                info.num_waiting,
            ))
        })
    };
    loop {
        let state = consumer_state();
        if matches!(state, Some((0, 0, _, _))) {
            break;
        }
        assert!(
            started.elapsed() <= WAIT_MAX,
            "the second run did not finish the stream in {} s: (pending, awaiting ack, redelivered, waiting pulls) \
             {state:?}, {} of {expected} events logged, retex serve {:?}; its log:\n{}",
            WAIT_MAX.as_secs(),
            log_ids(&db).len(),
            second.0.try_wait(),
            std::fs::read_to_string(&second_log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let ids = log_ids(&db);
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "no event is logged twice");
    assert_eq!(ids.len(), expected, "every valid event is logged once");
    assert!(ids.iter().any(|id| id == "mixed-1") && !ids.iter().any(|id| id == "mixed-2"));
    assert_eq!(metric(port, "retex_nats_malformed_total"), Some(2));

    let problems: Vec<String> = runtime.block_on(async {
        let mut problems = Vec::new();
        while problems.len() < 2 {
            let message = tokio::time::timeout(Duration::from_secs(10), dead_letters.next())
                .await
                .expect("two dead letters")
                .unwrap();
            let headers = message.headers.expect("the problem in a header");
            problems.push(headers.get("Retex-Error").unwrap().to_string());
        }
        problems
    });
    assert!(
        problems.iter().any(|problem| problem.starts_with("line 1: json: ")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|problem| problem.starts_with("line 2: qty: must be greater than 0")),
        "{problems:?}"
    );
    runtime.block_on(jetstream.delete_stream(&names.stream)).unwrap();
}

#[test]
fn an_unreachable_server_stops_retex_serve_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let unused = free_port();
    let output = Command::new(env!("CARGO_BIN_EXE_retex"))
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .args(["--nats", &format!("nats://127.0.0.1:{unused}")])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("error: connect to NATS at nats://127.0.0.1:{unused}")),
        "{stderr}"
    );
}
