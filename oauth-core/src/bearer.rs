//! The resource server's side of an access token (RFC 6750): read `Authorization: Bearer`,
//! check the token's record (active, scope, origin) and answer failures with the status and
//! `WWW-Authenticate` challenge RFC 6750 §3 prescribes.
//!
//! The check is split around the one storage question so that it stays sans-IO. The store key
//! of a presented token comes from [`crate::jwt::access_token_key`], which handles opaque and
//! JWT access tokens alike (a JWT that does not verify has no key and is inactive):
//!
//! ```
//! # use std::sync::Arc;
//! # use oauth_core::{bearer, jwt, Config, NullStore, ScopeSet, SeededEntropy, TokenStore, UnixTime};
//! # let config = Config::new("https://as.example", Arc::new(SeededEntropy::new(1))).unwrap();
//! # let store = NullStore::default();
//! # let now = UnixTime::from_secs(1_000);
//! let required = ScopeSet::parse("admin_classic").unwrap();
//! let outcome = bearer::parse_authorization(Some("Bearer mF_9.B5f-4.1JqM"))
//!     .and_then(|token| {
//!         let key = jwt::access_token_key(&config, token.expose(), now)
//!             .ok_or(bearer::BearerError::InvalidToken("the access token is not active"))?;
//!         store.access_token(&key, now).map_err(bearer::BearerError::from_store)
//!     })
//!     .and_then(|record| bearer::check(record, now, &required, None));
//! let err = outcome.unwrap_err(); // NullStore knows no token
//! assert_eq!(err.status(), 401);
//! assert_eq!(err.challenge("api"), r#"Bearer realm="api", error="invalid_token", error_description="the access token is not active""#);
//! ```

use std::borrow::Cow;

use crate::error::StoreError;
use crate::response::HttpResponse;
use crate::store::AccessTokenRecord;
use crate::time::UnixTime;
use crate::types::{ScopeSet, Secret};

/// Longest `Authorization: Bearer` header value accepted, in bytes: 8 KiB + 64, room for the
/// scheme and the longest JWT access token the server signs ([`crate::jwt::MAX_JWT_BYTES`]).
/// (Basic credentials keep their own bound, [`crate::wire::MAX_AUTHORIZATION_BYTES`].)
pub const MAX_BEARER_HEADER_BYTES: usize = crate::jwt::MAX_JWT_BYTES + 64;

/// Why a request to a protected resource is refused (RFC 6750 §3.1).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BearerError {
    /// No `Authorization` header, or one using another scheme (an unsupported authentication
    /// method): 401 with a bare `Bearer` challenge and no error code (RFC 6750 §3.1: "the
    /// resource server SHOULD NOT include an error code").
    Missing,
    /// A malformed bearer token or `Authorization` header: 400 `invalid_request`.
    InvalidRequest(&'static str),
    /// Unknown, expired or revoked token, or one presented from an origin its client does not
    /// allow: 401 `invalid_token`.
    InvalidToken(&'static str),
    /// The token lacks a required scope: 403 `insufficient_scope`, with the `scope` needed.
    InsufficientScope(ScopeSet),
    /// The store could not answer: 503 (`Unavailable`) or 500, with no challenge.
    Store(StoreError),
}

impl std::fmt::Debug for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("Missing"),
            Self::InvalidRequest(d) => f.debug_tuple("InvalidRequest").field(d).finish(),
            Self::InvalidToken(d) => f.debug_tuple("InvalidToken").field(d).finish(),
            Self::InsufficientScope(s) => f.debug_tuple("InsufficientScope").field(s).finish(),
            Self::Store(e) => f.debug_tuple("Store").field(e).finish(),
        }
    }
}

impl BearerError {
    /// A store failure.
    #[must_use]
    pub const fn from_store(err: StoreError) -> Self {
        Self::Store(err)
    }

