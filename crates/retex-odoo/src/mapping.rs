//! Odoo records as Retex events, by the default mapping of docs/integrations.md. Pure: records and the lookups
//! they need go in, events (or the problem that stops one record) come out.
//!
//! Event ids are stable, `odoo:<model>:<id>[:<part>]`, so pulling a record again is a harmless duplicate; master
//! data carries its `write_date` as the part, so a changed record is a new upsert. Events carry their business
//! time (an order's date, a transfer's `date_done`); only master data, which has none, is dated by `write_date`.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::client::Record;

/// The source of every event the connector makes.
pub const SOURCE: &str = "odoo";

/// What records refer to, read before they are mapped.
#[derive(Debug, Default)]
pub struct Lookups {
    /// `stock.warehouse` id to its code, the Retex location.
    pub warehouses: HashMap<i64, String>,
    /// `stock.picking.type` id to its warehouse id.
    pub picking_types: HashMap<i64, i64>,
    /// `product.product` id to its SKU.
    pub skus: HashMap<i64, String>,
    /// `res.partner` id to its supplier code.
    pub suppliers: HashMap<i64, String>,
    /// What the mapping file changes in the defaults.
    pub mapping: Mapping,
}

/// What a mapping file may change in the default mapping (docs/integrations.md): the kind of each warehouse,
/// and which Odoo field holds a code, a price or a promise where a shop keeps it in another.
#[derive(Clone, Debug, Default)]
pub struct Mapping {
    /// Location kinds by warehouse code (`store`, `warehouse`, `web`); `warehouse` otherwise.
    pub location_kinds: HashMap<String, String>,
    pub fields: FieldNames,
}

/// The Odoo fields the mapping reads where shops differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldNames {
    /// `product.product`: the SKU (`default_code`; `barcode` where products are known by their barcode).
    pub sku: String,
    /// `res.partner`: the supplier code (`ref`).
    pub supplier_code: String,
    /// `product.product`: the unit cost (`standard_price`).
    pub cost: String,
    /// `product.product`: the selling price (`lst_price`).
    pub price: String,
    /// `sale.order`: the date promised to the customer (`commitment_date`); `expected_date` when it is empty.
    pub ship_by: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        Self {
            sku: "default_code".into(),
            supplier_code: "ref".into(),
            cost: "standard_price".into(),
            price: "lst_price".into(),
            ship_by: "commitment_date".into(),
        }
    }
}

impl FieldNames {
    /// The names a mapping file's `[fields]` table uses for the fields above.
    pub const KEYS: [&'static str; 5] = ["sku", "supplier_code", "cost", "price", "ship_by"];

    /// The field set under `key`, one of [`Self::KEYS`].
    pub fn get_mut(&mut self, key: &str) -> Option<&mut String> {
        match key {
            "sku" => Some(&mut self.sku),
            "supplier_code" => Some(&mut self.supplier_code),
            "cost" => Some(&mut self.cost),
            "price" => Some(&mut self.price),
            "ship_by" => Some(&mut self.ship_by),
            _ => None,
        }
    }
}

/// Why one record was skipped: `odoo: stock.move 4711: product_id: no such product`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub model: &'static str,
    pub id: i64,
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "odoo: {} {}: {}: {}",
            self.model, self.id, self.field, self.problem
        )
    }
}

/// One record's reader: its fields, with problems that name the record.
pub struct Fields<'a> {
    pub model: &'static str,
    pub record: &'a Record,
}

