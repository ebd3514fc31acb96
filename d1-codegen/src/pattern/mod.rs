//! The pattern compiler: an OpenAPI `pattern` (an ECMA-262 regular expression, Unicode
//! mode, **not** implicitly anchored) becomes a Rust `bool` expression over a `&str`.
//!
//! ```text
//! compile(p)  parse (Unicode mode, Annex B where that rejects: see `parse`), rewrite to
//!     │       Unicode mode, validate that with regress (the judge) ─ error? → locate it
//!     │       with our own parser
//!     │
//!     ├─ parse → expand backreferences to groups of few strings (see `backref`) → strip
//!     │     a leading `^` / trailing `$` → body
//!     ├─ body has lookbehinds, nested lookaheads, or lookaheads and `\b` → Program
//!     ├─ body has lookaheads (none nested) → one DFA that runs each lookahead's automaton
//!     │     alongside (see `lookahead`) → Dfa / Table
//!     ├─ body has `\b`/`\B` (no lookahead) → one DFA that carries "the previous character
//!     │     was a word character" in its state (see `boundary`) → Dfa / Table
//!     ├─ body has other backreferences, inline flags…                      → Engine
//!     ├─ body is a sequence of single-character atoms with quantifiers
//!     │     (after removing what an unanchored end cannot constrain):
//!     │        nothing left           → Const / IsEmpty
//!     │        one atom, `^…$`        → Run:      length check + `.all(…)`
//!     │        one char, unanchored   → Contains: `.any(…)`
//!     ├─ otherwise a minimal DFA within size caps → Dfa: a `fold` with a `match (state, byte)`
//!     │                     too many arms for that → Table: a `fold` over a transition table
//!     ├─ no DFA within the caps (any case above)   → Program: the NFA as a table, simulated
//!     │                                              by `d1_runtime::pattern` (see `program`)
//!     └─ NFA past its cap                         → Engine: `::regress`, compiled once
//! ```
//!
//! Every plan but `Engine` runs in one pass, time linear in the value (`Program`: a pass per
//! lookaround, then one, each linear in the value times the NFA's size). `Engine` is a
//! backtracking engine (exponential in the worst case), so the generator refuses such a
//! pattern with a located error unless the user opts in with
//! `emit::Options::allow_backtracking_patterns` / `Config::allow_backtracking_patterns`.
//!
//! Everything but `Engine` and `Program` is straight-line Rust over `core` with no
//! allocation. When every character set of the pattern is ASCII the code works on bytes (a
//! non-ASCII character's UTF-8 bytes are all `>= 0x80`, which no set contains, and byte length
//! equals character count for all-ASCII values); otherwise on `char`s, which are exactly the
//! code points Unicode-mode ECMA-262 matches on.

mod backref;
mod boundary;
mod charset;
mod dfa;
mod emit;
mod lookahead;
mod parse;
mod program;
mod property;
#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use proc_macro2::{Ident, TokenStream};

use charset::{CharSet, MAX_BYTE, MAX_INDEX};
use parse::Node;

/// A DFA with more `match` arms than this is emitted as a transition table instead: a
/// `match` that long would not be reviewable.
const MAX_DFA_ARMS: usize = 48;

/// The largest transition table (states × alphabet classes) emitted; beyond it the pattern
/// needs the engine (an error unless backtracking patterns are allowed).
const MAX_TABLE_CELLS: usize = 16_384;

/// A pattern analysed at generation time.
#[derive(Debug, Clone)]
pub struct CompiledPattern {
    source: String,
    /// `source` in plain Unicode-mode syntax (see `parse`), what regress is given.
    unicode_source: String,
    /// See [`CompiledPattern::literal_brace`].
    literal_brace: Option<usize>,
    /// See [`CompiledPattern::pcre_anchor`].
    pcre_anchor: Option<usize>,
    plan: Plan,
    almost_anything: bool,
    anchored: bool,
    description: String,
}