    /// The HTTP status: 401, 400, 401, 403, or 503/500 for a store failure (RFC 6750 §3.1).
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::Missing | Self::InvalidToken(_) => 401,
            Self::InvalidRequest(_) => 400,
            Self::InsufficientScope(_) => 403,
            Self::Store(StoreError::Unavailable) => 503,
            Self::Store(_) => 500,
        }
    }

    /// The error code (`invalid_request`, `invalid_token`, `insufficient_scope`), or `None`
    /// when no credentials were sent or the store failed.
    #[must_use]
    pub const fn code(&self) -> Option<&'static str> {
        match self {
            Self::Missing | Self::Store(_) => None,
            Self::InvalidRequest(_) => Some("invalid_request"),
            Self::InvalidToken(_) => Some("invalid_token"),
            Self::InsufficientScope(_) => Some("insufficient_scope"),
        }
    }

    fn description(&self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest(d) | Self::InvalidToken(d) => Some(d),
            Self::InsufficientScope(_) => Some("the access token lacks a required scope"),
            Self::Missing | Self::Store(_) => None,
        }
    }

    /// The `WWW-Authenticate` value (RFC 6750 §3): `Bearer realm="<realm>"`, then `error`,
    /// `error_description` and, for `insufficient_scope`, the `scope` required. `realm` must
    /// not contain `"` or `\`; such characters are dropped.
    #[must_use]
    pub fn challenge(&self, realm: &str) -> String {
        let realm: String = realm.chars().filter(|c| !matches!(c, '"' | '\\') && !c.is_control()).collect();
        let mut out = format!("Bearer realm=\"{realm}\"");
        if let Some(code) = self.code() {
            out.push_str(", error=\"");
            out.push_str(code);
            out.push('"');
        }
        if let Some(d) = self.description() {
            out.push_str(", error_description=\"");
            out.push_str(d);
            out.push('"');
        }
        if let Self::InsufficientScope(scope) = self {
            out.push_str(", scope=\"");
            out.push_str(scope.as_str());
            out.push('"');
        }
        out
    }

    /// The whole HTTP answer: [`BearerError::status`], `WWW-Authenticate` (except for a store
    /// failure), `Cache-Control: no-store`, and a JSON body `{"error": …,
    /// "error_description": …}` (`{"error":"temporarily_unavailable"}` or
    /// `{"error":"server_error"}` for a store failure; `{}` when no credentials were sent).
    #[must_use]
    pub fn to_http(&self, realm: &str) -> HttpResponse {
        let mut headers =
            vec![("content-type", Cow::Borrowed("application/json")), ("cache-control", Cow::Borrowed("no-store"))];
        if !matches!(self, Self::Store(_)) {
            headers.push(("www-authenticate", Cow::Owned(self.challenge(realm))));
        }
        let body = match (self, self.code(), self.description()) {
            (Self::Store(StoreError::Unavailable), ..) => String::from(r#"{"error":"temporarily_unavailable"}"#),
            (Self::Store(_), ..) => String::from(r#"{"error":"server_error"}"#),
            (_, Some(code), Some(d)) => format!(r#"{{"error":"{code}","error_description":"{d}"}}"#),
            _ => String::from("{}"),
        };
        HttpResponse { status: self.status(), headers, body }
    }
}

/// Reads the access token from an `Authorization` header value (RFC 6750 §2.1): the scheme
/// `Bearer` in any case, one or more spaces, and a `b64token`
/// (`1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`). Several `Authorization`
/// headers must be passed joined by `,`, which is refused.
///
/// # Errors
/// [`BearerError::Missing`] for `None` or another scheme (RFC 6750 §3.1);
/// [`BearerError::InvalidRequest`] for an empty or malformed token, or a header over
/// [`MAX_BEARER_HEADER_BYTES`] (8 KiB + 64).
pub fn parse_authorization(header: Option<&str>) -> Result<Secret, BearerError> {
    let Some(header) = header else { return Err(BearerError::Missing) };
    if header.len() > MAX_BEARER_HEADER_BYTES {
        return Err(BearerError::InvalidRequest("the Authorization header is too long"));
    }
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // RFC 6750 §3.1: a request "attempted using an unsupported authentication method" lacks
        // authentication information: a bare challenge, no error code.
        return Err(BearerError::Missing);
    }
    let token = rest.trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    let ok = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'));
    if !ok {
        return Err(BearerError::InvalidRequest("the bearer token is malformed"));
    }
    Ok(Secret::new(token.to_owned()))
}

/// Checks the record the token store returned for the presented token (RFC 6750 §3.1): it
/// must exist and be unexpired at `now`, carry every scope in `required`, and allow `origin`
/// (the request's `Origin` header; `None` for a request not made by a browser page; D6).
///
/// # Errors
/// [`BearerError::InvalidToken`] when the record is missing, expired, or the origin is not
/// allowed; [`BearerError::InsufficientScope`] (naming `required`) when a scope is missing.
pub fn check(
    record: Option<AccessTokenRecord>,
    now: UnixTime,
    required: &ScopeSet,
    origin: Option<&str>,
) -> Result<AccessTokenRecord, BearerError> {
    let Some(record) = record.filter(|r| !r.expires_at.is_expired_at(now)) else {
        return Err(BearerError::InvalidToken("the access token is not active"));
    };
    if !record.allows_origin(origin) {
        return Err(BearerError::InvalidToken("the access token may not be used from this origin"));
    }
    if !required.is_subset(&record.scope) {
        return Err(BearerError::InsufficientScope(required.clone()));
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::types::{GrantId, Subject, TokenDigest};

    fn record(scope: &str, origins: &[&str]) -> AccessTokenRecord {
        AccessTokenRecord {
            grant_id: GrantId::from_digest(&TokenDigest::of("g")),
            client_id: Arc::from("svc"),
            subject: Subject::Client(Arc::from("svc")),
            actor: None,
            scope: ScopeSet::parse(scope).unwrap(),
            allowed_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            issued_at: UnixTime::from_secs(100),
            expires_at: UnixTime::from_secs(200),
        }
    }

    #[test]
    fn authorization_header_syntax() {
        assert_eq!(parse_authorization(Some("Bearer abc.DEF-_~+/==")).unwrap().expose(), "abc.DEF-_~+/==");
        assert_eq!(parse_authorization(Some("bearer  abc")).unwrap().expose(), "abc");
        assert_eq!(parse_authorization(None), Err(BearerError::Missing));
        assert_eq!(parse_authorization(Some("Basic YTpi")), Err(BearerError::Missing));
        assert_eq!(parse_authorization(Some("Bearertoken")), Err(BearerError::Missing));
        for bad in ["Bearer", "Bearer ", "Bearer a b", "Bearer a,Bearer b", "Bearer =", "Bearer a=b", "Bearer \u{e9}"] {
            assert!(matches!(parse_authorization(Some(bad)), Err(BearerError::InvalidRequest(_))), "{bad}");
        }
        let long = format!("Bearer {}", "a".repeat(MAX_BEARER_HEADER_BYTES));
        assert!(matches!(parse_authorization(Some(&long)), Err(BearerError::InvalidRequest(_))));
    }

    #[test]
    fn record_checks() {
        let now = UnixTime::from_secs(150);
        let need = ScopeSet::parse("admin_classic").unwrap();
        assert!(check(Some(record("admin_classic x", &[])), now, &need, None).is_ok());
        let e = check(None, now, &need, None).unwrap_err();
        assert_eq!((e.status(), e.code()), (401, Some("invalid_token")));
        // Expired at exactly expires_at.
        let e = check(Some(record("admin_classic", &[])), UnixTime::from_secs(200), &need, None).unwrap_err();
        assert_eq!(e.code(), Some("invalid_token"));
        let e = check(Some(record("x", &[])), now, &need, None).unwrap_err();
        assert_eq!((e.status(), e.code()), (403, Some("insufficient_scope")));
        assert_eq!(
            e.challenge("oauth"),
            r#"Bearer realm="oauth", error="insufficient_scope", error_description="the access token lacks a required scope", scope="admin_classic""#
        );
        // Origins: none sent is fine; an allowed one is fine; any other is refused.
        let r = record("admin_classic", &["https://spa.example.com"]);
        assert!(check(Some(r.clone()), now, &need, Some("https://spa.example.com")).is_ok());
        let e = check(Some(r), now, &need, Some("http://spa.example.com")).unwrap_err();
        assert_eq!(e.code(), Some("invalid_token"));
        assert!(check(Some(record("admin_classic", &[])), now, &need, Some("https://a.example")).is_err());
    }

    #[test]
    fn http_mapping() {
        let h = BearerError::Missing.to_http("oauth");
        assert_eq!(h.status, 401);
        assert!(h.headers.contains(&("www-authenticate", Cow::Borrowed("Bearer realm=\"oauth\""))));
        let h = BearerError::InvalidRequest("x").to_http("a\"b");
        assert_eq!(h.status, 400);
        assert!(h.headers.iter().any(|(n, v)| *n == "www-authenticate" && v.starts_with("Bearer realm=\"ab\"")));
        assert_eq!(h.body, r#"{"error":"invalid_request","error_description":"x"}"#);
        let h = BearerError::Store(StoreError::Unavailable).to_http("oauth");
        assert_eq!(h.status, 503);
        assert!(!h.headers.iter().any(|(n, _)| *n == "www-authenticate"));
    }
}
