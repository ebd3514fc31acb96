//! Backreferences to groups that match only a few strings, expanded into alternatives.
//!
//! `(a|b)x\1` matches what `(?:ax a|bx b)` matches — spaces aside: a backreference repeats
//! what its group matched, so when the group can only match a small, finite set of strings,
//! trying each one makes the pattern regular again. This holds when the group is an item of
//! a sequence and every backreference to it is in a later item of that same sequence: then
//! each match of the sequence passes through the group exactly once before reaching them.
//! Such a sequence `A (G) B` becomes `A (?:g₁ B[g₁] | g₂ B[g₂] | …)`, with `B[g]` being `B`
//! with each `\n` replaced by the text `g`. Other backreferences stay, and send the pattern
//! to the engine.
//!
//! **The value's alphabet.** In a pattern anchored at both ends, every character of a
//! matching value is read by some character set outside the lookarounds; so a group's sets,
//! even inside a lookaround, only ever meet those characters and may be narrowed to them.
//! AWS's `^(?!.*?(.)\1{3})[-_!@#$a-zA-Z0-9]*$` ("no character four times in a row") has
//! `(.)` stand for 68 characters, not for every code point.

use std::collections::{BTreeSet, HashMap};

use super::charset::{self, CharSet};
use super::dfa;
use super::parse::Node;
use super::{only_at_end, only_at_start};

/// The most strings a referenced group may match for its backreferences to be expanded.
const MAX_STRINGS: usize = 256;

/// `node` without capturing groups, each backreference it can expand expanded (see the
/// module docs); the others stay [`Node::Backref`].
pub(super) fn expand(node: Node) -> Node {
    let alphabet = (only_at_start(&node) && only_at_end(&node)).then(|| {
        let mut sets = CharSet::empty();
        outside_lookarounds(&node, &mut sets);
        sets
    });
    let mut node = node;
    // One group at a time, the innermost first: each step replaces every reference to one
    // group, so there are at most as many steps as groups.
    loop {
        let mut refs = HashMap::new();
        count_refs(&node, &mut refs);
        if refs.is_empty() {
            break;
        }
        match step(&node, &refs, alphabet.as_ref()) {
            Some(next) if dfa::nfa_size(&next) <= MAX_SIZE => node = next,
            _ => break,
        }
    }
    strip(node)
}

/// `node` with the references to one group expanded, or `None` when none can be.
fn step(node: &Node, refs: &HashMap<u32, usize>, alphabet: Option<&CharSet>) -> Option<Node> {
    let recurse = |n: &Node| step(n, refs, alphabet).map(Box::new);
    match node {
        Node::Concat(items) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(inner) = step(item, refs, alphabet) {
                    let mut items = items.clone();
                    items[i] = inner;
                    return Some(Node::Concat(items));
                }
            }
            (0..items.len()).rev().find_map(|i| expand_at(items, i, refs, alphabet))
        }
        Node::Alt(alts) => alts.iter().enumerate().find_map(|(i, alt)| {
            let inner = step(alt, refs, alphabet)?;
            let mut alts = alts.clone();
            alts[i] = inner;
            Some(Node::Alt(alts))
        }),
        Node::Repeat { node, min, max } => Some(Node::Repeat { node: recurse(node)?, min: *min, max: *max }),
        Node::Capture { index, node } => Some(Node::Capture { index: *index, node: recurse(node)? }),
        Node::Lookahead { negate, node } => Some(Node::Lookahead { negate: *negate, node: recurse(node)? }),
        Node::Lookbehind { negate, node } => Some(Node::Lookbehind { negate: *negate, node: recurse(node)? }),
        Node::Empty
        | Node::Set { .. }
        | Node::Start
        | Node::End
        | Node::WordBoundary { .. }
        | Node::Opaque(_)
        | Node::Backref(_) => None,
    }
}

/// The sequence `items` with a group inside `items[i]` expanded, if every reference to it
/// is in a later item: `A X B` becomes `A (?:X[g₁] B[g₁] | … | X[unset] B[unset])`, where
/// `X[g]` is `X` on the paths where the group last matched `g`.
fn expand_at(items: &[Node], i: usize, refs: &HashMap<u32, usize>, alphabet: Option<&CharSet>) -> Option<Node> {
    let mut later = HashMap::new();
    items[i + 1..].iter().for_each(|n| count_refs(n, &mut later));
    let mut groups = Vec::new();
    captures(&items[i], &mut groups);
    groups.into_iter().find_map(|(index, group)| {
        let wanted = *refs.get(&index)?;
        if later.get(&index) != Some(&wanted) {
            return None;
        }
        let texts = strings(group, alphabet)?;
        let mut alternatives = Vec::new();
        for text in texts.iter().map(|t| Some(t.as_str())).chain([None]) {
            let head = restrict(&items[i], index, text)?;
            if head == never() {
                continue;
            }
            let mut seq = vec![head];
            seq.extend(items[i + 1..].iter().map(|n| substitute(n, index, text.unwrap_or(""))));
            alternatives.push(Node::Concat(seq));
        }
        let mut out = items[..i].to_vec();
        out.push(if alternatives.is_empty() { never() } else { Node::Alt(alternatives) });
        Some(Node::Concat(out))
    })
}

