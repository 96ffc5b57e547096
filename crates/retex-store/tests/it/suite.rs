//! The conformance tests, each generic over the backend's [`Harness`]; `store_conformance_suite!` runs them.
//!
//! Every test starts from an empty store of its own, and checks the store only through the `Store` trait,
//! except where it must reach around it (to make a statement fail, or to fake a newer schema).

use std::collections::HashSet;
use std::sync::Barrier;

use retex_store::{
    APPEND_BATCH_ENTRIES_MAX, Account, AccountKind, AccountSessions, AdminChange, CHAIN_GENESIS, ChainHead, ChainLink,
    ChainVerdict, DeliveryClaim, NewEntry, READ_LOG_LIMIT_MAX, SNAPSHOTS_KEPT, Snapshot, Store, StoreError,
    StoredEntry, legacy_batch_hash, verify_chain,
};

use crate::Harness;

/// The store of a new harness, or `None` when the backend is not configured (the test is skipped).
fn start<H: Harness>() -> Option<(H, Box<dyn Store>)> {
    let harness = H::create()?;
    let store = harness.open().expect("open a new store");
    Some((harness, store))
}

/// A sale entry from `source` with a small JSON body naming its id.
fn sale<'a>(source: &'a str, event_id: &'a str, body: &'a str) -> NewEntry<'a> {
    NewEntry {
        source,
        event_id,
        kind: "sale",
        at_ms: 1_750_000_000_000,
        body,
    }
}

/// The owned text of generated entries, which [`OwnedEntry::borrow`] turns into a batch.
struct OwnedEntry {
    source: String,
    event_id: String,
    body: String,
}

impl OwnedEntry {
    fn borrow(&self) -> NewEntry<'_> {
        sale(&self.source, &self.event_id, &self.body)
    }
}

/// Entries `{prefix}-{n}` for each `n` in `numbers`, all from source `pos`.
fn numbered(prefix: &str, numbers: std::ops::Range<usize>) -> Vec<OwnedEntry> {
    let mut entries = Vec::with_capacity(numbers.len());
    for number in numbers {
        let event_id = format!("{prefix}-{number}");
        let body = format!(r#"{{"id":"{event_id}"}}"#);
        entries.push(OwnedEntry {
            source: "pos".to_owned(),
            event_id,
            body,
        });
    }
    entries
}

fn batch_of(entries: &[OwnedEntry]) -> Vec<NewEntry<'_>> {
    let mut batch = Vec::with_capacity(entries.len());
    for entry in entries {
        batch.push(entry.borrow());
    }
    batch
}

/// The whole log, read in one page.
fn whole_log(store: &mut dyn Store) -> Vec<StoredEntry> {
    store.read_log(0, READ_LOG_LIMIT_MAX).expect("read the log")
}

fn seqs_of(entries: &[StoredEntry]) -> Vec<u64> {
    let mut seqs = Vec::with_capacity(entries.len());
    for entry in entries {
        seqs.push(entry.seq);
    }
    seqs
}

fn snapshot(seq: u64, format_version: u32, bytes: &[u8]) -> Snapshot {
    Snapshot {
        seq,
        format_version,
        state_hash: format!("hash-{seq}-{format_version}"),
        bytes: bytes.to_vec(),
    }
}

pub fn seqs_start_at_one_and_have_no_gaps<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    assert_eq!(store.last_seq().unwrap(), 0);
    assert!(whole_log(store.as_mut()).is_empty());

    let first = numbered("a", 0..3);
    assert_eq!(
        store.append(&batch_of(&first)).unwrap().seqs,
        [Some(1), Some(2), Some(3)]
    );
    let second = numbered("b", 0..2);
    assert_eq!(store.append(&batch_of(&second)).unwrap().seqs, [Some(4), Some(5)]);
    assert_eq!(store.append(&[]).unwrap().seqs, []);

    assert_eq!(store.last_seq().unwrap(), 5);
    assert_eq!(seqs_of(&whole_log(store.as_mut())), [1, 2, 3, 4, 5]);
}

pub fn entries_come_back_verbatim_in_batch_order<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    let batch = [
        NewEntry {
            source: "web",
            event_id: "z-last",
            kind: "order_placed",
            at_ms: i64::MAX,
            body: "{}",
        },
        NewEntry {
            source: "pos",
            event_id: "a-first",
            kind: "sale",
            at_ms: -1,
            body: "{ \"note\" : \"caf\u{e9} \u{1f6d2}\\u0000\\n\",\n  \"qty\":1 }\n",
        },
        NewEntry {
            source: "people",
            event_id: "cmd-7",
            kind: "acknowledge",
            at_ms: 0,
            body: "[]",
        },
    ];
    store.append(&batch).unwrap();

    let log = whole_log(store.as_mut());
    assert_eq!(log.len(), batch.len());
    for (stored, appended) in log.iter().zip(&batch) {
        assert_eq!(stored.source, appended.source);
        assert_eq!(stored.event_id, appended.event_id);
        assert_eq!(stored.kind, appended.kind);
        assert_eq!(stored.at_ms, appended.at_ms);
        assert_eq!(stored.body, appended.body);
    }
}

