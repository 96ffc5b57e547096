//! A deterministic retail world simulator: it runs stores, a warehouse, a web shop, suppliers and customers on a
//! virtual clock, writes what their systems would send Retex as NDJSON events, and records the ground truth of
//! every fault it injects with the exceptions the spec says it must raise.
//!
//! It exists to grade Retex honestly. It may use `retex-core`'s event types to build and serialize events, but
//! never the engine's state or detectors: its truth comes from its own model of the world. That model keeps the
//! true physical stock apart from what the events report, so counts report the truth, and healthy processes are
//! kept clear of every exception condition: only injected faults (and, for the statistical types, chance) raise
//! anything. The same scenario gives byte-identical output: seeded random streams, ordered collections, no clock.
//!
//! # Layout
//! - [`scenario`]: [`Scenario`] (size, seed, start) and [`FaultRates`].
//! - [`truth`]: [`Truth`], [`InjectedFault`] and the recorder that builds them.
//! - [`score`]: precision, recall and time to detect of raised exceptions against the truth.
//! - [`suggestion_score`]: the replay that plays the people resolving matched exceptions, and how often the
//!   first suggested root cause was the injected one.
//! - `world`: the state, the action queue and the day loop; `emit`: events out as NDJSON.
//! - `catalog`, `network`, `demand`: the assortment and suppliers, the locations and time zones, the customers.
//! - `master`: master data, opening stock and master-data defects.
//! - `stores`: baskets at the tills, cycle counts, theft, misplaced stock, miscounts; `spree`: organised theft.
//! - `replenish`: warehouse-to-store transfers and their faults, and the headline chain's start.
//! - `purchasing`: purchase orders, supplier notices and deliveries, and supplier faults.
//! - `pricing`: prices, promotions and pricing faults.
//! - `orders`: web orders, allocation, shipping, cancellations, delays, the headline chain's order.
//! - `returns`: returns and refunds and their faults; `messages`: customer messages.
//! - `clock`, `random`, `stock`: time zones and opening hours, seeded distributions, the stock cells.

mod catalog;
mod clock;
mod demand;
mod emit;
mod master;
mod messages;
mod network;
mod orders;
mod pricing;
mod purchasing;
mod random;
mod replenish;
mod returns;
pub mod scenario;
pub mod score;
mod spree;
mod stock;
mod stores;
pub mod suggestion_score;
pub mod truth;
mod world;

pub use scenario::{FaultRates, Scenario};
pub use truth::{ExpectedException, FaultKey, InjectedFault, Truth};

/// How far a simulation has come, reported after each simulated day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimProgress {
    pub days_done: u32,
    pub days_total: u32,
    pub events_written: u64,
}

/// What a simulation wrote, and its ground truth.
#[derive(Clone, Debug, PartialEq)]
pub struct SimSummary {
    pub events_written: u64,
    pub bytes_written: u64,
    pub truth: Truth,
}

/// Runs the scenario, writing one NDJSON event per line to `out` in arrival order (which is time order), and
/// returns the summary with the truth. Fails only when writing fails or the scenario has no stores, SKUs or
/// suppliers.
pub fn simulate(
    scenario: &Scenario,
    out: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(SimProgress),
) -> std::io::Result<SimSummary> {
    if scenario.stores == 0 || scenario.skus == 0 || scenario.suppliers == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a scenario needs at least one store, one sku and one supplier",
        ));
    }
    let mut world = world::World::new(scenario, out);
    world.run(progress)?;
    Ok(world.into_summary())
}
