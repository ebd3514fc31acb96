//! Sets of code points, as sorted disjoint ranges.
//!
//! Ranges are kept in *index space*: code points with the surrogate block removed
//! (`U+D800..=U+DFFF` can never occur in a Rust `str`, so a set never needs them). A set is
//! therefore always expressible with valid `char` literals, and `U+D7FF`/`U+E000` count as
//! neighbours, so the complement of `[a]` prints as two ranges rather than three.
//!
//! In byte mode (every class of the pattern is ASCII) the same type holds sets of bytes
//! `0..=0xFF`, where index and value coincide.

use std::fmt::Write as _;

const SURROGATE_FIRST: u32 = 0xD800;
const SURROGATE_LEN: u32 = 0x800;
/// The largest index: `U+10FFFF` with the surrogates removed.
pub(super) const MAX_INDEX: u32 = 0x10_FFFF - SURROGATE_LEN;
/// The largest index in byte mode.
pub(super) const MAX_BYTE: u32 = 0xFF;

/// The index of a non-surrogate code point.
pub(super) fn index_of(cp: u32) -> u32 {
    if cp < SURROGATE_FIRST {
        cp
    } else {
        cp - SURROGATE_LEN
    }
}

/// The code point at an index.
pub(super) fn code_point_of(index: u32) -> u32 {
    if index < SURROGATE_FIRST {
        index
    } else {
        index + SURROGATE_LEN
    }
}

