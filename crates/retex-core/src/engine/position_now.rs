//! A position as the books stand, with the open documents that will move it: what a person checks before
//! counting, adjusting or chasing stock ("check open transfers, deliveries not yet booked and sales since the
//! count"), on the page of an exception about that shelf. Times are in the location's zone, as on the rest of
//! the page.

use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::Serialize;

use crate::codes::{Qty, SupplierCode, Timestamp};
use crate::display;
use crate::engine::composition::Engine;
use crate::engine::documents::OrderStatus;
use crate::engine::ledger::{LocationId, SkuId, pack};

/// Open documents listed per position, at most; the rest are counted.
const OPEN_DOCUMENTS_SHOWN_MAX: usize = 20;

/// The books of one position now.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PositionNow {
    pub on_hand: Qty,
    /// Held for web orders allocated here and not yet shipped.
    pub reserved: Qty,
    /// On hand less reserved: what can still be sold or promised.
    pub available: Qty,
    /// Shipped here by transfers not yet received.
    pub in_transit: Qty,
    /// The newest till or web sale here, in the location's zone; none when the position never sold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sale: Option<String>,
    /// The books and the last sale in words: "on hand 128, reserved 2, available 126, in transit here 12; last
    /// sale 2026-11-04 10:37 Europe/Berlin".
    pub words: String,
    /// Transfers, purchase orders and web orders still open on this SKU here, soonest expected first.
    pub open_documents: Vec<OpenDocument>,
    /// Open documents beyond the [`OPEN_DOCUMENTS_SHOWN_MAX`] listed.
    pub more_open_documents: usize,
}

/// A document that will still move a position's stock.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct OpenDocument {
    /// `transfer in`, `transfer out`, `purchase order` or `web order`.
    pub kind: &'static str,
    pub number: String,
    /// What it will still move of the SKU: shipped and not received, ordered and not delivered, reserved.
    pub qty: Qty,
    /// In words: "transfer T1 from W1 (Warehouse): 12 shipped 2026-11-30 08:00 Europe/London, expected
    /// 2026-12-01 06:00 Europe/London".
    pub words: String,
    /// Its expected time (delivery, arrival, ship-by), for ordering.
    #[serde(skip)]
    expected: Option<Timestamp>,
}

/// A position named by codes, as a person or a source asks for it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct NamedPosition<'a> {
    pub location: &'a str,
    pub sku: &'a str,
    /// The SKU with its product's name: `K1 (Kettle)`.
    pub product: String,
    #[serde(flatten)]
    pub stock: PositionNow,
}

