//! Spreadsheets into events, for `retex import` and the admin's upload. A CSV file's columns are named as an
//! event's fields (events.md); each row becomes one event, checked exactly as an NDJSON line is
//! ([`crate::receive::parse_received_event`]), so a bad row is reported as `LINE: column: problem` and skipped
//! while the good rows go on.
//!
//! Spreadsheets carry no event ids and rarely a time. Master data rows are dated when they are imported and
//! named after their key and that time; the caller skips the rows the master data already holds
//! (`Engine::master_data_holds`), so importing the same file again adds nothing, and a value changed back
//! (A, then B, then A) still wins by being newest. Counts must say when they were made (`at`), and are named
//! after their location, SKU and time, so a repeat is a duplicate.

use crate::codes::Timestamp;
use crate::event::Event;
use crate::receive::parse_received_event;

crate::wire_names! {
    /// What a CSV file holds: one event type per file.
    pub enum ImportKind {
        Products = "products",
        Locations = "locations",
        Suppliers = "suppliers",
        Prices = "prices",
        Counts = "counts",
    }
}

/// One column a file of its kind may have.
struct Column {
    name: &'static str,
    required: bool,
    /// A number: decimal commas are refused, or read with `--decimal-comma`.
    number: bool,
}

const fn text(name: &'static str, required: bool) -> Column {
    Column {
        name,
        required,
        number: false,
    }
}

const fn number(name: &'static str, required: bool) -> Column {
    Column {
        name,
        required,
        number: true,
    }
}

/// Columns every kind may have: an explicit event id, and the event time.
const ENVELOPE: [Column; 2] = [text("id", false), text("at", false)];

const PRODUCT_COLUMNS: [Column; 8] = [
    text("sku", true),
    text("name", true),
    text("category", true),
    text("uom", false),
    number("cost", false),
    number("price", false),
    text("supplier", false),
    number("return_days", false),
];
const LOCATION_COLUMNS: [Column; 6] = [
    text("code", true),
    text("name", true),
    text("kind", true),
    text("region", false),
    text("timezone", false),
    text("hours", false),
];
const SUPPLIER_COLUMNS: [Column; 3] = [text("code", true), text("name", true), number("lead_time_days", false)];
const PRICE_COLUMNS: [Column; 4] = [
    text("sku", true),
    number("price", true),
    text("location", false),
    text("channel", false),
];
const COUNT_COLUMNS: [Column; 4] = [
    text("location", true),
    text("sku", true),
    number("counted", true),
    text("at", true),
];

impl ImportKind {
    /// The event `type` each row becomes.
    pub const fn event_type(self) -> &'static str {
        match self {
            Self::Products => "product",
            Self::Locations => "location",
            Self::Suppliers => "supplier",
            Self::Prices => "price",
            Self::Counts => "count",
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            Self::Products => &PRODUCT_COLUMNS,
            Self::Locations => &LOCATION_COLUMNS,
            Self::Suppliers => &SUPPLIER_COLUMNS,
            Self::Prices => &PRICE_COLUMNS,
            Self::Counts => &COUNT_COLUMNS,
        }
    }

    /// The columns a file may have, each with whether it is required, in the order events.md lists the fields.
    pub fn column_names(self) -> impl Iterator<Item = (&'static str, bool)> {
        self.columns()
            .iter()
            .chain(
                ENVELOPE
                    .iter()
                    .filter(move |envelope| !self.columns().iter().any(|own| own.name == envelope.name)),
            )
            .map(|column| (column.name, column.required))
    }

    /// The columns that name what a row is about: one row per key in a file.
    fn key_columns(self) -> &'static [&'static str] {
        match self {
            Self::Products => &["sku"],
            Self::Locations | Self::Suppliers => &["code"],
            Self::Prices => &["sku", "location", "channel"],
            Self::Counts => &["location", "sku", "at"],
        }
    }

    /// Master data: an upsert the caller compares with what is held.
    pub const fn is_master_data(self) -> bool {
        !matches!(self, Self::Counts)
    }

    fn column(self, name: &str) -> Option<&'static Column> {
        self.columns()
            .iter()
            .chain(ENVELOPE.iter())
            .find(|column| column.name == name)
    }
}

/// How a file is read.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The events' `source`.
    pub source: String,
    /// The time given to rows without an `at` (the caller reads the clock).
    pub now: Timestamp,
    /// Read `4,10` as 4.10 (spreadsheets saved in a locale that writes decimal commas).
    pub decimal_comma: bool,
    /// Refuse rows dated after this clock, as every door does (`None`: `--allow-future`).
    pub wall_clock: Option<Timestamp>,
}

/// A row that became an event.
#[derive(Clone, Debug)]
pub struct ImportedRow {
    /// Its line in the file; the header is line 1.
    pub line: u64,
    pub event: Event,
    /// The event as the log keeps it.
    pub text: String,
}

/// A row (or, on line 1, the header) that was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {column}: {problem}")]
pub struct RowProblem {
    pub line: u64,
    pub column: String,
    pub problem: String,
}