pub fn duplicates_across_batches_are_ignored<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    store
        .append(&[sale("pos", "a", "first a"), sale("pos", "b", "first b")])
        .unwrap();

    let outcome = store
        .append(&[
            sale("pos", "b", "second b"),
            sale("pos", "c", "c"),
            sale("pos", "a", "x"),
        ])
        .unwrap();
    assert_eq!(outcome.seqs, [None, Some(3), None]);
    let repeat = store.append(&[sale("pos", "a", "first a")]).unwrap();
    assert_eq!(repeat.seqs, [None]);

    assert_eq!(store.last_seq().unwrap(), 3);
    let log = whole_log(store.as_mut());
    assert_eq!(seqs_of(&log), [1, 2, 3]);
    assert_eq!(log[0].body, "first a");
    assert_eq!(log[1].body, "first b");
}

pub fn duplicates_inside_a_batch_are_ignored<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    let batch = [
        sale("pos", "a", "first a"),
        sale("pos", "b", "b"),
        sale("pos", "a", "second a"),
        sale("web", "a", "a from another source"),
        sale("pos", "b", "second b"),
    ];
    assert_eq!(
        store.append(&batch).unwrap().seqs,
        [Some(1), Some(2), None, Some(3), None]
    );

    let log = whole_log(store.as_mut());
    assert_eq!(seqs_of(&log), [1, 2, 3]);
    assert_eq!(log[0].body, "first a");
    assert_eq!(log[2].body, "a from another source");
}

/// Large batches whose keys repeat at scattered places, earlier in the log and inside the batch, give what a
/// reference model (a set of keys and a counter) gives, entry by entry.
pub fn large_batches_match_a_reference_model<H: Harness>() {
    const BATCHES: usize = 4;
    const BATCH_ENTRIES: usize = 1_037;
    const KEYS: u64 = 2_500;
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    let mut seen_keys = HashSet::new();
    let mut expected_log = Vec::new();
    let mut scrambled = 1_u64;
    for batch_index in 0..BATCHES {
        let mut entries = Vec::with_capacity(BATCH_ENTRIES);
        for index in 0..BATCH_ENTRIES {
            // A fixed linear congruential sequence: some keys recur, most do not.
            scrambled = scrambled
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let key = (scrambled >> 33) % KEYS;
            let source = if key.is_multiple_of(3) { "web" } else { "pos" };
            let event_id = format!("k{key}");
            let body = format!("batch {batch_index} entry {index}");
            entries.push(OwnedEntry {
                source: source.to_owned(),
                event_id,
                body,
            });
        }
        let mut expected_seqs = Vec::with_capacity(entries.len());
        for entry in &entries {
            if seen_keys.insert((entry.source.clone(), entry.event_id.clone())) {
                expected_log.push((entry.event_id.clone(), entry.body.clone()));
                expected_seqs.push(Some(expected_log.len() as u64));
            } else {
                expected_seqs.push(None);
            }
        }
        assert_eq!(
            store.append(&batch_of(&entries)).unwrap().seqs,
            expected_seqs,
            "batch {batch_index}"
        );
    }

    let log = whole_log(store.as_mut());
    assert_eq!(seqs_of(&log), (1..=expected_log.len() as u64).collect::<Vec<u64>>());
    for (stored, (event_id, body)) in log.iter().zip(&expected_log) {
        assert_eq!((&stored.event_id, &stored.body), (event_id, body));
    }
}

pub fn a_failed_batch_leaves_nothing_behind<H: Harness>() {
    let Some((harness, mut store)) = start::<H>() else {
        return;
    };
    store.append(&[sale("pos", "before", "before")]).unwrap();
    harness.fail_inserts_of("poison");

    let batch = [
        sale("pos", "a", "a"),
        sale("pos", "b", "b"),
        sale("pos", "poison", "p"),
        sale("pos", "c", "c"),
    ];
    let error = store.append(&batch).unwrap_err();
    assert!(matches!(error, StoreError::Refused { .. }), "{error:?}");

    assert_eq!(store.last_seq().unwrap(), 1);
    assert_eq!(seqs_of(&whole_log(store.as_mut())), [1]);
    assert_eq!(store.find_entry("pos", "a").unwrap(), None);
    let retry = [sale("pos", "a", "a"), sale("pos", "b", "b"), sale("pos", "c", "c")];
    assert_eq!(store.append(&retry).unwrap().seqs, [Some(2), Some(3), Some(4)]);
}

pub fn invalid_requests_change_nothing<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    let with_nul = [sale("pos", "a", "a"), sale("pos", "b", "nul \0 inside")];
    assert!(matches!(store.append(&with_nul), Err(StoreError::Invalid { .. })));
    let too_many = numbered("many", 0..APPEND_BATCH_ENTRIES_MAX + 1);
    assert!(matches!(
        store.append(&batch_of(&too_many)),
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        store.read_log(0, READ_LOG_LIMIT_MAX + 1),
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(store.read_log(u64::MAX, 1), Err(StoreError::Invalid { .. })));
    let far_future = snapshot(u64::MAX, 1, b"state");
    assert!(matches!(
        store.save_snapshot(&far_future),
        Err(StoreError::Invalid { .. })
    ));

    assert_eq!(store.last_seq().unwrap(), 0);
    assert_eq!(store.latest_snapshot(1).unwrap(), None);
    assert_eq!(store.append(&with_nul[..1]).unwrap().seqs, [Some(1)]);
}

