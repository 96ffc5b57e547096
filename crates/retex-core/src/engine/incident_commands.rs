//! What people do to incidents: merge one into another, split members off into a new one. A command is checked
//! against the incident book ([`Engine::check_incident_command`], by the shell before logging and by the engine
//! before applying) and applied as one log entry: the book reshaped, and each exception that moved saying so on
//! its timeline.

use crate::codes::Timestamp;
use crate::command::{IncidentAction, IncidentCommand};
use crate::engine::composition::{Engine, Output};
use crate::engine::exceptions::ExceptionRecord;
use crate::engine::incidents::{Reshaping, RootKey};
use crate::engine::raise::causal_rank;
use crate::engine::refusal::Refusal;

impl Engine {
    /// Why `command` cannot reshape its incident now, if it cannot.
    pub fn check_incident_command(&self, command: &IncidentCommand) -> Result<(), Refusal> {
        let incidents = &self.state.book.incidents;
        match &command.action {
            IncidentAction::Merge { from } => incidents.check_merge(command.incident, *from),
            IncidentAction::Split { exceptions } => incidents.check_split(command.incident, exceptions),
        }
    }

    /// Applies a command that passed [`Engine::check_incident_command`].
    pub(super) fn apply_incident_command(&mut self, command: &IncidentCommand, at: Timestamp, seq: u64) {
        let by = Reshaping {
            at,
            actor: &command.actor,
            seq,
        };
        let book = &mut self.state.book;
        let exceptions = &book.exceptions;
        let root_key = |id: u64| root_key(exceptions.get(id));
        let (moved, from, to) = match &command.action {
            IncidentAction::Merge { from } => {
                let moved = book.incidents.get(*from).members.clone();
                book.incidents.merge(command.incident, *from, by, root_key);
                (moved, *from, command.incident)
            }
            IncidentAction::Split { exceptions } => {
                let new = book.incidents.split(command.incident, exceptions, by, root_key);
                (exceptions.clone(), command.incident, new)
            }
        };
        let detail = format!("incident {from} -> {to}");
        for exception in moved {
            let record = book.exceptions.get_mut(exception);
            record.note(at, &command.actor, command.action.name(), detail.clone(), seq);
            self.outbox.push(Output::ExceptionChanged(exception));
        }
    }
}

/// Where an exception stands to be its incident's root.
fn root_key(record: &ExceptionRecord) -> RootKey {
    RootKey {
        rank: causal_rank(record.key.exception_type).unwrap_or(u8::MAX),
        opened_at: record.opened_at,
        exception: record.id,
    }
}
