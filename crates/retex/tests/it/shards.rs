//! A chain split into two shards by region (docs/scaling.md): `retex route` gives each its events, each runs
//! under its `[shard]` rules, and between them they raise exactly what one node raises over the whole chain,
//! each exception once, with the same stock at every location; the transfers from the warehouse in one shard to
//! the stores of the other are matched by the receiving shard.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::{retex, stderr, stdout};

/// The simulator's regions: the warehouse and the web shop's home shard takes the first two.
const HOME_REGIONS: &str = r#"["central-europe", "uk"]"#;
const OTHER_REGIONS: &str = r#"["us-east", "us-central"]"#;

fn run(args: &[&str]) -> String {
    let output = retex(args);
    assert!(output.status.success(), "retex {args:?}: {}", stderr(&output));
    stdout(&output)
}

/// Every exception of a store as (type, location, sku, document), with how often each appears.
fn exceptions(db: &str, rules: &[&str]) -> BTreeMap<(String, String, String, String), usize> {
    let listed = run(&[
        &["exceptions", "--db", db, "--status", "all", "--format", "ndjson"],
        rules,
    ]
    .concat());
    let mut keys = BTreeMap::new();
    for line in listed.lines() {
        let exception: serde_json::Value = serde_json::from_str(line).unwrap();
        let field = |name: &str| exception[name].as_str().unwrap_or("").to_owned();
        *keys
            .entry((field("type"), field("location"), field("sku"), field("ref")))
            .or_insert(0) += 1;
    }
    keys
}

/// Every position of a store: (location, sku) to its stock line.
fn stock(db: &str, rules: &[&str]) -> BTreeMap<(String, String), serde_json::Value> {
    let listed = run(&[&["stock", "--db", db, "--format", "ndjson"], rules].concat());
    listed
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            let key = (
                row["location"].as_str().unwrap().to_owned(),
                row["sku"].as_str().unwrap().to_owned(),
            );
            (key, row)
        })
        .collect()
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

#[test]
fn two_shards_raise_between_them_what_one_node_raises_and_match_the_transfers_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let world = path(dir.path(), "world.ndjson");
    run(&[
        "simulate", "--stores", "8", "--days", "5", "--skus", "150", "--seed", "3", "--out", &world,
    ]);
    let mut shards = Vec::new();
    for (name, regions, home) in [("home", HOME_REGIONS, true), ("other", OTHER_REGIONS, false)] {
        let rules = path(dir.path(), &format!("{name}.toml"));
        std::fs::write(&rules, format!("[shard]\nregions = {regions}\nhome = {home}\n")).unwrap();
        let events = path(dir.path(), &format!("{name}.ndjson"));
        run(&["route", "--rules", &rules, "--out", &events, &world]);
        let db = path(dir.path(), &format!("{name}.db"));
        run(&["ingest", "--db", &db, "--rules", &rules, &events]);
        shards.push((db, rules));
    }
    let whole = path(dir.path(), "whole.db");
    run(&["ingest", "--db", &whole, &world]);

    let one_node = exceptions(&whole, &[]);
    let per_shard: Vec<_> = shards
        .iter()
        .map(|(db, rules)| exceptions(db, &["--rules", rules]))
        .collect();
    let both: Vec<_> = per_shard[0]
        .keys()
        .filter(|key| per_shard[1].contains_key(*key))
        .collect();
    assert!(both.is_empty(), "raised by both shards: {both:?}");
    let mut together = per_shard[0].clone();
    together.extend(per_shard[1].clone());
    assert_eq!(together, one_node, "the shards raise what one node raises");

    // The transfers from the home shard's warehouse to the other shard's stores, and what was raised on them.
    let mut region_of = BTreeMap::new();
    let mut crossing = BTreeSet::new();
    for line in std::fs::read_to_string(&world).unwrap().lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        match event["type"].as_str().unwrap() {
            "location" => {
                region_of.insert(
                    event["code"].as_str().unwrap().to_owned(),
                    event["region"].as_str().map(str::to_owned),
                );
            }
            "transfer_shipped" => {
                let home = |code: &serde_json::Value| {
                    let region = region_of[code.as_str().unwrap()].clone().unwrap_or_default();
                    HOME_REGIONS.contains(&format!("\"{region}\"")) || region.is_empty()
                };
                if home(&event["from"]) != home(&event["to"]) {
                    crossing.insert(event["transfer"].as_str().unwrap().to_owned());
                }
            }
            _ => {}
        }
    }
    assert!(
        crossing.len() > 50,
        "the world has transfers between the shards: {}",
        crossing.len()
    );
    let on_crossing = |raised: &BTreeMap<(String, String, String, String), usize>| {
        raised
            .keys()
            .filter(|(kind, _, _, document)| kind.starts_with("transfer_") && crossing.contains(document))
            .count()
    };
    assert!(on_crossing(&one_node) > 0, "some transfers between the shards go wrong");
    assert_eq!(
        on_crossing(&per_shard[1]),
        on_crossing(&one_node),
        "the receiving shard matches them"
    );

    let whole_stock = stock(&whole, &[]);
    let shard_stock: Vec<_> = shards
        .iter()
        .map(|(db, rules)| stock(db, &["--rules", rules]))
        .collect();
    for ((location, sku), row) in &whole_stock {
        let region = region_of.get(location).cloned().flatten().unwrap_or_default();
        let owner = usize::from(!(region.is_empty() || HOME_REGIONS.contains(&format!("\"{region}\""))));
        assert_eq!(
            shard_stock[owner].get(&(location.clone(), sku.clone())),
            Some(row),
            "{location} {sku} in its shard"
        );
    }
}
