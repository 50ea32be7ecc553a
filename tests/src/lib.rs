//! # oauth-conformance
//!
//! Black-box conformance tests for `oauth-server`: the real server on an ephemeral loopback port,
//! driven over HTTP by `reqwest` (raw requests for the field cases and requirement lines) and by
//! the `oauth2` crate (a real client library).
//!
//! This library is the harness the test files share:
//! - [`TestServer`] starts `oauth_server::serve` on `127.0.0.1:0` with a TOML configuration and
//!   offers request helpers for `/oauth/authorize` and `/oauth/token`;
//! - [`Reply`] is a fully read HTTP response with assertion helpers;
//! - [`FIXTURE`] is the field-case client and user registry (`shared/cases/field-cases.md`);
//! - [`REQUIREMENT_FIXTURE`] is the requirement lines' registry (`web1`, `m2m1`, `imp1`,
//!   `spa1`, `nat1`, users `u1` and `u2`; `shared/spec/requirements.md` Part 2), with
//!   [`REQUIREMENT_FIXTURE_PAGES`] and [`requirement_fixture_with`] as variants;
//! - [`TestServer::admin`] and [`TestServer::admin_token`] drive the admin API
//!   (`/api/v1/oauth-clients`), [`TestServer::preflight`] sends CORS preflights, and
//!   [`Browser`] keeps cookies and submits the login and consent pages' forms;
//! - [`raw_request`] and [`raw_token_form`] write requests by hand (any bytes), and
//!   [`TestServer::race`] sends many of them on separate connections at the same instant;
//! - issue 4: [`lifecycle_fixture`] adds the introspection client [`INTROSPECTOR`];
//!   [`TestServer::revoke`], [`TestServer::introspect`], [`TestServer::metadata`] and
//!   [`TestServer::start_with_issuer_path`] drive revocation, introspection and metadata, and
//!   [`Reply::assert_revoked`], [`Reply::assert_inactive`] and [`Reply::assert_active`] check
//!   their answers;
//! - the PKCE pairs ([`V1`]/[`C1`], [`V2`]/[`C2`], [`V42`]/[`C42`], [`V_RFC7636`]/[`C_RFC7636`])
//!   and the `Authorization: Basic` header values of the registry are constants.
//!
//! Every request is bounded by [`REQUEST_TIMEOUT`]; nothing sleeps.
//!
//! Assertion messages never print tokens, codes or secrets: [`Reply::describe`] shows error
//! bodies in full but only the member names of a success body, and only the parameter names of
//! a `Location`.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::HeaderMap;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Upper bound on every HTTP exchange a test makes, connection included: 30 seconds.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// PKCE pairs (RFC 7636 §4.1, §4.2; S256 = BASE64URL(SHA256(verifier))).
// ---------------------------------------------------------------------------------------------

/// Field-case PKCE verifier V1 (47 characters).
pub const V1: &str = "pkce-verifier-0123456789-abcdefghijklmnopqrstuv";
/// S256 challenge of [`V1`].
pub const C1: &str = "4O8f97RUaV-Gb9z48pr7pEdnesiwWdEqrU_6qJLRlmY";
/// Field-case PKCE verifier V2 (49 characters).
pub const V2: &str = "pkce-verifier-9876543210-zyxwvutsrqponmlkjihgfedc";
/// S256 challenge of [`V2`].
pub const C2: &str = "UupzmOJOwzgBdMJ6ewertvEPmbWahW3SgGQVJVuClcY";
/// A 42-character verifier: one short of the RFC 7636 §4.1 minimum.
pub const V42: &str = "short-verifier-0123456789-abcdefghijklmnop";
/// S256 challenge of [`V42`] (itself a well-formed 43-character challenge).
pub const C42: &str = "HA1L6kd0rVUNygBv0QQ8NftSkV8U8UoGL4O9t6R1nFk";
/// RFC 7636 Appendix B verifier.
pub const V_RFC7636: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// RFC 7636 Appendix B S256 challenge.
pub const C_RFC7636: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// `BASE64URL(SHA256(ASCII(verifier)))` without padding (RFC 7636 §4.2), for verifiers a test
/// makes up (for example malformed ones whose challenge must still match).
#[must_use]
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Registry: redirect URIs and Basic headers.
// ---------------------------------------------------------------------------------------------

/// `client-a`'s only redirect URI.
pub const CB_A: &str = "https://app.example/cb";
/// `client-b`'s only redirect URI.
pub const CB_B: &str = "https://b.example/cb";
/// `client-m`'s second redirect URI (its first is [`CB_A`]).
pub const CB_M2: &str = "https://app.example/cb2";
/// `client-q`'s only redirect URI, with a registered query.
pub const CB_Q: &str = "https://app.example/cb?tenant=t1";
/// `client-pub`'s only redirect URI.
pub const CB_PUB: &str = "https://spa.example/cb";
/// `client-native`'s IPv4 loopback redirect URI (any port matches, RFC 8252 §7.3).
pub const CB_NATIVE_V4: &str = "http://127.0.0.1/cb";
/// `client-native`'s IPv6 loopback redirect URI (any port matches, RFC 8252 §7.3).
pub const CB_NATIVE_V6: &str = "http://[::1]/cb";

/// `Authorization` value for `client-a` : `s3cret`.
pub const BASIC_CLIENT_A: &str = "Basic Y2xpZW50LWE6czNjcmV0";
/// `Authorization` value for `client-a` : `wrong`.
pub const BASIC_CLIENT_A_WRONG: &str = "Basic Y2xpZW50LWE6d3Jvbmc=";
/// `Authorization` value for `client-b` : `s3cret-b`.
pub const BASIC_CLIENT_B: &str = "Basic Y2xpZW50LWI6czNjcmV0LWI=";
/// `Authorization` value for `client-c` : `p+q/r:s%t`, both halves form-urlencoded first
/// (RFC 6749 §2.3.1).
pub const BASIC_CLIENT_C: &str = "Basic Y2xpZW50LWM6cCUyQnElMkZyJTNBcyUyNXQ=";
/// `Authorization` value for `client-c` with the raw, un-encoded secret (malformed, D15).
pub const BASIC_CLIENT_C_RAW: &str = "Basic Y2xpZW50LWM6cCtxL3I6cyV0";
/// `Authorization` value for `svc-a` : `s3cret-svc`.
pub const BASIC_SVC_A: &str = "Basic c3ZjLWE6czNjcmV0LXN2Yw==";
/// `Authorization` value for `svc-b` : `s3cret-svcb`.
pub const BASIC_SVC_B: &str = "Basic c3ZjLWI6czNjcmV0LXN2Y2I=";

