//! Orders: confirmed purchase orders, confirmed sale orders (web orders), and till lines.

use super::*;

impl Puller<'_> {
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
        let options = self.options;
        let names = &options.mapping.fields;
        for partner in self.read_in_pages("res.partner", &ids, &[&names.supplier_code]).await? {
            let id = Fields {
                model: "res.partner",
                record: &partner,
            }
            .id();
            self.lookups
                .suppliers
                .insert(id, mapping::supplier_code(&partner, names));
        }
        Ok(())
    }

    /// Changed confirmed purchase orders, with their lines.
    pub(super) async fn purchase_orders(&mut self) -> Result<(), OdooError> {
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

    /// Changed confirmed sale orders as web orders, each allocated to its warehouse.
    pub(super) async fn sale_orders(&mut self) -> Result<(), OdooError> {
        let fields = [
            "name",
            "date_order",
            &self.options.mapping.fields.ship_by,
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

    /// Changed till lines, at their order's time and shop.
    pub(super) async fn pos_sales(&mut self) -> Result<(), OdooError> {
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
