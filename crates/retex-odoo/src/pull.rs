//! One incremental pull: what changed in Odoo since the last pull, as events appended to the log.
//!
//! Each model is read in pages ordered by `write_date`, then `id`, after a cursor kept in the store (the last
//! record read), so a pull resumes where the previous one stopped and reads every change exactly once. The
//! pull's events are sorted by their business time and appended; the cursors are saved after the append, so a
//! crash in between only means reading those records again, and their events are duplicates by their stable ids.

use std::collections::{BTreeMap, HashMap};

use retex_core::wire::parse_event;
use retex_store::{IncomingEvent, LiveEngine, StoreError};
use serde_json::{Value, json};

use crate::client::{OdooClient, OdooError, Record};
use crate::mapping::{self, Fields, Lookups, Skipped};

/// Records read per call.
const PAGE: usize = 500;
/// Events per append transaction.
const APPEND_BATCH: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Odoo(#[from] OdooError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a pull does beyond the defaults.
#[derive(Clone, Debug, Default)]
pub struct PullOptions {
    /// On the first pull, read only records written at or after this Odoo datetime (`YYYY-MM-DD HH:MM:SS`).
    pub since: Option<String>,
    /// Location kinds by warehouse code (`store`, `warehouse`, `web`); `warehouse` otherwise.
    pub location_kinds: HashMap<String, String>,
}

/// What one pull read and did.
#[derive(Debug, Default)]
pub struct PullReport {
    /// Changed records read, per model.
    pub read: BTreeMap<&'static str, usize>,
    pub accepted: usize,
    pub duplicates: usize,
    /// Events whose id was logged with other content (a record edited after it was pulled): the logged one stands.
    pub conflicts: Vec<String>,
    /// Records that could not be mapped, each with why.
    pub skipped: Vec<Skipped>,
}

/// The last record read of a model: where the next pull starts.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cursor {
    write_date: String,
    id: i64,
}

impl Cursor {
    fn parse(text: &str) -> Option<Self> {
        let (write_date, id) = text.rsplit_once('|')?;
        Some(Self {
            write_date: write_date.to_owned(),
            id: id.parse().ok()?,
        })
    }

    fn text(&self) -> String {
        format!("{}|{}", self.write_date, self.id)
    }

    fn after(record: &Record) -> Option<Self> {
        Some(Self {
            write_date: record.get("write_date")?.as_str()?.to_owned(),
            id: record.get("id")?.as_i64()?,
        })
    }
}

/// Reads what changed, maps it and appends it. `scope` names the Odoo database in the cursors' keys, so two
/// databases pulled into one store keep their own.
pub async fn pull(
    client: &OdooClient,
    live: &mut LiveEngine,
    scope: &str,
    options: &PullOptions,
) -> Result<PullReport, PullError> {
    let saved = saved_cursors(live, scope)?;
    let changes = read_changes(client, scope, saved, options).await?;
    Ok(changes.apply(live)?)
}

/// The cursors the previous pull of `scope` saved, by key.
pub fn saved_cursors(live: &mut LiveEngine, scope: &str) -> Result<HashMap<String, String>, StoreError> {
    let mut saved = HashMap::new();
    for feed in FEEDS {
        let key = cursor_key(scope, feed.name);
        if let Some(text) = live.setting(&key)? {
            saved.insert(key, text);
        }
    }
    Ok(saved)
}

/// What changed in Odoo after the saved cursors, mapped and not yet appended: reading needs no lock on the
/// store, appending does.
pub struct Changes {
    /// Business time and text of each event.
    events: Vec<(String, String)>,
    cursors: Vec<(String, Cursor)>,
    report: PullReport,
}

/// Reads and maps what changed after `saved`.
pub async fn read_changes(
    client: &OdooClient,
    scope: &str,
    saved: HashMap<String, String>,
    options: &PullOptions,
) -> Result<Changes, OdooError> {
    let mut puller = Puller {
        client,
        scope,
        options,
        saved,
        lookups: Lookups {
            location_kinds: options.location_kinds.clone(),
            ..Lookups::default()
        },
        events: Vec::new(),
        cursors: Vec::new(),
        report: PullReport::default(),
    };
    puller.read_lookups().await?;
    puller.warehouses().await?;
    puller.products().await?;
    puller.purchase_orders().await?;
    puller.receipts().await?;
    puller.sale_orders().await?;
    puller.deliveries().await?;
    puller.transfers().await?;
    puller.pos_sales().await?;
    Ok(Changes {
        events: puller.events,
        cursors: puller.cursors,
        report: puller.report,
    })
}

