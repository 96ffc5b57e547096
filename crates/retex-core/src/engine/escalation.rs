//! Escalation (workflow.md): level 1 at `ack_due` when not acknowledged (the team lead), level 2 when 75% of the
//! resolve target has passed in business time (the region's manager, or the operations lead for a company-wide
//! team), level 3 at `resolve_due` (the operations director). Each level fires once, at its instant, while the
//! exception is still being worked, and goes on its timeline; the first and last are SLA breaches.

use crate::codes::Timestamp;
use crate::engine::{Deadline, Engine, Output};

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
            1 => format!("team lead of {}", record.team),
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
        }
    }
}
