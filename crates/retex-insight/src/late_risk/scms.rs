//! Reading the USAID SCMS delivery history (`Supply_Chain_Shipment_Pricing_Data`): the CSV text to one
//! [`Delivery`] per line, with every messy value the export holds read as what it means, never as a failure.
//!
//! Only a header that lacks a required column is an error ([`ScmsError::MissingColumn`]). A line whose values
//! cannot be read keeps them as `None` (or as the [`Amount`] they say they are); whether it can be used for
//! training is decided by [`training_outcome`], which names a [`SkipReason`] for the lines it cannot use.
//!
//! # The forms the export holds
//! - Dates `02-Jun-06` (day, month name, two-digit year; also with a four-digit year), `11/21/11` and
//!   `2/6/2006` (month first: the export is American, and `11/21/11` can only be month first), and
//!   `2011-06-09`. In the two order-date columns (`PQ First Sent to Client Date`, `PO Sent to Vendor Date`) the
//!   `YYYY-MM-DD` values are `M/D/YY` dates that a spreadsheet re-read as `YY/MM/DD` (only days up to 12 were
//!   re-read, and read literally 16 % of them fall after the delivery they ordered): [`order_date`] reads them
//!   back and keeps whichever reading is plausible for the scheduled date.
//! - Words instead of dates: `Date Not Captured`, `Pre-PQ Process`, `N/A - From RDC` ([`DateProblem`]).
//! - Words instead of amounts in `Weight (Kilograms)` and `Freight Cost (USD)`: `See ASN-93 (ID#:1281)` (the
//!   amount is on another line of the same shipment), `Freight Included in Commodity Cost`,
//!   `Weight Captured Separately`, `Invoiced Separately` ([`Amount`]).

use chrono::{Datelike, NaiveDate};
use thiserror::Error;

pub const COLUMN_ID: &str = "ID";
pub const COLUMN_PROJECT_CODE: &str = "Project Code";
pub const COLUMN_PQ_NUMBER: &str = "PQ #";
pub const COLUMN_PO_NUMBER: &str = "PO / SO #";
pub const COLUMN_COUNTRY: &str = "Country";
pub const COLUMN_FULFILL_VIA: &str = "Fulfill Via";
pub const COLUMN_INCO_TERM: &str = "Vendor INCO Term";
pub const COLUMN_SHIPMENT_MODE: &str = "Shipment Mode";
pub const COLUMN_PQ_SENT: &str = "PQ First Sent to Client Date";
pub const COLUMN_PO_SENT: &str = "PO Sent to Vendor Date";
pub const COLUMN_SCHEDULED: &str = "Scheduled Delivery Date";
pub const COLUMN_DELIVERED: &str = "Delivered to Client Date";
pub const COLUMN_PRODUCT_GROUP: &str = "Product Group";
pub const COLUMN_SUB_CLASSIFICATION: &str = "Sub Classification";
pub const COLUMN_VENDOR: &str = "Vendor";
pub const COLUMN_DOSAGE_FORM: &str = "Dosage Form";
pub const COLUMN_QUANTITY: &str = "Line Item Quantity";
pub const COLUMN_VALUE: &str = "Line Item Value";
pub const COLUMN_PACK_PRICE: &str = "Pack Price";
pub const COLUMN_UNIT_PRICE: &str = "Unit Price";
pub const COLUMN_FIRST_LINE: &str = "First Line Designation";
pub const COLUMN_WEIGHT: &str = "Weight (Kilograms)";
pub const COLUMN_FREIGHT: &str = "Freight Cost (USD)";

/// Columns every file must have: without them a line cannot even be keyed or placed in time.
pub const REQUIRED_COLUMNS: [&str; 5] = [
    COLUMN_ID,
    COLUMN_VENDOR,
    COLUMN_SHIPMENT_MODE,
    COLUMN_COUNTRY,
    COLUMN_SCHEDULED,
];

/// An order date more than this before its scheduled delivery is not believed (the longest real lead times in
/// the history are about three years).
const ORDER_DATE_MAX_LEAD_DAYS: i64 = 4 * 366;
/// An order date may be recorded a little after the scheduled delivery it ordered (rescheduling), not more.
const ORDER_DATE_MAX_AFTER_SCHEDULED_DAYS: i64 = 31;

