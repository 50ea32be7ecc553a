//! Adversarial tests for issue 4 (revocation, introspection, metadata, JWT access tokens, the
//! bearer layer): what an attacker or a careless deployment tries, answered as a strict
//! production authorization server must answer. A failing test documents a defect (its doc
//! comment names the code at fault); the passing ones pin behaviour that was verified to resist
//! an attack and is not pinned elsewhere.
//!
//! Self-contained: only the long-standing parts of the harness are used (`TestServer::start`,
//! `send`, `client_credentials`, `code_tokens`, `Reply`), with this file's own fixture. Every
//! loop is bounded; nothing sleeps.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth_axum::bearer::{RequireBearer, StoreValidator};
use oauth_axum::{AsyncStore, NoOwner};
use oauth_conformance::*;
use oauth_core::{
    AccessTokenRecord, AppType, Client, ClientRegistration, CodeRecord, Config, GrantId, GrantType, IntrospectRequest,
    RefreshTokenRecord, RevokeRequest, ScopeSet, SeededEntropy, StoreError, TokenDigest, TokenState, UnixTime, User,
    UserLookup, Write,
};
use oauth_memory::MemoryStore;
use reqwest::Method;
use serde_json::{Value, json};
use tower::ServiceExt as _;

// =============================================================================================
// Fixture and helpers.
// =============================================================================================

const SECRET_A: &str = "s3cret";
const SECRET_B: &str = "s3cret-b";
const SECRET_RS: &str = "s3cret-rs";
const SECRET_ADMIN: &str = "s3cret-admin";
const CB_PUB_4: &str = "https://spa.example/cb";

