//! The late-risk model: each messy SCMS form read, the record so far causal, the metrics on hand-worked
//! examples, training deterministic, and the time-split AUC on the real history at or above what was measured.

use chrono::NaiveDate;
use retex_insight::late_risk::features::{History, LineFeatures, RecordConfig, Records};
use retex_insight::late_risk::scms::{Amount, DateProblem};
use retex_insight::late_risk::{
    Delivery, FeatureSchema, LateRiskConfig, LateRiskModel, ScmsError, SkipReason, auc, brier, evaluate, outcomes,
    parse_scms, reliability, split_at_scheduled, training_outcome,
};

use crate::{SCMS_CSV, read_crate_relative};

const HEADER: &str = "ID,Project Code,PQ #,PO / SO #,ASN/DN #,Country,Managed By,Fulfill Via,Vendor INCO Term,\
Shipment Mode,PQ First Sent to Client Date,PO Sent to Vendor Date,Scheduled Delivery Date,Delivered to Client Date,\
Delivery Recorded Date,Product Group,Sub Classification,Vendor,Item Description,Molecule/Test Type,Brand,Dosage,\
Dosage Form,Unit of Measure (Per Pack),Line Item Quantity,Line Item Value,Pack Price,Unit Price,Manufacturing Site,\
First Line Designation,Weight (Kilograms),Freight Cost (USD),Line Item Insurance (USD)";

fn day(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap()
}

#[test]
fn every_messy_form_of_the_export_is_read_and_none_is_fatal() {
    let text = format!(
        "{HEADER}\n\
1,100-CI-T01,Pre-PQ Process,SCMS-4,ASN-8,Côte d'Ivoire,PMO - US,Direct Drop,EXW,Air,Pre-PQ Process,Date Not Captured,02-Jun-06,02-Jun-06,02-Jun-06,HRDT,HIV test,Vendor A,x,x,x,N/A,Test kit,30,19,551,29,0.97,x,Yes,13,780.34,\n\
2,100-CI-T01,FPQ-1,SCMS-5,ASN-93,Nigeria,PMO - US,Direct Drop,DDP,Truck,11/21/11,2005-09-12,07-Aug-12,2/6/2013,07-Aug-12,ARV,Adult,Vendor B,x,x,x,x,Tablet,60,\"1,000\",6200,6.2,0.03,x,No,See ASN-93 (ID#:1281),Freight Included in Commodity Cost,\n\
3,100-CI-T01,FPQ-2,SO-6,DN-1,Nigeria,PMO - US,From RDC,N/A - From RDC,N/A,2011-06-09,N/A - From RDC,not a date,Date Not Captured,,ARV,Adult,SCMS from RDC,x,x,x,x,Tablet,60,10,lots,1,1,x,Yes,Weight Captured Separately,Invoiced Separately,\n\
,100-CI-T01,FPQ-2,SO-6,DN-1,Nigeria,PMO - US,From RDC,N/A,Air,,,01-Jan-10,01-Jan-10,,ARV,Adult,x,x,x,x,x,Tablet,60,10,1,1,1,x,Yes,1,1,\n\
4,short line,FPQ-3\n"
    );
    let file = parse_scms(&text).unwrap();
    assert_eq!(file.lines_without_id, 1);
    assert!(file.has_delivered_column);
    let [first, second, third, short] = file.deliveries.as_slice() else {
        panic!("four lines with IDs: {:?}", file.deliveries);
    };
    assert!(first.pre_pq_process);
    assert_eq!(first.po_sent, None, "Date Not Captured");
    assert_eq!(first.pq_sent, None, "Pre-PQ Process");
    assert_eq!(first.scheduled, Some(day(2006, 6, 2)));
    assert_eq!(first.weight_kilograms, Amount::Value(13.0));
    assert_eq!(training_outcome(first), Ok(false));
    assert_eq!(second.pq_sent, Some(day(2011, 11, 21)), "month first");
    assert_eq!(
        second.po_sent,
        Some(day(2012, 5, 9)),
        "a spreadsheet's 2005-09-12 read back as 5/9/12"
    );
    assert_eq!(second.delivered, Ok(day(2013, 2, 6)), "2/6/2013 is month first");
    assert_eq!(training_outcome(second), Ok(true));
    assert_eq!(second.line_item_quantity, Some(1000.0));
    assert_eq!(
        second.weight_kilograms,
        Amount::SeeOtherLine {
            document: "ASN-93".to_owned(),
            id: Some(1281)
        }
    );
    assert_eq!(second.freight_cost_usd, Amount::IncludedInCommodityCost);
    assert_eq!(third.po_sent, None, "N/A - From RDC");
    assert_eq!(third.scheduled, None);
    assert_eq!(third.delivered, Err(DateProblem::NotCaptured));
    assert_eq!(third.line_item_value, None, "lots");
    assert_eq!(third.weight_kilograms, Amount::CapturedSeparately);
    assert_eq!(third.freight_cost_usd, Amount::InvoicedSeparately);
    assert_eq!(training_outcome(third), Err(SkipReason::ScheduledDateUnreadable));
    assert_eq!(short.vendor, "", "a short line reads as empty values");
    assert_eq!(training_outcome(short), Err(SkipReason::ScheduledDateUnreadable));
}

