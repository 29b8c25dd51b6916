//! The features depend on each other in one direction only: this test
//! reads every feature's source, collects its `crate::<feature>` paths and
//! fails on an import circle, naming it. The order a contributor follows
//! is in `docs/src/development.md` ("Dependency order").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Modules every feature may use and that use no feature themselves
/// (`state` holds the hooks by which a lower feature calls a higher one).
const SHARED: &[&str] = &[
    "http", "db", "state", "domain", "config", "crypto", "lib", "main", "bin",
];

/// Feature name -> the `.rs` files of the feature (a folder under `src/`
/// or a single `src/<name>.rs`).
fn features(src: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(src).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if SHARED.contains(&stem) || stem == "feature_order" {
            continue;
        }
        if path.is_dir() {
            let mut files = Vec::new();
            collect(&path, &mut files);
            out.insert(stem.to_owned(), files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.insert(stem.to_owned(), vec![path.clone()]);
        }
    }
    out
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a feature folder is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The first path segments after `crate::` in `text`, including each
/// item of a `crate::{a, b::c}` group.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        // `$crate::` (macros) and identifiers ending in "crate" are not
        // paths of this crate.
        if text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            for item in split_top_level(group) {
                let name = leading_ident(item.trim_start());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = leading_ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// The items of a `{...}` group up to its closing brace, split at the
/// commas outside nested braces.
fn split_top_level(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

fn leading_ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Feature -> the other features it names.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let features = features(src);
    let mut edges = BTreeMap::new();
    for (name, files) in &features {
        let mut uses = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(file).expect("a source file is readable");
            for target in crate_paths(&text) {
                if target != *name && features.contains_key(&target) {
                    uses.insert(target);
                }
            }
        }
        edges.insert(name.clone(), uses);
    }
    edges
}

/// A circle of the graph, if any, as `a -> b -> ... -> a`.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = path[from..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, edges, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if let Some(c) = visit(node, edges, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn features_import_each_other_in_one_direction() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&src);
    assert!(
        edges.contains_key("campaigns") && edges["campaigns"].contains("contacts"),
        "the scan found no known dependency; it reads the wrong place: {edges:?}"
    );
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "import circle between features: {} (see \"Dependency order\" in docs/src/development.md; \
             a lower feature reaches a higher one through `state::Hooks`)",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_scan_sees_groups_and_circles() {
    let paths = crate_paths(
        "use crate::{AppState, bots::engine, http::{AppError, ok}};\n\
         let x = crate::devices::registry::get();\n\
         macro_rules! m { () => { $crate::domain::X } }",
    );
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["AppState", "bots", "devices", "http"]
    );
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.entry("a".into()).or_default().insert("b".into());
    edges.entry("b".into()).or_default().insert("c".into());
    edges.entry("c".into()).or_default();
    assert_eq!(find_cycle(&edges), None);
    edges.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        find_cycle(&edges),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}
