//! Bulk actions from the queue: acknowledge, assign, snooze or resolve the selected rows. Each row's command goes
//! through the same checks and log as one sent from the exception's page (one log entry each); the queue comes
//! back with a notice that counts what was done and names each refusal: `3 acknowledged; #12 refused: already
//! acknowledged by ann at ...`.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{RawForm, State};
use axum::response::Response;
use retex_core::command::{Action, ActionKind};

use super::exception::ActForm;
use super::page::{PageUser, back_with_notice, check_csrf, error_page};
use super::queue::QUEUE_PAGE_ROWS;
use crate::error::{Failure, FailureKind, Outcome};
use crate::scope::require_act;
use crate::state::AppState;

/// The most rows one bulk action takes: a queue page.
const BULK_ROWS_MAX: usize = QUEUE_PAGE_ROWS;
/// Reasons for refusal the notice names; rows refused for others are only counted.
const REASONS_NAMED_MAX: usize = 5;
/// What the queue offers for selected rows.
const BULK_ACTIONS: [ActionKind; 4] = [
    ActionKind::Acknowledge,
    ActionKind::Assign,
    ActionKind::Snooze,
    ActionKind::Resolve,
];

/// The bulk form: the exception page's fields for the action, the CSRF token, every selected row as `id`, and
/// the queue's address to come back to as `back`.
pub(super) async fn act_on_selected(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    RawForm(body): RawForm,
) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let back = back_to(&pairs);
    match act_on_each(&state, &user, &body, &pairs).await {
        Ok(notice) => back_with_notice(&back, &notice),
        Err(failure)
            if matches!(
                failure.kind,
                FailureKind::BadRequest | FailureKind::Conflict | FailureKind::Unprocessable
            ) =>
        {
            back_with_notice(&back, &failure.message)
        }
        Err(failure) => error_page(&failure),
    }
}

/// The queue's address the form came from, or the queue's first page: never another site or page.
fn back_to(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .find(|(name, _)| name == "back")
        .map(|(_, path)| path.as_str())
        .filter(|path| *path == "/queue" || path.starts_with("/queue?"))
        .unwrap_or("/queue")
        .to_owned()
}

async fn act_on_each(
    state: &Arc<AppState>,
    user: &PageUser,
    body: &[u8],
    pairs: &[(String, String)],
) -> Outcome<String> {
    let form: ActForm = serde_urlencoded::from_bytes(body).map_err(|error| Failure::bad_request(error.to_string()))?;
    check_csrf(user, &form.csrf)?;
    require_act(&user.principal)?;
    if !BULK_ACTIONS.contains(&form.action) {
        return Err(Failure::bad_request(format!(
            "action: {} is not offered for selected rows",
            form.action
        )));
    }
    let ids = selected(pairs)?;
    let clock = Arc::clone(state);
    let now = state.read(move |live| Ok(clock.now_datetime(live.engine()))).await?;
    let action = form.to_action(now)?;
    let mut report = BulkReport::default();
    for id in ids {
        match state.act(&user.principal, id, action.clone(), None).await {
            Ok(_) => report.done += 1,
            Err(failure) => report.refuse(id, action.name(), &failure.message),
        }
    }
    Ok(report.notice(&done_words(&action)))
}

/// The selected rows, each once, in the order sent.
fn selected(pairs: &[(String, String)]) -> Outcome<Vec<u64>> {
    let mut ids = Vec::new();
    for (_, value) in pairs.iter().filter(|(name, _)| name == "id") {
        let id: u64 = value
            .parse()
            .map_err(|_| Failure::bad_request(format!("id: {value:?} is not an exception number")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(Failure::bad_request("select at least one row"));
    }
    if ids.len() > BULK_ROWS_MAX {
        return Err(Failure::bad_request(format!(
            "{} rows selected: at most {BULK_ROWS_MAX} at once",
            ids.len()
        )));
    }
    Ok(ids)
}

/// What an action did, in the notice's words: `acknowledged`, `assigned to ann`.
fn done_words(action: &Action) -> String {
    match action {
        Action::Acknowledge => "acknowledged".to_owned(),
        Action::Assign { assignee } => format!("assigned to {assignee}"),
        Action::Snooze { until } => format!("snoozed until {}", until.format("%Y-%m-%d %H:%M")),
        Action::Resolve { .. } => "resolved".to_owned(),
        other => format!("{} done", other.name()),
    }
}

/// How many rows a bulk action did, and the rows refused for each reason, reasons in order of first refusal.
#[derive(Default)]
struct BulkReport {
    done: usize,
    refused: Vec<(String, Vec<u64>)>,
}

impl BulkReport {
    fn refuse(&mut self, id: u64, action: &str, message: &str) {
        // The notice names the action and the row once, so a reason drops its own mention of them.
        let reason = message.strip_prefix(&format!("{action} refused: ")).unwrap_or(message);
        let reason = reason.strip_prefix(&format!("exception {id}: ")).unwrap_or(reason);
        match self.refused.iter_mut().find(|(known, _)| known == reason) {
            Some((_, ids)) => ids.push(id),
            None => self.refused.push((reason.to_owned(), vec![id])),
        }
    }

    fn notice(&self, done_words: &str) -> String {
        let mut notice = format!("{} {done_words}", self.done);
        for (reason, ids) in self.refused.iter().take(REASONS_NAMED_MAX) {
            let rows: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
            let _ = write!(notice, "; {} refused: {reason}", rows.join(", "));
        }
        let unnamed: usize = self
            .refused
            .iter()
            .skip(REASONS_NAMED_MAX)
            .map(|(_, ids)| ids.len())
            .sum();
        if unnamed > 0 {
            let _ = write!(notice, "; {unnamed} more refused");
        }
        notice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_counts_what_was_done_and_names_each_reason_once() {
        let mut report = BulkReport {
            done: 3,
            ..BulkReport::default()
        };
        report.refuse(
            12,
            "acknowledge",
            "acknowledge refused: exception 12: already acknowledged by ann at 2026-11-02T10:00:00Z",
        );
        report.refuse(14, "acknowledge", "exception 14 is outside the locations sam may see");
        report.refuse(15, "acknowledge", "exception 15 is outside the locations sam may see");
        assert_eq!(
            report.notice("acknowledged"),
            "3 acknowledged; #12 refused: already acknowledged by ann at 2026-11-02T10:00:00Z; \
             #14 refused: exception 14 is outside the locations sam may see; \
             #15 refused: exception 15 is outside the locations sam may see"
        );
        let mut unknown_user = BulkReport::default();
        for id in [1, 2] {
            unknown_user.refuse(id, "assign", "assign refused: no user bob");
        }
        assert_eq!(
            unknown_user.notice("assigned to bob"),
            "0 assigned to bob; #1, #2 refused: no user bob"
        );
    }

    #[test]
    fn a_bulk_form_comes_back_to_the_queue_only() {
        let back = |path: &str| back_to(&[("back".to_owned(), path.to_owned())]);
        assert_eq!(back("/queue?view=mine&sort=type"), "/queue?view=mine&sort=type");
        assert_eq!(back("//evil.example/queue"), "/queue");
        assert_eq!(back("/queueing"), "/queue");
        assert_eq!(back_to(&[]), "/queue");
    }
}
