//! The token lifecycle over real HTTP: revocation (RFC 7009), introspection (RFC 7662), the
//! metadata document (RFC 8414) compared with what the endpoints do, and JWT access tokens
//! (RFC 9068) signed with ES256, EdDSA and HS256 and published at `/oauth/jwks`.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Server, VERIFIER, authorize_params, http, redeem_code, with};
use oauth_jose::{Algorithm, SigningKey};
use oauth_server::ServerConfig;
use serde_json::{Value, json};

const CLIENTS: &str = r#"
[[clients]]
client_id = "client-a"
app_type = "web"
client_secret = "secret-a"
redirect_uris = ["https://app.example/cb"]
allowed_scopes = ["read", "write", "offline_access"]
consent = "trusted"

[[clients]]
client_id = "client-b"
app_type = "web"
client_secret = "secret-b"
redirect_uris = ["https://b.example/cb"]
allowed_scopes = ["read", "offline_access"]
consent = "trusted"

[[clients]]
client_id = "svc"
app_type = "web"
client_secret = "secret-svc"
allowed_scopes = ["read"]
allowed_grant_types = ["client_credentials"]

[[clients]]
client_id = "rs"
app_type = "web"
client_secret = "secret-rs"
allowed_scopes = ["introspect"]
allowed_grant_types = ["client_credentials"]

[[clients]]
client_id = "imp"
app_type = "web"
client_secret = "secret-imp"
allowed_scopes = ["user_default"]
allowed_grant_types = ["urn:qlik:oauth:user-impersonation"]
allowed_origins = ["https://portal.example"]

[[clients]]
client_id = "spa"
app_type = "spa"
redirect_uris = ["https://spa.example/cb"]
allowed_scopes = ["read", "offline_access"]
allowed_origins = ["https://spa.example"]
consent = "trusted"

[[users]]
id = "user-1"
subject = "auth0|user-1"
password = "pw-1"
"#;

/// The test configuration: `dev_login` (approves at once), the clients and users, then
/// `extra` (tables such as `[access_tokens]`).
fn config_text(extra: &str) -> String {
    format!("dev_login = \"user-1\"\n{CLIENTS}\n{extra}\n")
}

async fn start(extra: &str) -> Server {
    start_in(extra, std::env::temp_dir()).await
}

async fn start_in(extra: &str, dir: PathBuf) -> Server {
    let config = ServerConfig::from_toml_in(&config_text(extra), &dir).unwrap();
    Server::start(config).await
}

/// A POST of `form` to `path`, with HTTP Basic `client` when given.
async fn post_form(
    server: &Server,
    path: &str,
    client: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = http().post(server.url(path)).form(form);
    if let Some((id, secret)) = client {
        request = request.basic_auth(id, Some(secret));
    }
    request.send().await.unwrap()
}

