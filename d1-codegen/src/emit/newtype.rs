//! Validated newtypes: a private field, one `check` that every way in (`new`, `TryFrom`,
//! `FromStr`, `Deserialize`) goes through, and errors that name the type and the constraint.

use super::{ident, runtime_path, MARGIN};
use crate::error::Error;
use crate::ir::{BoundValue, IntWidth, Newtype, NewtypeInner, TypeDef};
use crate::pattern;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The doc comment of a newtype: the schema's description, its constraints and, for a sensitive
/// value, how it is kept out of logs.
pub(super) fn doc(def: &TypeDef, n: &Newtype) -> String {
    let mut doc = def.doc.clone().unwrap_or_default();
    let summary = n.constraints.summary();
    if !summary.is_empty() {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(&format!("Constraints: {summary}."));
    }
    if n.sensitive {
        if !doc.is_empty() {
            doc.push_str("\n\n");
        }
        doc.push_str(if n.plaintext {
            "Holds card data: `Debug` and `Display` are redacted and the value is zeroized on drop."
        } else {
            "Sensitive (declared with `x-d1-redact`): `Debug` and `Display` are redacted, so the value \
             never reaches a log through them; it is zeroized on drop. Read it with [`Self::expose`]. \
             The JSON form is the plain string."
        });
    }
    doc
}

/// The items of the newtype `def` under the name `type_name`, without its [`doc`]; `item` is the
/// item type of an array newtype, as written where it is defined.
pub(super) fn emit(def: &TypeDef, type_name: &str, n: &Newtype, item: TokenStream) -> Result<TokenStream, Error> {
    let name = ident(type_name);
    let validation = runtime_path("validation");
    match &n.inner {
        NewtypeInner::String => string(def, n, &name, type_name, &validation),
        NewtypeInner::Integer(width) => {
            let prim = match width {
                IntWidth::I32 => quote!(i32),
                IntWidth::I64 => quote!(i64),
            };
            Ok(number(n, &name, type_name, &validation, prim, true))
        }
        NewtypeInner::Number => Ok(number(n, &name, type_name, &validation, quote!(f64), false)),
        NewtypeInner::Array(_) => Ok(array(n, &name, type_name, &validation, item)),
    }
}