#[derive(Debug, Clone)]
enum Plan {
    /// Every value matches (`true`) or none does (`false`).
    Const(bool),
    /// `^$`.
    IsEmpty,
    /// `^C{min,max}$`.
    Run {
        set: CharSet,
        min: u32,
        max: Option<u32>,
        bytes: bool,
    },
    /// Unanchored, and one character of `set` anywhere is enough.
    Contains {
        set: CharSet,
        bytes: bool,
    },
    Dfa {
        dfa: dfa::Dfa,
        arms: Vec<emit::Arm>,
        bytes: bool,
    },
    /// The same automaton as a transition table (too many arms for a `match`).
    Table {
        dfa: dfa::Dfa,
        bytes: bool,
    },
    /// The NFA, simulated by `d1_runtime::pattern` (no DFA small enough, or lookbehinds).
    Program(program::Program),
    /// Only the regex engine can tell; the reason is for descriptions and tests.
    Engine {
        reason: String,
    },
}

/// A pattern that regress (and ECMA-262) rejects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PatternError {}

/// Analyses `pattern` (ECMA-262, flag `u`, Annex B where Unicode mode rejects, see `parse`). Never
/// panics; an invalid pattern is an error that says what is wrong and at which character offset.
///
/// Results are memoized per thread: API specs repeat the same pattern many times (an ARN
/// or an identifier shape on every operation), and compiling one is the costly part of
/// generation. The cache holds at most 4,096 patterns and is cleared when full.
pub fn compile(pattern: &str) -> Result<CompiledPattern, PatternError> {
    thread_local! {
        static CACHE: RefCell<HashMap<String, Result<CompiledPattern, PatternError>>> =
            RefCell::new(HashMap::new());
    }
    if let Some(hit) = CACHE.with_borrow(|cache| cache.get(pattern).cloned()) {
        return hit;
    }
    let result = compile_uncached(pattern);
    CACHE.with_borrow_mut(|cache| {
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(pattern.to_owned(), result.clone());
    });
    result
}

/// How many compiled patterns [`compile`] keeps per thread.
const MAX_CACHED: usize = 4096;

fn compile_uncached(pattern: &str) -> Result<CompiledPattern, PatternError> {
    let parsed = parse::parse(pattern);
    // regress reads Unicode mode only: give it the Annex B syntax we accept rewritten.
    let unicode_source = parsed.as_ref().map_or(pattern, |p| p.unicode_source.as_str());
    if let Err(engine_error) = regress::Regex::with_flags(unicode_source, "u") {
        let message = match &parsed {
            Err(e) => format!(
                "invalid pattern {pattern:?} at character {}: {} (regress: {})",
                e.offset, e.message, engine_error.text
            ),
            Ok(_) => format!("invalid pattern {pattern:?}: {}", engine_error.text),
        };
        return Err(PatternError { message });
    }
    let unicode_source = unicode_source.to_owned();
    let literal_brace = parsed.as_ref().ok().and_then(|p| p.literal_brace);
    let pcre_anchor = parsed.as_ref().ok().and_then(|p| p.pcre_anchor);
    let node = match parsed {
        Ok(parsed) => backref::expand(parsed.node),
        Err(e) => Node::Opaque(if e.message.contains("nested too deeply") {
            "deep nesting"
        } else {
            "a construct regress reads differently from this compiler"
        }),
    };
    let mut compiled = analyse(pattern, node);
    compiled.unicode_source = unicode_source;
    compiled.literal_brace = literal_brace;
    compiled.pcre_anchor = pcre_anchor;
    Ok(compiled)
}

impl CompiledPattern {
    /// Tokens of a Rust *expression* of type `bool` that is true when the `&str` bound to
    /// `value` matches, with ECMA-262 semantics (flag `u`, no other flags). Uses only
    /// `core`/`std` when `!self.needs_engine()`; otherwise calls `::regress`, compiling the
    /// regex once in a `static` `OnceLock` (so `value` must not be named `RE`).
    pub fn matches_expr(&self, value: &Ident) -> TokenStream {
        match &self.plan {
            Plan::Const(answer) => emit::constant(value, *answer),
            Plan::IsEmpty => emit::is_empty(value),
            Plan::Run { set, min, max, bytes } => emit::run(value, set, *min, *max, *bytes),
            Plan::Contains { set, bytes } => emit::contains(value, set, *bytes),
            Plan::Dfa { dfa, arms, bytes } => emit::dfa(value, dfa, arms, *bytes),
            Plan::Table { dfa, bytes } => emit::table(value, dfa, *bytes),
            Plan::Program(program) => emit::program(value, program),
            Plan::Engine { .. } => emit::engine(value, &self.unicode_source),
        }
    }

