//! Errors and source locations. Every error names the file and the JSON pointer of the
//! node it is about, so a broken spec can be fixed without guessing.

use std::fmt;

/// Where a node comes from: the spec file (as given to the generator) and an RFC 6901 JSON pointer.
///
/// `pointer` is the pointer itself (keys escaped with `~0` / `~1` by [`Location::child`]).
/// [`Display`](fmt::Display) writes it as a URI fragment, `file#pointer`, percent-encoding what
/// a fragment cannot hold (RFC 6901 §6): `#`, `%`, spaces, control characters and the other
/// ASCII delimiters RFC 3986 excludes — so `/paths/~1a~1{id}#tags` reads `…~1a~1{id}%23tags`.
/// `{` and `}` (in every path template) and non-ASCII letters are left as they are (IRI style),
/// to keep messages readable.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub file: String,
    pub pointer: String,
}

impl Location {
    pub fn new(file: impl Into<String>, pointer: impl Into<String>) -> Self {
        Location { file: file.into(), pointer: pointer.into() }
    }

    /// The location of a child node: `key` is escaped as RFC 6901 requires.
    pub fn child(&self, key: &str) -> Self {
        let mut pointer = self.deeper(key.len());
        if key.contains(['~', '/']) {
            for c in key.chars() {
                match c {
                    '~' => pointer.push_str("~0"),
                    '/' => pointer.push_str("~1"),
                    c => pointer.push(c),
                }
            }
        } else {
            pointer.push_str(key);
        }
        Location { file: self.file.clone(), pointer }
    }

    pub fn index(&self, i: usize) -> Self {
        use std::fmt::Write;
        let mut pointer = self.deeper(20);
        let _ = write!(pointer, "{i}");
        Location { file: self.file.clone(), pointer }
    }

    /// This pointer and a `/`, with room for `more` bytes after it (one allocation per child:
    /// lowering and validation make a location for every node they visit).
    fn deeper(&self, more: usize) -> String {
        let mut pointer = String::with_capacity(self.pointer.len() + 1 + more);
        pointer.push_str(&self.pointer);
        pointer.push('/');
        pointer
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}#{}", self.file, fragment(&self.pointer))
        }
    }
}

/// `pointer` as a URI fragment: percent-encodes `%`, `#`, whitespace, control characters and
/// `"<>[\]^`|` (each UTF-8 byte of a control character as `%XX`).
pub fn fragment(pointer: &str) -> String {
    let mut out = String::with_capacity(pointer.len());
    // Printable ASCII that needs no encoding is copied as it is, in one run.
    let plain = pointer
        .bytes()
        .position(|b| {
            !b.is_ascii_graphic()
                || matches!(b, b'%' | b'#' | b'"' | b'<' | b'>' | b'[' | b'\\' | b']' | b'^' | b'`' | b'|')
        })
        .unwrap_or(pointer.len());
    out.push_str(&pointer[..plain]);
    for c in pointer[plain..].chars() {
        let encode = c.is_control()
            || c.is_whitespace()
            || matches!(c, '%' | '#' | '"' | '<' | '>' | '[' | '\\' | ']' | '^' | '`' | '|')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if encode {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A generation error: what went wrong and where. Nothing is written when one occurs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub location: Location,
    pub message: String,
}

impl Error {
    pub fn new(location: &Location, message: impl Into<String>) -> Self {
        Error { location: location.clone(), message: message.into() }
    }

    /// An error about a whole file (I/O, parse position given in the message).
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Error { location: Location::new(file, ""), message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for Error {}

/// Something the generator handled, but not as precisely as the spec asked.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::Location;

    #[test]
    fn children_escape_their_keys() {
        let root = Location::new("a.json", "");
        let at = root.child("paths").child("/cards/{id}").child("a~b/c~1").index(12);
        assert_eq!(at.pointer, "/paths/~1cards~1{id}/a~0b~1c~01/12");
        assert_eq!(at.file, "a.json");
        assert_eq!(root.child("").child("x").pointer, "//x");
    }

    #[test]
    fn fragments_encode_what_a_uri_fragment_cannot_hold() {
        assert_eq!(super::fragment("/paths/~1a~1{id}"), "/paths/~1a~1{id}");
        assert_eq!(super::fragment("/paths/~1a#tags x|é\u{202e}%"), "/paths/~1a%23tags%20x%7Cé%E2%80%AE%25");
        assert_eq!(super::fragment("é#"), "é%23");
    }
}
