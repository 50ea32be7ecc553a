//! Issue 3, the platform's client model, over HTTP against the real server: the impersonation
//! grant (requirements.md section H), allowed origins and CORS (section P), client
//! registration through the admin API (section B, `notes/admin-api.md`, bearer errors of
//! section N), and the consent page and `prompt` values (AUTHZ-13, AUTHZ-14, D12).
//! Each requirement test is named after its line id.
//!
//! Not observable here yet, and why:
//! - IMP-01 "token acts as u1" and IMP-09 (the acting client): no introspection endpoint yet
//!   (a later issue); the core's tests check the token record;
//! - REG-07 (`private_key_jwt`): not in scope (D16);
//! - `max_age` (D12): forcing a login needs a session older than `max_age` seconds, and the
//!   server reads the real clock while tests never sleep; the core's tests cover it with a
//!   virtual clock.

use std::collections::BTreeSet;

use oauth_conformance::*;
use reqwest::Method;
use serde_json::{Value, json};

/// The server with [`REQUIREMENT_FIXTURE`] (`dev_login` signs `u1` in).
async fn server() -> TestServer {
    TestServer::start(REQUIREMENT_FIXTURE).await
}

/// An impersonation request body (JSON, D3) for `client_id`/`secret`, with `scope` when set.
fn imp_json(client_id: &str, secret: &str, scope: Option<&str>, user_lookup: Value) -> Value {
    let mut body = json!({
        "client_id": client_id,
        "client_secret": secret,
        "grant_type": IMPERSONATION,
        "user_lookup": user_lookup,
    });
    if let Some(s) = scope {
        body["scope"] = json!(s);
    }
    body
}

/// `{"field": "userId", "value": <u1's id>}`.
fn lookup_u1() -> Value {
    json!({"field": "userId", "value": U1_ID})
}

/// The member names of a JSON object reply.
fn members(reply: &Reply) -> BTreeSet<String> {
    reply.json().as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// Asserts that `reply` issued nothing: a 400 or 401 with one of `errors`, and no token.
fn assert_refused(reply: &Reply, errors: &[&str]) {
    let d = reply.describe();
    assert!(matches!(reply.status, 400 | 401), "expected 400 or 401: {d}");
    reply.assert_error_shape();
    let error = reply.json()["error"].as_str().unwrap_or("").to_owned();
    assert!(errors.contains(&error.as_str()), "expected one of {errors:?}: {d}");
}

/// Asserts that `reply` carries no CORS permission at all.
fn assert_no_cors(reply: &Reply) {
    let d = reply.describe();
    assert!(reply.header("access-control-allow-origin").is_none(), "no Access-Control-Allow-Origin expected: {d}");
    assert!(
        reply.header("access-control-allow-credentials").is_none(),
        "no Access-Control-Allow-Credentials expected: {d}"
    );
}

/// Asserts that `reply` lets exactly `origin` read it (CORS-01): one
/// `Access-Control-Allow-Origin` equal to `origin` (never `*`) and `Vary: Origin`.
fn assert_cors_for(reply: &Reply, origin: &str) {
    let d = reply.describe();
    assert_eq!(reply.header_all("access-control-allow-origin"), vec![origin], "ACAO must name the origin: {d}");
    assert!(reply.header_list_has("vary", "origin"), "Vary must list Origin: {d}; vary={:?}", reply.header_all("vary"));
}

/// An authorization-code token request body for a public client (PKCE verifier [`V1`]).
fn public_redeem_body(client_id: &str, code: &str, redirect_uri: &str) -> String {
    query(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", V1),
        ("client_id", client_id),
    ])
}

// =============================================================================================
// H. The impersonation grant (`urn:qlik:oauth:user-impersonation`).
// =============================================================================================

#[tokio::test]
async fn imp_01_json_body_with_user_id_issues_a_bearer_token_without_refresh() {
    let srv = server().await;
    let body = imp_json("imp1", IMP1_SECRET, Some("user_default"), lookup_u1());
    for reply in [srv.token_json(&body, None).await, srv.token_json_with(&body, &[]).await] {
        let tokens = reply.assert_tokens();
        let d = reply.describe();
        assert_eq!(tokens.scope, "user_default", "{d}");
        assert_eq!(tokens.expires_in, 3600, "the default access-token lifetime (D10): {d}");
        assert!(tokens.refresh_token.is_none(), "no refresh token for impersonation (D8): {d}");
        let expected: BTreeSet<String> =
            ["access_token", "token_type", "expires_in", "scope"].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(members(&reply), expected, "exactly the RFC 6749 §5.1 members (D2): {d}");
        assert_no_cors(&reply);
    }
}

