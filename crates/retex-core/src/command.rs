//! Commands: what people do to exceptions (acknowledge, assign, comment, change status, snooze, attach
//! evidence, request and decide approvals, resolve, dismiss, reopen), logged like events so that the workflow is
//! replayable and auditable.
//!
//! A command names its actor, its time and the exception it acts on; `(source, id)` is its idempotency key as
//! for events. The engine checks it against the exception's state with [`crate::engine::Engine::check_command`],
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

/// What the command does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Acknowledge,
    Assign {
        assignee: String,
    },
    Comment {
        text: String,
    },
    SetStatus {
        status: WorkStatus,
    },
    Resolve {
        root_cause: RootCause,
        note: String,
        /// What was done about it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resolution: Option<Resolution>,
    },
    /// A false positive: nothing was wrong.
    Dismiss {
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
        sha256: String,
        name: String,
        media_type: String,
        bytes: u64,
    },
    /// Ask another person to approve the resolution (the four-eyes rule above a threshold).
    RequestApproval {
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
    /// The outbox dispatcher's report of one delivery attempt of a notification.
    TaskDelivered {
        task: u64,
        ok: bool,
        detail: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Acknowledge => "acknowledge",
            Self::Assign { .. } => "assign",
            Self::Comment { .. } => "comment",
            Self::SetStatus { .. } => "set_status",
            Self::Resolve { .. } => "resolve",
            Self::Dismiss { .. } => "dismiss",
            Self::Reopen { .. } => "reopen",
            Self::Snooze { .. } => "snooze",
            Self::AttachEvidence { .. } => "attach_evidence",
            Self::RequestApproval { .. } => "request_approval",
            Self::Approve { .. } => "approve",
            Self::Reject { .. } => "reject",
            Self::DecideTask { .. } => "decide_task",
            Self::TaskDelivered { .. } => "task_delivered",
        }
    }
}

/// Working statuses a person may set on an open exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkStatus {
    InProgress,
    WaitingSupplier,
    WaitingCustomer,
}

/// Why it happened, as the person resolving it judges (workflow.md's root-cause codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RootCause {
    ProcessNoncompliance,
    DelayedReceiving,
    TransferDiscipline,
    CountInaccuracy,
    SupplierFailure,
    MasterDataError,
    IntegrationError,
    TheftOrShrink,
    CustomerBehaviour,
    Other,
}

impl RootCause {
    pub const ALL: [RootCause; 10] = [
        Self::ProcessNoncompliance,
        Self::DelayedReceiving,
        Self::TransferDiscipline,
        Self::CountInaccuracy,
        Self::SupplierFailure,
        Self::MasterDataError,
        Self::IntegrationError,
        Self::TheftOrShrink,
        Self::CustomerBehaviour,
        Self::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::ProcessNoncompliance => "process_noncompliance",
            Self::DelayedReceiving => "delayed_receiving",
            Self::TransferDiscipline => "transfer_discipline",
            Self::CountInaccuracy => "count_inaccuracy",
            Self::SupplierFailure => "supplier_failure",
            Self::MasterDataError => "master_data_error",
            Self::IntegrationError => "integration_error",
            Self::TheftOrShrink => "theft_or_shrink",
            Self::CustomerBehaviour => "customer_behaviour",
            Self::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|cause| cause.name() == name)
    }
}

/// What was done to resolve an exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    Corrected,
    StockAdjusted,
    Recounted,
    Replenished,
    SupplierClaim,
    CustomerRefunded,
    NoActionNeeded,
    Other,
}

impl Resolution {
    pub const ALL: [Resolution; 8] = [
        Self::Corrected,
        Self::StockAdjusted,
        Self::Recounted,
        Self::Replenished,
        Self::SupplierClaim,
        Self::CustomerRefunded,
        Self::NoActionNeeded,
        Self::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Corrected => "corrected",
            Self::StockAdjusted => "stock_adjusted",
            Self::Recounted => "recounted",
            Self::Replenished => "replenished",
            Self::SupplierClaim => "supplier_claim",
            Self::CustomerRefunded => "customer_refunded",
            Self::NoActionNeeded => "no_action_needed",
            Self::Other => "other",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|resolution| resolution.name() == name)
    }
}

/// The log's `kind` for silences.
pub const SILENCE_KIND: &str = "silence";

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
