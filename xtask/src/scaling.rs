//! `cargo xtask scaling`: does the generator's cost grow linearly with the size of a spec?
//!
//! Across the corpus, CPU per MB differs from spec to spec with what a byte of spec turns into
//! (Microsoft Graph's 11,000 small operations give 9.5 bytes of Rust per byte of JSON, most specs
//! 3 to 6), so bands of unrelated specs cannot show whether the cost itself is linear. This command
//! varies the size of one spec at a time, two ways:
//!
//! - `--cut SPEC`: nested parts of a large spec, the first `n` paths of the document together with
//!   every component they reach (`$ref`s followed transitively) and all security schemes, with `n`
//!   chosen so that the parts are about 0.1, 0.2, 0.5, 1, 2, 5, 10, 20 and 50 MB, up to the whole
//!   file. Real content, but the mix changes from part to part (the first paths of a spec may
//!   reach most of its schemas).
//! - `--copies SPEC`: `k` copies of a spec in one document (copy `i` under `/copy{i}`, its
//!   components and operation ids suffixed `Copy{i}`), `k` chosen for the same sizes up to 20 MB:
//!   the same mix at every size, so a linear cost gives a flat CPU per MB.
//!
//! Each part runs `--runs` times in its own process (`xtask codegen --spec PART`, all three
//! crates), and with `--progenitor BIN` progenitor runs on the same parts in the same session; the
//! best run of each counts. The table of CPU per MB, and the exponent of a least-squares fit of
//! log CPU against log size, go to `docs/scaling.md` (or `--report FILE`).

use crate::corpus::{Outcome, Run, MB};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

/// What is measured when neither `--cut` nor `--copies` is given (paths under the corpus's
/// `api/`): the 20 MB spec that must stay within 5 s and two other large shapes, cut and copied
/// (their parts' mixes differ, their copies' do not); copies of a 0.1 MB spec that progenitor
/// generates too.
const DEFAULT_FAMILIES: [(Way, &str); 6] = [
    (Way::Cut, "microsoft.com/graph.json"),
    (Way::Cut, "github.com/api.github.com.json"),
    (Way::Cut, "stripe.com.json"),
    (Way::Copies, "googleapis.com/calendar.json"),
    (Way::Copies, "github.com/api.github.com.json"),
    (Way::Copies, "stripe.com.json"),
];

/// How a spec is made into specs of several sizes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    Cut,
    Copies,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Cut => "cut",
            Way::Copies => "copies",
        }
    }

    /// What the count of a part counts.
    fn unit(self) -> &'static str {
        match self {
            Way::Cut => "paths",
            Way::Copies => "copies",
        }
    }
}

/// The largest a spec made of copies gets.
const MAX_COPIES_MB: f64 = 20.0;

/// The sizes parts are cut at, in MB (each part is the first one at least this large).
const TARGETS_MB: [f64; 9] = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0];

