//! The members of a Unicode property escape, `\p{…}`, read off regress itself.
//!
//! Rather than carrying its own Unicode tables (and risking another Unicode version than the
//! engine the matchers are judged against), the compiler asks regress once per property:
//! `[\p{…}]+` over a string holding every code point in order matches exactly the runs of
//! members, so the matches are the set's ranges. One linear scan of 1.1 M code points per
//! distinct property and process, cached.
//!
//! That scan costs about 90 M instructions, most of the time of a small AWS spec (whose patterns
//! use `\p{L}`, `\p{N}`, `\p{Z}`…), so the properties the public corpus uses most are committed
//! in `property_tables.rs`, as regress reads them: a test compares every table with the scan, and
//! `UPDATE_SNAPSHOTS=1 cargo test -p d1-codegen property` rewrites the file when regress changes.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::charset::{self, CharSet, MAX_INDEX};

#[path = "property_tables.rs"]
mod tables;

/// The properties committed in `property_tables.rs`, by how often the corpus uses them.
#[cfg(test)]
const COMMITTED: [&str; 13] = ["N", "L", "Z", "M", "P", "S", "C", "Ll", "Lo", "Lu", "Nd", "Zs", "ASCII"];

/// The set `\p{name}` stands for (`name` as written between the braces, e.g. `L`,
/// `Script=Greek`), or `None` when regress does not know the property.
pub(super) fn members(name: &str) -> Option<CharSet> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<CharSet>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(known) = cache.lock().ok()?.get(name) {
        return known.clone();
    }
    let set = match tables::TABLES.iter().find(|(committed, _)| *committed == name) {
        Some((_, ranges)) => Some(CharSet::from_index_ranges(ranges.iter().copied())),
        None => read_off_regress(name),
    };
    cache.lock().ok()?.insert(name.to_owned(), set.clone());
    set
}

fn read_off_regress(name: &str) -> Option<CharSet> {
    static EVERY_CODE_POINT: OnceLock<String> = OnceLock::new();
    let all = EVERY_CODE_POINT.get_or_init(|| (0..=MAX_INDEX).map(charset::char_of).collect());
    let runs = regress::Regex::with_flags(&format!("[\\p{{{name}}}]+"), "u").ok()?;
    let ranges = runs.find_iter(all).filter_map(|m| {
        let first = all.get(m.start()..)?.chars().next()?;
        let last = all.get(..m.end())?.chars().next_back()?;
        Some((charset::index_of(first as u32), charset::index_of(last as u32)))
    });
    Some(CharSet::from_index_ranges(ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_scripts() {
        let started = std::time::Instant::now();
        let letters = members("L").expect("L");
        eprintln!("\\p{{L}}: {} ranges in {:?}", letters.ranges().len(), started.elapsed());
        assert!(letters.contains_char('a') && letters.contains_char('é') && letters.contains_char('Σ'));
        assert!(!letters.contains_char('1') && !letters.contains_char(' ') && !letters.contains_char('😀'));
        let greek = members("Script=Greek").expect("Script=Greek");
        assert!(greek.contains_char('Σ') && !greek.contains_char('a'));
        assert_eq!(members("Nd").expect("Nd").ranges().first(), Some(&(0x30, 0x39)));
        assert!(members("Any").expect("Any").ranges() == [(0, MAX_INDEX)]);
        assert!(members("NoSuchProperty").is_none());
        // The cache answers the same.
        assert_eq!(members("L"), Some(letters));
    }

    /// The committed tables are what regress reads (rewritten with `UPDATE_SNAPSHOTS=1`).
    #[test]
    fn committed_tables_are_what_regress_reads() {
        let mut text = String::from(
            "//! Unicode property sets as regress reads them, for the properties the public corpus uses\n\
             //! most (see `property.rs`). Written by `UPDATE_SNAPSHOTS=1 cargo test -p d1-codegen property`;\n\
             //! do not edit by hand.\n\n\
             /// (property, ranges of code point indices: `charset::index_of`).\n\
             #[rustfmt::skip]\n\
             pub(super) const TABLES: &[(&str, &[(u32, u32)])] = &[\n",
        );
        for name in COMMITTED {
            let set = read_off_regress(name).unwrap_or_else(|| panic!("regress does not know \\p{{{name}}}"));
            text.push_str(&format!("    (\"{name}\", &[\n"));
            for line in set.ranges().chunks(6) {
                let pairs: Vec<String> = line.iter().map(|(lo, hi)| format!("(0x{lo:x}, 0x{hi:x})")).collect();
                text.push_str(&format!("        {},\n", pairs.join(", ")));
            }
            text.push_str("    ]),\n");
        }
        text.push_str("];\n");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pattern/property_tables.rs");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(path, &text).expect("write property_tables.rs");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == text,
            "property_tables.rs is not what regress reads; run `UPDATE_SNAPSHOTS=1 cargo test -p d1-codegen property`"
        );
        let names: Vec<&str> = tables::TABLES.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, COMMITTED);
    }
}
