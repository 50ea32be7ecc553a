//! Hostile input over HTTP (issue 5, "Races and hostile input over HTTP"; F33): every parameter
//! and header at its documented bound and one byte over (README "Behaviour and limits",
//! `oauth_core::wire`), bodies of megabytes, thousands of parameters, broken percent-encoding,
//! invalid UTF-8 and deep JSON. At the bound a request is processed normally; one byte over, it
//! gets the precise OAuth error: a 4xx status, a JSON body with the RFC 6749 §5.2 `error`,
//! `Cache-Control: no-store`, no redirect, never a 5xx, and quickly ([`QUICK`]). Meanwhile the
//! server keeps serving other clients, and its memory stays bounded.
//!
//! The bounds (bytes): body 64 KiB (413 beyond), query 64 KiB (414 beyond), 64 parameters,
//! parameter name 128, value 8 KiB, `state` 2048, `redirect_uri` 2048, `scope` 2048 and 64
//! tokens, `client_id` 128, `login_hint` 256, `Authorization` 4096, `code_verifier` 43 to 128
//! characters, `user_lookup.value` 256.
//!
//! Limits of the HTTP layer (hyper) come first and are answered by hyper itself, with an empty
//! body: a request target over 65 534 bytes (414), more than 100 header fields or a request
//! head over about 400 KiB (431). [`oversized_request_heads_are_refused_by_the_http_layer`]
//! pins them; the longest authorization query that reaches the server is therefore
//! `65 534 - len("/oauth/authorize?")` bytes, not 64 KiB.
//!
//! Every loop is bounded; nothing sleeps except the memory sampler's ticks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oauth_conformance::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Upper bound on the time a hostile request may take to be answered: 3 seconds (the answers
/// take milliseconds; the margin is for a loaded machine running debug builds).
const QUICK: Duration = Duration::from_secs(3);

/// Body and query limit (`oauth_core::wire::MAX_INPUT_BYTES`).
const MAX_INPUT: usize = 64 * 1024;
/// Parameter value limit (`oauth_core::wire::MAX_VALUE_BYTES`).
const MAX_VALUE: usize = 8 * 1024;
/// hyper's longest request target (`u16::MAX - 1`).
const HYPER_MAX_URI: usize = 65_534;

/// Held shared by every test of this file and exclusively by the memory measurement, so that
/// no other test allocates while it samples the process's resident memory.
static MEMORY_MEASUREMENT: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

// ---------------------------------------------------------------------------------------------
// Fixture: clients and a user whose identifiers sit exactly at the bounds.
// ---------------------------------------------------------------------------------------------

/// A 128-byte `client_id` (the bound).
fn long_id() -> String {
    format!("bounds-{}", "x".repeat(121))
}

/// The long client's secret: 2936 bytes, so that `Basic base64(<long id>:<secret>)` is 4094
/// bytes and, with two more spaces after `Basic`, exactly 4096 (the `Authorization` bound).
fn long_secret() -> String {
    "k".repeat(2936)
}

/// A 2048-byte redirect URI (the bound).
fn long_redirect() -> String {
    let base = "https://long.example/";
    format!("{base}{}", "p".repeat(2048 - base.len()))
}

/// The long client's 64 allowed scopes: `t00-…` to `t61-…` (31 bytes each), then `x-…` (64
/// bytes) and `y-…` (65 bytes).
fn big_scopes() -> Vec<String> {
    let mut v: Vec<String> = (0..62).map(|i| format!("t{i:02}-{}", "a".repeat(27))).collect();
    v.push(format!("x-{}", "a".repeat(62)));
    v.push(format!("y-{}", "a".repeat(63)));
    v
}

/// 63 allowed tokens in exactly 2048 bytes (`t00…t61` and `x-…`).
fn scope_2048() -> String {
    let s = big_scopes();
    let v: Vec<&str> = s[..62].iter().chain(std::iter::once(&s[62])).map(String::as_str).collect();
    v.join(" ")
}

/// 63 allowed tokens in 2049 bytes (`t00…t61` and `y-…`): over the byte bound only.
fn scope_2049() -> String {
    let s = big_scopes();
    let v: Vec<&str> = s[..62].iter().chain(std::iter::once(&s[63])).map(String::as_str).collect();
    v.join(" ")
}

/// `client-many`'s 64 allowed scopes `s00` to `s63`.
fn many_scopes() -> Vec<String> {
    (0..64).map(|i| format!("s{i:02}")).collect()
}

/// A 256-byte user id (the `user_lookup.value` bound).
fn long_user() -> String {
    "u".repeat(256)
}

/// [`FIXTURE`] plus the long client (`long_id()`, every bound at once), `client-many` (64
/// short scopes) and the long user.
fn fixture() -> String {
    let list = |v: &[String]| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let extra = format!(
        r#"
[[clients]]
client_id = "{id}"
app_type = "web"
client_secret = "{secret}"
redirect_uris = ["{redirect}"]
allowed_scopes = [{big}]
allowed_grant_types = ["authorization_code", "client_credentials", "urn:qlik:oauth:user-impersonation"]
consent = "trusted"

[[clients]]
client_id = "client-many"
app_type = "web"
client_secret = "s3cret-many"
redirect_uris = ["https://many.example/cb"]
allowed_scopes = [{many}]
allowed_grant_types = ["authorization_code", "client_credentials"]
consent = "trusted"

[[users]]
id = "{user}"
password = "pw-long-user"
"#,
        id = long_id(),
        secret = long_secret(),
        redirect = long_redirect(),
        big = list(&big_scopes()),
        many = list(&many_scopes()),
        user = long_user(),
    );
    fixture_with(&extra)
}