pub fn read_log_pages_through_the_log<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    let entries = numbered("e", 0..10);
    store.append(&batch_of(&entries)).unwrap();

    let mut page_lengths = Vec::new();
    let mut seqs = Vec::new();
    let mut after_seq = 0;
    loop {
        let page = store.read_log(after_seq, 3).unwrap();
        let Some(last) = page.last() else { break };
        after_seq = last.seq;
        page_lengths.push(page.len());
        seqs.extend(seqs_of(&page));
    }
    assert_eq!(page_lengths, [3, 3, 3, 1]);
    assert_eq!(seqs, (1..=10).collect::<Vec<u64>>());

    let middle = store.read_log(4, 2).unwrap();
    assert_eq!(seqs_of(&middle), [5, 6]);
    assert_eq!(middle[0].event_id, "e-4");
    assert!(store.read_log(4, 0).unwrap().is_empty());
    assert!(store.read_log(10, 3).unwrap().is_empty());
    assert!(store.read_log(1_000, 3).unwrap().is_empty());
}

pub fn find_entry_looks_up_the_idempotency_key<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    store
        .append(&[sale("pos", "a", "pos a"), sale("web", "b", "web b")])
        .unwrap();

    let found = store.find_entry("web", "b").unwrap().expect("web b is in the log");
    assert_eq!(found, whole_log(store.as_mut())[1]);
    assert_eq!(found.seq, 2);
    assert_eq!(found.body, "web b");
    assert_eq!(store.find_entry("pos", "b").unwrap(), None);
    assert_eq!(store.find_entry("web", "a").unwrap(), None);
    assert_eq!(store.find_entry("pos", "missing").unwrap(), None);
}

pub fn the_newest_snapshot_wins<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    assert_eq!(store.latest_snapshot(1).unwrap(), None);
    store.save_snapshot(&snapshot(5, 1, b"at 5")).unwrap();
    store.save_snapshot(&snapshot(9, 1, b"at 9")).unwrap();
    store.save_snapshot(&snapshot(7, 1, b"at 7")).unwrap();
    assert_eq!(store.latest_snapshot(1).unwrap(), Some(snapshot(9, 1, b"at 9")));

    let replacement = Snapshot {
        state_hash: "other".to_owned(),
        ..snapshot(9, 1, b"at 9 again")
    };
    store.save_snapshot(&replacement).unwrap();
    assert_eq!(store.latest_snapshot(1).unwrap(), Some(replacement));
}

pub fn only_the_newest_snapshots_are_kept<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    store.save_snapshot(&snapshot(1, 1, b"old format")).unwrap();
    let mut seq = 1;
    for _ in 1..SNAPSHOTS_KEPT {
        seq += 1;
        store.save_snapshot(&snapshot(seq, 2, b"new format")).unwrap();
    }
    assert_eq!(
        store.latest_snapshot(1).unwrap(),
        Some(snapshot(1, 1, b"old format")),
        "still among the newest"
    );

    seq += 1;
    store.save_snapshot(&snapshot(seq, 2, b"new format")).unwrap();
    assert_eq!(store.latest_snapshot(1).unwrap(), None, "pushed out by newer snapshots");
    assert_eq!(store.latest_snapshot(2).unwrap(), Some(snapshot(seq, 2, b"new format")));
}

pub fn snapshots_of_other_format_versions_are_ignored<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    let mut every_byte = Vec::with_capacity(256 * 1024);
    for index in 0..256 * 1024 {
        every_byte.push((index % 256) as u8);
    }
    store.save_snapshot(&snapshot(10, 1, b"version 1")).unwrap();
    store.save_snapshot(&snapshot(5, 2, &every_byte)).unwrap();

    assert_eq!(store.latest_snapshot(1).unwrap(), Some(snapshot(10, 1, b"version 1")));
    assert_eq!(store.latest_snapshot(2).unwrap(), Some(snapshot(5, 2, &every_byte)));
    assert_eq!(store.latest_snapshot(3).unwrap(), None);
    assert_eq!(store.latest_snapshot(u32::MAX).unwrap(), None);
}

pub fn reopening_keeps_everything<H: Harness>() {
    let Some((harness, mut store)) = start::<H>() else {
        return;
    };
    let entries = numbered("e", 0..5);
    store.append(&batch_of(&entries)).unwrap();
    store.save_snapshot(&snapshot(4, 1, b"at 4")).unwrap();
    let log_before = whole_log(store.as_mut());
    drop(store);

    let mut reopened = harness.open().expect("reopen the store");
    assert_eq!(whole_log(reopened.as_mut()), log_before);
    assert_eq!(reopened.last_seq().unwrap(), 5);
    assert_eq!(reopened.latest_snapshot(1).unwrap(), Some(snapshot(4, 1, b"at 4")));
    assert_eq!(reopened.append(&batch_of(&entries)).unwrap().seqs, [None; 5]);
    assert_eq!(reopened.append(&[sale("pos", "new", "new")]).unwrap().seqs, [Some(6)]);
}

