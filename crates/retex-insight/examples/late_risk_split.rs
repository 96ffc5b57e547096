//! Measures the late-risk model on time splits of the SCMS history: trains on the lines scheduled up to a cut
//! day, scores the later ones without their outcomes, and prints AUC, Brier score, the reliability table and
//! scoring speed. With `--dump DIR` it also writes each split's features and outcomes as CSV, so other
//! learners (`late_risk_peer.py`, scikit-learn) can be measured on exactly the same features.
//! `cargo run --release -p retex-insight --example late_risk_split -- [--dump DIR] [CUT...]`; `LATE_RISK_ROUNDS`,
//! `LATE_RISK_DEPTH` and the other `LATE_RISK_*` variables below override the defaults when trying settings.
#![allow(clippy::disallowed_methods)]

use std::fmt::Write as _;
use std::time::Instant;

use chrono::NaiveDate;
use retex_insight::late_risk::{
    LateRiskConfig, LateRiskModel, LineFeatures, evaluate, outcomes, parse_scms, split_at_scheduled, training_outcome,
};

const DATA: &str = "data/scms/deliveries_2006_2012.csv";
const DEFAULT_CUTS: [&str; 2] = ["2010-12-31", "2011-12-31"];
/// Scoring is timed over this many passes of the later lines.
const SCORING_PASSES: usize = 20;

fn main() {
    let mut arguments: Vec<String> = std::env::args().skip(1).collect();
    let dump = match arguments.iter().position(|argument| argument == "--dump") {
        Some(index) => {
            let directory = arguments.remove(index + 1);
            arguments.remove(index);
            Some(directory)
        }
        None => None,
    };
    let cuts: Vec<String> = if arguments.is_empty() {
        DEFAULT_CUTS.iter().map(|cut| (*cut).to_owned()).collect()
    } else {
        arguments
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DATA);
    let text = std::fs::read_to_string(&path).expect("read the SCMS history");
    let file = parse_scms(&text).expect("parse the SCMS history");
    let mut config = LateRiskConfig::default();
    let knob = |name: &str| std::env::var(name).ok().and_then(|value| value.parse::<f64>().ok());
    if let Some(value) = knob("LATE_RISK_ROUNDS") {
        config.boosting.rounds = value as usize;
    }
    if let Some(value) = knob("LATE_RISK_DEPTH") {
        config.boosting.max_depth = value as usize;
    }
    if let Some(value) = knob("LATE_RISK_LEARNING_RATE") {
        config.boosting.learning_rate = value;
    }
    if let Some(value) = knob("LATE_RISK_LEAF") {
        config.boosting.min_rows_per_leaf = value as usize;
    }
    if let Some(value) = knob("LATE_RISK_L2") {
        config.boosting.l2 = value;
    }
    if let Some(value) = knob("LATE_RISK_BINS") {
        config.boosting.max_bins = value as usize;
    }
    if let Some(value) = knob("LATE_RISK_HORIZON") {
        config.record.horizon_days = value as i64;
    }
    if let Some(value) = knob("LATE_RISK_PRIOR_WEIGHT") {
        config.record.prior_weight = value;
    }
    if let Some(value) = knob("LATE_RISK_MIN_LINES") {
        config.record.indicator_min_lines = value as usize;
    }
    if let Some(value) = knob("LATE_RISK_OVERALL") {
        config.record.overall_rate_feature = value > 0.0;
    }
    if let Some(value) = knob("LATE_RISK_CALIBRATION") {
        config.calibration_fraction = value;
    }
    for cut in cuts {
        let cut_day = NaiveDate::parse_from_str(&cut, "%Y-%m-%d").expect("a cut day YYYY-MM-DD");
        let (train, later) = split_at_scheduled(&file.deliveries, cut_day);
        let (later, labels) = outcomes(&later);
        let train_started = Instant::now();
        let (model, report) = LateRiskModel::train(&train, &config).expect("train");
        let train_elapsed = train_started.elapsed();
        let probabilities = model.score(&later);
        let scoring_started = Instant::now();
        for _ in 0..SCORING_PASSES {
            std::hint::black_box(model.score(std::hint::black_box(&later)));
        }
        let rows_per_second = (SCORING_PASSES * later.len()) as f64 / scoring_started.elapsed().as_secs_f64();
        let evaluation = evaluate(&probabilities, &labels);
        println!(
            "cut {cut}: trained on {} lines ({} late, skipped {:?}) in {train_elapsed:.2?}, calibration {:?} on {} lines",
            report.lines_used, report.late, report.skipped, report.calibration, report.calibration_lines
        );
        println!(
            "  scored {} later lines ({} late): AUC {:.4}, Brier {:.4}, {rows_per_second:.0} lines/s",
            evaluation.lines,
            evaluation.late,
            evaluation.auc.unwrap_or(f64::NAN),
            evaluation.brier.unwrap_or(f64::NAN)
        );
        for bin in &evaluation.reliability {
            println!(
                "  [{:.1}, {:.1}) {:>5} predicted {:>6} observed {:>6}",
                bin.lower,
                bin.upper,
                bin.count,
                bin.mean_predicted.map_or("-".to_owned(), |value| format!("{value:.3}")),
                bin.observed_rate.map_or("-".to_owned(), |value| format!("{value:.3}"))
            );
        }
        if let Some(directory) = &dump {
            let (train_lines, train_labels): (Vec<_>, Vec<bool>) = train
                .iter()
                .filter_map(|line| training_outcome(line).ok().map(|late| (line.clone(), late)))
                .unzip();
            let names = model.schema().names();
            write_table(
                directory,
                &format!("{cut}_train.csv"),
                &names,
                &model.training_features(&train_lines),
                &train_lines,
                &train_labels,
            );
            write_table(
                directory,
                &format!("{cut}_score.csv"),
                &names,
                &model.features(&later),
                &later,
                &labels,
            );
        }
    }
}

/// The features with the raw categorical columns (for one-hot peers), the scheduled day and the outcome.
fn write_table(
    directory: &str,
    name: &str,
    names: &[String],
    lines: &[LineFeatures],
    deliveries: &[retex_insight::late_risk::Delivery],
    labels: &[bool],
) {
    let mut text = String::new();
    let quoted: Vec<String> = names
        .iter()
        .map(|name| format!("\"{}\"", name.replace('"', "'")))
        .collect();
    writeln!(
        text,
        "{},cat_vendor,cat_country,cat_mode,cat_fulfill_via,cat_inco_term,cat_product_group,cat_sub_classification,cat_dosage_form,cat_first_line,scheduled,late",
        quoted.join(",")
    )
    .unwrap();
    for ((line, delivery), late) in lines.iter().zip(deliveries).zip(labels) {
        let values: Vec<String> = line
            .values
            .iter()
            .map(|value| {
                if value.is_nan() {
                    String::new()
                } else {
                    format!("{value}")
                }
            })
            .collect();
        let categories = [
            &delivery.vendor,
            &delivery.country,
            &delivery.shipment_mode,
            &delivery.fulfill_via,
            &delivery.inco_term,
            &delivery.product_group,
            &delivery.sub_classification,
            &delivery.dosage_form,
            &delivery.first_line_designation,
        ]
        .map(|value| format!("\"{}\"", value.replace('"', "'")));
        writeln!(
            text,
            "{},{},{},{}",
            values.join(","),
            categories.join(","),
            delivery.scheduled.map_or(String::new(), |day| day.to_string()),
            u8::from(*late)
        )
        .unwrap();
    }
    std::fs::create_dir_all(directory).expect("create the dump directory");
    std::fs::write(std::path::Path::new(directory).join(name), text).expect("write a table");
}
