//! Opening, recurring and resolving exceptions: what every detector calls.
//!
//! A detection names its type, key, time, impact, cause and touch points; this module applies the rules
//! (enabled, severity bands and floor, team) and the location's business hours (SLA dues), files the exception
//! in its incident, and counts it for the store exception rate.

use std::sync::Arc;

use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::codes::Timestamp;
use crate::engine::calendar::{BusinessHours, DUES_MAX};
use crate::engine::composition::{Engine, Output};
use crate::engine::detect::{Detection, Params, Verdict};
use crate::engine::escalation::due_offsets_ms;
use crate::engine::exceptions::{ENGINE_ACTOR, ExceptionKey, Occurrence, Opening, TypeRef};
use crate::engine::incidents::Filing;
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::stats::day_of;
use crate::event::LocationKind;
use crate::rules::workflow::{Assignment, OwnerContext, Trigger, sla_target};
use crate::rules::{ExceptionType, LOCATION_TEAM, Param, Rules, ScopeContext, Severity};

/// The team of exceptions that have no location and belong to a location's team.
const TEAM_WITHOUT_LOCATION: &str = "operations";

impl Engine {
    /// The one place where what a detector found changes the exception book.
    /// Whether this deployment raises exceptions at `location`: always, unless the rules make it a shard of a
    /// chain split by region (another shard answers for the rest).
    fn answers_for(&self, location: Option<LocationId>) -> bool {
        let Some(shard) = &self.config.rules.shard else {
            return true;
        };
        let region = location
            .and_then(|location| self.state.picture.master.location(location))
            .and_then(|info| info.region.as_deref());
        shard.answers_for(region)
    }

