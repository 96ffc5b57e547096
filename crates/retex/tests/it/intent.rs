//! `retex insight intent`: one message per line on stdin, one answer per line on stdout, as TSV or JSON; a line
//! that is not text is refused naming its line.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::{stderr, stdout};

fn intent(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_retex"))
        .args(["insight", "intent"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run retex");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn each_line_gets_its_intent_and_confidence() {
    let output = intent(&[], b"I want to cancel my order\nhow do I reset my password?\n\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<Vec<String>> = stdout(&output)
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect();
    assert_eq!(lines.len(), 3, "one answer per line, the empty one too");
    assert_eq!(lines[0][0], "cancel_order");
    assert_eq!(lines[1][0], "recover_password");
    for line in &lines {
        let confidence: f64 = line[1].parse().unwrap();
        assert!((0.0..=1.0).contains(&confidence), "{line:?}");
        assert_eq!(
            line[1].split('.').nth(1).map(str::len),
            Some(3),
            "three decimals: {line:?}"
        );
    }
}

#[test]
fn json_lists_the_likeliest_intents_and_with_explain_the_words_that_decided() {
    let output = intent(&["--format", "json", "--explain"], b"please cancel my order\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let answer: serde_json::Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(answer["intent"], "cancel_order");
    let top = answer["top"].as_array().unwrap();
    assert_eq!(top.len(), 3);
    assert_eq!(top[0]["intent"], "cancel_order");
    assert_eq!(top[0]["confidence"], answer["confidence"]);
    let words: Vec<&str> = answer["why"]
        .as_array()
        .unwrap()
        .iter()
        .map(|why| why["term"].as_str().unwrap())
        .collect();
    assert!(words.iter().any(|word| word.contains("cancel")), "{words:?}");
}

#[test]
fn a_line_that_is_not_text_is_refused_naming_it() {
    let output = intent(&[], b"where is my parcel\n\xff\xfe\n");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).lines().next(),
        Some("error: stdin:2: not UTF-8 text: stream did not contain valid UTF-8")
    );
}

#[test]
fn the_insight_bench_writes_each_models_rate_beside_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("insight-bench.json");
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../retex-insight/data");
    let output = crate::retex(&[
        "insight",
        "bench",
        "--seconds",
        "0.1",
        "--bitext",
        data.join("bitext/train_8k.csv").to_str().unwrap(),
        "--scms",
        data.join("scms/deliveries_2006_2012.csv").to_str().unwrap(),
        "--nab",
        data.join("nab/data").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let figures: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(figures["intent"]["messages"], 8175);
    assert!(
        figures["intent"]["messages_per_second"].as_f64().unwrap() > 0.0,
        "{figures}"
    );
    assert_eq!(figures["intent"]["target_messages_per_second"], 100_000.0);
    assert_eq!(figures["late_risk"]["scored_lines"], 6507);
    assert!(
        figures["late_risk"]["rows_per_second"].as_f64().unwrap() > 0.0,
        "{figures}"
    );
    assert_eq!(figures["anomaly_detector"]["series"], 58);
    assert!(
        figures["anomaly_detector"]["points_per_second"].as_f64().unwrap() > 0.0,
        "{figures}"
    );
}