    /// Whether the expression calls `::regress` (the generated crate then depends on it).
    pub fn needs_engine(&self) -> bool {
        matches!(self.plan, Plan::Engine { .. })
    }

    /// True when the pattern starts with `^` and ends with `$`, so it constrains the whole value.
    pub fn is_anchored(&self) -> bool {
        self.anchored
    }

    /// True for an unanchored pattern that any string containing one allowed character (or
    /// even the empty string) satisfies, e.g. D1's v1 `[A-Za-z0-9_-]{1,48}`.
    pub fn accepts_almost_anything(&self) -> bool {
        self.almost_anything
    }

    /// A short human description for docs, in Markdown, e.g. "1 to 48 of `[A-Za-z0-9_-]`, whole
    /// value".
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    /// The character offset of a `{` that looks like the start of a quantifier but is not one
    /// (`[a-z]{1-70}`), so that ECMA-262 reads it, and what follows, as plain text.
    pub fn literal_brace(&self) -> Option<usize> {
        self.literal_brace
    }

    /// The character offset of a PCRE anchor (`\A`, `\Z`, `\z`) read as `^` or `$`, though
    /// ECMA-262's Annex B reads it as a plain letter.
    pub fn pcre_anchor(&self) -> Option<usize> {
        self.pcre_anchor
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates the plan directly (what the emitted code computes), for tests.
    #[cfg(test)]
    fn eval(&self, s: &str) -> bool {
        fn in_set(set: &CharSet, bytes: bool) -> impl Fn(char) -> bool + '_ {
            move |c: char| {
                if bytes {
                    c.is_ascii() && set.contains_index(c as u32)
                } else {
                    set.contains_char(c)
                }
            }
        }
        match &self.plan {
            Plan::Const(answer) => *answer,
            Plan::IsEmpty => s.is_empty(),
            Plan::Run { set, min, max, bytes } => {
                let n = s.chars().count() as u64;
                n >= u64::from(*min) && max.is_none_or(|m| n <= u64::from(m)) && s.chars().all(in_set(set, *bytes))
            }
            Plan::Contains { set, bytes } => s.chars().any(in_set(set, *bytes)),
            Plan::Dfa { dfa, bytes, .. } | Plan::Table { dfa, bytes } => {
                if *bytes {
                    dfa.run(s.bytes().map(u32::from))
                } else {
                    dfa.run(s.chars().map(|c| charset::index_of(c as u32)))
                }
            }
            Plan::Program(program) => program.run(s),
            Plan::Engine { .. } => {
                regress::Regex::with_flags(&self.unicode_source, "u").map(|re| re.find(s).is_some()).unwrap_or(false)
            }
        }
    }

    /// Why the pattern needs the engine (e.g. "uses a lookahead"), if it does.
    pub fn engine_reason(&self) -> Option<&str> {
        match &self.plan {
            Plan::Engine { reason } => Some(reason),
            _ => None,
        }
    }

    /// Which strategy was chosen, for tests and reports: `"const"`, `"is_empty"`, `"run"`,
    /// `"contains"`, `"dfa"`, `"table"`, `"nfa"` or `"engine"`.
    pub fn strategy(&self) -> &'static str {
        match self.plan {
            Plan::Const(_) => "const",
            Plan::IsEmpty => "is_empty",
            Plan::Run { .. } => "run",
            Plan::Contains { .. } => "contains",
            Plan::Dfa { .. } => "dfa",
            Plan::Table { .. } => "table",
            Plan::Program(_) => "nfa",
            Plan::Engine { .. } => "engine",
        }
    }
}

/// A single-character atom with its repetition.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Atom {
    set: CharSet,
    src: String,
    min: u32,
    max: Option<u32>,
}

