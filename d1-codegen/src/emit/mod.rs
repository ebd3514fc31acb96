//! Emit: IR → files. Rust is built with `quote`, checked by parsing it with `syn` and printed
//! with `prettyplease`; manifests and READMEs come from the minijinja templates in
//! `templates/`. The result is an in-memory [`FileTree`]; nothing here touches the disk.

mod client;
mod newtype;
mod server;
mod templates;
mod types;

use crate::error::{Error, Location};
use crate::ir::{IntWidth, Ir, Module, TypeRef};
use crate::write::FileTree;
use proc_macro2::{Ident, Span, TokenStream};
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
    /// Accept patterns that need the backtracking engine (see
    /// [`Config::allow_backtracking_patterns`](crate::Config::allow_backtracking_patterns)).
    pub allow_backtracking_patterns: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            types_crate: "d1-types".to_string(),
            client_crate: "d1-client".to_string(),
            server_crate: "d1-server".to_string(),
            version: "0.1.0".to_string(),
            allow_backtracking_patterns: false,
        }
    }
}

/// Emit every generated crate into one tree of files (paths relative to the output folder).
pub fn emit(ir: &Ir, options: &Options) -> Result<FileTree, Error> {
    let mut tree = FileTree::default();
    types::emit_crate(ir, options, &mut tree)?;
    client::emit_crate(ir, options, &mut tree)?;
    server::emit_crate(ir, options, &mut tree)?;
    Ok(tree)
}

/// The types as one Rust file of inline modules, for `include!` from a build script.
pub fn types_single_file(ir: &Ir) -> Result<String, Error> {
    types::single_file(ir)
}

/// From where a type is named: inside a module of the types crate, or from another crate.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    Module(&'a Module),
    /// From another crate, naming the types crate by its Rust name (e.g. `d1_types`).
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
                Scope::External(krate) => {
                    let krate = ident(krate);
                    let module = ident(def.module.name());
                    quote!(::#krate::#module::#name)
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
            let jwe = support_path(scope, "jwe");
            quote!(#jwe::Jwe<#plaintext, #max>)
        }
    }
}

/// Path of a support module (`validation`, `jwe`) as seen from `scope`.
pub(crate) fn support_path(scope: Scope<'_>, module: &str) -> TokenStream {
    let module = ident(module);
    match scope {
        Scope::Module(_) => quote!(super::#module),
        Scope::External(krate) => {
            let krate = ident(krate);
            quote!(::#krate::#module)
        }
    }
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// `#[doc = "..."]` lines for a Markdown text.
pub(crate) fn doc_attrs(text: Option<&str>) -> TokenStream {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else { return TokenStream::new() };
    let lines = text.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote!(#( #[doc = #lines] )*)
}

/// Parse the tokens as a file (catching generator bugs as errors, not panics) and pretty-print
/// them under the `@generated` header.
pub(crate) fn render_rust(tokens: TokenStream, header: &str, what: &str) -> Result<String, Error> {
    Ok(format!("{header}{}", prettyplease::unparse(&parse_file(tokens, what)?)))
}

/// [`render_rust`] for a crate root (`lib.rs`): every item is marked `#[rustfmt::skip]`, which
/// also covers the modules it declares. Generated code is laid out by prettyplease, and
/// `cargo fmt --check` over a workspace must not fight the generator.
pub(crate) fn render_crate_root(tokens: TokenStream, header: &str, what: &str) -> Result<String, Error> {
    let mut file = parse_file(tokens, what)?;
    // Assembled from identifiers so that rustfmt does not act on the attribute here.
    let (tool, skip) = (ident("rustfmt"), ident("skip"));
    for item in &mut file.items {
        if let Some(attrs) = item_attrs(item) {
            attrs.push(syn::parse_quote!(#[#tool::#skip]));
        }
    }
    Ok(format!("{header}{}", prettyplease::unparse(&file)))
}

fn parse_file(tokens: TokenStream, what: &str) -> Result<syn::File, Error> {
    syn::parse2(tokens).map_err(|e| {
        Error::new(&Location::new(what, ""), format!("internal error: generated Rust does not parse: {e}"))
    })
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

/// The first line of every generated Rust file.
pub(crate) fn rust_header(sources: &[&str]) -> String {
    format!(
        "// @generated by d1-codegen from {}.\n// Do not edit by hand: change the specs or the generator, then run `cargo xtask codegen`.\n",
        describe_sources(sources)
    )
}

pub(crate) fn describe_sources(sources: &[&str]) -> String {
    match sources {
        [] => "no spec".to_string(),
        [one] => format!("`{one}`"),
        many => {
            format!("{} specs ({})", many.len(), many.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", "))
        }
    }
}
