//! Issue 4, the token lifecycle over HTTP against the real server: revocation (RFC 7009,
//! requirements.md section K), introspection (RFC 7662, section L), the field cases about them
//! (F13 step 3, F16 step 3, F21 step 4, F27), and the `oauth2` crate as a real client of both
//! endpoints.
//!
//! The registry is the field-case fixture ([`FIXTURE`]) plus `rs-intro`
//! ([`INTROSPECTOR`]), a confidential client allowed the `introspect` scope, which may
//! introspect every token. `client-a` is the confidential web client (Basic), `client-pub` the
//! public SPA (origin `https://spa.example`), `svc-a` may impersonate `user-1`, `svc-b` only
//! uses client credentials.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use oauth_conformance::*;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenType};
use oauth2::{
    AccessToken, AuthType, ClientId, ClientSecret, ConfigurationError, EndpointNotSet, EndpointSet, HttpClientError,
    HttpRequest, HttpResponse, IntrospectionUrl, RefreshToken, RequestTokenError, RevocationErrorResponseType,
    RevocationUrl, StandardRevocableToken, TokenIntrospectionResponse as _, TokenUrl,
};
use serde_json::{Value, json};

/// The server with [`lifecycle_fixture`] and default lifetimes.
async fn server() -> TestServer {
    TestServer::start(&lifecycle_fixture("")).await
}

/// Code-flow tokens for `client-a` (Basic) with `scope`.
async fn client_a_tokens(srv: &TestServer, scope: &str) -> Tokens {
    srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some(scope)).await
}

/// Code-flow tokens for the public `client-pub` with `scope`.
async fn client_pub_tokens(srv: &TestServer, scope: &str) -> Tokens {
    srv.code_tokens(Auth::Public("client-pub"), "client-pub", CB_PUB, Some(scope)).await
}

/// `[("authorization", value)]`.
fn auth(value: &str) -> [(&str, &str); 1] {
    [("authorization", value)]
}

/// A set of member names.
fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Asserts that `token` (an access token of `client-a`) is active for `client-a`.
async fn assert_a_active(srv: &TestServer, token: &str) {
    srv.introspect_as(BASIC_CLIENT_A, token).await.assert_active();
}

/// Asserts that `token` is inactive, both for `client-a` and for the introspector (which sees
/// every token).
async fn assert_inactive_for_all(srv: &TestServer, token: &str) {
    srv.introspect_as(BASIC_CLIENT_A, token).await.assert_inactive();
    srv.introspect_as(BASIC_INTROSPECTOR, token).await.assert_inactive();
}

/// `POST <path>` with any `Content-Type` and body bytes, and `headers`.
async fn post_raw(srv: &TestServer, path: &str, content_type: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = srv.http().post(srv.url(path)).header("content-type", content_type).body(body.to_owned());
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    srv.send(req, &format!("POST {path}")).await
}

/// Asserts that `reply` carries no CORS permission.
fn assert_no_cors(reply: &Reply) {
    let d = reply.describe();
    assert!(reply.header("access-control-allow-origin").is_none(), "no Access-Control-Allow-Origin expected: {d}");
    assert!(reply.header("access-control-allow-credentials").is_none(), "no ACAC expected: {d}");
}

// =============================================================================================
// Field cases.
// =============================================================================================

#[tokio::test]
async fn f27_1_unknown_token_is_200_empty() {
    let srv = server().await;
    let reply = srv.revoke(&[("token", "does-not-exist")], &auth(BASIC_CLIENT_A)).await;
    reply.assert_revoked();
    assert!(reply.body.is_empty(), "RFC 7009 §2.2: the body is empty: {}", reply.describe());
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{}", reply.describe());
}

#[tokio::test]
async fn f27_2_missing_or_empty_token_is_invalid_request() {
    let srv = server().await;
    for params in [vec![], vec![("token", "")], vec![("token_type_hint", "access_token")]] {
        let reply = srv.revoke(&params, &auth(BASIC_CLIENT_A)).await;
        reply.assert_token_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn f27_3_access_token_with_refresh_hint_is_revoked() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read").await;
    assert_a_active(&srv, &t.access_token).await;
    srv.revoke(&[("token", &t.access_token), ("token_type_hint", "refresh_token")], &auth(BASIC_CLIENT_A))
        .await
        .assert_revoked();
    assert_inactive_for_all(&srv, &t.access_token).await;
}

#[tokio::test]
async fn f27_4_unknown_hint_is_ignored_and_the_token_revoked() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read").await;
    srv.revoke(&[("token", &t.access_token), ("token_type_hint", "foo")], &auth(BASIC_CLIENT_A)).await.assert_revoked();
    assert_inactive_for_all(&srv, &t.access_token).await;
}

#[tokio::test]
async fn f27_5_public_client_revokes_its_refresh_token() {
    let srv = server().await;
    let t = client_pub_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("client_id", "client-pub"), ("token", t.refresh())], &[]).await.assert_revoked();
    srv.refresh(Auth::Public("client-pub"), t.refresh(), None).await.assert_token_error(400, "invalid_grant");
    // The grant's access token went with it.
    srv.introspect_as(BASIC_INTROSPECTOR, &t.access_token).await.assert_inactive();
}

#[tokio::test]
async fn f27_6_revoking_a_refresh_token_revokes_the_access_tokens_of_its_grant() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read write offline_access").await;
    // A refresh issues a second access token of the same grant (and rotates the refresh token).
    let r = srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_tokens();
    assert_a_active(&srv, &r.access_token).await;
    srv.revoke(&[("token", r.refresh()), ("token_type_hint", "refresh_token")], &auth(BASIC_CLIENT_A))
        .await
        .assert_revoked();
    srv.refresh(Auth::Header(BASIC_CLIENT_A), r.refresh(), None).await.assert_token_error(400, "invalid_grant");
    assert_inactive_for_all(&srv, &r.access_token).await;
    assert_inactive_for_all(&srv, &t.access_token).await;
    assert_inactive_for_all(&srv, r.refresh()).await;
}

