//! Incidents: exceptions that share a location and SKU, or a document, within 7 days, linked into one, with
//! the probable root cause (exceptions.md, "Correlation").
//!
//! Each exception names its touch points (positions and documents it concerns). A new exception joins every
//! incident that holds an exception touching one of its points within the window; several such incidents
//! merge into the oldest. The root cause is the member whose type is furthest upstream in the spec's order,
//! the earliest opened on a tie. A master-data defect concerns a SKU or a supplier everywhere, so SKU and
//! supplier touch points link only to `master_data` exceptions, never two operational ones to each other.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, SupplierCode, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::sorted_map;

/// Exceptions are linked when opened at most this far apart.
pub const CORRELATION_WINDOW_MS: i64 = 7 * Timestamp::MILLIS_PER_DAY;

/// Something an exception concerns.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Touch {
    Position(LocationId, SkuId),
    Document(DocumentNumber),
    /// A SKU anywhere: links master data to operations only.
    Sku(SkuId),
    /// A supplier: links master data to operations only.
    Supplier(SupplierCode),
}

impl Touch {
    fn links_master_data_only(&self) -> bool {
        matches!(self, Touch::Sku(_) | Touch::Supplier(_))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: u64,
    /// Exception ids, in order of joining.
    pub members: Vec<u64>,
    /// The member most likely to be the root cause.
    pub root_cause: u64,
    pub opened_at: Timestamp,
    /// Set when merged into another incident, which then holds the members.
    pub merged_into: Option<u64>,
}

/// One exception seen at a touch point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Sighting {
    at: Timestamp,
    exception: u64,
    is_master_data: bool,
}

/// How likely an exception is the root cause: lower is likelier (upstream rank, then time, then id).
pub type CauseRank = (u8, Timestamp, u64);

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IncidentBook {
    incidents: Vec<Incident>,
    /// Incident id per exception id (index = exception id - 1).
    of_exception: Vec<u64>,
    #[serde(with = "sorted_map")]
    sightings: FxHashMap<Touch, Vec<Sighting>>,
}

impl IncidentBook {
    /// Files a new exception (ids arrive in order) and returns its incident id.
    pub fn link(
        &mut self,
        exception: u64,
        at: Timestamp,
        is_master_data: bool,
        touches: &[Touch],
        rank_of: impl Fn(u64) -> CauseRank,
    ) -> u64 {
        assert_eq!(
            exception,
            self.of_exception.len() as u64 + 1,
            "exceptions are filed in id order"
        );
        let mut linked: Vec<u64> = Vec::new();
        // Most exceptions touch a position and its SKU, in that order: only touches out of order (or repeated)
        // are sorted and told apart, in a copy.
        let touches: Cow<[Touch]> = match touches.is_sorted_by(|a, b| a < b) {
            true => Cow::Borrowed(touches),
            false => {
                let mut sorted = touches.to_vec();
                sorted.sort_unstable();
                sorted.dedup();
                Cow::Owned(sorted)
            }
        };
        for touch in touches.iter() {
            let sightings = self.sightings.entry(touch.clone()).or_default();
            sightings.retain(|sighting| at.0 - sighting.at.0 <= CORRELATION_WINDOW_MS);
            for sighting in sightings.iter() {
                let related = !touch.links_master_data_only() || is_master_data != sighting.is_master_data;
                if related && (sighting.at.0 - at.0).abs() <= CORRELATION_WINDOW_MS {
                    linked.push(self.of_exception[(sighting.exception - 1) as usize]);
                }
            }
            sightings.push(Sighting {
                at,
                exception,
                is_master_data,
            });
        }
        linked.sort_unstable();
        linked.dedup();
        let incident = match linked.first() {
            Some(&oldest) => {
                for &other in &linked[1..] {
                    self.merge(other, oldest, &rank_of);
                }
                oldest
            }
            None => {
                let id = self.incidents.len() as u64 + 1;
                self.incidents.push(Incident {
                    id,
                    members: Vec::new(),
                    root_cause: exception,
                    opened_at: at,
                    merged_into: None,
                });
                id
            }
        };
        self.of_exception.push(incident);
        let record = &mut self.incidents[(incident - 1) as usize];
        record.members.push(exception);
        record.opened_at = record.opened_at.min(at);
        if rank_of(exception) < rank_of(record.root_cause) {
            record.root_cause = exception;
        }
        incident
    }

    /// Moves every member of `from` into `into` (both live incidents); the root cause of the union is the
    /// likelier of the two roots.
    fn merge(&mut self, from: u64, into: u64, rank_of: &impl Fn(u64) -> CauseRank) {
        let members = std::mem::take(&mut self.incidents[(from - 1) as usize].members);
        let (from_root, from_opened) = {
            let source = &mut self.incidents[(from - 1) as usize];
            source.merged_into = Some(into);
            (source.root_cause, source.opened_at)
        };
        for &member in &members {
            self.of_exception[(member - 1) as usize] = into;
        }
        let target = &mut self.incidents[(into - 1) as usize];
        target.members.extend(members);
        target.members.sort_unstable();
        target.opened_at = target.opened_at.min(from_opened);
        if rank_of(from_root) < rank_of(target.root_cause) {
            target.root_cause = from_root;
        }
    }

    pub fn incident_of(&self, exception: u64) -> u64 {
        self.of_exception[(exception - 1) as usize]
    }

    /// How many incidents were ever opened (merged ones included); ids run from 1 to this.
    pub fn len(&self) -> u64 {
        self.incidents.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.incidents.is_empty()
    }

    pub fn get(&self, id: u64) -> &Incident {
        &self.incidents[(id - 1) as usize]
    }

    /// Live incidents (not merged away), oldest first.
    pub fn live(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter().filter(|incident| incident.merged_into.is_none())
    }
}
