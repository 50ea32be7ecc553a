//! Checks shared by the targets: the shape of every HTTP answer the core produces
//! ([`oauth_core::Response::to_http`], [`oauth_core::BearerError::to_http`]).
//!
//! Every function panics (the fuzzer's crash signal) when the answer breaks a rule, with a
//! message that names the rule and never the credential involved.

use oauth_core::HttpResponse;
use serde_json::{Map, Value};

/// Error codes the token endpoint may answer: RFC 6749 §5.2, plus `server_error` and
/// `temporarily_unavailable` for store and entropy failures (§4.1.2.1 codes the core reuses).
pub const TOKEN_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
];

/// Error codes the authorization endpoint may redirect with (RFC 6749 §4.1.2.1; OpenID Connect
/// Core §3.1.2.6 for `login_required` and `consent_required`).
pub const AUTHORIZE_ERRORS: &[&str] = &[
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "login_required",
    "consent_required",
];

/// Error codes the authorization endpoint may answer directly as JSON, before the client and
/// redirect URI are known to be good (RFC 6749 §4.1.2.1: never redirected).
pub const AUTHORIZE_DIRECT_ERRORS: &[&str] = &["invalid_request", "server_error", "temporarily_unavailable"];

/// The value of header `name` (lower case), if present; panics when it appears twice.
#[must_use]
pub fn header<'a>(resp: &'a HttpResponse, name: &str) -> Option<&'a str> {
    let mut found = resp.headers.iter().filter(|(n, _)| *n == name).map(|(_, v)| v.as_ref());
    let first = found.next();
    assert!(found.next().is_none(), "header {name} appears twice");
    first
}

/// Checks what every answer shares: lower-case header names, and header values without
/// control bytes (no CR or LF: no header injection, RFC 9110 §5.5).
pub fn common(resp: &HttpResponse) {
    for (name, value) in &resp.headers {
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "header name {name:?} is not a lower-case token"
        );
        assert!(value.bytes().all(|b| b >= 0x20 && b != 0x7f), "header {name} holds a control byte");
    }
}

fn json_headers(resp: &HttpResponse) {
    assert_eq!(header(resp, "content-type"), Some("application/json"), "JSON answer without its content type");
    assert_eq!(header(resp, "cache-control"), Some("no-store"), "JSON answer without Cache-Control: no-store");
    assert_eq!(header(resp, "pragma"), Some("no-cache"), "JSON answer without Pragma: no-cache");
}

/// Parses a JSON object body; panics if the body is anything else.
#[must_use]
pub fn json_object(body: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(m)) => m,
        _ => panic!("body is not a JSON object"),
    }
}

