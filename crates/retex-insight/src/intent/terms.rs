//! Turns a customer message into the intent classifier's terms: its words and word pairs, and the character
//! n-grams of each word. Words carry meaning; character n-grams carry the same meaning through the typing
//! errors, inflections and compounds that real messages are full of ("cancelation", "refunded", "pasword").
//!
//! Compiled into both `build.rs` (which trains the embedded model) and the library (which classifies), like
//! [`crate::words`], so training and prediction see the same terms.
//!
//! A character n-gram is taken inside one word padded with a space on each side, so `" re"` says a word starts
//! with "re" and `"nd "` that one ends with "nd"; n runs over [`CHARACTER_GRAM_SIZES`]. Greetings and sign-offs
//! are cut off first: "Dear customer service, my parcel arrived broken" is about the parcel, not a request for
//! customer service (a message that asks for it says so in its body).

use std::ops::RangeInclusive;

use crate::words::{WORD_SEPARATOR, lowercase_words, without_courtesies};

/// The lengths of the character n-grams, in characters (the padding spaces included).
pub const CHARACTER_GRAM_SIZES: RangeInclusive<usize> = 2..=5;

/// Which family a term belongs to. Each family's part of a message's vector is normalised on its own, so the
/// many character n-grams do not drown the few words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermFamily {
    Words,
    Characters,
}

/// Calls `visit_term` once per occurrence of each term of `text`: every word, every pair of consecutive words,
/// then every character n-gram of every word.
pub fn for_each_term(text: &str, mut visit_term: impl FnMut(TermFamily, &str)) {
    let lowercase = lowercase_words(text);
    let words = without_courtesies(&lowercase);
    if words.is_empty() {
        return;
    }
    let mut previous_start = None;
    let mut word_start = 0;
    for word in words.split(WORD_SEPARATOR) {
        let word_end = word_start + word.len();
        visit_term(TermFamily::Words, word);
        if let Some(previous_start) = previous_start {
            visit_term(TermFamily::Words, &words[previous_start..word_end]);
        }
        previous_start = Some(word_start);
        word_start = word_end + WORD_SEPARATOR.len_utf8();
    }
    let mut padded = String::new();
    let mut boundaries = Vec::new();
    for word in words.split(WORD_SEPARATOR) {
        padded.clear();
        padded.push(WORD_SEPARATOR);
        padded.push_str(word);
        padded.push(WORD_SEPARATOR);
        boundaries.clear();
        boundaries.extend(padded.char_indices().map(|(index, _)| index));
        boundaries.push(padded.len());
        let characters = boundaries.len() - 1;
        for size in CHARACTER_GRAM_SIZES {
            for start in 0..=characters.saturating_sub(size) {
                if start + size > characters {
                    break;
                }
                visit_term(
                    TermFamily::Characters,
                    &padded[boundaries[start]..boundaries[start + size]],
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<(TermFamily, String)> {
        let mut collected = Vec::new();
        for_each_term(text, |family, term| collected.push((family, term.to_owned())));
        collected
    }

    #[test]
    fn words_then_pairs_then_character_grams_of_each_word() {
        let words: Vec<String> = terms("Hi, my ORDER")
            .into_iter()
            .filter(|(family, _)| *family == TermFamily::Words)
            .map(|(_, term)| term)
            .collect();
        assert_eq!(words, ["my", "order", "my order"], "the greeting is cut off");
        let grams: Vec<String> = terms("ab")
            .into_iter()
            .filter(|(family, _)| *family == TermFamily::Characters)
            .map(|(_, term)| term)
            .collect();
        assert_eq!(grams, [" a", "ab", "b ", " ab", "ab ", " ab "]);
    }

    #[test]
    fn character_grams_count_characters_not_bytes() {
        let grams: Vec<String> = terms("é")
            .into_iter()
            .filter(|(family, _)| *family == TermFamily::Characters)
            .map(|(_, term)| term)
            .collect();
        assert_eq!(grams, [" é", "é ", " é "]);
    }

    #[test]
    fn an_empty_message_has_no_terms() {
        assert!(terms(" ?! ").is_empty());
    }
}
