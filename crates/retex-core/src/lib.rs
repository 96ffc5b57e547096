//! Retex's domain and engine: the event schema, and a pure, deterministic engine that applies the log.
//!
//! Nothing here does I/O, reads a clock or draws random numbers: time arrives inside the inputs, so the same
//! log always yields the same state, byte for byte. The shell crates (`retex-store`, the `retex` binary) feed it.
//!
//! # Layout
//! - [`names`]: the `wire_names!` macro: each closed set of wire names written once.
//! - [`codes`]: validated codes, timestamps, exact decimal quantities and money.
//! - [`display`]: money, quantities and local times as people read them.
//! - [`event`]: the event schema (events.md) as typed values, and its JSON Schema.
//! - [`command`]: what people do to exceptions, logged like events.
//! - [`wire`]: parsing one NDJSON line into an [`event::Event`], with errors naming the field.
//! - [`receive`]: what every receiving door does with a line: size, encoding, parse, and its date against the
//!   caller's clock.
//! - [`rules`]: the exception taxonomy as configuration: defaults, the TOML rules file, custom conditions.
//! - [`import`]: CSV files of master data and counts as events.
//! - [`fuzzing`]: what must hold for any input at every door, for the fuzz targets and their corpus.
//! - [`anomaly`]: a streaming anomaly detector with fixed-size state per series (NAB-measured; daily shrink).
//! - [`routing`]: which events a shard of a chain split by region takes.
//! - [`engine`]: the operational picture (master data, stock ledger, documents), the deadline queue, snapshots.

pub mod anomaly;
pub mod codes;
pub mod command;
pub mod display;
pub mod engine;
pub mod event;
pub mod fuzzing;
pub mod import;
pub mod names;
pub mod receive;
pub mod routing;
pub mod rules;
pub mod wire;
