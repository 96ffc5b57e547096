//! `retex serve --clock wall`: between events the engine's clock follows the wall clock, so a deadline that
//! passed while no event came fires all the same (here, a transfer that was due weeks ago).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Server, free_port, get, retex, stdout, store_with_an_unreceived_transfer};

/// How long the server may take to start and tick (it checks the wall clock every second).
const WAIT_MAX: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_millis(100);

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