async fn json_of(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The body of an introspection of `token` by `rs` (allowed the introspection scope): 200,
/// JSON, no-store, and the body as text (to compare exactly).
async fn introspect(server: &Server, caller: (&str, &str), token: &str) -> String {
    let response = post_form(server, "/oauth/introspect", Some(caller), &[("token", token)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.text().await.unwrap()
}

const RS: (&str, &str) = ("rs", "secret-rs");
const INACTIVE: &str = r#"{"active":false}"#;

/// Runs the authorization code flow for `client_id` (dev_login approves at once): the
/// redirect's query parameters and the token response.
async fn code_flow(
    server: &Server,
    client_id: &str,
    secret: Option<&str>,
    redirect_uri: &str,
    scope: &str,
) -> (Vec<(String, String)>, Value) {
    let params = authorize_params(client_id, redirect_uri, scope, "st", &[]);
    let response = http().get(server.url("/oauth/authorize")).query(&params).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = reqwest::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let query: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let code = query.iter().find(|(k, _)| k == "code").map(|(_, v)| v.clone()).expect("a code");
    let response = match secret {
        Some(secret) => redeem_code(&server.base, client_id, secret, &code, redirect_uri).await,
        None => {
            post_form(
                server,
                "/oauth/token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", client_id),
                    ("code", &code),
                    ("redirect_uri", redirect_uri),
                    ("code_verifier", VERIFIER),
                ],
            )
            .await
        }
    };
    assert_eq!(response.status(), 200);
    (query, json_of(response).await)
}

fn field(json: &Value, name: &str) -> String {
    json[name].as_str().unwrap_or_else(|| panic!("{name} in {json}")).to_owned()
}

async fn refresh(server: &Server, client: (&str, &str), refresh_token: &str) -> reqwest::Response {
    post_form(
        server,
        "/oauth/token",
        Some(client),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
    )
    .await
}

async fn client_credentials(server: &Server, client: (&str, &str), scope: &str) -> String {
    let response =
        post_form(server, "/oauth/token", Some(client), &[("grant_type", "client_credentials"), ("scope", scope)])
            .await;
    assert_eq!(response.status(), 200);
    field(&json_of(response).await, "access_token")
}

const A: (&str, &str) = ("client-a", "secret-a");

#[tokio::test]
async fn revoking_a_refresh_token_with_a_form_kills_its_grant() {
    let server = start("").await;
    let (_, tokens) =
        code_flow(&server, "client-a", Some("secret-a"), "https://app.example/cb", "read offline_access").await;
    let (at, rt) = (field(&tokens, "access_token"), field(&tokens, "refresh_token"));
    assert!(introspect(&server, RS, &at).await.starts_with(r#"{"active":true"#));

    // Another client may not revoke it (D7): refused, and the tokens stay valid.
    let response = post_form(&server, "/oauth/revoke", Some(("client-b", "secret-b")), &[("token", &rt)]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(json_of(response).await["error"], "unauthorized_client");
    assert!(introspect(&server, RS, &rt).await.starts_with(r#"{"active":true"#));

    let response =
        post_form(&server, "/oauth/revoke", Some(A), &[("token", &rt), ("token_type_hint", "refresh_token")]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.text().await.unwrap(), "");

    let response = refresh(&server, A, &rt).await;
    assert_eq!(response.status(), 400);
    assert_eq!(json_of(response).await["error"], "invalid_grant");
    assert_eq!(introspect(&server, RS, &at).await, INACTIVE);
    assert_eq!(introspect(&server, RS, &rt).await, INACTIVE);

    // Again, and an unknown token: 200 (RFC 7009 §2.2).
    for token in [rt.as_str(), "never-issued"] {
        let response = post_form(&server, "/oauth/revoke", Some(A), &[("token", token)]).await;
        assert_eq!(response.status(), 200);
    }
    server.stop().await;
}

#[tokio::test]
async fn revoking_an_access_token_with_json_kills_its_grant() {
    let server = start("").await;
    let (_, tokens) =
        code_flow(&server, "client-a", Some("secret-a"), "https://app.example/cb", "read offline_access").await;
    let (at, rt) = (field(&tokens, "access_token"), field(&tokens, "refresh_token"));
    let response = http()
        .post(server.url("/oauth/revoke"))
        .basic_auth("client-a", Some("secret-a"))
        .json(&json!({"token": at, "token_type_hint": "access_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(introspect(&server, RS, &at).await, INACTIVE);
    assert_eq!(refresh(&server, A, &rt).await.status(), 400);

    // A public client revokes with its client_id, from its allowed origin (REV-08).
    let (_, tokens) = code_flow(&server, "spa", None, "https://spa.example/cb", "read offline_access").await;
    let rt = field(&tokens, "refresh_token");
    let response = http()
        .post(server.url("/oauth/revoke"))
        .header("origin", "https://spa.example")
        .json(&json!({"token": rt, "client_id": "spa"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["access-control-allow-origin"], "https://spa.example");
    let response = post_form(
        &server,
        "/oauth/token",
        None,
        &[("grant_type", "refresh_token"), ("client_id", "spa"), ("refresh_token", &rt)],
    )
    .await;
    assert_eq!(json_of(response).await["error"], "invalid_grant");
    server.stop().await;
}

#[tokio::test]
async fn introspection_answers_have_exact_shapes() {
    let server = start("").await;
    let (_, tokens) =
        code_flow(&server, "client-a", Some("secret-a"), "https://app.example/cb", "read offline_access").await;
    let (at, rt) = (field(&tokens, "access_token"), field(&tokens, "refresh_token"));
    let active: Value = serde_json::from_str(&introspect(&server, RS, &at).await).unwrap();
    let (iat, exp) = (active["iat"].as_u64().unwrap(), active["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 3600);
    assert_eq!(
        active,
        json!({
            "active": true, "scope": "offline_access read", "client_id": "client-a", "sub": "auth0|user-1",
            "exp": exp, "iat": iat, "iss": server.base, "aud": server.base, "token_type": "Bearer",
        })
    );
    let refresh_answer: Value = serde_json::from_str(&introspect(&server, RS, &rt).await).unwrap();
    assert_eq!(refresh_answer["active"], true);
    assert_eq!(refresh_answer["client_id"], "client-a");
    assert!(refresh_answer.get("token_type").is_none());

    // The issuing client may introspect its own token; another client without the
    // introspection scope sees nothing (RFC 7662 §4).
    assert!(introspect(&server, A, &at).await.starts_with(r#"{"active":true"#));
    assert_eq!(introspect(&server, ("svc", "secret-svc"), &at).await, INACTIVE);

    // A bearer token carrying the introspection scope may introspect too.
    let bearer = client_credentials(&server, RS, "introspect").await;
    let response = http()
        .post(server.url("/oauth/introspect"))
        .bearer_auth(&bearer)
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(response).await, active);
    // A bearer token without it is refused (RFC 6750 §3.1).
    let weak = client_credentials(&server, ("svc", "secret-svc"), "read").await;
    let response = http()
        .post(server.url("/oauth/introspect"))
        .bearer_auth(&weak)
        .form(&[("token", at.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.headers()["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
    // No credentials at all: 401.
    let response = post_form(&server, "/oauth/introspect", None, &[("token", &at)]).await;
    assert_eq!(response.status(), 401);

    // Impersonation tokens carry the acting client and the allowed origins.
    let response = post_form(
        &server,
        "/oauth/token",
        Some(("imp", "secret-imp")),
        &[
            ("grant_type", "urn:qlik:oauth:user-impersonation"),
            ("user_lookup", r#"{"field":"userId","value":"user-1"}"#),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let imp = field(&json_of(response).await, "access_token");
    let answer: Value = serde_json::from_str(&introspect(&server, RS, &imp).await).unwrap();
    assert_eq!(answer["sub"], "auth0|user-1");
    assert_eq!(answer["client_id"], "imp");
    assert_eq!(answer["act"], json!({"sub": "imp"}));
    assert_eq!(answer["allowed-origins"], json!(["https://portal.example"]));

    // Unknown, malformed and JWT-shaped tokens: exactly {"active":false}.
    for token in ["unknown", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", &"x".repeat(4000)] {
        assert_eq!(introspect(&server, RS, token).await, INACTIVE);
    }
    server.stop().await;
}

#[tokio::test]
async fn expired_tokens_are_inactive() {
    let server = start("[lifetimes]\naccess_token = 1").await;
    let at = client_credentials(&server, ("svc", "secret-svc"), "read").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(introspect(&server, RS, &at).await, INACTIVE);
    server.stop().await;
}

#[tokio::test]
async fn metadata_matches_what_the_endpoints_do() {
    let server = start("").await;
    let response = http().get(server.url("/.well-known/oauth-authorization-server")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers()["cache-control"].to_str().unwrap().starts_with("public, max-age="));
    let meta = json_of(response).await;
    let members: Vec<&str> = meta.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        members,
        [
            "authorization_endpoint",
            "authorization_response_iss_parameter_supported",
            "code_challenge_methods_supported",
            "grant_types_supported",
            "introspection_endpoint",
            "introspection_endpoint_auth_methods_supported",
            "issuer",
            "response_modes_supported",
            "response_types_supported",
            "revocation_endpoint",
            "revocation_endpoint_auth_methods_supported",
            "scopes_supported",
            "token_endpoint",
            "token_endpoint_auth_methods_supported",
        ]
    );

    // issuer: byte-identical to the iss of an authorization response (RFC 9207).
    let (query, tokens) =
        code_flow(&server, "client-a", Some("secret-a"), "https://app.example/cb", "read offline_access").await;
    let iss = query.iter().find(|(k, _)| k == "iss").map(|(_, v)| v.clone());
    assert_eq!(meta["issuer"].as_str(), iss.as_deref());
    assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    // Endpoint URLs are where the endpoints answer.
    assert_eq!(meta["authorization_endpoint"], server.url("/oauth/authorize"));
    assert_eq!(meta["token_endpoint"], server.url("/oauth/token"));
    assert_eq!(meta["revocation_endpoint"], server.url("/oauth/revoke"));
    assert_eq!(meta["introspection_endpoint"], server.url("/oauth/introspect"));
    for member in ["token_endpoint", "revocation_endpoint", "introspection_endpoint"] {
        let response = http().post(meta[member].as_str().unwrap()).form(&[("x", "y")]).send().await.unwrap();
        // No credentials and no token: an OAuth error, not a missing route.
        assert!([400, 401].contains(&response.status().as_u16()), "{member}: {}", response.status());
        assert!(json_of(response).await["error"].is_string());
    }
    assert_eq!(meta["response_types_supported"], json!(["code"]));
    assert_eq!(meta["response_modes_supported"], json!(["query"]));
    assert!(meta.get("jwks_uri").is_none());
    assert_eq!(meta["scopes_supported"], json!(["introspect", "offline_access", "read", "user_default", "write"]));

    // Every advertised grant is accepted for a client registered for it.
    let grants: Vec<&str> =
        meta["grant_types_supported"].as_array().unwrap().iter().map(|g| g.as_str().unwrap()).collect();
    let mut seen = Vec::new();
    for grant in &grants {
        let status = match *grant {
            "authorization_code" => 200, // code_flow above
            "refresh_token" => refresh(&server, A, &field(&tokens, "refresh_token")).await.status().as_u16(),
            "client_credentials" => {
                post_form(&server, "/oauth/token", Some(("svc", "secret-svc")), &[("grant_type", "client_credentials")])
                    .await
                    .status()
                    .as_u16()
            }
            "urn:qlik:oauth:user-impersonation" => post_form(
                &server,
                "/oauth/token",
                Some(("imp", "secret-imp")),
                &[("grant_type", *grant), ("user_lookup", r#"{"field":"userId","value":"user-1"}"#)],
            )
            .await
            .status()
            .as_u16(),
            other => panic!("metadata advertises a grant this test does not know: {other}"),
        };
        assert_eq!(status, 200, "{grant}");
        seen.push(*grant);
    }
    for absent in ["implicit", "password"] {
        assert!(!grants.contains(&absent));
    }
    assert_eq!(seen.len(), 4);

    // Token endpoint authentication: each advertised method works.
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    let response = post_form(
        &server,
        "/oauth/token",
        None,
        &[("grant_type", "client_credentials"), ("client_id", "svc"), ("client_secret", "secret-svc")],
    )
    .await;
    assert_eq!(response.status(), 200, "client_secret_post");
    code_flow(&server, "spa", None, "https://spa.example/cb", "read").await; // none
    assert_eq!(meta["revocation_endpoint_auth_methods_supported"], meta["token_endpoint_auth_methods_supported"]);
    assert_eq!(
        meta["introspection_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    let response = post_form(
        &server,
        "/oauth/introspect",
        None,
        &[("token", "x"), ("client_id", "rs"), ("client_secret", "secret-rs")],
    )
    .await;
    assert_eq!(response.text().await.unwrap(), INACTIVE);

    // PKCE: S256 only; plain is refused (D4).
    assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
    let params = with(
        authorize_params("client-a", "https://app.example/cb", "read", "st", &[])
            .into_iter()
            .filter(|(k, _)| !k.starts_with("code_challenge"))
            .collect(),
        &[("code_challenge", VERIFIER), ("code_challenge_method", "plain")],
    );
    let response = http().get(server.url("/oauth/authorize")).query(&params).send().await.unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("error=invalid_request"), "{location}");
    assert!(!location.contains("code="));

    // Only GET; no other well-known path for an issuer without a path.
    let response = http().post(server.url("/.well-known/oauth-authorization-server")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    let response = http().get(server.url("/.well-known/oauth-authorization-server/x")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(http().get(server.url("/oauth/jwks")).send().await.unwrap().status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn configured_scopes_supported_and_audience_are_used() {
    let server = start(
        "[access_tokens]\naudience = \"https://api.example\"\nscopes_supported = [\"read\", \"write\"]\nintrospection_scope = \"introspect\"",
    )
    .await;
    let meta = json_of(http().get(server.url("/.well-known/oauth-authorization-server")).send().await.unwrap()).await;
    assert_eq!(meta["scopes_supported"], json!(["read", "write"]));
    let at = client_credentials(&server, ("svc", "secret-svc"), "read").await;
    let answer: Value = serde_json::from_str(&introspect(&server, RS, &at).await).unwrap();
    assert_eq!(answer["aud"], "https://api.example");
    assert_eq!(answer["sub"], "client:svc");
    server.stop().await;
}

/// A directory with `keys/` for key files, removed by the test.
fn key_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oauth-server-lifecycle-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    dir
}

/// The JSON header and payload of a compact JWS.
fn jwt_parts(token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT");
    let decode = |s: &str| serde_json::from_slice::<Value>(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (decode(parts[0]), decode(parts[1]))
}

/// The whole JWT lifecycle for a server started with `access_tokens` (format = "jwt"): the
/// token's header and claims, the JWK Set, verification by `jsonwebtoken` (which we do not
/// sign with), introspection before and after revocation. `hs256_key` is the shared key of an
/// HS256 server. Returns the published JWK Set (or `None` for HS256).
async fn jwt_lifecycle(server: &Server, alg: &str, kid: Option<&str>, hs256_key: Option<&[u8]>) -> Option<Value> {
    let (_, tokens) =
        code_flow(server, "client-a", Some("secret-a"), "https://app.example/cb", "read offline_access").await;
    let at = field(&tokens, "access_token");
    let (header, claims) = jwt_parts(&at);
    assert_eq!(header["typ"], "at+jwt", "{header}");
    assert_eq!(header["alg"], alg);
    assert_eq!(header["kid"].as_str(), kid);
    assert_eq!(claims["iss"], server.base);
    assert_eq!(claims["aud"], server.base);
    assert_eq!(claims["sub"], "auth0|user-1");
    assert_eq!(claims["client_id"], "client-a");
    assert_eq!(claims["scope"], "offline_access read");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600);
    // The refresh token stays opaque.
    assert_eq!(field(&tokens, "refresh_token").split('.').count(), 1);

    let meta = json_of(http().get(server.url("/.well-known/oauth-authorization-server")).send().await.unwrap()).await;
    let response = http().get(server.url("/oauth/jwks")).send().await.unwrap();
    let jwks = if let Some(key) = hs256_key {
        assert_eq!(response.status(), 404);
        assert!(meta.get("jwks_uri").is_none());
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_audience(&[&server.base]);
        validation.set_issuer(&[&server.base]);
        let decoded = jsonwebtoken::decode::<Value>(&at, &jsonwebtoken::DecodingKey::from_secret(key), &validation);
        assert_eq!(decoded.unwrap().claims, claims);
        None
    } else {
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/jwk-set+json");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert_eq!(meta["jwks_uri"], server.url("/oauth/jwks"));
        let jwks = json_of(response).await;
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
        let jwk = set.find(kid.unwrap()).expect("the signing key is published under its kid");
        for private in ["d", "k"] {
            assert!(jwks["keys"].as_array().unwrap().iter().all(|k| k.get(private).is_none()));
        }
        let algorithm = if alg == "ES256" { jsonwebtoken::Algorithm::ES256 } else { jsonwebtoken::Algorithm::EdDSA };
        let mut validation = jsonwebtoken::Validation::new(algorithm);
        validation.set_audience(&[&server.base]);
        validation.set_issuer(&[&server.base]);
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let decoded = jsonwebtoken::decode::<Value>(&at, &key, &validation).unwrap();
        assert_eq!(decoded.claims, claims);
        Some(jwks)
    };

    let answer: Value = serde_json::from_str(&introspect(server, RS, &at).await).unwrap();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["sub"], "auth0|user-1");
    assert_eq!(answer["exp"], claims["exp"]);
    // A forged variant (payload changed, signature kept) is inactive.
    let parts: Vec<&str> = at.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json!({"sub": "someone-else"})).unwrap());
    let forged = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
    assert_eq!(introspect(server, RS, &forged).await, INACTIVE);

    let response = post_form(server, "/oauth/revoke", Some(A), &[("token", &at)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(introspect(server, RS, &at).await, INACTIVE);
    assert_eq!(refresh(server, A, &field(&tokens, "refresh_token")).await.status(), 400);
    jwks
}

#[tokio::test]
async fn jwt_access_tokens_with_es256_from_a_key_file() {
    let dir = key_dir("es256");
    let key = SigningKey::generate(Algorithm::Es256).unwrap();
    std::fs::write(dir.join("keys/current.pem"), key.to_pkcs8_pem().unwrap()).unwrap();
    let server = start_in(
        "[access_tokens]\nformat = \"jwt\"\nalgorithm = \"ES256\"\nkey_file = \"keys/current.pem\"\nkey_id = \"2026-11\"",
        dir.clone(),
    )
    .await;
    let jwks = jwt_lifecycle(&server, "ES256", Some("2026-11"), None).await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn jwt_access_tokens_with_a_generated_eddsa_key() {
    let config =
        ServerConfig::from_toml(&config_text("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"EdDSA\"")).unwrap();
    assert!(config.signing_key_generated());
    let kid = config.access_token_signer().unwrap().key_id().unwrap().to_owned();
    let server = Server::start(config).await;
    let jwks = jwt_lifecycle(&server, "EdDSA", Some(&kid), None).await.unwrap();
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    server.stop().await;
}

#[tokio::test]
async fn jwt_access_tokens_with_hs256_are_never_published() {
    let dir = key_dir("hs256");
    let secret = b"an HS256 key of at least thirty-two bytes, shared";
    std::fs::write(dir.join("keys/hs256.key"), secret).unwrap();
    let server = start_in(
        "[access_tokens]\nformat = \"jwt\"\nalgorithm = \"HS256\"\nhs256_secret_file = \"keys/hs256.key\"\nkey_id = \"hs-1\"",
        dir.clone(),
    )
    .await;
    assert!(jwt_lifecycle(&server, "HS256", Some("hs-1"), Some(secret)).await.is_none());
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn previous_public_keys_are_published_for_rotation() {
    let dir = key_dir("rotation");
    let current = SigningKey::generate(Algorithm::Es256).unwrap();
    let old = SigningKey::generate(Algorithm::Es256).unwrap();
    let older = SigningKey::generate(Algorithm::EdDsa).unwrap();
    std::fs::write(dir.join("keys/current.pem"), current.to_pkcs8_pem().unwrap()).unwrap();
    std::fs::write(dir.join("keys/old.pub.pem"), old.verifying_key().to_public_pem().unwrap()).unwrap();
    std::fs::write(dir.join("keys/older.pub.pem"), older.verifying_key().to_public_pem().unwrap()).unwrap();
    let server = start_in(
        r#"[access_tokens]
format = "jwt"
key_file = "keys/current.pem"
previous_public_keys = ["keys/old.pub.pem", { file = "keys/older.pub.pem", algorithm = "EdDSA", key_id = "2025-01" }]"#,
        dir.clone(),
    )
    .await;
    let jwks = jwt_lifecycle(&server, "ES256", Some(current.key_id()), None).await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, [current.key_id(), old.key_id(), "2025-01"]);
    // The published old key is the configured one: a token it signs verifies with the JWK.
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).unwrap();
    let jwk = set.find(old.key_id()).unwrap();
    let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{}"}}"#, old.key_id()));
    let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x"}"#);
    let input = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(old.sign(input.as_bytes()).unwrap());
    let ok = jsonwebtoken::crypto::verify(
        &signature,
        input.as_bytes(),
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        jsonwebtoken::Algorithm::ES256,
    );
    assert!(ok.unwrap());
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
