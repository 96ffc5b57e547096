//! The outbox dispatcher: delivers webhook notifications (tasks the rules' actions created) with an HTTP POST
//! of a small JSON document, over `http://` or `https://`, at least once, and logs every attempt as a
//! `task_delivered` command, so the exception's timeline shows each delivery and a restart knows what is still
//! to send.
//!
//! A receiver can trust what it gets: every delivery carries `Retex-Signature: t=<unix seconds>,v1=<hex>`, the
//! HMAC-SHA256 of `"<t>.<body>"` under the target's secret (from the rules), and `Idempotency-Key`, the same on
//! every attempt of one notification. A failed delivery is tried again after a wait that doubles from 30 s up
//! to an hour, each drawn at random between half and all of it so that many failures do not retry in step;
//! after a day of failures the notification is a dead letter, listed for a person to resend.
//!
//! Only the leading replica delivers, and only the attempts it claimed in the store first (`delivery_claim`), so
//! two replicas never send one attempt. An attempt whose sender stopped between claiming and reporting it (a
//! replica killed mid-delivery) is not sent again: after [`CLAIM_GRACE`] the new leader makes it a dead letter
//! that says so, for a person to check with the receiver and resend.
//!
//! E-mail notifications go to their target: an address, or a person by name (their account's address). With
//! an SMTP server configured, each recipient gets one message per poll with everything due for them (a
//! digest), and no more than one every [`DIGEST_INTERVAL`]; without one, they stay in the outbox
//! (`GET /api/v1/tasks?kind=notify_email`) for a mail relay to collect.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, FixedOffset};
use hmac::{Hmac, Mac};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use retex_core::command::Action;
use retex_core::engine::{Engine, TaskKind, TaskStatus};
use retex_core::rules::Rules;
use retex_core::rules::workflow::{Secret, TaskKindRule};
use retex_store::DeliveryClaim;
use sha2::Sha256;

use crate::state::{AppState, EmailOptions};

/// How often the outbox is read.
const OUTBOX_POLL: Duration = Duration::from_secs(1);
/// How long an attempt claimed and never reported stays its claimant's: longer than any delivery and its report.
const CLAIM_GRACE: Duration = Duration::from_secs(30);
/// The wait after the first failure; it doubles with every further one, up to [`RETRY_DELAY_MAX`].
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(30);
const RETRY_DELAY_MAX: Duration = Duration::from_secs(3600);
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The least time between two e-mails to one recipient; what fires meanwhile waits for the next digest.
const DIGEST_INTERVAL: Duration = Duration::from_secs(300);
/// The actor and source of the dispatcher's commands.
pub const DISPATCHER: &str = "retex-dispatcher";
/// The sender of e-mails when neither `--smtp-from` nor the rules' `[notify.email]` names one.
pub const DEFAULT_SENDER: &str = "retex@localhost";
/// The header that carries a delivery's signature.
pub const SIGNATURE_HEADER: &str = "retex-signature";

/// One notification to deliver.
struct Delivery {
    task: u64,
    email: bool,
    /// New or resent: sent now, whatever the wait after an earlier failure.
    pending: bool,
    exception: u64,
    attempts: u32,
    target: String,
    /// The notification's text; `body` is the webhook document around it.
    message: String,
    body: String,
}

/// Delivers the outbox: webhooks, and the SMTP server e-mails go through.
pub struct Dispatcher {
    webhooks: Webhooks,
    mail: Option<Mail>,
}

/// Signed JSON POSTs to webhook receivers, over `http://` or `https://`: the client and the secret each target
/// is signed with.
pub struct Webhooks {
    client: reqwest::Client,
    secrets: HashMap<String, Vec<u8>>,
}

/// The most of a receiver's answer that is read.
const ANSWER_BYTES_MAX: usize = 4096;

impl Webhooks {
    /// Trusts the system's certificate authorities plus `extra_roots` (PEM), for receivers behind a private one.
    pub fn new(extra_roots: Option<&[u8]>) -> anyhow::Result<Self> {
        retex_odoo::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("retex/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = extra_roots {
            let roots = reqwest::Certificate::from_pem_bundle(pem).context("read the extra certificate authorities")?;
            anyhow::ensure!(
                !roots.is_empty(),
                "the extra certificate authorities file holds no certificate"
            );
            builder = builder.tls_certs_merge(roots);
        }
        let client = builder.build().context("set up the webhook client")?;
        Ok(Self {
            client,
            secrets: HashMap::new(),
        })
    }

