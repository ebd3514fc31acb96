//! Checking a `pattern` whose deterministic automaton would be too large to emit, by
//! simulating its nondeterministic one (Thompson's construction, as d1-codegen builds it).
//!
//! The generated code holds the automaton as a table ([`Nfa`]) and calls [`Nfa::matches`].
//! The simulation keeps the *set* of states the automaton can be in, one position of the value
//! after the other, so it never backtracks: time is linear in the value's length (times the
//! automaton's size), memory linear in the automaton's size plus the value's length.
//!
//! Assertions are positions' properties:
//!
//! - `^` and `$` hold at the start and the end of the value;
//! - `\b` holds where exactly one of the characters around the position is a word character
//!   (`[A-Za-z0-9_]`; the outside of the value is not), `\B` elsewhere;
//! - a lookbehind `(?<=A)` holds at position `i` when `A` matches some `value[j..i]`: a
//!   forward pass of `A`'s automaton, started at every position, records where it accepts;
//! - a lookahead `(?=A)` holds at `i` when `A` matches some `value[i..j]`: the same, backwards,
//!   over the automaton with its edges reversed (d1-codegen emits it reversed).
//!
//! So every lookaround is one pass over the value before the main one (an inner lookaround
//! before the one containing it: it has a higher number), and the main pass reads each
//! position's answers from a table. Negated lookarounds flip the answer.

/// One edge of the automaton: what it needs, and the state it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Always open; reads nothing.
    Eps(u32),
    /// Open at the start of the value (`^`).
    Start(u32),
    /// Open at the end of the value (`$`).
    End(u32),
    /// Open at a word boundary (`\b`).
    Boundary(u32),
    /// Open where there is no word boundary (`\B`).
    NotBoundary(u32),
    /// Open where lookaround `n` of [`Nfa::looks`] holds.
    Look(u16, u32),
    /// Reads one character of set `n` of [`Nfa::sets`].
    Read(u16, u32),
}

/// A lookaround: where its automaton starts and accepts in [`Nfa::states`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    /// A lookahead (its automaton's edges are reversed), or a lookbehind.
    pub ahead: bool,
    /// `(?!…)` / `(?<!…)`.
    pub negate: bool,
    /// The state the pass starts in.
    pub start: u32,
    /// The state that means "the body matched".
    pub accept: u32,
}

/// A nondeterministic automaton of a pattern, with its lookarounds.
#[derive(Debug, Clone, Copy)]
pub struct Nfa<'a> {
    /// Character sets, each as sorted, disjoint, inclusive ranges.
    pub sets: &'a [&'a [(char, char)]],
    /// The edges leaving each state.
    pub states: &'a [&'a [Edge]],
    /// The lookarounds, each checked before the main pass (see the module docs).
    pub looks: &'a [Look],
    /// The state the main pass starts in.
    pub start: u32,
    /// The state that means "the pattern matched".
    pub accept: u32,
    /// The pattern starts with `^` (otherwise a match may start anywhere).
    pub anchored_start: bool,
    /// The pattern ends with `$` (otherwise a match may end anywhere).
    pub anchored_end: bool,
}

impl Nfa<'_> {
    /// Whether `value` matches, with ECMA-262 semantics (flag `u`): some part of it does,
    /// or all of it when the pattern is anchored at both ends.
    pub fn matches(&self, value: &str) -> bool {
        let chars: Vec<char> = value.chars().collect();
        let holds = vec![Vec::new(); self.looks.len()];
        let mut pass =
            Pass { chars: &chars, nfa: self, holds, mark: vec![0; self.states.len()], stamp: 0, stack: Vec::new() };
        for (k, look) in self.looks.iter().enumerate().rev() {
            let reached = pass.run(look.start, look.accept, !look.ahead, true);
            pass.holds[k] = reached.into_iter().map(|r| r != look.negate).collect();
        }
        let reached = pass.run(self.start, self.accept, true, !self.anchored_start);
        if self.anchored_end {
            reached.last().copied().unwrap_or(false)
        } else {
            reached.contains(&true)
        }
    }
}