/// The `Authorization: Basic` value for `client_id` and `secret`: each form-urlencoded, joined
/// with `:`, base64-encoded (RFC 6749 §2.3.1, RFC 7617 §2).
#[must_use]
pub fn basic(client_id: &str, secret: &str) -> String {
    let raw = format!("{}:{}", enc(client_id), enc(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

/// The registry's `[[clients]]` tables (used by [`FIXTURE`] and [`fixture_with`]).
macro_rules! fixture_clients {
    () => {
        r#"
[[clients]]
client_id = "client-a"
app_type = "web"
client_secret = "s3cret"
redirect_uris = ["https://app.example/cb"]
allowed_scopes = ["read", "write", "offline_access"]
allowed_grant_types = ["authorization_code", "refresh_token"]
consent = "trusted"

[[clients]]
client_id = "client-b"
app_type = "web"
client_secret = "s3cret-b"
redirect_uris = ["https://b.example/cb"]
allowed_scopes = ["read", "write"]
allowed_grant_types = ["authorization_code", "refresh_token"]
consent = "trusted"

[[clients]]
client_id = "client-m"
app_type = "web"
client_secret = "s3cret-m"
redirect_uris = ["https://app.example/cb", "https://app.example/cb2"]
allowed_scopes = ["read"]
allowed_grant_types = ["authorization_code"]
consent = "trusted"

[[clients]]
client_id = "client-q"
app_type = "web"
client_secret = "s3cret-q"
redirect_uris = ["https://app.example/cb?tenant=t1"]
allowed_scopes = ["read"]
allowed_grant_types = ["authorization_code"]
consent = "trusted"

[[clients]]
client_id = "client-c"
app_type = "web"
client_secret = "p+q/r:s%t"
redirect_uris = []
allowed_scopes = ["read"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"

[[clients]]
client_id = "client-pub"
app_type = "spa"
redirect_uris = ["https://spa.example/cb"]
allowed_scopes = ["read", "write", "offline_access"]
allowed_grant_types = ["authorization_code", "refresh_token"]
allowed_origins = ["https://spa.example"]
consent = "trusted"

[[clients]]
client_id = "client-native"
app_type = "native"
redirect_uris = ["http://127.0.0.1/cb", "http://[::1]/cb"]
allowed_scopes = ["read"]
allowed_grant_types = ["authorization_code"]
consent = "trusted"

[[clients]]
client_id = "svc-a"
app_type = "web"
client_secret = "s3cret-svc"
redirect_uris = []
allowed_scopes = ["read"]
allowed_grant_types = ["client_credentials", "urn:qlik:oauth:user-impersonation"]
consent = "trusted"

[[clients]]
client_id = "svc-b"
app_type = "web"
client_secret = "s3cret-svcb"
redirect_uris = []
allowed_scopes = ["read"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"
"#
    };
}

/// The registry's `[[users]]` tables: `user-1` active, `user-2` disabled (`user-x` does not
/// exist).
macro_rules! fixture_users {
    () => {
        r#"
[[users]]
id = "user-1"
password = "pw-1"
disabled = false

[[users]]
id = "user-2"
password = "pw-2"
disabled = true
"#
    };
}

/// The field-case registry (`shared/cases/field-cases.md`, "Fixture registry"), without the
/// `issuer` line that [`TestServer::start`] prepends. `dev_login` signs `user-1` in.
///
/// Differences from the table, as the brief asks: `client-a` and `client-pub` also allow
/// `offline_access` so that refresh tokens can be issued; every client is `consent = "trusted"`.
pub const FIXTURE: &str = concat!(
    r#"dev_login = "user-1"
"#,
    fixture_clients!(),
    fixture_users!()
);

/// [`FIXTURE`] with `extra` (more `[[clients]]` tables, or a `[lifetimes]` table) inserted
/// between the registry's clients and its users, so the result is one valid TOML document.
#[must_use]
pub fn fixture_with(extra: &str) -> String {
    format!("dev_login = \"user-1\"\n{}\n{extra}\n{}", fixture_clients!(), fixture_users!())
}

// ---------------------------------------------------------------------------------------------
// The requirement-line fixture (`shared/spec/requirements.md` Part 2, "Fixtures used below").
// ---------------------------------------------------------------------------------------------

/// `web1`'s secret.
pub const WEB1_SECRET: &str = "s3cr3t";
/// `web1`'s only redirect URI.
pub const CB_WEB1: &str = "https://app.example.com/cb";
/// `m2m1`'s secret.
pub const M2M1_SECRET: &str = "s3cr3t-m2m1";
/// `imp1`'s secret.
pub const IMP1_SECRET: &str = "s3cr3t-imp1";
/// `imp1`'s only allowed origin.
pub const ORIGIN_IMP1: &str = "https://custom-app.com";
/// `imp2`'s secret.
pub const IMP2_SECRET: &str = "s3cr3t-imp2";
/// `spa1`'s only redirect URI.
pub const CB_SPA1: &str = "https://spa.example.com/cb";
/// `spa1`'s only allowed origin.
pub const ORIGIN_SPA1: &str = "https://spa.example.com";
/// `nat1`'s loopback redirect URI.
pub const CB_NAT1: &str = "http://127.0.0.1/cb";
/// `nat1`'s private-use-scheme redirect URI (D14).
pub const CB_NAT1_APP: &str = "com.example.app:/oauth2redirect";
/// `u1`'s user id (the impersonation grant's `userId`, and its login name).
pub const U1_ID: &str = "6422bad8022070c06d2417bc";
/// `u1`'s subject (the impersonation grant's `subject`, and its tokens' subject).
pub const U1_SUBJECT: &str = "auth0|u1";
/// `u1`'s password.
pub const U1_PASSWORD: &str = "pw-u1-correct-horse";
/// The disabled user's id.
pub const U2_ID: &str = "u2";
/// The disabled user's subject.
pub const U2_SUBJECT: &str = "auth0|u2";
/// The disabled user's password (valid, but the user is disabled).
pub const U2_PASSWORD: &str = "pw-u2";
/// The grant type of Qlik's M2M impersonation grant (requirements.md Part 1.6).
pub const IMPERSONATION: &str = "urn:qlik:oauth:user-impersonation";
/// The admin API's default required scope (`admin_scope` in the server configuration).
pub const ADMIN_SCOPE: &str = "admin_classic";
/// The admin API's collection path (`/notes/admin-api.md`).
pub const ADMIN_API: &str = "/api/v1/oauth-clients";

/// The requirement fixture's `[[clients]]` and `[[users]]` tables.
macro_rules! requirement_registry {
    () => {
        r#"
[[clients]]
client_id = "web1"
client_name = "Web One"
app_type = "web"
client_secret = "s3cr3t"
redirect_uris = ["https://app.example.com/cb"]
allowed_scopes = ["user_default", "offline_access"]
consent = "required"

[[clients]]
client_id = "m2m1"
client_name = "M2M One"
app_type = "web"
client_secret = "s3cr3t-m2m1"
allowed_scopes = ["admin_classic", "user_default"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"

[[clients]]
client_id = "imp1"
client_name = "Impersonation One"
app_type = "web"
client_secret = "s3cr3t-imp1"
allowed_scopes = ["user_default"]
allowed_grant_types = ["urn:qlik:oauth:user-impersonation"]
allowed_origins = ["https://custom-app.com"]
consent = "trusted"

[[clients]]
client_id = "imp2"
client_name = "Impersonation Two"
app_type = "web"
client_secret = "s3cr3t-imp2"
allowed_scopes = ["user_default", "read", "offline_access"]
allowed_grant_types = ["urn:qlik:oauth:user-impersonation"]
consent = "trusted"

[[clients]]
client_id = "spa1"
client_name = "SPA One"
app_type = "spa"
redirect_uris = ["https://spa.example.com/cb"]
allowed_scopes = ["user_default", "offline_access"]
allowed_origins = ["https://spa.example.com"]
consent = "trusted"

[[clients]]
client_id = "nat1"
client_name = "Native One"
app_type = "native"
redirect_uris = ["http://127.0.0.1/cb", "com.example.app:/oauth2redirect"]
allowed_scopes = ["user_default"]
consent = "trusted"

[[users]]
id = "6422bad8022070c06d2417bc"
subject = "auth0|u1"
password = "pw-u1-correct-horse"

[[users]]
id = "u2"
subject = "auth0|u2"
password = "pw-u2"
disabled = true
"#
    };
}

/// The requirement-line fixture (requirements.md Part 2, "Fixtures used below"), without the
/// `issuer` line that [`TestServer::start`] prepends, with `dev_login` signing `u1` in.
///
/// - `web1`: web, secret [`WEB1_SECRET`], redirect [`CB_WEB1`], scopes `user_default
///   offline_access`, `consent = "required"`;
/// - `m2m1`: web, secret [`M2M1_SECRET`], `client_credentials` only, scopes `admin_classic
///   user_default` (the admin API's client);
/// - `imp1`: web, secret [`IMP1_SECRET`], the impersonation grant only, scope `user_default`,
///   origin [`ORIGIN_IMP1`];
/// - `imp2` (not in the table: IMP-07 needs a client with more than one scope): web, secret
///   [`IMP2_SECRET`], the impersonation grant only, scopes `user_default read offline_access`,
///   no origin;
/// - `spa1`: spa, redirect [`CB_SPA1`], origin [`ORIGIN_SPA1`], scopes `user_default
///   offline_access`, trusted;
/// - `nat1`: native, redirects [`CB_NAT1`] and [`CB_NAT1_APP`], scope `user_default`, trusted;
/// - users `u1` ([`U1_ID`], subject [`U1_SUBJECT`], password [`U1_PASSWORD`]) and `u2`
///   ([`U2_ID`], subject [`U2_SUBJECT`], disabled).
pub const REQUIREMENT_FIXTURE: &str = concat!("dev_login = \"6422bad8022070c06d2417bc\"\n", requirement_registry!());

/// The requirement fixture without `dev_login`: the login and consent pages are shown.
pub const REQUIREMENT_FIXTURE_PAGES: &str = requirement_registry!();

/// The requirement fixture (with `dev_login` when `dev_login` is true) with `top` (top-level
/// keys such as `admin_scope = "…"`) before any table and `extra` (more tables) after the
/// registry, so the result is one valid TOML document.
#[must_use]
pub fn requirement_fixture_with(dev_login: bool, top: &str, extra: &str) -> String {
    let login = if dev_login { format!("dev_login = \"{U1_ID}\"\n") } else { String::new() };
    format!("{login}{top}\n{}\n{extra}\n", requirement_registry!())
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers.
// ---------------------------------------------------------------------------------------------

/// Percent-encodes every byte outside the unreserved set `A-Z a-z 0-9 - . _ ~` (RFC 3986 §2.3),
/// which is a valid `application/x-www-form-urlencoded` encoding as well.
#[must_use]
pub fn enc(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An authorization query (`response_type=code`) for `client_id` with `redirect_uri`, `scope`,
/// the PKCE challenge [`C1`] (S256), `state=s1`, and `extra` parameters appended.
pub fn authz(client_id: &str, redirect_uri: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", "s1"),
        ("code_challenge", C1),
        ("code_challenge_method", "S256"),
    ];
    p.extend_from_slice(extra);
    query(&p)
}

/// A query string or form body from name/value pairs, each percent-encoded with [`enc`],
/// repeats kept in order.
#[must_use]
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(n, v)| format!("{}={}", enc(n), enc(v))).collect::<Vec<_>>().join("&")
}

/// The parameters of a URL's query, form-decoded, in order (empty when there is no query).
#[must_use]
pub fn url_params(url: &str) -> Vec<(String, String)> {
    match reqwest::Url::parse(url) {
        Ok(u) => u.query_pairs().map(|(n, v)| (n.into_owned(), v.into_owned())).collect(),
        Err(_) => Vec::new(),
    }
}

/// The scope tokens of a space-delimited `scope` value, as a set (RFC 6749 §3.3: order and
/// repetition carry no meaning).
#[must_use]
pub fn scope_set(scope: &str) -> BTreeSet<String> {
    scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Whether `s` uses only the characters RFC 6749 §5.2 allows in `error` and
/// `error_description`: `%x20-21 / %x23-5B / %x5D-7E`.
#[must_use]
pub fn is_rfc6749_error_text(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, 0x20 | 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The error codes RFC 6749 §5.2 defines for the token endpoint.
pub const TOKEN_ERROR_CODES: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
];

// ---------------------------------------------------------------------------------------------
// Replies.
// ---------------------------------------------------------------------------------------------

/// A fully read HTTP response: status, headers and body text.
#[non_exhaustive]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The header fields.
    pub headers: HeaderMap,
    /// The body, decoded as UTF-8 (lossily).
    pub body: String,
}

impl Reply {
    /// Reads `response` to the end.
    ///
    /// # Panics
    /// When the body cannot be read (a broken connection): the test fails.
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match response.bytes().await {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => panic!("reading the response body (status {status}) failed: {}", e.without_url()),
        };
        Self { status, headers, body }
    }

    /// The value of header `name` (case-insensitive), if present and visible ASCII.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Location` header, if any.
    #[must_use]
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The query parameters of `Location`, decoded, in order (empty without `Location`).
    #[must_use]
    pub fn location_params(&self) -> Vec<(String, String)> {
        self.location().map(url_params).unwrap_or_default()
    }

    /// The one value of parameter `name` in `Location`'s query.
    #[must_use]
    pub fn location_param(&self, name: &str) -> Option<String> {
        self.location_params().into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    #[must_use]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A description safe to print in an assertion message: the status, the `Location` with
    /// parameter values hidden except `error`, `error_description`, `state` and `iss`, and the
    /// body in full only when it is an error object (a success body shows member names only).
    #[must_use]
    pub fn describe(&self) -> String {
        let location = self.location().map(|l| {
            let base = l.split('?').next().unwrap_or("");
            let params: Vec<String> = self
                .location_params()
                .into_iter()
                .map(|(n, v)| match n.as_str() {
                    "error" | "error_description" | "state" | "iss" | "tenant" => format!("{n}={v}"),
                    _ => format!("{n}=<hidden>"),
                })
                .collect();
            format!(" location={base}?{}", params.join("&"))
        });
        let json = self.json();
        let body = if json.get("error").is_some() {
            self.body.clone()
        } else if let Some(o) = json.as_object() {
            format!("JSON object with members {:?}", o.keys().collect::<Vec<_>>())
        } else if self.body.len() > 300 {
            format!("{} bytes", self.body.len())
        } else {
            self.body.replace(|c: char| c.is_control(), " ")
        };
        format!("status {}{} body: {body}", self.status, location.unwrap_or_default())
    }

    /// Asserts a token endpoint error (RFC 6749 §5.2, D1): exactly `status`, JSON content,
    /// `Cache-Control: no-store`, `Pragma: no-cache`, `error` equal to `error`, an
    /// `error_description` (if any) in the RFC's character set, and no token members.
    ///
    /// # Panics
    /// When any of these does not hold.
    pub fn assert_token_error(&self, status: u16, error: &str) {
        let d = self.describe();
        assert_eq!(self.status, status, "expected {status} {error}; got {d}");
        self.assert_error_shape();
        let json = self.json();
        assert_eq!(json["error"].as_str(), Some(error), "expected error {error}; got {d}");
    }

    /// Asserts the shape every token endpoint error shares (whatever its status and code): JSON
    /// object, `error` from RFC 6749 §5.2, printable ASCII description, no-store and no-cache,
    /// no `access_token` or `refresh_token`, and `WWW-Authenticate` on every 401 (RFC 9110
    /// §15.5.2: a 401 MUST carry a challenge).
    ///
    /// # Panics
    /// When any of these does not hold.
    pub fn assert_error_shape(&self) {
        let d = self.describe();
        let ct = self.header("content-type").unwrap_or("");
        assert!(ct.to_ascii_lowercase().starts_with("application/json"), "error must be JSON; got {ct:?}: {d}");
        assert_eq!(self.header("cache-control"), Some("no-store"), "error needs Cache-Control: no-store: {d}");
        assert_eq!(self.header("pragma"), Some("no-cache"), "error needs Pragma: no-cache: {d}");
        let json = self.json();
        let error = json["error"].as_str().unwrap_or_else(|| panic!("error body needs a string `error`: {d}"));
        assert!(TOKEN_ERROR_CODES.contains(&error), "`error` must be an RFC 6749 §5.2 code: {d}");
        if let Some(desc) = json.get("error_description") {
            let desc = desc.as_str().unwrap_or_else(|| panic!("error_description must be a string: {d}"));
            assert!(is_rfc6749_error_text(desc), "error_description outside %x20-21/%x23-5B/%x5D-7E: {d}");
        }
        assert!(json.get("access_token").is_none() && json.get("refresh_token").is_none(), "no tokens: {d}");
        if self.status == 401 {
            let challenge = self.header("www-authenticate").unwrap_or("");
            assert!(
                challenge.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("basic")),
                "a 401 must carry WWW-Authenticate: Basic … (RFC 6749 §5.2, RFC 9110 §15.5.2); got {challenge:?}: {d}"
            );
        }
    }

    /// Asserts `invalid_client` after `Authorization: Basic` authentication: 401, a
    /// `WWW-Authenticate` challenge naming `Basic` with a `realm` (RFC 6749 §5.2, RFC 7617 §2),
    /// and the common error shape.
    ///
    /// # Panics
    /// When any of these does not hold.
    pub fn assert_basic_invalid_client(&self) {
        self.assert_token_error(401, "invalid_client");
        let challenge = self.header("www-authenticate").unwrap_or("");
        assert!(challenge.starts_with("Basic"), "WWW-Authenticate must start with Basic: {challenge:?}");
        assert!(challenge.contains("realm=\""), "WWW-Authenticate needs a realm: {challenge:?}");
    }

    /// Asserts a successful token response (RFC 6749 §5.1, D2) and returns its members: 200,
    /// `application/json`, `Cache-Control: no-store`, `Pragma: no-cache`, a non-empty
    /// `access_token`, `token_type` exactly `Bearer`, `expires_in` a positive JSON integer,
    /// `scope` a string, `refresh_token` absent or a non-empty string.
    ///
    /// # Panics
    /// When any of these does not hold.
    pub fn assert_tokens(&self) -> Tokens {
        let d = self.describe();
        assert_eq!(self.status, 200, "expected a token response; got {d}");
        let ct = self.header("content-type").unwrap_or("");
        assert!(ct.to_ascii_lowercase().starts_with("application/json"), "token response must be JSON: {ct:?}");
        assert_eq!(self.header("cache-control"), Some("no-store"), "token response needs no-store: {d}");
        assert_eq!(self.header("pragma"), Some("no-cache"), "token response needs Pragma: no-cache: {d}");
        let json = self.json();
        let access_token = json["access_token"].as_str().filter(|s| !s.is_empty());
        let access_token = access_token.unwrap_or_else(|| panic!("access_token missing or empty: {d}")).to_owned();
        assert_eq!(json["token_type"].as_str(), Some("Bearer"), "token_type must be Bearer (D2): {d}");
        let expires_in =
            json["expires_in"].as_u64().unwrap_or_else(|| panic!("expires_in must be a JSON integer: {d}"));
        assert!(expires_in > 0, "expires_in must be positive: {d}");
        let scope = json["scope"].as_str().unwrap_or_else(|| panic!("scope must be present (D2): {d}")).to_owned();
        let refresh_token = json.get("refresh_token").map(|v| {
            v.as_str().filter(|s| !s.is_empty()).unwrap_or_else(|| panic!("bad refresh_token: {d}")).to_owned()
        });
        Tokens { access_token, token_type: "Bearer".to_owned(), expires_in, scope, refresh_token }
    }

    /// Asserts that nothing was redirected (RFC 6749 §4.1.2.1: an invalid client or redirect
    /// URI is never redirected): exactly 400, no `Location`, a JSON `invalid_request` body.
    ///
    /// # Panics
    /// When any of these does not hold.
    pub fn assert_no_redirect(&self) {
        let d = self.describe();
        assert!(self.location().is_none(), "must not redirect: {d}");
        assert_eq!(self.status, 400, "expected 400 without redirect; got {d}");
        assert_eq!(self.json()["error"].as_str(), Some("invalid_request"), "expected invalid_request: {d}");
        assert!(!self.body.contains("\"code\""), "no code may be issued: {d}");
    }
}

/// The members of a successful token response. `Debug` hides the tokens.
#[non_exhaustive]
pub struct Tokens {
    /// `access_token`.
    pub access_token: String,
    /// `token_type` (always `Bearer` once asserted).
    pub token_type: String,
    /// `expires_in`, seconds.
    pub expires_in: u64,
    /// `scope`, space-delimited.
    pub scope: String,
    /// `refresh_token`, when one was issued.
    pub refresh_token: Option<String>,
}

impl Tokens {
    /// The granted scope as a set.
    #[must_use]
    pub fn scopes(&self) -> BTreeSet<String> {
        scope_set(&self.scope)
    }

    /// The refresh token.
    ///
    /// # Panics
    /// When none was issued.
    #[must_use]
    pub fn refresh(&self) -> &str {
        self.refresh_token.as_deref().unwrap_or_else(|| panic!("expected a refresh_token (scope {:?})", self.scope))
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<hidden>"))
            .finish_non_exhaustive()
    }
}

/// How a token request identifies or authenticates the client (RFC 6749 §2.3).
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Auth<'a> {
    /// `Authorization` header with this exact value (for example [`BASIC_CLIENT_A`]).
    Header(&'a str),
    /// `client_secret_post`: `client_id` and `client_secret` in the body.
    Post(&'a str, &'a str),
    /// A public client: `client_id` in the body only.
    Public(&'a str),
    /// No client identification at all.
    Nothing,
}

// ---------------------------------------------------------------------------------------------
// The server.
// ---------------------------------------------------------------------------------------------

/// A running `oauth-server` on `127.0.0.1:<ephemeral port>`, stopped when dropped.
pub struct TestServer {
    base_url: String,
    issuer: String,
    http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Binds `127.0.0.1:0`, prepends `issuer = "http://127.0.0.1:<port>"` to `toml` (a
    /// configuration without `issuer`, such as [`FIXTURE`]), and spawns `oauth_server::serve`
    /// on the current tokio runtime.
    ///
    /// # Panics
    /// When the port cannot be bound or the configuration is refused.
    pub async fn start(toml: &str) -> Self {
        Self::start_with_issuer_path(toml, "").await
    }

    /// As [`TestServer::start`], with the issuer `http://127.0.0.1:<port><path>` (for example
    /// `path = "/t1"`: an issuer with a path, RFC 8414 §3.1); `""` is [`TestServer::start`].
    ///
    /// # Panics
    /// When the port cannot be bound or the configuration is refused.
    pub async fn start_with_issuer_path(toml: &str, path: &str) -> Self {
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("binding 127.0.0.1:0 failed: {e}"),
        };
        let port = match listener.local_addr() {
            Ok(a) => a.port(),
            Err(e) => panic!("local_addr of the bound listener failed: {e}"),
        };
        let base_url = format!("http://127.0.0.1:{port}");
        let issuer = format!("{base_url}{path}");
        let text = format!("issuer = \"{issuer}\"\n{toml}");
        let config = match oauth_server::ServerConfig::from_toml(&text) {
            Ok(c) => c,
            Err(e) => panic!("test configuration refused: {e}"),
        };
        let task = tokio::spawn(async move {
            if let Err(e) = oauth_server::serve(config, listener).await {
                eprintln!("oauth_server::serve stopped: {e}");
            }
        });
        Self { base_url, issuer, http: client(), task }
    }

    /// The server's base URL, `http://127.0.0.1:<port>`; also its issuer identifier.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The issuer identifier (RFC 9207 `iss`): [`TestServer::base_url`], followed by the path
    /// given to [`TestServer::start_with_issuer_path`] if any.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `base_url` followed by `path`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The HTTP client every helper uses: redirects disabled, every request bounded by
    /// [`REQUEST_TIMEOUT`].
    #[must_use]
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `GET /oauth/authorize?<query>`, the query sent exactly as given.
    ///
    /// # Panics
    /// When the request fails at the transport level.
    pub async fn authorize(&self, query: &str) -> reqwest::Response {
        let url = format!("{}/oauth/authorize?{query}", self.base_url);
        match self.http.get(url).send().await {
            Ok(r) => r,
            Err(e) => panic!("GET /oauth/authorize failed: {}", e.without_url()),
        }
    }

    /// [`TestServer::authorize`], read into a [`Reply`].
    pub async fn authorize_reply(&self, query: &str) -> Reply {
        Reply::read(self.authorize(query).await).await
    }

    /// `GET /oauth/authorize?<query>` written by hand over a TCP connection, for request lines
    /// longer than the HTTP client accepts (its URIs stop at 64 KiB).
    pub async fn authorize_raw(&self, query: &str) -> Reply {
        let request = format!("GET /oauth/authorize?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        self.raw_http(request.as_bytes()).await
    }

    /// Sends `request` (a complete HTTP/1.1 request, which should ask for `Connection: close`)
    /// on a new connection and reads the response until the server closes it, within
    /// [`REQUEST_TIMEOUT`] and at most 1 MiB. Handles `Content-Length` and chunked bodies.
    ///
    /// # Panics
    /// On a transport error, a timeout, or a response that is not HTTP/1.x.
    pub async fn raw_http(&self, request: &[u8]) -> Reply {
        let addr = self.base_url.trim_start_matches("http://").to_owned();
        let exchange = async {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            // Write with the readiness API (no io-util feature needed). The server may answer
            // before reading everything: a failed write is fine once a response arrives.
            let mut written = 0;
            while written < request.len() {
                if stream.writable().await.is_err() {
                    break;
                }
                match stream.try_write(&request[written..]) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => break,
                }
            }
            let mut buf = Vec::new();
            let mut chunk = vec![0u8; 16 * 1024];
            loop {
                if let Err(e) = stream.readable().await {
                    if buf.is_empty() {
                        return Err(e);
                    }
                    break;
                }
                match stream.try_read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if buf.is_empty() => return Err(e),
                    Err(_) => break,
                }
                if buf.len() > 1024 * 1024 {
                    break;
                }
            }
            Ok::<_, std::io::Error>(buf)
        };
        let buf = match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => panic!("raw HTTP exchange failed: {e}"),
            Err(_) => panic!("raw HTTP exchange timed out after {REQUEST_TIMEOUT:?}"),
        };
        parse_raw_response(&buf)
    }

    /// Drives `/oauth/authorize` for `client_id` with `redirect_uri`, `scope` (omitted when
    /// `None`), `code_challenge=<challenge>&code_challenge_method=S256` and `state=xyz`, as the
    /// `dev_login` user, and returns the `code` from the `Location` (after asserting a 302 to
    /// `redirect_uri` with `state` and `iss`).
    ///
    /// # Panics
    /// When no code is issued.
    pub async fn get_code(&self, client_id: &str, redirect_uri: &str, scope: Option<&str>, challenge: &str) -> String {
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "xyz"),
        ];
        if let Some(s) = scope {
            pairs.push(("scope", s));
        }
        let reply = self.authorize_reply(&query(&pairs)).await;
        self.assert_code_redirect(&reply, redirect_uri, Some("xyz"))
    }

    /// Asserts a successful authorization response (RFC 6749 §4.1.2, RFC 9207 §2) and returns
    /// the code: 302; `Location` is `redirect_uri` followed by its query parameters, with exactly
    /// one `?` and the registered query kept; `code` present; `state` equal to `state` (absent
    /// when `None`); `iss` equal to the issuer and last, after `state`; no `error`.
    ///
    /// # Panics
    /// When any of these does not hold.
    #[must_use]
    pub fn assert_code_redirect(&self, reply: &Reply, redirect_uri: &str, state: Option<&str>) -> String {
        self.assert_code_redirect_status(reply, 302, redirect_uri, state)
    }

    /// [`TestServer::assert_code_redirect`] with another redirect status: `303 See Other` is
    /// what a posted login or consent form gets (RFC 9700 §4.12, AUTHZ-16).
    ///
    /// # Panics
    /// When any of the checks does not hold.
    #[must_use]
    pub fn assert_code_redirect_status(
        &self,
        reply: &Reply,
        status: u16,
        redirect_uri: &str,
        state: Option<&str>,
    ) -> String {
        let params = self.assert_redirect_to(reply, status, redirect_uri, state);
        let d = reply.describe();
        assert!(!params.iter().any(|(n, _)| n == "error"), "success redirect must not carry error: {d}");
        let codes: Vec<&String> = params.iter().filter(|(n, _)| n == "code").map(|(_, v)| v).collect();
        assert_eq!(codes.len(), 1, "exactly one code expected: {d}");
        codes[0].clone()
    }

    /// Asserts an error redirect (RFC 6749 §4.1.2.1, RFC 9207 §2): 302 to `redirect_uri` with
    /// exactly one `?`, `error` equal to `error`, `error_description` (if any) in the RFC's
    /// character set, `state` equal to `state` (absent when `None`), `iss` last, and no `code`.
    ///
    /// # Panics
    /// When any of these does not hold.
    pub fn assert_error_redirect(&self, reply: &Reply, redirect_uri: &str, error: &str, state: Option<&str>) {
        self.assert_error_redirect_status(reply, 302, redirect_uri, error, state);
    }

    /// [`TestServer::assert_error_redirect`] with another redirect status (303 after a posted
    /// form, AUTHZ-16).
    ///
    /// # Panics
    /// When any of the checks does not hold.
    pub fn assert_error_redirect_status(
        &self,
        reply: &Reply,
        status: u16,
        redirect_uri: &str,
        error: &str,
        state: Option<&str>,
    ) {
        let params = self.assert_redirect_to(reply, status, redirect_uri, state);
        let d = reply.describe();
        let errors: Vec<&String> = params.iter().filter(|(n, _)| n == "error").map(|(_, v)| v).collect();
        assert_eq!(errors, vec![error], "expected error={error}: {d}");
        assert!(!params.iter().any(|(n, _)| n == "code"), "an error redirect carries no code: {d}");
        if let Some((_, desc)) = params.iter().find(|(n, _)| n == "error_description") {
            assert!(is_rfc6749_error_text(desc), "error_description outside the RFC 6749 set: {d}");
        }
    }

    /// The checks shared by success and error redirects; returns the parameters added to
    /// `redirect_uri`'s own query.
    fn assert_redirect_to(
        &self,
        reply: &Reply,
        status: u16,
        redirect_uri: &str,
        state: Option<&str>,
    ) -> Vec<(String, String)> {
        let d = reply.describe();
        assert_eq!(reply.status, status, "expected a {status} redirect: {d}");
        let location = reply.location().unwrap_or_else(|| panic!("{status} without Location: {d}"));
        let registered = url_params(redirect_uri);
        assert!(location.starts_with(redirect_uri), "Location must start with the redirect URI {redirect_uri}: {d}");
        let next = location.as_bytes().get(redirect_uri.len()).copied();
        let expected_sep = if redirect_uri.contains('?') { b'&' } else { b'?' };
        assert_eq!(next, Some(expected_sep), "parameters must follow the redirect URI's query properly: {d}");
        assert_eq!(location.matches('?').count(), 1, "Location must contain exactly one '?': {d}");
        assert!(!location.contains('#'), "Location must not contain a fragment: {d}");
        let params = url_params(location);
        assert!(
            params.len() >= registered.len() && params[..registered.len()] == registered[..],
            "the registered query must be kept first: {d}"
        );
        let added = params[registered.len()..].to_vec();
        let names: Vec<&str> = added.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.last(), Some(&"iss"), "iss must be present and last: {d}");
        assert_eq!(names.iter().filter(|n| **n == "iss").count(), 1, "iss exactly once: {d}");
        let iss = added.last().map(|(_, v)| v.as_str());
        assert_eq!(iss, Some(self.issuer()), "iss must equal the issuer: {d}");
        let states: Vec<&str> = added.iter().filter(|(n, _)| n == "state").map(|(_, v)| v.as_str()).collect();
        match state {
            Some(s) => {
                assert_eq!(states, vec![s], "state must be echoed exactly once, byte for byte: {d}");
                assert_eq!(names.get(names.len().wrapping_sub(2)), Some(&"state"), "state right before iss: {d}");
            }
            None => assert!(states.is_empty(), "no state may be echoed: {d}"),
        }
        added
    }

    /// `POST /oauth/token` with an `application/x-www-form-urlencoded` body sent as given and, if
    /// `authorization` is set, that exact `Authorization` header value.
    pub async fn token_form(&self, body: &str, authorization: Option<&str>) -> Reply {
        self.token_raw(Some("application/x-www-form-urlencoded"), authorization, body.as_bytes().to_vec()).await
    }

    /// `POST /oauth/token` with a JSON body (D3), `Content-Type: application/json;
    /// charset=UTF-8`.
    pub async fn token_json(&self, body: &Value, authorization: Option<&str>) -> Reply {
        let bytes = body.to_string().into_bytes();
        self.token_raw(Some("application/json; charset=UTF-8"), authorization, bytes).await
    }

    /// `POST /oauth/token` with any `Content-Type` (none when `None`) and body.
    ///
    /// # Panics
    /// When the request fails at the transport level.
    pub async fn token_raw(&self, content_type: Option<&str>, authorization: Option<&str>, body: Vec<u8>) -> Reply {
        let mut req = self.http.post(self.url("/oauth/token")).body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(a) = authorization {
            req = req.header("authorization", a);
        }
        match req.send().await {
            Ok(r) => Reply::read(r).await,
            Err(e) => panic!("POST /oauth/token failed: {}", e.without_url()),
        }
    }

    /// `POST /oauth/token` with the form `params`, plus the client identification `auth`.
    pub async fn token(&self, auth: Auth<'_>, params: &[(&str, &str)]) -> Reply {
        let mut pairs: Vec<(&str, &str)> = params.to_vec();
        let header = match auth {
            Auth::Header(h) => Some(h),
            Auth::Post(id, secret) => {
                pairs.push(("client_id", id));
                pairs.push(("client_secret", secret));
                None
            }
            Auth::Public(id) => {
                pairs.push(("client_id", id));
                None
            }
            Auth::Nothing => None,
        };
        self.token_form(&query(&pairs), header).await
    }

    /// Redeems `code` (`grant_type=authorization_code`), sending `redirect_uri` and
    /// `code_verifier` when set.
    pub async fn redeem(
        &self,
        auth: Auth<'_>,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> Reply {
        let mut params = vec![("grant_type", "authorization_code"), ("code", code)];
        if let Some(r) = redirect_uri {
            params.push(("redirect_uri", r));
        }
        if let Some(v) = verifier {
            params.push(("code_verifier", v));
        }
        self.token(auth, &params).await
    }

    /// Gets a code for `client_id` (challenge [`C1`]) and redeems it with [`V1`], asserting
    /// success; returns the tokens.
    pub async fn code_tokens(
        &self,
        auth: Auth<'_>,
        client_id: &str,
        redirect_uri: &str,
        scope: Option<&str>,
    ) -> Tokens {
        let code = self.get_code(client_id, redirect_uri, scope, C1).await;
        self.redeem(auth, &code, Some(redirect_uri), Some(V1)).await.assert_tokens()
    }

    /// `grant_type=refresh_token` with `refresh_token` and, when set, `scope`.
    pub async fn refresh(&self, auth: Auth<'_>, refresh_token: &str, scope: Option<&str>) -> Reply {
        let mut params = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        if let Some(s) = scope {
            params.push(("scope", s));
        }
        self.token(auth, &params).await
    }
}