pub fn a_schema_newer_than_this_build_is_refused<H: Harness>() {
    let Some((harness, store)) = start::<H>() else {
        return;
    };
    drop(store);
    harness.claim_newer_schema();
    let error = harness.open().err().expect("a newer schema is refused");
    assert!(matches!(error, StoreError::Incompatible { .. }), "{error:?}");
}

/// Two connections append at the same time, partly the same keys: every key is stored once, and the seqs
/// handed out are exactly 1..=n, each connection's increasing.
pub fn concurrent_appenders_get_gap_free_seqs<H: Harness>() {
    const BATCHES: usize = 20;
    const BATCH_ENTRIES: usize = 50;
    let Some((harness, first)) = start::<H>() else {
        return;
    };
    let second = harness.open().expect("open a second connection");
    let barrier = Barrier::new(2);

    let appended_by_each: Vec<Vec<u64>> = std::thread::scope(|scope| {
        let mut appenders = Vec::new();
        for (name, mut store) in [("first", first), ("second", second)] {
            let barrier = &barrier;
            appenders.push(scope.spawn(move || {
                barrier.wait();
                let mut seqs = Vec::new();
                for batch_index in 0..BATCHES {
                    let start = batch_index * BATCH_ENTRIES;
                    let own = numbered(name, start..start + BATCH_ENTRIES);
                    let shared = numbered("shared", start..start + BATCH_ENTRIES);
                    let mut batch = batch_of(&own);
                    batch.extend(batch_of(&shared));
                    let outcome = store.append(&batch).expect("append");
                    seqs.extend(outcome.seqs.into_iter().flatten());
                }
                seqs
            }));
        }
        let mut appended_by_each = Vec::new();
        for appender in appenders {
            appended_by_each.push(appender.join().expect("appender thread"));
        }
        appended_by_each
    });

    let mut all_seqs: Vec<u64> = Vec::new();
    for seqs in &appended_by_each {
        assert!(seqs.is_sorted(), "one connection's seqs increase");
        all_seqs.extend(seqs.iter().copied());
    }
    all_seqs.sort_unstable();
    let expected_count = 3 * BATCHES * BATCH_ENTRIES;
    assert_eq!(all_seqs, (1..=expected_count as u64).collect::<Vec<u64>>());

    let mut store = harness.open().expect("open a third connection");
    let log = whole_log(store.as_mut());
    assert_eq!(seqs_of(&log), all_seqs);
}

/// Three transactions of five entries (the third with two repeats, which the chain does not cover twice).
fn chained_log<H: Harness>() -> Option<(H, Box<dyn Store>)> {
    let (harness, mut store) = start::<H>()?;
    let first = numbered("a", 0..5);
    let second = numbered("b", 0..5);
    let mut third = numbered("c", 0..3);
    third.extend(numbered("a", 0..2));
    for entries in [&first, &second, &third] {
        store.append(&batch_of(entries)).unwrap();
    }
    Some((harness, store))
}

/// The chain's head, or a panic naming what verifying found.
fn head_of(store: &mut dyn Store, expected: Option<&ChainHead>) -> (u64, u64, Option<ChainHead>) {
    match verify_chain(store, expected).unwrap() {
        ChainVerdict::Intact { entries, batches, head } => (entries, batches, head),
        broken => panic!("an untouched chain verifies: {broken:?}"),
    }
}

pub fn the_audit_chain_covers_every_append<H: Harness>() {
    let Some((_harness, mut store)) = chained_log::<H>() else {
        return;
    };
    let (entries, batches, head) = head_of(store.as_mut(), None);
    assert_eq!((entries, batches), (13, 3));
    let head = head.expect("a log with entries has a head");
    assert_eq!((head.seq, head.hash.len()), (13, 64));
    assert_eq!(head.to_string().parse::<ChainHead>(), Ok(head.clone()));
    // A batch of repeats only appends nothing, and no link either.
    store.append(&batch_of(&numbered("b", 0..5))).unwrap();
    assert_eq!(head_of(store.as_mut(), None), (13, 3, Some(head.clone())));
    // Later appends keep the chain passing through a head written down before them.
    store.append(&batch_of(&numbered("d", 0..2))).unwrap();
    let (entries, _, newer) = head_of(store.as_mut(), Some(&head));
    assert_eq!((entries, newer.map(|newer| newer.seq)), (15, Some(15)));
}

fn broken_at(store: &mut dyn Store, expected: Option<&ChainHead>) -> (u64, String) {
    match verify_chain(store, expected).unwrap() {
        ChainVerdict::Broken { seq, problem } => (seq, problem),
        intact => panic!("tampering went unnoticed: {intact:?}"),
    }
}

pub fn a_changed_entry_breaks_the_audit_chain_at_that_entry<H: Harness>() {
    let Some((harness, mut store)) = chained_log::<H>() else {
        return;
    };
    harness.tamper("UPDATE log SET body = '{\"qty\":1000}' WHERE seq = 7");
    let (seq, problem) = broken_at(store.as_mut(), None);
    assert_eq!(seq, 7, "{problem}");
    assert!(problem.contains("entry 7 differs"), "{problem}");
}