const USAGE: &str = "usage: cargo xtask scaling [options]

  --cut FILE        cut this spec into nested parts (a path, or a path under the corpus's api/)
  --copies FILE     make specs of k copies of this one
                    (both repeatable; default: Graph, GitHub and Stripe cut; Calendar, GitHub, Stripe copied)
  --runs N          runs per part, the best one counts (default 3)
  --progenitor BIN  also run progenitor (the cargo-progenitor binary) on every part
  --timeout SECS    per run (default 300)
  --report FILE     write the results to FILE (under the workspace) instead of docs/scaling.md";

struct Options {
    families: Vec<(Way, String)>,
    runs: usize,
    progenitor: Option<PathBuf>,
    timeout: Duration,
    report: PathBuf,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        families: Vec::new(),
        runs: 3,
        progenitor: None,
        timeout: Duration::from_secs(300),
        report: PathBuf::from("docs/scaling.md"),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{arg}` needs a value"));
        let number = |v: &String| v.parse::<usize>().map_err(|_| format!("`{arg}` needs a number, not `{v}`"));
        match arg.as_str() {
            "--cut" => options.families.push((Way::Cut, value()?.clone())),
            "--copies" => options.families.push((Way::Copies, value()?.clone())),
            "--runs" => options.runs = number(value()?)?.max(1),
            "--progenitor" => options.progenitor = Some(PathBuf::from(value()?)),
            "--timeout" => options.timeout = Duration::from_secs(number(value()?)? as u64),
            "--report" => options.report = PathBuf::from(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.families.is_empty() {
        options.families = DEFAULT_FAMILIES.iter().map(|(way, s)| (*way, s.to_string())).collect();
    }
    Ok(options)
}

#[cfg(not(unix))]
pub fn main(_args: &[String]) -> ExitCode {
    eprintln!("`cargo xtask scaling` measures each child with wait4: it needs a Unix system");
    ExitCode::FAILURE
}

#[cfg(unix)]
pub fn main(args: &[String]) -> ExitCode {
    if let [flag, way, spec, folder] = args
        && flag == "--parts"
    {
        let way = if way == "copies" { Way::Copies } else { Way::Cut };
        return match write_parts(way, Path::new(spec), Path::new(folder)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("scaling --parts: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = match parse_args(args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scaling: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One part of a spec and what each generator did with it.
struct Part {
    /// Its paths (cut) or copies.
    count: usize,
    bytes: u64,
    ours: Run,
    progenitor: Option<Run>,
}

#[cfg(unix)]
fn run(options: &Options) -> Result<(), String> {
    let root = crate::workspace_root();
    let work = root.join("target/scaling");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let mut api = None;
    let mut families = Vec::new();
    for (way, name) in &options.families {
        let file = if Path::new(name).is_file() {
            PathBuf::from(name)
        } else {
            let api = match &api {
                Some(api) => api,
                None => api.insert(crate::corpus::fetch_corpus(&root.join("target/corpus"))?),
            };
            api.join(name)
        };
        eprintln!("{} {name}", way.name());
        let folder = work.join(families.len().to_string());
        let mut parts = Vec::new();
        for (count, spec) in parts_in_child(*way, &file, &folder)? {
            let bytes = std::fs::metadata(&spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?.len();
            let ours = best_of(options.runs, || ours(&root, &spec, options.timeout))?;
            let progenitor = match &options.progenitor {
                Some(bin) => Some(best_of(options.runs, || {
                    crate::corpus::run_progenitor(bin, &spec, &work.join("progenitor-out"), options.timeout)
                })?),
                None => None,
            };
            eprintln!(
                "  {:>6} {:<6} {:>7.2} MB  ours {:<13} {:>6.0} ms{}",
                count,
                way.unit(),
                bytes as f64 / MB,
                ours.outcome.label(),
                ours.cpu.as_secs_f64() * 1e3,
                progenitor
                    .as_ref()
                    .map(|p| format!("  progenitor {:<9} {:>6.0} ms", p.outcome.label(), p.cpu.as_secs_f64() * 1e3))
                    .unwrap_or_default()
            );
            let _ = std::fs::remove_file(&spec);
            parts.push(Part { count, bytes, ours, progenitor });
        }
        families.push((*way, name.clone(), parts));
    }
    let path = root.join(&options.report);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    std::fs::write(&path, markdown(&root, options, &families))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Makes the parts of `spec` in `folder` in a child process (`xtask scaling --parts WAY SPEC
/// FOLDER`), so that this one never holds a large document: a child started from a large parent
/// begins with the parent's resident size as its peak, which would be reported as the child's.
#[cfg(unix)]
fn parts_in_child(way: Way, spec: &Path, folder: &Path) -> Result<Vec<(usize, PathBuf)>, String> {
    let this = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
    let output = Command::new(this)
        .args(["scaling", "--parts", way.name()])
        .arg(spec)
        .arg(folder)
        .output()
        .map_err(|e| format!("cannot start the process making the parts: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let (paths, file) = line.split_once(' ').ok_or_else(|| format!("unexpected line from --parts: {line}"))?;
            let paths = paths.parse().map_err(|_| format!("unexpected line from --parts: {line}"))?;
            Ok((paths, PathBuf::from(file)))
        })
        .collect()
}

/// `--parts WAY SPEC FOLDER`: writes the parts of `spec` as `FOLDER/K.json`, and prints one line
/// per part, `COUNT FILE`, smallest first.
fn write_parts(way: Way, spec: &Path, folder: &Path) -> Result<(), String> {
    let text = std::fs::read(spec).map_err(|e| format!("cannot read {}: {e}", spec.display()))?;
    let document: Value = serde_json::from_slice(&text).map_err(|e| format!("{}: not JSON: {e}", spec.display()))?;
    std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let parts = match way {
        Way::Cut => cut(&document, text.len()),
        Way::Copies => copies(&document, text.len()),
    };
    for (i, (count, part)) in parts.into_iter().enumerate() {
        let file = folder.join(format!("{i}.json"));
        std::fs::write(&file, part).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        println!("{count} {}", file.display());
    }
    Ok(())
}

/// Documents of `k` copies of `document` (whose file is `size` bytes), for the `k` that make
/// them about [`TARGETS_MB`] up to [`MAX_COPIES_MB`]: each is `k` and its compact JSON.
fn copies(document: &Value, size: usize) -> Vec<(usize, Vec<u8>)> {
    let mut counts: Vec<usize> = TARGETS_MB
        .iter()
        .filter(|&&mb| mb <= MAX_COPIES_MB)
        .map(|mb| ((mb * MB) / size.max(1) as f64).round().max(1.0) as usize)
        .collect();
    counts.dedup();
    let empty = Map::new();
    let paths = document.get("paths").and_then(Value::as_object).unwrap_or(&empty);
    let components = document.get("components").and_then(Value::as_object).unwrap_or(&empty);
    counts
        .into_iter()
        .map(|k| {
            let mut all_paths = Map::new();
            let mut all_components: Map<String, Value> = components
                .iter()
                .map(|(section, members)| {
                    let kept = if section == "securitySchemes" { members.clone() } else { Value::Object(Map::new()) };
                    (section.clone(), kept)
                })
                .collect();
            for i in 0..k {
                let suffix = if i == 0 { String::new() } else { format!("Copy{i}") };
                let prefix = if i == 0 { String::new() } else { format!("/copy{i}") };
                for (path, item) in paths {
                    all_paths.insert(format!("{prefix}{path}"), renamed(item, &suffix, &prefix));
                }
                for (section, members) in components.iter().filter(|(section, _)| *section != "securitySchemes") {
                    if let (Some(Value::Object(into)), Some(members)) =
                        (all_components.get_mut(section), members.as_object())
                    {
                        for (name, member) in members {
                            into.insert(format!("{name}{suffix}"), renamed(member, &suffix, &prefix));
                        }
                    }
                }
            }
            let mut copy = document.as_object().cloned().unwrap_or_default();
            copy.insert("paths".to_string(), Value::Object(all_paths));
            copy.insert("components".to_string(), Value::Object(all_components));
            (k, serde_json::to_vec(&Value::Object(copy)).unwrap_or_default())
        })
        .collect()
}

/// `value` as a copy sees it: references to components end in `suffix`, references to paths
/// start with `prefix`, operation ids end in `suffix`.
fn renamed(value: &Value, suffix: &str, prefix: &str) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, member)| {
                    let member = match (key.as_str(), member) {
                        ("$ref", Value::String(reference)) => {
                            Value::String(renamed_reference(reference, suffix, prefix))
                        }
                        ("operationId", Value::String(id)) => Value::String(format!("{id}{suffix}")),
                        ("mapping", Value::Object(mapping)) => Value::Object(
                            mapping
                                .iter()
                                .map(|(tag, target)| {
                                    let target = match target {
                                        Value::String(t) => Value::String(renamed_reference(t, suffix, prefix)),
                                        other => other.clone(),
                                    };
                                    (tag.clone(), target)
                                })
                                .collect(),
                        ),
                        _ => renamed(member, suffix, prefix),
                    };
                    (key.clone(), member)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|item| renamed(item, suffix, prefix)).collect()),
        other => other.clone(),
    }
}

