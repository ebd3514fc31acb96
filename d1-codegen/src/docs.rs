//! Spec descriptions → rustdoc Markdown. D1 descriptions mix HTML (`<br/>`, `<b>`, `<code>`,
//! lists), Markdown (tables, links, block quotes) and literal `\n` sequences. The output must
//! render well and pass `cargo doc` without warnings: no stray HTML tags, no bare URLs, no
//! `[text]` that rustdoc would take for an intra-doc link, no accidental code blocks.

/// A description as Markdown, or `None` when it says nothing: absent, blank, or only markup
/// (AWS writes `<p/>`), so that the item gets a generated doc line instead of an empty one.
pub fn markdown_of(input: Option<&str>) -> Option<String> {
    input.map(to_markdown).filter(|text| !text.trim().is_empty())
}

/// Convert one description.
pub fn to_markdown(input: &str) -> String {
    // Most descriptions are one plain line: nothing to convert or escape, only the edges to trim.
    let plain = !input.bytes().any(|b| matches!(b, b'<' | b'>' | b'[' | b']' | b'`' | b'\r' | b'\\' | b'\t' | b'\n'))
        && !input.contains("http://")
        && !input.contains("https://");
    if plain {
        return input.trim().to_string();
    }
    converted(input)
}

/// [`to_markdown`] of any description.
fn converted(input: &str) -> String {
    let text = if input.contains(['\r', '\\', '\t']) {
        std::borrow::Cow::Owned(input.replace("\r\n", "\n").replace("\\n", "\n").replace('\t', " "))
    } else {
        std::borrow::Cow::Borrowed(input)
    };
    let text = convert_tags(&text);
    let mut lines: Vec<String> = Vec::new();
    let mut in_fence = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with("```") {
            // Fenced blocks in a description are examples, never Rust to compile.
            lines.push(if in_fence { "```".to_string() } else { "```text".to_string() });
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            lines.push(raw.trim_end().to_string());
            continue;
        }
        lines.push(escape_line(line));
    }
    if in_fence {
        lines.push("```".to_string());
    }
    // Collapse runs of blank lines, end a list or block quote with a blank line before the
    // next paragraph (rustdoc would otherwise fold the paragraph into the last item), and trim
    // blank edges.
    let mut out: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in lines {
        if line.is_empty() && out.last().is_none_or(|l: &String| l.is_empty()) {
            continue;
        }
        let starts_block = is_list_item(&line) || line.starts_with('>');
        if in_block && !line.is_empty() && !starts_block && !line.starts_with("```") {
            out.push(String::new());
        }
        in_block = starts_block;
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A Markdown list item: `- `, `* `, `+ ` or `1. ` / `1) `.
fn is_list_item(line: &str) -> bool {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return true;
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") "))
}

/// Replace the HTML tags D1 uses with Markdown; drop other tags.
fn convert_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('>') else {
            out.push_str(after);
            return out;
        };
        let tag = &after[1..end];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        let is_tag = !name.is_empty() && !tag.contains(' ') || matches!(name.as_str(), "br" | "a" | "p");
        if !is_tag {
            // Not markup (e.g. `<issuer host>`): keep it; `escape_line` protects it.
            out.push('<');
            rest = &after[1..];
            continue;
        }
        let replacement = match (name.as_str(), closing) {
            ("br", _) => "\n",
            ("p", false) => "\n\n",
            ("p", true) => "\n\n",
            ("b" | "strong", _) => "**",
            ("i" | "em", _) => "*",
            ("code", _) => "`",
            ("li", false) => "\n- ",
            ("li", true) => "",
            ("ul" | "ol", _) => "\n",
            _ => "",
        };
        out.push_str(replacement);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Make one line safe for rustdoc: escape `<`, `>` and stray brackets, wrap bare URLs. Text
/// between these is copied in runs (everything looked for is ASCII, so a byte is a character).
fn escape_line(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len() + 8);
    // `line[copied..i]` is text to keep as it is.
    let (mut copied, mut i) = (0, 0);
    let mut in_code = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'`' {
            in_code = !in_code;
        }
        if in_code || c == b'`' {
            i += 1;
            continue;
        }
        let (replacement, next) = match c {
            b'<' => ("\\<", i + 1),
            b'>' if i > 0 => ("\\>", i + 1), // a `>` that starts the line starts a block quote
            b']' => ("\\]", i + 1),
            b'[' => match markdown_link(line, i) {
                // Keep Markdown links `[text](url)`; escape anything else.
                Some((text, url, end)) => {
                    out.push_str(&line[copied..i]);
                    out.push('[');
                    out.push_str(&escape_line(text));
                    out.push_str("](");
                    out.push_str(url);
                    out.push(')');
                    (copied, i) = (end, end);
                    continue;
                }
                None => ("\\[", i + 1),
            },
            b'h' if line[i..].starts_with("http://") || line[i..].starts_with("https://") => {
                let end = line[i..]
                    .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '<' | '>'))
                    .map_or(line.len(), |p| i + p);
                let url = line[i..end].trim_end_matches(['.', ',', ';', ':']);
                out.push_str(&line[copied..i]);
                out.push('<');
                out.push_str(url);
                out.push('>');
                // The punctuation after the URL follows it, as written.
                (copied, i) = (i + url.len(), end);
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&line[copied..i]);
        out.push_str(replacement);
        (copied, i) = (next, next);
    }
    out.push_str(&line[copied..]);
    out
}

