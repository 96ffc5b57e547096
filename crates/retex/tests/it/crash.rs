//! `kill -9` during `retex ingest` loses nothing committed, and ingesting the same file again converges to
//! exactly the state and log of one clean run. Kills at moments spread over a run, and kills landed on purpose
//! while a batch is written and not yet committed (`RETEX_FAULT_HOLD_BATCH_MS`, retex_store::fault): none of
//! that batch survives, on SQLite, on PostgreSQL, and through `retex serve`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use retex_store::StoreLocation;

use crate::{PostgresDatabase, free_port, get, log_ids, log_ids_at, post_events, synthetic_stream, visible_state};

const EVENTS: usize = 60_000;

#[test]
fn killed_ingests_resume_to_the_state_of_one_clean_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream.ndjson");
    std::fs::write(&file, synthetic_stream(EVENTS)).unwrap();
    let expected_ids: Vec<String> = (0..EVENTS).map(|index| format!("e{index}")).collect();

    let clean = dir.path().join("clean.db");
    let status = Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(["ingest", "--db", clean.to_str().unwrap(), file.to_str().unwrap()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(log_ids(&clean), expected_ids);

    let crashed = dir.path().join("crashed.db");
    // Kill moments spread over a run; each restart resumes where the committed log ends.
    for kill_after_ms in [150u64, 400, 90, 700] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_retex"))
            .args(["ingest", "--db", crashed.to_str().unwrap(), file.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(kill_after_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let logged = log_ids(&crashed);
        assert_eq!(
            logged[..],
            expected_ids[..logged.len()],
            "the log is a prefix of the file, in order"
        );
    }
    let status = Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(["ingest", "--db", crashed.to_str().unwrap(), file.to_str().unwrap()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(log_ids(&crashed), expected_ids);
    assert_eq!(visible_state(&crashed), visible_state(&clean));
    assert_eq!(state_hash(&crashed), state_hash(&clean));
}

fn state_hash(db: &std::path::Path) -> String {
    let store = retex_store::open(&StoreLocation::Sqlite(db.to_path_buf())).unwrap();
    let live = retex_store::LiveEngine::open(store, Default::default(), retex_store::LiveOptions::default()).unwrap();
    live.engine().state_hash()
}

/// The line each held append writes (retex_store::fault).
const HOLDING: &str = "retex: fault injection: holding ";

/// Starts `command` with every append held uncommitted for a moment, and kills it (SIGKILL) while its
/// `nth` batch is held; the entries each batch held, in order.
fn kill_while_holding(mut command: Command, nth: usize) -> Vec<usize> {
    let mut child: Child = command
        .env("RETEX_FAULT_HOLD_BATCH_MS", "1500")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut held = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let Some(rest) = line.strip_prefix(HOLDING) else {
            continue;
        };
        held.push(rest.split(' ').next().unwrap().parse::<usize>().unwrap());
        if held.len() == nth {
            child.kill().unwrap();
            child.wait().unwrap();
            return held;
        }
    }
    let status = child.wait().unwrap();
    panic!("the process ended ({status}) before its batch {nth} was held: {held:?}");
}

/// `retex ingest FILE` into `store` (`--db PATH` or `--database-url URL`), killed while its second batch is in
/// flight: the first batch is there, none of the second; a rerun completes the log.
fn a_kill_inside_a_batch_keeps_none_of_it(store: [&str; 2], location: &StoreLocation) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream.ndjson");
    std::fs::write(&file, synthetic_stream(EVENTS)).unwrap();
    let expected_ids: Vec<String> = (0..EVENTS).map(|index| format!("e{index}")).collect();
    let mut ingest = Command::new(env!("CARGO_BIN_EXE_retex"));
    ingest.args(["ingest", store[0], store[1], file.to_str().unwrap()]);
    let held = kill_while_holding(ingest, 2);
    assert!(held[1] > 0, "a batch was in flight at the kill: {held:?}");
    let logged = log_ids_at(location);
    assert_eq!(
        logged.len(),
        held[0],
        "the committed batch is there and none of the one in flight: {held:?}"
    );
    assert!(logged.len() < EVENTS, "some, not all, of the file was committed");
    assert_eq!(logged[..], expected_ids[..logged.len()]);
    let status = Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(["ingest", store[0], store[1], file.to_str().unwrap()])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(log_ids_at(location), expected_ids);
}

#[test]
fn a_kill_inside_a_batch_keeps_none_of_it_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    a_kill_inside_a_batch_keeps_none_of_it(["--db", db.to_str().unwrap()], &StoreLocation::Sqlite(db.clone()));
}

#[test]
fn a_kill_inside_a_batch_keeps_none_of_it_on_postgresql() {
    let Some(database) = PostgresDatabase::create("crash") else {
        return;
    };
    let url = database.url.clone();
    a_kill_inside_a_batch_keeps_none_of_it(["--database-url", &url], &StoreLocation::Postgres(url.clone()));
}

#[test]
fn a_server_killed_inside_a_batch_keeps_none_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db_text = db.to_str().unwrap();
    let token = crate::retex(&["token", "add", "--db", db_text, "feed", "--role", "source"]);
    let token = crate::stdout(&token).lines().last().unwrap().to_owned();
    let serve = |port: u16| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_retex"));
        command.args([
            "serve",
            "--db",
            db_text,
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--clock",
            "log",
        ]);
        command
    };
    let first: Vec<String> = synthetic_stream(EVENTS).lines().map(str::to_owned).collect();
    let (early, late) = first.split_at(1_000);
    let port = free_port();
    let poster = {
        let (token, early, late) = (token.clone(), early.join("\n"), late.join("\n"));
        std::thread::spawn(move || {
            while get(port, "/healthz").is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
            // The first request commits (after its hold); the second is in flight when the server dies.
            post_events(port, &token, &early);
            post_events(port, &token, &late);
        })
    };
    let held = kill_while_holding(serve(port), 2);
    let _ = poster.join();
    assert_eq!(held[0], 1_000, "the first request, one batch");
    assert!(
        held[1] > 0,
        "the second request's first batch was in flight at the kill: {held:?}"
    );
    assert_eq!(
        log_ids(&db).len(),
        1_000,
        "the first request's events, none of the second's"
    );
}
