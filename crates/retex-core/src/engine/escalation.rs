//! Escalation and SLA breaches (workflow.md, and the rules' `[escalation]` policy).
//!
//! Each level of the policy falls due at its instant (the acknowledgement target, the resolve target, a share of
//! the resolve target, or a delay after opening) and tells its target once, if the exception still needs it: an
//! acknowledgement level stops once someone acknowledges, a resolution level runs on the resolve clock. The SLA
//! targets themselves are breach events at `ack_due` and `resolve_due`; a breach stays. While unacknowledged
//! after a breach, reminders go out every so often (`renotify`); after the last level, it is repeated while
//! unresolved (`repeat`, PagerDuty's loops). A silence or snooze mutes escalation, not the SLA. The statuses
//! `waiting_supplier` and `waiting_customer` pause the resolve clock; it resumes with what was left.
//!
//! The default policy is workflow.md's: the team lead at `ack_due`, the region's manager (the operations lead
//! for a company-wide team) at 75% of the resolve target, the operations director at `resolve_due`.

use std::fmt::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::codes::Timestamp;
use crate::command::{Action, Command, WorkStatus};
use crate::engine::composition::{Engine, Output};
use crate::engine::deadlines::Deadline;
use crate::engine::deadlines::Target;
use crate::engine::exceptions::{ENGINE_ACTOR, ExceptionRecord, ExceptionStatus};
use crate::engine::ledger::LocationId;
use crate::rules::SlaTarget;
use crate::rules::workflow::{EscalationPolicy, EscalationTarget, LevelTime, Repeat, Trigger};

/// The business time after opening at which each target and level falls due, in milliseconds:
/// acknowledgement, resolution, then the policy's levels in order.
pub(super) fn due_offsets_ms(policy: &EscalationPolicy, target: SlaTarget) -> Vec<i64> {
    let minutes = |minutes: i64| minutes * 60_000;
    let mut offsets = vec![minutes(target.acknowledge_minutes), minutes(target.resolve_minutes)];
    offsets.extend(policy.levels.iter().map(|level| {
        match level.at {
            LevelTime::AckDue => minutes(target.acknowledge_minutes),
            LevelTime::ResolveDue => minutes(target.resolve_minutes),
            LevelTime::ResolveShare(share) => minutes(
                (Decimal::from(target.resolve_minutes) * share)
                    .trunc()
                    .to_i64()
                    .unwrap_or(0),
            ),
            LevelTime::AfterOpening(after) => minutes(after),
        }
    }));
    offsets
}

/// An exception's SLA steps with their dues: the acknowledgement and resolve targets, then the policy's levels.
fn sla_steps(exception: u64, record: &ExceptionRecord) -> impl Iterator<Item = (Timestamp, Deadline)> + '_ {
    let targets = [
        (record.ack_due, Deadline::Breach(exception, Target::Acknowledge)),
        (record.resolve_due, Deadline::Breach(exception, Target::Resolve)),
    ];
    let levels = (record.escalation_dues.iter().enumerate())
        .map(move |(index, due_at)| (*due_at, Deadline::Escalation(exception, index as u8 + 1)));
    targets.into_iter().chain(levels)
}

impl Engine {
    /// Queues the exception's first SLA step (target or level, see [`sla_steps`]) that comes after `after` in
    /// the queue's order and is not due before `not_before`. One step is pending at a time and each queues the
    /// next when it fires, while the exception is active, so an exception resolved early leaves one entry behind
    /// rather than one per step. The steps fire in the same order as if all were queued at once: each is queued
    /// when the step before it fires, at or before its own due time.
    pub(super) fn queue_next_sla_step(
        &mut self,
        exception: u64,
        after: Option<(Timestamp, Deadline)>,
        not_before: Timestamp,
    ) {
        let record = self.state.book.exceptions.get(exception);
        let next = sla_steps(exception, record)
            .filter(|step| step.0 >= not_before && after.as_ref().is_none_or(|after| step > after))
            .min();
        if let Some((due_at, deadline)) = next {
            self.state.workflow.deadlines.schedule(due_at, deadline);
        }
    }

