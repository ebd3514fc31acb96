//! Spec-derived doc comments, kept out of the syntax trees.
//!
//! The descriptions of a spec are most of the bytes of the generated code, and none of them
//! needs `syn`: [`doc_attrs`] escapes a text once, keeps its lines in a table and puts a
//! placeholder attribute `#[doc = N]` (an integer, which no emitter writes and no spec text can
//! forge) in the tokens. The printed item shows the placeholder on a line of its own, where
//! [`splice`] puts the `///` lines prettyplease would have printed for the text.
//!
//! The table lives for one [`emit`](super::emit) (a [`Table`] guard empties it when the emit
//! starts and ends): tokens are printed on the thread that made them, within the same emit.

use crate::error::{Error, Location};
use crate::escape;
use proc_macro2::{Literal, TokenStream};
use quote::quote;
use std::cell::RefCell;

thread_local! {
    /// The `///` lines of each text given to [`doc_attrs`], by placeholder number.
    static TEXTS: RefCell<Vec<Box<[Box<str>]>>> = const { RefCell::new(Vec::new()) };
}

/// Empties the doc table when made and when dropped: hold one for the length of an emit.
pub(crate) struct Table(());

impl Table {
    pub(crate) fn scope() -> Table {
        TEXTS.with_borrow_mut(Vec::clear);
        Table(())
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        TEXTS.with_borrow_mut(|texts| *texts = Vec::new());
    }
}

/// The doc comment of a Markdown text (spec-derived: through [`escape::doc`]), as one
/// placeholder attribute that [`splice`] replaces after printing.
pub(crate) fn doc_attrs(text: Option<&str>) -> TokenStream {
    let Some(lines) = lines(text) else { return TokenStream::new() };
    let number = TEXTS.with_borrow_mut(|texts| {
        texts.push(lines);
        texts.len() - 1
    });
    let number = Literal::usize_unsuffixed(number);
    quote!(#[doc = #number])
}

/// The `///` lines of a text, as prettyplease prints `#[doc = " line"]` for each of its lines:
/// `///` and the line, trailing spaces trimmed. `None` for a blank text, which has no doc.
fn lines(text: Option<&str>) -> Option<Box<[Box<str>]>> {
    let text = text.filter(|t| !t.trim().is_empty())?;
    let lines = escape::doc(text)
        .lines()
        .map(|l| if l.is_empty() { "///".into() } else { format!("/// {l}").trim_end_matches(' ').into() })
        .collect();
    Some(lines)
}

/// Append the doc comment of a text to `out`, each line after `indent`: for items printed as text.
pub(crate) fn push_doc(out: &mut String, indent: &str, text: Option<&str>) {
    for line in lines(text).iter().flatten() {
        out.push_str(indent);
        out.push_str(line);
        out.push('\n');
    }
}

/// The placeholder number if `code` (a line without its indentation) is a placeholder.
fn placeholder(code: &str) -> Option<usize> {
    code.strip_prefix("#[doc = ")?.strip_suffix(']')?.parse().ok()
}

/// Whether printed text at `at` (where `#[doc` starts) is a placeholder rather than a doc string.
pub(crate) fn is_placeholder_at(text: &str, at: usize) -> bool {
    text[at..].strip_prefix("#[doc = ").is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// Append `text` to `out` with every placeholder line replaced by its `///` lines, at the
/// placeholder's indentation. A placeholder that prettyplease printed inside a line of code is an
/// internal error, never different text.
pub(crate) fn splice(out: &mut String, text: &str, what: &str) -> Result<(), Error> {
    if !text.contains("#[doc = ") {
        out.push_str(text);
        return Ok(());
    }
    TEXTS.with_borrow(|texts| {
        for line in text.split_inclusive('\n') {
            let code = line.trim_start_matches(' ');
            let indent = &line[..line.len() - code.len()];
            match placeholder(code.trim_end_matches('\n')).and_then(|n| texts.get(n)) {
                Some(lines) => {
                    for doc in lines.iter() {
                        out.push_str(indent);
                        out.push_str(doc);
                        out.push('\n');
                    }
                }
                None if line.match_indices("#[doc").any(|(at, _)| is_placeholder_at(line, at)) => {
                    return Err(Error::new(
                        &Location::new(what, ""),
                        "internal error: a doc comment printed inside a line of code",
                    ));
                }
                None => out.push_str(line),
            }
        }
        Ok(())
    })
}