    pub(super) fn apply_verdict(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Raise(detection) => self.raise(detection),
            Verdict::Clear { key, cause } => self.resolve_key(&key, cause.at, cause.seq),
        }
    }

    /// Raises what a detector found, if anything.
    #[inline]
    pub(super) fn apply_detection(&mut self, detection: Option<Detection>) {
        if let Some(detection) = detection {
            self.raise(detection);
        }
    }

    // Raising and resolving are the exceptional path of every detector: kept out of line, the checks that
    // find nothing stay dense in the instruction cache.
    #[cold]
    fn raise(&mut self, detection: Detection) {
        let type_ref = detection.type_ref();
        let rules = Arc::clone(&self.config.rules);
        let (enabled, floor, team) = type_settings(&rules, type_ref);
        if !enabled || !self.answers_for(detection.location) {
            return;
        }
        let severity = self.config.rules.severity.severity(detection.impact).max(floor);
        if let Some(id) = self.state.book.exceptions.open_id(&detection.key) {
            let occurrence = Occurrence {
                at: detection.at,
                impact: detection.impact,
                severity,
                cause: detection.cause,
                facts: detection.facts.map(|facts| *facts),
            };
            (self.state.book.exceptions).recur(id, occurrence, &rules.currency);
            self.outbox.push(Output::ExceptionRecurred(id));
            return;
        }
        let team = self.owning_team(type_ref, team, detection.location, detection.sku);
        let calendar = detection.location.and_then(|location| self.business_hours(location));
        let target = match type_ref {
            TypeRef::BuiltIn(exception_type) => sla_target(&rules.rule(exception_type).sla, &rules.sla, severity),
            TypeRef::Custom(_) => rules.sla[&severity],
        };
        // Every target and level in one walk over the location's calendar.
        let offsets = self
            .due_offsets
            .entry(target)
            .or_insert_with(|| due_offsets_ms(&rules.workflow.escalation, target));
        let mut dues = [Timestamp(0); DUES_MAX];
        let dues = &mut dues[..offsets.len()];
        self.calendar_memo
            .add_business_times(detection.at, offsets, calendar, &rules.workflow.holidays, dues);
        let (ack_due, resolve_due, escalation_dues) = (dues[0], dues[1], dues[2..].to_vec());
        let opening = Opening {
            key: detection.key,
            location: detection.location,
            sku: detection.sku,
            reference: detection.reference,
            at: detection.at,
            impact: detection.impact,
            severity,
            team,
            ack_due,
            resolve_due,
            escalation_dues,
            cause: detection.cause,
            explanation: detection.explanation,
            model_version: detection.model_version,
            facts: detection.facts.map(|facts| *facts),
        };
        let id = (self.state.book.exceptions).open(opening, &self.rules_version, &rules.currency);
        self.assign_on_open(id, detection.at, detection.cause);

        self.queue_next_sla_step(id, None, detection.at);
        self.apply_silences(id);
        let filing = Filing {
            exception: id,
            opened_at: detection.at,
            rank: causal_rank(type_ref),
            is_master_data: type_ref == TypeRef::BuiltIn(ExceptionType::MasterData),
            touches: &detection.touches,
        };
        self.state.book.incidents.link(filing);
        let assignee = self.state.book.exceptions.get(id).assignee.clone();
        if let Some(assignee) = assignee.filter(|_| self.config.rules.workflow.notify.any()) {
            self.tell(id, &assignee, "assigned to you", detection.at, detection.cause);
        }
        if matches!(type_ref, TypeRef::BuiltIn(exception_type) if exception_type.is_caused_by_store()) {
            self.count_store_exception(detection.location, detection.at);
        }
        self.outbox.push(Output::ExceptionOpened(id));
        self.trigger_actions(id, Trigger::Open, detection.at, detection.cause);
    }

    /// Resolves the open exception under `key`, if any.
    #[cold]
    pub(super) fn resolve_key(&mut self, key: &ExceptionKey, at: Timestamp, cause: u64) {
        if let Some(id) = self.state.book.exceptions.resolve(key, at, cause) {
            self.outbox.push(Output::ExceptionResolved(id));
        }
    }

    /// The team that owns a new exception: the ownership matrix's most specific row, else the type's team.
    fn owning_team(
        &self,
        type_ref: TypeRef,
        type_team: &str,
        location: Option<LocationId>,
        sku: Option<SkuId>,
    ) -> String {
        let workflow = &self.config.rules.workflow;
        if workflow.ownership.is_empty() {
            return self.team_name(type_team, location);
        }
        let info = location.and_then(|location| self.state.picture.master.location(location));
        let place = OwnerContext {
            scope: ScopeContext {
                location: location.map(|location| self.state.picture.locations.name(location)),
                location_kind: info.map(|info| info.kind),
                category: sku
                    .and_then(|sku| self.state.picture.master.product(sku))
                    .map(|product| product.category.as_str()),
            },
            region: info.and_then(|info| info.region.as_deref()),
        };
        let team = workflow.owner(self.type_name(type_ref), &place).unwrap_or(type_team);
        self.team_name(team, location)
    }

    /// Assigns a new exception within its team, when the team's rules say how: round robin or least loaded
    /// among the members on shift at the opening instant. The choice is on the timeline.
    fn assign_on_open(&mut self, id: u64, at: Timestamp, cause: u64) {
        let rules = Arc::clone(&self.config.rules);
        // Most teams have no members to assign to: their name is not copied.
        let Some(team) = rules.workflow.teams.get(&self.state.book.exceptions.get(id).team) else {
            return;
        };
        let team_name = self.state.book.exceptions.get(id).team.clone();
        let on_shift = |member: &String| rules.workflow.on_shift(member, at);
        let chosen = match team.assignment {
            Assignment::None => return,
            Assignment::RoundRobin => {
                let last = self.state.workflow.round_robin.get(&team_name).copied();
                let count = team.members.len();
                let start = last.map_or(0, |last| last + 1);
                (0..count)
                    .map(|step| (start + step) % count)
                    .find(|&index| on_shift(&team.members[index]))
                    .inspect(|&index| {
                        self.state.workflow.round_robin.insert(team_name.clone(), index);
                    })
                    .map(|index| (&team.members[index], "round robin"))
            }
            Assignment::LeastLoaded => team
                .members
                .iter()
                .filter(|member| on_shift(member))
                .min_by_key(|member| self.state.book.exceptions.load(member))
                .map(|member| (member, "least loaded")),
        };
        let detail = match chosen {
            Some((member, how)) => {
                self.state.book.exceptions.get_mut(id).assignee = Some(member.clone());
                format!("to {member} ({how} in {team_name})")
            }
            None => format!("nobody: no member of {team_name} is on shift"),
        };
        self.state
            .book
            .exceptions
            .get_mut(id)
            .note(at, ENGINE_ACTOR, "assign", detail, cause);
    }

    /// A team setting made concrete: the location's team is named after it (`store S001`).
    fn team_name(&self, team: &str, location: Option<LocationId>) -> String {
        if team != LOCATION_TEAM {
            return team.to_string();
        }
        let Some(location) = location else {
            return TEAM_WITHOUT_LOCATION.to_string();
        };
        let kind = match self.state.picture.master.location(location).map(|info| info.kind) {
            Some(LocationKind::Store) => "store ",
            Some(LocationKind::Warehouse) => "warehouse ",
            Some(LocationKind::Web) => "web ",
            None => "location ",
        };
        // Every exception at a location names its team so: pieces pushed, not formatted.
        let code = self.state.picture.locations.name(location);
        let mut name = String::with_capacity(kind.len() + code.len());
        name.push_str(kind);
        name.push_str(code);
        name
    }

    /// The location's opening hours in its zone; `None` (always open) without hours or with an unknown zone.
    /// Cached until the location's master data changes. Every till sale asks: the cached answer is inlined.
    #[inline]
    pub(super) fn business_hours(&mut self, location: LocationId) -> Option<BusinessHours> {
        match self.calendars.get(location as usize) {
            Some(Some(calendar)) => *calendar,
            _ => self.work_out_business_hours(location),
        }
    }

    #[cold]
    fn work_out_business_hours(&mut self, location: LocationId) -> Option<BusinessHours> {
        let calendar = self.state.picture.master.location(location).and_then(|info| {
            let hours = info.hours?;
            let zone = match &info.timezone {
                Some(name) => name.parse::<Tz>().ok()?,
                None => Tz::UTC,
            };
            Some(BusinessHours { zone, hours })
        });
        let slot = location as usize;
        if self.calendars.len() <= slot {
            self.calendars.resize(slot + 1, None);
        }
        self.calendars[slot] = Some(calendar);
        calendar
    }

    fn count_store_exception(&mut self, location: Option<LocationId>, at: Timestamp) {
        let Some(location) = location else { return };
        let is_store = self
            .state
            .picture
            .master
            .location(location)
            .is_some_and(|info| info.kind == LocationKind::Store);
        if is_store {
            self.state
                .stats
                .stores
                .entry(location)
                .or_default()
                .exceptions
                .add(day_of(at), 1);
        }
    }
}

