//! Escalation (workflow.md): level 1 at `ack_due` when not acknowledged (the team lead), level 2 when 75% of the
//! resolve target has passed in business time (the region's manager, or the operations lead for a company-wide
//! team), level 3 at `resolve_due` (the operations director). Each level fires once, at its instant, while the
//! exception is still being worked, and goes on its timeline; the first and last are SLA breaches. The
//! statuses `waiting_supplier` and `waiting_customer` pause the resolve clock (levels 2 and 3 wait too); it
//! resumes with what was left when the status changes again.

use crate::codes::Timestamp;
use crate::command::{Action, Command, WorkStatus};
use crate::engine::calendar::{add_business_time, business_clock_ms};
use crate::engine::exceptions::{ENGINE_ACTOR, ExceptionStatus};
use crate::engine::ledger::LocationId;
use crate::engine::{Deadline, Engine, Output};
use crate::rules::workflow::Trigger;

/// Escalation levels, from the first.
pub const ESCALATION_LEVELS: u8 = 3;

impl Engine {
    /// Queues the escalation levels of a new exception at their instants.
    pub(super) fn schedule_escalations(&mut self, exception: u64, due: [Timestamp; ESCALATION_LEVELS as usize]) {
        for (level, due_at) in (1..=ESCALATION_LEVELS).zip(due) {
            self.state
                .deadlines
                .schedule(due_at, Deadline::Escalation(exception, level));
        }
    }

    pub(super) fn fire_escalation(&mut self, exception: u64, level: u8, due_at: Timestamp, outputs: &mut Vec<Output>) {
        let record = self.state.exceptions.get(exception);
        let notified = match level {
            1 => match self
                .config
                .rules
                .workflow
                .teams
                .get(&record.team)
                .and_then(|team| team.lead.as_ref())
            {
                Some(lead) => format!("team lead {lead} of {}", record.team),
                None => format!("team lead of {}", record.team),
            },
            2 => match record
                .location
                .and_then(|location| self.state.master.location(location))
            {
                Some(info) if record.team.starts_with("store ") || record.team.starts_with("warehouse ") => {
                    format!("regional manager of {}", info.region.as_deref().unwrap_or("the region"))
                }
                _ => "operations lead".to_string(),
            },
            _ => "operations director".to_string(),
        };
        if self.state.exceptions.escalate(exception, level, due_at, &notified) {
            outputs.push(Output::ExceptionChanged(exception));
            // Levels 1 and 3 are the SLA breaches.
            if level != 2 {
                let seq = self.state.applied_seq;
                self.trigger_actions(exception, Trigger::Breach, due_at, seq);
            }
        }
    }
}

impl Engine {
    /// Applies a checked command, pausing the resolve clock when it sets a waiting status and resuming it,
    /// with what was left, when the exception leaves that status (workflow.md).
    pub(super) fn apply_command(&mut self, command: &Command, at: Timestamp, seq: u64) {
        let id = command.exception;
        if matches!(command.action, Action::DecideTask { .. } | Action::TaskDelivered { .. }) {
            self.apply_task_command(command, at, seq);
            return;
        }
        let record = self.state.exceptions.get(id);
        let (was_waiting, location) = (is_waiting(record.status), record.location);
        let leaves_waiting = match &command.action {
            Action::Resolve { .. } | Action::Dismiss { .. } => true,
            Action::SetStatus { status } => {
                !matches!(status, WorkStatus::WaitingSupplier | WorkStatus::WaitingCustomer)
            }
            _ => false,
        };
        // Resume first, so that a resolution right after waiting is judged against the moved due time.
        if was_waiting && leaves_waiting {
            self.resume_clock(id, location, at, seq);
        }
        self.state.exceptions.apply_command(command, at, seq);
        if !was_waiting && is_waiting(self.state.exceptions.get(id).status) {
            let record = self.state.exceptions.get_mut(id);
            record.paused_at = Some(at);
            record.note(
                at,
                ENGINE_ACTOR,
                "clock_paused",
                "the resolve clock stops while waiting".into(),
                seq,
            );
        }
        if let Action::SetStatus { .. } = command.action {
            let status = self.state.exceptions.get(id).status.name().to_owned();
            self.trigger_actions(id, Trigger::Status(status), at, seq);
        }
    }

    /// Restarts a paused resolve clock at `at` with the business time that was left at the pause.
    fn resume_clock(&mut self, id: u64, location: Option<LocationId>, at: Timestamp, seq: u64) {
        let calendar = location.and_then(|location| self.business_hours(location));
        let rules = std::sync::Arc::clone(&self.config.rules);
        let holidays = &rules.workflow.holidays;
        let record = self.state.exceptions.get_mut(id);
        let Some(paused_at) = record.paused_at.take() else {
            return;
        };
        let clock = |at: Timestamp| business_clock_ms(calendar, holidays, at);
        let left = |due: Timestamp| (clock(due) - clock(paused_at)).max(0);
        let (resolve_left, level_two_left) = (left(record.resolve_due), left(record.level_two_due));
        record.resolve_due = add_business_time(at, resolve_left, calendar, holidays);
        let level_two_passed = record.escalation_level >= 2;
        if !level_two_passed {
            record.level_two_due = add_business_time(at, level_two_left, calendar, holidays);
        }
        let detail = format!("the resolve clock runs again; resolve by {}", record.resolve_due);
        record.note(at, ENGINE_ACTOR, "clock_resumed", detail, seq);
        let (resolve_due, level_two_due) = (record.resolve_due, record.level_two_due);
        if !level_two_passed {
            self.state
                .deadlines
                .schedule(level_two_due, Deadline::Escalation(id, 2));
        }
        self.state.deadlines.schedule(resolve_due, Deadline::Escalation(id, 3));
    }
}

fn is_waiting(status: ExceptionStatus) -> bool {
    matches!(
        status,
        ExceptionStatus::WaitingSupplier | ExceptionStatus::WaitingCustomer
    )
}