fn renamed_reference(reference: &str, suffix: &str, prefix: &str) -> String {
    if let Some(rest) = reference.strip_prefix("#/components/")
        && let Some((section, rest)) = rest.split_once('/')
        && section != "securitySchemes"
    {
        return match rest.split_once('/') {
            Some((name, deeper)) => format!("#/components/{section}/{name}{suffix}/{deeper}"),
            None => format!("#/components/{section}/{rest}{suffix}"),
        };
    }
    if let Some(path) = reference.strip_prefix("#/paths/") {
        return format!("#/paths/{}{path}", escape(prefix));
    }
    reference.to_string()
}

#[cfg(unix)]
fn ours(root: &Path, spec: &Path, timeout: Duration) -> Result<Run, String> {
    let generator = std::env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
    let out = spec.with_extension("out");
    let run = crate::corpus::run_generator(&generator, root, spec, &out, timeout);
    let _ = std::fs::remove_dir_all(&out);
    run
}

/// The cheapest of `runs` runs; the first one that does not generate is kept as it is.
fn best_of(runs: usize, mut once: impl FnMut() -> Result<Run, String>) -> Result<Run, String> {
    let mut best = once()?;
    for _ in 1..runs {
        if best.outcome != Outcome::Generated {
            break;
        }
        let next = once()?;
        if next.cpu < best.cpu {
            best = next;
        }
    }
    Ok(best)
}

