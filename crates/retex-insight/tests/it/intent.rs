//! The intent classifier: measured accuracy on Bitext (k-fold, and across its two differently written files),
//! answers on clear messages, and the embedded model being the one the shared training code produces.

use retex_core::engine::Insight;
use retex_insight::intent::CONFIDENCE_SHARPNESS;
use retex_insight::intent::cross_validation::{cross_validate, evaluate};
use retex_insight::intent::training::EMBEDDED_TRAINING;
use retex_insight::{EmbeddedInsight, IntentModel, parse_bitext_intents, versions};

use crate::{BITEXT_CROSS_VALIDATION_CSV, BITEXT_TRAINING_CSV, read_crate_relative};

/// `(message, intent)` rows.
type LabelledMessages = Vec<(String, String)>;

/// Bitext's two 2019 files, as (train_20k, train_8k). They are written from different templates (the 8k one
/// balanced over the intents, like Bitext's later releases), so training on one and testing on the other is
/// the nearest we have to messages written differently from the training data.
fn bitext_files() -> (LabelledMessages, LabelledMessages) {
    let first = parse_bitext_intents(&read_crate_relative(BITEXT_TRAINING_CSV)).unwrap();
    let second = parse_bitext_intents(&read_crate_relative(BITEXT_CROSS_VALIDATION_CSV)).unwrap();
    (first, second)
}

/// Measured: 5-fold over both files, accuracy 0.99916 and macro-F1 0.99868 (near-duplicate templates make
/// this easy); train_20k -> train_8k, accuracy 0.8226 and macro-F1 0.8202 (scikit-learn's TF-IDF words and
/// characters with a linear SVM on the same split: 0.823); train_8k -> train_20k, 0.7286 (scikit-learn 0.707).
/// Each floor sits about a point under the figure.
#[test]
fn accuracy_within_and_across_the_bitext_files_meets_the_measured_floor() {
    let (first, second) = bitext_files();
    let mut both = first.clone();
    both.extend(second.iter().cloned());
    let within = cross_validate(&both, 5, &EMBEDDED_TRAINING);
    println!("5-fold over both files: {within:?}");
    assert_eq!(within.messages, 29_709);
    assert!(within.accuracy >= 0.995 && within.macro_f1 >= 0.99, "{within:?}");

    let across = evaluate(&IntentModel::train(&first, &EMBEDDED_TRAINING), &second);
    println!("train_20k -> train_8k: {across:?}");
    assert!(across.accuracy >= 0.81 && across.macro_f1 >= 0.81, "{across:?}");
    assert_eq!(across.best_sharpness, CONFIDENCE_SHARPNESS, "{across:?}");

    let back = evaluate(&IntentModel::train(&second, &EMBEDDED_TRAINING), &first);
    println!("train_8k -> train_20k: {back:?}");
    assert!(back.accuracy >= 0.72, "{back:?}");
}

#[test]
fn the_embedded_model_is_the_one_training_on_both_files_gives() {
    let (first, second) = bitext_files();
    let mut both = first;
    both.extend(second);
    let trained = IntentModel::train(&both, &EMBEDDED_TRAINING);
    let embedded = IntentModel::embedded();
    assert_eq!(embedded.vocabulary_size(), trained.vocabulary_size());
    for (message, _) in both.iter().step_by(97) {
        assert_eq!(embedded.scores(message), trained.scores(message), "{message}");
    }
}

#[test]
fn clear_messages_get_their_intent() {
    let model = IntentModel::embedded();
    assert_eq!(model.intents().count(), 27);
    for (message, intent) in [
        ("I want to cancel my order", "cancel_order"),
        ("how do I reset my password?", "recover_password"),
        ("there is a problem with my payment", "payment_issue"),
        ("which payment methods do you accept?", "check_payment_methods"),
        ("when will my refund arrive", "track_refund"),
        ("I'd like to speak to a human agent", "contact_human_agent"),
        ("how long does delivery take?", "delivery_period"),
        (
            "I need to change the shipping address of my order",
            "change_shipping_address",
        ),
    ] {
        let classification = model.classify(message);
        println!("{message}: {classification:?}");
        assert_eq!(classification.intent, intent, "{message}: {classification:?}");
        assert!(classification.confidence > 0.5, "{message}: {classification:?}");
        assert_eq!(
            classification.top[0],
            (classification.intent, classification.confidence)
        );
        assert!(classification.top[1].1 <= classification.confidence);
    }
}

#[test]
fn an_answer_is_explained_by_the_words_that_decided() {
    let model = IntentModel::embedded();
    let why = model.explain("please cancel my order", "cancel_order", 3);
    println!("{why:?}");
    assert!(why.iter().any(|(term, _)| term.contains("cancel")), "{why:?}");
    assert!(why.windows(2).all(|pair| pair[0].1 >= pair[1].1), "{why:?}");
    assert!(
        why.iter()
            .all(|(term, _)| !term.starts_with(' ') && !term.ends_with(' ')),
        "words only: {why:?}"
    );
    let all_words = model.explain("please cancel my order", "cancel_order", 100);
    assert!(
        all_words.iter().all(|(term, _)| term != "my"),
        "lone function words say nothing: {all_words:?}"
    );
    assert!(
        all_words.iter().any(|(term, _)| term == "cancel my"),
        "pairs with them do: {all_words:?}"
    );
    assert!(model.explain("please cancel my order", "no_such_intent", 3).is_empty());
}

#[test]
fn the_engine_gets_the_intent_with_its_words_and_the_models_version() {
    let insight = EmbeddedInsight;
    let intent = insight.message_intent("when will my refund arrive").unwrap();
    assert_eq!(intent.intent, "track_refund");
    assert!(
        intent.because_of.iter().any(|term| term.contains("refund")),
        "{intent:?}"
    );
    assert_eq!(
        insight.version(),
        format!(
            "{} {}",
            versions::COMPLAINT_MODEL_VERSION,
            versions::INTENT_MODEL_VERSION
        )
    );
    let hash = versions::INTENT_MODEL_VERSION.strip_prefix("intent-svm-").unwrap();
    assert_eq!(hash.len(), 16);
    assert!(hash.bytes().all(|byte| byte.is_ascii_hexdigit()), "{hash}");
    assert!(versions::COMPLAINT_MODEL_VERSION.starts_with("complaint-svm-"));
}
