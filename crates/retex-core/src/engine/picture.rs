//! What happened: master data, the stock ledger and the documents (transfers, purchase orders, web orders,
//! returns), with the interners that give locations and SKUs their dense ids. The engine moves it as events
//! arrive; the detectors read it.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, LocationCode, Qty, Sku};
use crate::engine::documents::{OrderDoc, PurchaseOrderDoc, ReturnDoc, TransferDoc};
use crate::engine::interner::Interner;
use crate::engine::ledger::{Ledger, LocationId, Position, SkuId};
use crate::engine::master::MasterData;
use crate::engine::sorted_map;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Picture {
    pub locations: Interner,
    pub skus: Interner,
    pub master: MasterData,
    pub ledger: Ledger,
    #[serde(with = "sorted_map")]
    pub transfers: FxHashMap<DocumentNumber, TransferDoc>,
    #[serde(with = "sorted_map")]
    pub purchase_orders: FxHashMap<DocumentNumber, PurchaseOrderDoc>,
    #[serde(with = "sorted_map")]
    pub orders: FxHashMap<DocumentNumber, OrderDoc>,
    #[serde(with = "sorted_map")]
    pub returns: FxHashMap<DocumentNumber, ReturnDoc>,
}

impl Picture {
    /// The dense ids of a position, interned on first sight.
    pub fn position_ids(&mut self, location: &LocationCode, sku: &Sku) -> (LocationId, SkuId) {
        (self.locations.intern(location.as_str()), self.skus.intern(sku.as_str()))
    }

    /// A position as the ledger holds it; zero where it never moved.
    pub fn position(&self, location: LocationId, sku: SkuId) -> Position {
        self.ledger.get(location, sku).copied().unwrap_or_default()
    }

    /// Reserves every open line of the order at `location`.
    pub fn reserve_order(&mut self, order: &DocumentNumber, location: LocationId) {
        let Some(doc) = self.orders.get_mut(order) else {
            return;
        };
        doc.allocated_to = Some(location);
        for line in &mut doc.lines {
            let open = line.open_qty();
            line.reserved = open;
            self.ledger.position_mut(location, line.sku).reserved += open;
        }
    }

    /// Releases what the order reserved at the location it was allocated to.
    pub fn release_reservations(&mut self, order: &DocumentNumber) {
        let Some(doc) = self.orders.get_mut(order) else {
            return;
        };
        let Some(location) = doc.allocated_to else {
            return;
        };
        for line in &mut doc.lines {
            self.ledger.position_mut(location, line.sku).reserved -= line.reserved;
            line.reserved = Qty::ZERO;
        }
    }
}
