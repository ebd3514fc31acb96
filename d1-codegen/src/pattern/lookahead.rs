//! Patterns with lookaheads, compiled into one automaton.
//!
//! A lookahead `(?=A)` / `(?!A)` met at some position asks whether `A` matches from there
//! (any prefix of the rest will do). That question is answered by an automaton of `A` run
//! on the rest of the value, deterministic and small, so the subset construction carries it
//! along: a *thread* is an NFA state of the pattern plus the lookaheads it still waits on,
//! each the state of its own automaton. Each character moves the NFA state and every pending
//! automaton; a pending `(?=A)` is settled when its automaton is sure to accept (the thread
//! goes on without it) or dies (so does the thread), a `(?!A)` the other way round, and at
//! the end of the value whatever is still pending is decided by whether its automaton
//! accepts there. Sets of threads are the states of a DFA as usual: one pass over the value,
//! no allocation, time linear in its length.
//!
//! `^` inside a lookahead holds only at position 0, so each lookahead has two automata: one
//! for position 0 and one, with every `^` failing, for later positions. A lookahead inside a
//! lookahead is left to `program` (the NFA).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use super::dfa::{self, Dfa, Eps, FastHasher, Label, Look, Nfa};
use super::parse::Node;

/// A lookahead still pending: `(look, later, state of that look's automaton)`.
type Pending = (usize, bool, usize);

/// An NFA state and the lookaheads it waits on (sorted, deduplicated).
type Thread = (usize, Vec<Pending>);

/// The subset construction's state: live threads (sorted), and whether a thread past a `$`
/// edge accepts (at the end of the value only).
type Subset = (Vec<Thread>, bool);

struct Machine {
    nfa: Nfa,
    looks: Vec<Look>,
    accept: usize,
    anchored_end: bool,
    /// `class_in[look][later as usize][class]`: the class of that look's automaton holding
    /// the pattern's `class`.
    class_in: Vec<[Vec<usize>; 2]>,
    member: Vec<Vec<bool>>,
}

impl Machine {
    fn automaton(&self, (look, later, _): Pending) -> &Dfa {
        let look = &self.looks[look];
        if later {
            &look.later
        } else {
            &look.at_zero
        }
    }

    /// Drops what is settled; `None` when a lookahead has failed (the thread dies).
    fn settle(&self, mut pending: Vec<Pending>) -> Option<Vec<Pending>> {
        let mut kept = Vec::with_capacity(pending.len());
        for p in pending.drain(..) {
            let dfa = self.automaton(p);
            let state = p.2;
            let sure = dfa.accept[state] && dfa.trans[state].iter().all(|&t| t == Some(state));
            match (sure, self.looks[p.0].negate) {
                (true, true) => return None,
                (true, false) => {}
                (false, _) => kept.push(p),
            }
        }
        kept.sort_unstable();
        kept.dedup();
        Some(kept)
    }

    /// Every pending automaton reads a character of `class`.
    fn step(&self, pending: &[Pending], class: usize) -> Option<Vec<Pending>> {
        let mut moved = Vec::with_capacity(pending.len());
        for &(look, later, state) in pending {
            let dfa = self.automaton((look, later, state));
            match dfa.trans[state][self.class_in[look][usize::from(later)][class]] {
                Some(next) => moved.push((look, later, next)),
                None if self.looks[look].negate => {}
                None => return None,
            }
        }
        self.settle(moved)
    }

    /// Whether what is pending holds at the end of the value.
    fn holds_at_end(&self, pending: &[Pending]) -> bool {
        pending.iter().all(|&p| self.automaton(p).accept[p.2] != self.looks[p.0].negate)
    }