/// The nested parts of `document` (whose file is `size` bytes), smallest first: each is the
/// number of its paths and its compact JSON. The whole document is the last part, as it is.
fn cut(document: &Value, size: usize) -> Vec<(usize, Vec<u8>)> {
    let empty = Map::new();
    let paths = document.get("paths").and_then(Value::as_object).unwrap_or(&empty);
    let components = document.get("components").and_then(Value::as_object).unwrap_or(&empty);
    let index = Index::new(paths, components);

    // The frame every part shares: the document without paths, with the security schemes only.
    let mut frame = document.as_object().cloned().unwrap_or_default();
    frame.insert("paths".to_string(), Value::Object(Map::new()));
    let mut kept_components = Map::new();
    if let Some(schemes) = components.get("securitySchemes") {
        kept_components.insert("securitySchemes".to_string(), schemes.clone());
    }
    frame.insert("components".to_string(), Value::Object(kept_components));
    let frame_bytes = serde_json::to_vec(&Value::Object(frame.clone())).map_or(0, |v| v.len());

    // Walk the paths in order, adding what each reaches, and note where the size passes a target.
    let mut taken = Taken::default();
    let mut running = frame_bytes;
    let mut cuts = Vec::new();
    let mut targets = TARGETS_MB.iter().map(|mb| (mb * MB) as usize).filter(|&t| t < size).peekable();
    for n in 0..index.paths.len() {
        running += taken.take(&index, Node::Path(n));
        while targets.peek().is_some_and(|&t| running >= t) {
            targets.next();
            if cuts.last() != Some(&(n + 1)) && n + 1 < index.paths.len() {
                cuts.push(n + 1);
            }
        }
    }

    let mut parts: Vec<(usize, Vec<u8>)> = cuts
        .into_iter()
        .map(|n| {
            let mut taken = Taken::default();
            for i in 0..n {
                taken.take(&index, Node::Path(i));
            }
            (n, serde_json::to_vec(&Value::Object(taken.document(&frame, &index))).unwrap_or_default())
        })
        .collect();
    parts.push((index.paths.len(), serde_json::to_vec(document).unwrap_or_default()));
    parts
}

/// A path item or a component, by its position in [`Index`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Path(usize),
    Component(usize),
}

/// The paths and components of a document, with their sizes and the nodes each refers to.
struct Index<'d> {
    paths: Vec<(&'d String, &'d Value)>,
    /// (section, name, value).
    components: Vec<(&'d String, &'d String, &'d Value)>,
    by_pointer: HashMap<String, Node>,
}