// ---------------------------------------------------------------------------------------------
// Headers, CORS, client credentials and the admin API (issue 3).
// ---------------------------------------------------------------------------------------------

impl TestServer {
    /// Sends `request` (built from [`TestServer::http`]) and reads the reply; `what` names the
    /// request in the panic message of a transport failure.
    ///
    /// # Panics
    /// When the request fails at the transport level.
    pub async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Reply {
        match request.send().await {
            Ok(r) => Reply::read(r).await,
            Err(e) => panic!("{what} failed: {}", e.without_url()),
        }
    }

    /// `POST /oauth/token` with an `application/x-www-form-urlencoded` body sent as given and
    /// the extra header fields `headers` (for example `("origin", …)` or `("authorization",
    /// …)`).
    pub async fn token_form_with(&self, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self
            .http
            .post(self.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send(req, "POST /oauth/token").await
    }

    /// `POST /oauth/token` with a JSON body (`application/json`) and the extra header fields
    /// `headers`.
    pub async fn token_json_with(&self, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut req =
            self.http.post(self.url("/oauth/token")).header("content-type", "application/json").body(body.to_string());
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send(req, "POST /oauth/token").await
    }

    /// A CORS preflight (Fetch standard §3.2.2): `OPTIONS <path>` with `Origin: origin`,
    /// `Access-Control-Request-Method: method` and, when set, `Access-Control-Request-Headers`.
    pub async fn preflight(&self, path: &str, origin: &str, method: &str, request_headers: Option<&str>) -> Reply {
        let mut req = self
            .http
            .request(reqwest::Method::OPTIONS, self.url(path))
            .header("origin", origin)
            .header("access-control-request-method", method);
        if let Some(h) = request_headers {
            req = req.header("access-control-request-headers", h);
        }
        self.send(req, "OPTIONS preflight").await
    }

    /// `grant_type=client_credentials` for `client_id` with `Authorization: Basic` and, when
    /// set, `scope`; asserts success and returns the tokens.
    ///
    /// # Panics
    /// When no token is issued.
    pub async fn client_credentials(&self, client_id: &str, secret: &str, scope: Option<&str>) -> Tokens {
        let mut params = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            params.push(("scope", s));
        }
        let header = basic(client_id, secret);
        self.token(Auth::Header(&header), &params).await.assert_tokens()
    }

