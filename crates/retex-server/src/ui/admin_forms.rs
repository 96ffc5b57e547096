//! The administration page's forms: add a person, change their role, team, locations or e-mail, set a new
//! password, disable or enable them; create and revoke API tokens; set a silence. Each checks the role and the
//! CSRF token, then makes the change and its record in the store in one transaction (a silence is a log entry, its
//! record follows it), and comes back to the page with a notice or the refusal as an error. A password or token
//! made here is shown once on the page the form returns.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::response::Response;
use chrono::Utc;
use retex_store::{Account, AccountKind, AccountSessions, AdminChange};
use serde::Deserialize;

use super::admin::{Outcomes, ShownOnce, admin_view};
use super::page::{PageUser, back_with_error, back_with_notice, check_csrf, error_page, non_empty, require_admin};
use crate::auth::{PASSWORD_CHARS_MIN, Role, new_password, new_token, token_account, user_account};
use crate::error::{Failure, FailureKind, Outcome};
use crate::state::{AppState, SilenceRequest};

/// The page the forms come back to.
const ADMIN_PATH: &str = "/admin";
/// Longest account name.
const ACCOUNT_NAME_CHARS_MAX: usize = 64;
/// Longest silence, in hours: four weeks.
const SILENCE_HOURS_MAX: u32 = 28 * 24;

/// What a form did: a notice to show, or a secret to show once.
enum Done {
    Notice(String),
    ShownOnce(ShownOnce),
}

#[derive(Deserialize)]
pub(super) struct NewUserForm {
    csrf: String,
    name: String,
    role: String,
    team: Option<String>,
    locations: Option<String>,
    email: Option<String>,
    /// Blank: a password is drawn and shown once.
    password: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct EditUserForm {
    csrf: String,
    role: String,
    team: Option<String>,
    locations: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PasswordForm {
    csrf: String,
    password: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: String,
}

#[derive(Deserialize)]
pub(super) struct NewTokenForm {
    csrf: String,
    name: String,
    role: String,
    team: Option<String>,
    locations: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct SilenceForm {
    csrf: String,
    exception_type: String,
    location: Option<String>,
    sku: Option<String>,
    hours: String,
    comment: String,
}

pub(super) async fn add_user(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Form(form): Form<NewUserForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let name = account_name(&form.name)?;
        refuse_taken(&state, &name).await?;
        let role = role_named(&form.role)?;
        let email = email_address(form.email.as_ref())?;
        let drawn = non_empty(&form.password).is_none();
        let password = match non_empty(&form.password) {
            Some(password) => checked_password(password)?,
            None => new_password().map_err(|error| Failure::internal("draw a password", &error))?,
        };
        let (team, locations) = (
            non_empty(&form.team).map(str::to_owned),
            location_list(form.locations.as_ref()),
        );
        let detail = access_words(role.name(), team.as_deref(), &locations, email.as_deref());
        let hashed = password.clone();
        let account_name = name.clone();
        let account = tokio::task::spawn_blocking(move || {
            user_account(
                &account_name,
                &hashed,
                role,
                team,
                locations,
                Utc::now().timestamp_millis(),
            )
        })
        .await
        .map_err(|error| Failure::internal("hash the password", &error))?
        .map_err(|error| Failure::internal("hash the password", &error))?;
        let account = Account { email, ..account };
        record(&state, &user, account, AccountSessions::Keep, "user added", detail).await?;
        Ok(match drawn {
            true => Done::ShownOnce(ShownOnce {
                what: format!("the password of {name}: give it to them, it is not shown again"),
                value: password,
            }),
            false => Done::Notice(format!("{name} added")),
        })
    }
    .await;
    answer(&state, &user, done).await
}

pub(super) async fn edit_user(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(name): Path<String>,
    Form(form): Form<EditUserForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let account = existing(&state, &name, AccountKind::User).await?;
        let role = role_named(&form.role)?;
        if name == user.principal.name && role != Role::Admin {
            return Err(refusal(
                "you cannot take the admin role from yourself: ask another admin",
            ));
        }
        let changed = Account {
            role: role.name().to_owned(),
            team: non_empty(&form.team).map(str::to_owned),
            locations: location_list(form.locations.as_ref()),
            email: email_address(form.email.as_ref())?,
            ..account
        };
        let detail = access_words(
            &changed.role,
            changed.team.as_deref(),
            &changed.locations,
            changed.email.as_deref(),
        );
        record(&state, &user, changed, AccountSessions::Keep, "user changed", detail).await?;
        Ok(Done::Notice(format!("{name} changed")))
    }
    .await;
    answer(&state, &user, done).await
}

pub(super) async fn set_password(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(name): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let account = existing(&state, &name, AccountKind::User).await?;
        let password = match non_empty(&form.password) {
            Some(password) => checked_password(password)?,
            None => return Err(refusal("type the new password")),
        };
        let secret_hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
            .await
            .map_err(|error| Failure::internal("hash the password", &error))?
            .map_err(|error| Failure::internal("hash the password", &error))?;
        let changed = Account { secret_hash, ..account };
        let detail = "a new password; their sessions ended".to_owned();
        record(&state, &user, changed, AccountSessions::End, "password reset", detail).await?;
        Ok(Done::Notice(format!("{name} has a new password; their sessions ended")))
    }
    .await;
    answer(&state, &user, done).await
}

