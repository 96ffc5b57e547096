//! Finding exceptions the way a queue, a script or the API asks for them: filters, an order, and cursor pages.
//!
//! A query scans the exception book once (a million records take a few milliseconds) and keeps only the page it
//! returns, so no order has to be maintained as exceptions change. A cursor is the sort key of a row; the next
//! page starts strictly after it and the previous one ends strictly before it, so rows that change meanwhile are
//! neither skipped twice nor repeated. Names given to filter by (a type, a location, a SKU, a category, an
//! assignee, a team) match whatever their case.

use std::collections::BinaryHeap;

use crate::codes::Timestamp;
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, ExceptionStatus, ExceptionSummary, TypeRef};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::query_order::{Cursor, Directed, Sort, SortKey};
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

    pub fn name(self) -> &'static str {
        match self {
            Self::Active => StatusGroup::Active.name(),
            Self::All => StatusGroup::All.name(),
            Self::Closed => StatusGroup::Closed.name(),
            Self::Exactly(status) => status.name(),
        }
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

/// Where a page starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PageStart {
    #[default]
    First,
    /// The rows after this cursor (a page's `next_cursor`).
    After(Cursor),
    /// The rows that end just before this cursor (a page's `previous_cursor`); the first page when fewer than a
    /// page's rows come before it.
    Before(Cursor),
}

/// What to look for; `None` fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct ExceptionQuery<'q> {
    pub status: StatusFilter,
    pub exception_type: Option<&'q str>,
    pub team: Option<&'q str>,
    pub location: Option<&'q str>,
    pub sku: Option<&'q str>,
    /// The product's category, or a category above it: `home` takes `Home/Kitchen`.
    pub category: Option<&'q str>,
    pub severity: Option<Severity>,
    pub assignee: Option<&'q str>,
    /// About this document, whatever its case: the exception's reference, or a document its facts name (a
    /// complaint's order, a count's id, a return's order).
    pub document: Option<&'q str>,
    /// Acknowledged (or not) by a person.
    pub acknowledged: Option<bool>,
    /// With a missed acknowledge or resolve target (or none missed).
    pub breached: Option<bool>,
    pub opened_from: Option<Timestamp>,
    pub opened_before: Option<Timestamp>,
    /// Only exceptions at one of these locations (a store user's scope); `None` sees everything.
    pub scope: Option<&'q [String]>,
    pub sort: Sort,
    pub start: PageStart,
    pub limit: usize,
}

/// One page of a query.
#[derive(Debug)]
pub struct ExceptionPage<'a> {
    pub items: Vec<ExceptionView<'a>>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
    /// Where the previous page ends; `None` on the first page.
    pub previous_cursor: Option<Cursor>,
    /// How many exceptions match the filters, over all pages.
    pub total: usize,
    /// How many of them come before this page.
    pub offset: usize,
}

/// The rows a scan kept: the first ones after its cursor in its direction, and what it counted.
struct Scan<'a> {
    /// At most `limit + 1`, in the scan's direction; each with its index in the book.
    rows: Vec<(SortKey<'a>, usize)>,
    total: usize,
    /// Matching rows at or before the cursor, in the scan's direction.
    skipped: usize,
}

