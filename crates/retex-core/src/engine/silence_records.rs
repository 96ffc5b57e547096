//! A silence as the engine keeps it: what it mutes, from when until when, who set it and why. Part of the
//! exception book's state; `silences.rs` checks, adds and applies them.

use serde::{Deserialize, Serialize};

use crate::codes::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SilenceRecord {
    /// 1-based, in order of creation.
    pub id: u64,
    pub exception_type: String,
    pub location: Option<String>,
    pub sku: Option<String>,
    pub from: Timestamp,
    pub until: Timestamp,
    pub actor: String,
    pub comment: String,
    /// The log entry that created it.
    pub seq: u64,
    /// Who ended it before its time, and why; `until` is then when they did.
    #[serde(default)]
    pub ended_early: Option<(String, String)>,
}