pub(super) async fn disable_user(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        if name == user.principal.name {
            return Err(refusal("you cannot disable yourself: ask another admin"));
        }
        let account = existing(&state, &name, AccountKind::User).await?;
        let changed = Account {
            disabled_ms: Some(Utc::now().timestamp_millis()),
            ..account
        };
        let detail = "cannot log in; their sessions ended".to_owned();
        record(&state, &user, changed, AccountSessions::End, "user disabled", detail).await?;
        Ok(Done::Notice(format!("{name} is disabled and logged out")))
    }
    .await;
    answer(&state, &user, done).await
}

pub(super) async fn enable_user(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let account = existing(&state, &name, AccountKind::User).await?;
        let changed = Account {
            disabled_ms: None,
            ..account
        };
        record(
            &state,
            &user,
            changed,
            AccountSessions::Keep,
            "user enabled",
            "may log in again".to_owned(),
        )
        .await?;
        Ok(Done::Notice(format!("{name} may log in again")))
    }
    .await;
    answer(&state, &user, done).await
}

pub(super) async fn create_token(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Form(form): Form<NewTokenForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let name = account_name(&form.name)?;
        refuse_taken(&state, &name).await?;
        let role = role_named(&form.role)?;
        let (token, secret_hash) = new_token().map_err(|error| Failure::internal("draw a token", &error))?;
        let (team, locations) = (non_empty(&form.team).map(str::to_owned), location_list(form.locations.as_ref()));
        let detail = access_words(role.name(), team.as_deref(), &locations, None);
        let account = token_account(&name, secret_hash, role, team, locations, Utc::now().timestamp_millis());
        record(&state, &user, account, AccountSessions::Keep, "token created", detail).await?;
        Ok(Done::ShownOnce(ShownOnce {
            what: format!(
                "the token {name}: send it as `Authorization: Bearer TOKEN`; only its hash is kept, it is not shown again"
            ),
            value: token,
        }))
    }
    .await;
    answer(&state, &user, done).await
}

pub(super) async fn revoke_token(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(name): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let account = existing(&state, &name, AccountKind::Token).await?;
        if account.is_disabled() {
            return Err(refusal(format!("the token {name} is already revoked")));
        }
        let changed = Account {
            disabled_ms: Some(Utc::now().timestamp_millis()),
            ..account
        };
        let detail = "refused by the API from now on".to_owned();
        record(&state, &user, changed, AccountSessions::End, "token revoked", detail).await?;
        Ok(Done::Notice(format!("the token {name} is revoked")))
    }
    .await;
    answer(&state, &user, done).await
}

pub(super) async fn add_silence(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Form(form): Form<SilenceForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let hours = match form.hours.trim().parse::<u32>() {
            Ok(hours) if (1..=SILENCE_HOURS_MAX).contains(&hours) => hours,
            _ => return Err(refusal(format!("hours: a whole number from 1 to {SILENCE_HOURS_MAX}"))),
        };
        let request = SilenceRequest {
            exception_type: form.exception_type.trim().to_owned(),
            location: non_empty(&form.location).map(|code| code.trim().to_owned()),
            sku: non_empty(&form.sku).map(|sku| sku.trim().to_owned()),
            hours,
            comment: form.comment.trim().to_owned(),
        };
        let silence = state.set_silence(&user.principal, request).await?;
        let change = AdminChange {
            at_ms: Utc::now().timestamp_millis(),
            actor: user.principal.name.clone(),
            action: "silence added".to_owned(),
            target: silence.exception_type.clone(),
            detail: format!(
                "{} until {}: {}",
                [silence.location.as_deref(), silence.sku.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                silence.until.to_rfc3339(),
                silence.comment
            ),
        };
        state
            .side_store(move |store| Ok(store.record_admin_change(&change)?))
            .await?;
        Ok(Done::Notice(format!(
            "{} silenced for {hours} h",
            silence.exception_type
        )))
    }
    .await;
    answer(&state, &user, done).await
}

#[derive(Deserialize)]
pub(super) struct EndSilenceForm {
    csrf: String,
    comment: String,
}

pub(super) async fn end_silence(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Path(silence): Path<u64>,
    Form(form): Form<EndSilenceForm>,
) -> Response {
    let done = async {
        admin_form(&user, &form.csrf)?;
        let comment = form.comment.trim().to_owned();
        state.end_silence(&user.principal, silence, comment.clone()).await?;
        let change = AdminChange {
            at_ms: Utc::now().timestamp_millis(),
            actor: user.principal.name.clone(),
            action: "silence ended early".to_owned(),
            target: format!("silence {silence}"),
            detail: comment,
        };
        state
            .side_store(move |store| Ok(store.record_admin_change(&change)?))
            .await?;
        Ok(Done::Notice(format!("silence {silence} ended")))
    }
    .await;
    answer(&state, &user, done).await
}

