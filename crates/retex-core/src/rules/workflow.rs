//! Who works an exception and on what clock (workflow.md, and the rules file's workflow sections): teams with
//! members and a lead, shift calendars, the ownership matrix that picks a team, SLA targets per type and
//! severity, holidays, and the approval thresholds of the four-eyes rule.
//!
//! All of it is empty by default: then the type's own team owns the exception, nobody is assigned, and the SLA
//! targets of workflow.md hold.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeZone, Timelike};
use rust_decimal::Decimal;
use serde::Serialize;

use super::{ScopeContext, Severity, SlaTarget};
use crate::codes::Timestamp;
use crate::event::{LocationKind, OpeningHours};

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Workflow {
    /// Who is told when, while an exception is not acknowledged or not resolved.
    pub escalation: EscalationPolicy,
    pub teams: BTreeMap<String, Team>,
    /// Per person: when they work. A member without a shift is always on shift.
    pub shifts: BTreeMap<String, Shift>,
    /// Later rows win ties of specificity.
    pub ownership: Vec<Ownership>,
    /// Local dates on which locations with opening hours are closed all day; sorted.
    pub holidays: Vec<NaiveDate>,
    /// Per type name: resolving one whose impact is above the threshold needs an approval.
    pub approvals: BTreeMap<String, ApprovalRule>,
    /// What the engine does by itself when an exception opens, breaches or changes status.
    pub actions: Vec<AutomatedAction>,
    /// Whether people are e-mailed what concerns them, and who the roles are.
    pub notify: PeopleNotices,
}

/// `[notify]`: people hear of what concerns them by e-mail, a webhook or both: an escalation that names them,
/// an exception assigned to them, an approval waiting for their role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PeopleNotices {
    pub email: bool,
    /// A URL every notice is also posted to (a chat bridge, a paging service), with the person it is for.
    pub webhook: Option<String>,
    /// How those posts are signed; not part of the rules' identity.
    #[serde(skip)]
    pub secret: Option<Secret>,
    /// The SMTP server, when the rules name it rather than `retex serve --smtp-url`; not part of the rules'
    /// identity either.
    #[serde(skip)]
    pub smtp: Option<SmtpSetting>,
    /// Who a role is, by user name or e-mail address: `operations_lead`, `operations_director`,
    /// `regional_manager` (or `regional_manager.REGION` for one region), `team_lead` (for teams without a
    /// `lead`), and the roles that approve.
    pub roles: BTreeMap<String, String>,
}

impl PeopleNotices {
    /// Whether people are told anything.
    pub fn any(&self) -> bool {
        self.email || self.webhook.is_some()
    }

    /// Who to tell for a role, when `[notify]` says and the role is known.
    pub fn role(&self, role: &str) -> Option<&str> {
        self.roles.get(role).filter(|_| self.any()).map(String::as_str)
    }
}

impl Workflow {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Whether `member` works at `at`: someone without a shift always does.
    pub fn on_shift(&self, member: &str, at: Timestamp) -> bool {
        self.shifts.get(member).is_none_or(|shift| shift.covers(at))
    }

    /// The team the ownership matrix names for an exception, most specific row first.
    pub fn owner(&self, exception_type: &str, place: &OwnerContext<'_>) -> Option<&str> {
        let mut best: Option<(u32, &str)> = None;
        for row in &self.ownership {
            if let Some(score) = row.specificity(exception_type, place)
                && best.is_none_or(|(best_score, _)| score >= best_score)
            {
                best = Some((score, &row.team));
            }
        }
        best.map(|(_, team)| team)
    }

    pub fn is_holiday(&self, day: NaiveDate) -> bool {
        self.holidays.binary_search(&day).is_ok()
    }

    /// How many holidays fall strictly before `day`.
    pub fn holidays_before(&self, day: NaiveDate) -> usize {
        self.holidays.partition_point(|holiday| *holiday < day)
    }
}

/// Escalation levels, each at its instant and telling its target, plus reminders while unacknowledged and
/// repeats of the last level while unresolved (PagerDuty's `num_loops`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EscalationPolicy {
    pub levels: Vec<EscalationLevel>,
    /// After the acknowledgement target is missed: remind every so often while still unacknowledged.
    pub renotify: Option<Repeat>,
    /// After the last level: tell its target again every so often while still unresolved.
    pub repeat: Option<Repeat>,
}

