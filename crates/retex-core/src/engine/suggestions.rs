//! Suggested resolutions (the next best action): for an active exception, the root causes and resolutions
//! people chose for similar exceptions they resolved, and how often those held, so that the person working on it
//! starts from what worked before instead of from a blank form.
//!
//! Similar means the same type (and, for a count, the same finding: more than the books, some short, or the shelf
//! empty), location kind, product category and impact band; when fewer than
//! [`SIMILAR_EXAMPLES_MIN`] resolved exceptions are that alike, the band is dropped, then the category, then the
//! location kind, and the suggestion says which level it used. A resolution held when the exception was not
//! reopened and not repeated (a later exception of the same type and key) within [`HOLD_WINDOW_MS`] of it.
//! Pairs rank by held, then chosen, then name. It reads only the type's exceptions a person gave a root cause
//! (an index the exception book keeps), in one pass.

use rustc_hash::FxHashMap;
use schemars::JsonSchema;
use serde::Serialize;

use crate::codes::Timestamp;
use crate::command::{ActionKind, Resolution, RootCause};
use crate::engine::composition::Engine;
use crate::engine::exceptions::{ExceptionRecord, ExceptionStatus};
use crate::engine::facts::Facts;
use crate::event::LocationKind;
use crate::rules::Severity;

/// Fewer resolved examples than this at a level of similarity, and the next coarser level is used.
pub const SIMILAR_EXAMPLES_MIN: u32 = 5;
/// A resolution holds when nothing undid it within this time: 14 days.
pub const HOLD_WINDOW_MS: i64 = 14 * Timestamp::MILLIS_PER_DAY;
/// The suggestions shown for one exception.
pub const SUGGESTIONS_MAX: usize = 3;

crate::wire_names! {
    /// What the examples of a suggestion share with the exception, finest first.
    pub enum SimilarBy {
        TypeLocationKindCategoryBand = "type_location_kind_category_band",
        TypeLocationKindCategory = "type_location_kind_category",
        TypeLocationKind = "type_location_kind",
        Type = "type",
    }
}

/// A root cause and resolution people chose for similar exceptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Suggestion {
    pub root_cause: RootCause,
    /// What was done; absent when the resolvers did not say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// Similar exceptions resolved with this root cause and resolution: the evidence.
    pub chosen: u32,
    /// Of those, the ones not reopened nor repeated within 14 days of their resolution.
    pub held: u32,
    pub similar_by: SimilarBy,
    /// The same, in words: `same type, store, category Grocery/Drinks, low impact`.
    pub similar_to: String,
}

/// What a count found against the books: the first thing a store manager asks of a count variance, and what
/// tells a miscount (often a surplus), theft (some units short) and a misplaced shelf (nothing there) apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CountFinding {
    Surplus,
    Short,
    Empty,
}

impl CountFinding {
    fn of(record: &ExceptionRecord) -> Option<CountFinding> {
        let Some(Facts::Count { counted, ledger, .. }) = &record.facts else {
            return None;
        };
        Some(if counted > ledger {
            CountFinding::Surplus
        } else if !counted.is_positive() {
            CountFinding::Empty
        } else {
            CountFinding::Short
        })
    }

    fn words(self) -> &'static str {
        match self {
            CountFinding::Surplus => "counted more than the books",
            CountFinding::Short => "counted short",
            CountFinding::Empty => "shelf empty",
        }
    }
}

/// What similarity compares: an exception's location kind, product category and impact band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SimilarityClass<'a> {
    /// Part of the type: examples that found otherwise are not similar at any level.
    finding: Option<CountFinding>,
    location_kind: Option<LocationKind>,
    category: Option<&'a str>,
    band: Severity,
}

impl SimilarityClass<'_> {
    /// How many of kind, category and band `other` shares with this, in that order: 3 is
    /// [`SimilarBy::TypeLocationKindCategoryBand`], 0 is [`SimilarBy::Type`].
    fn depth_shared(&self, other: &Self) -> usize {
        if self.location_kind != other.location_kind {
            0
        } else if self.category != other.category {
            1
        } else if self.band != other.band {
            2
        } else {
            3
        }
    }

    fn describe(&self, similar_by: SimilarBy) -> String {
        let mut parts = vec![match self.finding {
            Some(finding) => format!("same type, {}", finding.words()),
            None => "same type".to_owned(),
        }];
        if similar_by != SimilarBy::Type {
            parts.push(match self.location_kind {
                Some(LocationKind::Store) => "store".to_owned(),
                Some(LocationKind::Warehouse) => "warehouse".to_owned(),
                Some(LocationKind::Web) => "web".to_owned(),
                None => "no location".to_owned(),
            });
        }
        if matches!(
            similar_by,
            SimilarBy::TypeLocationKindCategory | SimilarBy::TypeLocationKindCategoryBand
        ) {
            parts.push(
                self.category
                    .map_or("no product".to_owned(), |category| format!("category {category}")),
            );
        }
        if similar_by == SimilarBy::TypeLocationKindCategoryBand {
            parts.push(format!("{} impact", self.band.name()));
        }
        parts.join(", ")
    }
}

