//! Criterion benchmarks of whole token requests through the sync driver and [`MemoryStore`],
//! each beside a *floor*: the primitives such a request cannot avoid, written directly with the
//! crates the core uses (not through the core's endpoints).
//!
//! - `client_credentials`: one `grant_type=client_credentials` request with `Authorization:
//!   Basic`, from `TokenRequest::from_http` to `Response::into_http` (JSON).
//! - `client_credentials_floor`: parse the form body, decode Basic credentials, SHA-256 and
//!   constant-time compare of the secret, 32 random bytes from `OsEntropy` and base64url for the
//!   token, SHA-256 of the token, one `HashMap` insert, `serde_json` of the response.
//! - `authorization_code_pkce`: authorize (S256) → owner approves → redirect (`into_http`) → code
//!   taken from `Location` → token request with `code_verifier` (Basic) → `into_http`.
//! - `user_impersonation`: one `grant_type=urn:qlik:oauth:user-impersonation` request with a
//!   JSON body (`user_lookup` by `userId`) and Basic credentials, through the user directory.
//! - `user_impersonation_floor`: the client-credentials floor with the body parsed by
//!   `serde_json` instead, plus one `HashMap` lookup of the user.
//! - `authorization_code_pkce_floor`: the client-credentials floor plus parsing the authorize
//!   query, a second token (the code) with its SHA-256 and one map insert, the SHA-256 of the
//!   presented code and one map take, and SHA-256 + base64url + compare of the PKCE verifier.
//!
//! - `client_credentials_jwt_hs256`: the client-credentials request with JWT access tokens
//!   (RFC 9068) signed with HS256.
//! - `client_credentials_jwt_hs256_floor`: the client-credentials floor plus `serde_json` of the
//!   claims, base64url of header and claims, HMAC-SHA-256 of the signing input and base64url of
//!   the signature.
//! - `client_credentials_jwt_es256`, `client_credentials_jwt_eddsa`: the same with ES256 and
//!   EdDSA keys from `oauth-jose` (no floor: the signature dominates; compare with the HS256
//!   request).
//! - `introspect`: one `POST /oauth/introspect` of a live opaque access token by a client with
//!   Basic credentials, through `MemoryStore`, to `into_http`.
//! - `introspect_floor`: parse the form body, authenticate the caller, SHA-256 of the token, one
//!   `HashMap` lookup, `serde_json` of the answer.
//!
//! The virtual clock advances one second per iteration and access tokens live 1000 s, so the
//! store holds about a thousand live tokens in steady state and its per-call purge work is part
//! of what is measured (the floors' maps are cleared at 1024 entries to stay the same size).
//!
//! After the run, the medians and the request/floor ratios are printed from criterion's
//! `estimates.json` files (target ≤ 2×).

use std::collections::HashMap;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use criterion::Criterion;
use hmac::{Hmac, Mac as _};
use oauth_core::wire::{BasicCredentials, Params};
use oauth_core::{
    AppType, Approval, AuthorizeRequest, Client, ClientRegistration, Config, ConsentMethod, Driven, Entropy, GrantType,
    Hs256Signer, HttpResponse, IntrospectRequest, Lifetimes, OwnerDecision, Response, TokenDigest, TokenRequest,
    UnixTime, User, authorize, drive, introspect, token,
};
use oauth_memory::{MemoryStore, OsEntropy};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

const T0: u64 = 1_700_000_000;
const FORM: &str = "application/x-www-form-urlencoded";
/// A client secret of the shape the server generates: 43 unreserved characters.
const SECRET: &str = "Jq3vX9b2LmP0sT7wYc4NfR8hKd1GzUe6AoIy5QpMn-_";
const CC_BODY: &[u8] = b"grant_type=client_credentials";
const JSON: &str = "application/json";
const IMP_BODY: &[u8] =
    br#"{"grant_type":"urn:qlik:oauth:user-impersonation","user_lookup":{"field":"userId","value":"6422bad8022070c06d2417bc"}}"#;
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT_ENC: &str = "https%3A%2F%2Fapp.example%2Fcb";
const AUTHORIZE_QUERY: &str = "response_type=code&client_id=web-a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb\
     &state=af0ifjsldkj&scope=read%20write&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
     &code_challenge_method=S256";
