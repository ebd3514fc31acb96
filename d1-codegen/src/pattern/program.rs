//! The fallback for patterns whose deterministic automaton is too large to emit (or that use
//! what the DFA constructions do not cover: lookbehinds, lookarounds inside lookarounds, `\b`
//! together with a lookahead): the Thompson NFA itself, emitted as a table for
//! `d1_runtime::pattern::Nfa`, which simulates it in time linear in the value (see there).
//!
//! Building it is linear in the pattern's size: one NFA (capped at `dfa::MAX_NFA_STATES`
//! states in all), each lookaround's body after the main pattern in the same state space,
//! a lookahead's with its edges reversed, because the runtime runs it backwards from the end
//! of the value.

use super::charset::{CharSet, MAX_INDEX};
use super::dfa::{self, Eps, Label, Nfa};
use super::parse::Node;

/// An edge, as `d1_runtime::pattern::Edge` has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Edge {
    Eps(usize),
    Start(usize),
    End(usize),
    Boundary(usize),
    NotBoundary(usize),
    Look(usize, usize),
    Read(usize, usize),
}

/// A lookaround: which way its pass runs, and where it starts and accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Look {
    pub ahead: bool,
    pub negate: bool,
    pub start: usize,
    pub accept: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Program {
    pub sets: Vec<CharSet>,
    pub states: Vec<Vec<Edge>>,
    pub looks: Vec<Look>,
    pub start: usize,
    pub accept: usize,
    pub anchored_start: bool,
    pub anchored_end: bool,
}

/// The program of `body` (its leading `^` / trailing `$` already stripped), or `None` past
/// the NFA cap.
pub(super) fn build(body: &Node, anchored_start: bool, anchored_end: bool) -> Option<Program> {
    // `nfa_size` overestimates (about twice, for counted loops); the real cap is the NFA's
    // own. This bound only keeps repetitions of nothing (`(?:){99999}`) from looping long.
    if dfa::nfa_size(body) > 4 * dfa::MAX_NFA_STATES as u64 {
        return None;
    }
    let mut nfa = Nfa::new(MAX_INDEX, false);
    nfa.word_boundaries = true;
    nfa.assertions = Some(Vec::new());
    let start = nfa.new_state()?;
    let accept = nfa.build(body, start)?;
    let mut states: Vec<Vec<Edge>> = Vec::new();
    let mut looks = Vec::new();
    // A body may hold lookarounds of its own: they are numbered after it, and built after it.
    let mut next = 0;
    loop {
        let built = states.len();
        states.extend((built..nfa.eps.len()).map(|q| edges(&nfa, q)));
        let Some(assertion) = nfa.assertions.as_ref()?.get(next) else { break };
        let (behind, negate, node) = (assertion.behind, assertion.negate, assertion.node.clone());
        let first = nfa.new_state()?;
        let last = nfa.build(&node, first)?;
        if behind {
            looks.push(Look { ahead: false, negate, start: first, accept: last });
        } else {
            // The body's states are `first..nfa.eps.len()`, and its edges stay among them.
            let reversed = reverse(&nfa, first);
            looks.push(Look { ahead: true, negate, start: last, accept: first });
            states.extend(reversed);
        }
        next += 1;
    }
    Some(Program { sets: nfa.sets, states, looks, start, accept, anchored_start, anchored_end })
}

/// The edges leaving NFA state `q`.
fn edges(nfa: &Nfa, q: usize) -> Vec<Edge> {
    let mut out: Vec<Edge> = nfa.eps[q].iter().map(|&(kind, to)| eps_edge(kind, to)).collect();
    out.extend(nfa.trans[q].iter().filter_map(|(label, to)| match label {
        Label::Set(id) => Some(Edge::Read(*id, *to)),
        // Only the DFA constructions add `Any` (for an unanchored start).
        Label::Any => None,
    }));
    out
}

fn eps_edge(kind: Eps, to: usize) -> Edge {
    match kind {
        Eps::Always => Edge::Eps(to),
        Eps::AtStart => Edge::Start(to),
        Eps::AtEnd => Edge::End(to),
        Eps::Word(true) => Edge::Boundary(to),
        Eps::Word(false) => Edge::NotBoundary(to),
        Eps::Look(id) => Edge::Look(id, to),
    }
}

/// The edges of states `first..` with their directions reversed.
fn reverse(nfa: &Nfa, first: usize) -> Vec<Vec<Edge>> {
    let count = nfa.eps.len() - first;
    let mut out: Vec<Vec<Edge>> = vec![Vec::new(); count];
    for q in first..nfa.eps.len() {
        for edge in edges(nfa, q) {
            let (to, back) = match edge {
                Edge::Eps(to) => (to, Edge::Eps(q)),
                Edge::Start(to) => (to, Edge::Start(q)),
                Edge::End(to) => (to, Edge::End(q)),
                Edge::Boundary(to) => (to, Edge::Boundary(q)),
                Edge::NotBoundary(to) => (to, Edge::NotBoundary(q)),
                Edge::Look(id, to) => (to, Edge::Look(id, q)),
                Edge::Read(set, to) => (to, Edge::Read(set, q)),
            };
            if let Some(row) = to.checked_sub(first).and_then(|i| out.get_mut(i)) {
                row.push(back);
            }
        }
    }
    out
}

impl Program {
    /// Runs the program with `d1_runtime::pattern`, what the emitted code calls (tests).
    #[cfg(test)]
    pub(super) fn run(&self, value: &str) -> bool {
        use super::charset::char_of;
        use d1_runtime::pattern as rt;
        let n = |x: usize| u32::try_from(x).expect("the NFA cap keeps state numbers small");
        let id = |x: usize| u16::try_from(x).expect("few sets and lookarounds");
        let sets: Vec<Vec<(char, char)>> = self
            .sets
            .iter()
            .map(|set| set.ranges().iter().map(|&(lo, hi)| (char_of(lo), char_of(hi))).collect())
            .collect();
        let sets: Vec<&[(char, char)]> = sets.iter().map(Vec::as_slice).collect();
        let states: Vec<Vec<rt::Edge>> = self
            .states
            .iter()
            .map(|edges| {
                edges
                    .iter()
                    .map(|&edge| match edge {
                        Edge::Eps(to) => rt::Edge::Eps(n(to)),
                        Edge::Start(to) => rt::Edge::Start(n(to)),
                        Edge::End(to) => rt::Edge::End(n(to)),
                        Edge::Boundary(to) => rt::Edge::Boundary(n(to)),
                        Edge::NotBoundary(to) => rt::Edge::NotBoundary(n(to)),
                        Edge::Look(look, to) => rt::Edge::Look(id(look), n(to)),
                        Edge::Read(set, to) => rt::Edge::Read(id(set), n(to)),
                    })
                    .collect()
            })
            .collect();
        let states: Vec<&[rt::Edge]> = states.iter().map(Vec::as_slice).collect();
        let looks: Vec<rt::Look> = self
            .looks
            .iter()
            .map(|l| rt::Look { ahead: l.ahead, negate: l.negate, start: n(l.start), accept: n(l.accept) })
            .collect();
        rt::Nfa {
            sets: &sets,
            states: &states,
            looks: &looks,
            start: n(self.start),
            accept: n(self.accept),
            anchored_start: self.anchored_start,
            anchored_end: self.anchored_end,
        }
        .matches(value)
    }
}
