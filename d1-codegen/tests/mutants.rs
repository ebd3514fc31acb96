//! Mutation run over the D1 specs and the fixtures: each mutant (a deleted member, a hostile
//! value, a `$ref` to anywhere, a deep nesting, a hostile key or file name, an adversarial
//! pattern, …) must give either generated Rust that parses or an error naming the file and a
//! JSON pointer — never a panic, never a hang. Every 100th mutant also goes through the real
//! writer into a temporary folder, which must change nothing outside its `--out`.
//!
//! `D1_MUTANTS` sets the count (default 2,000), `D1_MUTATION_SEED` the seed; the summary line
//! is printed with `--nocapture`. Deterministic: the same seed gives the same mutants.
//! `D1_MUTANTS_KEEP=DIR` writes the first 10 generated sets under `DIR/mutant-N/`, to compile a
//! sample with cargo (their manifests name `d1-runtime` by version: patch it to a path).

mod support;

use d1_codegen::emit::Options;
use d1_codegen::load::SourceFile;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;
use support::Rng;

const HOSTILE_STRINGS: &[&str] = &[
    "",
    "strng",
    "\r",
    "a\r\nb",
    "\u{202e}evil\u{2066}",
    "#/components/schemas/Nope",
    "*/ } fn main() { /*",
    "\"quoted\" \\ backslash",
    "[target.'cfg(all())'.dependencies]",
    "`code` | pipe <tag> &amp;",
    "ünïcödé ✓",
];

const HOSTILE_PATTERNS: &[&str] = &[
    "(a+)+$",
    "^(?=x)x$",
    "\\",
    "[",
    "(?<n>a)\\k<n>",
    "^a{0,65535}$",
    "^[\\u{0}-\\u{10FFFF}]{1,9999}$",
    "\\+[0-9]{1,3}\\-[0-9()+\\-]{1,30}",
    "^(?:(?:1{3,}Z{2,4}|\\n{0}){0,3}[^]{0,3}|Z+?[^\\s][^\\d\\s]){2}0{0,3}$",
    "([^]é(.{0,3}cZ{1,}?){1}){2}",
    "^\\p{L}+$",
];

fn hostile_value(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(9_007_199_254_740_993_u64),
        4 => json!(1.797_693_134_862_315_7e308),
        5 => json!([]),
        6 => json!({}),
        7 => json!("x".repeat(10_000)),
        8 => json!({"type": rng.pick(&["strng", "object", "array", "integer", "string"])}),
        9 => json!({"type": "integer", "format": "int32", "maximum": 10_000_000_000_i64}),
        10 => json!({"type": "string", "pattern": rng.pick(HOSTILE_PATTERNS)}),
        _ => json!(rng.pick(HOSTILE_STRINGS)),
    }
}

