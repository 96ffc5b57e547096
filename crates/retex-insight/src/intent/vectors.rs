//! A message as the classifier sees it: a sparse vector with one weight per known term, TF-IDF weighted with a
//! dampened term frequency (1 + ln tf, so a repeated word does not shout) and normalised to unit length per
//! term family.
//!
//! Compiled into both `build.rs` and the library, so a message is weighed the same way in training and in
//! prediction.

use rustc_hash::FxHashMap;

use super::terms::{TermFamily, for_each_term};

/// Where each known term's weight sits: word terms take rows `0..word_rows`, character n-grams the rows after.
#[derive(Debug, Clone, Default)]
pub struct TermRows {
    words: FxHashMap<Box<str>, u32>,
    characters: FxHashMap<Box<str>, u32>,
}

impl TermRows {
    pub fn new(word_terms: &[String], character_terms: &[String]) -> TermRows {
        TermRows {
            words: rows_from(word_terms, 0),
            characters: rows_from(character_terms, word_terms.len() as u32),
        }
    }

    /// The number of word rows: the first character row.
    pub fn word_rows(&self) -> u32 {
        self.words.len() as u32
    }

    /// Fills `occurrences` with the rows of the known terms of `message`, with repeats. Unknown terms are left
    /// out, as usual for a fixed vocabulary.
    pub fn occurrences(&self, message: &str, occurrences: &mut Vec<u32>) {
        occurrences.clear();
        for_each_term(message, |family, term| {
            let rows = match family {
                TermFamily::Words => &self.words,
                TermFamily::Characters => &self.characters,
            };
            if let Some(&row) = rows.get(term) {
                occurrences.push(row);
            }
        });
    }
}

fn rows_from(terms: &[String], first_row: u32) -> FxHashMap<Box<str>, u32> {
    terms
        .iter()
        .enumerate()
        .map(|(index, term)| (term.as_str().into(), first_row + index as u32))
        .collect()
}

/// How terms are weighed: each row's inverse document frequency, and where the word rows end (rows below
/// `word_rows` are words and word pairs, the others character n-grams).
#[derive(Debug, Clone, Copy)]
pub struct Weighting<'a> {
    pub inverse_document_frequency: &'a [f32],
    pub word_rows: u32,
}

/// The smoothed inverse document frequency of a term found in `documents_with_term` of `documents`:
/// `ln((1 + documents) / (1 + documents_with_term)) + 1`, so a term in every document still weighs 1.
pub fn inverse_document_frequency(documents: usize, documents_with_term: u32) -> f32 {
    (((1 + documents) as f64 / (1 + documents_with_term) as f64).ln() + 1.0) as f32
}

/// Fills `vector` with the weighted, normalised terms of a message, sorted by row, from `occurrences`, the rows
/// of its known terms as they occurred (with repeats, in any order; sorted in place).
pub fn weigh(occurrences: &mut [u32], weighting: Weighting<'_>, vector: &mut Vec<(u32, f32)>) {
    vector.clear();
    occurrences.sort_unstable();
    let mut index = 0;
    while index < occurrences.len() {
        let row = occurrences[index];
        let mut count = 0;
        while index < occurrences.len() && occurrences[index] == row {
            count += 1;
            index += 1;
        }
        let weight = (1.0 + (count as f32).ln()) * weighting.inverse_document_frequency[row as usize];
        vector.push((row, weight));
    }
    let words_end = vector.partition_point(|&(row, _)| row < weighting.word_rows);
    let (words, characters) = vector.split_at_mut(words_end);
    normalise(words);
    normalise(characters);
}

fn normalise(part: &mut [(u32, f32)]) {
    let norm = part.iter().map(|&(_, weight)| weight * weight).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, weight) in part {
            *weight /= norm;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_is_normalised_on_its_own() {
        let idf = [1.0, 2.0, 1.0];
        let mut occurrences = [2, 0, 1, 0];
        let mut vector = Vec::new();
        weigh(
            &mut occurrences,
            Weighting {
                inverse_document_frequency: &idf,
                word_rows: 2,
            },
            &mut vector,
        );
        // Words: row 0 twice (1 + ln 2) and row 1 once at idf 2; characters: row 2 alone, so weight 1.
        let row0 = 1.0 + 2f32.ln();
        let norm = (row0 * row0 + 4.0).sqrt();
        assert_eq!(vector.len(), 3);
        assert!((vector[0].1 - row0 / norm).abs() < 1e-6);
        assert!((vector[1].1 - 2.0 / norm).abs() < 1e-6);
        assert_eq!(vector[2], (2, 1.0));
    }

    #[test]
    fn a_term_in_every_document_weighs_one() {
        assert!((inverse_document_frequency(10, 10) - 1.0).abs() < 1e-6);
        assert!(inverse_document_frequency(10, 1) > inverse_document_frequency(10, 5));
    }
}