async fn server() -> TestServer {
    TestServer::start(&fixture()).await
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// Awaits `reply`, asserting it took less than [`QUICK`].
async fn quick<F: Future<Output = Reply>>(what: &str, reply: F) -> Reply {
    let start = Instant::now();
    let reply = reply.await;
    let took = start.elapsed();
    assert!(took < QUICK, "{what}: answered after {took:?}, more than {QUICK:?}");
    reply
}

/// Asserts an OAuth error answered directly (never redirected): exactly `status`, JSON with
/// `error` = `error`, `Cache-Control: no-store`, `Pragma: no-cache`, no `Location`.
fn refused(reply: &Reply, status: u16, error: &str) {
    reply.assert_token_error(status, error);
    assert!(reply.location().is_none(), "must not redirect: {}", reply.describe());
}

/// Splits `room` bytes into parameter values of at most [`MAX_VALUE`] bytes, given the bytes
/// each parameter adds besides its value (`overhead`, by index): returns the value lengths so
/// that `Σ (overhead(i) + len_i) == room` exactly.
///
/// # Panics
/// When `room` cannot be split that way (too small for one parameter).
fn split_room(room: usize, overhead: impl Fn(usize) -> usize) -> Vec<usize> {
    let mut lens = Vec::new();
    let mut used = 0;
    // Bounded: every iteration adds at least one byte of value.
    while used < room {
        let i = lens.len();
        assert!(room - used > overhead(i), "cannot pad {room} bytes exactly");
        let len = (room - used - overhead(i)).min(MAX_VALUE);
        // Leave enough for the next parameter's overhead plus one byte, or nothing.
        let rest = room - used - overhead(i) - len;
        let len = if rest > 0 && rest <= overhead(i + 1) { len - (overhead(i + 1) + 1 - rest) } else { len };
        lens.push(len);
        used += overhead(i) + len;
    }
    lens
}

/// `base` (a form body or query) followed by `&pI=vvv…` parameters so that it is exactly
/// `total` bytes, every value at most [`MAX_VALUE`] bytes.
fn form_of_size(base: &str, total: usize) -> String {
    let overhead = |i: usize| format!("&p{i}=").len();
    let mut out = base.to_owned();
    for (i, len) in split_room(total - base.len(), overhead).into_iter().enumerate() {
        out.push_str(&format!("&p{i}={}", "v".repeat(len)));
    }
    assert_eq!(out.len(), total);
    out
}

/// The JSON object `base` (whose text ends with `}`) with `"pI":"vvv…"` members added so that
/// its text is exactly `total` bytes, every value at most [`MAX_VALUE`] bytes.
fn json_of_size(base: &Value, total: usize) -> Vec<u8> {
    let text = base.to_string();
    let open = &text[..text.len() - 1];
    let overhead = |i: usize| format!(",\"p{i}\":\"\"").len();
    let mut out = open.to_owned();
    for (i, len) in split_room(total - text.len(), overhead).into_iter().enumerate() {
        out.push_str(&format!(",\"p{i}\":\"{}\"", "v".repeat(len)));
    }
    out.push('}');
    assert_eq!(out.len(), total);
    out.into_bytes()
}

/// The usual authorization query of `client-a` (state `s1`, PKCE [`C1`]) plus `extra`.
fn authz_a(extra: &[(&str, &str)]) -> String {
    authz("client-a", CB_A, "read", extra)
}

/// `POST /oauth/token` with `Content-Type: application/json` and the raw `body`.
async fn token_json_raw(srv: &TestServer, body: &[u8], authorization: Option<&str>) -> Reply {
    srv.token_raw(Some("application/json"), authorization, body.to_vec()).await
}

/// `POST /oauth/authorize` with a form body sent as given.
async fn authorize_post(srv: &TestServer, body: &str) -> Reply {
    let req = srv
        .http()
        .post(srv.url("/oauth/authorize"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    srv.send(req, "POST /oauth/authorize").await
}

/// A normal client-credentials request (`svc-b`), which must succeed within [`QUICK`].
async fn still_serving(srv: &TestServer, when: &str) {
    let reply = quick(when, srv.token_form("grant_type=client_credentials", Some(BASIC_SVC_B))).await;
    let _ = reply.assert_tokens();
}

// ---------------------------------------------------------------------------------------------
// Body and query size.
// ---------------------------------------------------------------------------------------------

/// Body bound: a form or JSON body of exactly 64 KiB is processed (a token is issued), one byte
/// more is `413` with an OAuth JSON `invalid_request` (RFC 9110 §15.5.14), whether the size is
/// declared (`Content-Length`) or only seen (chunked transfer coding).
#[tokio::test]
async fn token_body_of_64_kib_is_processed_and_one_byte_more_is_413() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let form = form_of_size("grant_type=client_credentials", MAX_INPUT);
    quick("64 KiB form", srv.token_form(&form, Some(BASIC_SVC_B))).await.assert_tokens();
    let over = form_of_size("grant_type=client_credentials", MAX_INPUT + 1);
    refused(&quick("64 KiB + 1 form", srv.token_form(&over, Some(BASIC_SVC_B))).await, 413, "invalid_request");

    let base = json!({"grant_type": "client_credentials"});
    let body = json_of_size(&base, MAX_INPUT);
    quick("64 KiB JSON", token_json_raw(&srv, &body, Some(BASIC_SVC_B))).await.assert_tokens();
    let body = json_of_size(&base, MAX_INPUT + 1);
    refused(&quick("64 KiB + 1 JSON", token_json_raw(&srv, &body, Some(BASIC_SVC_B))).await, 413, "invalid_request");

    // Chunked: no Content-Length, so the limit applies to the bytes as they arrive.
    for (size, ok) in [(MAX_INPUT, true), (MAX_INPUT + 1, false)] {
        let form = form_of_size("grant_type=client_credentials", size);
        let mut request = format!(
            "POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: {BASIC_SVC_B}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        for chunk in form.as_bytes().chunks(1000) {
            request.push_str(&format!("{:x}\r\n{}\r\n", chunk.len(), String::from_utf8_lossy(chunk)));
        }
        request.push_str("0\r\n\r\n");
        let reply = quick("chunked body", srv.raw_http(request.as_bytes())).await;
        if ok {
            let _ = reply.assert_tokens();
        } else {
            refused(&reply, 413, "invalid_request");
        }
    }
}

/// Query and form bounds at `/oauth/authorize`. A form body of exactly 64 KiB is processed (a
/// code, 303), one byte more is `413 invalid_request`. A query as long as the HTTP layer
/// accepts (a request target of 65 534 bytes) is processed (a code, 302); one byte more is
/// refused by hyper with `414` before the server sees it. (The server's own 414, for a query
/// over 64 KiB, cannot be reached over HTTP: see the module documentation.)
#[tokio::test]
async fn authorize_query_and_form_at_their_bounds_are_processed_and_one_byte_more_is_refused() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let form = form_of_size(&authz_a(&[]), MAX_INPUT);
    let reply = quick("64 KiB authorize form", authorize_post(&srv, &form)).await;
    let _ = srv.assert_code_redirect_status(&reply, 303, CB_A, Some("s1"));
    let over = form_of_size(&authz_a(&[]), MAX_INPUT + 1);
    refused(&quick("64 KiB + 1 authorize form", authorize_post(&srv, &over)).await, 413, "invalid_request");

    let prefix = "/oauth/authorize?";
    let longest = HYPER_MAX_URI - prefix.len();
    let q = form_of_size(&authz_a(&[]), longest);
    let reply = quick("longest query", srv.authorize_raw(&q)).await;
    let _ = srv.assert_code_redirect(&reply, CB_A, Some("s1"));
    let q = form_of_size(&authz_a(&[]), longest + 1);
    let reply = quick("longest query + 1", srv.authorize_raw(&q)).await;
    assert_eq!(reply.status, 414, "hyper refuses request targets over 65 534 bytes: {}", reply.describe());
    assert!(reply.location().is_none(), "{}", reply.describe());
}

// ---------------------------------------------------------------------------------------------
// Parameter count, name and value.
// ---------------------------------------------------------------------------------------------

/// 64 parameters, a 128-byte name and an 8 KiB value are processed; 65 parameters, a 129-byte
/// name or an 8193-byte value are `invalid_request`: in a form body, in a JSON body and in an
/// authorization query (400 without redirect there: the request cannot be read).
#[tokio::test]
async fn parameter_count_name_and_value_at_their_bounds_and_one_over() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let name_128 = "n".repeat(128);
    let name_129 = "n".repeat(129);
    let value_8k = "v".repeat(MAX_VALUE);
    let value_over = "v".repeat(MAX_VALUE + 1);

    // Form bodies (F33 covers 64/65 parameters and an 8193-byte value).
    let form = |extra: &[(&str, &str)]| {
        let mut p = vec![("grant_type", "client_credentials")];
        p.extend_from_slice(extra);
        query(&p)
    };
    srv.token_form(&form(&[(&name_128, "1")]), Some(BASIC_SVC_B)).await.assert_tokens();
    srv.token_form(&form(&[("x", &value_8k)]), Some(BASIC_SVC_B)).await.assert_tokens();
    refused(&srv.token_form(&form(&[(&name_129, "1")]), Some(BASIC_SVC_B)).await, 400, "invalid_request");

    // JSON bodies.
    let object = |members: usize, extra: &[(&str, &str)]| {
        let mut o = serde_json::Map::new();
        o.insert("grant_type".into(), "client_credentials".into());
        for i in 1..members {
            o.insert(format!("m{i}"), "1".into());
        }
        for (n, v) in extra {
            o.insert((*n).to_owned(), (*v).into());
        }
        Value::Object(o)
    };
    srv.token_json(&object(64, &[]), Some(BASIC_SVC_B)).await.assert_tokens();
    refused(&srv.token_json(&object(65, &[]), Some(BASIC_SVC_B)).await, 400, "invalid_request");
    srv.token_json(&object(1, &[(&name_128, "1")]), Some(BASIC_SVC_B)).await.assert_tokens();
    refused(&srv.token_json(&object(1, &[(&name_129, "1")]), Some(BASIC_SVC_B)).await, 400, "invalid_request");
    srv.token_json(&object(1, &[("x", &value_8k)]), Some(BASIC_SVC_B)).await.assert_tokens();
    refused(&srv.token_json(&object(1, &[("x", &value_over)]), Some(BASIC_SVC_B)).await, 400, "invalid_request");

    // Authorization queries: 7 parameters of authz_a plus padding.
    let pad = |n: usize| (0..n).map(|i| (format!("x{i}"), "1".to_owned())).collect::<Vec<_>>();
    let with = |extra: &[(String, String)]| {
        let e: Vec<(&str, &str)> = extra.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        authz_a(&e)
    };
    let reply = srv.authorize_reply(&with(&pad(64 - 7))).await;
    let _ = srv.assert_code_redirect(&reply, CB_A, Some("s1"));
    refused(&srv.authorize_reply(&with(&pad(65 - 7))).await, 400, "invalid_request");
    let reply = srv.authorize_reply(&with(&[(name_128.clone(), "1".into())])).await;
    let _ = srv.assert_code_redirect(&reply, CB_A, Some("s1"));
    refused(&srv.authorize_reply(&with(&[(name_129, "1".into())])).await, 400, "invalid_request");
    let reply = srv.authorize_reply(&with(&[("x".into(), value_8k)])).await;
    let _ = srv.assert_code_redirect(&reply, CB_A, Some("s1"));
    refused(&srv.authorize_reply(&with(&[("x".into(), value_over)])).await, 400, "invalid_request");
}