/// Entries after which a floor's map is cleared (the store holds about 1000 live tokens).
const FLOOR_MAP_ENTRIES: usize = 1024;

fn client(id: &str, grants: Vec<GrantType>) -> Client {
    Client::register(ClientRegistration {
        client_id: id.to_owned(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of(SECRET)],
        redirect_uris: vec!["https://app.example/cb".to_owned()],
        allowed_scopes: vec!["read".to_owned(), "write".to_owned()],
        allowed_grant_types: Some(grants),
        consent: ConsentMethod::Trusted,
        ..Default::default()
    })
    .expect("invariant: the benchmark's registration is valid")
}

/// Client `rs`, a resource server allowed the `introspect` scope: it may introspect every token.
fn introspector() -> Client {
    Client::register(ClientRegistration {
        client_id: "rs".to_owned(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of(SECRET)],
        allowed_scopes: vec!["introspect".to_owned()],
        allowed_grant_types: Some(vec![GrantType::ClientCredentials]),
        ..Default::default()
    })
    .expect("invariant: the benchmark's registration is valid")
}

struct Server {
    config: Arc<Config>,
    store: MemoryStore,
}

fn server() -> Server {
    let lifetimes = Lifetimes { access_token: 1000, authorization_code: 60, refresh_token: 30 * 24 * 3600 };
    let config = Config::new("https://as.example", Arc::new(OsEntropy::new()))
        .and_then(|c| c.with_lifetimes(lifetimes))
        .expect("invariant: the benchmark's configuration is valid");
    let store = MemoryStore::with_clients([
        client("svc", vec![GrantType::ClientCredentials]),
        client("web-a", vec![GrantType::AuthorizationCode, GrantType::RefreshToken]),
        client("imp", vec![GrantType::UserImpersonation]),
        introspector(),
    ]);
    store.insert_user("6422bad8022070c06d2417bc", User::new("auth0|u1"));
    Server { config: Arc::new(config), store }
}

/// HS256 key of the JWT benchmarks.
const HS256_KEY: [u8; 32] = [0x42; 32];

/// As [`server`], issuing HS256 JWT access tokens.
fn jwt_server() -> Server {
    let s = server();
    let signer = Arc::new(Hs256Signer::new(&HS256_KEY, Some("k1".to_owned())).expect("invariant: a 32-byte key"));
    let config = (*s.config).clone().with_jwt_access_tokens(signer).expect("invariant: HS256 is not none");
    Server { config: Arc::new(config), store: s.store }
}

/// As [`server`], issuing JWT access tokens signed with a fresh `alg` key from `oauth-jose`.
fn jose_server(alg: oauth_jose::Algorithm) -> Server {
    let s = server();
    let key = oauth_jose::SigningKey::generate(alg).expect("invariant: the OS has randomness");
    let signer = Arc::new(oauth_jose::KeySet::new(key));
    let config = (*s.config).clone().with_jwt_access_tokens(signer).expect("invariant: the algorithm is not none");
    Server { config: Arc::new(config), store: s.store }
}

/// One introspection of `token` by client `rs`.
fn introspection(s: &Server, authorization: &str, body: &[u8], now: UnixTime) -> HttpResponse {
    let request = IntrospectRequest::from_http(Some(FORM), Some(authorization), None, black_box(body));
    respond(&s.store, introspect::start(&s.config, request, now)).into_http()
}

fn basic(client_id: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{SECRET}")))
}

fn respond(store: &MemoryStore, step: oauth_core::Step) -> Response {
    match drive(store, step) {
        Driven::Respond(r) => r,
        Driven::NeedOwner(_) => panic!("the token endpoint never asks for the resource owner"),
    }
}

/// One client-credentials request, HTTP parts in, HTTP response out.
fn client_credentials(s: &Server, authorization: &str, now: UnixTime) -> HttpResponse {
    let request = TokenRequest::from_http(Some(FORM), Some(authorization), None, black_box(CC_BODY));
    respond(&s.store, token::start(&s.config, request, now)).into_http()
}