/// Why the text could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScmsError {
    #[error("the header has no column {column:?}")]
    MissingColumn { column: String },
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
}

/// One PO line of the history (or one to score): what was asked, and, when known, when it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: String,
    /// The line of the file it came from, 1 for the first line after the header's.
    pub line: u64,
    pub vendor: String,
    pub shipment_mode: String,
    pub country: String,
    pub fulfill_via: String,
    pub inco_term: String,
    pub product_group: String,
    pub sub_classification: String,
    pub dosage_form: String,
    pub first_line_designation: String,
    pub po_number: String,
    pub project_code: String,
    /// `PQ #` says `Pre-PQ Process`: ordered before SCMS's price quotation process existed for it.
    pub pre_pq_process: bool,
    pub scheduled: Option<NaiveDate>,
    pub po_sent: Option<NaiveDate>,
    pub pq_sent: Option<NaiveDate>,
    /// `Delivered to Client Date`: the outcome, absent in files to score.
    pub delivered: Result<NaiveDate, DateProblem>,
    pub line_item_quantity: Option<f64>,
    pub line_item_value: Option<f64>,
    pub pack_price: Option<f64>,
    pub unit_price: Option<f64>,
    /// Recorded with the shipment's notice, so never a feature (see `features`); kept to be read faithfully.
    pub weight_kilograms: Amount,
    pub freight_cost_usd: Amount,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            id: String::new(),
            line: 0,
            vendor: String::new(),
            shipment_mode: String::new(),
            country: String::new(),
            fulfill_via: String::new(),
            inco_term: String::new(),
            product_group: String::new(),
            sub_classification: String::new(),
            dosage_form: String::new(),
            first_line_designation: String::new(),
            po_number: String::new(),
            project_code: String::new(),
            pre_pq_process: false,
            scheduled: None,
            po_sent: None,
            pq_sent: None,
            delivered: Err(DateProblem::Empty),
            line_item_quantity: None,
            line_item_value: None,
            pack_price: None,
            unit_price: None,
            weight_kilograms: Amount::Missing,
            freight_cost_usd: Amount::Missing,
        }
    }
}

/// Why a date column holds no date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum DateProblem {
    /// Empty, or the column is absent.
    #[default]
    Empty,
    /// `Date Not Captured`.
    NotCaptured,
    /// `Pre-PQ Process`, `N/A - From RDC`, `N/A`: the step did not happen for this line.
    NotApplicable,
    /// Anything else.
    Unreadable,
}

/// A weight or freight cost: a number, or what the export says instead.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Amount {
    Value(f64),
    /// `See ASN-93 (ID#:1281)`: recorded on line `id` of shipment `document`.
    SeeOtherLine {
        document: String,
        id: Option<u64>,
    },
    /// `Freight Included in Commodity Cost`.
    IncludedInCommodityCost,
    /// `Weight Captured Separately`.
    CapturedSeparately,
    /// `Invoiced Separately`.
    InvoicedSeparately,
    #[default]
    Missing,
    Unreadable(String),
}

/// A file read: its lines, and whether it carries outcomes at all.
#[derive(Debug, Clone, Default)]
pub struct ScmsFile {
    pub deliveries: Vec<Delivery>,
    pub has_delivered_column: bool,
    /// Lines left out because they have no ID (nothing to key or print them by).
    pub lines_without_id: usize,
}

/// Why a line is not used for training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    ScheduledDateUnreadable,
    DeliveryDateNotCaptured,
    DeliveryDateUnreadable,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            Self::ScheduledDateUnreadable => "no readable scheduled delivery date",
            Self::DeliveryDateNotCaptured => "delivery date not captured",
            Self::DeliveryDateUnreadable => "no readable delivery date",
        }
    }
}