/// Whether `text` holds only the characters RFC 6749 §5.2 allows in `error` and
/// `error_description`: `%x20-21 / %x23-5B / %x5D-7E`.
#[must_use]
pub fn is_error_text(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| matches!(b, 0x20 | 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Checks an OAuth error answered as JSON (RFC 6749 §5.2) and returns its code: a 4xx or 5xx
/// status that fits the code (401 with a `Basic` challenge for `invalid_client`, 500 for
/// `server_error`, 503 for `temporarily_unavailable`, 413 or 414 only for an oversized
/// `invalid_request`, 400 otherwise), the JSON headers, and a body of exactly `error` (one of
/// `allowed`) and an optional `error_description` in the RFC's character set.
#[must_use]
pub fn oauth_error(resp: &HttpResponse, allowed: &[&str]) -> String {
    common(resp);
    assert!((400..=599).contains(&resp.status), "error with status {}", resp.status);
    json_headers(resp);
    let body = json_object(&resp.body);
    let code = match body.get("error") {
        Some(Value::String(c)) => c.clone(),
        _ => panic!("error body without a string `error`"),
    };
    assert!(allowed.contains(&code.as_str()), "error code {code:?} is not allowed here");
    assert!(is_error_text(&code), "error code outside the RFC 6749 §5.2 character set");
    match body.get("error_description") {
        None => {}
        Some(Value::String(d)) => assert!(is_error_text(d), "error_description outside the RFC 6749 §5.2 set"),
        Some(_) => panic!("error_description is not a string"),
    }
    assert!(
        body.keys().all(|k| k == "error" || k == "error_description"),
        "error body with members other than error and error_description"
    );
    let expected: &[u16] = match code.as_str() {
        "invalid_client" => &[401],
        "server_error" => &[500],
        "temporarily_unavailable" => &[503],
        "invalid_request" => &[400, 413, 414],
        _ => &[400],
    };
    assert!(expected.contains(&resp.status), "{code} answered with status {}", resp.status);
    if code == "invalid_client" {
        let challenge = header(resp, "www-authenticate").unwrap_or("");
        assert!(challenge.starts_with("Basic realm="), "401 invalid_client without a Basic challenge");
    } else {
        assert!(header(resp, "www-authenticate").is_none(), "challenge on an error that is not invalid_client");
    }
    assert!(header(resp, "location").is_none(), "a JSON error with a Location");
    code
}

/// A successful token response as the checks saw it.
#[derive(Debug)]
#[non_exhaustive]
pub struct TokenAnswer {
    /// The access token (43 base64url characters).
    pub access_token: String,
    /// The granted scope, as sent.
    pub scope: String,
    /// The refresh token, when one was issued.
    pub refresh_token: Option<String>,
    /// The `Access-Control-Allow-Origin` value, if any.
    pub allow_origin: Option<String>,
}

/// Whether `token` looks like a credential the core generates: 43 base64url characters.
#[must_use]
pub fn is_core_token(token: &str) -> bool {
    token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks a successful token response (RFC 6749 §5.1; D2): 200, the JSON headers, a body of
/// `access_token`, `token_type` `Bearer`, `expires_in` equal to `lifetime` seconds, `scope`
/// (always present, D2) and an optional `refresh_token`, and nothing else. The access token is
/// opaque (43 base64url characters).
#[must_use]
pub fn token_answer(resp: &HttpResponse, lifetime: u64) -> TokenAnswer {
    token_answer_as(resp, lifetime, false)
}

/// As [`token_answer`]; with `jwt`, the access token is a compact JWS (RFC 9068: three
/// base64url parts, at most [`oauth_core::jwt::MAX_JWT_BYTES`]) instead of an opaque token.
#[must_use]
pub fn token_answer_as(resp: &HttpResponse, lifetime: u64, jwt: bool) -> TokenAnswer {
    common(resp);
    assert_eq!(resp.status, 200, "token response status");
    json_headers(resp);
    assert!(header(resp, "www-authenticate").is_none(), "token response with a challenge");
    let body = json_object(&resp.body);
    let text = |name: &str| match body.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        None => None,
        Some(_) => panic!("token response member {name} is not a string"),
    };
    let access_token = text("access_token").unwrap_or_else(|| panic!("token response without access_token"));
    if jwt {
        let b64url = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        assert!(
            access_token.len() <= oauth_core::jwt::MAX_JWT_BYTES
                && access_token.split('.').all(b64url)
                && oauth_core::jwt::looks_like_jwt(&access_token),
            "access_token is not a compact JWT"
        );
    } else {
        assert!(is_core_token(&access_token), "access_token is not 43 base64url characters");
    }
    assert_eq!(body.get("token_type"), Some(&Value::String("Bearer".into())), "token_type is not Bearer");
    assert_eq!(body.get("expires_in").and_then(Value::as_u64), Some(lifetime), "expires_in is not the lifetime");
    let scope = text("scope").unwrap_or_else(|| panic!("token response without scope (D2)"));
    let refresh_token = text("refresh_token");
    if let Some(rt) = &refresh_token {
        assert!(is_core_token(rt), "refresh_token is not 43 base64url characters");
        assert_ne!(rt, &access_token, "refresh token equals the access token");
    }
    assert!(
        body.keys()
            .all(|k| matches!(k.as_str(), "access_token" | "token_type" | "expires_in" | "scope" | "refresh_token")),
        "token response with unknown members"
    );
    let allow_origin = header(resp, "access-control-allow-origin").map(str::to_owned);
    TokenAnswer { access_token, scope, refresh_token, allow_origin }
}

/// CORS headers of a token-endpoint answer (CORS-01, D6): `Access-Control-Allow-Origin` only
/// with `Vary: Origin`, and only naming `origin`, the request's `Origin` when its client
/// allows it.
pub fn cors(resp: &HttpResponse, allowed_origin: Option<&str>) {
    let acao = header(resp, "access-control-allow-origin");
    match acao {
        Some(o) => {
            assert_eq!(Some(o), allowed_origin, "Access-Control-Allow-Origin names an origin that is not allowed");
            assert_eq!(header(resp, "vary"), Some("Origin"), "Access-Control-Allow-Origin without Vary: Origin");
        }
        None => assert!(header(resp, "vary").is_none(), "Vary without Access-Control-Allow-Origin"),
    }
}

/// An authorization response or error redirect as the checks saw it (RFC 6749 §4.1.2,
/// §4.1.2.1; RFC 9207 §2).
#[derive(Debug)]
#[non_exhaustive]
pub struct RedirectAnswer {
    /// The `code`, for an authorization response.
    pub code: Option<String>,
    /// The `error`, for an error redirect.
    pub error: Option<String>,
}

/// Checks a redirect to the client: status 302 after a GET and 303 after a POST (RFC 9700
/// §4.12: never 307), `Cache-Control: no-store`, `Referrer-Policy: no-referrer`, no body, and a
/// `Location` of visible ASCII that is exactly `base` (the redirect URI the request selected,
/// which the caller has checked is registered) followed by the core's parameters in its own
/// query: `code` (43 base64url characters) or `error` (one of [`AUTHORIZE_ERRORS`]) with an
/// optional `error_description`, then `state` exactly as sent (absent when not sent), then `iss`
/// equal to `issuer` (RFC 9207), and nothing else.
#[must_use]
pub fn redirect(resp: &HttpResponse, base: &str, state: Option<&str>, post: bool, issuer: &str) -> RedirectAnswer {
    common(resp);
    assert_eq!(resp.status, if post { 303 } else { 302 }, "redirect status");
    assert_eq!(header(resp, "cache-control"), Some("no-store"), "redirect without no-store");
    assert_eq!(header(resp, "referrer-policy"), Some("no-referrer"), "redirect without Referrer-Policy");
    assert!(resp.body.is_empty(), "redirect with a body");
    let location = header(resp, "location").unwrap_or_else(|| panic!("redirect without Location"));
    assert!(location.bytes().all(|b| b.is_ascii_graphic()), "Location with a byte outside visible ASCII");
    let rest = location.strip_prefix(base).unwrap_or_else(|| panic!("redirect to another URI than the selected one"));
    let params = match base.find('?') {
        None => rest.strip_prefix('?'),
        Some(_) if base.ends_with('?') || base.ends_with('&') => Some(rest),
        Some(_) => rest.strip_prefix('&'),
    };
    let params = params.unwrap_or_else(|| panic!("redirect parameters not appended to the redirect URI's query"));
    let pairs: Vec<(String, String)> = form_urlencoded::parse(params.as_bytes()).into_owned().collect();
    let names: Vec<&str> = pairs.iter().map(|p| p.0.as_str()).collect();
    let get = |n: &str| pairs.iter().find(|p| p.0 == n).map(|p| p.1.as_str());
    let mut expected: Vec<&str> = match names.first() {
        Some(&"code") => vec!["code"],
        Some(&"error") if names.get(1) == Some(&"error_description") => vec!["error", "error_description"],
        Some(&"error") => vec!["error"],
        _ => panic!("redirect without code or error first"),
    };
    if state.is_some() {
        expected.push("state");
    }
    expected.push("iss");
    assert_eq!(names, expected, "redirect parameters");
    assert_eq!(get("state"), state, "state not echoed exactly");
    assert_eq!(get("iss"), Some(issuer), "iss is not the issuer");
    let code = get("code").map(str::to_owned);
    if let Some(c) = &code {
        assert!(is_core_token(c), "code is not 43 base64url characters");
    }
    let error = get("error").map(str::to_owned);
    if let Some(e) = &error {
        assert!(AUTHORIZE_ERRORS.contains(&e.as_str()), "error redirect code {e:?} not allowed");
        if let Some(d) = get("error_description") {
            assert!(is_error_text(d), "error_description outside the RFC 6749 §5.2 set");
        }
    }
    RedirectAnswer { code, error }
}