impl Fields<'_> {
    pub fn id(&self) -> i64 {
        self.record.get("id").and_then(Value::as_i64).unwrap_or(0)
    }

    pub fn skipped(&self, field: &str, problem: impl Into<String>) -> Skipped {
        Skipped {
            model: self.model,
            id: self.id(),
            field: field.to_owned(),
            problem: problem.into(),
        }
    }

    /// A text field; `false` (Odoo's empty) is none.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.record
            .get(field)
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
    }

    pub fn required_text(&self, field: &str) -> Result<&str, Skipped> {
        self.text(field).ok_or_else(|| self.skipped(field, "empty"))
    }

    /// A many2one field's id: `[id, "display name"]`, or `false`.
    pub fn many2one(&self, field: &str) -> Option<i64> {
        self.record.get(field)?.get(0)?.as_i64()
    }

    /// A many2one field's display name.
    pub fn many2one_name(&self, field: &str) -> Option<&str> {
        self.record.get(field)?.get(1)?.as_str()
    }

    /// A one2many or many2many field's ids.
    pub fn ids(&self, field: &str) -> Vec<i64> {
        self.record
            .get(field)
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    }

    /// A number field as the JSON number Odoo sent (its text is kept, so a decimal stays exact).
    pub fn number(&self, field: &str) -> Result<Value, Skipped> {
        match self.record.get(field) {
            Some(Value::Number(number)) => Ok(Value::Number(number.clone())),
            _ => Err(self.skipped(field, "not a number")),
        }
    }

    /// A datetime field (`"2026-11-02 10:15:00"`, UTC) as RFC 3339.
    pub fn time(&self, field: &str) -> Result<String, Skipped> {
        let text = self.required_text(field)?;
        odoo_time(text).ok_or_else(|| self.skipped(field, format!("{text:?} is not an Odoo datetime")))
    }

    fn sku(&self, field: &str, lookups: &Lookups) -> Result<String, Skipped> {
        let product = self.many2one(field).ok_or_else(|| self.skipped(field, "empty"))?;
        lookups
            .skus
            .get(&product)
            .cloned()
            .ok_or_else(|| self.skipped(field, format!("no such product ({product})")))
    }

    /// The warehouse code of the picking type in `field`.
    pub fn location_of_picking_type(&self, field: &str, lookups: &Lookups) -> Result<String, Skipped> {
        let picking_type = self.many2one(field).ok_or_else(|| self.skipped(field, "empty"))?;
        lookups
            .picking_types
            .get(&picking_type)
            .and_then(|warehouse| lookups.warehouses.get(warehouse))
            .cloned()
            .ok_or_else(|| self.skipped(field, format!("operation type {picking_type} belongs to no warehouse")))
    }
}

/// A picking's moves as event lines: the SKU and the done quantity (`quantity`, or `quantity_done` before
/// Odoo 17).
fn move_lines(moves: &[Record], quantity: &'static str, lookups: &Lookups) -> Result<Vec<Value>, Skipped> {
    moves
        .iter()
        .map(|record| {
            let of_move = Fields {
                model: "stock.move",
                record,
            };
            Ok(json!({"sku": of_move.sku("product_id", lookups)?, "qty": of_move.number(quantity)?}))
        })
        .collect()
}

/// Odoo's `YYYY-MM-DD HH:MM:SS` (UTC) as RFC 3339.
pub fn odoo_time(text: &str) -> Option<String> {
    let (date, time) = text.split_once(' ')?;
    let valid = date.len() == 10 && time.len() >= 8 && date.as_bytes()[4] == b'-';
    valid.then(|| format!("{date}T{}Z", &time[..8]))
}

/// A product's SKU: its internal reference (or the field the mapping names), else `odoo-<id>`.
pub fn sku_of(product: &Record, names: &FieldNames) -> String {
    let fields = Fields {
        model: "product.product",
        record: product,
    };
    fields
        .text(&names.sku)
        .map_or_else(|| format!("odoo-{}", fields.id()), str::to_owned)
}

/// A domain finding a record by its code in `field`, or by its id for the `odoo-<id>` codes given to records
/// without one ([`sku_of`], [`supplier_code`]).
pub fn by_code(code: &str, field: &str) -> Value {
    match code.strip_prefix("odoo-").and_then(|id| id.parse::<i64>().ok()) {
        Some(id) => json!([["id", "=", id]]),
        None => json!([[field, "=", code]]),
    }
}

/// A supplier's code: the partner's reference (or the field the mapping names), else `odoo-<id>`.
pub fn supplier_code(partner: &Record, names: &FieldNames) -> String {
    let fields = Fields {
        model: "res.partner",
        record: partner,
    };
    fields
        .text(&names.supplier_code)
        .map_or_else(|| format!("odoo-{}", fields.id()), str::to_owned)
}