/// A file read: its events in file order and its refused rows.
#[derive(Clone, Debug, Default)]
pub struct CsvRows {
    pub rows: Vec<ImportedRow>,
    pub problems: Vec<RowProblem>,
}

/// Reads a whole file. A header that cannot be read (an unknown or missing column) refuses the file; any other
/// problem refuses its row only.
pub fn read_csv(kind: ImportKind, bytes: &[u8], options: &ImportOptions) -> Result<CsvRows, RowProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(bytes))
        .flexible(true)
        .from_reader(bytes);
    let header = reader
        .byte_headers()
        .map_err(|error| header_problem("header", error.to_string()))?
        .clone();
    let columns = header_columns(kind, &header)?;
    let mut keys = rustc_hash::FxHashMap::default();
    let mut read = CsvRows::default();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                read.problems.push(RowProblem {
                    line,
                    column: "row".into(),
                    problem: error.to_string(),
                });
                continue;
            }
        }
        let line = record.position().map_or(line, |position| line_of(bytes, position));
        if record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        match read_row(kind, &columns, &record, line, options) {
            Ok((key, row)) => match keys.insert(key, line) {
                Some(first) => read.problems.push(RowProblem {
                    line,
                    column: kind.key_columns().join(","),
                    problem: format!(
                        "repeats line {first}; one row per {} in a file",
                        kind.key_columns().join(" and ")
                    ),
                }),
                None => read.rows.push(row),
            },
            Err(problem) => read.problems.push(problem),
        }
    }
    Ok(read)
}

/// The record's line in the file. The reader's position is where it started looking, before the blank lines
/// it skipped.
fn line_of(bytes: &[u8], position: &csv::Position) -> u64 {
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(bytes.len());
    let blank_lines = bytes[start..]
        .iter()
        .take_while(|byte| matches!(byte, b'\n' | b'\r'))
        .filter(|byte| **byte == b'\n')
        .count();
    position.line() + blank_lines as u64
}

/// `;` when the header has more semicolons than commas (spreadsheets in locales with decimal commas), a tab
/// when it has only tabs, else `,`.
fn delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|byte| *byte == b'\n').next().unwrap_or_default();
    let count = |wanted: u8| header.iter().filter(|byte| **byte == wanted).count();
    let (commas, semicolons, tabs) = (count(b','), count(b';'), count(b'\t'));
    if semicolons > commas {
        b';'
    } else if tabs > 0 && commas == 0 {
        b'\t'
    } else {
        b','
    }
}

fn header_problem(column: &str, problem: impl Into<String>) -> RowProblem {
    RowProblem {
        line: 1,
        column: column.into(),
        problem: problem.into(),
    }
}

/// The header's columns, in order, each checked against the kind's.
fn header_columns(kind: ImportKind, header: &csv::ByteRecord) -> Result<Vec<&'static Column>, RowProblem> {
    let mut columns: Vec<&'static Column> = Vec::with_capacity(header.len());
    for raw in header {
        let name = std::str::from_utf8(raw)
            .map_err(|_| header_problem("header", "not valid UTF-8 (save the file as UTF-8)"))?
            .trim();
        let Some(column) = kind.column(name) else {
            let known: Vec<&str> = kind.column_names().map(|(name, _)| name).collect();
            return Err(header_problem(
                name,
                format!("not a column of {kind} (columns: {})", known.join(", ")),
            ));
        };
        if columns.iter().any(|seen| seen.name == name) {
            return Err(header_problem(name, "appears twice in the header"));
        }
        columns.push(column);
    }
    if let Some(missing) = kind
        .columns()
        .iter()
        .find(|column| column.required && !columns.iter().any(|seen| seen.name == column.name))
    {
        return Err(header_problem(
            missing.name,
            format!("missing: {kind} need this column"),
        ));
    }
    Ok(columns)
}

