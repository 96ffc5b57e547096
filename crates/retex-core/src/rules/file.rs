//! The rules file: TOML in, [`Rules`] out, with every error naming its line and key.
//!
//! ```toml
//! [severity]                       # impact bands
//! critical = 1000
//! [types.count_variance]           # a built-in type: enabled, team, severity_floor and its parameters
//! tolerance_units = 3
//! [[types.count_variance.overrides]]
//! location_kind = "warehouse"      # and/or location = "S001", category = "Grocery/Fresh"
//! tolerance_share = 0.02
//! [custom.bulk_sale]               # a custom type
//! on = ["sale"]
//! category = "loss_prevention"
//! condition = "event.qty >= 50"
//! key = ["location", "sku"]
//! impact = "event.qty * event.unit_price"
//! team = "loss prevention"
//! ```
//! The built-in types' sections are read by the `types` submodule, the workflow sections (`sla`, `calendar`,
//! `teams`, `shifts`, `ownership`, `approvals`) by `workflow`, the custom types by `custom`.
//! The file is read into toml's spanned tree, not through serde, so that every problem, including an unknown
//! key or a value out of range, can point at its line.

use std::borrow::Cow;
use std::fmt::Write;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

mod custom;
mod types;
mod workflow;

use super::expr::Expr;
use super::{CountRule, ExceptionType, Rules, Severity, Shard};
use crate::codes::parse_decimal;
use crate::event::LocationKind;

/// One problem in a rules file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {key}: {problem}")]
pub struct RuleError {
    pub line: usize,
    /// The dotted path of the key, e.g. `types.count_variance.tolerance_units`.
    pub key: String,
    pub problem: String,
}

struct Reader<'t> {
    text: &'t str,
    errors: Vec<RuleError>,
    /// Exception type names to check once the whole file is read: name, span, key.
    type_names: Vec<(String, std::ops::Range<usize>, String)>,
}

type Entry<'i> = (&'i Spanned<Cow<'i, str>>, &'i Spanned<DeValue<'i>>);

impl Reader<'_> {
    fn line(&self, span: std::ops::Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())].matches('\n').count() + 1
    }

    fn error(&mut self, span: std::ops::Range<usize>, key: &str, problem: impl Into<String>) {
        let line = self.line(span);
        self.errors.push(RuleError {
            line,
            key: key.to_string(),
            problem: problem.into(),
        });
    }

    fn table<'i>(&mut self, value: &'i Spanned<DeValue<'i>>, key: &str) -> Option<&'i DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.error(value.span(), key, "expected a table");
                None
            }
        }
    }

    /// The tables of an array of tables (`[[name]]`), each with its path `key[index]` and its span; an entry that
    /// is not a table, or a value that is not an array, is reported (`written_as` shows the form expected) and
    /// skipped.
    fn array_of_tables<'i>(
        &mut self,
        value: &'i Spanned<DeValue<'i>>,
        key: &str,
        written_as: &str,
    ) -> Vec<(String, std::ops::Range<usize>, &'i DeTable<'i>)> {
        let DeValue::Array(items) = value.get_ref() else {
            self.error(value.span(), key, format!("expected an array of tables ({written_as})"));
            return Vec::new();
        };
        let mut tables = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let path = format!("{key}[{index}]");
            if let Some(table) = self.table(item, &path) {
                tables.push((path, item.span(), table));
            }
        }
        tables
    }

    fn string<'i>(&mut self, value: &'i Spanned<DeValue<'i>>, key: &str) -> Option<&'i str> {
        match value.get_ref() {
            DeValue::String(text) => Some(text),
            _ => {
                self.error(value.span(), key, "expected a string");
                None
            }
        }
    }

    fn boolean(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<bool> {
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            _ => {
                self.error(value.span(), key, "expected true or false");
                None
            }
        }
    }

    /// A number, 0 or more, exact (read from its text, never through a float).
    fn number(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<Decimal> {
        let text = match value.get_ref() {
            DeValue::Integer(integer) if integer.radix() == 10 => integer.as_str(),
            DeValue::Float(float) => float.as_str(),
            _ => {
                self.error(value.span(), key, "expected a number");
                return None;
            }
        };
        match parse_decimal(&text.replace('_', "")) {
            Ok(number) if !number.is_sign_negative() || number.is_zero() => Some(number),
            Ok(number) => {
                self.error(value.span(), key, format!("must not be negative, got {number}"));
                None
            }
            Err(_) => {
                self.error(value.span(), key, format!("{text} is not a decimal number"));
                None
            }
        }
    }

    fn strings<'i>(&mut self, value: &'i Spanned<DeValue<'i>>, key: &str) -> Vec<(&'i str, std::ops::Range<usize>)> {
        let DeValue::Array(items) = value.get_ref() else {
            self.error(value.span(), key, "expected an array of strings");
            return Vec::new();
        };
        let mut strings = Vec::new();
        for item in items {
            if let Some(text) = self.string(item, key) {
                strings.push((text, item.span()));
            }
        }
        strings
    }

    fn severity(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<Severity> {
        let text = self.string(value, key)?;
        let severity = match text {
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            other => {
                self.error(
                    value.span(),
                    key,
                    format!("{other:?} is not one of low, medium, high, critical"),
                );
                return None;
            }
        };
        Some(severity)
    }

    fn expression(&mut self, value: &Spanned<DeValue<'_>>, key: &str) -> Option<Expr> {
        let source = self.string(value, key)?;
        match Expr::compile(source) {
            Ok(expr) => Some(expr),
            Err(error) => {
                self.error(value.span(), key, error.to_string());
                None
            }
        }
    }
}

