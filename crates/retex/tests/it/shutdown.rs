//! `retex serve` ends cleanly on SIGTERM on both stores: it finishes what is in flight, exits 0 and panics
//! nowhere (the PostgreSQL client used to be closed inside the async runtime, which panicked).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{PostgresDatabase, free_port, get};

/// Serves the store, waits until it answers, asks it to stop, and checks how it ended.
fn serve_then_terminate(store: [&str; 2]) {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(["serve", store[0], store[1], "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while get(port, "/healthz").is_none() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
    let terminated = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout) + String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {said}", output.status);
    assert!(!said.contains("panicked"), "{said}");
    assert!(said.contains("shutting down"), "{said}");
}

#[test]
fn serve_stops_cleanly_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    serve_then_terminate(["--db", dir.path().join("retex.db").to_str().unwrap()]);
}

#[test]
fn serve_stops_cleanly_on_postgresql() {
    let Some(database) = PostgresDatabase::create("shutdown") else {
        return;
    };
    serve_then_terminate(["--database-url", &database.url]);
}