/// The clients and users of this file, after the top-level keys `top` (for example an
/// `[access_tokens]` table). `dev_login` signs `user-1` in.
///
/// - `client-a`: web, code + refresh, `read write offline_access`;
/// - `client-b`: web, client credentials, `read write`;
/// - `client-pub`: spa, `read offline_access introspect` (a public client an administrator
///   allowed the introspection scope), origin `https://spa.example`;
/// - `rs`: web, client credentials, `introspect read` (a resource server that may introspect
///   every token);
/// - `admin`: web, client credentials, `admin_classic` (the admin API's client).
fn fixture(top: &str) -> String {
    format!(
        r#"dev_login = "user-1"
{top}

[[clients]]
client_id = "client-a"
app_type = "web"
client_secret = "{SECRET_A}"
redirect_uris = ["https://app.example/cb"]
allowed_scopes = ["read", "write", "offline_access"]
consent = "trusted"

[[clients]]
client_id = "client-b"
app_type = "web"
client_secret = "{SECRET_B}"
allowed_scopes = ["read", "write"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"

[[clients]]
client_id = "client-pub"
app_type = "spa"
redirect_uris = ["{CB_PUB_4}"]
allowed_scopes = ["read", "offline_access", "introspect"]
allowed_origins = ["https://spa.example"]
consent = "trusted"

[[clients]]
client_id = "rs"
app_type = "web"
client_secret = "{SECRET_RS}"
allowed_scopes = ["introspect", "read"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"

[[clients]]
client_id = "admin"
app_type = "web"
client_secret = "{SECRET_ADMIN}"
allowed_scopes = ["admin_classic"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"

[[users]]
id = "user-1"
password = "pw-1"
"#
    )
}

const JWT: &str = "[access_tokens]\nformat = \"jwt\"\nalgorithm = \"ES256\"";

async fn opaque_server() -> TestServer {
    TestServer::start(&fixture("")).await
}

async fn jwt_server() -> TestServer {
    TestServer::start(&fixture(JWT)).await
}

/// `POST <path>` with the form `pairs` and the extra header fields `headers`.
async fn post(srv: &TestServer, path: &str, pairs: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
    let mut req =
        srv.http().post(srv.url(path)).header("content-type", "application/x-www-form-urlencoded").body(query(pairs));
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    srv.send(req, &format!("POST {path}")).await
}

/// `POST /oauth/introspect` of `token` with `Authorization: <authorization>`.
async fn introspect(srv: &TestServer, authorization: &str, token: &str) -> Reply {
    post(srv, "/oauth/introspect", &[("token", token)], &[("authorization", authorization)]).await
}

/// `POST /oauth/revoke` of `token` with `Authorization: <authorization>`.
async fn revoke(srv: &TestServer, authorization: &str, token: &str) -> Reply {
    post(srv, "/oauth/revoke", &[("token", token)], &[("authorization", authorization)]).await
}

fn basic_a() -> String {
    basic("client-a", SECRET_A)
}

fn basic_b() -> String {
    basic("client-b", SECRET_B)
}

fn basic_rs() -> String {
    basic("rs", SECRET_RS)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn is_inactive(reply: &Reply) -> bool {
    reply.status == 200 && serde_json::from_str::<Value>(&reply.body).ok() == Some(json!({"active": false}))
}

fn is_active(reply: &Reply) -> bool {
    reply.status == 200 && reply.json()["active"] == json!(true)
}

/// `client-pub`'s tokens for `scope` (code flow with PKCE, `client_id` only).
async fn pub_tokens(srv: &TestServer, scope: &str) -> Tokens {
    srv.code_tokens(Auth::Public("client-pub"), "client-pub", CB_PUB_4, Some(scope)).await
}

/// `client-a`'s tokens for `user-1` and `scope`.
async fn a_tokens(srv: &TestServer, scope: &str) -> Tokens {
    let header = basic_a();
    srv.code_tokens(Auth::Header(&header), "client-a", CB_A, Some(scope)).await
}

/// The admin token (`admin`, client credentials, `admin_classic`).
async fn admin_token(srv: &TestServer) -> String {
    srv.client_credentials("admin", SECRET_ADMIN, Some(ADMIN_SCOPE)).await.access_token
}

/// The claims of a compact JWS, decoded without any check.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap_or("");
    URL_SAFE_NO_PAD.decode(payload).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null)
}

/// Status, every header except `date`, and body: what a caller can tell two answers apart by.
fn observable(reply: &Reply) -> (u16, Vec<(String, String)>, String) {
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(n, _)| n.as_str() != "date")
        .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    headers.sort();
    (reply.status, headers, reply.body.clone())
}

// =============================================================================================
// Findings: introspection by bearer token.
// =============================================================================================

/// A public client may not introspect (RFC 7662 §2.1, INTRO-02): with `client_id` alone it is
/// refused with 401 `invalid_client` (this part passes). But an access token of the same public
/// client — a user's token held by a browser page — that carries the introspection scope is
/// accepted as a bearer caller and may then see EVERY client's tokens, with subject, scope,
/// client and origins (RFC 7662 §4: "the authorization server MUST determine whether or not the
/// token can be used ... " and must not reveal tokens to callers that may not see them).
///
/// The client path only lets a *confidential* client allowed the scope see every token
/// (`inspect::after_client`: `client.is_confidential()`); the bearer path grants the same power
/// to any token holding the scope, whoever it was issued to and for whom.
/// Fault: `oauth-core/src/endpoint/inspect.rs`, `after_caller_lookup` (`search(.., true, ..)`
/// with no check of the token's client: it should require a client-credentials token
/// (`Subject::Client` of its own client, no actor) of a confidential client that still exists
/// and is still allowed the scope, as the admin API's `AdminTokens` does).
#[tokio::test]
async fn intro_public_clients_bearer_token_cannot_introspect_other_clients_tokens() {
    let srv = opaque_server().await;
    let foreign = srv.client_credentials("client-b", SECRET_B, Some("read")).await;
    let a = a_tokens(&srv, "read offline_access").await;
    let spa = pub_tokens(&srv, "read introspect").await;

    // The public client itself: refused (RFC 7662 §2.1).
    let reply =
        post(&srv, "/oauth/introspect", &[("token", &spa.access_token), ("client_id", "client-pub")], &[]).await;
    assert_eq!((reply.status, reply.json()["error"].as_str()), (401, Some("invalid_client")), "{}", reply.describe());

    // Its user's token: must not reveal other clients' tokens either.
    for token in [foreign.access_token.as_str(), a.access_token.as_str(), a.refresh()] {
        let reply = introspect(&srv, &bearer(&spa.access_token), token).await;
        assert!(
            !is_active(&reply),
            "a public client's token must not introspect another client's token: {}",
            reply.describe()
        );
    }
}

/// Once an administrator takes the introspection scope away from a client, the client can no
/// longer introspect other clients' tokens with Basic (passes) — but an access token it obtained
/// before still can, until it expires (up to the access-token lifetime, 1 hour by default). The
/// admin API re-checks the client's current registration on every request (`AdminTokens` in
/// oauth-adapters/server/src/admin.rs); introspection does not.
/// Fault: `oauth-core/src/endpoint/inspect.rs`, `after_caller_lookup`: no `NeedClient` step after
/// the caller's token is found, so the client's current `allowed_scopes` (and its existence and
/// confidentiality) are never consulted.
#[tokio::test]
async fn intro_bearer_token_loses_its_power_when_its_client_loses_the_introspection_scope() {
    let srv = opaque_server().await;
    let a = a_tokens(&srv, "read").await;
    let rs = srv.client_credentials("rs", SECRET_RS, Some("introspect")).await;
    assert!(is_active(&introspect(&srv, &bearer(&rs.access_token), &a.access_token).await), "precondition");

    let admin = admin_token(&srv).await;
    let ops = json!([{"op": "replace", "path": "/allowedScopes", "value": ["read"]}]);
    let reply = srv.admin(Method::PATCH, &format!("{ADMIN_API}/rs"), Some(&admin), Some(&ops)).await;
    assert_eq!(reply.status, 204, "{}", reply.describe());

    let reply = introspect(&srv, &basic_rs(), &a.access_token).await;
    assert!(is_inactive(&reply), "Basic: the client may no longer see other tokens: {}", reply.describe());
    let reply = introspect(&srv, &bearer(&rs.access_token), &a.access_token).await;
    assert!(
        !is_active(&reply),
        "the client's earlier token must not keep a right its client lost: {}",
        reply.describe()
    );
}

// =============================================================================================
// Finding: Debug output of the new request types.
// =============================================================================================

/// The common rules: "Never log or Debug-print secrets, codes or tokens" (SEC-04). `TokenRequest`
/// keeps parsed `BasicCredentials` (redacted); `RevokeRequest` and `IntrospectRequest` keep the
/// raw `Authorization` header in an `Option<String>` under `#[derive(Debug)]`, so `{:?}` prints
/// the client's Basic credentials (base64 of `client_id:secret`) or the caller's bearer token.
/// The `Step` that `revoke::start` returns is checked too.
/// Fault: `oauth-core/src/endpoint/revoke.rs` (`RevokeRequest`, field `authorization`) and
/// `oauth-core/src/endpoint/introspect.rs` (`IntrospectRequest`, field `authorization`):
/// derived `Debug`; hold the header as a `Secret` or write `Debug` by hand.
#[test]
fn revoke_and_introspect_requests_never_debug_print_credentials() {
    let basic_header = basic("client-a", "secret-in-basic-4711");
    let encoded = basic_header.trim_start_matches("Basic ").to_owned();
    let form = Some("application/x-www-form-urlencoded");
    let body = b"token=presented-token-0815";

    let revoke_req = RevokeRequest::from_http(form, Some(&basic_header), None, body);
    let revoke_dbg = format!("{revoke_req:?}");
    let config = match Config::new("https://as.example", Arc::new(SeededEntropy::new(1))) {
        Ok(c) => Arc::new(c),
        Err(e) => panic!("config: {e}"),
    };
    let step_dbg = format!("{:?}", oauth_core::revoke::start(&config, revoke_req, UnixTime::from_secs(1_000)));

    let intro_basic = format!("{:?}", IntrospectRequest::from_http(form, Some(&basic_header), None, body));
    let intro_bearer =
        format!("{:?}", IntrospectRequest::from_http(form, Some("Bearer caller-token-9999"), None, body));

    let mut leaks = Vec::new();
    for (what, text) in [
        ("RevokeRequest", &revoke_dbg),
        ("IntrospectRequest (Basic)", &intro_basic),
        ("Step of revoke::start", &step_dbg),
    ] {
        for secret in [encoded.as_str(), "secret-in-basic-4711", "presented-token-0815"] {
            if text.contains(secret) {
                leaks.push(format!("{what} Debug shows {secret}: {text}"));
            }
        }
    }
    if intro_bearer.contains("caller-token-9999") {
        leaks.push(format!("IntrospectRequest (Bearer) Debug shows the bearer token: {intro_bearer}"));
    }
    assert!(leaks.is_empty(), "credentials in Debug output:\n{}", leaks.join("\n"));
}

// =============================================================================================
// Finding: issuers that are not URIs.
// =============================================================================================

/// The issuer is a URL (RFC 8414 §2, RFC 3986): characters outside RFC 3986 (`<`, `>`, `{`,
/// `}`, `|`, `^`, a backquote, `"`) cannot appear in it. Today the configuration accepts them, and
/// the metadata of such an issuer is then unreachable: a conforming client percent-encodes the
/// character in the well-known URL (RFC 8414 §3.1) and gets 404, and for `<` or a backquote hyper
/// refuses even the raw request line (400); `iss` comparisons (RFC 9207 §2.4) see two different
/// strings. Found by running the server with `issuer = "http://127.0.0.1:P/a<b"`, `/{x}`,
/// `/a|b`, `/a^b`: it started, and `GET /.well-known/oauth-authorization-server/a%3Cb` was 404.
/// Fault: `oauth-core/src/config.rs`, `validate_issuer` (only bytes <= space, >= 0x7f, `?`, `#`
/// refused) and `oauth-adapters/server/src/config.rs`, `validate_issuer`.
#[test]
fn issuer_outside_the_uri_character_set_is_refused() {
    let client = "[[clients]]\nclient_id = \"c\"\napp_type = \"web\"\nclient_secret = \"s\"\nredirect_uris = [\"https://a.example/cb\"]\nallowed_scopes = [\"read\"]\n";
    let mut accepted = Vec::new();
    for bad in ["<", ">", "{x}", "|", "^", "`", "\\\""] {
        let toml = format!("issuer = \"https://as.example/a{bad}b\"\n{client}");
        if oauth_server::ServerConfig::from_toml(&toml).is_ok() {
            accepted.push(format!("oauth_server::ServerConfig with {bad}"));
        }
        let issuer = format!("https://as.example/a{}b", bad.replace("\\\"", "\""));
        if Config::new(issuer.clone(), Arc::new(SeededEntropy::new(1))).is_ok() {
            accepted.push(format!("oauth_core::Config with {issuer}"));
        }
    }
    assert!(accepted.is_empty(), "issuers that are not URIs were accepted:\n{}", accepted.join("\n"));
}

// =============================================================================================
// Finding: the bearer layer and CORS preflights.
// =============================================================================================

/// `RequireBearer` passes every `OPTIONS` request carrying `Origin` and
/// `Access-Control-Request-Method` to the protected service without any token
/// (`is_preflight` in oauth-adapters/axum/src/bearer.rs). Anyone can add those two headers, so a
/// protected route whose handler answers `OPTIONS` — `any(..)`, a proxy, a `MethodRouter` with
/// `.options(..)` — runs for an unauthenticated caller. The layer's contract is "admits only
/// requests carrying a valid access token" (RFC 6750 §3): it should answer a preflight itself
/// (for example 204 with no CORS headers, leaving CORS to an outer `CorsLayer`) and never call
/// the inner service without a token.
/// Fault: `oauth-adapters/axum/src/bearer.rs`, `RequireBearerService::call` (the
/// `is_preflight` branch).
#[tokio::test]
async fn bearer_layer_never_runs_the_protected_handler_without_a_token() {
    let config = match Config::new_for_development("http://127.0.0.1:8080", Arc::new(SeededEntropy::new(3))) {
        Ok(c) => Arc::new(c),
        Err(e) => panic!("config: {e}"),
    };
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    let read = ScopeSet::parse("read").unwrap_or_else(|e| panic!("scope: {e}"));
    let app = axum::Router::new()
        .route(
            "/api/thing",
            axum::routing::any(move || {
                let counter = Arc::clone(&counter);
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    "protected data"
                }
            }),
        )
        .route_layer(RequireBearer::new(StoreValidator::new(Arc::new(MemoryStore::new()), config), read));

    let plain = Request::get("/api/thing").body(Body::empty()).unwrap_or_else(|e| panic!("{e}"));
    let response = app.clone().oneshot(plain).await.unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "precondition: GET without a token is refused");

    let preflight = Request::options("/api/thing")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "DELETE")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app.oneshot(preflight).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "the protected handler ran for a request without a token (status {status}, body {:?})",
        String::from_utf8_lossy(&body)
    );
}

