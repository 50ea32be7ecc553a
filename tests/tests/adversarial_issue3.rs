//! Adversarial tests for issue 3 (impersonation grant, allowed origins, admin API, consent):
//! what an attacker or a careless client tries, answered as a strict production authorization
//! server must answer. A failing test documents a defect (its doc comment names the code at
//! fault); the passing ones pin behaviour that was verified to resist an attack.
//!
//! Every loop is bounded; nothing sleeps.

use oauth_conformance::*;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The requirement fixture with `dev_login` signing `u1` in.
async fn server() -> TestServer {
    TestServer::start(REQUIREMENT_FIXTURE).await
}

/// `/api/v1/oauth-clients/<id>`.
fn client_path(id: &str) -> String {
    format!("{ADMIN_API}/{id}")
}

/// A JSON impersonation request for `imp1` with the raw JSON text `user_lookup` (so that
/// repeated members survive: `serde_json::Value` would collapse them).
async fn imp1_raw_json(srv: &TestServer, user_lookup: &str) -> Reply {
    let body = format!(
        r#"{{"client_id":"imp1","client_secret":"{IMP1_SECRET}","grant_type":"{IMPERSONATION}","user_lookup":{user_lookup}}}"#
    );
    srv.token_raw(Some("application/json"), None, body.into_bytes()).await
}

/// Creates a client through the admin API and returns its 201 body.
async fn create_ok(srv: &TestServer, token: &str, body: &Value) -> Value {
    let reply = srv.admin(Method::POST, ADMIN_API, Some(token), Some(body)).await;
    assert_eq!(reply.status, 201, "create: {}", reply.describe());
    reply.json()
}

/// `PATCH /api/v1/oauth-clients/<id>` with the JSON Patch `ops`.
async fn patch(srv: &TestServer, token: &str, id: &str, ops: &Value) -> Reply {
    srv.admin(Method::PATCH, &client_path(id), Some(token), Some(ops)).await
}

/// Asserts that no CORS permission is granted.
fn assert_no_acao(reply: &Reply) {
    assert!(
        reply.header("access-control-allow-origin").is_none(),
        "no Access-Control-Allow-Origin expected: {}",
        reply.describe()
    );
}

// =============================================================================================
// Impersonation grant.
// =============================================================================================