impl Engine {
    /// The books at a location by its code, of a product by its SKU or barcode; `None` when either is unknown.
    pub fn position_by_code(&self, location: &str, product: &str) -> Option<NamedPosition<'_>> {
        let (sku_code, _) = self.product_by_code(product)?;
        let sku = self.sku_id(sku_code)?;
        let location = self.location_id(location)?;
        Some(NamedPosition {
            location: self.location_code(location),
            sku: sku_code,
            product: self.product_label(sku),
            stock: self.position_now(location, sku),
        })
    }

    /// The books of `sku` at `location` now, with the documents still open on it there.
    pub fn position_now(&self, location: LocationId, sku: SkuId) -> PositionNow {
        let zone = self.location_zone(Some(location));
        let position = self.state.picture.position(location, sku);
        let mut open = self.open_documents(location, sku, zone);
        open.sort_by(|a, b| {
            (a.expected.is_none(), a.expected, a.kind, &a.number).cmp(&(
                b.expected.is_none(),
                b.expected,
                b.kind,
                &b.number,
            ))
        });
        let more_open_documents = open.len().saturating_sub(OPEN_DOCUMENTS_SHOWN_MAX);
        open.truncate(OPEN_DOCUMENTS_SHOWN_MAX);
        let last_sale = (self.state.stats.positions.get(&pack(location, sku)))
            .and_then(|stats| stats.last_sale())
            .map(|at| display::local_time(at, zone));
        let words = format!(
            "on hand {}, reserved {}, available {}, in transit here {}; {}",
            display::quantity(position.on_hand),
            display::quantity(position.reserved),
            display::quantity(position.available()),
            display::quantity(position.in_transit),
            match &last_sale {
                Some(at) => format!("last sale {at}"),
                None => "no sale recorded here".to_owned(),
            }
        );
        PositionNow {
            on_hand: position.on_hand,
            reserved: position.reserved,
            available: position.available(),
            in_transit: position.in_transit,
            last_sale,
            words,
            open_documents: open,
            more_open_documents,
        }
    }

    fn open_documents(&self, location: LocationId, sku: SkuId, zone: Tz) -> Vec<OpenDocument> {
        let time = |at: Timestamp| display::local_time(at, zone);
        let expected_words = |expected: Option<Timestamp>| match expected {
            Some(at) => format!("expected {}", time(at)),
            None => "no date given".to_owned(),
        };
        let picture = &self.state.picture;
        let mut open = Vec::new();
        for (number, transfer) in &picture.transfers {
            if transfer.received_at.is_some() {
                continue;
            }
            let shipped: Qty = (transfer.shipped.iter())
                .filter(|(line_sku, _)| *line_sku == sku)
                .fold(Qty::ZERO, |total, (_, qty)| total + *qty);
            if !shipped.is_positive() {
                continue;
            }
            let shipped_at = transfer
                .shipped_at
                .map(|at| format!(" {}", time(at)))
                .unwrap_or_default();
            if transfer.to == location {
                let from = transfer.from.map(|from| format!(" from {}", self.location_label(from)));
                open.push(OpenDocument {
                    kind: "transfer in",
                    number: number.to_string(),
                    qty: shipped,
                    words: format!(
                        "transfer {number}{}: {} shipped{shipped_at}, {}",
                        from.unwrap_or_default(),
                        display::quantity(shipped),
                        expected_words(transfer.expected)
                    ),
                    expected: transfer.expected,
                });
            } else if transfer.from == Some(location) {
                open.push(OpenDocument {
                    kind: "transfer out",
                    number: number.to_string(),
                    qty: shipped,
                    words: format!(
                        "transfer {number} to {}: {} shipped from here{shipped_at}, not received there yet",
                        self.location_label(transfer.to),
                        display::quantity(shipped)
                    ),
                    expected: transfer.expected,
                });
            }
        }
        for (number, order) in &picture.purchase_orders {
            if order.closed || order.location != location {
                continue;
            }
            let Some(line) = order.lines.iter().find(|line| line.sku == sku) else {
                continue;
            };
            let to_come = (line.ordered - line.received).max(Qty::ZERO);
            if !to_come.is_positive() {
                continue;
            }
            let supplier = (order.supplier.as_ref()).map(|supplier| format!(" from {}", self.supplier_label(supplier)));
            open.push(OpenDocument {
                kind: "purchase order",
                number: number.to_string(),
                qty: to_come,
                words: format!(
                    "purchase order {number}{}: {} of {} still to come, {}",
                    supplier.unwrap_or_default(),
                    display::quantity(to_come),
                    display::quantity(line.ordered),
                    expected_words(order.expected)
                ),
                expected: order.expected,
            });
        }
        for (number, order) in &picture.orders {
            if order.status != OrderStatus::Open || order.allocated_to != Some(location) {
                continue;
            }
            let reserved: Qty = (order.lines.iter())
                .filter(|line| line.sku == sku)
                .fold(Qty::ZERO, |total, line| total + line.reserved);
            if !reserved.is_positive() {
                continue;
            }
            let ship_by = order.ship_by.map(|at| format!(", ship by {}", time(at)));
            open.push(OpenDocument {
                kind: "web order",
                number: number.to_string(),
                qty: reserved,
                words: format!(
                    "web order {number}: {} reserved here{}",
                    display::quantity(reserved),
                    ship_by.unwrap_or_default()
                ),
                expected: order.ship_by,
            });
        }
        open
    }

    /// A supplier's code with its name: `SUP1 (Acme Ltd)`, the code alone when master data has no name for it.
    fn supplier_label(&self, supplier: &SupplierCode) -> String {
        match self.state.picture.master.suppliers.get(supplier) {
            Some(info) if !info.name.is_empty() && info.name != supplier.as_str() => {
                format!("{supplier} ({})", info.name)
            }
            _ => supplier.to_string(),
        }
    }
}
