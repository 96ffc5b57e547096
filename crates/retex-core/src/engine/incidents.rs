//! Incidents: exceptions that share a cause, linked into one with its probable root cause (exceptions.md,
//! "Correlation", version 2), and reshaped by people who know better (merge, split).
//!
//! When an exception opens it joins the incident of a related exception that opened within the previous 7 days
//! and comes before it in the causal order (`ExceptionType::root_cause_rank`); among several, the incident whose
//! root comes first in that order, then the earliest. Related means the same position or the same document, or,
//! for a `master_data` exception, a missing field that feeds the later detector: a product's missing supplier
//! and a supplier's missing lead time feed `low_stock` and the PO types. An incident does not chain: an
//! exception joins only through its own relation to a member before it, never later than 7 days after the
//! incident's root opened, and correlation never merges incidents. So the root cause is the exception that opened
//! the incident, and a type outside the causal order neither joins nor is joined.
//!
//! People may merge one incident into another or split members off into a new one. Either way an exception stays
//! in exactly one incident, each incident's root is its member first in the causal order (then the earliest to
//! open, then the lowest id), and a merged incident keeps no members. Later exceptions join by the same rule,
//! through the incident their related member is in now.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, SupplierCode, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::refusal::Refusal;
use crate::engine::sorted_map;

/// An exception joins an incident whose member opened at most this long before it, and whose root opened at
/// most this long before it.
pub const CORRELATION_WINDOW_MS: i64 = 7 * Timestamp::MILLIS_PER_DAY;

/// Something an exception concerns, by which it relates to others.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Touch {
    Position(LocationId, SkuId),
    Document(DocumentNumber),
    /// The supplier of a SKU: a `master_data` exception for a product without one feeds the `low_stock` and PO
    /// exceptions of the SKU, which look it up.
    SupplierOfSku(SkuId),
    /// A supplier's lead time: a `master_data` exception for a supplier without one feeds the `low_stock` of its
    /// products and its POs' exceptions, which look it up.
    LeadTimeOf(SupplierCode),
}

impl Touch {
    /// Whether the touch is a missing master-data field: only `master_data` exceptions are seen there, and only
    /// the detectors it feeds look there.
    fn is_master_data_feed(&self) -> bool {
        matches!(self, Touch::SupplierOfSku(_) | Touch::LeadTimeOf(_))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: u64,
    /// Exception ids, ascending (the order they opened); empty once merged into another incident, never otherwise.
    pub members: Vec<u64>,
    /// The probable root cause: the member first in the causal order (for one that correlation alone made, the
    /// exception that opened it).
    pub root_cause: u64,
    /// When the root opened.
    pub opened_at: Timestamp,
    /// The root's place in the causal order.
    root_rank: u8,
    /// The incident its members were merged into; it has none from then on.
    pub merged_into: Option<u64>,
    /// What people did to it, oldest first.
    pub changes: Vec<IncidentChange>,
}

/// One merge or split, as the incidents it touched remember it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentChange {
    pub at: Timestamp,
    pub actor: String,
    /// The log entry of the command.
    pub seq: u64,
    pub reshape: Reshape,
}

/// How an incident changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reshape {
    /// Another incident's members joined this one.
    Absorbed { incident: u64, exceptions: Vec<u64> },
    /// Its members joined another incident.
    MergedInto { incident: u64 },
    /// These members left for a new incident.
    SplitOff { incident: u64, exceptions: Vec<u64> },
    /// It was made of members split off another incident.
    SplitFrom { incident: u64 },
}

/// Where an exception stands to be an incident's root: its type's place in the causal order (`u8::MAX` outside
/// it), then when it opened, then its id; the least is the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RootKey {
    pub rank: u8,
    pub opened_at: Timestamp,
    pub exception: u64,
}

/// Who reshapes incidents, when, by which log entry.
#[derive(Clone, Copy, Debug)]
pub struct Reshaping<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub seq: u64,
}

/// An exception as the incident book files it.
#[derive(Clone, Copy, Debug)]
pub struct Filing<'a> {
    /// Exception ids arrive in order: 1, 2, ...
    pub exception: u64,
    pub opened_at: Timestamp,
    /// Its type's place in the causal order; `None` for a type outside it.
    pub rank: Option<u8>,
    pub is_master_data: bool,
    pub touches: &'a [Touch],
}