// ---------------------------------------------------------------------------------------------
// Per-parameter bounds.
// ---------------------------------------------------------------------------------------------

/// `/oauth/authorize` at every per-parameter bound, then one byte over: a 128-byte
/// `client_id`, a 2048-byte `redirect_uri`, a 256-byte `login_hint`, a 2048-byte `scope` and a
/// 64-token `scope` get a code (and the long client redeems it); a 129-byte `client_id` or a
/// 2049-byte `redirect_uri` is a 400 without redirect; a 257-byte `login_hint` redirects
/// `invalid_request`; a 2049-byte or 65-token `scope` redirects `invalid_scope`. `state`:
/// 2048 bytes are echoed from a posted form, 2049 are refused without redirect (F33 covers the
/// query).
#[tokio::test]
async fn authorize_parameters_at_their_bounds_and_one_byte_over() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let (id, redirect) = (long_id(), long_redirect());
    let q = |client_id: &str, redirect_uri: &str, scope: &str, extra: &[(&str, &str)]| {
        authz(client_id, redirect_uri, scope, extra)
    };
    let s2048 = scope_2048();
    assert_eq!((id.len(), redirect.len(), s2048.len()), (128, 2048, 2048));

    // At the bounds: a code, redeemed by the long client with its long Basic credentials.
    let hint = "h".repeat(256);
    let reply = srv.authorize_reply(&q(&id, &redirect, &s2048, &[("login_hint", &hint)])).await;
    let code = srv.assert_code_redirect(&reply, &redirect, Some("s1"));
    let auth = basic(&id, &long_secret());
    let tokens = srv.redeem(Auth::Header(&auth), &code, Some(&redirect), Some(V1)).await.assert_tokens();
    assert_eq!(tokens.scope, s2048);

    // One byte over.
    let id_129 = format!("{id}x");
    refused(&srv.authorize_reply(&q(&id_129, &redirect, "x", &[])).await, 400, "invalid_request");
    let redirect_2049 = format!("{redirect}p");
    refused(&srv.authorize_reply(&q(&id, &redirect_2049, &s2048, &[])).await, 400, "invalid_request");
    let hint_257 = "h".repeat(257);
    let reply = srv.authorize_reply(&q(&id, &redirect, &s2048, &[("login_hint", &hint_257)])).await;
    srv.assert_error_redirect(&reply, &redirect, "invalid_request", Some("s1"));
    let reply = srv.authorize_reply(&q(&id, &redirect, &scope_2049(), &[])).await;
    srv.assert_error_redirect(&reply, &redirect, "invalid_scope", Some("s1"));

    // 64 scope tokens, then 65 (every one allowed: the 65th repeats one).
    let many = many_scopes().join(" ");
    let reply = srv.authorize_reply(&q("client-many", "https://many.example/cb", &many, &[])).await;
    let _ = srv.assert_code_redirect(&reply, "https://many.example/cb", Some("s1"));
    let many_65 = format!("{many} s00");
    let reply = srv.authorize_reply(&q("client-many", "https://many.example/cb", &many_65, &[])).await;
    srv.assert_error_redirect(&reply, "https://many.example/cb", "invalid_scope", Some("s1"));

    // state in a posted form (303, RFC 9700 §4.12).
    let state = "s".repeat(2048);
    let body = query(&[
        ("response_type", "code"),
        ("client_id", "client-a"),
        ("redirect_uri", CB_A),
        ("code_challenge", C1),
        ("code_challenge_method", "S256"),
        ("state", &state),
    ]);
    let reply = authorize_post(&srv, &body).await;
    let _ = srv.assert_code_redirect_status(&reply, 303, CB_A, Some(&state));
    let body = body.replace(&state, &format!("{state}s"));
    refused(&authorize_post(&srv, &body).await, 400, "invalid_request");
}

