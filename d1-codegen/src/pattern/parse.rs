//! An ECMA-262 (Unicode mode, flag `u`) pattern parser, with the Annex B syntax as fallback.
//!
//! It follows regress's grammar closely so that it can say *where* a pattern that regress
//! rejects goes wrong, and it builds a small AST of the constructs the straight-line
//! compiler understands.
//!
//! **Dialect.** JSON Schema says a `pattern` is ECMA-262, and OpenAPI documents are written
//! for the flavour JavaScript engines run without the `u` flag (Annex B, "web
//! compatibility"). So: whatever is valid in Unicode mode means what it means there
//! (patterns match code points, as Rust `str`s hold them; `\p{…}` and `\u{…}` work), and
//! what Unicode mode rejects is read the way a JavaScript engine reads it without `u`:
//!
//! - an identity escape of any character but the ones below is that character: `\-`,
//!   `\_`, `\@`, `\:`, and letters too: `\q` is `q`, `\p` without a name in braces is `p`;
//! - `\x` without two hex digits is `x`, `\u` without four is `u` (`[\x{60}]` is `x`, `{`,
//!   `6`, `0`, `}`: the PCRE meaning, a backtick, is not ECMA-262's);
//! - `\0`–`\377` with more than one digit, and `\1`–`\7` in a class, are octal escapes;
//!   `\8` and `\9` in a class are `8` and `9`;
//! - a `{` that does not start a quantifier `{n}`, `{n,}`, `{n,m}` is a plain `{`
//!   (`[a-z]{1-20}` is a letter followed by the text `{1-20}`), and so are lone `}` and `]`;
//! - a class escape as a range end, `[\w-.]`: the class escape, `-` and the other end;
//! - a lone surrogate `\uD800` in a class adds nothing (no `str` holds one).
//!
//! Two readings stay refused, with an error saying why: `\A`, `\Z`, `\z` and `\G` (anchors
//! in PCRE, Java and Python; Annex B's plain letter would make every real value fail), and
//! `\p{…}` with a name ECMA-262 does not know (`\p{Alnum}` is a Java class; engines reject it
//! with `u`, and without `u` would read the text `p{Alnum}`). [`Parsed::unicode_source`]
//! rewrites the Annex B syntax into plain Unicode mode, meaning the same, for regress.
//!
//! `\p{…}` becomes the set of its members (see `property`), a lookahead a
//! [`Node::Lookahead`], a lookbehind a [`Node::Lookbehind`], `\b` a [`Node::WordBoundary`];
//! what remains (backreferences, inline flag groups, and escapes regress reads in an unusual
//! way) becomes [`Node::Opaque`], which sends the pattern to the regex engine.
//!
//! regress stays the judge of validity: when this parser and regress disagree about a
//! pattern regress accepts, the pattern simply goes to the engine.

