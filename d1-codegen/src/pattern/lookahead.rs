//! Lookaheads at the start of a pattern, compiled into one automaton.
//!
//! `(?=A)R` at position 0 matches a value when `A` matches from its start (any prefix will
//! do: the lookahead does not need to reach the end) and `R` matches from its start; `(?!A)R`
//! when `A` does not and `R` does. Each of those is a regular language of the whole value, so
//! the pattern is their intersection (with the complement for `(?!…)`): a product of
//! automata, which stays one pass over the value.
//!
//! That needs the lookaheads to be evaluated at position 0 only, which holds when the
//! pattern is anchored at the start (`^(?!aws:)…`, or a positive lookahead whose body starts
//! with `^`). Unanchored, a search also tries every later position, where a lookahead whose
//! body starts with `^` is decided without reading: `(?!^…)` holds and `(?=^…)` fails. So
//! `(?!^[0-9]+$)[a-z0-9]+` is "at position 0: not all digits and `R`" or "`R` somewhere
//! after position 0". Lookaheads anywhere else are left to the engine.

use super::charset::CharSet;
use super::dfa::{self, Dfa};
use super::parse::Node;
use super::{engine_reason, only_at_start};

/// The automaton of `body` (a top-level sequence, anchors stripped) that starts with
/// lookaheads; `Ok(None)` if it does not start with one, `Err(reason)` if it cannot be
/// compiled.
pub(super) fn compile(
    body: &Node,
    anchored_start: bool,
    anchored_end: bool,
    domain_max: u32,
) -> Result<Option<Dfa>, String> {
    let items: &[Node] = match body {
        Node::Concat(items) => items,
        Node::Lookahead { .. } => std::slice::from_ref(body),
        _ => return Ok(None),
    };
    let leading = items.iter().take_while(|n| matches!(n, Node::Lookahead { .. } | Node::Start | Node::Empty)).count();
    let (head, rest) = items.split_at(leading);
    let looks: Vec<(bool, &Node)> = head
        .iter()
        .filter_map(|n| match n {
            Node::Lookahead { negate, node } => Some((*negate, node.as_ref())),
            _ => None,
        })
        .collect();
    if looks.is_empty() {
        return Ok(None);
    }
    let too_large = || "a lookahead whose automaton is too large".to_owned();
    let at_start = anchored_start
        || head.contains(&Node::Start)
        || looks.iter().any(|&(negate, node)| !negate && only_at_start(node));
    if !at_start && !looks.iter().all(|&(_, node)| only_at_start(node)) {
        return Err("a lookahead in a pattern not anchored at the start".to_owned());
    }
    let rest = Node::Concat(rest.to_vec());
    if let Some(reason) = engine_reason(&rest) {
        return Err(reason.to_owned());
    }
    let mut at_zero = dfa::build(&rest, true, anchored_end, domain_max).ok_or_else(too_large)?;
    for (negate, node) in looks {
        if let Some(reason) = engine_reason(node) {
            return Err(format!("{reason} inside a lookahead"));
        }
        let look = dfa::build(node, true, false, domain_max).ok_or_else(too_large)?;
        let keep = if negate { |r: bool, l: bool| r && !l } else { |r: bool, l: bool| r && l };
        at_zero = dfa::product(&at_zero, &look, keep, domain_max).ok_or_else(too_large)?;
    }
    if at_start {
        return Ok(Some(at_zero));
    }
    // Not anchored: every lookahead is negative and holds after position 0, so `rest`
    // matching anywhere after position 0 is a match too.
    let any = Node::Set { set: CharSet::from_index_ranges([(0, domain_max)]), src: String::new() };
    let later = dfa::build(&Node::Concat(vec![any, rest]), false, anchored_end, domain_max).ok_or_else(too_large)?;
    dfa::product(&at_zero, &later, |a, b| a || b, domain_max).map(Some).ok_or_else(too_large)
}