/// `/oauth/token` at every per-parameter bound, then one byte over: a 128-byte `client_id`
/// (Basic and `client_secret_post`) authenticates, 129 bytes are `401 invalid_client`; an
/// `Authorization` header of exactly 4096 bytes authenticates, 4097 bytes are `401
/// invalid_client`; a 2048-byte or 64-token `scope` is granted, 2049 bytes or 65 tokens are
/// `invalid_scope`; 43- and 128-character verifiers redeem, 42 and 129 are `invalid_grant`; a
/// 256-byte `user_lookup.value` impersonates, 257 bytes are `invalid_request`.
#[tokio::test]
async fn token_parameters_at_their_bounds_and_one_byte_over() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let (id, secret) = (long_id(), long_secret());
    let cc = |scope: Option<&str>| {
        let mut p = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            p.push(("scope", s));
        }
        query(&p)
    };

    // client_id.
    let auth = basic(&id, &secret);
    assert_eq!(auth.len(), 4094);
    srv.token_form(&cc(None), Some(&auth)).await.assert_tokens();
    srv.token(Auth::Post(&id, &secret), &[("grant_type", "client_credentials")]).await.assert_tokens();
    let id_129 = format!("{id}x");
    srv.token_form(&cc(None), Some(&basic(&id_129, &secret))).await.assert_basic_invalid_client();
    let reply = srv.token(Auth::Post(&id_129, &secret), &[("grant_type", "client_credentials")]).await;
    reply.assert_token_error(401, "invalid_client");

    // Authorization: the same credentials padded with spaces after the scheme.
    let b64 = auth.trim_start_matches("Basic ");
    let at_bound = format!("Basic   {b64}");
    assert_eq!(at_bound.len(), 4096);
    srv.token_form(&cc(None), Some(&at_bound)).await.assert_tokens();
    let over = format!("Basic    {b64}");
    srv.token_form(&cc(None), Some(&over)).await.assert_basic_invalid_client();

    // scope: bytes.
    let s2048 = scope_2048();
    let tokens = srv.token_form(&cc(Some(&s2048)), Some(&auth)).await.assert_tokens();
    assert_eq!(tokens.scope, s2048);
    srv.token_form(&cc(Some(&scope_2049())), Some(&auth)).await.assert_token_error(400, "invalid_scope");
    // scope: tokens.
    let many = many_scopes().join(" ");
    let basic_many = basic("client-many", "s3cret-many");
    let tokens = srv.token_form(&cc(Some(&many)), Some(&basic_many)).await.assert_tokens();
    assert_eq!(tokens.scopes().len(), 64);
    let many_65 = format!("{many} s00");
    srv.token_form(&cc(Some(&many_65)), Some(&basic_many)).await.assert_token_error(400, "invalid_scope");

    // code_verifier: 43 and 128 characters redeem; 42 and 129 do not (RFC 7636 §4.1).
    for (len, ok) in [(43, true), (128, true), (42, false), (129, false)] {
        let verifier = "v".repeat(len);
        let code = srv.get_code("client-a", CB_A, None, &s256(&verifier)).await;
        let reply = srv.redeem(Auth::Header(BASIC_CLIENT_A), &code, Some(CB_A), Some(&verifier)).await;
        if ok {
            let _ = reply.assert_tokens();
        } else {
            reply.assert_token_error(400, "invalid_grant");
        }
    }

    // user_lookup.value, in a form and in a JSON body.
    for (user, ok) in [(long_user(), true), (format!("{}u", long_user()), false)] {
        let lookup = json!({"field": "userId", "value": user});
        let form = query(&[("grant_type", IMPERSONATION), ("user_lookup", &lookup.to_string())]);
        let json_body = json!({"grant_type": IMPERSONATION, "user_lookup": lookup});
        for reply in [srv.token_form(&form, Some(&auth)).await, srv.token_json(&json_body, Some(&auth)).await] {
            if ok {
                assert!(reply.assert_tokens().refresh_token.is_none());
            } else {
                reply.assert_token_error(400, "invalid_request");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Megabytes, thousands, broken encodings.
// ---------------------------------------------------------------------------------------------

/// 64 KiB of `a`, the body every streamed request is written from (nothing large is
/// allocated on the sending side).
static CHUNK: [u8; 64 * 1024] = [b'a'; 64 * 1024];

/// Streams a `POST /oauth/token` with a form body of `len` bytes (declared by
/// `Content-Length`, or chunked) while reading the answer; returns the reply, or `None` when
/// the server closed the connection without a complete one (allowed past
/// `oauth_axum::MAX_DRAIN_BYTES`, 16 MiB).
async fn stream_body(addr: &str, len: usize, chunked: bool) -> Option<Reply> {
    let stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => panic!("connecting to the server failed: {e}"),
    };
    let (rd, mut wr) = stream.into_split();
    let framing = if chunked { "Transfer-Encoding: chunked".to_owned() } else { format!("Content-Length: {len}") };
    let head = format!(
        "POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: {BASIC_SVC_B}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let mut left = len;
        // Bounded: every iteration writes at least one byte of `len`.
        while left > 0 {
            let n = left.min(CHUNK.len());
            if chunked {
                wr.write_all(format!("{n:x}\r\n").as_bytes()).await?;
            }
            wr.write_all(&CHUNK[..n]).await?;
            if chunked {
                wr.write_all(b"\r\n").await?;
            }
            left -= n;
        }
        if chunked {
            wr.write_all(b"0\r\n\r\n").await?;
        }
        // The write half is returned, not dropped: closing it could end the exchange early.
        Ok::<_, std::io::Error>(wr)
    });
    let reply = read_reply(rd).await;
    writer.abort();
    reply
}

/// Sends `request` on a new connection while reading the answer (the server may answer and
/// close before reading everything); returns the reply, or `None` when the connection was
/// closed without a complete one.
async fn send_reading(addr: &str, request: Vec<u8>) -> Option<Reply> {
    let stream = match TcpStream::connect(addr).await {
        Ok(s) => s,
        Err(e) => panic!("connecting to the server failed: {e}"),
    };
    let (rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        wr.write_all(&request).await?;
        Ok::<_, std::io::Error>(wr)
    });
    let reply = read_reply(rd).await;
    writer.abort();
    reply
}

