//! Automated actions (the rules' `[[actions]]`): when an exception opens, breaches its SLA or changes status,
//! the engine creates a task and notes it on the exception's timeline. A replenishment proposal or an order hold
//! waits for a person to approve it; a recount, a quality review or a finance task is a to-do for a team (the
//! next count of the position completes a recount); a notification is an outbox entry the server's dispatcher
//! delivers, logging each attempt as a command. Tasks are engine state, so they replay like everything else.

use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use crate::codes::{Qty, Timestamp};
use crate::command::{Action, Command};
use crate::engine::composition::{Engine, Output};
use crate::engine::detect::inventory::Projection;
use crate::engine::detect_inventory::ProjectionFor;
use crate::engine::exceptions::{ENGINE_ACTOR, ExceptionRecord};
use crate::engine::ledger::{LocationId, SkuId, pack};
use crate::engine::refusal::Refusal;
use crate::engine::task_list::{DELIVERY_RETRY_WINDOW_MS, Task, TaskKind, TaskStatus, Triggered};
use crate::event::LocationKind;
use crate::rules::workflow::{TaskKindRule, Trigger};

impl Engine {
    /// Notes that `trigger` happened to an exception; its actions run when the current entry is applied.
    pub(super) fn trigger_actions(&mut self, exception: u64, trigger: Trigger, at: Timestamp, seq: u64) {
        if !self.config.rules.workflow.actions.is_empty() {
            self.triggered.push(Triggered {
                exception,
                trigger,
                at,
                seq,
            });
        }
    }

    pub(super) fn run_triggered_actions(&mut self) {
        for triggered in std::mem::take(&mut self.triggered) {
            self.run_actions(&triggered);
        }
    }

    /// Creates the tasks the rules ask for on a trigger, each noted on the exception's timeline.
    fn run_actions(&mut self, triggered: &Triggered) {
        let Triggered {
            exception,
            ref trigger,
            at,
            seq,
        } = *triggered;
        let rules = std::sync::Arc::clone(&self.config.rules);
        let type_name = self
            .type_name(self.state.book.exceptions.get(exception).key.exception_type)
            .to_owned();
        for action in &rules.workflow.actions {
            if action.exception_type != type_name || action.on != *trigger {
                continue;
            }
            let note = match self.make_task(exception, action.task, action.target.as_deref(), at) {
                Some((kind, status, team, detail)) => {
                    let id = self.state.workflow.tasks.len() as u64 + 1;
                    if let TaskKind::Recount { location, sku } = kind {
                        self.state
                            .workflow
                            .open_recounts
                            .entry(pack(location, sku))
                            .or_default()
                            .push(id);
                    }
                    let note = format!("{}: {detail} (task {id}, {})", action.task.name(), status.name());
                    self.state
                        .workflow
                        .tasks
                        .push(Task::new(id, exception, kind, status, team, at, detail));
                    note
                }
                None => format!("{}: not applicable to this exception", action.task.name()),
            };
            self.state
                .book
                .exceptions
                .get_mut(exception)
                .note(at, ENGINE_ACTOR, "action", note, seq);
            self.outbox.push(Output::ExceptionChanged(exception));
        }
    }

