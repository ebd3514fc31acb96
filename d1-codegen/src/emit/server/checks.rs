//! The server's checks of request bodies: one function per struct or union, walking a
//! `serde_json::Value` the way the type's `Deserialize` would read it but recording every
//! violation with its JSON Pointer instead of stopping at the first. Leaves whose types check
//! themselves (validated newtypes, sealed JWE values) are checked by deserializing them.
//!
//! Each module holds the checks of its own types: an API module's, in a `checks` module inside
//! its server file (only those its bodies reach), and the shared types', all of them, in the
//! server's `common` module. So an API's file depends on its own spec and the shared types only.
//! The functions' names come from the naming stage ([`crate::ir::TypeDef::check`]).

use super::super::{ident, path_tokens, type_text, type_tokens, Member, Scope, MARGIN};
use crate::ir::{IntWidth, Ir, Module, NewtypeInner, TypeId, TypeKind, TypeRef};
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::{BTreeMap, BTreeSet};

pub(super) struct Checks<'a> {
    ir: &'a Ir,
    types_crate: String,
    /// Path of the server crate's root (`crate`) or module (`crate::server`).
    root: String,
    /// The module whose check functions these are.
    module: Module,
    /// This module's types whose check function is needed.
    wanted: BTreeSet<TypeId>,
    /// Per type of the IR: whether any JSON value is one of it ([`open_types`]).
    open: &'a [bool],
    /// Whether the code being made is that of the check functions themselves (which call each
    /// other by name), rather than of the module around them.
    in_functions: bool,
}

impl<'a> Checks<'a> {
    /// `open` is [`open_types`] of `ir`, found once for every module.
    pub(super) fn new(ir: &'a Ir, open: &'a [bool], types_crate: &str, root: &str, module: Module) -> Self {
        Checks {
            ir,
            types_crate: types_crate.to_string(),
            root: root.to_string(),
            module,
            wanted: BTreeSet::new(),
            open,
            in_functions: false,
        }
    }

    /// The checks of every shared type (the server's `common` module), used by an API or not.
    pub(super) fn common(ir: &'a Ir, open: &'a [bool], types_crate: &str, root: &str) -> Self {
        let mut checks = Checks::new(ir, open, types_crate, root, Module::Common);
        checks.wanted = (0..ir.types.len())
            .map(TypeId)
            .filter(|&id| ir.ty(id).module == Module::Common && ir.ty(id).check.is_some())
            .collect();
        checks
    }

    /// The path of the check function of a struct or union, registering it if it is this
    /// module's.
    fn function(&mut self, id: TypeId) -> String {
        let def = self.ir.ty(id);
        let f = def.check.as_deref().unwrap_or("check_unnamed");
        if def.module == self.module {
            self.wanted.insert(id);
            return if self.in_functions { f.to_string() } else { format!("checks::{f}") };
        }
        // Another module's type can only be a shared one.
        format!("{}::common::{f}", self.root)
    }

    /// Statements checking the value `v` (an expression of type `&Value`) against `ty`, with a
    /// `c: &mut Checker` in scope. `skip` names a member a struct check must not report as
    /// unknown (the tag of a tagged union).
    pub(super) fn expr(&mut self, ty: &TypeRef, v: TokenStream, skip: TokenStream) -> TokenStream {
        self.check(ty).tokens(&v, &skip)
    }

    /// What checks a value of `ty`, registering the check functions it calls.
    pub(super) fn check(&mut self, ty: &TypeRef) -> Check {
        match ty {
            TypeRef::String => Check::Call(Call::String),
            TypeRef::Integer(IntWidth::I32) => Check::Call(Call::I32),
            TypeRef::Integer(IntWidth::I64) => Check::Call(Call::I64),
            TypeRef::Number => Check::Call(Call::Number),
            TypeRef::Boolean => Check::Call(Call::Boolean),
            TypeRef::Json | TypeRef::Bytes => Check::Nothing,
            TypeRef::JsonObject => Check::Call(Call::AnyObject),
            TypeRef::Boxed(inner) => self.check(inner),
            // Items or members of any value: only the shape is checked.
            TypeRef::Array(item) => match self.check(item) {
                Check::Nothing => Check::Call(Call::AnyArray),
                inner => Check::Items(Box::new(inner)),
            },
            TypeRef::Map(value) => match self.check(value) {
                Check::Nothing => Check::Call(Call::AnyObject),
                inner => Check::Members(Box::new(inner)),
            },
            TypeRef::Sealed { .. } => Check::Leaf(self.type_tokens(ty)),
            TypeRef::Named(id) => {
                let def = self.ir.ty(*id);
                match &def.kind {
                    TypeKind::Newtype(_) => Check::Leaf(self.type_tokens(ty)),
                    TypeKind::StringEnum(_) => Check::Call(Call::String),
                    TypeKind::Alias(target) => self.check(target),
                    TypeKind::ReExport(target) => self.check(&TypeRef::Named(*target)),
                    // A JWE plaintext never travels as JSON of its own; a union with an
                    // alternative that takes any value takes every value.
                    TypeKind::Struct(_) | TypeKind::OneOf(_) if self.accepts_anything(ty) => Check::Nothing,
                    TypeKind::Struct(_) | TypeKind::OneOf(_) => Check::Function(self.function(*id)),
                }
            }
        }
    }