// =============================================================================================
// Finding: JWT access tokens larger than the server's own input limits.
// =============================================================================================

/// A JWT access token carries the client's `allowed-origins` (up to 64 origins, D6) and its
/// scope (up to 2048 bytes), so the server issues tokens larger than what it then accepts: over
/// 4 KiB no bearer check accepts it (`MAX_AUTHORIZATION_BYTES`, 400 "the Authorization header is
/// too long"), over 8 KiB it cannot even be introspected or revoked (`MAX_VALUE_BYTES` and
/// `MAX_JWT_BYTES`: 400 `invalid_request`). Issue 4: "A token the server issues must be checkable
/// and revocable by the services that receive it"; RFC 7009 §2.1 (the client must be able to
/// revoke what it was issued). A spa client registered with 64 allowed origins of about 125
/// characters gets a JWT of about 11 KB; with 30 origins of 45 characters already over 4 KiB.
/// Fault: `oauth-core/src/endpoint/token/mod.rs` (the JWT claims built from
/// `client.allowed_origins()`) against `oauth-core/src/wire/basic.rs` `MAX_AUTHORIZATION_BYTES`,
/// `oauth-core/src/wire/form.rs` `MAX_VALUE_BYTES` and `oauth-core/src/jwt.rs` `MAX_JWT_BYTES`:
/// either bound what a token may carry at registration/issuance, or accept every token issued.
#[tokio::test]
async fn jwt_with_many_allowed_origins_is_still_usable_introspectable_and_revocable() {
    let origins: Vec<String> =
        (0..64).map(|i| format!("\"https://tenant-{i:02}-{}.example.com\"", "x".repeat(96))).collect();
    let many = format!(
        "{JWT}\n\n[[clients]]\nclient_id = \"many\"\napp_type = \"spa\"\nredirect_uris = [\"{CB_PUB_4}\"]\n\
         allowed_scopes = [\"read\", \"introspect\"]\nallowed_origins = [{}]\nconsent = \"trusted\"\n",
        origins.join(", ")
    );
    let srv = TestServer::start(&fixture(&many)).await;
    let t = srv.code_tokens(Auth::Public("many"), "many", CB_PUB_4, Some("read introspect")).await;
    let target = srv.client_credentials("client-b", SECRET_B, Some("read")).await.access_token;
    let size = t.access_token.len();

    let mut broken = Vec::new();
    let reply = introspect(&srv, &basic_rs(), &t.access_token).await;
    if !is_active(&reply) {
        broken.push(format!("introspection by a resource server: {}", reply.describe()));
    }
    let reply = introspect(&srv, &bearer(&t.access_token), &target).await;
    if matches!(reply.status, 400 | 401) {
        broken.push(format!("use as a bearer token: {}", reply.describe()));
    }
    let reply = post(&srv, "/oauth/revoke", &[("token", &t.access_token), ("client_id", "many")], &[]).await;
    if reply.status != 200 {
        broken.push(format!("revocation by its own client: {}", reply.describe()));
    }
    assert!(broken.is_empty(), "a {size}-byte JWT the server issued is refused by the server:\n{}", broken.join("\n"));
}