/// One exception seen at a touch point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Sighting {
    at: Timestamp,
    exception: u64,
    rank: u8,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IncidentBook {
    incidents: Vec<Incident>,
    /// Incident id per exception id (index = exception id - 1).
    of_exception: Vec<u64>,
    /// Exceptions of the causal order by what they touch, pruned to the window as new ones arrive.
    #[serde(with = "sorted_map")]
    sightings: FxHashMap<Touch, Vec<Sighting>>,
}

impl IncidentBook {
    /// Files a new exception and returns its incident id: the best incident it may join, else a new one.
    pub fn link(&mut self, filing: Filing<'_>) -> u64 {
        assert_eq!(
            filing.exception,
            self.of_exception.len() as u64 + 1,
            "exceptions are filed in id order"
        );
        let joined = filing.rank.and_then(|rank| self.best_incident(&filing, rank));
        let incident = match joined {
            Some(incident) => {
                self.incidents[(incident - 1) as usize].members.push(filing.exception);
                incident
            }
            None => self.open(&filing),
        };
        self.of_exception.push(incident);
        if let Some(rank) = filing.rank {
            self.record_sightings(&filing, rank);
        }
        incident
    }

    /// The incident `filing` joins: among those with a related member before it in the causal order that
    /// opened within the window, and whose root opened within the window, the one whose root comes first in
    /// the order, then the earliest.
    fn best_incident(&self, filing: &Filing<'_>, rank: u8) -> Option<u64> {
        let mut best: Option<(u8, Timestamp, u64)> = None;
        for touch in filing.touches {
            // A master-data feed is looked up by the detectors it feeds, never by master data itself.
            if touch.is_master_data_feed() && filing.is_master_data {
                continue;
            }
            for sighting in self.sightings.get(touch).into_iter().flatten() {
                let before = sighting.rank < rank && within_window(sighting.at, filing.opened_at);
                if !before {
                    continue;
                }
                let incident = &self.incidents[(self.of_exception[(sighting.exception - 1) as usize] - 1) as usize];
                if !within_window(incident.opened_at, filing.opened_at) {
                    continue;
                }
                let candidate = (incident.root_rank, incident.opened_at, incident.id);
                if best.is_none_or(|best| candidate < best) {
                    best = Some(candidate);
                }
            }
        }
        best.map(|(_, _, incident)| incident)
    }

    fn open(&mut self, filing: &Filing<'_>) -> u64 {
        let id = self.incidents.len() as u64 + 1;
        self.incidents.push(Incident {
            id,
            members: vec![filing.exception],
            root_cause: filing.exception,
            opened_at: filing.opened_at,
            root_rank: filing.rank.unwrap_or(u8::MAX),
            merged_into: None,
            changes: Vec::new(),
        });
        id
    }

    /// Remembers where the exception was seen, for later ones to relate to: its positions and documents, and,
    /// for `master_data`, the fields it lacks. What the feeds' readers touch there is only looked up.
    fn record_sightings(&mut self, filing: &Filing<'_>, rank: u8) {
        for touch in filing.touches {
            if touch.is_master_data_feed() && !filing.is_master_data {
                continue;
            }
            let sightings = self.sightings.entry(touch.clone()).or_default();
            sightings.retain(|sighting| filing.opened_at.0 - sighting.at.0 <= CORRELATION_WINDOW_MS);
            let seen = Sighting {
                at: filing.opened_at,
                exception: filing.exception,
                rank,
            };
            if !sightings.contains(&seen) {
                sightings.push(seen);
            }
        }
    }

