//! `po_late_risk`: the probability that a new purchase order arrives late, from how its supplier has delivered
//! so far, on this lane (supplier to this location) and overall, and how the chain's suppliers deliver.
//!
//! Each level is a late rate shrunk towards the level above (a beta-binomial posterior mean worth
//! [`PRIOR_DELIVERIES`] deliveries): the chain's rate (with one late and one on-time delivery added, so an empty
//! history says 1/2), the supplier's towards the chain's, the lane's towards the supplier's. A supplier with
//! two late deliveries out of two is not yet called certain to be late, and a lane never seen borrows its
//! supplier's record. A delivery is late when the PO's final receipt comes after its first `expected`.

use rust_decimal::prelude::ToPrimitive;

use crate::codes::{DocumentNumber, SupplierCode};
use crate::engine::detect::documents::po_detection;
use crate::engine::detect::{Cause, Detection, Params};
use crate::engine::documents::PurchaseOrderDoc;
use crate::engine::stats::DeliveryRecord;
use crate::rules::{ExceptionType, Param};

/// How many deliveries of evidence a level's prior counts as.
pub const PRIOR_DELIVERIES: f64 = 4.0;

/// The records behind one PO's risk.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RiskRecords {
    pub chain: DeliveryRecord,
    pub supplier: DeliveryRecord,
    pub lane: DeliveryRecord,
}

impl RiskRecords {
    /// The probability that the next PO on this lane arrives late.
    pub fn late_probability(&self) -> f64 {
        let chain_rate = (f64::from(self.chain.late) + 1.0) / (f64::from(self.chain.deliveries) + 2.0);
        let supplier_rate = shrunk_rate(self.supplier, chain_rate);
        shrunk_rate(self.lane, supplier_rate)
    }
}

/// A record's late rate shrunk towards `prior_rate`.
fn shrunk_rate(record: DeliveryRecord, prior_rate: f64) -> f64 {
    (f64::from(record.late) + PRIOR_DELIVERIES * prior_rate) / (f64::from(record.deliveries) + PRIOR_DELIVERIES)
}

/// `po_late_risk` for a PO just placed: raised when its supplier has at least `min_deliveries` deliveries on
/// record and the probability reaches `risk_threshold`.
pub fn po_late_risk(
    params: &Params<'_>,
    doc: &PurchaseOrderDoc,
    po: &DocumentNumber,
    records: &RiskRecords,
    location_name: &str,
    cause: Cause,
) -> Option<Detection> {
    let kind = ExceptionType::PoLateRisk;
    if !params.is_enabled(kind) || doc.closed {
        return None;
    }
    let supplier = doc.supplier.as_ref()?;
    let min_deliveries = params.get(kind, Param::MinDeliveries, Some(doc.location), None);
    let threshold = params.get(kind, Param::RiskThreshold, Some(doc.location), None);
    let probability = records.late_probability();
    if rust_decimal::Decimal::from(records.supplier.deliveries) < min_deliveries
        || probability < threshold.to_f64().unwrap_or(1.0)
    {
        return None;
    }
    let mut detection = po_detection(params, kind, doc, po, cause.at, cause.seq);
    detection.explanation = Some(explain(probability, supplier, location_name, records));
    Some(detection)
}

/// "probability of arriving late 0.72: supplier SUP-3 delivered 7 of 10 POs late, 3 of 3 to S01; the chain's
/// suppliers 18% of 120".
fn explain(probability: f64, supplier: &SupplierCode, location: &str, records: &RiskRecords) -> String {
    let chain_share = f64::from(records.chain.late) / f64::from(records.chain.deliveries.max(1)) * 100.0;
    format!(
        "probability of arriving late {probability:.2}: supplier {supplier} delivered {} of {} POs late, {} of {} to \
         {location}; the chain's suppliers {chain_share:.0}% of {}",
        records.supplier.late,
        records.supplier.deliveries,
        records.lane.late,
        records.lane.deliveries,
        records.chain.deliveries,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(late: u32, deliveries: u32) -> DeliveryRecord {
        DeliveryRecord { deliveries, late }
    }

    #[test]
    fn an_empty_history_says_even_odds() {
        assert_eq!(RiskRecords::default().late_probability(), 0.5);
    }

    #[test]
    fn each_level_is_shrunk_towards_the_one_above() {
        let records = RiskRecords {
            chain: record(18, 98),
            supplier: record(7, 10),
            lane: record(3, 3),
        };
        // chain (18 + 1) / (98 + 2) = 0.19; supplier (7 + 4 × 0.19) / 14 = 0.5543; lane (3 + 4 × 0.5543) / 7.
        let supplier = (7.0 + 4.0 * 0.19) / 14.0;
        let lane = (3.0 + 4.0 * supplier) / 7.0;
        assert!((records.late_probability() - lane).abs() < 1e-12);
        assert!((lane - 0.7453).abs() < 1e-4);
    }

    #[test]
    fn a_lane_never_seen_borrows_its_suppliers_record() {
        let records = RiskRecords {
            chain: record(0, 0),
            supplier: record(10, 10),
            lane: DeliveryRecord::default(),
        };
        assert!((records.late_probability() - (10.0 + 2.0) / 14.0).abs() < 1e-12);
    }

    #[test]
    fn the_explanation_names_the_records() {
        let records = RiskRecords {
            chain: record(18, 120),
            supplier: record(7, 10),
            lane: record(3, 3),
        };
        assert_eq!(
            explain(0.7234, &SupplierCode::parse("SUP-3").unwrap(), "S01", &records),
            "probability of arriving late 0.72: supplier SUP-3 delivered 7 of 10 POs late, 3 of 3 to S01; the \
             chain's suppliers 15% of 120"
        );
    }
}
