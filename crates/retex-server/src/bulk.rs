//! One command on many exceptions at once: the queue's selected rows, an incident's active members. Each
//! exception's command goes through the same checks and log as one sent from its own page (one log entry each),
//! so one refusal stops nothing else; the [`BulkReport`] says which were done and why each other one was refused,
//! as the API answers it and as a page's notice words it (`3 acknowledged; #12 refused: already acknowledged by
//! ann at ...`).

use std::fmt::Write;
use std::sync::Arc;

use retex_core::command::Action;
use retex_core::engine::Engine;
use serde::Serialize;

use crate::auth::Principal;
use crate::error::{Failure, FailureKind, Outcome};
use crate::scope::{require_act, visible_incident};
use crate::state::AppState;

/// The most members of an incident one action takes: each is a log entry of its own.
pub const INCIDENT_MEMBERS_MAX: usize = 500;
/// Reasons for refusal a notice names; exceptions refused for others are only counted.
const REASONS_NAMED_MAX: usize = 5;

/// What one command on many exceptions did.
#[derive(Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BulkReport {
    /// The exceptions it was logged for (or had been, under the same idempotency key), in the order asked.
    pub done: Vec<u64>,
    /// The others, by reason, reasons in order of first refusal.
    pub refused: Vec<BulkRefusal>,
}

/// Exceptions refused for one reason.
#[derive(Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct BulkRefusal {
    pub reason: String,
    pub exceptions: Vec<u64>,
}

impl BulkReport {
    fn refuse(&mut self, id: u64, action: &str, message: &str) {
        // The report names the action and the exception, so a reason drops its own mention of them.
        let reason = message.strip_prefix(&format!("{action} refused: ")).unwrap_or(message);
        let reason = reason.strip_prefix(&format!("exception {id}: ")).unwrap_or(reason);
        match self.refused.iter_mut().find(|refusal| refusal.reason == reason) {
            Some(refusal) => refusal.exceptions.push(id),
            None => self.refused.push(BulkRefusal {
                reason: reason.to_owned(),
                exceptions: vec![id],
            }),
        }
    }

    /// The report in a sentence, `done_words` saying what was done: `3 acknowledged; #12 refused: ...`.
    pub fn notice(&self, done_words: &str) -> String {
        let mut notice = format!("{} {done_words}", self.done.len());
        for refusal in self.refused.iter().take(REASONS_NAMED_MAX) {
            let ids: Vec<String> = refusal.exceptions.iter().map(|id| format!("#{id}")).collect();
            let _ = write!(notice, "; {} refused: {}", ids.join(", "), refusal.reason);
        }
        let unnamed: usize = (self.refused.iter().skip(REASONS_NAMED_MAX))
            .map(|refusal| refusal.exceptions.len())
            .sum();
        if unnamed > 0 {
            let _ = write!(notice, "; {unnamed} more refused");
        }
        notice
    }
}

impl AppState {
    /// Checks and logs `action` on each exception in turn, as [`AppState::act`] does for one; with an
    /// idempotency key, each exception's command has its own, so a retry repeats none.
    pub async fn act_on_each(
        self: &Arc<Self>,
        principal: &Principal,
        ids: &[u64],
        action: &Action,
        key: Option<&str>,
    ) -> BulkReport {
        let mut report = BulkReport::default();
        for &id in ids {
            match self.act(principal, id, action.clone(), key.map(str::to_owned)).await {
                Ok(_) => report.done.push(id),
                Err(failure) => report.refuse(id, action.name(), &failure.message),
            }
        }
        report
    }

    /// Logs `action` on every active member of an incident that the principal may see (to acknowledge, those
    /// not acknowledged yet), each on its own as [`AppState::act_on_each`] does.
    pub async fn act_on_incident_members(
        self: &Arc<Self>,
        principal: &Principal,
        incident: u64,
        action: &Action,
        key: Option<&str>,
    ) -> Outcome<BulkReport> {
        require_act(principal)?;
        let (viewer, wanted) = (principal.clone(), action.clone());
        let members = self
            .read(move |engine| members_to_act_on(engine, &viewer, incident, &wanted))
            .await?;
        Ok(self.act_on_each(principal, &members, action, key).await)
    }
}

/// The members of an incident an action for all of them takes: the active ones the principal sees, not yet
/// acknowledged to acknowledge them; refused when there are none, or too many for one action.
fn members_to_act_on(engine: &Engine, principal: &Principal, incident: u64, action: &Action) -> Outcome<Vec<u64>> {
    let seen = visible_incident(engine, principal, incident)?;
    if let Some(into) = seen.merged_into {
        return Err(Failure::new(
            FailureKind::Conflict,
            format!("incident {incident} was merged into incident {into}: act on that one"),
        ));
    }
    let members: Vec<u64> = (seen.exceptions.iter().copied())
        .filter(|&id| {
            let record = engine.exception_record(id).expect("a member exists");
            let pending = !matches!(action, Action::Acknowledge) || record.acknowledged_at.is_none();
            record.status.is_active() && pending
        })
        .collect();
    if members.is_empty() {
        return Err(Failure::new(
            FailureKind::Conflict,
            format!(
                "incident {incident} has no active exception left to {}",
                action.name().replace('_', " ")
            ),
        ));
    }
    if members.len() > INCIDENT_MEMBERS_MAX {
        return Err(Failure::bad_request(format!(
            "incident {incident} has {} active exceptions: at most {INCIDENT_MEMBERS_MAX} at once, work the rest \
             from the queue",
            members.len()
        )));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_counts_what_was_done_and_names_each_reason_once() {
        let mut report = BulkReport {
            done: vec![1, 2, 3],
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
        assert_eq!(unknown_user.refused[0].exceptions, [1, 2]);
    }
}
