//! `kill -9` during `retex ingest` loses nothing committed, and ingesting the same file again converges to
//! exactly the state and log of one clean run.

use std::process::{Command, Stdio};
use std::time::Duration;

use retex_store::StoreLocation;

use crate::{log_ids, synthetic_stream, visible_state};

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
