//! What leaves the engine for people and scripts: ledger rows, exceptions and incidents with codes and names
//! instead of internal ids, ready to print as a table or serialize as JSON.

use schemars::JsonSchema;
use serde::Serialize;

use crate::codes::{DocumentNumber, Money, Qty, Timestamp};
use crate::command::{Resolution, RootCause};
use crate::display;
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, TimelineEntry, TypeRef};
use crate::engine::incidents::{Incident, IncidentChange, Reshape};
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::task_list::{Task, TaskKind, TaskStatus};
use crate::event::LocationKind;

/// One ledger row with its codes, as the CLI and API print it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct StockRow<'a> {
    pub location: &'a str,
    pub sku: &'a str,
    pub on_hand: Qty,
    pub reserved: Qty,
    pub in_transit: Qty,
}

/// One exception as `retex exceptions --format ndjson` prints it (the fields of exceptions.md).
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ExceptionView<'a> {
    pub id: u64,
    #[serde(rename = "type")]
    pub exception_type: &'a str,
    pub category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<&'a str>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    pub opened_at: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<&'static str>,
    /// Acknowledged after `ack_due`; a breach stays.
    pub ack_breached: bool,
    /// Resolved after `resolve_due`; a breach stays.
    pub resolve_breached: bool,
    /// The highest escalation level reached (0 before any).
    pub escalation_level: u8,
    /// A silence mutes its escalation until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silenced_until: Option<String>,
    pub severity: &'static str,
    pub impact: Money,
    pub occurrences: u32,
    pub team: &'a str,
    pub ack_due: String,
    pub resolve_due: String,
    pub rules_version: &'a str,
    pub incident: u64,
    /// Log entries of the inputs that raised it.
    pub caused_by: &'a [u64],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<String>,
    /// The log entry whose input cleared the condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeat_of: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<&'static str>,
    /// For a statistical type, what its detector saw, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<&'a str>,
    /// The version of the model that opened it, when a model did, as `rules_version` is the rules'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<&'a str>,
    /// For a statistical type, whether the field confirmed it; absent until it said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed: Option<bool>,
    /// Files attached as evidence, in order; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalView<'a>>,
}

impl ExceptionView<'_> {
    /// Where it is: its location, SKU and document, joined by `separator`.
    pub fn place(&self, separator: &str) -> String {
        [self.location, self.sku, self.reference]
            .iter()
            .flatten()
            .copied()
            .collect::<Vec<_>>()
            .join(separator)
    }
}

/// A file attached to an exception; its content is in the evidence store under `sha256`.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct EvidenceView<'a> {
    pub sha256: &'a str,
    pub name: &'a str,
    pub media_type: &'a str,
    pub bytes: u64,
    pub by: &'a str,
    pub at: String,
}

/// The latest approval request of an exception.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ApprovalView<'a> {
    pub requested_by: &'a str,
    pub requested_at: String,
    /// `pending`, `approved` or `rejected`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<&'a str>,
}

/// One entry of an exception's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TimelineView<'a> {
    pub at: String,
    /// A person, or `retex` for what the engine did.
    pub actor: &'a str,
    pub action: &'a str,
    pub detail: &'a str,
    /// The log entry that did it.
    pub seq: u64,
}

/// One incident: linked exceptions and the probable root cause.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct IncidentView<'a> {
    pub id: u64,
    /// When the root cause opened.
    pub opened_at: String,
    pub root_cause: u64,
    pub root_cause_type: &'a str,
    /// Where the root cause is, when the reader may see it: its location, SKU and document, those it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause_location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_cause_sku: Option<&'a str>,
    #[serde(rename = "root_cause_ref", skip_serializing_if = "Option::is_none")]
    pub root_cause_reference: Option<&'a str>,
    /// The members the reader may see, ascending; `types`, `open`, `open_exceptions` and `impact` are theirs.
    pub exceptions: Vec<u64>,
    /// Members at locations the reader may not see: counted, not shown.
    pub elsewhere: usize,
    pub types: Vec<&'a str>,
    pub open: bool,
    /// How many of the members shown are still active (not resolved or dismissed).
    pub open_exceptions: usize,
    pub impact: Money,
    /// The incident its members were merged into; it has none of its own since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<u64>,
    /// Merges and splits people made, oldest first; absent when there were none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<IncidentChangeView<'a>>,
}