/// Every JSON pointer in the document, as paths of keys and indices.
fn paths(value: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(k.clone());
                paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(i.to_string());
                paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(value: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, key| match v {
        Value::Object(map) => map.get_mut(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

fn pointer(path: &[String]) -> String {
    path.iter().map(|k| format!("/{}", k.replace('~', "~0").replace('/', "~1"))).collect()
}

/// One mutation of `doc`, chosen by `rng`.
fn mutate(doc: &mut Value, rng: &mut Rng) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    let target = rng.pick(&all).clone();
    let other = rng.pick(&all).clone();
    let copy = node_mut(doc, &other).map(|v| v.clone()).unwrap_or(Value::Null);
    match rng.below(9) {
        // Delete the node from its parent.
        0 => {
            if let Some((last, parent)) = target.split_last()
                && let Some(parent) = node_mut(doc, parent)
            {
                match parent {
                    Value::Object(map) => {
                        map.shift_remove(last);
                    }
                    Value::Array(items) => {
                        if let Ok(i) = last.parse::<usize>()
                            && i < items.len()
                        {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        // A `$ref` to another node, to itself, or to nothing.
        1 => {
            let to = match rng.below(3) {
                0 => pointer(&other),
                1 => pointer(&target),
                _ => "/components/schemas/DoesNotExist".to_string(),
            };
            if let Some(node) = node_mut(doc, &target) {
                *node = json!({ "$ref": format!("#{to}") });
            }
        }
        // Another subtree copied here.
        2 => {
            if let Some(node) = node_mut(doc, &target) {
                *node = copy;
            }
        }
        // Deep nesting around the node.
        3 => {
            if let Some(node) = node_mut(doc, &target) {
                let mut nested = node.take();
                for _ in 0..(20 + rng.below(200)) {
                    nested = json!({ "type": "array", "items": nested });
                }
                *node = nested;
            }
        }
        // A hostile key.
        4 => {
            let key = format!("{}{}", rng.pick(HOSTILE_STRINGS), rng.pick(&["/", "~", "#", "{x}", ":", ""]));
            if let Some(Value::Object(map)) = node_mut(doc, &target) {
                map.insert(key, copy);
            }
        }
        // A composition that may refer to itself.
        5 => {
            let keyword = *rng.pick(&["allOf", "oneOf", "anyOf"]);
            if let Some(node) = node_mut(doc, &target) {
                *node = json!({ keyword: [{ "$ref": format!("#{}", pointer(&target)) }, { "$ref": format!("#{}", pointer(&other)) }] });
            }
        }
        // Any hostile value.
        _ => {
            let value = hostile_value(rng);
            if let Some(node) = node_mut(doc, &target) {
                *node = value;
            }
        }
    }
}

fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("../specs"), root.join("tests/fixtures/features")] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        entries.sort();
        for path in entries {
            let name = format!("specs/{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("spec.json"));
            files.push((name, std::fs::read_to_string(&path).expect("readable")));
        }
    }
    files
}

enum Outcome {
    /// The files, and the first Rust file `syn` cannot parse.
    Generated(Vec<(String, String)>, Option<String>),
    Failed(d1_codegen::Error),
}

/// Generate on a worker thread with a main thread's stack; `None` when it did not finish in time.
fn generate_with_timeout(files: Vec<SourceFile>, limit: Duration) -> Option<std::thread::Result<Outcome>> {
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            // Parsed here too: deeply nested generated types need this stack, not the test's.
            let result = std::panic::catch_unwind(|| match d1_codegen::generate(&files, &Options::default()) {
                Ok((tree, _)) => {
                    let files: Vec<(String, String)> =
                        tree.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect();
                    let unparsable = files
                        .iter()
                        .find(|(p, r)| p.ends_with(".rs") && syn::parse_file(r).is_err())
                        .map(|(p, _)| p.clone());
                    Outcome::Generated(files, unparsable)
                }
                Err(e) => Outcome::Failed(e),
            });
            let _ = send.send(result);
        })
        .expect("thread");
    receive.recv_timeout(limit).ok()
}

/// Everything under `dir`, as (relative path, content or "<dir>").
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(dir).map(Path::to_path_buf).unwrap_or_default();
            if path.is_dir() {
                out.push((rel, "<dir>".to_string()));
                stack.push(path);
            } else {
                out.push((rel, std::fs::read_to_string(&path).unwrap_or_default()));
            }
        }
    }
    out.sort();
    out
}

/// The real writer on one mutant: nothing outside `out` may change, whatever happens.
fn write_stays_inside_out(case: usize, name: &str, text: &str) -> Result<(), String> {
    let base = std::env::temp_dir().join(format!("d1-mutant-{}-{case}", std::process::id()));
    let specs = base.join("specs");
    std::fs::create_dir_all(&specs).map_err(|e| e.to_string())?;
    std::fs::write(base.join("bystander.txt"), "not the generator's").map_err(|e| e.to_string())?;
    // The file name as a spec folder can hold it (the mutation keeps it a plain name).
    let file = Path::new(name).file_name().and_then(|n| n.to_str()).unwrap_or("spec.json").to_string();
    std::fs::write(specs.join(&file), text).map_err(|e| e.to_string())?;
    let before: Vec<_> = snapshot(&base).into_iter().filter(|(p, _)| !p.starts_with("out")).collect();
    let _ = d1_codegen::Config::new().specs_dir(&specs).out_dir(base.join("out")).display_root(&base).generate();
    let after: Vec<_> = snapshot(&base).into_iter().filter(|(p, _)| !p.starts_with("out")).collect();
    let _ = std::fs::remove_dir_all(&base);
    if before == after {
        Ok(())
    } else {
        Err(format!("mutant {case} changed files outside out/"))
    }
}

#[test]
fn mutants_never_panic_hang_or_write_outside_out_and_every_error_is_located() {
    let count: usize = std::env::var("D1_MUTANTS").ok().and_then(|n| n.parse().ok()).unwrap_or(2000);
    let seed: u64 = std::env::var("D1_MUTATION_SEED").ok().and_then(|n| n.parse().ok()).unwrap_or(0x00d1_c0de);
    let corpus = corpus();
    let mut rng = Rng(seed | 1);
    let (mut generated, mut located, mut parsed_fail, mut panics, mut hangs, mut unlocated, mut outside) =
        (0, 0, Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for case in 0..count {
        let (name, text) = rng.pick(&corpus).clone();
        let mut doc: Value = serde_json::from_str(&text).expect("corpus is JSON");
        for _ in 0..=rng.below(3) {
            mutate(&mut doc, &mut rng);
        }
        let mut name = name;
        if rng.below(20) == 0 {
            name = format!("specs/{}.json", rng.pick(HOSTILE_STRINGS).replace('/', "_"));
        }
        let mutated = serde_json::to_string(&doc).expect("serializable");
        let files = vec![SourceFile { path: name.clone(), text: mutated.clone() }];
        match generate_with_timeout(files, Duration::from_secs(30)) {
            None => {
                // Kept for a look: the spec that took too long.
                let kept = std::env::temp_dir().join(format!("d1-mutant-hang-{seed}-{case}.json"));
                let _ = std::fs::write(&kept, &mutated);
                hangs.push((case, kept));
            }
            Some(Err(_)) => panics.push(case),
            Some(Ok(Outcome::Generated(files, unparsable))) => {
                generated += 1;
                if let Some(path) = unparsable {
                    parsed_fail.push((case, path));
                }
                if let Some(dir) = std::env::var_os("D1_MUTANTS_KEEP")
                    && generated <= 10
                {
                    for (path, content) in &files {
                        let to = Path::new(&dir).join(format!("mutant-{case}")).join(path);
                        let _ = std::fs::create_dir_all(to.parent().unwrap_or(Path::new(".")));
                        let _ = std::fs::write(to, content);
                    }
                }
            }
            Some(Ok(Outcome::Failed(e))) => {
                // The empty pointer is the document itself (not an object, not OpenAPI); a
                // syntax error gives a line and column instead.
                let has_place = e.location.pointer.is_empty() || e.location.pointer.starts_with('/');
                if e.location.file == name && has_place {
                    located += 1;
                } else {
                    unlocated.push(format!("mutant {case}: {e}"));
                }
            }
        }
        if case % 100 == 0
            && !name.contains(['\r', '\n'])
            && let Err(e) = write_stays_inside_out(case, &name, &mutated)
        {
            outside.push(e);
        }
    }
    println!(
        "{count} mutants (seed {seed}): {generated} generated, {located} located errors, {} unlocated, \
         {} panics, {} hangs, {} outputs that do not parse, {} writes outside out",
        unlocated.len(),
        panics.len(),
        hangs.len(),
        parsed_fail.len(),
        outside.len()
    );
    assert!(panics.is_empty(), "panics in mutants {panics:?} (seed {seed})");
    assert!(hangs.is_empty(), "hangs in mutants {hangs:?} (seed {seed})");
    assert!(unlocated.is_empty(), "errors without a location:\n{}", unlocated.join("\n"));
    assert!(parsed_fail.is_empty(), "generated Rust that does not parse: {parsed_fail:?}");
    assert!(outside.is_empty(), "{outside:?}");
}
