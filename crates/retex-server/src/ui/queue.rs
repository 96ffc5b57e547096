//! The queue: the active exceptions a person works through, on saved views (mine, my team, my store, breached,
//! everything), filtered by any column, sorted by any column either way, paged with totals, and with checkboxes
//! for the bulk actions of [`super::bulk`]. Every state of the page is its URL, so a view can be bookmarked and
//! a bulk action comes back to the same rows.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use retex_core::codes::Timestamp;
use retex_core::command::RootCause;
use retex_core::display;
use retex_core::engine::{
    Cursor, Engine, ExceptionOrder, ExceptionPage, ExceptionQuery, ExceptionView, PageStart, Sort,
};
use serde::Deserialize;

use super::page::{PageUser, UserBar, named_place, non_empty, page, page_at_clock, place, url_encode};
use super::queue_address::{FilterForm, Filters, QueueFilters, QueueView, filter_form};
use super::queue_export::queue_csv;
use crate::auth::Principal;
use crate::error::Outcome;
use crate::params::{empty_as_none, opened_before_age};
use crate::state::AppState;

/// Rows per queue page.
pub(super) const QUEUE_PAGE_ROWS: usize = 100;

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    user: Option<UserBar>,
    notice: Option<String>,
    tabs: Vec<Link>,
    view: &'static str,
    /// The filter form's fields, as they are now.
    form: FilterForm,
    /// The filters in force, each a link to the queue without it.
    chips: Vec<Link>,
    /// The queue without any filter, when some are in force.
    clear: Option<String>,
    headers: Vec<Header>,
    sorts: Vec<SortChoice>,
    /// "1–100 of 1,351".
    showing: String,
    /// The same selection, every row, as a CSV file.
    csv_href: String,
    sorted_by: &'static str,
    rows: Vec<QueueRow>,
    first_page: Option<String>,
    previous_page: Option<String>,
    next_page: Option<String>,
    can_act: bool,
    csrf: String,
    /// This page's address, where a bulk action comes back to.
    here: String,
    root_causes: &'static [&'static str],
}

struct Link {
    label: String,
    href: String,
    current: bool,
}

/// A column's header: a link that sorts by it, and again to reverse.
struct Header {
    label: &'static str,
    class: &'static str,
    href: String,
    /// `ascending` or `descending` when the page is sorted by this column.
    aria_sort: Option<&'static str>,
    /// ` ▲` or ` ▼` likewise.
    arrow: &'static str,
}

struct SortChoice {
    name: String,
    label: &'static str,
    selected: bool,
}

struct QueueRow {
    id: u64,
    exception_type: String,
    place: String,
    severity: &'static str,
    impact: String,
    age: String,
    due: String,
    overdue: bool,
    status: &'static str,
    acknowledged_by: Option<String>,
    assignee: String,
}

/// A sortable column: its order, whether that order shows the column's values ascending, and the order in words
/// each way.
struct Column {
    label: &'static str,
    class: &'static str,
    order: ExceptionOrder,
    ascending: bool,
    words: &'static str,
    reversed_words: &'static str,
}

const COLUMNS: [Column; 9] = [
    Column::new(
        "#",
        "id",
        ExceptionOrder::Newest,
        false,
        "number, highest first",
        "number, lowest first",
    ),
    Column::new(
        "Type",
        "type",
        ExceptionOrder::Type,
        true,
        "type, A to Z",
        "type, Z to A",
    ),
    Column::new(
        "Where",
        "place",
        ExceptionOrder::Place,
        true,
        "place, A to Z",
        "place, Z to A",
    ),
    Column::new(
        "Severity",
        "severity",
        ExceptionOrder::Severity,
        false,
        "severity, highest first",
        "severity, lowest first",
    ),
    Column::new(
        "Impact",
        "num",
        ExceptionOrder::Impact,
        false,
        "impact, largest first",
        "impact, smallest first",
    ),
    Column::new(
        "Age",
        "age",
        ExceptionOrder::Opened,
        false,
        "age, oldest first",
        "age, newest first",
    ),
    Column::new(
        "Due",
        "due",
        ExceptionOrder::SlaRisk,
        true,
        "due, soonest first",
        "due, latest first",
    ),
    Column::new(
        "Status",
        "status",
        ExceptionOrder::Status,
        true,
        "status, open first",
        "status, waiting first",
    ),
    Column::new(
        "Assignee",
        "assignee",
        ExceptionOrder::Assignee,
        true,
        "assignee, unassigned first",
        "assignee, Z to A",
    ),
];