fn string(
    def: &TypeDef,
    n: &Newtype,
    name: &proc_macro2::Ident,
    type_name: &str,
    validation: &TokenStream,
) -> Result<TokenStream, Error> {
    let c = &n.constraints;
    let shown = if n.sensitive { quote!(None) } else { quote!(Some(value)) };
    let err = |violation: TokenStream| quote!(return Err(#validation::ValidationError::new(#type_name, #validation::Violation::#violation, #shown)));
    let mut consts = Vec::new();
    let mut checks = Vec::new();
    if c.min_length.is_some() || c.max_length.is_some() {
        checks.push(quote!(let length = value.chars().count();));
    }
    if let Some(min) = c.min_length {
        let min = Literal::usize_unsuffixed(min as usize);
        consts.push(quote!(#[doc = " The fewest characters a value may have."] pub const MIN_LENGTH: usize = #min;));
        let e = err(quote!(TooShort { min: Self::MIN_LENGTH, actual: length }));
        checks.push(quote!(if length < Self::MIN_LENGTH { #e; }));
    }
    if let Some(max) = c.max_length {
        let max = Literal::usize_unsuffixed(max as usize);
        consts.push(quote!(#[doc = " The most characters a value may have."] pub const MAX_LENGTH: usize = #max;));
        let e = err(quote!(TooLong { max: Self::MAX_LENGTH, actual: length }));
        checks.push(quote!(if length > Self::MAX_LENGTH { #e; }));
    }
    if let Some(p) = &c.pattern {
        let compiled = pattern::compile(p).map_err(|e| Error::new(&def.location, format!("invalid pattern: {e}")))?;
        let matches = compiled.matches_expr(&ident("value"));
        consts.push(quote!(#[doc = " The ECMA-262 pattern every value matches (not anchored unless it says so)."] pub const PATTERN: &'static str = #p;));
        let e = err(quote!(PatternMismatch { pattern: Self::PATTERN }));
        // Bound first: negating the compiled expression in place can read as a double negation.
        checks.push(quote! {
            let matched = #matches;
            if !matched { #e; }
        });
    }
    if c.luhn {
        let e = err(quote!(LuhnCheck));
        checks.push(quote!(if !#validation::luhn_valid(value) { #e; }));
    }
    let param = if checks.is_empty() { ident("_value") } else { ident("value") };
    let as_str = if n.sensitive {
        quote! {
            /// The value in clear: the only way to read it. Never log what this returns.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// The value in clear, like [`Self::expose`]. Never log what this returns.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    } else {
        quote! {
            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
    let common = quote! {
        impl #name {
            #(#consts)*

            /// Validate `value` and wrap it.
            pub fn new(value: impl Into<::std::string::String>) -> ::std::result::Result<Self, #validation::ValidationError> {
                let value = value.into();
                Self::try_from(value)
            }

            #as_str

            fn check(#param: &str) -> ::std::result::Result<(), #validation::ValidationError> {
                #(#checks)*
                Ok(())
            }
        }

        impl ::std::convert::TryFrom<&str> for #name {
            type Error = #validation::ValidationError;
            fn try_from(value: &str) -> ::std::result::Result<Self, Self::Error> {
                Self::check(value)?;
                Ok(Self(value.to_string()))
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = #validation::ValidationError;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::try_from(value)
            }
        }

        impl ::std::convert::AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
    if n.sensitive {
        let display = match n.reveal_last {
            Some(k) => {
                let k = Literal::usize_unsuffixed(k);
                quote!(#validation::mask(&self.0, #k))
            }
            None => quote!("<redacted>"),
        };
        // A declared-sensitive wire member: the JSON form is the plain string; a value that
        // fails validation is zeroized (by `TryFrom<String>`) and never quoted in the error.
        let wire = if n.plaintext {
            TokenStream::new()
        } else {
            quote! {
                impl ::serde::Serialize for #name {
                    fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                        serializer.serialize_str(&self.0)
                    }
                }

                impl<'de> ::serde::Deserialize<'de> for #name {
                    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                        let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                        Self::try_from(value).map_err(::serde::de::Error::custom)
                    }
                }
            }
        };
        return Ok(quote! {
            #[derive(Clone, PartialEq, Eq)]
            pub struct #name(::std::string::String);

            #common

            impl ::std::convert::TryFrom<::std::string::String> for #name {
                type Error = #validation::ValidationError;
                fn try_from(mut value: ::std::string::String) -> ::std::result::Result<Self, Self::Error> {
                    match Self::check(&value) {
                        Ok(()) => Ok(Self(value)),
                        Err(error) => {
                            ::d1_runtime::zeroize::Zeroize::zeroize(&mut value);
                            Err(error)
                        }
                    }
                }
            }

            impl ::std::fmt::Debug for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_tuple(#type_name).field(&#display).finish()
                }
            }

            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    ::std::fmt::Display::fmt(&#display, f)
                }
            }

            impl ::std::ops::Drop for #name {
                fn drop(&mut self) {
                    ::d1_runtime::zeroize::Zeroize::zeroize(&mut self.0);
                }
            }

            #wire
        });
    }
    Ok(quote! {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]
        #[serde(transparent)]
        pub struct #name(::std::string::String);

        #common

        impl #name {
            /// The owned string.
            pub fn into_inner(self) -> ::std::string::String {
                self.0
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for #name {
            type Error = #validation::ValidationError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, Self::Error> {
                Self::check(&value)?;
                Ok(Self(value))
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl ::std::convert::From<#name> for ::std::string::String {
            fn from(value: #name) -> Self {
                value.0
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::try_from(value).map_err(::serde::de::Error::custom)
            }
        }
    })
}

fn number(
    n: &Newtype,
    name: &proc_macro2::Ident,
    type_name: &str,
    validation: &TokenStream,
    prim: TokenStream,
    integer: bool,
) -> TokenStream {
    let c = &n.constraints;
    let lit = |v: BoundValue| match v {
        BoundValue::Integer(v) if integer => {
            let v = Literal::i64_unsuffixed(v);
            quote!(#v)
        }
        v => {
            let v = Literal::f64_suffixed(v.as_f64());
            quote!(#v)
        }
    };
    let err = |violation: TokenStream| quote!(return Err(#validation::ValidationError::new(#type_name, #validation::Violation::#violation, Some(&value.to_string()))));
    let mut consts = Vec::new();
    let mut checks = Vec::new();
    if !integer {
        let e = err(quote!(Malformed { expected: "a finite number" }));
        checks.push(quote!(if !value.is_finite() { #e; }));
    }
    if let Some(b) = c.minimum {
        let v = lit(b.value);
        let exclusive = b.exclusive;
        consts.push(quote!(#[doc = " The lower bound."] pub const MINIMUM: #prim = #v;));
        let cmp = if exclusive { quote!(value <= Self::MINIMUM) } else { quote!(value < Self::MINIMUM) };
        let shown = b.value.as_f64();
        let e = err(quote!(BelowMinimum { minimum: #shown, exclusive: #exclusive }));
        checks.push(quote!(if #cmp { #e; }));
    }
    if let Some(b) = c.maximum {
        let v = lit(b.value);
        let exclusive = b.exclusive;
        consts.push(quote!(#[doc = " The upper bound."] pub const MAXIMUM: #prim = #v;));
        let cmp = if exclusive { quote!(value >= Self::MAXIMUM) } else { quote!(value > Self::MAXIMUM) };
        let shown = b.value.as_f64();
        let e = err(quote!(AboveMaximum { maximum: #shown, exclusive: #exclusive }));
        checks.push(quote!(if #cmp { #e; }));
    }
    let derives = if integer {
        quote!(#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)])
    } else {
        quote!(#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, ::serde::Serialize)])
    };
    // Integers report digits beyond their width as out of range, not as malformed.
    let (parse_text, read_json) = if integer {
        (
            quote!(let value: #prim = #validation::parse_integer(#type_name, text)?;),
            quote!(let value: #prim = #validation::deserialize_integer(deserializer, #type_name)?;),
        )
    } else {
        (
            quote! {
                let value: #prim = text.trim().parse().map_err(|_| {
                    #validation::ValidationError::new(#type_name, #validation::Violation::Malformed { expected: "a number" }, Some(text))
                })?;
            },
            quote!(let value = <#prim as ::serde::Deserialize>::deserialize(deserializer)?;),
        )
    };
    quote! {
        #derives
        #[serde(transparent)]
        pub struct #name(#prim);

        impl #name {
            #(#consts)*

            /// Validate `value` and wrap it.
            pub fn new(value: #prim) -> ::std::result::Result<Self, #validation::ValidationError> {
                Self::check(value)?;
                Ok(Self(value))
            }

            /// The number.
            pub fn get(self) -> #prim {
                self.0
            }

            fn check(value: #prim) -> ::std::result::Result<(), #validation::ValidationError> {
                #(#checks)*
                Ok(())
            }
        }

        impl ::std::convert::TryFrom<#prim> for #name {
            type Error = #validation::ValidationError;
            fn try_from(value: #prim) -> ::std::result::Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl ::std::convert::From<#name> for #prim {
            fn from(value: #name) -> Self {
                value.0
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = #validation::ValidationError;
            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                #parse_text
                Self::new(value)
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                #read_json
                Self::new(value).map_err(::serde::de::Error::custom)
            }
        }
    }
}

fn array(
    n: &Newtype,
    name: &proc_macro2::Ident,
    type_name: &str,
    validation: &TokenStream,
    item: TokenStream,
) -> TokenStream {
    let c = &n.constraints;
    let mut consts = Vec::new();
    let mut checks = Vec::new();
    if let Some(min) = c.min_items {
        let min = Literal::usize_unsuffixed(min as usize);
        consts.push(quote!(#[doc = " The fewest items allowed."] pub const MIN_ITEMS: usize = #min;));
        checks.push(quote!(if items.len() < Self::MIN_ITEMS {
            return Err(#validation::ValidationError::new(#type_name, #validation::Violation::TooFewItems { min: Self::MIN_ITEMS, actual: items.len() }, None));
        }));
    }
    if let Some(max) = c.max_items {
        let max = Literal::usize_unsuffixed(max as usize);
        consts.push(quote!(#[doc = " The most items allowed."] pub const MAX_ITEMS: usize = #max;));
        checks.push(quote!(if items.len() > Self::MAX_ITEMS {
            return Err(#validation::ValidationError::new(#type_name, #validation::Violation::TooManyItems { max: Self::MAX_ITEMS, actual: items.len() }, None));
        }));
    }
    if c.unique_items {
        checks.push(quote!(if let ::std::option::Option::Some((first, second)) = #validation::first_duplicate(items) {
            return Err(#validation::ValidationError::new(#type_name, #validation::Violation::DuplicateItems { first, second }, None));
        }));
    }
    quote! {
        #[derive(Clone, Debug, PartialEq, ::serde::Serialize)]
        #[serde(transparent)]
        pub struct #name(::std::vec::Vec<#item>);

        impl #name {
            #(#consts)*

            /// Check the items against the constraints and wrap them.
            pub fn new(items: ::std::vec::Vec<#item>) -> ::std::result::Result<Self, #validation::ValidationError> {
                Self::check(&items)?;
                Ok(Self(items))
            }

            /// The items.
            pub fn as_slice(&self) -> &[#item] {
                &self.0
            }

            /// The owned items.
            pub fn into_inner(self) -> ::std::vec::Vec<#item> {
                self.0
            }

            fn check(items: &[#item]) -> ::std::result::Result<(), #validation::ValidationError> {
                #(#checks)*
                Ok(())
            }
        }

        impl ::std::convert::TryFrom<::std::vec::Vec<#item>> for #name {
            type Error = #validation::ValidationError;
            fn try_from(items: ::std::vec::Vec<#item>) -> ::std::result::Result<Self, Self::Error> {
                Self::new(items)
            }
        }

        impl ::std::convert::From<#name> for ::std::vec::Vec<#item> {
            fn from(value: #name) -> Self {
                value.0
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let items = <::std::vec::Vec<#item> as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::new(items).map_err(::serde::de::Error::custom)
            }
        }
    }
}

/// The runtime's validation module, as [`runtime_path`] prints it.
const VALIDATION: &str = "::d1_runtime::validation";

/// The items of [`emit`] printed as prettyplease prints their tokens (`item`: an array's item
/// type as [`super::type_text`] prints it); `None` where the name or the item type is not ASCII
/// or so long that a line holding it breaks where this does not break it (or overflows): print
/// [`emit`]'s tokens then. Only the lines holding the name or the item type change with them,
/// each broken here where prettyplease breaks it; a pattern's constant and matcher are printed
/// from their tokens.
pub(super) fn text(
    def: &TypeDef,
    type_name: &str,
    n: &Newtype,
    item: Option<&str>,
    what: &str,
) -> Result<Option<String>, Error> {
    if !type_name.is_ascii() {
        return Ok(None);
    }
    let text = match &n.inner {
        NewtypeInner::String => string_text(def, type_name, n, what)?,
        NewtypeInner::Integer(IntWidth::I32) => number_text(type_name, n, "i32", true),
        NewtypeInner::Integer(IntWidth::I64) => number_text(type_name, n, "i64", true),
        NewtypeInner::Number => number_text(type_name, n, "f64", false),
        NewtypeInner::Array(_) => item.and_then(|item| array_text(type_name, n, item)),
    };
    Ok(text.filter(|t| laid_out(t)))
}

/// Whether every line of `text` is ASCII and within the margin, but the one fixed line known to
/// overflow: a line holding the name or the item type that prettyplease would break further is
/// left to it.
fn laid_out(text: &str) -> bool {
    let mut start = 0;
    text.is_ascii()
        && memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]).all(|end| {
            let line = &text[start..end];
            start = end + 1;
            line.len() <= MARGIN || line == FIRST_DUPLICATE
        })
}

/// The head of the duplicate check of an array, as prettyplease prints it: longer than the
/// margin, yet not broken further.
const FIRST_DUPLICATE: &str =
    "        if let ::std::option::Option::Some((first, second)) = ::d1_runtime::validation::first_duplicate(";

/// [`text`] for an array newtype (see [`array()`]).
fn array_text(name: &str, n: &Newtype, item: &str) -> Option<String> {
    let c = &n.constraints;
    let quoted = super::string_literal(name);
    let vec = format!("::std::vec::Vec<{item}>");
    let mut consts = String::new();
    let mut checks = String::new();
    if let Some(min) = c.min_items {
        consts.push_str(&format!("    /// The fewest items allowed.\n    pub const MIN_ITEMS: usize = {min};\n"));
        let fields = ["min: Self::MIN_ITEMS", "actual: items.len()"];
        failure(&mut checks, "items.len() < Self::MIN_ITEMS", &quoted, "TooFewItems", &fields, "None");
    }
    if let Some(max) = c.max_items {
        consts.push_str(&format!("    /// The most items allowed.\n    pub const MAX_ITEMS: usize = {max};\n"));
        let fields = ["max: Self::MAX_ITEMS", "actual: items.len()"];
        failure(&mut checks, "items.len() > Self::MAX_ITEMS", &quoted, "TooManyItems", &fields, "None");
    }
    if c.unique_items {
        let cond = format!("{}\n            items,\n        )", FIRST_DUPLICATE.trim_start().trim_start_matches("if "));
        failure(&mut checks, &cond, &quoted, "DuplicateItems", &["first", "second"], "None");
    }
    let mut out = String::from("#[derive(Clone, Debug, PartialEq, ::serde::Serialize)]\n#[serde(transparent)]\n");
    tuple_struct(&mut out, name, &vec);
    inherent_impl(&mut out, name)?;
    out.push_str(&format!(
        "{consts}    /// Check the items against the constraints and wrap them.
    pub fn new(
        items: {vec},
    ) -> ::std::result::Result<Self, {VALIDATION}::ValidationError> {{
        Self::check(&items)?;
        Ok(Self(items))
    }}
    /// The items.
    pub fn as_slice(&self) -> &[{item}] {{
        &self.0
    }}
    /// The owned items.
    pub fn into_inner(self) -> {vec} {{
        self.0
    }}
    fn check(
        items: &[{item}],
    ) -> ::std::result::Result<(), {VALIDATION}::ValidationError> {{
{checks}        Ok(())
    }}
}}
"
    ));
    impl_for(&mut out, &format!("impl ::std::convert::TryFrom<{vec}>"), name)?;
    out.push_str(&format!(
        "    type Error = {VALIDATION}::ValidationError;
    fn try_from(
        items: {vec},
    ) -> ::std::result::Result<Self, Self::Error> {{
        Self::new(items)
    }}
}}
"
    ));
    into_primitive(&mut out, name, &vec)?;
    impl_for(&mut out, "impl<'de> ::serde::Deserialize<'de>", name)?;
    out.push_str(DESERIALIZE_HEAD);
    out.push_str(&format!(
        "        let items = <::std::vec::Vec<
            {item},
        > as ::serde::Deserialize>::deserialize(deserializer)?;
        Self::new(items).map_err(::serde::de::Error::custom)
    }}
}}
"
    ));
    Some(out)
}

/// [`text`] for a string newtype, sensitive or not (see [`string`]).
fn string_text(def: &TypeDef, name: &str, n: &Newtype, what: &str) -> Result<Option<String>, Error> {
    let c = &n.constraints;
    let quoted = super::string_literal(name);
    let shown = if n.sensitive { "None" } else { "Some(value)" };
    let mut consts = String::new();
    let mut checks = String::new();
    if c.min_length.is_some() || c.max_length.is_some() {
        checks.push_str("        let length = value.chars().count();\n");
    }
    if let Some(min) = c.min_length {
        consts.push_str(&format!(
            "    /// The fewest characters a value may have.\n    pub const MIN_LENGTH: usize = {min};\n"
        ));
        failure(
            &mut checks,
            "length < Self::MIN_LENGTH",
            &quoted,
            "TooShort",
            &["min: Self::MIN_LENGTH", "actual: length"],
            shown,
        );
    }
    if let Some(max) = c.max_length {
        consts.push_str(&format!(
            "    /// The most characters a value may have.\n    pub const MAX_LENGTH: usize = {max};\n"
        ));
        failure(
            &mut checks,
            "length > Self::MAX_LENGTH",
            &quoted,
            "TooLong",
            &["max: Self::MAX_LENGTH", "actual: length"],
            shown,
        );
    }
    if let Some(p) = &c.pattern {
        // The pattern's literal and the matcher's expression may break anywhere: printed from
        // their tokens, the matcher's statement inside a function of its own (a statement's lines
        // do not depend on its neighbours).
        let compiled = pattern::compile(p).map_err(|e| Error::new(&def.location, format!("invalid pattern: {e}")))?;
        let matches = compiled.matches_expr(&ident("value"));
        let printed = super::members_text(
            quote! {
                #[doc = " The ECMA-262 pattern every value matches (not anchored unless it says so)."]
                pub const PATTERN: &'static str = #p;
                fn check() { let matched = #matches; }
            },
            what,
        )?;
        let Some((constant, matcher)) = printed.split_once("    fn check() {\n") else {
            return Ok(None);
        };
        let Some(matcher) = matcher.strip_suffix("    }\n") else {
            return Ok(None);
        };
        consts.push_str(constant);
        checks.push_str(matcher);
        failure(&mut checks, "!matched", &quoted, "PatternMismatch", &["pattern: Self::PATTERN"], shown);
    }
    if c.luhn {
        failure(&mut checks, &format!("!{VALIDATION}::luhn_valid(value)"), &quoted, "LuhnCheck", &[], shown);
    }
    Ok(string_items(name, n, &quoted, &consts, &checks))
}

/// [`string_text`] from the constants and the statements of `check`, as printed.
fn string_items(name: &str, n: &Newtype, quoted: &str, consts: &str, checks: &str) -> Option<String> {
    let param = if checks.is_empty() { "_value" } else { "value" };
    let mut out = String::new();
    if n.sensitive {
        out.push_str("#[derive(Clone, PartialEq, Eq)]\n");
    } else {
        out.push_str("#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]\n");
        out.push_str("#[serde(transparent)]\n");
    }
    tuple_struct(&mut out, name, "::std::string::String");
    inherent_impl(&mut out, name)?;
    out.push_str(consts);
    out.push_str(&format!(
        "    /// Validate `value` and wrap it.
    pub fn new(
        value: impl Into<::std::string::String>,
    ) -> ::std::result::Result<Self, {VALIDATION}::ValidationError> {{
        let value = value.into();
        Self::try_from(value)
    }}
"
    ));
    if n.sensitive {
        out.push_str(
            "    /// The value in clear: the only way to read it. Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The value in clear, like [`Self::expose`]. Never log what this returns.
",
        );
    } else {
        out.push_str("    /// The value as a string slice.\n");
    }
    out.push_str(&format!(
        "    pub fn as_str(&self) -> &str {{
        &self.0
    }}
    fn check(
        {param}: &str,
    ) -> ::std::result::Result<(), {VALIDATION}::ValidationError> {{
{checks}        Ok(())
    }}
}}
"
    ));
    impl_for(&mut out, "impl ::std::convert::TryFrom<&str>", name)?;
    out.push_str(&format!(
        "    type Error = {VALIDATION}::ValidationError;
    fn try_from(value: &str) -> ::std::result::Result<Self, Self::Error> {{
        Self::check(value)?;
        Ok(Self(value.to_string()))
    }}
}}
"
    ));
    impl_for(&mut out, "impl ::std::str::FromStr", name)?;
    out.push_str(&format!(
        "    type Err = {VALIDATION}::ValidationError;
    fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {{
        Self::try_from(value)
    }}
}}
"
    ));
    impl_for(&mut out, "impl ::std::convert::AsRef<str>", name)?;
    out.push_str(
        "    fn as_ref(&self) -> &str {
        &self.0
    }
}
",
    );
    if !n.sensitive {
        inherent_impl(&mut out, name)?;
        out.push_str(
            "    /// The owned string.
    pub fn into_inner(self) -> ::std::string::String {
        self.0
    }
}
",
        );
    }
    impl_for(&mut out, "impl ::std::convert::TryFrom<::std::string::String>", name)?;
    out.push_str(&format!("    type Error = {VALIDATION}::ValidationError;\n"));
    if n.sensitive {
        out.push_str(
            "    fn try_from(
        mut value: ::std::string::String,
    ) -> ::std::result::Result<Self, Self::Error> {
        match Self::check(&value) {
            Ok(()) => Ok(Self(value)),
            Err(error) => {
                ::d1_runtime::zeroize::Zeroize::zeroize(&mut value);
                Err(error)
            }
        }
    }
}
",
        );
        let display = match n.reveal_last {
            Some(k) => format!("{VALIDATION}::mask(&self.0, {k})"),
            None => "\"<redacted>\"".to_string(),
        };
        impl_for(&mut out, "impl ::std::fmt::Debug", name)?;
        out.push_str("    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {\n");
        let tuple = format!("        f.debug_tuple({quoted})");
        let chain = format!(".field(&{display}).finish()");
        if tuple.len() + chain.len() <= MARGIN {
            out.push_str(&format!("{tuple}{chain}\n"));
        } else if tuple.len() <= MARGIN {
            out.push_str(&format!("{tuple}\n            .field(&{display})\n            .finish()\n"));
        } else {
            return None;
        }
        out.push_str("    }\n}\n");
        impl_for(&mut out, "impl ::std::fmt::Display", name)?;
        out.push_str(&format!(
            "    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{
        ::std::fmt::Display::fmt(&{display}, f)
    }}
}}
"
        ));
        impl_for(&mut out, "impl ::std::ops::Drop", name)?;
        out.push_str(
            "    fn drop(&mut self) {
        ::d1_runtime::zeroize::Zeroize::zeroize(&mut self.0);
    }
}
",
        );
        if !n.plaintext {
            impl_for(&mut out, "impl ::serde::Serialize", name)?;
            out.push_str(
                "    fn serialize<S: ::serde::Serializer>(
        &self,
        serializer: S,
    ) -> ::std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}
",
            );
            string_deserialize(&mut out, name)?;
        }
        return Some(out);
    }
    out.push_str(
        "    fn try_from(
        value: ::std::string::String,
    ) -> ::std::result::Result<Self, Self::Error> {
        Self::check(&value)?;
        Ok(Self(value))
    }
}
",
    );
    impl_for(&mut out, "impl ::std::fmt::Display", name)?;
    out.push_str(
        "    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(&self.0)
    }
}
",
    );
    into_primitive(&mut out, name, "::std::string::String")?;
    string_deserialize(&mut out, name)?;
    Some(out)
}

/// [`text`] for a number newtype of the primitive `prim` (see [`number`]).
fn number_text(name: &str, n: &Newtype, prim: &str, integer: bool) -> Option<String> {
    let c = &n.constraints;
    let quoted = super::string_literal(name);
    let shown = "Some(&value.to_string())";
    let lit = |v: BoundValue| match v {
        BoundValue::Integer(v) if integer => Literal::i64_unsuffixed(v).to_string(),
        v => Literal::f64_suffixed(v.as_f64()).to_string(),
    };
    let mut consts = String::new();
    let mut checks = String::new();
    if !integer {
        failure(&mut checks, "!value.is_finite()", &quoted, "Malformed", &["expected: \"a finite number\""], shown);
    }
    for (bound, constant, doc, cmp, violation) in [
        (c.minimum, "MINIMUM", "lower", ["<", "<="], "BelowMinimum"),
        (c.maximum, "MAXIMUM", "upper", [">", ">="], "AboveMaximum"),
    ] {
        let Some(b) = bound else { continue };
        consts.push_str(&format!("    /// The {doc} bound.\n    pub const {constant}: {prim} = {};\n", lit(b.value)));
        let shown_bound = Literal::f64_suffixed(b.value.as_f64()).to_string();
        failure(
            &mut checks,
            &format!("value {} Self::{constant}", cmp[usize::from(b.exclusive)]),
            &quoted,
            violation,
            &[&format!("{}: {shown_bound}", constant.to_lowercase()), &format!("exclusive: {}", b.exclusive)],
            shown,
        );
    }
    let mut out = String::new();
    if integer {
        out.push_str("#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize)]\n");
    } else {
        out.push_str("#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, ::serde::Serialize)]\n");
    }
    out.push_str("#[serde(transparent)]\n");
    tuple_struct(&mut out, name, prim);
    inherent_impl(&mut out, name)?;
    out.push_str(&format!(
        "{consts}    /// Validate `value` and wrap it.
    pub fn new(
        value: {prim},
    ) -> ::std::result::Result<Self, {VALIDATION}::ValidationError> {{
        Self::check(value)?;
        Ok(Self(value))
    }}
    /// The number.
    pub fn get(self) -> {prim} {{
        self.0
    }}
    fn check(
        value: {prim},
    ) -> ::std::result::Result<(), {VALIDATION}::ValidationError> {{
{checks}        Ok(())
    }}
}}
"
    ));
    impl_for(&mut out, &format!("impl ::std::convert::TryFrom<{prim}>"), name)?;
    out.push_str(&format!(
        "    type Error = {VALIDATION}::ValidationError;
    fn try_from(value: {prim}) -> ::std::result::Result<Self, Self::Error> {{
        Self::new(value)
    }}
}}
"
    ));
    into_primitive(&mut out, name, prim)?;
    impl_for(&mut out, "impl ::std::str::FromStr", name)?;
    out.push_str(&format!(
        "    type Err = {VALIDATION}::ValidationError;
    fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {{
"
    ));
    if integer {
        let call = format!("        let value: {prim} = {VALIDATION}::parse_integer({quoted}, text)?;");
        if call.len() <= MARGIN {
            out.push_str(&call);
            out.push('\n');
        } else {
            out.push_str(&format!(
                "        let value: {prim} = {VALIDATION}::parse_integer(\n            {quoted},\n            text,\n        )?;\n"
            ));
        }
    } else {
        out.push_str(&format!(
            "        let value: {prim} = text
            .trim()
            .parse()
            .map_err(|_| {{
                {VALIDATION}::ValidationError::new(
                    {quoted},
                    {VALIDATION}::Violation::Malformed {{
                        expected: \"a number\",
                    }},
                    Some(text),
                )
            }})?;
"
        ));
    }
    out.push_str("        Self::new(value)\n    }\n}\n");
    impl_for(&mut out, "impl ::std::fmt::Display", name)?;
    out.push_str(
        "    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        ::std::fmt::Display::fmt(&self.0, f)
    }
}
",
    );
    impl_for(&mut out, "impl<'de> ::serde::Deserialize<'de>", name)?;
    out.push_str(DESERIALIZE_HEAD);
    if integer {
        // Never one line: `deserializer` alone makes it longer than the margin.
        out.push_str(&format!(
            "        let value: {prim} = {VALIDATION}::deserialize_integer(\n            deserializer,\n            {quoted},\n        )?;\n"
        ));
    } else {
        out.push_str(&format!("        let value = <{prim} as ::serde::Deserialize>::deserialize(deserializer)?;\n"));
    }
    out.push_str("        Self::new(value).map_err(::serde::de::Error::custom)\n    }\n}\n");
    Some(out)
}