    /// A target or level fired: queues the next step while the exception is still being worked. A reopened
    /// exception takes its steps up again (see `apply_command`).
    pub(super) fn continue_sla_steps(&mut self, exception: u64, fired: (Timestamp, Deadline)) {
        if self.state.book.exceptions.get(exception).status.is_active() {
            let not_before = fired.0;
            self.queue_next_sla_step(exception, Some(fired), not_before);
        }
    }

    /// An SLA target fell due: a breach, unless it was met, moved or paused.
    pub(super) fn fire_breach(&mut self, exception: u64, target: Target, due_at: Timestamp) {
        let seq = self.state.applied_seq;
        let record = self.state.book.exceptions.get_mut(exception);
        let missed = record.status.is_active()
            && match target {
                Target::Acknowledge => record.acknowledged_at.is_none() && record.ack_due == due_at,
                Target::Resolve => record.paused_at.is_none() && record.resolve_due == due_at,
            };
        if !missed {
            return;
        }
        let detail = match target {
            Target::Acknowledge => {
                record.ack_breached = true;
                "the acknowledgement target was missed"
            }
            Target::Resolve => {
                record.resolve_breached = true;
                "the resolve target was missed"
            }
        };
        record.note(due_at, ENGINE_ACTOR, "breached", detail, seq);
        self.outbox.push(Output::ExceptionChanged(exception));
        self.trigger_actions(exception, Trigger::Breach, due_at, seq);
        if target == Target::Acknowledge
            && let Some(renotify) = self.config.rules.workflow.escalation.renotify
        {
            self.schedule_after(
                exception,
                due_at,
                renotify.every_minutes,
                Deadline::Renotify(exception, 1),
            );
        }
    }

    /// A level fell due: tell its target, if the exception still needs it.
    pub(super) fn fire_escalation(&mut self, exception: u64, level: u8, due_at: Timestamp) {
        let rules = std::sync::Arc::clone(&self.config.rules);
        let policy = &rules.workflow.escalation;
        let index = usize::from(level) - 1;
        let Some(rule) = policy.levels.get(index) else {
            return;
        };
        let record = self.state.book.exceptions.get(exception);
        let applies = record.escalation_dues.get(index) == Some(&due_at)
            && self.still_escalates(record, rule.at.is_about_acknowledgement(), due_at);
        if !applies {
            return;
        }
        // "level 1: team lead of store S001 notified, not acknowledged by its due time", written piece by piece:
        // most exceptions escalate at least once.
        let mut detail = String::with_capacity(96);
        let _ = write!(detail, "level {level}: ");
        self.write_notified(&mut detail, record, rule.notify);
        detail.push_str(" notified, ");
        match rule.at {
            LevelTime::AckDue => detail.push_str("not acknowledged by its due time"),
            LevelTime::ResolveDue => detail.push_str("not resolved by its due time"),
            LevelTime::ResolveShare(share) => {
                let percent = (share * Decimal::ONE_HUNDRED).normalize();
                let _ = write!(detail, "{percent}% of its resolve target has passed");
            }
            LevelTime::AfterOpening(minutes) => {
                let _ = write!(detail, "unacknowledged {minutes} business minutes after opening");
            }
        }
        let seq = self.state.applied_seq;
        let recipient = self.recipient(self.state.book.exceptions.get(exception), rule.notify);
        if let Some(recipient) = recipient {
            self.tell(exception, &recipient, &format!("escalated, {detail}"), due_at, seq);
        }
        let record = self.state.book.exceptions.get_mut(exception);
        record.escalation_level = record.escalation_level.max(level);
        record.note(due_at, ENGINE_ACTOR, "escalated", detail, seq);
        self.outbox.push(Output::ExceptionChanged(exception));
        if index + 1 == policy.levels.len()
            && let Some(repeat) = policy.repeat
        {
            self.schedule_after(exception, due_at, repeat.every_minutes, Deadline::Repeat(exception, 1));
        }
    }

