use std::sync::Arc;

use axum::body::{Body, to_bytes};
use http::{Request, StatusCode, header};
use oauth_core::{AppType, Approval, ClientRegistration, GrantType, SeededEntropy};
use oauth_memory::MemoryStore;
use tower::ServiceExt as _;

use super::*;

const CC_BASIC: &str = "Basic c3ZjLWE6czNjcmV0LXN2Yw=="; // svc-a:s3cret-svc

fn app(owner: Arc<dyn OwnerInteraction>) -> Router {
    let config = Config::new_for_development("http://127.0.0.1:8080", Arc::new(SeededEntropy::new(7))).unwrap();
    let store = MemoryStore::new();
    store.insert_client(
        Client::register(ClientRegistration {
            client_id: "svc-a".into(),
            app_type: Some(AppType::Web),
            secret_digests: vec![TokenDigest::of("s3cret-svc")],
            allowed_scopes: vec!["read".into()],
            allowed_grant_types: Some(vec![GrantType::ClientCredentials]),
            ..Default::default()
        })
        .unwrap(),
    );
    store.insert_client(
        Client::register(ClientRegistration {
            client_id: "client-pub".into(),
            app_type: Some(AppType::Spa),
            redirect_uris: vec!["https://spa.example/cb".into()],
            allowed_scopes: vec!["read".into()],
            allowed_origins: vec!["https://spa.example".into()],
            ..Default::default()
        })
        .unwrap(),
    );
    router(Arc::new(config), Arc::new(store), owner)
}

async fn body_json(response: HttpResponse) -> serde_json::Value {
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn token_request(content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, content_type)
        .header(header::AUTHORIZATION, CC_BASIC)
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn ten_megabyte_body_is_413_json() {
    let big = vec![b'a'; 10 * 1024 * 1024];
    let response = app(Arc::new(NoOwner::new()))
        .oneshot(token_request("application/x-www-form-urlencoded", big.clone()))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(body_json(response).await["error"], "invalid_request");

    // A declared Content-Length over the limit, at the authorization endpoint.
    let request = Request::post("/oauth/authorize")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big))
        .unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(body_json(response).await["error"], "invalid_request");

    // Exactly at the limit is read (and then refused by the core for what it says, not its size).
    let at_limit = vec![b'a'; MAX_INPUT_BYTES];
    let response = app(Arc::new(NoOwner::new()))
        .oneshot(token_request("application/x-www-form-urlencoded", at_limit))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unsupported_content_type_is_json_error() {
    let response = app(Arc::new(NoOwner::new()))
        .oneshot(token_request("text/plain", "grant_type=client_credentials"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert_eq!(body_json(response).await["error"], "invalid_request");
}

#[tokio::test]
async fn get_token_is_405() {
    let request = Request::get("/oauth/token?grant_type=client_credentials").body(Body::empty()).unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let request = Request::delete("/oauth/authorize").body(Body::empty()).unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn client_credentials_succeeds_with_form_and_json() {
    let response = app(Arc::new(NoOwner::new()))
        .oneshot(token_request("application/x-www-form-urlencoded", "grant_type=client_credentials&scope=read"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::PRAGMA], "no-cache");
    let json = body_json(response).await;
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["scope"], "read");
    assert!(json["access_token"].as_str().is_some_and(|t| t.len() == 43));
    assert!(json.get("refresh_token").is_none());

    let response = app(Arc::new(NoOwner::new()))
        .oneshot(token_request("application/json; charset=utf-8", r#"{"grant_type":"client_credentials"}"#))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn wrong_secret_is_401_with_challenge() {
    let request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, "Basic c3ZjLWE6d3Jvbmc=")
        .body(Body::from("grant_type=client_credentials"))
        .unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
}

const AUTHORIZE: &str = "/oauth/authorize?response_type=code&client_id=client-pub&state=s1\
    &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

#[tokio::test]
async fn null_owner_answers_login_required_with_hardened_headers() {
    let request = Request::get(AUTHORIZE).header(header::ORIGIN, "https://spa.example").body(Body::empty()).unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with("https://spa.example/cb?error=login_required&"), "{location}");
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], "frame-ancestors 'none'");
    assert_eq!(response.headers()[header::REFERRER_POLICY], "no-referrer");
    assert!(!response.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

#[tokio::test]
async fn errors_before_the_redirect_uri_is_valid_are_json() {
    let request = Request::get("/oauth/authorize?response_type=code&client_id=nobody").body(Body::empty()).unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(!response.headers().contains_key(header::LOCATION));
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
}

/// Approves every request as `u1`, setting a cookie, or shows a page when `page` is set.
struct Approve {
    page: bool,
}

impl OwnerInteraction for Approve {
    fn interact<'a>(&'a self, request: OwnerRequest<'a>, question: &'a NeedOwner) -> OwnerFuture<'a> {
        assert!(request.params.get("client_id").unwrap().is_some());
        let outcome = if self.page {
            OwnerOutcome::Respond(HttpResponse::new(Body::from("<p>login</p>")))
        } else {
            let mut headers = HeaderMap::new();
            headers.insert(header::SET_COOKIE, HeaderValue::from_static("s=1"));
            OwnerOutcome::Decide(OwnerDecision::Approve(Approval::new("u1".into(), question.now())), headers)
        };
        Box::pin(ready(outcome))
    }
}

