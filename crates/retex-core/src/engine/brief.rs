//! What an exception's page says beyond its fields, in words a store manager reads: where it is, with names; what
//! happened (its detector's facts, or what a statistical detector saw); the documents it is about; its shelf's books
//! now (`position_now`); the standard operating procedure of its type; and whether resolving it needs an approval,
//! and whose. Money is in the rules' currency and times in the location's zone (`display`), so that every page says
//! them alike.

use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::Serialize;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::display;
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, TypeRef};
use crate::engine::facts::{
    DamagedLine, Facts, Lines, MissingField, OrderedLine, PriceSource, ReturnBreach, ShortLine, TransferLineFacts,
};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::position_now::PositionNow;
use crate::engine::related_documents::RelatedDocument;
use crate::event::MessageChannel;
use crate::rules::workflow::ApprovalRule;

/// The role that decides approval requests of a type whose rules name none.
pub const DEFAULT_APPROVER_ROLE: &str = "operations_lead";

/// An exception explained: what its page and `GET /api/v1/exceptions/{id}` say beyond its fields.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ExceptionBrief<'a> {
    /// Its location's code with the name master data gives it: `S1 (Store One)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Its SKU with the product's name: `K1 (Kettle)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// What its detector saw, a line per fact: "counted 3, ledger 12, variance -9 × 4.10 = 36.90 EUR".
    pub what_happened: Vec<String>,
    /// The documents it is about, each named by its kind.
    pub documents: Vec<RelatedDocument>,
    /// Its position's books now and the documents still open on it, when it is about one SKU at one location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stock: Option<PositionNow>,
    /// What to do: the standard operating procedure of its type, from the rules or built in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<&'a str>,
    pub approval: ApprovalNeed<'a>,
    /// The zone its times are shown in: its location's, UTC where it has none.
    pub timezone: String,
    /// The currency its amounts are in.
    pub currency: &'a str,
}

/// Whether resolving an exception needs an approval (the four-eyes rule), and whose.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ApprovalNeed<'a> {
    /// The type's rule is set and the impact is above its threshold: resolving waits for an approval.
    pub needed: bool,
    /// The type's threshold, when the rules set one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above: Option<Money>,
    /// The role that decides a request (admin always may): the rule's, else `operations_lead`.
    pub approver_role: &'a str,
    /// In words: "Needs approval: impact 1,234.00 EUR above 500.00 EUR (rule for count_variance); approver
    /// role operations_lead", or "No approval needed".
    pub words: String,
}