impl Changes {
    /// Appends the events in business-time order, then saves the cursors.
    pub fn apply(mut self, live: &mut LiveEngine) -> Result<PullReport, StoreError> {
        self.events.sort_by(|left, right| left.0.cmp(&right.0));
        let mut parsed = Vec::with_capacity(self.events.len());
        for (_, text) in &self.events {
            match parse_event(text) {
                Ok(event) => parsed.push((event, text.as_str())),
                Err(error) => self.report.skipped.push(Skipped {
                    model: "event",
                    id: 0,
                    field: "event",
                    problem: format!("{error}: {text}"),
                }),
            }
        }
        for chunk in parsed.chunks(APPEND_BATCH) {
            let batch: Vec<IncomingEvent<'_>> = chunk
                .iter()
                .map(|(event, text)| IncomingEvent { event, text })
                .collect();
            let summary = live.append_events(&batch)?;
            self.report.accepted += summary.accepted;
            self.report.duplicates += summary.duplicates;
            self.report
                .conflicts
                .extend(summary.conflicting.iter().map(|conflict| conflict.id.clone()));
        }
        for (key, cursor) in &self.cursors {
            live.put_setting(key, &cursor.text())?;
        }
        Ok(self.report)
    }
}

/// Records of one model read after their own cursor.
#[derive(Clone, Copy)]
struct Feed {
    model: &'static str,
    /// The cursor's and the report's name.
    name: &'static str,
}

const fn feed(model: &'static str, name: &'static str) -> Feed {
    Feed { model, name }
}

const PRODUCTS: Feed = feed("product.product", "product.product");
const PURCHASE_ORDERS: Feed = feed("purchase.order", "purchase.order");
const RECEIPTS: Feed = feed("stock.picking", "stock.picking (receipts)");
const SALE_ORDERS: Feed = feed("sale.order", "sale.order");
const DELIVERIES: Feed = feed("stock.picking", "stock.picking (deliveries)");
const TRANSFERS: Feed = feed("stock.picking", "stock.picking (transfers)");
const TILL_LINES: Feed = feed("pos.order.line", "pos.order.line");
const FEEDS: [Feed; 7] = [
    PRODUCTS,
    PURCHASE_ORDERS,
    RECEIPTS,
    SALE_ORDERS,
    DELIVERIES,
    TRANSFERS,
    TILL_LINES,
];

fn cursor_key(scope: &str, model: &str) -> String {
    format!("odoo:{scope}:{model}")
}

/// Records by their id.
fn by_id(records: &[Record]) -> HashMap<i64, &Record> {
    records
        .iter()
        .map(|record| (record.get("id").and_then(Value::as_i64).unwrap_or(0), record))
        .collect()
}

struct Puller<'a> {
    client: &'a OdooClient,
    scope: &'a str,
    options: &'a PullOptions,
    /// The cursors the previous pull saved, by key.
    saved: HashMap<String, String>,
    lookups: Lookups,
    /// The pull's events: business time and text.
    events: Vec<(String, String)>,
    cursors: Vec<(String, Cursor)>,
    report: PullReport,
}

