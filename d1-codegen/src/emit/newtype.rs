//! Validated newtypes: a private field, one `check` that every way in (`new`, `TryFrom`,
//! `FromStr`, `Deserialize`) goes through, and errors that name the type and the constraint.

use super::{ident, runtime_path};
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
