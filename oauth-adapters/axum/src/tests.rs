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
