//! The resource-server check (RFC 6750) end to end: a small protected route, `GET /api/thing`
//! requiring scope `read`, behind each of the three validators, with tokens issued by a real
//! `oauth_axum::router` over a `MemoryStore` on an ephemeral loopback port. Every refusal is
//! checked for its exact status, `WWW-Authenticate` value and body.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, Method, Request, header};
use oauth_axum::bearer::{AccessToken, IntrospectionValidator, JwtValidator, RequireBearer, StoreValidator};
use oauth_core::jwt::{self, AccessTokenClaims};
use oauth_core::{
    AppType, Client, ClientRegistration, Config, GrantType, Hs256Signer, JwsVerifier, ScopeSet, TokenDigest,
    TokenSigner, TokenStore, UnixTime, Write,
};
use oauth_jose::{Algorithm, Jwks, KeySet, SigningKey};
use oauth_memory::{MemoryStore, OsEntropy};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// The browser origin the `app` client allows.
const APP_ORIGIN: &str = "https://app.example";
/// The challenge for a request without credentials (RS-02).
const BARE: &str = r#"Bearer realm="api""#;
const NOT_ACTIVE: &str = "the access token is not active";
const MALFORMED_JWT: &str = "the access token is malformed";
const WRONG_ORIGIN: &str = "the access token may not be used from this origin";