/// The Markdown link `[text](url)` starting at byte `open` of `line` (a `[`): its text, its URL
/// and the byte after it.
fn markdown_link(line: &str, open: usize) -> Option<(&str, &str, usize)> {
    let close = open + line[open..].find(']')?;
    let rest = line[close + 1..].strip_prefix('(')?;
    let end = rest.find(')')?;
    Some((&line[open + 1..close], &rest[..end], close + 2 + end + 1))
}

#[cfg(test)]
mod tests {
    use super::to_markdown;

    /// The shortcut for plain lines gives what the full conversion gives.
    #[test]
    fn plain_lines_convert_as_any_text() {
        // `|` separates the pieces.
        let pieces: Vec<&str> =
            "word| |  |\t|\n|\r\n|<b>|</p>|<x y>|>|[|]|(u)|`|http://a.b|https:|\\n|- |1. |é|\u{a0}|```|.|h"
                .split('|')
                .collect();
        for text in crate::test_strings::joined(&pieces, 5_000, 8, 7) {
            assert_eq!(to_markdown(&text), super::converted(&text), "{text:?}");
        }
    }

    #[test]
    fn converts_d1_markup() {
        assert_eq!(to_markdown("A<br/>B <b>bold</b> <code>x</code>"), "A\nB **bold** `x`");
        assert_eq!(super::markdown_of(Some("<p/>")), None);
        assert_eq!(super::markdown_of(Some(" <p>x</p>")).as_deref(), Some("x"));
        assert_eq!(to_markdown("A JWT.\\nThe server checks it."), "A JWT.\nThe server checks it.");
        assert_eq!(to_markdown("<ul><li>SE</li><li>HCE</li></ul>"), "- SE\n- HCE");
        // A paragraph right after a list or quote is not folded into its last item.
        assert_eq!(to_markdown("<ul><li>SE</li></ul>Then this."), "- SE\n\nThen this.");
        assert_eq!(to_markdown("1. one\n2. two\nAfter"), "1. one\n2. two\n\nAfter");
        assert_eq!(to_markdown("> quoted\nplain"), "> quoted\n\nplain");
    }

    /// `escape_line` as it was written first, character by character: the oracle for the one
    /// that copies runs.
    fn escape_by_chars(line: &str) -> String {
        let mut out = String::new();
        let chars: Vec<char> = line.chars().collect();
        let starts_with_url = |rest: &[char]| {
            let s: String = rest.iter().take(8).collect();
            s.starts_with("http://") || s.starts_with("https://")
        };
        let (mut i, mut in_code) = (0, false);
        while i < chars.len() {
            let c = chars[i];
            if c == '`' || in_code {
                in_code ^= c == '`';
                out.push(c);
                i += 1;
                continue;
            }
            match c {
                '<' => out.push_str("\\<"),
                '>' if i == 0 => out.push('>'),
                '>' => out.push_str("\\>"),
                '[' => {
                    if let Some(close) = chars[i..].iter().position(|&x| x == ']') {
                        let after = i + close + 1;
                        if chars.get(after) == Some(&'(')
                            && let Some(end) = chars[after..].iter().position(|&x| x == ')')
                        {
                            let text: String = chars[i + 1..i + close].iter().collect();
                            let url: String = chars[after + 1..after + end].iter().collect();
                            out.push_str(&format!("[{}]({url})", escape_by_chars(&text)));
                            i = after + end + 1;
                            continue;
                        }
                    }
                    out.push_str("\\[");
                }
                ']' => out.push_str("\\]"),
                'h' if starts_with_url(&chars[i..]) => {
                    let end = chars[i..]
                        .iter()
                        .position(|c| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '<' | '>'))
                        .map_or(chars.len(), |p| i + p);
                    let mut url: String = chars[i..end].iter().collect();
                    let mut trailing = String::new();
                    while url.ends_with(['.', ',', ';', ':']) {
                        trailing.insert(0, url.pop().unwrap_or_default());
                    }
                    out.push_str(&format!("<{url}>{trailing}"));
                    i = end;
                    continue;
                }
                _ => out.push(c),
            }
            i += 1;
        }
        out
    }

    #[test]
    fn lines_are_escaped_as_character_by_character() {
        let pieces: Vec<&str> =
            "a|é| |\u{2003}|<|>|[|]|(|)|`|h|http://|https://x.y|.|,|:|;|\"|'|[t](u)|](|ü<".split('|').collect();
        for line in crate::test_strings::joined(&pieces, 20_000, 9, 0x9e37_79b9_7f4a_7c15) {
            assert_eq!(super::escape_line(&line), escape_by_chars(&line), "{line:?}");
        }
    }

    #[test]
    fn is_safe_for_rustdoc() {
        assert_eq!(to_markdown("see https://example.com/x."), "see <https://example.com/x>.");
        assert_eq!(to_markdown("pattern [A-Z]{2} only"), "pattern \\[A-Z\\]{2} only");
        assert_eq!(to_markdown("[docs](../x) here"), "[docs](../x) here");
        assert_eq!(to_markdown("https://<issuer host>/n"), "<https://>\\<issuer host\\>/n");
        assert_eq!(to_markdown("    indented"), "indented");
        assert_eq!(to_markdown("```\nlet x;\n```"), "```text\nlet x;\n```");
        assert_eq!(to_markdown("> #### Note\n> text"), "> #### Note\n> text");
    }
}
