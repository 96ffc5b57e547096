//! What a word is, for every model that reads customer messages: a maximal run of alphanumeric characters and
//! apostrophes, lowercased, with apostrophes trimmed from both ends (so `don't` stays one word and `'sorry'`
//! becomes `sorry`); typographic apostrophes count as ASCII ones.
//!
//! Greetings and sign-offs ("Dear customer service", "Hello", "Thanks", "Kind regards") say nothing about what
//! a message is about, yet in the training data they are not spread evenly over the intents (Bitext's requests to
//! contact customer service say "customer service"): counted, they would make "Dear customer service, my parcel
//! arrived broken" a request for customer service. [`without_courtesies`] cuts them off at both ends.
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

/// Greetings a message may open with, as lowercase words, longest first where one begins another.
const GREETINGS: [&str; 14] = [
    "dear customer service",
    "dear customer support",
    "dear customer care",
    "dear sir or madam",
    "dear support",
    "dear team",
    "dear sir",
    "dear madam",
    "good morning",
    "good afternoon",
    "good evening",
    "hello",
    "hi",
    "hey",
];

/// Courtesies a message may close with, as lowercase words, longest first where one ends another.
const SIGN_OFFS: [&str; 10] = [
    "thank you in advance",
    "thanks in advance",
    "many thanks",
    "thank you",
    "thanks",
    "kind regards",
    "best regards",
    "regards",
    "sincerely",
    "cheers",
];

/// `words` (lowercase, single spaces) without the greetings that open it and the sign-offs that close it.
pub fn without_courtesies(mut words: &str) -> &str {
    while let Some(rest) = GREETINGS
        .iter()
        .find_map(|greeting| strip_words_prefix(words, greeting))
    {
        words = rest;
    }
    while let Some(rest) = SIGN_OFFS
        .iter()
        .find_map(|sign_off| strip_words_suffix(words, sign_off))
    {
        words = rest;
    }
    words
}

/// `words` without `phrase` as its first whole words.
fn strip_words_prefix<'a>(words: &'a str, phrase: &str) -> Option<&'a str> {
    let rest = words.strip_prefix(phrase)?;
    match rest.strip_prefix(WORD_SEPARATOR) {
        Some(rest) => Some(rest),
        None => rest.is_empty().then_some(rest),
    }
}

/// `words` without `phrase` as its last whole words.
fn strip_words_suffix<'a>(words: &'a str, phrase: &str) -> Option<&'a str> {
    let rest = words.strip_suffix(phrase)?;
    match rest.strip_suffix(WORD_SEPARATOR) {
        Some(rest) => Some(rest),
        None => rest.is_empty().then_some(rest),
    }
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