pub fn a_removed_entry_breaks_the_audit_chain<H: Harness>() {
    let Some((harness, mut store)) = chained_log::<H>() else {
        return;
    };
    harness.tamper("DELETE FROM log WHERE seq = 12");
    assert_eq!(broken_at(store.as_mut(), None).0, 12);
}

pub fn reordered_entries_break_the_audit_chain<H: Harness>() {
    let Some((harness, mut store)) = chained_log::<H>() else {
        return;
    };
    harness.tamper("UPDATE log SET seq = 1000 WHERE seq = 1; UPDATE log SET seq = 1 WHERE seq = 2; UPDATE log SET seq = 2 WHERE seq = 1000;");
    assert_eq!(broken_at(store.as_mut(), None).0, 1);
}

pub fn a_truncated_or_emptied_log_breaks_only_against_its_head<H: Harness>() {
    let Some((harness, mut store)) = chained_log::<H>() else {
        return;
    };
    let (_, _, head) = head_of(store.as_mut(), None);
    let head = head.unwrap();
    harness.tamper("DELETE FROM log WHERE seq > 10; DELETE FROM log_batch WHERE last_seq > 10");
    assert_eq!(
        head_of(store.as_mut(), None).0,
        10,
        "what is left is a valid chain: the chain alone cannot see a cut tail"
    );
    let (seq, problem) = broken_at(store.as_mut(), Some(&head));
    assert_eq!(seq, 11);
    assert!(problem.contains("its newest entries were removed"), "{problem}");
    harness.tamper("DELETE FROM log; DELETE FROM log_batch");
    assert_eq!(broken_at(store.as_mut(), Some(&head)).0, 1);
}

pub fn a_rewritten_log_with_a_recomputed_chain_breaks_against_its_head<H: Harness>() {
    let Some((_harness, mut store)) = chained_log::<H>() else {
        return;
    };
    let (_, _, head) = head_of(store.as_mut(), None);
    // Another log of the same shape stands for the original rewritten with every digest and link recomputed.
    let Some((_other_harness, mut rewritten)) = start::<H>() else {
        return;
    };
    for (prefix, count) in [("x", 5), ("y", 5), ("z", 3)] {
        rewritten.append(&batch_of(&numbered(prefix, 0..count))).unwrap();
    }
    let (seq, problem) = broken_at(rewritten.as_mut(), head.as_ref());
    assert_eq!(seq, 11, "{problem}");
    assert!(problem.contains("rewritten and its chain recomputed"), "{problem}");
}

/// A store written before entry digests were kept has links over its entries, which still verify.
pub fn links_without_entry_digests_verify_as_before<H: Harness>() {
    let Some((harness, mut store)) = chained_log::<H>() else {
        return;
    };
    let log = whole_log(store.as_mut());
    let mut previous = CHAIN_GENESIS.to_owned();
    let mut updates = String::new();
    for (first, last) in [(1, 5), (6, 10), (11, 13)] {
        let links = log[first - 1..last].iter().map(ChainLink::stored);
        previous = legacy_batch_hash(&previous, links);
        updates.push_str(&format!(
            "UPDATE log_batch SET entry_digests = NULL, hash = '{previous}' WHERE last_seq = {last};"
        ));
    }
    harness.tamper(&updates);
    assert_eq!(head_of(store.as_mut(), None).0, 13);
    harness.tamper("UPDATE log SET body = '{}' WHERE seq = 8");
    assert_eq!(broken_at(store.as_mut(), None).0, 6, "named by its transaction");
}

fn account(name: &str, kind: AccountKind, secret_hash: &str, locations: &[&str]) -> Account {
    Account {
        name: name.to_owned(),
        kind,
        secret_hash: secret_hash.to_owned(),
        role: "team_member".to_owned(),
        team: Some("store_team".to_owned()),
        locations: locations.iter().map(|code| (*code).to_owned()).collect(),
        created_ms: 1_700_000_000_000,
        email: Some(format!("{name}@shop.example")),
        disabled_ms: None,
        last_login_ms: None,
    }
}

