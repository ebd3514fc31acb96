//! Emit: IR → files. Rust is built with `quote`, checked by parsing it with `syn` and printed
//! with `prettyplease`; manifests and READMEs come from the minijinja templates in
//! `templates/`. The result is an in-memory [`FileTree`]; nothing here touches the disk.

mod client;
mod docs;
mod newtype;
mod server;
mod templates;
mod types;

use crate::error::{Error, Location};
use crate::escape;
use crate::ir::{IntWidth, Ir, Module, TypeRef};
use crate::write::FileTree;
use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::quote;

/// What to emit and under which names.
#[derive(Clone, Debug)]
pub struct Options {
    /// Name of the types crate, e.g. `d1-types`.
    pub types_crate: String,
    /// Name of the client crate, e.g. `d1-client`.
    pub client_crate: String,
    /// Name of the server crate, e.g. `d1-server`.
    pub server_crate: String,
    /// Version written into the generated manifests.
    pub version: String,
    /// Where the generated manifests find `d1-runtime`.
    pub runtime: RuntimeSource,
    /// Separate crates, or modules of one crate.
    pub layout: Layout,
    /// File-name prefixes dropped to make module names (see
    /// [`Config::module_prefixes`](crate::Config::module_prefixes)).
    pub module_prefixes: Vec<String>,
    /// Accept patterns that need the backtracking engine (see
    /// [`Config::allow_backtracking_patterns`](crate::Config::allow_backtracking_patterns)).
    pub allow_backtracking_patterns: bool,
}

/// How the generated code is laid out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Layout {
    /// Three crates (types, client, server), each naming the others by crate name.
    #[default]
    Crates,
    /// Modules `types`, `client` and `server` of one crate, `include!`d at its root by a build
    /// script user: each names the others as `crate::types`, `crate::client`, `crate::server`.
    Modules,
}

/// One generated crate (or module, see [`Layout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// Validated newtypes, enums, structs, sealed fields.
    Types,
    /// The async client.
    Client,
    /// The server traits and routers.
    Server,
}

impl Options {
    /// The path other code uses to name `part`: `::d1_types` or `crate::types`.
    pub(crate) fn path_of(&self, part: Part) -> String {
        let (krate, module) = match part {
            Part::Types => (&self.types_crate, "types"),
            Part::Client => (&self.client_crate, "client"),
            Part::Server => (&self.server_crate, "server"),
        };
        match self.layout {
            Layout::Crates => format!("::{}", krate.replace('-', "_")),
            Layout::Modules => format!("crate::{module}"),
        }
    }

    /// The opening fence of code examples in generated docs: they name the generated crates,
    /// so where those are modules of the user's crate they are shown but not compiled.
    pub(crate) fn example_fence(&self) -> &'static str {
        match self.layout {
            Layout::Crates => "```no_run",
            Layout::Modules => "```ignore",
        }
    }

    /// The path `part` uses for its own root: `crate` or `crate::client`.
    pub(crate) fn root_of(&self, part: Part) -> String {
        match self.layout {
            Layout::Crates => "crate".to_string(),
            Layout::Modules => self.path_of(part),
        }
    }
}

