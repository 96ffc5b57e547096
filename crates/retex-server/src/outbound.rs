//! What leaves Retex for systems other than Odoo (docs/integrations.md).
//!
//! Approved replenishment drafts, a purchase order or a transfer for another system to carry out, are POSTed
//! to a webhook (signed as every webhook is) or published on a NATS JetStream subject. The reference the
//! receiver gives is logged on the exception's timeline (`task_exported`), which also stops the draft being
//! sent again; a failed send is tried again after a wait that doubles up to an hour, until it goes through.
//! Every send carries the task as its idempotency key (`Idempotency-Key`, `Nats-Msg-Id`), so a send repeated
//! after a crash is recognisable.
//!
//! With NATS, every change of an exception can be published too (`--nats-exceptions`): the exception as it
//! stands, with its newest change, after a cursor kept in the store, so a restart resumes the feed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use retex_core::command::Action;
use retex_core::rules::workflow::Secret;
use serde_json::Value;

use crate::dispatch::{Webhooks, retry_delay};
use crate::error::Failure;
use crate::nats::NatsPublisher;
use crate::state::AppState;

/// How often approved drafts and exception changes are looked for.
const POLL: Duration = Duration::from_secs(1);
/// Exception changes published per round, about.
const CHANGES_PER_ROUND: usize = 1_000;
/// The actor of what the exporter logs.
pub const EXPORTER: &str = "retex-outbound";

/// Where approved drafts go, as `retex serve --drafts-to` says.
#[derive(Clone, Debug)]
pub enum DraftsTo {
    Webhook {
        url: String,
        secret: Option<Secret>,
    },
    /// A JetStream subject.
    Nats(String),
}

impl DraftsTo {
    /// `https://...` or `http://...` for a webhook, `nats:SUBJECT` for NATS.
    pub fn parse(target: &str, secret: Option<Secret>) -> Result<Self, String> {
        if let Some(subject) = target.strip_prefix("nats:") {
            if subject.is_empty() || subject.contains([' ', '*', '>']) {
                return Err(format!("{target}: nats: needs one subject, without wildcards"));
            }
            return Ok(Self::Nats(subject.to_owned()));
        }
        if target.starts_with("https://") || target.starts_with("http://") {
            return Ok(Self::Webhook {
                url: target.to_owned(),
                secret,
            });
        }
        Err(format!("{target}: give an http(s):// address or nats:SUBJECT"))
    }
}

/// Sends approved drafts to their one destination.
pub struct DraftExporter {
    sink: Sink,
}

enum Sink {
    Webhook { webhooks: Webhooks, url: String },
    Nats { publisher: NatsPublisher, subject: String },
}

impl DraftExporter {
    pub fn webhook(url: String, secret: Option<&Secret>, extra_roots: Option<&[u8]>) -> anyhow::Result<Self> {
        let mut webhooks = Webhooks::new(extra_roots)?;
        if let Some(secret) = secret {
            webhooks.sign_for(&url, secret)?;
        }
        Ok(Self {
            sink: Sink::Webhook { webhooks, url },
        })
    }

    pub fn nats(publisher: NatsPublisher, subject: String) -> Self {
        Self {
            sink: Sink::Nats { publisher, subject },
        }
    }

    /// Runs until the process ends; sends only while this replica leads.
    pub async fn run(self, state: Arc<AppState>) {
        // Per draft that failed: the failures so far and when to try again.
        let mut waits: HashMap<u64, (u32, Instant)> = HashMap::new();
        let mut interval = tokio::time::interval(POLL);
        loop {
            interval.tick().await;
            if !state.leads() {
                continue;
            }
            let drafts = state
                .read(|engine| {
                    Ok(engine
                        .approved_drafts()
                        .map(|draft| {
                            let body = serde_json::json!({"event": "draft_approved", "task": draft});
                            (draft.id, draft.exception, body.to_string())
                        })
                        .collect::<Vec<_>>())
                })
                .await;
            let drafts = match drafts {
                Ok(drafts) => drafts,
                Err(failure) => {
                    tracing::warn!(message = %failure.message, "could not read the approved drafts");
                    continue;
                }
            };
            waits.retain(|task, _| drafts.iter().any(|(id, ..)| id == task));
            for (task, exception, body) in drafts {
                if waits.get(&task).is_some_and(|(_, at)| Instant::now() < *at) {
                    continue;
                }
                match self.send(task, body).await {
                    Ok(reference) => {
                        waits.remove(&task);
                        let action = move |_| Action::TaskExported { task, reference };
                        if let Err(failure) = state.system_command(EXPORTER, exception, action).await {
                            tracing::warn!(message = %failure.message, task, "could not log an exported draft");
                        }
                    }
                    Err(problem) => {
                        let failures = waits.get(&task).map_or(0, |(failures, _)| *failures);
                        waits.insert(task, (failures + 1, Instant::now() + retry_delay(failures)));
                        tracing::warn!(task, %problem, "could not send an approved draft; trying again later");
                    }
                }
            }
        }
    }