/// A repeated member inside `user_lookup` of a JSON body must be refused, as it is in a form
/// body and at the top level (D3: "Repeated parameters are an error in both encodings"). Today
/// the JSON body's nested object goes through `serde_json::Value`, which keeps the last copy,
/// so `{"value":"nobody","value":"<u1>"}` impersonates u1 while a proxy, WAF or log reading
/// the first copy sees "nobody". Fault: `oauth-core/src/wire/json.rs`, `ObjectVisitor::visit_map`
/// (`map.next_value::<Value>()` then `to_string()`).
#[tokio::test]
async fn imp_json_user_lookup_with_repeated_members_is_invalid_request() {
    let srv = server().await;
    for lookup in [
        format!(r#"{{"field":"userId","value":"nobody","value":"{U1_ID}"}}"#),
        format!(r#"{{"field":"email","field":"userId","value":"{U1_ID}"}}"#),
    ] {
        let reply = imp1_raw_json(&srv, &lookup).await;
        reply.assert_token_error(400, "invalid_request");
    }
}

/// The same repeated members in a form body are refused (pins the behaviour the JSON body
/// should match).
#[tokio::test]
async fn imp_form_user_lookup_with_repeated_members_is_invalid_request() {
    let srv = server().await;
    let auth = basic("imp1", IMP1_SECRET);
    for lookup in [
        format!(r#"{{"field":"userId","value":"nobody","value":"{U1_ID}"}}"#),
        format!(r#"{{"field":"email","field":"userId","value":"{U1_ID}"}}"#),
    ] {
        let body = query(&[("grant_type", IMPERSONATION), ("user_lookup", &lookup)]);
        srv.token_form(&body, Some(&auth)).await.assert_token_error(400, "invalid_request");
    }
    // Bracket encoding is not an encoding of user_lookup (D3).
    let body = query(&[("grant_type", IMPERSONATION), ("user_lookup[field]", "userId"), ("user_lookup[value]", U1_ID)]);
    srv.token_form(&body, Some(&auth)).await.assert_token_error(400, "invalid_request");
}

/// IMP-04: in a JSON body `user_lookup` must be an object; a string holding JSON text (the
/// form body's encoding) is "not an object". Today it is accepted because the JSON body is
/// flattened to strings before the grant sees it. Fault: `oauth-core/src/wire/json.rs` (type
/// lost) with `oauth-core/src/endpoint/token/user_impersonation.rs::start`.
#[tokio::test]
async fn imp_json_user_lookup_given_as_a_string_is_invalid_request() {
    let srv = server().await;
    let inner = json!({"field": "userId", "value": U1_ID}).to_string();
    let reply = imp1_raw_json(&srv, &serde_json::to_string(&inner).unwrap_or_default()).await;
    reply.assert_token_error(400, "invalid_request");
}

/// Case, Unicode look-alikes, NUL, padding and cross-namespace lookups never find a user;
/// escapes that decode to the exact id do (JSON semantics).
#[tokio::test]
async fn imp_lookup_values_match_exactly() {
    let srv = server().await;
    for lookup in [
        json!({"field": "userId", "value": U1_ID.to_uppercase()}),
        json!({"field": "userId", "value": format!("{U1_ID} ")}),
        json!({"field": "userId", "value": format!("{U1_ID}\u{0}")}),
        json!({"field": "userId", "value": U1_SUBJECT}),
        json!({"field": "subject", "value": U1_ID}),
        json!({"field": "subject", "value": U2_SUBJECT}),
        json!({"field": "userId", "value": U2_ID}),
    ] {
        let body = json!({"client_id": "imp1", "client_secret": IMP1_SECRET, "grant_type": IMPERSONATION,
                          "user_lookup": lookup});
        srv.token_json(&body, None).await.assert_token_error(400, "invalid_grant");
    }
    let escaped = r#"{"field":"user\u0049d","value":"6422bad8022070c06d2417b\u0063"}"#;
    imp1_raw_json(&srv, escaped).await.assert_tokens();
}

/// Scope games: offline_access, other clients' scopes, case variants and malformed lists
/// never widen the token.
#[tokio::test]
async fn imp_scope_games_never_widen_the_grant() {
    let srv = server().await;
    let auth = basic("imp1", IMP1_SECRET);
    let lookup = json!({"field": "userId", "value": U1_ID}).to_string();
    for scope in ["offline_access", "admin_classic", "USER_DEFAULT", "user_default admin_classic"] {
        let body = query(&[("grant_type", IMPERSONATION), ("user_lookup", &lookup), ("scope", scope)]);
        srv.token_form(&body, Some(&auth)).await.assert_token_error(400, "invalid_scope");
    }
    for scope in [json!({"a": 1}), json!(true), json!(["user_default", 1])] {
        let body = json!({"grant_type": IMPERSONATION, "user_lookup": {"field": "userId", "value": U1_ID},
                          "scope": scope});
        let reply = srv.token_json(&body, Some(&auth)).await;
        assert_eq!(reply.status, 400, "{}", reply.describe());
        assert!(reply.json().get("access_token").is_none());
    }
}

// =============================================================================================
// CORS at the token endpoint.
// =============================================================================================

/// Nothing readable leaks to a browser before the client is authenticated, and origin games
/// (case, trailing slash, `null`, two headers) are refused without CORS headers.
#[tokio::test]
async fn cors_origin_games_get_no_acao() {
    let srv = server().await;
    let lookup = json!({"field": "userId", "value": U1_ID}).to_string();
    let good = query(&[
        ("grant_type", IMPERSONATION),
        ("user_lookup", &lookup),
        ("client_id", "imp1"),
        ("client_secret", IMP1_SECRET),
    ]);
    for origin in ["https://Custom-App.com", "https://custom-app.com/", "null", "https://custom-app.com:443", ""] {
        let reply = srv.token_form_with(&good, &[("origin", origin)]).await;
        reply.assert_token_error(400, "invalid_request");
        assert_no_acao(&reply);
    }
    let two = srv.token_form_with(&good, &[("origin", ORIGIN_IMP1), ("origin", ORIGIN_IMP1)]).await;
    two.assert_token_error(400, "invalid_request");
    assert_no_acao(&two);
    // Errors before authentication: no ACAO even from the client's own origin.
    let wrong = query(&[("grant_type", IMPERSONATION), ("client_id", "imp1"), ("client_secret", "wrong")]);
    let reply = srv.token_form_with(&wrong, &[("origin", ORIGIN_IMP1)]).await;
    reply.assert_token_error(401, "invalid_client");
    assert_no_acao(&reply);
    let unsupported = query(&[("grant_type", "password"), ("client_id", "imp1"), ("client_secret", IMP1_SECRET)]);
    let reply = srv.token_form_with(&unsupported, &[("origin", ORIGIN_IMP1)]).await;
    reply.assert_token_error(400, "unsupported_grant_type");
    assert_no_acao(&reply);
    // The allowed origin, exactly: ACAO.
    let ok = srv.token_form_with(&good, &[("origin", ORIGIN_IMP1)]).await;
    ok.assert_tokens();
    assert_eq!(ok.header("access-control-allow-origin"), Some(ORIGIN_IMP1));
}

/// A preflight with two `Origin` headers must not be answered for either: the real POST
/// refuses two origins (`TokenRequest::with_origin`), but the preflight layer reads only the
/// first header and grants it. Harmless with real browsers (they send one), but inconsistent.
/// Fault: `oauth-adapters/axum/src/lib.rs::preflight` (tower-http reads the first `Origin`).
#[tokio::test]
async fn cors_preflight_with_two_origin_headers_gets_no_acao() {
    let srv = server().await;
    let req = srv
        .http()
        .request(Method::OPTIONS, srv.url("/oauth/token"))
        .header("origin", ORIGIN_SPA1)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST");
    let reply = srv.send(req, "OPTIONS /oauth/token").await;
    assert_no_acao(&reply);
}

/// Preflights from unregistered, `null` or case-variant origins get no ACAO; the authorize
/// endpoint never carries CORS headers, not even for an OPTIONS.
#[tokio::test]
async fn cors_preflight_and_authorize_refuse_unregistered_origins() {
    let srv = server().await;
    for origin in ["https://evil.example", "null", "HTTPS://SPA.EXAMPLE.COM", "https://spa.example.com.evil.example"] {
        assert_no_acao(&srv.preflight("/oauth/token", origin, "POST", Some("content-type")).await);
    }
    let reply = srv.preflight("/oauth/authorize", ORIGIN_SPA1, "POST", None).await;
    assert_no_acao(&reply);
    let req = srv.http().get(srv.url("/oauth/authorize?client_id=spa1")).header("origin", ORIGIN_SPA1);
    assert_no_acao(&srv.send(req, "GET /oauth/authorize").await);
}

// =============================================================================================
// Admin API: authorization.
// =============================================================================================

/// The admin API is the server's own API for M2M administration ("issued to an M2M client
/// through client credentials"); the server has no notion of admin users. A token issued for a
/// user (here by impersonation; the same holds for authorization code) that happens to carry
/// the admin scope must not administer the server, or any end user of a client allowed
/// `admin_classic` becomes a server administrator (requirements 1.9: scopes never add access
/// beyond the user's roles). Fault: `oauth-adapters/server/src/admin.rs::Registry::authorize`
/// (checks scope and client only, not the token's subject).
#[tokio::test]
async fn admin_api_refuses_user_tokens_that_carry_the_admin_scope() {
    let extra = r#"
[[clients]]
client_id = "impadm"
app_type = "web"
client_secret = "s3cr3t-impadm"
allowed_scopes = ["admin_classic"]
allowed_grant_types = ["urn:qlik:oauth:user-impersonation"]
"#;
    let srv = TestServer::start(&requirement_fixture_with(true, "", extra)).await;
    let body = json!({"client_id": "impadm", "client_secret": "s3cr3t-impadm", "grant_type": IMPERSONATION,
                      "scope": ADMIN_SCOPE, "user_lookup": {"field": "userId", "value": U1_ID}});
    let user_token = srv.token_json(&body, None).await.assert_tokens().access_token;
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&user_token), None).await;
    assert_eq!(reply.status, 403, "a user's token must not administer the server: {}", reply.describe());
    assert!(reply.json().get("data").is_none());
}

/// Removing the admin scope from a client must take its admin power away, as deleting it
/// does. Today its outstanding tokens keep the admin API for their whole lifetime (the bearer
/// check reads the scope recorded in the token). Fault: `oauth-adapters/server/src/admin.rs`
/// (`Registry::authorize` / `Registry::update`: no check of the client's current scopes, no
/// revocation).
#[tokio::test]
async fn admin_api_refuses_tokens_after_the_admin_scope_is_removed_from_their_client() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let created = create_ok(
        &srv,
        &token,
        &json!({"appType": "web", "clientName": "deputy", "allowedGrantTypes": ["client_credentials"],
                "allowedScopes": [ADMIN_SCOPE, "user_default"]}),
    )
    .await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let secret = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    let deputy = srv.client_credentials(&id, &secret, Some(ADMIN_SCOPE)).await.access_token;
    assert_eq!(srv.admin(Method::GET, ADMIN_API, Some(&deputy), None).await.status, 200);

    let demoted =
        patch(&srv, &token, &id, &json!([{"op": "replace", "path": "/allowedScopes", "value": ["user_default"]}]))
            .await;
    assert_eq!(demoted.status, 204, "{}", demoted.describe());
    let reply = srv.admin(Method::GET, ADMIN_API, Some(&deputy), None).await;
    assert!(
        matches!(
            (reply.status, reply.json()["error"].as_str()),
            (401, Some("invalid_token")) | (403, Some("insufficient_scope"))
        ),
        "a demoted client's token must lose the admin API: {}",
        reply.describe()
    );
}

/// Refresh tokens must not keep minting a scope an administrator removed from the client: the
/// refresh grant checks the grant's original scope only, so a removed scope lives on for the
/// refresh token's 30 days. Fault: `oauth-core/src/endpoint/token/refresh_token.rs` (no
/// intersection with `client.allowed_scopes()`), surfaced by the admin API.
#[tokio::test]
async fn refresh_after_the_admin_removes_a_scope_does_not_grant_it() {
    let extra = r#"
[[clients]]
client_id = "web2"
app_type = "web"
client_secret = "s3cr3t-web2"
redirect_uris = ["https://app.example.com/cb"]
allowed_scopes = ["read", "write", "offline_access"]
consent = "trusted"
"#;
    let srv = TestServer::start(&requirement_fixture_with(true, "", extra)).await;
    let tokens =
        srv.code_tokens(Auth::Post("web2", "s3cr3t-web2"), "web2", CB_WEB1, Some("read write offline_access")).await;
    let refresh = tokens.refresh().to_owned();
    let admin = srv.admin_token().await;
    let reply = patch(
        &srv,
        &admin,
        "web2",
        &json!([{"op": "replace", "path": "/allowedScopes", "value": ["read", "offline_access"]}]),
    )
    .await;
    assert_eq!(reply.status, 204, "{}", reply.describe());

    let reply = srv.refresh(Auth::Post("web2", "s3cr3t-web2"), &refresh, None).await;
    if reply.status == 200 {
        let granted = reply.assert_tokens().scopes();
        assert!(!granted.contains("write"), "a removed scope must not be granted again: {granted:?}");
    } else {
        reply.assert_token_error(400, "invalid_grant");
    }
}

/// Bearer edge cases on the admin API (RFC 6750): no token in the query or the form body, two
/// `Authorization` headers, `Origin: null`, other schemes.
#[tokio::test]
async fn admin_api_bearer_edge_cases() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let q = srv.http().get(srv.url(&format!("{ADMIN_API}?access_token={token}")));
    let reply = srv.send(q, "GET admin").await;
    assert_eq!(reply.status, 401, "{}", reply.describe());
    assert_eq!(reply.header("www-authenticate"), Some("Bearer realm=\"oauth-clients\""));
    let form = srv
        .http()
        .post(srv.url(ADMIN_API))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={token}"));
    assert_eq!(srv.send(form, "POST admin").await.status, 401);
    let two = srv
        .http()
        .get(srv.url(ADMIN_API))
        .header("authorization", format!("Bearer {token}"))
        .header("authorization", format!("Bearer {token}"));
    let reply = srv.send(two, "GET admin").await;
    reply.assert_admin_error(400, "invalid_request", None);
    let null =
        srv.http().get(srv.url(ADMIN_API)).header("authorization", format!("Bearer {token}")).header("origin", "null");
    srv.send(null, "GET admin").await.assert_admin_error(401, "invalid_token", None);
    let basic_auth = srv.http().get(srv.url(ADMIN_API)).header("authorization", basic("m2m1", M2M1_SECRET));
    let reply = srv.send(basic_auth, "GET admin").await;
    assert_eq!(reply.status, 401, "{}", reply.describe());
    assert_eq!(reply.header("www-authenticate"), Some(r#"Bearer realm="oauth-clients""#));
    // A token without the admin scope (client credentials and impersonation).
    let plain = srv.client_credentials("m2m1", M2M1_SECRET, Some("user_default")).await.access_token;
    srv.admin(Method::GET, ADMIN_API, Some(&plain), None).await.assert_admin_error(403, "insufficient_scope", None);
    let body = json!({"client_id": "imp1", "client_secret": IMP1_SECRET, "grant_type": IMPERSONATION,
                      "user_lookup": {"field": "userId", "value": U1_ID}});
    let imp = srv.token_json(&body, None).await.assert_tokens().access_token;
    srv.admin(Method::GET, ADMIN_API, Some(&imp), None).await.assert_admin_error(403, "insufficient_scope", None);
}

// =============================================================================================
// Admin API: input.
// =============================================================================================

/// JSON Pointer games in a PATCH: negative, leading-zero, overflowing and escaped paths,
/// repeated members in an operation, and read-only members are all refused and change nothing.
#[tokio::test]
async fn admin_patch_pointer_games_are_refused() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let before = srv.admin(Method::GET, &client_path("web1"), Some(&token), None).await.body;
    for op in [
        r#"{"op":"remove","path":"/redirectUris/-1"}"#,
        r#"{"op":"remove","path":"/redirectUris/01"}"#,
        r#"{"op":"remove","path":"/redirectUris/99999999999999999999999"}"#,
        r#"{"op":"remove","path":"/redirectUris/5"}"#,
        r#"{"op":"replace","path":"/redirect~1Uris","value":[]}"#,
        r#"{"op":"replace","path":"/clientName~0","value":"x"}"#,
        r#"{"op":"replace","path":"","value":"x"}"#,
        r#"{"op":"replace","path":"/","value":"x"}"#,
        r#"{"op":"replace","op":"remove","path":"/description"}"#,
        r#"{"op":"replace","path":"/clientName","value":"a","value":"b"}"#,
        r#"{"op":"replace","path":"/clientId","value":"m2m1"}"#,
        r#"{"op":"add","path":"/clientSecrets/-","value":{"hint":"x"}}"#,
        r#"{"op":"move","from":"/clientName","path":"/description"}"#,
    ] {
        // A valid operation first: the whole patch must still change nothing.
        let body = format!(r#"[{{"op":"replace","path":"/clientName","value":"changed"}},{op}]"#);
        let req = srv
            .http()
            .patch(srv.url(&client_path("web1")))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body);
        let reply = srv.send(req, "PATCH web1").await;
        assert_eq!(reply.status, 400, "{op}: {}", reply.describe());
        assert_eq!(reply.json()["error"].as_str(), Some("invalid_request"), "{op}");
    }
    let after = srv.admin(Method::GET, &client_path("web1"), Some(&token), None).await.body;
    assert_eq!(before, after, "refused patches change nothing");
}

/// The lists of one client are bounded: appending redirect URIs, scopes or origins forever
/// must hit a limit (400 naming the field), or memory, every PATCH (which copies and validates
/// the whole client under the registry lock), every GET and every `/oauth/token` preflight
/// (`origin_registered` scans every origin) grow without end. Measured: 56 000 redirect URIs
/// after 60 PATCHes of 64 KiB, each PATCH slower than the last. Fault:
/// `oauth-adapters/server/src/admin.rs` (`Draft::apply`/`Draft::build`: no count limits) and
/// `oauth-core/src/client.rs::Client::register`.
#[tokio::test]
async fn admin_lists_per_client_are_bounded() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let created = create_ok(
        &srv,
        &token,
        &json!({"appType": "spa", "clientName": "grower", "redirectUris": ["https://g.example/cb"]}),
    )
    .await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    for (field, make) in [
        ("redirectUris", (|i: usize| format!("https://g.example/{i:06}")) as fn(usize) -> String),
        ("allowedScopes", |i| format!("scope-{i:06}")),
        ("allowedOrigins", |i| format!("https://o{i:06}.example")),
    ] {
        let mut refused = None;
        let mut next = 0;
        // At most 12 patches of 800 values: 9 600 values per list.
        for _ in 0..12 {
            let ops: Vec<Value> = (next..next + 800)
                .map(|i| json!({"op": "add", "path": format!("/{field}/-"), "value": make(i)}))
                .collect();
            next += 800;
            let reply = patch(&srv, &token, &id, &Value::Array(ops)).await;
            if reply.status != 204 {
                refused = Some(reply);
                break;
            }
        }
        let reply = refused.unwrap_or_else(|| panic!("{field}: {next} values were accepted without a limit"));
        reply.assert_admin_error(400, "invalid_request", Some(field));
    }
}

