//! Approved replenishment leaves Retex: an approved draft (a `propose_replenishment` task a person approved)
//! becomes a request for quotation, a draft `purchase.order`, or a draft internal transfer, a `stock.picking`
//! from one warehouse's stock to another's, in Odoo; the caller logs its name on the exception's timeline
//! (`task_exported`).
//!
//! The Odoo record carries `origin = "Retex task N"`, and a record with that origin is looked up before one is
//! created, so a crash between the creation and the log entry does not order or move stock twice.

use serde_json::{Value, json};

use crate::client::{OdooClient, OdooError, Record};
use crate::mapping::{FieldNames, by_code};

/// An approved draft, as Retex proposed it.
#[derive(Clone, Debug)]
pub struct Draft {
    pub task: u64,
    pub exception: u64,
    /// The warehouse or store code it replenishes.
    pub location: String,
    pub sku: String,
    pub qty: Value,
    pub kind: DraftKind,
}

#[derive(Clone, Debug)]
pub enum DraftKind {
    /// From a supplier, expected at `expected` (RFC 3339).
    PurchaseOrder { supplier: Option<String>, expected: String },
    /// From another location's stock.
    Transfer { from: String },
}

/// The approved drafts not yet exported.
pub fn drafts(engine: &retex_core::engine::Engine) -> Vec<Draft> {
    engine
        .approved_drafts()
        .filter_map(|view| {
            let kind = match view.kind {
                "purchase_order" => DraftKind::PurchaseOrder {
                    supplier: view.supplier.map(str::to_owned),
                    expected: view.expected?,
                },
                "transfer" => DraftKind::Transfer {
                    from: view.from?.to_owned(),
                },
                _ => return None,
            };
            Some(Draft {
                task: view.id,
                exception: view.exception,
                location: view.location?.to_owned(),
                sku: view.sku?.to_owned(),
                qty: serde_json::to_value(view.qty?).ok()?,
                kind,
            })
        })
        .collect()
}

/// Creates each draft in Odoo (or finds the one an earlier run created); per draft, in their order, the Odoo
/// record's name or why it could not be created.
pub async fn export(
    client: &OdooClient,
    drafts: &[Draft],
    names: &FieldNames,
) -> Result<Vec<(u64, Result<String, String>)>, OdooError> {
    let mut exported = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let model = match draft.kind {
            DraftKind::PurchaseOrder { .. } => "purchase.order",
            DraftKind::Transfer { .. } => "stock.picking",
        };
        let origin = format!("Retex task {}", draft.task);
        let outcome = match first_text(client, model, json!([["origin", "=", origin]]), "name").await? {
            Some(name) => Ok(name),
            None => match &draft.kind {
                DraftKind::PurchaseOrder { supplier, expected } => {
                    purchase_order(client, draft, &origin, supplier.as_deref(), expected, names).await?
                }
                DraftKind::Transfer { from } => transfer(client, draft, &origin, from, names).await?,
            },
        };
        exported.push((draft.task, outcome.map(|name| format!("Odoo {model} {name}"))));
    }
    Ok(exported)
}

/// A request for quotation to the draft's supplier, received by the destination warehouse; its name.
async fn purchase_order(
    client: &OdooClient,
    draft: &Draft,
    origin: &str,
    supplier: Option<&str>,
    expected: &str,
    names: &FieldNames,
) -> Result<Result<String, String>, OdooError> {
    let Some(supplier) = supplier else {
        return Ok(Err("the draft names no supplier".into()));
    };
    let Some(partner) = client
        .first_id("res.partner", by_code(supplier, &names.supplier_code))
        .await?
    else {
        return Ok(Err(format!("no Odoo partner has the reference {supplier}")));
    };
    let Some(product) = product(client, &draft.sku, names).await? else {
        return Ok(Err(format!("no Odoo product has the reference {}", draft.sku)));
    };
    let Some(warehouse) = warehouse(client, &draft.location).await? else {
        return Ok(Err(format!("no Odoo warehouse has the code {}", draft.location)));
    };
    let Some(picking_type) = operation_type(client, "incoming", warehouse.id).await? else {
        return Ok(Err(format!(
            "warehouse {} has no receipt operation type",
            draft.location
        )));
    };
    let planned = odoo_datetime(expected);
    let line = json!({"product_id": product.id, "product_qty": draft.qty, "date_planned": planned});
    let order = client
        .create(
            "purchase.order",
            json!({
                "partner_id": partner,
                "picking_type_id": picking_type,
                "origin": origin,
                "date_planned": planned,
                "order_line": [[0, 0, line]],
            }),
        )
        .await?;
    name_of(client, "purchase.order", order).await.map(Ok)
}

