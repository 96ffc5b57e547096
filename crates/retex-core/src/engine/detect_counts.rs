//! `count_overdue` in the engine: positions of scheduled categories enrol in the count program when stock first
//! moves at a store, a count sets when each is next due, and each UTC midnight opens (or repeats) one exception
//! per store and rule with positions overdue. A count that leaves a store's rule with none overdue resolves it.

use crate::codes::{Money, Timestamp};
use crate::engine::composition::Engine;
use crate::engine::count_program::CountGroup;
use crate::engine::detect::counts::{self, OverdueCounts};
use crate::engine::detect::{self, Cause};
use crate::engine::ledger::{LocationId, SkuId};
use crate::event::LocationKind;
use crate::rules::ExceptionType;

impl Engine {
    /// The count rule that takes a store position, if any: by its product's category.
    fn count_rule_of(&self, location: LocationId, sku: SkuId) -> Option<u16> {
        if self.config.rules.count_schedule.is_empty() {
            return None;
        }
        let master = &self.state.picture.master;
        if master
            .location(location)
            .is_none_or(|info| info.kind != LocationKind::Store)
        {
            return None;
        }
        let category = master.product(sku)?.category.as_str();
        let rule = self.config.rules.count_rule_for(category)?;
        u16::try_from(rule).ok()
    }

    /// The instant `every_days` of `rule` after `at`.
    fn count_due_after(&self, rule: u16, at: Timestamp) -> Timestamp {
        let every_days = self.config.rules.count_schedule[usize::from(rule)].every_days;
        Timestamp(at.0 + i64::from(every_days) * Timestamp::MILLIS_PER_DAY)
    }

    /// Enrols a store position in the count program the first time stock moves there: its first count is due
    /// a rule's interval later.
    pub(super) fn enroll_for_counting(&mut self, location: LocationId, sku: SkuId, at: Timestamp) {
        if self.state.stats.counts.is_enrolled(location, sku) {
            return;
        }
        if let Some(rule) = self.count_rule_of(location, sku) {
            let due = self.count_due_after(rule, at);
            self.state.stats.counts.schedule(location, sku, rule, due);
        }
    }

    /// A count of a scheduled position: it is next due a rule's interval later, and the store's exception for
    /// the rule resolves when no position of it is overdue any more.
    pub(super) fn record_cycle_count(&mut self, location: LocationId, sku: SkuId, cause: Cause) {
        let Some(rule) = self.count_rule_of(location, sku) else {
            return;
        };
        let due = self.count_due_after(rule, cause.at);
        self.state.stats.counts.schedule(location, sku, rule, due);
        if self.state.stats.counts.overdue((location, rule), cause.at).is_none() {
            let reference = counts::rule_reference(&self.config.rules.count_schedule[usize::from(rule)]);
            let verdict = detect::clear(
                ExceptionType::CountOverdue,
                Some(location),
                None,
                Some(&reference),
                cause,
            );
            self.apply_verdict(verdict);
        }
    }

    /// At a UTC midnight: each store and rule with positions overdue opens `count_overdue`, or adds an
    /// occurrence to the open one.
    pub(super) fn check_count_schedule(&mut self, due_at: Timestamp) {
        if self.config.rules.count_schedule.is_empty() {
            return;
        }
        let seq = self.state.applied_seq;
        for group in self.state.stats.counts.groups() {
            let Some(detection) = self.overdue_detection(group, due_at, seq) else {
                continue;
            };
            self.apply_detection(Some(detection));
        }
    }

    fn overdue_detection(&self, group: CountGroup, at: Timestamp, seq: u64) -> Option<detect::Detection> {
        let program = &self.state.stats.counts;
        let overdue = program.overdue(group, at)?;
        let (location, rule) = group;
        let master = &self.state.picture.master;
        let mut value = Money::ZERO;
        for &sku in &overdue.skus {
            let on_hand = self
                .state
                .picture
                .ledger
                .get(location, sku)
                .map_or(crate::codes::Qty::ZERO, |position| position.on_hand);
            if on_hand.is_positive() {
                value += on_hand * master.unit_cost(sku);
            }
        }
        let counts = OverdueCounts {
            rule: &self.config.rules.count_schedule[usize::from(rule)],
            overdue: overdue.skus.len() as u32,
            enrolled: program.size(group),
            earliest_due: overdue.earliest_due,
            value,
        };
        counts::count_overdue(&self.params(), location, &counts, at, seq)
    }
}