fn change(at_ms: i64, action: &str, target: &str) -> AdminChange {
    AdminChange {
        at_ms,
        actor: "root".to_owned(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: format!("{action} at {at_ms}"),
    }
}

pub fn accounts_are_listed_disabled_and_changed_with_their_record<H: Harness>() {
    let Some((harness, mut store)) = start::<H>() else {
        return;
    };
    let anna = account("anna", AccountKind::User, "$argon2id$anna", &["S01"]);
    let bert = account("bert", AccountKind::User, "$argon2id$bert", &[]);
    let feed = account("feed", AccountKind::Token, "ab12", &[]);
    for (at_ms, added) in [(1, &feed), (2, &bert), (3, &anna)] {
        store
            .change_account(added, AccountSessions::Keep, &change(at_ms, "added", &added.name))
            .unwrap();
    }
    let names: Vec<String> = store
        .accounts()
        .unwrap()
        .into_iter()
        .map(|account| account.name)
        .collect();
    assert_eq!(names, ["anna", "bert", "feed"], "by name");

    store.start_session("a1", "anna", 5_000).unwrap();
    store.start_session("b1", "bert", 6_000).unwrap();
    assert_eq!(store.account("anna").unwrap().unwrap().last_login_ms, Some(5_000));
    let disabled = Account {
        disabled_ms: Some(7_000),
        ..anna.clone()
    };
    store
        .change_account(&disabled, AccountSessions::End, &change(7_000, "user disabled", "anna"))
        .unwrap();
    assert_eq!(store.session("a1").unwrap(), None, "a disabled person's sessions end");
    assert!(store.session("b1").unwrap().is_some(), "nobody else's");
    store
        .change_account(&bert, AccountSessions::Keep, &change(8_000, "team changed", "bert"))
        .unwrap();
    assert!(store.session("b1").unwrap().is_some(), "kept when the change says so");
    let revoked = Account {
        disabled_ms: Some(9_000),
        ..feed
    };
    store
        .change_account(&revoked, AccountSessions::End, &change(9_000, "token revoked", "feed"))
        .unwrap();
    store
        .record_admin_change(&change(10_000, "silence added", "count_variance"))
        .unwrap();

    drop(store);
    let mut reopened = harness.open().expect("reopen the store");
    let anna_now = reopened.account("anna").unwrap().unwrap();
    assert!(anna_now.is_disabled());
    assert_eq!(anna_now.last_login_ms, Some(5_000), "a change keeps the last login");
    assert_eq!(
        reopened.account_by_secret("ab12").unwrap().unwrap().disabled_ms,
        Some(9_000),
        "a revoked token is still found, disabled"
    );
    let newest: Vec<(i64, String)> = reopened
        .admin_changes(3)
        .unwrap()
        .into_iter()
        .map(|change| (change.at_ms, change.action))
        .collect();
    assert_eq!(
        newest,
        [
            (10_000, "silence added".to_owned()),
            (9_000, "token revoked".to_owned()),
            (8_000, "team changed".to_owned())
        ],
        "newest first"
    );
    assert_eq!(reopened.admin_changes(100).unwrap().len(), 7);
    assert_eq!(
        reopened.admin_changes(100).unwrap()[6],
        change(1, "added", "feed"),
        "kept as recorded"
    );
    assert!(matches!(
        reopened.admin_changes(READ_LOG_LIMIT_MAX + 1),
        Err(StoreError::Invalid { .. })
    ));
}

pub fn accounts_are_found_by_name_and_by_secret<H: Harness>() {
    let Some((harness, mut store)) = start::<H>() else {
        return;
    };
    let anna = account("anna", AccountKind::User, "$argon2id$anna", &["S01", "S02"]);
    let till = account("till-feed", AccountKind::Token, "ab12", &[]);
    assert!(!store.has_people().unwrap(), "an empty store has nobody");
    store.put_account(&till).unwrap();
    assert!(!store.has_people().unwrap(), "a token is not a person");
    store.put_account(&anna).unwrap();
    assert!(store.has_people().unwrap());
    assert_eq!(store.account("anna").unwrap(), Some(anna.clone()));
    assert_eq!(store.account_by_secret("ab12").unwrap(), Some(till));
    assert_eq!(store.account("nobody").unwrap(), None);
    assert_eq!(store.account_by_secret("cd34").unwrap(), None);

    let moved = Account {
        role: "viewer".to_owned(),
        team: None,
        locations: vec![],
        ..account("anna", AccountKind::User, "$argon2id$new", &[])
    };
    store.put_account(&moved).unwrap();
    drop(store);
    let mut reopened = harness.open().expect("reopen the store");
    assert_eq!(reopened.account("anna").unwrap(), Some(moved));
    assert_eq!(reopened.account_by_secret("$argon2id$anna").unwrap(), None);
}

pub fn a_setting_keeps_its_first_value<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    assert_eq!(store.setting_or_insert("session_key", "first").unwrap(), "first");
    assert_eq!(store.setting_or_insert("session_key", "second").unwrap(), "first");
    assert_eq!(store.setting_or_insert("other", "x").unwrap(), "x");
    assert_eq!(store.setting("cursor").unwrap(), None);
    store.put_setting("cursor", "1").unwrap();
    store.put_setting("cursor", "2").unwrap();
    assert_eq!(store.setting("cursor").unwrap().as_deref(), Some("2"));
    assert_eq!(store.setting("session_key").unwrap().as_deref(), Some("first"));
}