fn analyse(pattern: &str, node: Node) -> CompiledPattern {
    let (anchored_start, anchored_end, body) = strip_anchors(node);
    // `^a$|^b$` is as anchored as `^(?:a|b)$`, though only the automaton can tell.
    let (starts, ends) = (anchored_start || only_at_start(&body), anchored_end || only_at_end(&body));
    let mut compiled = CompiledPattern {
        source: pattern.to_owned(),
        unicode_source: pattern.to_owned(),
        literal_brace: None,
        pcre_anchor: None,
        plan: Plan::Engine { reason: String::new() },
        almost_anything: false,
        anchored: starts && ends,
        description: format!("matches {}", code(pattern)),
    };
    // A byte-wise `\B` would hold between two bytes of one non-ASCII character.
    let bytes = all_sets(&body, &CharSet::is_ascii) && !has_word_boundary(&body);
    let domain = if bytes { MAX_BYTE } else { MAX_INDEX };
    let where_ = match (starts, ends) {
        (true, true) => "whole value",
        (true, false) => "at the start of the value",
        (false, true) => "at the end of the value",
        (false, false) => "anywhere in the value",
    };
    if let Some(reason) = engine_reason(&body) {
        compiled.plan = Plan::Engine { reason: format!("uses {reason}") };
        return compiled;
    }
    compiled.description = format!("matches {}, {where_}", code(pattern));
    // A sequence of single characters is reduced by `reduce_unanchored` below, which also says
    // so in the description.
    let (body, sequence) = match as_sequence(&body) {
        Some(atoms) => (body, Some(atoms)),
        None => {
            let trimmed = trim_unanchored(body, anchored_start, anchored_end);
            let atoms = as_sequence(&trimmed);
            (trimmed, atoms)
        }
    };
    let program = |body: &Node| match program::build(body, anchored_start, anchored_end) {
        Some(program) => Plan::Program(program),
        None => Plan::Engine { reason: "needs too large an automaton".to_owned() },
    };
    if has_lookbehind(&body) || nested_lookahead(&body) || (has_lookahead(&body) && has_word_boundary(&body)) {
        compiled.plan = program(&body);
        return compiled;
    }
    if has_lookahead(&body) {
        compiled.plan = automaton_plan(lookahead::build(&body, anchored_start, anchored_end, domain), bytes)
            .unwrap_or_else(|| program(&body));
        return compiled;
    }
    if has_word_boundary(&body) {
        compiled.plan = automaton_plan(boundary::build(&body, anchored_start, anchored_end, domain), bytes)
            .unwrap_or_else(|| program(&body));
        return compiled;
    }
    compiled.almost_anything = !starts && !ends && !has_anchor(&body) && min_len(&body) <= 1;

    let mut body = body;
    if let Some(atoms) = sequence {
        let Some(atoms) = normalize(atoms) else {
            compiled.plan = Plan::Const(false);
            compiled.description = format!("never matches ({} needs a character from an empty class)", code(pattern));
            return compiled;
        };
        compiled.description = if atoms.is_empty() {
            format!("the empty string, {where_}")
        } else {
            format!("{}, {where_}", describe_atoms(&atoms))
        };
        let reduced = reduce_unanchored(atoms.clone(), anchored_start, anchored_end);
        if reduced != atoms {
            compiled.description += &if reduced.is_empty() {
                "; as the pattern is not anchored, every value matches".to_owned()
            } else {
                format!("; as the pattern is not anchored, any value containing {} matches", describe_atoms(&reduced))
            };
        }
        match reduced.as_slice() {
            [] if anchored_start && anchored_end => compiled.plan = Plan::IsEmpty,
            [] => compiled.plan = Plan::Const(true),
            [a] if anchored_start && anchored_end => {
                compiled.plan = Plan::Run { set: a.set.clone(), min: a.min, max: a.max, bytes }
            }
            [a] if !anchored_start && !anchored_end && a.min == 1 && a.max == Some(1) => {
                compiled.plan = Plan::Contains { set: a.set.clone(), bytes }
            }
            _ => {}
        }
        if !matches!(compiled.plan, Plan::Engine { .. }) {
            return compiled;
        }
        body = sequence_node(&reduced);
    }

    compiled.plan = automaton_plan(dfa::build(&body, anchored_start, anchored_end, domain), bytes)
        .unwrap_or_else(|| program(&body));
    compiled
}

