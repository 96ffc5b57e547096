//! The tasks automated actions create (replenishment drafts, recounts, to-dos, order holds, notifications in
//! the outbox) and their statuses: part of the workflow's state. `tasks.rs` says when the engine creates them.

use serde::{Deserialize, Serialize};

use crate::codes::{DocumentNumber, Qty, SupplierCode, Timestamp};
use crate::engine::ledger::{LocationId, SkuId};
use crate::rules::workflow::Trigger;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: u64,
    pub exception: u64,
    pub kind: TaskKind,
    pub status: TaskStatus,
    /// Who should act on it.
    pub team: String,
    pub created_at: Timestamp,
    pub decided_by: Option<String>,
    /// Delivery attempts of a notification.
    pub attempts: u32,
    /// The first failed attempt since the last success or resend: retries stop [`DELIVERY_RETRY_WINDOW_MS`]
    /// after it.
    pub failing_since: Option<Timestamp>,
    /// When the dispatcher tries a failed notification again.
    pub retry_at: Option<Timestamp>,
    /// The latest outcome, in words.
    pub detail: String,
}

impl Task {
    /// A new task, nothing tried or decided yet.
    pub fn new(
        id: u64,
        exception: u64,
        kind: TaskKind,
        status: TaskStatus,
        team: String,
        at: Timestamp,
        detail: String,
    ) -> Self {
        Self {
            id,
            exception,
            kind,
            status,
            team,
            created_at: at,
            decided_by: None,
            attempts: 0,
            failing_since: None,
            retry_at: None,
            detail,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum TaskKind {
    Transfer {
        from: LocationId,
        to: LocationId,
        sku: SkuId,
        qty: Qty,
    },
    PurchaseOrder {
        supplier: Option<SupplierCode>,
        to: LocationId,
        sku: SkuId,
        qty: Qty,
        expected: Timestamp,
    },
    Recount {
        location: LocationId,
        sku: SkuId,
    },
    QualityReview,
    FinanceTask,
    Notify {
        email: bool,
        target: String,
        message: String,
    },
    HoldOrder {
        order: DocumentNumber,
    },
}

impl TaskKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Transfer { .. } => "transfer",
            Self::PurchaseOrder { .. } => "purchase_order",
            Self::Recount { .. } => "recount",
            Self::QualityReview => "quality_review",
            Self::FinanceTask => "finance_task",
            Self::Notify { email: true, .. } => "notify_email",
            Self::Notify { email: false, .. } => "notify_webhook",
            Self::HoldOrder { .. } => "hold_order",
        }
    }
}

crate::wire_names! {
    pub enum TaskStatus {
        /// A draft waiting for a person's decision.
        Proposed = "proposed",
        /// A to-do for its team.
        Open = "open",
        /// A notification waiting in the outbox.
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Done = "done",
        Delivered = "delivered",
        /// A notification whose last delivery failed; the dispatcher tries again.
        Failed = "failed",
        /// A notification that kept failing for [`DELIVERY_RETRY_WINDOW_MS`]: no longer tried; a person may
        /// resend it.
        DeadLetter = "dead_letter",
        /// An approved draft created in another system (an ERP's purchase order); `detail` names it there.
        Exported = "exported",
    }
}

impl TaskStatus {
    /// Still waiting for someone (a person, a team or the dispatcher).
    pub fn is_waiting(self) -> bool {
        matches!(self, Self::Proposed | Self::Open | Self::Pending | Self::Failed)
    }
}

/// How long a failing notification is retried, from its first failed attempt: a receiver down for a day is
/// someone's to fix, and the dead letter waits for them.
pub const DELIVERY_RETRY_WINDOW_MS: i64 = 24 * 3_600_000;

/// An action trigger met while applying a log entry, run when the entry is fully applied.
#[derive(Clone, Debug)]
pub struct Triggered {
    pub exception: u64,
    pub trigger: Trigger,
    pub at: Timestamp,
    pub seq: u64,
}
