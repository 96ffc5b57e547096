//! What a detector saw when it raised an exception: the numbers behind it, kept with the exception so that its
//! page can say what happened ("counted 3, ledger 12, variance -9 × 4.10 = 36.90 EUR") after the ledger and the
//! documents have moved on. Plain data; the engine's `brief` writes it in words, with names, the currency and the
//! location's time.

use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, EventId, Money, Qty, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::event::MessageChannel;
use crate::rules::ExceptionType;

/// Upper bound on the lines a document's facts keep; the rest are only counted (`more`).
pub const FACT_LINES_MAX: usize = 10;

/// Why on hand moved; only some moves can make stock negative in the sense of `negative_stock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Movement {
    Sale,
    Adjustment,
    TransferShipment,
    OrderShipment,
    Receipt,
}

impl Movement {
    /// The move in words, with its article: "a sale".
    pub fn words(self) -> &'static str {
        match self {
            Self::Sale => "a sale",
            Self::Adjustment => "an adjustment",
            Self::TransferShipment => "a transfer shipment",
            Self::OrderShipment => "an order shipment",
            Self::Receipt => "a receipt",
        }
    }
}

/// Which price a till should have charged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriceSource {
    /// A running promotion.
    Promotion(DocumentNumber),
    /// A `price` event's price for the location or channel.
    PriceList,
    /// The product's own price.
    ProductPrice,
}

/// One SKU of a transfer whose received quantity differs from the shipped one, or arrived damaged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferLineFacts {
    pub sku: SkuId,
    pub shipped: Qty,
    pub received: Qty,
    pub damaged: Qty,
    /// Whether a shipment line named the SKU at all.
    pub was_shipped: bool,
}

/// One line of a purchase order: what was ordered and what has arrived (damaged units included).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedLine {
    pub sku: SkuId,
    pub ordered: Qty,
    pub received: Qty,
}

/// One receipt line with damaged units, at the unit cost then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DamagedLine {
    pub sku: SkuId,
    pub received: Qty,
    pub damaged: Qty,
    pub unit_cost: Money,
}

/// One order line the allocated location cannot pick in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortLine {
    pub sku: SkuId,
    pub wanted: Qty,
    pub available: Qty,
}

/// What breaks the return policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnBreach {
    /// The return names an order Retex never saw.
    UnknownOrder,
    /// Requested `days_after` whole days after the order, past the product's window.
    Late {
        sku: SkuId,
        days_after: i64,
        window_days: u32,
    },
    /// The refund asked exceeds what was paid for the returned units.
    OverRefund {
        sku: SkuId,
        qty: Qty,
        refund: Money,
        paid: Money,
    },
}

/// A field missing from a master-data record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingField {
    Cost,
    Uom,
    Category,
    Supplier,
    LeadTimeDays,
}

impl MissingField {
    pub fn name(self) -> &'static str {
        match self {
            Self::Cost => "cost",
            Self::Uom => "uom",
            Self::Category => "a category of two levels",
            Self::Supplier => "supplier",
            Self::LeadTimeDays => "lead_time_days",
        }
    }
}

/// A list of lines capped at [`FACT_LINES_MAX`], with the number left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lines<T> {
    pub kept: Vec<T>,
    pub more: u32,
}

impl<T> Lines<T> {
    pub fn of(lines: impl IntoIterator<Item = T>) -> Self {
        let mut kept = Vec::new();
        let mut more = 0u32;
        for line in lines {
            if kept.len() < FACT_LINES_MAX {
                kept.push(line);
            } else {
                more = more.saturating_add(1);
            }
        }
        Self { kept, more }
    }

    /// Adds the lines of a later sighting of the same document.
    fn extend(&mut self, later: Self) {
        for line in later.kept {
            if self.kept.len() < FACT_LINES_MAX {
                self.kept.push(line);
            } else {
                self.more = self.more.saturating_add(1);
            }
        }
        self.more = self.more.saturating_add(later.more);
    }
}

/// Where `low_stock` expects a position's next supply from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SupplySource {
    /// An open purchase order line.
    PurchaseOrder,
    /// A transfer shipped to the location.
    Transfer,
    /// The next replenishment run of the location, which has refilled the position before.
    ReplenishmentRun,
    /// Nothing on its way and no rhythm to count on: the lead time + 1 day.
    LeadTime,
}

impl SupplySource {
    pub fn words(self) -> &'static str {
        match self {
            Self::PurchaseOrder => "an open purchase order",
            Self::Transfer => "a transfer on its way",
            Self::ReplenishmentRun => "the next replenishment run",
            Self::LeadTime => "nothing on its way: the lead time + 1 day",
        }
    }
}