impl Column {
    const fn new(
        label: &'static str,
        class: &'static str,
        order: ExceptionOrder,
        ascending: bool,
        words: &'static str,
        reversed_words: &'static str,
    ) -> Self {
        Self {
            label,
            class,
            order,
            ascending,
            words,
            reversed_words,
        }
    }

    fn words(&self, reversed: bool) -> &'static str {
        if reversed { self.reversed_words } else { self.words }
    }
}

/// The queue's order unless the address names one: next due first.
const DEFAULT_SORT: Sort = Sort::new(ExceptionOrder::SlaRisk);

/// The queue's address: its view, order, filters, and where the page starts.
#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    #[serde(default, deserialize_with = "empty_as_none")]
    view: Option<QueueView>,
    #[serde(default, deserialize_with = "empty_as_none")]
    sort: Option<Sort>,
    #[serde(flatten)]
    filters: QueueFilters,
    cursor: Option<String>,
    before: Option<String>,
    notice: Option<String>,
    /// `csv`: every row the view, filters and order select, as a file.
    #[serde(default, deserialize_with = "empty_as_none")]
    format: Option<QueueFormat>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum QueueFormat {
    Html,
    Csv,
}

/// The queue's address for a view, order and filters, from the first page.
fn queue_href(view: QueueView, sort: Sort, filters: &str) -> String {
    format!("/queue?view={}&sort={}{filters}", view.name(), url_encode(&sort.name()))
}

/// The queue's tabs, each keeping the order and the filters it does not fix.
fn tabs(principal: &Principal, current: QueueView, sort: Sort, filters: &Filters) -> Vec<Link> {
    let mut views = vec![(QueueView::Mine, "Mine")];
    if principal.team.is_some() {
        views.push((QueueView::Team, "My team"));
    }
    match principal.scope.as_deref() {
        Some([_]) => views.push((QueueView::Store, "My store")),
        Some(_) => views.push((QueueView::Store, "My stores")),
        None => {}
    }
    views.push((QueueView::Breached, "Breached"));
    if principal.scope.is_none() {
        views.push((QueueView::All, "Everything"));
    }
    let fixed = |view: QueueView| match view {
        QueueView::Mine => Some("assignee"),
        QueueView::Team => Some("team"),
        _ => None,
    };
    views
        .into_iter()
        .map(|(view, label)| Link {
            label: label.to_owned(),
            href: queue_href(view, sort, &filters.encoded_without(fixed(view))),
            current: view == current,
        })
        .collect()
}

/// The view a person lands on: their team's, else their store's, else everything.
fn default_view(principal: &Principal) -> QueueView {
    if principal.team.is_some() {
        QueueView::Team
    } else if principal.scope.is_some() {
        QueueView::Store
    } else {
        QueueView::All
    }
}

fn headers(view: QueueView, sort: Sort, filters: &str) -> Vec<Header> {
    let header = |column: &Column| {
        let current = column.order == sort.order;
        let next = if current {
            sort.toggled()
        } else {
            Sort::new(column.order)
        };
        let ascending = column.ascending != sort.reversed;
        Header {
            label: column.label,
            class: column.class,
            href: queue_href(view, next, filters),
            aria_sort: current.then_some(if ascending { "ascending" } else { "descending" }),
            arrow: match (current, ascending) {
                (false, _) => "",
                (true, true) => " ▲",
                (true, false) => " ▼",
            },
        }
    };
    COLUMNS.iter().map(header).collect()
}