/// Checks the role and the form's CSRF token.
fn admin_form(user: &PageUser, csrf: &str) -> Outcome<()> {
    require_admin(user, "administer Retex")?;
    check_csrf(user, csrf)
}

/// The page after a form: a secret shown once, or back with a notice; a refusal the admin can fix shows as an
/// error on the page, a missing role or a stale form as an error page.
async fn answer(state: &Arc<AppState>, user: &PageUser, done: Outcome<Done>) -> Response {
    match done {
        Ok(Done::Notice(notice)) => back_with_notice(ADMIN_PATH, &notice),
        Ok(Done::ShownOnce(shown_once)) => {
            let outcomes = Outcomes {
                shown_once: Some(shown_once),
                ..Outcomes::default()
            };
            admin_view(state, user, outcomes)
                .await
                .unwrap_or_else(|failure| error_page(&failure))
        }
        Err(failure) if failure.kind == FailureKind::Forbidden || failure.kind == FailureKind::Internal => {
            error_page(&failure)
        }
        Err(failure) => back_with_error(ADMIN_PATH, &failure.message),
    }
}

/// Saves the account and its record in one transaction.
async fn record(
    state: &Arc<AppState>,
    user: &PageUser,
    account: Account,
    sessions: AccountSessions,
    action: &str,
    detail: String,
) -> Outcome<()> {
    let change = AdminChange {
        at_ms: Utc::now().timestamp_millis(),
        actor: user.principal.name.clone(),
        action: action.to_owned(),
        target: account.name.clone(),
        detail,
    };
    state.change_account(account, sessions, change).await
}

fn refusal(message: impl Into<String>) -> Failure {
    Failure::new(FailureKind::Unprocessable, message)
}

/// The account of that name and kind.
async fn existing(state: &Arc<AppState>, name: &str, kind: AccountKind) -> Outcome<Account> {
    match state.account(name.to_owned()).await? {
        Some(account) if account.kind == kind => Ok(account),
        _ => Err(Failure::not_found(format!("no {} named {name}", kind.name()))),
    }
}

/// Refuses a name a person or token already has: adding never replaces.
async fn refuse_taken(state: &Arc<AppState>, name: &str) -> Outcome<()> {
    if let Some(account) = state.account(name.to_owned()).await? {
        return Err(Failure::new(
            FailureKind::Conflict,
            format!(
                "{name} is already the name of a {}: choose another",
                account.kind.name()
            ),
        ));
    }
    Ok(())
}

/// A new account's name: letters, digits and `.`, `_`, `-`, `@`, up to [`ACCOUNT_NAME_CHARS_MAX`].
fn account_name(text: &str) -> Outcome<String> {
    let name = text.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.chars().count() > ACCOUNT_NAME_CHARS_MAX || !name.chars().all(allowed) {
        return Err(refusal(format!(
            "name: {name:?} must be 1 to {ACCOUNT_NAME_CHARS_MAX} letters, digits or . _ - @"
        )));
    }
    Ok(name.to_owned())
}

fn role_named(name: &str) -> Outcome<Role> {
    Role::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|role| role.name()).collect();
        refusal(format!("role: {name:?} is not one of {}", names.join(", ")))
    })
}

fn checked_password(password: &str) -> Outcome<String> {
    if password.chars().count() < PASSWORD_CHARS_MIN {
        return Err(refusal(format!(
            "password: at least {PASSWORD_CHARS_MIN} characters (a phrase of a few words is best)"
        )));
    }
    Ok(password.to_owned())
}

fn email_address(text: Option<&String>) -> Outcome<Option<String>> {
    let Some(address) = text.map(|text| text.trim()).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if address.parse::<lettre::Address>().is_err() {
        return Err(refusal(format!("e-mail: {address} is not an e-mail address")));
    }
    Ok(Some(address.to_owned()))
}

/// Location codes from a comma-separated list; none: every location.
fn location_list(text: Option<&String>) -> Vec<String> {
    let mut codes: Vec<String> = text
        .map(|text| text.split(',').map(str::trim).filter(|code| !code.is_empty()))
        .into_iter()
        .flatten()
        .map(str::to_owned)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// An account's access in words, for its record: `role viewer, team store, locations S1 S2, e-mail a@b.c`.
fn access_words(role: &str, team: Option<&str>, locations: &[String], email: Option<&str>) -> String {
    let mut words = format!("role {role}");
    if let Some(team) = team {
        words.push_str(&format!(", team {team}"));
    }
    match locations.is_empty() {
        true => words.push_str(", all locations"),
        false => words.push_str(&format!(", locations {}", locations.join(" "))),
    }
    if let Some(email) = email {
        words.push_str(&format!(", e-mail {email}"));
    }
    words
}