/// A type's place in the causal order of incidents; custom types have none.
pub(super) fn causal_rank(type_ref: TypeRef) -> Option<u8> {
    match type_ref {
        TypeRef::BuiltIn(exception_type) => exception_type.root_cause_rank(),
        TypeRef::Custom(_) => None,
    }
}

impl Engine {
    /// What every detector may read to find its parameters.
    pub(super) fn params(&self) -> Params<'_> {
        Params {
            rules: &self.config.rules,
            defaults: &self.param_defaults,
            locations: &self.state.picture.locations,
            master: &self.state.picture.master,
        }
    }

    /// A detector parameter for an exception at `location` about `sku`, honouring the rules' overrides.
    pub(super) fn param(
        &self,
        exception_type: ExceptionType,
        param: Param,
        location: Option<LocationId>,
        sku: Option<SkuId>,
    ) -> Decimal {
        self.params().get(exception_type, param, location, sku)
    }
}

/// Enabled, severity floor and team setting of a type.
fn type_settings(rules: &Rules, type_ref: TypeRef) -> (bool, Severity, &str) {
    match type_ref {
        TypeRef::BuiltIn(exception_type) => {
            let rule = rules.rule(exception_type);
            (rule.enabled, rule.severity_floor, &rule.team)
        }
        TypeRef::Custom(index) => {
            let custom = &rules.custom[usize::from(index)];
            (custom.enabled, custom.severity_floor, &custom.team)
        }
    }
}