/// The signature of `Deserialize::deserialize` in a newtype's impl, as printed.
const DESERIALIZE_HEAD: &str = "    fn deserialize<D: ::serde::Deserializer<'de>>(
        deserializer: D,
    ) -> ::std::result::Result<Self, D::Error> {
";

/// A string newtype's `Deserialize` impl, as printed.
fn string_deserialize(out: &mut String, name: &str) -> Option<()> {
    impl_for(out, "impl<'de> ::serde::Deserialize<'de>", name)?;
    out.push_str(DESERIALIZE_HEAD);
    out.push_str(
        "        let value = <::std::string::String as ::serde::Deserialize>::deserialize(
            deserializer,
        )?;
        Self::try_from(value).map_err(::serde::de::Error::custom)
    }
}
",
    );
    Some(())
}

/// `if cond { return Err(…) }` of a `check`, as printed (indented two levels): the error names
/// the type (`quoted`), the violation with its `fields` (none for a unit variant) and what is
/// `shown` of the value. The call never fits one line, nor does a violation with fields.
fn failure(out: &mut String, cond: &str, quoted: &str, violation: &str, fields: &[&str], shown: &str) {
    out.push_str(&format!(
        "        if {cond} {{
            return Err(
                {VALIDATION}::ValidationError::new(
                    {quoted},
                    {VALIDATION}::Violation::{violation}"
    ));
    if !fields.is_empty() {
        out.push_str(
            " {
",
        );
        for field in fields {
            out.push_str(&format!(
                "                        {field},
"
            ));
        }
        out.push_str("                    }");
    }
    out.push_str(&format!(
        ",
                    {shown},
                ),
            );
        }}
"
    ));
}