/// Reads SCMS CSV text. Fails only on a header without a [`REQUIRED_COLUMNS`] column or on text the CSV reader
/// cannot split (an unterminated quote), naming the line.
pub fn parse_scms(text: &str) -> Result<ScmsFile, ScmsError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|error| csv_error(&error))?.clone();
    let columns = Columns::find(&header)?;
    let mut file = ScmsFile {
        deliveries: Vec::new(),
        has_delivered_column: columns.delivered.is_some(),
        lines_without_id: 0,
    };
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(&error))?;
        let line = record
            .position()
            .map_or(0, |position| position.line().saturating_sub(1));
        let delivery = columns.read(&record, line);
        if delivery.id.is_empty() {
            file.lines_without_id += 1;
            continue;
        }
        file.deliveries.push(delivery);
    }
    Ok(file)
}

fn csv_error(error: &csv::Error) -> ScmsError {
    let line = error.position().map_or(0, csv::Position::line);
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8".to_owned(),
        _ => error.to_string(),
    };
    ScmsError::Csv { line, message }
}

/// Where each column is; `None` for an optional column the header lacks.
struct Columns {
    id: usize,
    vendor: usize,
    shipment_mode: usize,
    country: usize,
    scheduled: usize,
    delivered: Option<usize>,
    pq_number: Option<usize>,
    project_code: Option<usize>,
    po_number: Option<usize>,
    fulfill_via: Option<usize>,
    inco_term: Option<usize>,
    pq_sent: Option<usize>,
    po_sent: Option<usize>,
    product_group: Option<usize>,
    sub_classification: Option<usize>,
    dosage_form: Option<usize>,
    quantity: Option<usize>,
    value: Option<usize>,
    pack_price: Option<usize>,
    unit_price: Option<usize>,
    first_line: Option<usize>,
    weight: Option<usize>,
    freight: Option<usize>,
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Self, ScmsError> {
        let optional = |name: &str| header.iter().position(|column| column.trim() == name);
        let required = |name: &str| {
            optional(name).ok_or_else(|| ScmsError::MissingColumn {
                column: name.to_owned(),
            })
        };
        Ok(Self {
            id: required(COLUMN_ID)?,
            vendor: required(COLUMN_VENDOR)?,
            shipment_mode: required(COLUMN_SHIPMENT_MODE)?,
            country: required(COLUMN_COUNTRY)?,
            scheduled: required(COLUMN_SCHEDULED)?,
            delivered: optional(COLUMN_DELIVERED),
            pq_number: optional(COLUMN_PQ_NUMBER),
            project_code: optional(COLUMN_PROJECT_CODE),
            po_number: optional(COLUMN_PO_NUMBER),
            fulfill_via: optional(COLUMN_FULFILL_VIA),
            inco_term: optional(COLUMN_INCO_TERM),
            pq_sent: optional(COLUMN_PQ_SENT),
            po_sent: optional(COLUMN_PO_SENT),
            product_group: optional(COLUMN_PRODUCT_GROUP),
            sub_classification: optional(COLUMN_SUB_CLASSIFICATION),
            dosage_form: optional(COLUMN_DOSAGE_FORM),
            quantity: optional(COLUMN_QUANTITY),
            value: optional(COLUMN_VALUE),
            pack_price: optional(COLUMN_PACK_PRICE),
            unit_price: optional(COLUMN_UNIT_PRICE),
            first_line: optional(COLUMN_FIRST_LINE),
            weight: optional(COLUMN_WEIGHT),
            freight: optional(COLUMN_FREIGHT),
        })
    }

    fn read(&self, record: &csv::StringRecord, line: u64) -> Delivery {
        let field = |index: usize| record.get(index).unwrap_or("").trim();
        let optional = |index: Option<usize>| index.map_or("", field);
        let text = |index: Option<usize>| optional(index).to_owned();
        let number = |index: Option<usize>| parse_number(optional(index));
        let scheduled = parse_date(field(self.scheduled)).ok();
        Delivery {
            id: field(self.id).to_owned(),
            line,
            vendor: field(self.vendor).to_owned(),
            shipment_mode: field(self.shipment_mode).to_owned(),
            country: field(self.country).to_owned(),
            fulfill_via: text(self.fulfill_via),
            inco_term: text(self.inco_term),
            product_group: text(self.product_group),
            sub_classification: text(self.sub_classification),
            dosage_form: text(self.dosage_form),
            first_line_designation: text(self.first_line),
            po_number: text(self.po_number),
            project_code: text(self.project_code),
            pre_pq_process: optional(self.pq_number).eq_ignore_ascii_case("Pre-PQ Process"),
            scheduled,
            po_sent: order_date(optional(self.po_sent), scheduled),
            pq_sent: order_date(optional(self.pq_sent), scheduled),
            delivered: parse_date(optional(self.delivered)),
            line_item_quantity: number(self.quantity),
            line_item_value: number(self.value),
            pack_price: number(self.pack_price),
            unit_price: number(self.unit_price),
            weight_kilograms: parse_amount(optional(self.weight)),
            freight_cost_usd: parse_amount(optional(self.freight)),
        }
    }
}