impl Engine {
    /// The page of exceptions matching `query`, in its order.
    pub fn query_exceptions(&self, query: &ExceptionQuery<'_>) -> ExceptionPage<'_> {
        let matcher = Matcher::new(self, query);
        let limit = query.limit.max(1);
        let reversed = query.sort.reversed;
        let (after, before) = match &query.start {
            PageStart::First => (None, None),
            PageStart::After(cursor) => (Some(cursor), None),
            PageStart::Before(cursor) => (None, Some(cursor)),
        };
        if let Some(before) = before {
            let scan = self.scan(&matcher, query, Some(before), !reversed, limit);
            if scan.rows.len() > limit {
                let mut rows = scan.rows;
                rows.truncate(limit);
                rows.reverse();
                let offset = scan.total - scan.skipped - limit;
                return self.page(rows, scan.total, offset, scan.skipped > 0);
            }
        }
        let scan = self.scan(&matcher, query, after, reversed, limit);
        let has_more = scan.rows.len() > limit;
        let mut rows = scan.rows;
        rows.truncate(limit);
        self.page(rows, scan.total, scan.skipped, has_more)
    }

    /// The first `limit + 1` matching rows strictly after `after`, in the order `reversed` says.
    fn scan<'a>(
        &'a self,
        matcher: &Matcher<'_>,
        query: &ExceptionQuery<'_>,
        after: Option<&Cursor>,
        reversed: bool,
        limit: usize,
    ) -> Scan<'a> {
        let after = after.map(|cursor| Directed {
            key: cursor.key(),
            reversed,
        });
        // The `limit + 1` first keys after the cursor: one more than the page tells whether another follows.
        let mut first: BinaryHeap<(Directed<'a>, usize)> = BinaryHeap::with_capacity(limit + 2);
        let (mut total, mut skipped) = (0, 0);
        let records = self.state.book.exceptions.records();
        for (index, summary) in self.state.book.exceptions.summaries().iter().enumerate() {
            let record = &records[index];
            if !matcher.matches(summary, record) {
                continue;
            }
            total += 1;
            let key = Directed {
                key: self.sort_key(query.sort.order, index as u64 + 1, summary, record),
                reversed,
            };
            if after.is_some_and(|after| key <= after) {
                skipped += 1;
                continue;
            }
            if first.len() <= limit {
                first.push((key, index));
            } else if first.peek().is_some_and(|(last, _)| key < *last) {
                first.pop();
                first.push((key, index));
            }
        }
        let rows = first
            .into_sorted_vec()
            .into_iter()
            .map(|(directed, index)| (directed.key, index))
            .collect();
        Scan { rows, total, skipped }
    }

