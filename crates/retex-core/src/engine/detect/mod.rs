//! The detectors: what is wrong. Each is a plain function from a narrow, read-only view of the state it reads
//! (and nothing else) to the detections it makes; the engine applies them in one place (`Engine::apply_verdict`:
//! raise, de-duplicate, resolve). A detector cannot change state, so it cannot reach what it does not read.
//!
//! # Layout
//! - `pricing`: `price_mismatch` and `promotion_conflict`, over master prices and promotions.
//! - `master_data`: incomplete products and suppliers.
//! - `service`: `customer_complaint`, over the configured message model.
//! - `documents`: transfers, purchase orders, web orders and returns, over the documents.
//! - `stock`: `negative_stock` and `count_variance`, over a position's movement.
//! - `inventory`: `phantom_stock` and `low_stock`, over a position's sales history and what is inbound.
//! - `governance`: `store_exception_rate`, over each store's daily counts.
//! - `shrink`: `shrink_anomaly`, over a store's closed day of shrink and the detector's score for it.
//! - `counts`: `count_overdue`, over a store's positions of a scheduled category past their count.
//! - `problems`: `recurring_problem`, over a location's resolutions with one root cause.
//! - `custom`: the rules' custom types, over the event and the ledger and master data it names.

pub mod counts;
pub mod custom;
pub mod documents;
pub mod governance;
pub mod inventory;
pub mod master_data;
pub mod pricing;
pub mod problems;
pub mod service;
pub mod shrink;
pub mod stock;
pub mod supplier_risk;

use rust_decimal::Decimal;

use crate::codes::{DocumentNumber, Money, Timestamp};
use crate::engine::exceptions::{ExceptionKey, TypeRef};
use crate::engine::facts::Facts;
use crate::engine::incidents::Touch;
use crate::engine::interner::Interner;
use crate::engine::ledger::{LocationId, SkuId};
use crate::engine::master::MasterData;
use crate::rules::{ExceptionType, Param, Rules, ScopeContext};

/// The input being applied: its log entry and time, for traceability.
#[derive(Clone, Copy, Debug)]
pub struct Cause {
    pub seq: u64,
    pub at: Timestamp,
}

/// What a detector found: a condition holds (raise it) or no longer holds (resolve the open exception).
#[derive(Debug)]
pub enum Verdict {
    Raise(Detection),
    Clear { key: ExceptionKey, cause: Cause },
}

/// One sighting of a condition: the key that de-duplicates it (exactly the key columns of exceptions.md),
/// and where it is, for display, team and business hours.
#[derive(Debug)]
pub struct Detection {
    pub key: ExceptionKey,
    pub location: Option<LocationId>,
    pub sku: Option<SkuId>,
    pub reference: Option<DocumentNumber>,
    pub at: Timestamp,
    pub impact: Money,
    pub cause: u64,
    pub touches: Vec<Touch>,
    /// What a statistical detector saw, in words, for the exception page.
    pub explanation: Option<String>,
    /// The version of the model that decided, when a model did (`Insight::version`).
    pub model_version: Option<String>,
    /// What a built-in detector saw, for the exception page's "What happened" (boxed: most verdicts clear, and
    /// a verdict is as large as its largest variant).
    pub facts: Option<Box<Facts>>,
}

impl Detection {
    /// A detection of a built-in type about one position.
    pub fn at_position(
        exception_type: ExceptionType,
        location: LocationId,
        sku: SkuId,
        at: Timestamp,
        impact: Money,
        cause: u64,
    ) -> Self {
        Self {
            key: key_of(exception_type, Some(location), Some(sku), None),
            location: Some(location),
            sku: Some(sku),
            reference: None,
            at,
            impact,
            cause,
            touches: vec![Touch::Position(location, sku)],
            explanation: None,
            model_version: None,
            facts: None,
        }
    }