/// Whether a line can train the model, and if so whether it arrived late (delivered after the scheduled day).
pub fn training_outcome(delivery: &Delivery) -> Result<bool, SkipReason> {
    let Some(scheduled) = delivery.scheduled else {
        return Err(SkipReason::ScheduledDateUnreadable);
    };
    match delivery.delivered {
        Ok(delivered) => Ok(delivered > scheduled),
        Err(DateProblem::NotCaptured | DateProblem::Empty | DateProblem::NotApplicable) => {
            Err(SkipReason::DeliveryDateNotCaptured)
        }
        Err(DateProblem::Unreadable) => Err(SkipReason::DeliveryDateUnreadable),
    }
}

/// A date in any of the export's forms (see the module doc); words that stand for no date are told apart.
pub fn parse_date(text: &str) -> Result<NaiveDate, DateProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DateProblem::Empty);
    }
    if text.eq_ignore_ascii_case("Date Not Captured") {
        return Err(DateProblem::NotCaptured);
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("pre-pq") || lower.starts_with("n/a") {
        return Err(DateProblem::NotApplicable);
    }
    for format in ["%d-%b-%y", "%d-%b-%Y", "%Y-%m-%d"] {
        if let Some(date) = parse_with(text, format) {
            return Ok(date);
        }
    }
    parse_month_first(text).ok_or(DateProblem::Unreadable)
}

fn parse_with(text: &str, format: &str) -> Option<NaiveDate> {
    // chrono reads `%Y` from two digits as year 6, so the two-digit form is tried first and a four-digit
    // year is required to have four digits.
    let date = NaiveDate::parse_from_str(text, format).ok()?;
    if format.ends_with("%Y") && text.rsplit('-').next().is_none_or(|year| year.len() != 4) {
        return None;
    }
    if format.ends_with("%y") && text.rsplit('-').next().is_none_or(|year| year.len() != 2) {
        return None;
    }
    Some(date)
}