use super::charset::{self, CharSet, MAX_INDEX};
use super::property;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Node {
    /// Matches the empty string.
    Empty,
    /// One code point from `set`; `src` is the atom as written, for descriptions.
    Set {
        set: CharSet,
        src: String,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    /// `node` repeated `min..=max` times (`max: None` = unbounded). Laziness does not
    /// change whether a match exists, so it is dropped.
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
    /// `^` (start of input: no `m` flag).
    Start,
    /// `$` (end of input only: no `m` flag, so not before a trailing newline).
    End,
    /// `\b` (`negate: false`) or `\B`: a word character (`[A-Za-z0-9_]`) on exactly one side
    /// of this position (or not), the outside of the value counting as non-word.
    WordBoundary {
        negate: bool,
    },
    /// `(?=node)` (`negate: false`) or `(?!node)`: `node` matches (or not) from here on.
    Lookahead {
        negate: bool,
        node: Box<Node>,
    },
    /// `(?<=node)` (`negate: false`) or `(?<!node)`: `node` matches (or not) some part of the
    /// value that ends here.
    Lookbehind {
        negate: bool,
        node: Box<Node>,
    },
    /// A capturing group, number `index` (from 1, in the order of the opening parentheses).
    Capture {
        index: u32,
        node: Box<Node>,
    },
    /// `\1`…: what capturing group `n` last matched (see `backref`).
    Backref(u32),
    /// Something only the engine evaluates; the string says what, for descriptions.
    Opaque(&'static str),
}

impl Node {
    /// The nodes directly inside this one.
    pub(super) fn children(&self) -> &[Node] {
        match self {
            Node::Concat(items) | Node::Alt(items) => items,
            Node::Repeat { node, .. }
            | Node::Capture { node, .. }
            | Node::Lookahead { node, .. }
            | Node::Lookbehind { node, .. } => std::slice::from_ref(&**node),
            Node::Empty
            | Node::Set { .. }
            | Node::Start
            | Node::End
            | Node::WordBoundary { .. }
            | Node::Opaque(_)
            | Node::Backref(_) => &[],
        }
    }

    /// Whether this node or one anywhere inside it is `wanted`.
    pub(super) fn contains(&self, wanted: &dyn Fn(&Node) -> bool) -> bool {
        wanted(self) || self.children().iter().any(|child| child.contains(wanted))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    /// Offset in characters (`char`s) from the start of the pattern.
    pub offset: usize,
    pub message: String,
}

/// Deeper nesting than regress allows (256) is rejected by regress first; this is a guard.
const MAX_DEPTH: u32 = 300;

/// A parsed pattern.
#[derive(Debug)]
pub(super) struct Parsed {
    pub node: Node,
    /// The pattern in plain Unicode-mode syntax: the pattern itself unless it uses the
    /// Annex B syntax this parser accepts, which is rewritten (`\-` → `\x2D`, `[\w-.]` →
    /// `[\w\-.]`, `\q` → `q`, `{` → `\{`, `\012` → `\x0A`), meaning the same.
    pub unicode_source: String,
    /// Where a `{` followed by a digit or `,` is read as a plain character because what follows
    /// is not a quantifier (`[a-z]{1-70}`): a repetition was probably meant.
    pub literal_brace: Option<usize>,
    /// The character offset of the first PCRE anchor (`\A`, `\Z`, `\z`) read as `^` or `$`.
    pub pcre_anchor: Option<usize>,
}

pub(super) fn parse(pattern: &str) -> Result<Parsed, SyntaxError> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        depth: 0,
        rewrites: Vec::new(),
        literal_brace: None,
        pcre_anchor: None,
        captures: 0,
    };
    let node = p.disjunction()?;
    match p.peek() {
        None => Ok(Parsed {
            node,
            unicode_source: p.unicode_source(),
            literal_brace: p.literal_brace,
            pcre_anchor: p.pcre_anchor,
        }),
        Some(')') => p.fail(p.pos, "unmatched `)`"),
        Some(c) => p.fail(p.pos, format!("unexpected `{c}`")),
    }
}

enum ClassAtom {
    CodePoint(u32),
    /// `\d`, `\w`, `\s` and their negations.
    Class(CharSet),
    /// `\p{…}` / `\P{…}`, with its members.
    Property(CharSet),
    /// A code point written in a form regress reads but this parser does not model.
    Unusual,
}

enum Escape {
    CodePoint(u32),
    /// `\uD800`…`\uDFFF` not part of a pair: in a class it adds nothing (no `str` holds a
    /// surrogate); alone, regress treats it unevenly (`^\ud800*$` does not match ""), so
    /// it is left to the engine.
    LoneSurrogate(u32),
    Unusual,
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: u32,
    /// Annex B syntax to rewrite for Unicode mode: `(offset, length, replacement)`.
    rewrites: Vec<(usize, usize, String)>,
    literal_brace: Option<usize>,
    pcre_anchor: Option<usize>,
    /// Capturing groups opened so far.
    captures: u32,
}

type PResult<T> = Result<T, SyntaxError>;

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let n = s.chars().count();
        if self.pos + n <= self.chars.len() && self.chars[self.pos..self.pos + n].iter().copied().eq(s.chars()) {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn unicode_source(&mut self) -> String {
        // A range's `-` is recorded after its second end (`[\w-\x]`): put them in order.
        self.rewrites.sort_by_key(|&(offset, ..)| offset);
        let mut out = String::with_capacity(self.chars.len() + 4 * self.rewrites.len());
        let mut at = 0;
        for (offset, len, replacement) in &self.rewrites {
            out.extend(&self.chars[at..*offset]);
            out.push_str(replacement);
            at = offset + len;
        }
        out.extend(&self.chars[at..]);
        out
    }

    fn fail<T>(&self, offset: usize, message: impl Into<String>) -> PResult<T> {
        Err(SyntaxError { offset, message: message.into() })
    }

    fn src(&self, from: usize) -> String {
        self.chars[from..self.pos].iter().collect()
    }

    fn disjunction(&mut self) -> PResult<Node> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail(self.pos, "the pattern is nested too deeply");
        }
        let mut alts = vec![self.alternative()?];
        while self.eat('|') {
            alts.push(self.alternative()?);
        }
        self.depth -= 1;
        Ok(if alts.len() == 1 { alts.pop().unwrap_or(Node::Empty) } else { Node::Alt(alts) })
    }

    fn alternative(&mut self) -> PResult<Node> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            let start = self.pos;
            let (mut node, quantifiable) = match c {
                ')' | '|' => break,
                '^' => {
                    self.pos += 1;
                    (Node::Start, false)
                }
                '$' => {
                    self.pos += 1;
                    (Node::End, false)
                }
                // PCRE's, Java's and Python's anchors, which Annex B would read as the letters
                // themselves (so that no real value matches): read as the author meant them, and
                // reported (see `pcre_anchor`).
                '\\' if matches!(self.peek_at(1), Some('A' | 'Z' | 'z')) => {
                    let start_anchor = self.peek_at(1) == Some('A');
                    self.rewrites.push((start, 2, if start_anchor { "^" } else { "$" }.to_string()));
                    self.pcre_anchor.get_or_insert(start);
                    self.pos += 2;
                    (if start_anchor { Node::Start } else { Node::End }, false)
                }
                '\\' if matches!(self.peek_at(1), Some('b' | 'B')) => {
                    self.pos += 2;
                    (Node::WordBoundary { negate: self.chars[self.pos - 1] == 'B' }, false)
                }
                '\\' => (self.atom_escape()?, true),
                '.' => {
                    self.pos += 1;
                    (Node::Set { set: charset::dot(), src: ".".into() }, true)
                }
                '(' => self.group()?,
                '[' => (self.class()?, true),
                '*' | '+' | '?' => return self.fail(start, format!("nothing to repeat before `{c}`")),
                '{' if self.quantifier()?.is_some() => {
                    return self.fail(start, format!("nothing to repeat before `{}`", self.src(start)))
                }
                // Annex B: a `{` that is not a quantifier, a lone `}` or `]`, is that character.
                '{' | '}' | ']' => {
                    if c == '{' && matches!(self.chars.get(start + 1), Some(d) if d.is_ascii_digit() || *d == ',') {
                        self.literal_brace.get_or_insert(start);
                    }
                    self.pos = start + 1;
                    self.rewrites.push((start, 1, format!("\\{c}")));
                    (Node::Set { set: CharSet::single(c as u32), src: c.to_string() }, true)
                }
                _ => {
                    self.pos += 1;
                    (Node::Set { set: CharSet::single(c as u32), src: c.to_string() }, true)
                }
            };
            let quantifier_at = self.pos;
            if let Some((min, max)) = self.quantifier()? {
                if !quantifiable {
                    let what: String = self.src(start).chars().take(12).collect();
                    return self.fail(quantifier_at, format!("`{what}` cannot be repeated"));
                }
                if let Some(max) = max
                    && min > max
                {
                    return self.fail(
                        quantifier_at,
                        format!("quantifier `{}` has its minimum above its maximum", self.src(quantifier_at)),
                    );
                }
                node = match (u32::try_from(min), max.map(u32::try_from).transpose()) {
                    (Ok(min), Ok(max)) => Node::Repeat { node: Box::new(node), min, max },
                    _ => Node::Opaque("a repetition count above 4294967295"),
                };
            }
            items.push(node);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally followed by `?` (lazy).
    fn quantifier(&mut self) -> PResult<Option<(u64, Option<u64>)>> {
        let start = self.pos;
        let q = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.pos += 1;
                let min = self.decimal();
                let max = if self.eat(',') { self.decimal() } else { min };
                match min {
                    Some(min) if self.eat('}') => {
                        self.eat('?');
                        return Ok(Some((min, max)));
                    }
                    // Annex B: the `{` is a plain character, read as the next atom.
                    _ => {
                        self.pos = start;
                        return Ok(None);
                    }
                }
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        self.eat('?');
        Ok(Some(q))
    }

    /// Decimal digits, saturating like regress.
    fn decimal(&mut self) -> Option<u64> {
        let mut value: Option<u64> = None;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(10)) {
            self.pos += 1;
            value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(u64::from(d)));
        }
        value
    }

    fn group(&mut self) -> PResult<(Node, bool)> {
        let start = self.pos;
        let (node, quantifiable) = if self.eat_str("(?=") || self.eat_str("(?!") {
            let negate = self.chars[self.pos - 1] == '!';
            (Node::Lookahead { negate, node: Box::new(self.disjunction()?) }, false)
        } else if self.eat_str("(?<=") || self.eat_str("(?<!") {
            let negate = self.chars[self.pos - 1] == '!';
            (Node::Lookbehind { negate, node: Box::new(self.disjunction()?) }, false)
        } else if self.eat_str("(?:") {
            (self.disjunction()?, true)
        } else if self.eat_str("(?<") {
            self.group_name(start)?;
            (self.capture()?, true)
        } else if self.eat_str("(?") {
            // Inline modifiers, `(?i:…)`, `(?-m:…)`, …
            let flags_at = self.pos;
            while matches!(self.peek(), Some('i' | 'm' | 's' | '-')) {
                self.pos += 1;
            }
            if self.pos == flags_at || !self.eat(':') {
                return self.fail(
                    start,
                    "`(?` must be followed by `:`, `=`, `!`, `<=`, `<!`, `<name>` or flag modifiers and `:`",
                );
            }
            self.disjunction()?;
            (Node::Opaque("an inline flag modifier group"), true)
        } else {
            self.pos += 1;
            (self.capture()?, true)
        };
        if !self.eat(')') {
            return self.fail(start, "unclosed group `(`");
        }
        Ok((node, quantifiable))
    }

    /// The body of a capturing group, numbered before what it holds.
    fn capture(&mut self) -> PResult<Node> {
        self.captures = self.captures.saturating_add(1);
        let index = self.captures;
        Ok(Node::Capture { index, node: Box::new(self.disjunction()?) })
    }

    /// After `(?<`: an identifier and `>`.
    fn group_name(&mut self, group_start: usize) -> PResult<()> {
        let name_at = self.pos;
        while let Some(c) = self.peek() {
            if c == '>' {
                break;
            }
            let ok = if self.pos == name_at {
                c.is_alphabetic() || c == '_' || c == '$' || c == '\\'
            } else {
                c.is_alphanumeric() || c == '_' || c == '$' || c == '\\' || c == '{' || c == '}' || !c.is_ascii()
            };
            if !ok {
                break;
            }
            self.pos += 1;
        }
        if self.pos == name_at || !self.eat('>') {
            return self.fail(
                name_at.max(group_start + 3),
                "invalid capture group name: `(?<` must be followed by an identifier and `>`",
            );
        }
        Ok(())
    }

    /// At `\` outside a class (not `\b`/`\B`).
    fn atom_escape(&mut self) -> PResult<Node> {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return self.fail(start, "the pattern ends with a lone `\\`");
        };
        let set = match c {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
                self.pos += 1;
                class_escape(c)
            }
            'p' | 'P' => self.property(start)?,
            'k' => {
                self.pos += 1;
                if !self.eat('<') {
                    return self.fail(start, "`\\k` must be a named backreference `\\k<name>`");
                }
                self.group_name(start)?;
                return Ok(Node::Opaque("a backreference"));
            }
            '1'..='9' => {
                let n = self.decimal().map_or(u32::MAX, |n| u32::try_from(n).unwrap_or(u32::MAX));
                return Ok(Node::Backref(n));
            }
            _ => match self.character_escape(start)? {
                Escape::CodePoint(cp) => CharSet::single(cp),
                Escape::LoneSurrogate(_) | Escape::Unusual => return Ok(Node::Opaque("an unusual escape")),
            },
        };
        Ok(Node::Set { set, src: self.src(start) })
    }

    /// `\p{…}` / `\P{…}` at the `p`: the members (complemented for `\P`).
    fn property(&mut self, start: usize) -> PResult<CharSet> {
        let letter = self.peek().unwrap_or('p');
        let negated = letter == 'P';
        self.pos += 1;
        if self.peek() != Some('{') {
            // Annex B: `\p` not followed by a name in braces is a plain `p`.
            return Ok(CharSet::single(self.literal(start, letter)));
        }
        if self.eat('{') {
            let name_at = self.pos;
            while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '=') {
                self.pos += 1;
            }
            let name: String = self.chars[name_at..self.pos].iter().collect();
            if self.pos > name_at && self.eat('}') {
                let Some(set) = property::members(&name) else {
                    return self.fail(
                        start,
                        format!(
                            "`{}` is not an ECMA-262 Unicode property: ECMA-262 knows general categories \
                             (`L`, `Lu`, `Nd`, `General_Category=Letter`), scripts (`Script=Greek`, `sc=Han`) \
                             and binary properties (`Alphabetic`, `ASCII`, `White_Space`); POSIX and Java \
                             classes such as `Alnum`, `Print` or `Punct` are not among them",
                            self.src(start)
                        ),
                    );
                };
                return Ok(if negated { set.complement(MAX_INDEX) } else { set });
            }
        }
        self.fail(start, "`\\p`/`\\P` must be followed by a property name in braces, e.g. `\\p{L}`")
    }

    /// A CharacterEscape, at the character after `\` (which is at `start`).
    fn character_escape(&mut self, start: usize) -> PResult<Escape> {
        let Some(c) = self.peek() else {
            return self.fail(start, "the pattern ends with a lone `\\`");
        };
        self.pos += 1;
        let cp = match c {
            'f' => 0x0C,
            'n' => 0x0A,
            'r' => 0x0D,
            't' => 0x09,
            'v' => 0x0B,
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.pos += 1;
                    l as u32 % 32
                }
                _ => return self.fail(start, "`\\c` must be followed by an ASCII letter"),
            },
            '0'..='7' if c != '0' || self.peek().is_some_and(|d| d.is_ascii_digit()) => self.legacy_octal(start, c),
            '0' => 0,
            '8' | '9' => self.literal(start, c),
            'x' => match (self.hex_at(0), self.hex_at(1)) {
                (Some(h), Some(l)) => {
                    self.pos += 2;
                    h * 16 + l
                }
                _ => self.literal(start, c),
            },
            'u' => return self.unicode_escape(start),
            '^' | '$' | '\\' | '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '/' => c as u32,
            // `\-` is a Unicode-mode escape in a class only; this makes it one outside too.
            _ if !c.is_ascii_alphanumeric() => {
                let replacement =
                    if c.is_ascii() { format!("\\x{:02X}", c as u32) } else { format!("\\u{{{:X}}}", c as u32) };
                self.rewrites.push((start, 2, replacement));
                c as u32
            }
            'A' | 'Z' | 'z' | 'G' => {
                return self.fail(
                    start,
                    format!(
                        "`\\{c}` is an anchor in PCRE, Java and Python but not in ECMA-262, whose Annex B \
                         reads it as a plain `{c}` (and `\\G` or an anchor in a class has no reading as \
                         an anchor): write `^` or `$` for an anchor"
                    ),
                )
            }
            // Annex B: an identity escape of a letter is that letter (`\p` without braces too).
            _ => self.literal(start, c),
        };
        Ok(Escape::CodePoint(cp))
    }

    /// An escape that Annex B reads as the plain character `c`; rewritten so for regress.
    fn literal(&mut self, start: usize, c: char) -> u32 {
        self.rewrites.push((start, self.pos - start, c.to_string()));
        c as u32
    }

    /// Annex B's legacy octal escape, after its first digit `first` (at most `\377`).
    fn legacy_octal(&mut self, start: usize, first: char) -> u32 {
        let octal = |c: Option<char>| c.and_then(|c| c.to_digit(8));
        let mut value = first as u32 - '0' as u32;
        let most = if value <= 3 { 2 } else { 1 };
        for _ in 0..most {
            let Some(d) = octal(self.peek()) else { break };
            value = value * 8 + d;
            self.pos += 1;
        }
        self.rewrites.push((start, self.pos - start, format!("\\x{value:02X}")));
        value
    }

    fn hex_at(&self, ahead: usize) -> Option<u32> {
        self.peek_at(ahead).and_then(|c| c.to_digit(16))
    }

    fn hex4_at(&self, ahead: usize) -> Option<u32> {
        (0..4).try_fold(0, |acc, i| Some(acc * 16 + self.hex_at(ahead + i)?))
    }

    /// After `\u`: `XXXX` (with surrogate pairs `\uD83D\uDE00` combined) or `{X…}`.
    fn unicode_escape(&mut self, start: usize) -> PResult<Escape> {
        const MESSAGE: &str = "`\\u` must be followed by four hex digits or by hex digits in braces (at most 10FFFF)";
        if self.eat('{') {
            let digits_at = self.pos;
            while self.peek().is_some_and(|c| c != '}') {
                self.pos += 1;
            }
            let digits: String = self.chars[digits_at..self.pos].iter().collect();
            if !self.eat('}') {
                return self.fail(start, MESSAGE);
            }
            return match u32::from_str_radix(&digits, 16) {
                Ok(cp) if cp <= 0x10_FFFF && digits.chars().all(|c| c.is_ascii_hexdigit()) => Ok(Escape::CodePoint(cp)),
                // regress reads a leading `+` as a sign.
                Ok(cp) if cp <= 0x10_FFFF => Ok(Escape::Unusual),
                _ => self.fail(start, MESSAGE),
            };
        }
        let Some(cp) = self.hex4_at(0) else {
            let four: String = self.chars[self.pos..(self.pos + 4).min(self.chars.len())].iter().collect();
            if four.len() == 4 && u16::from_str_radix(&four, 16).is_ok() {
                return Ok(Escape::Unusual);
            }
            // Annex B: a `\u` without four hex digits is a plain `u`.
            return Ok(Escape::CodePoint(self.literal(start, 'u')));
        };
        self.pos += 4;
        if (0xD800..=0xDBFF).contains(&cp) && self.peek() == Some('\\') && self.peek_at(1) == Some('u') {
            // A lead surrogate followed by `\u`: regress tries to read a pair.
            match self.hex4_at(2) {
                Some(low) if (0xDC00..=0xDFFF).contains(&low) => {
                    self.pos += 6;
                    return Ok(Escape::CodePoint(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)));
                }
                _ => return Ok(Escape::LoneSurrogate(cp)),
            }
        }
        if (0xD800..=0xDFFF).contains(&cp) {
            return Ok(Escape::LoneSurrogate(cp));
        }
        Ok(Escape::CodePoint(cp))
    }

    /// A character class `[…]` / `[^…]`.
    fn class(&mut self) -> PResult<Node> {
        let start = self.pos;
        self.pos += 1;
        let negated = self.eat('^');
        let mut set = CharSet::empty();
        let mut opaque: Option<&'static str> = None;
        loop {
            match self.peek() {
                None => return self.fail(start, "unclosed character class `[`"),
                Some(']') => {
                    self.pos += 1;
                    break;
                }
                Some(_) => {}
            }
            let first_at = self.pos;
            let first = self.class_atom()?;
            if self.peek() == Some('-') && !matches!(self.peek_at(1), None | Some(']')) {
                let dash_at = self.pos;
                self.pos += 1;
                let second = self.class_atom()?;
                match (first, second) {
                    (ClassAtom::CodePoint(a), ClassAtom::CodePoint(b)) => {
                        if a > b {
                            return self
                                .fail(first_at, format!("character range `{}` is out of order", self.src(first_at)));
                        }
                        set.add_code_point_range(a, b);
                    }
                    (ClassAtom::Property(_), _) | (_, ClassAtom::Property(_)) => {
                        return self.fail(
                            first_at,
                            format!("`{}`: a property escape cannot be the end of a range", self.src(first_at)),
                        );
                    }
                    // Annex B: `[\w-.]` is `\w`, `-` and `.`.
                    (first @ ClassAtom::Class(_), second) | (first, second @ ClassAtom::Class(_)) => {
                        self.rewrites.push((dash_at, 1, "\\-".to_owned()));
                        set.add_code_point_range('-' as u32, '-' as u32);
                        for atom in [first, second] {
                            match atom {
                                ClassAtom::CodePoint(cp) => set.add_code_point_range(cp, cp),
                                ClassAtom::Class(class) => set = set.union(&class),
                                ClassAtom::Property(_) | ClassAtom::Unusual => opaque = Some("an unusual escape"),
                            }
                        }
                    }
                    _ => opaque = Some("an unusual escape"),
                }
                continue;
            }
            match first {
                ClassAtom::CodePoint(cp) => set.add_code_point_range(cp, cp),
                ClassAtom::Class(class) => set = set.union(&class),
                ClassAtom::Property(members) => set = set.union(&members),
                ClassAtom::Unusual => opaque = Some("an unusual escape"),
            }
        }
        if let Some(what) = opaque {
            return Ok(Node::Opaque(what));
        }
        Ok(Node::Set { set: if negated { set.complement(MAX_INDEX) } else { set }, src: self.src(start) })
    }

    fn class_atom(&mut self) -> PResult<ClassAtom> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return self.fail(start, "unclosed character class");
        };
        if c != '\\' {
            self.pos += 1;
            return Ok(ClassAtom::CodePoint(c as u32));
        }
        self.pos += 1;
        match self.peek() {
            None => self.fail(start, "the pattern ends with a lone `\\`"),
            Some('b') => {
                self.pos += 1;
                Ok(ClassAtom::CodePoint(0x08))
            }
            Some('-') => {
                self.pos += 1;
                Ok(ClassAtom::CodePoint('-' as u32))
            }
            Some(e @ ('d' | 'D' | 'w' | 'W' | 's' | 'S')) => {
                self.pos += 1;
                Ok(ClassAtom::Class(class_escape(e)))
            }
            Some('p' | 'P') => Ok(ClassAtom::Property(self.property(start)?)),
            Some(_) => Ok(match self.character_escape(start)? {
                Escape::CodePoint(cp) | Escape::LoneSurrogate(cp) => ClassAtom::CodePoint(cp),
                Escape::Unusual => ClassAtom::Unusual,
            }),
        }
    }
}

fn class_escape(c: char) -> CharSet {
    let set = match c.to_ascii_lowercase() {
        'd' => charset::digits(),
        'w' => charset::word(),
        _ => charset::space(),
    };
    if c.is_ascii_uppercase() {
        set.complement(MAX_INDEX)
    } else {
        set
    }
}