/// The level of each depth of [`SimilarityClass::depth_shared`].
const LEVEL_OF_DEPTH: [SimilarBy; 4] = [
    SimilarBy::Type,
    SimilarBy::TypeLocationKind,
    SimilarBy::TypeLocationKindCategory,
    SimilarBy::TypeLocationKindCategoryBand,
];

/// The similar exceptions resolved with one root cause and resolution.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    chosen: u32,
    held: u32,
}

type Choice = (RootCause, Option<Resolution>);

/// Whether a person's resolution held: not reopened within the window of a resolution, and the first repeat, if
/// any, opened more than the window after the last one.
pub(super) fn resolution_held(example: &ExceptionRecord, first_repeat_at: Option<Timestamp>) -> bool {
    let within_window = |from: Timestamp, to: Timestamp| (0..=HOLD_WINDOW_MS).contains(&(to.0 - from.0));
    let mut resolved_at = None;
    for entry in &example.timeline {
        if entry.action == ActionKind::Resolve.name() {
            resolved_at = Some(entry.at);
        } else if entry.action == ActionKind::Reopen.name()
            && resolved_at.is_some_and(|resolved| within_window(resolved, entry.at))
        {
            return false;
        }
    }
    // The timeline is capped: without its resolve entry, the record's time stands in.
    let Some(resolved_at) = resolved_at.or(example.resolved_at) else {
        return true;
    };
    !first_repeat_at.is_some_and(|repeated| within_window(resolved_at, repeated))
}

impl Engine {
    /// Up to [`SUGGESTIONS_MAX`] root causes and resolutions for an active exception, best first, from the
    /// similar exceptions people resolved; empty when it is not active, unknown, or nothing similar was resolved.
    pub fn suggestions(&self, id: u64) -> Vec<Suggestion> {
        let book = &self.state.book.exceptions;
        if id == 0 || id > book.records().len() as u64 {
            return Vec::new();
        }
        let target = book.get(id);
        if !target.status.is_active() {
            return Vec::new();
        }
        let class = self.similarity_class(target);
        let mut by_depth: [FxHashMap<Choice, Tally>; 4] = Default::default();
        for example in book.root_caused(target.key.exception_type) {
            let Some(root_cause) = example.root_cause else {
                continue;
            };
            if example.status != ExceptionStatus::Resolved || example.id == id {
                continue;
            }
            let example_class = self.similarity_class(example);
            if example_class.finding != class.finding {
                continue;
            }
            let depth = class.depth_shared(&example_class);
            let tally = by_depth[depth].entry((root_cause, example.resolution)).or_default();
            tally.chosen += 1;
            tally.held += u32::from(resolution_held(example, book.first_repeat_at(example.id)));
        }
        let Some(depth) = evidence_depth(&by_depth) else {
            return Vec::new();
        };
        let mut tallies: FxHashMap<Choice, Tally> = FxHashMap::default();
        for shared in &by_depth[depth..] {
            for (&choice, tally) in shared {
                let merged = tallies.entry(choice).or_default();
                merged.chosen += tally.chosen;
                merged.held += tally.held;
            }
        }
        let similar_by = LEVEL_OF_DEPTH[depth];
        let similar_to = class.describe(similar_by);
        let mut ranked: Vec<(Choice, Tally)> = tallies.into_iter().collect();
        ranked.sort_by(|(a, a_tally), (b, b_tally)| {
            (b_tally.held, b_tally.chosen)
                .cmp(&(a_tally.held, a_tally.chosen))
                .then_with(|| choice_name(*a).cmp(&choice_name(*b)))
        });
        ranked.truncate(SUGGESTIONS_MAX);
        ranked
            .into_iter()
            .map(|((root_cause, resolution), tally)| Suggestion {
                root_cause,
                resolution,
                chosen: tally.chosen,
                held: tally.held,
                similar_by,
                similar_to: similar_to.clone(),
            })
            .collect()
    }

    fn similarity_class<'a>(&'a self, record: &ExceptionRecord) -> SimilarityClass<'a> {
        let master = &self.state.picture.master;
        SimilarityClass {
            finding: CountFinding::of(record),
            location_kind: record.location.and_then(|id| master.location(id)).map(|info| info.kind),
            category: (record.sku.and_then(|id| master.product(id))).map(|info| info.category.as_str()),
            band: self.config.rules.severity.severity(record.impact),
        }
    }
}

/// The finest depth with at least [`SIMILAR_EXAMPLES_MIN`] examples sharing it or more; else the coarsest, when
/// it has any.
fn evidence_depth(by_depth: &[FxHashMap<Choice, Tally>; 4]) -> Option<usize> {
    let mut examples = 0;
    for depth in (0..by_depth.len()).rev() {
        examples += by_depth[depth].values().map(|tally| tally.chosen).sum::<u32>();
        if examples >= SIMILAR_EXAMPLES_MIN {
            return Some(depth);
        }
    }
    (examples > 0).then_some(0)
}

/// The order of equal tallies: by root cause name, then resolution name (none first).
fn choice_name(choice: Choice) -> (&'static str, &'static str) {
    (choice.0.name(), choice.1.map_or("", Resolution::name))
}
