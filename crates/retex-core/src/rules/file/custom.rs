//! The `[custom.NAME]` sections: custom exception types, each a condition in the expression language over the
//! events it watches, with its key, impact, team and severity floor.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{Reader, read_procedure};
use crate::event::EVENT_TYPES;
use crate::rules::expr::Expr;
use crate::rules::{CustomType, ExceptionType, KeyPart, Rules, Severity};

pub(super) fn read_custom_types(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "custom") else {
        return;
    };
    for (key, value) in table.iter() {
        let name = key.get_ref().to_string();
        let path = format!("custom.{name}");
        if ExceptionType::from_name(&name).is_some() {
            reader.error(
                key.span(),
                &path,
                "a built-in type has this name; configure it under [types] instead",
            );
            continue;
        }
        let Some(fields) = reader.table(value, &path) else {
            continue;
        };
        if let Some(custom) = read_custom_type(reader, name, fields, value.span(), &path) {
            rules.custom.push(custom);
        }
    }
}

fn read_custom_type(
    reader: &mut Reader<'_>,
    name: String,
    fields: &DeTable<'_>,
    span: std::ops::Range<usize>,
    path: &str,
) -> Option<CustomType> {
    let mut custom = CustomType {
        name,
        enabled: true,
        on: Vec::new(),
        category: "custom".into(),
        condition: Expr::compile("false").expect("a literal compiles"),
        key: Vec::new(),
        impact: None,
        team: "operations".into(),
        severity_floor: Severity::Low,
        procedure: None,
    };
    let has = |name: &str| fields.iter().any(|(key, _)| key.get_ref() == name);
    let (has_on, has_condition, has_key) = (has("on"), has("condition"), has("key"));
    for (key, value) in fields.iter() {
        let key_path = format!("{path}.{}", key.get_ref());
        match key.get_ref().as_ref() {
            "enabled" => custom.enabled = reader.boolean(value, &key_path).unwrap_or(true),
            "on" => custom.on = read_event_kinds(reader, value, &key_path),
            "category" => custom.category = reader.string(value, &key_path).unwrap_or("custom").to_string(),
            "condition" => {
                if let Some(condition) = reader.expression(value, &key_path) {
                    custom.condition = condition;
                }
            }
            "key" => custom.key = read_key_parts(reader, value, &key_path),
            "impact" => custom.impact = reader.expression(value, &key_path),
            "team" => custom.team = reader.string(value, &key_path).unwrap_or("operations").to_string(),
            "severity_floor" => custom.severity_floor = reader.severity(value, &key_path).unwrap_or(Severity::Low),
            "procedure" => custom.procedure = read_procedure(reader, value, &key_path),
            _ => reader.error(
                key.span(),
                &key_path,
                "unknown key; a custom type takes on, condition, key, impact, category, team, severity_floor, \
                 procedure, enabled",
            ),
        }
    }
    if !has_on {
        reader.error(span.clone(), path, "needs `on`: the event types it watches");
    }
    if !has_condition {
        reader.error(span.clone(), path, "needs `condition`");
    }
    if !has_key {
        reader.error(span, path, "needs `key`: some of location, sku, ref");
    }
    Some(custom)
}

fn read_event_kinds(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, path: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    for (kind, span) in reader.strings(value, path) {
        if EVENT_TYPES.contains(&kind) {
            kinds.push(kind.to_string());
        } else {
            reader.error(span, path, format!("{kind:?} is not an event type"));
        }
    }
    kinds
}

fn read_key_parts(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, path: &str) -> Vec<KeyPart> {
    let mut parts = Vec::new();
    for (part, span) in reader.strings(value, path) {
        match part {
            "location" => parts.push(KeyPart::Location),
            "sku" => parts.push(KeyPart::Sku),
            "ref" => parts.push(KeyPart::Ref),
            other => reader.error(span, path, format!("{other:?} is not one of location, sku, ref")),
        }
    }
    parts
}
