//! Bulk actions from the queue: acknowledge, assign, snooze or resolve the selected rows. Each row's command goes
//! through the same checks and log as one sent from the exception's page (one log entry each, by
//! [`crate::bulk`]); the queue comes back with a notice that counts what was done and names each refusal: `3
//! acknowledged; #12 refused: already acknowledged by ann at ...`.

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
    let now = state.read(move |engine| Ok(clock.now_datetime(engine))).await?;
    let action = form.to_action(now)?;
    let report = state.act_on_each(&user.principal, &ids, &action, None).await;
    Ok(report.notice(&done_words(&action)))
}

/// The selected rows, each once, in the order sent.
pub(super) fn selected(pairs: &[(String, String)]) -> Outcome<Vec<u64>> {
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
pub(super) fn done_words(action: &Action) -> String {
    match action {
        Action::Acknowledge => "acknowledged".to_owned(),
        Action::Assign { assignee } => format!("assigned to {assignee}"),
        Action::Snooze { until } => format!("snoozed until {}", until.format("%Y-%m-%d %H:%M")),
        Action::Resolve { .. } => "resolved".to_owned(),
        other => format!("{} done", other.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_form_comes_back_to_the_queue_only() {
        let back = |path: &str| back_to(&[("back".to_owned(), path.to_owned())]);
        assert_eq!(back("/queue?view=mine&sort=type"), "/queue?view=mine&sort=type");
        assert_eq!(back("//evil.example/queue"), "/queue");
        assert_eq!(back("/queueing"), "/queue");
        assert_eq!(back_to(&[]), "/queue");
    }
}