/// How to emit a deterministic automaton; `None` when there is none (a size cap was hit
/// building it) or its table would pass [`MAX_TABLE_CELLS`].
fn automaton_plan(dfa: Option<dfa::Dfa>, bytes: bool) -> Option<Plan> {
    let dfa = dfa?;
    if dfa.is_never() {
        return Some(Plan::Const(false));
    }
    if dfa.is_always() {
        return Some(Plan::Const(true));
    }
    let arms = emit::dfa_arms(&dfa);
    if arms.len() <= MAX_DFA_ARMS {
        Some(Plan::Dfa { dfa, arms, bytes })
    } else if dfa.trans.len().saturating_mul(dfa.classes.len()) <= MAX_TABLE_CELLS {
        Some(Plan::Table { dfa, bytes })
    } else {
        None
    }
}

/// Removes a leading `^` and a trailing `$` of the top-level sequence.
fn strip_anchors(node: Node) -> (bool, bool, Node) {
    match node {
        Node::Start => (true, false, Node::Empty),
        Node::End => (false, true, Node::Empty),
        Node::Concat(mut items) => {
            let start = items.first() == Some(&Node::Start);
            if start {
                items.remove(0);
            }
            let end = items.last() == Some(&Node::End);
            if end {
                items.pop();
            }
            let body = match items.len() {
                0 => Node::Empty,
                1 => items.pop().unwrap_or(Node::Empty),
                _ => Node::Concat(items),
            };
            (start, end, body)
        }
        other => (false, false, other),
    }
}

/// Why only the engine can evaluate `node`, if it cannot be compiled.
fn engine_reason(node: &Node) -> Option<&'static str> {
    match node {
        Node::Opaque(what) => Some(what),
        Node::Backref(_) => Some("a backreference"),
        _ => node.children().iter().find_map(engine_reason),
    }
}

fn has_lookahead(node: &Node) -> bool {
    node.contains(&|n| matches!(n, Node::Lookahead { .. }))
}

fn has_lookbehind(node: &Node) -> bool {
    node.contains(&|n| matches!(n, Node::Lookbehind { .. }))
}

/// Whether a lookahead holds another (the lookahead automaton does not nest).
fn nested_lookahead(node: &Node) -> bool {
    node.contains(&|n| matches!(n, Node::Lookahead { node, .. } if has_lookahead(node)))
}

fn has_word_boundary(node: &Node) -> bool {
    node.contains(&|n| matches!(n, Node::WordBoundary { .. }))
}

/// Whether `node` has a `^`, `$`, `\b` or `\B` anywhere.
fn has_anchor(node: &Node) -> bool {
    node.contains(&|n| matches!(n, Node::Start | Node::End | Node::WordBoundary { .. }))
}

/// Whether every match of `node` starts at the start of the value (conservative: `false`
/// when unsure), e.g. `^a|^b`.
fn only_at_start(node: &Node) -> bool {
    match node {
        Node::Start => true,
        // Zero-width items before the first character may force the start: `(?!x)^a`.
        Node::Concat(items) => items
            .iter()
            .find(|n| {
                only_at_start(n)
                    || !matches!(
                        n,
                        Node::Empty | Node::Lookahead { .. } | Node::Lookbehind { .. } | Node::WordBoundary { .. }
                    )
            })
            .is_some_and(only_at_start),
        Node::Alt(alts) => alts.iter().all(only_at_start),
        Node::Repeat { node, min, .. } => *min > 0 && only_at_start(node),
        Node::Capture { node, .. } => only_at_start(node),
        Node::Lookahead { negate: false, node } => only_at_start(node),
        Node::Empty
        | Node::End
        | Node::Set { .. }
        | Node::Lookahead { .. }
        | Node::Lookbehind { .. }
        | Node::WordBoundary { .. }
        | Node::Opaque(_)
        | Node::Backref(_) => false,
    }
}