/// `pub struct Name(Inner);` as printed: on one line, or with the field on a line of its own.
fn tuple_struct(out: &mut String, name: &str, inner: &str) {
    let line = format!(
        "pub struct {name}({inner});
"
    );
    if line.len() - 1 <= MARGIN {
        out.push_str(&line);
    } else {
        out.push_str(&format!(
            "pub struct {name}(
    {inner},
);
"
        ));
    }
}

/// `impl Name {`, or `None` where it does not fit a line.
fn inherent_impl(out: &mut String, name: &str) -> Option<()> {
    let line = format!(
        "impl {name} {{
"
    );
    (line.len() - 1 <= MARGIN).then(|| out.push_str(&line))
}

/// `{head} for {target} {` as printed: on one line, or with `for {target} {` on a line of its
/// own; `None` where `head` does not fit a line either (prettyplease then breaks its generics).
fn impl_for(out: &mut String, head: &str, target: &str) -> Option<()> {
    if head.len() + " for ".len() + target.len() + " {".len() <= MARGIN {
        out.push_str(&format!(
            "{head} for {target} {{
"
        ));
    } else if head.len() <= MARGIN {
        out.push_str(&format!("{head}\nfor {target} {{\n"));
    } else {
        return None;
    }
    Some(())
}

/// `impl From<Name> for Inner`, as printed.
fn into_primitive(out: &mut String, name: &str, inner: &str) -> Option<()> {
    impl_for(out, &format!("impl ::std::convert::From<{name}>"), inner)?;
    let signature = format!(
        "    fn from(value: {name}) -> Self {{
"
    );
    if signature.len() - 1 <= MARGIN {
        out.push_str(&signature);
    } else {
        out.push_str(&format!(
            "    fn from(
        value: {name},
    ) -> Self {{
"
        ));
    }
    out.push_str(
        "        value.0
    }
}
",
    );
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::ir::{Bound, Constraints, Module, TypeKind, TypeRef};

    fn newtype(inner: NewtypeInner, constraints: Constraints) -> Newtype {
        Newtype { inner, constraints, sensitive: false, plaintext: false, reveal_last: None }
    }

    fn bound(value: BoundValue, exclusive: bool) -> Option<Bound> {
        Some(Bound { value, exclusive })
    }

    /// Every kind of newtype, with each constraint alone and together.
    fn shapes() -> Vec<Newtype> {
        let lengths = |min, max| Constraints { min_length: min, max_length: max, ..Default::default() };
        let pattern = |p: &str| Constraints { pattern: Some(p.to_string()), min_length: Some(2), ..Default::default() };
        let mut strings = vec![
            Constraints::default(),
            lengths(Some(1), None),
            lengths(None, Some(64)),
            lengths(Some(3), Some(12)),
            Constraints { luhn: true, ..lengths(Some(12), Some(19)) },
            pattern("^[a-z]+$"),
            pattern("^\\d{3}-[A-Z]{2}(\"|')?$"),
            pattern("caf\u{e9}"),
            pattern(&format!("^({})$", ["alpha", "bravo", "charlie", "delta", "echo"].repeat(4).join("|"))),
        ]
        .into_iter()
        .map(|c| newtype(NewtypeInner::String, c))
        .collect::<Vec<_>>();
        let sensitive: Vec<Newtype> = strings
            .iter()
            .take(5)
            .enumerate()
            .map(|(i, n)| Newtype {
                sensitive: true,
                plaintext: i % 2 == 0,
                reveal_last: [Some(4), None, Some(12)][i % 3],
                ..n.clone()
            })
            .collect();
        strings.extend(sensitive);
        let numbers = [
            (None, None),
            (bound(BoundValue::Integer(1), false), None),
            (None, bound(BoundValue::Integer(100), true)),
            (bound(BoundValue::Integer(-40), true), bound(BoundValue::Integer(i64::MAX / 2), false)),
            (bound(BoundValue::Number(0.5), false), bound(BoundValue::Number(1e300), true)),
            (bound(BoundValue::Number(-2.25), true), bound(BoundValue::Integer(7), false)),
        ];
        for (minimum, maximum) in numbers {
            let c = Constraints { minimum, maximum, ..Default::default() };
            for inner in
                [NewtypeInner::Integer(IntWidth::I32), NewtypeInner::Integer(IntWidth::I64), NewtypeInner::Number]
            {
                // Integers have integer bounds.
                let fractional = [minimum, maximum].iter().flatten().any(|b| matches!(b.value, BoundValue::Number(_)));
                if !(fractional && matches!(inner, NewtypeInner::Integer(_))) {
                    strings.push(newtype(inner, c.clone()));
                }
            }
        }
        for (min_items, max_items, unique_items) in
            [(Some(1), None, false), (None, Some(9), true), (Some(2), Some(3), true)]
        {
            let c = Constraints { min_items, max_items, unique_items, ..Default::default() };
            strings.push(newtype(NewtypeInner::Array(TypeRef::String), c));
        }
        strings
    }

    /// Item types of arrays: short and long, with and without generic arguments.
    const ITEMS: &[&str] = &[
        "i64",
        "::std::string::String",
        "super::other::Colour",
        "super::other::AVeryLongItemTypeNameThatGoesOnAndOnAndOn",
        "::std::vec::Vec<super::other::Colour>",
        "::std::collections::BTreeMap<::std::string::String, ::serde_json::Value>",
    ];

    #[test]
    fn newtypes_print_as_prettyplease_prints_them() {
        let _docs = super::super::docs::Table::scope();
        let (mut as_text, mut left) = (0, 0);
        let cases = shapes().into_iter().flat_map(|n| {
            let items = if matches!(n.inner, NewtypeInner::Array(_)) { ITEMS } else { &[""] };
            items.iter().map(move |item| (n.clone(), *item))
        });
        for (n, item_text) in cases {
            // Every name length around the margins of the lines that hold the name.
            for length in 1..=80 {
                let name = format!("N{}", "n_1".repeat(length).get(..length - 1).unwrap_or_default());
                let def = TypeDef {
                    name: name.clone(),
                    module: Module::Api("m".into()),
                    doc: None,
                    location: Location::new("spec.json", "#/components/schemas/N"),
                    kind: TypeKind::Newtype(n.clone()),
                    check: None,
                };
                let item: TokenStream = item_text.parse().unwrap();
                let printed = super::super::render_items(emit(&def, &name, &n, item).unwrap(), "test").unwrap();
                match text(&def, &name, &n, Some(item_text), "test").unwrap() {
                    Some(text) => {
                        as_text += 1;
                        assert_eq!(text, printed, "{name}: {item_text} {n:?}");
                    }
                    None => {
                        left += 1;
                        // Left to the tokens only where prettyplease's text is not ASCII or
                        // overflows the margin, or for a name long enough to break `From<Name>`'s
                        // generics, or an item type long enough to break `TryFrom<Vec<Item>>`'s.
                        assert!(
                            !laid_out(&printed) || length >= 63 || item_text.len() > 41,
                            "{name}: {item_text} {n:?}"
                        );
                    }
                }
            }
        }
        assert!(as_text > 1500 && left > 100, "{as_text} {left}");
    }

    #[test]
    fn names_beyond_ascii_are_left_to_the_tokens() {
        let n = newtype(NewtypeInner::String, Constraints { min_length: Some(1), ..Default::default() });
        let def = TypeDef {
            name: "Caf\u{e9}".into(),
            module: Module::Api("m".into()),
            doc: None,
            location: Location::new("spec.json", "#/components/schemas/N"),
            kind: TypeKind::Newtype(n.clone()),
            check: None,
        };
        assert_eq!(text(&def, &def.name, &n, None, "test").unwrap(), None);
    }
}