#[tokio::test]
async fn approved_code_redeems_with_pkce() {
    let app = app(Arc::new(Approve { page: false }));
    let response = app.clone().oneshot(Request::get(AUTHORIZE).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[header::SET_COOKIE], "s=1");
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let code = location.split(['?', '&']).find_map(|p| p.strip_prefix("code=")).unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&client_id=client-pub&code={code}\
         &code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    );
    let request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body_json(response).await["scope"], "read");
}

#[tokio::test]
async fn hook_pages_get_anti_framing_headers() {
    let request = Request::post("/oauth/authorize")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(AUTHORIZE.split_once('?').unwrap().1.to_owned()))
        .unwrap();
    let response = app(Arc::new(Approve { page: true })).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(response.headers()[header::CONTENT_SECURITY_POLICY], "frame-ancestors 'none'");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
}

fn preflight_request(origin: &str) -> Request<Body> {
    Request::options("/oauth/token")
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type,authorization")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn preflight_answers_registered_origins_only_cors_04() {
    let response = app(Arc::new(NoOwner::new())).oneshot(preflight_request("https://spa.example")).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let h = response.headers();
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://spa.example");
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "POST");
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_HEADERS], "content-type,authorization");
    assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "600");
    assert!(h.get_all(header::VARY).iter().any(|v| v.to_str().unwrap().contains("origin")));
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());

    for origin in ["https://evil.example", "http://spa.example", "https://spa.example:8443", "null"] {
        let response = app(Arc::new(NoOwner::new())).oneshot(preflight_request(origin)).await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT, "{origin}");
        assert!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "{origin}");
    }
}

#[tokio::test]
async fn token_post_names_only_the_clients_origin_cors_01_02() {
    // svc-a allows no origin: a browser request is refused before anything is issued.
    let request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, CC_BASIC)
        .header(header::ORIGIN, "https://spa.example")
        .body(Body::from("grant_type=client_credentials"))
        .unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert_eq!(body_json(response).await["error"], "invalid_request");

    // client-pub from its own origin: the error is readable by that origin.
    let request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://spa.example")
        .body(Body::from("grant_type=authorization_code&client_id=client-pub&code=nope&code_verifier=x"))
        .unwrap();
    let response = app(Arc::new(NoOwner::new())).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://spa.example");
    assert_eq!(response.headers()[header::VARY], "Origin");
    assert_eq!(body_json(response).await["error"], "invalid_grant");
}

// ---- revocation, introspection, metadata, JWKS (issue 4) ----

fn app_with(config: Config, options: RouterOptions) -> Router {
    let store = MemoryStore::new();
    store.insert_client(
        Client::register(ClientRegistration {
            client_id: "svc-a".into(),
            app_type: Some(AppType::Web),
            secret_digests: vec![TokenDigest::of("s3cret-svc")],
            allowed_scopes: vec!["read".into()],
            allowed_grant_types: Some(vec![GrantType::ClientCredentials]),
            ..Default::default()
        })
        .unwrap(),
    );
    store.insert_client(
        Client::register(ClientRegistration {
            client_id: "client-pub".into(),
            app_type: Some(AppType::Spa),
            redirect_uris: vec!["https://spa.example/cb".into()],
            allowed_scopes: vec!["read".into()],
            allowed_origins: vec!["https://spa.example".into()],
            ..Default::default()
        })
        .unwrap(),
    );
    router_with(Arc::new(config), Arc::new(store), Arc::new(NoOwner::new()), options)
}