/// Reads until the peer closes the connection (at most 1 MiB, within [`REQUEST_TIMEOUT`]) and
/// parses the response, if a complete head arrived.
async fn read_reply(mut rd: tokio::net::tcp::OwnedReadHalf) -> Option<Reply> {
    let mut buf = Vec::new();
    let read = async {
        let mut tmp = [0u8; 16 * 1024];
        // Bounded by the peer closing the connection, by 1 MiB, and by the timeout below.
        loop {
            match rd.read(&mut tmp).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
            if buf.len() > 1024 * 1024 {
                break;
            }
        }
    };
    if tokio::time::timeout(REQUEST_TIMEOUT, read).await.is_err() {
        panic!("no answer within {REQUEST_TIMEOUT:?}");
    }
    Reply::from_raw(&buf)
}

/// The resident set size of this process (the server runs in it), in KiB, from
/// `/proc/self/status`; `None` where there is no such file.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Bodies of megabytes: 16 concurrent bodies of 12 MiB (declared and chunked) are each answered
/// `413 invalid_request` within [`QUICK`], a normal request made meanwhile succeeds within
/// [`QUICK`], and the process's resident memory grows by less than 32 MiB while 192 MiB arrive
/// (nothing past 64 KiB is kept: a server that buffered the bodies would grow by 192 MiB).
/// Memory is sampled (`VmRSS` of this process, every 5 ms, from `/proc/self/status`) during the
/// flood, rather than read once after it, so that the peak of a server that buffered and then
/// freed the bodies would still show; no other test of this file runs meanwhile
/// ([`MEMORY_MEASUREMENT`]), and the bound leaves room for allocator and thread noise (3 to 10
/// MiB observed). A 24 MiB body, past the 16 MiB the server drains, gets a 413 or a closed
/// connection, and the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn megabyte_bodies_get_413_quickly_with_bounded_memory() {
    let _exclusive = MEMORY_MEASUREMENT.write().await;
    const BODIES: usize = 16;
    const SIZE: usize = 12 * 1024 * 1024;
    const BOUND_MIB: u64 = 32;
    let srv = server().await;
    still_serving(&srv, "warm-up").await;

    let baseline = rss_kib();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut peak = 0;
            let mut tick = tokio::time::interval(Duration::from_millis(5));
            // Bounded: at most 60 s of samples, and ends as soon as the flood is over.
            for _ in 0..12_000 {
                tick.tick().await;
                peak = peak.max(rss_kib().unwrap_or(0));
                if done.load(Ordering::Relaxed) {
                    break;
                }
            }
            peak
        })
    };

    let start = Instant::now();
    let flood: Vec<_> = (0..BODIES)
        .map(|i| {
            let addr = srv.addr().to_owned();
            tokio::spawn(async move {
                let t = Instant::now();
                let reply = stream_body(&addr, SIZE, i % 2 == 1).await;
                (reply, t.elapsed())
            })
        })
        .collect();
    still_serving(&srv, "a normal request during the flood").await;
    for task in flood {
        let (reply, took) = match task.await {
            Ok(r) => r,
            Err(e) => panic!("a flooding task failed: {e}"),
        };
        let Some(reply) = reply else { panic!("no answer to a 12 MiB body (after {took:?})") };
        refused(&reply, 413, "invalid_request");
        assert!(took < QUICK, "a 12 MiB body was answered after {took:?}");
    }
    let flood_time = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let peak = match sampler.await {
        Ok(p) => p,
        Err(e) => panic!("the memory sampler failed: {e}"),
    };
    if let Some(base) = baseline {
        let growth_mib = peak.saturating_sub(base) / 1024;
        eprintln!("{BODIES} x 12 MiB bodies in {flood_time:?}; resident memory grew by {growth_mib} MiB at most");
        assert!(
            growth_mib < BOUND_MIB,
            "resident memory grew by {growth_mib} MiB while {BODIES} x 12 MiB bodies arrived"
        );
    } else {
        eprintln!("no /proc/self/status: memory growth not measured");
    }

    // Past the drain limit: 413 if the answer arrives before the connection is closed.
    if let Some(reply) = stream_body(srv.addr(), 24 * 1024 * 1024, false).await {
        refused(&reply, 413, "invalid_request");
    }
    still_serving(&srv, "after the flood").await;
}