/// Most NFA states (as `dfa::nfa_size` counts them) an expansion may grow the pattern to.
const MAX_SIZE: u64 = 4 * dfa::MAX_NFA_STATES as u64;

/// A node that matches nothing.
fn never() -> Node {
    Node::Set { set: CharSet::empty(), src: String::new() }
}

/// The capturing groups in `node`, outermost first: `(index, what the group holds)`.
fn captures<'a>(node: &'a Node, out: &mut Vec<(u32, &'a Node)>) {
    if let Node::Capture { index, node: inner } = node {
        out.push((*index, &**inner));
    }
    node.children().iter().for_each(|child| captures(child, out));
}

fn contains_capture(node: &Node, index: u32) -> bool {
    let mut all = Vec::new();
    captures(node, &mut all);
    all.iter().any(|&(i, _)| i == index)
}

/// `node` (which holds group `index`) on its paths that leave the group's last match equal to
/// `text` (`None`: the group did not take part); `None` when that cannot be written (the
/// group is inside a lookaround).
///
/// ECMA-262 clears a group at each iteration of a quantifier around it, so after a repetition
/// the group holds what the last iteration gave it, and nothing after zero iterations.
fn restrict(node: &Node, index: u32, text: Option<&str>) -> Option<Node> {
    if !contains_capture(node, index) {
        return Some(if text.is_none() { node.clone() } else { never() });
    }
    Some(match node {
        // `text` is one of the group's strings (the caller's list).
        Node::Capture { index: i, .. } if *i == index => text.map_or_else(never, literal),
        Node::Capture { index: i, node: inner } => {
            Node::Capture { index: *i, node: Box::new(restrict(inner, index, text)?) }
        }
        Node::Concat(items) => {
            // One item holds the group (copies made by an earlier expansion are not handled).
            let mut holding = items.iter().enumerate().filter(|(_, item)| contains_capture(item, index));
            let (at, item) = holding.next()?;
            if holding.next().is_some() {
                return None;
            }
            let mut items = items.clone();
            items[at] = restrict(item, index, text)?;
            Node::Concat(items)
        }
        Node::Alt(alts) => Node::Alt(alts.iter().map(|alt| restrict(alt, index, text)).collect::<Option<_>>()?),
        Node::Repeat { node: body, min, max } => {
            let last = restrict(body, index, text)?;
            let before =
                Node::Repeat { node: body.clone(), min: min.saturating_sub(1), max: max.map(|m| m.saturating_sub(1)) };
            let some = if *max == Some(0) { never() } else { Node::Concat(vec![before, last]) };
            if text.is_none() && *min == 0 {
                Node::Alt(vec![Node::Empty, some])
            } else {
                some
            }
        }
        Node::Lookahead { .. }
        | Node::Lookbehind { .. }
        | Node::Empty
        | Node::Set { .. }
        | Node::Start
        | Node::End
        | Node::WordBoundary { .. }
        | Node::Opaque(_)
        | Node::Backref(_) => return None,
    })
}

fn count_refs(node: &Node, refs: &mut HashMap<u32, usize>) {
    match node {
        Node::Backref(n) => *refs.entry(*n).or_default() += 1,
        Node::Concat(items) | Node::Alt(items) => items.iter().for_each(|n| count_refs(n, refs)),
        Node::Repeat { node, .. }
        | Node::Capture { node, .. }
        | Node::Lookahead { node, .. }
        | Node::Lookbehind { node, .. } => count_refs(node, refs),
        Node::Empty | Node::Set { .. } | Node::Start | Node::End | Node::WordBoundary { .. } | Node::Opaque(_) => {}
    }
}

/// The union of the sets read outside lookarounds.
fn outside_lookarounds(node: &Node, into: &mut CharSet) {
    match node {
        Node::Set { set, .. } => *into = into.union(set),
        Node::Concat(items) | Node::Alt(items) => items.iter().for_each(|n| outside_lookarounds(n, into)),
        Node::Repeat { node, .. } | Node::Capture { node, .. } => outside_lookarounds(node, into),
        Node::Lookahead { .. }
        | Node::Lookbehind { .. }
        | Node::Empty
        | Node::Start
        | Node::End
        | Node::WordBoundary { .. }
        | Node::Opaque(_)
        | Node::Backref(_) => {}
    }
}