    /// The exceptions of the causal order seen at `touch` within the correlation window, oldest first.
    pub fn sighted_at(&self, touch: &Touch) -> impl Iterator<Item = u64> + '_ {
        self.sightings
            .get(touch)
            .into_iter()
            .flatten()
            .map(|sighting| sighting.exception)
    }

    pub fn incident_of(&self, exception: u64) -> u64 {
        self.of_exception[(exception - 1) as usize]
    }

    /// How many incidents were opened; ids run from 1 to this.
    pub fn len(&self) -> u64 {
        self.incidents.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty()
    }

    pub fn get(&self, id: u64) -> &Incident {
        &self.incidents[(id - 1) as usize]
    }

    /// Every incident, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter()
    }

    /// The incident `id` as people may reshape it: one that exists and was not merged away.
    fn reshapeable(&self, id: u64) -> Result<&Incident, Refusal> {
        if id == 0 || id > self.len() {
            return Err(Refusal::not_found(format!(
                "no incident {id} (there are {})",
                self.len()
            )));
        }
        let incident = self.get(id);
        match incident.merged_into {
            Some(into) => Err(Refusal::conflict(format!(
                "incident {id} was merged into incident {into}"
            ))),
            None => Ok(incident),
        }
    }

    /// Why incident `from` cannot be merged into `into`, if it cannot.
    pub fn check_merge(&self, into: u64, from: u64) -> Result<(), Refusal> {
        self.reshapeable(into)?;
        if from == into {
            return Err(Refusal::invalid(format!(
                "incident {into} cannot be merged into itself"
            )));
        }
        self.reshapeable(from).map(|_| ())
    }

    /// Why `exceptions` cannot be split off `incident` into a new one, if they cannot: each must be a member,
    /// named once, and at least one member must stay.
    pub fn check_split(&self, incident: u64, exceptions: &[u64]) -> Result<(), Refusal> {
        let members = &self.reshapeable(incident)?.members;
        if exceptions.is_empty() {
            return Err(Refusal::invalid("name the exceptions to split off"));
        }
        let mut named = BTreeSet::new();
        for &exception in exceptions {
            if exception == 0 || exception > self.of_exception.len() as u64 {
                return Err(Refusal::not_found(format!("no exception {exception}")));
            }
            if members.binary_search(&exception).is_err() {
                return Err(Refusal::invalid(format!(
                    "exception {exception} is in incident {}, not {incident}",
                    self.incident_of(exception)
                )));
            }
            if !named.insert(exception) {
                return Err(Refusal::invalid(format!("exception {exception} is named twice")));
            }
        }
        if exceptions.len() == members.len() {
            return Err(Refusal::conflict(format!(
                "splitting off all {} members would leave incident {incident} empty: leave at least one",
                members.len()
            )));
        }
        Ok(())
    }

    /// Folds incident `from` into `into` (checked by [`Self::check_merge`]): its members join, the root is the
    /// one of the two roots first by `root_key`, and `from` is left empty, pointing at `into`.
    pub fn merge(&mut self, into: u64, from: u64, by: Reshaping<'_>, root_key: impl Fn(u64) -> RootKey) {
        let moved = std::mem::take(&mut self.incidents[(from - 1) as usize].members);
        for &exception in &moved {
            self.of_exception[(exception - 1) as usize] = into;
        }
        let source = &mut self.incidents[(from - 1) as usize];
        source.merged_into = Some(into);
        source.changes.push(by.change(Reshape::MergedInto { incident: into }));
        let source_root = root_key(source.root_cause);
        let target = &mut self.incidents[(into - 1) as usize];
        target.members = merged(&target.members, &moved);
        target.set_root(root_key(target.root_cause).min(source_root));
        target.changes.push(by.change(Reshape::Absorbed {
            incident: from,
            exceptions: moved,
        }));
    }

    /// Moves `exceptions` (checked by [`Self::check_split`]) out of `incident` into a new incident and returns
    /// its id; each side's root is its member first by `root_key`.
    pub fn split(
        &mut self,
        incident: u64,
        exceptions: &[u64],
        by: Reshaping<'_>,
        root_key: impl Fn(u64) -> RootKey,
    ) -> u64 {
        let id = self.len() + 1;
        let mut leaving = exceptions.to_vec();
        leaving.sort_unstable();
        let source = &mut self.incidents[(incident - 1) as usize];
        let (moved, kept): (Vec<u64>, Vec<u64>) =
            (source.members.iter()).partition(|member| leaving.binary_search(member).is_ok());
        source.members = kept;
        source.set_root(least_root(&source.members, &root_key));
        source.changes.push(by.change(Reshape::SplitOff {
            incident: id,
            exceptions: moved.clone(),
        }));
        for &exception in &moved {
            self.of_exception[(exception - 1) as usize] = id;
        }
        let root = least_root(&moved, &root_key);
        self.incidents.push(Incident {
            id,
            members: moved,
            root_cause: root.exception,
            opened_at: root.opened_at,
            root_rank: root.rank,
            merged_into: None,
            changes: vec![by.change(Reshape::SplitFrom { incident })],
        });
        id
    }
}

