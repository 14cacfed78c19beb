//! The house's plan, read from the code's own imports: the top-level modules of `src/` form no
//! cycle, the leaves import nothing above them, only `app` shares work out over threads, and
//! `unsafe` is where the crate root allows it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::harness::root;

/// Each top-level module of `src/` and the top-level modules its code (tests and comments
/// aside) names as `crate::…`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = root().join("src");
    let modules: BTreeSet<String> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_stem()?.to_str()?.to_owned();
            (p.is_dir() || name != "lib" && name != "main").then_some(name)
        })
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for module in &modules {
        let edges = graph.entry(module.clone()).or_default();
        for file in rust_files(&src, module) {
            for name in named_modules(&code_of(&file)) {
                if modules.contains(&name) && &name != module {
                    edges.insert(name);
                }
            }
        }
    }
    graph
}

/// The `.rs` files of a top-level module.
fn rust_files(src: &Path, module: &str) -> Vec<std::path::PathBuf> {
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        return vec![file];
    }
    let mut files = Vec::new();
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// A file's code: without its test module and its comment lines. A test module in a file of its
/// own (`tests.rs`) is no code.
fn code_of(file: &Path) -> String {
    if file.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(file).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules named as `crate::name` in `code`.
fn named_modules(code: &str) -> BTreeSet<String> {
    code.match_indices("crate::")
        .map(|(at, _)| {
            code[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let graph = imports();
    assert!(graph.len() >= 12, "{graph:?}");
    // Depth-first search from every module; a module met again on the path is a cycle.
    fn visit<'a>(
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        at: &'a str,
        path: &mut Vec<&'a str>,
    ) {
        if let Some(start) = path.iter().position(|m| *m == at) {
            panic!("import cycle: {} -> {at}", path[start..].join(" -> "));
        }
        path.push(at);
        for next in &graph[at] {
            visit(graph, next, path);
        }
        path.pop();
    }
    for module in graph.keys() {
        visit(&graph, module, &mut Vec::new());
    }
}

#[test]
fn the_leaves_import_nothing_above_them() {
    let graph = imports();
    let only = |module: &str, allowed: &[&str]| {
        let extra: Vec<&String> = graph[module]
            .iter()
            .filter(|m| !allowed.contains(&m.as_str()))
            .collect();
        assert!(extra.is_empty(), "{module} imports {extra:?}");
    };
    only("error", &[]);
    only("record", &[]);
    only("extract", &[]);
    only("paths", &["error"]);
    only("protocol", &["error"]);
    only("mapping", &["protocol", "record"]);
    only("render", &["mapping"]);
    only("config", &["error", "paths"]);
    only("ip", &["error", "extract"]);
}

#[test]
fn only_app_shares_work_out_over_threads() {
    let src = root().join("src");
    for module in imports().keys() {
        for file in rust_files(&src, module) {
            let code = code_of(&file);
            for spawner in ["rayon::", "std::thread::", "thread::spawn", "thread::scope"] {
                assert!(
                    module == "app" || !code.contains(spawner),
                    "{} uses {spawner}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn unsafe_code_is_denied_but_where_the_file_backend_maps_a_database_and_guards_the_map() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    assert!(lib.contains("#![deny(unsafe_code)]"));
    let src = root().join("src");
    let mut allowed = Vec::new();
    for module in imports().keys() {
        for file in rust_files(&src, module) {
            let code = std::fs::read_to_string(&file).unwrap();
            for (at, _) in code.match_indices("#[allow(unsafe_code)]") {
                let next = code[at..]
                    .lines()
                    .nth(1)
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                allowed.push(format!("{}: {next}", file.display()));
                let safety = code[at..].find("// SAFETY:");
                assert!(safety.is_some(), "{} has no SAFETY comment", file.display());
            }
        }
    }
    assert!(allowed.len() <= 5, "{allowed:#?}");
}
