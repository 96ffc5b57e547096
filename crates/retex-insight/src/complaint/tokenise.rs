//! Turns a customer message into the features the complaint classifier counts: lowercase word unigrams and
//! bigrams.
//!
//! This file is compiled twice, into `build.rs` (which trains the embedded model) and into the library (which
//! classifies), through `#[path]` module declarations. Keeping one copy is what guarantees that a message is cut
//! into exactly the same features at training and at prediction time; a drift between the two would silently
//! ruin the model.
//!
//! A word is a maximal run of alphanumeric characters and apostrophes, lowercased, with apostrophes trimmed
//! from both ends (so `don't` stays one word and `'sorry'` becomes `sorry`); typographic apostrophes count as
//! ASCII ones. A bigram is two consecutive words joined by one space, so it can never collide with a unigram.

/// The apostrophe that words may contain; the typographic one is mapped onto it.
const APOSTROPHE: char = '\'';
const TYPOGRAPHIC_APOSTROPHE: char = '\u{2019}';
/// Joins words, so a bigram is a slice `"first second"` of the joined text and needs no allocation.
const WORD_SEPARATOR: char = ' ';

/// The lowercase words of `text` (see the module doc for what a word is), joined by single spaces.
pub fn lowercase_words(text: &str) -> String {
    let mut words = String::with_capacity(text.len());
    let mut inside_word = false;
    for character in text.chars() {
        let character = if character == TYPOGRAPHIC_APOSTROPHE {
            APOSTROPHE
        } else {
            character
        };
        if character.is_alphanumeric() {
            if !inside_word && !words.is_empty() {
                words.push(WORD_SEPARATOR);
            }
            inside_word = true;
            words.extend(character.to_lowercase());
        } else if character == APOSTROPHE && inside_word {
            words.push(APOSTROPHE);
        } else {
            end_word(&mut words, &mut inside_word);
        }
    }
    end_word(&mut words, &mut inside_word);
    words
}

/// Trims the apostrophes that end the current word. Leading ones never get in: a word starts at its first
/// alphanumeric character.
fn end_word(words: &mut String, inside_word: &mut bool) {
    while words.ends_with(APOSTROPHE) {
        words.pop();
    }
    *inside_word = false;
}

/// Calls `visit_feature` once per feature of `text`, in order: every word, then every pair of consecutive words.
/// A feature repeated in the message is visited as often as it occurs (the model is multinomial).
pub fn for_each_feature(text: &str, mut visit_feature: impl FnMut(&str)) {
    let words = lowercase_words(text);
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
    fn words_are_lowercased_and_split_on_punctuation() {
        assert_eq!(
            lowercase_words("Where's my PARCEL?? It's late!"),
            "where's my parcel it's late"
        );
    }

    #[test]
    fn apostrophes_are_trimmed_and_typographic_ones_normalised() {
        let words = lowercase_words("'sorry' I don\u{2019}t ' know rock 'n' roll ''");
        assert_eq!(words, "sorry i don't know rock n roll");
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
    fn an_empty_message_has_no_features() {
        assert!(features(" ?! ").is_empty());
    }
}
