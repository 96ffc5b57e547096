//! What people do to an exception: whether a command fits its state ([`ExceptionBook::check_command`], for the
//! shell before logging and the engine before applying) and what applying it changes, on the timeline with the
//! status before and after.

use crate::codes::Timestamp;
use crate::command::{Action, Command, WorkStatus};
use crate::engine::exceptions::{ApprovalState, EvidenceRef, ExceptionBook, ExceptionRecord, ExceptionStatus};
use crate::engine::refusal::Refusal;

impl ExceptionBook {
    /// Why a command cannot act on its exception now, if it cannot.
    pub fn check_command(&self, command: &Command) -> Result<(), Refusal> {
        let count = self.records().len() as u64;
        if command.exception == 0 || command.exception > count {
            return Err(Refusal::not_found(format!(
                "no exception {} (there are {count})",
                command.exception
            )));
        }
        let record = self.get(command.exception);
        let active = record.status.is_active();
        let subject = format!("exception {}", record.id);
        let conflict = |problem: String| Err(Refusal::conflict(problem).about(&subject));
        let invalid = |problem: &str| Err(Refusal::invalid(problem).about(&subject));
        let blank = |text: &str| text.trim().is_empty();
        match &command.action {
            Action::Comment { text } if blank(text) => invalid("a comment needs text"),
            Action::Comment { .. } => Ok(()),
            Action::Reopen { .. } if active => conflict(format!("is {}, not closed", record.status.name())),
            Action::Reopen { .. } => match self.open_id(&record.key) {
                Some(other) => conflict(format!("exception {other} with the same key is open")),
                None => Ok(()),
            },
            // Tasks outlive their exception's resolution; the engine checks them.
            Action::DecideTask { .. }
            | Action::TaskDelivered { .. }
            | Action::ResendTask { .. }
            | Action::TaskExported { .. } => Ok(()),
            _ if !active => conflict(format!("is {}", record.status.name())),
            Action::Acknowledge => match (&record.acknowledged_by, record.acknowledged_at) {
                (Some(by), Some(at)) => conflict(format!("already acknowledged by {by} at {at}")),
                _ => Ok(()),
            },
            Action::Assign { assignee } if blank(assignee) => invalid("an assignment needs an assignee"),
            Action::Resolve { note, .. } if blank(note) => invalid("resolving needs a note"),
            Action::Dismiss { reason } if blank(reason) => invalid("dismissing needs a reason"),
            Action::AttachEvidence { sha256, .. } if !is_sha256(sha256) => {
                invalid("evidence is named by the 64 hex digits of its SHA-256")
            }
            Action::Snooze { until } if *until <= command.at => invalid("a snooze must end after it starts"),
            Action::RequestApproval { reason } if blank(reason) => invalid("an approval request needs a reason"),
            Action::RequestApproval { .. } => match &record.approval {
                Some(approval) if approval.decision.is_none() => {
                    conflict(format!("{} already asked for approval", approval.requested_by))
                }
                Some(approval) if approval.is_approved() => conflict("is already approved".into()),
                _ => Ok(()),
            },
            Action::Approve { .. } | Action::Reject { .. } => match &record.approval {
                None => conflict("nobody asked for approval".into()),
                Some(approval) if approval.decision.is_some() => conflict("the approval request was decided".into()),
                // The same person may decide another's request: the request's state is what conflicts.
                Some(approval) if approval.requested_by == command.actor => conflict(format!(
                    "four eyes: {} asked, so another person must decide",
                    command.actor
                )),
                Some(_) => Ok(()),
            },
            // The four-eyes rule: nobody closes an exception while its approval request waits for a decision.
            Action::Resolve { .. } | Action::Dismiss { .. } => match pending_requester(record) {
                Some(requester) => {
                    let closing = match command.action {
                        Action::Resolve { .. } => "resolved",
                        _ => "dismissed",
                    };
                    conflict(format!(
                        "{requester} asked for approval, still pending: it must be approved or rejected before the \
                         exception is {closing}"
                    ))
                }
                None => Ok(()),
            },
            Action::Assign { .. }
            | Action::SetStatus { .. }
            | Action::Snooze { .. }
            | Action::AttachEvidence { .. } => Ok(()),
        }
    }

