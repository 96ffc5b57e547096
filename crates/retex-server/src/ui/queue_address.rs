//! The queue's address, less its order and page: the view (a saved tab) and the filters, read and checked, and
//! the filter form that shows them.

use std::fmt::Write;

use retex_core::engine::StatusFilter;
use retex_core::rules::{ExceptionType, Severity};
use serde::Deserialize;

use super::page::{non_empty, url_encode};
use crate::error::{Failure, Outcome};

retex_core::wire_names! {
    /// Which exceptions a queue tab shows.
    pub(super) enum QueueView {
        /// Assigned to the person.
        Mine = "mine",
        /// Their team's.
        Team = "team",
        /// At the locations they are limited to.
        Store = "store",
        /// With a missed acknowledge or resolve target.
        Breached = "breached",
        /// Everything they may see.
        All = "all",
    }
}

/// The filters of the queue's address; text ones match whatever their case.
#[derive(Deserialize, Default)]
pub(super) struct QueueFilters {
    #[serde(rename = "type")]
    exception_type: Option<String>,
    location: Option<String>,
    sku: Option<String>,
    category: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    acknowledged: Option<String>,
    assignee: Option<String>,
    team: Option<String>,
    older_than: Option<String>,
    document: Option<String>,
}

/// The filters read and checked.
pub(super) struct Filters {
    /// In the form's order, as (parameter, value), each with something in it.
    pub(super) set: Vec<(&'static str, String)>,
    pub(super) severity: Option<Severity>,
    pub(super) status: StatusFilter,
    pub(super) acknowledged: Option<bool>,
}

impl QueueFilters {
    /// The filters in force under `view`, which fixes the assignee (mine) or the team (my team).
    pub(super) fn read(&self, view: QueueView) -> Outcome<Filters> {
        let text = |value: &Option<String>| non_empty(value).map(|value| value.trim().to_owned());
        let severity = text(&self.severity)
            .map(|name| Severity::from_name(&name).ok_or_else(|| unknown("severity", &name)))
            .transpose()?;
        let status = text(&self.status)
            .map(|name| StatusFilter::from_name(&name).ok_or_else(|| unknown("status", &name)))
            .transpose()?
            .unwrap_or_default();
        let acknowledged = match text(&self.acknowledged).as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => return Err(unknown("acknowledged", other)),
        };
        let older_than = text(&self.older_than).map(|age| age.to_ascii_lowercase().replace(' ', ""));
        let set = [
            ("document", text(&self.document)),
            ("type", text(&self.exception_type)),
            ("location", text(&self.location)),
            ("sku", text(&self.sku)),
            ("category", text(&self.category)),
            ("severity", severity.map(|severity| severity.name().to_owned())),
            (
                "status",
                (status != StatusFilter::Active).then(|| status.name().to_owned()),
            ),
            (
                "acknowledged",
                acknowledged.map(|acknowledged| acknowledged.to_string()),
            ),
            ("assignee", text(&self.assignee).filter(|_| view != QueueView::Mine)),
            ("team", text(&self.team).filter(|_| view != QueueView::Team)),
            ("older_than", older_than),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect();
        Ok(Filters {
            set,
            severity,
            status,
            acknowledged,
        })
    }
}

fn unknown(field: &str, value: &str) -> Failure {
    Failure::bad_request(format!("{field}: {value:?} is not one of the choices"))
}

impl Filters {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.set
            .iter()
            .find(|(set, _)| *set == name)
            .map(|(_, value)| value.as_str())
    }

    /// The filters but one, as a query string.
    pub(super) fn encoded_without(&self, left_out: Option<&str>) -> String {
        let mut text = String::new();
        for (name, value) in self.set.iter().filter(|(name, _)| Some(*name) != left_out) {
            let _ = write!(text, "&{name}={}", url_encode(value));
        }
        text
    }
}

/// What the filter form shows.
pub(super) struct FilterForm {
    pub(super) document: String,
    pub(super) exception_type: String,
    pub(super) type_names: Vec<&'static str>,
    pub(super) location: String,
    pub(super) sku: String,
    pub(super) category: String,
    pub(super) severities: Vec<(&'static str, bool)>,
    pub(super) statuses: Vec<(&'static str, bool)>,
    pub(super) acknowledged: &'static str,
    pub(super) assignee: String,
    pub(super) team: String,
    pub(super) older_than: String,
    /// Shown open when a filter is in force.
    pub(super) open: bool,
    /// The view fixes the assignee (mine) or the team (my team): that field is not offered.
    pub(super) assignee_fixed: bool,
    pub(super) team_fixed: bool,
}

pub(super) fn filter_form(filters: &Filters, view: QueueView) -> FilterForm {
    let text = |name: &str| filters.get(name).unwrap_or("").to_owned();
    FilterForm {
        document: text("document"),
        exception_type: text("type"),
        type_names: ExceptionType::ALL.iter().map(|kind| kind.name()).collect(),
        location: text("location"),
        sku: text("sku"),
        category: text("category"),
        severities: Severity::ALL
            .iter()
            .map(|choice| (choice.name(), filters.severity == Some(*choice)))
            .collect(),
        statuses: StatusFilter::names()
            .map(|name| (name, filters.status.name() == name))
            .collect(),
        acknowledged: filters
            .acknowledged
            .map_or("", |yes| if yes { "true" } else { "false" }),
        assignee: text("assignee"),
        team: text("team"),
        older_than: text("older_than"),
        open: !filters.set.is_empty(),
        assignee_fixed: view == QueueView::Mine,
        team_fixed: view == QueueView::Team,
    }
}