/// One merge or split of an incident.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct IncidentChangeView<'a> {
    pub at: String,
    pub actor: &'a str,
    /// `merged` (another incident's exceptions joined this one), `merged_into` (this one's joined another),
    /// `split_off` (some left for a new incident) or `split_from` (this one was made of another's).
    pub change: &'static str,
    /// The other incident.
    pub incident: u64,
    /// The exceptions that moved, those the reader may see; absent for `merged_into` and `split_from`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<u64>,
    /// The log entry of the command.
    pub seq: u64,
}

/// A merge or split as a reader sees it: the exceptions that moved, those `seen` lets through.
fn change_view<'a>(change: &'a IncidentChange, seen: &impl Fn(&[u64]) -> Vec<u64>) -> IncidentChangeView<'a> {
    let (name, incident, exceptions) = match &change.reshape {
        Reshape::Absorbed { incident, exceptions } => ("merged", *incident, seen(exceptions)),
        Reshape::MergedInto { incident } => ("merged_into", *incident, Vec::new()),
        Reshape::SplitOff { incident, exceptions } => ("split_off", *incident, seen(exceptions)),
        Reshape::SplitFrom { incident } => ("split_from", *incident, Vec::new()),
    };
    IncidentChangeView {
        at: change.at.to_rfc3339(),
        actor: &change.actor,
        change: name,
        incident,
        exceptions,
        seq: change.seq,
    }
}

/// A transfer on its way to a location.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct InboundTransfer<'a> {
    pub transfer: &'a str,
    pub from: Option<&'a str>,
    pub shipped_at: Option<String>,
    pub expected: Option<String>,
    /// SKU and shipped quantity.
    pub lines: Vec<(&'a str, Qty)>,
}