fn sort_choices(sort: Sort) -> Vec<SortChoice> {
    let mut choices = Vec::with_capacity(2 * COLUMNS.len());
    for column in &COLUMNS {
        for reversed in [false, true] {
            let choice = Sort {
                order: column.order,
                reversed,
            };
            choices.push(SortChoice {
                name: choice.name(),
                label: column.words(reversed),
                selected: choice == sort,
            });
        }
    }
    choices
}

/// How a sort reads: "due, soonest first".
fn sorted_by(sort: Sort) -> &'static str {
    COLUMNS
        .iter()
        .find(|column| column.order == sort.order)
        .map_or("number, lowest first", |column| column.words(sort.reversed))
}

fn queue_row(engine: &Engine, exception: &ExceptionView<'_>, now_ms: i64) -> QueueRow {
    let summary = engine.exception_summary(exception.id).expect("listed");
    let (due, overdue) = relative(summary.next_due.0, now_ms);
    QueueRow {
        id: exception.id,
        exception_type: exception.exception_type.to_owned(),
        place: engine
            .exception_record(exception.id)
            .map_or_else(|| place(exception), |record| named_place(engine, record)),
        severity: exception.severity,
        impact: engine.money_text(exception.impact),
        age: span((now_ms - summary.opened_at.0).max(0) / 60_000),
        due,
        overdue,
        status: exception.status,
        acknowledged_by: exception.acknowledged_by.map(str::to_owned),
        assignee: exception.assignee.unwrap_or("").to_owned(),
    }
}

/// A span of minutes in words, to the nearest hour or day: "45 min", "3 h", "2 d".
fn span(minutes: i64) -> String {
    match minutes.abs() {
        m if m < 90 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h", (m + 30) / 60),
        m => format!("{} d", (m + 12 * 60) / (24 * 60)),
    }
}

/// "in 3 h" or "overdue 2 d": how far a due time is from now.
fn relative(due_ms: i64, now_ms: i64) -> (String, bool) {
    let minutes = (due_ms - now_ms) / 60_000;
    if minutes >= 0 {
        (format!("in {}", span(minutes)), false)
    } else {
        (format!("overdue {}", span(minutes)), true)
    }
}

/// A count with thousands separated: 1,351.
fn thousands(count: usize) -> String {
    display::count(count as u64)
}

/// "1–100 of 1,351".
fn showing(result: &ExceptionPage<'_>) -> String {
    range_text(result.offset, result.items.len(), result.total)
}

/// Where a page of `shown` rows after the first `offset` is among `total`: "101–200 of 1,351", "0 of 0".
pub(super) fn range_text(offset: usize, shown: usize, total: usize) -> String {
    if shown == 0 {
        return format!("0 of {}", thousands(total));
    }
    format!(
        "{}–{} of {}",
        thousands(offset + 1),
        thousands(offset + shown),
        thousands(total)
    )
}

/// The engine query for a view and filters at `now`.
fn engine_query<'q>(
    principal: &'q Principal,
    view: QueueView,
    filters: &'q Filters,
    sort: Sort,
    start: PageStart,
    now: Timestamp,
) -> Outcome<ExceptionQuery<'q>> {
    let opened_before = filters
        .get("older_than")
        .map(|age| opened_before_age("older_than", age, now))
        .transpose()?;
    Ok(ExceptionQuery {
        status: filters.status,
        exception_type: filters.get("type"),
        location: filters.get("location"),
        sku: filters.get("sku"),
        category: filters.get("category"),
        document: filters.get("document"),
        severity: filters.severity,
        acknowledged: filters.acknowledged,
        assignee: match view {
            QueueView::Mine => Some(principal.name.as_str()),
            _ => filters.get("assignee"),
        },
        team: match view {
            QueueView::Team => principal.team.as_deref(),
            _ => filters.get("team"),
        },
        breached: (view == QueueView::Breached).then_some(true),
        opened_before,
        scope: principal.scope.as_deref(),
        sort,
        start,
        limit: QUEUE_PAGE_ROWS,
        ..ExceptionQuery::default()
    })
}