#[tokio::test]
async fn f21_4_revoke_and_introspect_answer_bad_basic_credentials_with_401_and_a_challenge() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read").await;
    let unknown = basic("client-zz", "s3cret");
    for path in ["/oauth/revoke", "/oauth/introspect"] {
        let body = query(&[("token", &t.access_token)]);
        let wrong = srv.post_form(path, &body, &auth(BASIC_CLIENT_A_WRONG)).await;
        wrong.assert_basic_invalid_client();
        let nobody = srv.post_form(path, &body, &auth(&unknown)).await;
        nobody.assert_basic_invalid_client();
        assert_eq!(wrong.body, nobody.body, "{path}: the body must not reveal whether the client exists");
        assert_eq!(
            wrong.header("www-authenticate"),
            nobody.header("www-authenticate"),
            "{path}: the same challenge for an unknown client"
        );
        // Step 3 against these endpoints: a wrong client_secret_post is invalid_client too.
        let post = query(&[("token", &t.access_token), ("client_id", "client-a"), ("client_secret", "wrong")]);
        let reply = srv.post_form(path, &post, &[]).await;
        assert!(matches!(reply.status, 400 | 401), "{path}: {}", reply.describe());
        reply.assert_token_error(reply.status, "invalid_client");
    }
    // Nothing was revoked by the refused requests.
    assert_a_active(&srv, &t.access_token).await;
}

#[tokio::test]
async fn f13_3_code_replay_revokes_the_tokens_issued_from_it() {
    let srv = server().await;
    let code = srv.get_code("client-a", CB_A, Some("read offline_access"), C1).await;
    let first = srv.redeem(Auth::Header(BASIC_CLIENT_A), &code, Some(CB_A), Some(V1)).await.assert_tokens();
    assert_a_active(&srv, &first.access_token).await;
    srv.redeem(Auth::Header(BASIC_CLIENT_A), &code, Some(CB_A), Some(V1))
        .await
        .assert_token_error(400, "invalid_grant");
    let reply = srv.introspect_as(BASIC_CLIENT_A, &first.access_token).await;
    reply.assert_inactive();
    assert_eq!(reply.body, r#"{"active":false}"#, "exactly {{\"active\":false}}");
    srv.refresh(Auth::Header(BASIC_CLIENT_A), first.refresh(), None).await.assert_token_error(400, "invalid_grant");
    srv.introspect_as(BASIC_INTROSPECTOR, first.refresh()).await.assert_inactive();
}

#[tokio::test]
async fn f16_3_omitted_scope_keeps_the_original_and_introspection_shows_read() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    let r = srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_tokens();
    assert_eq!(r.scopes(), scope_set("read offline_access"), "omitted scope = the original grant's");
    let a = srv.introspect_as(BASIC_CLIENT_A, &r.access_token).await.assert_active();
    let scope = a.get("scope").and_then(Value::as_str).unwrap_or_default();
    assert_eq!(scope_set(scope), scope_set("read offline_access"), "introspection shows the original scope");
    assert!(!scope_set(scope).contains("write"));
}

// =============================================================================================
// K. Revocation (RFC 7009).
// =============================================================================================

#[tokio::test]
async fn rev_01_refresh_token_revocation_ends_the_grant() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("token", t.refresh()), ("token_type_hint", "refresh_token")], &auth(BASIC_CLIENT_A))
        .await
        .assert_revoked();
    srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_token_error(400, "invalid_grant");
    assert_inactive_for_all(&srv, &t.access_token).await;

    // A refresh token already rotated away still names its grant: revoking it ends the grant.
    let t = client_a_tokens(&srv, "read offline_access").await;
    let r = srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_tokens();
    srv.revoke(&[("token", t.refresh())], &auth(BASIC_CLIENT_A)).await.assert_revoked();
    assert_inactive_for_all(&srv, &r.access_token).await;
    srv.refresh(Auth::Header(BASIC_CLIENT_A), r.refresh(), None).await.assert_token_error(400, "invalid_grant");
}

#[tokio::test]
async fn rev_02_access_token_revocation() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("token", &t.access_token), ("token_type_hint", "access_token")], &auth(BASIC_CLIENT_A))
        .await
        .assert_revoked();
    assert_inactive_for_all(&srv, &t.access_token).await;
    // The server revokes the whole grant (documented): its refresh token is gone too.
    srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_token_error(400, "invalid_grant");

    // Client credentials and impersonation tokens are revoked the same way.
    let svc = srv.svc_b_token().await;
    srv.revoke(&[("token", &svc.access_token)], &auth(BASIC_SVC_B)).await.assert_revoked();
    srv.introspect_as(BASIC_INTROSPECTOR, &svc.access_token).await.assert_inactive();
    let imp = srv.impersonation_token().await;
    srv.introspect_as(BASIC_INTROSPECTOR, &imp.access_token).await.assert_active();
    srv.revoke(&[("token", &imp.access_token)], &auth(BASIC_SVC_A)).await.assert_revoked();
    srv.introspect_as(BASIC_INTROSPECTOR, &imp.access_token).await.assert_inactive();
}