pub fn sessions_end_by_logout_by_password_change_and_by_staleness<H: Harness>() {
    let Some((_harness, mut store)) = start::<H>() else {
        return;
    };
    for (id, account, at) in [("s1", "anna", 1_000), ("s2", "anna", 2_000), ("s3", "bert", 3_000)] {
        store.start_session(id, account, at).unwrap();
    }
    store.touch_session("s1", 5_000).unwrap();
    let anna = store.session("s1").unwrap().unwrap();
    assert_eq!(
        (anna.account.as_str(), anna.started_ms, anna.seen_ms),
        ("anna", 1_000, 5_000)
    );
    store.end_session("s1").unwrap();
    assert_eq!(store.session("s1").unwrap(), None, "logged out");
    assert!(
        store.session("s2").unwrap().is_some(),
        "another session of hers goes on"
    );
    store.end_sessions_of("anna").unwrap();
    assert_eq!(store.session("s2").unwrap(), None, "her password changed");
    store.start_session("s4", "bert", 10_000).unwrap();
    // Idle since before 3,500, or started before 2,000: s3 (idle); s4 is fresh.
    assert_eq!(store.end_stale_sessions(3_500, 2_000).unwrap(), 1);
    assert_eq!(store.session("s3").unwrap(), None);
    assert!(store.session("s4").unwrap().is_some());
    // Started long ago though used a moment ago.
    store.touch_session("s4", 50_000).unwrap();
    assert_eq!(store.end_stale_sessions(0, 20_000).unwrap(), 1);
    assert_eq!(store.session("s4").unwrap(), None);
}

pub fn evidence_is_kept_once_under_its_hash<H: Harness>() {
    let Some((harness, mut store)) = start::<H>() else {
        return;
    };
    let photo = b"\x89PNG\r\n\x1a\nshelf photo";
    let hash = retex_store::sha256_hex(photo);
    store.put_evidence(&hash, "image/png", photo).unwrap();
    store.put_evidence(&hash, "image/png", photo).unwrap();
    drop(store);
    let mut reopened = harness.open().expect("reopen the store");
    assert_eq!(
        reopened.evidence(&hash).unwrap(),
        Some(("image/png".to_owned(), photo.to_vec()))
    );
    assert_eq!(reopened.evidence(&"0".repeat(64)).unwrap(), None);
}

pub fn a_delivery_attempt_is_claimed_once<H: Harness>() {
    let Some((harness, mut store)) = start::<H>() else {
        return;
    };
    let claim = |attempt: u32, claimant: &str, claimed_ms: i64| DeliveryClaim {
        task: 7,
        attempt,
        claimant: claimant.to_owned(),
        claimed_ms,
    };
    assert_eq!(store.claim_delivery(&claim(0, "replica-a", 1_000)).unwrap(), None);
    let mut other = harness.open().expect("a second connection, as another replica");
    assert_eq!(
        other.claim_delivery(&claim(0, "replica-b", 2_000)).unwrap(),
        Some(claim(0, "replica-a", 1_000)),
        "the second claimant is told who claimed the attempt, and when"
    );
    assert_eq!(
        other.claim_delivery(&claim(1, "replica-b", 3_000)).unwrap(),
        None,
        "the next attempt is a claim of its own"
    );
}

/// Events as NDJSON lines: stock at a store, then a count that disagrees with it by 3 units.
const LIVE_EVENTS: [&str; 5] = [
    r#"{"id":"1","source":"t","type":"adjustment","at":"2026-11-02T09:00:00Z","location":"S1","sku":"A","qty":10,"reason":"correction"}"#,
    r#"{"id":"2","source":"t","type":"adjustment","at":"2026-11-02T09:01:00Z","location":"S1","sku":"B","qty":4,"reason":"correction"}"#,
    r#"{"id":"3","source":"t","type":"sale","at":"2026-11-02T09:02:00Z","location":"S1","sku":"B","qty":1,"unit_price":2,"channel":"pos"}"#,
    r#"{"id":"4","source":"t","type":"count","at":"2026-11-02T09:03:00Z","location":"S1","sku":"A","counted":7}"#,
    r#"{"id":"5","source":"t","type":"sale","at":"2026-11-02T09:04:00Z","location":"S1","sku":"A","qty":2,"unit_price":2,"channel":"pos"}"#,
];

/// Appends NDJSON event lines through a live engine, as `retex ingest` does.
fn append_lines(live: &mut retex_store::LiveEngine, lines: &[&str]) {
    let events: Vec<retex_core::event::Event> = lines
        .iter()
        .map(|line| retex_core::wire::parse_event(line).expect("a valid event"))
        .collect();
    let batch: Vec<retex_store::IncomingEvent<'_>> = events
        .iter()
        .zip(lines)
        .map(|(event, text)| retex_store::IncomingEvent { event, text })
        .collect();
    live.append_events(&batch).expect("append");
}

fn live_engine(store: Box<dyn Store>, rules: retex_core::rules::Rules) -> retex_store::LiveEngine {
    let config = retex_core::engine::EngineConfig {
        rules: std::sync::Arc::new(rules),
        insight: None,
    };
    retex_store::LiveEngine::open(store, config, retex_store::LiveOptions::default()).expect("open a live engine")
}

/// The engine a fresh process gets by replaying the whole log under the default rules.
fn replayed_hash<H: Harness>(harness: &H) -> String {
    live_engine(harness.open().expect("open"), Default::default())
        .engine()
        .state_hash()
}

