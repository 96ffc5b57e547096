//! Why the engine will not take a person's command or silence: a kind the shell maps to its own answer (an HTTP
//! status, an exit code) and a message that says what is wrong, for people.

use std::fmt;

/// What the caller does next about a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// The exception or task named does not exist.
    NotFound,
    /// The person lacks the role the rules require (deciding an approval).
    Forbidden,
    /// The command does not fit the current state (already acknowledged, resolved, an approval pending, ...).
    Conflict,
    /// The command itself is incomplete or malformed (a blank note, a snooze that ends before it starts, ...).
    Invalid,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

impl Refusal {
    pub fn new(kind: RefusalKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::NotFound, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::Conflict, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(RefusalKind::Invalid, message)
    }

    /// The same refusal, its message prefixed with what it is about (`exception 7: `).
    pub fn about(self, subject: impl fmt::Display) -> Self {
        Self {
            kind: self.kind,
            message: format!("{subject}: {}", self.message),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for Refusal {}