// =============================================================================================
// Regression: what a caller can tell apart.
// =============================================================================================

/// RFC 7662 §2.2, §4 (INTRO-03): to a client that may not see them, another client's access
/// token and refresh token, an unknown token, its own revoked token, and JWT forgeries (alg
/// `none`, a tampered payload, an unknown `kid`, a `crit` header, a duplicated `alg` member,
/// padding, a JWT over 8 KiB) all answer exactly like an unknown token: same status, same header
/// fields, same body `{"active":false}`.
#[tokio::test]
async fn intro_refusals_are_indistinguishable_from_an_unknown_token() {
    let srv = jwt_server().await;
    let a = a_tokens(&srv, "read offline_access").await;
    let own = srv.client_credentials("client-b", SECRET_B, Some("read")).await.access_token;
    let own_revoked = srv.client_credentials("client-b", SECRET_B, Some("write")).await.access_token;
    assert_eq!(revoke(&srv, &basic_b(), &own_revoked).await.status, 200);

    let parts: Vec<&str> = own.split('.').collect();
    assert_eq!(parts.len(), 3, "JWT access tokens expected");
    let b64 = |v: &str| URL_SAFE_NO_PAD.encode(v);
    let header: Value =
        URL_SAFE_NO_PAD.decode(parts[0]).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
    let mut wider = claims_of(&own);
    wider["scope"] = json!("read write");
    let kid = header["kid"].as_str().unwrap_or("");
    let forged = [
        format!("{}.{}.", b64(r#"{"alg":"none","typ":"at+jwt"}"#), parts[1]),
        format!("{}.{}.{}", parts[0], b64(&wider.to_string()), parts[2]),
        format!("{}.{}.{}", b64(r#"{"alg":"ES256","typ":"at+jwt","kid":"not-a-key"}"#), parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            b64(&format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}","crit":["exp"]}}"#)),
            parts[1],
            parts[2]
        ),
        format!(
            "{}.{}.{}",
            b64(&format!(r#"{{"alg":"none","alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#)),
            parts[1],
            parts[2]
        ),
        format!("{own}=="),
        format!("{}.{}.{}{}", parts[0], parts[1], parts[2], "A".repeat(5_000)),
    ];

    let reference = observable(&introspect(&srv, &basic_b(), "no-such-token-anywhere").await);
    assert_eq!((reference.0, reference.2.as_str()), (200, r#"{"active":false}"#));
    let mut cases: Vec<(&str, String)> = vec![
        ("client-a access token", a.access_token.clone()),
        ("client-a refresh token", a.refresh().to_owned()),
        ("own revoked token", own_revoked.clone()),
    ];
    for (i, f) in forged.iter().enumerate() {
        cases.push((
            ["alg none", "wider scope", "unknown kid", "crit", "duplicate alg", "padding", "long"][i],
            f.clone(),
        ));
    }
    for (what, token) in &cases {
        let reply = introspect(&srv, &basic_b(), token).await;
        assert_eq!(observable(&reply), reference, "{what} must look exactly like an unknown token");
    }
    // The same forgeries are no bearer tokens at the admin API, nor at introspection.
    for (what, token) in cases.iter().skip(2) {
        let reply = srv.admin(Method::GET, ADMIN_API, Some(token), None).await;
        assert!(matches!(reply.status, 400 | 401), "{what} at the admin API: {}", reply.describe());
        let reply = introspect(&srv, &bearer(token), &own).await;
        assert!(matches!(reply.status, 400 | 401), "{what} as an introspection caller: {}", reply.describe());
    }
    // Sanity: the real token is active for its own client.
    assert!(is_active(&introspect(&srv, &basic_b(), &own).await));
}

/// D7, RFC 7009 §2.1: a confidential client that sends only `client_id` has not authenticated:
/// 401 `invalid_client`, and the token stays valid. A public client sending only `client_id` is
/// refused at introspection (RFC 7662 §2.1).
#[tokio::test]
async fn confidential_client_with_only_client_id_revokes_nothing() {
    let srv = opaque_server().await;
    let a = a_tokens(&srv, "read offline_access").await;
    for token in [a.access_token.as_str(), a.refresh()] {
        let reply = post(&srv, "/oauth/revoke", &[("token", token), ("client_id", "client-a")], &[]).await;
        assert_eq!(
            (reply.status, reply.json()["error"].as_str()),
            (401, Some("invalid_client")),
            "{}",
            reply.describe()
        );
        // JSON body, same answer.
        let body = json!({"token": token, "client_id": "client-a"}).to_string();
        let req = srv.http().post(srv.url("/oauth/revoke")).header("content-type", "application/json").body(body);
        let reply = srv.send(req, "POST /oauth/revoke").await;
        assert_eq!(reply.status, 401, "{}", reply.describe());
    }
    assert!(is_active(&introspect(&srv, &basic_a(), &a.access_token).await));
    assert!(is_active(&introspect(&srv, &basic_a(), a.refresh()).await));
}

/// Introspection callers that present something other than one valid access token with the
/// introspection scope are refused and learn nothing: a refresh token, a revoked token, a token
/// without the scope, two `Authorization` headers (Bearer then Basic, Basic then Bearer), Bearer
/// plus `client_secret`, the token in the query string.
#[tokio::test]
async fn intro_bearer_caller_edge_cases() {
    let srv = opaque_server().await;
    let a = a_tokens(&srv, "read offline_access").await;
    let target = srv.client_credentials("client-b", SECRET_B, Some("read")).await.access_token;
    let rs = srv.client_credentials("rs", SECRET_RS, Some("introspect")).await.access_token;
    let rs_read = srv.client_credentials("rs", SECRET_RS, Some("read")).await.access_token;
    let rs_revoked = srv.client_credentials("rs", SECRET_RS, Some("introspect")).await.access_token;
    assert_eq!(revoke(&srv, &basic_rs(), &rs_revoked).await.status, 200);
    assert!(is_active(&introspect(&srv, &bearer(&rs), &target).await), "precondition");

    let refused = |reply: &Reply, what: &str| {
        assert!(!reply.body.contains("client-b"), "{what} revealed the token: {}", reply.describe());
        assert_ne!(reply.status, 200, "{what}: {}", reply.describe());
    };
    let reply = introspect(&srv, &bearer(a.refresh()), &target).await;
    refused(&reply, "a refresh token as bearer");
    assert_eq!(reply.status, 401, "{}", reply.describe());
    assert!(reply.header("www-authenticate").unwrap_or("").contains("invalid_token"), "{}", reply.describe());
    refused(&introspect(&srv, &bearer(&rs_revoked), &target).await, "a revoked bearer token");
    let reply = introspect(&srv, &bearer(&rs_read), &target).await;
    refused(&reply, "a bearer token without the scope");
    assert_eq!(reply.status, 403, "{}", reply.describe());

    for headers in [[bearer(&rs), basic_rs()], [basic_rs(), bearer(&rs)]] {
        let mut req = srv
            .http()
            .post(srv.url("/oauth/introspect"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(query(&[("token", &target)]));
        for h in &headers {
            req = req.header("authorization", h.as_str());
        }
        refused(&srv.send(req, "POST /oauth/introspect").await, "two Authorization headers");
    }
    let reply = post(
        &srv,
        "/oauth/introspect",
        &[("token", &target), ("client_id", "rs"), ("client_secret", SECRET_RS)],
        &[("authorization", &bearer(&rs))],
    )
    .await;
    refused(&reply, "Bearer plus client_secret");
    let req = srv
        .http()
        .post(format!("{}?token={}", srv.url("/oauth/introspect"), enc(&target)))
        .header("authorization", basic_rs());
    refused(&srv.send(req, "POST /oauth/introspect?token").await, "the token in the query");
}

// =============================================================================================
// Regression: the admin API with JWT access tokens.
// =============================================================================================

/// The admin API over JWT access tokens (StoreValidator + the admin rules): a JWT whose client
/// lost the admin scope is 403 `insufficient_scope`; one whose client was deleted is 401
/// `invalid_token` even though its signature and `exp` still verify; a revoked one is 401.
#[tokio::test]
async fn admin_api_jwt_of_a_client_that_lost_the_scope_or_was_deleted() {
    let srv = jwt_server().await;
    let root = admin_token(&srv).await;
    assert_eq!(claims_of(&root)["client_id"], json!("admin"), "a JWT expected");

    // A second admin client, created through the API.
    let body = json!({"appType": "web", "clientName": "ops", "allowedScopes": [ADMIN_SCOPE],
        "allowedGrantTypes": ["client_credentials"]});
    let created = srv.admin(Method::POST, ADMIN_API, Some(&root), Some(&body)).await;
    assert_eq!(created.status, 201, "{}", created.describe());
    let created = created.json();
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let secret = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    let ops = srv.client_credentials(&id, &secret, Some(ADMIN_SCOPE)).await.access_token;
    let ops2 = srv.client_credentials(&id, &secret, Some(ADMIN_SCOPE)).await.access_token;
    assert_eq!(srv.admin(Method::GET, ADMIN_API, Some(&ops), None).await.status, 200, "precondition");

    // Revoked: 401.
    assert_eq!(revoke(&srv, &basic(&id, &secret), &ops2).await.status, 200);
    assert_eq!(srv.admin(Method::GET, ADMIN_API, Some(&ops2), None).await.status, 401);

    // The scope removed from the client: 403 insufficient_scope.
    let patch = json!([{"op": "replace", "path": "/allowedScopes", "value": ["read"]}]);
    let reply = srv.admin(Method::PATCH, &format!("{ADMIN_API}/{id}"), Some(&root), Some(&patch)).await;
    assert_eq!(reply.status, 204, "{}", reply.describe());
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&ops), None).await;
    assert_eq!(reply.status, 403, "{}", reply.describe());
    assert!(reply.header("www-authenticate").unwrap_or("").contains("insufficient_scope"), "{}", reply.describe());

    // Deleted: 401 invalid_token.
    let reply = srv.admin(Method::DELETE, &format!("{ADMIN_API}/{id}"), Some(&root), None).await;
    assert!(matches!(reply.status, 200 | 204), "{}", reply.describe());
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&ops), None).await;
    assert_eq!(reply.status, 401, "{}", reply.describe());
    assert!(reply.header("www-authenticate").unwrap_or("").contains("invalid_token"), "{}", reply.describe());
}

// =============================================================================================
// Regression: metadata and JWKS documents.
// =============================================================================================

/// The JWK Set publishes public members only (RFC 7517 §5, RFC 7518 §6.2.2: `d` is private) and,
/// like the metadata, is readable from any origin without credentials (META-05); neither
/// answers a credentialed CORS request with `Access-Control-Allow-Credentials`.
#[tokio::test]
async fn jwks_holds_no_private_member_and_public_documents_carry_no_credentials_cors() {
    let srv = jwt_server().await;
    for path in ["/oauth/jwks", "/.well-known/oauth-authorization-server"] {
        let req = srv.http().get(srv.url(path)).header("origin", "https://evil.example").header("cookie", "a=b");
        let reply = srv.send(req, path).await;
        assert_eq!(reply.status, 200, "{}", reply.describe());
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"), "{}", reply.describe());
        assert!(reply.header("access-control-allow-credentials").is_none(), "{}", reply.describe());
    }
    let req = srv.http().get(srv.url("/oauth/jwks"));
    let jwks = srv.send(req, "GET /oauth/jwks").await.json();
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    assert!(!keys.is_empty(), "{jwks}");
    for key in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
            assert!(key.get(private).is_none(), "JWK publishes private member {private}: {key}");
        }
    }
}

// =============================================================================================
// Regression: storage failures are never a false success (RFC 7009 §2.2.1, REV-07).
// =============================================================================================

/// A [`MemoryStore`] whose grant revocation or token lookups can be made to fail with
/// `StoreError::Unavailable`.
#[derive(Default)]
struct Faulty {
    inner: MemoryStore,
    fail_revoke: AtomicBool,
    fail_lookup: AtomicBool,
}

impl AsyncStore for Faulty {
    fn client(&self, client_id: &str) -> impl Future<Output = Result<Option<Arc<Client>>, StoreError>> + Send {
        <MemoryStore as AsyncStore>::client(&self.inner, client_id)
    }

    fn take_code(
        &self,
        key: &TokenDigest,
        client_id: &str,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<CodeRecord>, StoreError>> + Send {
        <MemoryStore as AsyncStore>::take_code(&self.inner, key, client_id, now)
    }

    async fn refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> Result<TokenState<RefreshTokenRecord>, StoreError> {
        if self.fail_lookup.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable);
        }
        <MemoryStore as AsyncStore>::refresh_token(&self.inner, key, now).await
    }

    fn take_refresh_token(
        &self,
        key: &TokenDigest,
        now: UnixTime,
    ) -> impl Future<Output = Result<TokenState<RefreshTokenRecord>, StoreError>> + Send {
        <MemoryStore as AsyncStore>::take_refresh_token(&self.inner, key, now)
    }

    async fn revoke_grant(&self, grant_id: &GrantId, now: UnixTime) -> Result<(), StoreError> {
        if self.fail_revoke.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable);
        }
        <MemoryStore as AsyncStore>::revoke_grant(&self.inner, grant_id, now).await
    }

    fn persist(&self, writes: Vec<Write>, now: UnixTime) -> impl Future<Output = Result<(), StoreError>> + Send {
        <MemoryStore as AsyncStore>::persist(&self.inner, writes, now)
    }

    fn user(&self, lookup: &UserLookup) -> impl Future<Output = Result<Option<User>, StoreError>> + Send {
        <MemoryStore as AsyncStore>::user(&self.inner, lookup)
    }

    fn origin_registered(&self, origin: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
        <MemoryStore as AsyncStore>::origin_registered(&self.inner, origin)
    }

    async fn access_token(&self, key: &TokenDigest, now: UnixTime) -> Result<Option<AccessTokenRecord>, StoreError> {
        if self.fail_lookup.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable);
        }
        <MemoryStore as AsyncStore>::access_token(&self.inner, key, now).await
    }
}