    /// A reminder of an unacknowledged exception to its assignee (else its team lead).
    pub(super) fn fire_renotify(&mut self, exception: u64, count: u8, due_at: Timestamp) {
        let Some(renotify) = self.config.rules.workflow.escalation.renotify else {
            return;
        };
        let record = self.state.book.exceptions.get(exception);
        if !self.still_escalates(record, true, due_at) {
            return;
        }
        let target = if record.assignee.is_some() {
            EscalationTarget::Assignee
        } else {
            EscalationTarget::TeamLead
        };
        let mut detail = String::new();
        self.write_notified(&mut detail, record, target);
        let _ = write!(
            detail,
            " reminded, still unacknowledged ({count} of {})",
            renotify.times
        );
        let recipient = self.recipient(record, target);
        self.send_notice(Notice::Reminder, exception, count, due_at, renotify, detail, recipient);
    }

    /// The last level's target told again while the exception is unresolved.
    pub(super) fn fire_repeat(&mut self, exception: u64, count: u8, due_at: Timestamp) {
        let rules = std::sync::Arc::clone(&self.config.rules);
        let policy = &rules.workflow.escalation;
        let (Some(repeat), Some(last)) = (policy.repeat, policy.levels.last()) else {
            return;
        };
        let record = self.state.book.exceptions.get(exception);
        if !self.still_escalates(record, false, due_at) {
            return;
        }
        let mut detail = String::new();
        self.write_notified(&mut detail, record, last.notify);
        let _ = write!(
            detail,
            " notified again, still unresolved ({count} of {})",
            repeat.times
        );
        let recipient = self.recipient(record, last.notify);
        self.send_notice(Notice::Repeat, exception, count, due_at, repeat, detail, recipient);
    }

    /// Whether an escalation step still applies at `at`: the exception is being worked, not muted, and (for an
    /// acknowledgement step) not acknowledged, or (for a resolution step) its resolve clock is running.
    fn still_escalates(&self, record: &ExceptionRecord, about_acknowledgement: bool, at: Timestamp) -> bool {
        let silenced = record.silenced_until.is_some_and(|until| at < until);
        let settled = if about_acknowledgement {
            record.acknowledged_at.is_some()
        } else {
            record.paused_at.is_some()
        };
        record.status.is_active() && !silenced && !settled
    }

    /// Who to e-mail for an escalation target, when `[notify]` asks for e-mails: a person by name, or the
    /// user name or address `[notify.roles]` gives the role.
    fn recipient(&self, record: &ExceptionRecord, target: EscalationTarget) -> Option<String> {
        let workflow = &self.config.rules.workflow;
        let notify = &workflow.notify;
        if !notify.any() {
            return None;
        }
        let team_lead = || {
            let lead = workflow.teams.get(&record.team).and_then(|team| team.lead.as_deref());
            lead.or_else(|| notify.role("team_lead")).map(str::to_owned)
        };
        match target {
            EscalationTarget::Assignee => record.assignee.clone().or_else(team_lead),
            EscalationTarget::TeamLead => team_lead(),
            EscalationTarget::RegionalManager => {
                let region = record
                    .location
                    .and_then(|location| self.state.picture.master.location(location))
                    .filter(|_| record.team.starts_with("store ") || record.team.starts_with("warehouse "))
                    .map(|info| info.region.as_deref().unwrap_or_default());
                match region {
                    Some(region) => notify
                        .role(&format!("regional_manager.{region}"))
                        .or_else(|| notify.role("regional_manager")),
                    None => notify.role("operations_lead"),
                }
                .map(str::to_owned)
            }
            EscalationTarget::OperationsLead => notify.role("operations_lead").map(str::to_owned),
            EscalationTarget::OperationsDirector => notify.role("operations_director").map(str::to_owned),
        }
    }

