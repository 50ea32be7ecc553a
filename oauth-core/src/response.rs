//! Responses the machines produce, and the one function that maps them to HTTP
//! ([`Response::to_http`]).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::bearer::BearerError;
use crate::error::{Challenge, OAuthError};
use crate::types::{ScopeSet, Secret};

/// What an endpoint answers. Produced only as [`crate::Step::Respond`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum Response {
    /// A successful token response (RFC 6749 §5.1).
    Token(TokenResponse),
    /// A redirect back to the client: an authorization response or an error redirect
    /// (RFC 6749 §4.1.2, §4.1.2.1).
    Redirect(Redirect),
    /// An error answered directly as JSON (RFC 6749 §5.2), never redirected.
    Error(OAuthError),
    /// The revocation endpoint's answer (RFC 7009 §2.2): 200 with an empty body, whether the
    /// token was revoked or was unknown.
    Revoked(Revoked),
    /// The introspection endpoint's answer (RFC 7662 §2.2).
    Introspection(Introspection),
    /// A refused bearer token at an endpoint that accepts one (introspection, RFC 7662 §2.1):
    /// mapped by [`BearerError::to_http`] with realm `oauth`.
    Bearer(BearerError),
}

/// A successful revocation (RFC 7009 §2.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Revoked {
    /// The browser origin allowed to read the answer, as for [`TokenResponse::allow_origin`].
    pub allow_origin: Option<Arc<str>>,
}

/// An introspection answer (RFC 7662 §2.2): `{"active": false}` exactly, or the active token's
/// members.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Introspection {
    /// The token's members when it is active and the caller may see it; `None` answers
    /// `{"active": false}` and nothing else (INTRO-03).
    pub active: Option<ActiveToken>,
}

impl Introspection {
    /// `{"active": false}`.
    pub const INACTIVE: Self = Self { active: None };
}

/// The members of an active token's introspection answer (RFC 7662 §2.2). Times are integer
/// seconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActiveToken {
    /// The token's scope, space-delimited.
    pub scope: ScopeSet,
    /// The client the token was issued to.
    pub client_id: Arc<str>,
    /// Whom the token speaks for (see [`crate::Subject::to_sub`]).
    pub sub: String,
    /// Expiry.
    pub exp: u64,
    /// Issue time.
    pub iat: u64,
    /// The issuer.
    pub iss: String,
    /// The audience (access tokens only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// `Bearer` for an access token; absent for a refresh token, which has no RFC 6749 §5.1 type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    /// For an impersonation token, the acting client (RFC 8693 §4.1 `act`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<crate::jwt::Actor>,
    /// The browser origins that may present the token (D6), as in the JWT claim of the same
    /// name; omitted when empty (then no browser origin may).
    #[serde(rename = "allowed-origins", skip_serializing_if = "<[String]>::is_empty")]
    pub allowed_origins: Arc<[String]>,
}

/// The body of a successful token response (RFC 6749 §5.1, D2). `Debug` redacts the tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token.
    pub access_token: Secret,
    /// Always `Bearer` (RFC 6750).
    pub token_type: &'static str,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
    /// The granted scope, always present (D2).
    pub scope: ScopeSet,
    /// A refresh token, when one was issued.
    pub refresh_token: Option<Secret>,
    /// The browser origin allowed to read this response (`Access-Control-Allow-Origin`), set
    /// when the request's `Origin` is one of the client's allowed origins (CORS-01, D6).
    pub allow_origin: Option<Arc<str>>,
}

/// A redirect to the client's redirect URI. `Debug` shows the URI without its query, which
/// holds the authorization code.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redirect {
    /// The full `Location` value.
    pub location: String,
    /// 302 after a GET, 303 after a POST (RFC 9700 §4.12: never 307).
    pub status: u16,
}

impl fmt::Debug for Redirect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = self.location.split('?').next().unwrap_or("");
        f.debug_struct("Redirect")
            .field("location", &format_args!("{base}?<redacted>"))
            .field("status", &self.status)
            .finish()
    }
}

/// A response as HTTP: status, headers and body. Header names are lower case.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header fields in order; values are static where they can be, so mapping a response
    /// allocates little.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The body (JSON, or empty for redirects).
    pub body: String,
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers.iter().map(|(n, _)| *n).collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_in: u64,
    scope: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
}

#[derive(Serialize)]
struct ActiveBody<'a> {
    active: bool,
    #[serde(flatten)]
    token: &'a ActiveToken,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_description: Option<&'a str>,
}

const JSON: &str = "application/json";

impl Response {
    /// The HTTP form of this response (RFC 6749 §5.1, §5.2, §4.1.2):
    /// - token: 200, `application/json`, `Cache-Control: no-store`, `Pragma: no-cache`;
    /// - error: its status, the same headers, and `WWW-Authenticate: Basic realm="oauth"` for
    ///   `invalid_client`;
    /// - token and error: `Access-Control-Allow-Origin` and `Vary: Origin` when the request came
    ///   from an origin its client allows (CORS-01; see [`Response::with_allow_origin`]);
    /// - redirect: 302 or 303 with `Location`, `Cache-Control: no-store` and
    ///   `Referrer-Policy: no-referrer`;
    /// - revocation: 200, empty body, `Cache-Control: no-store` (RFC 7009 §2.2), CORS as above;
    /// - introspection: 200 JSON with `Cache-Control: no-store` (RFC 7662 §2.2);
    /// - bearer refusal: [`BearerError::to_http`] with realm `oauth` (RFC 6750 §3).
    #[must_use]
    pub fn to_http(&self) -> HttpResponse {
        self.clone().into_http()
    }

