//! Access tokens: the [`TokenProvider`] trait the client asks before every call that needs a
//! bearer token, a fixed [`StaticToken`], and the D1 OAuth2 flow in [`crate::client::oauth2`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A bearer token. Cheap to clone; `Debug` never shows it; the text is zeroized when the last
/// clone is dropped.
#[derive(Clone)]
pub struct AccessToken(Arc<Zeroizing<String>>);

impl AccessToken {
    /// Wrap a token.
    pub fn new(token: impl Into<String>) -> Self {
        AccessToken(Arc::new(Zeroizing::new(token.into())))
    }

    /// The token text, to put in an `Authorization: Bearer` header.
    pub fn secret(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.as_str() == other.0.as_str()
    }
}

impl Eq for AccessToken {}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// The future a [`TokenProvider`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken, TokenError>> + Send + 'a>>;

/// Supplies the bearer token of each call. Implementations must be cheap when a valid token is
/// cached: the client asks once per attempt.
///
/// ```
/// use d1_runtime::client::auth::{AccessToken, TokenError, TokenFuture, TokenProvider};
///
/// /// Reads the token from a secret store on every call.
/// struct FromVault;
///
/// impl TokenProvider for FromVault {
///     fn token(&self) -> TokenFuture<'_> {
///         Box::pin(async { Ok(AccessToken::new("token-from-the-vault")) })
///     }
/// }
/// ```
pub trait TokenProvider: Send + Sync + 'static {
    /// A token valid for at least the next call.
    fn token(&self) -> TokenFuture<'_>;

    /// The server rejected `token` with `401`: forget it if it is the cached one, so the next
    /// [`token`](TokenProvider::token) fetches a new one. The default does nothing.
    fn invalidate(&self, token: &AccessToken) {
        let _ = token;
    }
}

/// Always the same token (tests, tokens managed elsewhere).
#[derive(Clone, Debug)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// A provider that always answers `token`.
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(AccessToken::new(token))
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}

/// Why no token could be had. Never contains the token, the assertion or the key.
#[derive(Debug)]
#[non_exhaustive]
pub struct TokenError {
    /// What failed.
    pub kind: TokenErrorKind,
    /// The `x-correlation-id` of the token request, if one was sent.
    pub correlation_id: Option<String>,
    /// The HTTP status of the token endpoint's answer, if it answered.
    pub status: Option<u16>,
}

/// What failed while getting a token.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenErrorKind {
    /// The client was built without a token provider but the operation needs a bearer token.
    NoProvider,
    /// The assertion could not be built or signed (e.g. the system clock is before 1970).
    Assertion(String),
    /// The token endpoint did not answer in time.
    Timeout,
    /// The token endpoint could not be reached or dropped the connection.
    Transport(Box<dyn std::error::Error + Send + Sync>),
    /// The token endpoint answered with a non-success status.
    Rejected,
    /// The token endpoint's answer is not a usable token response.
    InvalidResponse(String),
    /// A provider-specific failure.
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl TokenError {
    /// An error of `kind` with no request context.
    pub fn new(kind: TokenErrorKind) -> Self {
        TokenError { kind, correlation_id: None, status: None }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            TokenErrorKind::NoProvider => f.write_str("the client has no token provider")?,
            TokenErrorKind::Assertion(reason) => write!(f, "cannot build the JWT assertion: {reason}")?,
            TokenErrorKind::Timeout => f.write_str("the token endpoint timed out")?,
            TokenErrorKind::Transport(e) => write!(f, "cannot reach the token endpoint: {e}")?,
            TokenErrorKind::Rejected => f.write_str("the token endpoint rejected the request")?,
            TokenErrorKind::InvalidResponse(reason) => write!(f, "invalid token response: {reason}")?,
            TokenErrorKind::Other(e) => write!(f, "{e}")?,
        }
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " (x-correlation-id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            TokenErrorKind::Transport(e) | TokenErrorKind::Other(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}