    /// Signs what is posted to `target` with the secret the rules give (read from this process's environment
    /// when it names a variable).
    pub fn sign_for(&mut self, target: &str, secret: &Secret) -> anyhow::Result<()> {
        let key =
            secret_value(secret).map_err(|problem| anyhow::anyhow!("the webhook {target} is signed with {problem}"))?;
        self.secrets.insert(target.to_owned(), key.into_bytes());
        Ok(())
    }

    /// POSTs a JSON body, signed when its target has a secret; the HTTP status and the start of the answer
    /// when the status is 2xx.
    pub async fn post(&self, target: &str, idempotency_key: &str, body: &str) -> Result<(u16, String), String> {
        let mut request = self
            .client
            .post(target)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", idempotency_key);
        if let Some(secret) = self.secrets.get(target) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs());
            request = request.header(SIGNATURE_HEADER, signature(secret, now, body.as_bytes()));
        }
        let mut response = request
            .body(body.to_owned())
            .send()
            .await
            .map_err(|error| describe(&error))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {}", status.as_u16()));
        }
        let mut answer = Vec::new();
        while answer.len() < ANSWER_BYTES_MAX {
            match response.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                _ => break,
            }
        }
        answer.truncate(ANSWER_BYTES_MAX);
        Ok((status.as_u16(), String::from_utf8_lossy(&answer).into_owned()))
    }
}

struct Mail {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Dispatcher {
    /// Reads the rules' webhook secrets (those named by `secret_env` from this process's environment) and
    /// trusts the system's certificate authorities plus `extra_roots` (PEM), for receivers behind a private one.
    pub fn new(rules: &Rules, extra_roots: Option<&[u8]>, email: Option<&EmailOptions>) -> anyhow::Result<Self> {
        let mut webhooks = Webhooks::new(extra_roots)?;
        let notify = &rules.workflow.notify;
        let people = notify.webhook.as_ref().zip(notify.secret.as_ref());
        let signed =
            rules
                .workflow
                .actions
                .iter()
                .filter_map(|action| match (action.task, &action.target, &action.secret) {
                    (TaskKindRule::NotifyWebhook, Some(target), Some(secret)) => Some((target, secret)),
                    _ => None,
                });
        for (target, secret) in signed.chain(people) {
            webhooks.sign_for(target, secret)?;
        }
        let from_rules = match &rules.workflow.notify.smtp {
            Some(smtp) if email.is_none() => Some(EmailOptions {
                url: secret_value(&smtp.url)
                    .map_err(|problem| anyhow::anyhow!("[notify.email] of the rules names {problem}"))?,
                from: smtp.from.clone().unwrap_or_else(|| DEFAULT_SENDER.to_owned()),
            }),
            _ => None,
        };
        let mail = match email.or(from_rules.as_ref()) {
            Some(options) => Some(Mail {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(&options.url)
                    .context("the SMTP URL")?
                    .timeout(Some(DELIVERY_TIMEOUT))
                    .build(),
                from: options
                    .from
                    .parse()
                    .with_context(|| format!("the sender {}: not an e-mail address", options.from))?,
            }),
            None => None,
        };
        Ok(Self { webhooks, mail })
    }

