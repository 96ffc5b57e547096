//! Finding exceptions the way a queue, a script or the API asks for them: filters, an order, and cursor pages.
//!
//! A query scans the exception book once (a million records take a few milliseconds) and keeps only the page it
//! returns, so no order has to be maintained as exceptions change. A cursor is the sort key of the last row
//! returned; the next page starts strictly after it, so rows that change meanwhile are neither skipped twice nor
//! repeated.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::codes::Timestamp;
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, ExceptionStatus, ExceptionSummary, TypeRef};
use crate::engine::ledger::LocationId;
use crate::engine::views::ExceptionView;
use crate::rules::Severity;

crate::wire_names! {
    /// The groups of statuses a filter may name besides one status.
    pub enum StatusGroup {
        Active = "active",
        All = "all",
        Closed = "closed",
    }
}

/// Which exceptions by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Not resolved and not dismissed.
    #[default]
    Active,
    All,
    /// Resolved or dismissed.
    Closed,
    Exactly(ExceptionStatus),
}

impl StatusFilter {
    /// Every name a filter may be given: the groups, then each status.
    pub fn names() -> impl Iterator<Item = &'static str> {
        StatusGroup::NAMES.into_iter().chain(ExceptionStatus::NAMES)
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let group = StatusGroup::from_name(name).map(|group| match group {
            StatusGroup::Active => Self::Active,
            StatusGroup::All => Self::All,
            StatusGroup::Closed => Self::Closed,
        });
        group.or_else(|| ExceptionStatus::from_name(name).map(Self::Exactly))
    }
}

/// A filter reads as one of its names (`active`, `in_progress`, ...).
impl<'de> serde::Deserialize<'de> for StatusFilter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::from_name(&name).ok_or_else(|| {
            let expected: Vec<&str> = Self::names().collect();
            serde::de::Error::custom(format!("{name:?} is not one of {}", expected.join(", ")))
        })
    }
}

crate::wire_names! {
    /// The order of a page.
    #[derive(Default)]
    pub enum ExceptionOrder {
        /// Newest first.
        #[default]
        Newest = "newest",
        Oldest = "oldest",
        /// The next due time first (acknowledge while unacknowledged, then resolve), larger impact first among
        /// equals: what a queue works through.
        SlaRisk = "sla_risk",
        /// Largest impact first.
        Impact = "impact",
    }
}

/// What to look for; `None` fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct ExceptionQuery<'q> {
    pub status: StatusFilter,
    pub exception_type: Option<&'q str>,
    pub team: Option<&'q str>,
    pub location: Option<&'q str>,
    pub severity: Option<Severity>,
    pub assignee: Option<&'q str>,
    pub opened_from: Option<Timestamp>,
    pub opened_before: Option<Timestamp>,
    /// Only exceptions at one of these locations (a store user's scope); `None` sees everything.
    pub scope: Option<&'q [String]>,
    pub order: ExceptionOrder,
    /// Rows after this cursor (from the previous page's `next_cursor`).
    pub after: Option<Cursor>,
    pub limit: usize,
}

/// A position in an order: the sort key of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    primary: i64,
    impact_cents: Reverse<i64>,
    id: u64,
}

impl Cursor {
    /// The cursor's text form, `primary.impact.id`, opaque to clients.
    pub fn encode(&self) -> String {
        format!("{}_{}_{}", self.primary, self.impact_cents.0, self.id)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split('_');
        let cursor = Self {
            primary: parts.next()?.parse().ok()?,
            impact_cents: Reverse(parts.next()?.parse().ok()?),
            id: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(cursor)
    }
}

/// One page of a query.
#[derive(Debug)]
pub struct ExceptionPage<'a> {
    pub items: Vec<ExceptionView<'a>>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
    /// How many exceptions match the filters, over all pages.
    pub total: usize,
}

impl ExceptionOrder {
    fn key(self, id: u64, summary: &ExceptionSummary) -> Cursor {
        let primary = match self {
            Self::Newest => -i64::try_from(id).unwrap_or(i64::MAX),
            Self::Oldest => i64::try_from(id).unwrap_or(i64::MAX),
            Self::SlaRisk => summary.next_due.0,
            Self::Impact => 0,
        };
        Cursor {
            primary,
            impact_cents: Reverse(summary.impact_cents),
            id,
        }
    }
}

