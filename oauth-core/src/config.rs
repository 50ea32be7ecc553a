//! Server configuration the machines read: issuer, lifetimes, entropy and PKCE policy.

use std::fmt;
use std::sync::Arc;

use crate::entropy::Entropy;
use crate::error::ApiMisuse;
use crate::sign::TokenSigner;
use crate::types::ScopeSet;

/// Longest authorization-code lifetime accepted: 600 seconds (RFC 6749 §4.1.2 recommends a
/// maximum of 10 minutes).
pub const MAX_CODE_LIFETIME: u64 = 600;

/// The scope that lets a caller introspect tokens of every client unless configured otherwise
/// ([`Config::with_introspection_scope`]): `introspect`.
pub const DEFAULT_INTROSPECTION_SCOPE: &str = "introspect";

/// Lifetimes of issued credentials, in seconds (D10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[expect(clippy::exhaustive_structs, reason = "plain configuration record; new lifetimes are a breaking change anyway")]
pub struct Lifetimes {
    /// Access token lifetime in seconds; default 3600.
    pub access_token: u64,
    /// Authorization code lifetime in seconds; default 60, at most [`MAX_CODE_LIFETIME`].
    pub authorization_code: u64,
    /// Refresh token lifetime in seconds, absolute from the original grant; default 30 days.
    pub refresh_token: u64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self { access_token: 3600, authorization_code: 60, refresh_token: 30 * 24 * 3600 }
    }
}

/// What every machine needs besides the request: the issuer identifier (RFC 8414 §2, RFC 9207),
/// lifetimes, the entropy source and the PKCE policy. Cheap to share behind an `Arc`.
#[derive(Clone)]
pub struct Config {
    issuer: String,
    /// `issuer` form-urlencoded once, for the `iss` parameter of every redirect.
    encoded_issuer: Arc<str>,
    lifetimes: Lifetimes,
    entropy: Arc<dyn Entropy>,
    allow_plain_pkce: bool,
    /// Signs JWT access tokens when set (RFC 9068); `None` issues opaque tokens.
    signer: Option<Arc<dyn TokenSigner>>,
    audience: String,
    introspection_scope: ScopeSet,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("issuer", &self.issuer)
            .field("lifetimes", &self.lifetimes)
            .field("allow_plain_pkce", &self.allow_plain_pkce)
            .field("jwt_algorithm", &self.signer.as_ref().map(|s| s.algorithm().to_owned()))
            .field("audience", &self.audience)
            .field("introspection_scope", &self.introspection_scope)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// A configuration for `issuer`, which must be an `https` URL without query or fragment
    /// (RFC 8414 §2; SEC-03), with default lifetimes and S256-only PKCE.
    ///
    /// # Errors
    /// [`ApiMisuse::Config`] naming `issuer` when it is not such a URL.
    pub fn new(issuer: impl Into<String>, entropy: Arc<dyn Entropy>) -> Result<Self, ApiMisuse> {
        let issuer = issuer.into();
        validate_issuer(&issuer, false)?;
        Ok(Self::build(issuer, entropy))
    }

    /// As [`Config::new`], but also accepts an `http` issuer on a loopback host
    /// (`127.0.0.1`, `[::1]`, `localhost`). For development only: RFC 6749 §3.1 requires TLS.
    ///
    /// # Errors
    /// [`ApiMisuse::Config`] naming `issuer`.
    pub fn new_for_development(issuer: impl Into<String>, entropy: Arc<dyn Entropy>) -> Result<Self, ApiMisuse> {
        let issuer = issuer.into();
        validate_issuer(&issuer, true)?;
        Ok(Self::build(issuer, entropy))
    }

    fn build(issuer: String, entropy: Arc<dyn Entropy>) -> Self {
        let encoded_issuer = form_urlencoded::byte_serialize(issuer.as_bytes()).collect::<String>().into();
        Self {
            audience: issuer.clone(),
            issuer,
            encoded_issuer,
            lifetimes: Lifetimes::default(),
            entropy,
            allow_plain_pkce: false,
            signer: None,
            introspection_scope: ScopeSet::parse(DEFAULT_INTROSPECTION_SCOPE).unwrap_or_else(|_| ScopeSet::new()),
        }
    }