/// Thousands of parameters within the size limit (5000 short ones) are refused at once with
/// `invalid_request`: in a form body, a JSON body, an authorization query and a posted
/// authorization form (no redirect: the request cannot be read).
#[tokio::test]
async fn thousands_of_parameters_are_invalid_request() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let many: String = (0..5000).map(|i| format!("&a{i}=1")).collect();
    let form = format!("grant_type=client_credentials{many}");
    assert!(form.len() < MAX_INPUT);
    refused(&quick("5000 form parameters", srv.token_form(&form, Some(BASIC_SVC_B))).await, 400, "invalid_request");
    let mut object = serde_json::Map::new();
    for i in 0..5000 {
        object.insert(format!("a{i}"), "1".into());
    }
    object.insert("grant_type".into(), "client_credentials".into());
    let reply = quick("5000 JSON members", srv.token_json(&Value::Object(object), Some(BASIC_SVC_B))).await;
    refused(&reply, 400, "invalid_request");
    let q = format!("{}{many}", authz_a(&[]));
    refused(&quick("5000 query parameters", srv.authorize_reply(&q)).await, 400, "invalid_request");
    refused(&quick("5000 posted parameters", authorize_post(&srv, &q)).await, 400, "invalid_request");
    still_serving(&srv, "after thousands of parameters").await;
}

/// Escapes that are not `%` and two hex digits, and escapes that decode to bytes that are not
/// UTF-8 (a lone continuation byte, an overlong `/`, a UTF-16 surrogate, `FF FE`), in a name or
/// a value: `invalid_request` at the token endpoint, a 400 without redirect at the authorization
/// endpoint (query and posted form); in `Authorization: Basic` halves, `401 invalid_client`
/// (D15).
#[tokio::test]
async fn broken_percent_encoding_is_invalid_request() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let bad = ["%", "%2", "%zz", "%G1", "%%41", "%E9", "%C0%AF", "%ED%A0%80", "%FF%FE"];
    for b in bad {
        for form in [format!("grant_type=client_credentials&scope={b}"), format!("grant_type=client_credentials&{b}=1")]
        {
            refused(&quick(b, srv.token_form(&form, Some(BASIC_SVC_B))).await, 400, "invalid_request");
        }
        for q in [format!("{}&login_hint={b}", authz_a(&[])), format!("{}&{b}=1", authz_a(&[]))] {
            refused(&quick(b, srv.authorize_raw(&q)).await, 400, "invalid_request");
            refused(&quick(b, authorize_post(&srv, &q)).await, 400, "invalid_request");
        }
        let header = format!("Basic {}", base64_std(format!("svc-b:{b}").as_bytes()));
        quick(b, srv.token_form("grant_type=client_credentials", Some(&header))).await.assert_basic_invalid_client();
        let header = format!("Basic {}", base64_std(format!("svc{b}:s3cret-svcb").as_bytes()));
        quick(b, srv.token_form("grant_type=client_credentials", Some(&header))).await.assert_basic_invalid_client();
    }
    still_serving(&srv, "after broken escapes").await;
}