impl Engine {
    /// Ledger rows ordered by location then SKU code, optionally for one location and/or SKU.
    pub fn stock_rows(&self, location: Option<&str>, sku: Option<&str>) -> Vec<StockRow<'_>> {
        let mut rows = Vec::new();
        for (location_id, sku_id, position) in self.state.picture.ledger.sorted() {
            let location_code = self.state.picture.locations.name(location_id);
            let sku_code = self.state.picture.skus.name(sku_id);
            if location.is_some_and(|wanted| wanted != location_code) || sku.is_some_and(|wanted| wanted != sku_code) {
                continue;
            }
            rows.push(StockRow {
                location: location_code,
                sku: sku_code,
                on_hand: position.on_hand,
                reserved: position.reserved,
                in_transit: position.in_transit,
            });
        }
        rows.sort_by(|a, b| (a.location, a.sku).cmp(&(b.location, b.sku)));
        rows
    }

    /// The name of a type, built-in or custom.
    pub fn type_name(&self, type_ref: TypeRef) -> &str {
        match type_ref {
            TypeRef::BuiltIn(exception_type) => exception_type.name(),
            TypeRef::Custom(index) => &self.config.rules.custom[usize::from(index)].name,
        }
    }

    pub(super) fn type_category(&self, type_ref: TypeRef) -> &str {
        match type_ref {
            TypeRef::BuiltIn(exception_type) => exception_type.category(),
            TypeRef::Custom(index) => &self.config.rules.custom[usize::from(index)].category,
        }
    }

    /// Every exception with its codes, in order of opening.
    pub fn exceptions(&self) -> Vec<ExceptionView<'_>> {
        self.state
            .book
            .exceptions
            .records()
            .iter()
            .map(|record| self.exception_view(record))
            .collect()
    }

    /// The exceptions whose timeline moved after log entry `after`, each as it stands with its newest change, in
    /// the order of those changes: at least `limit` of them when there are, and every one changed by the last
    /// entry included, so the caller can resume after that entry without missing one.
    pub fn exception_changes(&self, after: u64, limit: usize) -> Vec<ExceptionChange<'_>> {
        let mut changed: Vec<(&ExceptionRecord, &TimelineEntry)> = self
            .state
            .book
            .exceptions
            .records()
            .iter()
            .filter_map(|record| Some((record, record.timeline.last()?)))
            .filter(|(_, newest)| newest.seq > after)
            .collect();
        changed.sort_by_key(|(record, newest)| (newest.seq, record.id));
        if changed.len() > limit {
            let last_seq = changed[limit.max(1) - 1].1.seq;
            changed.retain(|(_, newest)| newest.seq <= last_seq);
        }
        changed
            .into_iter()
            .map(|(record, newest)| ExceptionChange {
                change: &newest.action,
                seq: newest.seq,
                exception: self.exception_view(record),
            })
            .collect()
    }

    pub fn exception_view<'a>(&'a self, record: &'a ExceptionRecord) -> ExceptionView<'a> {
        let type_ref = record.key.exception_type;
        ExceptionView {
            id: record.id,
            exception_type: self.type_name(type_ref),
            category: self.type_category(type_ref),
            location: record.location.map(|id| self.state.picture.locations.name(id)),
            sku: record.sku.map(|id| self.state.picture.skus.name(id)),
            reference: record.reference.as_ref().map(DocumentNumber::as_str),
            opened_at: record.opened_at.to_rfc3339(),
            status: record.status.name(),
            acknowledged_at: record.acknowledged_at.map(Timestamp::to_rfc3339),
            acknowledged_by: record.acknowledged_by.as_deref(),
            assignee: record.assignee.as_deref(),
            root_cause: record.root_cause.map(RootCause::name),
            ack_breached: record.ack_breached,
            resolve_breached: record.resolve_breached,
            escalation_level: record.escalation_level,
            silenced_until: record.silenced_until.map(Timestamp::to_rfc3339),
            severity: record.severity.name(),
            impact: record.impact,
            occurrences: record.occurrences,
            team: &record.team,
            ack_due: record.ack_due.to_rfc3339(),
            resolve_due: record.resolve_due.to_rfc3339(),
            rules_version: &record.rules_version,
            incident: self.state.book.incidents.incident_of(record.id),
            caused_by: &record.caused_by,
            resolved_at: record.resolved_at.map(Timestamp::to_rfc3339),
            resolved_by: record.resolved_by,
            repeat_of: record.repeat_of,
            resolution: record.resolution.map(Resolution::name),
            explanation: record.explanation.as_deref(),
            model_version: record.model_version.as_deref(),
            confirmed: record.confirmed,
            evidence: record
                .evidence
                .iter()
                .map(|evidence| EvidenceView {
                    sha256: &evidence.sha256,
                    name: &evidence.name,
                    media_type: &evidence.media_type,
                    bytes: evidence.bytes,
                    by: &evidence.by,
                    at: evidence.at.to_rfc3339(),
                })
                .collect(),
            approval: record.approval.as_ref().map(|approval| ApprovalView {
                requested_by: &approval.requested_by,
                requested_at: approval.requested_at.to_rfc3339(),
                state: match approval.decision {
                    None => "pending",
                    Some((_, true)) => "approved",
                    Some((_, false)) => "rejected",
                },
                decided_by: approval.decision.as_ref().map(|(by, _)| by.as_str()),
            }),
        }
    }

    /// One exception by id, with its timeline.
    pub fn exception_detail(&self, id: u64) -> Option<(ExceptionView<'_>, Vec<TimelineView<'_>>)> {
        let record = self.exception_record(id)?;
        let timeline = record
            .timeline
            .iter()
            .map(|entry| TimelineView {
                at: entry.at.to_rfc3339(),
                actor: &entry.actor,
                action: &entry.action,
                detail: &entry.detail,
                seq: entry.seq,
            })
            .collect();
        Some((self.exception_view(record), timeline))
    }

    /// Incidents with at least `min_exceptions` members, oldest first.
    pub fn incidents(&self, min_exceptions: usize) -> Vec<IncidentView<'_>> {
        self.incidents_as_seen(min_exceptions, |_| true)
    }

    /// Incidents of at least `min_exceptions` members, each showing only the members `shown` lets through (a
    /// reader's locations) and counting the others in `elsewhere`.
    pub fn incidents_as_seen(
        &self,
        min_exceptions: usize,
        shown: impl Fn(&ExceptionRecord) -> bool,
    ) -> Vec<IncidentView<'_>> {
        self.state
            .book
            .incidents
            .all()
            .filter(|incident| incident.members.len() >= min_exceptions)
            .map(|incident| self.incident_view(incident, &shown))
            .collect()
    }

    /// One incident by id.
    pub fn incident(&self, id: u64) -> Option<IncidentView<'_>> {
        self.incident_as_seen(id, |_| true)
    }

    /// One incident by id, as [`Self::incidents_as_seen`] shows it.
    pub fn incident_as_seen(&self, id: u64, shown: impl Fn(&ExceptionRecord) -> bool) -> Option<IncidentView<'_>> {
        if id == 0 || id > self.state.book.incidents.len() {
            return None;
        }
        Some(self.incident_view(self.state.book.incidents.get(id), &shown))
    }

    /// The incident an exception is in, if the exception exists.
    pub fn incident_of(&self, exception: u64) -> Option<u64> {
        let exists = (1..=self.state.book.exceptions.records().len() as u64).contains(&exception);
        exists.then(|| self.state.book.incidents.incident_of(exception))
    }

    /// The incident that holds an incident's members now: itself, or the one it was merged into (and that one's,
    /// after later merges). `id` must exist.
    pub fn incident_now(&self, id: u64) -> u64 {
        let mut now = id;
        while let Some(into) = self.state.book.incidents.get(now).merged_into {
            now = into;
        }
        now
    }

    fn incident_view<'a>(
        &'a self,
        incident: &'a Incident,
        shown: &impl Fn(&ExceptionRecord) -> bool,
    ) -> IncidentView<'a> {
        let mut types = Vec::new();
        let (mut open_exceptions, mut impact) = (0, Money::ZERO);
        let mut exceptions = Vec::with_capacity(incident.members.len());
        for &member in &incident.members {
            let record = self.state.book.exceptions.get(member);
            if !shown(record) {
                continue;
            }
            exceptions.push(member);
            let name = self.type_name(record.key.exception_type);
            if !types.contains(&name) {
                types.push(name);
            }
            open_exceptions += usize::from(record.status.is_active());
            impact += record.impact;
        }
        let root = self.state.book.exceptions.get(incident.root_cause);
        let root_shown = shown(root);
        let seen = |ids: &[u64]| -> Vec<u64> {
            let exceptions = &self.state.book.exceptions;
            ids.iter().copied().filter(|&id| shown(exceptions.get(id))).collect()
        };
        IncidentView {
            id: incident.id,
            opened_at: incident.opened_at.to_rfc3339(),
            root_cause: incident.root_cause,
            root_cause_type: self.type_name(root.key.exception_type),
            root_cause_location: root
                .location
                .filter(|_| root_shown)
                .map(|id| self.state.picture.locations.name(id)),
            root_cause_sku: root
                .sku
                .filter(|_| root_shown)
                .map(|id| self.state.picture.skus.name(id)),
            root_cause_reference: root
                .reference
                .as_ref()
                .filter(|_| root_shown)
                .map(DocumentNumber::as_str),
            elsewhere: incident.members.len() - exceptions.len(),
            exceptions,
            types,
            open: open_exceptions > 0,
            open_exceptions,
            impact,
            merged_into: incident.merged_into,
            changes: incident
                .changes
                .iter()
                .map(|change| change_view(change, &seen))
                .collect(),
        }
    }

    /// An instant to the minute in a location's time zone, the zone named (`2026-11-02 18:00 Europe/Berlin`), and
    /// whether that zone is the location's: without a location, or one whose master data names no zone this build
    /// knows, it is UTC.
    pub fn location_time(&self, location: Option<&str>, at: Timestamp) -> (String, bool) {
        let location = location.and_then(|code| self.location_id(code));
        let named = (location.and_then(|id| self.state.picture.master.location(id)))
            .and_then(|info| info.timezone.as_deref())
            .is_some_and(|name| name.parse::<chrono_tz::Tz>().is_ok());
        (display::local_time(at, self.location_zone(location)), named)
    }

    /// The codes of every store in master data, sorted.
    pub fn store_codes(&self) -> Vec<String> {
        let mut codes: Vec<String> = self
            .state
            .picture
            .master
            .locations
            .iter()
            .enumerate()
            .filter(|(_, info)| info.as_ref().is_some_and(|info| info.kind == LocationKind::Store))
            .map(|(index, _)| self.state.picture.locations.name(index as LocationId).to_owned())
            .collect();
        codes.sort();
        codes
    }

    /// Transfers shipped to `location` and not yet received, oldest shipment first: what the store must confirm.
    pub fn inbound_transfers(&self, location: &str) -> Vec<InboundTransfer<'_>> {
        let Some(location) = self.location_id(location) else {
            return Vec::new();
        };
        let mut inbound: Vec<InboundTransfer<'_>> = self
            .state
            .picture
            .transfers
            .iter()
            .filter(|(_, transfer)| transfer.to == location && transfer.received_at.is_none())
            .map(|(number, transfer)| InboundTransfer {
                transfer: number.as_str(),
                from: transfer.from.map(|from| self.state.picture.locations.name(from)),
                shipped_at: transfer.shipped_at.map(Timestamp::to_rfc3339),
                expected: transfer.expected.map(Timestamp::to_rfc3339),
                lines: transfer
                    .shipped
                    .iter()
                    .map(|(sku, qty)| (self.state.picture.skus.name(*sku), *qty))
                    .collect(),
            })
            .collect();
        inbound.sort_by(|a, b| (&a.shipped_at, a.transfer).cmp(&(&b.shipped_at, b.transfer)));
        inbound
    }
}