impl Engine {
    /// The exception explained, for its page and the API's detail.
    pub fn exception_brief(&self, id: u64) -> Option<ExceptionBrief<'_>> {
        let record = self.exception_record(id)?;
        Some(ExceptionBrief {
            location: record.location.map(|location| self.location_label(location)),
            product: record.sku.map(|sku| self.product_label(sku)),
            what_happened: self.what_happened(record),
            documents: self.related_documents(record),
            stock: record
                .location
                .zip(record.sku)
                .map(|(location, sku)| self.position_now(location, sku)),
            procedure: self.procedure(record.key.exception_type),
            approval: self.approval_need(record),
            timezone: self.exception_zone(record).name().to_owned(),
            currency: &self.config.rules.currency,
        })
    }

    /// The zone an exception's times are shown in: its location's, UTC where it has none.
    pub fn exception_zone(&self, record: &ExceptionRecord) -> Tz {
        self.location_zone(record.location)
    }

    /// A location's time zone, UTC where master data names none.
    pub fn location_zone(&self, location: Option<LocationId>) -> Tz {
        let info = location.and_then(|location| self.state.picture.master.location(location));
        display::zone(info.and_then(|info| info.timezone.as_deref()))
    }

    /// The currency of every amount: the rules'.
    pub fn currency(&self) -> &str {
        &self.config.rules.currency
    }

    /// Money in the rules' currency: `1,234.50 EUR`.
    pub fn money_text(&self, amount: Money) -> String {
        display::money(amount, &self.config.rules.currency)
    }

    /// A location's code with its name: `S1 (Store One)`, the code alone when master data has no name for it.
    pub fn location_label(&self, location: LocationId) -> String {
        let code = self.state.picture.locations.name(location);
        match self.state.picture.master.location(location) {
            Some(info) if !info.name.is_empty() && info.name != code => format!("{code} ({})", info.name),
            _ => code.to_owned(),
        }
    }

    /// A SKU with its product's name: `K1 (Kettle)`, the SKU alone when master data has no name for it.
    pub fn product_label(&self, sku: SkuId) -> String {
        let code = self.state.picture.skus.name(sku);
        match self.state.picture.master.product(sku) {
            Some(product) if !product.name.is_empty() && product.name != code => format!("{code} ({})", product.name),
            _ => code.to_owned(),
        }
    }

    /// The standard operating procedure of a type: the rules file's, else the built-in one; a custom type has
    /// one only when the file gives it.
    pub fn procedure(&self, type_ref: TypeRef) -> Option<&str> {
        match type_ref {
            TypeRef::BuiltIn(exception_type) => Some(self.config.rules.procedure(exception_type)),
            TypeRef::Custom(index) => self.config.rules.custom[usize::from(index)].procedure.as_deref(),
        }
    }

    /// The type's four-eyes rule, when its impact is above the rule's threshold.
    pub(super) fn approval_rule_exceeded(&self, record: &ExceptionRecord) -> Option<&ApprovalRule> {
        let rule = self.approval_rule(record.key.exception_type)?;
        (record.impact.0 > rule.above).then_some(rule)
    }

    fn approval_rule(&self, type_ref: TypeRef) -> Option<&ApprovalRule> {
        self.config.rules.workflow.approvals.get(self.type_name(type_ref))
    }

    /// The role that decides approval requests of a type: its rule's, else `operations_lead`.
    pub fn approver_role(&self, type_ref: TypeRef) -> &str {
        self.approval_rule(type_ref)
            .map_or(DEFAULT_APPROVER_ROLE, |rule| rule.role.as_str())
    }

    /// Whether `actor`, with `role`, may approve or reject the exception's pending approval request: someone
    /// other than the requester, with the approver role or admin.
    pub fn may_decide_approval(&self, id: u64, actor: &str, role: &str) -> bool {
        let Some(record) = self.exception_record(id) else {
            return false;
        };
        let pending_for_another = record
            .approval
            .as_ref()
            .is_some_and(|approval| approval.decision.is_none() && approval.requested_by != actor);
        pending_for_another && (role == "admin" || role == self.approver_role(record.key.exception_type))
    }

    fn approval_need(&self, record: &ExceptionRecord) -> ApprovalNeed<'_> {
        let type_name = self.type_name(record.key.exception_type);
        let approver_role = self.approver_role(record.key.exception_type);
        let rule = self.approval_rule(record.key.exception_type);
        let impact = self.money_text(record.impact);
        let words = match rule {
            Some(rule) if record.impact.0 > rule.above => format!(
                "Needs approval: impact {impact} above {} (rule for {type_name}); approver role {approver_role}",
                self.money_text(Money(rule.above))
            ),
            Some(rule) => format!(
                "No approval needed: impact {impact} is not above {} (rule for {type_name})",
                self.money_text(Money(rule.above))
            ),
            None => "No approval needed".to_owned(),
        };
        ApprovalNeed {
            needed: rule.is_some_and(|rule| record.impact.0 > rule.above),
            above: rule.map(|rule| Money(rule.above)),
            approver_role,
            words,
        }
    }

    /// What happened, a line per fact; a statistical type's explanation last.
    pub fn what_happened(&self, record: &ExceptionRecord) -> Vec<String> {
        let words = Words {
            engine: self,
            zone: self.exception_zone(record),
        };
        let mut lines = match &record.facts {
            Some(facts) => words.facts(facts),
            None => Vec::new(),
        };
        if let Some(explanation) = &record.explanation {
            lines.push(explanation.clone());
        }
        lines
    }
}

/// Facts in words, with the engine's names, its currency and the exception's zone.
struct Words<'e> {
    engine: &'e Engine,
    zone: Tz,
}