/// Standard base64 with padding (RFC 4648 §4), as `Authorization: Basic` uses.
fn base64_std(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `POST /oauth/token` written by hand with the header fields `headers` (bytes, so they may be
/// other than UTF-8) and `body`, answered within [`QUICK`].
async fn post_raw(srv: &TestServer, headers: &[(&str, &[u8])], body: &[u8]) -> Reply {
    quick("hand-written token request", srv.raw_http(&raw_request("POST", "/oauth/token", headers, Some(body)))).await
}

/// Bytes that are not UTF-8 where text is expected: raw in a form body, raw in a JSON string, a
/// JSON lone-surrogate escape, a byte-order mark before the JSON, raw in the request target,
/// and in header fields (`Authorization`, `Content-Type`, `Origin`). Each is a 4xx OAuth error:
/// `invalid_request`, or `401 invalid_client` for credentials; the request target is refused by
/// the HTTP layer or answered 400 without redirect.
#[tokio::test]
async fn invalid_utf8_in_bodies_targets_and_headers_is_refused() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let form_header: (&str, &[u8]) = ("Content-Type", b"application/x-www-form-urlencoded");
    let json_header: (&str, &[u8]) = ("Content-Type", b"application/json");
    let svc_b: (&str, &[u8]) = ("Authorization", BASIC_SVC_B.as_bytes());

    // Bodies.
    let cases: [(&[u8], &str); 6] = [
        (b"grant_type=client_credentials&scope=\xE9", "form"),
        (b"grant_type=client_credentials&\xFF\xFE=1", "form"),
        (b"{\"grant_type\":\"client_credentials\",\"scope\":\"\xE9\"}", "json"),
        (b"{\"grant_type\":\"client_credentials\",\"\xC0\xAF\":\"1\"}", "json"),
        (b"{\"grant_type\":\"client_credentials\",\"scope\":\"\\ud800\"}", "json"),
        (b"\xEF\xBB\xBF{\"grant_type\":\"client_credentials\"}", "json"),
    ];
    for (body, kind) in cases {
        let ct = if kind == "form" { form_header } else { json_header };
        refused(&post_raw(&srv, &[ct, svc_b], body).await, 400, "invalid_request");
    }

    // Header fields.
    let ok_body = b"grant_type=client_credentials";
    post_raw(&srv, &[form_header, ("Authorization", b"Basic \xE9\xE9\xE9\xE9")], ok_body)
        .await
        .assert_basic_invalid_client();
    let not_utf8 = format!("Basic {}", base64_std(b"svc-b:\xE9\xFF"));
    post_raw(&srv, &[form_header, ("Authorization", not_utf8.as_bytes())], ok_body).await.assert_basic_invalid_client();
    refused(&post_raw(&srv, &[("Content-Type", b"\xE9"), svc_b], ok_body).await, 400, "invalid_request");
    let origin: (&str, &[u8]) = ("Origin", b"https://\xE9.example");
    refused(&post_raw(&srv, &[form_header, svc_b, origin], ok_body).await, 400, "invalid_request");

    // The request target.
    let mut request = b"GET /oauth/authorize?".to_vec();
    request.extend_from_slice(authz_a(&[]).as_bytes());
    request.extend_from_slice(b"&login_hint=\xE9\xFF HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let reply = quick("raw bytes in the target", srv.raw_http(&request)).await;
    assert!(reply.location().is_none(), "{}", reply.describe());
    if reply.status == 400 && reply.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
        refused(&reply, 400, "invalid_request");
    } else {
        assert_eq!(reply.status, 400, "the HTTP layer refuses the target: {}", reply.describe());
    }
    still_serving(&srv, "after invalid UTF-8").await;
}

/// Deep JSON: 20 000 nested arrays as `user_lookup`, 8000 nested objects in another member,
/// 30 000 nested arrays as the whole body, and a shallow but unexpected structure inside
/// `user_lookup`: each is `invalid_request` (serde_json's recursion limit, no stack overflow),
/// and the server keeps serving.
#[tokio::test]
async fn deep_json_is_invalid_request() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let prefix = format!(
        "{{\"grant_type\":\"{IMPERSONATION}\",\"client_id\":\"svc-a\",\"client_secret\":\"s3cret-svc\",\"user_lookup\":"
    );
    let arrays = format!("{prefix}{}{}}}", "[".repeat(20_000), "]".repeat(20_000));
    let objects = format!(
        "{prefix}{{\"field\":\"userId\",\"value\":\"user-1\"}},\"x\":{}1{}}}",
        "{\"a\":".repeat(8000),
        "}".repeat(8000)
    );
    let bare = "[".repeat(30_000);
    let odd = format!("{prefix}{{\"field\":\"userId\",\"value\":\"user-1\",\"x\":{{\"y\":[1,{{\"z\":null}}]}}}}}}");
    for (what, body) in [("arrays", arrays), ("objects", objects), ("bare", bare), ("odd", odd)] {
        assert!(body.len() < MAX_INPUT, "{what} must stay under the body limit");
        let reply = quick(what, token_json_raw(&srv, body.as_bytes(), None)).await;
        refused(&reply, 400, "invalid_request");
    }
    still_serving(&srv, "after deep JSON").await;
}

/// Slow clients do not hold the server: 64 connections that sent half a request head, 16 that
/// sent a head announcing 60 KiB and then 10 bytes of body, and 16 that sent nothing stay open
/// while 8 normal requests (and a race of 16 more) are each answered within [`QUICK`].
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_clients_do_not_block_other_clients() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let mut idle = Vec::new();
    for i in 0..96 {
        let mut stream = match TcpStream::connect(srv.addr()).await {
            Ok(s) => s,
            Err(e) => panic!("connecting attacker {i} failed: {e}"),
        };
        let partial: &[u8] = match i {
            0..64 => b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty",
            64..80 => {
                b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                        Content-Length: 61440\r\n\r\ngrant_type"
            }
            _ => b"",
        };
        if let Err(e) = stream.write_all(partial).await {
            panic!("writing attacker {i} failed: {e}");
        }
        idle.push(stream);
    }
    let start = Instant::now();
    for i in 0..8 {
        still_serving(&srv, &format!("normal request {i} among slow clients")).await;
    }
    let replies = srv.race(&vec![raw_token_form("grant_type=client_credentials", Some(BASIC_SVC_B)); 16]).await;
    for reply in &replies {
        let _ = reply.assert_tokens();
    }
    assert!(start.elapsed() < QUICK, "24 normal requests took {:?} among slow clients", start.elapsed());
    drop(idle);
}

