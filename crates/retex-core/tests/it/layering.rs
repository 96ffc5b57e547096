//! The dependency picture inside retex-core has no circles, and the engine's lower layers cannot reach the
//! engine: its state parts and its detectors never use `Engine` or the modules that implement it.
//!
//! Read from the source: every `crate::...` path outside comments is an edge from the file's module to the
//! module it names. Nodes are the top-level modules (`rules` as one), every engine module (the detectors,
//! `engine::detect`, as one), and `engine` itself (`engine/mod.rs` with what it re-exports).
// The engine does no I/O; this test reads its source.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The engine's state parts: they know nothing of the engine's composition, its behaviours nor the detectors.
const STATE_PARTS: [&str; 24] = [
    "picture",
    "ledger",
    "interner",
    "master",
    "documents",
    "receipts",
    "stats",
    "day_ring",
    "stock_projection",
    "supply_rhythm",
    "shrink_series",
    "count_program",
    "recurrences",
    "task_list",
    "silence_records",
    "calendar",
    "exceptions",
    "exception_commands",
    "facts",
    "incidents",
    "deadlines",
    "refusal",
    "insight",
    "sorted_map",
];

fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The node a file belongs to.
fn node_of_file(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [top] => top.clone(),
        [engine, detect, ..] if engine == "engine" && detect == "detect" => "engine::detect".into(),
        [engine, module] if engine == "engine" && module == "mod" => "engine".into(),
        [engine, module] if engine == "engine" => format!("engine::{module}"),
        [top, ..] => top.clone(),
        [] => unreachable!("a file has a name"),
    }
}

/// The node a `crate::` path names: an engine module by its name, `engine` for what it re-exports.
fn node_of_path(path: &str) -> String {
    let mut segments = path.split("::").skip(1);
    let top = segments.next().unwrap_or_default();
    if top != "engine" {
        return top.to_string();
    }
    match segments.next() {
        Some("detect") => "engine::detect".into(),
        Some(module) if module.starts_with(|c: char| c.is_ascii_lowercase()) => format!("engine::{module}"),
        _ => "engine".into(),
    }
}

/// Every `crate::a::b` path in the code (comments left out) of one file.
fn crate_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(start) = rest.find("crate::") {
            let tail = &rest[start..];
            let end = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            paths.push(tail[..end].trim_end_matches(':').to_string());
            rest = &tail[end..];
        }
    }
    paths
}

fn dependency_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = source_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let node = node_of_file(file.strip_prefix(&root).unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        let edges = graph.entry(node.clone()).or_default();
        for path in crate_paths(&text) {
            let target = node_of_path(&path);
            if target != node {
                edges.insert(target);
            }
        }
    }
    graph
}

/// A circle through `node`, if the graph has one reachable from it.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|seen| seen == node) {
            let mut circle = path[start..].to_vec();
            circle.push(node.to_string());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, path, done) {
                return Some(circle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(circle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(circle);
        }
    }
    None
}

#[test]
fn modules_import_in_one_direction_only() {
    let graph = dependency_graph();
    assert!(
        graph.contains_key("engine::detect") && graph.contains_key("engine::ledger"),
        "{graph:?}"
    );
    if let Some(circle) = find_circle(&graph) {
        panic!("modules import each other in a circle: {}", circle.join(" -> "));
    }
}

fn is_part(node: &str) -> bool {
    node.strip_prefix("engine::")
        .is_some_and(|module| STATE_PARTS.contains(&module))
}

#[test]
fn state_parts_and_detectors_cannot_reach_the_engine() {
    let graph = dependency_graph();
    for (node, edges) in &graph {
        let is_detector = node == "engine::detect";
        if !is_part(node) && !is_detector {
            continue;
        }
        let upward: Vec<&String> = edges
            .iter()
            .filter(|edge| edge.starts_with("engine") && !is_part(edge))
            .collect();
        assert!(upward.is_empty(), "{node} uses more than the state parts: {upward:?}");
    }
    for part in STATE_PARTS {
        assert!(graph.contains_key(&format!("engine::{part}")), "no module {part}");
    }
}

#[test]
fn the_source_reader_sees_paths_and_skips_comments() {
    let text = "use crate::engine::ledger::{A, B};\n// crate::engine::Engine in a comment\nlet x = crate::rules::X; // crate::wire\n";
    assert_eq!(crate_paths(text), ["crate::engine::ledger", "crate::rules::X"]);
    assert_eq!(node_of_path("crate::engine::ledger"), "engine::ledger");
    assert_eq!(
        node_of_path("crate::engine::detect::pricing::PricingView"),
        "engine::detect"
    );
    assert_eq!(node_of_path("crate::engine::Engine"), "engine");
    assert_eq!(node_of_path("crate::engine"), "engine");
    assert_eq!(node_of_file(Path::new("engine/detect/stock.rs")), "engine::detect");
    assert_eq!(node_of_file(Path::new("engine/raise.rs")), "engine::raise");
    assert_eq!(node_of_file(Path::new("engine/mod.rs")), "engine");
    assert_eq!(
        node_of_path("crate::engine::composition::Engine"),
        "engine::composition"
    );
}