/// One row as an event, and the key it is about.
fn read_row(
    kind: ImportKind,
    columns: &[&'static Column],
    record: &csv::ByteRecord,
    line: u64,
    options: &ImportOptions,
) -> Result<(Vec<String>, ImportedRow), RowProblem> {
    let problem = |column: &str, problem: String| RowProblem {
        line,
        column: column.into(),
        problem,
    };
    if record.len() != columns.len() {
        return Err(problem(
            "row",
            format!("{} cells where the header has {}", record.len(), columns.len()),
        ));
    }
    let mut fields = serde_json::Map::new();
    fields.insert("type".into(), kind.event_type().into());
    fields.insert("source".into(), options.source.clone().into());
    for (column, raw) in columns.iter().zip(record) {
        let cell = std::str::from_utf8(raw)
            .map_err(|error| {
                problem(
                    column.name,
                    format!(
                        "not valid UTF-8 (byte {}); save the file as UTF-8",
                        error.valid_up_to() + 1
                    ),
                )
            })?
            .trim();
        if cell.is_empty() {
            continue;
        }
        let value = if column.number {
            number_text(cell, options.decimal_comma).map_err(|message| problem(column.name, message))?
        } else {
            cell.to_owned()
        };
        fields.insert(column.name.into(), value.into());
    }
    if !fields.contains_key("at") {
        fields.insert("at".into(), options.now.to_rfc3339().into());
    }
    let key: Vec<String> = kind
        .key_columns()
        .iter()
        .map(|name| {
            fields
                .get(*name)
                .and_then(|value| value.as_str())
                .unwrap_or("*")
                .to_owned()
        })
        .collect();
    if !fields.contains_key("id") {
        let at = fields["at"].as_str().unwrap_or_default();
        let id = match kind {
            ImportKind::Counts => format!("{}:{}", kind.event_type(), key.join(":")),
            _ => format!("{}:{}@{at}", kind.event_type(), key.join(":")),
        };
        fields.insert("id".into(), id.into());
    }
    let text = serde_json::Value::Object(fields).to_string();
    let event =
        parse_received_event(&text, options.wall_clock).map_err(|error| problem(&error.field, error.problem))?;
    Ok((key, ImportedRow { line, event, text }))
}

/// A number cell as the event's decimal text. A decimal comma (`4,10`) is refused unless the file was declared
/// to use them: a comma may also be a thousands separator, and guessing wrong changes an amount a thousandfold.
fn number_text(cell: &str, decimal_comma: bool) -> Result<String, String> {
    if !cell.contains(',') {
        return Ok(cell.to_owned());
    }
    if !decimal_comma {
        return Err(format!(
            "`{cell}` has a decimal comma; write it with a point, or import with --decimal-comma"
        ));
    }
    if cell.contains('.') || cell.matches(',').count() > 1 {
        return Err(format!(
            "`{cell}` has thousands separators; write the number without them"
        ));
    }
    Ok(cell.replace(',', "."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> ImportOptions {
        ImportOptions {
            source: "csv".into(),
            now: Timestamp::parse_rfc3339("2026-11-02T10:00:00Z").expect("a time"),
            decimal_comma: false,
            wall_clock: None,
        }
    }

    fn read(kind: ImportKind, text: &str) -> CsvRows {
        read_csv(kind, text.as_bytes(), &options()).expect("a readable header")
    }

    #[test]
    fn rows_become_events_checked_like_lines_and_bad_rows_name_their_line_and_column() {
        let file = "sku,name,category,cost\nA1,Apple,Fruit,0.40\nB2,Bread,,1.10\nC3,Cheese,Dairy,abc\n";
        let read = read(ImportKind::Products, file);
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].line, 2);
        assert_eq!(read.rows[0].event.id.as_str(), "product:A1@2026-11-02T10:00:00Z");
        let problems: Vec<String> = read.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("3: category: "), "{problems:?}");
        assert!(problems[1].starts_with("4: cost: "), "{problems:?}");
    }

    #[test]
    fn semicolons_a_byte_order_mark_and_decimal_commas_when_declared() {
        let file = "\u{feff}sku;price;location\nA1;4,10;S001\n";
        let refused = read(ImportKind::Prices, file);
        assert_eq!(refused.rows.len(), 0);
        assert!(
            refused.problems[0].problem.contains("--decimal-comma"),
            "{:?}",
            refused.problems
        );
        let accepted = read_csv(
            ImportKind::Prices,
            file.as_bytes(),
            &ImportOptions {
                decimal_comma: true,
                ..options()
            },
        )
        .expect("a readable header");
        assert_eq!(accepted.problems, []);
        let crate::event::EventBody::Price(price) = &accepted.rows[0].event.body else {
            panic!("a price");
        };
        assert_eq!(price.price.to_string(), "4.10");
    }

    #[test]
    fn an_unknown_or_missing_column_refuses_the_file_at_its_header() {
        let unknown = read_csv(ImportKind::Suppliers, b"code,name,colour\n", &options()).expect_err("refused");
        assert_eq!((unknown.line, unknown.column.as_str()), (1, "colour"));
        let missing = read_csv(ImportKind::Counts, b"location,sku,counted\n", &options()).expect_err("refused");
        assert_eq!((missing.line, missing.column.as_str()), (1, "at"));
    }

    #[test]
    fn a_repeated_key_is_refused_and_counts_are_named_after_what_and_when() {
        let file = "location,sku,counted,at\nS1,A1,3,2026-11-01T08:00:00Z\nS1,A1,4,2026-11-01T08:00:00Z\n";
        let read = read(ImportKind::Counts, file);
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].event.id.as_str(), "count:S1:A1:2026-11-01T08:00:00Z");
        assert_eq!(read.problems[0].line, 3);
        assert!(
            read.problems[0].problem.contains("repeats line 2"),
            "{:?}",
            read.problems
        );
    }

    #[test]
    fn quoted_cells_keep_their_commas_and_lines_count_as_in_the_file() {
        let file = "code,name,kind\n\"S1\",\"Main Street, North\",store\n\nS2,Depot,warehouse\nS3,Odd\n";
        let read = read(ImportKind::Locations, file);
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[1].line, 4);
        assert!(read.rows[0].text.contains("Main Street, North"));
        assert_eq!(read.problems[0].line, 5);
        assert_eq!(read.problems[0].column, "row");
    }
}
