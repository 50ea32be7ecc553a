//! Issue 4 over HTTP against the real server: the metadata document (RFC 8414,
//! requirements.md section M) compared member by member with what the endpoints really do, and
//! JWT access tokens (RFC 9068, section O) verified by an independent JWT crate
//! (`jsonwebtoken`, which this project never signs with) against the server's
//! `GET /oauth/jwks`.
//!
//! The registry is [`lifecycle_fixture`]: the field-case clients plus `rs-intro`, a client
//! allowed the `introspect` scope.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use oauth_conformance::*;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

/// The server with [`lifecycle_fixture`] (opaque tokens).
async fn server() -> TestServer {
    TestServer::start(&lifecycle_fixture("")).await
}

/// The scopes the registry's clients are allowed, together: the default `scopes_supported`.
const REGISTRY_SCOPES: [&str; 4] = ["introspect", "offline_access", "read", "write"];

/// A string member of the metadata document.
fn member<'a>(doc: &'a Value, name: &str) -> &'a str {
    doc[name].as_str().unwrap_or_else(|| panic!("metadata member {name} must be a string: {doc}"))
}

/// The strings of an array member of the metadata document (empty when absent).
fn list(doc: &Value, name: &str) -> Vec<String> {
    doc.get(name)
        .map(|v| {
            v.as_array()
                .unwrap_or_else(|| panic!("metadata member {name} must be an array: {doc}"))
                .iter()
                .map(|s| s.as_str().unwrap_or_else(|| panic!("{name} must hold strings: {doc}")).to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// `POST <absolute url>` with a form `body` and `headers`.
async fn post_url(srv: &TestServer, url: &str, body: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req =
        srv.http().post(url).header("content-type", "application/x-www-form-urlencoded").body(body.to_owned());
    for (n, v) in headers {
        req = req.header(*n, *v);
    }
    srv.send(req, "POST (metadata endpoint)").await
}

/// `GET <absolute url>`.
async fn get_url(srv: &TestServer, url: &str) -> Reply {
    srv.send(srv.http().get(url), "GET (metadata endpoint)").await
}

// =============================================================================================
// M. Metadata (RFC 8414).
// =============================================================================================

#[tokio::test]
async fn meta_01_document_is_json_at_the_well_known_path() {
    let srv = server().await;
    let reply = srv.get("/.well-known/oauth-authorization-server").await;
    let d = reply.describe();
    assert_eq!(reply.status, 200, "{d}");
    let ct = reply.header("content-type").unwrap_or("");
    assert!(ct.to_ascii_lowercase().starts_with("application/json"), "Content-Type {ct:?}: {d}");
    // META-05 (documented): readable from any origin, and it carries no credentials.
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"), "{d}");
    let doc = reply.json();
    assert_eq!(doc, srv.metadata().await);

    // The members RFC 8414 §2 requires, and the endpoint URLs below the issuer.
    let issuer = member(&doc, "issuer");
    assert_eq!(issuer, srv.issuer());
    assert!(!issuer.contains('?') && !issuer.contains('#'), "no query or fragment in the issuer");
    for (name, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("introspection_endpoint", "/oauth/introspect"),
    ] {
        assert_eq!(member(&doc, name), format!("{issuer}{path}"), "{name}");
    }
    assert_eq!(list(&doc, "response_types_supported"), ["code"]);
    assert_eq!(doc["authorization_response_iss_parameter_supported"], json!(true));
    // Opaque tokens: no jwks_uri, and no JWK Set is served.
    assert!(doc.get("jwks_uri").is_none(), "no jwks_uri without published keys: {doc}");
    assert_eq!(srv.get("/oauth/jwks").await.status, 404);
    // No private_key_jwt (D16), so no signing algorithms are listed (META-04).
    assert!(doc.get("token_endpoint_auth_signing_alg_values_supported").is_none(), "{doc}");
}

#[tokio::test]
async fn meta_04_no_empty_arrays_and_no_null_members() {
    let srv = server().await;
    let doc = srv.metadata().await;
    let Some(members) = doc.as_object() else { panic!("metadata must be a JSON object: {doc}") };
    for (name, value) in members {
        assert!(!value.is_null(), "{name} is null");
        if let Some(a) = value.as_array() {
            assert!(!a.is_empty(), "empty arrays are omitted (RFC 8414 §2): {name}");
            let unique: BTreeSet<String> = a.iter().map(Value::to_string).collect();
            assert_eq!(unique.len(), a.len(), "{name} repeats a value");
            assert!(!a.iter().any(|v| v == "none") || name.ends_with("_endpoint_auth_methods_supported"), "{name}");
        }
    }
}

#[tokio::test]
async fn meta_02_issuer_is_byte_identical_to_the_iss_of_authorization_responses() {
    let srv = server().await;
    let doc = srv.metadata().await;
    let reply = srv.authorize_reply(&authz("client-a", CB_A, "read", &[])).await;
    let iss = reply.location_param("iss").unwrap_or_else(|| panic!("no iss: {}", reply.describe()));
    assert_eq!(iss.as_bytes(), member(&doc, "issuer").as_bytes(), "RFC 9207 §2: iss equals the metadata issuer");
    // Error redirects carry the same iss.
    let reply = srv.authorize_reply(&authz("client-a", CB_A, "admin", &[])).await;
    assert_eq!(reply.location_param("iss").as_deref(), Some(member(&doc, "issuer")), "{}", reply.describe());
}

#[tokio::test]
async fn meta_01_issuer_with_a_path_is_served_at_the_rfc8414_path() {
    let srv = TestServer::start_with_issuer_path(&lifecycle_fixture(""), "/t1").await;
    assert_eq!(srv.metadata_path(), "/.well-known/oauth-authorization-server/t1");
    let doc = srv.metadata().await;
    assert_eq!(member(&doc, "issuer"), format!("{}/t1", srv.base_url()), "issuer with its path, byte for byte");
    let reply = srv.get("/.well-known/oauth-authorization-server/t1/").await;
    assert_ne!(reply.json(), doc, "only the exact RFC 8414 §3.1 path (no terminating /) is the document's");
    let reply = srv.get("/.well-known/oauth-authorization-server/t2").await;
    assert_eq!(reply.status, 404, "another issuer path: {}", reply.describe());
}

#[tokio::test]
async fn meta_01_issuer_with_a_path_has_its_endpoints_where_the_document_says() {
    let srv = TestServer::start_with_issuer_path(&lifecycle_fixture(""), "/t1").await;
    let doc = srv.metadata().await;
    let issuer = member(&doc, "issuer");
    // The advertised endpoints must be where the server answers them (RFC 8414 §2).
    let authorize = format!("{}?{}", member(&doc, "authorization_endpoint"), authz("client-a", CB_A, "read", &[]));
    let reply = get_url(&srv, &authorize).await;
    let code = srv.assert_code_redirect(&reply, CB_A, Some("s1"));
    let body =
        query(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CB_A), ("code_verifier", V1)]);
    let token_endpoint = member(&doc, "token_endpoint");
    let tokens = post_url(&srv, token_endpoint, &body, &[("authorization", BASIC_CLIENT_A)]).await.assert_tokens();
    let introspection = member(&doc, "introspection_endpoint");
    let body = query(&[("token", &tokens.access_token)]);
    let a = post_url(&srv, introspection, &body, &[("authorization", BASIC_CLIENT_A)]).await.assert_active();
    assert_eq!(a["iss"], json!(issuer));
    post_url(&srv, member(&doc, "revocation_endpoint"), &body, &[("authorization", BASIC_CLIENT_A)])
        .await
        .assert_revoked();
    post_url(&srv, introspection, &body, &[("authorization", BASIC_CLIENT_A)]).await.assert_inactive();
}

#[tokio::test]
async fn meta_03_every_listed_grant_succeeds_and_unlisted_ones_are_unsupported() {
    let srv = server().await;
    let doc = srv.metadata().await;
    let grants = list(&doc, "grant_types_supported");
    assert!(!grants.is_empty(), "grant_types_supported must be listed explicitly (META-03)");
    let token_endpoint = member(&doc, "token_endpoint");
    for grant in &grants {
        match grant.as_str() {
            "authorization_code" => {
                srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
            }
            "refresh_token" => {
                let t =
                    srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read offline_access")).await;
                let body = query(&[("grant_type", "refresh_token"), ("refresh_token", t.refresh())]);
                post_url(&srv, token_endpoint, &body, &[("authorization", BASIC_CLIENT_A)]).await.assert_tokens();
            }
            "client_credentials" => {
                let body = query(&[("grant_type", "client_credentials")]);
                post_url(&srv, token_endpoint, &body, &[("authorization", BASIC_SVC_B)]).await.assert_tokens();
            }
            "urn:qlik:oauth:user-impersonation" => {
                let body = query(&[("grant_type", grant), ("user_lookup", LOOKUP_USER_1)]);
                post_url(&srv, token_endpoint, &body, &[("authorization", BASIC_SVC_A)]).await.assert_tokens();
            }
            other => panic!("metadata lists the grant {other:?}, which no test exercises: add it here"),
        }
    }
    for unlisted in [
        "implicit",
        "password",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ] {
        if grants.iter().any(|g| g == unlisted) {
            assert!(
                !matches!(unlisted, "implicit" | "password"),
                "{unlisted} must never be listed (RFC 9700 §2.1.2, §2.4)"
            );
            continue;
        }
        let body = query(&[("grant_type", unlisted), ("username", "user-1"), ("password", "pw-1")]);
        let reply = post_url(&srv, token_endpoint, &body, &[("authorization", BASIC_CLIENT_A)]).await;
        reply.assert_token_error(400, "unsupported_grant_type");
    }
}

#[tokio::test]
async fn meta_03_s256_only_and_plain_is_refused() {
    let srv = server().await;
    let doc = srv.metadata().await;
    assert_eq!(list(&doc, "code_challenge_methods_supported"), ["S256"], "D4: S256 only");
    // S256 works.
    srv.get_code("client-a", CB_A, Some("read"), C1).await;
    // plain, and no method (which means plain, RFC 7636 §4.3), are refused at the authorization
    // endpoint with an error redirect (RFC 7636 §4.4.1).
    let plain = query(&[
        ("response_type", "code"),
        ("client_id", "client-a"),
        ("redirect_uri", CB_A),
        ("scope", "read"),
        ("state", "s1"),
        ("code_challenge", V1),
        ("code_challenge_method", "plain"),
    ]);
    let reply = srv.authorize_reply(&plain).await;
    srv.assert_error_redirect(&reply, CB_A, "invalid_request", Some("s1"));
    let no_method = query(&[
        ("response_type", "code"),
        ("client_id", "client-a"),
        ("redirect_uri", CB_A),
        ("scope", "read"),
        ("state", "s1"),
        ("code_challenge", V1),
    ]);
    let reply = srv.authorize_reply(&no_method).await;
    srv.assert_error_redirect(&reply, CB_A, "invalid_request", Some("s1"));
}

#[tokio::test]
async fn meta_03_response_types_and_modes() {
    let srv = server().await;
    let doc = srv.metadata().await;
    assert_eq!(list(&doc, "response_types_supported"), ["code"]);
    if doc.get("response_modes_supported").is_some() {
        assert_eq!(list(&doc, "response_modes_supported"), ["query"]);
    }
    for response_type in ["token", "code token", "id_token"] {
        let q = authz("client-a", CB_A, "read", &[])
            .replace("response_type=code", &format!("response_type={}", enc(response_type)));
        let reply = srv.authorize_reply(&q).await;
        srv.assert_error_redirect(&reply, CB_A, "unsupported_response_type", Some("s1"));
    }
}

#[tokio::test]
async fn meta_03_every_listed_client_authentication_method_works() {
    let srv = server().await;
    let doc = srv.metadata().await;
    let token_endpoint = member(&doc, "token_endpoint");
    let cc = [("grant_type", "client_credentials")];
    let methods = list(&doc, "token_endpoint_auth_methods_supported");
    assert!(!methods.is_empty());
    for method in &methods {
        match method.as_str() {
            "client_secret_basic" => {
                post_url(&srv, token_endpoint, &query(&cc), &[("authorization", BASIC_SVC_B)]).await.assert_tokens();
            }
            "client_secret_post" => {
                let body = query(&[cc[0], ("client_id", "svc-b"), ("client_secret", "s3cret-svcb")]);
                post_url(&srv, token_endpoint, &body, &[]).await.assert_tokens();
            }
            "none" => {
                let code = srv.get_code("client-pub", CB_PUB, Some("read"), C1).await;
                let body = query(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", CB_PUB),
                    ("code_verifier", V1),
                    ("client_id", "client-pub"),
                ]);
                post_url(&srv, token_endpoint, &body, &[]).await.assert_tokens();
            }
            other => panic!("token_endpoint_auth_methods_supported lists {other:?}, which no test exercises"),
        }
    }
    assert!(!methods.iter().any(|m| m == "private_key_jwt" || m == "client_secret_jwt"), "D16: not in scope");

    // Revocation: each listed method authenticates (an unknown token answers 200; a wrong
    // secret is refused, so the method was really checked).
    let revocation = member(&doc, "revocation_endpoint");
    let revoke_methods = list(&doc, "revocation_endpoint_auth_methods_supported");
    assert!(!revoke_methods.is_empty(), "revocation_endpoint_auth_methods_supported");
    let token = [("token", "does-not-exist")];
    for method in &revoke_methods {
        let (ok, wrong) = match method.as_str() {
            "client_secret_basic" => (
                post_url(&srv, revocation, &query(&token), &[("authorization", BASIC_CLIENT_A)]).await,
                Some(post_url(&srv, revocation, &query(&token), &[("authorization", BASIC_CLIENT_A_WRONG)]).await),
            ),
            "client_secret_post" => (
                post_url(
                    &srv,
                    revocation,
                    &query(&[token[0], ("client_id", "client-a"), ("client_secret", "s3cret")]),
                    &[],
                )
                .await,
                Some(
                    post_url(
                        &srv,
                        revocation,
                        &query(&[token[0], ("client_id", "client-a"), ("client_secret", "x")]),
                        &[],
                    )
                    .await,
                ),
            ),
            "none" => (post_url(&srv, revocation, &query(&[token[0], ("client_id", "client-pub")]), &[]).await, None),
            other => panic!("revocation_endpoint_auth_methods_supported lists {other:?}, which no test exercises"),
        };
        ok.assert_revoked();
        if let Some(w) = wrong {
            w.assert_token_error(w.status, "invalid_client");
        }
    }

    // Introspection: each listed method works; `none` must not be listed, since the endpoint
    // refuses public clients (RFC 7662 §2.1).
    let introspection = member(&doc, "introspection_endpoint");
    let intro_methods = list(&doc, "introspection_endpoint_auth_methods_supported");
    assert!(!intro_methods.iter().any(|m| m == "none"), "introspection refuses unauthenticated callers");
    let t = srv.svc_b_token().await;
    for method in &intro_methods {
        let reply = match method.as_str() {
            "client_secret_basic" => {
                post_url(
                    &srv,
                    introspection,
                    &query(&[("token", &t.access_token)]),
                    &[("authorization", BASIC_INTROSPECTOR)],
                )
                .await
            }
            "client_secret_post" => {
                let body = query(&[
                    ("token", &t.access_token),
                    ("client_id", INTROSPECTOR),
                    ("client_secret", INTROSPECTOR_SECRET),
                ]);
                post_url(&srv, introspection, &body, &[]).await
            }
            other => panic!("introspection_endpoint_auth_methods_supported lists {other:?}, which no test exercises"),
        };
        reply.assert_active();
    }
    let public = query(&[("token", &t.access_token), ("client_id", "client-pub")]);
    let reply = post_url(&srv, introspection, &public, &[]).await;
    reply.assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn meta_03_scopes_supported_are_the_registry_scopes_and_each_can_be_granted() {
    let srv = server().await;
    let doc = srv.metadata().await;
    let scopes: BTreeSet<String> = list(&doc, "scopes_supported").into_iter().collect();
    assert_eq!(scopes, REGISTRY_SCOPES.iter().map(|s| (*s).to_owned()).collect(), "the union of allowed scopes");
    for scope in &scopes {
        let granted = if scope == "introspect" {
            srv.introspector_token().await
        } else {
            srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some(scope)).await
        };
        assert!(granted.scopes().contains(scope), "{scope} was not granted: {granted:?}");
    }
    // A configured list replaces the default.
    let srv =
        TestServer::start(&lifecycle_fixture("[access_tokens]\nscopes_supported = [\"write\", \"read\"]\n")).await;
    assert_eq!(list(&srv.metadata().await, "scopes_supported"), ["read", "write"]);
}

#[tokio::test]
async fn meta_03_revocation_and_introspection_endpoints_answer() {
    let srv = server().await;
    let doc = srv.metadata().await;
    let t = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
    let body = query(&[("token", &t.access_token)]);
    let basic = [("authorization", BASIC_CLIENT_A)];
    post_url(&srv, member(&doc, "introspection_endpoint"), &body, &basic).await.assert_active();
    post_url(&srv, member(&doc, "revocation_endpoint"), &body, &basic).await.assert_revoked();
    post_url(&srv, member(&doc, "introspection_endpoint"), &body, &basic).await.assert_inactive();
}

// =============================================================================================
// O. JWT access tokens (RFC 9068), verified with `jsonwebtoken` against `/oauth/jwks`.
// =============================================================================================

/// The `[access_tokens]` table of a JWT server.
fn jwt_config(algorithm: &str, extra: &str) -> String {
    lifecycle_fixture(&format!("[access_tokens]\nformat = \"jwt\"\nalgorithm = \"{algorithm}\"\n{extra}\n"))
}

/// The decoded parts of a JWT: header and claims, from a verified token.
struct Verified {
    header: jsonwebtoken::Header,
    claims: Map<String, Value>,
}

/// The server's JWK Set, fetched from the metadata's `jwks_uri` and parsed by `jsonwebtoken`:
/// the set and the raw document.
async fn fetch_jwks(srv: &TestServer) -> (JwkSet, Value) {
    let doc = srv.metadata().await;
    let jwks_uri = member(&doc, "jwks_uri");
    assert_eq!(jwks_uri, format!("{}/oauth/jwks", srv.issuer()), "jwks_uri");
    let reply = get_url(srv, jwks_uri).await;
    let d = reply.describe();
    assert_eq!(reply.status, 200, "{d}");
    let ct = reply.header("content-type").unwrap_or("");
    assert!(
        ct.starts_with("application/jwk-set+json") || ct.starts_with("application/json"),
        "JWK Set content type {ct:?}"
    );
    let raw = reply.json();
    let keys = raw["keys"].as_array().cloned().unwrap_or_default();
    assert!(!keys.is_empty(), "the JWK Set has keys: {raw}");
    for key in &keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "the JWK Set must not publish private member {private:?}");
        }
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "every key has a kid: {key}");
    }
    let set: JwkSet =
        serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("jsonwebtoken rejects the JWK Set: {e}"));
    (set, raw)
}

