//! Training the intent classifier: one linear support vector machine per intent (one against the rest), with
//! the squared hinge loss, solved in the dual by coordinate descent (Hsieh et al. 2008, the method behind
//! LIBLINEAR's default). Each pass visits the messages in an order drawn from a fixed seed, so the same data
//! always gives the same model, bit for bit.
//!
//! Compiled into both `build.rs` (which trains the embedded model) and the library (cross-validation), so the
//! model that ships is the one the tests measure.

use rustc_hash::{FxHashMap, FxHashSet};

use super::terms::for_each_term;
use super::vectors::{TermRows, Weighting, inverse_document_frequency, weigh};

/// How hard to fit: the SVM's cost `C` (larger fits the training data more closely) and the passes over it.
#[derive(Debug, Clone, Copy)]
pub struct TrainingParameters {
    pub cost: f64,
    pub passes: usize,
    /// A term seen in fewer messages than this is left out of the vocabulary.
    pub minimum_documents: u32,
}

/// The parameters of the embedded model, chosen by cross-validation (docs/insight.md).
pub const EMBEDDED_TRAINING: TrainingParameters = TrainingParameters {
    cost: 0.5,
    passes: 12,
    minimum_documents: 2,
};

/// A trained model as plain data: what `build.rs` writes and the library reads back.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainedIntentModel {
    /// The intents, sorted; an intent's index is its column.
    pub intents: Vec<String>,
    /// The word and word-pair terms, in row order (rows `0..word_terms.len()`).
    pub word_terms: Vec<String>,
    /// The character n-grams, in row order after the word terms.
    pub character_terms: Vec<String>,
    /// Per row.
    pub inverse_document_frequency: Vec<f32>,
    /// Per intent.
    pub biases: Vec<f32>,
    /// Row-major: row `r`'s weight for intent `i` is at `r * intents.len() + i`.
    pub weights: Vec<f32>,
}

/// The value of the constant feature that carries each intent's bias (LIBLINEAR's `-B 1`).
const BIAS_FEATURE: f64 = 1.0;
/// The seed of the order in which each pass visits the messages.
const VISIT_ORDER_SEED: u64 = 0x5eed_1e7e_0f00_0001;

/// Trains on `(message, intent)` rows.
pub fn train(rows: &[(String, String)], parameters: &TrainingParameters) -> TrainedIntentModel {
    let mut intents: Vec<String> = rows.iter().map(|(_, intent)| intent.clone()).collect();
    intents.sort_unstable();
    intents.dedup();
    let intent_index: FxHashMap<&str, usize> = intents
        .iter()
        .enumerate()
        .map(|(index, intent)| (intent.as_str(), index))
        .collect();
    let labels: Vec<usize> = rows.iter().map(|(_, intent)| intent_index[intent.as_str()]).collect();

    let vocabulary = Vocabulary::of(rows, parameters.minimum_documents);
    let weighting = Weighting {
        inverse_document_frequency: &vocabulary.inverse_document_frequency,
        word_rows: vocabulary.rows.word_rows(),
    };
    let mut occurrences = Vec::new();
    let vectors: Vec<Vec<(u32, f32)>> = rows
        .iter()
        .map(|(message, _)| {
            let mut vector = Vec::new();
            vocabulary.rows.occurrences(message, &mut occurrences);
            weigh(&mut occurrences, weighting, &mut vector);
            vector
        })
        .collect();

    let row_count = vocabulary.inverse_document_frequency.len();
    let mut weights = vec![0f32; row_count * intents.len()];
    let mut biases = vec![0f32; intents.len()];
    for intent in 0..intents.len() {
        let (intent_weights, bias) = one_against_rest(&vectors, &labels, intent, row_count, parameters);
        for (row, weight) in intent_weights.into_iter().enumerate() {
            weights[row * intents.len() + intent] = weight as f32;
        }
        biases[intent] = bias as f32;
    }
    TrainedIntentModel {
        intents,
        word_terms: vocabulary.word_terms,
        character_terms: vocabulary.character_terms,
        inverse_document_frequency: vocabulary.inverse_document_frequency,
        biases,
        weights,
    }
}