fn dev_config(issuer: &str) -> Config {
    Config::new_for_development(issuer, Arc::new(SeededEntropy::new(11))).unwrap()
}

async fn body_text(response: HttpResponse) -> String {
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn post(path: &str, content_type: &str, authorization: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, content_type);
    if let Some(a) = authorization {
        request = request.header(header::AUTHORIZATION, a);
    }
    request.body(body.into()).unwrap()
}

/// A client-credentials access token of svc-a with scope `read`.
async fn svc_token(app: &Router) -> String {
    let response = app
        .clone()
        .oneshot(token_request("application/x-www-form-urlencoded", "grant_type=client_credentials&scope=read"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    body_json(response).await["access_token"].as_str().unwrap().to_owned()
}

async fn introspect_as_svc(app: &Router, token: &str) -> serde_json::Value {
    let request =
        post("/oauth/introspect", "application/x-www-form-urlencoded", Some(CC_BASIC), format!("token={token}"));
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    body_json(response).await
}

#[tokio::test]
async fn introspection_answers_active_members_then_inactive_after_revocation() {
    let app = app_with(dev_config("http://127.0.0.1:8080"), RouterOptions::new());
    let token = svc_token(&app).await;
    let json = introspect_as_svc(&app, &token).await;
    let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["active", "aud", "client_id", "exp", "iat", "iss", "scope", "sub", "token_type"]);
    assert_eq!(json["active"], true);
    assert_eq!(json["client_id"], "svc-a");
    assert_eq!(json["scope"], "read");
    assert_eq!(json["iss"], "http://127.0.0.1:8080");
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["exp"].as_u64().unwrap() - json["iat"].as_u64().unwrap(), 3600);

    // Revoke with a form body: 200, empty body, no-store.
    let request = post("/oauth/revoke", "application/x-www-form-urlencoded", Some(CC_BASIC), format!("token={token}"));
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    assert!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert_eq!(body_text(response).await, "");
    assert_eq!(body_text_of(introspect_as_svc(&app, &token).await), r#"{"active":false}"#);

    // Unknown and malformed tokens: exactly {"active":false}.
    for unknown in ["nope", "a.b.c", "%00"] {
        assert_eq!(body_text_of(introspect_as_svc(&app, unknown).await), r#"{"active":false}"#, "{unknown}");
    }
}

fn body_text_of(json: serde_json::Value) -> String {
    serde_json::to_string(&json).unwrap()
}

#[tokio::test]
async fn revocation_accepts_json_and_answers_200_for_unknown_tokens() {
    let app = app_with(dev_config("http://127.0.0.1:8080"), RouterOptions::new());
    let token = svc_token(&app).await;
    let request = post(
        "/oauth/revoke",
        "application/json",
        Some(CC_BASIC),
        format!(r#"{{"token":"{token}","token_type_hint":"access_token"}}"#),
    );
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(introspect_as_svc(&app, &token).await["active"], false);

    // Unknown (and already revoked) tokens: 200 (RFC 7009 §2.2).
    for body in ["token=unknown-token", &format!("token={token}")] {
        let request = post("/oauth/revoke", "application/x-www-form-urlencoded", Some(CC_BASIC), body.to_owned());
        assert_eq!(app.clone().oneshot(request).await.unwrap().status(), StatusCode::OK);
    }
    // No token: 400 invalid_request; wrong secret: 401 with a challenge.
    let request = post("/oauth/revoke", "application/x-www-form-urlencoded", Some(CC_BASIC), "token_type_hint=x");
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(response).await["error"], "invalid_request");
    let request = post("/oauth/revoke", "application/x-www-form-urlencoded", Some("Basic c3ZjLWE6d3Jvbmc="), "token=x");
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    // Oversized body: 413 JSON, like the token endpoint.
    let big = vec![b'a'; MAX_INPUT_BYTES + 1];
    for path in ["/oauth/revoke", "/oauth/introspect"] {
        let request = post(path, "application/x-www-form-urlencoded", Some(CC_BASIC), big.clone());
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(body_json(response).await["error"], "invalid_request");
    }
}

#[tokio::test]
async fn revocation_from_a_browser_gets_cors_for_the_clients_origin_only() {
    let app = app_with(dev_config("http://127.0.0.1:8080"), RouterOptions::new());
    let mut preflight = preflight_request("https://spa.example");
    *preflight.uri_mut() = "/oauth/revoke".parse().unwrap();
    let response = app.clone().oneshot(preflight).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://spa.example");
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_METHODS], "POST");
    let mut preflight = preflight_request("https://evil.example");
    *preflight.uri_mut() = "/oauth/revoke".parse().unwrap();
    let response = app.clone().oneshot(preflight).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    // The public client revokes from its origin: readable by that origin.
    let request = Request::post("/oauth/revoke")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://spa.example")
        .body(Body::from("token=whatever&client_id=client-pub"))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://spa.example");
    // From another origin: refused, no CORS header.
    let request = Request::post("/oauth/revoke")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from("token=whatever&client_id=client-pub"))
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_ne!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
}

