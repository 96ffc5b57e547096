//! Bitext's customer-service CSV, which trains both message models: columns `flags,utterance,category,intent`,
//! quoted, with a byte-order mark.
//!
//! Data: Bitext customer support samples (2019), CDLA-Sharing-1.0. See `data/bitext/README.md`. Bitext's later
//! releases spell one intent `check_invoice` where the 2019 files say `check_invoices` in one file and
//! `check_invoice` in the other; parsing gives the later spelling, so both files and the later releases agree.
//!
//! Compiled into both `build.rs` and the library through `#[path]`; parsing takes the CSV as text, reading
//! files is the caller's business.

use thiserror::Error;

const BYTE_ORDER_MARK: char = '\u{feff}';
const UTTERANCE_COLUMN: &str = "utterance";
const INTENT_COLUMN: &str = "intent";
/// Bitext's 2019 spellings that its later releases changed, with the later spelling.
const RENAMED_INTENTS: [(&str, &str); 1] = [("check_invoices", "check_invoice")];

/// Why a training CSV could not be read.
#[derive(Debug, Error)]
pub enum BitextError {
    #[error("the header has no `{column}` column")]
    MissingColumn { column: &'static str },
    #[error("malformed csv: {reason}")]
    Malformed { reason: String },
}

/// Parses a CSV in Bitext's layout into `(utterance, intent)` rows, in file order.
pub fn parse_bitext_intents(csv_text: &str) -> Result<Vec<(String, String)>, BitextError> {
    let csv_text = csv_text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(csv_text);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().map_err(malformed)?;
    let utterance_index = column_index(headers, UTTERANCE_COLUMN)?;
    let intent_index = column_index(headers, INTENT_COLUMN)?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(malformed)?;
        let utterance = field(&record, utterance_index)?;
        let intent = field(&record, intent_index)?;
        let intent = RENAMED_INTENTS
            .iter()
            .find_map(|&(old, new)| (old == intent).then_some(new))
            .unwrap_or(intent);
        rows.push((utterance.to_owned(), intent.to_owned()));
    }
    Ok(rows)
}

/// Parses several CSVs in Bitext's layout, in order, into one set of `(utterance, intent)` rows: a model's
/// training set.
pub fn parse_bitext_files(csv_texts: &[&str]) -> Result<Vec<(String, String)>, BitextError> {
    let mut rows = Vec::new();
    for csv_text in csv_texts {
        rows.extend(parse_bitext_intents(csv_text)?);
    }
    Ok(rows)
}

fn column_index(headers: &csv::StringRecord, column: &'static str) -> Result<usize, BitextError> {
    match headers.iter().position(|header| header == column) {
        Some(index) => Ok(index),
        None => Err(BitextError::MissingColumn { column }),
    }
}

fn field(record: &csv::StringRecord, index: usize) -> Result<&str, BitextError> {
    match record.get(index) {
        Some(value) => Ok(value),
        None => Err(BitextError::Malformed {
            reason: format!("a record has no field {index}"),
        }),
    }
}

fn malformed(error: csv::Error) -> BitextError {
    BitextError::Malformed {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2019_spelling_of_an_intent_becomes_the_later_one() {
        let rows =
            parse_bitext_intents("flags,utterance,category,intent\nB,my bills,INVOICE,check_invoices\n").unwrap();
        assert_eq!(rows, [("my bills".to_owned(), "check_invoice".to_owned())]);
    }

    #[test]
    fn a_missing_intent_column_is_named() {
        let error = parse_bitext_intents("flags,utterance,category\nB,hello,ACCOUNT\n").unwrap_err();
        assert_eq!(error.to_string(), "the header has no `intent` column");
    }

    #[test]
    fn a_short_record_is_malformed() {
        let error = parse_bitext_intents("flags,utterance,category,intent\nB,hello\n").unwrap_err();
        assert!(matches!(error, BitextError::Malformed { .. }), "{error}");
    }
}
