//! Through the real SQLite log: duplicates inserted anywhere, in any batch split, change nothing, and a
//! snapshot plus the tail gives the state of a full replay.

use proptest::prelude::*;
use retex_core::wire::parse_event;
use retex_store::{IncomingEvent, LiveEngine, LiveOptions, StoreLocation};

use crate::synthetic_stream;

fn open(db: &std::path::Path, snapshot_every_inputs: u64) -> LiveEngine {
    let store = retex_store::open(&StoreLocation::Sqlite(db.to_path_buf())).unwrap();
    let options = LiveOptions {
        snapshot_every_inputs,
        snapshot_bytes_per_input: 0,
    };
    LiveEngine::open(store, Default::default(), options).unwrap()
}

/// Appends `lines` in batches of `batch_size` and returns the final state hash.
fn ingest(live: &mut LiveEngine, lines: &[&str], batch_size: usize) -> String {
    for batch in lines.chunks(batch_size) {
        let events: Vec<_> = batch.iter().map(|line| parse_event(line).unwrap()).collect();
        let incoming: Vec<IncomingEvent> = events
            .iter()
            .zip(batch)
            .map(|(event, text)| IncomingEvent { event, text })
            .collect();
        live.append_events(&incoming).unwrap();
    }
    live.engine().state_hash()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn duplicates_anywhere_change_nothing(
        length in 20usize..160,
        duplicate_picks in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..40),
        batch_size in 1usize..50,
    ) {
        let stream = synthetic_stream(length);
        let lines: Vec<&str> = stream.lines().collect();
        let dir = tempfile::tempdir().unwrap();
        let clean_hash = ingest(&mut open(&dir.path().join("clean.db"), u64::MAX), &lines, 64);

        // Each pick repeats a line anywhere after its first occurrence.
        let mut with_duplicates = lines.clone();
        for (source, target) in &duplicate_picks {
            let line = lines[source.index(lines.len())];
            let first = with_duplicates.iter().position(|candidate| *candidate == line).unwrap();
            let insert_at = first + 1 + target.index(with_duplicates.len() - first);
            with_duplicates.insert(insert_at, line);
        }
        let hash = ingest(&mut open(&dir.path().join("dup.db"), u64::MAX), &with_duplicates, batch_size);
        prop_assert_eq!(hash, clean_hash);
    }
}

#[test]
fn snapshot_plus_tail_equals_a_full_replay() {
    let stream = synthetic_stream(2_000);
    let lines: Vec<&str> = stream.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    // Snapshots every 333 inputs, checked after each batch of 100: at 400, 800 and 1,200.
    ingest(&mut open(&db, 333), &lines[..1_500], 100);
    let live_hash = ingest(&mut open(&db, u64::MAX), &lines[1_500..], 100);
    let mut store = retex_store::open(&StoreLocation::Sqlite(db.clone())).unwrap();
    let snapshot = store
        .latest_snapshot(retex_core::engine::SNAPSHOT_FORMAT_VERSION)
        .unwrap()
        .unwrap();
    assert_eq!(snapshot.seq, 1_200);

    // Reopening loads that snapshot and replays the 800 entries after it.
    let reopened = open(&db, u64::MAX);
    assert_eq!(reopened.engine().applied_seq(), 2_000);
    assert_eq!(reopened.engine().state_hash(), live_hash);

    // A full replay from an empty engine, in a store that never snapshotted.
    let full_hash = ingest(&mut open(&dir.path().join("full.db"), u64::MAX), &lines, 2_000);
    assert_eq!(full_hash, live_hash);
}

#[test]
fn a_damaged_snapshot_is_skipped_and_the_log_replayed() {
    let stream = synthetic_stream(500);
    let lines: Vec<&str> = stream.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let live_hash = ingest(&mut open(&db, 100), &lines, 100);
    // Flip one byte inside the newest snapshot: it still decodes, but no longer to the state that was saved.
    let connection = rusqlite::Connection::open(&db).unwrap();
    let newest = "(SELECT MAX(seq) FROM snapshot)";
    let mut bytes: Vec<u8> = connection
        .query_row(&format!("SELECT bytes FROM snapshot WHERE seq = {newest}"), (), |row| {
            row.get(0)
        })
        .unwrap();
    bytes[40] ^= 0x7F;
    connection
        .execute(
            &format!("UPDATE snapshot SET bytes = ?1 WHERE seq = {newest}"),
            (bytes,),
        )
        .unwrap();
    drop(connection);
    assert_eq!(open(&db, u64::MAX).engine().state_hash(), live_hash);
}