impl Words<'_> {
    fn money(&self, amount: Money) -> String {
        self.engine.money_text(amount)
    }

    fn time(&self, at: Timestamp) -> String {
        display::local_time(at, self.zone)
    }

    fn product(&self, sku: SkuId) -> String {
        self.engine.product_label(sku)
    }

    fn facts(&self, facts: &Facts) -> Vec<String> {
        match facts {
            Facts::Count {
                counted,
                ledger,
                unit_cost,
                ..
            } => vec![self.count(*counted, *ledger, *unit_cost)],
            Facts::NegativeStock {
                movement,
                moved,
                before,
                after,
            } => vec![format!(
                "{} of {} took on hand from {} to {}",
                movement.words(),
                qty(moved.abs()),
                qty(*before),
                qty(*after)
            )],
            Facts::LowStock { .. } => vec![self.low_stock(facts)],
            Facts::TransferOverdue { .. } => vec![self.transfer_overdue(facts)],
            Facts::TransferMismatch { from, lines } => self.transfer_mismatch(*from, lines),
            Facts::PoLate {
                expected,
                ordered,
                received,
            } => vec![format!(
                "expected {}; {} of {} units received ({})",
                self.time(*expected),
                qty(*received),
                qty(*ordered),
                share(*received, *ordered)
            )],
            Facts::PoSlip { original, expected } => vec![format!(
                "the supplier moved the expected delivery from {} to {} ({} h later)",
                self.time(*original),
                self.time(*expected),
                (expected.0 - original.0) / Timestamp::MILLIS_PER_HOUR
            )],
            Facts::PoShort { lines } => self.lines(lines, |line| self.po_line(line)),
            Facts::DamagedReceipt { lines } => self.lines(lines, |line| self.damaged_line(line)),
            Facts::PriceMismatch { .. } => vec![self.price_mismatch(facts)],
            _ => self.other_facts(facts),
        }
    }

    fn other_facts(&self, facts: &Facts) -> Vec<String> {
        match facts {
            Facts::PromotionOverlap {
                promotion,
                price,
                other,
                other_price,
            } => vec![format!(
                "promotion {promotion} at {} overlaps promotion {other} at {} in time and place",
                self.money(*price),
                self.money(*other_price)
            )],
            Facts::PromotionBelowCost { promotion, price, cost } => vec![format!(
                "promotion {promotion} sells at {}, below the cost of {}",
                self.money(*price),
                self.money(*cost)
            )],
            Facts::ReturnPolicy { order, breaches } => self.lines(breaches, |breach| self.breach(order, breach)),
            Facts::RefundOverdue {
                received_at,
                due_at,
                refund,
            } => vec![format!(
                "return received {}; refund of {} requested, none issued by {}",
                self.time(*received_at),
                self.money(*refund),
                self.time(*due_at)
            )],
            Facts::OrderAtRisk {
                ship_by,
                ordered,
                shipped,
            } => vec![format!(
                "to ship by {}; {} of {} units shipped",
                self.time(*ship_by),
                qty(*shipped),
                qty(*ordered)
            )],
            Facts::AllocationShort { lines } => self.lines(lines, |line| self.short_line(line)),
            Facts::OrderCancelled { lines, value } => {
                let mut words = vec![format!(
                    "cancelled for want of stock; order value {}",
                    self.money(*value)
                )];
                words.extend(self.lines(lines, |(sku, open)| {
                    format!("{}: {} open", self.product(*sku), qty(*open))
                }));
                words
            }
            Facts::MasterData { missing } => vec![missing_fields(missing)],
            Facts::StoreRate { .. } => vec![store_rate(facts)],
            Facts::CustomerMessage { channel, order, text } => vec![customer_wrote(*channel, order.as_ref(), text)],
            _ => Vec::new(),
        }
    }

    /// "counted 3, ledger 12, variance -9 × 4.10 = 36.90 EUR".
    fn count(&self, counted: Qty, ledger: Qty, unit_cost: Money) -> String {
        let variance = counted - ledger;
        let mut words = format!(
            "counted {}, ledger {}, variance {}",
            qty(counted),
            qty(ledger),
            qty(variance)
        );
        if unit_cost.0.is_zero() {
            words.push_str("; the product has no cost, so no value");
        } else {
            let value = variance.abs() * unit_cost;
            words.push_str(&format!(
                " × {} = {}",
                display::amount_only(unit_cost),
                self.money(value)
            ));
        }
        words
    }

    fn transfer_overdue(&self, facts: &Facts) -> String {
        let Facts::TransferOverdue {
            from,
            shipped_at,
            expected,
            due_at,
            units,
            lines,
        } = facts
        else {
            return String::new();
        };
        let from = from.map_or_else(String::new, |from| {
            format!(" from {}", self.engine.location_label(from))
        });
        let expected = expected.map_or_else(
            || "no arrival time given".to_owned(),
            |expected| format!("expected {}", self.time(expected)),
        );
        let line_word = if *lines == 1 { "line" } else { "lines" };
        format!(
            "shipped{from} {}, {expected}; not received by {}; {} units on {lines} {line_word} in transit",
            self.time(*shipped_at),
            self.time(*due_at),
            qty(*units)
        )
    }

    /// "2 free (on hand less reserved), selling 3.4 a day: empty about 2026-11-10 15:20 Europe/Berlin; next
    /// supply: the next replenishment run, due 2026-11-11 09:40 Europe/Berlin, 0.6 open days away, against a
    /// projected demand of 2.3 units until then; expected to miss 0.1".
    fn low_stock(&self, facts: &Facts) -> String {
        let Facts::LowStock {
            free,
            daily_demand,
            horizon_days,
            demand_quantile,
            expected_shortfall,
            supply,
            supply_at,
            empty_at,
        } = facts
        else {
            return String::new();
        };
        format!(
            "{} free (on hand less reserved), selling {daily_demand:.1} a day: empty about {}; next supply: {}, due \
             {}, {horizon_days:.1} open days away, against a projected demand of {demand_quantile:.1} units until \
             then; expected to miss {expected_shortfall:.1}",
            qty(*free),
            self.time(*empty_at),
            supply.words(),
            self.time(*supply_at),
        )
    }

    fn transfer_mismatch(&self, from: Option<LocationId>, lines: &Lines<TransferLineFacts>) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(from) = from {
            words.push(format!("sent from {}", self.engine.location_label(from)));
        }
        words.extend(self.lines(lines, |line| {
            let damaged = if line.damaged.is_positive() {
                format!(", {} damaged", qty(line.damaged))
            } else {
                String::new()
            };
            if line.was_shipped {
                format!(
                    "{}: shipped {}, received {}{damaged}",
                    self.product(line.sku),
                    qty(line.shipped),
                    qty(line.received)
                )
            } else {
                format!(
                    "{}: received {}{damaged}, never shipped",
                    self.product(line.sku),
                    qty(line.received)
                )
            }
        }));
        words
    }

    fn po_line(&self, line: &OrderedLine) -> String {
        format!(
            "{}: ordered {}, received {} ({})",
            self.product(line.sku),
            qty(line.ordered),
            qty(line.received),
            share(line.received, line.ordered)
        )
    }

    /// "K1 (Kettle): 3 damaged of 20 received × 4.10 = 12.30 EUR".
    fn damaged_line(&self, line: &DamagedLine) -> String {
        format!(
            "{}: {} damaged of {} received × {} = {}",
            self.product(line.sku),
            qty(line.damaged),
            qty(line.received),
            display::amount_only(line.unit_cost),
            self.money(line.damaged * line.unit_cost)
        )
    }

    /// "till 9.99, list 12.49: 2 × 2.50 = 5.00 EUR".
    fn price_mismatch(&self, facts: &Facts) -> String {
        let Facts::PriceMismatch {
            charged,
            expected,
            source,
            qty: sold,
        } = facts
        else {
            return String::new();
        };
        let source = match source {
            PriceSource::Promotion(number) => format!("promotion {number}"),
            PriceSource::PriceList => "price list".to_owned(),
            PriceSource::ProductPrice => "list".to_owned(),
        };
        let difference = (*expected - *charged).abs();
        format!(
            "till {}, {source} {}: {} × {} = {}",
            display::amount_only(*charged),
            display::amount_only(*expected),
            qty(*sold),
            display::amount_only(difference),
            self.money(*sold * difference)
        )
    }

    fn breach(&self, order: &DocumentNumber, breach: &ReturnBreach) -> String {
        match breach {
            ReturnBreach::UnknownOrder => format!("order {order} is one Retex never saw"),
            ReturnBreach::Late {
                sku,
                days_after,
                window_days,
            } => format!(
                "{}: requested {days_after} days after order {order}, the window is {window_days} days",
                self.product(*sku)
            ),
            ReturnBreach::OverRefund {
                sku,
                qty: returned,
                refund,
                paid,
            } => format!(
                "{}: refund of {} asked, {} paid for the {} returned",
                self.product(*sku),
                self.money(*refund),
                self.money(*paid),
                qty(*returned)
            ),
        }
    }

    fn short_line(&self, line: &ShortLine) -> String {
        format!(
            "{}: needs {}, {} available",
            self.product(line.sku),
            qty(line.wanted),
            qty(line.available)
        )
    }

    /// A line per kept item, and how many were left out.
    fn lines<T>(&self, lines: &Lines<T>, line: impl Fn(&T) -> String) -> Vec<String> {
        let mut words: Vec<String> = lines.kept.iter().map(line).collect();
        if lines.more > 0 {
            words.push(format!("and {} more", lines.more));
        }
        words
    }
}