/// Reads a rules file. Every problem is reported, not just the first.
pub fn parse_rules(text: &str) -> Result<Rules, Vec<RuleError>> {
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(error) => {
            let span = error.span().unwrap_or(0..0);
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            return Err(vec![RuleError {
                line,
                key: "toml".into(),
                problem: error.message().trim().to_string(),
            }]);
        }
    };
    let mut reader = Reader {
        text,
        errors: Vec::new(),
        type_names: Vec::new(),
    };
    let mut rules = Rules::default();
    for (key, value) in root.get_ref().iter() {
        match key.get_ref().as_ref() {
            "severity" => read_severity(&mut reader, value, &mut rules),
            "types" => types::read_types(&mut reader, value, &mut rules),
            "custom" => custom::read_custom_types(&mut reader, value, &mut rules),
            "sla" => {
                let defaults = rules.sla.clone();
                workflow::read_sla(&mut reader, value, "sla", &mut rules.sla, &defaults);
            }
            "calendar" => workflow::read_calendar(&mut reader, value, &mut rules),
            "teams" => workflow::read_teams(&mut reader, value, &mut rules),
            "shifts" => workflow::read_shifts(&mut reader, value, &mut rules),
            "ownership" => workflow::read_ownership(&mut reader, value, &mut rules),
            "approvals" => workflow::read_approvals(&mut reader, value, &mut rules),
            "actions" => workflow::read_actions(&mut reader, value, &mut rules),
            "escalation" => workflow::read_escalation(&mut reader, value, &mut rules),
            "notify" => workflow::read_notify(&mut reader, value, &mut rules),
            "money" => read_money(&mut reader, value, &mut rules),
            "count_schedule" => read_count_schedule(&mut reader, value, &mut rules),
            "shard" => read_shard(&mut reader, value, &mut rules),
            other => reader.error(
                key.span(),
                other,
                "unknown section: use severity, money, sla, escalation, calendar, teams, shifts, ownership, \
                 approvals, actions, notify, count_schedule, shard, types or custom",
            ),
        }
    }
    workflow::check_type_names(&mut reader, &rules);
    if reader.errors.is_empty() {
        return Ok(rules);
    }
    reader.errors.sort_by_key(|error| error.line);
    Err(reader.errors)
}

/// Longest interval a count rule may set: a year.
const COUNT_EVERY_DAYS_MAX: u32 = 366;

/// `[count_schedule]`: a category path (or its first levels) = days between counts of each of its positions.
fn read_count_schedule(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "count_schedule") else {
        return;
    };
    for (key, value) in table.iter() {
        let category = key.get_ref().trim_matches('/');
        let path = format!("count_schedule.{}", key.get_ref());
        if category.is_empty() || category.split('/').any(str::is_empty) {
            reader.error(
                key.span(),
                &path,
                "a category path such as \"Home\" or \"Grocery/Drinks\"",
            );
            continue;
        }
        if rules.count_schedule.iter().any(|rule| rule.category == category) {
            reader.error(key.span(), &path, format!("{category} is scheduled twice"));
            continue;
        }
        let days = reader.number(value, &path);
        let whole_days = days
            .filter(|days| days.fract().is_zero())
            .and_then(|days| days.to_u32());
        match whole_days {
            Some(every_days) if (1..=COUNT_EVERY_DAYS_MAX).contains(&every_days) => {
                rules.count_schedule.push(CountRule {
                    category: category.to_owned(),
                    every_days,
                });
            }
            _ if days.is_none() => {}
            _ => reader.error(
                value.span(),
                &path,
                format!("days between counts: a whole number from 1 to {COUNT_EVERY_DAYS_MAX}"),
            ),
        }
    }
    rules.count_schedule.sort_by(|a, b| a.category.cmp(&b.category));
}

