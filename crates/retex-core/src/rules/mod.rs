//! Rules: the exception taxonomy as configuration (DESIGN.md, "Rules are configuration").
//!
//! [`Rules::default`] is exactly exceptions.md and workflow.md. A rules file (TOML, see [`file`]) can switch each
//! built-in type off, change every parameter, its team and severity floor, override parameters per location, per
//! location kind and per product category (most specific wins, see [`Scope::specificity`]), set the severity
//! bands, and declare custom types whose condition is an [`expr::Expr`]. A rule set is identified by
//! [`Rules::version`], a hash of its canonical form, which every exception records.
//!
//! # Layout
//! - [`taxonomy`]: the built-in types, their parameters and defaults.
//! - [`expr`]: the condition language of custom types.
//! - [`file`]: reading and checking a TOML rules file, and writing the defaults as one.
//! - [`workflow`]: teams, shifts, ownership, holidays and approvals.

pub mod expr;
pub mod file;
pub mod taxonomy;
pub mod workflow;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::codes::Money;
use crate::event::LocationKind;
pub use taxonomy::{ExceptionType, HISTORY_DAYS, LOCATION_TEAM, Param, Severity};

/// Impact at or above which an exception has each severity (workflow.md).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeverityBands {
    pub critical: Decimal,
    pub high: Decimal,
    pub medium: Decimal,
}

impl Default for SeverityBands {
    fn default() -> Self {
        Self {
            critical: Decimal::from(1_000),
            high: Decimal::from(250),
            medium: Decimal::from(50),
        }
    }
}

impl SeverityBands {
    pub fn severity(&self, impact: Money) -> Severity {
        let impact = impact.0.abs();
        if impact >= self.critical {
            Severity::Critical
        } else if impact >= self.high {
            Severity::High
        } else if impact >= self.medium {
            Severity::Medium
        } else {
            Severity::Low
        }
    }
}

/// Where an override applies; every given part must match. An absent part matches everything.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Scope {
    pub location: Option<String>,
    pub location_kind: Option<LocationKind>,
    /// A category path prefix on level boundaries: `Grocery/Drinks` covers `Grocery/Drinks/Soda`.
    pub category: Option<String>,
}

/// What a parameter lookup knows about the exception's place and product.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScopeContext<'a> {
    pub location: Option<&'a str>,
    pub location_kind: Option<LocationKind>,
    pub category: Option<&'a str>,
}

impl Scope {
    /// How specific a matching scope is, `None` when it does not match. A location beats a category, a deeper
    /// category beats a shallower one, and a category beats a location kind; on a tie the later override wins.
    pub fn specificity(&self, context: &ScopeContext<'_>) -> Option<u32> {
        let mut score = 0;
        if let Some(location) = &self.location {
            if context.location != Some(location.as_str()) {
                return None;
            }
            score += 1_000;
        }
        if let Some(category) = &self.category {
            let product_category = context.category?;
            let covers = product_category == category
                || (product_category.starts_with(category.as_str())
                    && product_category.as_bytes().get(category.len()) == Some(&b'/'));
            if !covers {
                return None;
            }
            score += 10 * (category.matches('/').count() as u32 + 1);
        }
        if let Some(kind) = self.location_kind {
            if context.location_kind != Some(kind) {
                return None;
            }
            score += 1;
        }
        Some(score)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Override {
    pub scope: Scope,
    pub params: BTreeMap<Param, Decimal>,
}

/// The configuration of one built-in type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeRule {
    pub enabled: bool,
    /// A company-wide team, or [`LOCATION_TEAM`] for the team of the exception's location.
    pub team: String,
    pub severity_floor: Severity,
    pub params: BTreeMap<Param, Decimal>,
    pub overrides: Vec<Override>,
    /// SLA targets of this type, per severity, where they differ from the severity's.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sla: BTreeMap<Severity, SlaTarget>,
    /// A resolution needs evidence attached first.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub require_evidence: bool,
    /// The standard operating procedure the exception page shows, where the file replaces the built-in one
    /// ([`ExceptionType::default_procedure`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
}

/// Which parts of an event make a custom exception's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPart {
    Location,
    Sku,
    /// The event's document number (order, po, transfer, return, promotion or message).
    Ref,
}

/// A type declared in the rules file: raised when its condition holds for an event of one of its kinds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomType {
    pub name: String,
    pub enabled: bool,
    /// Event types (`sale`, `count`, ...) the condition is evaluated on.
    pub on: Vec<String>,
    pub category: String,
    pub condition: expr::Expr,
    pub key: Vec<KeyPart>,
    /// Money impact; zero when absent.
    pub impact: Option<expr::Expr>,
    pub team: String,
    pub severity_floor: Severity,
    /// The standard operating procedure the exception page shows; custom types have none built in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<String>,
}

/// Acknowledge and resolve targets of one severity, in business minutes (workflow.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct SlaTarget {
    pub acknowledge_minutes: i64,
    pub resolve_minutes: i64,
}