/// One pass over the value.
struct Pass<'v, 'n> {
    chars: &'v [char],
    nfa: &'v Nfa<'n>,
    /// `holds[look][position]`, for the lookarounds already computed.
    holds: Vec<Vec<bool>>,
    /// `mark[state] == stamp`: the state is in the current closure.
    mark: Vec<u64>,
    stamp: u64,
    /// The closure's work list, kept between positions.
    stack: Vec<u32>,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Pass<'_, '_> {
    /// Runs from `start` forwards (or backwards), from the first position only or from every
    /// one (`everywhere`); returns, per position, whether `accept` is reached there.
    fn run(&mut self, start: u32, accept: u32, forward: bool, everywhere: bool) -> Vec<bool> {
        let n = self.chars.len();
        let mut reached = vec![false; n + 1];
        let mut seeds: Vec<u32> = Vec::new();
        let mut closed: Vec<u32> = Vec::new();
        for step in 0..=n {
            let at = if forward { step } else { n - step };
            if step == 0 || everywhere {
                seeds.push(start);
            }
            if seeds.is_empty() {
                break;
            }
            self.close(&seeds, at, &mut closed);
            reached[at] = self.mark.get(accept as usize) == Some(&self.stamp);
            seeds.clear();
            let next = if forward { self.chars.get(at) } else { at.checked_sub(1).and_then(|i| self.chars.get(i)) };
            let Some(&c) = next else { break };
            for &q in &closed {
                for edge in self.nfa.states.get(q as usize).copied().unwrap_or_default() {
                    if let Edge::Read(set, to) = *edge
                        && self.nfa.sets.get(usize::from(set)).is_some_and(|ranges| in_ranges(ranges, c))
                    {
                        seeds.push(to);
                    }
                }
            }
        }
        reached
    }

    /// The states reachable from `seeds` at position `at` without reading, into `out`, marked.
    fn close(&mut self, seeds: &[u32], at: usize, out: &mut Vec<u32>) {
        self.stamp += 1;
        out.clear();
        let n = self.chars.len();
        let before = at.checked_sub(1).and_then(|i| self.chars.get(i)).is_some_and(|&c| is_word(c));
        let after = self.chars.get(at).is_some_and(|&c| is_word(c));
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        stack.extend_from_slice(seeds);
        while let Some(q) = stack.pop() {
            let Some(mark) = self.mark.get_mut(q as usize) else { continue };
            if *mark == self.stamp {
                continue;
            }
            *mark = self.stamp;
            out.push(q);
            for edge in self.nfa.states.get(q as usize).copied().unwrap_or_default() {
                let to = match *edge {
                    Edge::Eps(to) => Some(to),
                    Edge::Start(to) => (at == 0).then_some(to),
                    Edge::End(to) => (at == n).then_some(to),
                    Edge::Boundary(to) => (before != after).then_some(to),
                    Edge::NotBoundary(to) => (before == after).then_some(to),
                    Edge::Look(look, to) => self
                        .holds
                        .get(usize::from(look))
                        .and_then(|holds| holds.get(at))
                        .copied()
                        .unwrap_or(false)
                        .then_some(to),
                    Edge::Read(..) => None,
                };
                stack.extend(to);
            }
        }
        self.stack = stack;
    }
}

/// Whether `c` is in the sorted, disjoint, inclusive `ranges`.
fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
    let i = ranges.partition_point(|&(lo, _)| lo <= c);
    i > 0 && ranges.get(i - 1).is_some_and(|&(_, hi)| c <= hi)
}

#[cfg(test)]
mod tests {
    use super::Edge::{Eps, Look as L, Read};
    use super::*;

    /// `^(?:a|b)*(?<!a)$`, built by hand: 0 -ε-> 1; 1 -a/b-> 1; 1 -look 0-> 2 (accept);
    /// the lookbehind `a`: 3 -a-> 4.
    const SETS: &[&[(char, char)]] = &[&[('a', 'b')], &[('a', 'a')]];
    const STATES: &[&[Edge]] = &[&[Eps(1)], &[Read(0, 1), L(0, 2)], &[], &[Read(1, 4)], &[]];
    const LOOKS: &[Look] = &[Look { ahead: false, negate: true, start: 3, accept: 4 }];

    #[test]
    fn lookbehind_at_the_end() {
        let nfa = Nfa {
            sets: SETS,
            states: STATES,
            looks: LOOKS,
            start: 0,
            accept: 2,
            anchored_start: true,
            anchored_end: true,
        };
        for (value, expected) in [("", true), ("a", false), ("b", true), ("ab", true), ("ba", false), ("abc", false)] {
            assert_eq!(nfa.matches(value), expected, "{value:?}");
        }
    }

    #[test]
    fn ranges() {
        let r = [('0', '9'), ('a', 'f')];
        assert!(in_ranges(&r, '0') && in_ranges(&r, '9') && in_ranges(&r, 'c'));
        assert!(!in_ranges(&r, '/') && !in_ranges(&r, ':') && !in_ranges(&r, 'g') && !in_ranges(&[], 'a'));
    }
}
