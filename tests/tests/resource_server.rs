//! Issue 4, the resource server's side (RFC 6750, requirements.md section N; RFC 9068 §4):
//! a small protected axum route, `GET /api/thing` requiring scope `read`, behind
//! `oauth_axum::bearer::RequireBearer`, served on its own loopback port, with tokens issued by
//! the real `oauth-server`. Two validators:
//! - remote introspection (`IntrospectionValidator`) against the running server, as the
//!   introspection client `rs-intro`: sees revocations at once;
//! - local JWT verification (`JwtValidator`) with an `oauth_jose::Jwks` built from the server's
//!   `GET /oauth/jwks`.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use oauth_axum::bearer::{AccessToken, IntrospectionValidator, JwtValidator, RequireBearer};
use oauth_conformance::*;
use oauth_core::ScopeSet;
use oauth_jose::Jwks;

/// The realm of the protected route's challenges.
const REALM: &str = "things";

/// A protected API on `127.0.0.1:<ephemeral port>`, stopped when dropped.
struct Api {
    base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `GET /api/thing` (scope `read`) behind `layer`; the handler answers
/// `<client_id> <sub>`.
async fn start_api(layer: RequireBearer) -> Api {
    let app = Router::new()
        .route("/api/thing", get(|token: AccessToken| async move { format!("{} {}", token.client_id, token.sub()) }))
        .route_layer(layer);
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("binding 127.0.0.1:0 failed: {e}"),
    };
    let base = match listener.local_addr() {
        Ok(a) => format!("http://{a}"),
        Err(e) => panic!("local_addr failed: {e}"),
    };
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("protected API stopped: {e}");
        }
    });
    Api { base, task }
}

/// The scope the route requires.
fn read() -> ScopeSet {
    ScopeSet::parse("read").unwrap_or_else(|_| panic!("`read` is a valid scope token"))
}

/// The route behind remote introspection at `srv`, as `rs-intro`.
async fn introspecting_api(srv: &TestServer) -> Api {
    let validator =
        IntrospectionValidator::new(client(), &srv.url("/oauth/introspect"), INTROSPECTOR, INTROSPECTOR_SECRET)
            .unwrap_or_else(|e| panic!("introspection validator: {e}"))
            .expect_issuer(srv.issuer())
            .expect_audience(srv.issuer());
    start_api(RequireBearer::new(validator, read()).realm(REALM)).await
}

/// The route behind local JWT verification with the JWK Set `srv` publishes.
async fn jwt_api(srv: &TestServer) -> Api {
    let jwks = srv.get("/oauth/jwks").await;
    assert_eq!(jwks.status, 200, "{}", jwks.describe());
    let keys = Jwks::from_json(&jwks.body).unwrap_or_else(|e| panic!("JWK Set: {e}"));
    assert!(!keys.is_empty());
    let validator = JwtValidator::new(Arc::new(keys), srv.issuer(), srv.issuer());
    start_api(RequireBearer::new(validator, read()).realm(REALM)).await
}

/// `GET <api><path>` with `headers`.
async fn call(srv: &TestServer, api: &Api, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = srv.http().get(format!("{}{path}", api.base));
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    srv.send(req, "GET /api/thing").await
}

/// `GET /api/thing` with `Authorization: Bearer <token>`.
async fn call_with(srv: &TestServer, api: &Api, token: &str) -> Reply {
    call(srv, api, "/api/thing", &[("authorization", &format!("Bearer {token}"))]).await
}

/// The `WWW-Authenticate` value, checked against RFC 6750 §3 (RS-07): one challenge,
/// `Bearer realm="things"` first, and each attribute at most once.
fn challenge(reply: &Reply) -> String {
    let d = reply.describe();
    let all = reply.header_all("www-authenticate");
    assert_eq!(all.len(), 1, "exactly one WWW-Authenticate: {d}");
    let c = all[0].to_owned();
    assert!(c.starts_with(&format!("Bearer realm=\"{REALM}\"")), "challenge {c:?}: {d}");
    for attr in ["realm=", "scope=", "error=", "error_description=", "error_uri="] {
        let n = c.split([' ', ',']).filter(|p| p.starts_with(attr)).count();
        assert!(n <= 1, "{attr} at most once in {c:?}");
    }
    c
}

/// Asserts a 200 from the handler for `client_id` and `sub`.
fn assert_ok(reply: &Reply, client_id: &str, sub: &str) {
    assert_eq!(reply.status, 200, "{}", reply.describe());
    assert_eq!(reply.body, format!("{client_id} {sub}"));
}

/// Asserts 401 with `error="invalid_token"` (RS-03).
fn assert_invalid_token(reply: &Reply) {
    let d = reply.describe();
    assert_eq!(reply.status, 401, "{d}");
    let c = challenge(reply);
    assert!(c.contains("error=\"invalid_token\""), "{c:?}: {d}");
    assert!(reply.header("access-control-allow-origin").is_none(), "no CORS on a refused token: {d}");
}