#[tokio::test]
async fn imp_01_basic_authentication_with_json_and_form_bodies() {
    let srv = server().await;
    let auth = basic("imp1", IMP1_SECRET);
    let body = json!({"grant_type": IMPERSONATION, "user_lookup": lookup_u1()});
    let tokens = srv.token_json(&body, Some(&auth)).await.assert_tokens();
    assert_eq!(tokens.scope, "user_default");
    assert!(tokens.refresh_token.is_none());

    let lookup = lookup_u1().to_string();
    let form = query(&[("grant_type", IMPERSONATION), ("user_lookup", &lookup)]);
    let tokens = srv.token_form(&form, Some(&auth)).await.assert_tokens();
    assert_eq!(tokens.scope, "user_default");

    // A wrong secret: 401 invalid_client with a Basic challenge, nothing issued.
    let wrong = basic("imp1", "wrong");
    srv.token_json(&body, Some(&wrong)).await.assert_basic_invalid_client();
    let wrong_post = imp_json("imp1", "wrong", None, lookup_u1());
    srv.token_json(&wrong_post, None).await.assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn imp_02_lookup_by_subject() {
    let srv = server().await;
    let body = imp_json("imp1", IMP1_SECRET, Some("user_default"), json!({"field": "subject", "value": U1_SUBJECT}));
    let tokens = srv.token_json(&body, None).await.assert_tokens();
    assert_eq!(tokens.scope, "user_default");
    assert!(tokens.refresh_token.is_none());
}

#[tokio::test]
async fn imp_03_unknown_lookup_field_is_invalid_request() {
    let srv = server().await;
    for field in ["email", "UserId", "Subject", "user_id", "sub", ""] {
        let body = imp_json("imp1", IMP1_SECRET, None, json!({"field": field, "value": U1_ID}));
        let reply = srv.token_json(&body, None).await;
        reply.assert_token_error(400, "invalid_request");
        assert!(reply.json()["error_description"].as_str().is_some(), "field {field:?}: {}", reply.describe());
    }
}

#[tokio::test]
async fn imp_04_missing_or_malformed_user_lookup_is_invalid_request() {
    let srv = server().await;
    let missing = json!({"client_id": "imp1", "client_secret": IMP1_SECRET, "grant_type": IMPERSONATION});
    srv.token_json(&missing, None).await.assert_token_error(400, "invalid_request");
    let cases = [
        json!("userId:6422bad8022070c06d2417bc"),
        json!(["userId", U1_ID]),
        json!(42),
        json!(null),
        json!({}),
        json!({"field": "userId"}),
        json!({"value": U1_ID}),
        json!({"field": "userId", "value": ""}),
        json!({"field": "userId", "value": 6_422}),
        json!({"field": "userId", "value": null}),
        json!({"field": "userId", "value": {"id": U1_ID}}),
    ];
    for lookup in cases {
        let text = lookup.to_string();
        let reply = srv.token_json(&imp_json("imp1", IMP1_SECRET, None, lookup), None).await;
        assert_eq!(reply.status, 400, "user_lookup {text}: {}", reply.describe());
        reply.assert_token_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn imp_05_unknown_or_disabled_user_is_invalid_grant() {
    let srv = server().await;
    let cases = [
        json!({"field": "userId", "value": "000000000000000000000000"}),
        json!({"field": "subject", "value": "auth0|nobody"}),
        // The two lookups are not interchangeable: u1's subject is not a user id and back.
        json!({"field": "userId", "value": U1_SUBJECT}),
        json!({"field": "subject", "value": U1_ID}),
        // u2 exists but is disabled.
        json!({"field": "userId", "value": U2_ID}),
        json!({"field": "subject", "value": U2_SUBJECT}),
    ];
    for lookup in cases {
        let text = lookup.to_string();
        let reply = srv.token_json(&imp_json("imp1", IMP1_SECRET, None, lookup), None).await;
        assert_eq!(reply.status, 400, "user_lookup {text}: {}", reply.describe());
        reply.assert_token_error(400, "invalid_grant");
    }
}

#[tokio::test]
async fn imp_06_client_without_the_grant_is_unauthorized_client() {
    let srv = server().await;
    for (client, secret) in [("web1", WEB1_SECRET), ("m2m1", M2M1_SECRET)] {
        let reply = srv.token_json(&imp_json(client, secret, None, lookup_u1()), None).await;
        assert_eq!(reply.status, 400, "{client}: {}", reply.describe());
        reply.assert_token_error(400, "unauthorized_client");
        let auth = basic(client, secret);
        let body = json!({"grant_type": IMPERSONATION, "user_lookup": lookup_u1()});
        srv.token_json(&body, Some(&auth)).await.assert_token_error(400, "unauthorized_client");
    }
    // Public clients: never a token, with or without a made-up secret.
    for client in ["spa1", "nat1"] {
        let body = json!({"client_id": client, "grant_type": IMPERSONATION, "user_lookup": lookup_u1()});
        assert_refused(&srv.token_json(&body, None).await, &["unauthorized_client", "invalid_client"]);
        let body = imp_json(client, "guess", None, lookup_u1());
        assert_refused(&srv.token_json(&body, None).await, &["unauthorized_client", "invalid_client"]);
    }
}

#[tokio::test]
async fn imp_07_scope_defaults_to_the_clients_and_may_only_narrow() {
    let srv = server().await;
    // Omitted or empty: the client's allowed scopes minus offline_access (D9).
    let tokens = srv.token_json(&imp_json("imp1", IMP1_SECRET, None, lookup_u1()), None).await.assert_tokens();
    assert_eq!(tokens.scope, "user_default");
    for scope in [None, Some("")] {
        let reply = srv.token_json(&imp_json("imp2", IMP2_SECRET, scope, lookup_u1()), None).await;
        let tokens = reply.assert_tokens();
        assert_eq!(tokens.scopes(), scope_set("user_default read"), "scope {scope:?}: {}", reply.describe());
        assert!(tokens.refresh_token.is_none());
    }
    // Narrower: exactly what was asked.
    let tokens = srv.token_json(&imp_json("imp2", IMP2_SECRET, Some("read"), lookup_u1()), None).await.assert_tokens();
    assert_eq!(tokens.scopes(), scope_set("read"));
    // offline_access may be granted, but never yields a refresh token (D8, D9).
    let body = imp_json("imp2", IMP2_SECRET, Some("user_default offline_access"), lookup_u1());
    let tokens = srv.token_json(&body, None).await.assert_tokens();
    assert_eq!(tokens.scopes(), scope_set("user_default offline_access"));
    assert!(tokens.refresh_token.is_none(), "no refresh token for impersonation (D8)");
    // Outside the client's scopes: invalid_scope, no silent narrowing (D9).
    for (client, secret, scope) in [
        ("imp1", IMP1_SECRET, "admin_classic"),
        ("imp1", IMP1_SECRET, "user_default read"),
        ("imp2", IMP2_SECRET, "read admin_classic"),
        ("imp2", IMP2_SECRET, "User_Default"),
    ] {
        let reply = srv.token_json(&imp_json(client, secret, Some(scope), lookup_u1()), None).await;
        assert_eq!(reply.status, 400, "{client} scope {scope:?}: {}", reply.describe());
        reply.assert_token_error(400, "invalid_scope");
    }
}

#[tokio::test]
async fn imp_08_form_body_carries_user_lookup_as_json_text() {
    let srv = server().await;
    let lookup = lookup_u1().to_string();
    let form = query(&[
        ("grant_type", IMPERSONATION),
        ("client_id", "imp1"),
        ("client_secret", IMP1_SECRET),
        ("scope", "user_default"),
        ("user_lookup", &lookup),
    ]);
    let tokens = srv.token_form(&form, None).await.assert_tokens();
    assert_eq!(tokens.scope, "user_default");
    assert!(tokens.refresh_token.is_none());
    let by_subject = json!({"field": "subject", "value": U1_SUBJECT}).to_string();
    let form = query(&[
        ("grant_type", IMPERSONATION),
        ("client_id", "imp1"),
        ("client_secret", IMP1_SECRET),
        ("user_lookup", &by_subject),
    ]);
    srv.token_form(&form, None).await.assert_tokens();

    // Any other encoding is invalid_request (D3).
    let creds = [("grant_type", IMPERSONATION), ("client_id", "imp1"), ("client_secret", IMP1_SECRET)];
    let with = |extra: &[(&str, &str)]| {
        let mut pairs = creds.to_vec();
        pairs.extend_from_slice(extra);
        query(&pairs)
    };
    let bodies = [
        with(&[("user_lookup[field]", "userId"), ("user_lookup[value]", U1_ID)]),
        with(&[("user_lookup.field", "userId"), ("user_lookup.value", U1_ID)]),
        with(&[("user_lookup", "userId"), ("user_lookup_value", U1_ID)]),
        with(&[("user_lookup", &format!("userId:{U1_ID}"))]),
        with(&[("user_lookup", &lookup), ("user_lookup", &lookup)]),
    ];
    for (i, body) in bodies.iter().enumerate() {
        let reply = srv.token_form(body, None).await;
        assert_eq!(reply.status, 400, "encoding #{i}: {}", reply.describe());
        reply.assert_token_error(400, "invalid_request");
    }
}

// =============================================================================================
// P. CORS and allowed origins at the token endpoint.
// =============================================================================================

#[tokio::test]
async fn cors_01_spa_token_request_from_its_origin_gets_acao() {
    let srv = server().await;
    let code = srv.get_code("spa1", CB_SPA1, Some("user_default"), C1).await;
    let reply = srv.token_form_with(&public_redeem_body("spa1", &code, CB_SPA1), &[("origin", ORIGIN_SPA1)]).await;
    let tokens = reply.assert_tokens();
    assert_eq!(tokens.scope, "user_default");
    assert_cors_for(&reply, ORIGIN_SPA1);
}

#[tokio::test]
async fn cors_01_impersonation_from_the_clients_origin_gets_acao() {
    let srv = server().await;
    let body = imp_json("imp1", IMP1_SECRET, None, lookup_u1());
    let reply = srv.token_json_with(&body, &[("origin", ORIGIN_IMP1)]).await;
    reply.assert_tokens();
    assert_cors_for(&reply, ORIGIN_IMP1);
}

#[tokio::test]
async fn cors_02_other_origin_is_refused_and_the_code_survives() {
    let srv = server().await;
    let code = srv.get_code("spa1", CB_SPA1, Some("user_default"), C1).await;
    let body = public_redeem_body("spa1", &code, CB_SPA1);
    // A foreign origin, another client's origin, and the opaque origin.
    for origin in ["https://evil.example", ORIGIN_IMP1, "null"] {
        let reply = srv.token_form_with(&body, &[("origin", origin)]).await;
        assert_eq!(reply.status, 400, "Origin {origin}: {}", reply.describe());
        reply.assert_token_error(400, "invalid_request");
        assert_no_cors(&reply);
    }
    // Nothing was consumed: the same code still works without Origin.
    let tokens = srv.token_form_with(&body, &[]).await.assert_tokens();
    assert_eq!(tokens.scope, "user_default");

    // The impersonation grant: imp1 from another origin, and imp2 (no origins) from imp1's.
    let imp1 = imp_json("imp1", IMP1_SECRET, None, lookup_u1());
    let imp2 = imp_json("imp2", IMP2_SECRET, None, lookup_u1());
    for (body, origin) in [(&imp1, "https://evil.example"), (&imp1, ORIGIN_SPA1), (&imp2, ORIGIN_IMP1)] {
        let reply = srv.token_json_with(body, &[("origin", origin)]).await;
        assert_eq!(reply.status, 400, "Origin {origin}: {}", reply.describe());
        reply.assert_token_error(400, "invalid_request");
        assert_no_cors(&reply);
    }
}

#[tokio::test]
async fn cors_03_origin_match_is_exact() {
    let srv = server().await;
    let code = srv.get_code("spa1", CB_SPA1, Some("user_default"), C1).await;
    let body = public_redeem_body("spa1", &code, CB_SPA1);
    for origin in [
        "http://spa.example.com",
        "https://spa.example.com:8443",
        "https://spa.example.com/",
        "https://app.spa.example.com",
        "https://spa.example.com.evil.example",
    ] {
        let reply = srv.token_form_with(&body, &[("origin", origin)]).await;
        assert_eq!(reply.status, 400, "Origin {origin}: {}", reply.describe());
        reply.assert_token_error(400, "invalid_request");
        assert_no_cors(&reply);
    }
    let reply = srv.token_form_with(&body, &[("origin", ORIGIN_SPA1)]).await;
    reply.assert_tokens();
    assert_cors_for(&reply, ORIGIN_SPA1);
}

#[test]
fn cors_03_origin_with_path_or_trailing_slash_is_refused_by_the_config() {
    for origin in ["https://spa.example.com/", "https://spa.example.com/app", "https://spa.example.com?x=1"] {
        let text = format!(
            "[[clients]]\nclient_id = \"spa-bad\"\napp_type = \"spa\"\nredirect_uris = [\"https://spa.example.com/cb\"]\n\
             allowed_scopes = [\"user_default\"]\nallowed_origins = [\"{origin}\"]\n"
        );
        match oauth_server::ServerConfig::from_toml(&text) {
            Ok(_) => panic!("allowed_origins = [{origin:?}] must stop the server from starting"),
            Err(e) => assert!(e.field.ends_with("allowed_origins"), "the error must name allowed_origins: {e}"),
        }
    }
}

#[tokio::test]
async fn cors_03_origin_with_path_or_trailing_slash_is_refused_by_the_admin_api() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let before = list_ids(&srv, &token).await;
    for origin in ["https://spa.example.org/", "https://spa.example.org/app", "spa.example.org"] {
        let body = json!({
            "appType": "spa",
            "clientName": "Bad origin",
            "redirectUris": ["https://spa.example.org/cb"],
            "allowedScopes": ["user_default"],
            "allowedOrigins": [origin],
        });
        let reply = srv.admin(Method::POST, ADMIN_API, Some(&token), Some(&body)).await;
        reply.assert_admin_error(400, "invalid_request", Some("allowedOrigins"));
    }
    assert_eq!(list_ids(&srv, &token).await, before, "nothing half-registered");
}

#[tokio::test]
async fn cors_04_preflight_answers_the_origins_of_every_client() {
    let srv = server().await;
    for origin in [ORIGIN_SPA1, ORIGIN_IMP1] {
        let reply = srv.preflight("/oauth/token", origin, "POST", Some("content-type, authorization")).await;
        let d = reply.describe();
        assert_eq!(reply.status, 204, "Origin {origin}: {d}");
        assert_eq!(reply.header_all("access-control-allow-origin"), vec![origin], "Origin {origin}: {d}");
        assert!(reply.header_list_has("access-control-allow-methods", "POST"), "methods for {origin}: {d}");
        assert!(reply.header_list_has("access-control-allow-headers", "content-type"), "headers for {origin}: {d}");
        assert!(reply.header_list_has("access-control-allow-headers", "authorization"), "headers for {origin}: {d}");
    }
    for origin in ["https://evil.example", "http://spa.example.com", "https://spa.example.com:8443", "null"] {
        let reply = srv.preflight("/oauth/token", origin, "POST", Some("content-type, authorization")).await;
        assert_no_cors(&reply);
        assert!(reply.status < 500, "Origin {origin}: {}", reply.describe());
    }
}

// =============================================================================================
// The admin API (`/api/v1/oauth-clients`), section B (REG) and bearer errors (section N).
// =============================================================================================

/// `/api/v1/oauth-clients/<id>`.
fn client_path(id: &str) -> String {
    format!("{ADMIN_API}/{id}")
}

/// Whether `s` uses only unreserved characters (RFC 3986 §2.3).
fn unreserved(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Whether `s` is a generated client id: 32 hexadecimal digits.
fn is_generated_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `POST /api/v1/oauth-clients` with `body`.
async fn create(srv: &TestServer, token: &str, body: &Value) -> Reply {
    srv.admin(Method::POST, ADMIN_API, Some(token), Some(body)).await
}

/// Asserts a `201 Created` answer to a create (admin-api.md "Routes") and returns its body:
/// `Cache-Control: no-store`, a generated `clientId`, `Location` naming it, `createdByType`
/// `api`.
fn assert_created(reply: &Reply) -> Value {
    let d = reply.describe();
    assert_eq!(reply.status, 201, "expected 201 Created: {d}");
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{d}");
    let json = reply.json();
    let id = json["clientId"].as_str().unwrap_or_else(|| panic!("clientId missing: {d}"));
    assert!(is_generated_id(id), "clientId must be 32 hex digits: {id:?}");
    let location = reply.header("location").unwrap_or_else(|| panic!("Location missing: {d}"));
    assert!(location.ends_with(&client_path(id)), "Location must name the client: {location:?}");
    assert_eq!(json["createdByType"].as_str(), Some("api"), "{d}");
    json
}

/// Creates a client with `body` and returns its 201 body.
async fn create_ok(srv: &TestServer, token: &str, body: &Value) -> Value {
    assert_created(&create(srv, token, body).await)
}

/// The `clientId`s of `GET /api/v1/oauth-clients`, in order.
async fn list_ids(srv: &TestServer, token: &str) -> Vec<String> {
    let reply = srv.admin(Method::GET, ADMIN_API, Some(token), None).await;
    let d = reply.describe();
    assert_eq!(reply.status, 200, "list: {d}");
    let data = reply.json()["data"].as_array().cloned().unwrap_or_else(|| panic!("list needs data[]: {d}"));
    data.iter().map(|c| c["clientId"].as_str().unwrap_or_default().to_owned()).collect()
}

/// The body of `GET /api/v1/oauth-clients/<id>`, asserting 200 and that it shows no secret.
async fn get_client(srv: &TestServer, token: &str, id: &str) -> Value {
    let reply = srv.admin(Method::GET, &client_path(id), Some(token), None).await;
    let d = reply.describe();
    assert_eq!(reply.status, 200, "GET {id}: {d}");
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{d}");
    let json = reply.json();
    assert!(json.get("clientSecret").is_none(), "a GET never shows a secret (REG-06): {d}");
    json
}

/// A web M2M client (client credentials) with `scopes`.
fn m2m_body(name: &str, scopes: &[&str]) -> Value {
    json!({"appType": "web", "clientName": name, "allowedGrantTypes": ["client_credentials"], "allowedScopes": scopes})
}

/// The hints of a representation's `clientSecrets`.
fn hints(client: &Value) -> Vec<String> {
    client["clientSecrets"]
        .as_array()
        .map(|a| a.iter().map(|s| s["hint"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn admin_api_m2m_client_created_used_and_deleted() {
    let srv = server().await;
    let token = srv.admin_token().await;

    // Create: 201 with the secret, shown once, and its hint.
    let created = create_ok(&srv, &token, &m2m_body("Robot", &["user_default"])).await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let secret = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    assert_eq!(secret.len(), 43, "a 256-bit secret, base64url: 43 characters");
    assert!(unreserved(&secret), "the secret uses unreserved characters only (D15)");
    let hint = created["clientSecretHint"].as_str().unwrap_or_default().to_owned();
    assert_eq!(hint, secret[secret.len() - 5..], "the hint is the secret's last 5 characters");
    assert_eq!(hints(&created), vec![hint.clone()]);
    assert_eq!(created["appType"], "web");
    assert_eq!(created["clientName"], "Robot");
    assert_eq!(created["allowedGrantTypes"], json!(["client_credentials"]));
    assert_eq!(created["allowedScopes"], json!(["user_default"]));
    assert_eq!(created["connectionConfig"]["consentMethod"], "required");

    // The new client gets tokens like a configured one (Basic and client_secret_post).
    let tokens = srv.client_credentials(&id, &secret, None).await;
    assert_eq!(tokens.scope, "user_default");
    assert!(tokens.refresh_token.is_none());
    let post = srv.token(Auth::Post(&id, &secret), &[("grant_type", "client_credentials")]).await;
    post.assert_tokens();
    srv.token(Auth::Post(&id, "wrong"), &[("grant_type", "client_credentials")])
        .await
        .assert_token_error(401, "invalid_client");

    // Get and list show the hint, never the secret.
    let got = get_client(&srv, &token, &id).await;
    assert_eq!(got["clientId"].as_str(), Some(id.as_str()));
    assert_eq!(hints(&got), vec![hint.clone()]);
    let list = srv.admin(Method::GET, ADMIN_API, Some(&token), None).await;
    assert_eq!(list.status, 200, "{}", list.describe());
    assert_eq!(list.header("cache-control"), Some("no-store"));
    assert!(!list.body.contains(&secret), "the list never shows a secret");
    let ids = list_ids(&srv, &token).await;
    assert!(ids.contains(&id) && ids.iter().any(|i| i == "m2m1"), "API and config clients are listed: {ids:?}");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "the list is sorted by clientId");

    // Delete: 204; then 404, and the client can no longer authenticate.
    let deleted = srv.admin(Method::DELETE, &client_path(&id), Some(&token), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.describe());
    let gone = srv.admin(Method::GET, &client_path(&id), Some(&token), None).await;
    gone.assert_admin_error(404, "not_found", None);
    srv.admin(Method::DELETE, &client_path(&id), Some(&token), None).await.assert_admin_error(404, "not_found", None);
    assert!(!list_ids(&srv, &token).await.contains(&id));
    let auth = basic(&id, &secret);
    srv.token(Auth::Header(&auth), &[("grant_type", "client_credentials")]).await.assert_basic_invalid_client();
    srv.token(Auth::Post(&id, &secret), &[("grant_type", "client_credentials")])
        .await
        .assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn admin_api_tokens_of_a_deleted_client_stop_working() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let created = create_ok(&srv, &token, &m2m_body("Second admin", &[ADMIN_SCOPE])).await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let secret = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    let second = srv.client_credentials(&id, &secret, None).await.access_token;
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&second), None).await;
    assert_eq!(reply.status, 200, "a token of an API-created admin client works: {}", reply.describe());

    let deleted = srv.admin(Method::DELETE, &client_path(&id), Some(&token), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.describe());
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&second), None).await;
    assert_eq!(reply.status, 401, "the deleted client's token must stop working at once: {}", reply.describe());
    let challenge = reply.header("www-authenticate").unwrap_or("");
    assert!(challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""), "{challenge:?}");
    // The other admin token is unaffected.
    assert_eq!(srv.admin(Method::GET, ADMIN_API, Some(&token), None).await.status, 200);
}

#[tokio::test]
async fn rs_02_admin_api_without_a_token_is_401_with_a_bare_bearer_challenge() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let paths = [ADMIN_API.to_owned(), client_path("m2m1")];
    for path in &paths {
        let reply = srv.admin(Method::GET, path, None, None).await;
        let d = reply.describe();
        assert_eq!(reply.status, 401, "{path}: {d}");
        let challenge = reply.header("www-authenticate").unwrap_or("");
        assert!(challenge.starts_with("Bearer"), "{path}: challenge {challenge:?}");
        assert!(challenge.contains("realm=\"oauth-clients\""), "{path}: challenge {challenge:?}");
        assert!(!challenge.contains("error="), "no error code without credentials (RFC 6750 §3.1): {challenge:?}");
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{d}");
    }
    let create = srv.admin(Method::POST, ADMIN_API, None, Some(&m2m_body("x", &["user_default"]))).await;
    assert_eq!(create.status, 401, "{}", create.describe());
    // RS-06: a token in the query string is not accepted: no credentials.
    let url = format!("{ADMIN_API}?access_token={token}");
    let reply = srv.admin(Method::GET, &url, None, None).await;
    assert_eq!(reply.status, 401, "{}", reply.describe());
    assert!(!reply.header("www-authenticate").unwrap_or("").contains("error="));
}

