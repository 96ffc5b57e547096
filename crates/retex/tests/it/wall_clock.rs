//! `retex serve --clock wall`: between events the engine's clock follows the wall clock, so a deadline that
//! passed while no event came fires all the same (here, a transfer that was due weeks ago).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{retex, stdout, store_with_an_unreceived_transfer};

/// How long the server may take to start and tick (it checks the wall clock every second).
const WAIT_MAX: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Kills the server when the test ends, passed or not.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The body of `GET path`, or `None` while the server does not answer.
fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// The engine's clock lag behind the wall clock, in seconds, from `/metrics`.
fn clock_lag_seconds(port: u16) -> Option<f64> {
    let metrics = get(port, "/metrics")?;
    let line = metrics
        .lines()
        .find(|line| line.starts_with("retex_engine_clock_lag_seconds "))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn serve_with_the_wall_clock_fires_deadlines_that_passed_without_an_event() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_an_unreceived_transfer(dir.path());
    let db = db.as_str();
    let overdue = |listed: &str| listed.lines().filter(|line| line.contains("transfer_overdue")).count();
    let before = stdout(&retex(&["exceptions", "--db", db, "--format", "ndjson"]));
    assert_eq!(
        overdue(&before),
        0,
        "the log alone stops at 07:00, before the transfer is due: {before}"
    );

    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_retex"))
            .args(["serve", "--db", db, "--listen", &listen, "--clock", "wall"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    let mut lag = None;
    while started.elapsed() < WAIT_MAX {
        lag = clock_lag_seconds(port);
        if lag.is_some_and(|seconds| seconds < 60.0) {
            break;
        }
        std::thread::sleep(POLL_EVERY);
    }
    drop(server);
    assert!(
        lag.is_some_and(|seconds| seconds < 60.0),
        "the engine's clock caught up with the wall clock within {WAIT_MAX:?}: lag {lag:?} s"
    );
    // The tick is in the log: a later reader of the store sees what it fired.
    let after = stdout(&retex(&["exceptions", "--db", db, "--format", "ndjson"]));
    assert_eq!(overdue(&after), 1, "{after}");
    assert!(after.contains(r#""opened_at":"2026-11-02T19:00:00Z""#), "{after}");
}