    fn type_tokens(&self, ty: &TypeRef) -> TokenStream {
        type_tokens(self.ir, ty, Scope::External(&self.types_crate))
    }

    /// Whether any JSON value is one of `ty`, so that [`Self::expr`] checks nothing.
    fn accepts_anything(&self, ty: &TypeRef) -> bool {
        accepts_anything(ty, self.open)
    }

    /// The members of a form body that must be converted from text before checking: each one's
    /// name and the path of its `::d1_runtime::server::Scalar` kind.
    pub(super) fn form_fields(&self, ty: &TypeRef) -> Vec<(String, String)> {
        let Some(TypeKind::Struct(s)) = self.resolve(ty).map(|id| &self.ir.ty(id).kind) else {
            return Vec::new();
        };
        s.fields
            .iter()
            .filter_map(|f| {
                let kind = match self.scalar_kind(&f.ty)? {
                    Scalar::Integer => "::d1_runtime::server::Scalar::Integer",
                    Scalar::Number => "::d1_runtime::server::Scalar::Number",
                    Scalar::Boolean => "::d1_runtime::server::Scalar::Boolean",
                };
                Some((f.name.clone(), kind.to_string()))
            })
            .collect()
    }

    /// The named type behind aliases and re-exports.
    fn resolve(&self, ty: &TypeRef) -> Option<TypeId> {
        match ty {
            TypeRef::Named(id) => match &self.ir.ty(*id).kind {
                TypeKind::Alias(target) => self.resolve(target),
                TypeKind::ReExport(target) => self.resolve(&TypeRef::Named(*target)),
                _ => Some(*id),
            },
            TypeRef::Boxed(inner) => self.resolve(inner),
            _ => None,
        }
    }

