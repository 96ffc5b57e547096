//! `recurring_problem` in the engine: each person's resolution with a root cause is recorded by location and
//! cause; when the rules' number of them fall within the window, the location has a problem (or the open one
//! takes another occurrence).

use rust_decimal::prelude::ToPrimitive;

use crate::codes::Timestamp;
use crate::command::RootCause;
use crate::engine::composition::Engine;
use crate::engine::detect::problems::{self, Recurrence};
use crate::engine::exceptions::TypeRef;
use crate::rules::{ExceptionType, Param};

impl Engine {
    /// Records exception `id`'s resolution as `cause` at `at`, and raises the problem it completes, if any.
    /// A problem's own resolution, a cause of `other` and an exception without a location do not count.
    pub(super) fn note_resolution(&mut self, id: u64, cause: RootCause, at: Timestamp, seq: u64) {
        let record = self.state.book.exceptions.get(id);
        let Some(location) = record.location else {
            return;
        };
        if cause == RootCause::Other || record.key.exception_type == TypeRef::BuiltIn(ExceptionType::RecurringProblem) {
            return;
        }
        let kind = ExceptionType::RecurringProblem;
        let params = self.params();
        let repeats = params
            .get(kind, Param::Repeats, Some(location), None)
            .to_usize()
            .unwrap_or(usize::MAX);
        let window_days = params
            .get(kind, Param::WindowDays, Some(location), None)
            .to_u32()
            .unwrap_or(0);
        let since = Timestamp(at.0 - i64::from(window_days) * Timestamp::MILLIS_PER_DAY);
        let resolved = self.state.stats.recurrences.record(location, cause, (at, id), since);
        if resolved.len() < repeats.max(1) {
            return;
        }
        let resolved: Vec<(Timestamp, u64)> = resolved.iter().copied().collect();
        let recurrences: Vec<Recurrence> = resolved
            .into_iter()
            .map(|(resolved_at, member)| {
                let view = self.exception_view(self.state.book.exceptions.get(member));
                Recurrence {
                    id: member,
                    exception_type: view.exception_type.to_owned(),
                    about: view.sku.or(view.reference).map(str::to_owned),
                    resolved_at,
                    impact: view.impact,
                }
            })
            .collect();
        let detection =
            problems::recurring_problem(&self.params(), location, cause, &recurrences, window_days, at, seq);
        self.apply_detection(detection);
    }
}
