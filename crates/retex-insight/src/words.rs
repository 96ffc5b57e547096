//! What a word is, for every model that reads customer messages: a maximal run of alphanumeric characters and
//! apostrophes, lowercased, with apostrophes trimmed from both ends (so `don't` stays one word and `'sorry'`
//! becomes `sorry`); typographic apostrophes count as ASCII ones.
//!
//! Compiled into both `build.rs` (which trains the embedded models) and the library, through `#[path]` module
//! declarations, so a message is cut the same way at training and at prediction time.

/// The apostrophe that words may contain; the typographic one is mapped onto it.
const APOSTROPHE: char = '\'';
const TYPOGRAPHIC_APOSTROPHE: char = '\u{2019}';
/// Joins words, so a bigram is a slice `"first second"` of the joined text and needs no allocation.
pub const WORD_SEPARATOR: char = ' ';

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