/// One impersonation request with a JSON body, HTTP parts in, HTTP response out.
fn user_impersonation(s: &Server, authorization: &str, now: UnixTime) -> HttpResponse {
    let request = TokenRequest::from_http(Some(JSON), Some(authorization), None, black_box(IMP_BODY));
    respond(&s.store, token::start(&s.config, request, now)).into_http()
}

/// One authorization-code exchange with PKCE: authorize, approve, redirect, redeem.
fn authorization_code(s: &Server, authorization: &str, body: &mut String, now: UnixTime) -> HttpResponse {
    let request = AuthorizeRequest::from_query(Some(black_box(AUTHORIZE_QUERY)));
    let Driven::NeedOwner(q) = drive(&s.store, authorize::start(&s.config, request, now)) else {
        panic!("a valid authorization request asks for the resource owner");
    };
    let step = q.resume(OwnerDecision::Approve(Approval::new("alice".to_owned(), now)));
    let redirect = respond(&s.store, step).into_http();
    let location = redirect.headers.iter().find(|(n, _)| *n == "location").map(|(_, v)| v.as_ref());
    let code = location.and_then(|l| l.split_once("?code=")).and_then(|(_, q)| q.split('&').next());
    let code = code.expect("the authorization response carries a code");
    body.clear();
    body.push_str("grant_type=authorization_code&code=");
    body.push_str(code);
    body.push_str("&redirect_uri=");
    body.push_str(REDIRECT_ENC);
    body.push_str("&code_verifier=");
    body.push_str(VERIFIER);
    let request = TokenRequest::from_http(Some(FORM), Some(authorization), None, body.as_bytes());
    respond(&s.store, token::start(&s.config, request, now)).into_http()
}

#[derive(Serialize)]
struct TokenBody<'a> {
    access_token: &'a str,
    token_type: &'a str,
    expires_in: u64,
    scope: &'a str,
}

/// 32 random bytes from `OsEntropy` in base64url (43 characters) and the SHA-256 of that text.
fn new_token(entropy: &OsEntropy) -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    entropy.fill(&mut bytes).expect("invariant: the OS-seeded generator works");
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = Sha256::digest(token.as_bytes()).into();
    (token, digest)
}

/// Basic credentials decoded, secret hashed and compared in constant time.
fn authenticate(authorization: &str, stored: &[u8; 32]) -> bool {
    let creds = BasicCredentials::parse(authorization).expect("invariant: well-formed Basic credentials");
    let digest: [u8; 32] = Sha256::digest(creds.client_secret.expose().as_bytes()).into();
    bool::from(digest.ct_eq(stored))
}

fn insert_bounded(map: &mut HashMap<[u8; 32], u64>, key: [u8; 32], value: u64) {
    if map.len() >= FLOOR_MAP_ENTRIES {
        map.clear();
    }
    map.insert(key, value);
}

fn token_json(access_token: &str) -> String {
    let body = TokenBody { access_token, token_type: "Bearer", expires_in: 1000, scope: "read write" };
    serde_json::to_string(&body).expect("invariant: a struct of strings serializes")
}

fn client_credentials_floor(
    entropy: &OsEntropy,
    authorization: &str,
    stored: &[u8; 32],
    map: &mut HashMap<[u8; 32], u64>,
    now: u64,
) -> String {
    let params = Params::parse_form(black_box(CC_BODY)).expect("invariant: a valid form body");
    let grant = params.get("grant_type").ok().flatten();
    assert!(authenticate(authorization, stored) && grant == Some("client_credentials"));
    let (access, key) = new_token(entropy);
    insert_bounded(map, key, now);
    token_json(&access)
}