#[tokio::test]
async fn rev_03_unknown_malformed_and_already_revoked_tokens_answer_200() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("token", &t.access_token)], &auth(BASIC_CLIENT_A)).await.assert_revoked();
    // The longest value the wire layer reads (8 KiB): a malformed token, still 200.
    let long = "x".repeat(8 * 1024);
    let jwt_like = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";
    for token in [
        "does-not-exist",
        "a b\u{e9}%00",
        long.as_str(),
        jwt_like,
        t.access_token.as_str(),
        t.refresh(),
        t.access_token.as_str(),
    ] {
        for hint in [None, Some("access_token"), Some("refresh_token")] {
            let mut params = vec![("token", token)];
            if let Some(h) = hint {
                params.push(("token_type_hint", h));
            }
            srv.revoke(&params, &auth(BASIC_CLIENT_A)).await.assert_revoked();
        }
    }
    // A public client, too.
    srv.revoke(&[("client_id", "client-pub"), ("token", "does-not-exist")], &[]).await.assert_revoked();
    // One byte over the parameter limit is a malformed request, not a token (F33).
    let over = "x".repeat(8 * 1024 + 1);
    srv.revoke(&[("token", &over)], &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn rev_04_wrong_hint_still_finds_the_refresh_token() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("token", t.refresh()), ("token_type_hint", "access_token")], &auth(BASIC_CLIENT_A))
        .await
        .assert_revoked();
    srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_token_error(400, "invalid_grant");
    let t = client_a_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("token", t.refresh()), ("token_type_hint", "foo")], &auth(BASIC_CLIENT_A)).await.assert_revoked();
    srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_token_error(400, "invalid_grant");
}

#[tokio::test]
async fn rev_05_missing_token_and_bad_credentials() {
    let srv = server().await;
    srv.revoke(&[], &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
    srv.revoke(&[("token", "x")], &auth(BASIC_CLIENT_A_WRONG)).await.assert_basic_invalid_client();
    // No client identification at all.
    let reply = srv.revoke(&[("token", "x")], &[]).await;
    assert!(matches!(reply.status, 400 | 401), "{}", reply.describe());
    reply.assert_token_error(reply.status, "invalid_client");
    // Other schemes are no client authentication: 401 with a Basic challenge.
    for header in ["Bearer abc", "Digest x", "Basic", "Basic !!!"] {
        srv.revoke(&[("token", "x")], &auth(header)).await.assert_token_error(401, "invalid_client");
    }
    // Two methods at once, or a client_id that contradicts Basic: invalid_request (RFC 6749 §2.3).
    let both = [("token", "x"), ("client_id", "client-a"), ("client_secret", "s3cret")];
    srv.revoke(&both, &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
    let other = [("token", "x"), ("client_id", "client-b")];
    srv.revoke(&other, &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
    // A confidential client may not pose as public: client_id alone is not enough.
    let t = client_a_tokens(&srv, "read").await;
    let reply = srv.revoke(&[("client_id", "client-a"), ("token", &t.access_token)], &[]).await;
    assert!(matches!(reply.status, 400 | 401), "{}", reply.describe());
    reply.assert_token_error(reply.status, "invalid_client");
    assert_a_active(&srv, &t.access_token).await;
}

#[tokio::test]
async fn rev_06_another_clients_token_is_refused_and_stays_valid() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    for token in [t.access_token.as_str(), t.refresh()] {
        for hint in ["access_token", "refresh_token"] {
            let params = [("token", token), ("token_type_hint", hint)];
            srv.revoke(&params, &auth(BASIC_CLIENT_B)).await.assert_token_error(400, "unauthorized_client");
            srv.revoke(&params, &auth(BASIC_SVC_B)).await.assert_token_error(400, "unauthorized_client");
            let public = [("token", token), ("token_type_hint", hint), ("client_id", "client-pub")];
            srv.revoke(&public, &[]).await.assert_token_error(400, "unauthorized_client");
        }
    }
    // Still valid: the access token introspects active and the refresh token works.
    assert_a_active(&srv, &t.access_token).await;
    srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_tokens();
    // And the other way round: client-a cannot revoke client-pub's token.
    let p = client_pub_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("token", p.refresh())], &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "unauthorized_client");
    srv.refresh(Auth::Public("client-pub"), p.refresh(), None).await.assert_tokens();
}

#[tokio::test]
async fn rev_07_no_token_type_is_unsupported() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    for (token, hint) in [(t.refresh(), "refresh_token"), (t.access_token.as_str(), "access_token")] {
        let reply = srv.revoke(&[("token", token), ("token_type_hint", hint)], &auth(BASIC_CLIENT_A)).await;
        assert_ne!(reply.json()["error"], json!("unsupported_token_type"), "{}", reply.describe());
        reply.assert_revoked();
    }
}