    /// Issues JWT access tokens (RFC 9068) signed by `signer` instead of opaque ones. Tokens
    /// issued before stay valid: a presented token is looked up by its shape
    /// ([`crate::jwt::access_token_key`]).
    ///
    /// # Errors
    /// [`ApiMisuse::Config`] when the signer names the algorithm `none` (RFC 9068 §4).
    pub fn with_jwt_access_tokens(mut self, signer: Arc<dyn TokenSigner>) -> Result<Self, ApiMisuse> {
        let alg = signer.algorithm();
        if alg.is_empty() || alg.eq_ignore_ascii_case("none") {
            return Err(ApiMisuse::Config("access_tokens.algorithm must not be none"));
        }
        self.signer = Some(signer);
        Ok(self)
    }

    /// Sets the `aud` of JWT access tokens and introspection answers (RFC 9068 §3, JWT-04):
    /// the resource servers' identifier. Defaults to the issuer.
    ///
    /// # Errors
    /// [`ApiMisuse::Config`] when `audience` is empty or holds control characters.
    pub fn with_audience(mut self, audience: impl Into<String>) -> Result<Self, ApiMisuse> {
        let audience = audience.into();
        if audience.is_empty() || audience.len() > MAX_ISSUER_BYTES || audience.chars().any(char::is_control) {
            return Err(ApiMisuse::Config("audience must be 1 to 512 bytes without control characters"));
        }
        self.audience = audience;
        Ok(self)
    }

    /// Sets the scope that lets a caller introspect any token (RFC 7662 §2.1): a confidential
    /// client allowed it, or a bearer token carrying it. Default [`DEFAULT_INTROSPECTION_SCOPE`].
    ///
    /// # Errors
    /// [`ApiMisuse::Config`] for an empty scope, which would let every token introspect.
    pub fn with_introspection_scope(mut self, scope: ScopeSet) -> Result<Self, ApiMisuse> {
        if scope.is_empty() {
            return Err(ApiMisuse::Config("introspection_scope must not be empty"));
        }
        self.introspection_scope = scope;
        Ok(self)
    }

    /// The signer of JWT access tokens, when they are JWTs.
    #[must_use]
    pub fn token_signer(&self) -> Option<&dyn TokenSigner> {
        self.signer.as_deref()
    }

    /// The audience of issued access tokens (default: the issuer).
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The scope that lets a caller introspect tokens of every client.
    #[must_use]
    pub const fn introspection_scope(&self) -> &ScopeSet {
        &self.introspection_scope
    }

    /// Replaces the lifetimes.
    ///
    /// # Errors
    /// [`ApiMisuse::Config`] naming the field when a lifetime is 0 or the code lifetime exceeds
    /// [`MAX_CODE_LIFETIME`].
    pub fn with_lifetimes(mut self, lifetimes: Lifetimes) -> Result<Self, ApiMisuse> {
        if lifetimes.access_token == 0 {
            return Err(ApiMisuse::Config("lifetimes.access_token must be at least 1 second"));
        }
        if lifetimes.authorization_code == 0 || lifetimes.authorization_code > MAX_CODE_LIFETIME {
            return Err(ApiMisuse::Config("lifetimes.authorization_code must be 1 to 600 seconds"));
        }
        if lifetimes.refresh_token == 0 {
            return Err(ApiMisuse::Config("lifetimes.refresh_token must be at least 1 second"));
        }
        self.lifetimes = lifetimes;
        Ok(self)
    }

    /// Allows the `plain` PKCE method (RFC 7636 §4.2). Off by default; RFC 9700 §2.1.1 says use
    /// `S256`.
    #[must_use]
    pub const fn with_plain_pkce(mut self, allow: bool) -> Self {
        self.allow_plain_pkce = allow;
        self
    }