/// What one built-in detector saw, by type (statistical types that explain themselves in words have none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Facts {
    /// `count_variance`: the count against the books just before it, at the unit cost then.
    Count {
        count: EventId,
        counted: Qty,
        ledger: Qty,
        unit_cost: Money,
    },
    /// `negative_stock`: the move that took on hand below zero.
    NegativeStock {
        movement: Movement,
        moved: Qty,
        before: Qty,
        after: Qty,
    },
    /// `low_stock`: what is free against the demand projected until the next supply, when that is due and
    /// where it comes from, and when the shelf is expected to be empty.
    LowStock {
        free: Qty,
        daily_demand: f64,
        /// Open days until the next supply.
        horizon_days: f64,
        /// The demand over the horizon that is exceeded with the rules' stockout probability.
        demand_quantile: f64,
        expected_shortfall: f64,
        supply: SupplySource,
        supply_at: Timestamp,
        /// When the shelf is empty at the mean rate (now when it already is).
        empty_at: Timestamp,
    },
    /// `transfer_overdue`: where it comes from, when it shipped and was expected, and what is in transit.
    TransferOverdue {
        from: Option<LocationId>,
        shipped_at: Timestamp,
        expected: Option<Timestamp>,
        due_at: Timestamp,
        units: Qty,
        lines: u32,
    },
    /// `transfer_mismatch`: the lines that differ.
    TransferMismatch {
        from: Option<LocationId>,
        lines: Lines<TransferLineFacts>,
    },
    /// `po_late` at its expected time: what has arrived of what was ordered.
    PoLate {
        expected: Timestamp,
        ordered: Qty,
        received: Qty,
    },
    /// `po_late` by a notice that moved the expected time.
    PoSlip { original: Timestamp, expected: Timestamp },
    /// `po_short`: the lines below the received share after the final receipt.
    PoShort { lines: Lines<OrderedLine> },
    /// `damaged_receipt`: the damaged lines of the PO's receipts.
    DamagedReceipt { lines: Lines<DamagedLine> },
    /// `price_mismatch`: what the till charged against what it should have.
    PriceMismatch {
        charged: Money,
        expected: Money,
        source: PriceSource,
        qty: Qty,
    },
    /// `promotion_conflict`: two promotions overlap with different prices.
    PromotionOverlap {
        promotion: DocumentNumber,
        price: Money,
        other: DocumentNumber,
        other_price: Money,
    },
    /// `promotion_conflict`: a promotion sells below cost.
    PromotionBelowCost {
        promotion: DocumentNumber,
        price: Money,
        cost: Money,
    },
    /// `return_policy`: the order the return names and what breaks the policy.
    ReturnPolicy {
        order: DocumentNumber,
        breaches: Lines<ReturnBreach>,
    },
    /// `refund_overdue`: when the return was received, and the refund nobody issued.
    RefundOverdue {
        received_at: Timestamp,
        due_at: Timestamp,
        refund: Money,
    },
    /// `order_at_risk`: the promise against what has shipped.
    OrderAtRisk {
        ship_by: Timestamp,
        ordered: Qty,
        shipped: Qty,
    },
    /// `allocation_short`: the lines the allocated location cannot pick.
    AllocationShort { lines: Lines<ShortLine> },
    /// `order_cancelled_stockout`: the lines still open when the order was cancelled, and its value.
    OrderCancelled { lines: Lines<(SkuId, Qty)>, value: Money },
    /// `master_data`: the fields the record lacks.
    MasterData { missing: Vec<MissingField> },
    /// `customer_complaint`: the message as the customer wrote it.
    CustomerMessage {
        channel: Option<MessageChannel>,
        order: Option<DocumentNumber>,
        text: String,
    },
    /// `store_exception_rate`: the store's exceptions and till lines over the window, against its peers', and
    /// the test's probability of so many with the largest that flags a store.
    StoreRate {
        window_days: u32,
        exceptions: u64,
        sale_lines: u64,
        peer_exceptions: u64,
        peer_sale_lines: u64,
        p_value: f64,
        p_value_max: f64,
        /// The store's exceptions in the window by type, most first: where its manager starts.
        by_type: Vec<(ExceptionType, u64)>,
    },
}

impl Facts {
    /// The facts of a later sighting of an open exception: the newest replace the old, but the damaged lines
    /// of one PO's receipts add up.
    pub fn absorb(slot: &mut Option<Facts>, later: Option<Facts>) {
        match (slot.as_mut(), later) {
            (Some(Facts::DamagedReceipt { lines }), Some(Facts::DamagedReceipt { lines: later })) => {
                lines.extend(later)
            }
            (_, Some(later)) => *slot = Some(later),
            (_, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn damaged(sku: SkuId) -> DamagedLine {
        DamagedLine {
            sku,
            received: Qty::from_units(10),
            damaged: Qty::from_units(1),
            unit_cost: Money::ZERO,
        }
    }

    #[test]
    fn lines_keep_a_bounded_few_and_count_the_rest() {
        let lines = Lines::of(0..(FACT_LINES_MAX as u32 + 3));
        assert_eq!(lines.kept.len(), FACT_LINES_MAX);
        assert_eq!(lines.more, 3);
    }

    #[test]
    fn damaged_lines_add_up_and_other_facts_are_replaced() {
        let mut slot = Some(Facts::DamagedReceipt {
            lines: Lines::of([damaged(1)]),
        });
        Facts::absorb(
            &mut slot,
            Some(Facts::DamagedReceipt {
                lines: Lines::of([damaged(2)]),
            }),
        );
        let Some(Facts::DamagedReceipt { lines }) = &slot else {
            panic!("{slot:?}")
        };
        assert_eq!(lines.kept.iter().map(|line| line.sku).collect::<Vec<_>>(), [1, 2]);
        Facts::absorb(&mut slot, None);
        assert!(
            matches!(slot, Some(Facts::DamagedReceipt { .. })),
            "nothing new keeps the old"
        );
        let slip = Facts::PoSlip {
            original: Timestamp(0),
            expected: Timestamp(1),
        };
        Facts::absorb(&mut slot, Some(slip.clone()));
        assert_eq!(slot, Some(slip));
    }
}
