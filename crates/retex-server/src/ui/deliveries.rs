//! Deliveries: the webhook notifications that did not get through, failing ones still retried and dead letters given
//! up after a day, each with its last error and a button to send it again.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use retex_core::engine::{TaskKind, TaskStatus};

use super::page::{PageUser, UserBar, page, shown};
use crate::state::AppState;

pub struct DeliveryRow {
    pub task: u64,
    pub exception: u64,
    pub target: String,
    pub status: &'static str,
    pub attempts: u32,
    pub detail: String,
    pub retry_at: String,
}

#[derive(Template)]
#[template(path = "deliveries.html")]
struct DeliveriesPage {
    user: Option<UserBar>,
    notice: Option<String>,
    csrf: String,
    can_act: bool,
    rows: Vec<DeliveryRow>,
    pending: usize,
    delivered: usize,
}

pub(super) async fn deliveries_page(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    shown(
        state
            .read(move |engine| {
                let scope = user.principal.scope.as_deref();
                let notifications = engine.tasks().iter().filter(|task| {
                    matches!(task.kind, TaskKind::Notify { email: false, .. })
                        && engine
                            .exception_record(task.exception)
                            .is_some_and(|record| engine.in_scope(record, scope))
                });
                let (mut pending, mut delivered, mut rows) = (0, 0, Vec::new());
                for task in notifications.rev() {
                    match task.status {
                        TaskStatus::Pending => pending += 1,
                        TaskStatus::Delivered => delivered += 1,
                        TaskStatus::Failed | TaskStatus::DeadLetter => {
                            let TaskKind::Notify { target, .. } = &task.kind else {
                                continue;
                            };
                            rows.push(DeliveryRow {
                                task: task.id,
                                exception: task.exception,
                                target: target.clone(),
                                status: task.status.name(),
                                attempts: task.attempts,
                                detail: task.detail.clone(),
                                retry_at: task.retry_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
                            });
                        }
                        _ => {}
                    }
                }
                page(&DeliveriesPage {
                    csrf: user.csrf.clone(),
                    can_act: user.principal.role.can_act(),
                    user: UserBar::of(&user),
                    notice: None,
                    rows,
                    pending,
                    delivered,
                })
            })
            .await,
    )
}