fn envelope(id: String, kind: &str, at: &str, body: Value) -> Value {
    let mut event = json!({"id": id, "source": SOURCE, "type": kind, "at": at});
    if let (Value::Object(event), Value::Object(body)) = (&mut event, body) {
        event.extend(body);
    }
    event
}

/// A `stock.warehouse` as a location.
pub fn warehouse(record: &Record, lookups: &Lookups) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "stock.warehouse",
        record,
    };
    let code = fields.required_text("code")?;
    let kind = lookups
        .mapping
        .location_kinds
        .get(code)
        .map_or("warehouse", String::as_str);
    let at = fields.time("write_date")?;
    let body = json!({"code": code, "name": fields.required_text("name")?, "kind": kind});
    Ok(envelope(
        format!("odoo:stock.warehouse:{}:{at}", fields.id()),
        "location",
        &at,
        body,
    ))
}

/// A supplier (`res.partner`) with the lead time of its product offer (`product.supplierinfo.delay`).
pub fn supplier(partner: &Record, lead_time_days: Option<&Value>, names: &FieldNames) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "res.partner",
        record: partner,
    };
    let at = fields.time("write_date")?;
    let mut body = json!({"code": supplier_code(partner, names), "name": fields.required_text("name")?});
    if let Some(days) = lead_time_days {
        body["lead_time_days"] = days.clone();
    }
    let id = format!("odoo:res.partner:{}:{at}", fields.id());
    Ok(envelope(id, "supplier", &at, body))
}

/// A `product.product` with its first supplier.
pub fn product(record: &Record, supplier: Option<&str>, names: &FieldNames) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "product.product",
        record,
    };
    let at = fields.time("write_date")?;
    let category = fields
        .many2one_name("categ_id")
        .map(|path| path.split(" / ").map(str::trim).collect::<Vec<_>>().join("/"))
        .ok_or_else(|| fields.skipped("categ_id", "empty"))?;
    let mut body = json!({
        "sku": sku_of(record, names),
        "name": fields.required_text("name")?,
        "category": category,
        "cost": fields.number(&names.cost)?,
        "price": fields.number(&names.price)?,
    });
    if let Some(uom) = fields.many2one_name("uom_id") {
        body["uom"] = uom.into();
    }
    if let Some(code) = supplier {
        body["supplier"] = code.into();
    }
    Ok(envelope(
        format!("odoo:product.product:{}:{at}", fields.id()),
        "product",
        &at,
        body,
    ))
}

/// A confirmed `purchase.order` with its lines (`purchase.order.line` records).
pub fn purchase_order(order: &Record, lines: &[&Record], lookups: &Lookups) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "purchase.order",
        record: order,
    };
    let partner = fields
        .many2one("partner_id")
        .ok_or_else(|| fields.skipped("partner_id", "empty"))?;
    let supplier = lookups
        .suppliers
        .get(&partner)
        .ok_or_else(|| fields.skipped("partner_id", format!("no such supplier ({partner})")))?;
    let at = fields.time("date_approve").or_else(|_| fields.time("date_order"))?;
    let mut retex_lines = Vec::with_capacity(lines.len());
    for line in lines {
        let line = Fields {
            model: "purchase.order.line",
            record: line,
        };
        let Ok(sku) = line.sku("product_id", lookups) else {
            continue; // a note or section line, or a service: nothing to receive
        };
        retex_lines
            .push(json!({"sku": sku, "qty": line.number("product_qty")?, "unit_cost": line.number("price_unit")?}));
    }
    if retex_lines.is_empty() {
        return Err(fields.skipped("order_line", "no product lines"));
    }
    let body = json!({
        "po": fields.required_text("name")?,
        "supplier": supplier,
        "location": fields.location_of_picking_type("picking_type_id", lookups)?,
        "expected": fields.time("date_planned")?,
        "lines": retex_lines,
    });
    Ok(envelope(
        format!("odoo:purchase.order:{}", fields.id()),
        "purchase_order",
        &at,
        body,
    ))
}