    /// Runs until the process ends; delivers only while this replica leads.
    pub async fn run(self, state: Arc<AppState>) {
        let mut not_before: HashMap<u64, Instant> = HashMap::new();
        let mut last_mailed: HashMap<String, Instant> = HashMap::new();
        let mut interval = tokio::time::interval(OUTBOX_POLL);
        loop {
            interval.tick().await;
            if !state.leads() {
                continue;
            }
            let due = match state.read(|engine| Ok(outbox(engine))).await {
                Ok(due) => due,
                Err(failure) => {
                    tracing::warn!(message = %failure.message, "could not read the outbox");
                    continue;
                }
            };
            not_before.retain(|task, _| due.iter().any(|delivery| delivery.task == *task));
            let (emails, webhooks): (Vec<Delivery>, Vec<Delivery>) = due
                .into_iter()
                .filter(|delivery| {
                    delivery.pending || not_before.get(&delivery.task).is_none_or(|at| Instant::now() >= *at)
                })
                .partition(|delivery| delivery.email);
            for delivery in webhooks {
                if !claim(&state, &delivery).await {
                    continue;
                }
                let key = format!("retex-task-{}", delivery.task);
                let outcome = self
                    .webhooks
                    .post(&delivery.target, &key, &delivery.body)
                    .await
                    .map(|(status, _)| format!("delivered to {}: HTTP {status}", delivery.target))
                    .map_err(|problem| format!("delivery to {} failed: {problem}", delivery.target));
                report(&state, &mut not_before, &delivery, outcome).await;
            }
            if let Some(mail) = &self.mail {
                for (recipient, deliveries) in recipients(&state, emails).await {
                    let (deliveries, outcome) = match recipient {
                        Ok(address)
                            if last_mailed
                                .get(&address)
                                .is_some_and(|at| at.elapsed() < DIGEST_INTERVAL) =>
                        {
                            continue;
                        }
                        Ok(address) => {
                            let mut claimed = Vec::with_capacity(deliveries.len());
                            for delivery in deliveries {
                                if claim(&state, &delivery).await {
                                    claimed.push(delivery);
                                }
                            }
                            if claimed.is_empty() {
                                continue;
                            }
                            last_mailed.insert(address.clone(), Instant::now());
                            let outcome = mail
                                .send(&address, &claimed)
                                .await
                                .map(|()| format!("e-mailed to {address}"))
                                .map_err(|problem| format!("e-mail to {address} failed: {problem}"));
                            (claimed, outcome)
                        }
                        Err(problem) => (deliveries, Err(problem)),
                    };
                    for delivery in &deliveries {
                        report(&state, &mut not_before, delivery, outcome.clone()).await;
                    }
                }
            }
        }
    }
}

impl Mail {
    /// One message to one recipient with every notification due for them.
    async fn send(&self, address: &str, deliveries: &[Delivery]) -> Result<(), String> {
        let to: Mailbox = address
            .parse()
            .map_err(|_| format!("{address} is not an e-mail address"))?;
        let subject = match deliveries {
            [only] => format!("Retex: {}", only.message),
            many => format!("Retex: {} notifications", many.len()),
        };
        let body: String = deliveries
            .iter()
            .map(|delivery| {
                format!(
                    "- {} (exception {}, task {})\n",
                    delivery.message, delivery.exception, delivery.task
                )
            })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|error| error.to_string())?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|error| error.to_string())
    }
}

/// Whether this replica may send the delivery's next attempt: true once it claimed it. An attempt claimed before
/// and unreported for [`CLAIM_GRACE`] is reported as a dead letter, never sent again.
async fn claim(state: &Arc<AppState>, delivery: &Delivery) -> bool {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let claim = DeliveryClaim {
        task: delivery.task,
        attempt: delivery.attempts,
        claimant: state.replica.clone(),
        claimed_ms: now_ms,
    };
    let earlier = match state.side_store(move |store| Ok(store.claim_delivery(&claim)?)).await {
        Ok(None) => return true,
        Ok(Some(earlier)) => earlier,
        Err(failure) => {
            tracing::warn!(message = %failure.message, task = delivery.task, "could not claim a delivery");
            return false;
        }
    };
    let grace = i64::try_from(CLAIM_GRACE.as_millis()).unwrap_or(i64::MAX);
    if now_ms - earlier.claimed_ms >= grace {
        let claimed_at = chrono::DateTime::from_timestamp_millis(earlier.claimed_ms).unwrap_or_default();
        let detail = format!(
            "{} claimed this attempt at {} and stopped before reporting it: not sent again, as it may have \
             arrived; check with the receiver and resend if it did not",
            earlier.claimant,
            claimed_at.format("%Y-%m-%d %H:%M:%S UTC")
        );
        log_attempt(state, delivery, false, detail, None).await;
    }
    false
}

/// Logs one attempt as a `task_delivered` command; after a failure, the next try waits.
async fn report(
    state: &Arc<AppState>,
    not_before: &mut HashMap<u64, Instant>,
    delivery: &Delivery,
    outcome: Result<String, String>,
) {
    let retry_in = outcome.is_err().then(|| retry_delay(delivery.attempts));
    match retry_in {
        Some(delay) => not_before.insert(delivery.task, Instant::now() + delay),
        None => not_before.remove(&delivery.task),
    };
    let ok = outcome.is_ok();
    let detail = outcome.unwrap_or_else(|problem| problem);
    log_attempt(state, delivery, ok, detail, retry_in).await;
}

