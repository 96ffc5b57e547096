//! The queue as a CSV file: every exception its view, filters and order select (not one page), for a
//! spreadsheet or a meeting. Codes and the names people read are separate columns; instants are RFC 3339 in UTC,
//! as the API writes them; a text cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`) starts with
//! `'`, so an export from a product or team name cannot run anything.

use axum::response::Response;
use retex_core::display;
use retex_core::engine::{Engine, ExceptionQuery, ExceptionView};

use super::page::{csv_attachment, named_place};
use crate::error::{Failure, FailureKind, Outcome};

/// Rows an export holds at most; a larger selection is refused with a request to narrow it.
pub(super) const EXPORT_ROWS_MAX: usize = 100_000;

const COLUMNS: [&str; 22] = [
    "id",
    "type",
    "category",
    "severity",
    "status",
    "location",
    "sku",
    "ref",
    "place",
    "impact",
    "currency",
    "team",
    "assignee",
    "opened_at",
    "ack_due",
    "resolve_due",
    "acknowledged_at",
    "resolved_at",
    "breached",
    "escalation_level",
    "root_cause",
    "link",
];

/// Every exception `query` selects, as an attachment named `file_name`.
pub(super) fn queue_csv(engine: &Engine, query: &ExceptionQuery<'_>, file_name: &str) -> Outcome<Response> {
    let query = ExceptionQuery {
        limit: EXPORT_ROWS_MAX,
        ..query.clone()
    };
    let page = engine.query_exceptions(&query);
    if page.total > EXPORT_ROWS_MAX {
        return Err(Failure::new(
            FailureKind::Unprocessable,
            format!(
                "the filters select {} exceptions; an export holds at most {}: narrow them",
                display::count(page.total as u64),
                display::count(EXPORT_ROWS_MAX as u64)
            ),
        ));
    }
    let body = csv_rows(engine, &page.items).map_err(|error| Failure::internal("write the export", &error))?;
    Ok(csv_attachment(file_name, body))
}

/// The header and a row per exception.
fn csv_rows(engine: &Engine, items: &[ExceptionView<'_>]) -> csv::Result<Vec<u8>> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(COLUMNS)?;
    for view in items {
        let record = engine.exception_record(view.id).expect("listed");
        let breached = if view.ack_breached || view.resolve_breached {
            "yes"
        } else {
            "no"
        };
        csv.write_record([
            view.id.to_string().as_str(),
            view.exception_type,
            view.category,
            view.severity,
            view.status,
            &text_cell(view.location.unwrap_or("")),
            &text_cell(view.sku.unwrap_or("")),
            &text_cell(view.reference.unwrap_or("")),
            &text_cell(&named_place(engine, record)),
            &view.impact.to_string(),
            engine.currency(),
            &text_cell(view.team),
            &text_cell(view.assignee.unwrap_or("")),
            &view.opened_at,
            &view.ack_due,
            &view.resolve_due,
            view.acknowledged_at.as_deref().unwrap_or(""),
            view.resolved_at.as_deref().unwrap_or(""),
            breached,
            &view.escalation_level.to_string(),
            view.root_cause.unwrap_or(""),
            &format!("/exceptions/{}", view.id),
        ])?;
    }
    csv.into_inner().map_err(|error| error.into_error().into())
}

/// A text cell as a spreadsheet should show it: one that would start a formula gets a leading `'`.
fn text_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::text_cell;

    #[test]
    fn a_cell_that_would_be_a_formula_is_kept_as_text() {
        assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text_cell("-1+2"), "'-1+2");
        assert_eq!(text_cell("store S001"), "store S001");
        assert_eq!(text_cell(""), "");
    }
}
