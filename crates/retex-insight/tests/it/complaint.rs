//! The complaint classifier: measured across Bitext's two files, on clear cases, on realistic messages it never
//! saw, through the engine's trait, and the embedded model being the one the shared training code produces.

use retex_core::engine::Insight;
use retex_insight::intent::training::EMBEDDED_TRAINING;
use retex_insight::{COMPLAINT_INTENTS, ComplaintModel, EmbeddedInsight, parse_bitext_files, parse_bitext_intents};

use crate::{BITEXT_CROSS_VALIDATION_CSV, BITEXT_TRAINING_CSV, SUPPLEMENT_CSV, read_crate_relative};

/// Realistic messages outside the training data, labelled by hand (the file's header says how they were written).
const HELD_OUT_MESSAGES: &str = "tests/data/held_out_messages.tsv";

/// Complaint or not, counted against the labels.
#[derive(Debug, Default)]
struct Confusion {
    found: usize,
    false_alarms: usize,
    missed: usize,
}

impl Confusion {
    fn add(&mut self, said_complaint: bool, is_complaint: bool) {
        match (said_complaint, is_complaint) {
            (true, true) => self.found += 1,
            (true, false) => self.false_alarms += 1,
            (false, true) => self.missed += 1,
            (false, false) => {}
        }
    }

    fn precision(&self) -> f64 {
        self.found as f64 / (self.found + self.false_alarms) as f64
    }

    fn recall(&self) -> f64 {
        self.found as f64 / (self.found + self.missed) as f64
    }
}

/// Trained on train_20k and the supplement, judged on train_8k (written from other templates; 1,223 of its 8,175
/// messages have a complaint intent). Measured: precision 0.767, recall 0.877 (1,072 found, 325 false, 151
/// missed). The naive Bayes classifier over words and word pairs that decided before, trained on the same rows:
/// precision 0.618, recall 0.625. Each floor sits about a point under the figure.
#[test]
fn complaints_across_the_bitext_files_meet_the_measured_floor() {
    let training = parse_bitext_files(&[
        &read_crate_relative(BITEXT_TRAINING_CSV),
        &read_crate_relative(SUPPLEMENT_CSV),
    ])
    .unwrap();
    let model = ComplaintModel::train(&training, &EMBEDDED_TRAINING);
    let judged = parse_bitext_intents(&read_crate_relative(BITEXT_CROSS_VALIDATION_CSV)).unwrap();
    let mut confusion = Confusion::default();
    for (message, intent) in &judged {
        confusion.add(
            model.is_complaint(message),
            COMPLAINT_INTENTS.contains(&intent.as_str()),
        );
    }
    println!(
        "{confusion:?}, precision {:.3}, recall {:.3}",
        confusion.precision(),
        confusion.recall()
    );
    assert_eq!(confusion.found + confusion.missed, 1_223);
    assert!(
        confusion.precision() >= 0.755 && confusion.recall() >= 0.865,
        "{confusion:?}"
    );
}

#[test]
fn clear_complaints_are_complaints_and_questions_are_not() {
    let model = ComplaintModel::embedded();
    for (message, complaint) in [
        ("my parcel never arrived and I want my money back", true),
        ("the item was damaged", true),
        ("you charged me the wrong price", true),
        ("how do I create an account", false),
        ("what payment methods do you accept", false),
        ("what is your refund policy", false),
        ("I want to change my delivery address", false),
    ] {
        let probability = model.complaint_probability(message);
        assert_eq!(model.is_complaint(message), complaint, "{message}: {probability:.3}");
    }
}

/// 44 complaints and 44 questions: every complaint found, two questions taken for complaints (a payment split reads
/// like Bitext's `payment_issue`; a parcel to track, like the supplement's parcels that never came). On the first
/// 80, the naive Bayes classifier that decided before missed 4 and raised 5.
#[test]
fn realistic_messages_outside_the_training_data_are_mostly_right() {
    let model = ComplaintModel::embedded();
    let mut confusion = Confusion::default();
    let mut wrong = Vec::new();
    let text = read_crate_relative(HELD_OUT_MESSAGES);
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let (label, message) = line.split_once('\t').unwrap();
        let labelled_complaint = match label {
            "complaint" => true,
            "question" => false,
            other => panic!("{HELD_OUT_MESSAGES}: unknown label {other:?}"),
        };
        let said = model.is_complaint(message);
        confusion.add(said, labelled_complaint);
        if said != labelled_complaint {
            wrong.push(message);
        }
    }
    println!("{confusion:?}");
    assert_eq!(confusion.found + confusion.missed, 44);
    assert_eq!(
        wrong,
        [
            "how do I track the parcel I ordered yesterday",
            "is it possible to split the payment between two cards"
        ]
    );
}

#[test]
fn the_engine_sees_the_same_answer_through_its_trait() {
    let insight: &dyn Insight = &EmbeddedInsight;
    let model = ComplaintModel::embedded();
    let refund = "I returned the kettle three weeks ago and I still have not had my refund";
    let reading = insight.complaint(refund).unwrap();
    assert_eq!(reading.probability, model.complaint_probability(refund));
    assert_eq!(reading.kind, None, "{reading:?}: a complaint in general");
    assert!(reading.because_of.contains(&"returned".to_owned()), "{reading:?}");
    let charged_twice = "there is a problem with my payment, I was charged twice";
    let reading = insight.complaint(charged_twice).unwrap();
    assert_eq!(reading.kind.as_deref(), Some("payment_issue"), "{reading:?}");
    assert_eq!(insight.complaint("how do I create an account"), None);
}

#[test]
fn the_embedded_model_is_the_one_training_on_bitext_and_the_supplement_gives() {
    let rows = parse_bitext_files(&[
        &read_crate_relative(BITEXT_TRAINING_CSV),
        &read_crate_relative(BITEXT_CROSS_VALIDATION_CSV),
        &read_crate_relative(SUPPLEMENT_CSV),
    ])
    .unwrap();
    let trained = ComplaintModel::train(&rows, &EMBEDDED_TRAINING);
    let embedded = ComplaintModel::embedded();
    for (message, _) in rows.iter().step_by(97) {
        assert_eq!(
            embedded.complaint_probability(message),
            trained.complaint_probability(message),
            "{message}"
        );
    }
}