#[tokio::test]
async fn rev_08_json_bodies_are_accepted() {
    let srv = server().await;
    // Confidential client, Basic, JSON body (D3, the platform's shape).
    let t = client_a_tokens(&srv, "read offline_access").await;
    let body = json!({"token": t.refresh(), "token_type_hint": "refresh_token"});
    srv.post_json("/oauth/revoke", &body, &auth(BASIC_CLIENT_A)).await.assert_revoked();
    srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_token_error(400, "invalid_grant");
    // client_secret_post in JSON.
    let t = client_a_tokens(&srv, "read").await;
    let body = json!({"token": t.access_token, "client_id": "client-a", "client_secret": "s3cret"});
    srv.post_json("/oauth/revoke", &body, &[]).await.assert_revoked();
    assert_inactive_for_all(&srv, &t.access_token).await;
    // Public client with client_id in JSON.
    let p = client_pub_tokens(&srv, "read offline_access").await;
    let body = json!({"token": p.refresh(), "token_type_hint": "refresh_token", "client_id": "client-pub"});
    srv.post_json("/oauth/revoke", &body, &[]).await.assert_revoked();
    srv.refresh(Auth::Public("client-pub"), p.refresh(), None).await.assert_token_error(400, "invalid_grant");
    // Missing token in JSON; a JSON body that is not an object; another media type.
    srv.post_json("/oauth/revoke", &json!({"token_type_hint": "access_token"}), &auth(BASIC_CLIENT_A))
        .await
        .assert_token_error(400, "invalid_request");
    srv.post_json("/oauth/revoke", &json!(["token", "x"]), &auth(BASIC_CLIENT_A))
        .await
        .assert_token_error(400, "invalid_request");
    post_raw(&srv, "/oauth/revoke", "text/plain", "token=x", &auth(BASIC_CLIENT_A))
        .await
        .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn rev_repeated_token_is_invalid_request_and_revokes_nothing() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read").await;
    let form = query(&[("token", &t.access_token), ("token", "other")]);
    srv.post_form("/oauth/revoke", &form, &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
    let form = query(&[("token", &t.access_token), ("token", &t.access_token)]);
    srv.post_form("/oauth/revoke", &form, &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
    let form = query(&[("token", &t.access_token), ("token_type_hint", "a"), ("token_type_hint", "b")]);
    srv.post_form("/oauth/revoke", &form, &auth(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
    // D3: repeated members are an error in JSON too.
    let json_body = format!(r#"{{"token":"{}","token":"other"}}"#, t.access_token);
    post_raw(&srv, "/oauth/revoke", "application/json", &json_body, &auth(BASIC_CLIENT_A))
        .await
        .assert_token_error(400, "invalid_request");
    // A token in the query string is not read (RFC 7009 §2.1: POST body).
    let reply = srv
        .send(
            srv.http()
                .post(srv.url(&format!("/oauth/revoke?token={}", enc(&t.access_token))))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", BASIC_CLIENT_A)
                .body(query(&[("token", &t.access_token)])),
            "POST /oauth/revoke?…",
        )
        .await;
    reply.assert_token_error(400, "invalid_request");
    assert_a_active(&srv, &t.access_token).await;
}

#[tokio::test]
async fn rev_08_cors_preflight_and_post_from_the_allowed_origin() {
    let srv = server().await;
    let pre = srv.preflight("/oauth/revoke", ORIGIN_PUB, "POST", Some("content-type")).await;
    let d = pre.describe();
    assert_eq!(pre.status, 204, "preflight from an allowed origin: {d}");
    assert_eq!(pre.header_all("access-control-allow-origin"), vec![ORIGIN_PUB], "{d}");
    assert!(pre.header_list_has("access-control-allow-methods", "POST"), "{d}");
    assert!(pre.header_list_has("access-control-allow-headers", "content-type"), "{d}");
    for origin in [ORIGIN_EVIL, "http://spa.example", "https://spa.example:8443", "null"] {
        let pre = srv.preflight("/oauth/revoke", origin, "POST", Some("content-type")).await;
        assert_no_cors(&pre);
        assert!(pre.status < 500, "Origin {origin}: {}", pre.describe());
    }

    let p = client_pub_tokens(&srv, "read offline_access").await;
    let origin = [("origin", ORIGIN_PUB)];
    let evil = [("origin", ORIGIN_EVIL)];
    let params = [("client_id", "client-pub"), ("token", p.refresh())];

    // Another origin: refused, no CORS headers, the token stays valid.
    let reply = srv.revoke(&params, &evil).await;
    reply.assert_token_error(400, "invalid_request");
    assert_no_cors(&reply);
    let p = {
        let r = srv.refresh(Auth::Public("client-pub"), p.refresh(), None).await;
        r.assert_tokens()
    };

    // The allowed origin: 200 readable by that origin only.
    let params = [("client_id", "client-pub"), ("token", p.refresh())];
    let reply = srv.revoke(&params, &origin).await;
    reply.assert_revoked();
    let d = reply.describe();
    assert_eq!(reply.header_all("access-control-allow-origin"), vec![ORIGIN_PUB], "ACAO must name the origin: {d}");
    assert!(reply.header_list_has("vary", "origin"), "Vary must list Origin: {d}");
    srv.refresh(Auth::Public("client-pub"), p.refresh(), None).await.assert_token_error(400, "invalid_grant");

    // An unknown token from the allowed origin is 200 with CORS as well (nothing to reveal).
    let reply = srv.revoke(&[("client_id", "client-pub"), ("token", "does-not-exist")], &origin).await;
    reply.assert_revoked();
    assert_eq!(reply.header_all("access-control-allow-origin"), vec![ORIGIN_PUB], "{}", reply.describe());

    // A refusal for an allowed origin is readable by it (the page learns why).
    let t = client_a_tokens(&srv, "read").await;
    let reply = srv.revoke(&[("client_id", "client-pub"), ("token", &t.access_token)], &origin).await;
    reply.assert_token_error(400, "unauthorized_client");
    assert_eq!(reply.header_all("access-control-allow-origin"), vec![ORIGIN_PUB], "{}", reply.describe());
    assert_a_active(&srv, &t.access_token).await;

    // Introspection is a back-end call: no CORS, no preflight.
    let reply = srv.introspect(&[("token", &t.access_token)], &[("authorization", BASIC_CLIENT_A), origin[0]]).await;
    reply.assert_active();
    assert_no_cors(&reply);
    let pre = srv.preflight("/oauth/introspect", ORIGIN_PUB, "POST", Some("content-type")).await;
    assert_no_cors(&pre);
    assert!(pre.status >= 400 && pre.status < 500, "{}", pre.describe());
    // Only POST (RFC 7009 §2.1, RFC 7662 §2.1).
    for path in ["/oauth/revoke", "/oauth/introspect"] {
        let reply = srv.get(path).await;
        assert_eq!(reply.status, 405, "GET {path}: {}", reply.describe());
        assert!(reply.header_list_has("allow", "POST"), "GET {path}: {:?}", reply.header_all("allow"));
    }

    // A client that allows no origin, from a browser: refused.
    let t = client_a_tokens(&srv, "read").await;
    let reply = srv.revoke(&[("token", &t.access_token)], &[("authorization", BASIC_CLIENT_A), origin[0]]).await;
    reply.assert_token_error(400, "invalid_request");
    assert_no_cors(&reply);
    assert_a_active(&srv, &t.access_token).await;
}

// =============================================================================================
// L. Introspection (RFC 7662).
// =============================================================================================

/// The members of an active access token's answer (INTRO-01).
const ACCESS_MEMBERS: [&str; 9] = ["active", "scope", "client_id", "sub", "exp", "iat", "iss", "aud", "token_type"];

/// Asserts the exact active-access-token answer: members, types, and values.
fn assert_access_answer(
    srv: &TestServer,
    a: &serde_json::Map<String, Value>,
    client_id: &str,
    sub: &str,
    scope: &str,
    lifetime: u64,
) {
    let keys: BTreeSet<String> = a.keys().cloned().collect();
    assert_eq!(keys, names(&ACCESS_MEMBERS), "exact members of an active access token (INTRO-01)");
    assert_eq!(a["client_id"], json!(client_id));
    assert_eq!(a["sub"], json!(sub));
    assert_eq!(scope_set(a["scope"].as_str().unwrap_or("")), scope_set(scope), "scope is space-separated");
    assert_eq!(a["iss"], json!(srv.issuer()), "iss is the issuer");
    assert_eq!(a["aud"], json!(srv.issuer()), "aud defaults to the issuer");
    assert_eq!(a["token_type"], json!("Bearer"));
    let exp = a["exp"].as_u64().unwrap_or_else(|| panic!("exp must be an integer"));
    let iat = a["iat"].as_u64().unwrap_or_else(|| panic!("iat must be an integer"));
    assert_eq!(exp - iat, lifetime, "exp - iat is the access-token lifetime");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    assert!(iat <= now && now <= iat + 60, "iat is now (seconds since the epoch)");
}

#[tokio::test]
async fn intro_01_active_access_token_has_exactly_the_documented_members() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read write").await;
    for caller in [BASIC_CLIENT_A, BASIC_INTROSPECTOR] {
        let a = srv.introspect_as(caller, &t.access_token).await.assert_active();
        assert_access_answer(&srv, &a, "client-a", "user-1", "read write", 3600);
    }
    // client_secret_post and JSON bodies are accepted as well.
    let post = [("token", t.access_token.as_str()), ("client_id", "client-a"), ("client_secret", "s3cret")];
    let a = srv.introspect(&post, &[]).await.assert_active();
    assert_access_answer(&srv, &a, "client-a", "user-1", "read write", 3600);
    let body = json!({"token": t.access_token});
    let a = srv.post_json("/oauth/introspect", &body, &auth(BASIC_CLIENT_A)).await.assert_active();
    assert_access_answer(&srv, &a, "client-a", "user-1", "read write", 3600);

    // A client-credentials token speaks for the client itself.
    let svc = srv.svc_b_token().await;
    let a = srv.introspect_as(BASIC_SVC_B, &svc.access_token).await.assert_active();
    assert_access_answer(&srv, &a, "svc-b", "client:svc-b", "read", 3600);
}

#[tokio::test]
async fn intro_01_impersonation_token_names_the_acting_client() {
    let srv = server().await;
    let imp = srv.impersonation_token().await;
    for caller in [BASIC_SVC_A, BASIC_INTROSPECTOR] {
        let mut a = srv.introspect_as(caller, &imp.access_token).await.assert_active();
        assert_eq!(a.remove("act"), Some(json!({"sub": "svc-a"})), "act names the acting client (RFC 8693 §4.1)");
        assert_access_answer(&srv, &a, "svc-a", "user-1", "read", 3600);
    }
}

#[tokio::test]
async fn intro_01_refresh_token_answer() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    for caller in [BASIC_CLIENT_A, BASIC_INTROSPECTOR] {
        let reply = srv.introspect_as(caller, t.refresh()).await;
        let a = reply.assert_active();
        let keys: BTreeSet<String> = a.keys().cloned().collect();
        assert!(
            keys.is_superset(&names(&["active", "scope", "client_id", "sub", "exp", "iat", "iss"])),
            "refresh token members: {keys:?}"
        );
        assert_ne!(a.get("token_type"), Some(&json!("Bearer")), "a refresh token is not a Bearer access token");
        assert_eq!(a["client_id"], json!("client-a"));
        assert_eq!(a["sub"], json!("user-1"));
        assert_eq!(a["iss"], json!(srv.issuer()));
        assert_eq!(scope_set(a["scope"].as_str().unwrap_or("")), scope_set("read offline_access"));
        let exp = a["exp"].as_u64().unwrap_or(0);
        let iat = a["iat"].as_u64().unwrap_or(u64::MAX);
        assert_eq!(exp.saturating_sub(iat), 2_592_000, "refresh lifetime 30 days (D10)");
    }
    // After rotation the old refresh token is inactive and the new one active.
    let r = srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_tokens();
    srv.introspect_as(BASIC_CLIENT_A, t.refresh()).await.assert_inactive();
    srv.introspect_as(BASIC_CLIENT_A, r.refresh()).await.assert_active();
}

#[tokio::test]
async fn intro_02_unauthenticated_callers_are_refused() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read").await;
    // No authentication at all; a public client (introspection is for authenticated callers).
    for params in
        [vec![("token", t.access_token.as_str())], vec![("token", &t.access_token), ("client_id", "client-pub")]]
    {
        let reply = srv.introspect(&params, &[]).await;
        assert_eq!(reply.status, 401, "{}", reply.describe());
        reply.assert_token_error(401, "invalid_client");
        assert!(reply.json().get("active").is_none());
    }
    // Wrong Basic credentials.
    srv.introspect_as(BASIC_CLIENT_A_WRONG, &t.access_token).await.assert_basic_invalid_client();
    // A bearer token that is not active: 401 with an RFC 6750 challenge.
    let reply = srv.introspect_as("Bearer not-a-token", &t.access_token).await;
    let d = reply.describe();
    assert_eq!(reply.status, 401, "{d}");
    let challenge = reply.header("www-authenticate").unwrap_or("");
    assert!(challenge.starts_with("Bearer realm=\""), "{challenge:?}: {d}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge:?}: {d}");
    assert_eq!(reply.json()["error"], json!("invalid_token"), "{d}");
    assert!(reply.json().get("active").is_none(), "{d}");
}

#[tokio::test]
async fn intro_03_revoked_unknown_malformed_and_foreign_tokens_are_exactly_inactive() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    let revoked = client_a_tokens(&srv, "read offline_access").await;
    srv.revoke(&[("token", &revoked.access_token)], &auth(BASIC_CLIENT_A)).await.assert_revoked();
    let long = "y".repeat(5_000);
    for token in [
        revoked.access_token.as_str(),
        revoked.refresh(),
        "does-not-exist",
        "a b\u{e9}%00\"",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyLTEifQ.",
        long.as_str(),
    ] {
        for caller in [BASIC_CLIENT_A, BASIC_INTROSPECTOR] {
            let reply = srv.introspect_as(caller, token).await;
            reply.assert_inactive();
            assert_eq!(reply.body, r#"{"active":false}"#);
        }
    }
    // Another client's tokens, for a client without the introspection scope.
    for caller in [BASIC_CLIENT_B, BASIC_SVC_B] {
        srv.introspect_as(caller, &t.access_token).await.assert_inactive();
        srv.introspect_as(caller, t.refresh()).await.assert_inactive();
    }
    let svc = srv.svc_b_token().await;
    srv.introspect_as(BASIC_CLIENT_A, &svc.access_token).await.assert_inactive();
    let imp = srv.impersonation_token().await;
    srv.introspect_as(BASIC_SVC_B, &imp.access_token).await.assert_inactive();
    // The owners still see them.
    assert_a_active(&srv, &t.access_token).await;
    srv.introspect_as(BASIC_SVC_B, &svc.access_token).await.assert_active();
}

/// Access and refresh lifetime of the expiry test's servers, seconds.
const LIFETIME: u64 = 2;

#[tokio::test]
async fn intro_03_expired_tokens_are_exactly_inactive() {
    let lifetimes = "[lifetimes]\naccess_token = 2\nrefresh_token = 2\n";
    let opaque = TestServer::start(&lifecycle_fixture(lifetimes)).await;
    let jwt = TestServer::start(&lifecycle_fixture(&format!("{lifetimes}[access_tokens]\nformat = \"jwt\"\n"))).await;
    // Both wait for the same clock: run them together.
    tokio::join!(expiry(&opaque), expiry(&jwt));
}

/// Tokens of `srv` (lifetimes [`LIFETIME`]) are active, then, once expired, exactly inactive
/// for every caller, refused at refresh, and revocable with 200.
async fn expiry(srv: &TestServer) {
    // The client-credentials token first: it expires no later than the others.
    let svc = srv.svc_b_token().await;
    let t = client_a_tokens(srv, "read offline_access").await;
    assert_eq!(t.expires_in, LIFETIME);
    let a = srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await.assert_active();
    assert_access_answer(srv, &a, "client-a", "user-1", "read offline_access", LIFETIME);
    srv.introspect_as(BASIC_CLIENT_A, t.refresh()).await.assert_active();

    // Poll (bounded) until the access token expires: at most LIFETIME + 2 seconds.
    let deadline = Instant::now() + Duration::from_secs(LIFETIME + 2);
    loop {
        let reply = srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await;
        if reply.json() == json!({"active": false}) {
            break;
        }
        reply.assert_active();
        assert!(Instant::now() < deadline, "the access token did not expire within {LIFETIME} s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for caller in [BASIC_CLIENT_A, BASIC_INTROSPECTOR] {
        srv.introspect_as(caller, &t.access_token).await.assert_inactive();
        srv.introspect_as(caller, t.refresh()).await.assert_inactive();
    }
    srv.introspect_as(BASIC_INTROSPECTOR, &svc.access_token).await.assert_inactive();
    srv.refresh(Auth::Header(BASIC_CLIENT_A), t.refresh(), None).await.assert_token_error(400, "invalid_grant");
    // REV-03: revoking an expired token is 200.
    srv.revoke(&[("token", &t.access_token)], &auth(BASIC_CLIENT_A)).await.assert_revoked();
    srv.revoke(&[("token", t.refresh())], &auth(BASIC_CLIENT_A)).await.assert_revoked();
}

#[tokio::test]
async fn intro_04_hints_only_order_the_search() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read offline_access").await;
    for hint in ["access_token", "refresh_token", "foo", ""] {
        let params = [("token", t.access_token.as_str()), ("token_type_hint", hint)];
        let a = srv.introspect(&params, &auth(BASIC_CLIENT_A)).await.assert_active();
        assert_eq!(a["token_type"], json!("Bearer"), "hint {hint:?}");
        let params = [("token", t.refresh()), ("token_type_hint", hint)];
        let a = srv.introspect(&params, &auth(BASIC_CLIENT_A)).await.assert_active();
        assert_ne!(a.get("token_type"), Some(&json!("Bearer")), "hint {hint:?}");
    }
}

#[tokio::test]
async fn intro_introspector_client_sees_every_token() {
    let srv = server().await;
    let a = client_a_tokens(&srv, "read write offline_access").await;
    let p = client_pub_tokens(&srv, "read offline_access").await;
    let svc = srv.svc_b_token().await;
    let imp = srv.impersonation_token().await;
    let cases = [
        (a.access_token.as_str(), "client-a"),
        (a.refresh(), "client-a"),
        (p.access_token.as_str(), "client-pub"),
        (p.refresh(), "client-pub"),
        (svc.access_token.as_str(), "svc-b"),
        (imp.access_token.as_str(), "svc-a"),
    ];
    for (token, client_id) in cases {
        // Basic and client_secret_post.
        let m = srv.introspect_as(BASIC_INTROSPECTOR, token).await.assert_active();
        assert_eq!(m["client_id"], json!(client_id));
        let post = [("token", token), ("client_id", INTROSPECTOR), ("client_secret", INTROSPECTOR_SECRET)];
        let m = srv.introspect(&post, &[]).await.assert_active();
        assert_eq!(m["client_id"], json!(client_id));
    }
    // The public client's access token carries its allowed origin.
    let m = srv.introspect_as(BASIC_INTROSPECTOR, &p.access_token).await.assert_active();
    assert_eq!(m.get("allowed-origins"), Some(&json!([ORIGIN_PUB])), "allowed-origins of client-pub's token");
}

#[tokio::test]
async fn intro_bearer_caller_needs_the_introspection_scope() {
    let srv = server().await;
    let a = client_a_tokens(&srv, "read write").await;
    let intro = srv.introspector_token().await;
    assert_eq!(intro.scope, "introspect");
    let bearer = format!("Bearer {}", intro.access_token);
    let m = srv.introspect_as(&bearer, &a.access_token).await.assert_active();
    assert_access_answer(&srv, &m, "client-a", "user-1", "read write", 3600);
    srv.introspect_as(&bearer, "does-not-exist").await.assert_inactive();

    // A bearer token without the scope: 403 insufficient_scope naming the scope (RFC 6750 §3.1).
    let svc = srv.svc_b_token().await;
    let reply = srv.introspect_as(&format!("Bearer {}", svc.access_token), &a.access_token).await;
    let d = reply.describe();
    assert_eq!(reply.status, 403, "{d}");
    let challenge = reply.header("www-authenticate").unwrap_or("");
    assert!(challenge.starts_with("Bearer realm=\""), "{challenge:?}");
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge:?}");
    assert!(challenge.contains("scope=\"introspect\""), "{challenge:?}");
    assert_eq!(reply.json()["error"], json!("insufficient_scope"), "{d}");
    assert!(reply.json().get("active").is_none(), "nothing about the token is revealed: {d}");
    assert_eq!(reply.header("cache-control"), Some("no-store"), "{d}");

    // A revoked bearer token: 401 invalid_token.
    srv.revoke(&[("token", &intro.access_token)], &auth(BASIC_INTROSPECTOR)).await.assert_revoked();
    let reply = srv.introspect_as(&bearer, &a.access_token).await;
    assert_eq!(reply.status, 401, "{}", reply.describe());
    assert!(reply.header("www-authenticate").unwrap_or("").contains("error=\"invalid_token\""));
}

// =============================================================================================
// A real client: the `oauth2` crate revokes and introspects.
// =============================================================================================

type LifecycleClient = BasicClient<EndpointNotSet, EndpointNotSet, EndpointSet, EndpointSet, EndpointSet>;

/// An `oauth2` client for `client_id` (with `secret` when confidential) knowing the token,
/// introspection and revocation endpoints. The revocation URL is given with `https` (the crate
/// refuses anything else, RFC 7009 §2); [`https_shim`] carries it to the loopback server.
fn oauth2_client(srv: &TestServer, client_id: &str, secret: Option<&str>) -> LifecycleClient {
    let https = srv.url("/oauth/revoke").replacen("http://", "https://", 1);
    let client = BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_token_uri(TokenUrl::new(srv.url("/oauth/token")).unwrap_or_else(|e| panic!("token URL: {e}")))
        .set_introspection_url(
            IntrospectionUrl::new(srv.url("/oauth/introspect")).unwrap_or_else(|e| panic!("introspection URL: {e}")),
        )
        .set_revocation_url(RevocationUrl::new(https).unwrap_or_else(|e| panic!("revocation URL: {e}")));
    match secret {
        Some(s) => client.set_client_secret(ClientSecret::new(s.to_owned())),
        None => client,
    }
}

/// What [`https_shim`] answers with: the crate's HTTP response, or the `reqwest` failure.
type ShimFuture = std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, HttpClientError<reqwest::Error>>>>>;

/// An HTTP client for the `oauth2` crate that sends `https://127.0.0.1:<port>/…` requests to
/// the loopback server over plain HTTP, like a TLS-terminating proxy in front of it: the test
/// server speaks no TLS, and the crate sends revocations to `https` URLs only.
fn https_shim(srv: &TestServer) -> impl Fn(HttpRequest) -> ShimFuture {
    let http = srv.http().clone();
    move |mut request: HttpRequest| {
        let http = http.clone();
        Box::pin(async move {
            let plain = request.uri().to_string().replacen("https://", "http://", 1);
            *request.uri_mut() = plain.parse().map_err(|_| HttpClientError::Other("unparsable URI".to_owned()))?;
            oauth2::AsyncHttpClient::call(&http, request).await
        })
    }
}

#[tokio::test]
async fn oauth2_crate_introspects_and_revokes_for_a_confidential_client() {
    let srv = server().await;
    let t = client_a_tokens(&srv, "read write offline_access").await;
    let client = oauth2_client(&srv, "client-a", Some("s3cret"));
    let access = AccessToken::new(t.access_token.clone());

    // Introspection (Basic authentication, the crate's default).
    let info = client
        .introspect(&access)
        .request_async(srv.http())
        .await
        .unwrap_or_else(|e| panic!("introspection failed: {e}"));
    assert!(info.active());
    assert_eq!(info.client_id().map(|c| c.as_str()), Some("client-a"));
    assert_eq!(info.token_type(), Some(&BasicTokenType::Bearer));
    assert_eq!(info.sub(), Some("user-1"));
    assert_eq!(info.iss(), Some(srv.issuer()));
    assert_eq!(info.aud(), Some(&vec![srv.issuer().to_owned()]));
    let mut scopes: Vec<String> = info.scopes().map(|s| s.iter().map(|s| s.to_string()).collect()).unwrap_or_default();
    scopes.sort();
    assert_eq!(scopes, ["offline_access", "read", "write"]);
    let (exp, iat) = (info.exp().map(|t| t.timestamp()), info.iat().map(|t| t.timestamp()));
    assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(3600));
    // The refresh token, with the crate's hint.
    let rt = AccessToken::new(t.refresh().to_owned());
    let info = client
        .introspect(&rt)
        .set_token_type_hint("refresh_token")
        .request_async(srv.http())
        .await
        .unwrap_or_else(|e| panic!("introspection failed: {e}"));
    assert!(info.active());

    // The crate refuses a plain-http revocation URL (RFC 7009 §2: clients MUST use https).
    let plain = client
        .clone()
        .set_revocation_url(RevocationUrl::new(srv.url("/oauth/revoke")).unwrap_or_else(|e| panic!("URL: {e}")));
    assert!(matches!(plain.revoke_token(access.clone().into()), Err(ConfigurationError::InsecureUrl(_))));

    // Revocation of the access token, then introspection says inactive.
    let shim = https_shim(&srv);
    client
        .revoke_token(StandardRevocableToken::AccessToken(access.clone()))
        .unwrap_or_else(|e| panic!("revocation request: {e}"))
        .request_async(&shim)
        .await
        .unwrap_or_else(|e| panic!("revocation failed: {e}"));
    let info = client.introspect(&access).request_async(srv.http()).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!info.active());
    assert!(info.client_id().is_none() && info.scopes().is_none() && info.sub().is_none(), "nothing but active");

    // Revocation of a refresh token (client_secret_post this time).
    let t = client_a_tokens(&srv, "read offline_access").await;
    let post = oauth2_client(&srv, "client-a", Some("s3cret")).set_auth_type(AuthType::RequestBody);
    post.revoke_token(StandardRevocableToken::RefreshToken(RefreshToken::new(t.refresh().to_owned())))
        .unwrap_or_else(|e| panic!("revocation request: {e}"))
        .request_async(&shim)
        .await
        .unwrap_or_else(|e| panic!("revocation failed: {e}"));
    match post.exchange_refresh_token(&RefreshToken::new(t.refresh().to_owned())).request_async(srv.http()).await {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(e.error(), &BasicErrorResponseType::InvalidGrant),
        Err(other) => panic!("expected invalid_grant, got {other}"),
        Ok(_) => panic!("a revoked refresh token was accepted"),
    }
    srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await.assert_inactive();

    // An unknown token: 200, so the crate reports success.
    client
        .revoke_token(StandardRevocableToken::AccessToken(AccessToken::new("does-not-exist".to_owned())))
        .unwrap_or_else(|e| panic!("revocation request: {e}"))
        .request_async(&shim)
        .await
        .unwrap_or_else(|e| panic!("revoking an unknown token failed: {e}"));
}