/// Verifies `token` with `jsonwebtoken` against `set`: `alg` as expected, the key named by the
/// header's `kid`, and `iss`, `aud`, `exp` (and `sub`) required and checked, with no leeway.
fn verify(token: &str, set: &JwkSet, alg: Algorithm, issuer: &str, audience: &str) -> Result<Verified, String> {
    let header = decode_header(token).map_err(|e| format!("header: {e}"))?;
    let kid = header.kid.ok_or("no kid in the header")?;
    let jwk: &Jwk = set.find(&kid).ok_or("the header's kid is not in the JWK Set")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key: {e}"))?;
    let mut validation = Validation::new(alg);
    validation.leeway = 0;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = decode::<Map<String, Value>>(token, &key, &validation).map_err(|e| format!("{e}"))?;
    Ok(Verified { header: data.header, claims: data.claims })
}

/// The RFC 7638 thumbprint of a public JWK (EC P-256 or OKP Ed25519), computed here.
fn thumbprint(jwk: &Value) -> String {
    let canonical = match jwk["kty"].as_str() {
        Some("EC") => json!({"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}),
        Some("OKP") => json!({"crv": jwk["crv"], "kty": "OKP", "x": jwk["x"]}),
        other => panic!("unexpected kty {other:?}"),
    };
    // serde_json orders object members by name (no preserve_order feature), as RFC 7638 asks.
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The whole RFC 9068 check for one JWT server (`alg`, expected `kid` if configured, `aud`).
async fn jwt_profile(srv: &TestServer, alg: Algorithm, alg_name: &str, kid: Option<&str>, audience: &str) {
    let (set, raw) = fetch_jwks(srv).await;
    let issuer = srv.issuer().to_owned();

    // A user token of client-a.
    let t = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read write")).await;
    let v =
        verify(&t.access_token, &set, alg, &issuer, audience).unwrap_or_else(|e| panic!("verification failed: {e}"));
    assert_eq!(v.header.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1: typ at+jwt");
    assert_eq!(v.header.alg, alg);
    let header_kid = v.header.kid.clone().unwrap_or_default();
    if let Some(k) = kid {
        assert_eq!(header_kid, k, "the configured key_id");
    }
    let jwk = raw["keys"].as_array().and_then(|keys| keys.iter().find(|k| k["kid"] == json!(header_kid))).cloned();
    let jwk = jwk.unwrap_or_else(|| panic!("kid not in the JWK Set"));
    if kid.is_none() {
        assert_eq!(header_kid, thumbprint(&jwk), "the default kid is the RFC 7638 thumbprint");
    }
    if let Some(a) = jwk.get("alg") {
        assert_eq!(a, &json!(alg_name), "the JWK's alg");
    }
    let c = &v.claims;
    let keys: BTreeSet<&str> = c.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope"]),
        "RFC 9068 §2.2 claims (and nothing else for a token without act or origins)"
    );
    assert_eq!(c["iss"], json!(issuer), "META-02: the JWT iss is the metadata issuer");
    assert_eq!(c["iss"].as_str(), Some(member(&srv.metadata().await, "issuer")));
    assert_eq!(c["sub"], json!("user-1"));
    assert_eq!(c["client_id"], json!("client-a"));
    assert_eq!(scope_set(c["scope"].as_str().unwrap_or("")), scope_set("read write"));
    let (exp, iat) = (c["exp"].as_u64().unwrap_or(0), c["iat"].as_u64().unwrap_or(u64::MAX));
    assert_eq!(exp.saturating_sub(iat), 3600, "NumericDate integers, 3600 s apart");
    assert!(c["jti"].as_str().is_some_and(|j| !j.is_empty()));

    // The validation is real: another audience or issuer, or a changed signature, fails.
    assert!(verify(&t.access_token, &set, alg, &issuer, "https://other.example").is_err(), "wrong aud accepted");
    assert!(verify(&t.access_token, &set, alg, "https://other.example", audience).is_err(), "wrong iss accepted");
    let mut tampered = t.access_token.clone();
    let last = tampered.pop().map_or('A', |ch| if ch == 'A' { 'B' } else { 'A' });
    tampered.push(last);
    assert!(verify(&tampered, &set, alg, &issuer, audience).is_err(), "a changed signature verified");

    // A second token has another jti.
    let t2 = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
    let v2 = verify(&t2.access_token, &set, alg, &issuer, audience).unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(v2.claims["jti"], c["jti"], "jti is unique per token");

    // Introspection agrees with the claims.
    let a = srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await.assert_active();
    for name in ["sub", "client_id", "exp", "iat", "iss", "aud"] {
        assert_eq!(a.get(name), c.get(name), "introspection {name} equals the JWT claim");
    }
    assert_eq!(a["token_type"], json!("Bearer"));
    srv.introspect_as(BASIC_INTROSPECTOR, &tampered).await.assert_inactive();

    // Client credentials: the client speaks for itself.
    let svc = srv.svc_b_token().await;
    let v = verify(&svc.access_token, &set, alg, &issuer, audience).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.claims["sub"], json!("client:svc-b"));
    assert_eq!(v.claims["client_id"], json!("svc-b"));

    // Impersonation: act names the acting client.
    let imp = srv.impersonation_token().await;
    let v = verify(&imp.access_token, &set, alg, &issuer, audience).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.claims["act"], json!({"sub": "svc-a"}));
    assert_eq!(v.claims["sub"], json!("user-1"));
    assert_eq!(v.claims["client_id"], json!("svc-a"));
    let a = srv.introspect_as(BASIC_INTROSPECTOR, &imp.access_token).await.assert_active();
    assert_eq!(a["act"], json!({"sub": "svc-a"}));

    // The public SPA's token carries its allowed origin.
    let p = srv.code_tokens(Auth::Public("client-pub"), "client-pub", CB_PUB, Some("read")).await;
    let v = verify(&p.access_token, &set, alg, &issuer, audience).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.claims["allowed-origins"], json!([ORIGIN_PUB]));

    // Revocation is recorded by jti: the JWT still verifies locally, but introspection says no.
    srv.revoke(&[("token", &t.access_token)], &[("authorization", BASIC_CLIENT_A)]).await.assert_revoked();
    let reply = srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await;
    reply.assert_inactive();
    assert_eq!(reply.body, r#"{"active":false}"#);
    srv.introspect_as(BASIC_INTROSPECTOR, &t.access_token).await.assert_inactive();
    // The other token of the same client is untouched (its own grant).
    srv.introspect_as(BASIC_CLIENT_A, &t2.access_token).await.assert_active();
    // Another client cannot revoke a JWT it was not issued (D7).
    srv.revoke(&[("token", &t2.access_token)], &[("authorization", BASIC_CLIENT_B)])
        .await
        .assert_token_error(400, "unauthorized_client");
    srv.introspect_as(BASIC_CLIENT_A, &t2.access_token).await.assert_active();
}

#[tokio::test]
async fn jwt_es256_access_tokens_verify_against_the_jwks() {
    let srv = TestServer::start(&jwt_config("ES256", "key_id = \"es-2026\"")).await;
    let issuer = srv.issuer().to_owned();
    jwt_profile(&srv, Algorithm::ES256, "ES256", Some("es-2026"), &issuer).await;
}

#[tokio::test]
async fn jwt_eddsa_access_tokens_verify_against_the_jwks_with_a_configured_audience() {
    let audience = "https://api.example";
    let srv = TestServer::start(&jwt_config("EdDSA", &format!("audience = \"{audience}\""))).await;
    jwt_profile(&srv, Algorithm::EdDSA, "EdDSA", None, audience).await;
    // Opaque-format answers use the configured audience too.
    let t = srv.svc_b_token().await;
    let a = srv.introspect_as(BASIC_SVC_B, &t.access_token).await.assert_active();
    assert_eq!(a["aud"], json!(audience));
}

#[tokio::test]
async fn jwt_from_another_server_is_inactive() {
    let one = TestServer::start(&jwt_config("ES256", "")).await;
    let two = TestServer::start(&jwt_config("ES256", "")).await;
    let foreign = two.svc_b_token().await;
    // Another issuer and another key: not a token of server one.
    one.introspect_as(BASIC_INTROSPECTOR, &foreign.access_token).await.assert_inactive();
    one.revoke(&[("token", &foreign.access_token)], &[("authorization", BASIC_SVC_B)]).await.assert_revoked();
    two.introspect_as(BASIC_SVC_B, &foreign.access_token).await.assert_active();
    // And server one's JWK Set does not verify it.
    let (set, _) = fetch_jwks(&one).await;
    assert!(verify(&foreign.access_token, &set, Algorithm::ES256, two.issuer(), two.issuer()).is_err());
}

#[tokio::test]
async fn jwt_hs256_publishes_no_keys() {
    let srv = TestServer::start(&jwt_config("HS256", "")).await;
    let doc = srv.metadata().await;
    assert!(doc.get("jwks_uri").is_none(), "a shared HS256 key is never published: {doc}");
    let reply = srv.get("/oauth/jwks").await;
    assert_eq!(reply.status, 404, "{}", reply.describe());
    // The tokens are still RFC 9068 JWTs, checked by introspection.
    let t = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
    let header = decode_header(&t.access_token).unwrap_or_else(|e| panic!("not a JWT: {e}"));
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let a = srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await.assert_active();
    assert_eq!(a["client_id"], json!("client-a"));
    srv.revoke(&[("token", &t.access_token)], &[("authorization", BASIC_CLIENT_A)]).await.assert_revoked();
    srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await.assert_inactive();
}

/// The claims of a compact JWS, decoded without any check (to build attacks from).
fn unverified_claims(token: &str) -> Map<String, Value> {
    let payload = token.split('.').nth(1).unwrap_or("");
    let bytes = URL_SAFE_NO_PAD.decode(payload).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

#[tokio::test]
async fn jwt_jti_alone_is_not_an_access_token() {
    // The store keys a JWT access token by its jti; the jti is an identifier that resource
    // servers read and log, not a secret. Presented on its own it must not work as a token.
    let srv = TestServer::start(&jwt_config("ES256", "")).await;
    let t = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
    let claims = unverified_claims(&t.access_token);
    let jti = claims["jti"].as_str().unwrap_or_else(|| panic!("no jti claim")).to_owned();
    for caller in [BASIC_CLIENT_A, BASIC_INTROSPECTOR] {
        srv.introspect_as(caller, &jti).await.assert_inactive();
    }
    // Revoking "the jti" is revoking an unknown token: 200, and the JWT stays active.
    srv.revoke(&[("token", &jti)], &[("authorization", BASIC_CLIENT_A)]).await.assert_revoked();
    srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await.assert_active();
    // As a bearer token at the introspection endpoint (the introspector's own jti): refused.
    let intro = srv.introspector_token().await;
    let intro_jti = unverified_claims(&intro.access_token)["jti"].as_str().unwrap_or_default().to_owned();
    let reply = srv.introspect_as(&format!("Bearer {intro_jti}"), &t.access_token).await;
    assert_eq!(reply.status, 401, "a jti is not a bearer token: {}", reply.describe());
}

#[tokio::test]
async fn jwt_forged_tokens_are_inactive() {
    let srv = TestServer::start(&jwt_config("ES256", "")).await;
    let t = srv.code_tokens(Auth::Header(BASIC_CLIENT_A), "client-a", CB_A, Some("read")).await;
    let header = decode_header(&t.access_token).unwrap_or_else(|e| panic!("{e}"));
    let claims = unverified_claims(&t.access_token);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());

    // alg none, with and without a signature part (RFC 8725 §3.1).
    let none_header = json!({"alg": "none", "typ": "at+jwt", "kid": header.kid});
    let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(none_header.to_string()));
    // HS256 keyed with the published public key (algorithm confusion, RFC 8725 §2.1).
    let jwks = srv.get("/oauth/jwks").await;
    let keys = oauth_jose::Jwks::from_json(&jwks.body).unwrap_or_else(|e| panic!("{e}"));
    let pem = keys.keys().first().and_then(|k| k.to_public_pem().ok()).unwrap_or_default();
    let mut hs_header = jsonwebtoken::Header::new(Algorithm::HS256);
    hs_header.typ = Some("at+jwt".into());
    hs_header.kid = header.kid.clone();
    let confused = jsonwebtoken::encode(&hs_header, &claims, &jsonwebtoken::EncodingKey::from_secret(pem.as_bytes()))
        .unwrap_or_else(|e| panic!("{e}"));
    let jwk_json = jwks.json()["keys"][0].to_string();
    let confused_jwk =
        jsonwebtoken::encode(&hs_header, &claims, &jsonwebtoken::EncodingKey::from_secret(jwk_json.as_bytes()))
            .unwrap_or_else(|e| panic!("{e}"));
    // The right signature over another typ (an ID token is not an access token, JWT-05) cannot
    // be made without the key; a changed typ with the old signature must fail.
    let jwt_typ = json!({"alg": "ES256", "typ": "JWT", "kid": header.kid});
    let signature = t.access_token.rsplit('.').next().unwrap_or("");
    let retyped = format!("{}.{payload}.{signature}", URL_SAFE_NO_PAD.encode(jwt_typ.to_string()));

    for forged in [&none, &none[..none.len() - 1], &confused, &confused_jwk, &retyped] {
        for caller in [BASIC_CLIENT_A, BASIC_INTROSPECTOR] {
            srv.introspect_as(caller, forged).await.assert_inactive();
        }
    }
    srv.introspect_as(BASIC_CLIENT_A, &t.access_token).await.assert_active();
}