/// `M/D/YY` or `M/D/YYYY`; two-digit years are 2000 to 2099.
fn parse_month_first(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('/');
    let month: u32 = parts.next()?.trim().parse().ok()?;
    let day: u32 = parts.next()?.trim().parse().ok()?;
    let year_text = parts.next()?.trim();
    if parts.next().is_some() {
        return None;
    }
    let year: i32 = year_text.parse().ok()?;
    let year = match year_text.len() {
        2 => 2000 + year,
        4 => year,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// An order date (PO or PQ sent), kept only when plausible for the line's scheduled delivery; a `YYYY-MM-DD`
/// value is first read back as the `M/D/YY` date a spreadsheet turned it into (see the module doc).
pub fn order_date(text: &str, scheduled: Option<NaiveDate>) -> Option<NaiveDate> {
    let literal = parse_date(text).ok()?;
    let Some(scheduled) = scheduled else {
        return Some(literal);
    };
    let plausible = |date: NaiveDate| {
        let lead_days = (scheduled - date).num_days();
        (-ORDER_DATE_MAX_AFTER_SCHEDULED_DAYS..=ORDER_DATE_MAX_LEAD_DAYS).contains(&lead_days)
    };
    if is_iso_form(text)
        && let Some(swapped) = spreadsheet_swapped(literal)
        && plausible(swapped)
    {
        return Some(swapped);
    }
    plausible(literal).then_some(literal)
}

fn is_iso_form(text: &str) -> bool {
    let bytes = text.trim().as_bytes();
    bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-'
}

/// `20YY-MM-DD` read back as the `M/D/YY` it came from: month `YY`, day `MM`, year `20DD`.
fn spreadsheet_swapped(literal: NaiveDate) -> Option<NaiveDate> {
    let month = u32::try_from(literal.year() - 2000).ok()?;
    NaiveDate::from_ymd_opt(2000 + literal.day() as i32, month, literal.month())
}

/// A plain number, with thousands separators allowed; anything else is `None`.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text.trim().chars().filter(|&c| c != ',').collect();
    let value: f64 = cleaned.parse().ok()?;
    value.is_finite().then_some(value)
}

/// A weight or freight cost as the export writes it.
pub fn parse_amount(text: &str) -> Amount {
    let text = text.trim();
    if text.is_empty() {
        return Amount::Missing;
    }
    if let Some(value) = parse_number(text) {
        return Amount::Value(value);
    }
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("see ") {
        let document_length = rest.find(' ').unwrap_or(rest.len());
        let document = text[4..4 + document_length].to_owned();
        let id = text
            .split_once("ID#:")
            .and_then(|(_, tail)| tail.trim_end_matches(')').trim().parse().ok());
        return Amount::SeeOtherLine { document, id };
    }
    if lower.contains("included in commodity cost") {
        return Amount::IncludedInCommodityCost;
    }
    if lower.contains("captured separately") {
        return Amount::CapturedSeparately;
    }
    if lower.contains("invoiced separately") {
        return Amount::InvoicedSeparately;
    }
    Amount::Unreadable(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn each_date_form_is_read() {
        assert_eq!(parse_date("02-Jun-06"), Ok(day(2006, 6, 2)));
        assert_eq!(parse_date("2-Jun-2006"), Ok(day(2006, 6, 2)));
        assert_eq!(parse_date("2/6/2006"), Ok(day(2006, 2, 6)));
        assert_eq!(parse_date("11/21/11"), Ok(day(2011, 11, 21)));
        assert_eq!(parse_date("2011-06-09"), Ok(day(2011, 6, 9)));
        assert_eq!(parse_date("Date Not Captured"), Err(DateProblem::NotCaptured));
        assert_eq!(parse_date("Pre-PQ Process"), Err(DateProblem::NotApplicable));
        assert_eq!(parse_date("N/A - From RDC"), Err(DateProblem::NotApplicable));
        assert_eq!(parse_date(""), Err(DateProblem::Empty));
        assert_eq!(parse_date("31-Feb-06"), Err(DateProblem::Unreadable));
        assert_eq!(parse_date("13/40/10"), Err(DateProblem::Unreadable));
    }

    #[test]
    fn a_spreadsheet_swapped_order_date_is_read_back() {
        // 5/9/12 (9 May 2012) became 2005-09-12.
        assert_eq!(order_date("2005-09-12", Some(day(2012, 8, 7))), Some(day(2012, 5, 9)));
        // A true ISO date whose swap is no date stays literal.
        assert_eq!(order_date("2014-03-05", Some(day(2014, 6, 1))), Some(day(2014, 3, 5)));
        // Neither reading is plausible: no date.
        assert_eq!(order_date("2001-01-01", Some(day(2012, 1, 1))), None);
        assert_eq!(order_date("3/19/10", Some(day(2010, 6, 1))), Some(day(2010, 3, 19)));
    }

    #[test]
    fn each_amount_form_is_read() {
        assert_eq!(parse_amount("1,234.5"), Amount::Value(1234.5));
        assert_eq!(
            parse_amount("See ASN-93 (ID#:1281)"),
            Amount::SeeOtherLine {
                document: "ASN-93".to_owned(),
                id: Some(1281)
            }
        );
        assert_eq!(
            parse_amount("Freight Included in Commodity Cost"),
            Amount::IncludedInCommodityCost
        );
        assert_eq!(parse_amount("Weight Captured Separately"), Amount::CapturedSeparately);
        assert_eq!(parse_amount("Invoiced Separately"), Amount::InvoicedSeparately);
        assert_eq!(parse_amount(""), Amount::Missing);
        assert_eq!(parse_amount("lots"), Amount::Unreadable("lots".to_owned()));
    }
}