/// `allowedOrigins` entries must be serialized origins (RFC 6454 §6.2): a host with a second
/// colon or brackets that do not form an IPv6 literal, port 0 or a port above 65535 are not
/// origins and can never match a browser's `Origin`; they must be refused with 400 naming the
/// element ("bad input gets a 400 naming the field"). Fault: `oauth-core/src/client.rs::
/// validate_origin`.
#[tokio::test]
async fn admin_refuses_allowed_origins_that_are_not_origins() {
    let srv = server().await;
    let token = srv.admin_token().await;
    for origin in
        ["https://a:b:443", "https://][", "https://a.example:0", "https://a.example:99999", "https://a..example:"]
    {
        let body = json!({"appType": "spa", "clientName": "o", "redirectUris": ["https://a.example/cb"],
                          "allowedOrigins": [origin]});
        let reply = srv.admin(Method::POST, ADMIN_API, Some(&token), Some(&body)).await;
        reply.assert_admin_error(400, "invalid_request", Some("allowedOrigins"));
    }
}

/// Error descriptions follow RFC 6749 §5.2 (D1: that error shape everywhere): only
/// %x20-21 / %x23-5B / %x5D-7E. Today an unknown member name is echoed as sent, with quotes,
/// control characters and non-ASCII. Fault: `oauth-adapters/server/src/admin.rs::echo`.
#[tokio::test]
async fn admin_error_descriptions_stay_in_the_rfc6749_character_set() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let req = srv
        .http()
        .post(srv.url(ADMIN_API))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(r#"{"appType":"web","clientName":"x","\u00e9\"\u001b[31m\\":1}"#);
    let reply = srv.send(req, "POST admin").await;
    assert_eq!(reply.status, 400, "{}", reply.describe());
    let desc = reply.json()["error_description"].as_str().unwrap_or_default().to_owned();
    assert!(is_rfc6749_error_text(&desc), "error_description outside the RFC 6749 set: {desc:?}");
}