fn user_impersonation_floor(
    entropy: &OsEntropy,
    authorization: &str,
    stored: &[u8; 32],
    users: &HashMap<String, String>,
    map: &mut HashMap<[u8; 32], u64>,
    now: u64,
) -> String {
    let body: serde_json::Value = serde_json::from_slice(black_box(IMP_BODY)).expect("invariant: a valid JSON body");
    let grant = body["grant_type"].as_str();
    let user_id = body["user_lookup"]["value"].as_str().unwrap_or("");
    assert!(authenticate(authorization, stored) && grant == Some("urn:qlik:oauth:user-impersonation"));
    assert!(users.contains_key(user_id));
    let (access, key) = new_token(entropy);
    insert_bounded(map, key, now);
    token_json(&access)
}

#[derive(Serialize)]
struct JwtHeader<'a> {
    alg: &'a str,
    typ: &'a str,
    kid: &'a str,
}

#[derive(Serialize)]
struct JwtClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    jti: &'a str,
    client_id: &'a str,
    scope: &'a str,
}

fn client_credentials_jwt_floor(
    entropy: &OsEntropy,
    authorization: &str,
    stored: &[u8; 32],
    map: &mut HashMap<[u8; 32], u64>,
    now: u64,
) -> String {
    let params = Params::parse_form(black_box(CC_BODY)).expect("invariant: a valid form body");
    let grant = params.get("grant_type").ok().flatten();
    assert!(authenticate(authorization, stored) && grant == Some("client_credentials"));
    let (jti, key) = new_token(entropy);
    let header = serde_json::to_vec(&JwtHeader { alg: "HS256", typ: "at+jwt", kid: "k1" })
        .expect("invariant: a struct of strings serializes");
    let claims = JwtClaims {
        iss: "https://as.example",
        sub: "client:svc",
        aud: "https://as.example",
        exp: now + 1000,
        iat: now,
        jti: &jti,
        client_id: "svc",
        scope: "read write",
    };
    let claims = serde_json::to_vec(&claims).expect("invariant: a struct of strings serializes");
    let mut jwt = URL_SAFE_NO_PAD.encode(header);
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(claims, &mut jwt);
    let mut mac =
        <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(&HS256_KEY).expect("invariant: any key length");
    mac.update(jwt.as_bytes());
    let signature = mac.finalize().into_bytes();
    jwt.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
    insert_bounded(map, key, now);
    token_json(&jwt)
}

#[derive(Serialize)]
struct IntrospectionBody<'a> {
    active: bool,
    scope: &'a str,
    client_id: &'a str,
    sub: &'a str,
    exp: u64,
    iat: u64,
    iss: &'a str,
    aud: &'a str,
    token_type: &'a str,
}

fn introspect_floor(authorization: &str, stored: &[u8; 32], body: &[u8], map: &HashMap<[u8; 32], u64>) -> String {
    let params = Params::parse_form(black_box(body)).expect("invariant: a valid form body");
    assert!(authenticate(authorization, stored));
    let token = params.get("token").ok().flatten().expect("invariant: the body has a token");
    let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let iat = *map.get(&key).expect("invariant: the token is live");
    let answer = IntrospectionBody {
        active: true,
        scope: "read write",
        client_id: "svc",
        sub: "client:svc",
        exp: iat + 1000,
        iat,
        iss: "https://as.example",
        aud: "https://as.example",
        token_type: "Bearer",
    };
    serde_json::to_string(&answer).expect("invariant: a struct of strings serializes")
}

struct CodeFloor {
    codes: HashMap<[u8; 32], u64>,
    tokens: HashMap<[u8; 32], u64>,
    body: String,
}