    /// Sends one draft; the reference to log.
    async fn send(&self, task: u64, body: String) -> Result<String, String> {
        let key = format!("retex-task-{task}");
        match &self.sink {
            Sink::Webhook { webhooks, url } => {
                let (status, answer) = webhooks.post(url, &key, &body).await?;
                let given = serde_json::from_str::<Value>(&answer)
                    .ok()
                    .and_then(|answer| answer.get("reference")?.as_str().map(str::to_owned));
                Ok(match given {
                    Some(reference) => format!("{reference} (from {url})"),
                    None => format!("delivered to {url}: HTTP {status}"),
                })
            }
            Sink::Nats { publisher, subject } => {
                let stored = publisher.publish(subject, &key, body).await?;
                Ok(format!("NATS {subject}: {stored}"))
            }
        }
    }
}

/// Publishes every exception change on a NATS subject.
pub struct ExceptionFeed {
    pub publisher: NatsPublisher,
    pub subject: String,
}

impl ExceptionFeed {
    /// Runs until the process ends; publishes only while this replica leads. The first run starts with the
    /// changes from then on.
    pub async fn run(self, state: Arc<AppState>) {
        let key = format!("nats:exceptions:{}", self.subject);
        let mut cursor = None;
        let mut interval = tokio::time::interval(POLL);
        loop {
            interval.tick().await;
            if !state.leads() {
                // Another replica publishes meanwhile: its cursor is the one to go on from.
                cursor = None;
                continue;
            }
            let after = match cursor {
                Some(after) => after,
                None => match saved_cursor(&state, key.clone()).await {
                    Ok(after) => *cursor.insert(after),
                    Err(failure) => {
                        tracing::warn!(message = %failure.message, "could not read the exception feed's cursor");
                        continue;
                    }
                },
            };
            let changes = state
                .read(move |engine| {
                    Ok(engine
                        .exception_changes(after, CHANGES_PER_ROUND)
                        .into_iter()
                        .map(|change| {
                            let id = format!("retex-exception-{}-{}", change.exception.id, change.seq);
                            let body = serde_json::to_string(&change).unwrap_or_default();
                            (change.seq, id, body)
                        })
                        .collect::<Vec<_>>())
                })
                .await;
            let Ok(changes) = changes else {
                continue;
            };
            let Some(last) = changes.last().map(|(seq, ..)| *seq) else {
                continue;
            };
            let mut published = true;
            for (_, id, body) in changes {
                if let Err(problem) = self.publisher.publish(&self.subject, &id, body).await {
                    tracing::warn!(%problem, "could not publish an exception change; trying again");
                    published = false;
                    break;
                }
            }
            if !published {
                continue;
            }
            let (save_key, text) = (key.clone(), last.to_string());
            match state
                .write(move |live| live.put_setting(&save_key, &text).map_err(Failure::from))
                .await
            {
                Ok(()) => cursor = Some(last),
                Err(failure) => {
                    tracing::warn!(message = %failure.message, "could not keep the exception feed's cursor")
                }
            }
        }
    }
}

/// The feed's saved cursor; a new feed starts at the engine's position now, saved at once.
async fn saved_cursor(state: &Arc<AppState>, key: String) -> Result<u64, Failure> {
    state
        .write(move |live| {
            if let Some(saved) = live.setting(&key)?.and_then(|text| text.parse().ok()) {
                return Ok(saved);
            }
            let now = live.engine().applied_seq();
            live.put_setting(&key, &now.to_string())?;
            Ok(now)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_is_a_web_address_or_one_nats_subject() {
        assert!(matches!(
            DraftsTo::parse("https://erp.example/retex", None),
            Ok(DraftsTo::Webhook { url, .. }) if url == "https://erp.example/retex"
        ));
        assert!(
            matches!(DraftsTo::parse("nats:erp.drafts", None), Ok(DraftsTo::Nats(subject)) if subject == "erp.drafts")
        );
        assert_eq!(
            DraftsTo::parse("nats:erp.*", None).unwrap_err(),
            "nats:erp.*: nats: needs one subject, without wildcards"
        );
        assert_eq!(
            DraftsTo::parse("ftp://erp", None).unwrap_err(),
            "ftp://erp: give an http(s):// address or nats:SUBJECT"
        );
    }
}