    /// An access token for the admin API: `m2m1` through client credentials with scope
    /// [`ADMIN_SCOPE`] (requires [`REQUIREMENT_FIXTURE`] or a variant).
    ///
    /// # Panics
    /// When no token is issued.
    pub async fn admin_token(&self) -> String {
        self.client_credentials("m2m1", M2M1_SECRET, Some(ADMIN_SCOPE)).await.access_token
    }

    /// A request to the admin API: `method` on `path` (for example [`ADMIN_API`] or
    /// `/api/v1/oauth-clients/<id>`), with `Authorization: Bearer <bearer>` when set and, when
    /// `body` is set, that JSON body with `Content-Type: application/json`.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        // Never the query: it may carry a token (RS-06 tests).
        let what = format!("{method} {}", path.split('?').next().unwrap_or(""));
        let mut req = self.http.request(method, self.url(path));
        if let Some(b) = bearer {
            req = req.header("authorization", format!("Bearer {b}"));
        }
        if let Some(j) = body {
            req = req.header("content-type", "application/json").body(j.to_string());
        }
        self.send(req, &what).await
    }
}

impl Reply {
    /// Every value of header `name` that is visible ASCII, in order.
    #[must_use]
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect()
    }

    /// Whether the comma-separated lists of every `name` header contain `token`, compared
    /// case-insensitively (for `Vary`, `Access-Control-Allow-Methods`, …).
    #[must_use]
    pub fn header_list_has(&self, name: &str, token: &str) -> bool {
        self.header_all(name).iter().flat_map(|v| v.split(',')).any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    /// Asserts an admin API error (admin-api.md "Errors"): exactly `status`, a JSON body with
    /// `error` equal to `error`, `Cache-Control: no-store`, and, when `field` is set, an
    /// `error_description` that names it first (`field: …`, `field[0]: …` or `field.x: …`).
    ///
    /// # Panics
    /// When any of these does not hold.
    pub fn assert_admin_error(&self, status: u16, error: &str, field: Option<&str>) {
        let d = self.describe();
        assert_eq!(self.status, status, "expected {status} {error}; got {d}");
        let ct = self.header("content-type").unwrap_or("");
        assert!(ct.to_ascii_lowercase().starts_with("application/json"), "error must be JSON; got {ct:?}: {d}");
        assert_eq!(self.header("cache-control"), Some("no-store"), "admin answers need no-store: {d}");
        let json = self.json();
        assert_eq!(json["error"].as_str(), Some(error), "expected error {error}: {d}");
        if let Some(f) = field {
            let desc = json["error_description"].as_str().unwrap_or("");
            let rest = desc.strip_prefix(f).unwrap_or_else(|| panic!("error_description must start with {f}: {d}"));
            assert!(
                rest.starts_with(':') || rest.starts_with('[') || rest.starts_with('.'),
                "error_description must name {f} as a field: {d}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw requests and races (issue 5).
// ---------------------------------------------------------------------------------------------

/// A complete HTTP/1.1 request written by hand: `<method> <target> HTTP/1.1`, `Host`,
/// `Connection: close`, the header fields `headers` exactly as given (values are bytes, so a
/// test can send ones that are not UTF-8), and, when `body` is set, `Content-Length` and the
/// body.
#[must_use]
pub fn raw_request(method: &str, target: &str, headers: &[(&str, &[u8])], body: Option<&[u8]>) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n").into_bytes();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    if let Some(b) = body {
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", b.len()).as_bytes());
        out.extend_from_slice(b);
    } else {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A hand-written `POST /oauth/token` with an `application/x-www-form-urlencoded` `body` and,
/// when set, that `Authorization` value (see [`raw_request`]).
#[must_use]
pub fn raw_token_form(body: &str, authorization: Option<&str>) -> Vec<u8> {
    let mut headers: Vec<(&str, &[u8])> = vec![("Content-Type", b"application/x-www-form-urlencoded")];
    if let Some(a) = authorization {
        headers.push(("Authorization", a.as_bytes()));
    }
    raw_request("POST", "/oauth/token", &headers, Some(body.as_bytes()))
}

impl TestServer {
    /// The server's socket address as `127.0.0.1:<port>`.
    #[must_use]
    pub fn addr(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// Sends every request of `requests` (complete HTTP/1.1 requests that ask for
    /// `Connection: close`, such as [`raw_request`] builds) on its own connection, all at once,
    /// and returns the replies in the same order.
    ///
    /// Last-byte synchronisation: every connection is opened and sent all of its request but
    /// the last byte; when all are ready the last bytes go out together, so the server sees
    /// complete requests at the same instant and handles them concurrently (on as many worker
    /// threads as the test's runtime has). Each exchange is bounded by [`REQUEST_TIMEOUT`] and
    /// reads at most 1 MiB.
    ///
    /// # Panics
    /// On a transport error, a timeout, or a response that is not HTTP/1.x.
    pub async fn race(&self, requests: &[Vec<u8>]) -> Vec<Reply> {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
        let mut tasks = Vec::with_capacity(requests.len());
        for request in requests {
            let addr = self.addr().to_owned();
            let request = request.clone();
            let barrier = std::sync::Arc::clone(&barrier);
            tasks.push(tokio::spawn(async move {
                let exchange = async {
                    let (head, last) = request.split_at(request.len().saturating_sub(1));
                    let mut stream = tokio::net::TcpStream::connect(addr).await?;
                    stream.set_nodelay(true)?;
                    stream.write_all(head).await?;
                    barrier.wait().await;
                    stream.write_all(last).await?;
                    let mut buf = Vec::new();
                    stream.take(1024 * 1024).read_to_end(&mut buf).await?;
                    Ok::<_, std::io::Error>(buf)
                };
                match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
                    Ok(Ok(buf)) => parse_raw_response(&buf),
                    Ok(Err(e)) => panic!("raced HTTP exchange failed: {e}"),
                    Err(_) => panic!("raced HTTP exchange timed out after {REQUEST_TIMEOUT:?}"),
                }
            }));
        }
        let mut replies = Vec::with_capacity(tasks.len());
        for task in tasks {
            match task.await {
                Ok(r) => replies.push(r),
                Err(e) => panic!("a raced request failed: {e}"),
            }
        }
        replies
    }
}

// ---------------------------------------------------------------------------------------------
// A browser for the login and consent pages.
// ---------------------------------------------------------------------------------------------

/// A minimal browser for the server's login and consent pages: keeps the cookies the server
/// sets (`csrf`, `oauth_session`), sends them back, and submits a page's form with its hidden
/// fields plus the fields a user fills in, from the issuer's origin, as a browser would.
pub struct Browser<'s> {
    server: &'s TestServer,
    cookies: Vec<(String, String)>,
}

impl<'s> Browser<'s> {
    /// A browser without cookies.
    #[must_use]
    pub const fn new(server: &'s TestServer) -> Self {
        Self { server, cookies: Vec::new() }
    }

    /// The value of cookie `name`, if set (for example to check that a session id never
    /// appears in a log).
    #[must_use]
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether cookie `name` is set.
    #[must_use]
    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(n, _)| n == name)
    }

    /// Drops cookie `name` (for example the session, to act as a signed-out browser).
    pub fn forget(&mut self, name: &str) {
        self.cookies.retain(|(n, _)| n != name);
    }

    /// `GET /oauth/authorize?<query>` with the cookies; keeps the cookies the reply sets.
    pub async fn authorize(&mut self, query: &str) -> Reply {
        let mut req = self.server.http().get(self.server.url(&format!("/oauth/authorize?{query}")));
        if let Some(c) = self.cookie_header() {
            req = req.header("cookie", c);
        }
        let reply = self.server.send(req, "GET /oauth/authorize").await;
        self.keep_cookies(&reply);
        reply
    }

    /// Submits the form of `page` (a login or consent page): its hidden fields followed by
    /// `fields` (for example `username`, `password` and `decision`), posted to
    /// `/oauth/authorize` with the cookies and `Origin` set to the issuer's origin.
    ///
    /// # Panics
    /// When the page has no hidden `csrf_token` field (not one of the server's forms).
    pub async fn submit(&mut self, page: &Reply, fields: &[(&str, &str)]) -> Reply {
        let hidden = hidden_fields(&page.body);
        assert!(
            hidden.iter().any(|(n, _)| n == "csrf_token"),
            "the page has no form with a csrf_token: {}",
            page.describe()
        );
        let mut pairs: Vec<(&str, &str)> = hidden.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        pairs.extend_from_slice(fields);
        let mut req = self
            .server
            .http()
            .post(self.server.url("/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", self.server.base_url())
            .body(query(&pairs));
        if let Some(c) = self.cookie_header() {
            req = req.header("cookie", c);
        }
        let reply = self.server.send(req, "POST /oauth/authorize").await;
        self.keep_cookies(&reply);
        reply
    }

    fn cookie_header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; "))
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for set in reply.header_all("set-cookie") {
            let pair = set.split(';').next().unwrap_or("");
            let Some((name, value)) = pair.split_once('=') else { continue };
            let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
            self.cookies.retain(|(n, _)| *n != name);
            let expired = set.split(';').any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if !value.is_empty() && !expired {
                self.cookies.push((name, value));
            }
        }
    }
}

impl Reply {
    /// Whether this is an HTML page asking for a password (the login page, RFC 6749 §3.1:
    /// the authorization server authenticates the resource owner): 200, `text/html`, a
    /// `password` input, no `Location`.
    #[must_use]
    pub fn is_login_page(&self) -> bool {
        self.is_html_page() && self.body.contains("name=\"password\"")
    }

    /// Whether this is an HTML page with a form that does not ask for a password and offers an
    /// `approve` decision (the consent page of a signed-in user).
    #[must_use]
    pub fn is_consent_page(&self) -> bool {
        self.is_html_page()
            && !self.body.contains("name=\"password\"")
            && self.body.contains("name=\"decision\" value=\"approve\"")
    }

    fn is_html_page(&self) -> bool {
        self.status == 200
            && self.location().is_none()
            && self.header("content-type").is_some_and(|c| c.to_ascii_lowercase().starts_with("text/html"))
    }
}

/// The `name`/`value` pairs of the `<input type="hidden">` elements of `html`, in order, with
/// the character references `&amp; &lt; &gt; &quot; &#39;` decoded.
#[must_use]
pub fn hidden_fields(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for tag in html.split("<input").skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            tag.find(&key).map(|i| {
                let rest = &tag[i + key.len()..];
                html_unescape(rest.split('"').next().unwrap_or(""))
            })
        };
        if attr("type").as_deref() == Some("hidden") {
            if let Some(name) = attr("name") {
                out.push((name, attr("value").unwrap_or_default()));
            }
        }
    }
    out
}