fn authorization_code_floor(
    entropy: &OsEntropy,
    authorization: &str,
    stored: &[u8; 32],
    state: &mut CodeFloor,
    now: u64,
) -> String {
    // Authorize: parse the query, issue a code.
    let query = Params::parse_form(black_box(AUTHORIZE_QUERY.as_bytes())).expect("invariant: a valid query");
    let challenge = query.get("code_challenge").ok().flatten().expect("invariant: the query has a challenge");
    let (code, code_key) = new_token(entropy);
    insert_bounded(&mut state.codes, code_key, now);
    // Token: the same body the request benchmark builds.
    let body = &mut state.body;
    body.clear();
    body.push_str("grant_type=authorization_code&code=");
    body.push_str(&code);
    body.push_str("&redirect_uri=");
    body.push_str(REDIRECT_ENC);
    body.push_str("&code_verifier=");
    body.push_str(VERIFIER);
    let params = Params::parse_form(body.as_bytes()).expect("invariant: a valid form body");
    assert!(authenticate(authorization, stored));
    let presented = params.get("code").ok().flatten().expect("invariant: the body has a code");
    let presented_key: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    let taken = state.codes.remove(&presented_key);
    let verifier = params.get("code_verifier").ok().flatten().expect("invariant: the body has a verifier");
    let mut transformed = [0u8; 43];
    let n = URL_SAFE_NO_PAD.encode_slice(Sha256::digest(verifier.as_bytes()), &mut transformed).unwrap_or(0);
    let pkce_ok = n == 43 && bool::from(transformed[..].ct_eq(challenge.as_bytes()));
    assert!(taken.is_some() && pkce_ok);
    let (access, key) = new_token(entropy);
    insert_bounded(&mut state.tokens, key, now);
    token_json(&access)
}

fn benches(c: &mut Criterion) {
    let cc_auth = basic("svc");
    let rs_auth = basic("rs");
    let web_auth = basic("web-a");
    let imp_auth = basic("imp");
    let entropy = OsEntropy::new();
    let stored: [u8; 32] = Sha256::digest(SECRET.as_bytes()).into();

    // Sanity checks outside the measurement: every benchmark does what it claims.
    {
        let s = server();
        let now = UnixTime::from_secs(T0);
        let http = client_credentials(&s, &cc_auth, now);
        assert_eq!(http.status, 200, "client credentials succeed");
        let http = authorization_code(&s, &web_auth, &mut String::new(), now);
        assert_eq!(http.status, 200, "the code exchange succeeds");
        assert!(http.body.contains("\"scope\":\"read write\""));
        assert_eq!((s.store.code_count(), s.store.access_token_count()), (1, 2));
        let http = user_impersonation(&s, &imp_auth, now);
        assert_eq!(http.status, 200, "impersonation succeeds");
        assert_eq!(s.store.access_token_count(), 3);
        assert!(AUTHORIZE_QUERY.contains(CHALLENGE), "the query carries the RFC 7636 challenge");
        let j = jwt_server();
        let http = client_credentials(&j, &cc_auth, now);
        assert_eq!(http.status, 200, "JWT client credentials succeed");
        assert!(http.body.contains("\"access_token\":\"eyJ"), "the access token is a JWT");
    }

    let s = server();
    let mut now = T0;
    c.bench_function("client_credentials", |b| {
        b.iter(|| {
            now += 1;
            client_credentials(&s, &cc_auth, UnixTime::from_secs(now))
        });
    });

    let mut map = HashMap::new();
    let mut now = T0;
    c.bench_function("client_credentials_floor", |b| {
        b.iter(|| {
            now += 1;
            client_credentials_floor(&entropy, &cc_auth, &stored, &mut map, now)
        });
    });

    let s = jwt_server();
    let mut now = T0;
    c.bench_function("client_credentials_jwt_hs256", |b| {
        b.iter(|| {
            now += 1;
            client_credentials(&s, &cc_auth, UnixTime::from_secs(now))
        });
    });

    let mut map = HashMap::new();
    let mut now = T0;
    c.bench_function("client_credentials_jwt_hs256_floor", |b| {
        b.iter(|| {
            now += 1;
            client_credentials_jwt_floor(&entropy, &cc_auth, &stored, &mut map, now)
        });
    });

    for (name, alg) in [
        ("client_credentials_jwt_es256", oauth_jose::Algorithm::Es256),
        ("client_credentials_jwt_eddsa", oauth_jose::Algorithm::EdDsa),
    ] {
        let s = jose_server(alg);
        assert_eq!(client_credentials(&s, &cc_auth, UnixTime::from_secs(T0)).status, 200, "{name} succeeds");
        let mut now = T0;
        c.bench_function(name, |b| {
            b.iter(|| {
                now += 1;
                client_credentials(&s, &cc_auth, UnixTime::from_secs(now))
            });
        });
    }

    // Introspection of one live token, with about a thousand others in the store.
    let s = server();
    let now = UnixTime::from_secs(T0);
    let mut live = String::new();
    for _ in 0..1000 {
        let http = client_credentials(&s, &cc_auth, now);
        let v: serde_json::Value = serde_json::from_str(&http.body).expect("invariant: a token response");
        live = v["access_token"].as_str().expect("invariant: it has an access token").to_owned();
    }
    let body = format!("token={live}");
    let http = introspection(&s, &rs_auth, body.as_bytes(), now);
    assert!(http.body.starts_with("{\"active\":true"), "the token is active for its introspection");
    c.bench_function("introspect", |b| b.iter(|| introspection(&s, &rs_auth, body.as_bytes(), now)));

    let mut map = HashMap::new();
    for i in 0..1000u64 {
        let (_, key) = new_token(&entropy);
        map.insert(key, T0 + i);
    }
    map.insert(Sha256::digest(live.as_bytes()).into(), T0);
    c.bench_function("introspect_floor", |b| b.iter(|| introspect_floor(&rs_auth, &stored, body.as_bytes(), &map)));

    let s = server();
    let mut now = T0;
    c.bench_function("user_impersonation", |b| {
        b.iter(|| {
            now += 1;
            user_impersonation(&s, &imp_auth, UnixTime::from_secs(now))
        });
    });

    let users: HashMap<String, String> =
        [("6422bad8022070c06d2417bc".to_owned(), "auth0|u1".to_owned())].into_iter().collect();
    let mut map = HashMap::new();
    let mut now = T0;
    c.bench_function("user_impersonation_floor", |b| {
        b.iter(|| {
            now += 1;
            user_impersonation_floor(&entropy, &imp_auth, &stored, &users, &mut map, now)
        });
    });

    let s = server();
    let mut now = T0;
    let mut body = String::new();
    c.bench_function("authorization_code_pkce", |b| {
        b.iter(|| {
            now += 1;
            authorization_code(&s, &web_auth, &mut body, UnixTime::from_secs(now))
        });
    });

    let mut state = CodeFloor { codes: HashMap::new(), tokens: HashMap::new(), body: String::new() };
    let mut now = T0;
    c.bench_function("authorization_code_pkce_floor", |b| {
        b.iter(|| {
            now += 1;
            authorization_code_floor(&entropy, &web_auth, &stored, &mut state, now)
        });
    });
}