fn qty(value: Qty) -> String {
    display::quantity(value)
}

/// `received` as a share of `ordered`: "40%".
fn share(received: Qty, ordered: Qty) -> String {
    if ordered.0.is_zero() {
        return "nothing ordered".to_owned();
    }
    let percent = (received.0 * rust_decimal::Decimal::ONE_HUNDRED / ordered.0).round();
    format!("{percent}%")
}

/// "14 exceptions of its own operations in 1,200 till lines over 7 days (11.67 per 1,000); the other stores
/// 2.10 per 1,000; probability of so many 3.2e-6 for a store like the others (threshold 2.5e-4)".
fn store_rate(facts: &Facts) -> String {
    let Facts::StoreRate {
        window_days,
        exceptions,
        sale_lines,
        peer_exceptions,
        peer_sale_lines,
        p_value,
        p_value_max,
        by_type,
    } = facts
    else {
        return String::new();
    };
    let per_thousand = |count: u64, lines: u64| count as f64 * 1000.0 / lines.max(1) as f64;
    let mut text = format!(
        "{} exceptions of its own operations in {} till lines over {window_days} days ({:.2} per 1,000); the other \
         stores {:.2} per 1,000; probability of so many {p_value:.1e} for a store like the others (threshold \
         {p_value_max:.1e})",
        display::count(*exceptions),
        display::count(*sale_lines),
        per_thousand(*exceptions, *sale_lines),
        per_thousand(*peer_exceptions, *peer_sale_lines)
    );
    if !by_type.is_empty() {
        let counts: Vec<String> = by_type
            .iter()
            .map(|(exception_type, count)| format!("{} {}", display::count(*count), exception_type.name()))
            .collect();
        text.push_str(&format!("; by type: {}", counts.join(", ")));
    }
    text
}

