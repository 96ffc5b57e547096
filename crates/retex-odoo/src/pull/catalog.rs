//! The catalogue: warehouses as locations, products with their first vendor as supplier.

use super::*;

impl Puller<'_> {
    /// Every warehouse as a location (a handful; an unchanged one is a duplicate).
    pub(super) async fn warehouses(&mut self) -> Result<(), OdooError> {
        let warehouses = self.every("stock.warehouse", &["code", "name", "write_date"]).await?;
        *self.report.read.entry("stock.warehouse").or_default() += warehouses.len();
        for warehouse in &warehouses {
            let mapped = mapping::warehouse(warehouse, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }

    /// Changed products, with their first supplier (by `sequence`) and its lead time.
    pub(super) async fn products(&mut self) -> Result<(), OdooError> {
        let options = self.options;
        let names = &options.mapping.fields;
        let fields = [
            &names.sku,
            "name",
            "categ_id",
            &names.cost,
            &names.price,
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
            .read_in_pages(
                "res.partner",
                &partner_ids,
                &[&names.supplier_code, "name", "write_date"],
            )
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
                match mapping::supplier(partner, delay.as_ref(), names) {
                    Ok(event) => {
                        suppliers.insert((id, delay.map(|days| days.to_string()).unwrap_or_default()), event);
                    }
                    Err(skipped) => self.report.skipped.push(skipped),
                }
            }
            let supplier = partner.map(|partner| mapping::supplier_code(partner, names));
            mapped.push(mapping::product(product, supplier.as_deref(), names));
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
}
