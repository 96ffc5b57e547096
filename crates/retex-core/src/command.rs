//! Commands: what people do to exceptions (acknowledge, assign, comment, change status, snooze, attach
//! evidence, request and decide approvals, resolve, dismiss, reopen) and to incidents (merge, split), logged like
//! events so that the workflow is replayable and auditable.
//!
//! A command names its actor, its time and the exception (or incident) it acts on; `(source, id)` is its
//! idempotency key as for events. The engine checks it against the exception's state with [`crate::engine::Engine::check_command`],
//! which the shell also calls first so that a person gets a clear refusal instead of a silent no-op.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The log's `kind` for commands.
pub const COMMAND_KIND: &str = "command";

/// One logged command.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// Unique within `source`.
    pub id: String,
    /// Where it came from (`cli`, `web`, `api`).
    pub source: String,
    pub at: DateTime<FixedOffset>,
    /// Who did it.
    pub actor: String,
    /// The actor's role as the shell authenticated it; the four-eyes rule checks an approver's role with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The exception's id.
    pub exception: u64,
    #[serde(flatten)]
    pub action: Action,
}

/// The log id of a command sent with the caller's idempotency key. A key counts per actor and exception, so
/// another person's command, or one on another exception, is never taken for a retry; the actor's length makes
/// the id unambiguous whatever the names hold.
pub fn keyed_command_id(actor: &str, exception: u64, key: &str) -> String {
    format!("{exception}:{}:{actor}:{key}", actor.len())
}

/// What the command does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Acknowledge,
    Assign {
        #[schemars(regex(pattern = r"\S"))]
        assignee: String,
    },
    Comment {
        #[schemars(regex(pattern = r"\S"))]
        text: String,
    },
    SetStatus {
        status: WorkStatus,
    },
    Resolve {
        root_cause: RootCause,
        #[schemars(regex(pattern = r"\S"))]
        note: String,
        /// What was done about it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolution: Option<Resolution>,
    },
    /// A false positive: nothing was wrong.
    Dismiss {
        #[schemars(regex(pattern = r"\S"))]
        reason: String,
    },
    Reopen {
        note: String,
    },
    /// No escalation until then (the SLA clock still runs).
    Snooze {
        until: DateTime<FixedOffset>,
    },
    /// A file kept in the evidence store under its SHA-256.
    AttachEvidence {
        #[schemars(regex(pattern = r"^[0-9a-fA-F]{64}$"))]
        sha256: String,
        name: String,
        media_type: String,
        bytes: u64,
    },
    /// Ask another person to approve the resolution (the four-eyes rule above a threshold).
    RequestApproval {
        #[schemars(regex(pattern = r"\S"))]
        reason: String,
    },
    Approve {
        note: String,
    },
    Reject {
        note: String,
    },
    /// Approve or reject a proposed task (a replenishment draft, an order hold), or close a to-do (done, or
    /// rejected as not needed).
    DecideTask {
        task: u64,
        approve: bool,
        #[serde(default)]
        note: String,
    },
    /// The outbox dispatcher's report of one delivery attempt of a notification; after a failure, when it will
    /// try again.
    TaskDelivered {
        task: u64,
        ok: bool,
        detail: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(schema_with = "optional_instant")]
        retry_at: Option<DateTime<FixedOffset>>,
    },
    /// Send a notification again that failed or was given up (a dead letter), as if it were new.
    ResendTask {
        task: u64,
    },
    /// An approved replenishment draft was created in another system (an ERP's purchase order), under
    /// `reference` there.
    TaskExported {
        task: u64,
        reference: String,
    },
}

