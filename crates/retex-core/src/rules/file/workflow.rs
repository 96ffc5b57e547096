//! The workflow sections of a rules file: `[sla.SEVERITY]`, `[types.NAME.sla.SEVERITY]`, `[calendar]`,
//! `[teams.NAME]`, `[shifts.PERSON]`, `[[ownership]]` and `[approvals.TYPE]`.
//!
//! ```toml
//! [sla.high]                      # business minutes
//! acknowledge_minutes = 60
//! resolve_minutes = 480
//! [calendar]
//! holidays = ["2026-12-25"]       # locations with opening hours are closed all day
//! [teams."store S001"]
//! members = ["anna", "ben"]
//! lead = "carla"
//! assignment = "round_robin"      # or least_loaded, none
//! [shifts.anna]
//! days = ["mon", "tue", "wed", "thu", "fri"]
//! hours = "08:00-16:00"
//! timezone = "Europe/Paris"
//! [[ownership]]                   # most specific row wins: type, category, region, location_kind
//! type = "low_stock"
//! category = "Grocery/Drinks"
//! team = "drinks buyers"
//! [approvals.refund_overdue]      # four eyes above this impact
//! above = 200
//! role = "operations_lead"
//! ```

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use toml::Spanned;
use toml::de::DeValue;

use super::{Reader, read_location_kind};
use crate::event::OpeningHours;
use crate::rules::workflow::{
    ApprovalRule, Assignment, AutomatedAction, EscalationLevel, EscalationTarget, LevelTime, Ownership, Repeat, Secret,
    Shift, SmtpSetting, TaskKindRule, Team, Trigger, hide_password,
};
use crate::rules::{Rules, Severity, SlaTarget};

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// `[sla.SEVERITY]` tables: targets that replace the severity's.
pub(super) fn read_sla(
    reader: &mut Reader<'_>,
    value: &Spanned<DeValue<'_>>,
    path: &str,
    targets: &mut BTreeMap<Severity, SlaTarget>,
    defaults: &BTreeMap<Severity, SlaTarget>,
) {
    let Some(table) = reader.table(value, path) else {
        return;
    };
    for (key, value) in table.iter() {
        let severity_path = format!("{path}.{}", key.get_ref());
        let Some(severity) = severity_named(key.get_ref()) else {
            reader.error(key.span(), &severity_path, "not one of low, medium, high, critical");
            continue;
        };
        let Some(fields) = reader.table(value, &severity_path) else {
            continue;
        };
        let mut target = targets
            .get(&severity)
            .or_else(|| defaults.get(&severity))
            .copied()
            .expect("all severities");
        for (field, value) in fields.iter() {
            let field_path = format!("{severity_path}.{}", field.get_ref());
            let slot = match field.get_ref().as_ref() {
                "acknowledge_minutes" => &mut target.acknowledge_minutes,
                "resolve_minutes" => &mut target.resolve_minutes,
                _ => {
                    reader.error(field.span(), &field_path, "use acknowledge_minutes or resolve_minutes");
                    continue;
                }
            };
            match reader.number(value, &field_path).map(|minutes| minutes.to_i64()) {
                Some(Some(minutes)) if minutes > 0 => *slot = minutes,
                Some(_) => reader.error(value.span(), &field_path, "must be a whole number of minutes above 0"),
                None => {}
            }
        }
        if target.acknowledge_minutes > target.resolve_minutes {
            reader.error(
                value.span(),
                &severity_path,
                "acknowledge_minutes must not exceed resolve_minutes",
            );
        }
        targets.insert(severity, target);
    }
}

fn severity_named(name: &str) -> Option<Severity> {
    [Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
        .into_iter()
        .find(|severity| severity.name() == name)
}

/// `[calendar] holidays = [...]`.
pub(super) fn read_calendar(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "calendar") else {
        return;
    };
    for (key, value) in table.iter() {
        let path = format!("calendar.{}", key.get_ref());
        if key.get_ref() != "holidays" {
            reader.error(key.span(), &path, "unknown key: use holidays");
            continue;
        }
        for (text, span) in reader.strings(value, &path) {
            match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(day) => rules.workflow.holidays.push(day),
                Err(_) => reader.error(span, &path, format!("{text:?} is not a date like 2026-12-25")),
            }
        }
    }
    rules.workflow.holidays.sort_unstable();
    rules.workflow.holidays.dedup();
}

