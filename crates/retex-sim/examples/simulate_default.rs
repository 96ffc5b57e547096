//! Runs the default retailer scenario (40 stores, 30 days) and prints its size, speed and injected faults.
//!
//! `cargo run --release -p retex-sim --example simulate_default [events.ndjson [truth.json]]`: without arguments
//! the events are counted and dropped; with paths they are written there.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::time::Instant;

use retex_sim::{Scenario, simulate};

fn main() -> io::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let scenario = Scenario::default_retailer();
    let mut out: Box<dyn Write> = match arguments.first() {
        Some(path) => Box::new(BufWriter::new(File::create(path)?)),
        None => Box::new(io::sink()),
    };
    let started = Instant::now();
    let summary = simulate(&scenario, &mut out, &mut |_| {})?;
    out.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    if let Some(path) = arguments.get(1) {
        serde_json::to_writer_pretty(BufWriter::new(File::create(path)?), &summary.truth)?;
    }
    println!("events   {}", summary.events_written);
    println!(
        "bytes    {} ({:.1} MB)",
        summary.bytes_written,
        summary.bytes_written as f64 / 1e6
    );
    println!("seconds  {seconds:.2}");
    println!("faults   {}", summary.truth.faults.len());
    let mut by_kind: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for fault in &summary.truth.faults {
        let entry = by_kind.entry(fault.fault.clone()).or_default();
        entry.0 += 1;
        for exception_type in &fault.exception_types {
            if !entry.1.contains(exception_type) {
                entry.1.push(exception_type.clone());
            }
        }
    }
    for (kind, (count, types)) in by_kind {
        println!("  {kind:<26} {count:>5}  {}", types.join(", "));
    }
    Ok(())
}