fn read_severity(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "severity") else {
        return;
    };
    for (key, value) in table.iter() {
        let path = format!("severity.{}", key.get_ref());
        let slot = match key.get_ref().as_ref() {
            "critical" => &mut rules.severity.critical,
            "high" => &mut rules.severity.high,
            "medium" => &mut rules.severity.medium,
            _ => {
                reader.error(key.span(), &path, "unknown band: use critical, high or medium");
                continue;
            }
        };
        if let Some(number) = reader.number(value, &path) {
            *slot = number;
        }
    }
    let bands = &rules.severity;
    if !(bands.medium <= bands.high && bands.high <= bands.critical) {
        reader.error(value.span(), "severity", "bands must rise: medium <= high <= critical");
    }
}

/// `[shard]`: `regions`, the regions this deployment answers for (at least one), and `home`, whether it also
/// answers for what has no location or no region.
fn read_shard(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "shard") else {
        return;
    };
    let mut shard = Shard {
        regions: Vec::new(),
        home: false,
    };
    for (key, value) in table.iter() {
        let path = format!("shard.{}", key.get_ref());
        match key.get_ref().as_ref() {
            "regions" => {
                for (region, span) in reader.strings(value, &path) {
                    if region.trim().is_empty() || shard.regions.iter().any(|own| own == region) {
                        reader.error(span, &path, format!("{region:?}: a region named once, not blank"));
                    } else {
                        shard.regions.push(region.to_owned());
                    }
                }
            }
            "home" => shard.home = reader.boolean(value, &path).unwrap_or(false),
            _ => reader.error(key.span(), &path, "unknown key; [shard] takes regions and home"),
        }
    }
    if shard.regions.is_empty() {
        reader.error(value.span(), "shard.regions", "a shard answers for one region at least");
    }
    shard.regions.sort();
    rules.shard = Some(shard);
}

/// `[money]`: the company currency every amount is in, as an ISO 4217 code.
fn read_money(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "money") else {
        return;
    };
    for (key, value) in table.iter() {
        let path = format!("money.{}", key.get_ref());
        if key.get_ref() != "currency" {
            reader.error(key.span(), &path, "unknown key; [money] takes currency");
            continue;
        }
        let Some(code) = reader.string(value, &path) else {
            continue;
        };
        if code.len() == 3 && code.bytes().all(|byte| byte.is_ascii_uppercase()) {
            rules.currency = code.to_owned();
        } else {
            reader.error(
                value.span(),
                &path,
                format!("{code:?} is not an ISO 4217 code: three capital letters, like EUR"),
            );
        }
    }
}

/// Longest standard operating procedure a type may have, in characters: a few short paragraphs.
pub const PROCEDURE_CHARS_MAX: usize = 2_000;

/// A type's `procedure`: text, not blank, at most [`PROCEDURE_CHARS_MAX`] characters.
fn read_procedure(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, path: &str) -> Option<String> {
    let text = reader.string(value, path)?.trim();
    if text.is_empty() {
        reader.error(
            value.span(),
            path,
            "must say what to do; leave it out for the built-in text",
        );
        return None;
    }
    let chars = text.chars().count();
    if chars > PROCEDURE_CHARS_MAX {
        reader.error(
            value.span(),
            path,
            format!("is {chars} characters; at most {PROCEDURE_CHARS_MAX}"),
        );
        return None;
    }
    Some(text.to_owned())
}

fn read_location_kind(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, path: &str) -> Option<LocationKind> {
    match reader.string(value, path)? {
        "store" => Some(LocationKind::Store),
        "warehouse" => Some(LocationKind::Warehouse),
        "web" => Some(LocationKind::Web),
        other => {
            reader.error(
                value.span(),
                path,
                format!("{other:?} is not one of store, warehouse, web"),
            );
            None
        }
    }
}