impl Default for EscalationPolicy {
    /// workflow.md: the team lead at `ack_due`, the regional manager at 75% of the resolve target, the operations
    /// director at `resolve_due`.
    fn default() -> Self {
        Self {
            levels: vec![
                EscalationLevel {
                    at: LevelTime::AckDue,
                    notify: EscalationTarget::TeamLead,
                },
                EscalationLevel {
                    at: LevelTime::ResolveShare(Decimal::new(75, 2)),
                    notify: EscalationTarget::RegionalManager,
                },
                EscalationLevel {
                    at: LevelTime::ResolveDue,
                    notify: EscalationTarget::OperationsDirector,
                },
            ],
            renotify: None,
            repeat: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EscalationLevel {
    pub at: LevelTime,
    pub notify: EscalationTarget,
}

/// When a level falls due.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelTime {
    /// At the acknowledgement target, if still unacknowledged.
    AckDue,
    /// At the resolve target.
    ResolveDue,
    /// When this share of the resolve target has passed (in business time; paused with it).
    ResolveShare(Decimal),
    /// This many business minutes after opening, if still unacknowledged.
    AfterOpening(i64),
}

impl LevelTime {
    /// An acknowledgement escalation stops once someone acknowledges; a resolution escalation runs on the
    /// resolve clock and waits while it is paused.
    pub fn is_about_acknowledgement(self) -> bool {
        matches!(self, Self::AckDue | Self::AfterOpening(_))
    }
}

crate::wire_names! {
    pub enum EscalationTarget {
        Assignee = "assignee",
        TeamLead = "team_lead",
        /// The region's manager for a location's team, the operations lead for a company-wide one.
        RegionalManager = "regional_manager",
        OperationsLead = "operations_lead",
        OperationsDirector = "operations_director",
    }
}

/// Every `every_minutes` business minutes, at most `times` times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Repeat {
    pub every_minutes: i64,
    pub times: u8,
}

/// How a team hands out its exceptions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Nobody is assigned automatically.
    #[default]
    None,
    /// The next member on shift after the one assigned last, in the order listed.
    RoundRobin,
    /// The member on shift with the fewest active exceptions assigned; the first listed on a tie.
    LeastLoaded,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Team {
    pub members: Vec<String>,
    /// Told at escalation level 1.
    pub lead: Option<String>,
    pub assignment: Assignment,
}

/// When a person works: weekdays and daily hours, local to a time zone.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Shift {
    /// Monday first.
    pub days: [bool; 7],
    pub hours: OpeningHours,
    /// IANA name; UTC when absent.
    pub timezone: Option<String>,
}

impl Shift {
    /// Whether `at` falls in a shift. A shift past midnight belongs to the day it started.
    pub fn covers(&self, at: Timestamp) -> bool {
        let zone: chrono_tz::Tz = self
            .timezone
            .as_deref()
            .and_then(|name| name.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        let Some(local) = zone.timestamp_millis_opt(at.0).single() else {
            return false;
        };
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let weekday = local.weekday().num_days_from_monday() as usize;
        let (open, close) = (self.hours.open_minute, self.hours.close_minute);
        if open < close {
            return self.days[weekday] && (open..close).contains(&minute);
        }
        // Overnight: the evening part is today's shift, the early morning part yesterday's.
        (minute >= open && self.days[weekday]) || (minute < close && self.days[(weekday + 6) % 7])
    }
}

/// What an ownership row knows about an exception's place and product.
#[derive(Clone, Copy, Debug, Default)]
pub struct OwnerContext<'a> {
    pub scope: ScopeContext<'a>,
    pub region: Option<&'a str>,
}

/// One row of the ownership matrix: every given part must match.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Ownership {
    pub exception_type: Option<String>,
    pub location_kind: Option<LocationKind>,
    pub region: Option<String>,
    /// A category path prefix on level boundaries.
    pub category: Option<String>,
    pub team: String,
}

impl Ownership {
    /// How specific a matching row is: a type beats a category, a deeper category a shallower one, a region a
    /// location kind. `None` when it does not match.
    fn specificity(&self, exception_type: &str, place: &OwnerContext<'_>) -> Option<u32> {
        let mut score = 0;
        if let Some(wanted) = &self.exception_type {
            if wanted != exception_type {
                return None;
            }
            score += 10_000;
        }
        if let Some(category) = &self.category {
            let product = place.scope.category?;
            let covers = product == category
                || (product.starts_with(category.as_str()) && product.as_bytes().get(category.len()) == Some(&b'/'));
            if !covers {
                return None;
            }
            score += 100 * (category.matches('/').count() as u32 + 1);
        }
        if let Some(region) = &self.region {
            if place.region != Some(region.as_str()) {
                return None;
            }
            score += 20;
        }
        if let Some(kind) = self.location_kind {
            if place.scope.location_kind != Some(kind) {
                return None;
            }
            score += 10;
        }
        Some(score)
    }
}

/// The four-eyes rule of one type: above `above` in impact, a resolution needs another person's approval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApprovalRule {
    pub above: Decimal,
    /// The role the approver must have (the shell states each actor's role on the command).
    pub role: String,
}