#[tokio::test]
async fn rs_03_admin_api_refuses_unknown_and_malformed_tokens() {
    let srv = server().await;
    let reply = srv.admin(Method::GET, ADMIN_API, Some("not-a-token-this-server-issued"), None).await;
    assert_eq!(reply.status, 401, "{}", reply.describe());
    let challenge = reply.header("www-authenticate").unwrap_or("");
    assert!(challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""), "{challenge:?}");
    assert_eq!(reply.json()["error"].as_str(), Some("invalid_token"), "{}", reply.describe());
    // Another scheme is an unsupported authentication method: 401 with a bare challenge and no
    // error code (RFC 6750 §3.1).
    let req = srv.http().get(srv.url(ADMIN_API)).header("authorization", basic("m2m1", M2M1_SECRET));
    let reply = srv.send(req, "GET admin API with Basic").await;
    assert_eq!(reply.status, 401, "{}", reply.describe());
    assert_eq!(reply.header("www-authenticate"), Some(r#"Bearer realm="oauth-clients""#), "{}", reply.describe());
}

#[tokio::test]
async fn rs_04_admin_api_needs_the_admin_scope() {
    let srv = server().await;
    let user_default = srv.client_credentials("m2m1", M2M1_SECRET, Some("user_default")).await.access_token;
    let impersonated = srv.token_json(&imp_json("imp1", IMP1_SECRET, None, lookup_u1()), None).await;
    let impersonated = impersonated.assert_tokens().access_token;
    for token in [&user_default, &impersonated] {
        let reply = srv.admin(Method::GET, ADMIN_API, Some(token), None).await;
        let d = reply.describe();
        assert_eq!(reply.status, 403, "{d}");
        let challenge = reply.header("www-authenticate").unwrap_or("");
        assert!(challenge.starts_with("Bearer"), "{challenge:?}");
        assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge:?}");
        assert!(challenge.contains("scope=\"admin_classic\""), "{challenge:?}");
        assert_eq!(reply.json()["error"].as_str(), Some("insufficient_scope"), "{d}");
        let create = srv.admin(Method::POST, ADMIN_API, Some(token), Some(&m2m_body("x", &["user_default"]))).await;
        assert_eq!(create.status, 403, "{}", create.describe());
    }
    // The same client with the admin scope is let in.
    let admin = srv.admin_token().await;
    assert_eq!(srv.admin(Method::GET, ADMIN_API, Some(&admin), None).await.status, 200);
}