/// An authorization server on `127.0.0.1`, stopped when dropped.
struct Auth {
    base: String,
    config: Arc<Config>,
    store: Arc<MemoryStore>,
    signer: Arc<Hs256Signer>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Auth {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn client(id: &str, grants: Vec<GrantType>, scopes: &[&str], origins: &[&str]) -> Client {
    Client::register(ClientRegistration {
        client_id: id.into(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of(&format!("{id}-secret"))],
        allowed_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        allowed_grant_types: Some(grants),
        allowed_origins: origins.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    })
    .unwrap()
}

impl Auth {
    /// Starts a server issuing opaque tokens, or HS256 JWT access tokens when `jwt`.
    async fn start(jwt: bool) -> Self {
        let signer = Arc::new(Hs256Signer::new(&[7u8; 32], Some("k1".into())).unwrap());
        let jwt_signer = jwt.then(|| Arc::clone(&signer) as Arc<dyn TokenSigner>);
        Self::start_with(signer, jwt_signer).await
    }

    /// Starts a server signing JWT access tokens with `jwt_signer`, or issuing opaque ones.
    async fn start_with(signer: Arc<Hs256Signer>, jwt_signer: Option<Arc<dyn TokenSigner>>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = Config::new_for_development(base.clone(), Arc::new(OsEntropy::new())).unwrap();
        if let Some(jwt_signer) = jwt_signer {
            config = config.with_jwt_access_tokens(jwt_signer).unwrap();
        }
        let config = Arc::new(config);
        let store = Arc::new(MemoryStore::new());
        let cc = GrantType::ClientCredentials;
        store.insert_client(client("svc", vec![cc], &["read", "write"], &[]));
        store.insert_client(client("app", vec![cc, GrantType::UserImpersonation], &["read", "write"], &[APP_ORIGIN]));
        store.insert_client(client("rs", vec![cc], &["introspect"], &[]));
        let app = oauth_axum::router(Arc::clone(&config), Arc::clone(&store), Arc::new(oauth_axum::NoOwner::new()));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, config, store, signer, task }
    }

    /// A client-credentials access token of `client_id` with `scope` (RFC 6749 §4.4).
    async fn token(&self, client_id: &str, scope: &str) -> String {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("scope", scope)
            .finish();
        let response = http()
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(client_id, Some(format!("{client_id}-secret")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "token for {client_id}");
        let json: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        json["access_token"].as_str().unwrap().to_owned()
    }

    /// Revokes every credential of `token`'s grant directly in the store.
    fn revoke(&self, token: &str) {
        let now = oauth_axum::now();
        let key = jwt::access_token_key(&self.config, token, now).unwrap();
        let record = TokenStore::access_token(&*self.store, &key, now).unwrap().unwrap();
        TokenStore::revoke_grant(&*self.store, &record.grant_id, now).unwrap();
        assert!(TokenStore::access_token(&*self.store, &key, now).unwrap().is_none());
    }

    /// An opaque token, stored with `token`'s record but already expired.
    fn expired_copy(&self, token: &str) -> String {
        let now = oauth_axum::now();
        let key = jwt::access_token_key(&self.config, token, now).unwrap();
        let mut record = TokenStore::access_token(&*self.store, &key, now).unwrap().unwrap();
        record.issued_at = UnixTime::from_secs(now.as_secs() - 100);
        record.expires_at = UnixTime::from_secs(now.as_secs() - 10);
        let copy = format!("expired-{}", now.as_secs());
        let write = Write::AccessToken { key: TokenDigest::of(&copy), record };
        TokenStore::persist(&*self.store, vec![write], now).unwrap();
        copy
    }

    fn introspection(&self, client_id: &str, secret: &str) -> IntrospectionValidator {
        IntrospectionValidator::new(http(), &format!("{}/oauth/introspect", self.base), client_id, secret).unwrap()
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn read() -> ScopeSet {
    ScopeSet::parse("read").unwrap()
}

/// `GET /api/thing` behind `layer`, answering `<client_id> <sub> <scope>`.
fn api(layer: RequireBearer) -> Router {
    Router::new()
        .route("/api/thing", get(|t: AccessToken| async move { format!("{} {} {}", t.client_id, t.sub(), t.scope) }))
        .route_layer(layer)
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn challenge(&self) -> &str {
        self.headers.get(header::WWW_AUTHENTICATE).map_or("", |v| v.to_str().unwrap())
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts a refusal: status, exact challenge, exact body, no CORS header, no-store.
    fn refused(&self, status: u16, challenge: &str, body: &str) {
        assert_eq!((self.status, self.challenge(), self.body.as_str()), (status, challenge, body));
        assert_eq!(self.header(header::CACHE_CONTROL), Some("no-store"));
        assert_eq!(self.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
    }

    fn invalid_token(&self, description: &str) {
        self.refused(
            401,
            &format!(r#"Bearer realm="api", error="invalid_token", error_description="{description}""#),
            &format!(r#"{{"error":"invalid_token","error_description":"{description}"}}"#),
        );
    }

    fn invalid_request(&self, description: &str) {
        self.refused(
            400,
            &format!(r#"Bearer realm="api", error="invalid_request", error_description="{description}""#),
            &format!(r#"{{"error":"invalid_request","error_description":"{description}"}}"#),
        );
    }

    fn ok(&self, body: &str) {
        assert_eq!((self.status, self.body.as_str()), (200, body));
        assert_eq!(self.challenge(), "");
    }
}

async fn call(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = String::from_utf8(to_bytes(response.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    Answer { status, headers, body }
}

async fn get_thing(app: &Router, headers: &[(&str, &str)]) -> Answer {
    call(app, Method::GET, "/api/thing", headers).await
}

/// The cases every validator answers alike. `unknown` is the description of the refusal of a
/// token the validator has never seen.
async fn common_cases(auth: &Auth, layer: &RequireBearer, unknown: &str) {
    let app = api(layer.clone());
    let read_token = auth.token("svc", "read").await;
    let bearer = format!("Bearer {read_token}");

    // No credentials: 401, a bare challenge without an error code, body `{}` (RS-02).
    get_thing(&app, &[]).await.refused(401, BARE, "{}");
    // The scheme name in any case (RS-01).
    for scheme in ["Bearer", "bearer", "BEARER"] {
        get_thing(&app, &[("authorization", &format!("{scheme} {read_token}"))]).await.ok("svc client:svc read");
    }
    // Malformed headers and two headers: 400 invalid_request.
    get_thing(&app, &[("authorization", "Bearer a b")]).await.invalid_request("the bearer token is malformed");
    get_thing(&app, &[("authorization", "Bearer")]).await.invalid_request("the bearer token is malformed");
    // Another scheme is an unsupported authentication method: a bare challenge (RFC 6750 §3.1).
    get_thing(&app, &[("authorization", "Basic c3ZjOnN2Yy1zZWNyZXQ=")]).await.refused(
        401,
        r#"Bearer realm="api""#,
        "{}",
    );
    get_thing(&app, &[("authorization", &bearer), ("authorization", &bearer)])
        .await
        .invalid_request("send one Authorization header");
    get_thing(&app, &[("authorization", "Basic c3ZjOnN2Yy1zZWNyZXQ="), ("authorization", &bearer)])
        .await
        .invalid_request("send one Authorization header");
    // An unknown token: 401 invalid_token (RS-03).
    get_thing(&app, &[("authorization", "Bearer unknown-token")]).await.invalid_token(unknown);

    // A valid token without the required scope: 403 naming the scope (RS-04).
    let write_only = auth.token("svc", "write").await;
    get_thing(&app, &[("authorization", &format!("Bearer {write_only}"))]).await.refused(
        403,
        r#"Bearer realm="api", error="insufficient_scope", error_description="the access token lacks a required scope", scope="read""#,
        r#"{"error":"insufficient_scope","error_description":"the access token lacks a required scope"}"#,
    );

    // A token in the query string is ignored by default: no credentials (RS-06).
    let query_uri = format!("/api/thing?access_token={read_token}");
    call(&app, Method::GET, &query_uri, &[]).await.refused(401, BARE, "{}");
    // Header and query together: 400 (RS-05), with or without the opt-in.
    call(&app, Method::GET, &query_uri, &[("authorization", &bearer)])
        .await
        .invalid_request("the access token was sent in more than one way");
    let with_query = api(layer.clone().allow_query_token(true));
    let accepted = call(&with_query, Method::GET, &query_uri, &[]).await;
    accepted.ok("svc client:svc read");
    assert_eq!(accepted.header(header::CACHE_CONTROL), Some("private"));
    call(&with_query, Method::GET, &query_uri, &[("authorization", &bearer)])
        .await
        .invalid_request("the access token was sent in more than one way");
    call(&with_query, Method::GET, "/api/thing?access_token=", &[])
        .await
        .invalid_request("the access_token query parameter is malformed");
    call(&with_query, Method::GET, "/api/thing?access_token=a%20b", &[])
        .await
        .invalid_request("the bearer token is malformed");

    // Origins (RS-08): a token whose client allows no origin, from a browser page: 401.
    get_thing(&app, &[("authorization", &bearer), ("origin", APP_ORIGIN)]).await.invalid_token(WRONG_ORIGIN);
    let app_token = format!("Bearer {}", auth.token("app", "read").await);
    // The allowed origin: 200 with that origin (never `*`) and `Vary: Origin`.
    let allowed = get_thing(&app, &[("authorization", &app_token), ("origin", APP_ORIGIN)]).await;
    allowed.ok("app client:app read");
    assert_eq!(allowed.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some(APP_ORIGIN));
    assert_eq!(allowed.header(header::VARY), Some("Origin"));
    // Exact comparison of the serialized origin (CORS-03).
    for other in ["http://app.example", "https://app.example:8443", "https://evil.example", "null"] {
        get_thing(&app, &[("authorization", &app_token), ("origin", other)]).await.invalid_token(WRONG_ORIGIN);
    }
    // Two Origin headers never match.
    get_thing(&app, &[("authorization", &app_token), ("origin", APP_ORIGIN), ("origin", APP_ORIGIN)])
        .await
        .invalid_token(WRONG_ORIGIN);
    // Without an Origin (not a browser): allowed, no CORS header.
    let plain = get_thing(&app, &[("authorization", &app_token)]).await;
    plain.ok("app client:app read");
    assert_eq!(plain.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
    // A 403 to an allowed origin is readable by that page.
    let app_write = format!("Bearer {}", auth.token("app", "write").await);
    let forbidden = get_thing(&app, &[("authorization", &app_write), ("origin", APP_ORIGIN)]).await;
    assert_eq!(forbidden.status, 403);
    assert_eq!(forbidden.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some(APP_ORIGIN));

    // A CORS preflight carries no token and is not refused by the layer.
    let preflight =
        call(&app, Method::OPTIONS, "/api/thing", &[("origin", APP_ORIGIN), ("access-control-request-method", "GET")])
            .await;
    assert_ne!(preflight.status, 401);
    assert_eq!(preflight.challenge(), "");

    // A refusal never echoes the token.
    let refused = get_thing(&app, &[("authorization", &format!("Bearer {write_only}"))]).await;
    assert!(!refused.body.contains(&write_only) && !refused.challenge().contains(&write_only));
}

#[tokio::test]
async fn store_validator() {
    let auth = Auth::start(false).await;
    let layer =
        RequireBearer::new(StoreValidator::new(Arc::clone(&auth.store), Arc::clone(&auth.config)), read()).realm("api");
    common_cases(&auth, &layer, NOT_ACTIVE).await;
    let app = api(layer.clone());

    // Expired and revoked tokens: 401 invalid_token (RS-03).
    let token = auth.token("svc", "read").await;
    let expired = auth.expired_copy(&token);
    get_thing(&app, &[("authorization", &format!("Bearer {expired}"))]).await.invalid_token(NOT_ACTIVE);
    get_thing(&app, &[("authorization", &format!("Bearer {token}"))]).await.ok("svc client:svc read");
    auth.revoke(&token);
    get_thing(&app, &[("authorization", &format!("Bearer {token}"))]).await.invalid_token(NOT_ACTIVE);

    // The check itself, at a later time: the token has expired by then.
    let fresh = auth.token("svc", "read").await;
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, format!("Bearer {fresh}").parse().unwrap());
    let uri: http::Uri = "/api/thing".parse().unwrap();
    let now = oauth_axum::now();
    assert_eq!(layer.check(&headers, &uri, now).await.unwrap().client_id, "svc");
    let later = UnixTime::from_secs(now.as_secs() + 3600);
    assert_eq!(layer.check(&headers, &uri, later).await.unwrap_err().code(), Some("invalid_token"));

    // Another realm; a realm with a quote loses it.
    let odd = api(layer.clone().realm("my \"api\""));
    get_thing(&odd, &[]).await.refused(401, r#"Bearer realm="my api""#, "{}");
    // No required scope: any valid token.
    let any = api(RequireBearer::new(
        StoreValidator::new(Arc::clone(&auth.store), Arc::clone(&auth.config)),
        ScopeSet::new(),
    ));
    let write_only = auth.token("svc", "write").await;
    get_thing(&any, &[("authorization", &format!("Bearer {write_only}"))]).await.ok("svc client:svc write");
}

#[tokio::test]
async fn store_validator_with_jwt_access_tokens() {
    let auth = Auth::start(true).await;
    let layer = RequireBearer::new(StoreValidator::new(Arc::clone(&auth.store), Arc::clone(&auth.config)), read());
    let app = api(layer);
    let token = auth.token("svc", "read").await;
    assert!(jwt::looks_like_jwt(&token));
    get_thing(&app, &[("authorization", &format!("Bearer {token}"))]).await.ok("svc client:svc read");
    // A JWT signed with another key has no store key at all.
    let other = Hs256Signer::new(&[9u8; 32], Some("k1".into())).unwrap();
    let forged = jwt::encode(&other, &claims(&auth, |_| {})).unwrap();
    get_thing(&app, &[("authorization", &format!("Bearer {forged}"))]).await.invalid_token(NOT_ACTIVE);
    auth.revoke(&token);
    get_thing(&app, &[("authorization", &format!("Bearer {token}"))]).await.invalid_token(NOT_ACTIVE);
}

#[tokio::test]
async fn introspection_validator() {
    let auth = Auth::start(false).await;
    let layer = RequireBearer::new(auth.introspection("rs", "rs-secret"), read()).realm("api");
    common_cases(&auth, &layer, NOT_ACTIVE).await;
    let app = api(layer);

    let token = auth.token("svc", "read").await;
    let expired = auth.expired_copy(&token);
    get_thing(&app, &[("authorization", &format!("Bearer {expired}"))]).await.invalid_token(NOT_ACTIVE);
    get_thing(&app, &[("authorization", &format!("Bearer {token}"))]).await.ok("svc client:svc read");
    auth.revoke(&token);
    get_thing(&app, &[("authorization", &format!("Bearer {token}"))]).await.invalid_token(NOT_ACTIVE);

    // The expected audience and issuer, when set, must match the answer.
    let fresh = format!("Bearer {}", auth.token("svc", "read").await);
    let strict = api(RequireBearer::new(
        auth.introspection("rs", "rs-secret").expect_issuer(&auth.base).expect_audience(&auth.base),
        read(),
    ));
    get_thing(&strict, &[("authorization", &fresh)]).await.ok("svc client:svc read");
    let elsewhere =
        api(RequireBearer::new(auth.introspection("rs", "rs-secret").expect_audience("https://other.example"), read()));
    get_thing(&elsewhere, &[("authorization", &fresh)]).await.invalid_token("the access token is for another audience");
    let foreign =
        api(RequireBearer::new(auth.introspection("rs", "rs-secret").expect_issuer("https://other.example"), read()));
    get_thing(&foreign, &[("authorization", &fresh)]).await.invalid_token("the access token is from another issuer");

    // Wrong credentials at the introspection endpoint: the resource server is misconfigured, 500.
    let wrong = api(RequireBearer::new(auth.introspection("rs", "not-the-secret"), read()));
    let failed = get_thing(&wrong, &[("authorization", &fresh)]).await;
    assert_eq!((failed.status, failed.body.as_str(), failed.challenge()), (500, r#"{"error":"server_error"}"#, ""));

    // The endpoint unreachable: 503, no challenge.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_url = format!("http://{}/oauth/introspect", closed.local_addr().unwrap());
    drop(closed);
    let down =
        api(RequireBearer::new(IntrospectionValidator::new(http(), &closed_url, "rs", "rs-secret").unwrap(), read()));
    let unavailable = get_thing(&down, &[("authorization", &fresh)]).await;
    assert_eq!(
        (unavailable.status, unavailable.body.as_str(), unavailable.challenge()),
        (503, r#"{"error":"temporarily_unavailable"}"#, "")
    );

    // An endpoint that accepts but never answers: 503 after the timeout.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/oauth/introspect", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        for _ in 0..4 {
            if let Ok((socket, _)) = silent.accept().await {
                held.push(socket);
            }
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let slow = api(RequireBearer::new(
        IntrospectionValidator::new(http(), &silent_url, "rs", "rs-secret")
            .unwrap()
            .timeout(Duration::from_millis(300)),
        read(),
    ));
    let started = std::time::Instant::now();
    assert_eq!(get_thing(&slow, &[("authorization", &fresh)]).await.status, 503);
    assert!(started.elapsed() < Duration::from_secs(10));
    hold.abort();

    // Construction refuses an endpoint that is not an absolute http(s) URL.
    for bad in ["/oauth/introspect", "ftp://h.example/x", "not a url"] {
        assert!(IntrospectionValidator::new(http(), bad, "rs", "s").is_err(), "{bad}");
    }
    // Debug shows no secret.
    let shown = format!("{:?}", auth.introspection("rs", "rs-secret"));
    assert!(!shown.contains("rs-secret") && !shown.contains("cnM6cnMtc2VjcmV0"), "{shown}");
}

/// Claims like the server's for `svc` with scope `read`, changed by `edit`.
fn claims(auth: &Auth, edit: impl FnOnce(&mut Value)) -> AccessTokenClaims {
    let now = oauth_axum::now().as_secs();
    let mut v = json!({
        "iss": auth.base, "sub": "client:svc", "aud": auth.base, "exp": now + 600, "iat": now,
        "jti": format!("crafted-{now}"), "client_id": "svc", "scope": "read",
    });
    edit(&mut v);
    serde_json::from_value(v).unwrap()
}

/// A compact JWS of `claims` with `header`, signed by `signer` (or with an empty signature).
fn sign_with_header(header: &Value, claims: &AccessTokenClaims, signer: Option<&Hs256Signer>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_string(claims).unwrap())
    );
    let signature = signer.map(|s| s.sign(input.as_bytes()).unwrap()).unwrap_or_default();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[tokio::test]
async fn jwt_validator() {
    let auth = Auth::start(true).await;
    let verifier: Arc<dyn JwsVerifier> = Arc::clone(&auth.signer) as Arc<dyn JwsVerifier>;
    let local = RequireBearer::new(JwtValidator::new(Arc::clone(&verifier), &auth.base, &auth.base), read());
    common_cases(&auth, &local, MALFORMED_JWT).await;
    let app = api(local);
    let bearer = |t: &str| format!("Bearer {t}");

    // A well-formed token of our own making is accepted: the local check needs no store.
    let good = jwt::encode(&*auth.signer, &claims(&auth, |_| {})).unwrap();
    get_thing(&app, &[("authorization", &bearer(&good))]).await.ok("svc client:svc read");

    // JWT-05: each of these is 401 invalid_token.
    let id_token = sign_with_header(
        &json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}),
        &claims(&auth, |_| {}),
        Some(&auth.signer),
    );
    get_thing(&app, &[("authorization", &bearer(&id_token))]).await.invalid_token("the token is not an access token");
    let no_typ = sign_with_header(&json!({"alg": "HS256"}), &claims(&auth, |_| {}), Some(&auth.signer));
    get_thing(&app, &[("authorization", &bearer(&no_typ))]).await.invalid_token("the token is not an access token");
    let wrong_iss = jwt::encode(&*auth.signer, &claims(&auth, |c| c["iss"] = json!("https://other.example"))).unwrap();
    get_thing(&app, &[("authorization", &bearer(&wrong_iss))])
        .await
        .invalid_token("the access token is from another issuer");
    let wrong_aud = jwt::encode(&*auth.signer, &claims(&auth, |c| c["aud"] = json!("https://other.example"))).unwrap();
    get_thing(&app, &[("authorization", &bearer(&wrong_aud))])
        .await
        .invalid_token("the access token is for another audience");
    let now = oauth_axum::now().as_secs();
    let expired = jwt::encode(
        &*auth.signer,
        &claims(&auth, |c| {
            c["iat"] = json!(now - 100);
            c["exp"] = json!(now - 10);
        }),
    )
    .unwrap();
    get_thing(&app, &[("authorization", &bearer(&expired))]).await.invalid_token(NOT_ACTIVE);
    let other_key = Hs256Signer::new(&[9u8; 32], Some("k1".into())).unwrap();
    let bad_signature = jwt::encode(&other_key, &claims(&auth, |_| {})).unwrap();
    get_thing(&app, &[("authorization", &bearer(&bad_signature))])
        .await
        .invalid_token("the access token signature is invalid");
    let alg_none = sign_with_header(&json!({"alg": "none", "typ": "at+jwt"}), &claims(&auth, |_| {}), None);
    assert!(alg_none.ends_with('.'));
    get_thing(&app, &[("authorization", &bearer(&alg_none))])
        .await
        .invalid_token("the access token signature is invalid");
    let tampered = {
        let parts: Vec<&str> = good.split('.').collect();
        let more = claims(&auth, |c| c["scope"] = json!("read write"));
        format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(serde_json::to_string(&more).unwrap()), parts[2])
    };
    get_thing(&app, &[("authorization", &bearer(&tampered))])
        .await
        .invalid_token("the access token signature is invalid");
    let bad_scope = jwt::encode(&*auth.signer, &claims(&auth, |c| c["scope"] = json!("read  write"))).unwrap();
    get_thing(&app, &[("authorization", &bearer(&bad_scope))]).await.invalid_token(MALFORMED_JWT);

    // Impersonation-style claims: the actor and the allowed origins come from the token.
    let acted = jwt::encode(
        &*auth.signer,
        &claims(&auth, |c| {
            c["sub"] = json!("alice");
            c["client_id"] = json!("app");
            c["act"] = json!({"sub": "app"});
            c["allowed-origins"] = json!([APP_ORIGIN]);
        }),
    )
    .unwrap();
    let seen = get_thing(&app, &[("authorization", &bearer(&acted)), ("origin", APP_ORIGIN)]).await;
    seen.ok("app alice read");
    assert_eq!(seen.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some(APP_ORIGIN));

    // Revocation: invisible to the purely local check before `exp`, seen with the store check.
    let issued = auth.token("svc", "read").await;
    let checked = api(RequireBearer::new(
        JwtValidator::new(Arc::clone(&verifier), &auth.base, &auth.base)
            .with_revocation_check(Arc::clone(&auth.store), Arc::clone(&auth.config)),
        read(),
    ));
    get_thing(&checked, &[("authorization", &bearer(&issued))]).await.ok("svc client:svc read");
    // A token the store never saw (our own `good`) is refused by the store check.
    get_thing(&checked, &[("authorization", &bearer(&good))]).await.invalid_token(NOT_ACTIVE);
    auth.revoke(&issued);
    get_thing(&app, &[("authorization", &bearer(&issued))]).await.ok("svc client:svc read");
    get_thing(&checked, &[("authorization", &bearer(&issued))]).await.invalid_token(NOT_ACTIVE);
}

#[tokio::test]
async fn jwt_validator_with_the_published_jwks() {
    let keys = KeySet::new(SigningKey::generate(Algorithm::Es256).unwrap().with_key_id("es-1"));
    let hs = Arc::new(Hs256Signer::new(&[7u8; 32], None).unwrap());
    let auth = Auth::start_with(hs, Some(Arc::new(keys))).await;
    let document = http().get(format!("{}/oauth/jwks", auth.base)).send().await.unwrap().text().await.unwrap();
    let jwks: Arc<dyn JwsVerifier> = Arc::new(Jwks::from_json(&document).unwrap());
    let app = api(RequireBearer::new(JwtValidator::new(jwks, &auth.base, &auth.base), read()));
    let token = auth.token("svc", "read").await;
    get_thing(&app, &[("authorization", &format!("Bearer {token}"))]).await.ok("svc client:svc read");
    // The same claims signed by another ES256 key with the same kid: refused.
    let other = KeySet::new(SigningKey::generate(Algorithm::Es256).unwrap().with_key_id("es-1"));
    let forged = jwt::encode(&other, &claims(&auth, |_| {})).unwrap();
    get_thing(&app, &[("authorization", &format!("Bearer {forged}"))])
        .await
        .invalid_token("the access token signature is invalid");
}

#[tokio::test]
async fn extractor_without_the_layer_refuses() {
    let app = Router::new().route("/api/thing", get(|t: AccessToken| async move { t.client_id }));
    get_thing(&app, &[("authorization", "Bearer whatever")]).await.refused(401, BARE, "{}");
}