/// `[teams.NAME]` tables.
pub(super) fn read_teams(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "teams") else {
        return;
    };
    for (key, value) in table.iter() {
        let path = format!("teams.{}", key.get_ref());
        let Some(fields) = reader.table(value, &path) else {
            continue;
        };
        let mut team = Team::default();
        for (field, value) in fields.iter() {
            let field_path = format!("{path}.{}", field.get_ref());
            match field.get_ref().as_ref() {
                "members" => {
                    team.members = reader
                        .strings(value, &field_path)
                        .into_iter()
                        .map(|(name, _)| name.to_owned())
                        .collect();
                }
                "lead" => team.lead = reader.string(value, &field_path).map(str::to_owned),
                "assignment" => match reader.string(value, &field_path) {
                    Some("none") => team.assignment = Assignment::None,
                    Some("round_robin") => team.assignment = Assignment::RoundRobin,
                    Some("least_loaded") => team.assignment = Assignment::LeastLoaded,
                    Some(other) => reader.error(
                        value.span(),
                        &field_path,
                        format!("{other:?} is not one of none, round_robin, least_loaded"),
                    ),
                    None => {}
                },
                _ => reader.error(
                    field.span(),
                    &field_path,
                    "unknown key: use members, lead or assignment",
                ),
            }
        }
        if team.assignment != Assignment::None && team.members.is_empty() {
            reader.error(value.span(), &path, "a team that assigns needs members");
        }
        rules.workflow.teams.insert(key.get_ref().to_string(), team);
    }
}

/// `[shifts.PERSON]` tables.
pub(super) fn read_shifts(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "shifts") else {
        return;
    };
    for (key, value) in table.iter() {
        let path = format!("shifts.{}", key.get_ref());
        let Some(fields) = reader.table(value, &path) else {
            continue;
        };
        let mut days = [true; 7];
        let mut hours = None;
        let mut timezone = None;
        for (field, value) in fields.iter() {
            let field_path = format!("{path}.{}", field.get_ref());
            match field.get_ref().as_ref() {
                "days" => {
                    days = [false; 7];
                    for (day, span) in reader.strings(value, &field_path) {
                        match WEEKDAYS.iter().position(|name| *name == day) {
                            Some(index) => days[index] = true,
                            None => reader.error(
                                span,
                                &field_path,
                                format!("{day:?} is not one of {}", WEEKDAYS.join(", ")),
                            ),
                        }
                    }
                }
                "hours" => {
                    if let Some(text) = reader.string(value, &field_path) {
                        match OpeningHours::parse(text) {
                            Ok(parsed) => hours = Some(parsed),
                            Err(problem) => reader.error(value.span(), &field_path, problem),
                        }
                    }
                }
                "timezone" => {
                    if let Some(name) = reader.string(value, &field_path) {
                        if name.parse::<chrono_tz::Tz>().is_err() {
                            reader.error(value.span(), &field_path, format!("{name:?} is not an IANA time zone"));
                        }
                        timezone = Some(name.to_owned());
                    }
                }
                _ => reader.error(field.span(), &field_path, "unknown key: use days, hours or timezone"),
            }
        }
        let Some(hours) = hours else {
            reader.error(value.span(), &path, "a shift needs hours, like \"08:00-16:00\"");
            continue;
        };
        rules
            .workflow
            .shifts
            .insert(key.get_ref().to_string(), Shift { days, hours, timezone });
    }
}

/// `[[ownership]]` rows.
pub(super) fn read_ownership(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    for (path, span, fields) in reader.array_of_tables(value, "ownership", "[[ownership]]") {
        let mut row = Ownership::default();
        let mut team = None;
        for (field, value) in fields.iter() {
            let field_path = format!("{path}.{}", field.get_ref());
            let text = |reader: &mut Reader<'_>| reader.string(value, &field_path).map(str::to_owned);
            match field.get_ref().as_ref() {
                "type" => {
                    row.exception_type = text(reader);
                    if let Some(name) = &row.exception_type {
                        reader.type_names.push((name.clone(), value.span(), field_path.clone()));
                    }
                }
                "location_kind" => row.location_kind = read_location_kind(reader, value, &field_path),
                "region" => row.region = text(reader),
                "category" => row.category = text(reader),
                "team" => team = text(reader),
                _ => reader.error(
                    field.span(),
                    &field_path,
                    "unknown key: use type, location_kind, region, category and team",
                ),
            }
        }
        match team {
            Some(team) => row.team = team,
            None => {
                reader.error(span.clone(), &path, "an ownership row needs a team");
                continue;
            }
        }
        rules.workflow.ownership.push(row);
    }
}

