//! Measures the embedded complaint model: how long the first use takes (turning the embedded table into a hash
//! map) and how many ~20-word messages one core classifies per second. Run it in release mode:
//! `cargo run --release -p retex-insight --example classify_rate`.
#![allow(clippy::disallowed_methods)]

use std::hint::black_box;
use std::time::Instant;

use retex_insight::ComplaintModel;

/// Messages of about 20 words, complaints and questions, classified in turn.
const MESSAGES: [&str; 4] = [
    "I ordered a lamp two weeks ago and it still has not arrived, can you tell me what is going on please",
    "hello, could you tell me which payment methods you accept for online orders and whether gift cards work too",
    "the kettle I bought on saturday leaks from the bottom and I would like my money back as soon as possible",
    "I want to know how to change the delivery address on my account before my next order is shipped out",
];
const CLASSIFICATIONS: usize = 400_000;

fn main() {
    let load_started = Instant::now();
    let model = ComplaintModel::embedded();
    let load_elapsed = load_started.elapsed();
    println!("first use: {load_elapsed:?} for {} terms", model.vocabulary_size());

    let mut complaints = 0usize;
    let classify_started = Instant::now();
    for index in 0..CLASSIFICATIONS {
        if model.is_complaint(black_box(MESSAGES[index % MESSAGES.len()])) {
            complaints += 1;
        }
    }
    let classify_elapsed = classify_started.elapsed();
    let nanoseconds_per_message = classify_elapsed.as_nanos() as f64 / CLASSIFICATIONS as f64;
    println!(
        "{CLASSIFICATIONS} messages in {classify_elapsed:?}: {:.2} us per message, {:.0} messages per second",
        nanoseconds_per_message / 1000.0,
        1e9 / nanoseconds_per_message
    );
    println!("complaints: {complaints}");
    for message in MESSAGES {
        println!("{:.4} {message}", model.complaint_probability(message));
    }
}