/// Every string `node` matches, if they are at most [`MAX_STRINGS`]; `None` for more, or
/// for a node with assertions or backreferences.
fn strings(node: &Node, alphabet: Option<&CharSet>) -> Option<BTreeSet<String>> {
    let set = match node {
        Node::Empty => BTreeSet::from([String::new()]),
        Node::Set { set, .. } => {
            let set = alphabet.map_or_else(|| set.clone(), |a| set.minus(&set.minus(a)));
            if set.len() > MAX_STRINGS as u64 {
                return None;
            }
            set.ranges().iter().flat_map(|&(lo, hi)| lo..=hi).map(|i| charset::char_of(i).to_string()).collect()
        }
        Node::Concat(items) => {
            let mut acc = BTreeSet::from([String::new()]);
            for item in items {
                acc = product(&acc, &strings(item, alphabet)?)?;
            }
            acc
        }
        Node::Alt(alts) => {
            let mut acc = BTreeSet::new();
            for alt in alts {
                acc.extend(strings(alt, alphabet)?);
                if acc.len() > MAX_STRINGS {
                    return None;
                }
            }
            acc
        }
        Node::Repeat { node, min, max } => {
            let once = strings(node, alphabet)?;
            let max = match max {
                Some(max) => *max,
                // Repeating only the empty string adds nothing.
                None if once.iter().all(String::is_empty) => *min,
                None => return None,
            };
            let mut power = BTreeSet::from([String::new()]);
            let mut acc = BTreeSet::new();
            for count in 0..=max {
                if count >= *min {
                    acc.extend(power.iter().cloned());
                    if acc.len() > MAX_STRINGS {
                        return None;
                    }
                }
                if count < max {
                    let next = product(&power, &once)?;
                    if next == power {
                        break; // only the empty string: every further count is the same
                    }
                    power = next;
                }
            }
            acc
        }
        Node::Capture { node, .. } => strings(node, alphabet)?,
        Node::Start
        | Node::End
        | Node::WordBoundary { .. }
        | Node::Lookahead { .. }
        | Node::Lookbehind { .. }
        | Node::Opaque(_)
        | Node::Backref(_) => return None,
    };
    (set.len() <= MAX_STRINGS).then_some(set)
}

/// Each string of `a` followed by each of `b`, if at most [`MAX_STRINGS`] (both are).
fn product(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Option<BTreeSet<String>> {
    let out: BTreeSet<String> = a.iter().flat_map(|x| b.iter().map(move |y| format!("{x}{y}"))).collect();
    (out.len() <= MAX_STRINGS).then_some(out)
}

/// `text` as a sequence of one-character sets.
fn literal(text: &str) -> Node {
    Node::Concat(text.chars().map(|c| Node::Set { set: CharSet::single(c as u32), src: c.to_string() }).collect())
}

/// `node` with every backreference to group `index` replaced by `text`.
fn substitute(node: &Node, index: u32, text: &str) -> Node {
    let sub = |n: &Node| Box::new(substitute(n, index, text));
    match node {
        Node::Backref(n) if *n == index => literal(text),
        Node::Concat(items) => Node::Concat(items.iter().map(|n| substitute(n, index, text)).collect()),
        Node::Alt(items) => Node::Alt(items.iter().map(|n| substitute(n, index, text)).collect()),
        Node::Repeat { node, min, max } => Node::Repeat { node: sub(node), min: *min, max: *max },
        Node::Capture { index: i, node } => Node::Capture { index: *i, node: sub(node) },
        Node::Lookahead { negate, node } => Node::Lookahead { negate: *negate, node: sub(node) },
        Node::Lookbehind { negate, node } => Node::Lookbehind { negate: *negate, node: sub(node) },
        other => other.clone(),
    }
}

/// `node` with each capturing group replaced by what it holds.
fn strip(node: Node) -> Node {
    match node {
        Node::Capture { node, .. } => strip(*node),
        Node::Concat(items) => Node::Concat(items.into_iter().map(strip).collect()),
        Node::Alt(items) => Node::Alt(items.into_iter().map(strip).collect()),
        Node::Repeat { node, min, max } => Node::Repeat { node: Box::new(strip(*node)), min, max },
        Node::Lookahead { negate, node } => Node::Lookahead { negate, node: Box::new(strip(*node)) },
        Node::Lookbehind { negate, node } => Node::Lookbehind { negate, node: Box::new(strip(*node)) },
        other => other,
    }
}
