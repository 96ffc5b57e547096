//! The audit chain: each append transaction's new entries are digested one by one, in seq order, and the
//! transaction's link is the hash of the previous link and those digests; both are stored beside the entries
//! (`log_batch`). Changing, removing, reordering or slipping in an entry breaks the chain from there on, and
//! [`verify_chain`] names the first entry that differs from its digest.
//!
//! What the chain cannot see by itself: the newest entries removed together with their links (a truncated or
//! emptied log), or a log rewritten with every digest and link recomputed. Both change the head (the newest
//! link's seq and hash); [`verify_chain`] given a head written down earlier detects them.
//!
//! Every field is length-prefixed, so no two different entries digest alike by shifting bytes between fields.
//! Transactions appended before entry digests were kept have no digests: their link is one hash over the
//! previous link and their entries ([`legacy_batch_hash`]), and a break in them is named by transaction.

use sha2::{Digest, Sha256};

use crate::{NewEntry, StoreError, StoredEntry};

/// The hash the first transaction chains to.
pub const CHAIN_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Links read per page while verifying: with up to 50,000 entry digests of 32 bytes each, at most 100 MB.
const VERIFY_LINKS_PAGE: usize = 64;
/// Entries read per page while verifying.
const VERIFY_ENTRIES_PAGE: usize = 10_000;
/// Bytes of one entry's digest.
const DIGEST_BYTES: usize = 32;
/// Separates a link over entry digests from a legacy link over the entries themselves.
const DIGESTS_DOMAIN: &[u8] = b"retex-chain-v2";

/// One append transaction's place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBatch {
    pub first_seq: u64,
    pub last_seq: u64,
    /// SHA-256 (hex) of the previous batch's hash and this batch's entry digests (or entries, for a legacy
    /// batch).
    pub hash: String,
    /// The SHA-256 of each entry, in seq order; `None` for a batch appended before digests were kept.
    pub entry_digests: Option<Vec<u8>>,
}

/// The newest link of a chain: write it down (or sign it) to detect later truncation or recomputation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainHead {
    pub seq: u64,
    pub hash: String,
}

impl std::fmt::Display for ChainHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for ChainHead {
    type Err = String;