    /// A detection of a built-in type about a document, touching the document and the given positions.
    pub fn on_document(
        exception_type: ExceptionType,
        location: Option<LocationId>,
        document: &DocumentNumber,
        positions: &[(LocationId, SkuId)],
        at: Timestamp,
        impact: Money,
        cause: u64,
    ) -> Self {
        let mut touches = vec![Touch::Document(document.clone())];
        for &(location, sku) in positions {
            touches.push(Touch::Position(location, sku));
        }
        Self {
            key: key_of(exception_type, None, None, Some(document)),
            location,
            sku: None,
            reference: Some(document.clone()),
            at,
            impact,
            cause,
            touches,
            explanation: None,
            model_version: None,
            facts: None,
        }
    }

    /// The detection with what its detector saw.
    pub fn with_facts(mut self, facts: Facts) -> Self {
        self.facts = Some(Box::new(facts));
        self
    }

    pub fn type_ref(&self) -> TypeRef {
        self.key.exception_type
    }
}

/// The key of a built-in type's exception.
pub fn key_of(
    exception_type: ExceptionType,
    location: Option<LocationId>,
    sku: Option<SkuId>,
    reference: Option<&DocumentNumber>,
) -> ExceptionKey {
    ExceptionKey {
        exception_type: TypeRef::BuiltIn(exception_type),
        location,
        sku,
        reference: reference.cloned(),
    }
}

/// A verdict that clears the built-in type's exception under this key.
pub fn clear(
    exception_type: ExceptionType,
    location: Option<LocationId>,
    sku: Option<SkuId>,
    reference: Option<&DocumentNumber>,
    cause: Cause,
) -> Verdict {
    Verdict::Clear {
        key: key_of(exception_type, location, sku, reference),
        cause,
    }
}

/// Each type's parameter values without overrides, by `type index * Param::ALL.len() + param index`: spares the
/// hot path a map lookup.
#[derive(Clone, Debug)]
pub struct ParamDefaults(Vec<Option<Decimal>>);

impl ParamDefaults {
    pub fn of(rules: &Rules) -> Self {
        let mut table = vec![None; ExceptionType::ALL.len() * Param::ALL.len()];
        for exception_type in ExceptionType::ALL {
            for (param, value) in &rules.rule(exception_type).params {
                table[exception_type.index() * Param::ALL.len() + param.index()] = Some(*value);
            }
        }
        Self(table)
    }
}

/// The view every detector may read: the rules, and the master data that scopes their overrides.
#[derive(Clone, Copy)]
pub struct Params<'a> {
    pub rules: &'a Rules,
    pub defaults: &'a ParamDefaults,
    pub locations: &'a Interner,
    pub master: &'a MasterData,
}

impl Params<'_> {
    pub fn is_enabled(&self, exception_type: ExceptionType) -> bool {
        self.rules.is_enabled(exception_type)
    }

    /// A detector parameter for an exception at `location` about `sku`, honouring the rules' overrides.
    pub fn get(
        &self,
        exception_type: ExceptionType,
        param: Param,
        location: Option<LocationId>,
        sku: Option<SkuId>,
    ) -> Decimal {
        if !self.rules.has_overrides(exception_type) {
            let index = exception_type.index() * Param::ALL.len() + param.index();
            return self.defaults.0[index]
                .unwrap_or_else(|| panic!("{} has no parameter {}", exception_type.name(), param.name()));
        }
        let context = ScopeContext {
            location: location.map(|location| self.locations.name(location)),
            location_kind: location
                .and_then(|location| self.master.location(location))
                .map(|info| info.kind),
            category: sku
                .and_then(|sku| self.master.product(sku))
                .map(|product| product.category.as_str()),
        };
        self.rules.param(exception_type, param, &context)
    }

    /// A parameter in hours, as milliseconds.
    pub fn hours_ms(
        &self,
        exception_type: ExceptionType,
        param: Param,
        location: Option<LocationId>,
        sku: Option<SkuId>,
    ) -> i64 {
        let hours = self.get(exception_type, param, location, sku);
        i64::try_from((hours * Decimal::from(Timestamp::MILLIS_PER_HOUR)).trunc()).unwrap_or(i64::MAX / 4)
    }
}
