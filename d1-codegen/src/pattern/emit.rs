//! Token emission for each matching strategy.
//!
//! Every expression is a `bool` over the `&str` bound to `value`, uses fully qualified paths
//! for anything outside inherent methods (`::core::matches!`, `::std::sync::OnceLock`,
//! `::d1_runtime::regress::Regex`), and is written to pass `clippy -D warnings` (e.g. `is_ascii_digit()`
//! rather than `matches!(b, b'0'..=b'9')`).

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::quote;

use super::charset::{char_of, CharSet, MAX_BYTE, MAX_INDEX};
use super::dfa::Dfa;
use super::program::{Edge, Program};

fn usize_lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

/// One member of a set, as a `b'…'` or `'…'` literal.
fn member(index: u32, bytes: bool) -> TokenStream {
    if bytes {
        let b = u8::try_from(index).unwrap_or(u8::MAX);
        let lit = Literal::byte_character(b);
        quote!(#lit)
    } else {
        let c = char_of(index);
        // Non-ASCII as `'\u{…}'`: a reviewer cannot tell look-alike or invisible glyphs apart.
        let lit = if c.is_ascii() {
            Literal::character(c)
        } else {
            format!("'\\u{{{:x}}}'", c as u32).parse().unwrap_or_else(|_| Literal::character(c))
        };
        quote!(#lit)
    }
}

fn is_everything(set: &CharSet, bytes: bool) -> bool {
    set.ranges() == [(0, if bytes { MAX_BYTE } else { MAX_INDEX })]
}

/// The set as an or-pattern: `b'-' | b'0'..=b'9' | b'A'..=b'Z'`, or `_` for everything.
pub(super) fn set_pattern(set: &CharSet, bytes: bool) -> TokenStream {
    if is_everything(set, bytes) {
        return quote!(_);
    }
    let alternatives = set.ranges().iter().map(|&(lo, hi)| {
        let (l, h) = (member(lo, bytes), member(hi, bytes));
        match hi - lo {
            0 => l,
            1 => quote!(#l | #h),
            _ => quote!(#l..=#h),
        }
    });
    quote!(#(#alternatives)|*)
}

/// Beyond this many range tests, a set is tested with `matches!`.
const MAX_CHAINED_TESTS: usize = 12;

/// ASCII groups with an inherent `is_ascii_*` method, largest first.
const NAMED: &[(&[(u32, u32)], &str)] = &[
    (&[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)], "is_ascii_alphanumeric"),
    (&[(0x41, 0x5A), (0x61, 0x7A)], "is_ascii_alphabetic"),
    (&[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)], "is_ascii_hexdigit"),
    (&[(0x30, 0x39)], "is_ascii_digit"),
    (&[(0x41, 0x5A)], "is_ascii_uppercase"),
    (&[(0x61, 0x7A)], "is_ascii_lowercase"),
];

/// One test of a disjunction: a named group, a single member, or a range.
enum Test {
    Method(&'static str),
    Eq(u32),
    Range(u32, u32),
}

/// Splits a set into tests: named ASCII groups it contains, then its other members.
fn membership_tests(set: &CharSet) -> Vec<Test> {
    let mut rest = set.clone();
    let mut out = Vec::new();
    for (ranges, method) in NAMED {
        // A group is used when each of its ranges is a whole range of the set: `[0-9A-F]`
        // gives `is_ascii_digit() || (b'A'..=b'F').contains(..)`, `[ -~]` stays one range.
        if ranges.iter().all(|r| rest.ranges().contains(r)) {
            out.push(Test::Method(method));
            rest = rest.minus(&CharSet::from_index_ranges(ranges.iter().copied()));
        }
    }
    for &(lo, hi) in rest.ranges() {
        match hi - lo {
            0 => out.push(Test::Eq(lo)),
            1 => {
                out.push(Test::Eq(lo));
                out.push(Test::Eq(hi));
            }
            _ => out.push(Test::Range(lo, hi)),
        }
    }
    out
}

fn test_tokens(test: &Test, var: &TokenStream, bytes: bool, negate: bool) -> TokenStream {
    match test {
        Test::Method(method) => {
            let method = Ident::new(method, proc_macro2::Span::call_site());
            if negate {
                quote!(!#var.#method())
            } else {
                quote!(#var.#method())
            }
        }
        Test::Eq(m) => {
            let m = member(*m, bytes);
            if negate {
                quote!(#var != #m)
            } else {
                quote!(#var == #m)
            }
        }
        Test::Range(lo, hi) => {
            let (lo, hi) = (member(*lo, bytes), member(*hi, bytes));
            if negate {
                quote!(!(#lo..=#hi).contains(&#var))
            } else {
                quote!((#lo..=#hi).contains(&#var))
            }
        }
    }
}

/// `var` (a `u8` or `char`) is in `set`, e.g.
/// `b.is_ascii_alphanumeric() || b == b'-' || b == b'_'`, or for `.` in char mode
/// `c != '\n' && c != '\r' && c != '\u{2028}' && c != '\u{2029}'`.
pub(super) fn predicate(set: &CharSet, var: &TokenStream, bytes: bool) -> TokenStream {
    let positive = membership_tests(set);
    if positive.len() > MAX_CHAINED_TESTS && set.complement(MAX_INDEX).ranges().len() > MAX_CHAINED_TESTS {
        // A Unicode property has hundreds of ranges: a `match` decides them by bisection
        // rather than one test after the other.
        let pattern = set_pattern(set, bytes);
        return quote!(::core::matches!(#var, #pattern));
    }
    if !bytes && !set.is_ascii() {
        let negative = membership_tests(&set.complement(MAX_INDEX));
        if negative.len() <= positive.len() {
            if negative.is_empty() {
                return quote!(true);
            }
            let parts = negative.iter().map(|t| test_tokens(t, var, bytes, true));
            return quote!(#(#parts)&&*);
        }
    }
    if positive.is_empty() {
        return quote!(false);
    }
    let parts = positive.iter().map(|t| test_tokens(t, var, bytes, false));
    quote!(#(#parts)||*)
}

fn element_var(bytes: bool) -> TokenStream {
    if bytes {
        quote!(b)
    } else {
        quote!(c)
    }
}

fn elements(value: &Ident, bytes: bool) -> TokenStream {
    if bytes {
        quote!(#value.bytes())
    } else {
        quote!(#value.chars())
    }
}

/// A check of `len` (a `usize` expression) against `min..=max`, or `None` if any length does.
fn length_check(value: &Ident, len: TokenStream, min: u32, max: Option<u32>) -> Option<TokenStream> {
    let lo = usize_lit(min as usize);
    Some(match (min, max) {
        (0, None) => return None,
        (1, None) => quote!(!#value.is_empty()),
        (_, None) => quote!(#len >= #lo),
        (0, Some(0)) => quote!(#value.is_empty()),
        (0, Some(max)) => {
            let hi = usize_lit(max as usize);
            quote!(#len <= #hi)
        }
        (_, Some(max)) if max == min => quote!(#len == #lo),
        (_, Some(max)) => {
            let hi = usize_lit(max as usize);
            quote!((#lo..=#hi).contains(&#len))
        }
    })
}

/// The whole value is `min..=max` members of `set`.
pub(super) fn run(value: &Ident, set: &CharSet, min: u32, max: Option<u32>, bytes: bool) -> TokenStream {
    let len = if bytes { quote!(#value.len()) } else { quote!(#value.chars().count()) };
    if is_everything(set, bytes) {
        // `[\s\S]{1,64}`: only the length is checked.
        return length_check(value, len, min, max).unwrap_or_else(|| constant(value, true));
    }
    let var = element_var(bytes);
    let pred = predicate(set, &var, bytes);
    let elems = elements(value, bytes);
    let all = quote!(#elems.all(|#var| #pred));
    match length_check(value, len, min, max) {
        Some(check) => quote!(#check && #all),
        None => all,
    }
}

/// Some member of the value is in `set`.
pub(super) fn contains(value: &Ident, set: &CharSet, bytes: bool) -> TokenStream {
    if is_everything(set, bytes) {
        return quote!(!#value.is_empty());
    }
    let var = element_var(bytes);
    let pred = predicate(set, &var, bytes);
    let elems = elements(value, bytes);
    quote!(#elems.any(|#var| #pred))
}

/// A constant answer that still uses `value` (so the caller's binding is not unused).
pub(super) fn constant(value: &Ident, answer: bool) -> TokenStream {
    quote!({
        let _ = #value;
        #answer
    })
}

pub(super) fn is_empty(value: &Ident) -> TokenStream {
    quote!(#value.is_empty())
}

/// A `match` arm of the DFA: from `states`, on a member of `set`, go to `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Arm {
    states: Vec<usize>,
    set: CharSet,
    target: Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    /// `state + 1`: a run of states that each step to the next on the same set.
    Next,
    /// `state`: states that each loop on the same set.
    Same,
    To(usize),
}

/// Groups the DFA's transitions into as few arms as is easy: one per (set, target), with
/// counted runs (each state steps to the next on the same set) folded into `state + 1`.
pub(super) fn dfa_arms(dfa: &Dfa) -> Vec<Arm> {
    // (state, set, target) with the set the union of every class going there.
    let mut entries: Vec<(usize, CharSet, usize)> = Vec::new();
    for (s, row) in dfa.trans.iter().enumerate() {
        let mut by_target: BTreeMap<usize, CharSet> = BTreeMap::new();
        for (class, t) in row.iter().enumerate() {
            if let Some(t) = t {
                let set = by_target.entry(*t).or_default();
                *set = set.union(&dfa.classes[class]);
            }
        }
        entries.extend(by_target.into_iter().map(|(t, set)| (s, set, t)));
    }
    // Sets on which at least two states step to the next state / stay where they are.
    let mut runs: BTreeMap<(CharSet, Target), Vec<usize>> = BTreeMap::new();
    for (s, set, t) in &entries {
        if *t == s + 1 {
            runs.entry((set.clone(), Target::Next)).or_default().push(*s);
        } else if t == s {
            runs.entry((set.clone(), Target::Same)).or_default().push(*s);
        }
    }
    runs.retain(|_, states| states.len() >= 2);
    let mut arms: Vec<Arm> = Vec::new();
    let mut rest: BTreeMap<(CharSet, usize), Vec<usize>> = BTreeMap::new();
    for (s, set, t) in entries {
        let relative = if t == s + 1 { Target::Next } else { Target::Same };
        if (t == s + 1 || t == s) && runs.contains_key(&(set.clone(), relative)) {
            continue;
        }
        rest.entry((set, t)).or_default().push(s);
    }
    arms.extend(runs.into_iter().map(|((set, target), states)| Arm { states, set, target }));
    arms.extend(rest.into_iter().map(|((set, t), states)| Arm { states, set, target: Target::To(t) }));
    arms.sort_by(|a, b| (&a.states, &a.set).cmp(&(&b.states, &b.set)));
    arms
}

/// `0 | 2..=4 | 7` for a sorted list of states. Never `_`: that would also match `FAIL`.
fn states_pattern(states: &[usize]) -> TokenStream {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &s in states {
        match runs.last_mut() {
            Some(last) if last.1 + 1 == s => last.1 = s,
            _ => runs.push((s, s)),
        }
    }
    let lit = |n: usize| Literal::usize_unsuffixed(n);
    let alternatives = runs.iter().map(|&(lo, hi)| {
        let (l, h) = (lit(lo), lit(hi));
        match hi - lo {
            0 => quote!(#l),
            1 => quote!(#l | #h),
            _ => quote!(#l..=#h),
        }
    });
    quote!(#(#alternatives)|*)
}

/// `state == 3`, `(3..=5).contains(&state)`, `state == 0 || state == 6`, …
fn states_condition(states: &[usize]) -> TokenStream {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &s in states {
        match runs.last_mut() {
            Some(last) if last.1 + 1 == s => last.1 = s,
            _ => runs.push((s, s)),
        }
    }
    let parts = runs.iter().map(|&(lo, hi)| {
        let (l, h) = (usize_lit(lo), usize_lit(hi));
        match hi - lo {
            0 => quote!(state == #l),
            1 => quote!(state == #l || state == #h),
            _ => quote!((#l..=#h).contains(&state)),
        }
    });
    quote!(#(#parts)||*)
}

/// The DFA as a `fold` over the bytes (or chars) of the value.
pub(super) fn dfa(value: &Ident, dfa: &Dfa, arms: &[Arm], bytes: bool) -> TokenStream {
    let n = dfa.trans.len();
    let ty = Ident::new(if n < 256 { "u8" } else { "u16" }, proc_macro2::Span::call_site());
    let fail = usize_lit(n);
    let var = element_var(bytes);
    let elems = elements(value, bytes);
    let arms = arms.iter().map(|arm| {
        let states = states_pattern(&arm.states);
        let set = set_pattern(&arm.set, bytes);
        let target = match arm.target {
            Target::Next => quote!(state + 1),
            Target::Same => quote!(state),
            Target::To(t) => {
                let t = usize_lit(t);
                quote!(#t)
            }
        };
        quote!((#states, #set) => #target,)
    });
    let accepting: Vec<usize> = (0..n).filter(|&s| dfa.accept[s]).collect();
    let accepting = states_condition(&accepting);
    quote!({
        const FAIL: #ty = #fail;
        let state = #elems.fold(0, |state, #var| match (state, #var) {
            #(#arms)*
            _ => FAIL,
        });
        #accepting
    })
}

/// The DFA as a transition table, for automata too large for a readable `match`: a class
/// per element (a 256-entry table for bytes, a binary search over range starts for `char`s),
/// then one table lookup per element. Row `n` is the dead state. The table is a `static`: as a
/// `const` up to 32 KiB of it would be copied wherever it is used (clippy's
/// `large_const_arrays`).
pub(super) fn table(value: &Ident, dfa: &Dfa, bytes: bool) -> TokenStream {
    let n = dfa.trans.len();
    let k = dfa.classes.len();
    let state_ty = Ident::new(if n < 255 { "u8" } else { "u16" }, proc_macro2::Span::call_site());
    let class_ty = Ident::new(if k <= 256 { "u8" } else { "u16" }, proc_macro2::Span::call_site());
    let lit = |x: usize| Literal::usize_unsuffixed(x);
    let rows = dfa.trans.iter().map(|row| row.iter().map(|t| lit(t.unwrap_or(n)))).map(|row| quote!([#(#row),*]));
    let dead = (0..k).map(|_| lit(n));
    let accept = dfa.accept.iter().map(|a| quote!(#a));
    let (states, classes) = (lit(n + 1), lit(k));
    // Every element of the domain is in exactly one class.
    let mut starts: Vec<(u32, usize)> = Vec::new();
    for (class, set) in dfa.classes.iter().enumerate() {
        starts.extend(set.ranges().iter().map(|&(lo, _)| (lo, class)));
    }
    starts.sort_unstable();
    let class_of = if bytes {
        let mut of_byte = vec![0usize; 256];
        for (i, &(lo, class)) in starts.iter().enumerate() {
            let hi = starts.get(i + 1).map_or(256, |&(next, _)| next as usize);
            for slot in of_byte.iter_mut().take(hi).skip(lo as usize) {
                *slot = class;
            }
        }
        let of_byte = of_byte.into_iter().map(lit);
        quote! {
            const CLASS: [#class_ty; 256] = [#(#of_byte),*];
            let class = |b: u8| usize::from(CLASS[usize::from(b)]);
        }
    } else {
        let count = lit(starts.len());
        let entries = starts.iter().map(|&(lo, class)| {
            let c = member(lo, false);
            let class = lit(class);
            quote!((#c, #class))
        });
        quote! {
            const STARTS: [(char, #class_ty); #count] = [#(#entries),*];
            let class = |c: char| usize::from(STARTS[STARTS.partition_point(|&(lo, _)| lo <= c).saturating_sub(1)].1);
        }
    };
    let elems = elements(value, bytes);
    let var = element_var(bytes);
    quote!({
        static NEXT: [[#state_ty; #classes]; #states] = [#(#rows,)* [#(#dead),*]];
        const ACCEPT: [bool; #states] = [#(#accept,)* false];
        #class_of
        let state = #elems.fold(0, |state: usize, #var| usize::from(NEXT[state][class(#var)]));
        ACCEPT[state]
    })
}

/// A string literal of the pattern, raw when that reads better.
fn pattern_literal(pattern: &str) -> Literal {
    if pattern.contains(['\\', '"']) && !pattern.chars().any(char::is_control) {
        let mut hashes = String::new();
        while pattern.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        if let Ok(lit) = format!("r{hashes}\"{pattern}\"{hashes}").parse::<Literal>() {
            return lit;
        }
    }
    Literal::string(pattern)
}

/// A call to the ECMA-262 engine, compiled once.
pub(super) fn engine(value: &Ident, pattern: &str) -> TokenStream {
    let lit = pattern_literal(pattern);
    // d1-codegen compiled the pattern with the same regress; should another version refuse it,
    // nothing matches (validation fails closed) rather than a panic.
    quote!({
        static RE: ::std::sync::OnceLock<::std::option::Option<::d1_runtime::regress::Regex>> = ::std::sync::OnceLock::new();
        RE.get_or_init(|| ::d1_runtime::regress::Regex::with_flags(#lit, "u").ok())
            .as_ref()
            .is_some_and(|re| re.find(#value).is_some())
    })
}

/// The NFA as a table for `::d1_runtime::pattern::Nfa`, and a call to its simulation: for
/// automata too large to determinise.
pub(super) fn program(value: &Ident, program: &Program) -> TokenStream {
    let lit = |x: usize| Literal::usize_unsuffixed(x);
    let sets = program.sets.iter().map(|set| {
        let ranges = set.ranges().iter().map(|&(lo, hi)| {
            let (lo, hi) = (member(lo, false), member(hi, false));
            quote!((#lo, #hi))
        });
        quote!(&[#(#ranges),*])
    });
    let mut used: Vec<&str> = Vec::new();
    let states = program.states.iter().map(|edges| {
        let edges = edges.iter().map(|edge| {
            let (name, args) = match *edge {
                Edge::Eps(to) => ("Eps", vec![to]),
                Edge::Start(to) => ("Start", vec![to]),
                Edge::End(to) => ("End", vec![to]),
                Edge::Boundary(to) => ("Boundary", vec![to]),
                Edge::NotBoundary(to) => ("NotBoundary", vec![to]),
                Edge::Look(look, to) => ("Look", vec![look, to]),
                Edge::Read(set, to) => ("Read", vec![set, to]),
            };
            if !used.contains(&name) {
                used.push(name);
            }
            let name = Ident::new(name, proc_macro2::Span::call_site());
            let args = args.into_iter().map(lit);
            quote!(#name(#(#args),*))
        });
        quote!(&[#(#edges),*])
    });
    let states: Vec<TokenStream> = states.collect();
    used.sort_unstable();
    let used = used.into_iter().map(|name| Ident::new(name, proc_macro2::Span::call_site()));
    let import = quote!(use ::d1_runtime::pattern::Edge::{#(#used),*};);
    let looks = program.looks.iter().map(|look| {
        let (ahead, negate, start, accept) = (look.ahead, look.negate, lit(look.start), lit(look.accept));
        quote!(::d1_runtime::pattern::Look { ahead: #ahead, negate: #negate, start: #start, accept: #accept })
    });
    let (start, accept) = (lit(program.start), lit(program.accept));
    let (anchored_start, anchored_end) = (program.anchored_start, program.anchored_end);
    quote!({
        #import
        static NFA: ::d1_runtime::pattern::Nfa<'static> = ::d1_runtime::pattern::Nfa {
            sets: &[#(#sets),*],
            states: &[#(#states),*],
            looks: &[#(#looks),*],
            start: #start,
            accept: #accept,
            anchored_start: #anchored_start,
            anchored_end: #anchored_end,
        };
        NFA.matches(#value)
    })
}