    /// The task an action creates for an exception: kind, first status, team and a description.
    fn make_task(
        &mut self,
        exception: u64,
        rule: TaskKindRule,
        target: Option<&str>,
        at: Timestamp,
    ) -> Option<(TaskKind, TaskStatus, String, String)> {
        let record = self.state.book.exceptions.get(exception);
        let (location, sku, team) = (record.location, record.sku, record.team.clone());
        let reference = record.reference.clone();
        let message = self.notification_text(record);
        Some(match rule {
            TaskKindRule::ProposeReplenishment => return self.propose_replenishment(location?, sku?, team, at),
            TaskKindRule::RequestRecount => {
                let (location, sku) = (location?, sku?);
                let detail = format!(
                    "count {} at {}",
                    self.state.picture.skus.name(sku),
                    self.state.picture.locations.name(location)
                );
                (TaskKind::Recount { location, sku }, TaskStatus::Open, team, detail)
            }
            TaskKindRule::QualityReview => (
                TaskKind::QualityReview,
                TaskStatus::Open,
                "quality".into(),
                "review by quality".into(),
            ),
            TaskKindRule::FinanceTask => (
                TaskKind::FinanceTask,
                TaskStatus::Open,
                "finance".into(),
                "refund approval by finance".into(),
            ),
            TaskKindRule::NotifyWebhook | TaskKindRule::NotifyEmail => {
                let target = target?.to_owned();
                let email = rule == TaskKindRule::NotifyEmail;
                let detail = format!("notify {target}");
                (
                    TaskKind::Notify { email, target, message },
                    TaskStatus::Pending,
                    team,
                    detail,
                )
            }
            TaskKindRule::HoldOrder => {
                let order = reference?;
                let detail = format!("hold order {order}");
                (
                    TaskKind::HoldOrder { order },
                    TaskStatus::Proposed,
                    "web operations".into(),
                    detail,
                )
            }
        })
    }

    /// Tells a person (a user name or an address) what happened to an exception, by the channels `[notify]`
    /// names: an e-mail to them, a post to the people's webhook, or both; each a notification in the outbox,
    /// noted on the timeline.
    pub(super) fn tell(&mut self, exception: u64, recipient: &str, what: &str, at: Timestamp, seq: u64) {
        let rules = std::sync::Arc::clone(&self.config.rules);
        let notify = &rules.workflow.notify;
        let record = self.state.book.exceptions.get(exception);
        let message = format!("{what}: {}", self.notification_text(record));
        let team = record.team.clone();
        let mut channels = Vec::with_capacity(2);
        if notify.email {
            channels.push((
                true,
                recipient.to_owned(),
                message.clone(),
                format!("e-mail {recipient}"),
            ));
        }
        if let Some(url) = &notify.webhook {
            channels.push((
                false,
                url.clone(),
                format!("for {recipient}, {message}"),
                format!("post for {recipient}"),
            ));
        }
        for (email, target, message, detail) in channels {
            let id = self.state.workflow.tasks.len() as u64 + 1;
            let kind = TaskKind::Notify { email, target, message };
            let task = Task::new(
                id,
                exception,
                kind,
                TaskStatus::Pending,
                team.clone(),
                at,
                detail.clone(),
            );
            self.state.workflow.tasks.push(task);
            let note = format!("{detail} (task {id}): {what}");
            self.state
                .book
                .exceptions
                .get_mut(exception)
                .note(at, ENGINE_ACTOR, "notify", note, seq);
        }
    }

    fn notification_text(&self, record: &ExceptionRecord) -> String {
        let view = self.exception_view(record);
        let place = view.place(" ");
        format!(
            "exception {} {} {place}: {} severity, impact {}, team {}",
            view.id,
            view.exception_type,
            view.severity,
            view.impact.0.round_dp(2),
            view.team
        )
    }