pub(super) async fn queue(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    query: Result<Query<QueueQuery>, QueryRejection>,
) -> Response {
    page_at_clock(state, query, move |engine, now, query| {
        queue_page(engine, &user, &query, now)
    })
    .await
}

fn queue_page(engine: &Engine, user: &PageUser, query: &QueueQuery, now: Timestamp) -> Outcome<Response> {
    let principal = &user.principal;
    // Everything a person limited to some locations sees is their store; one who is not has no store view.
    let view = match (query.view.unwrap_or_else(|| default_view(principal)), &principal.scope) {
        (QueueView::All, Some(_)) => QueueView::Store,
        (QueueView::Store, None) => QueueView::All,
        (view, _) => view,
    };
    let sort = query.sort.unwrap_or(DEFAULT_SORT);
    let filters = query.filters.read(view)?;
    if query.format == Some(QueueFormat::Csv) {
        let everything = engine_query(principal, view, &filters, sort, PageStart::First, now)?;
        let file_name = format!("retex-queue-{}.csv", now.to_rfc3339().get(..10).unwrap_or("export"));
        return queue_csv(engine, &everything, &file_name);
    }
    let start = match (
        non_empty(&query.cursor).and_then(Cursor::decode),
        non_empty(&query.before).and_then(Cursor::decode),
    ) {
        (Some(after), _) => PageStart::After(after),
        (None, Some(before)) => PageStart::Before(before),
        (None, None) => PageStart::First,
    };
    let here_start = match &start {
        PageStart::First => String::new(),
        PageStart::After(cursor) => format!("&cursor={}", cursor.encode()),
        PageStart::Before(cursor) => format!("&before={}", cursor.encode()),
    };
    let result = engine.query_exceptions(&engine_query(principal, view, &filters, sort, start, now)?);
    let encoded = filters.encoded_without(None);
    let first = queue_href(view, sort, &encoded);
    page(&QueuePage {
        user: UserBar::of(user),
        notice: query.notice.clone(),
        tabs: tabs(principal, view, sort, &filters),
        view: view.name(),
        form: filter_form(&filters, view),
        chips: filters
            .set
            .iter()
            .map(|(name, value)| Link {
                label: format!("{name}: {value}"),
                href: queue_href(view, sort, &filters.encoded_without(Some(name))),
                current: false,
            })
            .collect(),
        clear: (!filters.set.is_empty()).then(|| queue_href(view, sort, "")),
        headers: headers(view, sort, &encoded),
        sorts: sort_choices(sort),
        showing: showing(&result),
        csv_href: format!("{first}&format=csv"),
        sorted_by: sorted_by(sort),
        rows: result
            .items
            .iter()
            .map(|exception| queue_row(engine, exception, now.0))
            .collect(),
        first_page: (result.offset > 0).then(|| first.clone()),
        previous_page: result
            .previous_cursor
            .map(|cursor| format!("{first}&before={}", cursor.encode())),
        next_page: result
            .next_cursor
            .map(|cursor| format!("{first}&cursor={}", cursor.encode())),
        can_act: principal.role.can_act(),
        csrf: user.csrf.clone(),
        here: format!("{first}{here_start}"),
        root_causes: &RootCause::NAMES,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_spans_read_as_people_write_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_351), "1,351");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(span(45), "45 min");
        assert_eq!(span(89), "89 min");
        assert_eq!(span(90), "2 h", "past the minutes, to the nearest hour");
        assert_eq!(span(3 * 60 + 20), "3 h");
        assert_eq!(span(60 * 60), "3 d", "two and a half days");
        assert_eq!(relative(0, 2 * 60_000), ("overdue 2 min".to_owned(), true));
    }

    #[test]
    fn every_order_but_oldest_has_a_column() {
        for order in ExceptionOrder::ALL {
            let has_column = COLUMNS.iter().any(|column| column.order == order);
            assert_eq!(has_column, order != ExceptionOrder::Oldest, "{order}");
        }
    }
}