crate::wire_names! {
    /// What a command does, without its details: the `action` tag of a command on the wire.
    pub enum ActionKind {
        Acknowledge = "acknowledge",
        Assign = "assign",
        Comment = "comment",
        SetStatus = "set_status",
        Resolve = "resolve",
        Dismiss = "dismiss",
        Reopen = "reopen",
        Snooze = "snooze",
        AttachEvidence = "attach_evidence",
        RequestApproval = "request_approval",
        Approve = "approve",
        Reject = "reject",
        DecideTask = "decide_task",
        TaskDelivered = "task_delivered",
        ResendTask = "resend_task",
        TaskExported = "task_exported",
    }
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Acknowledge => ActionKind::Acknowledge,
            Self::Assign { .. } => ActionKind::Assign,
            Self::Comment { .. } => ActionKind::Comment,
            Self::SetStatus { .. } => ActionKind::SetStatus,
            Self::Resolve { .. } => ActionKind::Resolve,
            Self::Dismiss { .. } => ActionKind::Dismiss,
            Self::Reopen { .. } => ActionKind::Reopen,
            Self::Snooze { .. } => ActionKind::Snooze,
            Self::AttachEvidence { .. } => ActionKind::AttachEvidence,
            Self::RequestApproval { .. } => ActionKind::RequestApproval,
            Self::Approve { .. } => ActionKind::Approve,
            Self::Reject { .. } => ActionKind::Reject,
            Self::DecideTask { .. } => ActionKind::DecideTask,
            Self::TaskDelivered { .. } => ActionKind::TaskDelivered,
            Self::ResendTask { .. } => ActionKind::ResendTask,
            Self::TaskExported { .. } => ActionKind::TaskExported,
        }
    }

    /// Whether it acts on one of the exception's tasks rather than on the exception.
    pub fn is_task_command(&self) -> bool {
        matches!(
            self,
            Self::DecideTask { .. } | Self::TaskDelivered { .. } | Self::ResendTask { .. } | Self::TaskExported { .. }
        )
    }

    /// The wire name of what it does (its `action` tag).
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

crate::wire_names! {
    /// Working statuses a person may set on an open exception.
    pub enum WorkStatus {
        InProgress = "in_progress",
        WaitingSupplier = "waiting_supplier",
        WaitingCustomer = "waiting_customer",
    }
}

crate::wire_names! {
    /// Why it happened, as the person resolving it judges (workflow.md's root-cause codes).
    pub enum RootCause {
        ProcessNoncompliance = "process_noncompliance",
        DelayedReceiving = "delayed_receiving",
        TransferDiscipline = "transfer_discipline",
        CountInaccuracy = "count_inaccuracy",
        SupplierFailure = "supplier_failure",
        MasterDataError = "master_data_error",
        IntegrationError = "integration_error",
        TheftOrShrink = "theft_or_shrink",
        CustomerBehaviour = "customer_behaviour",
        Other = "other",
    }
}

crate::wire_names! {
    /// What was done to resolve an exception.
    pub enum Resolution {
        Corrected = "corrected",
        StockAdjusted = "stock_adjusted",
        Recounted = "recounted",
        Replenished = "replenished",
        SupplierClaim = "supplier_claim",
        CustomerRefunded = "customer_refunded",
        NoActionNeeded = "no_action_needed",
        Other = "other",
    }
}

/// The log's `kind` for incident commands.
pub const INCIDENT_COMMAND_KIND: &str = "incident_command";

/// One logged command on an incident: a person says which exceptions share a cause, where correlation did not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentCommand {
    /// Unique within `source`.
    pub id: String,
    pub source: String,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The incident's id.
    pub incident: u64,
    #[serde(flatten)]
    pub action: IncidentAction,
}

/// What an incident command does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum IncidentAction {
    /// Fold another incident into this one: its exceptions join this one, which keeps the root that comes first
    /// in the causal order, and the other is left empty, pointing here.
    Merge {
        /// The incident folded in.
        #[schemars(range(min = 1))]
        from: u64,
    },
    /// Take these exceptions out of this incident into a new one; each side's root is its member first in the
    /// causal order.
    Split {
        #[schemars(length(min = 1))]
        exceptions: Vec<u64>,
    },
}

impl IncidentAction {
    /// The wire name of what it does (its `action` tag).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Merge { .. } => "merge",
            Self::Split { .. } => "split",
        }
    }
}