/// The SLA targets per severity, lowest severity first.
pub fn default_sla_targets() -> BTreeMap<Severity, SlaTarget> {
    let target = |acknowledge_minutes, resolve_minutes| SlaTarget {
        acknowledge_minutes,
        resolve_minutes,
    };
    BTreeMap::from([
        (Severity::Low, target(8 * 60, 72 * 60)),
        (Severity::Medium, target(4 * 60, 24 * 60)),
        (Severity::High, target(60, 8 * 60)),
        (Severity::Critical, target(30, 4 * 60)),
    ])
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rules {
    pub severity: SeverityBands,
    pub sla: BTreeMap<Severity, SlaTarget>,
    /// One per built-in type, indexed by [`ExceptionType::index`].
    pub types: Vec<TypeRule>,
    pub custom: Vec<CustomType>,
    #[serde(skip_serializing_if = "workflow::Workflow::is_empty")]
    pub workflow: workflow::Workflow,
    /// How often each product category is counted at each store (`count_overdue`), sorted by category.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub count_schedule: Vec<CountRule>,
    /// The ISO 4217 code of the company currency, in which every amount of the events is (`[money]`).
    #[serde(skip_serializing_if = "is_default_currency")]
    pub currency: String,
    /// The part of a chain split by region that this deployment answers for (`[shard]`); none: all of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
}

/// A shard of a chain split by region (docs/scaling.md): it raises exceptions at the locations of its regions
/// only and, when it is the home shard, at no location or one in no region (customers' orders and messages, the
/// web shop).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// Its regions, sorted.
    pub regions: Vec<String>,
    pub home: bool,
}

impl Shard {
    /// Whether this shard answers for a location in `region` (none: a location in no region, or no location).
    pub fn answers_for(&self, region: Option<&str>) -> bool {
        match region {
            Some(region) => self.regions.binary_search_by(|own| own.as_str().cmp(region)).is_ok(),
            None => self.home,
        }
    }
}

/// A category's cycle count: every position of a product in it (or in a category under it) at a store is counted
/// at least every `every_days` days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountRule {
    /// A category path or its first levels (`Home` takes `Home/Kitchen`).
    pub category: String,
    pub every_days: u32,
}

/// The currency when the rules name none.
pub const DEFAULT_CURRENCY: &str = "EUR";

fn is_default_currency(currency: &String) -> bool {
    currency == DEFAULT_CURRENCY
}

impl Default for Rules {
    fn default() -> Self {
        let mut types = Vec::with_capacity(ExceptionType::ALL.len());
        for exception_type in ExceptionType::ALL {
            types.push(TypeRule {
                enabled: exception_type.enabled_by_default(),
                team: exception_type.default_team().to_string(),
                severity_floor: exception_type.default_severity_floor(),
                params: exception_type.default_params().iter().copied().collect(),
                overrides: Vec::new(),
                sla: BTreeMap::new(),
                require_evidence: false,
                procedure: None,
            });
        }
        Self {
            severity: SeverityBands::default(),
            sla: default_sla_targets(),
            types,
            custom: Vec::new(),
            workflow: workflow::Workflow::default(),
            count_schedule: Vec::new(),
            currency: DEFAULT_CURRENCY.to_owned(),
            shard: None,
        }
    }
}

impl Rules {
    pub fn rule(&self, exception_type: ExceptionType) -> &TypeRule {
        &self.types[exception_type.index()]
    }

    pub fn is_enabled(&self, exception_type: ExceptionType) -> bool {
        self.types[exception_type.index()].enabled
    }

    /// A parameter's value for an exception in `context`: the most specific matching override, else the type's
    /// own value. Panics when the type has no such parameter: detectors only ask for their own.
    pub fn param(&self, exception_type: ExceptionType, param: Param, context: &ScopeContext<'_>) -> Decimal {
        let rule = &self.types[exception_type.index()];
        let mut best: Option<(u32, Decimal)> = None;
        for candidate in &rule.overrides {
            let (Some(value), Some(score)) = (candidate.params.get(&param), candidate.scope.specificity(context))
            else {
                continue;
            };
            if best.is_none_or(|(best_score, _)| score >= best_score) {
                best = Some((score, *value));
            }
        }
        match best {
            Some((_, value)) => value,
            None => *rule
                .params
                .get(&param)
                .unwrap_or_else(|| panic!("{} has no parameter {}", exception_type.name(), param.name())),
        }
    }

    /// The standard operating procedure of a built-in type: the file's, else the built-in one.
    pub fn procedure(&self, exception_type: ExceptionType) -> &str {
        self.rule(exception_type)
            .procedure
            .as_deref()
            .unwrap_or_else(|| exception_type.default_procedure())
    }

    /// Whether any override of the type could change a parameter; when not, detectors need no context.
    pub fn has_overrides(&self, exception_type: ExceptionType) -> bool {
        !self.types[exception_type.index()].overrides.is_empty()
    }

    /// The count rule of a product category: the one naming the most of its levels, by index in
    /// `count_schedule`; `None` when no rule takes it.
    pub fn count_rule_for(&self, category: &str) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (index, rule) in self.count_schedule.iter().enumerate() {
            let takes = category == rule.category
                || category
                    .strip_prefix(rule.category.as_str())
                    .is_some_and(|rest| rest.starts_with('/'));
            let levels = rule.category.split('/').count();
            if takes && best.is_none_or(|(_, best_levels)| levels > best_levels) {
                best = Some((index, levels));
            }
        }
        best.map(|(index, _)| index)
    }

    /// The rule set's identity: the first 16 hex digits of the SHA-256 of its canonical JSON form.
    pub fn version(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("rules always serialize");
        crate::codes::hash_hex(&canonical)[..16].to_string()
    }
}
