//! Suggested resolutions: the ranking (held, then chosen, then name), the held rule (a reopen or a repeat within
//! 14 days breaks it, a repeat after 15 does not), the fallback to coarser similarity when examples are few, and
//! counts that found otherwise (a surplus, a few short, an empty shelf) not taken as alike.

use retex_core::command::{Action, Resolution, RootCause};
use retex_core::engine::{Engine, EngineConfig, Input, SimilarBy, Suggestion};

use crate::{command, parse_all};

/// An engine fed one entry at a time: store S1, warehouse W1, and products made on demand.
struct World {
    engine: Engine,
    seq: u64,
    products: u32,
}

/// Monday 2 November 2026 plus `days` and `minutes`, in RFC 3339.
fn at(days: u32, minutes: u32) -> String {
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-02T10:00:00Z").unwrap();
    let instant = start + chrono::Duration::days(days.into()) + chrono::Duration::minutes(minutes.into());
    instant.to_rfc3339()
}

impl World {
    fn new() -> Self {
        let mut world = Self {
            engine: Engine::default(),
            seq: 0,
            products: 0,
        };
        world.event(r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store","timezone":"UTC"}"#);
        world.event(r#"{"id":"L2","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"W1","name":"Depot","kind":"warehouse","timezone":"UTC"}"#);
        world
    }

    fn event(&mut self, line: &str) {
        for event in parse_all(line) {
            self.apply(Input::Event(event));
        }
    }

    fn apply(&mut self, input: Input) {
        self.seq += 1;
        self.engine.apply(self.seq, &input);
    }

    /// A new product whose count variance of 10 units is worth `10 * cost`.
    fn product(&mut self, category: &str, cost: u32) -> String {
        self.products += 1;
        let sku = format!("K{}", self.products);
        self.event(&format!(
            r#"{{"id":"P{sku}","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"{sku}","name":"x","category":"{category}","uom":"unit","cost":{cost},"price":99}}"#
        ));
        sku
    }

    /// Books 10 more units and counts none, and returns the exception it raised.
    fn count_short(&mut self, location: &str, sku: &str, when: &str) -> u64 {
        self.count(location, sku, when, 0)
    }

    /// Books 10 more units and counts `counted`, and returns the exception it raised.
    fn count(&mut self, location: &str, sku: &str, when: &str, counted: u32) -> u64 {
        let seq = self.seq;
        self.event(&format!(
            r#"{{"id":"a{seq}","source":"t","type":"adjustment","at":"{when}","location":"{location}","sku":"{sku}","qty":10,"reason":"correction"}}"#
        ));
        self.event(&format!(
            r#"{{"id":"c{seq}","source":"t","type":"count","at":"{when}","location":"{location}","sku":"{sku}","counted":{counted}}}"#
        ));
        let newest = self
            .engine
            .exception_records()
            .last()
            .expect("the count raised an exception");
        assert_eq!(self.engine.sku_code(newest.sku.unwrap()), sku);
        newest.id
    }

    /// A new product of `category` counted short at `location` and resolved at once.
    fn resolved_example(&mut self, location: &str, category: &str, cost: u32, choice: (RootCause, Resolution)) {
        let sku = self.product(category, cost);
        let when = at(0, self.products);
        let id = self.count_short(location, &sku, &when);
        self.resolve(id, &when, choice);
    }

    fn resolve(&mut self, id: u64, when: &str, (root_cause, resolution): (RootCause, Resolution)) {
        self.apply(command(
            when,
            "ann",
            id,
            Action::Resolve {
                root_cause,
                note: "done".into(),
                resolution: Some(resolution),
            },
        ));
    }

    fn reopen(&mut self, id: u64, when: &str) {
        self.apply(command(when, "ann", id, Action::Reopen { note: "back".into() }));
    }

    /// Root cause, resolution, chosen and held of each suggestion.
    fn tallies(&self, id: u64) -> Vec<(RootCause, Option<Resolution>, u32, u32)> {
        let suggestions = self.engine.suggestions(id);
        suggestions
            .iter()
            .map(|suggestion| {
                (
                    suggestion.root_cause,
                    suggestion.resolution,
                    suggestion.chosen,
                    suggestion.held,
                )
            })
            .collect()
    }
}

const SHRINK: (RootCause, Resolution) = (RootCause::TheftOrShrink, Resolution::StockAdjusted);
const MISCOUNT: (RootCause, Resolution) = (RootCause::CountInaccuracy, Resolution::Recounted);
const PROCESS: (RootCause, Resolution) = (RootCause::ProcessNoncompliance, Resolution::Corrected);
const MASTER_DATA: (RootCause, Resolution) = (RootCause::MasterDataError, Resolution::Corrected);

#[test]
fn suggestions_rank_by_held_then_chosen_then_name_and_survive_a_snapshot() {
    let mut world = World::new();
    for _ in 0..2 {
        world.resolved_example("S1", "Home", 1, SHRINK);
    }
    // Three recounts, two of them reopened the next day and resolved again: chosen 3, held 1.
    for reopened in [true, true, false] {
        let sku = world.product("Home", 1);
        let id = world.count_short("S1", &sku, &at(1, world.products));
        world.resolve(id, &at(1, world.products), MISCOUNT);
        if reopened {
            world.reopen(id, &at(2, world.products));
            world.resolve(id, &at(2, world.products + 1), MISCOUNT);
        }
    }
    world.resolved_example("S1", "Home", 1, PROCESS);
    world.resolved_example("S1", "Home", 1, MASTER_DATA);
    let sku = world.product("Home", 1);
    let open = world.count_short("S1", &sku, &at(3, 0));

    let ranked = vec![
        (SHRINK.0, Some(SHRINK.1), 2, 2),
        (MISCOUNT.0, Some(MISCOUNT.1), 3, 1),
        // Tied with process_noncompliance on held and chosen: first by name.
        (MASTER_DATA.0, Some(MASTER_DATA.1), 1, 1),
    ];
    assert_eq!(world.tallies(open), ranked);
    let first = &world.engine.suggestions(open)[0];
    assert_eq!(first.similar_by, SimilarBy::TypeLocationKindCategoryBand);
    assert_eq!(
        first.similar_to,
        "same type, shelf empty, store, category Home, low impact"
    );
    let json = serde_json::to_value(first).unwrap();
    assert_eq!(json["root_cause"], "theft_or_shrink");
    assert_eq!(json["resolution"], "stock_adjusted");
    assert_eq!(json["similar_by"], "type_location_kind_category_band");

    let restored = Engine::from_snapshot(&world.engine.snapshot_bytes(), EngineConfig::default()).unwrap();
    assert_eq!(
        restored.suggestions(open),
        world.engine.suggestions(open),
        "the index is rebuilt on load"
    );
    let resolved = world.engine.exception_records()[0].id;
    assert_eq!(
        world.engine.suggestions(resolved),
        Vec::<Suggestion>::new(),
        "only for active exceptions"
    );
}

#[test]
fn a_reopen_or_a_repeat_within_14_days_breaks_held_and_a_repeat_after_15_days_does_not() {
    let mut world = World::new();
    // Each resolved on day 0.
    let reopened = world.product("Home", 1);
    let repeated_soon = world.product("Home", 1);
    let repeated_late = world.product("Home", 1);
    let reopened_late = world.product("Home", 1);
    let held = world.product("Home", 1);
    let mut ids = Vec::new();
    for (index, sku) in [&reopened, &repeated_soon, &repeated_late, &reopened_late, &held]
        .iter()
        .enumerate()
    {
        let when = at(0, index as u32);
        let id = world.count_short("S1", sku, &when);
        world.resolve(id, &when, SHRINK);
        ids.push(id);
    }
    world.reopen(ids[0], &at(3, 0));
    world.resolve(ids[0], &at(3, 1), SHRINK);
    world.count_short("S1", &repeated_soon, &at(14, 0));
    world.count_short("S1", &repeated_late, &at(15, 10));
    world.reopen(ids[3], &at(20, 0));
    world.resolve(ids[3], &at(20, 1), SHRINK);
    let sku = world.product("Home", 1);
    let open = world.count_short("S1", &sku, &at(21, 0));

    // The repeats of day 14 and 15 are open and have no root cause: not examples themselves.
    assert_eq!(world.tallies(open), vec![(SHRINK.0, Some(SHRINK.1), 5, 3)]);
}

#[test]
fn with_few_examples_the_band_then_the_category_then_the_location_kind_is_dropped() {
    let mut world = World::new();
    let sku = world.product("Home", 1);
    let open = world.count_short("S1", &sku, &at(5, 0));
    let level = |world: &World| {
        let suggestions = world.engine.suggestions(open);
        let examples: u32 = suggestions.iter().map(|suggestion| suggestion.chosen).sum();
        (suggestions.first().map(|first| first.similar_by), examples)
    };
    assert_eq!(level(&world), (None, 0), "no evidence, no suggestion");
    world.resolved_example("W1", "Drinks", 1, SHRINK);
    assert_eq!(
        level(&world),
        (Some(SimilarBy::Type), 1),
        "the coarsest level shows what it has"
    );
    for _ in 0..4 {
        world.resolved_example("S1", "Drinks", 1, SHRINK);
    }
    assert_eq!(level(&world), (Some(SimilarBy::Type), 5));
    world.resolved_example("S1", "Drinks", 1, SHRINK);
    assert_eq!(level(&world), (Some(SimilarBy::TypeLocationKind), 5));
    for _ in 0..5 {
        // Worth 300: a high impact.
        world.resolved_example("S1", "Home", 30, MISCOUNT);
    }
    assert_eq!(level(&world), (Some(SimilarBy::TypeLocationKindCategory), 5));
    for _ in 0..5 {
        world.resolved_example("S1", "Home", 1, PROCESS);
    }
    assert_eq!(level(&world), (Some(SimilarBy::TypeLocationKindCategoryBand), 5));
    assert_eq!(world.tallies(open), vec![(PROCESS.0, Some(PROCESS.1), 5, 5)]);
}

#[test]
fn a_count_is_alike_only_to_counts_that_found_the_same() {
    let mut world = World::new();
    for (counted, choice) in [(20, MISCOUNT), (4, SHRINK), (0, PROCESS)] {
        for _ in 0..5 {
            let sku = world.product("Home", 1);
            let when = at(0, world.products);
            let id = world.count("S1", &sku, &when, counted);
            world.resolve(id, &when, choice);
        }
    }
    for (counted, expected, words) in [
        (25, MISCOUNT, "counted more than the books"),
        (3, SHRINK, "counted short"),
        (0, PROCESS, "shelf empty"),
    ] {
        let sku = world.product("Home", 1);
        let open = world.count("S1", &sku, &at(3, counted), counted);
        assert_eq!(
            world.tallies(open),
            vec![(expected.0, Some(expected.1), 5, 5)],
            "counted {counted}"
        );
        let similar_to = world.engine.suggestions(open)[0].similar_to.clone();
        assert!(similar_to.starts_with(&format!("same type, {words}")), "{similar_to}");
    }
}