#[tokio::test]
async fn rs_08_admin_api_refuses_a_token_presented_from_a_foreign_origin() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let req = srv
        .http()
        .get(srv.url(ADMIN_API))
        .header("authorization", format!("Bearer {token}"))
        .header("origin", "https://evil.example");
    let reply = srv.send(req, "GET admin API from a foreign origin").await;
    assert_eq!(reply.status, 401, "m2m1 allows no browser origin: {}", reply.describe());
    assert!(reply.header("www-authenticate").unwrap_or("").contains("error=\"invalid_token\""));
    assert_no_cors(&reply);
}

#[tokio::test]
async fn admin_scope_is_configurable() {
    let extra = r#"
[[clients]]
client_id = "m2m2"
app_type = "web"
client_secret = "s3cr3t-m2m2"
allowed_scopes = ["oauth_admin"]
allowed_grant_types = ["client_credentials"]
consent = "trusted"
"#;
    let srv = TestServer::start(&requirement_fixture_with(true, "admin_scope = \"oauth_admin\"", extra)).await;
    let classic = srv.admin_token().await;
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&classic), None).await;
    assert_eq!(reply.status, 403, "admin_classic is no longer the admin scope: {}", reply.describe());
    assert!(reply.header("www-authenticate").unwrap_or("").contains("scope=\"oauth_admin\""));
    let token = srv.client_credentials("m2m2", "s3cr3t-m2m2", None).await.access_token;
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&token), None).await;
    assert_eq!(reply.status, 200, "{}", reply.describe());
}

