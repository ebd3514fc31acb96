//! One escaping function per output context. A spec is untrusted input: every spec-derived
//! string (texts, names, values — and the spec's file name) reaches a generated file only through
//! the function of the context it lands in:
//!
//! | context | function | where it is applied |
//! |---|---|---|
//! | Rust `//` comment, the `@generated` header | [`comment`] | `emit::rust_header` |
//! | a one-line value (title, version, file name) in a doc comment | [`doc_line`] | where the emitters format them into doc text |
//! | Rust doc comment (`#[doc = …]`, printed as `///`) | [`doc`] | `emit::doc_attrs`, and on every `#[doc]` of every generated Rust file just before printing (`emit::render_rust`) |
//! | Rust string and char literals | `proc_macro2::Literal::string`/`character` (what `quote!` does with a `&str`) | everywhere: it writes CR, LF, bidi controls and other non-printables as `\r`, `\u{202e}`, … |
//! | `Cargo.toml` (comments, strings, keys) | [`toml`] | every `{{ … }}` of a `*.toml.j2` template (the minijinja formatter) |
//! | Markdown (`README.md`: text, table cells, code spans, the HTML comment header) | [`markdown`] | every `{{ … }}` of a `*.md.j2` template (the minijinja formatter) |
//!
//! What every context guarantees: no line break (LF, CR, VT, FF, NEL, U+2028, U+2029) and no
//! other control character from the input starts a new line or survives raw, and no bidi
//! control (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) reaches the output raw (rustc
//! denies them in comments and literals, and they make code read differently from what it is).
//!
//! File names: a `\` in a spec's file name is shown as `\\` (in comments) — it is part of the
//! name on Unix, not a separator. Only a path given on Windows has its separators shown as `/`
//! (`config::display_path`).

use std::fmt::Write;

/// Bidirectional formatting characters: the ones rustc's `text_direction_codepoint_in_literal`
/// and `text_direction_codepoint_in_comment` lints deny, and the implicit marks.
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// A character that must not reach any generated file raw: controls (line breaks included),
/// bidi controls, the Unicode line and paragraph separators, and the byte order mark.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi(c) || matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

fn push_unicode(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", c as u32);
}

/// Text inside a Rust `//` comment (the `@generated` header): one line, Rust-style escapes for
/// `\`, line breaks, controls and bidi characters, so the comment shows the exact name.
pub fn comment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        push_plain(&mut out, &mut rest, |b| b != b'\\');
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { return out };
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => push_unicode(&mut out, c),
            c => out.push(c),
        }
        rest = chars.as_str();
    }
}

/// Moves the printable ASCII characters at the start of `rest` that `keep` accepts to `out` in
/// one copy: most text is plain, and only the other characters need a look of their own.
fn push_plain(out: &mut String, rest: &mut &str, keep: impl Fn(u8) -> bool) {
    let plain = rest.bytes().position(|b| !((b' '..=b'~').contains(&b) && keep(b))).unwrap_or(rest.len());
    // Everything before `plain` is ASCII: `plain` is the start of a character.
    out.push_str(&rest[..plain]);
    *rest = &rest[plain..];
}

/// Markdown text for a Rust doc comment. Line breaks stay line breaks (`\r\n` and a lone `\r`
/// become `\n`: rustc rejects a bare CR in a doc comment), tabs stay; every other control
/// character and every bidi character is written as the visible text `\u{…}`. Idempotent.
pub fn doc(text: &str) -> String {
    // Most descriptions are printable ASCII and line breaks: nothing to change (checked a byte at
    // a time, not decoded character by character).
    if text.bytes().all(|b| matches!(b, b' '..=b'~' | b'\n' | b'\t')) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        push_plain(&mut out, &mut rest, |_| true);
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { return out };
        match c {
            '\r' => {
                out.push('\n');
                if chars.as_str().starts_with('\n') {
                    chars.next();
                }
            }
            '\n' | '\t' => out.push(c),
            c if is_unsafe(c) => push_unicode(&mut out, c),
            c => out.push(c),
        }
        rest = chars.as_str();
    }
}

/// A one-line value (a title, a version, a file name) inside the Markdown of a doc comment,
/// also in a table row: [`comment`]'s escapes (no line break survives — a title cannot open a
/// code block, which rustdoc would compile and run as a doctest) and `|` as `\|`.
pub fn doc_line(text: &str) -> String {
    comment(text).replace('|', "\\|")
}