impl Puller<'_> {
    /// Warehouses, operation types and every product's SKU: what records refer to.
    async fn read_lookups(&mut self) -> Result<(), OdooError> {
        for warehouse in self.every("stock.warehouse", &["code"]).await? {
            let fields = Fields {
                model: "stock.warehouse",
                record: &warehouse,
            };
            if let Some(code) = fields.text("code") {
                self.lookups.warehouses.insert(fields.id(), code.to_owned());
            }
        }
        for picking_type in self.every("stock.picking.type", &["warehouse_id"]).await? {
            let fields = Fields {
                model: "stock.picking.type",
                record: &picking_type,
            };
            if let Some(warehouse) = fields.many2one("warehouse_id") {
                self.lookups.picking_types.insert(fields.id(), warehouse);
            }
        }
        for product in self.every("product.product", &["default_code"]).await? {
            let id = product.get("id").and_then(Value::as_i64).unwrap_or(0);
            self.lookups.skus.insert(id, mapping::sku_of(&product));
        }
        Ok(())
    }

    /// Every record of a model that can be archived, archived ones too (old documents refer to them).
    async fn every(&self, model: &str, fields: &[&str]) -> Result<Vec<Record>, OdooError> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let domain = json!(["|", ["active", "=", true], ["active", "=", false], ["id", ">", after]]);
            let page = self.client.search_read(model, domain, fields, "id asc", PAGE).await?;
            let full = page.len() == PAGE;
            after = page
                .last()
                .and_then(|record| record.get("id"))
                .and_then(Value::as_i64)
                .unwrap_or(after);
            all.extend(page);
            if !full {
                return Ok(all);
            }
        }
    }

    /// The records of `model` matching `filter` written after its cursor, page by page; the cursor moves to the
    /// last one read.
    async fn changed(&mut self, feed: Feed, filter: Value, fields: &[&str]) -> Result<Vec<Record>, OdooError> {
        let key = cursor_key(self.scope, feed.name);
        let mut cursor = self.saved_cursor(&key);
        let mut fields: Vec<&str> = fields.to_vec();
        fields.extend(["id", "write_date"]);
        let mut changed = Vec::new();
        loop {
            let mut domain = filter.as_array().cloned().unwrap_or_default();
            if let Some(cursor) = &cursor {
                domain.extend([
                    json!("|"),
                    json!(["write_date", ">", cursor.write_date]),
                    json!("&"),
                    json!(["write_date", "=", cursor.write_date]),
                    json!(["id", ">", cursor.id]),
                ]);
            }
            let page = self
                .client
                .search_read(
                    feed.model,
                    Value::Array(domain),
                    &fields,
                    "write_date asc, id asc",
                    PAGE,
                )
                .await?;
            let full = page.len() == PAGE;
            if let Some(last) = page.last().and_then(Cursor::after) {
                cursor = Some(last);
            }
            changed.extend(page);
            if !full {
                break;
            }
        }
        *self.report.read.entry(feed.name).or_default() += changed.len();
        if let Some(cursor) = cursor {
            self.cursors.push((key, cursor));
        }
        Ok(changed)
    }

    fn saved_cursor(&self, key: &str) -> Option<Cursor> {
        self.saved.get(key).and_then(|text| Cursor::parse(text)).or_else(|| {
            self.options.since.as_ref().map(|since| Cursor {
                write_date: since.clone(),
                id: 0,
            })
        })
    }

    /// Keeps an event, or reports why the record was skipped.
    fn keep(&mut self, mapped: Result<Value, Skipped>) {
        match mapped {
            Ok(event) => {
                let at = event["at"].as_str().unwrap_or_default().to_owned();
                self.events.push((at, event.to_string()));
            }
            Err(skipped) => self.report.skipped.push(skipped),
        }
    }

    /// Every warehouse as a location (a handful; an unchanged one is a duplicate).
    async fn warehouses(&mut self) -> Result<(), OdooError> {
        let warehouses = self.every("stock.warehouse", &["code", "name", "write_date"]).await?;
        *self.report.read.entry("stock.warehouse").or_default() += warehouses.len();
        for warehouse in &warehouses {
            let mapped = mapping::warehouse(warehouse, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }

    /// Changed products, with their first supplier (by `sequence`) and its lead time.
    async fn products(&mut self) -> Result<(), OdooError> {
        let fields = [
            "default_code",
            "name",
            "categ_id",
            "standard_price",
            "lst_price",
            "uom_id",
            "seller_ids",
        ];
        let archived_too = json!(["|", ["active", "=", true], ["active", "=", false]]);
        let products = self.changed(PRODUCTS, archived_too, &fields).await?;
        let offer_ids: Vec<i64> = products
            .iter()
            .flat_map(|product| {
                Fields {
                    model: "product.product",
                    record: product,
                }
                .ids("seller_ids")
            })
            .collect();
        let offers = self
            .read_in_pages("product.supplierinfo", &offer_ids, &["partner_id", "delay", "sequence"])
            .await?;
        let offers = by_id(&offers);
        let first_offer = |product: &Record| {
            let ids = Fields {
                model: "product.product",
                record: product,
            }
            .ids("seller_ids");
            ids.iter()
                .filter_map(|id| offers.get(id).copied())
                .min_by_key(|offer| offer.get("sequence").and_then(Value::as_i64).unwrap_or(0))
        };
        let partner_ids: Vec<i64> = products
            .iter()
            .filter_map(&first_offer)
            .filter_map(|offer| {
                Fields {
                    model: "product.supplierinfo",
                    record: offer,
                }
                .many2one("partner_id")
            })
            .collect();
        let partners = self
            .read_in_pages("res.partner", &partner_ids, &["ref", "name", "write_date"])
            .await?;
        let partners = by_id(&partners);
        let mut suppliers: BTreeMap<(i64, String), Value> = BTreeMap::new();
        let mut mapped = Vec::with_capacity(products.len());
        for product in &products {
            let offer = first_offer(product);
            let partner = offer
                .and_then(|offer| {
                    Fields {
                        model: "product.supplierinfo",
                        record: offer,
                    }
                    .many2one("partner_id")
                })
                .and_then(|id| partners.get(&id).copied());
            if let (Some(offer), Some(partner)) = (offer, partner) {
                let delay = offer.get("delay").cloned();
                let id = Fields {
                    model: "res.partner",
                    record: partner,
                }
                .id();
                match mapping::supplier(partner, delay.as_ref()) {
                    Ok(event) => {
                        suppliers.insert((id, delay.map(|days| days.to_string()).unwrap_or_default()), event);
                    }
                    Err(skipped) => self.report.skipped.push(skipped),
                }
            }
            mapped.push(mapping::product(
                product,
                partner.map(mapping::supplier_code).as_deref(),
            ));
        }
        for (_, mut event) in suppliers {
            // One supplier may offer products with different lead times: each is its own upsert.
            if let Some(days) = event.get("lead_time_days").cloned() {
                event["id"] = format!("{}:{days}", event["id"].as_str().unwrap_or_default()).into();
            }
            self.keep(Ok(event));
        }
        for event in mapped {
            self.keep(event);
        }
        Ok(())
    }

    /// Records by id, a page at a time.
    async fn read_in_pages(&self, model: &str, ids: &[i64], fields: &[&str]) -> Result<Vec<Record>, OdooError> {
        let mut unique = ids.to_vec();
        unique.sort_unstable();
        unique.dedup();
        let mut records = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(PAGE) {
            records.extend(self.client.read(model, chunk, fields).await?);
        }
        Ok(records)
    }

    /// Supplier codes for the partners of these records' `partner_id`.
    async fn supplier_codes(&mut self, records: &[Record]) -> Result<(), OdooError> {
        let ids: Vec<i64> = records
            .iter()
            .filter_map(|record| {
                Fields {
                    model: "purchase.order",
                    record,
                }
                .many2one("partner_id")
            })
            .collect();
        for partner in self.read_in_pages("res.partner", &ids, &["ref"]).await? {
            let id = Fields {
                model: "res.partner",
                record: &partner,
            }
            .id();
            self.lookups.suppliers.insert(id, mapping::supplier_code(&partner));
        }
        Ok(())
    }

    /// Changed confirmed purchase orders, with their lines.
    async fn purchase_orders(&mut self) -> Result<(), OdooError> {
        let fields = [
            "name",
            "partner_id",
            "date_order",
            "date_approve",
            "date_planned",
            "picking_type_id",
            "order_line",
        ];
        let confirmed = json!([["state", "in", ["purchase", "done"]]]);
        let orders = self.changed(PURCHASE_ORDERS, confirmed, &fields).await?;
        self.supplier_codes(&orders).await?;
        let line_ids: Vec<i64> = orders
            .iter()
            .flat_map(|order| {
                Fields {
                    model: "purchase.order",
                    record: order,
                }
                .ids("order_line")
            })
            .collect();
        let lines = self
            .read_in_pages(
                "purchase.order.line",
                &line_ids,
                &["product_id", "product_qty", "price_unit"],
            )
            .await?;
        let lines = by_id(&lines);
        for order in &orders {
            let own: Vec<&Record> = Fields {
                model: "purchase.order",
                record: order,
            }
            .ids("order_line")
            .iter()
            .filter_map(|id| lines.get(id).copied())
            .collect();
            let mapped = mapping::purchase_order(order, &own, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }

    /// Changed done receipts of purchase orders, each `final` unless another receipt of its order is open.
    async fn receipts(&mut self) -> Result<(), OdooError> {
        let done_receipts = json!([
            ["picking_type_code", "=", "incoming"],
            ["state", "=", "done"],
            ["purchase_id", "!=", false]
        ]);
        let fields = ["name", "purchase_id", "date_done", "picking_type_id", "move_ids"];
        let pickings = self.changed(RECEIPTS, done_receipts, &fields).await?;
        let quantity = self.quantity_field();
        let moves = self.moves_of(&pickings, quantity).await?;
        let moves = by_id(&moves);
        for picking in &pickings {
            let fields = Fields {
                model: "stock.picking",
                record: picking,
            };
            let own: Vec<&Record> = fields
                .ids("move_ids")
                .iter()
                .filter_map(|id| moves.get(id).copied())
                .collect();
            let last = match fields.many2one("purchase_id") {
                Some(order) => {
                    let open = json!([
                        ["purchase_id", "=", order],
                        ["picking_type_code", "=", "incoming"],
                        ["state", "not in", ["done", "cancel"]]
                    ]);
                    self.client.search_count("stock.picking", open).await? == 0
                }
                None => true,
            };
            let mapped = mapping::receipt(picking, &own, quantity, last, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }

    /// Changed confirmed sale orders as web orders, each allocated to its warehouse.
    async fn sale_orders(&mut self) -> Result<(), OdooError> {
        let fields = [
            "name",
            "date_order",
            "commitment_date",
            "expected_date",
            "warehouse_id",
            "order_line",
        ];
        let confirmed = json!([["state", "in", ["sale", "done"]]]);
        let orders = self.changed(SALE_ORDERS, confirmed, &fields).await?;
        let line_ids: Vec<i64> = orders
            .iter()
            .flat_map(|order| {
                Fields {
                    model: "sale.order",
                    record: order,
                }
                .ids("order_line")
            })
            .collect();
        let lines = self
            .read_in_pages(
                "sale.order.line",
                &line_ids,
                &["product_id", "product_uom_qty", "price_unit"],
            )
            .await?;
        let lines = by_id(&lines);
        for order in &orders {
            let own: Vec<&Record> = Fields {
                model: "sale.order",
                record: order,
            }
            .ids("order_line")
            .iter()
            .filter_map(|id| lines.get(id).copied())
            .collect();
            match mapping::sale_order(order, &own, &self.lookups) {
                Ok((placed, allocated)) => {
                    self.keep(Ok(placed));
                    self.keep(Ok(allocated));
                }
                Err(skipped) => self.report.skipped.push(skipped),
            }
        }
        Ok(())
    }

    /// Changed done deliveries of sale orders, as their shipments.
    async fn deliveries(&mut self) -> Result<(), OdooError> {
        let done_deliveries = json!([
            ["picking_type_code", "=", "outgoing"],
            ["state", "=", "done"],
            ["sale_id", "!=", false]
        ]);
        let fields = ["name", "sale_id", "date_done", "picking_type_id", "move_ids"];
        let pickings = self.changed(DELIVERIES, done_deliveries, &fields).await?;
        let quantity = self.quantity_field();
        let moves = self.moves_of(&pickings, quantity).await?;
        let moves = by_id(&moves);
        for picking in &pickings {
            let own: Vec<&Record> = Fields {
                model: "stock.picking",
                record: picking,
            }
            .ids("move_ids")
            .iter()
            .filter_map(|id| moves.get(id).copied())
            .collect();
            let mapped = mapping::shipment(picking, &own, quantity, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }

    /// Changed done pickings into or out of a transit location: the legs of inter-warehouse transfers.
    async fn transfers(&mut self) -> Result<(), OdooError> {
        let transit: Vec<i64> = self
            .client
            .search_read(
                "stock.location",
                json!([["usage", "=", "transit"]]),
                &["id"],
                "id asc",
                PAGE,
            )
            .await?
            .iter()
            .filter_map(|location| location.get("id").and_then(Value::as_i64))
            .collect();
        if transit.is_empty() {
            return Ok(());
        }
        let legs = json!([
            ["state", "=", "done"],
            "|",
            ["location_dest_id", "in", transit],
            ["location_id", "in", transit]
        ]);
        let fields = [
            "name",
            "origin",
            "group_id",
            "date_done",
            "picking_type_id",
            "location_id",
            "location_dest_id",
            "move_ids",
        ];
        let pickings = self.changed(TRANSFERS, legs, &fields).await?;
        let quantity = self.quantity_field();
        let moves = self.moves_of(&pickings, quantity).await?;
        let moves = by_id(&moves);
        for picking in &pickings {
            let fields = Fields {
                model: "stock.picking",
                record: picking,
            };
            let own: Vec<&Record> = fields
                .ids("move_ids")
                .iter()
                .filter_map(|id| moves.get(id).copied())
                .collect();
            let into_transit = fields
                .many2one("location_dest_id")
                .is_some_and(|id| transit.contains(&id));
            let mapped = if into_transit {
                match self.arriving_leg(picking, &transit).await? {
                    Ok((to, expected)) => {
                        let leg = mapping::TransferLeg::Shipped { to: &to, expected };
                        mapping::transfer(picking, &own, quantity, &leg, &self.lookups)
                    }
                    Err(skipped) => Err(skipped),
                }
            } else {
                mapping::transfer(picking, &own, quantity, &mapping::TransferLeg::Received, &self.lookups)
            };
            self.keep(mapped);
        }
        Ok(())
    }

    /// Where a shipment into transit goes, and when it is expected there: the other leg of its procurement group.
    async fn arriving_leg(
        &self,
        shipped: &Record,
        transit: &[i64],
    ) -> Result<Result<(String, Option<String>), Skipped>, OdooError> {
        let fields = Fields {
            model: "stock.picking",
            record: shipped,
        };
        let Some(group) = fields.many2one("group_id") else {
            return Ok(Err(
                fields.skipped("group_id", "no procurement group names where it goes")
            ));
        };
        let other = json!([["group_id", "=", group], ["location_id", "in", transit]]);
        let arriving = self
            .client
            .search_read(
                "stock.picking",
                other,
                &["picking_type_id", "scheduled_date"],
                "id asc",
                1,
            )
            .await?;
        let Some(arriving) = arriving.first() else {
            return Ok(Err(
                fields.skipped("group_id", "no picking out of transit in its procurement group")
            ));
        };
        let leg = Fields {
            model: "stock.picking",
            record: arriving,
        };
        let to = match leg.location_of_picking_type("picking_type_id", &self.lookups) {
            Ok(to) => to,
            Err(skipped) => return Ok(Err(skipped)),
        };
        Ok(Ok((to, leg.time("scheduled_date").ok())))
    }

    /// The done quantity of a move: `quantity` from Odoo 17 on, `quantity_done` before.
    fn quantity_field(&self) -> &'static str {
        if self.client.version >= 17 {
            "quantity"
        } else {
            "quantity_done"
        }
    }

    /// The stock moves of these pickings.
    async fn moves_of(&self, pickings: &[Record], quantity: &str) -> Result<Vec<Record>, OdooError> {
        let ids: Vec<i64> = pickings
            .iter()
            .flat_map(|picking| {
                Fields {
                    model: "stock.picking",
                    record: picking,
                }
                .ids("move_ids")
            })
            .collect();
        self.read_in_pages("stock.move", &ids, &["product_id", quantity]).await
    }

    /// Changed till lines, at their order's time and shop.
    async fn pos_sales(&mut self) -> Result<(), OdooError> {
        let lines = self
            .changed(TILL_LINES, json!([]), &["order_id", "product_id", "qty", "price_unit"])
            .await?;
        let order_ids: Vec<i64> = lines
            .iter()
            .filter_map(|line| {
                Fields {
                    model: "pos.order.line",
                    record: line,
                }
                .many2one("order_id")
            })
            .collect();
        let orders = self
            .read_in_pages("pos.order", &order_ids, &["name", "date_order", "config_id"])
            .await?;
        let config_ids: Vec<i64> = orders
            .iter()
            .filter_map(|order| {
                Fields {
                    model: "pos.order",
                    record: order,
                }
                .many2one("config_id")
            })
            .collect();
        let configs = self
            .read_in_pages("pos.config", &config_ids, &["picking_type_id"])
            .await?;
        let shop_of_config: HashMap<i64, Option<String>> = configs
            .iter()
            .map(|config| {
                let fields = Fields {
                    model: "pos.config",
                    record: config,
                };
                let shop = fields
                    .many2one("picking_type_id")
                    .and_then(|picking_type| self.lookups.picking_types.get(&picking_type))
                    .and_then(|warehouse| self.lookups.warehouses.get(warehouse))
                    .cloned();
                (fields.id(), shop)
            })
            .collect();
        let orders = by_id(&orders);
        for line in &lines {
            let fields = Fields {
                model: "pos.order.line",
                record: line,
            };
            let order = fields.many2one("order_id").and_then(|id| orders.get(&id).copied());
            let Some(order) = order else {
                self.report.skipped.push(fields.skipped("order_id", "no such order"));
                continue;
            };
            let config = Fields {
                model: "pos.order",
                record: order,
            }
            .many2one("config_id");
            let Some(shop) = config.and_then(|id| shop_of_config.get(&id).cloned().flatten()) else {
                self.report
                    .skipped
                    .push(fields.skipped("order_id", "its point of sale belongs to no warehouse"));
                continue;
            };
            let mapped = mapping::pos_sale(line, order, &shop, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }
}
