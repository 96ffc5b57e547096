//! The `[types.NAME]` sections: a built-in type's switches, team, severity floor, procedure, SLA targets and
//! parameters, and its overrides by location, location kind or category.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use toml::Spanned;
use toml::de::DeValue;

use super::{Entry, Reader, read_location_kind, read_procedure};
use crate::rules::{ExceptionType, HISTORY_DAYS, Override, Param, Rules, Scope, TypeRule};

pub(super) fn read_types(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "types") else {
        return;
    };
    for (key, value) in table.iter() {
        let name = key.get_ref();
        let Some(exception_type) = ExceptionType::from_name(name) else {
            let known: Vec<&str> = ExceptionType::ALL.iter().map(|kind| kind.name()).collect();
            let problem = format!("unknown exception type; the built-in ones are {}", known.join(", "));
            reader.error(key.span(), &format!("types.{name}"), problem);
            continue;
        };
        let Some(fields) = reader.table(value, &format!("types.{name}")) else {
            continue;
        };
        let rule = &mut rules.types[exception_type.index()];
        for entry in fields.iter() {
            read_type_field(reader, exception_type, entry, rule);
        }
    }
}

fn read_type_field(reader: &mut Reader<'_>, exception_type: ExceptionType, entry: Entry<'_>, rule: &mut TypeRule) {
    let (key, value) = entry;
    let path = format!("types.{}.{}", exception_type.name(), key.get_ref());
    match key.get_ref().as_ref() {
        "enabled" => rule.enabled = reader.boolean(value, &path).unwrap_or(rule.enabled),
        "team" => {
            if let Some(team) = reader.string(value, &path) {
                rule.team = team.to_string();
            }
        }
        "severity_floor" => rule.severity_floor = reader.severity(value, &path).unwrap_or(rule.severity_floor),
        "require_evidence" => rule.require_evidence = reader.boolean(value, &path).unwrap_or(rule.require_evidence),
        "procedure" => rule.procedure = read_procedure(reader, value, &path).or(rule.procedure.take()),
        "sla" => {
            let mut targets = std::mem::take(&mut rule.sla);
            super::workflow::read_sla(reader, value, &path, &mut targets, &crate::rules::default_sla_targets());
            rule.sla = targets;
        }
        "overrides" => read_overrides(reader, exception_type, value, &path, rule),
        name => {
            if let Some((param, number)) = read_param(reader, exception_type, key, value, &path) {
                debug_assert_eq!(param.name(), name);
                rule.params.insert(param, number);
            }
        }
    }
}

fn read_param(
    reader: &mut Reader<'_>,
    exception_type: ExceptionType,
    key: &Spanned<Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
    path: &str,
) -> Option<(Param, Decimal)> {
    let known = exception_type.default_params();
    let param = Param::from_name(key.get_ref()).filter(|param| known.iter().any(|(candidate, _)| candidate == param));
    let Some(param) = param else {
        let mut names: Vec<&str> = known.iter().map(|(param, _)| param.name()).collect();
        names.extend([
            "enabled",
            "team",
            "severity_floor",
            "require_evidence",
            "sla",
            "procedure",
            "overrides",
        ]);
        reader.error(
            key.span(),
            path,
            format!(
                "unknown key for {}; it takes {}",
                exception_type.name(),
                names.join(", ")
            ),
        );
        return None;
    };
    let number = reader.number(value, path)?;
    let is_share = matches!(
        param,
        Param::ToleranceShare
            | Param::ReceivedShare
            | Param::Alpha
            | Param::MaxSilenceProbability
            | Param::StockoutProbability
    );
    if is_share && number > Decimal::ONE {
        reader.error(value.span(), path, format!("is a share: at most 1, got {number}"));
        return None;
    }
    if param == Param::StockoutProbability && (number.is_zero() || number == Decimal::ONE) {
        reader.error(value.span(), path, "is a probability: above 0 and below 1");
        return None;
    }
    if matches!(param, Param::Alpha | Param::MaxSilenceProbability) && number.is_zero() {
        reader.error(value.span(), path, "is a probability: above 0");
        return None;
    }
    let is_window = matches!(param, Param::VelocityWindowDays | Param::RateWindowDays);
    if is_window && (number.is_zero() || number > Decimal::from(HISTORY_DAYS as u64)) {
        reader.error(
            value.span(),
            path,
            format!("is a window in days: 1 to {HISTORY_DAYS}, got {number}"),
        );
        return None;
    }
    Some((param, number))
}

fn read_overrides(
    reader: &mut Reader<'_>,
    exception_type: ExceptionType,
    value: &Spanned<DeValue<'_>>,
    path: &str,
    rule: &mut TypeRule,
) {
    for (item_path, span, table) in reader.array_of_tables(value, path, "[[...overrides]]") {
        let mut scope = Scope::default();
        let mut params = BTreeMap::new();
        for (key, value) in table.iter() {
            let key_path = format!("{item_path}.{}", key.get_ref());
            match key.get_ref().as_ref() {
                "location" => scope.location = reader.string(value, &key_path).map(str::to_string),
                "category" => scope.category = reader.string(value, &key_path).map(str::to_string),
                "location_kind" => scope.location_kind = read_location_kind(reader, value, &key_path),
                _ => {
                    if let Some((param, number)) = read_param(reader, exception_type, key, value, &key_path) {
                        params.insert(param, number);
                    }
                }
            }
        }
        if scope == Scope::default() {
            reader.error(
                span.clone(),
                &item_path,
                "an override needs location, location_kind or category",
            );
        }
        rule.overrides.push(Override { scope, params });
    }
}
