//! TEMPORARY engine-only stand-in used by the lead while the real compiler is written.
use proc_macro2::{Ident, TokenStream};
use quote::quote;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub message: String,
}
impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for PatternError {}
pub struct CompiledPattern {
    pattern: String,
}
pub fn compile(pattern: &str) -> Result<CompiledPattern, PatternError> {
    regress::Regex::with_flags(pattern, "u").map_err(|e| PatternError { message: e.to_string() })?;
    Ok(CompiledPattern { pattern: pattern.to_string() })
}
impl CompiledPattern {
    pub fn matches_expr(&self, value: &Ident) -> TokenStream {
        let p = &self.pattern;
        quote!({
            static RE: ::std::sync::OnceLock<::std::option::Option<::regress::Regex>> = ::std::sync::OnceLock::new();
            RE.get_or_init(|| ::regress::Regex::with_flags(#p, "u").ok()).as_ref().is_some_and(|re| re.find(#value).is_some())
        })
    }
    pub fn needs_engine(&self) -> bool {
        true
    }
    pub fn accepts_almost_anything(&self) -> bool {
        !self.pattern.starts_with('^')
    }
    pub fn describe(&self) -> String {
        self.pattern.clone()
    }
}
