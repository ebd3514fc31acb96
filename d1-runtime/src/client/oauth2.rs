//! D1's OAuth2 flow for issuer back-ends: the JWT-bearer grant (RFC 7523).
//!
//! 1. The issuer signs a JWT with its **ES256** key (the one whose public half was registered
//!    at onboarding): header `alg: ES256`, `kid`; claims `iss` and `sub` = the issuer id,
//!    `exp` at most 15 minutes ahead (plus `iat` and a random `jti`, and `aud` if configured).
//! 2. It posts it to D1's `POST /oauth2/token` as
//!    `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`
//!    (`application/x-www-form-urlencoded`).
//! 3. D1 answers with an `access_token` valid `expires_in` seconds (15 minutes), to send as
//!    `Authorization: Bearer` on every other call — and to reuse, not to fetch per call.
//!
//! [`JwtBearer`] does this as a [`TokenProvider`]: it caches the token, refreshes it
//! [`refresh_before`](JwtBearerConfig::refresh_before) its expiry, and however many calls wait
//! for a token, only **one** token request is in flight. While a still-valid token is being
//! refreshed, other calls keep using it instead of waiting.
//!
//! ```no_run
//! use d1_runtime::client::oauth2::{JwtBearerConfig, SigningKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pem = std::fs::read_to_string("issuer-signing-key.pem")?;
//! let auth = JwtBearerConfig::new(
//!     // `in_v1_auth2::PRODUCTION` + `/oauth2/token`
//!     "https://api.d1.thalescloud.io/authz/v1/oauth2/token",
//!     "ISSUER0001",          // iss and sub
//!     "issuer-key-2024",     // kid
//!     SigningKey::from_pkcs8_pem(&pem)?,
//! );
//! // then, with a generated client crate:
//! // let client = d1_client::Client::builder(d1_client::Environment::PRODUCTION).jwt_bearer(auth).build()?;
//! # let _ = auth;
//! # Ok(()) }
//! ```

use crate::client::auth::{AccessToken, TokenError, TokenErrorKind, TokenFuture, TokenProvider};
use crate::client::{new_correlation_id, CORRELATION_ID_HEADER};
use base64ct::{Base64UrlUnpadded, Encoding as _};
use p256::ecdsa::signature::Signer as _;
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The `grant_type` of the JWT-bearer flow.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Longest assertion lifetime D1 accepts.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// An ES256 (P-256) signing key for the assertion.
#[derive(Clone)]
pub struct SigningKey(p256::ecdsa::SigningKey);

impl SigningKey {
    /// From a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// # Errors
    ///
    /// The PEM is not a P-256 PKCS#8 private key (the error never shows key material).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        use p256::pkcs8::DecodePrivateKey as _;
        p256::ecdsa::SigningKey::from_pkcs8_pem(pem).map(SigningKey).map_err(|_| KeyError)
    }

    /// From the 32-byte big-endian secret scalar.
    ///
    /// # Errors
    ///
    /// The bytes are not a valid P-256 secret (zero, or not below the group order).
    pub fn from_bytes(secret: &[u8; 32]) -> Result<Self, KeyError> {
        p256::ecdsa::SigningKey::from_slice(secret).map(SigningKey).map_err(|_| KeyError)
    }

    /// The public half, as the SEC1 uncompressed point (to register or to verify in tests).
    pub fn public_key_sec1(&self) -> Vec<u8> {
        self.0.verifying_key().to_sec1_point(false).as_bytes().to_vec()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

/// A key that could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyError;

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a P-256 (ES256) private key")
    }
}

impl std::error::Error for KeyError {}

/// What the JWT-bearer flow needs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct JwtBearerConfig {
    /// Full URL of the token endpoint, e.g. `in_v1_auth2::PRODUCTION` + `/oauth2/token`.
    pub token_url: String,
    /// The issuer (or aggregator) id: `iss` and `sub` of the assertion.
    pub issuer_id: String,
    /// `kid` of the signing key, as registered with D1.
    pub key_id: String,
    /// The ES256 signing key.
    pub signing_key: SigningKey,
    /// `aud` of the assertion, if D1 asks for one.
    pub audience: Option<String>,
    /// Lifetime of the assertion (`exp - iat`), at most 15 minutes (default 5).
    pub assertion_lifetime: Duration,
    /// Refresh this long before the token expires (default 60 s).
    pub refresh_before: Duration,
    /// Lifetime assumed when the answer has no usable `expires_in` (default 15 minutes).
    pub default_token_lifetime: Duration,
    /// Timeout of the token request (default 30 s).
    pub timeout: Duration,
}