#[tokio::test]
async fn oauth2_crate_revokes_for_a_public_client_and_sees_refusals() {
    let srv = server().await;
    let shim = https_shim(&srv);
    let p = client_pub_tokens(&srv, "read offline_access").await;
    // No secret: the crate sends client_id in the body.
    let public = oauth2_client(&srv, "client-pub", None);
    public
        .revoke_token(StandardRevocableToken::RefreshToken(RefreshToken::new(p.refresh().to_owned())))
        .unwrap_or_else(|e| panic!("revocation request: {e}"))
        .request_async(&shim)
        .await
        .unwrap_or_else(|e| panic!("public revocation failed: {e}"));
    srv.refresh(Auth::Public("client-pub"), p.refresh(), None).await.assert_token_error(400, "invalid_grant");

    // Another client's token: the crate sees 400 unauthorized_client, and the token survives.
    let a = client_a_tokens(&srv, "read").await;
    let b = oauth2_client(&srv, "client-b", Some("s3cret-b"));
    let refused = b
        .revoke_token(StandardRevocableToken::AccessToken(AccessToken::new(a.access_token.clone())))
        .unwrap_or_else(|e| panic!("revocation request: {e}"))
        .request_async(&shim)
        .await;
    match refused {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(
            e.error(),
            &RevocationErrorResponseType::Basic(BasicErrorResponseType::UnauthorizedClient),
            "D7: 400 unauthorized_client"
        ),
        Err(other) => panic!("expected unauthorized_client, got {other}"),
        Ok(()) => panic!("another client's token was revoked"),
    }
    assert_a_active(&srv, &a.access_token).await;
    // client-b's introspection of client-a's token: inactive.
    let info = b
        .introspect(&AccessToken::new(a.access_token.clone()))
        .request_async(srv.http())
        .await
        .unwrap_or_else(|e| panic!("introspection failed: {e}"));
    assert!(!info.active());

    // Wrong credentials: invalid_client from both endpoints.
    let wrong = oauth2_client(&srv, "client-a", Some("wrong"));
    match wrong.introspect(&AccessToken::new(a.access_token.clone())).request_async(srv.http()).await {
        Err(RequestTokenError::ServerResponse(e)) => assert_eq!(e.error(), &BasicErrorResponseType::InvalidClient),
        Err(other) => panic!("expected invalid_client, got {other}"),
        Ok(_) => panic!("introspection with a wrong secret succeeded"),
    }
    let refused = wrong
        .revoke_token(StandardRevocableToken::AccessToken(AccessToken::new(a.access_token.clone())))
        .unwrap_or_else(|e| panic!("revocation request: {e}"))
        .request_async(&shim)
        .await;
    match refused {
        Err(RequestTokenError::ServerResponse(e)) => {
            assert_eq!(e.error(), &RevocationErrorResponseType::Basic(BasicErrorResponseType::InvalidClient));
        }
        Err(other) => panic!("expected invalid_client, got {other}"),
        Ok(()) => panic!("revocation with a wrong secret succeeded"),
    }
    assert_a_active(&srv, &a.access_token).await;
}
