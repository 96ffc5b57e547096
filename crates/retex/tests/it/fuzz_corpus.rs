//! The inputs the fuzz targets kept (`fuzz/corpus`: the seeds and every input that reached new code in
//! `cargo +nightly fuzz run`), run through the same checks on the stable toolchain, so a regression at any of
//! them fails here.

use std::path::Path;

/// Runs `check` on every file of a target's corpus; how many there were.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&folder).unwrap_or_else(|error| panic!("{}: {error}", folder.display())) {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| check(&bytes)) {
            std::panic::resume_unwind(Box::new(format!("{}: {panic:?}", path.display())));
        }
        count += 1;
    }
    count
}

#[test]
fn every_kept_event_line_is_answered_and_reads_back() {
    let count = replay("event_line", retex_core::fuzzing::event_line);
    assert!(count > 100, "the corpus has {count} inputs");
}

#[test]
fn every_kept_rules_file_is_answered() {
    let count = replay("rules_text", retex_core::fuzzing::rules_text);
    assert!(count > 100, "the corpus has {count} inputs");
}

#[test]
fn every_kept_spreadsheet_is_answered_and_its_rows_read_back() {
    let count = replay("csv_file", retex_core::fuzzing::csv_file);
    assert!(count > 100, "the corpus has {count} inputs");
}
