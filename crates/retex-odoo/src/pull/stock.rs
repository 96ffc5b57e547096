//! Stock moved: receipts of purchase orders, deliveries of sale orders, transfers through transit, and
//! inventory adjustments as counts.

use super::*;

impl Puller<'_> {
    /// Changed done receipts of purchase orders, each `final` unless another receipt of its order is open.
    pub(super) async fn receipts(&mut self) -> Result<(), OdooError> {
        let done_receipts = json!([
            ["picking_type_code", "=", "incoming"],
            ["state", "=", "done"],
            ["purchase_id", "!=", false]
        ]);
        let fields = ["name", "purchase_id", "date_done", "picking_type_id", "move_ids"];
        let quantity = self.quantity_field();
        let pickings = self.with_moves(RECEIPTS, done_receipts, &fields, quantity).await?;
        for (picking, own) in &pickings {
            let fields = Fields {
                model: "stock.picking",
                record: picking,
            };
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
            let mapped = mapping::receipt(picking, own, quantity, last, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }

    /// Changed done deliveries of sale orders, as their shipments.
    pub(super) async fn deliveries(&mut self) -> Result<(), OdooError> {
        let done_deliveries = json!([
            ["picking_type_code", "=", "outgoing"],
            ["state", "=", "done"],
            ["sale_id", "!=", false]
        ]);
        let fields = ["name", "sale_id", "date_done", "picking_type_id", "move_ids"];
        let quantity = self.quantity_field();
        let pickings = self.with_moves(DELIVERIES, done_deliveries, &fields, quantity).await?;
        for (picking, own) in &pickings {
            let mapped = mapping::shipment(picking, own, quantity, &self.lookups);
            self.keep(mapped);
        }
        Ok(())
    }

    /// Changed done pickings into or out of a transit location: the legs of inter-warehouse transfers.
    pub(super) async fn transfers(&mut self) -> Result<(), OdooError> {
        let transit: Vec<i64> = self
            .all_matching("stock.location", json!([["usage", "=", "transit"]]), &["id"])
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
        let quantity = self.quantity_field();
        let pickings = self.with_moves(TRANSFERS, legs, &fields, quantity).await?;
        for (picking, own) in &pickings {
            let fields = Fields {
                model: "stock.picking",
                record: picking,
            };
            let into_transit = fields
                .many2one("location_dest_id")
                .is_some_and(|id| transit.contains(&id));
            let mapped = if into_transit {
                match self.arriving_leg(picking, &transit).await? {
                    Ok((to, expected)) => {
                        let leg = mapping::TransferLeg::Shipped { to: &to, expected };
                        mapping::transfer(picking, own, quantity, &leg, &self.lookups)
                    }
                    Err(skipped) => Err(skipped),
                }
            } else {
                mapping::transfer(picking, own, quantity, &mapping::TransferLeg::Received, &self.lookups)
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

    /// The changed pickings of a feed, each with its stock moves.
    async fn with_moves(
        &mut self,
        feed: Feed,
        filter: Value,
        fields: &[&str],
        quantity: &str,
    ) -> Result<Vec<(Record, Vec<Record>)>, OdooError> {
        let pickings = self.changed(feed, filter, fields).await?;
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
        let moves = self
            .read_in_pages("stock.move", &ids, &["product_id", quantity])
            .await?;
        let moves = by_id(&moves);
        Ok(pickings
            .into_iter()
            .map(|picking| {
                let own = Fields {
                    model: "stock.picking",
                    record: &picking,
                }
                .ids("move_ids")
                .iter()
                .filter_map(|id| moves.get(id).map(|each| (*each).clone()))
                .collect();
                (picking, own)
            })
            .collect())
    }

    /// Changed done inventory adjustments as counts. Odoo keeps the difference an adjustment made, not the
    /// quantity counted; what was on hand right after it is the sum of the product's done moves into and out of
    /// the warehouse's internal locations up to and including it.
    pub(super) async fn inventory_counts(&mut self) -> Result<(), OdooError> {
        let done_adjustments = json!([["is_inventory", "=", true], ["state", "=", "done"]]);
        let fields = [
            "product_id",
            "date",
            "location_id",
            "location_dest_id",
            "quantity",
            "quantity_done",
        ];
        let fields: Vec<&str> = fields
            .into_iter()
            .filter(|field| *field != self.other_quantity_field())
            .collect();
        let adjustments = self.changed(ADJUSTMENTS, done_adjustments, &fields).await?;
        if adjustments.is_empty() {
            return Ok(());
        }
        let warehouse_of = self.internal_locations().await?;
        for adjustment in &adjustments {
            let counted = self.on_hand_after(adjustment, &warehouse_of).await?;
            let mapped = counted.and_then(|(location, counted)| {
                mapping::inventory_count(adjustment, &location, counted, &self.lookups)
            });
            self.keep(mapped);
        }
        Ok(())
    }

    /// The warehouse of each internal (stock) location.
    pub(super) async fn internal_locations(&self) -> Result<HashMap<i64, i64>, OdooError> {
        let internal = self
            .all_matching("stock.location", json!([["usage", "=", "internal"]]), &["warehouse_id"])
            .await?;
        Ok(internal
            .iter()
            .filter_map(|location| {
                let fields = Fields {
                    model: "stock.location",
                    record: location,
                };
                Some((fields.id(), fields.many2one("warehouse_id")?))
            })
            .collect())
    }

    /// The warehouse an adjustment counted and what was on hand there right after it.
    async fn on_hand_after(
        &self,
        adjustment: &Record,
        warehouse_of: &HashMap<i64, i64>,
    ) -> Result<Result<(String, f64), Skipped>, OdooError> {
        let fields = Fields {
            model: "stock.move",
            record: adjustment,
        };
        let internal_end = |field: &str| fields.many2one(field).and_then(|id| warehouse_of.get(&id).copied());
        let Some(warehouse) = internal_end("location_dest_id").or_else(|| internal_end("location_id")) else {
            return Ok(Err(
                fields.skipped("location_id", "neither end is a warehouse's stock location")
            ));
        };
        let Some(code) = self.lookups.warehouses.get(&warehouse).cloned() else {
            return Ok(Err(
                fields.skipped("location_id", format!("no such warehouse ({warehouse})"))
            ));
        };
        let (Some(product), Ok(date)) = (fields.many2one("product_id"), fields.required_text("date")) else {
            return Ok(Err(fields.skipped("product_id", "no product or no date")));
        };
        let inside: Vec<i64> = warehouse_of
            .iter()
            .filter(|(_, owner)| **owner == warehouse)
            .map(|(location, _)| *location)
            .collect();
        let quantity = self.quantity_field();
        let history = json!([
            ["product_id", "=", product],
            ["state", "=", "done"],
            "|",
            ["date", "<", date],
            "&",
            ["date", "=", date],
            ["id", "<=", fields.id()],
            "|",
            ["location_dest_id", "in", inside],
            ["location_id", "in", inside]
        ]);
        let moves = self
            .all_matching("stock.move", history, &["location_id", "location_dest_id", quantity])
            .await?;
        let on_hand = moves
            .iter()
            .map(|done| {
                let done = Fields {
                    model: "stock.move",
                    record: done,
                };
                let qty = done.record.get(quantity).and_then(Value::as_f64).unwrap_or(0.0);
                let lands = done.many2one("location_dest_id").is_some_and(|id| inside.contains(&id));
                let leaves = done.many2one("location_id").is_some_and(|id| inside.contains(&id));
                match (lands, leaves) {
                    (true, false) => qty,
                    (false, true) => -qty,
                    _ => 0.0,
                }
            })
            .sum();
        Ok(Ok((code, on_hand)))
    }

    /// The done-quantity field of the other Odoo versions, which this server does not have.
    fn other_quantity_field(&self) -> &'static str {
        if self.quantity_field() == "quantity" {
            "quantity_done"
        } else {
            "quantity"
        }
    }
}