/// A configured client registered with `client_secret_sha256` has a secret without a hint
/// (`null`), so after rotation the old secret can never be named in `DELETE
/// .../client-secrets/{hint}`: a leaked configured secret stays valid until the whole client is
/// deleted. Every secret must get an identifier the DELETE accepts. Fault:
/// `oauth-adapters/server/src/admin.rs` (`SecretEntry::hint` `None`, `Registry::delete_secret`).
#[tokio::test]
async fn configured_digest_only_secret_can_be_removed_after_rotation() {
    let old_secret = "digest-only-secret-0123456789";
    let digest: String = Sha256::digest(old_secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let extra = format!(
        r#"
[[clients]]
client_id = "hashed"
app_type = "web"
client_secret_sha256 = "{digest}"
allowed_scopes = ["user_default"]
allowed_grant_types = ["client_credentials"]
"#
    );
    let srv = TestServer::start(&requirement_fixture_with(true, "", &extra)).await;
    let token = srv.admin_token().await;
    srv.client_credentials("hashed", old_secret, None).await;
    let added = srv.admin(Method::POST, &format!("{}/client-secrets", client_path("hashed")), Some(&token), None).await;
    assert_eq!(added.status, 201, "{}", added.describe());
    let new_hint = added.json()["hint"].as_str().unwrap_or_default().to_owned();
    let client = srv.admin(Method::GET, &client_path("hashed"), Some(&token), None).await.json();
    let secrets = client["clientSecrets"].as_array().cloned().unwrap_or_default();
    assert_eq!(secrets.len(), 2, "{client}");
    let old = secrets.iter().find(|s| s["hint"].as_str() != Some(new_hint.as_str())).cloned().unwrap_or_default();
    let old_hint = old["hint"].as_str().unwrap_or_else(|| panic!("the configured secret has no identifier: {old}"));
    let path = format!("{}/client-secrets/{old_hint}", client_path("hashed"));
    let deleted = srv.admin(Method::DELETE, &path, Some(&token), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.describe());
    let auth = basic("hashed", old_secret);
    srv.token(Auth::Header(&auth), &[("grant_type", "client_credentials")]).await.assert_basic_invalid_client();
}

/// Concurrent secret rotations never exceed the limit of 5 secrets.
#[tokio::test]
async fn admin_concurrent_secret_rotation_respects_the_limit() {
    let srv = server().await;
    let token = srv.admin_token().await;
    let created = create_ok(
        &srv,
        &token,
        &json!({"appType": "web", "clientName": "rot", "allowedGrantTypes": ["client_credentials"]}),
    )
    .await;
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let path = format!("{}/client-secrets", client_path(&id));
    let requests = (0..12).map(|_| srv.admin(Method::POST, &path, Some(&token), None));
    let mut created_count = 0;
    for reply in futures_join_all(requests).await {
        match reply.status {
            201 => created_count += 1,
            400 => reply.assert_admin_error(400, "invalid_request", Some("clientSecrets")),
            s => panic!("unexpected status {s}: {}", reply.describe()),
        }
    }
    assert_eq!(created_count, 4, "one secret from the create plus four more");
    let client = srv.admin(Method::GET, &client_path(&id), Some(&token), None).await.json();
    assert_eq!(client["clientSecrets"].as_array().map(Vec::len), Some(5));
}

/// Runs the futures concurrently on the current task (no extra dependency).
async fn futures_join_all<F: Future<Output = Reply>>(futures: impl Iterator<Item = F>) -> Vec<Reply> {
    let handles: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::with_capacity(handles.len());
    let mut pending: Vec<_> = handles.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for slot in &mut pending {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => {
                        out.push(r);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    out
}

// =============================================================================================
// Consent.
// =============================================================================================

/// The cookies a browser keeps for the server (name, value).
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn header(&self) -> String {
        self.0.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, reply: &Reply) {
        for set in reply.header_all("set-cookie") {
            if let Some((n, v)) = set.split(';').next().and_then(|p| p.split_once('=')) {
                self.0.retain(|(k, _)| k != n.trim());
                self.0.push((n.trim().to_owned(), v.trim().to_owned()));
            }
        }
    }

    async fn get(&mut self, srv: &TestServer, query: &str) -> Reply {
        let req = srv.http().get(srv.url(&format!("/oauth/authorize?{query}"))).header("cookie", self.header());
        let reply = srv.send(req, "GET /oauth/authorize").await;
        self.keep(&reply);
        reply
    }

    /// Posts `fields` with the jar's cookies and, when set, `Origin: origin`.
    async fn post(&mut self, srv: &TestServer, origin: Option<&str>, fields: &[(&str, &str)]) -> Reply {
        let mut req = srv
            .http()
            .post(srv.url("/oauth/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", self.header())
            .body(query(fields));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let reply = srv.send(req, "POST /oauth/authorize").await;
        self.keep(&reply);
        reply
    }
}

/// The hidden fields of `page` without its `csrf_token`, and the `csrf_token`.
fn form_of(page: &Reply) -> (Vec<(String, String)>, String) {
    let hidden = hidden_fields(&page.body);
    let csrf = hidden.iter().find(|(n, _)| n == "csrf_token").map(|(_, v)| v.clone()).unwrap_or_default();
    (hidden.into_iter().filter(|(n, _)| n != "csrf_token").collect(), csrf)
}

/// Signs `user` in through the trusted `spa1` (a session, no consent for `web1`).
async fn sign_in(srv: &TestServer, jar: &mut Jar, user: &str, password: &str) {
    let page = jar.get(srv, &authz("spa1", CB_SPA1, "user_default", &[])).await;
    assert!(page.is_login_page(), "{}", page.describe());
    let (hidden, csrf) = form_of(&page);
    let mut fields: Vec<(&str, &str)> = hidden.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    fields.extend([("csrf_token", csrf.as_str()), ("username", user), ("password", password), ("decision", "approve")]);
    let done = jar.post(srv, Some(srv.issuer()), &fields).await;
    let _ = srv.assert_code_redirect_status(&done, 303, CB_SPA1, Some("s1"));
}

/// A forged post: its `Origin` (if any) and its fields.
type Forged<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>);

/// An approval without a valid CSRF token (wrong, repeated) or from a foreign or `null`
/// origin issues nothing and is not remembered; one user's consent is not another's.
#[tokio::test]
async fn consent_cannot_be_forged_or_shared() {
    let users = r#"
[[users]]
id = "u3"
subject = "auth0|u3"
password = "pw-u3"
"#;
    let srv = TestServer::start(&requirement_fixture_with(false, "", users)).await;
    let mut jar = Jar::default();
    sign_in(&srv, &mut jar, U1_ID, U1_PASSWORD).await;
    let consent = jar.get(&srv, &authz("web1", CB_WEB1, "user_default", &[])).await;
    assert!(consent.is_consent_page(), "{}", consent.describe());
    let (hidden, csrf) = form_of(&consent);
    let base: Vec<(&str, &str)> = hidden.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let zeros = "0".repeat(64);
    let approve = ("decision", "approve");
    let forged: [Forged<'_>; 5] = [
        (Some("https://evil.example"), [base.clone(), vec![("csrf_token", csrf.as_str()), approve]].concat()),
        (Some("null"), [base.clone(), vec![("csrf_token", csrf.as_str()), approve]].concat()),
        (None, [base.clone(), vec![("csrf_token", zeros.as_str()), approve]].concat()),
        (None, [base.clone(), vec![approve]].concat()),
        (None, [base.clone(), vec![("csrf_token", csrf.as_str()), ("csrf_token", csrf.as_str()), approve]].concat()),
    ];
    for (origin, fields) in forged {
        let reply = jar.post(&srv, origin, &fields).await;
        assert_eq!(reply.status, 400, "forged post ({origin:?}): {}", reply.describe());
        assert!(reply.location().is_none(), "no redirect, no code: {}", reply.describe());
    }
    let none = jar.get(&srv, &authz("web1", CB_WEB1, "user_default", &[("prompt", "none")])).await;
    srv.assert_error_redirect(&none, CB_WEB1, "consent_required", Some("s1"));

    // u1 approves for real: remembered for u1 only.
    let fields = [base.clone(), vec![("csrf_token", csrf.as_str()), approve]].concat();
    let done = jar.post(&srv, Some(srv.issuer()), &fields).await;
    let _ = srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"));
    let again = jar.get(&srv, &authz("web1", CB_WEB1, "user_default", &[("prompt", "none")])).await;
    let _ = srv.assert_code_redirect(&again, CB_WEB1, Some("s1"));
    let mut other = Jar::default();
    sign_in(&srv, &mut other, "u3", "pw-u3").await;
    let none = other.get(&srv, &authz("web1", CB_WEB1, "user_default", &[("prompt", "none")])).await;
    srv.assert_error_redirect(&none, CB_WEB1, "consent_required", Some("s1"));
    // prompt=login with a session: the login page, never a redirect loop or a silent code.
    let page = jar.get(&srv, &authz("web1", CB_WEB1, "user_default", &[("prompt", "login")])).await;
    assert!(page.is_login_page(), "{}", page.describe());
}