#[test]
fn a_header_without_a_required_column_is_an_error_naming_it() {
    let error = parse_scms("ID,Country,Shipment Mode,Scheduled Delivery Date\n1,Nigeria,Air,01-Jan-10\n").unwrap_err();
    assert_eq!(
        error,
        ScmsError::MissingColumn {
            column: "Vendor".to_owned()
        }
    );
    assert_eq!(error.to_string(), "the header has no column \"Vendor\"");
    let file =
        parse_scms("ID,Vendor,Country,Shipment Mode,Scheduled Delivery Date\n1,V,Nigeria,Air,01-Jan-10\n").unwrap();
    assert!(!file.has_delivered_column, "outcomes are optional when scoring");
}

fn delivery(id: &str, scheduled: NaiveDate, delivered: NaiveDate) -> Delivery {
    Delivery {
        id: id.to_owned(),
        line: id.parse().unwrap(),
        vendor: "V".to_owned(),
        shipment_mode: "Air".to_owned(),
        country: "Nigeria".to_owned(),
        scheduled: Some(scheduled),
        delivered: Ok(delivered),
        ..Delivery::default()
    }
}

#[test]
fn a_later_delivery_never_reaches_an_earlier_lines_record() {
    let config = RecordConfig::default();
    // Each line's record is taken as of 30 days before its scheduled day, from deliveries before then.
    let mut lines = vec![
        delivery("1", day(2010, 2, 1), day(2010, 2, 10)),
        delivery("2", day(2010, 3, 1), day(2010, 3, 1)),
        delivery("3", day(2010, 4, 1), day(2010, 4, 20)),
        delivery("4", day(2010, 6, 1), day(2010, 6, 1)),
    ];
    let schema = FeatureSchema::new(&lines, config);
    let history = History::new(&lines);
    let features = schema.training_features(&history, &lines);
    let vendor = |index: usize| features[index].records.by_key[0];
    assert_eq!((vendor(0).delivered, vendor(0).late), (0, 0));
    assert_eq!(
        (vendor(1).delivered, vendor(1).late),
        (0, 0),
        "as of 30 January: nothing delivered yet"
    );
    assert_eq!(
        (vendor(2).delivered, vendor(2).late),
        (2, 1),
        "as of 2 March: February's and 1 March's"
    );
    assert_eq!(
        (vendor(3).delivered, vendor(3).late),
        (3, 2),
        "as of 2 May: three, never itself"
    );
    // A later, late delivery added to the history changes no earlier line's features.
    lines.push(delivery("5", day(2010, 7, 1), day(2010, 9, 1)));
    let history = History::new(&lines);
    let again = schema.training_features(&history, &lines);
    assert_eq!(comparable(&again[..4]), comparable(&features));
    // A line delivered early is never in its own record.
    let early = vec![delivery("1", day(2010, 6, 1), day(2010, 1, 1))];
    let own = schema.training_features(&History::new(&early), &early);
    assert_eq!(own[0].records.by_key[0].delivered, 0);
    // Scoring ignores outcomes: the same line with and without its delivery date scores alike.
    let without_outcome = Delivery {
        delivered: Err(DateProblem::Empty),
        ..lines[4].clone()
    };
    assert_eq!(
        comparable(&schema.score_features(&history, std::slice::from_ref(&lines[4]))),
        comparable(&schema.score_features(&history, &[without_outcome]))
    );
}

/// Features with their values as bits, so that two unknown (NaN) values compare equal.
fn comparable(lines: &[LineFeatures]) -> Vec<(Vec<u64>, Records)> {
    lines
        .iter()
        .map(|line| (line.values.iter().map(|value| value.to_bits()).collect(), line.records))
        .collect()
}

