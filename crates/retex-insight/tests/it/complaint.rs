//! The complaint classifier: measured accuracy, behaviour on clear cases, and the embedded model being the
//! model that the shared training code produces.

use retex_core::engine::Insight;
use retex_insight::{
    COMPLAINT_PROBABILITY_THRESHOLD, ComplaintModel, EmbeddedInsight, cross_validate, embedded_model_training_rows,
    parse_bitext_csv,
};

use crate::{BITEXT_CROSS_VALIDATION_CSV, BITEXT_TRAINING_CSV, SUPPLEMENT_CSV, read_crate_relative};

/// Measured 5-fold figures on train_8k.csv (8,175 rows, 1,223 complaints): accuracy 0.99498, precision
/// 0.97432, recall 0.99264. Each floor leaves about half a point (a point for precision, the scarcer figure)
/// for deliberate changes to tokenising or smoothing before this test demands a look.
const ACCURACY_FLOOR: f64 = 0.990;
const PRECISION_FLOOR: f64 = 0.965;
const RECALL_FLOOR: f64 = 0.985;
const FOLDS: usize = 5;

#[test]
fn five_fold_cross_validation_on_bitext_8k_meets_the_measured_floor() {
    let rows = parse_bitext_csv(&read_crate_relative(BITEXT_CROSS_VALIDATION_CSV)).unwrap();
    let result = cross_validate(&rows, FOLDS);
    println!("{result:?}");
    assert!(result.accuracy >= ACCURACY_FLOOR, "{result:?}");
    assert!(result.precision >= PRECISION_FLOOR, "{result:?}");
    assert!(result.recall >= RECALL_FLOOR, "{result:?}");
    assert_eq!(result.fold_accuracies.len(), FOLDS);
}

#[test]
fn clear_complaints_are_complaints() {
    let model = ComplaintModel::embedded();
    for message in [
        "my parcel never arrived and I want my money back",
        "the item was damaged",
        "you charged me the wrong price",
    ] {
        let probability = model.complaint_probability(message);
        println!("{probability:.4} {message}");
        assert!(
            probability >= COMPLAINT_PROBABILITY_THRESHOLD,
            "{message}: {:?}",
            model.explain(message)
        );
    }
}

#[test]
fn neutral_questions_are_not_complaints() {
    let model = ComplaintModel::embedded();
    for message in [
        "how do I create an account",
        "what payment methods do you accept",
        "what is your refund policy",
        "I want to change my delivery address",
    ] {
        let probability = model.complaint_probability(message);
        println!("{probability:.4} {message}");
        assert!(
            probability < COMPLAINT_PROBABILITY_THRESHOLD,
            "{message}: {:?}",
            model.explain(message)
        );
    }
}

#[test]
fn the_engine_sees_the_same_answer_through_its_trait() {
    let insight: &dyn Insight = &EmbeddedInsight;
    assert!(insight.is_complaint("the item was damaged"));
    assert!(!insight.is_complaint("how do I create an account"));
}

#[test]
fn the_embedded_model_equals_a_model_trained_from_the_same_files() {
    let rows = embedded_model_training_rows(
        &read_crate_relative(BITEXT_TRAINING_CSV),
        &read_crate_relative(SUPPLEMENT_CSV),
    )
    .unwrap();
    let trained = ComplaintModel::train(&rows);
    let embedded = ComplaintModel::embedded();
    assert_eq!(embedded.vocabulary_size(), trained.vocabulary_size());
    assert_eq!(embedded.strongest_terms(25), trained.strongest_terms(25));
    assert_eq!(
        embedded.strongest_non_complaint_terms(25),
        trained.strongest_non_complaint_terms(25)
    );
    for message in [
        "I was charged twice for my order",
        "where can I find my invoice",
        "the box was crushed",
    ] {
        assert_eq!(
            embedded.complaint_probability(message),
            trained.complaint_probability(message),
            "{message}"
        );
    }
}

#[test]
fn strongest_terms_are_ranked_and_favour_their_class() {
    let model = ComplaintModel::embedded();
    let complaint_terms = model.strongest_terms(10);
    let other_terms = model.strongest_non_complaint_terms(10);
    println!("complaint: {complaint_terms:?}\nother: {other_terms:?}");
    assert_eq!(complaint_terms.len(), 10);
    for ranked in [&complaint_terms, &other_terms] {
        for pair in ranked.windows(2) {
            assert!(pair[0].1 >= pair[1].1 && pair[1].1 > 0.0, "{ranked:?}");
        }
    }
}

#[test]
fn explanation_adds_up_to_the_probability() {
    let model = ComplaintModel::embedded();
    let message = "I was charged twice and want a refund";
    let evidence: f64 = model.explain(message).iter().map(|(_, ratio)| ratio).sum();
    let empty_message_log_odds = log_odds(model.complaint_probability(""));
    let expected = 1.0 / (1.0 + (-(empty_message_log_odds + evidence)).exp());
    assert!((model.complaint_probability(message) - expected).abs() < 1e-9);
}

fn log_odds(probability: f64) -> f64 {
    (probability / (1.0 - probability)).ln()
}

/// Realistic retail messages that are in neither Bitext nor the supplement. They were written before the
/// supplement's longer rows and used to choose `SUPPLEMENT_WEIGHT`, so they check behaviour; they are not an
/// unbiased estimate of accuracy on real mail.
const REALISTIC_COMPLAINTS: [&str; 10] = [
    "I ordered a lamp two weeks ago and it still has not arrived, can you tell me what is going on please",
    "the kettle I bought on saturday leaks from the bottom and I would like my money back as soon as possible",
    "hi, my order came today but the mug inside was chipped and the saucer is missing",
    "you took the payment from my account twice for the same order, please sort this out",
    "the trainers I received are a size 9 but I ordered a size 8, what do I do now",
    "I was told I would get a refund within five days and it has been three weeks",
    "your website showed the sofa at 499 but I was charged 549 at checkout",
    "the delivery man never turned up and I stayed at home all day waiting",
    "the bread I bought this morning is mouldy",
    "I am really unhappy, the dress fell apart after one wash",
];
const REALISTIC_QUESTIONS: [&str; 10] = [
    "can you tell me what time the Leeds store opens on bank holidays",
    "I would like to know if the green armchair will be back in stock soon",
    "hi, can I pay for my order with paypal or only by card",
    "please could you tell me how long delivery takes to Scotland",
    "I bought a lamp last week and love it, do you sell matching shades",
    "what is the warranty on the coffee machines you sell",
    "how do I track the parcel I ordered yesterday",
    "is it possible to change the size on the order I placed this morning",
    "do you have gluten free bread in the Bristol store",
    "I would like to open an account so I can save my basket",
];

#[test]
fn realistic_messages_outside_the_training_data_are_mostly_right() {
    let model = ComplaintModel::embedded();
    let mut missed_complaints = Vec::new();
    for message in REALISTIC_COMPLAINTS {
        if !model.is_complaint(message) {
            missed_complaints.push(message);
        }
    }
    let mut false_alarms = Vec::new();
    for message in REALISTIC_QUESTIONS {
        if model.is_complaint(message) {
            false_alarms.push(message);
        }
    }
    // FIXME: spoilt food is only in the supplement's few rows, so "mouldy" carries little weight; and Bitext's
    // payment_issue, the largest complaint intent, owns the word "pay", so a payment-method question looks
    // like a payment complaint.
    assert_eq!(missed_complaints, ["the bread I bought this morning is mouldy"]);
    assert_eq!(false_alarms, ["hi, can I pay for my order with paypal or only by card"]);
}