/// Logs an attempt: delivered, failed with the next try in `retry_in`, or failed for good (none).
async fn log_attempt(state: &Arc<AppState>, delivery: &Delivery, ok: bool, detail: String, retry_in: Option<Duration>) {
    let task = delivery.task;
    let action = move |at: DateTime<FixedOffset>| Action::TaskDelivered {
        task,
        ok,
        detail,
        retry_at: retry_in.and_then(|delay| {
            let delay = chrono::Duration::from_std(delay).ok()?;
            at.checked_add_signed(delay)
        }),
    };
    if let Err(failure) = state.system_command(DISPATCHER, delivery.exception, action).await {
        tracing::warn!(message = %failure.message, task, "could not log a delivery");
    }
}

/// E-mail notifications by recipient: an address as given, or the address of the person the target names.
async fn recipients(
    state: &Arc<AppState>,
    deliveries: Vec<Delivery>,
) -> BTreeMap<Result<String, String>, Vec<Delivery>> {
    let mut by_recipient: BTreeMap<Result<String, String>, Vec<Delivery>> = BTreeMap::new();
    for delivery in deliveries {
        let recipient = if delivery.target.contains('@') {
            Ok(delivery.target.clone())
        } else {
            match state.account(delivery.target.clone()).await {
                Ok(Some(account)) => account
                    .email
                    .ok_or_else(|| format!("{} has no e-mail address (retex user add ... --email)", delivery.target)),
                Ok(None) => Err(format!("no user {} to e-mail", delivery.target)),
                Err(failure) => Err(failure.message),
            }
        };
        by_recipient.entry(recipient).or_default().push(delivery);
    }
    by_recipient
}

/// A secret of the rules: as written, or read from the environment variable it names.
fn secret_value(secret: &Secret) -> Result<String, String> {
    match secret {
        Secret::Inline(text) => Ok(text.clone()),
        Secret::Env(name) => std::env::var(name).map_err(|_| format!("the secret in ${name}, which is not set")),
    }
}

/// The `Retex-Signature` value of a body sent at `unix_seconds`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>">`.
pub fn signature(secret: &[u8], unix_seconds: u64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(format!("{unix_seconds}.").as_bytes());
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("t={unix_seconds},v1={hex}")
}

/// The wait before the next attempt after `attempts` earlier ones: doubling from [`FIRST_RETRY_DELAY`] up to
/// [`RETRY_DELAY_MAX`], then a random share of it between half and all.
pub(crate) fn retry_delay(attempts: u32) -> Duration {
    let full = FIRST_RETRY_DELAY
        .saturating_mul(2u32.saturating_pow(attempts.min(16)))
        .min(RETRY_DELAY_MAX);
    let mut random = [0u8; 2];
    let share = match getrandom::fill(&mut random) {
        Ok(()) => f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX),
        Err(_) => 1.0,
    };
    full.mul_f64(0.5 + share / 2.0)
}

/// A transport error in a few words: what failed and its first cause (a refused connection, a certificate the
/// client does not trust).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs());
    }
    let what = if error.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    let mut root: &dyn std::error::Error = error;
    while let Some(cause) = root.source() {
        root = cause;
    }
    format!("{what}: {root}")
}

/// Notifications to try now: new ones, and failed ones (the dispatcher's own wait decides when).
fn outbox(engine: &Engine) -> Vec<Delivery> {
    engine
        .tasks()
        .iter()
        .filter(|task| matches!(task.status, TaskStatus::Pending | TaskStatus::Failed))
        .filter_map(|task| match &task.kind {
            TaskKind::Notify { email, target, message } => Some(Delivery {
                task: task.id,
                email: *email,
                message: message.clone(),
                pending: task.status == TaskStatus::Pending,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of docs/integrations.md, which a receiver's own code can be checked against.
    #[test]
    fn the_signature_is_the_documented_hmac() {
        let value = signature(b"s3cret", 1_700_000_000, br#"{"task":1}"#);
        assert_eq!(
            value,
            "t=1700000000,v1=447ea929b6da92459a7d7c37652c429989161fcf9b1c326cff8e42254d0cd276"
        );
    }

    #[test]
    fn waits_double_up_to_an_hour_and_never_fall_below_half() {
        for (attempts, full) in [(0, 30), (1, 60), (3, 240), (7, 3600), (40, 3600)] {
            let wait = retry_delay(attempts).as_secs_f64();
            assert!(
                wait >= f64::from(full) / 2.0 && wait <= f64::from(full),
                "{attempts}: {wait}"
            );
        }
    }
}