/// `[approvals.TYPE]` tables.
pub(super) fn read_approvals(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "approvals") else {
        return;
    };
    for (key, value) in table.iter() {
        let path = format!("approvals.{}", key.get_ref());
        reader
            .type_names
            .push((key.get_ref().to_string(), key.span(), path.clone()));
        let Some(fields) = reader.table(value, &path) else {
            continue;
        };
        let mut above = None;
        let mut role = "operations_lead".to_owned();
        for (field, value) in fields.iter() {
            let field_path = format!("{path}.{}", field.get_ref());
            match field.get_ref().as_ref() {
                "above" => above = reader.number(value, &field_path),
                "role" => {
                    if let Some(text) = reader.string(value, &field_path) {
                        role = text.to_owned();
                    }
                }
                _ => reader.error(field.span(), &field_path, "unknown key: use above or role"),
            }
        }
        let Some(above) = above else {
            reader.error(
                value.span(),
                &path,
                "an approval rule needs `above`, the impact that needs approval",
            );
            continue;
        };
        rules
            .workflow
            .approvals
            .insert(key.get_ref().to_string(), ApprovalRule { above, role });
    }
}

/// `[[actions]]` rows: `type`, `on` (`open`, `breach` or `status:NAME`), `do` and, for notifications, `target`;
/// a webhook may be signed with `secret` or `secret_env`, one secret per target.
pub(super) fn read_actions(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    for (path, span, fields) in reader.array_of_tables(value, "actions", "[[actions]]") {
        let (mut exception_type, mut on, mut task, mut target) = (None, Some(Trigger::Open), None, None);
        let mut secret = None;
        for (field, value) in fields.iter() {
            let field_path = format!("{path}.{}", field.get_ref());
            match field.get_ref().as_ref() {
                "type" => {
                    exception_type = reader.string(value, &field_path).map(str::to_owned);
                    if let Some(name) = &exception_type {
                        reader.type_names.push((name.clone(), value.span(), field_path.clone()));
                    }
                }
                "on" => {
                    on = match reader.string(value, &field_path) {
                        Some("open") => Some(Trigger::Open),
                        Some("breach") => Some(Trigger::Breach),
                        Some(text) if text.starts_with("status:") => Some(Trigger::Status(text[7..].to_owned())),
                        Some(other) => {
                            reader.error(
                                value.span(),
                                &field_path,
                                format!("{other:?}: use open, breach or status:NAME"),
                            );
                            None
                        }
                        None => None,
                    }
                }
                "do" => {
                    if let Some(name) = reader.string(value, &field_path) {
                        task = TaskKindRule::from_name(name);
                        if task.is_none() {
                            let names: Vec<&str> = TaskKindRule::ALL.iter().map(|kind| kind.name()).collect();
                            reader.error(
                                value.span(),
                                &field_path,
                                format!("{name:?} is not one of {}", names.join(", ")),
                            );
                        }
                    }
                }
                "target" => target = reader.string(value, &field_path).map(str::to_owned),
                "secret" | "secret_env" if secret.is_some() => {
                    reader.error(field.span(), &field_path, "give secret or secret_env, not both");
                }
                "secret" => {
                    secret = reader
                        .string(value, &field_path)
                        .map(|text| Secret::Inline(text.to_owned()));
                }
                "secret_env" => {
                    secret = reader
                        .string(value, &field_path)
                        .map(|name| Secret::Env(name.to_owned()));
                }
                _ => reader.error(
                    field.span(),
                    &field_path,
                    "unknown key: use type, on, do, target and, for a webhook, secret or secret_env",
                ),
            }
        }
        let webhook = task == Some(TaskKindRule::NotifyWebhook);
        if secret.is_some() && !webhook {
            reader.error(
                span.clone(),
                &path,
                "only a notify_webhook action is signed with a secret",
            );
        }
        if let (true, Some(url)) = (webhook, &target)
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            reader.error(
                span.clone(),
                &path,
                format!("{url:?}: a webhook target is an http:// or https:// URL"),
            );
        }
        if let (true, Some(url)) = (webhook, &target)
            && let Some(other) = rules.workflow.actions.iter().find(|action| {
                action.task == TaskKindRule::NotifyWebhook
                    && action.target.as_ref() == Some(url)
                    && action.secret != secret
            })
        {
            reader.error(
                span.clone(),
                &path,
                format!(
                    "{url} is signed differently by another action (of {}): one secret per target",
                    other.exception_type
                ),
            );
        }
        let notifies = matches!(task, Some(TaskKindRule::NotifyWebhook | TaskKindRule::NotifyEmail));
        if notifies && target.is_none() {
            reader.error(
                span.clone(),
                &path,
                "a notification needs a target (a URL or an e-mail address)",
            );
        }
        match (exception_type, on, task) {
            (Some(exception_type), Some(on), Some(task)) => rules.workflow.actions.push(AutomatedAction {
                exception_type,
                on,
                task,
                target,
                secret,
            }),
            (None, _, _) => reader.error(span.clone(), &path, "an action needs a type"),
            (_, _, None) => reader.error(span.clone(), &path, "an action needs `do`"),
            _ => {}
        }
    }
}

