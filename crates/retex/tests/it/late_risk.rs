//! `retex insight late-risk`: trained on the SCMS history kept in retex-insight, it prints `ID,probability` for
//! every line to score (lines without outcomes, messy values included), evaluates lines with outcomes, and
//! refuses a header without a required column in one line naming the file and the column.

use crate::{retex, stderr, stdout};

/// The delivery history, from the repository (never from outside it).
fn history_csv() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../retex-insight/data/scms/deliveries_2006_2012.csv")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Lines to score: no delivered or recorded column, and the export's messy values.
const TO_SCORE: &str = "ID,Project Code,PQ #,PO / SO #,Country,Fulfill Via,Vendor INCO Term,Shipment Mode,\
PQ First Sent to Client Date,PO Sent to Vendor Date,Scheduled Delivery Date,Vendor,Line Item Quantity,Line Item Value,Weight (Kilograms)
A-1,151-NG-T30,FPQ-9,SCMS-1,Nigeria,Direct Drop,EXW,Air,11/21/12,2005-09-12,07-Aug-13,Aurobindo Pharma Limited,1000,6200,See ASN-93 (ID#:1281)
A-2,116-ZA-T01,Pre-PQ Process,SO-2,South Africa,From RDC,N/A - From RDC,Truck,Pre-PQ Process,Date Not Captured,2/6/2014,SCMS from RDC,\"10,000\",lots,Weight Captured Separately
\"A,3\",,,,Haiti,,,Ocean,,,not a date,Unknown Vendor,,,
";

#[test]
fn late_risk_prints_a_probability_for_every_line_without_an_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let score = dir.path().join("score.csv");
    std::fs::write(&score, TO_SCORE).unwrap();
    let output = trained_on_history(&["--score", score.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ID,probability");
    assert_eq!(lines.len(), 4, "{text}");
    for (line, id) in lines[1..].iter().zip(["A-1", "A-2", "\"A,3\""]) {
        let (printed_id, probability) = line.rsplit_once(',').unwrap();
        assert_eq!(printed_id, id);
        let probability: f64 = probability.parse().unwrap();
        assert!((0.0..=1.0).contains(&probability), "{line}");
    }
    assert!(stderr(&output).contains("trained on 6507 lines"), "{}", stderr(&output));

    let explained = trained_on_history(&["--score", score.to_str().unwrap(), "--explain"]);
    assert!(explained.status.success(), "{}", stderr(&explained));
    let text = stdout(&explained);
    assert!(text.starts_with("ID,probability,reasons\n"), "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");
    // 2005-09-12 is the spreadsheet's 5/9/12: 455 days before 7 August 2013.
    assert!(text.contains("lead time asked 455 days"), "{text}");
    assert!(
        text.contains("vendor Unknown Vendor: no delivery on record yet"),
        "{text}"
    );
}

#[test]
fn late_risk_evaluates_lines_with_outcomes_and_names_a_missing_column() {
    let dir = tempfile::tempdir().unwrap();
    let history = std::fs::read_to_string(history_csv()).unwrap();
    // The last 500 lines (scheduled in 2012) evaluated against a model of all of them: the figures print.
    let header = history.lines().next().unwrap();
    let tail: Vec<&str> = history.lines().skip(1).skip(6000).collect();
    let evaluate = dir.path().join("evaluate.csv");
    std::fs::write(&evaluate, format!("{header}\n{}\n", tail.join("\n"))).unwrap();
    let output = trained_on_history(&["--evaluate", evaluate.to_str().unwrap(), "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let figures: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(figures["lines"], 507);
    assert!(figures["auc"].as_f64().unwrap() > 0.5);
    assert!(figures["brier"].as_f64().unwrap() < 0.25);
    assert_eq!(figures["reliability"].as_array().unwrap().len(), 10);

    let broken = dir.path().join("broken.csv");
    std::fs::write(
        &broken,
        "ID,Country,Shipment Mode,Scheduled Delivery Date\n1,Nigeria,Air,01-Jan-13\n",
    )
    .unwrap();
    let output = trained_on_history(&["--score", broken.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("broken.csv: the header has no column \"Vendor\""),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
}

/// Runs `retex insight late-risk --train` on the history with `args`.
fn trained_on_history(args: &[&str]) -> std::process::Output {
    let history = history_csv();
    let mut full = vec!["insight", "late-risk", "--train", history.as_str()];
    full.extend_from_slice(args);
    retex(&full)
}