impl<'d> Index<'d> {
    fn new(paths: &'d Map<String, Value>, components: &'d Map<String, Value>) -> Self {
        let mut by_pointer = HashMap::new();
        let paths: Vec<_> = paths.iter().collect();
        for (i, (path, _)) in paths.iter().enumerate() {
            by_pointer.insert(format!("#/paths/{}", escape(path)), Node::Path(i));
        }
        let mut all = Vec::new();
        for (section, members) in components {
            // The security schemes are in every part already.
            if section == "securitySchemes" {
                continue;
            }
            for (name, value) in members.as_object().into_iter().flatten() {
                by_pointer.insert(format!("#/components/{section}/{}", escape(name)), Node::Component(all.len()));
                all.push((section, name, value));
            }
        }
        Index { paths, components: all, by_pointer }
    }

    fn value(&self, node: Node) -> &'d Value {
        match node {
            Node::Path(i) => self.paths[i].1,
            Node::Component(i) => self.components[i].2,
        }
    }

    /// The node a `$ref` points into: `#/components/schemas/A/properties/b` is in `A`.
    fn target(&self, reference: &str) -> Option<Node> {
        let depth = if reference.starts_with("#/components/") { 4 } else { 3 };
        let end = reference.match_indices('/').nth(depth - 1).map_or(reference.len(), |(i, _)| i);
        self.by_pointer.get(&reference[..end]).copied()
    }
}

/// The nodes a part holds so far.
#[derive(Default)]
struct Taken {
    nodes: HashSet<Node>,
}

impl Taken {
    /// Adds `node` and everything it reaches; returns the bytes added (compact JSON, about).
    fn take(&mut self, index: &Index, node: Node) -> usize {
        let mut added = 0;
        let mut todo = vec![node];
        while let Some(node) = todo.pop() {
            if !self.nodes.insert(node) {
                continue;
            }
            let value = index.value(node);
            added += serde_json::to_vec(value).map_or(0, |v| v.len()) + 8;
            references(value, &mut |reference| {
                if let Some(target) = index.target(reference) {
                    todo.push(target);
                }
            });
        }
        added
    }

    /// `frame` with the nodes taken, in the document's order.
    fn document(&self, frame: &Map<String, Value>, index: &Index) -> Map<String, Value> {
        let mut document = frame.clone();
        let paths: Map<String, Value> = (0..index.paths.len())
            .filter(|&i| self.nodes.contains(&Node::Path(i)))
            .map(|i| (index.paths[i].0.clone(), index.paths[i].1.clone()))
            .collect();
        let mut components = document.get("components").and_then(Value::as_object).cloned().unwrap_or_default();
        for (i, (section, name, value)) in index.components.iter().enumerate() {
            if self.nodes.contains(&Node::Component(i))
                && let Value::Object(members) =
                    components.entry(section.to_string()).or_insert_with(|| Value::Object(Map::new()))
            {
                members.insert(name.to_string(), (*value).clone());
            }
        }
        document.insert("paths".to_string(), Value::Object(paths));
        document.insert("components".to_string(), Value::Object(components));
        document
    }
}

