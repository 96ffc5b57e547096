//! The audit chain: each append transaction's new entries are hashed, in seq order, together with the previous
//! transaction's hash, and the result is stored beside them (`log_batch`). Changing, removing, reordering or
//! slipping in an entry breaks the chain from that transaction on; [`verify_chain`] finds the first break.
//!
//! Hashing per transaction rather than per entry keeps the write path to one extra row per batch; every field
//! is length-prefixed, so no two different entries hash alike by shifting bytes between fields.

use sha2::{Digest, Sha256};

use crate::{NewEntry, StoreError, StoredEntry};

/// The hash the first transaction chains to.
pub const CHAIN_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Batches and entries read per page while verifying.
const VERIFY_PAGE: usize = 10_000;

/// One append transaction's place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBatch {
    pub first_seq: u64,
    pub last_seq: u64,
    /// SHA-256 (hex) of the previous batch's hash and this batch's entries.
    pub hash: String,
}

/// The fields of one entry the chain covers.
pub struct ChainLink<'a> {
    pub seq: u64,
    pub source: &'a str,
    pub event_id: &'a str,
    pub kind: &'a str,
    pub at_ms: i64,
    pub body: &'a str,
}

impl<'a> ChainLink<'a> {
    pub fn new_entry(seq: u64, entry: &NewEntry<'a>) -> Self {
        let NewEntry {
            source,
            event_id,
            kind,
            at_ms,
            body,
        } = *entry;
        Self {
            seq,
            source,
            event_id,
            kind,
            at_ms,
            body,
        }
    }

    pub fn stored(entry: &'a StoredEntry) -> Self {
        Self {
            seq: entry.seq,
            source: &entry.source,
            event_id: &entry.event_id,
            kind: &entry.kind,
            at_ms: entry.at_ms,
            body: &entry.body,
        }
    }
}

/// The hash of a batch of entries chained to `previous`.
pub fn chain_hash<'a>(previous: &str, links: impl Iterator<Item = ChainLink<'a>>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    for link in links {
        hasher.update(link.seq.to_le_bytes());
        for text in [link.source, link.event_id, link.kind, link.body] {
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        hasher.update(link.at_ms.to_le_bytes());
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// What verifying the chain found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainVerdict {
    Intact {
        entries: u64,
        batches: u64,
    },
    /// The first place where the log and the chain disagree.
    Broken {
        seq: u64,
        problem: String,
    },
}

/// Recomputes the chain over the whole log and compares it with the stored batch hashes.
pub fn verify_chain(store: &mut dyn crate::Store) -> Result<ChainVerdict, StoreError> {
    let mut previous = CHAIN_GENESIS.to_string();
    let mut next_seq = 1;
    let mut batches = 0;
    loop {
        let page = store.read_batches(next_seq - 1, VERIFY_PAGE)?;
        if page.is_empty() {
            break;
        }
        for batch in page {
            if batch.first_seq != next_seq {
                let problem = format!("the chain jumps from seq {} to seq {}", next_seq - 1, batch.first_seq);
                return Ok(ChainVerdict::Broken { seq: next_seq, problem });
            }
            let entries = read_range(store, batch.first_seq, batch.last_seq)?;
            let expected_seqs = batch.first_seq..=batch.last_seq;
            if entries.len() as u64 != batch.last_seq - batch.first_seq + 1
                || !entries.iter().map(|entry| entry.seq).eq(expected_seqs)
            {
                let problem = format!("entries {}..={} are not all there", batch.first_seq, batch.last_seq);
                return Ok(ChainVerdict::Broken {
                    seq: batch.first_seq,
                    problem,
                });
            }
            let hash = chain_hash(&previous, entries.iter().map(ChainLink::stored));
            if hash != batch.hash {
                let problem = format!(
                    "entries {}..={} differ from what was appended (changed, reordered or replaced)",
                    batch.first_seq, batch.last_seq
                );
                return Ok(ChainVerdict::Broken {
                    seq: batch.first_seq,
                    problem,
                });
            }
            previous = batch.hash;
            next_seq = batch.last_seq + 1;
            batches += 1;
        }
    }
    let last_seq = store.last_seq()?;
    if last_seq >= next_seq {
        let problem = format!("entries {next_seq}..={last_seq} are not covered by the chain");
        return Ok(ChainVerdict::Broken { seq: next_seq, problem });
    }
    Ok(ChainVerdict::Intact {
        entries: next_seq - 1,
        batches,
    })
}

fn read_range(store: &mut dyn crate::Store, first: u64, last: u64) -> Result<Vec<StoredEntry>, StoreError> {
    let mut entries = Vec::new();
    let mut after = first - 1;
    while after < last {
        let page = store.read_log(after, VERIFY_PAGE.min((last - after) as usize))?;
        let Some(newest) = page.last() else { break };
        after = newest.seq;
        entries.extend(page.into_iter().filter(|entry| entry.seq <= last));
    }
    Ok(entries)
}
