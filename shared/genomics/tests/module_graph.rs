//! The crate's top-level modules must not import each other in a cycle.
//!
//! Every `.rs` file under `src/` is read and the `crate::…` paths its code names are collected:
//! `use crate::{a, b::{c, d}}` groups, single `use crate::x::y` lines and paths written inline
//! (`crate::x::y(…)`), and `super::…` paths that climb to the crate root. Each path is mapped to
//! the top-level module it lands in (a module and its children are one node: `alignment/cram/*`
//! is `alignment`). A name the crate root re-exports (`crate::Options`, `crate::Error`) is
//! mapped to the module it is re-exported from, as read from `lib.rs`. Comments and
//! `#[cfg(test)]` modules are left out: tests may drive the whole crate.
//!
//! A cycle among the nodes fails the test, and the message names the cycle and the files that
//! make each of its edges.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Module graph: node -> (node it uses -> files where it does).
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

#[test]
fn top_level_modules_have_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(
        graph.len() > 5,
        "too few modules found under {}: {graph:?}",
        src.display()
    );
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = cycle
            .windows(2)
            .map(|pair| {
                let files = &graph[&pair[0]][&pair[1]];
                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                format!("  {} -> {} ({})", pair[0], pair[1], files.join(", "))
            })
            .collect();
        let groups: Vec<String> = tangled_groups(&graph)
            .iter()
            .map(|group| {
                let edges: Vec<String> = group
                    .iter()
                    .flat_map(|from| {
                        graph[from].iter().filter(|(to, _)| group.contains(to)).map(
                            move |(to, files)| {
                                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                                format!("    {from} -> {to} ({})", files.join(", "))
                            },
                        )
                    })
                    .collect();
                format!("  {{{}}}\n{}", group.join(", "), edges.join("\n"))
            })
            .collect();
        panic!(
            "the module graph has a cycle: {}\n{}\nmodules that reach each other:\n{}",
            cycle.join(" -> "),
            edges.join("\n"),
            groups.join("\n")
        );
    }
}