    /// A draft transfer of what `low_stock` wants on hand from the first warehouse with that much free stock,
    /// else a draft purchase order from the product's supplier, expected after its lead time.
    fn propose_replenishment(
        &mut self,
        location: LocationId,
        sku: SkuId,
        team: String,
        at: Timestamp,
    ) -> Option<(TaskKind, TaskStatus, String, String)> {
        let sales = self.window_sales(location, sku, at)?;
        let position = self.state.picture.position(location, sku);
        let projection = self.projection(location, sku, at, sales, position, ProjectionFor::Drafting)?;
        let lead_time_days = self.supply_params(location, sku).lead_time_days;
        let on_order = (self.state.stats.on_order.get(&pack(location, sku)).copied()).unwrap_or(Qty::ZERO);
        let qty = Qty(draft_quantity(
            &projection,
            lead_time_days,
            position.in_transit + on_order,
        ));
        let (sku_code, to_code) = (
            self.state.picture.skus.name(sku),
            self.state.picture.locations.name(location),
        );
        let warehouse = self
            .state
            .picture
            .master
            .locations
            .iter()
            .enumerate()
            .find_map(|(index, info)| {
                let warehouse = index as LocationId;
                let is_warehouse = info.as_ref().is_some_and(|info| info.kind == LocationKind::Warehouse);
                let free = self
                    .state
                    .picture
                    .ledger
                    .get(warehouse, sku)
                    .map_or(Qty::ZERO, |position| position.on_hand - position.reserved);
                (is_warehouse && warehouse != location && free >= qty).then_some(warehouse)
            });
        if let Some(from) = warehouse {
            let detail = format!(
                "draft transfer of {qty} x {sku_code} from {} to {to_code}",
                self.state.picture.locations.name(from)
            );
            return Some((
                TaskKind::Transfer {
                    from,
                    to: location,
                    sku,
                    qty,
                },
                TaskStatus::Proposed,
                team,
                detail,
            ));
        }
        let supplier = self
            .state
            .picture
            .master
            .product(sku)
            .and_then(|product| product.supplier.clone());
        let expected = Timestamp(at.0 + (lead_time_days * Timestamp::MILLIS_PER_DAY as f64) as i64);
        let detail = format!(
            "draft purchase order of {qty} x {sku_code} from {} for {to_code}, expected {expected}",
            supplier
                .as_ref()
                .map_or("the usual supplier", |supplier| supplier.as_str())
        );
        Some((
            TaskKind::PurchaseOrder {
                supplier,
                to: location,
                sku,
                qty,
                expected,
            },
            TaskStatus::Proposed,
            "buyers".into(),
            detail,
        ))
    }

    /// A count of a position completes its open recount tasks.
    pub(super) fn complete_recounts(&mut self, location: LocationId, sku: SkuId, at: Timestamp, seq: u64) {
        let Some(ids) = self.state.workflow.open_recounts.remove(&pack(location, sku)) else {
            return;
        };
        for id in ids {
            let task = &mut self.state.workflow.tasks[(id - 1) as usize];
            if task.status != TaskStatus::Open {
                continue;
            }
            task.status = TaskStatus::Done;
            task.detail = "counted".into();
            let exception = task.exception;
            self.state.book.exceptions.get_mut(exception).note(
                at,
                ENGINE_ACTOR,
                "task_done",
                format!("recount done (task {id})"),
                seq,
            );
        }
    }

    /// Whether a task command fits the task: it must exist, belong to the command's exception and wait for
    /// this kind of decision.
    pub(super) fn check_task_command(&self, command: &Command) -> Result<(), Refusal> {
        let task_id = match &command.action {
            Action::DecideTask { task, .. }
            | Action::TaskDelivered { task, .. }
            | Action::ResendTask { task }
            | Action::TaskExported { task, .. } => *task,
            _ => return Ok(()),
        };
        let task = task_id
            .checked_sub(1)
            .and_then(|index| self.state.workflow.tasks.get(index as usize))
            .filter(|task| task.exception == command.exception)
            .ok_or_else(|| Refusal::not_found(format!("exception {} has no task {task_id}", command.exception)))?;
        let is_notification = matches!(task.kind, TaskKind::Notify { .. });
        let fits = match (&command.action, task.status) {
            (Action::TaskDelivered { .. }, TaskStatus::Pending | TaskStatus::Failed) => is_notification,
            (Action::ResendTask { .. }, TaskStatus::Failed | TaskStatus::DeadLetter) => is_notification,
            (Action::DecideTask { .. }, status) => matches!(status, TaskStatus::Proposed | TaskStatus::Open),
            (Action::TaskExported { .. }, TaskStatus::Approved) => {
                matches!(task.kind, TaskKind::PurchaseOrder { .. } | TaskKind::Transfer { .. })
            }
            _ => false,
        };
        if fits {
            return Ok(());
        }
        Err(Refusal::conflict(format!("task {task_id} is {}", task.status.name())))
    }