/// Asserts 401 with a bare challenge, no `error` (RS-02).
fn assert_no_credentials(reply: &Reply) {
    let d = reply.describe();
    assert_eq!(reply.status, 401, "{d}");
    assert_eq!(challenge(reply), format!("Bearer realm=\"{REALM}\""), "no error attribute without credentials: {d}");
}

/// Asserts 403 with `error="insufficient_scope"` and `scope="read"` (RS-04).
fn assert_insufficient_scope(reply: &Reply) {
    let d = reply.describe();
    assert_eq!(reply.status, 403, "{d}");
    let c = challenge(reply);
    assert!(c.contains("error=\"insufficient_scope\""), "{c:?}: {d}");
    assert!(c.contains("scope=\"read\""), "the needed scope is named: {c:?}: {d}");
}

// =============================================================================================
// Remote introspection.
// =============================================================================================

#[tokio::test]
async fn rs_01_valid_token_is_200_with_any_scheme_case() {
    let srv = TestServer::start(&lifecycle_fixture("")).await;
    let api = introspecting_api(&srv).await;
    let svc = srv.svc_b_token().await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let reply =
            call(&srv, &api, "/api/thing", &[("authorization", &format!("{scheme} {}", svc.access_token))]).await;
        assert_ok(&reply, "svc-b", "client:svc-b");
    }
    let user = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read write")).await;
    assert_ok(&call_with(&srv, &api, &user.access_token).await, "client-a", "user-1");
    let imp = srv.impersonation_token().await;
    assert_ok(&call_with(&srv, &api, &imp.access_token).await, "svc-a", "user-1");
}

#[tokio::test]
async fn rs_02_no_credentials_is_401_without_error() {
    let srv = TestServer::start(&lifecycle_fixture("")).await;
    let api = introspecting_api(&srv).await;
    assert_no_credentials(&call(&srv, &api, "/api/thing", &[]).await);
    // RS-06: a token in the query string is not read: no credentials.
    let svc = srv.svc_b_token().await;
    let path = format!("/api/thing?access_token={}", enc(&svc.access_token));
    assert_no_credentials(&call(&srv, &api, &path, &[]).await);
    // RS-05: in the header and the query at once: 400 invalid_request.
    let reply = call(&srv, &api, &path, &[("authorization", &format!("Bearer {}", svc.access_token))]).await;
    assert_eq!(reply.status, 400, "{}", reply.describe());
    assert!(challenge(&reply).contains("error=\"invalid_request\""));
}

#[tokio::test]
async fn rs_03_revoked_unknown_and_refresh_tokens_are_401_invalid_token() {
    let srv = TestServer::start(&lifecycle_fixture("")).await;
    let api = introspecting_api(&srv).await;
    let t = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read offline_access")).await;
    assert_ok(&call_with(&srv, &api, &t.access_token).await, "client-a", "user-1");
    // A refresh token is not an access token.
    assert_invalid_token(&call_with(&srv, &api, t.refresh()).await);
    srv.revoke(&[("token", &t.access_token)], &[("authorization", BASIC_CLIENT_A)]).await.assert_revoked();
    assert_invalid_token(&call_with(&srv, &api, &t.access_token).await);
    assert_invalid_token(&call_with(&srv, &api, "does-not-exist").await);
    // A malformed bearer value is a malformed request (RS-01 charset).
    let reply = call(&srv, &api, "/api/thing", &[("authorization", "Bearer a b")]).await;
    assert_eq!(reply.status, 400, "{}", reply.describe());
    assert!(challenge(&reply).contains("error=\"invalid_request\""));
}

#[tokio::test]
async fn rs_04_token_without_the_scope_is_403_insufficient_scope() {
    let srv = TestServer::start(&lifecycle_fixture("")).await;
    let api = introspecting_api(&srv).await;
    let write = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("write")).await;
    assert_insufficient_scope(&call_with(&srv, &api, &write.access_token).await);
    let intro = srv.introspector_token().await;
    assert_insufficient_scope(&call_with(&srv, &api, &intro.access_token).await);
}