pub fn a_large_snapshot_is_written_more_rarely<H: Harness>() {
    let newest_snapshot_after = |bytes_per_input: u64| {
        let (harness, store) = start::<H>()?;
        let options = retex_store::LiveOptions {
            snapshot_every_inputs: 2,
            snapshot_bytes_per_input: bytes_per_input,
        };
        let mut live = retex_store::LiveEngine::open(store, Default::default(), options).expect("open");
        for line in LIVE_EVENTS {
            append_lines(&mut live, &[line]);
        }
        let mut store = harness.open().expect("reopen");
        let snapshot = store
            .latest_snapshot(retex_core::engine::SNAPSHOT_FORMAT_VERSION)
            .unwrap();
        Some(snapshot.expect("one snapshot at least").seq)
    };
    // Every 2 inputs; then, with a floor of one input per byte of a snapshot of some kilobytes, none after the first.
    let Some(every_two) = newest_snapshot_after(0) else {
        return;
    };
    assert_eq!(every_two, 4);
    assert_eq!(newest_snapshot_after(1), Some(2));
}

pub fn a_live_engine_catches_up_with_another_writer<H: Harness>() {
    let Some((harness, store)) = start::<H>() else { return };
    let mut first = live_engine(store, Default::default());
    let mut second = live_engine(harness.open().expect("second connection"), Default::default());
    append_lines(&mut first, &LIVE_EVENTS[..3]);
    // The second writer's append lands after the first writer's entries, which its engine has not applied: it
    // must replay them from the log, in order, rather than apply its own batch out of order.
    append_lines(&mut second, &LIVE_EVENTS[3..]);
    assert_eq!(second.engine().applied_seq(), 5);
    assert_eq!(second.engine().state_hash(), replayed_hash(&harness));
    assert_eq!(
        second.engine().exception_records().len(),
        1,
        "the count variance, seen by the second writer"
    );
    // The first writer is now behind too; its next append catches up the same way.
    append_lines(
        &mut first,
        &[
            r#"{"id":"6","source":"t","type":"sale","at":"2026-11-02T09:05:00Z","location":"S1","sku":"B","qty":1,"unit_price":2,"channel":"pos"}"#,
        ],
    );
    assert_eq!(first.engine().applied_seq(), 6);
    assert_eq!(first.engine().state_hash(), replayed_hash(&harness));
}

pub fn a_snapshot_under_other_rules_is_not_loaded<H: Harness>() {
    let Some((harness, store)) = start::<H>() else { return };
    let mut default_rules = live_engine(store, Default::default());
    append_lines(&mut default_rules, &LIVE_EVENTS);
    default_rules.save_snapshot().expect("save a snapshot");
    assert_eq!(default_rules.engine().exception_records().len(), 1);
    drop(default_rules);
    // Under rules that tolerate 5 units the count is within tolerance: the exception must be re-derived from
    // the log, not loaded from the default rules' snapshot.
    let tolerant = retex_core::rules::file::parse_rules("[types.count_variance]\ntolerance_units = 5\n").unwrap();
    let reopened = live_engine(harness.open().expect("reopen"), tolerant);
    assert_eq!(reopened.engine().applied_seq(), 5);
    assert_ne!(
        reopened.engine().rules_version(),
        retex_core::rules::Rules::default().version()
    );
    assert!(reopened.engine().exception_records().is_empty());
}

/// A merge of two incidents as a person sends it.
fn merge_command(id: &str, into: u64, from: u64) -> retex_core::command::IncidentCommand {
    retex_core::command::IncidentCommand {
        id: id.to_owned(),
        source: "test".to_owned(),
        at: chrono::DateTime::parse_from_rfc3339("2026-11-02T09:10:00Z").unwrap(),
        actor: "anna".to_owned(),
        role: None,
        incident: into,
        action: retex_core::command::IncidentAction::Merge { from },
    }
}

pub fn an_incident_command_is_logged_once_and_replayed<H: Harness>() {
    let Some((harness, store)) = start::<H>() else { return };
    let mut live = live_engine(store, Default::default());
    append_lines(&mut live, &LIVE_EVENTS);
    // A count of B short by 3: a second exception, in an incident of its own.
    append_lines(
        &mut live,
        &[
            r#"{"id":"6","source":"t","type":"count","at":"2026-11-02T09:05:00Z","location":"S1","sku":"B","counted":0}"#,
        ],
    );
    assert_eq!(live.engine().incidents(1).len(), 2);
    let merge = merge_command("merge-1", 1, 2);
    assert_eq!(
        live.prior_incident_command(&merge).unwrap(),
        retex_store::PriorCommand::None
    );
    assert!(live.append_incident_command(&merge).expect("append"));
    assert!(
        !live.append_incident_command(&merge).expect("append again"),
        "its key was logged"
    );
    assert_eq!(
        live.prior_incident_command(&merge).unwrap(),
        retex_store::PriorCommand::Same
    );
    let other = merge_command("merge-1", 2, 1);
    assert!(
        matches!(
            live.prior_incident_command(&other).unwrap(),
            retex_store::PriorCommand::Other { .. }
        ),
        "another command under the same key"
    );
    let incidents: Vec<(u64, Vec<u64>)> = (live.engine().incidents(1).iter())
        .map(|incident| (incident.id, incident.exceptions.clone()))
        .collect();
    assert_eq!(incidents, [(1, vec![1, 2])]);
    assert_eq!(live.engine().state_hash(), replayed_hash(&harness));
}