/// `[notify]`: `email` (whether people are e-mailed what concerns them: `true`, or the table `[notify.email]`
/// naming the SMTP server by `url` or `url_env`, and `from`), `webhook` (a URL each notice is also posted to,
/// signed with `secret` or `secret_env`) and `roles` (who each role is, by user name or address).
pub(super) fn read_notify(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "notify") else {
        return;
    };
    let notify = &mut rules.workflow.notify;
    for (key, value) in table.iter() {
        let path = format!("notify.{}", key.get_ref());
        match key.get_ref().as_ref() {
            "email" if matches!(value.get_ref(), DeValue::Table(_)) => {
                notify.email = true;
                notify.smtp = read_smtp(reader, value, &path);
            }
            "email" => notify.email = reader.boolean(value, &path).unwrap_or(false),
            "webhook" => match reader.string(value, &path) {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    notify.webhook = Some(url.to_owned());
                }
                Some(url) => reader.error(
                    value.span(),
                    &path,
                    format!("{url:?} is not an http:// or https:// URL"),
                ),
                None => {}
            },
            "secret" => notify.secret = reader.string(value, &path).map(|text| Secret::Inline(text.to_owned())),
            "secret_env" => {
                notify.secret = reader.string(value, &path).map(|name| Secret::Env(name.to_owned()));
            }
            "roles" => {
                let Some(roles) = reader.table(value, &path) else {
                    continue;
                };
                for (role, who) in roles.iter() {
                    let role_path = format!("{path}.{}", role.get_ref());
                    if let Some(who) = reader.string(who, &role_path) {
                        notify.roles.insert(role.get_ref().to_string(), who.to_owned());
                    }
                }
            }
            _ => reader.error(
                key.span(),
                &path,
                "unknown key: use email (true, or a [notify.email] table), webhook, secret or secret_env, and roles",
            ),
        }
    }
}

/// `[notify.email]`: `url` or `url_env` (the SMTP server), and `from`.
fn read_smtp(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, path: &str) -> Option<SmtpSetting> {
    let table = reader.table(value, path)?;
    let (mut url, mut from) = (None, None);
    for (key, value) in table.iter() {
        let key_path = format!("{path}.{}", key.get_ref());
        match key.get_ref().as_ref() {
            "url" => match reader.string(value, &key_path) {
                Some(text) if text.starts_with("smtp://") || text.starts_with("smtps://") => {
                    url = Some(Secret::Inline(text.to_owned()));
                }
                Some(text) => reader.error(
                    value.span(),
                    &key_path,
                    format!("{:?} is not an smtp:// or smtps:// URL", hide_password(text)),
                ),
                None => {}
            },
            "url_env" => url = reader.string(value, &key_path).map(|name| Secret::Env(name.to_owned())),
            "from" => from = reader.string(value, &key_path).map(str::to_owned),
            _ => reader.error(key.span(), &key_path, "unknown key: use url or url_env, and from"),
        }
    }
    if url.is_none() {
        reader.error(value.span(), path, "name the SMTP server with url or url_env");
    }
    Some(SmtpSetting { url: url?, from })
}

/// `[escalation]`: `levels` (each `{ at, notify }`), `renotify` and `repeat` (each `{ every_minutes, times }`).
pub(super) fn read_escalation(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, rules: &mut Rules) {
    let Some(table) = reader.table(value, "escalation") else {
        return;
    };
    let policy = &mut rules.workflow.escalation;
    for (key, value) in table.iter() {
        let path = format!("escalation.{}", key.get_ref());
        match key.get_ref().as_ref() {
            "levels" => {
                let DeValue::Array(items) = value.get_ref() else {
                    reader.error(value.span(), &path, "expected an array of { at, notify } tables");
                    continue;
                };
                policy.levels.clear();
                for (index, item) in items.iter().enumerate() {
                    if let Some(level) = read_level(reader, item, &format!("{path}[{index}]")) {
                        policy.levels.push(level);
                    }
                }
                if policy.levels.is_empty() || policy.levels.len() > 8 {
                    reader.error(value.span(), &path, "give 1 to 8 levels");
                }
            }
            "renotify" => policy.renotify = read_repeat(reader, value, &path),
            "repeat" => policy.repeat = read_repeat(reader, value, &path),
            _ => reader.error(key.span(), &path, "unknown key: use levels, renotify or repeat"),
        }
    }
}

