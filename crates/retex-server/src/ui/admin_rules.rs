//! Checking a rules file before it is applied: every problem with its line and key, or the file's version and
//! which parts of it differ from the active rules. Nothing here applies rules: a server runs the rules it was
//! started with, so a new file takes effect when the server is restarted with it (`retex serve --rules FILE`).

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::response::Response;
use retex_core::rules::file::{RuleError, parse_rules};
use retex_core::rules::{ExceptionType, Rules};
use serde_json::Value;

use super::admin::{Outcomes, admin_view};
use super::page::{PageUser, check_csrf, require_admin, shown};
use crate::error::{Failure, Outcome};
use crate::state::AppState;

/// Largest rules file the check takes.
pub const RULES_FILE_BYTES_MAX: usize = 1 << 20;

/// What checking a rules file found.
pub struct RulesCheck {
    pub file: String,
    /// Every problem, by line; empty when the file is valid.
    pub errors: Vec<RuleError>,
    /// The valid file's version.
    pub version: String,
    /// The parts of a valid file that differ from the active rules, by their section (`types.TYPE` for one type).
    pub differences: Vec<String>,
}

/// Reads a rules file and compares it with the active rules.
pub fn check_rules(file: String, text: &str, active: &Rules) -> RulesCheck {
    match parse_rules(text) {
        Ok(candidate) => RulesCheck {
            file,
            errors: Vec::new(),
            version: candidate.version(),
            differences: differing_sections(active, &candidate),
        },
        Err(errors) => RulesCheck {
            file,
            errors,
            version: String::new(),
            differences: Vec::new(),
        },
    }
}

/// The sections in which two rule sets differ, in the words of the rules file: each part of the rules' canonical
/// form (the one their version hashes) compared on its own.
fn differing_sections(active: &Rules, candidate: &Rules) -> Vec<String> {
    let (active_parts, candidate_parts) = (canonical_parts(active), canonical_parts(candidate));
    let mut differences = Vec::new();
    for (section, value) in &candidate_parts {
        let before = active_parts
            .iter()
            .find(|(name, _)| name == section)
            .map(|(_, value)| value);
        if before != Some(value) {
            differences.push(section.clone());
        }
    }
    differences
}

/// The rules as named sections and their canonical JSON: one per built-in type, the workflow's parts, the rest.
fn canonical_parts(rules: &Rules) -> Vec<(String, Value)> {
    let mut parts = Vec::new();
    let Value::Object(top) = to_value(rules) else {
        return parts;
    };
    for (key, value) in top {
        match key.as_str() {
            "workflow" => {}
            "types" => {
                let types = value.as_array().cloned().unwrap_or_default();
                for (kind, rule) in ExceptionType::ALL.iter().zip(types) {
                    parts.push((format!("types.{}", kind.name()), rule));
                }
            }
            "currency" => parts.push(("money".to_owned(), value)),
            _ => parts.push((key, value)),
        }
    }
    // The workflow is left out of the rules' form when it is empty: compare its parts from the struct itself.
    if let Value::Object(workflow) = to_value(&rules.workflow) {
        for (key, value) in workflow {
            let section = if key == "holidays" { "calendar".to_owned() } else { key };
            parts.push((section, value));
        }
    }
    for optional in ["count_schedule", "money"] {
        if !parts.iter().any(|(name, _)| name == optional) {
            parts.push((optional.to_owned(), Value::Null));
        }
    }
    parts
}

fn to_value(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).expect("rules always serialize")
}

/// The check form: a CSRF token and one file. The page comes back with what the check found.
pub(super) async fn check_upload(State(state): State<Arc<AppState>>, user: PageUser, form: Multipart) -> Response {
    let checked = async {
        require_admin(&user, "check rules files")?;
        let (csrf, file, text) = read_rules_upload(form).await?;
        check_csrf(&user, &csrf)?;
        let check = state
            .read(move |engine| Ok(check_rules(file, &text, engine.rules())))
            .await?;
        let outcomes = Outcomes {
            rules_check: Some(check),
            ..Outcomes::default()
        };
        admin_view(&state, &user, outcomes).await
    }
    .await;
    shown(checked)
}

/// The form's CSRF token, the file's name and its text.
async fn read_rules_upload(mut form: Multipart) -> Outcome<(String, String, String)> {
    let (mut csrf, mut file) = (String::new(), None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|error| Failure::bad_request(format!("the upload is malformed: {error}")))?
    {
        match field.name().unwrap_or_default() {
            "csrf" => {
                csrf = field
                    .text()
                    .await
                    .map_err(|error| Failure::bad_request(format!("csrf: {error}")))?;
            }
            "file" => {
                let name = field.file_name().unwrap_or("rules.toml").to_owned();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|error| Failure::bad_request(format!("file: {error}")))?;
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| Failure::bad_request(format!("file: {name} is not UTF-8 text")))?;
                file = Some((name, text));
            }
            _ => {}
        }
    }
    let (name, text) = file.ok_or_else(|| Failure::bad_request("file: choose a rules file (TOML) to check"))?;
    Ok((csrf, name, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_file_names_its_version_and_the_sections_that_differ() {
        let active = parse_rules("").unwrap();
        let text = "[types.count_variance]\ntolerance_units = 9\n[teams.store_team]\nmembers = [\"anna\"]\n";
        let check = check_rules("new.toml".into(), text, &active);
        assert!(check.errors.is_empty(), "{:?}", check.errors);
        assert_eq!(check.version, parse_rules(text).unwrap().version());
        assert_eq!(check.differences, ["types.count_variance", "teams"]);
        assert!(check_rules("same.toml".into(), "", &active).differences.is_empty());
    }

    #[test]
    fn an_invalid_file_lists_every_problem_with_its_line_and_key() {
        let active = parse_rules("").unwrap();
        let text = "[types.count_variance]\ntolerance_units = \"many\"\n\n[nonsense]\n";
        let check = check_rules("broken.toml".into(), text, &active);
        let found: Vec<(usize, &str)> = check
            .errors
            .iter()
            .map(|error| (error.line, error.key.as_str()))
            .collect();
        assert_eq!(found, [(2, "types.count_variance.tolerance_units"), (4, "nonsense")]);
        assert!(check.version.is_empty() && check.differences.is_empty());
    }
}