/// Whether every match of `node` ends at the end of the value (conservative), e.g. `a$|b$`.
fn only_at_end(node: &Node) -> bool {
    match node {
        Node::End => true,
        Node::Concat(items) => items.iter().rev().find(|n| **n != Node::Empty).is_some_and(only_at_end),
        Node::Alt(alts) => alts.iter().all(only_at_end),
        Node::Repeat { node, min, .. } => *min > 0 && only_at_end(node),
        Node::Capture { node, .. } => only_at_end(node),
        Node::Empty
        | Node::Start
        | Node::Set { .. }
        | Node::Lookahead { .. }
        | Node::Lookbehind { .. }
        | Node::WordBoundary { .. }
        | Node::Opaque(_)
        | Node::Backref(_) => false,
    }
}

fn all_sets(node: &Node, f: &dyn Fn(&CharSet) -> bool) -> bool {
    match node {
        Node::Set { set, .. } => f(set),
        Node::Concat(items) | Node::Alt(items) => items.iter().all(|n| all_sets(n, f)),
        Node::Repeat { node, .. }
        | Node::Capture { node, .. }
        | Node::Lookahead { node, .. }
        | Node::Lookbehind { node, .. } => all_sets(node, f),
        Node::Empty | Node::Start | Node::End | Node::WordBoundary { .. } | Node::Opaque(_) | Node::Backref(_) => true,
    }
}

/// The length of the shortest match of an assertion-free node (saturating).
fn min_len(node: &Node) -> u64 {
    match node {
        Node::Empty
        | Node::Start
        | Node::End
        | Node::Lookahead { .. }
        | Node::Lookbehind { .. }
        | Node::WordBoundary { .. }
        | Node::Opaque(_)
        | Node::Backref(_) => 0,
        Node::Set { set, .. } if set.is_empty() => u64::MAX,
        Node::Set { .. } => 1,
        Node::Concat(items) => items.iter().map(min_len).fold(0, u64::saturating_add),
        Node::Alt(alts) => alts.iter().map(min_len).min().unwrap_or(0),
        Node::Capture { node, .. } => min_len(node),
        Node::Repeat { min: 0, .. } => 0,
        Node::Repeat { node, min, .. } => min_len(node).saturating_mul(u64::from(*min)),
    }
}

/// The node as a flat sequence of single-character atoms, if it is one.
fn as_sequence(node: &Node) -> Option<Vec<Atom>> {
    match node {
        Node::Empty => Some(Vec::new()),
        Node::Set { set, src } => Some(vec![Atom { set: set.clone(), src: src.clone(), min: 1, max: Some(1) }]),
        Node::Repeat { node, min, max } => match node.as_ref() {
            Node::Set { set, src } => Some(vec![Atom { set: set.clone(), src: src.clone(), min: *min, max: *max }]),
            _ => None,
        },
        Node::Concat(items) => {
            let mut atoms = Vec::new();
            for item in items {
                atoms.extend(as_sequence(item)?);
            }
            Some(atoms)
        }
        _ => None,
    }
}

/// Drops atoms that can only match zero times, merges neighbours over the same set
/// (`C{a,b}C{c,d}` = `C{a+c,b+d}`); `None` if an atom needs a character from an empty set.
fn normalize(atoms: Vec<Atom>) -> Option<Vec<Atom>> {
    let mut out: Vec<Atom> = Vec::new();
    for atom in atoms {
        if atom.max == Some(0) || (atom.set.is_empty() && atom.min == 0) {
            continue;
        }
        if atom.set.is_empty() {
            return None;
        }
        if let Some(last) = out.last_mut()
            && last.set == atom.set
        {
            let min = last.min.checked_add(atom.min);
            let max = match (last.max, atom.max) {
                (Some(a), Some(b)) => a.checked_add(b).map(Some),
                _ => Some(None),
            };
            if let (Some(min), Some(max)) = (min, max) {
                last.min = min;
                last.max = max;
                continue;
            }
        }
        out.push(atom);
    }
    Some(out)
}

