//! `store_exception_rate`: each store's exceptions per till sale line over the last `rate_window_days` full
//! days, tested against its peers by the configured model (`Insight::abnormal_stores`).

use rust_decimal::prelude::ToPrimitive;
use rustc_hash::FxHashMap;

use crate::codes::{Money, Timestamp};
use crate::engine::detect::{Detection, Params, key_of};
use crate::engine::exceptions::{ExceptionSummary, TypeRef};
use crate::engine::facts::Facts;
use crate::engine::insight::{Insight, RateTestParams, StoreWindow};
use crate::engine::ledger::LocationId;
use crate::engine::stats::{DayRing, StoreActivity, day_of};
use crate::event::LocationKind;
use crate::rules::{ExceptionType, Param};

/// What the store rate test reads: the stores of master data and their daily counts.
#[derive(Clone, Copy)]
pub struct StoreRateView<'a> {
    pub params: Params<'a>,
    pub stores: &'a FxHashMap<LocationId, StoreActivity>,
    /// Every exception so far, for a flagged store's count by type.
    pub exceptions: &'a [ExceptionSummary],
}

impl StoreRateView<'_> {
    /// The window in days and the test's parameters, from the rules.
    pub fn test_params(&self) -> (usize, RateTestParams) {
        let kind = ExceptionType::StoreExceptionRate;
        let param = |param| self.params.get(kind, param, None, None);
        let window_days = param(Param::RateWindowDays).to_usize().unwrap_or(7);
        let params = RateTestParams {
            alpha: param(Param::Alpha).to_f64().unwrap_or(0.01),
            min_sale_lines: param(Param::MinSaleLines).to_u64().unwrap_or(0),
            min_exceptions: param(Param::MinExceptions).to_u64().unwrap_or(0),
        };
        (window_days, params)
    }

    /// Each store's exceptions and sale lines over the `window_days` days up to `last_full_day`, with its id.
    pub fn windows(&self, last_full_day: i32, window_days: usize) -> (Vec<StoreWindow>, Vec<LocationId>) {
        let mut windows = Vec::new();
        let mut ids = Vec::new();
        for (index, info) in self.params.master.locations.iter().enumerate() {
            if info.as_ref().is_none_or(|info| info.kind != LocationKind::Store) {
                continue;
            }
            let location = index as LocationId;
            let activity = self.stores.get(&location);
            let sum = |ring: fn(&StoreActivity) -> &DayRing| {
                activity.map_or(0, |activity| {
                    ring(activity).window(last_full_day, window_days).map(u64::from).sum()
                })
            };
            windows.push(StoreWindow {
                location: self.params.locations.name(location).to_string(),
                exceptions: sum(|activity| &activity.exceptions),
                sale_lines: sum(|activity| &activity.sale_lines),
            });
            ids.push(location);
        }
        (windows, ids)
    }

    /// A store's exceptions of its own operations (those the window counts) opened over the `window_days` days up
    /// to `last_full_day`, by type, most first (then by name).
    fn own_exceptions_by_type(
        &self,
        location: LocationId,
        last_full_day: i32,
        window_days: usize,
    ) -> Vec<(ExceptionType, u64)> {
        let first_day = last_full_day - i32::try_from(window_days).unwrap_or(i32::MAX) + 1;
        let mut counts: FxHashMap<ExceptionType, u64> = FxHashMap::default();
        for summary in self
            .exceptions
            .iter()
            .filter(|summary| summary.location == Some(location))
        {
            let TypeRef::BuiltIn(exception_type) = summary.exception_type else {
                continue;
            };
            let day = day_of(summary.opened_at);
            if exception_type.is_caused_by_store() && (first_day..=last_full_day).contains(&day) {
                *counts.entry(exception_type).or_default() += 1;
            }
        }
        let mut by_type: Vec<(ExceptionType, u64)> = counts.into_iter().collect();
        by_type.sort_by(|(a_type, a_count), (b_type, b_count)| {
            b_count.cmp(a_count).then_with(|| a_type.name().cmp(b_type.name()))
        });
        by_type
    }
}

/// The stores abnormal over the full days before `due_at` (a UTC midnight), each a detection caused by log
/// entry `seq`. Nothing when the type is off.
pub fn abnormal_stores(view: &StoreRateView<'_>, model: &dyn Insight, due_at: Timestamp, seq: u64) -> Vec<Detection> {
    let kind = ExceptionType::StoreExceptionRate;
    if !view.params.is_enabled(kind) {
        return Vec::new();
    }
    let (window_days, params) = view.test_params();
    let (windows, ids) = view.windows(day_of(due_at) - 1, window_days);
    let all_exceptions: u64 = windows.iter().map(|window| window.exceptions).sum();
    let all_sale_lines: u64 = windows.iter().map(|window| window.sale_lines).sum();
    let mut detections = Vec::new();
    for abnormal in model.abnormal_stores(&windows, params) {
        let Some(position) = windows.iter().position(|window| window.location == abnormal.location) else {
            continue;
        };
        let location = ids[position];
        let window = &windows[position];
        let facts = Facts::StoreRate {
            window_days: u32::try_from(window_days).unwrap_or(u32::MAX),
            exceptions: window.exceptions,
            sale_lines: window.sale_lines,
            peer_exceptions: all_exceptions - window.exceptions,
            peer_sale_lines: all_sale_lines - window.sale_lines,
            p_value: abnormal.p_value,
            p_value_max: abnormal.p_value_max,
            by_type: view.own_exceptions_by_type(location, day_of(due_at) - 1, window_days),
        };
        let mut detection = Detection::at_position(kind, location, 0, due_at, Money::ZERO, seq).with_facts(facts);
        detection.key = key_of(kind, Some(location), None, None);
        detection.sku = None;
        detection.touches = Vec::new();
        detections.push(detection);
    }
    detections
}
