//! The administration page (admins only): people and API tokens, silences, the rules with a check of a new rules
//! file, teams and shifts as the rules name them, and the record of every change made to accounts and silences.
//! The forms that change something are in `admin_forms`, the rules check in `admin_rules`; a password or token
//! made by a form is shown once, on the page that form returns, and never again.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use retex_core::codes::Timestamp;
use retex_core::display::utc_time;
use retex_core::engine::Engine;
use retex_core::rules::ExceptionType;
use retex_core::rules::workflow::Shift;
use retex_store::{Account, AccountKind, AdminChange};

use super::admin_rules::RulesCheck;
use super::page::{NoticeQuery, PageUser, UserBar, page, require_admin, shown};
use crate::auth::Role;
use crate::error::Outcome;
use crate::state::AppState;

/// How many of the newest administrative changes the page lists.
const RECENT_CHANGES_SHOWN: usize = 50;

/// A person or a token as the page lists it.
pub struct AccountRow {
    pub name: String,
    pub role: String,
    pub team: String,
    pub locations: String,
    pub email: String,
    pub disabled: bool,
    /// `active`, or since when it is disabled (revoked, for a token).
    pub status: String,
    pub last_login: String,
    pub created: String,
}

pub struct SilenceRow {
    pub id: u64,
    pub exception_type: String,
    /// Where it applies: a location, a SKU, both, or everywhere.
    pub scope: String,
    pub from: String,
    pub until: String,
    pub actor: String,
    pub comment: String,
    /// `active`, `planned` or `ended`.
    pub status: &'static str,
}

pub struct TeamRow {
    pub name: String,
    pub lead: String,
    pub members: Vec<MemberRow>,
}

pub struct MemberRow {
    pub name: String,
    pub on_shift: bool,
    /// Their shift in words, or that they have none (always on shift).
    pub shift: String,
    /// Active exceptions assigned to them.
    pub open: u32,
}

pub struct ChangeRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

/// A password or token made by a form, shown once.
pub struct ShownOnce {
    /// What it is, e.g. "the password of anna".
    pub what: String,
    pub value: String,
}

/// What a form hands to the page it returns, besides the page itself.
#[derive(Default)]
pub struct Outcomes {
    pub notice: Option<String>,
    pub error: Option<String>,
    pub shown_once: Option<ShownOnce>,
    pub rules_check: Option<RulesCheck>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    user: Option<UserBar>,
    notice: Option<String>,
    error: Option<String>,
    csrf: String,
    shown_once: Option<ShownOnce>,
    rules_check: Option<RulesCheck>,
    roles: Vec<&'static str>,
    people: Vec<AccountRow>,
    tokens: Vec<AccountRow>,
    exception_types: Vec<String>,
    silences: Vec<SilenceRow>,
    rules_version: String,
    teams: Vec<TeamRow>,
    changes: Vec<ChangeRow>,
    now: String,
    /// This server among the replicas, in words, and how far its engine has applied the log.
    server_role: String,
    applied_seq: String,
}

pub(super) async fn admin_page(
    State(state): State<Arc<AppState>>,
    user: PageUser,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let outcomes = Outcomes {
        notice: query.notice,
        error: query.error,
        ..Outcomes::default()
    };
    shown(admin_view(&state, &user, outcomes).await)
}

/// The page as it stands, with what a form just did.
pub async fn admin_view(state: &Arc<AppState>, user: &PageUser, outcomes: Outcomes) -> Outcome<Response> {
    require_admin(user, "administer Retex")?;
    let (accounts, changes) = state
        .side_store(|store| Ok((store.accounts()?, store.admin_changes(RECENT_CHANGES_SHOWN)?)))
        .await?;
    let (people, tokens): (Vec<Account>, Vec<Account>) = accounts
        .into_iter()
        .partition(|account| account.kind == AccountKind::User);
    let mut template = AdminPage {
        user: UserBar::of(user),
        notice: outcomes.notice,
        error: outcomes.error,
        csrf: user.csrf.clone(),
        shown_once: outcomes.shown_once,
        rules_check: outcomes.rules_check,
        roles: Role::ALL.iter().map(|role| role.name()).collect(),
        people: people.iter().map(account_row).collect(),
        tokens: tokens.iter().map(account_row).collect(),
        exception_types: Vec::new(),
        silences: Vec::new(),
        rules_version: String::new(),
        teams: Vec::new(),
        changes: changes.into_iter().map(change_row).collect(),
        now: String::new(),
        server_role: match state.leads() {
            true => format!(
                "This server ({}) leads: it runs the clock and sends notifications, drafts and feeds.",
                state.replica
            ),
            false => format!(
                "This server ({}) follows: it serves and takes events; the leading replica runs the clock and sends \
                 notifications.",
                state.replica
            ),
        },
        applied_seq: String::new(),
    };
    let clock = Arc::clone(state);
    state
        .read(move |engine| {
            let now = clock.now(engine);
            template.exception_types = exception_types(engine);
            template.silences = silence_rows(engine, now);
            template.rules_version = engine.rules_version().to_owned();
            template.teams = team_rows(engine, now);
            template.now = utc_time(now);
            template.applied_seq = retex_core::display::count(engine.applied_seq());
            page(&template)
        })
        .await
}

