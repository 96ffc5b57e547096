//! Turns a customer message into the features the complaint classifier counts: lowercase word unigrams and
//! bigrams, without the greeting that opens it or the courtesy that closes it.
//!
//! This file is compiled twice, into `build.rs` (which trains the embedded model) and into the library (which
//! classifies), through `#[path]` module declarations. Keeping one copy is what guarantees that a message is cut
//! into exactly the same features at training and at prediction time; a drift between the two would silently
//! ruin the model.
//!
//! Words are cut, and greetings and sign-offs cut off, as [`crate::words`] says. A bigram is two consecutive
//! words joined by one space, so it can never collide with a unigram.

use crate::words::{WORD_SEPARATOR, lowercase_words, without_courtesies};

/// Calls `visit_feature` once per feature of `text`, in order: every word, then every pair of consecutive words.
/// A feature repeated in the message is visited as often as it occurs (the model is multinomial).
pub fn for_each_feature(text: &str, mut visit_feature: impl FnMut(&str)) {
    let lowercase = lowercase_words(text);
    let words = without_courtesies(&lowercase);
    if words.is_empty() {
        return;
    }
    for word in words.split(WORD_SEPARATOR) {
        visit_feature(word);
    }
    let mut previous_word_start = 0;
    let mut word_start = 0;
    for (index, word) in words.split(WORD_SEPARATOR).enumerate() {
        let word_end = word_start + word.len();
        if index > 0 {
            visit_feature(&words[previous_word_start..word_end]);
        }
        previous_word_start = word_start;
        word_start = word_end + WORD_SEPARATOR.len_utf8();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str) -> Vec<String> {
        let mut collected = Vec::new();
        for_each_feature(text, |feature| collected.push(feature.to_owned()));
        collected
    }

    #[test]
    fn features_are_unigrams_then_bigrams_with_repeats() {
        assert_eq!(
            features("Refund, refund now"),
            ["refund", "refund", "now", "refund refund", "refund now"]
        );
    }

    #[test]
    fn bigrams_span_non_ascii_words() {
        assert_eq!(features("Crème brûlée"), ["crème", "brûlée", "crème brûlée"]);
    }

    #[test]
    fn greetings_and_sign_offs_are_not_counted() {
        assert_eq!(
            features("Dear customer service, hello, my parcel is late. Thank you in advance! Regards."),
            ["my", "parcel", "is", "late", "my parcel", "parcel is", "is late"]
        );
        // Only whole words at either end: a word that merely starts like a greeting stays.
        assert_eq!(features("Hire a van"), ["hire", "a", "van", "hire a", "a van"]);
        assert_eq!(features("the best"), ["the", "best", "the best"]);
        assert!(features("Hello. Thanks!").is_empty());
    }

    #[test]
    fn an_empty_message_has_no_features() {
        assert!(features(" ?! ").is_empty());
    }
}