/// A done incoming `stock.picking` of a purchase order as its receipt; `final` when no other receipt of that
/// order is still open (it was validated without a backorder). `quantity` is the moves' done quantity field
/// (`quantity_done` before Odoo 17).
pub fn receipt(
    picking: &Record,
    moves: &[Record],
    quantity: &'static str,
    last: bool,
    lookups: &Lookups,
) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "stock.picking",
        record: picking,
    };
    let po = fields
        .many2one_name("purchase_id")
        .ok_or_else(|| fields.skipped("purchase_id", "empty"))?;
    let lines = move_lines(moves, quantity, lookups)?;
    let body = json!({
        "po": po,
        "location": fields.location_of_picking_type("picking_type_id", lookups)?,
        "lines": lines,
        "final": last,
    });
    let at = fields.time("date_done")?;
    Ok(envelope(
        format!("odoo:stock.picking:{}", fields.id()),
        "receipt",
        &at,
        body,
    ))
}

/// A confirmed `sale.order` as a web order placed, with its promise to the customer (`commitment_date`, else
/// `expected_date`), and allocated to its warehouse.
pub fn sale_order(order: &Record, lines: &[&Record], lookups: &Lookups) -> Result<(Value, Value), Skipped> {
    let fields = Fields {
        model: "sale.order",
        record: order,
    };
    let name = fields.required_text("name")?;
    let at = fields.time("date_order")?;
    let ship_by = fields
        .time(&lookups.mapping.fields.ship_by)
        .or_else(|_| fields.time("expected_date"))?;
    let warehouse = fields
        .many2one("warehouse_id")
        .ok_or_else(|| fields.skipped("warehouse_id", "empty"))?;
    let location = lookups
        .warehouses
        .get(&warehouse)
        .ok_or_else(|| fields.skipped("warehouse_id", format!("no such warehouse ({warehouse})")))?;
    let mut retex_lines = Vec::with_capacity(lines.len());
    for line in lines {
        let line = Fields {
            model: "sale.order.line",
            record: line,
        };
        let Ok(sku) = line.sku("product_id", lookups) else {
            continue; // a section, a note or a service line
        };
        retex_lines.push(
            json!({"sku": sku, "qty": line.number("product_uom_qty")?, "unit_price": line.number("price_unit")?}),
        );
    }
    if retex_lines.is_empty() {
        return Err(fields.skipped("order_line", "no product lines"));
    }
    let id = fields.id();
    let placed = json!({"order": name, "channel": "web", "ship_by": ship_by, "lines": retex_lines});
    let allocated = json!({"order": name, "location": location});
    Ok((
        envelope(format!("odoo:sale.order:{id}"), "order_placed", &at, placed),
        envelope(
            format!("odoo:sale.order:{id}:allocated"),
            "order_allocated",
            &at,
            allocated,
        ),
    ))
}

/// A done outgoing `stock.picking` of a sale order as its shipment, with the moves' done quantities.
pub fn shipment(
    picking: &Record,
    moves: &[Record],
    quantity: &'static str,
    lookups: &Lookups,
) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "stock.picking",
        record: picking,
    };
    let order = fields
        .many2one_name("sale_id")
        .ok_or_else(|| fields.skipped("sale_id", "empty"))?;
    let lines = move_lines(moves, quantity, lookups)?;
    let body = json!({
        "order": order,
        "location": fields.location_of_picking_type("picking_type_id", lookups)?,
        "lines": lines,
    });
    let at = fields.time("date_done")?;
    Ok(envelope(
        format!("odoo:stock.picking:{}", fields.id()),
        "order_shipped",
        &at,
        body,
    ))
}

/// One leg of an inter-warehouse transfer through a transit location.
pub enum TransferLeg<'a> {
    /// Out of a warehouse into transit, towards `to`, expected there at `expected`.
    Shipped { to: &'a str, expected: Option<String> },
    /// Out of transit into a warehouse.
    Received,
}