/// Where criterion writes its results, found the way criterion finds it.
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"), PathBuf::from);
    target.join("criterion")
}

/// The median point estimate of benchmark `id`, in nanoseconds.
fn median_ns(id: &str) -> Option<f64> {
    let path = criterion_home().join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn print_ratios() {
    println!("\nmedians and request/floor ratios (target: at most 2.0)");
    for (request, floor) in [
        ("client_credentials", "client_credentials_floor"),
        ("user_impersonation", "user_impersonation_floor"),
        ("authorization_code_pkce", "authorization_code_pkce_floor"),
        ("client_credentials_jwt_hs256", "client_credentials_jwt_hs256_floor"),
        ("introspect", "introspect_floor"),
    ] {
        match (median_ns(request), median_ns(floor)) {
            (Some(r), Some(f)) => {
                println!("  {request:<30} {:>8.3} µs   floor {:>8.3} µs   ratio {:.2}", r / 1000.0, f / 1000.0, r / f)
            }
            _ => println!("  {request:<30} (no estimates found under {})", criterion_home().display()),
        }
    }
    for request in ["client_credentials_jwt_es256", "client_credentials_jwt_eddsa"] {
        if let Some(r) = median_ns(request) {
            println!("  {request:<30} {:>8.3} µs   (no floor)", r / 1000.0);
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(50)
        .configure_from_args();
    benches(&mut c);
    c.final_summary();
    // Only a measuring run (`cargo bench` passes `--bench`) leaves fresh estimates; `cargo test
    // --benches` runs each benchmark once without measuring.
    if std::env::args().any(|a| a == "--bench") && std::env::args().all(|a| a != "--list") {
        print_ratios();
    }
}