/// Limits of the HTTP layer, answered by hyper before the server sees the request, quickly and
/// with a 4xx, and the server keeps serving: a 100 KiB request target is 414; a 1 MiB one, 200
/// header fields and a 512 KiB header field are 431 (the head exceeds hyper's buffer or its 100
/// fields). (These answers are hyper's own, with an empty body: no
/// OAuth JSON is possible there.) A 64 KiB `Authorization` header, within hyper's limits, is
/// the server's `401 invalid_client`.
#[tokio::test]
async fn oversized_request_heads_are_refused_by_the_http_layer() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let target = |n: usize| format!("/oauth/authorize?{}&x={}", authz_a(&[]), "a".repeat(n));
    let names: Vec<String> = (0..200).map(|i| format!("X-Filler-{i}")).collect();
    let many: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"1" as &[u8])).collect();
    let big = vec![b'a'; 512 * 1024];
    let cases = [
        ("100 KiB target", raw_request("GET", &target(100 * 1024), &[], None), 414),
        ("1 MiB target", raw_request("GET", &target(1024 * 1024), &[], None), 431),
        ("200 header fields", raw_request("GET", "/oauth/authorize", &many, None), 431),
        ("512 KiB header field", raw_request("GET", "/oauth/authorize", &[("X-Big", &big)], None), 431),
    ];
    for (what, request, status) in cases {
        let start = Instant::now();
        let reply = send_reading(srv.addr(), request).await;
        assert!(start.elapsed() < QUICK, "{what}: answered after {:?}", start.elapsed());
        let Some(reply) = reply else { panic!("{what}: the connection was closed without an answer") };
        assert_eq!(reply.status, status, "{what}: {}", reply.describe());
    }

    let huge_auth = format!("Basic {}", "A".repeat(64 * 1024));
    quick("64 KiB Authorization", srv.token_form("grant_type=client_credentials", Some(&huge_auth)))
        .await
        .assert_basic_invalid_client();
    still_serving(&srv, "after oversized heads").await;
}

/// Odd framing and odd values, each a 4xx OAuth error and never a 5xx: a body cut short
/// (`Content-Length` larger than what is sent before the client stops writing), a malformed
/// chunk size, `Expect: 100-continue` with a 1 GiB `Content-Length` (413 or 100 at once, no
/// hang), a form `user_lookup`
/// nested 4000 deep, a JSON `scope` array holding a number, two `Authorization` fields, Basic
/// credentials with an empty `client_id`, and a `Content-Type` of 8 KiB.
#[tokio::test]
async fn odd_framing_and_values_are_4xx_never_5xx() {
    let _shared = MEMORY_MEASUREMENT.read().await;
    let srv = server().await;
    let head = |framing: &str| {
        format!(
            "POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: {BASIC_SVC_B}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n{framing}\r\n\r\n"
        )
    };

    // A body cut short: the client half-closes after 10 of 100 bytes.
    let stream = match TcpStream::connect(srv.addr()).await {
        Ok(s) => s,
        Err(e) => panic!("connecting failed: {e}"),
    };
    let (rd, mut wr) = stream.into_split();
    let request = format!("{}grant_type", head("Content-Length: 100"));
    if let Err(e) = wr.write_all(request.as_bytes()).await {
        panic!("writing failed: {e}");
    }
    if let Err(e) = wr.shutdown().await {
        panic!("half-closing failed: {e}");
    }
    if let Some(reply) = read_reply(rd).await {
        refused(&reply, 400, "invalid_request");
    }

    // A chunk size that is not hexadecimal.
    let request = format!("{}zz\r\ngrant_type=client_credentials\r\n0\r\n\r\n", head("Transfer-Encoding: chunked"));
    if let Some(reply) = send_reading(srv.addr(), request.into_bytes()).await {
        assert!((400..500).contains(&reply.status), "{}", reply.describe());
        if reply.header("content-type").is_some() {
            refused(&reply, 400, "invalid_request");
        }
    }

    // Expect: 100-continue with a gigabyte announced and nothing sent.
    let request = head("Expect: 100-continue\r\nContent-Length: 1073741824");
    let start = Instant::now();
    let stream = match TcpStream::connect(srv.addr()).await {
        Ok(s) => s,
        Err(e) => panic!("connecting failed: {e}"),
    };
    let (rd, mut wr) = stream.into_split();
    if let Err(e) = wr.write_all(request.as_bytes()).await {
        panic!("writing failed: {e}");
    }
    let mut rd = rd;
    let mut buf = Vec::new();
    let first_head = async {
        let mut tmp = [0u8; 4096];
        // Bounded by the first complete head, the peer closing, 64 KiB, and the timeout below.
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 64 * 1024 {
            match rd.read(&mut tmp).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        }
    };
    if tokio::time::timeout(QUICK, first_head).await.is_err() {
        panic!("a 1 GiB announcement was not answered within {QUICK:?} ({:?})", start.elapsed());
    }
    // RFC 9110 §10.1.1: a final status without reading the body (413), or the interim 100
    // (Continue) that oauth-axum sends today before draining up to 16 MiB.
    let status = String::from_utf8_lossy(&buf).split(' ').nth(1).unwrap_or("").to_owned();
    assert!(status == "413" || status == "100", "a 1 GiB announcement got status {status:?}");
    drop(wr);

    // Values.
    let deep = format!("{}{}", "[".repeat(4000), "]".repeat(4000));
    let form = query(&[("grant_type", IMPERSONATION), ("user_lookup", &deep)]);
    refused(&srv.token_form(&form, Some(BASIC_SVC_A)).await, 400, "invalid_request");
    let body = json!({"grant_type": "client_credentials", "scope": ["read", 1]});
    refused(&srv.token_json(&body, Some(BASIC_SVC_B)).await, 400, "invalid_request");
    let twice: [(&str, &[u8]); 3] = [
        ("Content-Type", b"application/x-www-form-urlencoded"),
        ("Authorization", BASIC_SVC_B.as_bytes()),
        ("Authorization", BASIC_SVC_B.as_bytes()),
    ];
    post_raw(&srv, &twice, b"grant_type=client_credentials").await.assert_basic_invalid_client();
    let empty_id = format!("Basic {}", base64_std(b":s3cret-svcb"));
    srv.token_form("grant_type=client_credentials", Some(&empty_id)).await.assert_basic_invalid_client();
    let long_type = format!("application/x-www-form-urlencoded; x={}", "a".repeat(8 * 1024));
    let reply = srv.token_raw(Some(&long_type), Some(BASIC_SVC_B), b"grant_type=client_credentials".to_vec()).await;
    let _ = reply.assert_tokens();
    still_serving(&srv, "after odd framing").await;
}