/// Decodes the character references an HTML-escaping server emits: `&lt; &gt; &quot; &#39;
/// &amp;` (`&amp;` last, so that `&amp;lt;` stays `&lt;`).
#[must_use]
pub fn html_unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// Parses an HTTP/1.x response read to the end of the connection.
fn parse_raw_response(buf: &[u8]) -> Reply {
    Reply::from_raw(buf).unwrap_or_else(|| panic!("raw HTTP response without a complete head ({} bytes)", buf.len()))
}

impl Reply {
    /// Parses an HTTP/1.x response read to the end of the connection (`Content-Length` and
    /// chunked bodies); `None` when `buf` holds no complete response head.
    ///
    /// # Panics
    /// When the head's status line is not HTTP/1.x.
    #[must_use]
    pub fn from_raw(buf: &[u8]) -> Option<Self> {
        let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        Some(parse_raw_head_and_body(buf, split))
    }
}

/// [`Reply::from_raw`] once the end of the head (`split`, the index of `\r\n\r\n`) is known.
fn parse_raw_head_and_body(buf: &[u8], split: usize) -> Reply {
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut raw_body = &buf[split + 4..];
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = match status_line.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok()) {
        Some(s) if status_line.starts_with("HTTP/1.") => s,
        _ => panic!("not an HTTP/1.x status line: {status_line:?}"),
    };
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            let name = reqwest::header::HeaderName::from_bytes(name.trim().as_bytes());
            let value = reqwest::header::HeaderValue::from_str(value.trim());
            if let (Ok(n), Ok(v)) = (name, value) {
                headers.append(n, v);
            }
        }
    }
    let chunked = headers
        .get("transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        // Bounded by the input: every iteration consumes at least the size line.
        while let Some(eol) = raw_body.windows(2).position(|w| w == b"\r\n") {
            let size_text = String::from_utf8_lossy(&raw_body[..eol]);
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
            raw_body = &raw_body[eol + 2..];
            if size == 0 || size > raw_body.len() {
                break;
            }
            body.extend_from_slice(&raw_body[..size]);
            raw_body = raw_body.get(size + 2..).unwrap_or(&[]);
        }
    } else {
        let len = headers
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(raw_body.len());
        body.extend_from_slice(&raw_body[..len.min(raw_body.len())]);
    }
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