    /// Writes who a target is for this exception, in words.
    fn write_notified(&self, into: &mut String, record: &ExceptionRecord, target: EscalationTarget) {
        let team_lead = |into: &mut String| {
            into.push_str("team lead ");
            let workflow = &self.config.rules.workflow;
            if let Some(lead) = workflow.teams.get(&record.team).and_then(|team| team.lead.as_ref()) {
                into.push_str(lead);
                into.push(' ');
            }
            into.push_str("of ");
            into.push_str(&record.team);
        };
        match target {
            EscalationTarget::Assignee => match &record.assignee {
                Some(assignee) => into.push_str(assignee),
                None => team_lead(into),
            },
            EscalationTarget::TeamLead => team_lead(into),
            EscalationTarget::RegionalManager => match record
                .location
                .and_then(|location| self.state.picture.master.location(location))
            {
                Some(info) if record.team.starts_with("store ") || record.team.starts_with("warehouse ") => {
                    into.push_str("regional manager of ");
                    into.push_str(info.region.as_deref().unwrap_or("the region"));
                }
                _ => into.push_str("operations lead"),
            },
            EscalationTarget::OperationsLead => into.push_str("operations lead"),
            EscalationTarget::OperationsDirector => into.push_str("operations director"),
        }
    }

    /// Notes a reminder or repeat on the timeline and queues the next one, if any are left.
    #[allow(clippy::too_many_arguments)]
    fn send_notice(
        &mut self,
        notice: Notice,
        exception: u64,
        count: u8,
        at: Timestamp,
        every: Repeat,
        detail: String,
        recipient: Option<String>,
    ) {
        let seq = self.state.applied_seq;
        if let Some(recipient) = recipient {
            self.tell(exception, &recipient, &detail, at, seq);
        }
        let record = self.state.book.exceptions.get_mut(exception);
        let (sent, action) = match notice {
            Notice::Reminder => (&mut record.renotified, "renotified"),
            Notice::Repeat => (&mut record.repeats, "escalation_repeated"),
        };
        *sent = sent.saturating_add(1);
        record.note(at, ENGINE_ACTOR, action, detail, seq);
        self.outbox.push(Output::ExceptionChanged(exception));
        if count < every.times {
            let next = match notice {
                Notice::Reminder => Deadline::Renotify(exception, count + 1),
                Notice::Repeat => Deadline::Repeat(exception, count + 1),
            };
            self.schedule_after(exception, at, every.every_minutes, next);
        }
    }

    /// Queues `deadline` `minutes` of the exception's business time after `from`.
    fn schedule_after(&mut self, exception: u64, from: Timestamp, minutes: i64, deadline: Deadline) {
        let location = self.state.book.exceptions.get(exception).location;
        let calendar = location.and_then(|location| self.business_hours(location));
        let rules = std::sync::Arc::clone(&self.config.rules);
        let at = self
            .calendar_memo
            .add_business_time(from, minutes * 60_000, calendar, &rules.workflow.holidays);
        self.state.workflow.deadlines.schedule(at, deadline);
    }

    /// Applies a checked command, pausing the resolve clock when it sets a waiting status and resuming it,
    /// with what was left, when the exception leaves that status (workflow.md).
    pub(super) fn apply_command(&mut self, command: &Command, at: Timestamp, seq: u64) {
        let id = command.exception;
        if command.action.is_task_command() {
            self.apply_task_command(command, at, seq);
            return;
        }
        let record = self.state.book.exceptions.get(id);
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
        self.state.book.exceptions.apply_command(command, at, seq);
        self.tell_of_command(command, at, seq);
        if let Action::Resolve { root_cause, .. } = &command.action {
            self.note_resolution(id, *root_cause, at, seq);
        }
        if let Action::Reopen { .. } = command.action {
            // Steps due before the clock fired while it was closed; the rest are due again.
            let clock = self.state.clock.unwrap_or(at);
            self.queue_next_sla_step(id, None, clock);
        }
        if !was_waiting && is_waiting(self.state.book.exceptions.get(id).status) {
            let record = self.state.book.exceptions.get_mut(id);
            record.paused_at = Some(at);
            record.note(
                at,
                ENGINE_ACTOR,
                "clock_paused",
                "the resolve clock stops while waiting",
                seq,
            );
        }
        if let Action::SetStatus { .. } = command.action {
            let status = self.state.book.exceptions.get(id).status.name().to_owned();
            self.trigger_actions(id, Trigger::Status(status), at, seq);
        }
    }

