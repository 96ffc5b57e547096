//! Master data and the opening position: locations, suppliers, products and web prices, written first; then
//! each location's opening stock as a correction adjustment; and the master-data defects with their later fixes.
//!
//! Opening stock is an `adjustment` (reason `correction`) rather than a `count`, because a count from an empty
//! ledger would itself be a variance. Stores open between their reorder point and their order-up-to level, so
//! their first transfers are spread over the first days instead of all landing on day one.

use rand::Rng;
use retex_core::codes::Timestamp;
use retex_core::event::{
    Adjustment, AdjustmentReason, Channel, EventBody, LocationUpsert, PriceUpsert, ProductUpsert, SupplierUpsert,
};

use crate::clock::{DAY, HOUR};
use crate::emit::{Source, money, units};
use crate::pricing::{DAYS_PER_WEEK, PROMOTION_NOTICE_DAYS, shelf_price_cents};
use crate::random::chance;
use crate::truth::{Detection, ExceptionType, FaultKey, FaultKind};
use crate::world::{Action, World, next_number};

/// Share of SKUs with their own, slightly lower web price.
const WEB_PRICE_SHARE: f64 = 0.1;
const WEB_PRICE_FACTOR: f64 = 0.95;
/// Share of master-data defects a data steward fixes during the run, this many days in, at this UTC hour.
const MASTER_DATA_FIX_SHARE: f64 = 0.5;
const MASTER_DATA_FIX_DAYS: std::ops::RangeInclusive<u32> = 1..=5;
const MASTER_DATA_FIX_HOUR: i64 = 9;

/// A required field a product record lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProductDefect {
    MissingCost,
    MissingUom,
    MissingSupplier,
    /// The category is only its first level (`"Grocery"`).
    FlatCategory,
}

const PRODUCT_DEFECTS: [ProductDefect; 4] = [
    ProductDefect::MissingCost,
    ProductDefect::MissingUom,
    ProductDefect::MissingSupplier,
    ProductDefect::FlatCategory,
];

/// A master record to write again, complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MasterRecord {
    Product(usize),
    Supplier(usize),
}