    /// The issuer identifier, exactly as configured; it is the `iss` of authorization responses.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer, form-urlencoded, as the `iss` redirect parameter carries it (RFC 9207 §2).
    pub(crate) fn encoded_issuer(&self) -> Arc<str> {
        Arc::clone(&self.encoded_issuer)
    }

    /// The lifetimes.
    #[must_use]
    pub const fn lifetimes(&self) -> &Lifetimes {
        &self.lifetimes
    }

    /// The entropy source.
    #[must_use]
    pub fn entropy(&self) -> &dyn Entropy {
        &*self.entropy
    }

    /// Whether `plain` PKCE is accepted.
    #[must_use]
    pub const fn allows_plain_pkce(&self) -> bool {
        self.allow_plain_pkce
    }
}

/// Longest issuer or audience accepted: 512 bytes (so that every JWT the server signs stays
/// within [`crate::jwt::MAX_JWT_BYTES`]).
pub const MAX_ISSUER_BYTES: usize = 512;

/// The characters RFC 3986 §2 allows in a URI without a query or fragment: unreserved,
/// sub-delims, `:`, `/`, `@` and `%` (for percent-encodings).
const fn is_uri_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',')
        || matches!(b, b';' | b'=' | b':' | b'/' | b'@' | b'%')
}

/// Every `%` starts a percent-encoding: two hexadecimal digits follow (RFC 3986 §2.1).
fn percent_escapes_ok(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().filter(|(_, c)| **c == b'%').all(|(i, _)| {
        b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    })
}

fn validate_issuer(issuer: &str, allow_loopback_http: bool) -> Result<(), ApiMisuse> {
    const BAD: ApiMisuse = ApiMisuse::Config("issuer must be an https URL with a host and no query or fragment");
    if issuer.len() > MAX_ISSUER_BYTES || !issuer.bytes().all(is_uri_char) || !percent_escapes_ok(issuer) {
        return Err(BAD);
    }
    if let Some(rest) = issuer.strip_prefix("https://") {
        let host = rest.split('/').next().unwrap_or("");
        return if host.is_empty() || host.contains('@') { Err(BAD) } else { Ok(()) };
    }
    if allow_loopback_http {
        if let Some(rest) = issuer.strip_prefix("http://") {
            let authority = rest.split('/').next().unwrap_or("");
            let host = if authority.starts_with("[::1]") { "[::1]" } else { authority.split(':').next().unwrap_or("") };
            if matches!(host, "127.0.0.1" | "[::1]" | "localhost") {
                return Ok(());
            }
        }
    }
    Err(BAD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    #[test]
    fn issuer_rules() {
        let e: Arc<dyn Entropy> = Arc::new(SeededEntropy::new(1));
        assert!(Config::new("https://as.example", e.clone()).is_ok());
        assert!(Config::new("https://as.example/t1", e.clone()).is_ok());
        assert!(Config::new("http://127.0.0.1:8080", e.clone()).is_err());
        assert!(Config::new("https://as.example?x=1", e.clone()).is_err());
        assert!(Config::new_for_development("http://127.0.0.1:8080", e.clone()).is_ok());
        assert!(Config::new_for_development("http://localhost:8080", e.clone()).is_ok());
        assert!(Config::new_for_development("http://as.example", e.clone()).is_err());
        for bad in [
            "https://as.example/a<b",
            "https://as.example/{x}",
            "https://as.example/a|b",
            "https://as.example/a b",
            "https://as.example/%zz",
            "https://as.example/%4",
            "https://as.example/a^b",
            "https://as.example/`",
        ] {
            assert!(Config::new(bad, e.clone()).is_err(), "{bad}");
        }
        assert!(Config::new("https://as.example/t%C3%A9n;a=1", e.clone()).is_ok());
        assert!(Config::new(format!("https://as.example/{}", "a".repeat(MAX_ISSUER_BYTES)), e).is_err());
    }

    #[test]
    fn code_lifetime_is_capped() {
        let c = Config::new("https://as.example", Arc::new(SeededEntropy::new(1))).unwrap();
        let l = Lifetimes { authorization_code: 601, ..Lifetimes::default() };
        assert!(c.with_lifetimes(l).is_err());
    }
}