#[test]
fn paths_are_read_from_groups_inline_paths_and_super() {
    let modules: BTreeSet<String> = ["a", "b", "c", "d", "e"].map(String::from).into();
    let reexports = BTreeMap::from([("Thing".to_owned(), "e".to_owned())]);
    let code = "use crate::{a::X, b::{c::Y, Z}, Thing};\n\
                // crate::c::not_code()\n\
                fn f() { crate::c::call(); }\n\
                #[cfg(test)]\nmod tests { use crate::d::Hidden; }\n";
    let found = used_modules(code, &["m"], &modules, &reexports);
    assert_eq!(found, ["a", "b", "c", "e"].map(String::from).into());
    let found = used_modules("use super::super::d::W;", &["m", "n"], &modules, &reexports);
    assert_eq!(found, ["d".to_owned()].into());

    let graph: Graph = [("a", "b"), ("b", "c"), ("c", "a")]
        .into_iter()
        .map(|(from, to)| {
            let edges = BTreeMap::from([(to.to_owned(), BTreeSet::new())]);
            (from.to_owned(), edges)
        })
        .collect();
    assert_eq!(
        find_cycle(&graph),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
}

/// The graph of the top-level modules under `src`.
fn module_graph(src: &Path) -> Graph {
    let lib = fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs is readable");
    let lib = without_comments(&lib);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let test_files = test_only_files(&files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|file| module_path(src, file).first().cloned())
        .collect();
    let reexports = root_reexports(&lib, &modules);
    let mut graph = Graph::new();
    for file in &files {
        let path = module_path(src, file);
        let Some(node) = path.first() else {
            continue; // lib.rs: the root re-exports, not a module of its own.
        };
        let edges = graph.entry(node.clone()).or_default();
        if test_files.contains(file) {
            continue;
        }
        let code = fs::read_to_string(file).expect("a source file is readable");
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        for used in used_modules(&code, &path, &modules, &reexports) {
            if used != *node {
                let shown = file.strip_prefix(src).unwrap_or(file).display().to_string();
                edges.entry(used).or_default().insert(shown);
            }
        }
    }
    graph
}

/// Every `.rs` file under `dir`, in a stable order.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("a source directory is readable")
        .map(|entry| entry.expect("a directory entry is readable").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The module path of a file: `src/vcf/mod.rs` is `vcf`, `src/alignment/cram/budget.rs` is
/// `alignment::cram::budget`, `src/lib.rs` is the root (empty).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("the file is under src");
    let mut path: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    if path
        .last()
        .is_some_and(|last| last == "mod" || last == "lib")
    {
        path.pop();
    }
    path
}

/// Files declared as `#[cfg(test)] mod name;`: test code, left out of the graph.
fn test_only_files(files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut test_files = BTreeSet::new();
    for file in files {
        let code = without_comments(&fs::read_to_string(file).expect("a source file is readable"));
        let dir = if file.ends_with("mod.rs") || file.ends_with("lib.rs") {
            file.parent().expect("a file has a directory").to_path_buf()
        } else {
            file.with_extension("")
        };
        let lines: Vec<&str> = code.lines().map(str::trim).collect();
        for pair in lines.windows(2) {
            if pair[0] == "#[cfg(test)]"
                && let Some(name) = pair[1]
                    .strip_prefix("mod ")
                    .and_then(|rest| rest.strip_suffix(';'))
            {
                test_files.insert(dir.join(format!("{name}.rs")));
                test_files.insert(dir.join(name).join("mod.rs"));
            }
        }
    }
    test_files
}

/// The names `lib.rs` re-exports (`pub use module::{A, B}`, `pub use module::A`), with the
/// top-level module each comes from.
fn root_reexports(lib: &str, modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut reexports = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(tree) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let tree = tree.trim().trim_start_matches("crate::");
        let Some((module, rest)) = tree.split_once("::") else {
            continue;
        };
        if !modules.contains(module) {
            continue;
        }
        let rest = rest.trim();
        let items = rest
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
            .unwrap_or(rest);
        for item in split_top_level(items) {
            let name = item.rsplit(" as ").next().unwrap_or(item);
            let name = name.rsplit("::").next().unwrap_or(name).trim();
            if !name.is_empty() {
                reexports.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    reexports
}

/// The top-level modules the code of one file names. `path` is the file's module path.
fn used_modules(
    code: &str,
    path: &[&str],
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let code = without_test_modules(&without_comments(code));
    let mut used = BTreeSet::new();
    let mut note = |first: &str| {
        let first = first.trim();
        if modules.contains(first) {
            used.insert(first.to_owned());
        } else if let Some(module) = reexports.get(first) {
            used.insert(module.clone());
        }
    };
    let bytes = code.as_bytes();
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let starts_word = at == 0 || !is_ident(bytes[at - 1]);
        if !starts_word {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        }
        // `crate::` or `super::super::…` that climbs to the root, then what follows.
        let after = if let Some(after) = rest.strip_prefix("crate::") {
            Some(after)
        } else if rest.starts_with("super::") {
            let mut after = rest;
            let mut depth = path.len();
            while let Some(next) = after.strip_prefix("super::") {
                after = next;
                depth = depth.saturating_sub(1);
            }
            (depth == 0).then_some(after)
        } else {
            None
        };
        let Some(after) = after else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let after = after.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            let end = matching_brace(group);
            for item in split_top_level(&group[..end]) {
                note(first_segment(item));
            }
        } else {
            note(first_segment(after));
        }
        at = code.len() - after.len();
    }
    used
}

/// The first path segment (an identifier) of `text`.
fn first_segment(text: &str) -> &str {
    let text = text.trim_start();
    let end = text
        .bytes()
        .position(|b| !is_ident(b))
        .unwrap_or(text.len());
    &text[..end]
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The index of the `}` that closes a group whose `{` came just before `text`.
fn matching_brace(text: &str) -> usize {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

/// The items of a use group, split at the commas outside nested groups.
fn split_top_level(items: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in items.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(items[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(items[start..].trim());
    parts.retain(|part| !part.is_empty());
    parts
}

/// `code` without `//` and `/* */` comments (doc comments included), with the contents of
/// string and character literals blanked, so that neither can look like a path or a brace.
fn without_comments(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let (c, next) = (chars[i], chars.get(i + 1).copied());
        match (c, next) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ('/', Some('*')) => {
                i += 2;
                while i < chars.len() && !(chars[i - 1] == '*' && chars[i] == '/') {
                    i += 1;
                }
                i += 1;
                continue;
            }
            ('"', _) => {
                out.push('"');
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        out.push(' ');
                        i += 1;
                    }
                    if let Some(&c) = chars.get(i) {
                        out.push(blank(c));
                    }
                    i += 1;
                }
                out.push('"');
                i += 1;
                continue;
            }
            // A character literal ('x', '\n', '\u{7f}'), not a lifetime ('a).
            ('\'', Some(_)) => {
                let end = if next == Some('\\') {
                    (i + 3..chars.len().min(i + 12)).find(|&j| chars[j] == '\'')
                } else {
                    (chars.get(i + 2) == Some(&'\'')).then_some(i + 2)
                };
                if let Some(end) = end {
                    out.push_str("' '");
                    i = end + 1;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    out
}

/// `code` without the modules under `#[cfg(test)]` (`mod tests { … }`).
fn without_test_modules(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let next = after.trim_start();
        if next.starts_with("mod ")
            && let Some(open) = next.find(['{', ';'])
            && next.as_bytes()[open] == b'{'
        {
            let body = &next[open + 1..];
            let end = matching_brace(body);
            rest = body.get(end + 1..).unwrap_or_default();
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A cycle in `graph`, as the nodes along it with the first repeated at the end.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let start = stack.iter().position(|n| n == next).unwrap_or_default();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(cycle) = visit(next, graph, marks, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if !marks.contains_key(node) {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, graph, &mut marks, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

/// The groups of two or more modules that all reach each other (the strongly connected
/// components): every cycle lies within one.
fn tangled_groups(graph: &Graph) -> Vec<Vec<String>> {
    let reach = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flat_map(BTreeMap::keys) {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|node| (node, reach(node))).collect();
    let mut groups: Vec<Vec<String>> = Vec::new();
    for (node, reached) in &reachable {
        if groups.iter().any(|group| group.contains(node)) || !reached.contains(*node) {
            continue;
        }
        let group: Vec<String> = reached
            .iter()
            .filter(|other| {
                reachable
                    .get(other)
                    .is_some_and(|back| back.contains(*node))
            })
            .cloned()
            .collect();
        groups.push(group);
    }
    groups
}
