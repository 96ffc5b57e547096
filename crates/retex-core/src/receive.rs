//! What every door that receives events (`retex ingest`, `POST /api/v1/events`) does with a line before the
//! log sees it: its size and encoding, its parse ([`crate::wire::parse_event`]), and its date against the
//! receiving machine's clock, which the caller reads.

use crate::codes::Timestamp;
use crate::event::Event;
use crate::wire::{EventError, parse_event};

/// Whether events dated ahead of the receiving machine's clock are accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FutureEvents {
    /// Rejected beyond [`MAX_FUTURE_SKEW_MS`], as events.md says.
    Refused,
    /// Accepted: a simulated or test stream dated ahead on purpose (`--allow-future`).
    Allowed,
}

impl FutureEvents {
    /// The clock received events are checked against: `now()` when events from the future are refused, none
    /// when they are allowed (the clock is then not read).
    pub fn checked_against(self, now: impl FnOnce() -> Timestamp) -> Option<Timestamp> {
        match self {
            Self::Refused => Some(now()),
            Self::Allowed => None,
        }
    }
}

/// How far after the receiving machine's wall clock an event may be dated (events.md's `max_future_skew`).
pub const MAX_FUTURE_SKEW_MS: i64 = 5 * 60_000;

/// Refuses an event dated more than [`MAX_FUTURE_SKEW_MS`] after `wall_clock`: one wrongly dated event would move
/// the engine's clock, and so every deadline, forward for good. The caller reads the clock.
pub fn check_not_future(event: &Event, wall_clock: Timestamp) -> Result<(), EventError> {
    let ahead_ms = event.at.timestamp_millis().saturating_sub(wall_clock.0);
    if ahead_ms > MAX_FUTURE_SKEW_MS {
        return Err(EventError {
            field: "at".into(),
            problem: format!(
                "{} s in the future (more than {} s after this machine's clock; a stream dated ahead on purpose needs --allow-future)",
                ahead_ms / 1000,
                MAX_FUTURE_SKEW_MS / 1000
            ),
        });
    }
    Ok(())
}

/// Longest line (or JSON array element) any door accepts; a longer one is rejected without being parsed.
pub const LINE_BYTES_MAX: usize = 1 << 20;

/// The text of one received line, without its line ending: refused when longer than [`LINE_BYTES_MAX`] or not
/// UTF-8, so one bad line costs only itself, over HTTP as in a file.
pub fn line_text(raw: &[u8]) -> Result<&str, EventError> {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if raw.len() > LINE_BYTES_MAX {
        return Err(EventError {
            field: "json".into(),
            problem: format!("line of {} bytes, longer than 1 MiB", raw.len()),
        });
    }
    std::str::from_utf8(raw).map_err(|error| EventError {
        field: "json".into(),
        problem: format!("not valid UTF-8 (byte {})", error.valid_up_to() + 1),
    })
}

/// [`parse_event`], then [`check_not_future`] against `wall_clock` when events from the future are refused
/// (`None`: accepted): what every receiving door does with a line.
pub fn parse_received_event(line: &str, wall_clock: Option<Timestamp>) -> Result<Event, EventError> {
    let event = parse_event(line)?;
    if let Some(now) = wall_clock {
        check_not_future(&event, now)?;
    }
    Ok(event)
}