#[tokio::test]
async fn rs_08_browser_origins_follow_the_clients_allowed_origins() {
    let srv = TestServer::start(&lifecycle_fixture("")).await;
    let api = introspecting_api(&srv).await;
    let p = srv.code_tokens(Auth::Public("client-pub"), "client-pub", CB_PUB, Some("read")).await;
    let bearer = format!("Bearer {}", p.access_token);
    let reply = call(&srv, &api, "/api/thing", &[("authorization", &bearer), ("origin", ORIGIN_PUB)]).await;
    assert_ok(&reply, "client-pub", "user-1");
    assert_eq!(reply.header_all("access-control-allow-origin"), vec![ORIGIN_PUB], "{}", reply.describe());
    assert!(reply.header_list_has("vary", "origin"), "{}", reply.describe());
    for origin in [ORIGIN_EVIL, "http://spa.example", "https://spa.example:8443"] {
        let reply = call(&srv, &api, "/api/thing", &[("authorization", &bearer), ("origin", origin)]).await;
        assert_invalid_token(&reply);
    }
    // A token whose client allows no origin cannot be used from a browser page.
    let a = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
    let bearer = format!("Bearer {}", a.access_token);
    assert_invalid_token(&call(&srv, &api, "/api/thing", &[("authorization", &bearer), ("origin", ORIGIN_PUB)]).await);
    assert_ok(&call(&srv, &api, "/api/thing", &[("authorization", &bearer)]).await, "client-a", "user-1");
}

// =============================================================================================
// Local JWT verification against `/oauth/jwks`.
// =============================================================================================

#[tokio::test]
async fn rs_jwt_local_verification_answers_200_401_and_403() {
    let srv = TestServer::start(&lifecycle_fixture("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"ES256\"\n")).await;
    let api = jwt_api(&srv).await;
    let svc = srv.svc_b_token().await;
    assert_ok(&call_with(&srv, &api, &svc.access_token).await, "svc-b", "client:svc-b");
    let imp = srv.impersonation_token().await;
    assert_ok(&call_with(&srv, &api, &imp.access_token).await, "svc-a", "user-1");
    assert_no_credentials(&call(&srv, &api, "/api/thing", &[]).await);
    let write = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("write")).await;
    assert_insufficient_scope(&call_with(&srv, &api, &write.access_token).await);

    // A changed signature, a token of another server, an opaque token: 401 invalid_token.
    let mut tampered = svc.access_token.clone();
    let last = tampered.pop().map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
    tampered.push(last);
    assert_invalid_token(&call_with(&srv, &api, &tampered).await);
    let other =
        TestServer::start(&lifecycle_fixture("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"ES256\"\n")).await;
    assert_invalid_token(&call_with(&srv, &api, &other.svc_b_token().await.access_token).await);
    let opaque = TestServer::start(&lifecycle_fixture("")).await;
    assert_invalid_token(&call_with(&srv, &api, &opaque.svc_b_token().await.access_token).await);
}

#[tokio::test]
async fn rs_jwt_revocation_is_seen_through_introspection() {
    // The same JWT server, checked by remote introspection: a revoked JWT is refused at once.
    let srv = TestServer::start(&lifecycle_fixture("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"EdDSA\"\n")).await;
    let api = introspecting_api(&srv).await;
    let t = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
    assert_ok(&call_with(&srv, &api, &t.access_token).await, "client-a", "user-1");
    srv.revoke(&[("token", &t.access_token)], &[("authorization", BASIC_CLIENT_A)]).await.assert_revoked();
    assert_invalid_token(&call_with(&srv, &api, &t.access_token).await);
}

#[tokio::test]
async fn rs_jwt_jti_is_not_a_bearer_token() {
    // A JWT's jti is an identifier that resource servers read and log; on its own it must not
    // be accepted as an access token.
    let srv = TestServer::start(&lifecycle_fixture("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"ES256\"\n")).await;
    let api = introspecting_api(&srv).await;
    let svc = srv.svc_b_token().await;
    assert_ok(&call_with(&srv, &api, &svc.access_token).await, "svc-b", "client:svc-b");
    let payload = svc.access_token.split('.').nth(1).unwrap_or("");
    let claims: serde_json::Value = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let jti = claims["jti"].as_str().unwrap_or_else(|| panic!("no jti claim"));
    assert_invalid_token(&call_with(&srv, &api, jti).await);
}

#[tokio::test]
async fn rs_admin_api_refuses_a_jwt_jti() {
    // The server's own protected API (the admin API) with JWT access tokens: the admin token
    // works, its jti alone must not.
    let srv = TestServer::start(&requirement_fixture_with(true, "", "[access_tokens]\nformat = \"jwt\"\n")).await;
    let token = srv.admin_token().await;
    let ok = srv.admin(reqwest::Method::GET, ADMIN_API, Some(&token), None).await;
    assert_eq!(ok.status, 200, "{}", ok.describe());
    let payload = token.split('.').nth(1).unwrap_or("");
    let claims: serde_json::Value = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let jti = claims["jti"].as_str().unwrap_or_else(|| panic!("no jti claim"));
    let reply = srv.admin(reqwest::Method::GET, ADMIN_API, Some(jti), None).await;
    assert_eq!(reply.status, 401, "a jti is not an admin token: {}", reply.describe());
}