impl JwtBearerConfig {
    /// The flow for `issuer_id`, signing with `signing_key` registered under `key_id`.
    pub fn new(
        token_url: impl Into<String>,
        issuer_id: impl Into<String>,
        key_id: impl Into<String>,
        signing_key: SigningKey,
    ) -> Self {
        JwtBearerConfig {
            token_url: token_url.into(),
            issuer_id: issuer_id.into(),
            key_id: key_id.into(),
            signing_key,
            audience: None,
            assertion_lifetime: Duration::from_secs(5 * 60),
            refresh_before: Duration::from_secs(60),
            default_token_lifetime: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(30),
        }
    }

    /// Set `aud`.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Refresh this long before expiry.
    #[must_use]
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// Lifetime of the assertion (capped at 15 minutes).
    #[must_use]
    pub fn assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.assertion_lifetime = lifetime.min(MAX_ASSERTION_LIFETIME);
        self
    }

    /// Build the signed assertion (a compact JWS) for `now`.
    ///
    /// # Errors
    ///
    /// The system clock is before 1970.
    pub fn assertion(&self, now: SystemTime) -> Result<String, TokenError> {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| TokenError::new(TokenErrorKind::Assertion("the system clock is before 1970".into())))?
            .as_secs();
        let lifetime = self.assertion_lifetime.min(MAX_ASSERTION_LIFETIME).as_secs();
        let header = serde_json::json!({ "alg": "ES256", "typ": "JWT", "kid": self.key_id });
        let mut claims = serde_json::json!({
            "iss": self.issuer_id,
            "sub": self.issuer_id,
            "iat": iat,
            "exp": iat + lifetime,
            "jti": new_correlation_id(),
        });
        if let (Some(aud), Some(map)) = (&self.audience, claims.as_object_mut()) {
            map.insert("aud".into(), serde_json::Value::String(aud.clone()));
        }
        let mut jwt = Base64UrlUnpadded::encode_string(header.to_string().as_bytes());
        jwt.push('.');
        jwt.push_str(&Base64UrlUnpadded::encode_string(claims.to_string().as_bytes()));
        let signature: p256::ecdsa::Signature = self.signing_key.0.sign(jwt.as_bytes());
        jwt.push('.');
        jwt.push_str(&Base64UrlUnpadded::encode_string(&signature.to_bytes()));
        Ok(jwt)
    }
}

#[derive(Clone)]
struct Cached {
    token: AccessToken,
    refresh_at: Instant,
    expires_at: Instant,
}

/// The JWT-bearer [`TokenProvider`]: cached, refreshed before expiry, one refresh at a time.
pub struct JwtBearer {
    config: JwtBearerConfig,
    http: reqwest::Client,
    cache: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<()>,
}

impl fmt::Debug for JwtBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtBearer")
            .field("token_url", &self.config.token_url)
            .field("issuer_id", &self.config.issuer_id)
            .field("key_id", &self.config.key_id)
            .finish_non_exhaustive()
    }
}

impl JwtBearer {
    /// A provider that posts to the token endpoint with `http`. Usually built for you by
    /// [`ClientBuilder::jwt_bearer`](crate::client::ClientBuilder::jwt_bearer).
    pub fn new(config: JwtBearerConfig, http: reqwest::Client) -> Self {
        JwtBearer { config, http, cache: RwLock::new(None), refresh: tokio::sync::Mutex::new(()) }
    }

    /// Wrap in an `Arc`, to share one token cache between clients.
    pub fn shared(self) -> Arc<dyn TokenProvider> {
        Arc::new(self)
    }