#[tokio::test]
async fn reg_01_relative_or_fragment_redirect_uri_is_refused() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let before = list_ids(&srv, &token).await;
    for uri in ["/cb", "cb", "//app.example.org/cb", "https://app.example.org/cb#x", "https://app.example.org/cb#"] {
        for app_type in ["web", "spa"] {
            let body = json!({"appType": app_type, "clientName": "Bad", "redirectUris": [uri], "allowedScopes": ["user_default"]});
            let reply = create(&srv, &token, &body).await;
            reply.assert_admin_error(400, "invalid_request", Some("redirectUris"));
        }
    }
    assert_eq!(list_ids(&srv, &token).await, before, "nothing half-registered");
}

#[tokio::test]
async fn reg_02_public_clients_need_a_redirect_uri() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let before = list_ids(&srv, &token).await;
    for app_type in ["spa", "native"] {
        for body in [
            json!({"appType": app_type, "clientName": "No redirect", "allowedScopes": ["user_default"]}),
            json!({"appType": app_type, "clientName": "No redirect", "redirectUris": []}),
        ] {
            create(&srv, &token, &body).await.assert_admin_error(400, "invalid_request", Some("redirectUris"));
        }
    }
    assert_eq!(list_ids(&srv, &token).await, before, "nothing half-registered");
}

#[tokio::test]
async fn reg_03_http_redirect_only_for_native_loopback() {
    let srv = server().await;
    let token = srv.admin_token().await;
    for app_type in ["web", "spa"] {
        for uri in ["http://app.example.com/cb", "http://127.0.0.1/cb"] {
            let body = json!({"appType": app_type, "clientName": "Http", "redirectUris": [uri]});
            create(&srv, &token, &body).await.assert_admin_error(400, "invalid_request", Some("redirectUris"));
        }
    }
    let body = json!({"appType": "native", "clientName": "Http", "redirectUris": ["http://app.example.com/cb"]});
    create(&srv, &token, &body).await.assert_admin_error(400, "invalid_request", Some("redirectUris"));
    for uri in ["http://127.0.0.1/cb", "http://[::1]/cb"] {
        let body = json!({"appType": "native", "clientName": "Loopback", "redirectUris": [uri], "allowedScopes": ["user_default"]});
        let created = create_ok(&srv, &token, &body).await;
        assert_eq!(created["redirectUris"], json!([uri]));
        assert!(created.get("clientSecret").is_none_or(Value::is_null), "native clients are public (D11)");
    }
}

#[tokio::test]
async fn reg_04_native_private_use_scheme_must_be_reverse_dns() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let body = json!({"appType": "native", "clientName": "App", "redirectUris": ["myapp:/cb"]});
    create(&srv, &token, &body).await.assert_admin_error(400, "invalid_request", Some("redirectUris"));
    let body = json!({"appType": "native", "clientName": "App", "redirectUris": [CB_NAT1_APP], "allowedScopes": ["user_default"]});
    let created = create_ok(&srv, &token, &body).await;
    assert_eq!(created["redirectUris"], json!([CB_NAT1_APP]));
}

#[tokio::test]
async fn reg_05_extra_grants_only_for_web_and_app_type_is_fixed() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let before = list_ids(&srv, &token).await;
    let spa = |grants: Value| json!({"appType": "spa", "clientName": "Spa", "redirectUris": ["https://spa.example.org/cb"], "allowedGrantTypes": grants});
    let native = |grants: Value| json!({"appType": "native", "clientName": "Nat", "redirectUris": ["http://127.0.0.1/cb"], "allowedGrantTypes": grants});
    let web = |grants: Value| json!({"appType": "web", "clientName": "Web", "allowedGrantTypes": grants});
    for body in [
        spa(json!(["client_credentials"])),
        spa(json!([IMPERSONATION])),
        native(json!(["client_credentials"])),
        native(json!([IMPERSONATION])),
        web(json!(["password"])),
        web(json!(["implicit"])),
        web(json!(["authorization_code"])),
        web(json!(["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"])),
    ] {
        let text = body.to_string();
        let reply = create(&srv, &token, &body).await;
        assert_eq!(reply.status, 400, "{text}: {}", reply.describe());
        reply.assert_admin_error(400, "invalid_request", Some("allowedGrantTypes"));
    }
    assert_eq!(list_ids(&srv, &token).await, before, "nothing half-registered");

    // appType cannot be changed by PATCH.
    let created = create_ok(&srv, &token, &m2m_body("Fixed type", &["user_default"])).await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let patch = json!([{"op": "replace", "path": "/appType", "value": "spa"}]);
    let reply = srv.admin(Method::PATCH, &client_path(&id), Some(&token), Some(&patch)).await;
    reply.assert_admin_error(400, "invalid_request", Some("appType"));
    assert_eq!(get_client(&srv, &token, &id).await["appType"], "web");
}

#[tokio::test]
async fn reg_06_the_secret_is_shown_only_once_and_public_clients_get_none() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let created = create_ok(&srv, &token, &m2m_body("Once", &["user_default"])).await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let secret = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    assert_eq!(secret.len(), 43);
    let reply = srv.admin(Method::GET, &client_path(&id), Some(&token), None).await;
    assert_eq!(reply.status, 200, "{}", reply.describe());
    assert!(!reply.body.contains(&secret), "GET must not show the secret");
    assert!(!reply.body.to_ascii_lowercase().contains("digest"), "GET must not show a digest");
    assert!(reply.json().get("clientSecret").is_none());
    assert_eq!(hints(&reply.json()), vec![secret[secret.len() - 5..].to_owned()]);

    // A configured client: the hint of its configured secret, never the secret or its digest.
    let m2m1 = srv.admin(Method::GET, &client_path("m2m1"), Some(&token), None).await;
    assert_eq!(m2m1.status, 200, "{}", m2m1.describe());
    assert!(!m2m1.body.contains(M2M1_SECRET), "GET must not show a configured secret");
    assert_eq!(m2m1.json()["createdByType"], "config");
    // `oauth_core::secret_hint`: the last 5 characters, but at most a third of a short secret
    // (11 characters here: the last 3).
    assert_eq!(hints(&m2m1.json()), vec![M2M1_SECRET[M2M1_SECRET.len() - 3..].to_owned()]);

    // Public clients get no secret, and cannot be given one.
    for body in [
        json!({"appType": "spa", "clientName": "Spa", "redirectUris": ["https://spa.example.org/cb"]}),
        json!({"appType": "native", "clientName": "Nat", "redirectUris": ["http://127.0.0.1/cb"]}),
    ] {
        let created = create_ok(&srv, &token, &body).await;
        assert!(created.get("clientSecret").is_none_or(Value::is_null), "no secret for {body}");
        assert!(created.get("clientSecretHint").is_none_or(Value::is_null), "no hint for {body}");
        assert!(hints(&created).is_empty(), "no clientSecrets for {body}");
        let id = created["clientId"].as_str().unwrap_or_default().to_owned();
        let path = format!("{}/client-secrets", client_path(&id));
        let reply = srv.admin(Method::POST, &path, Some(&token), Some(&json!({}))).await;
        reply.assert_admin_error(400, "invalid_request", Some("clientSecrets"));
    }
}