/// Without `$`, a match of `A…C{n,m}` can stop after `C{n}` (and drop `C{0,m}`
/// entirely); without `^`, likewise at the front. The language of matching values is
/// unchanged.
fn reduce_unanchored(mut atoms: Vec<Atom>, anchored_start: bool, anchored_end: bool) -> Vec<Atom> {
    if !anchored_end {
        while let Some(last) = atoms.last_mut() {
            last.max = Some(last.min);
            if last.min > 0 {
                break;
            }
            atoms.pop();
        }
    }
    if !anchored_start {
        while let Some(first) = atoms.first_mut() {
            first.max = Some(first.min);
            if first.min > 0 {
                break;
            }
            atoms.remove(0);
        }
    }
    atoms
}

/// [`reduce_unanchored`] for any pattern: without `$`, a match of `A X{n,m}` can stop after
/// `X{n}` (and drop `X{0,m}` entirely), in each alternative and inside a trailing group; without
/// `^`, likewise at the front. The matches that are left are prefixes (suffixes) of the ones
/// dropped, with every assertion read at the same position, so the values that match are the
/// same. AWS's `…:(\w|\/|-){1,1011}` needs no automaton of 1,011 steps then.
fn trim_unanchored(node: Node, anchored_start: bool, anchored_end: bool) -> Node {
    let node = if anchored_end { node } else { trim(node, End::Last) };
    if anchored_start {
        node
    } else {
        trim(node, End::First)
    }
}

#[derive(Clone, Copy)]
enum End {
    First,
    Last,
}

fn trim(node: Node, end: End) -> Node {
    match node {
        Node::Alt(alternatives) => Node::Alt(alternatives.into_iter().map(|a| trim(a, end)).collect()),
        Node::Capture { index, node } => Node::Capture { index, node: Box::new(trim(*node, end)) },
        Node::Repeat { min: 0, .. } => Node::Empty,
        Node::Repeat { node, min, .. } => Node::Repeat { node, min, max: Some(min) },
        Node::Concat(mut items) => {
            loop {
                let outer = match end {
                    End::First => items.first_mut(),
                    End::Last => items.last_mut(),
                };
                let Some(outer) = outer else { break };
                let trimmed = trim(std::mem::replace(outer, Node::Empty), end);
                let dropped = trimmed == Node::Empty;
                *outer = trimmed;
                if !dropped {
                    break;
                }
                match end {
                    End::First => items.remove(0),
                    End::Last => items.pop().unwrap_or(Node::Empty),
                };
            }
            match items.len() {
                0 => Node::Empty,
                1 => items.pop().unwrap_or(Node::Empty),
                _ => Node::Concat(items),
            }
        }
        other => other,
    }
}

fn sequence_node(atoms: &[Atom]) -> Node {
    Node::Concat(
        atoms
            .iter()
            .map(|a| Node::Repeat {
                node: Box::new(Node::Set { set: a.set.clone(), src: a.src.clone() }),
                min: a.min,
                max: a.max,
            })
            .collect(),
    )
}

fn describe_atoms(atoms: &[Atom]) -> String {
    atoms.iter().map(describe_atom).collect::<Vec<_>>().join(", then ")
}

fn describe_atom(atom: &Atom) -> String {
    let what = match atom.set.as_single() {
        Some(c) => code(&c.escape_debug().to_string()),
        None if atom.src.is_empty() => code(&atom.set.to_class_string()),
        None => code(&atom.src),
    };
    match (atom.min, atom.max) {
        (1, Some(1)) if atom.set.as_single().is_some() => what,
        (1, Some(1)) => format!("one of {what}"),
        (0, Some(1)) => format!("optionally one of {what}"),
        (0, None) => format!("any number of {what}"),
        (1, None) => format!("one or more of {what}"),
        (n, None) => format!("{n} or more of {what}"),
        (0, Some(m)) => format!("up to {m} of {what}"),
        (n, Some(m)) if n == m => format!("{n} of {what}"),
        (n, Some(m)) => format!("{n} to {m} of {what}"),
    }
}

/// `text` as Markdown inline code.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}