/// Calls `found` with every `$ref` string under `value`.
fn references(value: &Value, found: &mut impl FnMut(&str)) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                match (key.as_str(), member) {
                    ("$ref", Value::String(reference)) => found(reference),
                    _ => references(member, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

/// A JSON pointer token (RFC 6901).
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn markdown(root: &Path, options: &Options, families: &[(Way, String, Vec<Part>)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Generation cost against spec size\n");
    let _ = writeln!(s, "{}\n", crate::corpus::written_by(root));
    let _ = writeln!(
        s,
        "*cut*: the spec's first *n* paths, every component they reach and its security schemes \
         (the last part is the whole file); real content, whose mix changes from part to part. \
         *copies*: *k* copies of the spec in one document, with renamed paths, components and \
         operation ids; the same mix at every size. Each part runs {} time(s) in its own process \
         (`xtask codegen --spec PART`: types, client and server); the cheapest run counts. CPU is \
         user + system time of the whole process. See `xtask/src/scaling.rs`.\n",
        options.runs
    );
    let _ = writeln!(
        s,
        "*exponent*: the slope of a least-squares line through (log size, log CPU) of the parts of \
         0.1 MB and more that generated; 1.0 is linear. *spread*: the largest CPU per MB of those \
         parts over the smallest. *Rust bytes per spec byte*, smallest part → largest: where the mix \
         changes with the size (a cut), so does the work per byte.\n"
    );
    let progenitor = options.progenitor.is_some();
    let _ = writeln!(s, "## Summary\n");
    if progenitor {
        let _ = writeln!(
            s,
            "| spec | made by | parts | sizes, MB | Rust bytes per spec byte | d1-codegen exponent | spread | progenitor exponent | spread |\n|---|---|---:|---|---|---:|---:|---:|---:|"
        );
    } else {
        let _ = writeln!(
            s,
            "| spec | made by | parts | sizes, MB | Rust bytes per spec byte | exponent | spread |\n|---|---|---:|---|---|---:|---:|"
        );
    }
    for (way, name, parts) in families {
        let range = match (parts.first(), parts.last()) {
            (Some(a), Some(b)) => format!("{:.2}–{:.1}", a.bytes as f64 / MB, b.bytes as f64 / MB),
            _ => "–".to_string(),
        };
        // What a byte of spec turns into, smallest part → largest: where it changes, so does the
        // work per byte, whatever the size.
        let ratio = |p: &Part| p.ours.output_bytes as f64 / p.bytes.max(1) as f64;
        let mix = match (parts.first(), parts.last()) {
            (Some(a), Some(b)) => format!("{:.1} → {:.1}", ratio(a), ratio(b)),
            _ => "–".to_string(),
        };
        let ours = fit(parts.iter().map(|p| (p.bytes, &p.ours)));
        let _ = write!(s, "| `{name}` | {} | {} | {range} | {mix} | {} |", way.name(), parts.len(), ours);
        if progenitor {
            let theirs = fit(parts.iter().filter_map(|p| Some((p.bytes, p.progenitor.as_ref()?))));
            let _ = write!(s, " {theirs} |");
        }
        let _ = writeln!(s);
    }
    for (way, name, parts) in families {
        let _ = writeln!(s, "\n## `{name}`, {}\n", way.name());
        let unit = way.unit();
        if progenitor {
            let _ = writeln!(
                s,
                "| {unit} | MB | d1-codegen | CPU, ms | per MB, ms | RSS, MB | Rust written, MB | progenitor | CPU, ms | per MB, ms | RSS, MB |\n|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|"
            );
        } else {
            let _ = writeln!(
                s,
                "| {unit} | MB | d1-codegen | CPU, ms | per MB, ms | RSS, MB | Rust written, MB |\n|---:|---:|---|---:|---:|---:|---:|"
            );
        }
        for part in parts {
            let mb = part.bytes as f64 / MB;
            let rust = part.ours.output_bytes as f64 / MB;
            let _ = write!(s, "| {} | {:.2} | {} | {rust:.1} |", part.count, mb, cells(&part.ours, mb));
            if let Some(theirs) = &part.progenitor {
                let _ = write!(s, " {} |", cells(theirs, mb));
            }
            let _ = writeln!(s);
        }
    }
    s
}

/// Outcome, CPU, CPU per MB and RSS of one run, as table cells.
fn cells(run: &Run, mb: f64) -> String {
    let ms = run.cpu.as_secs_f64() * 1e3;
    let per_mb = if run.outcome == Outcome::Generated { format!("{:.0}", ms / mb) } else { "–".to_string() };
    format!("{} | {ms:.0} | {per_mb} | {}", run.outcome.label(), run.rss_kib / 1024)
}

/// "exponent | spread" of the generated runs of 0.1 MB and more.
fn fit<'r>(runs: impl Iterator<Item = (u64, &'r Run)>) -> String {
    let points: Vec<(f64, f64)> = runs
        .filter(|(bytes, run)| run.outcome == Outcome::Generated && *bytes as f64 >= 0.1 * MB)
        .map(|(bytes, run)| (bytes as f64 / MB, run.cpu.as_secs_f64() * 1e3))
        .collect();
    if points.len() < 2 {
        return "– | –".to_string();
    }
    let n = points.len() as f64;
    let (xs, ys): (Vec<f64>, Vec<f64>) = points.iter().map(|(mb, ms)| (mb.ln(), ms.ln())).unzip();
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
    let per_mb = points.iter().map(|(mb, ms)| ms / mb);
    let (low, high) = per_mb.fold((f64::MAX, 0f64), |(l, h), v| (l.min(v), h.max(v)));
    format!("{:.2} | {:.2}×", sxy / sxx, high / low)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_holds_what_its_paths_reach_and_nothing_else() {
        let big = "x".repeat(150_000);
        let document = serde_json::json!({
            "openapi": "3.0.3",
            "paths": {
                "/a": {"get": {"description": big, "responses": {"200": {"$ref": "#/components/responses/A"}}}},
                "/b": {"get": {"responses": {"200": {"description": "ok"}}}},
            },
            "components": {
                "responses": {"A": {"description": "a", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A/properties/x"}}}}},
                "schemas": {"A": {"properties": {"x": {"type": "string"}}}, "Unused": {"type": "string"}},
                "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "k"}},
            },
        });
        let size = serde_json::to_vec(&document).unwrap().len();
        let parts = cut(&document, size);
        assert_eq!(parts.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 2]);
        let first: Value = serde_json::from_slice(&parts[0].1).unwrap();
        assert_eq!(first["paths"].as_object().unwrap().len(), 1);
        assert!(first["components"]["schemas"]["A"].is_object());
        assert!(first["components"]["responses"]["A"].is_object());
        assert!(first["components"]["schemas"].get("Unused").is_none());
        assert!(first["components"]["securitySchemes"]["key"].is_object());
        assert_eq!(parts[1].1.len(), size);
    }

    #[test]
    fn copies_rename_what_would_clash_and_keep_references_inside_their_copy() {
        let document = serde_json::json!({
            "openapi": "3.0.3",
            "paths": {"/a/{id}": {"get": {"operationId": "getA", "responses": {"200": {"$ref": "#/components/responses/A"}}}}},
            "components": {
                "responses": {"A": {"description": "a", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A/properties/x"}}}}},
                "schemas": {
                    "A": {"properties": {"x": {"type": "string"}}},
                    "U": {"oneOf": [{"$ref": "#/components/schemas/A"}], "discriminator": {"propertyName": "x", "mapping": {"a": "#/components/schemas/A"}}},
                },
                "securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "k"}},
            },
        });
        let size = serde_json::to_vec(&document).unwrap().len();
        let parts = copies(&document, size);
        assert_eq!(parts.first().map(|(k, _)| *k), Some(((0.1 * MB) / size as f64).round() as usize));
        assert!(parts.windows(2).all(|w| w[0].0 < w[1].0));
        let (k, text) = &parts[0];
        let copy: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(copy["paths"].as_object().unwrap().len(), *k);
        let second = &copy["paths"]["/copy1/a/{id}"]["get"];
        assert_eq!(second["operationId"], "getACopy1");
        assert_eq!(second["responses"]["200"]["$ref"], "#/components/responses/ACopy1");
        let response = &copy["components"]["responses"]["ACopy1"];
        assert_eq!(
            response["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ACopy1/properties/x"
        );
        assert_eq!(
            copy["components"]["schemas"]["UCopy1"]["discriminator"]["mapping"]["a"],
            "#/components/schemas/ACopy1"
        );
        assert_eq!(copy["components"]["schemas"]["A"], document["components"]["schemas"]["A"]);
        assert_eq!(copy["components"]["securitySchemes"], document["components"]["securitySchemes"]);
    }

    #[test]
    fn a_linear_cost_fits_an_exponent_of_one() {
        let run = |ms: u64| Run {
            outcome: Outcome::Generated,
            cpu: Duration::from_millis(ms),
            rss_kib: 0,
            warnings: 0,
            output_bytes: 0,
        };
        let runs = [(100_000, run(10)), (1_000_000, run(100)), (10_000_000, run(1000))];
        assert_eq!(fit(runs.iter().map(|(b, r)| (*b, r))), "1.00 | 1.00×");
        let quadratic = [(1_000_000, run(10)), (10_000_000, run(1000))];
        assert_eq!(fit(quadratic.iter().map(|(b, r)| (*b, r))), "2.00 | 10.00×");
    }
}