#[tokio::test]
async fn reg_08_the_server_generates_client_ids() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let a = create_ok(&srv, &token, &m2m_body("A", &["user_default"])).await;
    let b = create_ok(&srv, &token, &m2m_body("A", &["user_default"])).await;
    assert_ne!(a["clientId"], b["clientId"], "every client gets a fresh id");
    let before = list_ids(&srv, &token).await;
    for chosen in ["mine", U1_ID, "m2m1"] {
        let mut body = m2m_body("Chosen", &["user_default"]);
        body["clientId"] = json!(chosen);
        create(&srv, &token, &body).await.assert_admin_error(400, "invalid_request", Some("clientId"));
    }
    assert_eq!(list_ids(&srv, &token).await, before, "nothing half-registered");
    srv.admin(Method::GET, &client_path("mine"), Some(&token), None).await.assert_admin_error(404, "not_found", None);
}

#[tokio::test]
async fn admin_api_refuses_bad_input_and_registers_nothing() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let before = list_ids(&srv, &token).await;
    let bad = [
        (json!({"clientName": "No type"}), "appType"),
        (json!({"appType": "desktop", "clientName": "Bad type"}), "appType"),
        (json!({"appType": "web"}), "clientName"),
        (json!({"appType": "web", "clientName": ""}), "clientName"),
        (json!({"appType": "web", "clientName": "x".repeat(257)}), "clientName"),
        (json!({"appType": "web", "clientName": "Long", "description": "d".repeat(1025)}), "description"),
        (json!({"appType": "web", "clientName": "Unknown", "colour": "blue"}), "colour"),
        (json!({"appType": "web", "clientName": "Scopes", "allowedScopes": ["a\"b"]}), "allowedScopes"),
        (json!({"appType": "web", "clientName": "Scopes", "allowedScopes": "user_default"}), "allowedScopes"),
        (
            json!({"appType": "web", "clientName": "Origins", "redirectUris": ["https://app.example.org/cb"], "allowedOrigins": ["https://app.example.org"]}),
            "allowedOrigins",
        ),
        (
            json!({"appType": "web", "clientName": "Consent", "connectionConfig": {"consentMethod": "sometimes"}}),
            "connectionConfig",
        ),
    ];
    for (body, field) in bad {
        let text = body.to_string();
        let reply = create(&srv, &token, &body).await;
        assert_eq!(reply.status, 400, "{text}: {}", reply.describe());
        reply.assert_admin_error(400, "invalid_request", Some(field));
    }
    // Not JSON, or not an object.
    let body = m2m_body("Form", &["user_default"]).to_string();
    let req = srv
        .http()
        .post(srv.url(ADMIN_API))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    srv.send(req, "POST form to admin API").await.assert_admin_error(400, "invalid_request", None);
    for text in ["{not json", "[]", "\"web\""] {
        let req = srv
            .http()
            .post(srv.url(ADMIN_API))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(text);
        srv.send(req, "POST bad JSON to admin API").await.assert_admin_error(400, "invalid_request", None);
    }
    // Over 64 KiB: 413.
    let huge = json!({"appType": "web", "clientName": "Huge", "description": "d".repeat(70 * 1024)});
    let reply = create(&srv, &token, &huge).await;
    assert_eq!(reply.status, 413, "{}", reply.describe());
    // Wrong method: 405.
    let reply = srv.admin(Method::PUT, ADMIN_API, Some(&token), Some(&m2m_body("Put", &["user_default"]))).await;
    assert_eq!(reply.status, 405, "{}", reply.describe());
    assert_eq!(list_ids(&srv, &token).await, before, "nothing half-registered");
}

#[tokio::test]
async fn admin_api_patch_is_validated_and_atomic() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let body = json!({
        "appType": "web",
        "clientName": "Patch me",
        "redirectUris": ["https://app.example.org/cb"],
        "allowedScopes": ["user_default"],
    });
    let created = create_ok(&srv, &token, &body).await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let path = client_path(&id);
    let patch = |ops: Value| {
        let srv = &srv;
        let token = &token;
        let path = &path;
        async move { srv.admin(Method::PATCH, path, Some(token), Some(&ops)).await }
    };

    let ok = patch(json!([
        {"op": "replace", "path": "/clientName", "value": "Patched"},
        {"op": "add", "path": "/redirectUris/-", "value": "https://app.example.org/cb2"},
        {"op": "replace", "path": "/description", "value": "A description"},
    ]))
    .await;
    assert_eq!(ok.status, 204, "{}", ok.describe());
    let got = get_client(&srv, &token, &id).await;
    assert_eq!(got["clientName"], "Patched");
    assert_eq!(got["redirectUris"], json!(["https://app.example.org/cb", "https://app.example.org/cb2"]));
    assert_eq!(got["description"], "A description");

    // One bad operation: 400 naming the field, and none of the operations is applied.
    let bad = patch(json!([
        {"op": "replace", "path": "/clientName", "value": "Half"},
        {"op": "add", "path": "/redirectUris/-", "value": "http://app.example.org/cb3"},
    ]))
    .await;
    bad.assert_admin_error(400, "invalid_request", Some("redirectUris"));
    let after = get_client(&srv, &token, &id).await;
    assert_eq!(after["clientName"], "Patched", "a refused PATCH changes nothing");
    assert_eq!(after["redirectUris"], got["redirectUris"], "a refused PATCH changes nothing");

    // Unsupported operations and paths.
    for ops in [
        json!([{"op": "replace", "path": "/clientId", "value": "mine"}]),
        json!([{"op": "move", "from": "/clientName", "path": "/description"}]),
        json!([{"op": "replace", "path": "/clientSecrets", "value": []}]),
        json!({"op": "replace", "path": "/clientName", "value": "Not an array"}),
    ] {
        let text = ops.to_string();
        let reply = patch(ops).await;
        assert_eq!(reply.status, 400, "{text}: {}", reply.describe());
        reply.assert_admin_error(400, "invalid_request", None);
    }
    assert_eq!(get_client(&srv, &token, &id).await["clientName"], "Patched");

    // The consent method through connection-configs/me.
    let me = format!("{path}/connection-configs/me");
    let ops = json!([{"op": "replace", "path": "/consentMethod", "value": "trusted"}]);
    let reply = srv.admin(Method::PATCH, &me, Some(&token), Some(&ops)).await;
    assert_eq!(reply.status, 204, "{}", reply.describe());
    assert_eq!(get_client(&srv, &token, &id).await["connectionConfig"]["consentMethod"], "trusted");

    // An unknown client: 404.
    let ops = json!([{"op": "replace", "path": "/clientName", "value": "x"}]);
    let reply =
        srv.admin(Method::PATCH, &client_path("0123456789abcdef0123456789abcdef"), Some(&token), Some(&ops)).await;
    reply.assert_admin_error(404, "not_found", None);
}