impl World<'_> {
    /// Writes all master data the day before the run, then the opening stock and the first week's promotions.
    pub(crate) fn emit_master_data(&mut self) {
        self.now = Timestamp(self.start.0 - DAY);
        self.emit_locations();
        for supplier in 0..self.catalog.suppliers.len() {
            let lacks_lead_time = chance(&mut self.faults_rng, self.rates.supplier_master_defect);
            if lacks_lead_time {
                let code = self.catalog.suppliers[supplier].code.to_string();
                let fault = self.truth.open(
                    FaultKind::MasterDataDefect,
                    format!("supplier {code} has no lead_time_days"),
                );
                self.truth.expect(
                    fault,
                    ExceptionType::MasterData,
                    FaultKey::document(&code),
                    self.now,
                    Detection::AtEvent,
                );
                self.schedule_master_data_fix(MasterRecord::Supplier(supplier));
            }
            self.emit_supplier(supplier, lacks_lead_time, "v1");
        }
        for sku in 0..self.catalog.products.len() {
            if chance(&mut self.faults_rng, self.rates.product_master_defect) {
                let defect = PRODUCT_DEFECTS[self.faults_rng.random_range(0..PRODUCT_DEFECTS.len())];
                self.catalog.products[sku].master_defect = Some(defect);
                let code = self.catalog.products[sku].sku.to_string();
                let fault = self
                    .truth
                    .open(FaultKind::MasterDataDefect, format!("product {code}: {defect:?}"));
                self.truth.expect(
                    fault,
                    ExceptionType::MasterData,
                    FaultKey::sku(&code),
                    self.now,
                    Detection::AtEvent,
                );
                self.schedule_master_data_fix(MasterRecord::Product(sku));
            }
            self.emit_product(sku, "v1");
        }
        self.emit_web_prices();
        self.now = Timestamp(self.now.0 + HOUR);
        self.emit_opening_stock();
        self.now = Timestamp(self.now.0 + HOUR);
        // Weeks that start within the notice period were announced before the run; say so now.
        let mut week_day = 0;
        while week_day < PROMOTION_NOTICE_DAYS.min(self.scenario.days) {
            self.announce_promotions(week_day);
            week_day += DAYS_PER_WEEK;
        }
    }

    fn emit_locations(&mut self) {
        for location in &self.network.locations {
            let body = EventBody::Location(LocationUpsert {
                code: location.code.clone(),
                name: location.name.clone(),
                kind: location.kind,
                region: location.region.map(str::to_owned),
                timezone: location.timezone.map(str::to_owned),
                hours: location.hours,
            });
            self.emitter
                .emit(self.now, 0, Source::Erp, format!("LOC-{}", location.code), body);
        }
    }

    fn emit_supplier(&mut self, supplier: usize, lacks_lead_time: bool, version: &str) {
        let record = &self.catalog.suppliers[supplier];
        let body = EventBody::Supplier(SupplierUpsert {
            code: record.code.clone(),
            name: record.name.clone(),
            lead_time_days: (!lacks_lead_time).then(|| units(record.lead_time_days as i32)),
        });
        self.emitter
            .emit(self.now, 0, Source::Erp, format!("SUP-{}:{version}", record.code), body);
    }

    fn emit_product(&mut self, sku: usize, version: &str) {
        let product = &self.catalog.products[sku];
        let defect = product.master_defect;
        let category = match defect {
            Some(ProductDefect::FlatCategory) => product.category.split('/').next().expect("a first level").to_owned(),
            _ => product.category.to_owned(),
        };
        let body = EventBody::Product(ProductUpsert {
            sku: product.sku.clone(),
            name: product.name.clone(),
            category,
            uom: (defect != Some(ProductDefect::MissingUom)).then(|| product.uom.to_owned()),
            cost: (defect != Some(ProductDefect::MissingCost)).then(|| money(product.cost_cents)),
            price: Some(money(self.prices.regular_cents[sku])),
            supplier: (defect != Some(ProductDefect::MissingSupplier))
                .then(|| self.catalog.suppliers[product.supplier].code.clone()),
            return_days: Some(product.return_days),
            barcode: Some(in_store_gtin(product.sku.as_str())),
        });
        self.emitter
            .emit(self.now, 0, Source::Erp, format!("PRD-{}:{version}", product.sku), body);
    }

    fn emit_web_prices(&mut self) {
        for sku in 0..self.catalog.products.len() {
            if !chance(&mut self.operations_rng, WEB_PRICE_SHARE) {
                continue;
            }
            let regular = self.prices.regular_cents[sku];
            let web_price = shelf_price_cents(regular as f64 * WEB_PRICE_FACTOR);
            if web_price >= regular || web_price <= self.catalog.products[sku].cost_cents {
                continue;
            }
            self.prices.web_cents[sku] = Some(web_price);
            let body = EventBody::Price(PriceUpsert {
                sku: self.catalog.products[sku].sku.clone(),
                price: money(web_price),
                location: None,
                channel: Some(Channel::Web),
            });
            let id = format!("PRC-{:06}", next_number(&mut self.numbers.prices));
            self.emitter.emit(self.now, 0, Source::Erp, id, body);
        }
    }

    fn emit_opening_stock(&mut self) {
        for location in 0..=self.network.warehouse {
            for sku in 0..self.catalog.products.len() {
                let qty = if location == self.network.warehouse {
                    self.warehouse_order_up_to(sku)
                } else {
                    let velocity = self.demand.expected_units[self.ledger.cell_index(location, sku)];
                    let (reorder_point, order_up_to) = self.store_stock_targets(sku, velocity);
                    self.operations_rng.random_range(reorder_point..=order_up_to)
                };
                let cell = self.ledger.cell(location, sku);
                cell.physical = qty;
                cell.book = qty;
                let place = &self.network.locations[location];
                let body = EventBody::Adjustment(Adjustment {
                    location: place.code.clone(),
                    sku: self.catalog.products[sku].sku.clone(),
                    qty: units(qty),
                    reason: AdjustmentReason::Correction,
                });
                let source = if location == self.network.warehouse {
                    Source::Wms
                } else {
                    Source::Store
                };
                let offset = place.zone.offset_minutes_at(self.now);
                let id = format!("ADJ-{:07}", next_number(&mut self.numbers.adjustments));
                self.emitter.emit(self.now, offset, source, id, body);
            }
        }
    }

    fn schedule_master_data_fix(&mut self, record: MasterRecord) {
        if !chance(&mut self.operations_rng, MASTER_DATA_FIX_SHARE) {
            return;
        }
        let day = self.operations_rng.random_range(MASTER_DATA_FIX_DAYS);
        let at = Timestamp(self.day_start(day).0 + MASTER_DATA_FIX_HOUR * HOUR);
        self.schedule(at, Action::FixMasterData { record });
    }

    /// The data steward completes the record.
    pub(crate) fn fix_master_data(&mut self, record: MasterRecord) {
        match record {
            MasterRecord::Product(sku) => {
                self.catalog.products[sku].master_defect = None;
                self.emit_product(sku, "v2");
            }
            MasterRecord::Supplier(supplier) => self.emit_supplier(supplier, false, "v2"),
        }
    }
}

/// An EAN-13 in GS1's range for a retailer's own numbering (prefix 20): the SKU's digits, padded, and the check
/// digit.
fn in_store_gtin(sku: &str) -> String {
    let digits: String = sku.chars().filter(char::is_ascii_digit).collect();
    let body = format!("20{:0>10}", &digits[digits.len().saturating_sub(10)..]);
    let check = retex_core::codes::gtin_check_digit(body.as_bytes());
    format!("{body}{}", char::from(check))
}