    fn cached(&self) -> Option<Cached> {
        match self.cache.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, value: Option<Cached>) {
        match self.cache.write() {
            Ok(mut guard) => *guard = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }

    async fn get(&self) -> Result<AccessToken, TokenError> {
        if let Some(c) = self.cached() {
            let now = Instant::now();
            if now < c.refresh_at {
                return Ok(c.token);
            }
            if now < c.expires_at {
                // Still valid: one caller refreshes, the others keep using it meanwhile.
                let Ok(_guard) = self.refresh.try_lock() else { return Ok(c.token) };
                if let Some(fresh) = self.cached().filter(|f| Instant::now() < f.refresh_at) {
                    return Ok(fresh.token);
                }
                return match self.fetch().await {
                    Ok(token) => Ok(token),
                    Err(e) => {
                        tracing::warn!(error = %e, "token refresh failed; using the current token until it expires");
                        Ok(c.token)
                    }
                };
            }
        }
        let _guard = self.refresh.lock().await;
        if let Some(c) = self.cached().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(c.token);
        }
        self.fetch().await
    }

    async fn fetch(&self) -> Result<AccessToken, TokenError> {
        use tracing::Instrument as _;
        let correlation_id = new_correlation_id();
        let span =
            tracing::info_span!("d1.token", correlation_id = correlation_id.as_str(), status = tracing::field::Empty);
        self.request_token(correlation_id, &span).instrument(span.clone()).await
    }

    async fn request_token(&self, correlation_id: String, span: &tracing::Span) -> Result<AccessToken, TokenError> {
        let with_context = |mut e: TokenError, status: Option<u16>| {
            e.correlation_id = Some(correlation_id.clone());
            e.status = status;
            e
        };
        let assertion =
            zeroize::Zeroizing::new(self.config.assertion(SystemTime::now()).map_err(|e| with_context(e, None))?);
        let form = zeroize::Zeroizing::new(
            serde_urlencoded::to_string([("grant_type", GRANT_TYPE), ("assertion", assertion.as_str())])
                .map_err(|e| with_context(TokenError::new(TokenErrorKind::Assertion(e.to_string())), None))?,
        );
        let started = Instant::now();
        let response = self
            .http
            .post(&self.config.token_url)
            .header(CORRELATION_ID_HEADER, correlation_id.as_str())
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .timeout(self.config.timeout)
            .body(form.as_bytes().to_vec())
            .send()
            .await
            .map_err(|e| with_context(transport(e), None))?;
        let status = response.status().as_u16();
        span.record("status", status);
        let body = response.bytes().await.map_err(|e| with_context(transport(e), Some(status)))?;
        if !(200..300).contains(&status) {
            return Err(with_context(TokenError::new(TokenErrorKind::Rejected), Some(status)));
        }
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            access_token: Option<String>,
            expires_in: Option<serde_json::Value>,
            token_type: Option<String>,
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|e| {
            let reason = format!("{:?} error at line {}, column {}", e.classify(), e.line(), e.column());
            with_context(TokenError::new(TokenErrorKind::InvalidResponse(reason)), Some(status))
        })?;
        let invalid =
            |reason: &str| with_context(TokenError::new(TokenErrorKind::InvalidResponse(reason.into())), Some(status));
        let token = parsed.access_token.filter(|t| !t.is_empty()).ok_or_else(|| invalid("no access_token"))?;
        if let Some(kind) = &parsed.token_type
            && !kind.eq_ignore_ascii_case("bearer")
        {
            return Err(invalid("token_type is not Bearer"));
        }
        // `expires_in` is a number in D1's inbound token API and a string in the outbound one.
        let lifetime = match &parsed.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(self.config.default_token_lifetime, |s| Duration::from_secs_f64(s.min(86_400.0)));
        let expires_at = started + lifetime;
        let margin = self.config.refresh_before.min(lifetime / 2);
        let token = AccessToken::new(token);
        self.store(Some(Cached { token: token.clone(), refresh_at: expires_at - margin, expires_at }));
        tracing::debug!(lifetime_s = lifetime.as_secs(), "token refreshed");
        Ok(token)
    }
}

fn transport(e: reqwest::Error) -> TokenError {
    if e.is_timeout() {
        TokenError::new(TokenErrorKind::Timeout)
    } else {
        TokenError::new(TokenErrorKind::Transport(Box::new(e.without_url())))
    }
}

impl TokenProvider for JwtBearer {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(self.get())
    }

    fn invalidate(&self, token: &AccessToken) {
        if self.cached().is_some_and(|c| c.token == *token) {
            self.store(None);
        }
    }
}