    fn scalar_kind(&self, ty: &TypeRef) -> Option<Scalar> {
        match ty {
            TypeRef::Integer(_) => Some(Scalar::Integer),
            TypeRef::Number => Some(Scalar::Number),
            TypeRef::Boolean => Some(Scalar::Boolean),
            TypeRef::Boxed(inner) => self.scalar_kind(inner),
            TypeRef::Named(id) => match &self.ir.ty(*id).kind {
                TypeKind::Alias(target) => self.scalar_kind(target),
                TypeKind::ReExport(target) => self.scalar_kind(&TypeRef::Named(*target)),
                TypeKind::Newtype(n) => match n.inner {
                    NewtypeInner::Integer(_) => Some(Scalar::Integer),
                    NewtypeInner::Number => Some(Scalar::Number),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        }
    }

    /// The check functions of this module's registered types (and of the types they reach),
    /// sorted by name, each printed as text where [`Function::text`] can, for a block whose
    /// members are indented by `indent` spaces.
    pub(super) fn finish(mut self, indent: usize) -> Vec<Member> {
        self.in_functions = true;
        let mut functions: BTreeMap<String, Member> = BTreeMap::new();
        let mut done: BTreeSet<TypeId> = BTreeSet::new();
        loop {
            let pending: Vec<TypeId> = self.wanted.difference(&done).copied().collect();
            if pending.is_empty() {
                break;
            }
            for id in pending {
                done.insert(id);
                let def = self.ir.ty(id);
                let name = def.check.clone().unwrap_or_default();
                let doc = format!("Check a JSON value against `{}::{}`.", def.module.name(), def.name);
                let function = Function { doc, body: self.function_body(id), name };
                let member = match function.text(indent) {
                    Some(text) => Member::Text(text),
                    None => Member::Tokens(function.tokens()),
                };
                functions.insert(function.name, member);
            }
        }
        functions.into_values().collect()
    }

    fn function_body(&mut self, id: TypeId) -> Body {
        let def = self.ir.ty(id);
        match def.kind.clone() {
            TypeKind::Struct(s) => {
                let members: Vec<MemberCheck> = s
                    .fields
                    .iter()
                    .map(|field| MemberCheck {
                        key: field.name.clone(),
                        check: self.check(&field.ty),
                        nullable: field.nullable,
                        required: field.required,
                    })
                    .collect();
                // What to do with a member the struct does not name: check it, or report it.
                let others = match &s.additional {
                    Some(additional) => {
                        let inner = self.expr(&additional.ty, quote!(member), none());
                        (!inner.is_empty()).then(|| {
                            (
                                quote!((key, member) in object),
                                quote! {
                                    let mark = c.enter(key);
                                    #inner
                                    c.leave(mark);
                                },
                            )
                        })
                    }
                    None if s.deny_unknown_fields => Some((quote!(key in object.keys()), quote!(c.unknown(key);))),
                    None => None,
                };
                let others = others.map(|(binding, action)| {
                    let known = s.fields.iter().map(|f| f.name.as_str());
                    let named = if s.fields.is_empty() {
                        TokenStream::new()
                    } else {
                        quote!(|| matches!(key.as_str(), #(#known)|*))
                    };
                    quote! {
                        for #binding {
                            if skip == ::std::option::Option::Some(key.as_str()) #named {
                                continue;
                            }
                            #action
                        }
                    }
                });
                Body::Struct { members, others }
            }
            TypeKind::OneOf(o) => match &o.tag {
                Some(tag) => {
                    let mut arms = Vec::new();
                    let mut values = Vec::new();
                    for variant in &o.variants {
                        let Some(tag_value) = &variant.tag_value else { continue };
                        values.push(tag_value.clone());
                        let inner = self.expr(&variant.ty, quote!(value), quote!(::std::option::Option::Some(#tag)));
                        arms.push(quote!(::std::option::Option::Some(#tag_value) => { #inner }));
                    }
                    let expected = format!("is not one of {}", values.join(", "));
                    Body::Tokens(quote! {
                        let ::std::option::Option::Some(object) = c.object(value) else { return; };
                        let tag = object.get(#tag);
                        match tag.and_then(Value::as_str) {
                            #(#arms)*
                            ::std::option::Option::Some(other) => {
                                let mark = c.enter(#tag);
                                c.fail(format!("`{other}` {}", #expected));
                                c.leave(mark);
                            }
                            ::std::option::Option::None => match tag {
                                ::std::option::Option::Some(found) => {
                                    let mark = c.enter(#tag);
                                    c.string(found);
                                    c.leave(mark);
                                }
                                ::std::option::Option::None => c.missing(#tag),
                            },
                        }
                    })
                }
                // One alternative takes any value, so every value matches.
                None if o.variants.iter().any(|v| self.accepts_anything(&v.ty)) => Body::Open,
                None => Body::Untagged {
                    attempts: o.variants.iter().map(|variant| self.check(&variant.ty)).collect(),
                    message: format!("matches none of the {} alternatives of `{}`", o.variants.len(), def.name),
                },
            },
            // Only structs and unions are registered.
            _ => Body::Open,
        }
    }
}

/// `::std::option::Option::None`: the `skip` of every check but a tagged union's alternatives.
fn none() -> TokenStream {
    quote!(::std::option::Option::None)
}

/// What checks one value, as data: printed as tokens ([`Check::tokens`]) or, in the check
/// functions, as text ([`Check::push_text`]).
#[derive(Clone)]
pub(super) enum Check {
    /// Any value will do.
    Nothing,
    /// One call on the checker.
    Call(Call),
    /// `c.leaf::<T>(v);`: a type that checks itself when deserialized.
    Leaf(TokenStream),
    /// `f(v, c, skip);`: the check function of a struct or union, by path.
    Function(String),
    /// Every item of an array.
    Items(Box<Check>),
    /// Every member of an object.
    Members(Box<Check>),
}

#[derive(Clone, Copy)]
pub(super) enum Call {
    String,
    I32,
    I64,
    Number,
    Boolean,
    AnyArray,
    AnyObject,
}

impl Call {
    fn tokens(self, v: &TokenStream) -> TokenStream {
        match self {
            Call::String => quote!(c.string(#v);),
            Call::I32 => quote!(c.integer(#v, i64::from(i32::MIN), i64::from(i32::MAX));),
            Call::I64 => quote!(c.integer(#v, i64::MIN, i64::MAX);),
            Call::Number => quote!(c.number(#v);),
            Call::Boolean => quote!(c.boolean(#v);),
            Call::AnyArray => quote!(let _ = c.array(#v);),
            Call::AnyObject => quote!(let _ = c.object(#v);),
        }
    }

    fn text(self, v: &str) -> String {
        match self {
            Call::String => format!("c.string({v});"),
            Call::I32 => format!("c.integer({v}, i64::from(i32::MIN), i64::from(i32::MAX));"),
            Call::I64 => format!("c.integer({v}, i64::MIN, i64::MAX);"),
            Call::Number => format!("c.number({v});"),
            Call::Boolean => format!("c.boolean({v});"),
            Call::AnyArray => format!("let _ = c.array({v});"),
            Call::AnyObject => format!("let _ = c.object({v});"),
        }
    }
}

impl Check {
    /// The statements checking `v` (an expression of type `&Value`); `skip` as in [`Checks::expr`].
    pub(super) fn tokens(&self, v: &TokenStream, skip: &TokenStream) -> TokenStream {
        match self {
            Check::Nothing => TokenStream::new(),
            Check::Call(call) => call.tokens(v),
            Check::Leaf(t) => quote!(c.leaf::<#t>(#v);),
            Check::Function(path) => {
                let f = path_tokens(path);
                quote!(#f(#v, c, #skip);)
            }
            Check::Items(inner) => {
                let inner = inner.tokens(&quote!(item), &none());
                quote! {
                    for (index, item) in c.items(#v) {
                        let mark = c.enter_index(index);
                        #inner
                        c.leave(mark);
                    }
                }
            }
            Check::Members(inner) => {
                let inner = inner.tokens(&quote!(item), &none());
                quote! {
                    for (key, item) in c.members(#v) {
                        let mark = c.enter(key);
                        #inner
                        c.leave(mark);
                    }
                }
            }
        }
    }

    /// [`Check::push_text`] on lines of their own: empty where there is nothing to check.
    pub(super) fn text(&self, v: &str, depth: usize) -> Option<String> {
        let mut out = Lines::default();
        self.push_text(v, depth, &mut out)?;
        out.finish()
    }

    /// The statements checking `v` (`skip` being `None`) as prettyplease prints them at `depth`
    /// spaces (see [`Lines`]); `None` for a type whose layout is not reproduced here.
    fn push_text(&self, v: &str, depth: usize, out: &mut Lines) -> Option<()> {
        match self {
            Check::Nothing => {}
            Check::Call(call) => out.line(depth, &call.text(v)),
            Check::Leaf(t) => {
                let ty = type_text(t)?;
                let one_line = format!("c.leaf::<{ty}>({v});");
                if depth + one_line.len() <= MARGIN {
                    out.line(depth, &one_line);
                } else if ty.contains('<') {
                    // Generic arguments would break too.
                    return None;
                } else {
                    out.line(depth, "c.leaf::<");
                    out.long_line(depth + 8, &format!("{ty},"));
                    out.line(depth + 4, &format!(">({v});"));
                }
            }
            Check::Function(path) => {
                let one_line = format!("{path}({v}, c, ::std::option::Option::None);");
                if depth + one_line.len() <= MARGIN {
                    out.line(depth, &one_line);
                } else {
                    out.long_line(depth, &format!("{path}("));
                    for arg in [v, "c", "::std::option::Option::None"] {
                        out.line(depth + 4, &format!("{arg},"));
                    }
                    out.line(depth, ");");
                }
            }
            Check::Items(inner) | Check::Members(inner) => {
                let (head, enter) = match self {
                    Check::Items(_) => ("for (index, item) in c.items(", "let mark = c.enter_index(index);"),
                    _ => ("for (key, item) in c.members(", "let mark = c.enter(key);"),
                };
                out.line(depth, &format!("{head}{v}) {{"));
                out.line(depth + 4, enter);
                inner.push_text("item", depth + 4, out)?;
                out.line(depth + 4, "c.leave(mark);");
                out.line(depth, "}");
            }
        }
        Some(())
    }
}

/// A struct's member as its check function reads it.
struct MemberCheck {
    key: String,
    check: Check,
    nullable: bool,
    required: bool,
}

impl MemberCheck {
    fn tokens(&self) -> TokenStream {
        let key = &self.key;
        let inner = self.check.tokens(&quote!(member), &none());
        let null = if self.nullable { TokenStream::new() } else { quote!(c.null();) };
        let check = match (inner.is_empty(), null.is_empty()) {
            (true, true) => TokenStream::new(),
            (true, false) => quote!(if member.is_null() { #null }),
            (false, true) => quote!(if !member.is_null() { #inner }),
            (false, false) => quote!(if member.is_null() { #null } else { #inner }),
        };
        if check.is_empty() {
            // Any value will do: only whether a required member is there is checked.
            if !self.required {
                return TokenStream::new();
            }
            return quote! {
                if !object.contains_key(#key) {
                    c.missing(#key);
                }
            };
        }
        let missing = if self.required { quote!(else { c.missing(#key); }) } else { TokenStream::new() };
        quote! {
            if let ::std::option::Option::Some(member) = object.get(#key) {
                let mark = c.enter(#key);
                #check
                c.leave(mark);
            } #missing
        }
    }

    /// [`Self::tokens`] as prettyplease prints them at `depth` spaces (see [`Lines`]); `None` as
    /// for [`Check::push_text`].
    fn push_text(&self, depth: usize, out: &mut Lines) -> Option<()> {
        let key = super::super::string_literal(&self.key);
        let (empty, null) = (matches!(self.check, Check::Nothing), !self.nullable);
        if empty && !null {
            if self.required {
                out.line(depth, &format!("if !object.contains_key({key}) {{"));
                out.line(depth + 4, &format!("c.missing({key});"));
                out.line(depth, "}");
            }
            return Some(());
        }
        let head = format!("if let ::std::option::Option::Some(member) = object.get({key})");
        if depth + head.len() + 2 <= MARGIN {
            out.line(depth, &format!("{head} {{"));
        } else if depth + head.len() <= MARGIN {
            out.line(depth, &head);
            out.line(depth, "{");
        } else {
            out.line(depth, "if let ::std::option::Option::Some(member) = object");
            out.line(depth + 4, &format!(".get({key})"));
            out.line(depth, "{");
        }
        let inner = depth + 4;
        out.line(inner, &format!("let mark = c.enter({key});"));
        if null {
            out.line(inner, "if member.is_null() {");
            out.line(inner + 4, "c.null();");
            if !empty {
                out.line(inner, "} else {");
            }
        } else {
            out.line(inner, "if !member.is_null() {");
        }
        self.check.push_text("member", inner + 4, out)?;
        out.line(inner, "}");
        out.line(inner, "c.leave(mark);");
        if self.required {
            out.line(depth, "} else {");
            out.line(inner, &format!("c.missing({key});"));
        }
        out.line(depth, "}");
        Some(())
    }
}

/// What a check function does.
enum Body {
    /// Checks a struct's members, then the others (`others`, a loop printed from tokens, when
    /// they are checked or reported).
    Struct { members: Vec<MemberCheck>, others: Option<TokenStream> },
    /// Tries each alternative of an untagged union in turn, keeping the first one's violations
    /// when none matches.
    Untagged { attempts: Vec<Check>, message: String },
    /// Any value will do.
    Open,
    /// Statements printed from tokens only.
    Tokens(TokenStream),
}

/// A check function.
struct Function {
    name: String,
    doc: String,
    body: Body,
}

impl Function {
    fn tokens(&self) -> TokenStream {
        let f = ident(&self.name);
        let doc = format!(" {}", self.doc);
        let (skip, statements) = match &self.body {
            Body::Open => {
                return quote! {
                    #[doc = #doc]
                    pub(crate) fn #f(_value: &Value, _c: &mut Checker, _skip: ::std::option::Option<&str>) {}
                };
            }
            Body::Struct { members, others } => {
                let members: Vec<TokenStream> = members.iter().map(MemberCheck::tokens).collect();
                let binding = if members.iter().all(TokenStream::is_empty) && others.is_none() {
                    quote!(let _ = c.object(value);)
                } else {
                    quote!(let ::std::option::Option::Some(object) = c.object(value) else { return; };)
                };
                let skip = if others.is_some() { quote!(skip) } else { quote!(_skip) };
                (skip, quote!(#binding #(#members)* #others))
            }
            Body::Untagged { attempts, message } => {
                let first = if attempts.is_empty() { TokenStream::new() } else { quote!(c.absorb(attempt_0);) };
                let attempts = attempts.iter().enumerate().map(|(i, check)| {
                    let inner = check.tokens(&quote!(value), &none());
                    let var = ident(&format!("attempt_{i}"));
                    quote! {
                        let #var = c.attempt(|c| { #inner });
                        if #var.is_clean() {
                            return;
                        }
                    }
                });
                (quote!(_skip), quote!(#(#attempts)* c.fail(#message); #first))
            }
            Body::Tokens(statements) => (quote!(_skip), statements.clone()),
        };
        quote! {
            #[doc = #doc]
            pub(crate) fn #f(value: &Value, c: &mut Checker, #skip: ::std::option::Option<&str>) {
                #statements
            }
        }
    }

    /// [`Self::tokens`] as prettyplease prints them in a block indented by `indent` spaces, or
    /// `None` where it might print them otherwise: a line over the margin, a shape not printed
    /// as text (a tagged union, a loop over a struct's other members).
    fn text(&self, indent: usize) -> Option<String> {
        let open = matches!(self.body, Body::Open);
        let prefix = if open { "_" } else { "" };
        let params = [
            format!("{prefix}value: &Value"),
            format!("{prefix}c: &mut Checker"),
            "_skip: ::std::option::Option<&str>".to_string(),
        ];
        let head = format!("pub(crate) fn {}(", self.name);
        let close = if open { ") {}" } else { ") {" };
        let mut out = Lines::default();
        out.long_line(indent, &format!("/// {}", self.doc));
        // prettyplease keeps the signature on one line when it fits up to its `{` (an empty
        // body's `}` may go past the margin).
        if indent + head.len() + params.join(", ").len() + ") {".len() <= MARGIN {
            out.long_line(indent, &format!("{head}{}{close}", params.join(", ")));
        } else {
            out.long_line(indent, &head);
            for param in &params {
                out.line(indent + 4, &format!("{param},"));
            }
            out.line(indent, close);
        }
        let depth = indent + 4;
        match &self.body {
            Body::Open => return out.finish(),
            Body::Struct { members, others: None } => {
                let mut statements = Lines::default();
                for member in members {
                    member.push_text(depth, &mut statements)?;
                }
                if statements.text.is_empty() {
                    out.line(depth, "let _ = c.object(value);");
                } else {
                    out.line(depth, "let ::std::option::Option::Some(object) = c.object(value) else {");
                    out.line(depth + 4, "return;");
                    out.line(depth, "};");
                    out.append(statements);
                }
            }
            // An alternative that takes any value makes the union open: no empty attempts.
            Body::Untagged { attempts, .. } if attempts.iter().any(|a| matches!(a, Check::Nothing)) => return None,
            Body::Untagged { attempts, message } => {
                for (i, check) in attempts.iter().enumerate() {
                    out.line(depth, &format!("let attempt_{i} = c"));
                    out.line(depth + 4, ".attempt(|c| {");
                    check.push_text("value", depth + 8, &mut out)?;
                    out.line(depth + 4, "});");
                    out.line(depth, &format!("if attempt_{i}.is_clean() {{"));
                    out.line(depth + 4, "return;");
                    out.line(depth, "}");
                }
                let message = super::super::string_literal(message);
                let fail = format!("c.fail({message});");
                if depth + fail.len() <= MARGIN {
                    out.line(depth, &fail);
                } else {
                    out.line(depth, "c.fail(");
                    out.long_line(depth + 4, &format!("{message},"));
                    out.line(depth, ");");
                }
                if !attempts.is_empty() {
                    out.line(depth, "c.absorb(attempt_0);");
                }
            }
            Body::Struct { others: Some(_), .. } | Body::Tokens(_) => return None,
        }
        out.line(indent, "}");
        out.finish()
    }
}

/// Lines laid out as prettyplease lays them out, as long as every line is `plain`: ASCII, and
/// within the margin unless prettyplease could not break it either.
struct Lines {
    text: String,
    plain: bool,
}

impl Default for Lines {
    fn default() -> Self {
        Lines { text: String::new(), plain: true }
    }
}

impl Lines {
    /// A line of code indented by `depth` spaces, which must fit within the margin.
    fn line(&mut self, depth: usize, code: &str) {
        self.plain &= depth + code.len() <= MARGIN;
        self.long_line(depth, code);
    }

    /// A line prettyplease prints as it is however long: a doc comment, a function's name and
    /// its opening parenthesis, a string literal or a type path alone.
    fn long_line(&mut self, depth: usize, code: &str) {
        self.plain &= code.is_ascii();
        self.text.extend(std::iter::repeat_n(' ', depth));
        self.text.push_str(code);
        self.text.push('\n');
    }

    fn append(&mut self, other: Lines) {
        self.plain &= other.plain;
        self.text.push_str(&other.text);
    }

    fn finish(self) -> Option<String> {
        self.plain.then_some(self.text)
    }
}

/// For every type of the IR, whether any JSON value is one of it: an alias of such a type, a
/// JWE plaintext (it never travels as JSON of its own), an untagged union with such an
/// alternative. Unions may hold themselves, so this is found from the open types outwards, each
/// type looked at again only when one it depends on turns out open: linear in the IR's size.
pub(super) fn open_types(ir: &Ir) -> Vec<bool> {
    fn depends_on(ty: &TypeRef, out: &mut Vec<usize>) {
        match ty {
            TypeRef::Boxed(inner) => depends_on(inner, out),
            TypeRef::Named(id) => out.push(id.0),
            _ => {}
        }
    }
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); ir.types.len()];
    for (i, def) in ir.types.iter().enumerate() {
        let mut deps = Vec::new();
        match &def.kind {
            TypeKind::Alias(target) => depends_on(target, &mut deps),
            TypeKind::ReExport(target) => deps.push(target.0),
            TypeKind::OneOf(o) if o.tag.is_none() => o.variants.iter().for_each(|v| depends_on(&v.ty, &mut deps)),
            _ => {}
        }
        for d in deps {
            users[d].push(i);
        }
    }
    let mut open = vec![false; ir.types.len()];
    let mut queue: Vec<usize> = Vec::new();
    let settle = |i: usize, open: &mut Vec<bool>, queue: &mut Vec<usize>| {
        if !open[i] && type_accepts_anything(&ir.types[i].kind, open) {
            open[i] = true;
            queue.push(i);
        }
    };
    for i in 0..ir.types.len() {
        settle(i, &mut open, &mut queue);
    }
    while let Some(done) = queue.pop() {
        for &user in &users[done] {
            settle(user, &mut open, &mut queue);
        }
    }
    open
}

fn type_accepts_anything(kind: &TypeKind, open: &[bool]) -> bool {
    match kind {
        TypeKind::Alias(target) => accepts_anything(target, open),
        TypeKind::ReExport(target) => open[target.0],
        TypeKind::Struct(s) => s.plaintext,
        TypeKind::OneOf(o) => o.tag.is_none() && o.variants.iter().any(|v| accepts_anything(&v.ty, open)),
        _ => false,
    }
}

fn accepts_anything(ty: &TypeRef, open: &[bool]) -> bool {
    match ty {
        TypeRef::Json | TypeRef::Bytes => true,
        TypeRef::Boxed(inner) => accepts_anything(inner, open),
        TypeRef::Named(id) => open[id.0],
        _ => false,
    }
}

#[derive(Clone, Copy)]
enum Scalar {
    Integer,
    Number,
    Boolean,
}

#[cfg(test)]
mod tests {
    use super::super::super::{render_block, render_items};
    use super::*;

    /// What prettyplease prints for the function's tokens in a block indented by `indent`
    /// spaces: a `mod checks` (4) or the `common` module's top level (0).
    fn printed(function: &Function, indent: usize) -> String {
        if indent == 0 {
            return render_items(function.tokens(), "test").unwrap();
        }
        let block = render_block(quote!(mod checks), [function.tokens()], "test").unwrap();
        block.strip_prefix("mod checks {\n").and_then(|b| b.strip_suffix("}\n")).unwrap().to_string()
    }

    /// Texts compared with prettyplease's printing, and how many functions were left to it.
    #[derive(Default)]
    struct Seen {
        texts: String,
        as_text: usize,
        left: usize,
    }

    impl Seen {
        fn compare(&mut self, function: &Function) {
            for indent in [0, 4] {
                match function.text(indent) {
                    Some(text) => {
                        assert_eq!(text, printed(function, indent), "{indent}: {}", function.tokens());
                        self.texts.push_str(&text);
                        self.as_text += 1;
                    }
                    None => self.left += 1,
                }
            }
        }

        /// Asserts that each layout was printed as text: a line (at any depth) with this start
        /// and end.
        fn assert_printed(&self, layouts: &[(&str, &str)]) {
            let lines: BTreeSet<&str> = self.texts.lines().map(str::trim_start).collect();
            for (start, end) in layouts {
                assert!(lines.iter().any(|l| l.starts_with(start) && l.ends_with(end)), "{start}…{end}");
            }
        }
    }

    fn function(name_length: usize, body: Body) -> Function {
        let name = format!("c{}", "n".repeat(name_length));
        Function { doc: format!("Check a JSON value against `m::{}`.", "N".repeat(name_length)), name, body }
    }

    /// Every kind of value check, with names and type paths of `n` characters.
    fn checks(n: usize) -> Vec<Check> {
        let long_type = format!("::d1_types::m::T{}", "t".repeat(n));
        let leaf = || Check::Leaf(path_tokens(&long_type));
        let f = format!("check_{}", "f".repeat(n));
        let calls = [Call::String, Call::I32, Call::I64, Call::Number, Call::Boolean, Call::AnyArray, Call::AnyObject];
        let mut checks: Vec<Check> = calls.into_iter().map(Check::Call).collect();
        checks.extend([
            Check::Nothing,
            leaf(),
            Check::Leaf(quote!(::d1_runtime::jwe::Jwe<::d1_types::m::Plain, 4096>)),
            Check::Function(f.clone()),
            Check::Function(format!("crate::server::common::{f}")),
            Check::Items(Box::new(Check::Function(f.clone()))),
            Check::Items(Box::new(leaf())),
            Check::Members(Box::new(Check::Items(Box::new(Check::Function(f.clone()))))),
            // Deep enough for the integer check to break.
            Check::Items(Box::new(Check::Items(Box::new(Check::Members(Box::new(Check::Items(Box::new(
                Check::Items(Box::new(Check::Call(Call::I32))),
            )))))))),
        ]);
        checks
    }

    /// Struct members of every kind, with keys, check function names and type paths of every
    /// length up to past the margin: the text equals prettyplease's printing, and where a line
    /// would be over the margin the tokens are printed.
    #[test]
    fn struct_checks_print_as_prettyplease_prints_them() {
        let mut seen = Seen::default();
        for n in 0..100 {
            for (k, check) in checks(n).into_iter().enumerate() {
                // Keys and paths of lengths independent of each other.
                let key = format!("{}{}", "k".repeat(n * 37 % 100), ["", "\"quoted\\", "é"][(n + k) % 3]);
                for (nullable, required) in [(false, false), (true, false), (false, true), (true, true)] {
                    let member = MemberCheck { key: key.clone(), check: check.clone(), nullable, required };
                    let body = Body::Struct { members: vec![member], others: None };
                    seen.compare(&function(n % 40, body));
                }
            }
        }
        assert!(seen.as_text > 4000 && seen.left > 4000, "{} {}", seen.as_text, seen.left);
        let get = "if let ::std::option::Option::Some(member) = object";
        seen.assert_printed(&[
            // The three layouts of the member's `if let`.
            (get, ") {"),
            (get, "\")"),
            (get, "object"),
            (".get(", "\")"),
            ("{", "{"),
            // Broken calls, and lines over the margin that prettyplease does not break.
            ("check_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "("),
            ("::std::option::Option::None,", ""),
            ("c.leaf::<", "<"),
            ("::d1_types::m::Ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt", ","),
            (">(member);", ""),
            ("c.missing(\"", "\\\"quoted\\\\\");"),
            ("} else {", ""),
            ("let _ = c.array(member);", ""),
            ("for (key, item) in c.members(member) {", ""),
            ("let mark = c.enter_index(index);", ""),
        ]);
    }

    /// Functions with names of every length, bodies of every kind: empty structs, several
    /// members, open types, untagged unions with each kind of alternative and messages of every
    /// length. Other members' loops and tagged unions are printed from tokens.
    #[test]
    fn check_functions_print_as_prettyplease_prints_them() {
        let mut seen = Seen::default();
        for n in 0..130 {
            let member =
                |key: &str, check| MemberCheck { key: key.to_string(), check, nullable: false, required: true };
            let bodies = [
                Body::Open,
                Body::Struct { members: Vec::new(), others: None },
                Body::Struct { members: vec![member("any", Check::Nothing)], others: None },
                Body::Struct {
                    members: vec![member("a", Check::Call(Call::String)), member("b", Check::Nothing)],
                    others: None,
                },
                Body::Untagged { attempts: Vec::new(), message: "matches none of the 0 alternatives of `U`".into() },
            ];
            for body in bodies {
                seen.compare(&function(n, body));
            }
            // Each kind of alternative, after a plain one.
            let message = format!("matches none of `{}`", "U".repeat(n));
            for check in checks(n % 90).into_iter().filter(|c| !matches!(c, Check::Nothing)) {
                let attempts = vec![Check::Call(Call::String), check];
                seen.compare(&function(n % 40, Body::Untagged { attempts, message: message.clone() }));
            }
            let others = Body::Struct { members: Vec::new(), others: Some(quote!(for key in object.keys() {})) };
            let tagged = Body::Tokens(quote!(c.string(value);));
            let open_attempt = Body::Untagged { attempts: vec![Check::Nothing], message: String::new() };
            for body in [others, tagged, open_attempt] {
                let function = function(n, body);
                assert!(function.text(0).is_none() && function.text(4).is_none());
            }
        }
        assert!(seen.as_text > 4000 && seen.left < 300, "{} {}", seen.as_text, seen.left);
        seen.assert_printed(&[
            (
                "pub(crate) fn cnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
                "(",
            ),
            ("pub(crate) fn cnn(", ""),
            ("pub(crate) fn c(value: &Value, c: &mut Checker, _skip: ::std::option::Option<&str>) {", ""),
            (") {}", ""),
            ("let _ = c.object(value);", ""),
            ("c.fail(\"matches none of `U`\");", ""),
            ("c.fail(", "("),
            ("\"matches none of `UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU", "`\","),
            (".attempt(|c| {", ""),
            ("check_fffffffffffffffffffff(", ""),
            ("c.leaf::<", "<"),
            ("c.absorb(attempt_0);", ""),
        ]);
    }
}