#[tokio::test]
async fn admin_api_secret_rotation_keeps_the_old_secret_until_deleted() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let created = create_ok(&srv, &token, &m2m_body("Rotate", &["user_default"])).await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let old = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    let old_hint = created["clientSecretHint"].as_str().unwrap_or_default().to_owned();
    let secrets = format!("{}/client-secrets", client_path(&id));

    let reply = srv.admin(Method::POST, &secrets, Some(&token), Some(&json!({}))).await;
    assert_eq!(reply.status, 201, "{}", reply.describe());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let new = reply.json()["clientSecret"].as_str().unwrap_or_default().to_owned();
    let new_hint = reply.json()["hint"].as_str().unwrap_or_default().to_owned();
    assert_eq!(new.len(), 43);
    assert!(unreserved(&new));
    assert!(new != old, "a rotated secret must be new (values not printed)");
    assert_eq!(new_hint, new[new.len() - 5..]);

    // Both secrets work; the representation lists both hints.
    srv.client_credentials(&id, &old, None).await;
    srv.client_credentials(&id, &new, None).await;
    let listed: BTreeSet<String> = hints(&get_client(&srv, &token, &id).await).into_iter().collect();
    assert_eq!(listed, [old_hint.clone(), new_hint.clone()].into_iter().collect());

    // Deleting the old one: it stops working, the new one keeps working.
    let reply = srv.admin(Method::DELETE, &format!("{secrets}/{old_hint}"), Some(&token), None).await;
    assert_eq!(reply.status, 204, "{}", reply.describe());
    let auth = basic(&id, &old);
    srv.token(Auth::Header(&auth), &[("grant_type", "client_credentials")]).await.assert_basic_invalid_client();
    srv.client_credentials(&id, &new, None).await;
    assert_eq!(hints(&get_client(&srv, &token, &id).await), vec![new_hint.clone()]);

    // An unknown hint: 404; the last secret: 400.
    let reply = srv.admin(Method::DELETE, &format!("{secrets}/{old_hint}"), Some(&token), None).await;
    assert_eq!(reply.status, 404, "{}", reply.describe());
    let reply = srv.admin(Method::DELETE, &format!("{secrets}/{new_hint}"), Some(&token), None).await;
    reply.assert_admin_error(400, "invalid_request", Some("clientSecrets"));
    srv.client_credentials(&id, &new, None).await;
}

#[tokio::test]
async fn admin_api_clients_behave_like_configured_ones() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let origin = "https://spa2.example.org";
    let redirect = "https://spa2.example.org/cb";

    // A spa: its origin is answered by preflights, it gets codes and tokens from its origin.
    let before = srv.preflight("/oauth/token", origin, "POST", Some("content-type")).await;
    assert_no_cors(&before);
    let body = json!({
        "appType": "spa",
        "clientName": "Spa Two",
        "redirectUris": [redirect],
        "allowedScopes": ["user_default"],
        "allowedOrigins": [origin],
        "connectionConfig": {"consentMethod": "trusted"},
    });
    let created = create_ok(&srv, &token, &body).await;
    let spa = created["clientId"].as_str().unwrap_or_default().to_owned();
    let pre = srv.preflight("/oauth/token", origin, "POST", Some("content-type")).await;
    assert_eq!(pre.header_all("access-control-allow-origin"), vec![origin], "{}", pre.describe());
    let code = srv.get_code(&spa, redirect, Some("user_default"), C1).await;
    let reply = srv.token_form_with(&public_redeem_body(&spa, &code, redirect), &[("origin", origin)]).await;
    reply.assert_tokens();
    assert_cors_for(&reply, origin);

    // An impersonation client.
    let imp_origin = "https://custom2.example.org";
    let body = json!({
        "appType": "web",
        "clientName": "Impersonation Three",
        "allowedGrantTypes": [IMPERSONATION],
        "allowedScopes": ["user_default"],
        "allowedOrigins": [imp_origin],
    });
    let created = create_ok(&srv, &token, &body).await;
    let imp = created["clientId"].as_str().unwrap_or_default().to_owned();
    let secret = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    let reply = srv.token_json_with(&imp_json(&imp, &secret, None, lookup_u1()), &[("origin", imp_origin)]).await;
    let tokens = reply.assert_tokens();
    assert_eq!(tokens.scope, "user_default");
    assert!(tokens.refresh_token.is_none());
    assert_cors_for(&reply, imp_origin);
    let reply = srv.token_json(&imp_json(&imp, &secret, None, json!({"field": "userId", "value": U2_ID})), None).await;
    reply.assert_token_error(400, "invalid_grant");

    // Deleting the spa withdraws its origin.
    let deleted = srv.admin(Method::DELETE, &client_path(&spa), Some(&token), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.describe());
    assert_no_cors(&srv.preflight("/oauth/token", origin, "POST", Some("content-type")).await);
}

// =============================================================================================
// Consent and `prompt` through the login and consent pages (AUTHZ-13, AUTHZ-14, D12).
// =============================================================================================

/// The server with [`REQUIREMENT_FIXTURE_PAGES`]: no `dev_login`, the pages are shown.
async fn pages_server() -> TestServer {
    TestServer::start(REQUIREMENT_FIXTURE_PAGES).await
}

/// `web1` (consent required) asking for `scope`.
fn web1(scope: &str, extra: &[(&str, &str)]) -> String {
    authz("web1", CB_WEB1, scope, extra)
}

/// The credentials and approval a user enters on the login page.
const SIGN_IN_APPROVE: [(&str, &str); 3] = [("username", U1_ID), ("password", U1_PASSWORD), ("decision", "approve")];

/// Signs `u1` in through `web1`'s login page, approving `user_default`, and returns the code.
async fn sign_in_web1(srv: &TestServer, browser: &mut Browser<'_>) -> String {
    let page = browser.authorize(&web1("user_default", &[])).await;
    assert!(page.is_login_page(), "expected the login page: {}", page.describe());
    let done = browser.submit(&page, &SIGN_IN_APPROVE).await;
    srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"))
}

#[tokio::test]
async fn authz_14_consent_page_lists_the_requested_scopes_and_is_remembered() {
    let srv = pages_server().await;
    let mut browser = Browser::new(&srv);

    // No session: the login page, which also asks for consent and lists exactly the scope asked.
    let page = browser.authorize(&web1("user_default", &[])).await;
    assert!(page.is_login_page(), "expected the login page: {}", page.describe());
    assert!(page.body.contains("user_default"), "the page lists the requested scope");
    assert!(!page.body.contains("offline_access"), "the page lists no scope that was not requested");
    assert!(page.body.contains("value=\"approve\"") && page.body.contains("value=\"deny\""));
    let done = browser.submit(&page, &SIGN_IN_APPROVE).await;
    let code = srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"));
    assert!(browser.has_cookie("oauth_session"), "signing in starts a session");
    let tokens = srv.redeem(Auth::Post("web1", WEB1_SECRET), &code, Some(CB_WEB1), Some(V1)).await.assert_tokens();
    assert_eq!(tokens.scope, "user_default");

    // The same request again: remembered, straight to the code.
    let again = browser.authorize(&web1("user_default", &[])).await;
    let code = srv.assert_code_redirect(&again, CB_WEB1, Some("s1"));
    srv.redeem(Auth::Post("web1", WEB1_SECRET), &code, Some(CB_WEB1), Some(V1)).await.assert_tokens();

    // A scope not approved before: the consent page again, listing both.
    let more = browser.authorize(&web1("user_default offline_access", &[])).await;
    assert!(more.is_consent_page(), "a new scope needs consent: {}", more.describe());
    assert!(more.body.contains("user_default") && more.body.contains("offline_access"));
    let done = browser.submit(&more, &[("decision", "approve")]).await;
    let code = srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"));
    let tokens = srv.redeem(Auth::Post("web1", WEB1_SECRET), &code, Some(CB_WEB1), Some(V1)).await.assert_tokens();
    assert_eq!(tokens.scopes(), scope_set("user_default offline_access"));
    let again = browser.authorize(&web1("user_default offline_access", &[])).await;
    let _ = srv.assert_code_redirect(&again, CB_WEB1, Some("s1"));

    // A remembered decision never skips authentication: a signed-out browser logs in again.
    browser.forget("oauth_session");
    let page = browser.authorize(&web1("user_default", &[])).await;
    assert!(page.is_login_page(), "remembered consent is not a sign-in: {}", page.describe());
    // Another browser (no session, no memory of its own) also gets the login page.
    let mut other = Browser::new(&srv);
    assert!(other.authorize(&web1("user_default", &[])).await.is_login_page());
}