    /// Applies a command that passed [`ExceptionBook::check_command`].
    pub fn apply_command(&mut self, command: &Command, at: Timestamp, seq: u64) {
        let id = command.exception;
        let actor = command.actor.as_str();
        let record = self.get_mut(id);
        let status_before = record.status.name();
        let mut detail = match &command.action {
            Action::Acknowledge => {
                record.acknowledged_at = Some(at);
                record.acknowledged_by = Some(actor.to_string());
                record.ack_breached |= at > record.ack_due;
                String::new()
            }
            Action::Assign { assignee } => {
                let before = record.assignee.replace(assignee.clone());
                format!("{} -> {assignee}", before.as_deref().unwrap_or("nobody"))
            }
            Action::Comment { text } => text.clone(),
            Action::SetStatus { status } => {
                record.status = match status {
                    WorkStatus::InProgress => ExceptionStatus::InProgress,
                    WorkStatus::WaitingSupplier => ExceptionStatus::WaitingSupplier,
                    WorkStatus::WaitingCustomer => ExceptionStatus::WaitingCustomer,
                };
                String::new()
            }
            Action::Resolve {
                root_cause,
                note,
                resolution,
            } => {
                if record.key.exception_type.confirmed_by_resolution() {
                    record.confirmed.get_or_insert(true);
                }
                record.status = ExceptionStatus::Resolved;
                record.root_cause = Some(*root_cause);
                record.resolution = *resolution;
                record.resolved_at = Some(at);
                record.resolved_by = Some(seq);
                record.resolve_breached |= at > record.resolve_due;
                match resolution {
                    Some(resolution) => format!("root cause {}, {}: {note}", root_cause.name(), resolution.name()),
                    None => format!("root cause {}: {note}", root_cause.name()),
                }
            }
            Action::Dismiss { reason } => {
                if record.key.exception_type.is_statistical() {
                    record.confirmed.get_or_insert(false);
                }
                record.status = ExceptionStatus::Dismissed;
                record.resolved_at = Some(at);
                record.resolved_by = Some(seq);
                format!("false positive: {reason}")
            }
            Action::Reopen { note } => {
                record.status = ExceptionStatus::Open;
                record.resolved_at = None;
                record.resolved_by = None;
                note.clone()
            }
            Action::Snooze { until } => {
                let until = Timestamp::from_datetime(until);
                record.silenced_until = Some(record.silenced_until.map_or(until, |silenced| silenced.max(until)));
                format!("no escalation until {until}")
            }
            Action::AttachEvidence {
                sha256,
                name,
                media_type,
                bytes,
            } => {
                record.evidence.push(EvidenceRef {
                    sha256: sha256.clone(),
                    name: name.clone(),
                    media_type: media_type.clone(),
                    bytes: *bytes,
                    by: actor.to_string(),
                    at,
                });
                format!("{name} ({media_type}, {bytes} bytes, sha256 {})", &sha256[..12])
            }
            Action::RequestApproval { reason } => {
                record.approval = Some(ApprovalState {
                    requested_by: actor.to_string(),
                    requested_at: at,
                    decision: None,
                });
                reason.clone()
            }
            Action::Approve { note } | Action::Reject { note } => {
                let approved = matches!(command.action, Action::Approve { .. });
                if let Some(approval) = &mut record.approval {
                    approval.decision = Some((actor.to_string(), approved));
                }
                note.clone()
            }
            // Applied to the task by the engine, which notes it on the timeline.
            Action::DecideTask { .. }
            | Action::TaskDelivered { .. }
            | Action::ResendTask { .. }
            | Action::TaskExported { .. } => return,
        };
        // Every change of status shows before and after (the audit trail).
        let status_after = record.status.name();
        if status_after != status_before {
            let change = format!("{status_before} -> {status_after}");
            detail = if detail.is_empty() {
                change
            } else {
                format!("{change}; {detail}")
            };
        }
        record.note(at, actor, command.action.name(), detail, seq);
        self.track_open(id);
    }
}

/// Who asked for the exception's approval, while nobody has decided it.
fn pending_requester(record: &ExceptionRecord) -> Option<&str> {
    let approval = record.approval.as_ref()?;
    approval.decision.is_none().then_some(approval.requested_by.as_str())
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}