    fn closure(&self, seeds: Vec<Thread>, at_start: bool) -> Subset {
        let mut stack: Vec<(Thread, bool)> = seeds.into_iter().map(|t| (t, false)).collect();
        let mut seen: HashSet<(Thread, bool), BuildHasherDefault<FastHasher>> = HashSet::default();
        let mut live = Vec::new();
        let mut ends_here = false;
        while let Some((thread, ended)) = stack.pop() {
            if !seen.insert((thread.clone(), ended)) {
                continue;
            }
            let (q, pending) = &thread;
            if ended {
                ends_here |= *q == self.accept && self.holds_at_end(pending);
            }
            for &(kind, to) in &self.nfa.eps[*q] {
                match kind {
                    Eps::Always => stack.push(((to, pending.clone()), ended)),
                    Eps::AtStart if at_start => stack.push(((to, pending.clone()), ended)),
                    Eps::AtStart | Eps::Word(_) => {}
                    Eps::AtEnd => stack.push(((to, pending.clone()), true)),
                    Eps::Look(look) => {
                        let mut more = pending.clone();
                        more.push((look, !at_start, 0));
                        if let Some(more) = self.settle(more) {
                            stack.push(((to, more), ended));
                        }
                    }
                }
            }
            if !ended {
                live.push(thread);
            }
        }
        live.sort_unstable();
        live.dedup();
        if !self.anchored_end && live.iter().any(|(q, pending)| *q == self.accept && pending.is_empty()) {
            // Matched, with nothing pending: every value that goes on from here matches.
            return (vec![(self.accept, Vec::new())], false);
        }
        (live, ends_here)
    }

    fn accepts(&self, (live, ends_here): &Subset) -> bool {
        *ends_here || live.iter().any(|(q, pending)| *q == self.accept && self.holds_at_end(pending))
    }

    fn moved(&self, (live, _): &Subset, class: usize) -> Vec<Thread> {
        let mut seeds = Vec::new();
        for (q, pending) in live {
            let Some(pending) = self.step(pending, class) else { continue };
            for (label, to) in &self.nfa.trans[*q] {
                if match label {
                    Label::Any => true,
                    Label::Set(id) => self.member[*id][class],
                } {
                    seeds.push((*to, pending.clone()));
                }
            }
            if *q == self.accept && !self.anchored_end {
                // Matched, waiting on lookaheads: the rest of the value is theirs to read.
                seeds.push((*q, pending));
            }
        }
        seeds
    }
}

/// The minimal DFA of `body` (which has lookaheads, none inside another), or `None` past a
/// size cap.
pub(super) fn build(body: &Node, anchored_start: bool, anchored_end: bool, domain_max: u32) -> Option<Dfa> {
    if dfa::nfa_size(body) > dfa::MAX_NFA_STATES as u64 {
        return None;
    }
    let mut nfa = Nfa::new(domain_max, true);
    let start = nfa.new_state()?;
    if !anchored_start {
        nfa.trans[start].push((Label::Any, start));
    }
    let accept = nfa.build(body, start)?;
    let looks = nfa.looks.take()?;
    // One partition that refines the pattern's sets and every lookahead automaton's classes.
    let mut sets = nfa.sets.clone();
    for look in &looks {
        sets.extend(look.at_zero.classes.iter().chain(&look.later.classes).cloned());
    }
    let (classes, member) = dfa::partition(&sets, domain_max)?;
    let mut offset = nfa.sets.len();
    let mut class_in = Vec::with_capacity(looks.len());
    for look in &looks {
        let mut both: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
        for (slot, automaton) in both.iter_mut().zip([&look.at_zero, &look.later]) {
            let n = automaton.classes.len();
            *slot = (0..classes.len()).map(|c| (0..n).find(|&k| member[offset + k][c]).unwrap_or(0)).collect();
            offset += n;
        }
        class_in.push(both);
    }
    let machine = Machine { nfa, looks, accept, anchored_end, class_in, member };

    let first = machine.closure(vec![(start, Vec::new())], true);
    let mut subsets = dfa::Subsets::new(first);
    let mut trans: Vec<Vec<Option<usize>>> = Vec::new();
    let mut i = 0;
    while i < subsets.list.len() {
        let mut row = Vec::with_capacity(classes.len());
        for class in 0..classes.len() {
            let seeds = machine.moved(&subsets.list[i], class);
            if seeds.is_empty() {
                row.push(None);
                continue;
            }
            let next = machine.closure(seeds, false);
            row.push(Some(subsets.number(next)?));
        }
        trans.push(row);
        i += 1;
    }
    let accepting = subsets.list.iter().map(|s| machine.accepts(s)).collect();
    Some(dfa::minimize(classes, trans, accepting))
}
