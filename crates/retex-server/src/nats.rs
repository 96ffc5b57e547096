//! Events from a NATS JetStream stream: `retex serve --nats URL --nats-stream NAME --nats-subject SUBJECT`.
//!
//! A durable pull consumer reads the stream; each message holds one JSON event or NDJSON lines. Messages are
//! taken in batches and their lines go through the same door as `POST /api/v1/events` ([`AppState::ingest`]),
//! and a message is acknowledged only after the transaction holding its events committed. So a crash before the
//! commit means a redelivery, and a redelivery is a harmless duplicate (the events' idempotency keys): nothing is
//! lost and nothing is applied twice. A message with a malformed line is still acknowledged (it would fail
//! again), counted in `/metrics`, and copied to the dead-letter subject with the problem in its `Retex-Error`
//! header, for someone to fix and send again.
//!
//! Outbound, [`NatsPublisher`] publishes to JetStream subjects of a second stream (`<stream>_OUT`), each message
//! with a `Nats-Msg-Id`, so a message published twice (a crash before Retex noted it) is stored once.

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{AckPolicy, PullConsumer, pull};
use async_nats::jetstream::{self, stream};
use axum::body::Bytes;
use futures_util::StreamExt;

use crate::error::FailureKind;
use crate::ingest_body::IngestReport;
use crate::state::AppState;

/// Messages taken into one append transaction, at most.
const BATCH_MESSAGES_MAX: usize = 1_000;
/// How long a batch waits for more messages once it has one.
const BATCH_LINGER: Duration = Duration::from_millis(5);
/// How long a delivered message may wait for its acknowledgement before the server sends it again: after a
/// crash, the messages that were in flight come back this much later. While the store refuses a batch, its
/// messages are kept in progress.
const ACK_WAIT: Duration = Duration::from_secs(10);
/// How long one pull request stays open before the next is made.
const PULL_EXPIRES: Duration = Duration::from_secs(4);
/// The server's sign of life on an open pull request. A JetStream 2.9 server can lose the request a restarted
/// consumer waits on (messages pending, no request open): two missed heartbeats end that wait and the pull is
/// made again, within 2 s rather than the half minute of the library's default.
const PULL_HEARTBEAT: Duration = Duration::from_secs(1);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The wait before trying again when the store refused a batch.
const STORE_RETRY: Duration = Duration::from_secs(1);

/// Where the events come from, as `retex serve`'s flags say.
#[derive(Clone, Debug)]
pub struct NatsOptions {
    pub url: String,
    /// The stream, created with `subject` when it does not exist.
    pub stream: String,
    pub subject: String,
    /// The durable consumer's name: its position in the stream survives restarts.
    pub durable: String,
    /// Where malformed messages are copied.
    pub dead_letter: String,
    /// Where every exception change is published, if anywhere.
    pub exceptions: Option<String>,
}

/// A connected consumer, ready to run.
pub struct NatsIngest {
    client: async_nats::Client,
    consumer: PullConsumer,
    options: NatsOptions,
}