/// "lacks cost, supplier".
/// "the customer wrote by email about order W-7: "where is my lamp?"".
fn customer_wrote(channel: Option<MessageChannel>, order: Option<&DocumentNumber>, text: &str) -> String {
    let mut words = String::from("the customer wrote");
    if let Some(channel) = channel {
        words.push_str(" by ");
        words.push_str(channel.as_str());
    }
    if let Some(order) = order {
        words.push_str(" about order ");
        words.push_str(order.as_str());
    }
    words.push_str(&format!(": \"{text}\""));
    words
}

fn missing_fields(missing: &[MissingField]) -> String {
    let names: Vec<&str> = missing.iter().map(|field| field.name()).collect();
    format!("the record lacks {}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ExceptionType;

    #[test]
    fn a_store_rate_reads_per_thousand_lines_against_the_other_stores() {
        let facts = Facts::StoreRate {
            window_days: 7,
            exceptions: 14,
            sale_lines: 1_200,
            peer_exceptions: 42,
            peer_sale_lines: 20_000,
            p_value: 3.21e-6,
            p_value_max: 0.01 / 40.0,
            by_type: vec![(ExceptionType::CountVariance, 9), (ExceptionType::TransferMismatch, 5)],
        };
        assert_eq!(
            store_rate(&facts),
            "14 exceptions of its own operations in 1,200 till lines over 7 days (11.67 per 1,000); the other \
             stores 2.10 per 1,000; probability of so many 3.2e-6 for a store like the others (threshold 2.5e-4); \
             by type: 9 count_variance, 5 transfer_mismatch"
        );
    }

    #[test]
    fn a_share_is_a_whole_percentage() {
        let units = |count: i64| Qty::from_units(count);
        assert_eq!(share(units(40), units(100)), "40%");
        assert_eq!(share(units(2), units(3)), "67%");
        assert_eq!(share(units(2), units(0)), "nothing ordered");
    }
}