/// A draft internal transfer from one warehouse's stock location to the other's, of the source warehouse's
/// internal operation type; its name.
async fn transfer(
    client: &OdooClient,
    draft: &Draft,
    origin: &str,
    from: &str,
    names: &FieldNames,
) -> Result<Result<String, String>, OdooError> {
    let Some(product) = product(client, &draft.sku, names).await? else {
        return Ok(Err(format!("no Odoo product has the reference {}", draft.sku)));
    };
    let (Some(source), Some(destination)) = (
        warehouse(client, from).await?,
        warehouse(client, &draft.location).await?,
    ) else {
        return Ok(Err(format!(
            "Odoo has no warehouse with the code {from} or {}",
            draft.location
        )));
    };
    let Some(picking_type) = operation_type(client, "internal", source.id).await? else {
        return Ok(Err(format!("warehouse {from} has no internal transfer operation type")));
    };
    let stock_move = json!({
        "name": format!("{} for {} (Retex)", draft.sku, draft.location),
        "product_id": product.id,
        "product_uom_qty": draft.qty,
        "product_uom": product.uom,
        "location_id": source.stock,
        "location_dest_id": destination.stock,
    });
    let picking = json!({
        "picking_type_id": picking_type,
        "origin": origin,
        "location_id": source.stock,
        "location_dest_id": destination.stock,
        "move_ids": [[0, 0, stock_move]],
    });
    let created = client.create("stock.picking", picking).await?;
    name_of(client, "stock.picking", created).await.map(Ok)
}

struct Product {
    id: i64,
    /// Its unit of measure's id.
    uom: Value,
}

async fn product(client: &OdooClient, sku: &str, names: &FieldNames) -> Result<Option<Product>, OdooError> {
    let found = client
        .search_read("product.product", by_code(sku, &names.sku), &["uom_id"], "id asc", 1)
        .await?;
    Ok(found.first().and_then(|record| {
        Some(Product {
            id: record.get("id")?.as_i64()?,
            uom: record.get("uom_id")?.get(0).cloned().unwrap_or(Value::Bool(false)),
        })
    }))
}

struct Warehouse {
    id: i64,
    /// Its stock location's id (`lot_stock_id`).
    stock: Value,
}

async fn warehouse(client: &OdooClient, code: &str) -> Result<Option<Warehouse>, OdooError> {
    let found = client
        .search_read(
            "stock.warehouse",
            json!([["code", "=", code]]),
            &["lot_stock_id"],
            "id asc",
            1,
        )
        .await?;
    Ok(found.first().and_then(|record: &Record| {
        Some(Warehouse {
            id: record.get("id")?.as_i64()?,
            stock: record.get("lot_stock_id")?.get(0)?.clone(),
        })
    }))
}

/// The warehouse's operation type of this kind (`incoming`, `internal`).
async fn operation_type(client: &OdooClient, code: &str, warehouse: i64) -> Result<Option<i64>, OdooError> {
    client
        .first_id(
            "stock.picking.type",
            json!([["code", "=", code], ["warehouse_id", "=", warehouse]]),
        )
        .await
}

/// The record's name, or its id when it has none.
async fn name_of(client: &OdooClient, model: &str, id: i64) -> Result<String, OdooError> {
    Ok(first_text(client, model, json!([["id", "=", id]]), "name")
        .await?
        .unwrap_or_else(|| id.to_string()))
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