impl Incident {
    fn set_root(&mut self, root: RootKey) {
        self.root_cause = root.exception;
        self.opened_at = root.opened_at;
        self.root_rank = root.rank;
    }
}

impl Reshaping<'_> {
    fn change(&self, reshape: Reshape) -> IncidentChange {
        IncidentChange {
            at: self.at,
            actor: self.actor.to_owned(),
            seq: self.seq,
            reshape,
        }
    }
}

/// Two ascending lists of distinct ids as one.
fn merged(left: &[u64], right: &[u64]) -> Vec<u64> {
    let mut all = Vec::with_capacity(left.len() + right.len());
    all.extend_from_slice(left);
    all.extend_from_slice(right);
    all.sort_unstable();
    all
}

/// The member first by `root_key`, of members that are never empty.
fn least_root(members: &[u64], root_key: &impl Fn(u64) -> RootKey) -> RootKey {
    members
        .iter()
        .map(|&member| root_key(member))
        .min()
        .expect("an incident keeps at least one member")
}

/// Whether `earlier` is at most the correlation window before `at` (and not after it).
fn within_window(earlier: Timestamp, at: Timestamp) -> bool {
    earlier <= at && at.0 - earlier.0 <= CORRELATION_WINDOW_MS
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const HOUR: i64 = Timestamp::MILLIS_PER_HOUR;

    /// Files exceptions in order: (rank, hours after the start, is master data, touches); returns each one's
    /// incident.
    fn file(exceptions: &[(Option<u8>, i64, bool, Vec<Touch>)]) -> (IncidentBook, Vec<u64>) {
        let mut book = IncidentBook::default();
        let mut incidents = Vec::new();
        for (index, (rank, hours, is_master_data, touches)) in exceptions.iter().enumerate() {
            incidents.push(book.link(Filing {
                exception: index as u64 + 1,
                opened_at: Timestamp(hours * HOUR),
                rank: *rank,
                is_master_data: *is_master_data,
                touches,
            }));
        }
        (book, incidents)
    }

    fn position(location: LocationId, sku: SkuId) -> Touch {
        Touch::Position(location, sku)
    }

    fn document(number: &str) -> Touch {
        Touch::Document(DocumentNumber::parse(number).unwrap())
    }

    // Ranks of the causal order, as `ExceptionType::root_cause_rank` gives them.
    const MASTER_DATA: u8 = 0;
    const PO_LATE: u8 = 1;
    const TRANSFER_OVERDUE: u8 = 3;
    const COUNT_VARIANCE: u8 = 5;
    const NEGATIVE_STOCK: u8 = 7;
    const LOW_STOCK: u8 = 8;

    #[test]
    fn a_later_exception_joins_the_earlier_one_it_relates_to_and_the_root_is_the_first_in_causal_order() {
        let (book, incidents) = file(&[
            (Some(TRANSFER_OVERDUE), 0, false, vec![document("T-1"), position(1, 7)]),
            (Some(COUNT_VARIANCE), 5, false, vec![position(1, 7)]),
            (Some(NEGATIVE_STOCK), 6, false, vec![position(1, 7)]),
        ]);
        assert_eq!(incidents, [1, 1, 1]);
        assert_eq!(book.get(1).root_cause, 1);
        assert_eq!(book.get(1).members, [1, 2, 3]);
    }

    #[test]
    fn nothing_joins_an_exception_after_it_in_the_causal_order() {
        // A negative stock first, then a count variance at the same position: the variance is upstream of it.
        let (book, incidents) = file(&[
            (Some(NEGATIVE_STOCK), 0, false, vec![position(1, 7)]),
            (Some(COUNT_VARIANCE), 1, false, vec![position(1, 7)]),
            (Some(NEGATIVE_STOCK), 2, false, vec![position(1, 7)]),
        ]);
        assert_eq!(
            incidents,
            [1, 2, 2],
            "the second negative stock joins the variance's incident"
        );
        assert_eq!(book.get(2).root_cause, 2);
        // Nor does one of the same type.
        let (_, incidents) = file(&[
            (Some(COUNT_VARIANCE), 0, false, vec![position(1, 7)]),
            (Some(COUNT_VARIANCE), 1, false, vec![position(1, 7)]),
        ]);
        assert_eq!(incidents, [1, 2]);
    }

    #[test]
    fn the_window_is_seven_days_after_the_member_and_after_the_root() {
        let (_, incidents) = file(&[
            (Some(TRANSFER_OVERDUE), 0, false, vec![position(1, 7)]),
            (Some(COUNT_VARIANCE), 7 * 24, false, vec![position(1, 7)]),
            (Some(NEGATIVE_STOCK), 7 * 24 + 1, false, vec![position(1, 7)]),
        ]);
        assert_eq!(incidents[1], 1, "exactly seven days later still joins");
        assert_eq!(
            incidents[2], 2,
            "an hour past the root's seven days, the negative stock cannot join the root's incident, though the \
             variance it relates to is a day old: it opens its own"
        );
        let (_, incidents) = file(&[
            (Some(COUNT_VARIANCE), 0, false, vec![position(1, 7)]),
            (Some(NEGATIVE_STOCK), 7 * 24 + 1, false, vec![position(1, 7)]),
        ]);
        assert_eq!(
            incidents,
            [1, 2],
            "a member more than seven days before relates to nothing"
        );
    }

    #[test]
    fn incidents_do_not_chain_or_merge() {
        let (book, incidents) = file(&[
            // A transfer to position 1 from position 2, and a variance at position 2 that joins it.
            (
                Some(TRANSFER_OVERDUE),
                0,
                false,
                vec![document("T-1"), position(1, 7), position(2, 7)],
            ),
            (Some(COUNT_VARIANCE), 1, false, vec![position(2, 7)]),
            // A variance at position 3: unrelated, an incident of its own.
            (Some(COUNT_VARIANCE), 2, false, vec![position(3, 7)]),
            // A negative stock at positions 2 and 3 relates to both incidents: it joins the transfer's (its root
            // comes first) and the two incidents stay two, where linking by shared touches made them one.
            (Some(NEGATIVE_STOCK), 3, false, vec![position(2, 7), position(3, 7)]),
        ]);
        assert_eq!(incidents, [1, 1, 2, 1]);
        assert_eq!(book.get(1).members, [1, 2, 4]);
        assert_eq!(book.get(2).members, [3]);
        assert_eq!(book.len(), 2);
    }

    #[test]
    fn among_several_it_joins_the_incident_whose_root_comes_first_then_the_earliest() {
        let (_, incidents) = file(&[
            (Some(COUNT_VARIANCE), 0, false, vec![position(1, 7)]),
            (Some(TRANSFER_OVERDUE), 1, false, vec![document("T-1")]),
            (Some(NEGATIVE_STOCK), 2, false, vec![position(1, 7), document("T-1")]),
        ]);
        assert_eq!(incidents, [1, 2, 2], "the transfer's root comes first in the order");
        let (_, incidents) = file(&[
            (Some(COUNT_VARIANCE), 0, false, vec![position(1, 7)]),
            (Some(COUNT_VARIANCE), 1, false, vec![position(2, 7)]),
            (Some(NEGATIVE_STOCK), 2, false, vec![position(2, 7), position(1, 7)]),
        ]);
        assert_eq!(incidents, [1, 2, 1], "equal roots: the earliest");
    }

    #[test]
    fn master_data_links_only_where_the_missing_field_feeds_the_later_detector() {
        let (book, incidents) = file(&[
            // A product without a supplier, and a supplier without a lead time.
            (Some(MASTER_DATA), 0, true, vec![Touch::SupplierOfSku(7)]),
            (
                Some(MASTER_DATA),
                0,
                true,
                vec![Touch::LeadTimeOf(SupplierCode::parse("SUP").unwrap())],
            ),
            // low_stock of the SKU at any store reads both.
            (Some(LOW_STOCK), 5, false, vec![position(1, 7), Touch::SupplierOfSku(7)]),
            (
                Some(LOW_STOCK),
                6,
                false,
                vec![position(2, 9), Touch::LeadTimeOf(SupplierCode::parse("SUP").unwrap())],
            ),
            // A negative stock of the SKU does not: nothing fed it.
            (Some(NEGATIVE_STOCK), 7, false, vec![position(3, 7)]),
            // A PO of the supplier reads its lead time.
            (
                Some(PO_LATE),
                8,
                false,
                vec![document("PO-1"), Touch::LeadTimeOf(SupplierCode::parse("SUP").unwrap())],
            ),
        ]);
        assert_eq!(incidents, [1, 2, 1, 2, 3, 2]);
        // Two low stocks of one SKU relate through the master data only, not to each other.
        let (_, incidents) = file(&[
            (Some(LOW_STOCK), 0, false, vec![position(1, 7), Touch::SupplierOfSku(7)]),
            (Some(LOW_STOCK), 1, false, vec![position(2, 7), Touch::SupplierOfSku(7)]),
        ]);
        assert_eq!(incidents, [1, 2]);
        assert_eq!(book.get(1).members, [1, 3]);
    }

    #[test]
    fn a_type_outside_the_causal_order_neither_joins_nor_is_joined() {
        let (_, incidents) = file(&[
            (None, 0, false, vec![position(1, 7)]),
            (Some(NEGATIVE_STOCK), 1, false, vec![position(1, 7)]),
            (None, 2, false, vec![position(1, 7)]),
        ]);
        assert_eq!(incidents, [1, 2, 3]);
    }

    /// Exception `id`'s place to be a root in [`reshaped`]'s book: ranks and times that repeat, so ties occur.
    fn test_root_key(id: u64) -> RootKey {
        RootKey {
            rank: (id * 7 % 5) as u8,
            opened_at: Timestamp((id % 3) as i64),
            exception: id,
        }
    }

    /// Twenty exceptions, each first in an incident of its own, then each reshaping that the checks let through:
    /// `(true, a, b)` merges incident b into a, `(false, a, n)` splits the first n members (as many as it has, or
    /// one fewer) off incident a.
    fn reshaped(reshapings: &[(bool, u64, u64)]) -> IncidentBook {
        let mut book = IncidentBook::default();
        for exception in 1..=20 {
            let key = test_root_key(exception);
            book.link(Filing {
                exception,
                opened_at: key.opened_at,
                rank: Some(key.rank),
                is_master_data: false,
                touches: &[],
            });
        }
        for (seq, &(is_merge, incident, other)) in reshapings.iter().enumerate() {
            let by = Reshaping {
                at: Timestamp(seq as i64),
                actor: "anna",
                seq: seq as u64,
            };
            if is_merge {
                if book.check_merge(incident, other).is_ok() {
                    book.merge(incident, other, by, test_root_key);
                }
                continue;
            }
            let Ok(members) = book.reshapeable(incident).map(|incident| incident.members.clone()) else {
                continue;
            };
            let leaving = &members[..(other as usize).min(members.len())];
            if book.check_split(incident, leaving).is_ok() {
                book.split(incident, leaving, by, test_root_key);
            }
        }
        book
    }

    proptest! {
        /// Whatever people merge and split, each exception is in exactly one incident, the one the book says;
        /// members stay ascending; a merged incident holds none and any other its member first by root key.
        #[test]
        fn reshaping_keeps_each_exception_in_one_incident_under_its_least_root(
            reshapings in proptest::collection::vec((any::<bool>(), 1u64..30, 0u64..22), 0..40),
        ) {
            let book = reshaped(&reshapings);
            let mut seen = Vec::new();
            for incident in book.all() {
                prop_assert!(incident.members.is_sorted());
                prop_assert_eq!(incident.merged_into.is_some(), incident.members.is_empty());
                for &member in &incident.members {
                    prop_assert_eq!(book.incident_of(member), incident.id);
                    seen.push(member);
                }
                if let Some(least) = incident.members.iter().map(|&member| test_root_key(member)).min() {
                    prop_assert_eq!((incident.root_cause, incident.opened_at), (least.exception, least.opened_at));
                }
            }
            seen.sort_unstable();
            prop_assert_eq!(seen, (1..=20).collect::<Vec<u64>>());
        }
    }
}