    /// E-mails the person an exception was assigned to, and whoever approves when an approval is asked for.
    fn tell_of_command(&mut self, command: &Command, at: Timestamp, seq: u64) {
        let notify = &self.config.rules.workflow.notify;
        if !notify.any() {
            return;
        }
        let id = command.exception;
        let (recipient, what) = match &command.action {
            Action::Assign { assignee } if *assignee != command.actor => {
                (Some(assignee.clone()), format!("assigned to you by {}", command.actor))
            }
            Action::RequestApproval { reason } => {
                let type_name = self.type_name(self.state.book.exceptions.get(id).key.exception_type);
                let role = self
                    .config
                    .rules
                    .workflow
                    .approvals
                    .get(type_name)
                    .map(|rule| rule.role.as_str());
                let approver = role.and_then(|role| notify.role(role)).map(str::to_owned);
                (approver, format!("{} asks for your approval: {reason}", command.actor))
            }
            _ => return,
        };
        if let Some(recipient) = recipient {
            self.tell(id, &recipient, &what, at, seq);
        }
    }

    /// Restarts a paused resolve clock at `at` with the business time that was left at the pause: the resolve
    /// target and every resolution level not yet reached move by the paused time.
    fn resume_clock(&mut self, id: u64, location: Option<LocationId>, at: Timestamp, seq: u64) {
        let calendar = location.and_then(|location| self.business_hours(location));
        let rules = std::sync::Arc::clone(&self.config.rules);
        let holidays = &rules.workflow.holidays;
        let record = self.state.book.exceptions.get_mut(id);
        let Some(paused_at) = record.paused_at.take() else {
            return;
        };
        let memo = &mut self.calendar_memo;
        let place = location.map_or(0, |location| location as usize);
        let mut moved = |due: Timestamp| {
            let left = (memo.business_clock_ms(place, calendar, holidays, due)
                - memo.business_clock_ms(place, calendar, holidays, paused_at))
            .max(0);
            memo.add_business_time(at, left, calendar, holidays)
        };
        record.resolve_due = moved(record.resolve_due);
        let mut rescheduled = vec![(record.resolve_due, Deadline::Breach(id, Target::Resolve))];
        for (index, level) in rules.workflow.escalation.levels.iter().enumerate() {
            let number = index as u8 + 1;
            if level.at.is_about_acknowledgement() || record.escalation_level >= number {
                continue;
            }
            if let Some(due) = record.escalation_dues.get_mut(index) {
                *due = moved(*due);
                rescheduled.push((*due, Deadline::Escalation(id, number)));
            }
        }
        let detail = format!("the resolve clock runs again; resolve by {}", record.resolve_due);
        record.note(at, ENGINE_ACTOR, "clock_resumed", detail, seq);
        for (due, deadline) in rescheduled {
            self.state.workflow.deadlines.schedule(due, deadline);
        }
    }
}

/// A notice sent again and again: a reminder while unacknowledged, or a repeat of the last level.
#[derive(Clone, Copy)]
enum Notice {
    Reminder,
    Repeat,
}

fn is_waiting(status: ExceptionStatus) -> bool {
    matches!(
        status,
        ExceptionStatus::WaitingSupplier | ExceptionStatus::WaitingCustomer
    )
}