/// The log id of an incident command sent with the caller's idempotency key, as [`keyed_command_id`] for an
/// exception's; the `incident:` prefix keeps it apart from those.
pub fn keyed_incident_command_id(actor: &str, incident: u64, key: &str) -> String {
    format!("incident:{}", keyed_command_id(actor, incident, key))
}

/// The log's `kind` for silences.
pub const SILENCE_KIND: &str = "silence";

/// The log's `kind` for a silence ended early.
pub const SILENCE_END_KIND: &str = "silence_end";

/// A person ends a silence before its time: from `at` on, new exceptions it covered are no longer muted. The
/// comment says why, and is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SilenceEnd {
    /// Unique within `source`.
    pub id: String,
    pub source: String,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    /// The silence's number (`SilenceRecord::id`).
    pub silence: u64,
    pub comment: String,
}

/// A silence: new exceptions of a type (at a location, for a SKU) are muted until a time, as Alertmanager's
/// silences mute alerts. A muted exception is still recorded, with the silence on its timeline, but it does
/// not escalate while the silence lasts. The comment says why, and is required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    /// Unique within `source`.
    pub id: String,
    pub source: String,
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    /// The exception type's name (built-in or custom).
    #[serde(rename = "type")]
    pub exception_type: String,
    /// Only at this location; every location when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Only for this SKU; every SKU when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// The end of the silence (excluded).
    pub until: DateTime<FixedOffset>,
    pub comment: String,
}

/// An instant (RFC 3339) or nothing, as two alternatives: a generator reading `"type": ["string", "null"]` with
/// a format may not apply the format to the string.
fn optional_instant(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serde's `action` tag follows the variants' names by its own case rule: it must say what `ActionKind` says.
    #[test]
    fn the_action_tag_is_the_kind_name_and_a_command_reads_back_as_logged() {
        let at = DateTime::parse_from_rfc3339("2026-11-02T10:00:00Z").unwrap();
        let text = String::from("x");
        let every_action = [
            Action::Acknowledge,
            Action::Assign { assignee: text.clone() },
            Action::Comment { text: text.clone() },
            Action::SetStatus {
                status: WorkStatus::InProgress,
            },
            Action::Resolve {
                root_cause: RootCause::Other,
                note: text.clone(),
                resolution: None,
            },
            Action::Dismiss { reason: text.clone() },
            Action::Reopen { note: text.clone() },
            Action::Snooze { until: at },
            Action::AttachEvidence {
                sha256: text.clone(),
                name: text.clone(),
                media_type: text.clone(),
                bytes: 1,
            },
            Action::RequestApproval { reason: text.clone() },
            Action::Approve { note: text.clone() },
            Action::Reject { note: text.clone() },
            Action::DecideTask {
                task: 1,
                approve: true,
                note: text.clone(),
            },
            Action::TaskDelivered {
                task: 1,
                ok: false,
                detail: text.clone(),
                retry_at: Some(at),
            },
            Action::ResendTask { task: 1 },
            Action::TaskExported {
                task: 1,
                reference: text.clone(),
            },
        ];
        let kinds: Vec<ActionKind> = every_action.iter().map(Action::kind).collect();
        assert_eq!(kinds, ActionKind::ALL, "one action of each kind, in order");
        for action in &every_action {
            let json = serde_json::to_value(action).unwrap();
            assert_eq!(json["action"], action.name(), "{json}");
        }
        for action in [
            IncidentAction::Merge { from: 2 },
            IncidentAction::Split { exceptions: vec![3] },
        ] {
            let json = serde_json::to_value(&action).unwrap();
            assert_eq!(json["action"], action.name(), "{json}");
            // As the log keeps it: the action's fields beside the command's.
            let command = IncidentCommand {
                id: text.clone(),
                source: text.clone(),
                at,
                actor: text.clone(),
                role: None,
                incident: 1,
                action,
            };
            let logged = serde_json::to_string(&command).unwrap();
            assert_eq!(
                serde_json::from_str::<IncidentCommand>(&logged).unwrap(),
                command,
                "{logged}"
            );
        }
    }
}