#[tokio::test]
async fn introspection_refuses_unauthenticated_callers() {
    let app = app_with(dev_config("http://127.0.0.1:8080"), RouterOptions::new());
    let request = post("/oauth/introspect", "application/x-www-form-urlencoded", None, "token=x");
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(response).await["error"], "invalid_client");
    // A bearer caller whose token is unknown: RFC 6750 challenge.
    let request = post("/oauth/introspect", "application/x-www-form-urlencoded", Some("Bearer nope"), "token=x");
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.starts_with("Bearer ") && challenge.contains("invalid_token"), "{challenge}");
    // A query string is refused.
    let request = post("/oauth/introspect?token=x", "application/x-www-form-urlencoded", Some(CC_BASIC), "token=x");
    assert_eq!(app.oneshot(request).await.unwrap().status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wrong_methods_are_405() {
    let app = app_with(dev_config("http://127.0.0.1:8080"), RouterOptions::new());
    for (method, path) in [
        (Method::GET, "/oauth/revoke"),
        (Method::GET, "/oauth/introspect"),
        (Method::PUT, "/oauth/introspect"),
        (Method::POST, "/.well-known/oauth-authorization-server"),
        (Method::DELETE, "/.well-known/oauth-authorization-server"),
    ] {
        let request = Request::builder().method(method.clone()).uri(path).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
}

async fn get_path(app: &Router, path: &str) -> HttpResponse {
    app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
}

#[tokio::test]
async fn metadata_is_public_json_generated_from_the_config() {
    let options = RouterOptions::new().with_scopes_supported(ScopeSet::parse("read write").unwrap());
    let app = app_with(dev_config("http://127.0.0.1:8080"), options);
    let response = get_path(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers();
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=3600");
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert!(h.get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS).is_none());
    let json = body_json(response).await;
    assert_eq!(
        json,
        serde_json::json!({
            "issuer": "http://127.0.0.1:8080",
            "authorization_endpoint": "http://127.0.0.1:8080/oauth/authorize",
            "token_endpoint": "http://127.0.0.1:8080/oauth/token",
            "revocation_endpoint": "http://127.0.0.1:8080/oauth/revoke",
            "introspection_endpoint": "http://127.0.0.1:8080/oauth/introspect",
            "scopes_supported": ["read", "write"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": json["grant_types_supported"].clone(),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
        })
    );
    let grants: Vec<&str> =
        json["grant_types_supported"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
    assert_eq!(grants, GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>());
    assert!(!grants.contains(&"implicit") && !grants.contains(&"password"));
    // No signer: no JWKS.
    assert_eq!(get_path(&app, "/oauth/jwks").await.status(), StatusCode::NOT_FOUND);

    // Without options: no scopes_supported member; plain PKCE only when enabled.
    let app = app_with(dev_config("http://127.0.0.1:8080").with_plain_pkce(true), RouterOptions::new());
    let json = body_json(get_path(&app, "/.well-known/oauth-authorization-server").await).await;
    assert!(json.get("scopes_supported").is_none());
    assert_eq!(json["code_challenge_methods_supported"], serde_json::json!(["S256", "plain"]));
}

#[tokio::test]
async fn metadata_of_an_issuer_with_a_path_is_served_at_the_rfc8414_path() {
    let app = app_with(dev_config("http://127.0.0.1:8080/t1/"), RouterOptions::new());
    for path in ["/.well-known/oauth-authorization-server/t1", "/.well-known/oauth-authorization-server"] {
        let response = get_path(&app, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let json = body_json(response).await;
        assert_eq!(json["issuer"], "http://127.0.0.1:8080/t1/");
        // The routes are mounted at the host's root, and the document says so.
        assert_eq!(json["token_endpoint"], "http://127.0.0.1:8080/oauth/token");
    }
    for path in [
        "/.well-known/oauth-authorization-server/t1/",
        "/.well-known/oauth-authorization-server/t2",
        "/.well-known/oauth-authorization-server/t1/x",
        "/t1/.well-known/oauth-authorization-server",
    ] {
        assert_eq!(get_path(&app, path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let request = Request::post("/.well-known/oauth-authorization-server/t1").body(Body::empty()).unwrap();
    assert_eq!(app.oneshot(request).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);

    // Paths axum would read as captures are still routed literally, and exactly. (`{` and `}`
    // are not URI characters, so the core refuses such an issuer.)
    assert!(Config::new("https://h.example/{t}", Arc::new(SeededEntropy::new(1))).is_err());
    for (issuer, path, other) in [
        (
            "https://h.example/a/:t",
            "/.well-known/oauth-authorization-server/a/:t",
            "/.well-known/oauth-authorization-server/a/x",
        ),
        (
            "https://h.example/*t",
            "/.well-known/oauth-authorization-server/*t",
            "/.well-known/oauth-authorization-server/t",
        ),
    ] {
        let config = Config::new(issuer, Arc::new(SeededEntropy::new(1))).unwrap();
        let app = app_with(config, RouterOptions::new());
        let request = Request::get(Uri::builder().path_and_query(path).build().unwrap()).body(Body::empty()).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{issuer}");
        assert_eq!(body_json(response).await["issuer"], issuer);
        assert_eq!(get_path(&app, other).await.status(), StatusCode::NOT_FOUND, "{issuer}");
    }
}

/// A test signer: HS256 underneath, claiming to publish a JWK Set.
struct Publishing(oauth_core::Hs256Signer);

impl oauth_core::JwsVerifier for Publishing {
    fn verify(&self, alg: &str, kid: Option<&str>, input: &[u8], signature: &[u8]) -> bool {
        self.0.verify(alg, kid, input, signature)
    }
}

impl oauth_core::TokenSigner for Publishing {
    fn algorithm(&self) -> &str {
        "HS256"
    }
    fn key_id(&self) -> Option<&str> {
        Some("k1")
    }
    fn sign(&self, input: &[u8]) -> Result<Vec<u8>, oauth_core::SignError> {
        self.0.sign(input)
    }
    fn jwks(&self) -> Option<String> {
        Some(r#"{"keys":[{"kty":"test","kid":"k1"}]}"#.to_owned())
    }
}

#[tokio::test]
async fn jwks_is_served_only_when_the_signer_publishes_keys() {
    let signer = oauth_core::Hs256Signer::new(&[9u8; 32], Some("k1".into())).unwrap();
    let config = dev_config("http://127.0.0.1:8080").with_jwt_access_tokens(Arc::new(Publishing(signer))).unwrap();
    let app = app_with(config, RouterOptions::new());
    let response = get_path(&app, "/oauth/jwks").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/jwk-set+json");
    assert_eq!(response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "public, max-age=300");
    assert_eq!(body_text(response).await, r#"{"keys":[{"kty":"test","kid":"k1"}]}"#);
    let json = body_json(get_path(&app, "/.well-known/oauth-authorization-server").await).await;
    assert_eq!(json["jwks_uri"], "http://127.0.0.1:8080/oauth/jwks");
    let request = Request::post("/oauth/jwks").body(Body::empty()).unwrap();
    assert_eq!(app.clone().oneshot(request).await.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED);

    // JWT access tokens are introspected and revoked through the same routes.
    let token = svc_token(&app).await;
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(introspect_as_svc(&app, &token).await["active"], true);
    let request = post("/oauth/revoke", "application/x-www-form-urlencoded", Some(CC_BASIC), format!("token={token}"));
    assert_eq!(app.clone().oneshot(request).await.unwrap().status(), StatusCode::OK);
    assert_eq!(body_text_of(introspect_as_svc(&app, &token).await), r#"{"active":false}"#);

    // A symmetric signer publishes nothing: 404 and no jwks_uri.
    let signer = oauth_core::Hs256Signer::new(&[9u8; 32], None).unwrap();
    let config = dev_config("http://127.0.0.1:8080").with_jwt_access_tokens(Arc::new(signer)).unwrap();
    let app = app_with(config, RouterOptions::new());
    assert_eq!(get_path(&app, "/oauth/jwks").await.status(), StatusCode::NOT_FOUND);
    let json = body_json(get_path(&app, "/.well-known/oauth-authorization-server").await).await;
    assert!(json.get("jwks_uri").is_none());
}
