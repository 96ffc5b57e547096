//! A scored line's reasons: its trees' per-feature contributions, grouped by what a buyer recognises and
//! written with the line's own numbers ("vendor X: 31 of 80 late so far", "lead time asked 9 days").

use super::features::{Column, Feature, FeatureSchema, LineFeatures, Record, RecordKey, lane};
use super::scms::Delivery;

/// One reason: what it is, and how much it moved the line's log-odds of being late (calibrated scale;
/// positive raises the risk).
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub text: String,
    pub log_odds: f64,
}

/// What a reason is about; the features that share one are summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Topic {
    Vendor,
    Lane,
    Country,
    ShipmentMode,
    Overall,
    LeadTimeFromPo,
    LeadTimeFromPq,
    Season,
    Quantity,
    Value,
    PackPrice,
    UnitPrice,
    PrePq,
    LinesOnPo,
    PoValue,
    Other(Column),
}

fn topic(feature: &Feature) -> Topic {
    match feature {
        Feature::RecordRate(RecordKey::Vendor) | Feature::Is(Column::Vendor, _) => Topic::Vendor,
        Feature::RecordRate(RecordKey::Country) | Feature::Is(Column::Country, _) => Topic::Country,
        Feature::RecordRate(RecordKey::Lane) => Topic::Lane,
        Feature::RecordRate(RecordKey::ShipmentMode) | Feature::Is(Column::ShipmentMode, _) => Topic::ShipmentMode,
        Feature::OverallRate => Topic::Overall,
        Feature::LeadTimeFromPoDays => Topic::LeadTimeFromPo,
        Feature::LeadTimeFromPqDays => Topic::LeadTimeFromPq,
        Feature::ScheduledMonth => Topic::Season,
        Feature::QuantityLog => Topic::Quantity,
        Feature::ValueLog => Topic::Value,
        Feature::PackPrice => Topic::PackPrice,
        Feature::UnitPrice => Topic::UnitPrice,
        Feature::PrePqProcess => Topic::PrePq,
        Feature::LinesOnPo => Topic::LinesOnPo,
        Feature::PoValueLog => Topic::PoValue,
        Feature::Is(column, _) => Topic::Other(*column),
    }
}

/// Every topic with a non-zero effect, largest absolute effect first (topic order on ties).
pub fn reasons(
    schema: &FeatureSchema,
    delivery: &Delivery,
    line: &LineFeatures,
    contributions: &[f64],
    calibration_slope: f64,
) -> Vec<Reason> {
    let mut by_topic: Vec<(Topic, f64)> = Vec::new();
    for (feature, &contribution) in schema.features.iter().zip(contributions) {
        let topic = topic(feature);
        match by_topic.iter_mut().find(|(known, _)| *known == topic) {
            Some((_, sum)) => *sum += contribution,
            None => by_topic.push((topic, contribution)),
        }
    }
    by_topic.retain(|(_, sum)| sum.abs() > 1e-12);
    by_topic.sort_by(|(topic_a, a), (topic_b, b)| b.abs().total_cmp(&a.abs()).then(topic_a.cmp(topic_b)));
    by_topic
        .into_iter()
        .map(|(topic, sum)| Reason {
            text: describe(topic, delivery, line),
            log_odds: sum * calibration_slope,
        })
        .collect()
}

fn record_text(record: Record) -> String {
    if record.delivered == 0 {
        return "no delivery on record yet".to_owned();
    }
    let percent = 100.0 * f64::from(record.late) / f64::from(record.delivered);
    format!("{} of {} late so far ({percent:.0}%)", record.late, record.delivered)
}

fn days_text(scheduled: Option<chrono::NaiveDate>, ordered: Option<chrono::NaiveDate>) -> Option<i64> {
    Some((scheduled? - ordered?).num_days())
}

/// A price or value as a person writes it: cents from one dollar up ("366220.8" not "366220.80000000005"), up
/// to four decimals below one (unit prices of a few cents), without trailing zeros.
fn amount_text(value: Option<f64>) -> String {
    let Some(value) = value else {
        return "unknown".to_owned();
    };
    let decimals = if value.abs() >= 1.0 { 2 } else { 4 };
    let text = format!("{value:.decimals$}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn describe(topic: Topic, delivery: &Delivery, line: &LineFeatures) -> String {
    let record = |key: RecordKey| record_text(line.records.by_key[key as usize]);
    match topic {
        Topic::Vendor => format!("vendor {}: {}", delivery.vendor, record(RecordKey::Vendor)),
        Topic::Lane => format!("lane {}: {}", lane(delivery), record(RecordKey::Lane)),
        Topic::Country => format!("country {}: {}", delivery.country, record(RecordKey::Country)),
        Topic::ShipmentMode => format!(
            "shipment mode {}: {}",
            delivery.shipment_mode,
            record(RecordKey::ShipmentMode)
        ),
        Topic::Overall => format!("all vendors: {}", record_text(line.records.all)),
        Topic::LeadTimeFromPo => match days_text(delivery.scheduled, delivery.po_sent) {
            Some(days) => format!("lead time asked {days} days from PO to scheduled delivery"),
            None => "no PO date to vendor (lead time asked unknown)".to_owned(),
        },
        Topic::LeadTimeFromPq => match days_text(delivery.scheduled, delivery.pq_sent) {
            Some(days) => format!("{days} days from PQ to scheduled delivery"),
            None => "no PQ date (time since quotation unknown)".to_owned(),
        },
        Topic::Season => match delivery.scheduled {
            Some(scheduled) => format!("scheduled in {}", scheduled.format("%B")),
            None => "scheduled day unknown".to_owned(),
        },
        Topic::Quantity => format!("line quantity {}", amount_text(delivery.line_item_quantity)),
        Topic::Value => format!("line value USD {}", amount_text(delivery.line_item_value)),
        Topic::PackPrice => format!("pack price USD {}", amount_text(delivery.pack_price)),
        Topic::UnitPrice => format!("unit price USD {}", amount_text(delivery.unit_price)),
        Topic::PrePq => {
            if delivery.pre_pq_process {
                "ordered before the PQ process".to_owned()
            } else {
                "ordered through a PQ".to_owned()
            }
        }
        Topic::LinesOnPo => format!("{} lines on PO {}", line.lines_on_po, delivery.po_number),
        Topic::PoValue => format!("PO {} worth USD {}", delivery.po_number, amount_text(line.po_value)),
        Topic::Other(column) => format!("{} {}", column.label(), column.value(delivery)),
    }
}

#[cfg(test)]
mod tests {
    use super::amount_text;

    #[test]
    fn amounts_are_written_as_people_write_them() {
        assert_eq!(amount_text(Some(366_220.800_000_000_05)), "366220.8");
        assert_eq!(amount_text(Some(724_678.299_999_999_9)), "724678.3");
        assert_eq!(amount_text(Some(1_597_500.0)), "1597500");
        assert_eq!(amount_text(Some(0.0345)), "0.0345");
        assert_eq!(amount_text(Some(0.03)), "0.03");
        assert_eq!(amount_text(None), "unknown");
    }
}