/// One request to `app`: `POST <path>` with the form `body` as `svc` (Basic); status and JSON.
async fn call(app: &axum::Router, path: &str, body: &str) -> (u16, Value) {
    let request = Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", basic("svc", "svc-secret"))
        .body(Body::from(body.to_owned()))
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status().as_u16();
    let bytes = to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Revocation answers 503 `temporarily_unavailable`, never 200, when the grant cannot be revoked
/// or the token cannot be looked up (RFC 7009 §2.2.1), and the token stays usable; introspection
/// answers 503 too rather than a false `{"active":false}` or a stale `true`.
#[tokio::test]
async fn revocation_and_introspection_never_succeed_when_the_store_fails() {
    let store = Arc::new(Faulty::default());
    let registration = ClientRegistration {
        client_id: "svc".into(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of("svc-secret")],
        allowed_scopes: vec!["read".into()],
        allowed_grant_types: Some(vec![GrantType::ClientCredentials]),
        ..Default::default()
    };
    let client = Client::register(registration).unwrap_or_else(|e| panic!("client: {e:?}"));
    store.inner.insert_client(client);
    let config = Config::new_for_development("http://127.0.0.1:8080", Arc::new(SeededEntropy::new(9)))
        .unwrap_or_else(|e| panic!("config: {e}"));
    let app = oauth_axum::router(Arc::new(config), Arc::clone(&store), Arc::new(NoOwner::new()));

    let (status, tokens) = call(&app, "/oauth/token", "grant_type=client_credentials").await;
    assert_eq!(status, 200, "{tokens}");
    let token = tokens["access_token"].as_str().unwrap_or_default().to_owned();
    let form = query(&[("token", &token)]);

    store.fail_revoke.store(true, Ordering::SeqCst);
    let (status, body) = call(&app, "/oauth/revoke", &form).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("temporarily_unavailable")), "revoke_grant failed: {body}");
    store.fail_revoke.store(false, Ordering::SeqCst);
    assert_eq!(call(&app, "/oauth/introspect", &form).await.1["active"], json!(true), "the token must survive");

    store.fail_lookup.store(true, Ordering::SeqCst);
    for (path, what) in [("/oauth/revoke", "revocation"), ("/oauth/introspect", "introspection")] {
        let (status, body) = call(&app, path, &form).await;
        assert_eq!(status, 503, "{what} with a failing lookup: {body}");
        // An unknown token too: the store cannot say it is unknown.
        let (status, body) = call(&app, path, "token=unknown-token").await;
        assert_eq!(status, 503, "{what} of an unknown token with a failing lookup: {body}");
    }
    store.fail_lookup.store(false, Ordering::SeqCst);
    assert_eq!(call(&app, "/oauth/introspect", &form).await.1["active"], json!(true));
    assert_eq!(call(&app, "/oauth/revoke", &form).await.0, 200);
    assert_eq!(call(&app, "/oauth/introspect", &form).await.1, json!({"active": false}));
}

