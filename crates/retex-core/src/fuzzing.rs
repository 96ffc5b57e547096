//! What must hold for any input whatever, checked by the fuzz targets (`fuzz/`) on inputs they invent and by
//! the tests on the corpus they kept: every door answers any bytes with a value or an error, never a panic, and
//! what it accepts reads back from the log's text unchanged.

use crate::codes::Timestamp;
use crate::import::{ImportKind, ImportOptions, read_csv};
use crate::receive::line_text;
use crate::rules::file::parse_rules;
use crate::wire::parse_event;

/// One line of NDJSON, as `retex ingest` and `POST /api/v1/events` read it.
pub fn event_line(bytes: &[u8]) {
    let Ok(line) = line_text(bytes) else {
        return;
    };
    if let Ok(event) = parse_event(line) {
        let written = serde_json::to_string(&event).expect("an accepted event serializes");
        assert_eq!(
            parse_event(&written).ok(),
            Some(event),
            "an accepted event reads back from its serialization: {written}"
        );
    }
}

/// A rules file.
pub fn rules_text(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(rules) = parse_rules(text) {
        assert!(!rules.version().is_empty());
    }
}

/// A spreadsheet: the first byte picks the kind and whether decimal commas are read, the rest is the file.
pub fn csv_file(bytes: &[u8]) {
    let Some((&choice, file)) = bytes.split_first() else {
        return;
    };
    let options = ImportOptions {
        source: "csv".into(),
        now: Timestamp(1_790_000_000_000),
        decimal_comma: choice & 0x80 != 0,
        wall_clock: None,
    };
    let kind = ImportKind::ALL[usize::from(choice & 0x7f) % ImportKind::ALL.len()];
    let Ok(read) = read_csv(kind, file, &options) else {
        return;
    };
    for row in read.rows {
        assert_eq!(
            parse_event(&row.text).ok(),
            Some(row.event),
            "an imported row is logged as the event it was read as: {}",
            row.text
        );
    }
}
