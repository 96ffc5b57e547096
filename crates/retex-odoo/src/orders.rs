//! Approved replenishment leaves Retex: an approved draft purchase order (a `propose_replenishment` task a
//! person approved) becomes a request for quotation, a draft `purchase.order`, in Odoo, and the caller logs its
//! name on the exception's timeline (`task_exported`).
//!
//! The Odoo order carries `origin = "Retex task N"`, and an order with that origin is looked up before one is
//! created, so a crash between the creation and the log entry does not order twice.

use serde_json::{Value, json};

use crate::client::{OdooClient, OdooError};
use crate::mapping::by_code;

/// An approved draft purchase order, as Retex proposed it.
#[derive(Clone, Debug)]
pub struct Draft {
    pub task: u64,
    pub exception: u64,
    pub supplier: Option<String>,
    /// The warehouse or store code it is for.
    pub location: String,
    pub sku: String,
    pub qty: Value,
    /// RFC 3339.
    pub expected: String,
}

/// The approved draft purchase orders not yet exported.
pub fn drafts(engine: &retex_core::engine::Engine) -> Vec<Draft> {
    engine
        .tasks()
        .iter()
        .map(|task| engine.task_view(task))
        .filter(|view| view.kind == "purchase_order" && view.status == "approved")
        .filter_map(|view| {
            Some(Draft {
                task: view.id,
                exception: view.exception,
                supplier: view.supplier.map(str::to_owned),
                location: view.location?.to_owned(),
                sku: view.sku?.to_owned(),
                qty: serde_json::to_value(view.qty?).ok()?,
                expected: view.expected?,
            })
        })
        .collect()
}

/// Creates each draft in Odoo (or finds the one an earlier run created); per draft, in their order, the Odoo
/// order's name or why it could not be created.
pub async fn export(client: &OdooClient, drafts: &[Draft]) -> Result<Vec<(u64, Result<String, String>)>, OdooError> {
    let mut exported = Vec::with_capacity(drafts.len());
    for draft in drafts {
        exported.push((draft.task, export_one(client, draft).await?));
    }
    Ok(exported)
}

async fn export_one(client: &OdooClient, draft: &Draft) -> Result<Result<String, String>, OdooError> {
    let origin = format!("Retex task {}", draft.task);
    if let Some(name) = first_text(client, "purchase.order", json!([["origin", "=", origin]]), "name").await? {
        return Ok(Ok(format!("Odoo purchase.order {name}")));
    }
    let Some(supplier) = &draft.supplier else {
        return Ok(Err("the draft names no supplier".into()));
    };
    let Some(partner) = client.first_id("res.partner", by_code(supplier, "ref")).await? else {
        return Ok(Err(format!("no Odoo partner has the reference {supplier}")));
    };
    let Some(product) = client
        .first_id("product.product", by_code(&draft.sku, "default_code"))
        .await?
    else {
        return Ok(Err(format!("no Odoo product has the reference {}", draft.sku)));
    };
    let Some(warehouse) = client
        .first_id("stock.warehouse", json!([["code", "=", draft.location]]))
        .await?
    else {
        return Ok(Err(format!("no Odoo warehouse has the code {}", draft.location)));
    };
    let receipts = json!([["code", "=", "incoming"], ["warehouse_id", "=", warehouse]]);
    let Some(picking_type) = client.first_id("stock.picking.type", receipts).await? else {
        return Ok(Err(format!(
            "warehouse {} has no receipt operation type",
            draft.location
        )));
    };
    let planned = odoo_datetime(&draft.expected);
    let order = client
        .create(
            "purchase.order",
            json!({
                "partner_id": partner,
                "picking_type_id": picking_type,
                "origin": origin,
                "date_planned": planned,
                "order_line": [[0, 0, {"product_id": product, "product_qty": draft.qty, "date_planned": planned}]],
            }),
        )
        .await?;
    let name = first_text(client, "purchase.order", json!([["id", "=", order]]), "name")
        .await?
        .unwrap_or_else(|| order.to_string());
    Ok(Ok(format!("Odoo purchase.order {name}")))
}

async fn first_text(client: &OdooClient, model: &str, domain: Value, field: &str) -> Result<Option<String>, OdooError> {
    let found = client.search_read(model, domain, &[field], "id asc", 1).await?;
    Ok(found
        .first()
        .and_then(|record| record.get(field))
        .and_then(Value::as_str)
        .map(str::to_owned))
}

/// RFC 3339 (UTC) as Odoo writes datetimes.
fn odoo_datetime(rfc3339: &str) -> String {
    rfc3339.get(..19).unwrap_or(rfc3339).replace('T', " ")
}
