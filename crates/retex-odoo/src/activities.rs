//! Write-back: an open exception about an Odoo record (a purchase order, a transfer's picking, a sale order, a
//! product) becomes a
//! `mail.activity` to-do on that record, so the people who work in Odoo see it where they work: a summary, a
//! note (with a link to Retex when its address is known), the resolve due date as deadline, and the assignee
//! when an Odoo user has that login. When the exception is resolved or dismissed in Retex, the activity is
//! marked done with the root cause.
//!
//! Which exception has which activity is kept in the store (one setting per Odoo database), so each is created
//! once and closed once.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::client::{OdooClient, OdooError};
use crate::mapping::{FieldNames, by_code};

/// An exception as write-back needs it.
#[derive(Clone, Debug)]
pub struct OpenQuestion {
    pub id: u64,
    pub exception_type: String,
    pub location: Option<String>,
    pub sku: Option<String>,
    /// The document it is about (a PO or order number).
    pub reference: Option<String>,
    /// Not resolved and not dismissed.
    pub active: bool,
    pub resolve_due: String,
    pub assignee: Option<String>,
    pub root_cause: Option<String>,
    /// One line that says what it is (type, place, severity, impact).
    pub summary: String,
}

/// What one write-back did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PushReport {
    pub created: usize,
    pub done: usize,
    /// Exceptions about records Odoo does not have, each with why.
    pub not_found: Vec<String>,
}

/// The Odoo record an exception is about: model and search domain.
fn record_of(question: &OpenQuestion, names: &FieldNames) -> Option<(&'static str, Value)> {
    let by_name = |model: &'static str| Some((model, json!([["name", "=", question.reference.as_deref()?]])));
    match question.exception_type.as_str() {
        "po_late" | "po_short" | "damaged_receipt" => by_name("purchase.order"),
        "order_at_risk" | "order_cancelled_stockout" | "allocation_short" => by_name("sale.order"),
        // A transfer is named after its pickings' procurement group (mapping::transfer): its first picking, the
        // one that shipped. A many2one compared with a text is compared by its name.
        "transfer_overdue" | "transfer_mismatch" => Some((
            "stock.picking",
            json!([["group_id", "=", question.reference.as_deref()?]]),
        )),
        "count_variance" | "negative_stock" | "phantom_stock" | "low_stock" | "price_mismatch" => {
            Some(("product.product", by_code(question.sku.as_deref()?, &names.sku)))
        }
        _ => None,
    }
}

/// Creates the activities of new open exceptions and closes those of exceptions settled since; `known` (exception
/// to activity) is updated in place for the caller to keep.
pub async fn push(
    client: &OdooClient,
    questions: &[OpenQuestion],
    known: &mut BTreeMap<u64, i64>,
    retex_url: Option<&str>,
    names: &FieldNames,
) -> Result<PushReport, OdooError> {
    let mut report = PushReport::default();
    let mut model_ids: HashMap<&'static str, i64> = HashMap::new();
    let mut users: HashMap<String, Option<i64>> = HashMap::new();
    for question in questions {
        match (question.active, known.get(&question.id).copied()) {
            (true, None) => {
                let Some((model, domain)) = record_of(question, names) else {
                    continue;
                };
                let Some(res_id) = client.first_id(model, domain).await? else {
                    report
                        .not_found
                        .push(format!("exception {}: no {model} in Odoo for it", question.id));
                    continue;
                };
                let res_model_id = match model_ids.get(model) {
                    Some(id) => *id,
                    None => {
                        let id = client
                            .first_id("ir.model", json!([["model", "=", model]]))
                            .await?
                            .ok_or_else(|| OdooError::MissingModel {
                                model: model.to_owned(),
                            })?;
                        *model_ids.entry(model).or_insert(id)
                    }
                };
                let mut values = json!({
                    "res_model_id": res_model_id,
                    "res_id": res_id,
                    "summary": format!("Retex: {}", question.exception_type.replace('_', " ")),
                    "note": note(question, retex_url),
                    "date_deadline": question.resolve_due.get(..10).unwrap_or_default(),
                });
                if let Some(assignee) = &question.assignee {
                    if !users.contains_key(assignee) {
                        let id = client.first_id("res.users", json!([["login", "=", assignee]])).await?;
                        users.insert(assignee.clone(), id);
                    }
                    if let Some(Some(user)) = users.get(assignee) {
                        values["user_id"] = json!(user);
                    }
                }
                let activity = client.create("mail.activity", values).await?;
                known.insert(question.id, activity);
                report.created += 1;
            }
            (false, Some(activity)) => {
                let feedback = match &question.root_cause {
                    Some(cause) => format!("Settled in Retex: {}", cause.replace('_', " ")),
                    None => "Settled in Retex".to_owned(),
                };
                match client
                    .call_on(
                        "mail.activity",
                        "action_feedback",
                        &[activity],
                        json!({"feedback": feedback}),
                    )
                    .await
                {
                    // Someone already marked it done or deleted it in Odoo: nothing left to close.
                    Ok(_) | Err(OdooError::Server { .. }) => {}
                    Err(other) => return Err(other),
                }
                known.remove(&question.id);
                report.done += 1;
            }
            _ => {}
        }
    }
    Ok(report)
}

/// The activity's note: what the exception is, and where to work it.
fn note(question: &OpenQuestion, retex_url: Option<&str>) -> String {
    let escaped = question
        .summary
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    match retex_url {
        Some(url) => format!(
            "<p>{escaped}</p><p><a href=\"{}/exceptions/{}\">Open exception {} in Retex</a></p>",
            url.trim_end_matches('/'),
            question.id,
            question.id
        ),
        None => format!("<p>{escaped}</p><p>Retex exception {}</p>", question.id),
    }
}

/// The exceptions write-back looks at: the open ones about Odoo records, and those that already have an
/// activity.
pub fn questions(
    engine: &retex_core::engine::Engine,
    known: &BTreeMap<u64, i64>,
    names: &FieldNames,
) -> Vec<OpenQuestion> {
    engine
        .exceptions()
        .into_iter()
        .map(|view| OpenQuestion {
            id: view.id,
            exception_type: view.exception_type.to_owned(),
            location: view.location.map(str::to_owned),
            sku: view.sku.map(str::to_owned),
            reference: view.reference.map(str::to_owned),
            active: !matches!(view.status, "resolved" | "dismissed"),
            resolve_due: view.resolve_due.clone(),
            assignee: view.assignee.map(str::to_owned),
            root_cause: view.root_cause.map(str::to_owned),
            summary: format!(
                "{} at {}{}: {} severity, impact {}",
                view.exception_type,
                view.location.unwrap_or("no location"),
                view.sku.map(|sku| format!(", {sku}")).unwrap_or_default(),
                view.severity,
                view.impact.0.round_dp(2)
            ),
        })
        .filter(|question| {
            known.contains_key(&question.id) || (question.active && record_of(question, names).is_some())
        })
        .collect()
}

/// The setting that keeps which exception has which activity.
pub fn known_key(scope: &str) -> String {
    format!("odoo:{scope}:activities")
}

/// Reads the kept map (a JSON object of exception to activity); empty when there is none.
pub fn parse_known(text: Option<&str>) -> BTreeMap<u64, i64> {
    text.and_then(|text| serde_json::from_str::<BTreeMap<u64, i64>>(text).ok())
        .unwrap_or_default()
}