    /// A page of `rows` (in page order), `offset` rows after the first match.
    fn page(
        &self,
        rows: Vec<(SortKey<'_>, usize)>,
        total: usize,
        offset: usize,
        more_after: bool,
    ) -> ExceptionPage<'_> {
        let records = self.state.book.exceptions.records();
        ExceptionPage {
            next_cursor: rows.last().filter(|_| more_after).map(|(key, _)| key.to_cursor()),
            previous_cursor: rows.first().filter(|_| offset > 0).map(|(key, _)| key.to_cursor()),
            items: rows
                .iter()
                .map(|(_, index)| self.exception_view(&records[*index]))
                .collect(),
            total,
            offset,
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
/// team, SKU and category filters read the record itself.
struct Matcher<'q> {
    engine: &'q Engine,
    query: &'q ExceptionQuery<'q>,
    exception_types: Option<Vec<TypeRef>>,
    locations: Option<Vec<LocationId>>,
    skus: Option<Vec<SkuId>>,
    /// By SKU id: whether the product is in the category asked for.
    in_category: Option<Vec<bool>>,
    assignees: Option<Vec<u32>>,
    scope: Option<Vec<LocationId>>,
    /// A named type, location, SKU, category or assignee that does not exist: nothing matches.
    impossible: bool,
}

impl<'q> Matcher<'q> {
    fn new(engine: &'q Engine, query: &'q ExceptionQuery<'q>) -> Self {
        let exception_types = query.exception_type.map(|wanted| {
            let custom = (0..engine.config.rules.custom.len()).filter_map(|index| u16::try_from(index).ok());
            let all = crate::rules::ExceptionType::ALL
                .into_iter()
                .map(TypeRef::BuiltIn)
                .chain(custom.map(TypeRef::Custom));
            all.filter(|type_ref| same_text(engine.type_name(*type_ref), wanted))
                .collect()
        });
        let picture = &engine.state.picture;
        let locations = query
            .location
            .map(|wanted| named(picture.locations.len(), |id| picture.locations.name(id), wanted));
        let skus = query
            .sku
            .map(|wanted| named(picture.skus.len(), |id| picture.skus.name(id), wanted));
        let people = engine.state.book.exceptions.people();
        let assignees = query
            .assignee
            .map(|wanted| named(people.len(), |id| people.name(id), wanted));
        let in_category = query.category.map(|wanted| {
            let products = &picture.master.products;
            let in_category: Vec<bool> = products
                .iter()
                .map(|product| {
                    product
                        .as_ref()
                        .is_some_and(|product| in_category(&product.category, wanted))
                })
                .collect();
            in_category
        });
        Self {
            engine,
            query,
            impossible: exception_types.as_ref().is_some_and(Vec::is_empty)
                || locations.as_ref().is_some_and(Vec::is_empty)
                || skus.as_ref().is_some_and(Vec::is_empty)
                || assignees.as_ref().is_some_and(Vec::is_empty)
                || in_category.as_ref().is_some_and(|skus| !skus.contains(&true)),
            exception_types,
            locations,
            skus,
            in_category,
            assignees,
            scope: query
                .scope
                .map(|codes| codes.iter().filter_map(|code| engine.location_id(code)).collect()),
        }
    }

    fn matches(&self, summary: &ExceptionSummary, record: &ExceptionRecord) -> bool {
        !self.impossible && self.summary_matches(summary) && self.record_matches(record)
    }

    /// The filters on what a summary holds, first: they read no record.
    fn summary_matches(&self, summary: &ExceptionSummary) -> bool {
        let query = self.query;
        let status_matches = match query.status {
            StatusFilter::Active => summary.status.is_active(),
            StatusFilter::All => true,
            StatusFilter::Closed => !summary.status.is_active(),
            StatusFilter::Exactly(status) => summary.status == status,
        };
        let listed = |wanted: &Option<Vec<LocationId>>| {
            wanted
                .as_ref()
                .is_none_or(|wanted| summary.location.is_some_and(|location| wanted.contains(&location)))
        };
        status_matches
            && listed(&self.locations)
            && listed(&self.scope)
            && self
                .exception_types
                .as_ref()
                .is_none_or(|wanted| wanted.contains(&summary.exception_type))
            && query.severity.is_none_or(|severity| summary.severity == severity)
            && query.opened_from.is_none_or(|from| summary.opened_at >= from)
            && query.opened_before.is_none_or(|before| summary.opened_at < before)
            && query.acknowledged.is_none_or(|wanted| summary.acknowledged == wanted)
            && query.breached.is_none_or(|wanted| summary.breached == wanted)
            && self
                .assignees
                .as_ref()
                .is_none_or(|wanted| summary.assignee.is_some_and(|person| wanted.contains(&person)))
    }

    fn record_matches(&self, record: &ExceptionRecord) -> bool {
        self.query.team.is_none_or(|team| same_text(&record.team, team))
            && (self.query.document).is_none_or(|number| self.engine.is_about_document(record, number))
            && self
                .skus
                .as_ref()
                .is_none_or(|wanted| record.sku.is_some_and(|sku| wanted.contains(&sku)))
            && self.in_category.as_ref().is_none_or(|in_category| {
                record
                    .sku
                    .is_some_and(|sku| in_category.get(sku as usize).copied().unwrap_or(false))
            })
    }
}

/// The ids among `count` whose name is `wanted`, whatever its case.
fn named<'n>(count: usize, name: impl Fn(u32) -> &'n str, wanted: &str) -> Vec<u32> {
    (0..count)
        .filter_map(|id| u32::try_from(id).ok())
        .filter(|id| same_text(name(*id), wanted))
        .collect()
}

/// The same text whatever its case.
fn same_text(text: &str, wanted: &str) -> bool {
    text.eq_ignore_ascii_case(wanted)
        || (!text.is_ascii() || !wanted.is_ascii()) && text.to_lowercase() == wanted.to_lowercase()
}

/// Whether a category (`Home/Kitchen`) is `wanted` or under it (`home`), whatever the case.
fn in_category(category: &str, wanted: &str) -> bool {
    let levels = category.match_indices('/').map(|(at, _)| at).chain([category.len()]);
    levels.map(|end| &category[..end]).any(|level| same_text(level, wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whatever_their_case() {
        assert!(same_text("S1", "s1"));
        assert!(same_text("Épicerie", "éPICERIE"));
        assert!(!same_text("S1", "S10"));
    }

    #[test]
    fn a_category_takes_the_categories_below_it() {
        assert!(in_category("Home/Kitchen", "home"));
        assert!(in_category("Home/Kitchen", "HOME/kitchen"));
        assert!(!in_category("Home/Kitchen", "kitchen"));
        assert!(!in_category("Homeware", "home"));
        assert!(!in_category("Home/Kitchen", "home/"));
    }
}