// =============================================================================================
// Regression: logs at TRACE.
// =============================================================================================

static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a TRACE subscriber for this test binary that appends every line to [`LOG`].
fn capture() -> Arc<Mutex<Vec<u8>>> {
    Arc::clone(LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(Arc::clone(&buf));
        let installed = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        if let Err(e) = installed {
            panic!("installing the capturing subscriber failed: {e}");
        }
        buf
    }))
}

/// SEC-04: with every target at TRACE, revocation, introspection (Basic and Bearer callers),
/// forged JWTs, the admin API and its refusals log no access or refresh token, no `jti`, no JWT
/// signature and no client secret.
#[tokio::test]
async fn trace_logs_never_show_tokens_jtis_or_secrets() {
    let log = capture();
    let srv = jwt_server().await;
    let a = a_tokens(&srv, "read offline_access").await;
    let rs = srv.client_credentials("rs", SECRET_RS, Some("introspect")).await.access_token;
    let admin = admin_token(&srv).await;
    let forged = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#), "eyJ4IjoxfQ");

    introspect(&srv, &basic_rs(), &a.access_token).await;
    introspect(&srv, &bearer(&rs), a.refresh()).await;
    introspect(&srv, &bearer(&forged), &a.access_token).await;
    introspect(&srv, &basic("rs", "wrong-secret-77"), &a.access_token).await;
    srv.admin(Method::GET, ADMIN_API, Some(&admin), None).await;
    srv.admin(Method::GET, ADMIN_API, Some(&a.access_token), None).await;
    srv.admin(Method::GET, &format!("{ADMIN_API}?access_token={admin}"), None, None).await;
    revoke(&srv, &basic_b(), &a.access_token).await;
    revoke(&srv, &basic_a(), a.refresh()).await;
    introspect(&srv, &basic_a(), &a.access_token).await;

    let text = String::from_utf8_lossy(&log.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
    assert!(text.contains("oauth"), "the capture saw nothing; is the subscriber installed?");
    let mut secrets: Vec<String> = vec![
        SECRET_A.into(),
        SECRET_B.into(),
        SECRET_RS.into(),
        SECRET_ADMIN.into(),
        "wrong-secret-77".into(),
        a.refresh().into(),
    ];
    for jwt in [&a.access_token, &rs, &admin] {
        secrets.push(claims_of(jwt)["jti"].as_str().unwrap_or("jti-missing").to_owned());
        secrets.push(jwt.rsplit('.').next().unwrap_or("").to_owned());
        secrets.push(jwt.split('.').nth(1).unwrap_or("").to_owned());
    }
    for s in secrets.iter().filter(|s| s.len() >= 6) {
        assert!(!text.contains(s.as_str()), "a credential appears in the TRACE log: {}…", &s[..6]);
    }
}