/// A done picking into or out of transit as the transfer's shipment or receipt. The transfer is named after the
/// procurement group both legs share (else the picking's origin), so the two legs meet in Retex.
pub fn transfer(
    picking: &Record,
    moves: &[Record],
    quantity: &'static str,
    leg: &TransferLeg<'_>,
    lookups: &Lookups,
) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "stock.picking",
        record: picking,
    };
    let number = fields
        .many2one_name("group_id")
        .or_else(|| fields.text("origin"))
        .ok_or_else(|| {
            fields.skipped(
                "group_id",
                "neither a procurement group nor an origin joins the two legs",
            )
        })?;
    let here = fields.location_of_picking_type("picking_type_id", lookups)?;
    let lines = move_lines(moves, quantity, lookups)?;
    let at = fields.time("date_done")?;
    let id = format!("odoo:stock.picking:{}", fields.id());
    Ok(match leg {
        TransferLeg::Shipped { to, expected } => {
            let mut body = json!({"transfer": number, "from": here, "to": to, "lines": lines});
            if let Some(expected) = expected {
                body["expected"] = expected.as_str().into();
            }
            envelope(id, "transfer_shipped", &at, body)
        }
        TransferLeg::Received => envelope(
            id,
            "transfer_received",
            &at,
            json!({"transfer": number, "location": here, "lines": lines}),
        ),
    })
}

/// A done inventory adjustment (`stock.move` with `is_inventory`) as a count at its warehouse: `counted` is what
/// was on hand right after it, the caller's `on_hand_before` plus the move's signed quantity.
pub fn inventory_count(adjustment: &Record, location: &str, counted: f64, lookups: &Lookups) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "stock.move",
        record: adjustment,
    };
    let body = json!({
        "location": location,
        "sku": fields.sku("product_id", lookups)?,
        "counted": counted,
    });
    let at = fields.time("date")?;
    Ok(envelope(format!("odoo:stock.move:{}", fields.id()), "count", &at, body))
}

/// A `pos.order.line` as a till sale, at its order's time and shop. Refund lines (a negative quantity) are
/// not sales and are skipped.
pub fn pos_sale(line: &Record, order: &Record, location: &str, lookups: &Lookups) -> Result<Value, Skipped> {
    let fields = Fields {
        model: "pos.order.line",
        record: line,
    };
    let qty = fields.number("qty")?;
    if qty.as_f64().is_none_or(|qty| qty <= 0.0) {
        return Err(fields.skipped("qty", format!("{qty}: a refund line, not a sale")));
    }
    let of_order = Fields {
        model: "pos.order",
        record: order,
    };
    let body = json!({
        "location": location,
        "sku": fields.sku("product_id", lookups)?,
        "qty": qty,
        "unit_price": fields.number("price_unit")?,
        "channel": "pos",
        "order": of_order.required_text("name")?,
    });
    let at = of_order.time("date_order")?;
    Ok(envelope(
        format!("odoo:pos.order.line:{}", fields.id()),
        "sale",
        &at,
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: Value) -> Record {
        match value {
            Value::Object(record) => record,
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_product_takes_its_reference_category_path_prices_and_supplier() {
        let lamp = record(json!({
            "id": 7, "default_code": false, "name": "Desk lamp", "categ_id": [3, "All / Office / Lighting"],
            "standard_price": 12.5, "lst_price": 29.9, "uom_id": [1, "Units"], "write_date": "2026-11-02 10:15:00"
        }));
        let event = product(&lamp, Some("ACME"), &FieldNames::default()).unwrap();
        assert_eq!(event["id"], "odoo:product.product:7:2026-11-02T10:15:00Z");
        assert_eq!(event["sku"], "odoo-7");
        assert_eq!(event["category"], "All/Office/Lighting");
        assert_eq!(event["supplier"], "ACME");
        assert!(retex_core::wire::parse_event(&event.to_string()).is_ok(), "{event}");
    }

    #[test]
    fn a_record_that_cannot_be_mapped_names_its_model_id_and_field() {
        let line = record(json!({"id": 4711, "product_id": [99, "Ghost"], "qty": 1, "price_unit": 2.0}));
        let order = record(json!({"id": 5, "name": "Shop/0005", "date_order": "2026-11-02 10:15:00"}));
        let skipped = pos_sale(&line, &order, "S1", &Lookups::default()).unwrap_err();
        assert_eq!(
            skipped.to_string(),
            "odoo: pos.order.line 4711: product_id: no such product (99)"
        );
        let refund = record(json!({"id": 4712, "product_id": [99, "Ghost"], "qty": -1, "price_unit": 2.0}));
        assert!(
            pos_sale(&refund, &order, "S1", &Lookups::default())
                .unwrap_err()
                .problem
                .contains("refund")
        );
    }
}
