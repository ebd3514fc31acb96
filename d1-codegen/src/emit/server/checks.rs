//! The server's checks of request bodies: one function per struct or union, walking a
//! `serde_json::Value` the way the type's `Deserialize` would read it but recording every
//! violation with its JSON Pointer instead of stopping at the first. Leaves whose types check
//! themselves (validated newtypes, sealed JWE values) are checked by deserializing them.
//!
//! Each module holds the checks of its own types: an API module's, in a `checks` module inside
//! its server file (only those its bodies reach), and the shared types', all of them, in the
//! server's `common` module. So an API's file depends on its own spec and the shared types only.
//! The functions' names come from the naming stage ([`crate::ir::TypeDef::check`]).

use super::super::{ident, path_tokens, type_tokens, Scope};
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
    fn function(&mut self, id: TypeId) -> TokenStream {
        let def = self.ir.ty(id);
        let f = ident(def.check.as_deref().unwrap_or("check_unnamed"));
        if def.module == self.module {
            self.wanted.insert(id);
            return if self.in_functions { quote!(#f) } else { quote!(checks::#f) };
        }
        // Another module's type can only be a shared one.
        let root = path_tokens(&self.root);
        quote!(#root::common::#f)
    }

    /// Statements checking the value `v` (an expression of type `&Value`) against `ty`, with a
    /// `c: &mut Checker` in scope. `skip` names a member a struct check must not report as
    /// unknown (the tag of a tagged union).
    pub(super) fn expr(&mut self, ty: &TypeRef, v: TokenStream, skip: TokenStream) -> TokenStream {
        let scope_crate = self.types_crate.clone();
        let scope = Scope::External(&scope_crate);
        match ty {
            TypeRef::String => quote!(c.string(#v);),
            TypeRef::Integer(IntWidth::I32) => quote!(c.integer(#v, i64::from(i32::MIN), i64::from(i32::MAX));),
            TypeRef::Integer(IntWidth::I64) => quote!(c.integer(#v, i64::MIN, i64::MAX);),
            TypeRef::Number => quote!(c.number(#v);),
            TypeRef::Boolean => quote!(c.boolean(#v);),
            TypeRef::Json | TypeRef::Bytes => TokenStream::new(),
            TypeRef::JsonObject => quote!(let _ = c.object(#v);),
            TypeRef::Boxed(inner) => self.expr(inner, v, skip),
            TypeRef::Array(item) => {
                let inner = self.expr(item, quote!(item), quote!(::std::option::Option::None));
                if inner.is_empty() {
                    // Items of any value: only the shape is checked.
                    return quote!(let _ = c.array(#v););
                }
                quote! {
                    for (index, item) in c.items(#v) {
                        let mark = c.enter_index(index);
                        #inner
                        c.leave(mark);
                    }
                }
            }
            TypeRef::Map(value) => {
                let inner = self.expr(value, quote!(item), quote!(::std::option::Option::None));
                if inner.is_empty() {
                    // Members of any value: only the shape is checked.
                    return quote!(let _ = c.object(#v););
                }
                quote! {
                    for (key, item) in c.members(#v) {
                        let mark = c.enter(key);
                        #inner
                        c.leave(mark);
                    }
                }
            }
            TypeRef::Sealed { .. } => {
                let t = type_tokens(self.ir, ty, scope);
                quote!(c.leaf::<#t>(#v);)
            }
            TypeRef::Named(id) => {
                let def = self.ir.ty(*id);
                match &def.kind {
                    TypeKind::Newtype(_) => {
                        let t = type_tokens(self.ir, ty, scope);
                        quote!(c.leaf::<#t>(#v);)
                    }
                    TypeKind::StringEnum(_) => quote!(c.string(#v);),
                    TypeKind::Alias(target) => {
                        let target = target.clone();
                        self.expr(&target, v, skip)
                    }
                    TypeKind::ReExport(target) => self.expr(&TypeRef::Named(*target), v, skip),
                    // A JWE plaintext never travels as JSON of its own; a union with an
                    // alternative that takes any value takes every value.
                    TypeKind::Struct(_) | TypeKind::OneOf(_) if self.accepts_anything(ty) => TokenStream::new(),
                    TypeKind::Struct(_) | TypeKind::OneOf(_) => {
                        let f = self.function(*id);
                        quote!(#f(#v, c, #skip);)
                    }
                }
            }
        }
    }

    /// Whether any JSON value is one of `ty`, so that [`Self::expr`] checks nothing.
    fn accepts_anything(&self, ty: &TypeRef) -> bool {
        accepts_anything(ty, self.open)
    }

    /// The members of a form body that must be converted from text before checking.
    pub(super) fn form_fields(&self, ty: &TypeRef) -> Vec<(String, TokenStream)> {
        let Some(TypeKind::Struct(s)) = self.resolve(ty).map(|id| &self.ir.ty(id).kind) else {
            return Vec::new();
        };
        s.fields
            .iter()
            .filter_map(|f| {
                let kind = match self.scalar_kind(&f.ty)? {
                    Scalar::Integer => quote!(::d1_runtime::server::Scalar::Integer),
                    Scalar::Number => quote!(::d1_runtime::server::Scalar::Number),
                    Scalar::Boolean => quote!(::d1_runtime::server::Scalar::Boolean),
                };
                Some((f.name.clone(), kind))
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
    /// sorted by name.
    pub(super) fn finish(mut self) -> Vec<TokenStream> {
        self.in_functions = true;
        let mut functions: BTreeMap<String, TokenStream> = BTreeMap::new();
        let mut done: BTreeSet<TypeId> = BTreeSet::new();
        loop {
            let pending: Vec<TypeId> = self.wanted.difference(&done).copied().collect();
            if pending.is_empty() {
                break;
            }
            for id in pending {
                done.insert(id);
                let name = self.ir.ty(id).check.clone().unwrap_or_default();
                let f = self.function_body(id, &name);
                functions.insert(name, f);
            }
        }
        functions.into_values().collect()
    }

    fn function_body(&mut self, id: TypeId, name: &str) -> TokenStream {
        let def = self.ir.ty(id);
        let f = ident(name);
        let doc = format!(" Check a JSON value against `{}::{}`.", def.module.name(), def.name);
        match def.kind.clone() {
            TypeKind::Struct(s) => {
                let mut members = Vec::new();
                let known: Vec<&str> = s.fields.iter().map(|f| f.name.as_str()).collect();
                for field in &s.fields {
                    let key = &field.name;
                    let inner = self.expr(&field.ty, quote!(member), quote!(::std::option::Option::None));
                    let null = if field.nullable { TokenStream::new() } else { quote!(c.null();) };
                    let check = match (inner.is_empty(), null.is_empty()) {
                        (true, true) => TokenStream::new(),
                        (true, false) => quote!(if member.is_null() { #null }),
                        (false, true) => quote!(if !member.is_null() { #inner }),
                        (false, false) => quote!(if member.is_null() { #null } else { #inner }),
                    };
                    if check.is_empty() {
                        // Any value will do: only whether a required member is there is checked.
                        if field.required {
                            members.push(quote! {
                                if !object.contains_key(#key) {
                                    c.missing(#key);
                                }
                            });
                        }
                        continue;
                    }
                    let missing = if field.required { quote!(else { c.missing(#key); }) } else { TokenStream::new() };
                    members.push(quote! {
                        if let ::std::option::Option::Some(member) = object.get(#key) {
                            let mark = c.enter(#key);
                            #check
                            c.leave(mark);
                        } #missing
                    });
                }
                // What to do with a member the struct does not name: check it, or report it.
                let others = match &s.additional {
                    Some(additional) => {
                        let inner = self.expr(additional, quote!(member), quote!(::std::option::Option::None));
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
                let (skip_param, loop_) = match others {
                    Some((binding, action)) => {
                        let named = if known.is_empty() {
                            TokenStream::new()
                        } else {
                            quote!(|| matches!(key.as_str(), #(#known)|*))
                        };
                        (
                            quote!(skip),
                            quote! {
                                for #binding {
                                    if skip == ::std::option::Option::Some(key.as_str()) #named {
                                        continue;
                                    }
                                    #action
                                }
                            },
                        )
                    }
                    None => (quote!(_skip), TokenStream::new()),
                };
                let binding = if members.is_empty() && loop_.is_empty() {
                    quote!(let _ = c.object(value);)
                } else {
                    quote!(let ::std::option::Option::Some(object) = c.object(value) else { return; };)
                };
                quote! {
                    #[doc = #doc]
                    pub(crate) fn #f(value: &Value, c: &mut Checker, #skip_param: ::std::option::Option<&str>) {
                        #binding
                        #(#members)*
                        #loop_
                    }
                }
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
                    quote! {
                        #[doc = #doc]
                        pub(crate) fn #f(value: &Value, c: &mut Checker, _skip: ::std::option::Option<&str>) {
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
                        }
                    }
                }
                None if o.variants.iter().any(|v| self.accepts_anything(&v.ty)) => {
                    // One alternative takes any value, so every value matches.
                    quote! {
                        #[doc = #doc]
                        pub(crate) fn #f(_value: &Value, _c: &mut Checker, _skip: ::std::option::Option<&str>) {}
                    }
                }
                None => {
                    let count = o.variants.len();
                    let mut attempts = Vec::new();
                    for (i, variant) in o.variants.iter().enumerate() {
                        let inner = self.expr(&variant.ty, quote!(value), quote!(::std::option::Option::None));
                        let var = ident(&format!("attempt_{i}"));
                        attempts.push(quote! {
                            let #var = c.attempt(|c| { #inner });
                            if #var.is_clean() {
                                return;
                            }
                        });
                    }
                    let message = format!("matches none of the {count} alternatives of `{}`", def.name);
                    let first = if count > 0 { quote!(c.absorb(attempt_0);) } else { TokenStream::new() };
                    quote! {
                        #[doc = #doc]
                        pub(crate) fn #f(value: &Value, c: &mut Checker, _skip: ::std::option::Option<&str>) {
                            #(#attempts)*
                            c.fail(#message);
                            #first
                        }
                    }
                }
            },
            // Only structs and unions are registered.
            _ => quote! {
                #[doc = #doc]
                pub(crate) fn #f(_value: &Value, _c: &mut Checker, _skip: ::std::option::Option<&str>) {}
            },
        }
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