/// The `char` at an index (always valid for an index `<= MAX_INDEX`).
pub(super) fn char_of(index: u32) -> char {
    char::from_u32(code_point_of(index)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct CharSet {
    /// Sorted, disjoint, non-adjacent inclusive ranges of indices.
    ranges: Vec<(u32, u32)>,
}

impl CharSet {
    pub(super) fn empty() -> Self {
        CharSet::default()
    }

    /// One code point; a surrogate gives the empty set (it matches nothing in a `str`).
    pub(super) fn single(cp: u32) -> Self {
        CharSet::code_point_range(cp, cp)
    }

    /// The code points `first..=last`, minus the surrogates.
    pub(super) fn code_point_range(first: u32, last: u32) -> Self {
        let mut set = CharSet::empty();
        set.add_code_point_range(first, last);
        set
    }

    pub(super) fn add_code_point_range(&mut self, first: u32, last: u32) {
        let last = last.min(0x10_FFFF);
        if first > last {
            return;
        }
        // Clip the surrogate block out of the range.
        let lo = if (SURROGATE_FIRST..SURROGATE_FIRST + SURROGATE_LEN).contains(&first) {
            SURROGATE_FIRST + SURROGATE_LEN
        } else {
            first
        };
        let hi =
            if (SURROGATE_FIRST..SURROGATE_FIRST + SURROGATE_LEN).contains(&last) { SURROGATE_FIRST - 1 } else { last };
        if lo > hi {
            return;
        }
        self.add_index_range(index_of(lo), index_of(hi));
    }

    pub(super) fn add_index_range(&mut self, lo: u32, hi: u32) {
        self.ranges.push((lo, hi));
        self.normalize();
    }

    pub(super) fn from_index_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut set = CharSet { ranges: ranges.into_iter().filter(|(lo, hi)| lo <= hi).collect() };
        set.normalize();
        set
    }

    fn normalize(&mut self) {
        self.ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.ranges.len());
        for &(lo, hi) in &self.ranges {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        self.ranges = merged;
    }

    pub(super) fn union(&self, other: &CharSet) -> CharSet {
        CharSet::from_index_ranges(self.ranges.iter().chain(&other.ranges).copied())
    }

    /// The members of `self` that are not in `other`.
    pub(super) fn minus(&self, other: &CharSet) -> CharSet {
        let mut out = Vec::new();
        for &(lo, hi) in &self.ranges {
            let mut from = lo;
            for &(olo, ohi) in &other.ranges {
                if ohi < from || olo > hi {
                    continue;
                }
                if olo > from {
                    out.push((from, olo - 1));
                }
                from = ohi.saturating_add(1);
                if from > hi {
                    break;
                }
            }
            if from <= hi {
                out.push((from, hi));
            }
        }
        CharSet { ranges: out }
    }

    /// Everything in `0..=max` that is not in the set.
    pub(super) fn complement(&self, max: u32) -> CharSet {
        let mut out = Vec::new();
        let mut next = 0u32;
        for &(lo, hi) in &self.ranges {
            if lo > max {
                break;
            }
            if lo > next {
                out.push((next, lo - 1));
            }
            next = hi.saturating_add(1);
        }
        if next <= max {
            out.push((next, max));
        }
        CharSet { ranges: out }
    }

    /// Whether the index is in the set.
    pub(super) fn contains_index(&self, index: u32) -> bool {
        let i = self.ranges.partition_point(|&(_, hi)| hi < index);
        self.ranges.get(i).is_some_and(|&(lo, _)| lo <= index)
    }

    #[cfg(test)]
    pub(super) fn contains_char(&self, c: char) -> bool {
        self.contains_index(index_of(c as u32))
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether every member is ASCII (the empty set is).
    pub(super) fn is_ascii(&self) -> bool {
        self.ranges.last().is_none_or(|&(_, hi)| hi <= 0x7F)
    }

    /// The one code point of a singleton set.
    pub(super) fn as_single(&self) -> Option<char> {
        match self.ranges.as_slice() {
            [(lo, hi)] if lo == hi => Some(char_of(*lo)),
            _ => None,
        }
    }

    /// Index ranges, sorted.
    pub(super) fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// Number of members.
    pub(super) fn len(&self) -> u64 {
        self.ranges.iter().map(|&(lo, hi)| u64::from(hi - lo) + 1).sum()
    }

    /// The set in regex class syntax, e.g. `[-0-9A-Z_a-z]`, for messages and docs.
    pub(super) fn to_class_string(&self) -> String {
        let mut s = String::from("[");
        for &(lo, hi) in &self.ranges {
            push_class_char(&mut s, char_of(lo));
            if hi > lo {
                if hi > lo + 1 {
                    s.push('-');
                }
                push_class_char(&mut s, char_of(hi));
            }
        }
        s.push(']');
        s
    }
}

fn push_class_char(s: &mut String, c: char) {
    match c {
        '\\' | ']' | '[' | '^' | '-' => {
            s.push('\\');
            s.push(c);
        }
        c if c.is_ascii_graphic() || c == ' ' => s.push(c),
        c => {
            let _ = write!(s, "\\u{{{:X}}}", c as u32);
        }
    }
}

/// `.` in Unicode mode: everything but the line terminators.
pub(super) fn dot() -> CharSet {
    line_terminators().complement(MAX_INDEX)
}

/// ECMA-262 LineTerminator.
fn line_terminators() -> CharSet {
    CharSet::from_index_ranges([(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)])
}

/// `\d`.
pub(super) fn digits() -> CharSet {
    CharSet::from_index_ranges([(0x30, 0x39)])
}

/// `\w` (Unicode mode, no `i` flag).
pub(super) fn word() -> CharSet {
    CharSet::from_index_ranges([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)])
}

/// `\s`: ECMA-262 WhiteSpace (TAB, VT, FF, ZWNBSP, the Zs category) plus LineTerminator,
/// exactly as regress defines it.
pub(super) fn space() -> CharSet {
    let white = [
        (0x09, 0x0D), // TAB, LF, VT, FF, CR
        (0x20, 0x20),
        (0xA0, 0xA0),
        (0x1680, 0x1680),
        (0x2000, 0x200A),
        (0x2028, 0x2029),
        (0x202F, 0x202F),
        (0x205F, 0x205F),
        (0x3000, 0x3000),
        (0xFEFF, 0xFEFF),
    ];
    CharSet::from_index_ranges(white.iter().map(|&(lo, hi)| (index_of(lo), index_of(hi))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surrogates_are_clipped_and_bridged() {
        assert!(CharSet::code_point_range(0xD800, 0xDFFF).is_empty());
        let not_a = CharSet::single('a' as u32).complement(MAX_INDEX);
        assert_eq!(not_a.ranges().len(), 2);
        assert!(not_a.contains_char('\u{E000}'));
        assert!(not_a.contains_char('\u{D7FF}'));
        assert!(not_a.contains_char('\u{10FFFF}'));
        assert!(!not_a.contains_char('a'));
        assert_eq!(CharSet::code_point_range(0xD000, 0xE000).len(), 0x1001 - 0x800);
    }

    #[test]
    fn class_string() {
        assert_eq!(word().to_class_string(), "[0-9A-Z_a-z]");
        assert_eq!(dot().complement(MAX_INDEX).to_class_string(), "[\\u{A}\\u{D}\\u{2028}\\u{2029}]");
        assert_eq!(CharSet::from_index_ranges([(0x2D, 0x2E)]).to_class_string(), "[\\-.]");
    }
}