    /// Applies a checked task command.
    pub(super) fn apply_task_command(&mut self, command: &Command, at: Timestamp, seq: u64) {
        let (task_id, note) = match &command.action {
            Action::DecideTask { task, approve, note } => {
                let task = &mut self.state.workflow.tasks[(*task - 1) as usize];
                task.status = match (task.status, approve) {
                    (TaskStatus::Proposed, true) => TaskStatus::Approved,
                    (TaskStatus::Open, true) => TaskStatus::Done,
                    _ => TaskStatus::Rejected,
                };
                task.detail.clone_from(note);
                task.decided_by = Some(command.actor.clone());
                (task.id, format!("{}: {note}", task.status.name()))
            }
            Action::TaskDelivered {
                task,
                ok,
                detail,
                retry_at,
            } => {
                let task = &mut self.state.workflow.tasks[(*task - 1) as usize];
                record_delivery(task, *ok, detail, retry_at.as_ref().map(Timestamp::from_datetime), at);
                let retry = match task.retry_at {
                    Some(retry_at) if task.status == TaskStatus::Failed => format!("; next try {retry_at}"),
                    _ => String::new(),
                };
                (task.id, format!("{}: {detail}{retry}", task.status.name()))
            }
            Action::TaskExported { task, reference } => {
                let task = &mut self.state.workflow.tasks[(*task - 1) as usize];
                task.status = TaskStatus::Exported;
                task.detail.clone_from(reference);
                (task.id, format!("exported: {reference}"))
            }
            Action::ResendTask { task } => {
                let task = &mut self.state.workflow.tasks[(*task - 1) as usize];
                task.status = TaskStatus::Pending;
                task.failing_since = None;
                task.retry_at = None;
                task.detail = format!("resent by {}", command.actor);
                (task.id, format!("pending: resent after {} attempts", task.attempts))
            }
            _ => return,
        };
        self.state.book.exceptions.get_mut(command.exception).note(
            at,
            &command.actor,
            "task",
            format!("task {task_id} {note}"),
            seq,
        );
    }

    pub fn tasks(&self) -> &[Task] {
        &self.state.workflow.tasks
    }
}

/// One delivery attempt of a notification: delivered, failed with a next try, or, once it has failed for
/// [`DELIVERY_RETRY_WINDOW_MS`], a dead letter.
fn record_delivery(task: &mut Task, ok: bool, detail: &str, retry_at: Option<Timestamp>, at: Timestamp) {
    task.attempts += 1;
    task.detail = detail.to_owned();
    if ok {
        task.status = TaskStatus::Delivered;
        task.failing_since = None;
        task.retry_at = None;
        return;
    }
    let failing_since = *task.failing_since.get_or_insert(at);
    let given_up = at.0 - failing_since.0 >= DELIVERY_RETRY_WINDOW_MS
        || retry_at.is_none_or(|retry| retry.0 - failing_since.0 >= DELIVERY_RETRY_WINDOW_MS);
    if given_up {
        task.status = TaskStatus::DeadLetter;
        task.retry_at = None;
    } else {
        task.status = TaskStatus::Failed;
        task.retry_at = retry_at;
    }
}

/// What a draft replenishment orders: the demand `low_stock` projects over the lead time + 1 day, less what is
/// free and inbound; at least one unit.
fn draft_quantity(projection: &Projection, lead_time_days: f64, inbound: Qty) -> Decimal {
    let wanted = projection.demand.quantile(lead_time_days + 1.0, projection.stockout_z);
    let wanted = Decimal::from_f64(wanted.ceil()).unwrap_or(Decimal::ONE);
    (wanted - projection.free.0 - inbound.0).ceil().max(Decimal::ONE)
}
