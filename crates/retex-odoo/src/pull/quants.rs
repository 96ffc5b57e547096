//! The stock check: what Odoo holds now (`stock.quant` in each warehouse's internal locations) against what
//! Retex derived from the moves it pulled. Quants only check; they never become movements, so a difference is
//! reported for a person to look into (a move Odoo made without a picking, an event from another source).

use retex_core::codes::Qty;

use super::*;

/// One position where Odoo and Retex disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockDifference {
    pub location: String,
    pub sku: String,
    pub odoo: Qty,
    pub retex: Qty,
}

impl std::fmt::Display for StockDifference {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "odoo: stock.quant: {} {}: Odoo holds {}, Retex {}",
            self.location,
            self.sku,
            self.odoo.0.normalize(),
            self.retex.0.normalize()
        )
    }
}

/// What Odoo holds, by warehouse code and SKU.
pub(super) type OdooStock = BTreeMap<(String, String), Qty>;

impl Puller<'_> {
    /// Sums the quants of every internal location by warehouse and product.
    pub(super) async fn on_hand(&mut self) -> Result<OdooStock, OdooError> {
        let warehouse_of = self.internal_locations().await?;
        let mut inside: Vec<i64> = warehouse_of.keys().copied().collect();
        inside.sort_unstable();
        let in_stock = json!([["location_id", "in", inside]]);
        let quants = self
            .all_matching("stock.quant", in_stock, &["product_id", "location_id", "quantity"])
            .await?;
        *self.report.read.entry("stock.quant").or_default() += quants.len();
        let mut stock = OdooStock::new();
        for quant in &quants {
            let fields = Fields {
                model: "stock.quant",
                record: quant,
            };
            let place = fields
                .many2one("location_id")
                .and_then(|location| warehouse_of.get(&location))
                .and_then(|warehouse| self.lookups.warehouses.get(warehouse));
            let sku = fields
                .many2one("product_id")
                .and_then(|product| self.lookups.skus.get(&product));
            let quantity = match fields.record.get("quantity") {
                Some(Value::Number(number)) => number.to_string().parse::<Qty>().ok(),
                _ => None,
            };
            match (place, sku, quantity) {
                (Some(place), Some(sku), Some(quantity)) => {
                    *stock.entry((place.clone(), sku.clone())).or_default() += quantity;
                }
                _ => self
                    .report
                    .skipped
                    .push(fields.skipped("quantity", "not a number of a known product in a known warehouse")),
            }
        }
        Ok(stock)
    }
}

/// The positions at Odoo's warehouses, of Odoo's products, where Retex's on hand is not what Odoo holds (a
/// position one side lacks holds zero there).
pub(super) fn differences(
    engine: &retex_core::engine::Engine,
    odoo: &OdooStock,
    lookups: &Lookups,
) -> Vec<StockDifference> {
    let warehouses: HashSet<&str> = lookups.warehouses.values().map(String::as_str).collect();
    let skus: HashSet<&str> = lookups.skus.values().map(String::as_str).collect();
    let mut retex: BTreeMap<(String, String), Qty> = BTreeMap::new();
    for row in engine.stock_rows(None, None) {
        if warehouses.contains(row.location) && skus.contains(row.sku) {
            retex.insert((row.location.to_owned(), row.sku.to_owned()), row.on_hand);
        }
    }
    let positions: BTreeSet<&(String, String)> = odoo.keys().chain(retex.keys()).collect();
    positions
        .into_iter()
        .filter_map(|position| {
            let in_odoo = odoo.get(position).copied().unwrap_or_default();
            let in_retex = retex.get(position).copied().unwrap_or_default();
            (in_odoo != in_retex).then(|| StockDifference {
                location: position.0.clone(),
                sku: position.1.clone(),
                odoo: in_odoo,
                retex: in_retex,
            })
        })
        .collect()
}