/// One task of an automated action, with codes instead of ids.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct TaskView<'a> {
    pub id: u64,
    pub exception: u64,
    /// `transfer`, `purchase_order`, `recount`, `quality_review`, `finance_task`, `notify_webhook`,
    /// `notify_email` or `hold_order`.
    pub kind: &'static str,
    /// `proposed`, `open`, `pending`, `approved`, `rejected`, `done`, `delivered`, `failed` (to be tried
    /// again at `retry_at`), `dead_letter` (given up after a day of failures; a person may resend it) or
    /// `exported` (an approved draft created in the ERP; `detail` names it there).
    pub status: &'static str,
    pub team: &'a str,
    pub created_at: String,
    pub detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<&'a str>,
    pub attempts: u32,
    /// When a failed notification is tried again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
    /// Where the task happens: the transfer's or order's destination, the recount's store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<Qty>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supplier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
}

/// One exception that changed, as outbound feeds publish it.
#[derive(Clone, Debug, Serialize)]
pub struct ExceptionChange<'a> {
    /// Its newest timeline entry's action: `opened`, `occurred`, `acknowledged`, `assigned`, `escalated`,
    /// `resolved`, ...
    pub change: &'a str,
    /// The log entry of that change.
    pub seq: u64,
    pub exception: ExceptionView<'a>,
}