/// An automated action: on a trigger, for exceptions of a type, the engine creates a task (a proposal a person
/// approves, a to-do for a team, or a notification in the outbox) and notes it on the exception's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AutomatedAction {
    pub exception_type: String,
    pub on: Trigger,
    pub task: TaskKindRule,
    /// Where a notification goes: a webhook URL or an e-mail address.
    pub target: Option<String>,
    /// How a webhook's deliveries are signed. Not part of the rules' identity: rotating a secret changes
    /// nothing the engine decides.
    #[serde(skip)]
    pub secret: Option<Secret>,
}

/// A secret the rules need (a webhook's signing key, an SMTP URL with its password): written in the rules file,
/// or named there and read from the server's environment when it starts, which keeps it out of the file and off
/// the rules page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    Inline(String),
    Env(String),
}

/// A URL with the password of its `user:password@` part hidden, for messages and pages.
pub fn hide_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((user_info, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:(hidden)@{host}"),
        None => url.to_owned(),
    }
}

/// The SMTP server e-mails go through, when the rules file names it (`[notify.email]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpSetting {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://user:pass@host:465`.
    pub url: Secret,
    /// The sender, when not the server's default.
    pub from: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Open,
    /// An SLA breach: not acknowledged, or not resolved, by its due time.
    Breach,
    /// The exception's status became this one (`in_progress`, `waiting_supplier`, ...).
    Status(String),
}

crate::wire_names! {
    /// What an automated action creates.
    pub enum TaskKindRule {
        /// A draft transfer from a warehouse that has the stock, else a draft purchase order from the supplier.
        ProposeReplenishment = "propose_replenishment",
        /// A count task for the exception's store and SKU; the next count there completes it.
        RequestRecount = "request_recount",
        QualityReview = "quality_review",
        /// A refund approval task for finance.
        FinanceTask = "finance_task",
        NotifyWebhook = "notify_webhook",
        NotifyEmail = "notify_email",
        /// Hold the exception's order until a person releases it.
        HoldOrder = "hold_order",
    }
}

/// A type's SLA targets where its rules set them, else the severity's.
pub fn sla_target(
    type_targets: &BTreeMap<Severity, SlaTarget>,
    severity_targets: &BTreeMap<Severity, SlaTarget>,
    severity: Severity,
) -> SlaTarget {
    type_targets
        .get(&severity)
        .or_else(|| severity_targets.get(&severity))
        .copied()
        .expect("every severity has a target")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn shifts_follow_weekdays_zones_and_midnight() {
        let weekdays = Shift {
            days: [true, true, true, true, true, false, false],
            hours: OpeningHours::parse("08:00-16:00").unwrap(),
            timezone: Some("Europe/Paris".into()),
        };
        assert!(weekdays.covers(at("2026-11-30T07:30:00Z")), "Monday 08:30 in Paris");
        assert!(!weekdays.covers(at("2026-11-30T06:30:00Z")), "07:30 in Paris");
        assert!(!weekdays.covers(at("2026-11-29T10:00:00Z")), "Sunday");
        let nights = Shift {
            days: [false, false, false, false, true, false, false],
            hours: OpeningHours::parse("22:00-06:00").unwrap(),
            timezone: None,
        };
        assert!(nights.covers(at("2026-12-04T23:00:00Z")), "Friday night");
        assert!(
            nights.covers(at("2026-12-05T05:00:00Z")),
            "Saturday early: Friday's shift"
        );
        assert!(
            !nights.covers(at("2026-12-04T05:00:00Z")),
            "Friday early: Thursday's, not worked"
        );
    }

    #[test]
    fn the_most_specific_ownership_row_wins() {
        let row = |exception_type: Option<&str>, region: Option<&str>, category: Option<&str>, team: &str| Ownership {
            exception_type: exception_type.map(str::to_owned),
            region: region.map(str::to_owned),
            category: category.map(str::to_owned),
            location_kind: None,
            team: team.to_owned(),
        };
        let workflow = Workflow {
            ownership: vec![
                row(None, Some("north"), None, "north ops"),
                row(Some("low_stock"), None, None, "buyers"),
                row(Some("low_stock"), None, Some("Grocery"), "grocery buyers"),
                row(Some("low_stock"), None, Some("Grocery/Drinks"), "drinks buyers"),
            ],
            ..Workflow::default()
        };
        let place = |category, region| OwnerContext {
            scope: ScopeContext {
                location: Some("S1"),
                location_kind: Some(LocationKind::Store),
                category,
            },
            region,
        };
        assert_eq!(
            workflow.owner("low_stock", &place(Some("Grocery/Drinks/Soda"), None)),
            Some("drinks buyers")
        );
        assert_eq!(
            workflow.owner("low_stock", &place(Some("Grocery/Fresh"), None)),
            Some("grocery buyers")
        );
        assert_eq!(
            workflow.owner("low_stock", &place(Some("Home"), Some("north"))),
            Some("buyers")
        );
        assert_eq!(
            workflow.owner("count_variance", &place(None, Some("north"))),
            Some("north ops")
        );
        assert_eq!(workflow.owner("count_variance", &place(None, Some("south"))), None);
    }
}