/// The default rules written as a rules file: every type, team, floor and parameter as exceptions.md says.
pub fn default_rules_toml() -> String {
    let rules = Rules::default();
    let mut text = String::from(
        "# Retex rules: the built-in defaults of exceptions.md and workflow.md.\n\
         # Edit and check with `retex rules check FILE`. A type's `team = \"location\"` means the team of the\n\
         # exception's location (`store S001`). Overrides: [[types.NAME.overrides]] with location, location_kind\n\
         # and/or category, and the parameters to change there; the most specific match wins.\n\
         # Workflow sections (sla, calendar, teams, shifts, ownership, approvals): see docs/rules.md.\n\
         # A type's `procedure` replaces its built-in standard operating procedure (commented out below), which\n\
         # the exception page shows under \"What to do\".\n\n",
    );
    let bands = &rules.severity;
    let _ = write!(
        text,
        "[severity]\ncritical = {}\nhigh = {}\nmedium = {}\n\n[money]\ncurrency = {:?}\n",
        bands.critical, bands.high, bands.medium, rules.currency
    );
    for exception_type in ExceptionType::ALL {
        let rule = rules.rule(exception_type);
        let _ = write!(
            text,
            "\n[types.{}]  # {}\nenabled = {}\nteam = {:?}\nseverity_floor = {:?}\n",
            exception_type.name(),
            exception_type.category(),
            rule.enabled,
            rule.team,
            rule.severity_floor.name()
        );
        for (param, value) in &rule.params {
            let _ = writeln!(text, "{} = {}", param.name(), value);
        }
        let _ = writeln!(text, "# procedure = {:?}", exception_type.default_procedure());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Param;

    fn errors(text: &str) -> Vec<String> {
        parse_rules(text).unwrap_err().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_default_file_reads_back_as_the_defaults() {
        let rules = parse_rules(&default_rules_toml()).unwrap();
        assert_eq!(rules, Rules::default());
        assert_eq!(rules.version(), Rules::default().version());
    }

    #[test]
    fn errors_name_line_and_key() {
        let text =
            "[types.count_variance]\ntolerance_units = -1\ntolerance_sharee = 0.1\n\n[types.nope]\nenabled = true\n";
        assert_eq!(
            errors(text),
            vec![
                "line 2: types.count_variance.tolerance_units: must not be negative, got -1".to_string(),
                "line 3: types.count_variance.tolerance_sharee: unknown key for count_variance; it takes tolerance_units, tolerance_share, enabled, team, severity_floor, require_evidence, sla, procedure, overrides".to_string(),
                "line 5: types.nope: unknown exception type; the built-in ones are count_variance, negative_stock, low_stock, phantom_stock, transfer_overdue, transfer_mismatch, po_late, po_short, damaged_receipt, price_mismatch, promotion_conflict, return_policy, refund_overdue, order_at_risk, allocation_short, order_cancelled_stockout, customer_complaint, master_data, store_exception_rate, po_late_risk, shrink_anomaly, count_overdue, recurring_problem".to_string(),
            ]
        );
        assert_eq!(
            errors("[severity\n"),
            vec!["line 1: toml: unclosed table, expected `]`".to_string()]
        );
    }

    #[test]
    fn a_shard_names_its_regions_once_each() {
        let rules = parse_rules("[shard]\nregions = [\"uk\", \"central-europe\"]\nhome = true\n").unwrap();
        let shard = rules.shard.expect("a shard");
        assert_eq!(shard.regions, ["central-europe", "uk"]);
        assert!(shard.answers_for(Some("uk")) && shard.answers_for(None) && !shard.answers_for(Some("us-east")));
        let found = errors("[shard]\nregions = [\"uk\", \"uk\"]\nhom = true\n");
        assert_eq!(
            found,
            [
                "line 2: shard.regions: \"uk\": a region named once, not blank",
                "line 3: shard.hom: unknown key; [shard] takes regions and home"
            ]
        );
        assert_eq!(
            errors("[shard]\nhome = true\n"),
            ["line 1: shard.regions: a shard answers for one region at least"]
        );
    }

    #[test]
    fn procedures_and_the_currency_are_read_and_checked() {
        let text = "[money]\ncurrency = \"CHF\"\n\n[types.count_variance]\nprocedure = \"  Recount first.  \"\n\n\
                    [custom.bulk]\non = [\"sale\"]\ncondition = \"event.qty > 9\"\nkey = [\"sku\"]\nprocedure = \"Call LP.\"\n";
        let rules = parse_rules(text).unwrap();
        assert_eq!(rules.currency, "CHF");
        assert_eq!(rules.procedure(ExceptionType::CountVariance), "Recount first.");
        assert_eq!(
            rules.procedure(ExceptionType::PoShort),
            ExceptionType::PoShort.default_procedure()
        );
        assert_eq!(rules.custom[0].procedure.as_deref(), Some("Call LP."));
        assert_ne!(
            rules.version(),
            Rules::default().version(),
            "a procedure is part of the version"
        );
        let only_currency = parse_rules("[money]\ncurrency = \"CHF\"\n").unwrap();
        assert_ne!(only_currency.version(), Rules::default().version());
        let explicit_default = parse_rules("[money]\ncurrency = \"EUR\"\n").unwrap();
        assert_eq!(explicit_default.version(), Rules::default().version());

        let long = "x".repeat(PROCEDURE_CHARS_MAX + 1);
        let text = format!(
            "[money]\ncurrency = \"euro\"\nsymbol = \"E\"\n[types.po_late]\nprocedure = \" \"\nprocedur = \"x\"\n\
             [types.po_short]\nprocedure = \"{long}\"\n[custom.bulk]\non = [\"sale\"]\ncondition = \"true\"\n\
             key = [\"sku\"]\nsteps = \"x\"\n"
        );
        let found = errors(&text);
        assert_eq!(found.len(), 6, "{found:?}");
        assert_eq!(
            found[0],
            "line 2: money.currency: \"euro\" is not an ISO 4217 code: three capital letters, like EUR"
        );
        assert_eq!(found[1], "line 3: money.symbol: unknown key; [money] takes currency");
        assert_eq!(
            found[2],
            "line 5: types.po_late.procedure: must say what to do; leave it out for the built-in text"
        );
        assert!(
            found[3].starts_with("line 6: types.po_late.procedur: unknown key for po_late; it takes"),
            "{}",
            found[3]
        );
        assert_eq!(
            found[4],
            format!(
                "line 8: types.po_short.procedure: is {} characters; at most 2000",
                PROCEDURE_CHARS_MAX + 1
            )
        );
        assert!(
            found[5].starts_with("line 13: custom.bulk.steps: unknown key;"),
            "{}",
            found[5]
        );
    }

    #[test]
    fn custom_types_are_checked() {
        let text = "[custom.bulk]\non = [\"sale\", \"sold\"]\ncondition = \"event.qtty > 1\"\nkey = [\"sku\"]\n";
        let found = errors(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0], "line 2: custom.bulk.on: \"sold\" is not an event type");
        assert!(
            found[1].starts_with("line 3: custom.bulk.condition: `event` has no field `qtty`"),
            "{}",
            found[1]
        );
    }

    #[test]
    fn overrides_pick_the_most_specific_scope() {
        let text = "[types.count_variance]\ntolerance_units = 3\n\
            [[types.count_variance.overrides]]\nlocation_kind = \"warehouse\"\ntolerance_units = 10\n\
            [[types.count_variance.overrides]]\ncategory = \"Grocery\"\ntolerance_units = 4\n\
            [[types.count_variance.overrides]]\ncategory = \"Grocery/Fresh\"\ntolerance_units = 6\n\
            [[types.count_variance.overrides]]\nlocation = \"S001\"\ntolerance_units = 1\n";
        let rules = parse_rules(text).unwrap();
        let lookup = |location, location_kind, category| {
            let context = super::super::ScopeContext {
                location,
                location_kind,
                category,
            };
            rules.param(ExceptionType::CountVariance, Param::ToleranceUnits, &context)
        };
        assert_eq!(
            lookup(Some("S002"), Some(LocationKind::Store), Some("Toys/Games")),
            Decimal::from(3)
        );
        assert_eq!(
            lookup(Some("W1"), Some(LocationKind::Warehouse), Some("Toys")),
            Decimal::from(10)
        );
        assert_eq!(
            lookup(Some("W1"), Some(LocationKind::Warehouse), Some("Grocery/Dry")),
            Decimal::from(4)
        );
        assert_eq!(
            lookup(Some("S002"), Some(LocationKind::Store), Some("Grocery/Fresh/Fruit")),
            Decimal::from(6)
        );
        assert_eq!(
            lookup(Some("S002"), Some(LocationKind::Store), Some("Grocery/Freshly")),
            Decimal::from(4)
        );
        assert_eq!(
            lookup(Some("S001"), Some(LocationKind::Store), Some("Grocery/Fresh")),
            Decimal::from(1)
        );
        // Unchanged parameters keep the type's value.
        let context = super::super::ScopeContext {
            location: Some("S001"),
            ..Default::default()
        };
        assert_eq!(
            rules.param(ExceptionType::CountVariance, Param::ToleranceShare, &context),
            "0.05".parse().unwrap()
        );
    }
}
