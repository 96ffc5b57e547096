//! The ingest command's contract: summary line, field-named rejections, exit status, reads of the result.

use crate::{all_exceptions, retex, stderr, stdout, store_with_an_unreceived_transfer, synthetic_stream};

const EXAMPLE: &str = include_str!("../../../retex-core/tests/data/events_md_example.ndjson");

#[test]
fn ingest_reports_each_bad_line_and_keeps_the_good_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let file = dir.path().join("mixed.ndjson");
    let mut lines: Vec<&str> = EXAMPLE.lines().collect();
    lines.insert(3, r#"{"id":"bad-1","source":"pos","type":"sale","at":"2026-11-02T10:15:00Z","location":"S001","sku":"1001","qty":"lots","unit_price":1,"channel":"pos"}"#);
    lines.insert(6, "");
    lines.insert(7, "{not json");
    std::fs::write(&file, lines.join("\n")).unwrap();

    let output = retex(&["ingest", "--db", db.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    let name = file.display();
    assert_eq!(
        stderr(&output),
        format!(
            "{name}:4: qty: \"lots\" is not a decimal number (at most 28 significant digits)\n{name}:8: json: key must be a string (column 2)\n"
        )
    );
    assert!(
        stdout(&output).starts_with("accepted 9, duplicates 0, rejected 2 in "),
        "{}",
        stdout(&output)
    );

    let stock = retex(&["stock", "--db", db.to_str().unwrap(), "--location", "S001"]);
    assert_eq!(
        stdout(&stock),
        "location  sku   on_hand  reserved  in_transit\nS001      1001  22       0         0\n"
    );
}

#[test]
fn a_clean_file_exits_zero_and_a_repeat_is_all_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let file = dir.path().join("example.ndjson");
    std::fs::write(&file, EXAMPLE).unwrap();
    let db = db.to_str().unwrap();
    let first = retex(&["ingest", "--db", db, file.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let second = retex(&["ingest", "--db", db, file.to_str().unwrap()]);
    assert_eq!(second.status.code(), Some(0));
    assert!(
        stdout(&second).starts_with("accepted 0, duplicates 9, rejected 0"),
        "{}",
        stdout(&second)
    );
}

#[test]
fn an_event_from_the_future_is_rejected_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db = db.to_str().unwrap();
    let file = dir.path().join("future.ndjson");
    let sale = r#"{"id":"s1","source":"pos","type":"sale","at":"2026-11-02T10:15:00Z","location":"S1","sku":"A","qty":2,"unit_price":1,"channel":"pos"}"#;
    let ahead = sale
        .replace(r#""id":"s1""#, r#""id":"s2""#)
        .replace("2026-11-02", "2099-01-01");
    std::fs::write(&file, format!("{sale}\n{ahead}\n")).unwrap();
    let output = retex(&["ingest", "--db", db, file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.starts_with(&format!("{}:2: at: ", file.display())) && message.contains(" s in the future"),
        "{message}"
    );
    assert!(stdout(&output).starts_with("accepted 1, duplicates 0, rejected 1"));
    let allowed = retex(&["ingest", "--db", db, "--allow-future", file.to_str().unwrap()]);
    assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
    assert!(stdout(&allowed).starts_with("accepted 1, duplicates 1, rejected 0"));
}

#[test]
fn a_line_too_long_or_not_utf8_is_rejected_by_number_and_the_rest_ingested() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let file = dir.path().join("mixed.ndjson");
    let sale = |id: &str| {
        format!(
            r#"{{"id":"{id}","source":"pos","type":"sale","at":"2026-11-02T10:15:00Z","location":"S1","sku":"A","qty":1,"unit_price":1,"channel":"pos"}}"#
        )
    };
    let mut bytes = format!("{}\n", sale("s1")).into_bytes();
    bytes.extend_from_slice(b"{\"id\":\"\xff\"}\n");
    bytes.extend_from_slice(format!("{{\"id\":\"{}\"}}\n{}\n", "x".repeat(1 << 20), sale("s2")).as_bytes());
    std::fs::write(&file, bytes).unwrap();
    let output = retex(&["ingest", "--db", db.to_str().unwrap(), file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(3));
    let errors = stderr(&output);
    assert!(
        errors.contains("mixed.ndjson:2: json: not valid UTF-8 (byte 8)"),
        "{errors}"
    );
    assert!(
        errors.contains("mixed.ndjson:3: json: line of 1048585 bytes, longer than 1 MiB"),
        "{errors}"
    );
    assert!(stdout(&output).starts_with("accepted 2, duplicates 0, rejected 2"));
}

#[test]
fn a_conflicting_repeat_is_counted_and_the_logged_event_stands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db = db.to_str().unwrap();
    let first = dir.path().join("first.ndjson");
    let changed = dir.path().join("changed.ndjson");
    let sale = r#"{"id":"s1","source":"pos","type":"sale","at":"2026-11-02T10:15:00Z","location":"S1","sku":"A","qty":2,"unit_price":1,"channel":"pos"}"#;
    std::fs::write(&first, sale).unwrap();
    std::fs::write(&changed, sale.replace(r#""qty":2"#, r#""qty":5"#)).unwrap();
    retex(&["ingest", "--db", db, first.to_str().unwrap()]);
    let output = retex(&["ingest", "--db", db, changed.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "a contradiction is reported like a rejected line"
    );
    assert!(
        stderr(&output).contains(
            "changed.ndjson:1: id: repeats (pos, s1) with a different body; the one logged at seq 1 (dated 2026-11-02T10:15:00Z) stands"
        ),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("duplicates 1 (1 with a different body, see above)"));
    let stock = retex(&["stock", "--db", db, "--format", "ndjson"]);
    assert_eq!(
        stdout(&stock),
        "{\"location\":\"S1\",\"sku\":\"A\",\"on_hand\":-2,\"reserved\":0,\"in_transit\":0}\n"
    );
}

#[test]
fn tick_fires_an_overdue_transfer_and_exceptions_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_an_unreceived_transfer(dir.path());
    let db = db.as_str();
    let tick = retex(&["tick", "--db", db, "--at", "2026-11-02T20:00:00Z"]);
    assert_eq!(
        stdout(&tick),
        "clock at 2026-11-02T20:00:00Z; 1 exceptions opened\n",
        "{}",
        stderr(&tick)
    );
    let listed = stdout(&retex(&["exceptions", "--db", db, "--format", "ndjson"]));
    let overdue: Vec<&str> = listed
        .lines()
        .filter(|line| line.contains("transfer_overdue"))
        .collect();
    assert_eq!(overdue.len(), 1, "{listed}");
    assert!(overdue[0].contains(r#""ref":"T-9""#) && overdue[0].contains(r#""opened_at":"2026-11-02T19:00:00Z""#));
}

#[test]
fn a_missing_file_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let output = retex(&["ingest", "--db", db.to_str().unwrap(), "/nonexistent/events.ndjson"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: open /nonexistent/events.ndjson: No such file or directory (os error 2)\n"
    );
}

#[test]
fn a_reading_command_refuses_a_store_that_does_not_exist_and_creates_none() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mistyped.db");
    let db_text = db.to_str().unwrap();
    for command in [
        vec!["exceptions", "--db", db_text],
        vec!["stock", "--db", db_text],
        vec!["incidents", "--db", db_text],
        vec!["audit", "verify", "--db", db_text],
        vec!["exception", "show", "1", "--db", db_text],
    ] {
        let output = retex(&command);
        assert_eq!(output.status.code(), Some(2), "{command:?}: {}", stderr(&output));
        assert_eq!(
            stderr(&output),
            format!(
                "error: no store at {db_text}: give --db the file `retex ingest` or `retex serve` created (or --database-url)\n"
            ),
            "{command:?}"
        );
        assert!(!db.exists(), "{command:?} created an empty store");
    }
}

#[test]
fn the_simulated_catalogue_takes_any_number_of_skus() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.ndjson");
    let out = events.to_str().unwrap();
    let simulated = retex(&["simulate", "--out", out, "--stores", "2", "--days", "1", "--skus", "37"]);
    assert!(
        stdout(&simulated).starts_with("simulated 2 stores with 37 SKUs for 1 days (seed 42)"),
        "{}",
        stderr(&simulated)
    );
    let text = std::fs::read_to_string(&events).unwrap();
    let products = text.lines().filter(|line| line.contains(r#""type":"product""#)).count();
    assert_eq!(products, 37);
    let refused = retex(&["simulate", "--out", out, "--skus", "3"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--skus"), "{}", stderr(&refused));
}

#[test]
fn a_reader_that_stops_reading_ends_the_listing_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let events = dir.path().join("events.ndjson");
    let db_text = db.to_str().unwrap();
    retex(&[
        "simulate",
        "--out",
        events.to_str().unwrap(),
        "--stores",
        "2",
        "--days",
        "3",
    ]);
    retex(&["ingest", "--db", db_text, events.to_str().unwrap()]);
    // The stock of 2 stores lists every SKU at each (over 200 KB): far more than a pipe holds, so the writes
    // after the reader left fail.
    for listing in [vec!["stock"], vec!["stock", "--format", "ndjson"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_retex"))
            .args(&listing)
            .args(["--db", db_text])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first_line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut first_line,
        )
        .unwrap();
        // The reader is gone, as `| head -1` goes: the rest is written to a closed pipe.
        let output = child.wait_with_output().unwrap();
        assert!(!first_line.is_empty());
        assert_eq!(output.status.code(), Some(0), "{listing:?}");
        assert_eq!(stderr(&output), "", "{listing:?}");
    }
}

#[test]
fn with_people_in_the_store_the_actor_and_the_assignee_must_be_among_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_an_unreceived_transfer(dir.path());
    retex(&["tick", "--db", &db, "--at", "2026-11-02T20:00:00Z"]);
    let exception = |args: &[&str]| {
        let mut full = vec!["exception"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--db", &db]);
        retex(&full)
    };
    let anyone = exception(&["comment", "1", "--as", "script", "--text", "no people yet: any name"]);
    assert_eq!(anyone.status.code(), Some(0), "{}", stderr(&anyone));

    let added = std::process::Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(["user", "add", "--db", &db, "lea", "--role", "operations_lead"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut child| {
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"correct horse battery\n")?;
            child.wait()
        })
        .unwrap();
    assert!(added.success());
    let stranger = exception(&["ack", "1", "--as", "leah"]);
    assert_eq!(stranger.status.code(), Some(1));
    assert_eq!(
        stderr(&stranger),
        "error: --as leah: no such user in this store (retex user add)\n"
    );
    let ghost = exception(&["assign", "1", "--as", "lea", "--to", "ghost"]);
    assert_eq!(
        stderr(&ghost),
        "error: --to ghost: no such user in this store (retex user add)\n"
    );
    let assigned = exception(&["assign", "1", "--as", "lea", "--to", "lea"]);
    assert_eq!(assigned.status.code(), Some(0), "{}", stderr(&assigned));
}

#[test]
fn rules_default_reads_back_and_check_names_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = stdout(&retex(&["rules", "default"]));
    let good = dir.path().join("default.toml");
    std::fs::write(&good, &defaults).unwrap();
    let checked = retex(&["rules", "check", good.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    assert!(stdout(&checked).contains(": ok, rules version "));

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[types.count_variance]\ntolerance_units = \"two\"\n\n[types.po_late]\nslip_hours = -3\n",
    )
    .unwrap();
    let checked = retex(&["rules", "check", bad.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(3));
    let name = bad.display();
    assert_eq!(
        stderr(&checked),
        format!(
            "{name}:2: types.count_variance.tolerance_units: expected a number\n{name}:5: types.po_late.slip_hours: must not be negative, got -3\n"
        )
    );
}

#[test]
fn backtest_compares_two_rule_sets_without_touching_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db = db.to_str().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/headline.ndjson");
    retex(&["ingest", "--db", db, data]);
    let log_length = |db: &str| {
        let mut store = retex_store::open(&retex_store::StoreLocation::Sqlite(db.into())).unwrap();
        (
            store.last_seq().unwrap(),
            store
                .latest_snapshot(retex_core::engine::SNAPSHOT_FORMAT_VERSION)
                .unwrap()
                .map(|snapshot| snapshot.seq),
        )
    };
    let before = (log_length(db), crate::visible_state(std::path::Path::new(db)));
    let strict = dir.path().join("strict.toml");
    std::fs::write(
        &strict,
        "[types.count_variance]\nenabled = false\n[types.order_at_risk]\nhours_before_ship_by = 30\n",
    )
    .unwrap();

    let run = || stdout(&retex(&["backtest", "--db", db, "--new", strict.to_str().unwrap()]));
    let report = run();
    assert_eq!(report, run(), "same inputs, same output");
    let row = |kind: &str| {
        report
            .lines()
            .find(|line| line.starts_with(kind))
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("count_variance"), "1 0 0 1");
    assert_eq!(row("order_at_risk"), "1 1 1 1", "{report}");
    assert!(
        report.contains("- count_variance S1/A/- at 2026-11-04T10:00:00Z"),
        "{report}"
    );
    assert!(
        report.contains("+ order_at_risk -/-/O-9 at 2026-11-03T09:00:00Z"),
        "{report}"
    );
    assert!(
        report.contains("- order_at_risk -/-/O-9 at 2026-11-04T08:00:00Z"),
        "{report}"
    );
    let after = (log_length(db), crate::visible_state(std::path::Path::new(db)));
    assert!(
        after == before,
        "the store is untouched: log, snapshot and state are as before"
    );
}

#[test]
fn attach_refuses_a_file_over_the_limit_without_reading_it_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db = db.to_str().unwrap();
    retex(&[
        "ingest",
        "--db",
        db,
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/headline.ndjson"),
    ]);
    // A sparse file of 16 GiB: reading it whole would take the memory of this machine and more.
    let huge = dir.path().join("huge.txt");
    std::fs::File::create(&huge).unwrap().set_len(16 << 30).unwrap();
    let output = retex(&[
        "exception",
        "attach",
        "1",
        huge.to_str().unwrap(),
        "--as",
        "alice",
        "--db",
        db,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "{}: evidence is over the limit of 10485760 bytes",
            huge.display()
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn people_work_an_exception_through_logged_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db = db.to_str().unwrap();
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/headline.ndjson");
    retex(&["ingest", "--db", db, data]);
    let at = |time: &str| format!("2026-11-05T{time}Z");
    let run = |args: &[&str]| {
        let mut full = vec!["exception"];
        full.extend_from_slice(args);
        full.extend_from_slice(&["--db", db]);
        retex(&full)
    };

    let ack = run(&["ack", "1", "--as", "alice", "--at", &at("08:00:00"), "--key", "k1"]);
    assert_eq!(
        stdout(&ack),
        "exception 1: acknowledge by alice; now open\n",
        "{}",
        stderr(&ack)
    );
    let again = run(&["ack", "1", "--as", "bob", "--at", &at("08:05:00")]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).starts_with(
            "error: acknowledge refused: exception 1: already acknowledged by alice at 2026-11-05T08:00:00Z"
        ),
        "{}",
        stderr(&again)
    );
    let repeated = run(&["ack", "1", "--as", "alice", "--at", &at("08:00:00"), "--key", "k1"]);
    assert_eq!(
        (repeated.status.code(), stdout(&repeated).as_str()),
        (Some(0), "exception 1: this command was already logged (key k1)\n"),
        "a retry under its key is harmless: {}",
        stderr(&repeated)
    );
    let reused = run(&["comment", "1", "--as", "alice", "--text", "x", "--key", "k1"]);
    assert_eq!(reused.status.code(), Some(1));
    assert!(
        stderr(&reused).contains("exception 1: key k1 was used for another command (log seq "),
        "{}",
        stderr(&reused)
    );

    run(&["assign", "1", "--as", "alice", "--to", "bob", "--at", &at("08:10:00")]);
    run(&[
        "comment",
        "1",
        "--as",
        "bob",
        "--text",
        "pallet found in the back room",
        "--at",
        &at("08:20:00"),
    ]);
    run(&[
        "status",
        "1",
        "--as",
        "bob",
        "--status",
        "waiting-supplier",
        "--at",
        &at("08:30:00"),
    ]);
    let bad_code = run(&["resolve", "1", "--as", "bob", "--root-cause", "gremlins", "--note", "x"]);
    assert_eq!(bad_code.status.code(), Some(2));
    assert!(stderr(&bad_code).contains("\"gremlins\" is not a root-cause code; use one of process_noncompliance"));
    let resolved = run(&[
        "resolve",
        "1",
        "--as",
        "bob",
        "--root-cause",
        "transfer_discipline",
        "--note",
        "received, not scanned",
        "--at",
        &at("09:00:00"),
    ]);
    assert_eq!(
        stdout(&resolved),
        "exception 1: resolve by bob; now resolved\n",
        "{}",
        stderr(&resolved)
    );

    let shown: serde_json::Value = serde_json::from_str(&stdout(&run(&["show", "1", "--format", "json"]))).unwrap();
    assert_eq!(shown["brief"]["documents"][0]["kind"], "transfer", "{shown}");
    let text = stdout(&run(&["show", "1"]));
    assert!(text.contains("\n  shipped from "), "what happened, in words: {text}");
    assert!(text.contains("\nNo approval needed\n"), "{text}");
    assert_eq!(shown["status"], "resolved");
    assert_eq!(shown["root_cause"], "transfer_discipline");
    assert_eq!(shown["assignee"], "bob");
    assert_eq!(shown["acknowledged_by"], "alice");
    assert_eq!(shown["ack_breached"], true, "acknowledged days after its due time");
    let actions: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    // The acknowledgement target was missed and level 1 fired at ack_due, days before alice acknowledged.
    assert_eq!(
        actions,
        [
            "opened",
            "breached",
            "escalated",
            "acknowledge",
            "assign",
            "comment",
            "set_status",
            "clock_paused",
            "clock_resumed",
            "resolve"
        ]
    );

    let reopened = run(&[
        "reopen",
        "1",
        "--as",
        "carol",
        "--note",
        "came back",
        "--at",
        &at("10:00:00"),
    ]);
    assert_eq!(
        stdout(&reopened),
        "exception 1: reopen by carol; now open\n",
        "{}",
        stderr(&reopened)
    );
    let dismissed = run(&[
        "dismiss",
        "1",
        "--as",
        "carol",
        "--reason",
        "test transfer",
        "--at",
        &at("10:05:00"),
    ]);
    assert_eq!(stdout(&dismissed), "exception 1: dismiss by carol; now dismissed\n");
    let missing = run(&["ack", "999", "--as", "carol"]);
    assert!(stderr(&missing).contains("no exception 999"), "{}", stderr(&missing));
}

#[test]
fn audit_verify_detects_a_changed_log_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let file = dir.path().join("example.ndjson");
    std::fs::write(&file, EXAMPLE).unwrap();
    let db_text = db.to_str().unwrap();
    retex(&["ingest", "--db", db_text, file.to_str().unwrap()]);
    let verified = retex(&["audit", "verify", "--db", db_text]);
    let printed = stdout(&verified);
    let head = printed
        .strip_prefix("audit chain intact: 9 entries in 1 transactions; head ")
        .unwrap_or_else(|| panic!("{printed}"))
        .trim_end()
        .to_owned();
    assert!(head.starts_with("9:"), "{head}");
    let through = retex(&["audit", "verify", "--db", db_text, "--expect-head", &head]);
    assert!(
        stdout(&through).contains("through the expected head at seq 9"),
        "{}",
        stdout(&through)
    );
    let mistyped = retex(&["audit", "verify", "--db", db_text, "--expect-head", "9:abc"]);
    assert_eq!(mistyped.status.code(), Some(2));
    assert!(
        stderr(&mistyped).contains("is not a chain head"),
        "{}",
        stderr(&mistyped)
    );

    let connection = rusqlite::Connection::open(&db).unwrap();
    connection
        .execute(
            "UPDATE log SET body = replace(body, '\"qty\":24', '\"qty\":4') WHERE seq = 7",
            (),
        )
        .unwrap();
    drop(connection);
    let verified = retex(&["audit", "verify", "--db", db_text]);
    assert_eq!(verified.status.code(), Some(4));
    assert_eq!(
        stdout(&verified),
        "audit chain broken at seq 7: entry 7 differs from what was appended (its source, id, type, time or body changed)\n"
    );
}

#[test]
fn signed_checkpoints_catch_a_cut_tail_and_cannot_be_forged_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db_text = db.to_str().unwrap();
    let file = dir.path().join("example.ndjson");
    std::fs::write(&file, EXAMPLE).unwrap();
    retex(&["ingest", "--db", db_text, file.to_str().unwrap()]);
    let key = dir.path().join("checkpoint.key");
    let key_text = key.to_str().unwrap();
    let made = retex(&["audit", "keygen", "--key", key_text]);
    let public_key = stdout(&made).trim().to_owned();
    assert_eq!(public_key.len(), 64, "{public_key}");
    assert_eq!(
        retex(&["audit", "keygen", "--key", key_text]).status.code(),
        Some(1),
        "a key is never overwritten"
    );
    let signed = retex(&["audit", "checkpoint", "--db", db_text, "--key", key_text]);
    let line = stdout(&signed);
    assert!(line.starts_with("9:") && line.lines().count() == 1, "{line}");
    let checkpoints = dir.path().join("checkpoints.txt");
    std::fs::write(&checkpoints, &line).unwrap();
    let verify = |path: &std::path::Path| {
        retex(&[
            "audit",
            "verify",
            "--db",
            db_text,
            "--checkpoints",
            path.to_str().unwrap(),
            "--public-key",
            &public_key,
        ])
    };
    let intact = verify(&checkpoints);
    assert_eq!(intact.status.code(), Some(0), "{}", stdout(&intact));
    assert!(stdout(&intact).contains("through the expected head at seq 9"));

    // Someone with the database but not the key writes a checkpoint of their own.
    let (head, signature) = line.trim().split_once(' ').unwrap();
    let mut forged_signature: Vec<u8> = signature.bytes().collect();
    forged_signature[0] = if forged_signature[0] == b'0' { b'1' } else { b'0' };
    let forged = dir.path().join("forged.txt");
    let forged_line = format!("{head} {}\n", String::from_utf8(forged_signature).unwrap());
    std::fs::write(&forged, forged_line).unwrap();
    let refused = verify(&forged);
    assert_eq!(refused.status.code(), Some(4));
    assert!(
        stdout(&refused).contains("forged.txt:1: the signature of head 9:"),
        "{}",
        stdout(&refused)
    );

    // The newest entries are cut: the chain that is left is intact, but no longer reaches the signed head.
    let connection = rusqlite::Connection::open(&db).unwrap();
    connection.execute("DELETE FROM log WHERE seq > 6", ()).unwrap();
    drop(connection);
    let cut = verify(&checkpoints);
    assert_eq!(cut.status.code(), Some(4), "{}", stdout(&cut));
}

#[test]
fn a_silence_mutes_escalation_of_new_exceptions_in_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let db = db.to_str().unwrap();
    let refused = retex(&[
        "silence",
        "add",
        "--db",
        db,
        "--type",
        "count_varience",
        "--until",
        "2026-11-10T00:00:00Z",
        "--comment",
        "x",
        "--as",
        "dana",
    ]);
    assert_eq!(
        stderr(&refused),
        "error: silence refused: \"count_varience\" is not an exception type of the active rules\n"
    );
    let added = retex(&[
        "silence",
        "add",
        "--db",
        db,
        "--type",
        "count_variance",
        "--location",
        "S1",
        "--until",
        "2026-11-10T00:00:00Z",
        "--comment",
        "stocktake week: counts are being redone",
        "--as",
        "dana",
        "--at",
        "2026-11-01T00:00:00Z",
    ]);
    assert_eq!(
        stdout(&added),
        "silenced count_variance until 2026-11-10 00:00:00 +00:00\n",
        "{}",
        stderr(&added)
    );

    let file = dir.path().join("counts.ndjson");
    std::fs::write(
        &file,
        concat!(
            r#"{"id":"1","source":"t","type":"adjustment","at":"2026-11-02T09:00:00Z","location":"S1","sku":"A","qty":10,"reason":"correction"}"#, "\n",
            r#"{"id":"2","source":"t","type":"count","at":"2026-11-02T10:00:00Z","location":"S1","sku":"A","counted":3}"#, "\n",
            r#"{"id":"3","source":"t","type":"adjustment","at":"2026-11-02T09:00:00Z","location":"S2","sku":"A","qty":10,"reason":"correction"}"#, "\n",
            r#"{"id":"4","source":"t","type":"count","at":"2026-11-02T10:00:00Z","location":"S2","sku":"A","counted":3}"#, "\n",
            r#"{"id":"5","source":"t","type":"sale","at":"2026-11-05T10:00:00Z","location":"S9","sku":"Z","qty":1,"unit_price":1,"channel":"pos"}"#, "\n",
        ),
    )
    .unwrap();
    retex(&["ingest", "--db", db, file.to_str().unwrap()]);
    let shown = |id: &str| -> serde_json::Value {
        serde_json::from_str(&stdout(&retex(&[
            "exception",
            "show",
            id,
            "--db",
            db,
            "--format",
            "json",
        ])))
        .unwrap()
    };
    let muted = shown("1");
    assert_eq!(
        (muted["location"].as_str(), muted["silenced_until"].as_str()),
        (Some("S1"), Some("2026-11-10T00:00:00Z"))
    );
    assert_eq!(
        muted["escalation_level"], 0,
        "muted: no escalation while the silence lasts"
    );
    let other = shown("2");
    assert_eq!(other["location"], "S2");
    assert!(other["silenced_until"].is_null());
    assert_eq!(
        other["escalation_level"], 2,
        "unmuted: escalated at ack_due and at 75% of its target"
    );
    let listed = stdout(&retex(&["silence", "list", "--db", db]));
    assert!(
        listed.starts_with(
            "#1 count_variance S1 from 2026-11-01T00:00:00Z until 2026-11-10T00:00:00Z by dana: stocktake week"
        ),
        "{listed}"
    );

    // Ended early: the exception it muted is muted no longer, and the list says who ended it and why.
    let end = |silence: &str, comment: &str| {
        retex(&[
            "silence",
            "end",
            silence,
            "--db",
            db,
            "--comment",
            comment,
            "--as",
            "erin",
            "--at",
            "2026-11-03T00:00:00Z",
        ])
    };
    assert_eq!(
        stderr(&end("1", " ")),
        "error: refused: silence 1: ending a silence early needs a comment saying why\n"
    );
    assert_eq!(
        stderr(&end("7", "done")),
        "error: refused: silence 7: there is no such silence\n"
    );
    let ended = end("1", "stocktake finished early");
    assert_eq!(
        stdout(&ended),
        "silence 1 ended at 2026-11-03 00:00:00 +00:00\n",
        "{}",
        stderr(&ended)
    );
    assert_eq!(shown("1")["silenced_until"], "2026-11-03T00:00:00Z");
    let listed = stdout(&retex(&["silence", "list", "--db", db]));
    assert!(
        listed.contains("until 2026-11-03T00:00:00Z by dana")
            && listed.contains("ended early by erin: stocktake finished early"),
        "{listed}"
    );
    assert_eq!(
        stderr(&end("1", "again")),
        "error: refused: silence 1: it is already over, since 2026-11-03T00:00:00Z\n"
    );
}

#[test]
fn bench_prices_the_detectors_in_the_engine_in_durable_ingest_and_by_type() {
    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("events.ndjson");
    std::fs::write(&stream, crate::synthetic_stream(2_000)).unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[types.phantom_stock]\nenabled = false\n").unwrap();
    let path = |path: &std::path::Path| path.to_str().unwrap().to_owned();
    let figures = |by_type: bool, engine_only: bool| -> serde_json::Value {
        let out = dir.path().join("bench.json");
        let (stream, rules, out_arg) = (path(&stream), path(&rules), path(&out));
        let mut args = vec!["bench", "--input", &stream, "--rules", &rules, "--out", &out_arg];
        args.extend(by_type.then_some("--by-type"));
        args.extend(engine_only.then_some("--engine-only"));
        let output = retex(&args);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    };
    let plain = figures(false, false);
    assert!(plain["detector_cost_share_by_type"].is_null(), "only with --by-type");
    assert_eq!(plain["targets"]["detector_cost_share_max"], 0.3);
    assert!(plain["detector_cost_share"].as_f64().is_some_and(f64::is_finite));
    assert!(
        plain["durable_detector_cost_share"]
            .as_f64()
            .is_some_and(f64::is_finite)
    );
    for rate in [
        "durable_ingest_events_per_s",
        "durable_ingest_detectors_off_events_per_s",
    ] {
        assert!(plain[rate].as_f64().is_some_and(|rate| rate > 0.0), "{rate}");
    }
    let figures = figures(true, true);
    assert!(
        figures["durable_detector_cost_share"].is_null(),
        "no ingest with --engine-only"
    );
    let by_type = figures["detector_cost_share_by_type"].as_object().unwrap();
    let on_by_default = retex_core::rules::ExceptionType::ALL
        .iter()
        .filter(|exception_type| exception_type.enabled_by_default())
        .count();
    assert_eq!(
        by_type.len(),
        on_by_default - 1,
        "every built-in type on by default but the one switched off: {by_type:?}"
    );
    assert!(!by_type.contains_key("phantom_stock"));
    assert!(by_type.contains_key("transfer_overdue"));
    for (name, share) in by_type {
        let share = share.as_f64().unwrap_or(f64::NAN);
        assert!(share.is_finite() && share < 1.0, "{name}: {share}");
    }
}

#[test]
fn a_backup_taken_during_an_ingest_restores_to_a_store_with_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (db, backup, restored) = (path("retex.db"), path("backup.db"), path("restored.db"));
    let (first, second) = (path("first.ndjson"), path("second.ndjson"));
    let stream = synthetic_stream(60_000);
    let lines: Vec<&str> = stream.lines().collect();
    let (early, late) = lines.split_at(lines.len() / 2);
    std::fs::write(&first, early.join("\n")).unwrap();
    std::fs::write(&second, late.join("\n")).unwrap();
    retex(&["ingest", "--db", &db, &first]);

    let ingesting = std::process::Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(["ingest", "--db", &db, &second])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let taken = retex(&["backup", "--db", &db, "--to", &backup]);
    let mut ingesting = ingesting;
    assert!(ingesting.wait().unwrap().success());
    assert_eq!(taken.status.code(), Some(0), "{}", stderr(&taken));
    assert!(
        stdout(&taken).contains("audit chain intact"),
        "a copy taken while another process appends is consistent: {}",
        stdout(&taken)
    );
    let again = retex(&["backup", "--db", &db, "--to", &backup]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));

    let put_back = retex(&["restore", "--from", &backup, "--db", &restored]);
    assert_eq!(put_back.status.code(), Some(0), "{}", stderr(&put_back));
    assert!(
        stdout(&put_back).starts_with(&format!("restored {restored}: ")),
        "{}",
        stdout(&put_back)
    );
    // The restored store takes the rest of the stream and ends where the original did.
    retex(&["ingest", "--db", &restored, &second]);
    let stock = |db: &str| stdout(&retex(&["stock", "--db", db, "--format", "ndjson"]));
    assert!(!all_exceptions(&db).is_empty());
    assert_eq!(all_exceptions(&restored), all_exceptions(&db));
    assert_eq!(stock(&restored), stock(&db));
    let onto_existing = retex(&["restore", "--from", &backup, "--db", &db]);
    assert_eq!(
        onto_existing.status.code(),
        Some(1),
        "a restore never overwrites a store"
    );
}

#[test]
fn exceptions_filter_by_type_location_and_document_as_the_api_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = store_with_an_unreceived_transfer(dir.path());
    let db = db.as_str();
    let tick = retex(&["tick", "--db", db, "--at", "2026-11-02T20:00:00Z"]);
    assert!(tick.status.success(), "{}", stderr(&tick));
    let listed = |filters: &[&str]| -> Vec<String> {
        let mut args = vec!["exceptions", "--db", db, "--status", "all", "--format", "ndjson"];
        args.extend_from_slice(filters);
        let output = retex(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).lines().map(str::to_owned).collect()
    };
    let everything = listed(&[]);
    assert_eq!(
        everything.len(),
        2,
        "W1 shipped what it did not have, and the transfer is overdue: {everything:?}"
    );
    let about_the_transfer = listed(&["--document", "t-9"]);
    assert_eq!(about_the_transfer.len(), 1, "{about_the_transfer:?}");
    assert!(about_the_transfer[0].contains(r#""type":"transfer_overdue""#));
    assert_eq!(
        listed(&["--type", "TRANSFER_OVERDUE", "--location", "s1"]),
        about_the_transfer
    );
    assert!(listed(&["--document", "T-10"]).is_empty());
}