impl Engine {
    /// The page of exceptions matching `query`, in its order.
    pub fn query_exceptions(&self, query: &ExceptionQuery<'_>) -> ExceptionPage<'_> {
        let matcher = Matcher::new(self, query);
        let limit = query.limit.max(1);
        // The `limit + 1` smallest keys after the cursor: one more than the page tells whether another follows.
        let mut smallest: BinaryHeap<(Cursor, usize)> = BinaryHeap::with_capacity(limit + 2);
        let mut total = 0;
        let records = self.state.book.exceptions.records();
        for (index, summary) in self.state.book.exceptions.summaries().iter().enumerate() {
            if !matcher.matches(summary, || &records[index]) {
                continue;
            }
            total += 1;
            let key = query.order.key(index as u64 + 1, summary);
            if query.after.is_some_and(|after| key <= after) {
                continue;
            }
            if smallest.len() <= limit {
                smallest.push((key, index));
            } else if smallest.peek().is_some_and(|(largest, _)| key < *largest) {
                smallest.pop();
                smallest.push((key, index));
            }
        }
        let mut rows = smallest.into_sorted_vec();
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        ExceptionPage {
            next_cursor: has_more.then(|| rows.last().map(|(key, _)| *key)).flatten(),
            items: rows
                .iter()
                .map(|(_, index)| self.exception_view(&records[*index]))
                .collect(),
            total,
        }
    }

    /// Whether a user limited to `scope` may see this exception: it must be at one of the scope's locations.
    pub fn in_scope(&self, record: &ExceptionRecord, scope: Option<&[String]>) -> bool {
        let Some(scope) = scope else {
            return true;
        };
        record.location.is_some_and(|location| {
            scope
                .iter()
                .any(|code| code == self.state.picture.locations.name(location))
        })
    }

    /// The summary of the exception with this id (its next due time, impact in cents, ...), if any.
    pub fn exception_summary(&self, id: u64) -> Option<&ExceptionSummary> {
        self.state
            .book
            .exceptions
            .summaries()
            .get(usize::try_from(id).ok()?.checked_sub(1)?)
    }

    /// The type with this name, built-in or custom.
    pub fn type_ref(&self, name: &str) -> Option<TypeRef> {
        if let Some(built_in) = crate::rules::ExceptionType::from_name(name) {
            return Some(TypeRef::BuiltIn(built_in));
        }
        let index = self.config.rules.custom.iter().position(|custom| custom.name == name)?;
        u16::try_from(index).ok().map(TypeRef::Custom)
    }

    /// The exception with this id, if any.
    pub fn exception_record(&self, id: u64) -> Option<&ExceptionRecord> {
        self.state
            .book
            .exceptions
            .records()
            .get(usize::try_from(id).ok()?.checked_sub(1)?)
    }
}

/// A query's filters resolved to internal ids once, so the scan compares integers in the summaries; only the
/// team filter reads the record itself.
struct Matcher<'q> {
    query: &'q ExceptionQuery<'q>,
    exception_type: Option<TypeRef>,
    location: Option<LocationId>,
    assignee: Option<u32>,
    scope: Option<Vec<LocationId>>,
    /// A named type, location or assignee that does not exist: nothing matches.
    impossible: bool,
}

impl<'q> Matcher<'q> {
    fn new(engine: &Engine, query: &'q ExceptionQuery<'q>) -> Self {
        let exception_type = query.exception_type.map(|name| engine.type_ref(name));
        let location = query.location.map(|code| engine.location_id(code));
        let assignee = query.assignee.map(|name| engine.state.book.exceptions.person(name));
        Self {
            query,
            impossible: exception_type == Some(None) || location == Some(None) || assignee == Some(None),
            exception_type: exception_type.flatten(),
            location: location.flatten(),
            assignee: assignee.flatten(),
            scope: query
                .scope
                .map(|codes| codes.iter().filter_map(|code| engine.location_id(code)).collect()),
        }
    }

    fn matches<'r>(&self, summary: &ExceptionSummary, record: impl Fn() -> &'r ExceptionRecord) -> bool {
        let query = self.query;
        let status_matches = match query.status {
            StatusFilter::Active => summary.status.is_active(),
            StatusFilter::All => true,
            StatusFilter::Closed => !summary.status.is_active(),
            StatusFilter::Exactly(status) => summary.status == status,
        };
        !self.impossible
            && status_matches
            && self.location.is_none_or(|wanted| summary.location == Some(wanted))
            && self
                .exception_type
                .is_none_or(|wanted| summary.exception_type == wanted)
            && self
                .scope
                .as_ref()
                .is_none_or(|scope| summary.location.is_some_and(|location| scope.contains(&location)))
            && query.severity.is_none_or(|severity| summary.severity == severity)
            && query.opened_from.is_none_or(|from| summary.opened_at >= from)
            && query.opened_before.is_none_or(|before| summary.opened_at < before)
            && self.assignee.is_none_or(|wanted| summary.assignee == Some(wanted))
            && query.team.is_none_or(|team| record().team == team)
    }
}