/// Dual coordinate descent for the L2-regularised, squared-hinge-loss SVM of one intent against the rest.
/// Returns the weights per row and the bias.
fn one_against_rest(
    vectors: &[Vec<(u32, f32)>],
    labels: &[usize],
    intent: usize,
    row_count: usize,
    parameters: &TrainingParameters,
) -> (Vec<f64>, f64) {
    let diagonal = 0.5 / parameters.cost;
    let mut weights = vec![0f64; row_count];
    let mut bias = 0f64;
    let mut duals = vec![0f64; vectors.len()];
    let squared_norms: Vec<f64> = vectors
        .iter()
        .map(|vector| {
            vector
                .iter()
                .map(|&(_, value)| f64::from(value) * f64::from(value))
                .sum::<f64>()
                + BIAS_FEATURE * BIAS_FEATURE
                + diagonal
        })
        .collect();
    let mut order: Vec<usize> = (0..vectors.len()).collect();
    let mut seed = VISIT_ORDER_SEED;
    for _ in 0..parameters.passes {
        shuffle(&mut order, &mut seed);
        for &example in &order {
            let sign = if labels[example] == intent { 1.0 } else { -1.0 };
            let vector = &vectors[example];
            let margin = vector
                .iter()
                .map(|&(row, value)| weights[row as usize] * f64::from(value))
                .sum::<f64>()
                + bias * BIAS_FEATURE;
            let gradient = sign * margin - 1.0 + diagonal * duals[example];
            let projected = if duals[example] == 0.0 {
                gradient.min(0.0)
            } else {
                gradient
            };
            if projected.abs() <= 1e-12 {
                continue;
            }
            let previous = duals[example];
            duals[example] = (previous - gradient / squared_norms[example]).max(0.0);
            let step = (duals[example] - previous) * sign;
            for &(row, value) in vector {
                weights[row as usize] += step * f64::from(value);
            }
            bias += step * BIAS_FEATURE;
        }
    }
    (weights, bias)
}

/// Fisher–Yates with a xorshift generator: a fixed, platform-independent order.
fn shuffle(order: &mut [usize], seed: &mut u64) {
    for index in (1..order.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let other = (*seed % (index as u64 + 1)) as usize;
        order.swap(index, other);
    }
}

/// The terms kept for training, with their rows and document frequencies.
struct Vocabulary {
    word_terms: Vec<String>,
    character_terms: Vec<String>,
    rows: TermRows,
    inverse_document_frequency: Vec<f32>,
}

impl Vocabulary {
    /// Every term found in at least `minimum_documents` messages, words first, each family in first-seen order.
    fn of(rows: &[(String, String)], minimum_documents: u32) -> Vocabulary {
        let mut counts = [FamilyCounts::default(), FamilyCounts::default()];
        let mut seen_in_message = FxHashSet::default();
        for (message, _) in rows {
            seen_in_message.clear();
            for_each_term(message, |family, term| {
                let family_index = family as usize;
                let family_counts = &mut counts[family_index];
                let id = family_counts.id_of(term);
                if seen_in_message.insert((family_index, id)) {
                    family_counts.documents[id] += 1;
                }
            });
        }
        let [words, characters] = counts;
        let (word_terms, word_documents) = words.kept(minimum_documents);
        let (character_terms, character_documents) = characters.kept(minimum_documents);
        let inverse_document_frequency = word_documents
            .iter()
            .chain(&character_documents)
            .map(|&documents| inverse_document_frequency(rows.len(), documents))
            .collect();
        let rows = TermRows::new(&word_terms, &character_terms);
        Vocabulary {
            word_terms,
            character_terms,
            rows,
            inverse_document_frequency,
        }
    }
}

/// One family's terms in first-seen order, with the number of messages each occurs in.
#[derive(Default)]
struct FamilyCounts {
    ids: FxHashMap<String, usize>,
    terms: Vec<String>,
    documents: Vec<u32>,
}

impl FamilyCounts {
    fn id_of(&mut self, term: &str) -> usize {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.terms.len();
        self.ids.insert(term.to_owned(), id);
        self.terms.push(term.to_owned());
        self.documents.push(0);
        id
    }

    fn kept(self, minimum_documents: u32) -> (Vec<String>, Vec<u32>) {
        self.terms
            .into_iter()
            .zip(self.documents)
            .filter(|&(_, documents)| documents >= minimum_documents)
            .unzip()
    }
}