#[test]
fn auc_brier_and_reliability_match_hand_worked_examples() {
    // Pairs (late, on time): (0.35 > 0.1), (0.35 < 0.4), (0.8 > 0.1), (0.8 > 0.4): 3 of 4.
    let probabilities = [0.1, 0.4, 0.35, 0.8];
    let labels = [false, false, true, true];
    assert_eq!(auc(&probabilities, &labels), Some(0.75));
    // (0.01 + 0.16 + 0.4225 + 0.04) / 4
    assert!((brier(&probabilities, &labels).unwrap() - 0.158_125).abs() < 1e-12);
    // A tie counts one half.
    assert_eq!(auc(&[0.5, 0.5, 0.2], &[true, false, false]), Some(0.75));
    assert_eq!(auc(&[0.5, 0.6], &[true, true]), None, "one outcome only");
    let bins = reliability(&[0.05, 0.15, 0.12, 0.95, 1.0], &[false, true, false, true, true], 10);
    assert_eq!(bins.len(), 10);
    assert_eq!((bins[0].count, bins[0].observed_rate), (1, Some(0.0)));
    assert_eq!(bins[1].count, 2);
    assert!((bins[1].mean_predicted.unwrap() - 0.135).abs() < 1e-12);
    assert_eq!(bins[1].observed_rate, Some(0.5));
    assert_eq!((bins[5].count, bins[5].mean_predicted), (0, None));
    assert_eq!(
        (bins[9].count, bins[9].observed_rate),
        (2, Some(1.0)),
        "1.0 falls in the last bin"
    );
    let evaluation = evaluate(&probabilities, &labels);
    assert_eq!((evaluation.lines, evaluation.late), (4, 2));
}

fn history() -> Vec<Delivery> {
    parse_scms(&read_crate_relative(SCMS_CSV)).unwrap().deliveries
}

/// Trains on the lines scheduled up to `cut` and returns the AUC and the Brier score on the later ones, scored
/// without outcomes.
fn time_split(deliveries: &[Delivery], cut: NaiveDate) -> (f64, f64) {
    let (train, later) = split_at_scheduled(deliveries, cut);
    let (later, labels) = outcomes(&later);
    let hidden: Vec<Delivery> = later
        .iter()
        .map(|line| Delivery {
            delivered: Err(DateProblem::Empty),
            ..line.clone()
        })
        .collect();
    let (model, report) = LateRiskModel::train(&train, &LateRiskConfig::default()).unwrap();
    assert!(report.calibration.is_some());
    let probabilities = model.score(&hidden);
    (
        auc(&probabilities, &labels).unwrap(),
        brier(&probabilities, &labels).unwrap(),
    )
}

#[test]
fn the_time_split_auc_and_brier_on_the_scms_history_hold() {
    let deliveries = history();
    assert_eq!(deliveries.len(), 6507);
    // (cut, AUC at least, Brier at most): each a little under or over what was measured, see docs/insight.md.
    // scikit-learn's GradientBoostingClassifier on the same features: AUC 0.636, 0.714, 0.672, 0.757, 0.749.
    let splits = [
        (day(2010, 6, 30), 0.635, 0.145),
        (day(2010, 12, 31), 0.72, 0.125),
        (day(2011, 6, 30), 0.685, 0.121),
        (day(2011, 9, 30), 0.755, 0.104),
        (day(2011, 12, 31), 0.745, 0.087),
    ];
    for (cut, auc_min, brier_max) in splits {
        let (auc, brier) = time_split(&deliveries, cut);
        assert!(
            auc >= auc_min && brier <= brier_max,
            "cut {cut}: AUC {auc}, Brier {brier}"
        );
    }
}

#[test]
fn training_and_scoring_are_deterministic_and_explained() {
    let deliveries = history();
    let (train, later) = split_at_scheduled(&deliveries, day(2009, 12, 31));
    let later = &later[..200];
    let config = LateRiskConfig::default();
    let (first, _) = LateRiskModel::train(&train, &config).unwrap();
    let mut reversed = train.clone();
    reversed.reverse();
    let (second, _) = LateRiskModel::train(&reversed, &config).unwrap();
    let bits = |model: &LateRiskModel| -> Vec<u64> { model.score(later).iter().map(|p| p.to_bits()).collect() };
    assert_eq!(bits(&first), bits(&second), "same lines, any order: same bits");
    assert!(first.score(later).iter().all(|p| (0.0..=1.0).contains(p)));
    let explained = first.explain(later, 3);
    assert_eq!(explained.len(), later.len());
    for ((probability, reasons), score) in explained.iter().zip(first.score(later)) {
        assert_eq!(probability.to_bits(), score.to_bits());
        assert!(!reasons.is_empty() && reasons.len() <= 3);
        assert!(
            reasons
                .windows(2)
                .all(|pair| pair[0].log_odds.abs() >= pair[1].log_odds.abs())
        );
    }
    let vendor_reasons = first
        .explain(later, usize::MAX)
        .iter()
        .flat_map(|(_, reasons)| reasons)
        .filter(|reason| reason.text.starts_with("vendor ") && reason.text.contains(" late so far"))
        .count();
    assert!(vendor_reasons > 0, "the vendor's record is among the reasons");
}
