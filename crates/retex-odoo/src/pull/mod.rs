//! One incremental pull: what changed in Odoo since the last pull, as events appended to the log.
//!
//! Each model is read in pages ordered by `write_date`, then `id`, after a cursor kept in the store (the last
//! record read), so a pull resumes where the previous one stopped and reads every change exactly once. The
//! pull's events are sorted by their business time and appended; the cursors are saved after the append, so a
//! crash in between only means reading those records again, and their events are duplicates by their stable ids.
//!
//! This module holds the reading machinery (cursors, pages, lookups, the append); the feeds are by subject:
//! `catalog` (warehouses, products), `documents` (purchase and sale orders, till lines), `stock` (receipts,
//! deliveries, transfers), and `quants`, which checks what Odoo holds against what Retex derived.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use retex_core::wire::parse_event;
use retex_store::{IncomingEvent, LiveEngine, StoreError};
use serde_json::{Value, json};

use crate::client::{OdooClient, OdooError, Record};
use crate::mapping::{self, Fields, Lookups, Mapping, Skipped};

mod catalog;
mod documents;
mod quants;
mod stock;

pub use quants::StockDifference;

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
    /// The mapping file's changes to the default mapping.
    pub mapping: Mapping,
    /// Leave out the stock check (reading every `stock.quant` at the end of the pull).
    pub skip_stock_check: bool,
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
    /// Positions where what Odoo holds is not what Retex derived, after the append.
    pub stock_differences: Vec<StockDifference>,
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
    /// What Odoo holds, to check against once the events are applied.
    odoo_stock: Option<quants::OdooStock>,
    lookups: Lookups,
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
            mapping: options.mapping.clone(),
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
    puller.inventory_counts().await?;
    puller.pos_sales().await?;
    let odoo_stock = match options.skip_stock_check {
        true => None,
        false => Some(puller.on_hand().await?),
    };
    Ok(Changes {
        events: puller.events,
        cursors: puller.cursors,
        odoo_stock,
        lookups: puller.lookups,
        report: puller.report,
    })
}

impl Changes {
    /// Appends the events in business-time order, saves the cursors, and checks the stock.
    pub fn apply(mut self, live: &mut LiveEngine) -> Result<PullReport, StoreError> {
        self.events.sort_by(|left, right| left.0.cmp(&right.0));
        let mut parsed = Vec::with_capacity(self.events.len());
        for (_, text) in &self.events {
            match parse_event(text) {
                Ok(event) => parsed.push((event, text.as_str())),
                Err(error) => self.report.skipped.push(Skipped {
                    model: "event",
                    id: 0,
                    field: "event".into(),
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
        if let Some(odoo_stock) = &self.odoo_stock {
            self.report.stock_differences = quants::differences(&live.engine(), odoo_stock, &self.lookups);
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
const ADJUSTMENTS: Feed = feed("stock.move", "stock.move (inventory)");
const FEEDS: [Feed; 8] = [
    ADJUSTMENTS,
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
        let sku_field = self.options.mapping.fields.sku.clone();
        for product in self.every("product.product", &[&sku_field]).await? {
            let id = product.get("id").and_then(Value::as_i64).unwrap_or(0);
            let sku = mapping::sku_of(&product, &self.options.mapping.fields);
            self.lookups.skus.insert(id, sku);
        }
        Ok(())
    }

    /// Every record of a model that can be archived, archived ones too (old documents refer to them).
    async fn every(&self, model: &str, fields: &[&str]) -> Result<Vec<Record>, OdooError> {
        let archived_too = json!(["|", ["active", "=", true], ["active", "=", false]]);
        self.all_matching(model, archived_too, fields).await
    }

    /// Every record of `model` matching `domain`, in pages by id.
    async fn all_matching(&self, model: &str, domain: Value, fields: &[&str]) -> Result<Vec<Record>, OdooError> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let mut page_domain = domain.as_array().cloned().unwrap_or_default();
            page_domain.push(json!(["id", ">", after]));
            let page = self
                .client
                .search_read(model, Value::Array(page_domain), fields, "id asc", PAGE)
                .await?;
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
}
