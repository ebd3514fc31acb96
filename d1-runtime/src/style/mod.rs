//! Parameter values other than a scalar or a list of scalars — objects, maps, `oneOf`/`anyOf`
//! unions — in the `style`s of OpenAPI 3.0 §Style Values: [`mod@write`] turns a value into the text
//! a client sends, [`mod@read`] turns that text back into a typed value on the server.
//!
//! Where OpenAPI 3.0 defines no form, one reading is chosen, the same on both sides:
//!
//! - `deepObject` nests as qs and Rails do: `name[key][sub]=v`, array items by index
//!   (`name[0]=a&name[1]=b`); a scalar is plain `name=v`.
//! - in the other styles a value inside an object or a list that is itself an object or a list
//!   is written as its JSON text (d1-codegen sends such parameters as [`Style::Json`] as a whole
//!   instead, and says so in a warning);
//! - a `cookie` object in `form` with `explode` (the default) is `name=R=100,G=200`, as
//!   `simple` writes it (`&` has no place in a `Cookie` header), and `name=R,100,G,200` without;
//! - members whose value is `null` (optional members left out) are not written.

pub mod read;
pub mod write;

/// How a parameter value is written: the `style` and `explode` of OpenAPI 3.0, or JSON text (a
/// parameter declared with `content: application/json`, or one no style can write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Query: `R=100&G=200` with `explode`, `name=R,100,G,200` without (a cookie with
    /// `explode`: `name=R=100,G=200`).
    Form {
        /// OpenAPI's `explode`.
        explode: bool,
    },
    /// Query: `name=R%20100%20G%20200`.
    SpaceDelimited,
    /// Query: `name=R|100|G|200`.
    PipeDelimited,
    /// Query: `name[R]=100&name[G]=200`.
    DeepObject,
    /// Path and header: `R=100,G=200` with `explode`, `R,100,G,200` without.
    Simple {
        /// OpenAPI's `explode`.
        explode: bool,
    },
    /// Path: `.R=100.G=200` with `explode`, `.R,100,G,200` without.
    Label {
        /// OpenAPI's `explode`.
        explode: bool,
    },
    /// Path: `;R=100;G=200` with `explode`, `;name=R,100,G,200` without.
    Matrix {
        /// OpenAPI's `explode`.
        explode: bool,
    },
    /// The value's JSON text.
    Json,
}

/// The delimiters of a value written as one text (path, header, cookie, and query values that
/// are not spread over several pairs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Delimiters {
    /// Before a scalar or a list (`.` for `label`, `;name=` for `matrix`).
    pub list_prefix: String,
    /// Between list items.
    pub list_separator: String,
    /// Before an object's members.
    pub object_prefix: String,
    /// Between members (and, without `explode`, between a key and its value).
    pub object_separator: String,
    /// `key=value` members (`explode`), rather than `key,value`.
    pub explode: bool,
}

impl Style {
    /// The delimiters of this style for the parameter `name` (already encoded as it is sent).
    pub(crate) fn delimiters(self, name: &str) -> Delimiters {
        let d = |list_prefix: &str, list_separator: &str, object_prefix: &str, object_separator: &str, explode| {
            Delimiters {
                list_prefix: list_prefix.to_string(),
                list_separator: list_separator.to_string(),
                object_prefix: object_prefix.to_string(),
                object_separator: object_separator.to_string(),
                explode,
            }
        };
        match self {
            Style::Form { explode } | Style::Simple { explode } => d("", ",", "", ",", explode),
            Style::SpaceDelimited => d("", " ", "", " ", false),
            Style::PipeDelimited => d("", "|", "", "|", false),
            Style::Label { explode: false } => d(".", ",", ".", ",", false),
            Style::Label { explode: true } => d(".", ".", ".", ".", true),
            Style::Matrix { explode: false } => {
                let prefix = format!(";{name}=");
                d(&prefix, ",", &prefix, ",", false)
            }
            Style::Matrix { explode: true } => {
                let prefix = format!(";{name}=");
                d(&prefix, &prefix, ";", ";", true)
            }
            Style::DeepObject | Style::Json => d("", ",", "", ",", false),
        }
    }
}