    /// `SEQ:HASH`, as [`ChainHead`] displays itself.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let problem =
            || format!("{text:?} is not a chain head: expected SEQ:HASH (64 hex digits), as audit verify prints");
        let (seq, hash) = text.split_once(':').ok_or_else(problem)?;
        let seq = seq.parse().map_err(|_| problem())?;
        if hash.len() != 64 || !hash.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(problem());
        }
        Ok(Self {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
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

/// What an append transaction stores beside its entries: its link and its entries' digests.
pub struct BatchLink {
    pub hash: String,
    pub entry_digests: Vec<u8>,
}

/// The link of a transaction's entries, chained to the `previous` link's hash.
pub fn link_batch<'a>(previous: &str, links: impl Iterator<Item = ChainLink<'a>>) -> BatchLink {
    let mut entry_digests = Vec::with_capacity(links.size_hint().0 * DIGEST_BYTES);
    for link in links {
        entry_digests.extend_from_slice(&entry_digest(&link));
    }
    BatchLink {
        hash: digests_hash(previous, &entry_digests),
        entry_digests,
    }
}

fn entry_digest(link: &ChainLink<'_>) -> [u8; DIGEST_BYTES] {
    let mut hasher = Sha256::new();
    hash_entry(&mut hasher, link);
    hasher.finalize().into()
}

fn hash_entry(hasher: &mut Sha256, link: &ChainLink<'_>) {
    hasher.update(link.seq.to_le_bytes());
    for text in [link.source, link.event_id, link.kind, link.body] {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    hasher.update(link.at_ms.to_le_bytes());
}

fn digests_hash(previous: &str, entry_digests: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    hasher.update(DIGESTS_DOMAIN);
    hasher.update(entry_digests);
    hex(&hasher.finalize())
}

/// The link of a transaction appended before entry digests were kept: one hash over the previous link and
/// the entries.
pub fn legacy_batch_hash<'a>(previous: &str, links: impl Iterator<Item = ChainLink<'a>>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(previous.as_bytes());
    for link in links {
        hash_entry(&mut hasher, &link);
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
        /// The newest link; `None` for an empty log.
        head: Option<ChainHead>,
    },
    /// The first place where the log and the chain disagree.
    Broken { seq: u64, problem: String },
}

/// Recomputes the chain over the whole log and compares it with the stored links, and, when given, with a
/// head written down earlier: the chain must still pass through it.
pub fn verify_chain(store: &mut dyn crate::Store, expected: Option<&ChainHead>) -> Result<ChainVerdict, StoreError> {
    let mut previous = CHAIN_GENESIS.to_string();
    let mut next_seq = 1;
    let mut batches = 0;
    loop {
        let page = store.read_batches(next_seq - 1, VERIFY_LINKS_PAGE)?;
        if page.is_empty() {
            break;
        }
        for batch in page {
            if let Some(broken) = check_batch(store, &batch, &previous, next_seq)? {
                return Ok(broken);
            }
            // A head written down is where some link ended; a link that ends elsewhere around it, or with another
            // hash, is a rewrite.
            if let Some(expected) =
                expected.filter(|expected| (batch.first_seq..=batch.last_seq).contains(&expected.seq))
                && (expected.seq != batch.last_seq || expected.hash != batch.hash)
            {
                let problem = format!(
                    "the link of entries {}..={} is not the expected head {expected}: the log up to there was rewritten and its chain recomputed",
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
    let entries = next_seq - 1;
    if let Some(expected) = expected
        && expected.seq > entries
    {
        let problem = format!(
            "the log ends at seq {entries}, before the expected head {expected}: its newest entries were removed"
        );
        return Ok(ChainVerdict::Broken {
            seq: entries + 1,
            problem,
        });
    }
    let head = (entries > 0).then_some(ChainHead {
        seq: entries,
        hash: previous,
    });
    Ok(ChainVerdict::Intact { entries, batches, head })
}

/// Checks one link against its entries and the previous link; the verdict when they disagree.
fn check_batch(
    store: &mut dyn crate::Store,
    batch: &ChainBatch,
    previous: &str,
    next_seq: u64,
) -> Result<Option<ChainVerdict>, StoreError> {
    let broken = |seq: u64, problem: String| Ok(Some(ChainVerdict::Broken { seq, problem }));
    if batch.first_seq != next_seq {
        return broken(
            next_seq,
            format!("the chain jumps from seq {} to seq {}", next_seq - 1, batch.first_seq),
        );
    }
    let entries = read_range(store, batch.first_seq, batch.last_seq)?;
    let missing = (batch.first_seq..=batch.last_seq).find(|&seq| {
        let index = (seq - batch.first_seq) as usize;
        entries.get(index).map(|entry| entry.seq) != Some(seq)
    });
    if let Some(seq) = missing {
        return broken(seq, format!("entry {seq} is missing (removed, or its seq changed)"));
    }
    let Some(digests) = &batch.entry_digests else {
        if legacy_batch_hash(previous, entries.iter().map(ChainLink::stored)) == batch.hash {
            return Ok(None);
        }
        return broken(
            batch.first_seq,
            format!(
                "entries {}..={} differ from what was appended (changed, reordered or replaced)",
                batch.first_seq, batch.last_seq
            ),
        );
    };
    if digests.len() != entries.len() * DIGEST_BYTES {
        return broken(
            batch.first_seq,
            format!(
                "the digests of entries {}..={} were cut",
                batch.first_seq, batch.last_seq
            ),
        );
    }
    for (entry, stored) in entries.iter().zip(digests.chunks_exact(DIGEST_BYTES)) {
        if entry_digest(&ChainLink::stored(entry)) != stored {
            return broken(
                entry.seq,
                format!(
                    "entry {} differs from what was appended (its source, id, type, time or body changed)",
                    entry.seq
                ),
            );
        }
    }
    if digests_hash(previous, digests) != batch.hash {
        return broken(
            batch.first_seq,
            format!(
                "the link of entries {}..={} was altered",
                batch.first_seq, batch.last_seq
            ),
        );
    }
    Ok(None)
}

fn read_range(store: &mut dyn crate::Store, first: u64, last: u64) -> Result<Vec<StoredEntry>, StoreError> {
    let mut entries = Vec::new();
    let mut after = first - 1;
    while after < last {
        let page = store.read_log(after, VERIFY_ENTRIES_PAGE.min((last - after) as usize))?;
        let Some(newest) = page.last() else { break };
        after = newest.seq;
        entries.extend(page.into_iter().filter(|entry| entry.seq <= last));
    }
    Ok(entries)
}