impl Engine {
    /// Approved replenishment drafts (purchase orders and transfers) not yet exported to the system that
    /// carries them out.
    pub fn approved_drafts(&self) -> impl Iterator<Item = TaskView<'_>> {
        self.state
            .workflow
            .tasks
            .iter()
            .filter(|task| {
                task.status == TaskStatus::Approved
                    && matches!(task.kind, TaskKind::PurchaseOrder { .. } | TaskKind::Transfer { .. })
            })
            .map(|task| self.task_view(task))
    }

    pub fn task_view<'a>(&'a self, task: &'a Task) -> TaskView<'a> {
        let code = |location: LocationId| self.state.picture.locations.name(location);
        let sku_code = |sku: SkuId| self.state.picture.skus.name(sku);
        let mut view = TaskView {
            id: task.id,
            exception: task.exception,
            kind: task.kind.name(),
            status: task.status.name(),
            team: &task.team,
            created_at: task.created_at.to_rfc3339(),
            detail: &task.detail,
            decided_by: task.decided_by.as_deref(),
            attempts: task.attempts,
            retry_at: task.retry_at.map(Timestamp::to_rfc3339),
            location: None,
            from: None,
            sku: None,
            qty: None,
            supplier: None,
            expected: None,
            order: None,
            target: None,
            message: None,
        };
        match &task.kind {
            TaskKind::Transfer { from, to, sku, qty } => {
                (view.from, view.location, view.sku, view.qty) =
                    (Some(code(*from)), Some(code(*to)), Some(sku_code(*sku)), Some(*qty));
            }
            TaskKind::PurchaseOrder {
                supplier,
                to,
                sku,
                qty,
                expected,
            } => {
                (view.location, view.sku, view.qty) = (Some(code(*to)), Some(sku_code(*sku)), Some(*qty));
                view.supplier = supplier.as_ref().map(|supplier| supplier.as_str());
                view.expected = Some(expected.to_rfc3339());
            }
            TaskKind::Recount { location, sku } => {
                (view.location, view.sku) = (Some(code(*location)), Some(sku_code(*sku)));
            }
            TaskKind::Notify { target, message, .. } => {
                (view.target, view.message) = (Some(target.as_str()), Some(message.as_str()));
            }
            TaskKind::HoldOrder { order } => view.order = Some(order.as_str()),
            TaskKind::QualityReview | TaskKind::FinanceTask => {}
        }
        if view.location.is_none() {
            view.location = self
                .exception_record(task.exception)
                .and_then(|record| record.location)
                .map(code);
        }
        view
    }
}