#[tokio::test]
async fn authz_14_trusted_client_skips_the_consent_page() {
    let srv = pages_server().await;
    let mut browser = Browser::new(&srv);
    let page = browser.authorize(&authz("spa1", CB_SPA1, "user_default", &[])).await;
    assert!(page.is_login_page(), "{}", page.describe());
    assert!(!page.body.contains("value=\"deny\""), "a trusted client's login page asks for no consent");
    let done = browser.submit(&page, &[("username", U1_ID), ("password", U1_PASSWORD), ("decision", "approve")]).await;
    let _ = srv.assert_code_redirect_status(&done, 303, CB_SPA1, Some("s1"));
    // Signed in: straight to the code.
    let again = browser.authorize(&authz("spa1", CB_SPA1, "user_default", &[])).await;
    let _ = srv.assert_code_redirect(&again, CB_SPA1, Some("s1"));
}

#[tokio::test]
async fn authz_13_denied_consent_is_access_denied() {
    let srv = pages_server().await;
    // Denied on the login page (no credentials needed to deny).
    let mut browser = Browser::new(&srv);
    let page = browser.authorize(&web1("user_default", &[])).await;
    assert!(page.is_login_page(), "{}", page.describe());
    let done = browser.submit(&page, &[("decision", "deny")]).await;
    srv.assert_error_redirect_status(&done, 303, CB_WEB1, "access_denied", Some("s1"));

    // Denied on the consent page of a signed-in user (signed in through the trusted spa1).
    let page = browser.authorize(&authz("spa1", CB_SPA1, "user_default", &[])).await;
    let done = browser.submit(&page, &SIGN_IN_APPROVE).await;
    let _ = srv.assert_code_redirect_status(&done, 303, CB_SPA1, Some("s1"));
    let page = browser.authorize(&web1("user_default", &[])).await;
    assert!(page.is_consent_page(), "{}", page.describe());
    let done = browser.submit(&page, &[("decision", "deny")]).await;
    srv.assert_error_redirect_status(&done, 303, CB_WEB1, "access_denied", Some("s1"));
    // A denial is not remembered as an approval: the page is shown again.
    let page = browser.authorize(&web1("user_default", &[])).await;
    assert!(page.is_consent_page(), "still asks after a denial: {}", page.describe());
}

#[tokio::test]
async fn authz_14_prompt_none_without_a_session_is_login_required() {
    let srv = pages_server().await;
    let mut browser = Browser::new(&srv);
    let reply = browser.authorize(&web1("user_default", &[("prompt", "none")])).await;
    srv.assert_error_redirect(&reply, CB_WEB1, "login_required", Some("s1"));
    let reply = browser.authorize(&authz("spa1", CB_SPA1, "user_default", &[("prompt", "none")])).await;
    srv.assert_error_redirect(&reply, CB_SPA1, "login_required", Some("s1"));
    // Even after the user approved before, in another browser.
    let _ = sign_in_web1(&srv, &mut Browser::new(&srv)).await;
    let reply = browser.authorize(&web1("user_default", &[("prompt", "none")])).await;
    srv.assert_error_redirect(&reply, CB_WEB1, "login_required", Some("s1"));
}

#[tokio::test]
async fn authz_14_prompt_none_with_a_session_needing_consent_is_consent_required() {
    let srv = pages_server().await;
    let mut browser = Browser::new(&srv);
    // Sign in through the trusted spa1: a session, but no consent for web1.
    let page = browser.authorize(&authz("spa1", CB_SPA1, "user_default", &[])).await;
    let done = browser.submit(&page, &SIGN_IN_APPROVE).await;
    let _ = srv.assert_code_redirect_status(&done, 303, CB_SPA1, Some("s1"));
    let reply = browser.authorize(&web1("user_default", &[("prompt", "none")])).await;
    srv.assert_error_redirect(&reply, CB_WEB1, "consent_required", Some("s1"));
    // After approving, prompt=none is answered with a code.
    let page = browser.authorize(&web1("user_default", &[])).await;
    assert!(page.is_consent_page(), "{}", page.describe());
    let done = browser.submit(&page, &[("decision", "approve")]).await;
    let _ = srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"));
    let reply = browser.authorize(&web1("user_default", &[("prompt", "none")])).await;
    let _ = srv.assert_code_redirect(&reply, CB_WEB1, Some("s1"));
    // A scope not approved yet: consent_required again.
    let reply = browser.authorize(&web1("user_default offline_access", &[("prompt", "none")])).await;
    srv.assert_error_redirect(&reply, CB_WEB1, "consent_required", Some("s1"));
}

#[tokio::test]
async fn authz_14_prompt_consent_forces_the_consent_page() {
    let srv = pages_server().await;
    let mut browser = Browser::new(&srv);
    let _ = sign_in_web1(&srv, &mut browser).await;
    let _ = srv.assert_code_redirect(&browser.authorize(&web1("user_default", &[])).await, CB_WEB1, Some("s1"));

    let page = browser.authorize(&web1("user_default", &[("prompt", "consent")])).await;
    assert!(page.is_consent_page(), "prompt=consent shows the page despite remembered consent: {}", page.describe());
    assert!(page.body.contains("user_default"));
    let done = browser.submit(&page, &[("decision", "approve")]).await;
    let _ = srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"));
    // Also for a trusted client.
    let page = browser.authorize(&authz("spa1", CB_SPA1, "user_default", &[("prompt", "consent")])).await;
    assert!(page.is_consent_page(), "prompt=consent shows the page for a trusted client: {}", page.describe());
    let done = browser.submit(&page, &[("decision", "deny")]).await;
    srv.assert_error_redirect_status(&done, 303, CB_SPA1, "access_denied", Some("s1"));
}

#[tokio::test]
async fn authz_14_prompt_login_forces_the_login_page() {
    let srv = pages_server().await;
    let mut browser = Browser::new(&srv);
    let _ = sign_in_web1(&srv, &mut browser).await;
    let _ = srv.assert_code_redirect(&browser.authorize(&web1("user_default", &[])).await, CB_WEB1, Some("s1"));

    let page = browser.authorize(&web1("user_default", &[("prompt", "login")])).await;
    assert!(page.is_login_page(), "prompt=login asks for the password despite the session: {}", page.describe());
    // Without credentials, or with a wrong password: the login page again, no code.
    let again = browser.submit(&page, &[("decision", "approve")]).await;
    assert!(again.is_login_page(), "no credentials, no code: {}", again.describe());
    let wrong = browser.submit(&page, &[("username", U1_ID), ("password", "wrong"), ("decision", "approve")]).await;
    assert!(wrong.is_login_page(), "a wrong password gets no code: {}", wrong.describe());
    let disabled =
        browser.submit(&page, &[("username", U2_ID), ("password", U2_PASSWORD), ("decision", "approve")]).await;
    assert!(disabled.is_login_page(), "a disabled user gets no code: {}", disabled.describe());
    // The right credentials: the code.
    let done = browser.submit(&page, &SIGN_IN_APPROVE).await;
    let code = srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"));
    srv.redeem(Auth::Post("web1", WEB1_SECRET), &code, Some(CB_WEB1), Some(V1)).await.assert_tokens();
    // prompt=login on a trusted client also shows the login page.
    let page = browser.authorize(&authz("spa1", CB_SPA1, "user_default", &[("prompt", "login")])).await;
    assert!(page.is_login_page(), "{}", page.describe());
}