/// A `reqwest::Client` with redirects disabled and [`REQUEST_TIMEOUT`] on every request.
///
/// # Panics
/// When the client cannot be built (no TLS backend is needed: loopback HTTP only).
#[must_use]
pub fn client() -> reqwest::Client {
    match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(REQUEST_TIMEOUT)
        .build()
    {
        Ok(c) => c,
        Err(e) => panic!("building the reqwest client failed: {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Revocation, introspection, metadata and JWT access tokens (issue 4).
// ---------------------------------------------------------------------------------------------

/// The resource server's client: confidential, allowed only the `introspect` scope (the
/// server's default introspection scope) and client credentials, so it may introspect every
/// token and can get a bearer token carrying `introspect`.
pub const INTROSPECTOR: &str = "rs-intro";
/// [`INTROSPECTOR`]'s secret.
pub const INTROSPECTOR_SECRET: &str = "s3cret-rs";
/// `Authorization` value for [`INTROSPECTOR`] : [`INTROSPECTOR_SECRET`].
pub const BASIC_INTROSPECTOR: &str = "Basic cnMtaW50cm86czNjcmV0LXJz";
/// `client-pub`'s allowed origin.
pub const ORIGIN_PUB: &str = "https://spa.example";
/// An origin no client allows.
pub const ORIGIN_EVIL: &str = "https://evil.example";

/// The `[[clients]]` table of [`INTROSPECTOR`].
const INTROSPECTOR_CLIENT: &str = r#"
[[clients]]
client_id = "rs-intro"
app_type = "web"
client_secret = "s3cret-rs"
allowed_scopes = ["introspect"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"
"#;

/// The field-case registry ([`FIXTURE`]) plus [`INTROSPECTOR`], with `extra` (more tables,
/// such as `[lifetimes]` or `[access_tokens]`) after the clients: one valid TOML document.
#[must_use]
pub fn lifecycle_fixture(extra: &str) -> String {
    fixture_with(&format!("{INTROSPECTOR_CLIENT}\n{extra}"))
}

/// `user_lookup` for `user-1` by id, as the form value of the impersonation grant.
pub const LOOKUP_USER_1: &str = r#"{"field":"userId","value":"user-1"}"#;

impl TestServer {
    /// `POST <path>` with an `application/x-www-form-urlencoded` body sent as given and the
    /// extra header fields `headers` (for example `("authorization", …)` or `("origin", …)`).
    pub async fn post_form(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send(req, &format!("POST {path}")).await
    }

    /// `POST <path>` with a JSON body (`application/json; charset=UTF-8`, D3) and the extra
    /// header fields `headers`.
    pub async fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut req = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json; charset=UTF-8")
            .body(body.to_string());
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        self.send(req, &format!("POST {path}")).await
    }

    /// `POST /oauth/revoke` (RFC 7009 §2.1) with the form `params` and the extra header fields
    /// `headers`.
    pub async fn revoke(&self, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        self.post_form("/oauth/revoke", &query(params), headers).await
    }

    /// `POST /oauth/introspect` (RFC 7662 §2.1) with the form `params` and the extra header
    /// fields `headers`.
    pub async fn introspect(&self, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        self.post_form("/oauth/introspect", &query(params), headers).await
    }

    /// `POST /oauth/introspect` with `token=<token>` and `Authorization: <authorization>`
    /// (Basic or Bearer).
    pub async fn introspect_as(&self, authorization: &str, token: &str) -> Reply {
        self.introspect(&[("token", token)], &[("authorization", authorization)]).await
    }

    /// `GET <path>`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path)), &format!("GET {path}")).await
    }

    /// The path of the metadata document of this server's issuer (RFC 8414 §3.1): the
    /// well-known suffix, then the issuer's path without a terminating `/`.
    #[must_use]
    pub fn metadata_path(&self) -> String {
        let path = self.issuer.strip_prefix(&self.base_url).unwrap_or("");
        format!("/.well-known/oauth-authorization-server{}", path.trim_end_matches('/'))
    }

    /// `GET` of the metadata document ([`TestServer::metadata_path`]), asserted to be a `200`
    /// JSON object (RFC 8414 §3.2); returns it.
    ///
    /// # Panics
    /// When it is not.
    pub async fn metadata(&self) -> Value {
        let reply = self.get(&self.metadata_path()).await;
        let d = reply.describe();
        assert_eq!(reply.status, 200, "metadata: {d}");
        let ct = reply.header("content-type").unwrap_or("");
        assert!(ct.to_ascii_lowercase().starts_with("application/json"), "metadata must be JSON: {ct:?}: {d}");
        let json = reply.json();
        assert!(json.is_object(), "metadata must be a JSON object: {d}");
        json
    }

    /// Client credentials for `svc-b` (scope `read`): a token of another client than
    /// `client-a`, with subject `client:svc-b`.
    pub async fn svc_b_token(&self) -> Tokens {
        self.client_credentials("svc-b", "s3cret-svcb", None).await
    }

    /// An impersonation token (`urn:qlik:oauth:user-impersonation`) issued to `svc-a` for
    /// `user-1`, scope `read`.
    ///
    /// # Panics
    /// When none is issued.
    pub async fn impersonation_token(&self) -> Tokens {
        let params = [("grant_type", "urn:qlik:oauth:user-impersonation"), ("user_lookup", LOOKUP_USER_1)];
        self.token(Auth::Header(BASIC_SVC_A), &params).await.assert_tokens()
    }

    /// A bearer token carrying `introspect`, issued to [`INTROSPECTOR`] by client credentials.
    pub async fn introspector_token(&self) -> Tokens {
        self.client_credentials(INTROSPECTOR, INTROSPECTOR_SECRET, Some("introspect")).await
    }
}

impl Reply {
    /// Asserts a successful revocation (RFC 7009 §2.2): 200 and an empty body (or `{}`).
    ///
    /// # Panics
    /// When it is not.
    pub fn assert_revoked(&self) {
        let d = self.describe();
        assert_eq!(self.status, 200, "expected 200 from /oauth/revoke: {d}");
        assert!(self.body.is_empty() || self.body == "{}", "revocation answers an empty body: {d}");
        assert!(self.json().get("error").is_none(), "no error expected: {d}");
    }

    /// Asserts exactly `{"active":false}` (RFC 7662 §2.2, INTRO-03): 200, JSON, `Cache-Control:
    /// no-store`, and no member other than `active`.
    ///
    /// # Panics
    /// When it is not.
    pub fn assert_inactive(&self) {
        let d = self.describe();
        assert_eq!(self.status, 200, "introspection answers 200: {d}");
        let ct = self.header("content-type").unwrap_or("");
        assert!(ct.to_ascii_lowercase().starts_with("application/json"), "introspection must be JSON: {ct:?}: {d}");
        assert_eq!(self.header("cache-control"), Some("no-store"), "introspection needs no-store: {d}");
        assert_eq!(self.json(), serde_json::json!({"active": false}), "expected exactly {{\"active\":false}}: {d}");
    }

    /// Asserts an active token's introspection answer (RFC 7662 §2.2): 200, JSON, `Cache-Control:
    /// no-store`, `active` the JSON `true`; returns the members.
    ///
    /// # Panics
    /// When it is not.
    pub fn assert_active(&self) -> serde_json::Map<String, Value> {
        let d = self.describe();
        assert_eq!(self.status, 200, "introspection answers 200: {d}");
        let ct = self.header("content-type").unwrap_or("");
        assert!(ct.to_ascii_lowercase().starts_with("application/json"), "introspection must be JSON: {ct:?}: {d}");
        assert_eq!(self.header("cache-control"), Some("no-store"), "introspection needs no-store: {d}");
        let json = self.json();
        assert_eq!(json.get("active"), Some(&Value::Bool(true)), "expected an active token: {d}");
        json.as_object().cloned().unwrap_or_default()
    }

    /// The member names of a JSON object body (empty when it is not one).
    #[must_use]
    pub fn member_names(&self) -> BTreeSet<String> {
        self.json().as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_pairs_match() {
        assert_eq!(s256(V1), C1);
        assert_eq!(s256(V2), C2);
        assert_eq!(s256(V42), C42);
        assert_eq!(s256(V_RFC7636), C_RFC7636);
        assert_eq!(V42.len(), 42);
    }

    #[test]
    fn basic_headers_match_the_registry() {
        assert_eq!(basic("client-a", "s3cret"), BASIC_CLIENT_A);
        assert_eq!(basic("client-a", "wrong"), BASIC_CLIENT_A_WRONG);
        assert_eq!(basic("client-b", "s3cret-b"), BASIC_CLIENT_B);
        assert_eq!(basic("client-c", "p+q/r:s%t"), BASIC_CLIENT_C);
        assert_eq!(basic("svc-a", "s3cret-svc"), BASIC_SVC_A);
        assert_eq!(basic("svc-b", "s3cret-svcb"), BASIC_SVC_B);
        assert_eq!(basic(INTROSPECTOR, INTROSPECTOR_SECRET), BASIC_INTROSPECTOR);
        assert_eq!(basic("s6BhdRkqt3", "7Fjfp0ZBr1KtDRbnfVdmIw"), "Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3");
    }

    #[test]
    fn hidden_fields_are_read_and_unescaped() {
        let html = "<form><input type=\"hidden\" name=\"scope\" value=\"a b\">\n\
                    <input type=\"hidden\" name=\"state\" value=\"x&amp;y&quot;&lt;&amp;lt;\">\n\
                    <input name=\"username\" required value=\"\"></form>";
        assert_eq!(
            hidden_fields(html),
            vec![("scope".to_owned(), "a b".to_owned()), ("state".to_owned(), "x&y\"<&lt;".to_owned())]
        );
    }

    #[test]
    fn encoding() {
        assert_eq!(enc("a b+&c/"), "a%20b%2B%26c%2F");
        assert_eq!(query(&[("a", "x y"), ("b", "1")]), "a=x%20y&b=1");
        assert_eq!(
            url_params("https://x.example/cb?a=1&b=x+y%2B"),
            vec![("a".into(), "1".into()), ("b".into(), "x y+".into())]
        );
    }
}