fn read_level(reader: &mut Reader<'_>, item: &Spanned<DeValue<'_>>, path: &str) -> Option<EscalationLevel> {
    let fields = reader.table(item, path)?;
    let (mut at, mut notify) = (None, None);
    for (field, value) in fields.iter() {
        let field_path = format!("{path}.{}", field.get_ref());
        match field.get_ref().as_ref() {
            "at" => {
                let text = reader.string(value, &field_path)?;
                at = parse_level_time(text);
                if at.is_none() {
                    reader.error(
                        value.span(),
                        &field_path,
                        format!(
                            "{text:?}: use ack_due, resolve_due, a share like \"75%\" or a delay like \"30m\" or \"2h\""
                        ),
                    );
                }
            }
            "notify" => {
                let text = reader.string(value, &field_path)?;
                notify = EscalationTarget::from_name(text);
                if notify.is_none() {
                    let names: Vec<&str> = EscalationTarget::ALL.iter().map(|target| target.name()).collect();
                    reader.error(
                        value.span(),
                        &field_path,
                        format!("{text:?} is not one of {}", names.join(", ")),
                    );
                }
            }
            _ => reader.error(field.span(), &field_path, "unknown key: use at and notify"),
        }
    }
    match (at, notify) {
        (Some(at), Some(notify)) => Some(EscalationLevel { at, notify }),
        _ => {
            reader.error(item.span(), path, "a level needs `at` and `notify`");
            None
        }
    }
}

/// `ack_due`, `resolve_due`, `NN%` of the resolve target, or `NNm` / `NNh` after opening.
fn parse_level_time(text: &str) -> Option<LevelTime> {
    match text {
        "ack_due" => return Some(LevelTime::AckDue),
        "resolve_due" => return Some(LevelTime::ResolveDue),
        _ => {}
    }
    if let Some(percent) = text.strip_suffix('%') {
        let share = percent.trim().parse::<Decimal>().ok()? / Decimal::ONE_HUNDRED;
        return (share > Decimal::ZERO && share <= Decimal::ONE).then_some(LevelTime::ResolveShare(share));
    }
    let (number, unit_minutes) = match text.strip_suffix('m') {
        Some(number) => (number, 1),
        None => (text.strip_suffix('h')?, 60),
    };
    let minutes = number.trim().parse::<i64>().ok()?.checked_mul(unit_minutes)?;
    (minutes > 0).then_some(LevelTime::AfterOpening(minutes))
}

fn read_repeat(reader: &mut Reader<'_>, value: &Spanned<DeValue<'_>>, path: &str) -> Option<Repeat> {
    let fields = reader.table(value, path)?;
    let (mut every_minutes, mut times) = (None, None);
    for (field, value) in fields.iter() {
        let field_path = format!("{path}.{}", field.get_ref());
        let number = reader.number(value, &field_path).and_then(|number| number.to_i64());
        match field.get_ref().as_ref() {
            "every_minutes" => every_minutes = number.filter(|minutes| *minutes > 0),
            "times" => {
                times = number
                    .and_then(|times| u8::try_from(times).ok())
                    .filter(|times| *times > 0)
            }
            _ => reader.error(field.span(), &field_path, "unknown key: use every_minutes and times"),
        }
    }
    match (every_minutes, times) {
        (Some(every_minutes), Some(times)) => Some(Repeat { every_minutes, times }),
        _ => {
            reader.error(value.span(), path, "needs every_minutes (above 0) and times (1 to 255)");
            None
        }
    }
}

/// Type names met in the workflow sections must name a built-in or custom type; custom types may be declared
/// later in the file, so they are checked once it is read.
pub(super) fn check_type_names(reader: &mut Reader<'_>, rules: &Rules) {
    for (name, span, path) in std::mem::take(&mut reader.type_names) {
        let known = crate::rules::ExceptionType::from_name(&name).is_some()
            || rules.custom.iter().any(|custom| custom.name == name);
        if !known {
            reader.error(
                span,
                &path,
                format!("{name:?} is neither a built-in nor a custom exception type"),
            );
        }
    }
}