    /// As [`Response::to_http`], consuming the response so that nothing is copied.
    #[must_use]
    pub fn into_http(self) -> HttpResponse {
        match self {
            Self::Token(t) => {
                let body = TokenBody {
                    access_token: t.access_token.expose(),
                    token_type: t.token_type,
                    expires_in: t.expires_in,
                    scope: t.scope.as_str(),
                    refresh_token: t.refresh_token.as_ref().map(Secret::expose),
                };
                let mut headers = json_headers();
                cors_headers(&mut headers, t.allow_origin);
                HttpResponse { status: 200, headers, body: to_json(&body) }
            }
            Self::Error(e) => error_http(e),
            Self::Revoked(r) => {
                let mut headers = json_headers();
                headers.swap_remove(0);
                cors_headers(&mut headers, r.allow_origin);
                HttpResponse { status: 200, headers, body: String::new() }
            }
            Self::Introspection(i) => {
                let body = match &i.active {
                    None => String::from(r#"{"active":false}"#),
                    Some(t) => to_json(&ActiveBody { active: true, token: t }),
                };
                HttpResponse { status: 200, headers: json_headers(), body }
            }
            Self::Bearer(e) => e.to_http("oauth"),
            Self::Redirect(r) => HttpResponse {
                status: r.status,
                headers: vec![
                    ("location", Cow::Owned(r.location)),
                    ("cache-control", Cow::Borrowed("no-store")),
                    ("referrer-policy", Cow::Borrowed("no-referrer")),
                ],
                body: String::new(),
            },
        }
    }

    /// The same response readable by `origin` from a browser (`Access-Control-Allow-Origin`
    /// and `Vary: Origin`, Fetch §3.2.3); redirects never carry CORS headers.
    pub fn with_allow_origin(mut self, origin: Option<Arc<str>>) -> Self {
        match &mut self {
            Self::Token(t) => t.allow_origin = origin,
            Self::Error(e) => e.allow_origin = origin,
            Self::Revoked(r) => r.allow_origin = origin,
            Self::Redirect(_) | Self::Introspection(_) | Self::Bearer(_) => {}
        }
        self
    }

    /// The error this response carries, if it is an error (a redirect's error is not parsed).
    #[must_use]
    pub const fn error(&self) -> Option<&OAuthError> {
        match self {
            Self::Error(e) => Some(e),
            _ => None,
        }
    }
}

fn json_headers() -> Vec<(&'static str, Cow<'static, str>)> {
    let mut headers = Vec::with_capacity(6);
    headers.push(("content-type", Cow::Borrowed(JSON)));
    headers.push(("cache-control", Cow::Borrowed("no-store")));
    headers.push(("pragma", Cow::Borrowed("no-cache")));
    headers
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs of strings and integers cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| String::from("{\"error\":\"server_error\"}"))
}

/// `Access-Control-Allow-Origin: <origin>` and `Vary: Origin` for an allowed origin.
fn cors_headers(headers: &mut Vec<(&'static str, Cow<'static, str>)>, origin: Option<Arc<str>>) {
    if let Some(origin) = origin {
        headers.push(("access-control-allow-origin", Cow::Owned(String::from(&*origin))));
        headers.push(("vary", Cow::Borrowed("Origin")));
    }
}

fn error_http(e: OAuthError) -> HttpResponse {
    let mut headers = json_headers();
    if let Some(Challenge::Basic) = e.challenge {
        headers.push(("www-authenticate", Cow::Borrowed("Basic realm=\"oauth\", charset=\"UTF-8\"")));
    }
    cors_headers(&mut headers, e.allow_origin);
    let body = to_json(&ErrorBody { error: e.code.as_str(), error_description: e.description });
    HttpResponse { status: e.status, headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn error_mapping() {
        let h = Response::Error(OAuthError::invalid_client()).to_http();
        assert_eq!(h.status, 401);
        assert!(h.headers.iter().any(|(n, v)| *n == "www-authenticate" && v.starts_with("Basic realm=")));
        assert_eq!(h.body, r#"{"error":"invalid_client","error_description":"client authentication failed"}"#);
        let h = Response::Error(OAuthError::new(ErrorCode::INVALID_SCOPE, "x")).to_http();
        assert_eq!(h.status, 400);
        assert!(h.headers.contains(&("cache-control", "no-store".into())));
    }

    #[test]
    fn token_mapping_and_redaction() {
        let t = Response::Token(TokenResponse {
            access_token: Secret::new("AT".into()),
            token_type: "Bearer",
            expires_in: 3600,
            scope: ScopeSet::parse("b a").unwrap(),
            refresh_token: None,
            allow_origin: None,
        });
        let h = t.to_http();
        assert_eq!(h.body, r#"{"access_token":"AT","token_type":"Bearer","expires_in":3600,"scope":"a b"}"#);
        assert!(h.headers.contains(&("pragma", "no-cache".into())));
        assert!(!format!("{t:?}").contains("\"AT\""));
        assert!(!format!("{h:?}").contains("AT\""));
        let r = Redirect { location: "https://a.example/cb?code=SECRET".into(), status: 302 };
        assert!(!format!("{r:?}").contains("SECRET"));
    }
}
