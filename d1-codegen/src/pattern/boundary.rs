//! The automaton for a pattern with word-boundary assertions `\b` / `\B` (and no lookahead).
//!
//! Whether `\b` holds depends on the character before the position and the one after it
//! (the outside of the value counting as a non-word character; word characters are
//! `[A-Za-z0-9_]`, as without the `i` flag). The character before is carried in the state of
//! the automaton; the one after is the character the automaton is about to read. So the
//! subset construction keeps each state's NFA states *unclosed*, with two flags (at the
//! start of the value; the previous character was a word character), and takes the
//! closure only when it knows what comes next: before reading a character (whose class
//! says whether it is a word character), or at the end of the value. `^` and `$` edges are
//! followed in the same closure, open at the start and at the end respectively.
//!
//! Without `$`, a state whose closure reaches acceptance before some character goes to one
//! absorbing accepting state, as in `dfa`. The result is minimised like any other automaton,
//! so it runs in one pass over the value, like every compiled pattern.

use super::charset;
use super::dfa::{self, Dfa, Eps, Label, Nfa, Subsets};
use super::parse::Node;

/// A state before its closure: NFA states (sorted), at the start, after a word character.
type Unclosed = (Vec<usize>, bool, bool);

/// The absorbing state of an unanchored end: a match was found.
const MATCHED: usize = usize::MAX;

/// Builds the minimal DFA, or `None` when a size cap is hit.
pub(super) fn build(body: &Node, anchored_start: bool, anchored_end: bool, domain_max: u32) -> Option<Dfa> {
    if dfa::nfa_size(body) > dfa::MAX_NFA_STATES as u64 {
        return None;
    }
    let mut nfa = Nfa::new(domain_max, false);
    nfa.word_boundaries = true;
    let start = nfa.new_state()?;
    if !anchored_start {
        nfa.trans[start].push((Label::Any, start));
    }
    let accept = nfa.build(body, start)?;
    // The word characters are one more set of the partition, so each class is all in or all out.
    let mut sets = nfa.sets.clone();
    sets.push(charset::word());
    let (classes, member) = dfa::partition(&sets, domain_max)?;
    let word = &member[sets.len() - 1];
    let in_label = |label: &Label, class: usize| match label {
        Label::Any => true,
        Label::Set(id) => member[*id][class],
    };

    let mut reached = vec![false; nfa.eps.len()];
    let mut subsets: Subsets<Unclosed> = Subsets::new((vec![start], true, false));
    let mut trans: Vec<Vec<Option<usize>>> = Vec::new();
    let mut accepting = Vec::new();
    let mut i = 0;
    while i < subsets.list.len() {
        let (states, at_start, after_word) = subsets.list[i].clone();
        if states == [MATCHED] {
            trans.push(vec![Some(i); classes.len()]);
            accepting.push(true);
            i += 1;
            continue;
        }
        let at_end = closure(&nfa, &states, at_start, after_word, None, &mut reached);
        accepting.push(at_end.binary_search(&accept).is_ok());
        let mut row = Vec::with_capacity(classes.len());
        for (class, &next_word) in word.iter().enumerate() {
            let closed = closure(&nfa, &states, at_start, after_word, Some(next_word), &mut reached);
            if !anchored_end && closed.binary_search(&accept).is_ok() {
                row.push(Some(subsets.number((vec![MATCHED], false, false))?));
                continue;
            }
            let mut moved: Vec<usize> = closed
                .iter()
                .flat_map(|&q| nfa.trans[q].iter())
                .filter(|(label, _)| in_label(label, class))
                .map(|&(_, to)| to)
                .collect();
            if moved.is_empty() {
                row.push(None);
                continue;
            }
            moved.sort_unstable();
            moved.dedup();
            row.push(Some(subsets.number((moved, false, next_word))?));
        }
        trans.push(row);
        i += 1;
    }
    Some(dfa::minimize(classes, trans, accepting))
}

/// The NFA states reachable from `seeds` without reading, sorted, given what surrounds the
/// position: `before_word` / `next_word` (`None`: the end of the value) decide `\b`.
fn closure(
    nfa: &Nfa,
    seeds: &[usize],
    at_start: bool,
    before_word: bool,
    next_word: Option<bool>,
    reached: &mut [bool],
) -> Vec<usize> {
    let boundary = before_word != next_word.unwrap_or(false);
    let mut stack = seeds.to_vec();
    let mut out = Vec::new();
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut reached[s], true) {
            continue;
        }
        out.push(s);
        for &(kind, to) in &nfa.eps[s] {
            let open = match kind {
                Eps::Always => true,
                Eps::AtStart => at_start,
                Eps::AtEnd => next_word.is_none(),
                Eps::Word(wanted) => wanted == boundary,
                Eps::Look(_) => false,
            };
            if open {
                stack.push(to);
            }
        }
    }
    for &s in &out {
        reached[s] = false;
    }
    out.sort_unstable();
    out
}