fn account_row(account: &Account) -> AccountRow {
    let stopped = if account.kind == AccountKind::Token {
        "revoked"
    } else {
        "disabled"
    };
    AccountRow {
        name: account.name.clone(),
        role: account.role.clone(),
        team: account.team.clone().unwrap_or_default(),
        locations: if account.locations.is_empty() {
            "all".to_owned()
        } else {
            account.locations.join(", ")
        },
        email: account.email.clone().unwrap_or_default(),
        disabled: account.is_disabled(),
        status: account.disabled_ms.map_or_else(
            || "active".to_owned(),
            |at| format!("{stopped} {}", utc_time(Timestamp(at))),
        ),
        last_login: account
            .last_login_ms
            .map_or_else(|| "never".to_owned(), |at| utc_time(Timestamp(at))),
        created: utc_time(Timestamp(account.created_ms)),
    }
}

fn change_row(change: AdminChange) -> ChangeRow {
    ChangeRow {
        at: utc_time(Timestamp(change.at_ms)),
        actor: change.actor,
        action: change.action,
        target: change.target,
        detail: change.detail,
    }
}

/// The types a silence may name: the built-in ones and the rules' custom ones.
fn exception_types(engine: &Engine) -> Vec<String> {
    let built_in = ExceptionType::ALL.iter().map(|kind| kind.name().to_owned());
    let custom = engine.rules().custom.iter().map(|custom| custom.name.clone());
    built_in.chain(custom).collect()
}

/// Every silence, newest first.
fn silence_rows(engine: &Engine, now: Timestamp) -> Vec<SilenceRow> {
    engine
        .silences()
        .iter()
        .rev()
        .map(|silence| {
            let scope: Vec<&str> = [silence.location.as_deref(), silence.sku.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            SilenceRow {
                id: silence.id,
                exception_type: silence.exception_type.clone(),
                scope: if scope.is_empty() {
                    "everywhere".to_owned()
                } else {
                    scope.join(" · ")
                },
                from: utc_time(silence.from),
                until: utc_time(silence.until),
                actor: silence.actor.clone(),
                comment: silence.comment.clone(),
                status: match (now < silence.from, now < silence.until) {
                    (true, _) => "planned",
                    (false, true) => "active",
                    (false, false) => "ended",
                },
            }
        })
        .collect()
}

/// The rules' teams with their members, who is on shift now first.
fn team_rows(engine: &Engine, now: Timestamp) -> Vec<TeamRow> {
    let workflow = &engine.rules().workflow;
    workflow
        .teams
        .iter()
        .map(|(name, team)| TeamRow {
            name: name.clone(),
            lead: team.lead.clone().unwrap_or_default(),
            members: engine
                .team_roster(name, now)
                .into_iter()
                .map(|member| MemberRow {
                    shift: workflow
                        .shifts
                        .get(&member.name)
                        .map_or_else(|| "no shift: always on".to_owned(), shift_words),
                    name: member.name,
                    on_shift: member.on_shift,
                    open: member.open,
                })
                .collect(),
        })
        .collect()
}

/// A shift in words: `Mon Tue Wed Thu Fri 08:00-16:00 Europe/Berlin`.
fn shift_words(shift: &Shift) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut words: Vec<String> = DAYS
        .iter()
        .zip(shift.days)
        .filter(|(_, works)| *works)
        .map(|(day, _)| (*day).to_owned())
        .collect();
    words.push(String::from(shift.hours));
    words.push(shift.timezone.clone().unwrap_or_else(|| "UTC".to_owned()));
    words.join(" ")
}
