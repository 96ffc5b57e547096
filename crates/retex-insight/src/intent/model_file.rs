//! The bytes of a trained intent model, as `build.rs` writes them to `OUT_DIR` and the library reads them back
//! at first use. Little-endian, in order: the magic, then the intents, the word terms and the character terms
//! (each a count and length-prefixed UTF-8 strings), then the inverse document frequencies, the biases and the
//! weights (each a count and `f32`s). Floats are stored bit for bit, so the embedded model is the trained one.
//!
//! Compiled into both `build.rs` and the library.

use super::training::TrainedIntentModel;

const MAGIC: &[u8; 8] = b"RTXINT01";

/// Why bytes are not a model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelFileError(pub &'static str);

impl std::fmt::Display for ModelFileError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "intent model file: {}", self.0)
    }
}

pub fn encode(model: &TrainedIntentModel) -> Vec<u8> {
    let mut bytes = MAGIC.to_vec();
    for strings in [&model.intents, &model.word_terms, &model.character_terms] {
        push_count(&mut bytes, strings.len());
        for string in strings {
            push_count(&mut bytes, string.len());
            bytes.extend_from_slice(string.as_bytes());
        }
    }
    for floats in [&model.inverse_document_frequency, &model.biases, &model.weights] {
        push_count(&mut bytes, floats.len());
        for float in floats {
            bytes.extend_from_slice(&float.to_le_bytes());
        }
    }
    bytes
}

pub fn decode(bytes: &[u8]) -> Result<TrainedIntentModel, ModelFileError> {
    let mut reader = Reader {
        rest: bytes.strip_prefix(MAGIC).ok_or(ModelFileError("not an intent model"))?,
    };
    let model = TrainedIntentModel {
        intents: reader.strings()?,
        word_terms: reader.strings()?,
        character_terms: reader.strings()?,
        inverse_document_frequency: reader.floats()?,
        biases: reader.floats()?,
        weights: reader.floats()?,
    };
    if !reader.rest.is_empty() {
        return Err(ModelFileError("bytes after the weights"));
    }
    let rows = model.word_terms.len() + model.character_terms.len();
    if model.inverse_document_frequency.len() != rows
        || model.biases.len() != model.intents.len()
        || model.weights.len() != rows * model.intents.len()
    {
        return Err(ModelFileError("the tables' sizes disagree"));
    }
    Ok(model)
}

fn push_count(bytes: &mut Vec<u8>, count: usize) {
    let count = u32::try_from(count).expect("a model table holds fewer than 2^32 entries");
    bytes.extend_from_slice(&count.to_le_bytes());
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, length: usize) -> Result<&'a [u8], ModelFileError> {
        if self.rest.len() < length {
            return Err(ModelFileError("truncated"));
        }
        let (taken, rest) = self.rest.split_at(length);
        self.rest = rest;
        Ok(taken)
    }

    fn count(&mut self) -> Result<usize, ModelFileError> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
    }

    fn strings(&mut self) -> Result<Vec<String>, ModelFileError> {
        let count = self.count()?;
        let mut strings = Vec::with_capacity(count.min(self.rest.len()));
        for _ in 0..count {
            let length = self.count()?;
            let text = std::str::from_utf8(self.take(length)?).map_err(|_| ModelFileError("a term is not UTF-8"))?;
            strings.push(text.to_owned());
        }
        Ok(strings)
    }

    fn floats(&mut self) -> Result<Vec<f32>, ModelFileError> {
        let count = self.count()?;
        let bytes = self.take(count.checked_mul(4).ok_or(ModelFileError("truncated"))?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_model() -> TrainedIntentModel {
        TrainedIntentModel {
            intents: vec!["cancel_order".into(), "get_refund".into()],
            word_terms: vec!["cancel".into()],
            character_terms: vec![" ré".into()],
            inverse_document_frequency: vec![1.5, 2.25],
            biases: vec![-0.5, 0.125],
            weights: vec![1.0, -1.0, f32::MIN_POSITIVE, 0.3],
        }
    }

    #[test]
    fn a_model_reads_back_bit_for_bit() {
        let model = tiny_model();
        assert_eq!(decode(&encode(&model)).unwrap(), model);
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let bytes = encode(&tiny_model());
        assert_eq!(decode(&bytes[..bytes.len() - 1]), Err(ModelFileError("truncated")));
        assert_eq!(decode(b"RTXCOMPL"), Err(ModelFileError("not an intent model")));
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(decode(&extra), Err(ModelFileError("bytes after the weights")));
    }
}
