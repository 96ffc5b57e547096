//! The outbox dispatcher: delivers webhook notifications (tasks the rules' actions created) with an HTTP POST
//! of a small JSON document, at least once, and logs every attempt as a `task_delivered` command, so the
//! exception's timeline shows each delivery and a restart knows what is still to send. A failed delivery is
//! retried with a doubling delay, up to `DELIVERY_ATTEMPTS_MAX` attempts. E-mail notifications stay in the
//! outbox (`GET /api/v1/tasks?kind=notify_email`) for a mail relay to collect; this server speaks no SMTP.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use retex_core::command::Action;
use retex_core::engine::{DELIVERY_ATTEMPTS_MAX, TaskKind, TaskStatus};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::state::AppState;

/// How often the outbox is read.
const OUTBOX_POLL: Duration = Duration::from_secs(1);
/// The wait after the first failure; it doubles with every further one.
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(5);
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// The actor and source of the dispatcher's commands.
pub const DISPATCHER: &str = "retex-dispatcher";

/// One notification to deliver.
struct Delivery {
    task: u64,
    exception: u64,
    attempts: u32,
    target: String,
    body: String,
}

/// Runs until the process ends.
pub async fn dispatch_outbox(state: Arc<AppState>) {
    let mut not_before: HashMap<u64, Instant> = HashMap::new();
    let mut interval = tokio::time::interval(OUTBOX_POLL);
    loop {
        interval.tick().await;
        let due = match state.read(|live| Ok(outbox(live.engine()))).await {
            Ok(due) => due,
            Err(failure) => {
                tracing::warn!(message = %failure.message, "could not read the outbox");
                continue;
            }
        };
        for delivery in due {
            if not_before.get(&delivery.task).is_some_and(|at| Instant::now() < *at) {
                continue;
            }
            let outcome = post(&delivery.target, &delivery.body).await;
            let (ok, detail) = match &outcome {
                Ok(status) => (true, format!("delivered to {}: HTTP {status}", delivery.target)),
                Err(problem) => (false, format!("delivery to {} failed: {problem}", delivery.target)),
            };
            if ok {
                not_before.remove(&delivery.task);
            } else {
                let delay = FIRST_RETRY_DELAY * 2u32.saturating_pow(delivery.attempts.min(6));
                not_before.insert(delivery.task, Instant::now() + delay);
            }
            let action = Action::TaskDelivered {
                task: delivery.task,
                ok,
                detail,
            };
            if let Err(failure) = state.system_command(DISPATCHER, delivery.exception, action).await {
                tracing::warn!(message = %failure.message, task = delivery.task, "could not log a delivery");
            }
        }
    }
}

/// Webhook notifications still to deliver.
fn outbox(engine: &retex_core::engine::Engine) -> Vec<Delivery> {
    engine
        .tasks()
        .iter()
        .filter(|task| {
            task.status == TaskStatus::Pending
                || (task.status == TaskStatus::Failed && task.attempts < DELIVERY_ATTEMPTS_MAX)
        })
        .filter_map(|task| match &task.kind {
            TaskKind::Notify {
                email: false,
                target,
                message,
            } => Some(Delivery {
                task: task.id,
                exception: task.exception,
                attempts: task.attempts,
                target: target.clone(),
                body: serde_json::json!({
                    "task": task.id,
                    "exception": task.exception,
                    "team": task.team,
                    "text": message,
                })
                .to_string(),
            }),
            _ => None,
        })
        .collect()
}

/// POSTs a JSON body to an `http://host[:port]/path` URL; the HTTP status when it is 2xx.
async fn post(url: &str, body: &str) -> Result<u16, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// webhooks are delivered directly; put a TLS relay in front of https ones")?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(authority, path)| {
            (authority, format!("/{path}"))
        });
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let exchange = async {
        let mut stream = TcpStream::connect(&address).await.map_err(|error| error.to_string())?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: {authority}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\nuser-agent: retex\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|error| error.to_string())?;
        let mut head = vec![0u8; 64];
        let read = stream.read(&mut head).await.map_err(|error| error.to_string())?;
        let status_line = String::from_utf8_lossy(&head[..read]).into_owned();
        status_line
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))
    };
    let status = tokio::time::timeout(DELIVERY_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs()))??;
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(format!("HTTP {status}"))
    }
}