/// Tokens of a path written as text (`::d1_types`, `crate::client`); the text comes from the
/// generator's options, never from a spec.
pub(crate) fn path_tokens(path: &str) -> TokenStream {
    let mut tokens = TokenStream::new();
    for (i, segment) in path.split("::").enumerate() {
        if i > 0 {
            tokens.extend(quote!(::));
        }
        if !segment.is_empty() {
            let id = ident(segment);
            tokens.extend(quote!(#id));
        }
    }
    tokens
}

/// How the generated manifests name their `d1-runtime` dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuntimeSource {
    /// From the registry, by version requirement (e.g. `0.1`).
    Version(String),
    /// A local checkout: the path from a generated crate's folder to `d1-runtime/`, plus the
    /// version requirement it must satisfy.
    Path { path: String, version: String },
}

impl RuntimeSource {
    /// The version of d1-runtime this generator emits code for.
    pub const VERSION: &'static str = "0.1";

    /// The template context of the dependency: `runtime_path` (empty for the registry) and
    /// `runtime_version`; the templates escape both for TOML.
    pub(crate) fn context(&self) -> (String, String) {
        match self {
            RuntimeSource::Version(version) => (String::new(), version.clone()),
            RuntimeSource::Path { path, version } => (path.clone(), version.clone()),
        }
    }
}

impl Default for RuntimeSource {
    fn default() -> Self {
        RuntimeSource::Version(Self::VERSION.to_string())
    }
}

/// The Rust edition of every generated crate.
pub(crate) const EDITION: &str = "2024";

/// The `rust-version` every generated crate declares: the toolchain CI builds and tests them with
/// (`cargo xtask test` refuses to run with another), and the workspace's own.
pub const RUST_VERSION: &str = "1.95";

impl Default for Options {
    fn default() -> Self {
        Options {
            types_crate: "d1-types".to_string(),
            client_crate: "d1-client".to_string(),
            server_crate: "d1-server".to_string(),
            version: "0.1.0".to_string(),
            runtime: RuntimeSource::default(),
            layout: Layout::Crates,
            allow_backtracking_patterns: false,
            module_prefixes: vec!["D1-Public-".to_string()],
        }
    }
}

/// Emit every generated crate into one tree of files (paths relative to the output folder).
pub fn emit(ir: &Ir, options: &Options) -> Result<FileTree, Error> {
    let _docs = docs::Table::scope();
    let mut tree = FileTree::default();
    types::emit_crate(ir, options, &mut tree)?;
    client::emit_crate(ir, options, &mut tree)?;
    server::emit_crate(ir, options, &mut tree)?;
    Ok(tree)
}

/// The chosen parts (the types always among them) as modules `types`, `client`, `server` of
/// one Rust file, to be `include!`d at the root of a crate whose build script runs the
/// generator.
pub fn modules_file(ir: &Ir, options: &Options, parts: &[Part]) -> Result<String, Error> {
    let _docs = docs::Table::scope();
    let options = Options { layout: Layout::Modules, ..options.clone() };
    let mut tree = FileTree::default();
    let mut modules = Vec::new();
    types::emit_crate(ir, &options, &mut tree)?;
    modules.push(fold_crate(&tree, &options.types_crate, "types")?);
    if parts.contains(&Part::Client) {
        client::emit_crate(ir, &options, &mut tree)?;
        modules.push(fold_crate(&tree, &options.client_crate, "client")?);
    }
    if parts.contains(&Part::Server) {
        server::emit_crate(ir, &options, &mut tree)?;
        modules.push(fold_crate(&tree, &options.server_crate, "server")?);
    }
    let sources = ir.sources();
    render_rust(quote!(#(#modules)*), &rust_header(&sources), "modules file")
}

/// A generated crate as one inline module: `lib.rs`, with each `mod x;` replaced by the
/// contents of `x.rs`. Inner attributes and docs stay inner.
fn fold_crate(tree: &FileTree, krate: &str, module: &str) -> Result<TokenStream, Error> {
    let parse = |path: String| -> Result<syn::File, Error> {
        let text = tree
            .get(&path)
            .ok_or_else(|| Error::new(&Location::new(path.as_str(), ""), "internal error: file not generated"))?;
        syn::parse_str(text).map_err(|e| {
            Error::new(&Location::new(path.as_str(), ""), format!("internal error: generated Rust does not parse: {e}"))
        })
    };
    let lib = parse(format!("{krate}/src/lib.rs"))?;
    let mut items = Vec::new();
    for item in lib.items {
        match item {
            syn::Item::Mod(m) if m.content.is_none() => {
                let file = parse(format!("{krate}/src/{}.rs", m.ident))?;
                let (attrs, vis, name) = (m.attrs, m.vis, m.ident);
                let (inner, contents) = (file.attrs, file.items);
                items.push(quote!(#(#attrs)* #vis mod #name { #(#inner)* #(#contents)* }));
            }
            other => items.push(quote!(#other)),
        }
    }
    let (attrs, module) = (lib.attrs, ident(module));
    Ok(quote!(pub mod #module { #(#attrs)* #(#items)* }))
}

/// From where a type is named: inside a module of the types crate, or from another crate.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    Module(&'a Module),
    /// From another crate (or module), naming the types by their path (e.g. `::d1_types`).
    External(&'a str),
}

/// The Rust type for `r`, as written from `scope`. Paths are fully qualified so that no spec
/// name (a schema called `Option`, say) can shadow what the generated code means.
pub(crate) fn type_tokens(ir: &Ir, r: &TypeRef, scope: Scope<'_>) -> TokenStream {
    match r {
        TypeRef::Named(id) => {
            let def = ir.ty(*id);
            let name = ident(&def.name);
            match scope {
                Scope::Module(m) if *m == def.module => quote!(#name),
                Scope::Module(_) => {
                    let module = ident(def.module.name());
                    quote!(super::#module::#name)
                }
                Scope::External(types) => {
                    let types = path_tokens(types);
                    let module = ident(def.module.name());
                    quote!(#types::#module::#name)
                }
            }
        }
        TypeRef::String => quote!(::std::string::String),
        TypeRef::Integer(IntWidth::I32) => quote!(i32),
        TypeRef::Integer(IntWidth::I64) => quote!(i64),
        TypeRef::Number => quote!(f64),
        TypeRef::Boolean => quote!(bool),
        TypeRef::Array(item) => {
            let item = type_tokens(ir, item, scope);
            quote!(::std::vec::Vec<#item>)
        }
        TypeRef::Map(value) => {
            let value = type_tokens(ir, value, scope);
            quote!(::std::collections::BTreeMap<::std::string::String, #value>)
        }
        TypeRef::Json => quote!(::serde_json::Value),
        TypeRef::JsonObject => quote!(::serde_json::Map<::std::string::String, ::serde_json::Value>),
        TypeRef::Boxed(inner) => {
            let inner = type_tokens(ir, inner, scope);
            quote!(::std::boxed::Box<#inner>)
        }
        TypeRef::Bytes => quote!(::std::vec::Vec<u8>),
        TypeRef::Sealed { plaintext, max_length } => {
            let plaintext = type_tokens(ir, &TypeRef::Named(*plaintext), scope);
            let max = proc_macro2::Literal::usize_unsuffixed(*max_length as usize);
            let jwe = runtime_path("jwe");
            quote!(#jwe::Jwe<#plaintext, #max>)
        }
    }
}

/// The text of [`type_tokens`] as [`type_text`] prints it, written straight from the IR.
pub(crate) fn type_string(ir: &Ir, r: &TypeRef, scope: Scope<'_>) -> String {
    let mut out = String::new();
    push_type(&mut out, ir, r, scope);
    out
}

/// Appends [`type_string`] of `r` to `out`.
pub(crate) fn push_type(out: &mut String, ir: &Ir, r: &TypeRef, scope: Scope<'_>) {
    let wrapped = |out: &mut String, open: &str, inner: &TypeRef| {
        out.push_str(open);
        push_type(out, ir, inner, scope);
        out.push('>');
    };
    match r {
        TypeRef::Named(id) => {
            let def = ir.ty(*id);
            match scope {
                Scope::Module(m) if *m == def.module => {}
                Scope::Module(_) => {
                    out.push_str("super::");
                    out.push_str(def.module.name());
                    out.push_str("::");
                }
                Scope::External(types) => {
                    out.push_str(types);
                    out.push_str("::");
                    out.push_str(def.module.name());
                    out.push_str("::");
                }
            }
            out.push_str(&def.name);
        }
        TypeRef::String => out.push_str("::std::string::String"),
        TypeRef::Integer(IntWidth::I32) => out.push_str("i32"),
        TypeRef::Integer(IntWidth::I64) => out.push_str("i64"),
        TypeRef::Number => out.push_str("f64"),
        TypeRef::Boolean => out.push_str("bool"),
        TypeRef::Array(item) => wrapped(out, "::std::vec::Vec<", item),
        TypeRef::Map(value) => wrapped(out, "::std::collections::BTreeMap<::std::string::String, ", value),
        TypeRef::Json => out.push_str("::serde_json::Value"),
        TypeRef::JsonObject => out.push_str("::serde_json::Map<::std::string::String, ::serde_json::Value>"),
        TypeRef::Boxed(inner) => wrapped(out, "::std::boxed::Box<", inner),
        TypeRef::Bytes => out.push_str("::std::vec::Vec<u8>"),
        TypeRef::Sealed { plaintext, max_length } => {
            out.push_str("::d1_runtime::jwe::Jwe<");
            push_type(out, ir, &TypeRef::Named(*plaintext), scope);
            out.push_str(", ");
            out.push_str(&max_length.to_string());
            out.push('>');
        }
    }
}

/// Tokens of a type or path this generator wrote as text ([`type_string`]), for the rare item
/// that must be printed from tokens.
pub(crate) fn text_tokens(text: &str, what: &str) -> Result<TokenStream, Error> {
    text.parse()
        .map_err(|e| Error::new(&Location::new(what, ""), format!("internal error: `{text}` does not lex: {e}")))
}

/// The Rust string literal of `text` as `Literal::string(text).to_string()` prints it; plain
/// ASCII, which it prints as it is between quotes, without building the literal.
pub(crate) fn string_literal(text: &str) -> String {
    if text.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\') {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
        out
    } else {
        proc_macro2::Literal::string(text).to_string()
    }
}

/// Path of a runtime module (`validation`, `jwe`, `zeroize`): generated code names d1-runtime
/// by absolute path, so no spec-derived name can shadow it.
pub(crate) fn runtime_path(module: &str) -> TokenStream {
    let module = ident(module);
    quote!(::d1_runtime::#module)
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

pub(crate) use docs::doc_attrs;

/// Parse the tokens as a file (catching generator bugs as errors, not panics) and pretty-print
/// them under the `@generated` header.
///
/// Item by item: prettyplease lays out each top-level item on its own (every item ends with a
/// forced line break), so printing the items one at a time gives the same text as printing the
/// file at once, while only one item's syntax tree is in memory at a time and the cost stays
/// linear in the number of items.
pub(crate) fn render_rust(tokens: TokenStream, header: &str, what: &str) -> Result<String, Error> {
    Ok(spaced_after(header, render_items(tokens, what)?))
}

/// [`render_rust`] without the header: for the emitters of large modules, which print the items
/// of each operation as they make them instead of holding the tokens of the whole module.
///
/// Each item is first printed as it is. Only when the text shows a doc string that
/// [`escape_docs`] would change is the item printed again, from its escaped tokens: rebuilding
/// every token tree to find the rare doc string that needs it cost a tenth of the generator's time.
pub(crate) fn render_items(tokens: TokenStream, what: &str) -> Result<String, Error> {
    let mut out = String::new();
    for item in top_level_items(tokens) {
        let text = prettyplease::unparse(&parse_tokens(item.clone(), what)?);
        if docs_need_escaping(&text) {
            docs::splice(&mut out, &prettyplease::unparse(&parse_file(item, what)?), what)?;
        } else {
            docs::splice(&mut out, &text, what)?;
        }
    }
    Ok(out)
}

/// Whether printed Rust may hold a doc string that [`escape_docs`] would change. prettyplease
/// prints a doc string `s` without a line break as `///s` (`//!s`), its characters as they are;
/// any other doc string as `/** */`, `/*! */` or `#[doc = …]`. [`escape_docs`] changes a string
/// only when it holds a line break other than `\n`, a control or bidi character (all visible in
/// the text), or does not start with a space or line break (a `///` not followed by a space or
/// the end of the line). A false alarm only costs the second printing. The `#[doc = N]`
/// placeholders of [`docs`] are not doc strings: their text is escaped already.
fn docs_need_escaping(text: &str) -> bool {
    text.match_indices("#[doc").any(|(at, _)| !docs::is_placeholder_at(text, at))
        || ["#![doc", "/**", "/*!"].iter().any(|form| text.contains(form))
        || text.bytes().any(|b| (b < b' ' && b != b'\n' && b != b'\t') || b == 0x7f)
        || (!text.is_ascii() && text.chars().any(|c| !c.is_ascii() && escape::is_unsafe(c)))
        || text.lines().any(|line| {
            let line = line.trim_start_matches(' ');
            (line.starts_with("///") || line.starts_with("//!")) && !(line.len() == 3 || line[3..].starts_with(' '))
        })
}

/// An `impl`, `trait` or `mod` block printed member by member, as [`render_items`] prints a module
/// item by item: `head` is everything before the braces (attributes included), `members` what goes
/// between them. prettyplease ends every member with a forced line break, so a member's lines do
/// not depend on its neighbours: each is printed inside a block of its own and the lines between
/// the braces are kept. Only one member's syntax tree is in memory at a time (the `impl` of a client
/// with thousands of operations is tens of megabytes of text). The head must print the same with
/// and without members (true of heads without a `where` clause or long generics; prettyplease
/// does not break `trait A: B + C` or `mod m`); if it did not, the result is an internal error,
/// never different text.
pub(crate) fn render_block(
    head: TokenStream,
    members: impl IntoIterator<Item = impl Into<Member>>,
    what: &str,
) -> Result<String, Error> {
    let empty = render_items(quote!(#head {}), what)?;
    let Some(opening) = empty.strip_suffix("{}\n") else {
        return Err(Error::new(&Location::new(what, ""), "internal error: a block head printed unexpectedly"));
    };
    let opening = format!("{opening}{{\n");
    let mut out = String::new();
    for member in members {
        let member = match member.into() {
            Member::Tokens(member) => member,
            Member::Text(text) => {
                if out.is_empty() {
                    out.push_str(&opening);
                }
                out.push_str(&text);
                continue;
            }
        };
        let block = render_items(quote!(#head { #member }), what)?;
        let inside =
            block.strip_prefix(opening.as_str()).and_then(|rest| rest.strip_suffix("}\n")).ok_or_else(|| {
                Error::new(&Location::new(what, ""), "internal error: a block member changed how its block head prints")
            })?;
        if out.is_empty() {
            out.push_str(&opening);
        }
        out.push_str(inside);
    }
    if out.is_empty() {
        return Ok(empty);
    }
    out.push_str("}\n");
    Ok(out)
}

/// A member of a [`render_block`]: tokens to print, or lines already laid out as prettyplease lays
/// them out inside the block (indented one level, each ending with a line break).
pub(crate) enum Member {
    Tokens(TokenStream),
    Text(String),
}

impl From<TokenStream> for Member {
    fn from(tokens: TokenStream) -> Self {
        Member::Tokens(tokens)
    }
}

/// The lines prettyplease prints for `members` inside a block (indented one level): for members
/// that are the same in many blocks, printed once and given to [`render_block`] as [`Member::Text`].
pub(crate) fn members_text(members: TokenStream, what: &str) -> Result<String, Error> {
    let block = render_items(quote!(impl A { #members }), what)?;
    block
        .strip_prefix("impl A {\n")
        .and_then(|rest| rest.strip_suffix("}\n"))
        .map(str::to_string)
        .ok_or_else(|| Error::new(&Location::new(what, ""), "internal error: a block printed unexpectedly"))
}

/// A top-level function printed as prettyplease prints it, from everything before its body
/// (`head`), its statements and the body's final expression (`tail`). Statements given as text
/// (laid out as prettyplease lays them out, indented one level) stand in the printed function
/// where a marker statement stood: prettyplease ends every statement with a forced line break, so
/// a statement's lines do not depend on its neighbours. Only the statements given as tokens are
/// parsed and printed.
pub(crate) fn fn_with_statements(
    head: TokenStream,
    statements: Vec<Member>,
    tail: TokenStream,
    what: &str,
) -> Result<String, Error> {
    // An expression statement of a bare name: no emitter writes one.
    const MARKER: &str = "__d1_printed_statements__";
    let marker = ident(MARKER);
    let mut body = TokenStream::new();
    let mut texts: Vec<String> = Vec::new();
    let mut after_text = false;
    for statement in statements {
        match statement {
            Member::Tokens(tokens) => {
                body.extend(tokens);
                after_text = false;
            }
            Member::Text(text) => match texts.last_mut() {
                Some(last) if after_text => last.push_str(&text),
                _ => {
                    texts.push(text);
                    body.extend(quote!(#marker;));
                    after_text = true;
                }
            },
        }
    }
    let printed = render_items(quote!(#head { #body #tail }), what)?;
    let line = format!("\n    {MARKER};\n");
    let mut out = String::with_capacity(printed.len() + texts.iter().map(String::len).sum::<usize>());
    let mut texts = texts.into_iter();
    let mut rest = printed.as_str();
    let misplaced =
        || Error::new(&Location::new(what, ""), "internal error: a function's statements printed unexpectedly");
    while let Some(at) = rest.find(&line) {
        out.push_str(&rest[..=at]);
        out.push_str(&texts.next().ok_or_else(misplaced)?);
        rest = &rest[at + line.len()..];
    }
    if texts.next().is_some() || rest.contains(MARKER) {
        return Err(misplaced());
    }
    out.push_str(rest);
    Ok(out)
}

/// The width prettyplease fills lines to, for the items printed as text.
pub(crate) const MARGIN: usize = 89;

/// Whether every line of `text` is ASCII and within the [`MARGIN`]: text printed by hand is laid
/// out as prettyplease lays it out only then.
pub(crate) fn fits(text: &str) -> bool {
    text.is_ascii() && text.lines().all(|l| l.len() <= MARGIN)
}

/// A struct member's `pub name: Type,` lines as prettyplease prints them (indented one level),
/// the type's generic arguments broken where the line passes the margin (see
/// [`types::type_lines`]), `ty` as [`type_text`] prints it; `None` where the type might break
/// otherwise.
pub(crate) fn declaration_text(name: &str, ty: &str) -> Option<String> {
    types::type_lines(4, &format!("pub {name}: "), ty, ",", true)
}

/// A type as prettyplease prints it on one line (`::std::vec::Vec<super::a::B>`), for the members
/// printed as text; `None` for tokens other than those [`type_tokens`] makes (identifiers, `::`,
/// `<`, `>`, `,`, integer literals and `()`).
pub(crate) fn type_text(tokens: &TokenStream) -> Option<String> {
    let mut out = String::new();
    for tree in tokens.clone() {
        match tree {
            TokenTree::Ident(id) => out.push_str(&id.to_string()),
            TokenTree::Punct(p) if p.as_char() == ',' => out.push_str(", "),
            TokenTree::Punct(p) if matches!(p.as_char(), ':' | '<' | '>') => out.push(p.as_char()),
            TokenTree::Literal(lit) if lit.to_string().bytes().all(|b| b.is_ascii_digit()) => {
                out.push_str(&lit.to_string())
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis && g.stream().is_empty() => {
                out.push_str("()")
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `tokens` cut after each top-level item: after a `;`, or after a `{…}` group not followed by
/// `;` (`use a::{b, c};` and `const A: B = B {…};` end at their `;`). Leading inner attributes
/// stay with the first item. A wrong cut cannot go unnoticed: the piece would not parse.
fn top_level_items(tokens: TokenStream) -> Vec<TokenStream> {
    let mut items = Vec::new();
    let mut current: Vec<TokenTree> = Vec::new();
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        let ends = match &tree {
            TokenTree::Punct(p) => p.as_char() == ';',
            TokenTree::Group(g) => {
                g.delimiter() == Delimiter::Brace
                    && !matches!(trees.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ';')
            }
            _ => false,
        };
        current.push(tree);
        if ends {
            items.push(current.drain(..).collect());
        }
    }
    if !current.is_empty() {
        items.push(current.into_iter().collect());
    }
    items
}

/// [`render_rust`] for a crate root (`lib.rs`): every item is marked `#[rustfmt::skip]`, which
/// also covers the modules it declares. Generated code is laid out by prettyplease, and
/// `cargo fmt --check` over a workspace must not fight the generator.
/// The parts are printed in order: the spec-dependent ones from tokens, the fixed ones as the
/// text prettyplease printed for them (see [`RootPart::Text`]).
pub(crate) fn render_crate_root(parts: Vec<RootPart>, header: &str, what: &str) -> Result<String, Error> {
    let mut text = String::new();
    for part in parts {
        match part {
            RootPart::Items(tokens) => root_items(&mut text, tokens, what)?,
            RootPart::Text(printed) => text.push_str(&printed),
        }
    }
    Ok(spaced_after(header, text))
}

/// A run of a crate root's items.
pub(crate) enum RootPart {
    /// Items built for this spec; only the first part may hold inner attributes (`#![…]`).
    Items(TokenStream),
    /// Items as [`render_crate_root`] prints them (each `#[rustfmt::skip]`, no blank lines):
    /// mostly checked-in strings for what no spec changes, each with a test that it equals the
    /// printing of its tokens. Parsing and printing the crate roots anew took a fifth of the
    /// instructions of a run on a small spec.
    Text(String),
}

/// A crate root's `//!` docs, one line per entry of `lines`: printed as text, as prettyplease
/// prints `#![doc = " line"]` (`//!` alone for an empty line), unless a line holds what
/// [`escape::doc`] changes, a line break or trailing white space; those go through the tokens.
pub(crate) fn inner_docs(lines: &[String]) -> RootPart {
    if !lines.iter().all(|l| plain_doc_line(l)) {
        let doc = lines.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
        return RootPart::Items(quote!(#( #![doc = #doc] )*));
    }
    let mut text = String::new();
    for line in lines {
        text.push_str("//!");
        if !line.is_empty() {
            text.push(' ');
            text.push_str(line);
        }
        text.push('\n');
    }
    RootPart::Text(text)
}

/// Whether prettyplease prints the doc string `" {line}"` as `/// {line}` (`//!` for an inner
/// doc): one line, without trailing white space, that [`escape::doc`] leaves as it is.
pub(crate) fn plain_doc_line(line: &str) -> bool {
    !line.contains('\n') && !line.ends_with(char::is_whitespace) && escape::doc(line) == line
}

/// Appends the printed `tokens` to `text`, each item marked `#[rustfmt::skip]`. prettyplease
/// prints a file's items one after another, so items printed in runs concatenate to the
/// printing of them all.
fn root_items(text: &mut String, tokens: TokenStream, what: &str) -> Result<(), Error> {
    let mut file = parse_file(tokens, what)?;
    // Assembled from identifiers so that rustfmt does not act on the attribute here.
    let (tool, skip) = (ident("rustfmt"), ident("skip"));
    for item in &mut file.items {
        if let Some(attrs) = item_attrs(item) {
            attrs.push(syn::parse_quote!(#[#tool::#skip]));
        }
    }
    docs::splice(text, &prettyplease::unparse(&file), what)
}

/// What [`render_crate_root`] prints for `tokens` before spacing: the text a [`RootPart::Text`]
/// must equal.
#[cfg(test)]
pub(crate) fn root_items_text(tokens: TokenStream) -> String {
    let mut text = String::new();
    root_items(&mut text, tokens, "test").unwrap_or_else(|e| panic!("{e}"));
    text
}

/// prettyplease's output with a blank line between items, as a person would write it: between
/// top-level items, and between the members of an `impl` or `trait` (a member ends with `}` or
/// `;` on its own indentation level), and after the module's `//!` docs. Runs of `use` and
/// `mod` declarations stay together.
/// Line-based, which is sound here: string literals in generated code never contain a raw line
/// break (they are escaped), and doc comments are `///` lines.
pub(crate) fn spaced(text: String) -> String {
    spaced_after("", text)
}

/// `header` followed by [`spaced`]`(text)`, in `text`'s own buffer: a module of a large spec is
/// tens of megabytes (Microsoft Graph's server module 88 MB), and a second buffer for the spaced
/// copy was the largest allocation of the run. The blank lines are found first, then the buffer
/// grows by the header and one byte per blank line, and each stretch between two blank lines is
/// moved to its place, the last one first, so that nothing is overwritten before it has moved.
pub(crate) fn spaced_after(header: &str, text: String) -> String {
    let blanks = blank_lines_before(&text);
    let mut bytes = text.into_bytes();
    if bytes.last().is_some_and(|&b| b != b'\n') {
        bytes.push(b'\n');
    }
    let mut end = bytes.len();
    bytes.resize(end + header.len() + blanks.len(), b'\n');
    for (k, &at) in blanks.iter().enumerate().rev() {
        // Before this stretch: the header and k + 1 blank lines, the last one right before it.
        let to = at + header.len() + k + 1;
        bytes.copy_within(at..end, to);
        bytes[to - 1] = b'\n';
        end = at;
    }
    bytes.copy_within(..end, header.len());
    bytes[..header.len()].copy_from_slice(header.as_bytes());
    // Only whole `&str`s and line breaks were moved, at line starts: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The offsets of the lines of `text` that [`spaced`] puts a blank line before.
fn blank_lines_before(text: &str) -> Vec<usize> {
    let inner = |l: &str| l.starts_with("//!") || l.starts_with("#![");
    let mut blanks = Vec::new();
    let mut previous: Option<&str> = None;
    let mut at = 0;
    while at < text.len() {
        let start = at;
        at = memchr::memchr(b'\n', &text.as_bytes()[start..]).map_or(text.len(), |end| start + end + 1);
        let line = &text[start..at];
        // Indented more than one level (most lines): a blank line goes before it only after
        // inner docs, and never after it (the next line would need the same indentation).
        if line.starts_with("     ") {
            if previous.is_some_and(inner) {
                blanks.push(start);
            }
            previous = None;
            continue;
        }
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(prev) = previous
            && ((inner(prev) && !inner(line))
                || (ends_item(prev)
                    && starts_item(line)
                    && indent(prev) == indent(line)
                    && indent(line) <= 4
                    && !(is_declaration(prev) && is_declaration(line))))
        {
            blanks.push(start);
        }
        previous = Some(line);
    }
    blanks
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn ends_item(line: &str) -> bool {
    let code = line.trim_start();
    code == "}" || code == "};" || (!code.starts_with("//") && (code.ends_with(';') || code.ends_with(") {}")))
}

fn starts_item(line: &str) -> bool {
    let code = line.trim_start();
    const STARTS: &[&str] = &[
        "///",
        "//!",
        "#[",
        "pub ",
        "pub(",
        "fn ",
        "async fn ",
        "const ",
        "static ",
        "struct ",
        "enum ",
        "impl ",
        "impl<",
        "trait ",
        "type ",
        "mod ",
        "use ",
        "unsafe impl",
        "macro_rules!",
        "d1_runtime::",
        "::d1_runtime::",
    ];
    STARTS.iter().any(|start| code.starts_with(start))
}

/// A one-line `use` or `mod` declaration, kept next to the others of its kind.
fn is_declaration(line: &str) -> bool {
    let mut code = line.trim_start();
    while let Some(rest) = code.strip_prefix("pub ") {
        code = rest;
    }
    while let Some(rest) = code.strip_prefix("pub(crate) ") {
        code = rest;
    }
    (code.starts_with("use ") || code.starts_with("mod ")) && code.ends_with(';')
}

fn parse_file(tokens: TokenStream, what: &str) -> Result<syn::File, Error> {
    parse_tokens(escape_docs(tokens), what)
}

/// [`parse_file`] without escaping the doc strings: only for text that [`docs_need_escaping`] checks.
fn parse_tokens(tokens: TokenStream, what: &str) -> Result<syn::File, Error> {
    syn::parse2(tokens).map_err(|e| {
        Error::new(&Location::new(what, ""), format!("internal error: generated Rust does not parse: {e}"))
    })
}

/// Every `#[doc = "…"]` and `#![doc = "…"]` in `tokens`, at any depth, with its text through
/// [`escape::doc`]: whichever emitter built a doc string, no CR, control or bidi character of a
/// spec reaches a `///` line of a generated file (rustc rejects a bare CR in a doc comment and
/// denies bidi characters in comments).
fn escape_docs(tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(g) => {
                let doc = if g.delimiter() == Delimiter::Bracket { escaped_doc_attr(g.stream()) } else { None };
                let mut group = Group::new(g.delimiter(), doc.unwrap_or_else(|| escape_docs(g.stream())));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            other => other,
        })
        .collect()
}

/// [`escape_docs`] for the tests of the emitters.
#[cfg(test)]
pub(crate) fn escape_docs_for_test(tokens: TokenStream) -> TokenStream {
    escape_docs(tokens)
}

fn escaped_doc_attr(stream: TokenStream) -> Option<TokenStream> {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    match trees.as_slice() {
        [TokenTree::Ident(name), TokenTree::Punct(eq), TokenTree::Literal(lit)]
            if name == "doc" && eq.as_char() == '=' =>
        {
            // Most doc strings need nothing: a plain literal without escapes whose text the
            // escaping leaves as it is stays as it is, without being parsed.
            let written = lit.to_string();
            if let Some(text) = written.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
                && !text.contains('\\')
                && (text.is_empty() || text.starts_with(' '))
                && escape::doc(text) == text
            {
                return Some(trees.iter().cloned().collect());
            }
            let lit: syn::LitStr = syn::parse2(TokenTree::Literal(lit.clone()).into()).ok()?;
            let mut text = escape::doc(&lit.value());
            // `/// Text`, not `///Text`, whichever emitter wrote it.
            if !text.is_empty() && !text.starts_with([' ', '\n']) {
                text.insert(0, ' ');
            }
            Some(quote!(doc = #text))
        }
        _ => None,
    }
}

fn item_attrs(item: &mut syn::Item) -> Option<&mut Vec<syn::Attribute>> {
    use syn::Item;
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::ExternCrate(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::ForeignMod(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::TraitAlias(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

/// The first line of every generated Rust file. File names are spec-derived text: each goes
/// through [`escape::comment`], so no name can start a line of code.
pub(crate) fn rust_header(sources: &[&str]) -> String {
    let names: Vec<String> = sources.iter().map(|s| escape::comment(s)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    format!(
        "// @generated by d1-codegen from {}.\n// Do not edit by hand: change the specs or the generator, then run `cargo xtask codegen`.\n",
        describe_escaped(&names)
    )
}

/// The spec file names for a template's `{{ sources }}`: a value that the template formatter
/// escapes for the file it renders (TOML or Markdown), name by name.
pub(crate) fn describe_sources(sources: &[&str]) -> minijinja::Value {
    minijinja::Value::from_object(templates::Sources(sources.iter().map(|s| s.to_string()).collect()))
}

/// "`a`" or "2 specs (`a`, `b`)", from names already escaped for their context.
pub(crate) fn describe_escaped(sources: &[&str]) -> String {
    match sources {
        [] => "no spec".to_string(),
        [one] => format!("`{one}`"),
        many => {
            format!("{} specs ({})", many.len(), many.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type reference of `ir` built from its types: each named type bare, in a `Vec`, in
    /// a map of boxes, sealed, and every scalar.
    fn every_type_ref(ir: &Ir) -> Vec<TypeRef> {
        let mut refs = vec![
            TypeRef::String,
            TypeRef::Integer(IntWidth::I32),
            TypeRef::Integer(IntWidth::I64),
            TypeRef::Number,
            TypeRef::Boolean,
            TypeRef::Json,
            TypeRef::JsonObject,
            TypeRef::Bytes,
            TypeRef::Array(Box::new(TypeRef::Map(Box::new(TypeRef::Bytes)))),
        ];
        for (i, _) in ir.types.iter().enumerate() {
            let named = TypeRef::Named(crate::ir::TypeId(i));
            refs.push(TypeRef::Sealed { plaintext: crate::ir::TypeId(i), max_length: (i * 977 % 70_000) as u64 });
            refs.push(TypeRef::Array(Box::new(named.clone())));
            refs.push(TypeRef::Map(Box::new(TypeRef::Boxed(Box::new(TypeRef::Array(Box::new(named.clone())))))));
            refs.push(named);
        }
        refs
    }

    /// [`type_string`] writes what [`type_text`] prints of [`type_tokens`], for every type of
    /// every module, seen from every module and from other crates.
    fn assert_type_strings(ir: &Ir) -> usize {
        let mut modules: Vec<Module> = ir.types.iter().map(|t| t.module.clone()).collect();
        modules.dedup();
        modules.push(Module::Api("elsewhere".into()));
        let mut compared = 0;
        for r in every_type_ref(ir) {
            let mut scopes: Vec<Scope<'_>> = modules.iter().map(Scope::Module).collect();
            scopes.extend(["::d1_types", "crate::types", "d1_types"].map(Scope::External));
            for scope in scopes {
                let expected = type_text(&type_tokens(ir, &r, scope));
                assert_eq!(Some(type_string(ir, &r, scope)), expected, "{r:?} from {scope:?}");
                compared += 1;
            }
        }
        compared
    }

    fn ir_of_files(paths: &[std::path::PathBuf]) -> Ir {
        let files: Vec<crate::load::SourceFile> = paths
            .iter()
            .map(|p| crate::load::SourceFile {
                path: p.display().to_string(),
                text: std::fs::read_to_string(p).expect("a readable spec"),
            })
            .collect();
        crate::ir_of(&crate::load::load(&files).expect("loads"), &Options::default()).expect("lowers")
    }

    fn files_in(dir: &str, ext: &str) -> Vec<std::path::PathBuf> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .expect("a folder of specs")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == ext))
            .collect();
        paths.sort();
        paths
    }

    #[test]
    fn string_literals_equal_the_printed_literals() {
        let pieces =
            ["a", " ", "'", "\"", "\\", "\0", "7", "\t", "\n", "\r", "\u{7f}", "\u{1}", "\u{e9}", "\u{202e}", "~", "{"];
        let mut plain = 0;
        for text in crate::test_strings::joined(&pieces, 5000, 8, 11) {
            let expected = proc_macro2::Literal::string(&text).to_string();
            assert_eq!(string_literal(&text), expected, "{text:?}");
            plain += usize::from(expected.len() == text.len() + 2);
        }
        assert!(plain > 100, "{plain}");
    }

    #[test]
    fn type_strings_equal_the_printed_tokens() {
        let mut irs = vec![ir_of_files(&files_in("../specs", "json"))];
        for fixture in files_in("tests/fixtures/features", "json") {
            irs.push(ir_of_files(&[fixture]));
        }
        let mut compared = 0;
        for ir in &mut irs {
            compared += assert_type_strings(ir);
            // The same types under pseudo-random names, long ones and non-ASCII ones among them.
            let pieces = ["A", "b", "Z9", "_x", "\u{e9}t\u{e9}", "Very", "LongName", "\u{3a9}"];
            let names = crate::test_strings::joined(&pieces, ir.types.len(), 12, 7);
            for (def, name) in ir.types.iter_mut().zip(names) {
                def.name = format!("T{name}");
            }
            compared += assert_type_strings(ir);
        }
        assert!(compared > 10_000, "{compared}");
    }

    /// A crate root's `//!` lines printed as text equal prettyplease's printing of the doc
    /// attributes; lines it might print otherwise are left to the tokens.
    #[test]
    fn inner_docs_print_as_prettyplease_prints_them() {
        let lines: Vec<String> = [
            "Client of the APIs, generated from their specs.",
            "",
            "| accessor | module | API |",
            "|---|---|---|",
            "| [`client.a()`](Client::a) | [`a`] | Tïtle \\| with a bar |",
            "```no_run",
            "# async fn example(client: &a::Client) {",
            "    Ok(response) => println!(\"HTTP {}\", response.status()),",
            "```",
        ]
        .map(String::from)
        .to_vec();
        let RootPart::Text(text) = inner_docs(&lines) else { panic!("printed from tokens") };
        let doc = lines.iter().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
        assert_eq!(
            text + &root_items_text(quote!(
                pub struct A;
            )),
            root_items_text(quote!(#( #![doc = #doc] )* pub struct A;))
        );
        for odd in ["trailing space ", "a\rb", "bidi \u{202e}", "two\nlines"] {
            assert!(matches!(inner_docs(&[odd.to_string()]), RootPart::Items(_)), "{odd:?}");
        }
    }

    /// Printed through `escape_docs` on every item, as before the fast path.
    fn always_escaped(tokens: TokenStream) -> String {
        top_level_items(tokens)
            .into_iter()
            .map(|item| prettyplease::unparse(&parse_file(item, "test").unwrap()))
            .collect()
    }

    /// The request structs of the server: members with docs, printed as text where
    /// [`declaration_text`] allows, equal prettyplease's printing of the whole struct.
    /// The spacing rules written the plain way, into a second buffer.
    fn spaced_by_copy(header: &str, text: &str) -> String {
        let mut out = header.to_string();
        let blanks = blank_lines_before(text);
        let mut at = 0;
        for line in text.lines() {
            if blanks.contains(&at) {
                out.push('\n');
            }
            out.push_str(line);
            out.push('\n');
            at += line.len() + 1;
        }
        out
    }

    #[test]
    fn spacing_in_place_gives_the_text_spacing_by_copy_gives() {
        let module = "//! Docs.\n#![allow(x)]\nuse a::B;\nuse c::D;\npub struct S;\nimpl S {\n    pub fn f() {}\n    \
                      /// G.\n    pub fn g() -> u8 {\n        1\n    }\n    const C: u8 = 1;\n}\n/// É, ü.\npub enum E {}\n\
                      mod m;\nfn h() {}";
        for header in ["", "// @generated by d1-codegen\n"] {
            for text in ["", "\n", "fn a() {}", "fn a() {}\nfn b() {}\n", "//! Only docs.\n", module] {
                let spaced = spaced_after(header, text.to_string());
                assert_eq!(spaced, spaced_by_copy(header, text), "{text:?}");
            }
        }
        let spaced = spaced_after("// h\n", module.to_string());
        assert!(
            spaced.starts_with("// h\n//! Docs.\n#![allow(x)]\n\nuse a::B;\nuse c::D;\n\npub struct S;\n\nimpl S {\n")
        );
        assert!(spaced.contains("    pub fn f() {}\n\n    /// G.\n") && spaced.ends_with("mod m;\n\nfn h() {}\n"));
    }

    #[test]
    fn members_print_as_prettyplease_prints_them() {
        let _docs = docs::Table::scope();
        let types = [
            quote!(i64),
            quote!(::std::option::Option<::std::vec::Vec<::d1_types::some::SomeType>>),
            quote!(::std::collections::BTreeMap<::std::string::String, ::d1_types::a_module::ALongerTypeName>),
        ];
        let long_path = |n: usize| path_tokens(&format!("::d1_types::graph::T{}", "y".repeat(n)));
        let docs = [
            "One line.",
            "`x` (query parameter): two\nlines, and a long one that prettyplease keeps as it is however far it goes",
        ];
        let (mut as_text, mut broken, mut left) = (0, 0, 0);
        for n in 1..90 {
            let long = long_path(n + 20);
            let types = [types.to_vec(), vec![quote!(::std::option::Option<#long>), long.clone()]].concat();
            for (i, ty) in types.iter().enumerate() {
                let name = format!("m{}", "x".repeat(n));
                let doc = docs[(n + i) % 2];
                let (id, attrs) = (ident(&name), doc_attrs(Some(doc)));
                let whole = render_items(quote!(pub struct A { #attrs pub #id: #ty, }), "test").unwrap();
                let Some(declaration) = declaration_text(&name, &type_text(ty).unwrap()) else {
                    left += 1;
                    continue;
                };
                let mut members = String::new();
                docs::push_doc(&mut members, "    ", Some(doc));
                members.push_str(&declaration);
                assert_eq!(format!("pub struct A {{\n{members}}}\n"), whole);
                as_text += 1;
                broken += usize::from(declaration.contains("<\n"));
            }
        }
        assert!(as_text > 400 && broken > 100 && left == 0, "{as_text} {broken} {left}");
    }

    #[test]
    fn items_print_as_if_every_doc_string_were_escaped() {
        let cases = [
            quote! { #[doc = " plain"] pub struct A; },
            quote! { #[doc = "no space"] pub struct A; },
            quote! { #[doc = " a\rcarriage return"] pub struct A; },
            quote! { #[doc = " a\r\nwindows break"] pub struct A; },
            quote! { #[doc = " bidi \u{202e} override"] pub struct A; },
            quote! { #[doc = " bell \u{7}"] pub struct A; },
            quote! { #[doc = "/slash first"] pub struct A; },
            quote! { #[doc = " two\n lines"] pub struct A; },
            quote! { #[doc = ""] pub struct A; },
            quote! { #[doc = "\tTab"] pub struct A; },
            quote! { #![doc = "inner"] pub struct A; },
            quote! { pub struct A { #[doc = "\u{2028}field"] pub a: u8 } },
            quote! { impl A { #[doc = "x\ry"] fn f() { let s = "\u{202e}"; } } },
            quote! { /// written with a comment
            pub struct A; },
        ];
        for tokens in cases {
            let fast = render_items(tokens.clone(), "test").unwrap();
            assert_eq!(fast, always_escaped(tokens.clone()), "{tokens}");
            assert!(!fast.contains(['\r', '\u{202e}', '\u{7}', '\u{2028}']), "{fast}");
        }
        // The check sees what the escaping would change; a plain doc line passes untouched.
        assert!(docs_need_escaping("///no space\n"));
        assert!(docs_need_escaping("    //!x\n"));
        assert!(docs_need_escaping("/// a\u{202e}\n"));
        assert!(docs_need_escaping("#[doc = \"/x\"]\n"));
        assert!(!docs_need_escaping("/// plain\n///\npub struct A;\n"));
    }

    #[test]
    fn a_block_prints_member_by_member_as_it_prints_whole() {
        let members = vec![
            quote! { /// Docs.
            pub fn a(&self) -> u8 { 1 } },
            quote! { pub fn with_a_long_name_that_breaks_the_line(&self, first_argument: ::std::string::String, second: u8) -> u8 { second } },
            quote! { const B: u8 = 2; },
        ];
        let head = quote! { /// The type.
        impl<'c> Api<'c> };
        let whole = render_items(quote! { #head { #(#members)* } }, "test").unwrap();
        assert_eq!(render_block(head.clone(), members, "test").unwrap(), whole);
        let empty = render_items(quote! { #head {} }, "test").unwrap();
        assert_eq!(render_block(head, Vec::<TokenStream>::new(), "test").unwrap(), empty);
        let head = quote! { /// Checks.
        mod checks };
        let members = vec![quote! { use a::B; }, quote! { use c::D; }, quote! { fn f() {} }];
        let whole = render_items(quote! { #head { #(#members)* } }, "test").unwrap();
        assert_eq!(render_block(head, members, "test").unwrap(), whole);
    }
}
