//! Silences: a person mutes new exceptions of a type, at a location or for a SKU, until a time, with a comment
//! (Alertmanager's silences). A muted exception is still opened and counted, with the silence on its timeline,
//! but it does not escalate while the silence lasts.

use crate::codes::Timestamp;
use crate::command::{Silence, SilenceEnd};
use crate::engine::composition::Engine;
use crate::engine::exceptions::ENGINE_ACTOR;
use crate::engine::refusal::Refusal;
use crate::engine::silence_records::SilenceRecord;
use crate::rules::ExceptionType;

/// A silence as the engine keeps it.
impl Engine {
    /// Why a silence cannot be set, if it cannot (the shell asks before logging it).
    pub fn check_silence(&self, silence: &Silence) -> Result<(), Refusal> {
        let known = ExceptionType::from_name(&silence.exception_type).is_some()
            || self
                .config
                .rules
                .custom
                .iter()
                .any(|custom| custom.name == silence.exception_type);
        if !known {
            return Err(Refusal::not_found(format!(
                "{:?} is not an exception type of the active rules",
                silence.exception_type
            )));
        }
        if silence.comment.trim().is_empty() {
            return Err(Refusal::invalid("a silence needs a comment saying why"));
        }
        if silence.until <= silence.at {
            return Err(Refusal::invalid(format!(
                "it would end ({}) before it starts ({})",
                silence.until, silence.at
            )));
        }
        Ok(())
    }

    pub(super) fn add_silence(&mut self, silence: &Silence, seq: u64) {
        let id = self.state.book.silences.len() as u64 + 1;
        self.state.book.silences.push(SilenceRecord {
            id,
            exception_type: silence.exception_type.clone(),
            location: silence.location.clone(),
            sku: silence.sku.clone(),
            from: Timestamp::from_datetime(&silence.at),
            until: Timestamp::from_datetime(&silence.until),
            actor: silence.actor.clone(),
            comment: silence.comment.clone(),
            seq,
            ended_early: None,
        });
    }

    /// Why a silence cannot be ended, if it cannot: it must exist and not be over, and the end needs a comment.
    pub fn check_silence_end(&self, end: &SilenceEnd) -> Result<(), Refusal> {
        let subject = format!("silence {}", end.silence);
        let index = usize::try_from(end.silence).unwrap_or(usize::MAX);
        let Some(silence) = index
            .checked_sub(1)
            .and_then(|index| self.state.book.silences.get(index))
        else {
            return Err(Refusal::not_found("there is no such silence").about(&subject));
        };
        if end.comment.trim().is_empty() {
            return Err(Refusal::invalid("ending a silence early needs a comment saying why").about(&subject));
        }
        let at = Timestamp::from_datetime(&end.at);
        if silence.until <= at {
            return Err(Refusal::conflict(format!("it is already over, since {}", silence.until)).about(&subject));
        }
        Ok(())
    }

    /// Ends a silence at the entry's instant (a planned one never starts): new exceptions are no longer muted, and
    /// those it muted take their later escalation steps again (steps that fell due while muted are not replayed,
    /// as when a silence runs out), unless a snooze holds them longer.
    pub(super) fn end_silence(&mut self, end: &SilenceEnd, seq: u64) {
        let at = Timestamp::from_datetime(&end.at);
        let silence = &mut self.state.book.silences[end.silence as usize - 1];
        let (from, until) = (silence.from, silence.until);
        silence.until = at.max(from);
        silence.ended_early = Some((end.actor.clone(), end.comment.clone()));
        let detail = format!("silence {} ended early by {}: {}", end.silence, end.actor, end.comment);
        let muted: Vec<u64> = (self.state.book.exceptions.records().iter())
            .filter(|record| {
                record.status.is_active() && record.silenced_until == Some(until) && from <= record.opened_at
            })
            .map(|record| record.id)
            .collect();
        for id in muted {
            let record = self.state.book.exceptions.get_mut(id);
            record.silenced_until = Some(at);
            record.note(at, &end.actor, "unsilenced", detail.clone(), seq);
        }
    }

    pub fn silences(&self) -> &[SilenceRecord] {
        &self.state.book.silences
    }

    /// Mutes a newly opened exception when a silence covers it at its opening time.
    pub(super) fn apply_silences(&mut self, exception: u64) {
        if self.state.book.silences.is_empty() {
            return;
        }
        let record = self.state.book.exceptions.get(exception);
        let type_name = self.type_name(record.key.exception_type);
        let location = record.location.map(|id| self.state.picture.locations.name(id));
        let sku = record.sku.map(|id| self.state.picture.skus.name(id));
        let at = record.opened_at;
        let covering = self.state.book.silences.iter().rev().find(|silence| {
            silence.exception_type == type_name
                && silence.from <= at
                && at < silence.until
                && silence
                    .location
                    .as_deref()
                    .is_none_or(|wanted| location == Some(wanted))
                && silence.sku.as_deref().is_none_or(|wanted| sku == Some(wanted))
        });
        let Some(silence) = covering else { return };
        let detail = format!(
            "silence {} by {} until {}: {}",
            silence.id, silence.actor, silence.until, silence.comment
        );
        let (until, seq) = (silence.until, silence.seq);
        let record = self.state.book.exceptions.get_mut(exception);
        record.silenced_until = Some(until);
        record.note(at, ENGINE_ACTOR, "silenced", detail, seq);
    }
}