impl NatsIngest {
    /// Connects, and creates the stream and the consumer when they do not exist; an unreachable server is an
    /// error here, so `retex serve` stops with one line rather than serving without its events.
    pub async fn connect(options: NatsOptions) -> anyhow::Result<Self> {
        let url = options.url.clone();
        let client = tokio::time::timeout(CONNECT_TIMEOUT, async_nats::connect(&url))
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))
            .and_then(|connected| connected.map_err(anyhow::Error::from))
            .with_context(|| format!("connect to NATS at {url}"))?;
        let jetstream = jetstream::new(client.clone());
        let stream = jetstream
            .get_or_create_stream(stream::Config {
                name: options.stream.clone(),
                subjects: vec![options.subject.clone()],
                ..Default::default()
            })
            .await
            .with_context(|| format!("open the JetStream stream {}", options.stream))?;
        let consumer = stream
            .get_or_create_consumer(
                &options.durable,
                pull::Config {
                    durable_name: Some(options.durable.clone()),
                    filter_subject: options.subject.clone(),
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: ACK_WAIT,
                    max_ack_pending: BATCH_MESSAGES_MAX as i64 * 2,
                    ..Default::default()
                },
            )
            .await
            .with_context(|| format!("open the consumer {} on {}", options.durable, options.stream))?;
        Ok(Self {
            client,
            consumer,
            options,
        })
    }

    /// A publisher to `subjects`, captured by the stream `<stream>_OUT` (created, or widened to them).
    pub async fn publisher(&self, subjects: Vec<String>) -> anyhow::Result<NatsPublisher> {
        let jetstream = jetstream::new(self.client.clone());
        let name = format!("{}_OUT", self.options.stream);
        jetstream
            .create_or_update_stream(stream::Config {
                name: name.clone(),
                subjects,
                ..Default::default()
            })
            .await
            .with_context(|| format!("open the JetStream stream {name}"))?;
        Ok(NatsPublisher { jetstream })
    }

    /// Consumes until the process ends.
    pub async fn run(self, state: Arc<AppState>) {
        loop {
            let pull = self
                .consumer
                .stream()
                .expires(PULL_EXPIRES)
                .heartbeat(PULL_HEARTBEAT)
                .messages();
            let mut messages = match pull.await {
                Ok(messages) => messages,
                Err(error) => {
                    tracing::warn!(%error, "could not read the NATS stream; trying again");
                    tokio::time::sleep(STORE_RETRY).await;
                    continue;
                }
            };
            while let Some(first) = messages.next().await {
                let first = match first {
                    Ok(message) => message,
                    Err(error) => {
                        tracing::warn!(%error, "the NATS pull failed; pulling again");
                        break;
                    }
                };
                let mut batch = Vec::with_capacity(BATCH_MESSAGES_MAX);
                batch.push(first);
                while batch.len() < BATCH_MESSAGES_MAX {
                    match tokio::time::timeout(BATCH_LINGER, messages.next()).await {
                        Ok(Some(Ok(message))) => batch.push(message),
                        _ => break,
                    }
                }
                let started = std::time::Instant::now();
                self.ingest_batch(&state, &batch).await;
                tracing::debug!(messages = batch.len(), took = ?started.elapsed(), "NATS batch ingested");
            }
        }
    }

    /// Appends a batch's events, then acknowledges its messages; copies malformed ones to the dead letters.
    async fn ingest_batch(&self, state: &Arc<AppState>, batch: &[jetstream::Message]) {
        let (body, lines) = ndjson_body(batch);
        let report = loop {
            if body.is_empty() {
                break Ok(IngestReport::default());
            }
            match state.ingest(body.clone(), false).await {
                Ok(report) => break Ok(report),
                Err(failure) if matches!(failure.kind, FailureKind::Unavailable | FailureKind::Internal) => {
                    tracing::warn!(message = %failure.message, "could not append events from NATS; trying again");
                    for message in batch {
                        let _ = message.ack_with(AckKind::Progress).await;
                    }
                    tokio::time::sleep(STORE_RETRY).await;
                }
                Err(failure) => break Err(failure.message),
            }
        };
        state
            .metrics
            .nats_messages
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (index, message) in batch.iter().enumerate() {
            let problem = match &report {
                Ok(report) => problem_of(lines[index].as_ref(), report),
                Err(refused) => Some(refused.clone()),
            };
            if let Some(problem) = problem {
                state.metrics.nats_malformed.fetch_add(1, Ordering::Relaxed);
                self.dead_letter(message, &problem).await;
            }
            if let Err(error) = message.ack().await {
                tracing::warn!(%error, "could not acknowledge a NATS message; it will come again, as a duplicate");
            }
        }
    }

    async fn dead_letter(&self, message: &jetstream::Message, problem: &str) {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Retex-Error", problem);
        headers.insert("Retex-Subject", message.subject.as_str());
        let copied = self
            .client
            .publish_with_headers(self.options.dead_letter.clone(), headers, message.payload.clone())
            .await;
        if let Err(error) = copied {
            tracing::warn!(%error, problem, "could not copy a malformed NATS message to the dead letters");
        }
    }
}

/// Publishes to JetStream and waits for the stream to store each message.
#[derive(Clone)]
pub struct NatsPublisher {
    jetstream: jetstream::Context,
}

impl NatsPublisher {
    /// Publishes one message under its id; where the stream stored it (`stream RETEX_OUT message 42`).
    pub async fn publish(&self, subject: &str, id: &str, body: String) -> Result<String, String> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id);
        let stored = self
            .jetstream
            .publish_with_headers(subject.to_owned(), headers, body.into())
            .await
            .map_err(|error| error.to_string())?
            .await
            .map_err(|error| error.to_string())?;
        Ok(format!("stream {} message {}", stored.stream, stored.sequence))
    }
}

/// The batch as one NDJSON body, and where each message's lines are in it (1-based, end excluded; none for an
/// empty message). A message is one JSON event or NDJSON lines.
fn ndjson_body(batch: &[jetstream::Message]) -> (Bytes, Vec<Option<Range<usize>>>) {
    let mut body = Vec::new();
    let mut lines = Vec::with_capacity(batch.len());
    let mut next_line = 1;
    for received in batch {
        let payload = received.payload.trim_ascii();
        if payload.is_empty() {
            lines.push(None);
            continue;
        }
        let count = payload.split(|byte| *byte == b'\n').count();
        body.extend_from_slice(payload);
        body.push(b'\n');
        lines.push(Some(next_line..next_line + count));
        next_line += count;
    }
    (Bytes::from(body), lines)
}

/// What was wrong with a message, if anything: empty, a rejected line, or an event contradicting a logged one.
fn problem_of(own: Option<&Range<usize>>, report: &IngestReport) -> Option<String> {
    let Some(own) = own else {
        return Some("empty message".to_owned());
    };
    let line_in_message = |line: usize| line - own.start + 1;
    let mut problems = report
        .errors
        .iter()
        .filter(|error| own.contains(&error.line))
        .map(|error| {
            format!(
                "line {}: {}: {}",
                line_in_message(error.line),
                error.field,
                error.problem
            )
        })
        .chain(
            report
                .conflicts
                .iter()
                .filter(|conflict| own.contains(&conflict.line))
                .map(|conflict| {
                    format!(
                        "line {}: id: repeats ({}, {}) with a different body; the one logged at seq {} stands",
                        line_in_message(conflict.line),
                        conflict.source,
                        conflict.id,
                        conflict.logged_seq
                    )
                }),
        );
    let first = problems.next()?;
    Some(problems.fold(first, |all, more| format!("{all}; {more}")))
}