/// A value inside `Cargo.toml`: safe in a comment, inside a basic string `"…"` and (for the
/// names that are valid bare keys anyway) as a key. `\` and `"` are escaped, controls and bidi
/// characters become `\uXXXX`/`\UXXXXXXXX` (TOML's own escapes), so nothing starts a new line.
pub fn toml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A value inside a Markdown file: safe as text, in a table cell, in a code span and in the
/// `<!-- … -->` header. The characters that could end any of those (`|`, `` ` ``, `<`, `>`,
/// `&`, `\`) and every control (line breaks included) or bidi character become HTML numeric
/// character references: rendered as the character in text, shown literally in a code span,
/// never markup. Ordinary names, titles and versions are unchanged.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' | '`' | '<' | '>' | '&' | '\\' => {
                let _ = write!(out, "&#{};", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "&#x{:X};", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str =
        "a\nb\rc\r\nd\u{b}e\u{c}f\u{85}g\u{2028}h\u{202e}i\u{2066}j\\k\"l`m|n<!-- -->\u{0}\u{7f}\u{feff}";

    fn no_raw_unsafe(s: &str) -> bool {
        !s.chars().any(is_unsafe)
    }

    #[test]
    fn comment_is_one_line_and_shows_the_name() {
        let e = comment(HOSTILE);
        assert!(no_raw_unsafe(&e), "{e:?}");
        assert!(e.contains("j\\\\k"), "a backslash stays a backslash: {e}");
        assert_eq!(comment("specs/D1-Public-IN-v1-Card.json"), "specs/D1-Public-IN-v1-Card.json");
    }

    /// The first versions of `comment` and `doc`, one character at a time: the oracles for the
    /// ones that copy plain runs.
    fn comment_by_chars(text: &str) -> String {
        text.chars()
            .map(|c| match c {
                '\\' => "\\\\".to_string(),
                '\n' => "\\n".to_string(),
                '\r' => "\\r".to_string(),
                '\t' => "\\t".to_string(),
                c if is_unsafe(c) => format!("\\u{{{:x}}}", c as u32),
                c => c.to_string(),
            })
            .collect()
    }

    fn doc_by_chars(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    out.push('\n');
                }
                '\n' | '\t' => out.push(c),
                c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn plain_runs_escape_as_character_by_character() {
        let pieces: Vec<String> =
            HOSTILE.chars().map(String::from).chain(["ab", "é", "\u{1F600}", "~", " "].map(String::from)).collect();
        let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
        for text in crate::test_strings::joined(&pieces, 20_000, 8, 0x2545_f491_4f6c_dd1d) {
            assert_eq!(comment(&text), comment_by_chars(&text), "{text:?}");
            assert_eq!(doc(&text), doc_by_chars(&text), "{text:?}");
        }
    }

    #[test]
    fn doc_keeps_line_breaks_only() {
        let e = doc(HOSTILE);
        assert!(!e.chars().any(|c| is_unsafe(c) && c != '\n'), "{e:?}");
        assert!(e.starts_with("a\nb\nc\nd\\u{b}e"), "{e:?}");
        assert_eq!(doc(&e), e, "idempotent");
        assert_eq!(doc("Plain *Markdown* `text`\n\n- a list"), "Plain *Markdown* `text`\n\n- a list");
    }

    #[test]
    fn toml_is_a_valid_basic_string_body() {
        let e = toml(HOSTILE);
        assert!(no_raw_unsafe(&e), "{e:?}");
        assert!(!e.replace("\\\\", "").replace("\\\"", "").contains('"'), "{e}");
        assert!(e.contains("\\u202E"), "{e}");
        assert_eq!(toml("d1-types"), "d1-types");
    }

    #[test]
    fn markdown_cannot_end_a_cell_span_or_comment() {
        let e = markdown(HOSTILE);
        assert!(no_raw_unsafe(&e), "{e:?}");
        for c in ['|', '`', '<', '>', '\\'] {
            assert!(!e.contains(c), "{c} in {e}");
        }
        assert_eq!(markdown("D1 Card API 1.2.0"), "D1 Card API 1.2.0");
    }
}
