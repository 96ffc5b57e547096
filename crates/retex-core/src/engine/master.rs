//! Master data: locations, suppliers, products, prices and promotions, each an upsert where the newest `at` wins.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Money, Qty, SupplierCode, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::sorted_map;
use crate::event::{
    Channel, LocationKind, LocationUpsert, OpeningHours, ProductUpsert, RETURN_DAYS_DEFAULT, SupplierUpsert,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocationInfo {
    pub name: String,
    pub kind: LocationKind,
    pub region: Option<String>,
    pub timezone: Option<String>,
    pub hours: Option<OpeningHours>,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupplierInfo {
    pub name: String,
    pub lead_time_days: Option<Qty>,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductInfo {
    pub name: String,
    pub category: String,
    pub uom: Option<String>,
    pub cost: Option<Money>,
    pub price: Option<Money>,
    pub supplier: Option<SupplierCode>,
    pub return_days: u32,
    pub barcode: Option<String>,
    pub updated_at: Timestamp,
}

/// Where a `price` applies: absent location or channel means every one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PriceScope {
    pub sku: SkuId,
    pub location: Option<LocationId>,
    pub channel: Option<Channel>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceEntry {
    pub price: Money,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromotionInfo {
    pub sku: SkuId,
    pub price: Money,
    /// Included.
    pub from: Timestamp,
    /// Excluded.
    pub to: Timestamp,
    pub location: Option<LocationId>,
    pub channel: Option<Channel>,
    pub updated_at: Timestamp,
}

/// All master data. Vectors are indexed by the interned ids; `None` until the record's first upsert.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MasterData {
    pub locations: Vec<Option<LocationInfo>>,
    pub products: Vec<Option<ProductInfo>>,
    #[serde(with = "sorted_map")]
    pub suppliers: FxHashMap<SupplierCode, SupplierInfo>,
    #[serde(with = "sorted_map")]
    pub prices: FxHashMap<PriceScope, PriceEntry>,
    #[serde(with = "sorted_map")]
    pub promotions: FxHashMap<DocumentNumber, PromotionInfo>,
}

impl LocationInfo {
    pub fn from_upsert(upsert: &LocationUpsert, at: Timestamp) -> Self {
        Self {
            name: upsert.name.clone(),
            kind: upsert.kind,
            region: upsert.region.clone(),
            timezone: upsert.timezone.clone(),
            hours: upsert.hours,
            updated_at: at,
        }
    }
}

impl SupplierInfo {
    pub fn from_upsert(upsert: &SupplierUpsert, at: Timestamp) -> Self {
        Self {
            name: upsert.name.clone(),
            lead_time_days: upsert.lead_time_days,
            updated_at: at,
        }
    }
}

impl ProductInfo {
    pub fn from_upsert(upsert: &ProductUpsert, at: Timestamp) -> Self {
        Self {
            name: upsert.name.clone(),
            category: upsert.category.clone(),
            uom: upsert.uom.clone(),
            cost: upsert.cost,
            price: upsert.price,
            supplier: upsert.supplier.clone(),
            return_days: upsert.return_days.unwrap_or(RETURN_DAYS_DEFAULT),
            barcode: upsert.barcode.clone(),
            updated_at: at,
        }
    }
}

/// Stores `value` at `slot` unless the slot holds a newer record; returns whether it was stored.
pub fn upsert_newest<T>(slot: &mut Option<T>, value: T, updated_at: impl Fn(&T) -> Timestamp) -> bool {
    let newer_kept = slot
        .as_ref()
        .is_some_and(|current| updated_at(current) > updated_at(&value));
    if newer_kept {
        return false;
    }
    *slot = Some(value);
    true
}

/// Grows an id-indexed vector so that `id` is a valid index.
pub fn slot_for<T>(records: &mut Vec<Option<T>>, id: u32) -> &mut Option<T> {
    let index = id as usize;
    if records.len() <= index {
        records.resize_with(index + 1, || None);
    }
    &mut records[index]
}

impl MasterData {
    pub fn product(&self, sku: SkuId) -> Option<&ProductInfo> {
        self.products.get(sku as usize).and_then(Option::as_ref)
    }

    pub fn location(&self, location: LocationId) -> Option<&LocationInfo> {
        self.locations.get(location as usize).and_then(Option::as_ref)
    }

    /// The product's unit cost, zero when unknown (a master-data defect reported elsewhere).
    pub fn unit_cost(&self, sku: SkuId) -> Money {
        self.product(sku)
            .and_then(|product| product.cost)
            .unwrap_or(Money::ZERO)
    }
}
