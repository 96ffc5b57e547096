//! The stock ledger: on hand, reserved and in transit per location and SKU.
//!
//! Positions live in one hash map keyed by both dense ids packed into a `u64`; a position costs its 48 bytes of
//! quantities plus the map's slot. Iteration order is not deterministic, so anything that leaves the engine
//! (snapshots, listings) goes through [`Ledger::sorted`].

use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::Qty;

pub type LocationId = u32;
pub type SkuId = u32;

/// One ledger position. Reservations never change `on_hand` (events.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub on_hand: Qty,
    pub reserved: Qty,
    /// Shipped towards this location by a transfer that has not been received yet.
    pub in_transit: Qty,
}

const _: () = assert!(size_of::<Position>() == 48);

impl Position {
    /// What can still be promised: on hand less what is reserved.
    pub fn available(&self) -> Qty {
        self.on_hand - self.reserved
    }
}

#[derive(Debug, Default, Clone)]
pub struct Ledger {
    positions: FxHashMap<u64, Position>,
}

/// The map key of a position: both ids in one `u64`.
pub fn pack(location: LocationId, sku: SkuId) -> u64 {
    let key = (u64::from(location) << 32) | u64::from(sku);
    debug_assert_eq!(unpack(key), (location, sku), "packs and unpacks");
    key
}

pub fn unpack(key: u64) -> (LocationId, SkuId) {
    ((key >> 32) as u32, key as u32)
}

impl Ledger {
    pub fn get(&self, location: LocationId, sku: SkuId) -> Option<&Position> {
        self.positions.get(&pack(location, sku))
    }

    pub fn position_mut(&mut self, location: LocationId, sku: SkuId) -> &mut Position {
        self.positions.entry(pack(location, sku)).or_default()
    }

    pub fn len(&self) -> usize {
        self.positions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// Bytes held by the map's table: every slot (used or not) plus its control byte.
    pub fn table_bytes(&self) -> usize {
        self.positions.capacity() * (size_of::<(u64, Position)>() + 1)
    }

    /// Every position, ordered by location id then SKU id.
    pub fn sorted(&self) -> Vec<(LocationId, SkuId, Position)> {
        let mut rows: Vec<(u64, Position)> = self.positions.iter().map(|(&key, &position)| (key, position)).collect();
        rows.sort_unstable_by_key(|&(key, _)| key);
        rows.into_iter()
            .map(|(key, position)| {
                let (location, sku) = unpack(key);
                (location, sku, position)
            })
            .collect()
    }
}

impl Serialize for Ledger {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.sorted().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Ledger {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let rows: Vec<(LocationId, SkuId, Position)> = Vec::deserialize(deserializer)?;
        let mut positions = FxHashMap::default();
        positions.reserve(rows.len());
        for (location, sku, position) in rows {
            positions.insert(pack(location, sku), position);
        }
        Ok(Self { positions })
    }
}
