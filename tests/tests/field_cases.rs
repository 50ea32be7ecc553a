//! One test per case of `shared/cases/field-cases.md` that concerns `/oauth/authorize` and
//! `/oauth/token`, named after the case id. Each drives the real server over loopback HTTP.
//!
//! Policy chosen where a case leaves a decision (Part 3 of `shared/spec/requirements.md`):
//! redirect URIs are compared as exact strings (no case folding, D5); PKCE is `S256` only (D4);
//! `redirect_uri` may be omitted at `/oauth/authorize` only when exactly one is registered, and is
//! required at `/oauth/token` exactly when it was sent at `/oauth/authorize` (D5).
//!
//! Not here (no endpoint yet; a later issue adds `/oauth/introspect` and `/oauth/revoke`): F13
//! step 3's introspection, F16's introspection checks, F21 step 4 and all of F27.

use std::sync::Arc;

use oauth_conformance::*;

/// F03: redirect URIs are exact strings: scheme, host and path case, a trailing slash, an explicit
/// default port and an empty query each make a different, unregistered URI (RFC 6749 §3.1.2.3,
/// RFC 9700 §4.1.3, D5). None redirects; and the token step uses the same exact rule.
#[tokio::test]
async fn f03_redirect_uri_case_and_trailing_slash_variants() {
    let srv = TestServer::start(FIXTURE).await;
    let variants = [
        "https://app.example/CB",
        "https://APP.example/cb",
        "HTTPS://app.example/cb",
        "https://app.example/cb/",
        "https://app.example:443/cb",
        "https://app.example/cb?",
    ];
    for v in variants {
        let q = query(&[
            ("response_type", "code"),
            ("client_id", "client-a"),
            ("redirect_uri", v),
            ("state", "s1"),
            ("code_challenge", C1),
            ("code_challenge_method", "S256"),
        ]);
        let reply = srv.authorize_reply(&q).await;
        reply.assert_no_redirect();
    }

    // Control: the exact registered string is accepted.
    let code = srv.get_code("client-a", CB_A, Some("read"), C1).await;
    // Consistency with the token step (F15): the exact string redeems ...
    srv.redeem(Auth::Header(BASIC_CLIENT_A), &code, Some(CB_A), Some(V1)).await.assert_tokens();
    // ... and a case or slash variant of it does not.
    for v in ["https://app.example/CB", "https://APP.example/cb", "https://app.example/cb/"] {
        let code = srv.get_code("client-a", CB_A, Some("read"), C1).await;
        srv.redeem(Auth::Header(BASIC_CLIENT_A), &code, Some(v), Some(V1))
            .await
            .assert_token_error(400, "invalid_grant");
    }
}

/// F04: a registered query is kept and the response parameters are appended with `&` (exactly
/// one `?`), on success and on error; a query not registered, or a fragment, is refused without
/// a redirect (RFC 6749 §3.1.2, §3.1.2.3, §4.1.2, §4.1.2.1).
#[tokio::test]
async fn f04_query_and_fragment_handling() {
    let srv = TestServer::start(FIXTURE).await;

    // 1. Success: https://app.example/cb?tenant=t1&code=…&state=s1&iss=…
    let q = query(&[
        ("response_type", "code"),
        ("client_id", "client-q"),
        ("redirect_uri", CB_Q),
        ("state", "s1"),
        ("code_challenge", C1),
        ("code_challenge_method", "S256"),
    ]);
    let reply = srv.authorize_reply(&q).await;
    let code = srv.assert_code_redirect(&reply, CB_Q, Some("s1"));
    let location = reply.location().unwrap_or_default();
    assert!(location.starts_with("https://app.example/cb?tenant=t1&code="), "{}", reply.describe());
    // The code redeems with the registered URI, query included.
    srv.redeem(Auth::Header(&basic("client-q", "s3cret-q")), &code, Some(CB_Q), Some(V1)).await.assert_tokens();

    // 2. Error: https://app.example/cb?tenant=t1&error=unsupported_response_type&…&state=s1&iss=…
    let q = query(&[
        ("response_type", "bogus"),
        ("client_id", "client-q"),
        ("redirect_uri", CB_Q),
        ("state", "s1"),
        ("code_challenge", C1),
        ("code_challenge_method", "S256"),
    ]);
    let reply = srv.authorize_reply(&q).await;
    srv.assert_error_redirect(&reply, CB_Q, "unsupported_response_type", Some("s1"));
    let location = reply.location().unwrap_or_default();
    assert!(location.starts_with("https://app.example/cb?tenant=t1&error=unsupported_response_type"), "{location}");

    // 3 and 4. Unregistered queries (one planting a code) and a fragment: no redirect.
    for v in ["https://app.example/cb?code=planted", "https://app.example/cb?x=1", "https://app.example/cb#frag"] {
        let q = query(&[
            ("response_type", "code"),
            ("client_id", "client-a"),
            ("redirect_uri", v),
            ("state", "s1"),
            ("code_challenge", C1),
            ("code_challenge_method", "S256"),
        ]);
        srv.authorize_reply(&q).await.assert_no_redirect();
    }
}

/// F05: native loopback redirect URIs match on any port (RFC 8252 §7.3) and on nothing else:
/// not another path, scheme, host name, a look-alike host, user information, or an added query.
/// A non-native client gets no port exception (RFC 9700 §4.1.3).
#[tokio::test]
async fn f05_loopback_redirect_uris_any_port_for_native_clients() {
    let srv = TestServer::start(FIXTURE).await;
    let native = |uri: &str| {
        query(&[
            ("response_type", "code"),
            ("client_id", "client-native"),
            ("redirect_uri", uri),
            ("state", "s1"),
            ("code_challenge", C1),
            ("code_challenge_method", "S256"),
        ])
    };

    // Positive, IPv4: the redirect goes to the exact URI, port included; the code redeems with it.
    let uri = "http://127.0.0.1:51004/cb";
    let reply = srv.authorize_reply(&native(uri)).await;
    let code = srv.assert_code_redirect(&reply, uri, Some("s1"));
    let tokens = srv.redeem(Auth::Public("client-native"), &code, Some(uri), Some(V1)).await.assert_tokens();
    assert_eq!(tokens.scopes(), scope_set("read"));

    // At the token endpoint the URI must equal the one sent, port included (D5).
    let reply = srv.authorize_reply(&native(uri)).await;
    let code = srv.assert_code_redirect(&reply, uri, Some("s1"));
    srv.redeem(Auth::Public("client-native"), &code, Some("http://127.0.0.1:51005/cb"), Some(V1))
        .await
        .assert_token_error(400, "invalid_grant");

    // Positive, IPv6.
    let uri6 = "http://[::1]:61023/cb";
    let reply = srv.authorize_reply(&native(uri6)).await;
    let _ = srv.assert_code_redirect(&reply, uri6, Some("s1"));

    // Negative: each is a different URI.
    for bad in [
        "http://127.0.0.1:51004/other",
        "https://127.0.0.1:51004/cb",
        "http://localhost:51004/cb",
        "http://127.0.0.1.evil.example:51004/cb",
        "http://127.0.0.1:51004@evil.example/cb",
        "http://127.0.0.1:51004/cb?x=1",
    ] {
        srv.authorize_reply(&native(bad)).await.assert_no_redirect();
    }

    // A web client has no loopback or port exception.
    let q = query(&[
        ("response_type", "code"),
        ("client_id", "client-a"),
        ("redirect_uri", "https://app.example:8443/cb"),
        ("state", "s1"),
        ("code_challenge", C1),
        ("code_challenge_method", "S256"),
    ]);
    srv.authorize_reply(&q).await.assert_no_redirect();
}

/// F07: no error is redirected before the client and the redirect URI are validated (RFC 6749
/// §4.1.2.1; order client → redirect_uri → everything else).
#[tokio::test]
async fn f07_no_error_redirect_before_client_and_redirect_uri_are_validated() {
    let srv = TestServer::start(FIXTURE).await;
    let evil = "https://evil.example/steal";
    let cases: [&[(&str, &str)]; 5] = [
        &[("response_type", "token2"), ("client_id", "client-a")],
        &[("response_type", "code"), ("client_id", "client-a"), ("scope", "nonexistent")],
        &[("response_type", "code"), ("client_id", "unknown-client")],
        &[("response_type", "code"), ("client_id", "client-a"), ("prompt", "none")],
        &[("client_id", "client-a")],
    ];
    for case in cases {
        let mut pairs = case.to_vec();
        pairs.extend([
            ("redirect_uri", evil),
            ("state", "s1"),
            ("code_challenge", C1),
            ("code_challenge_method", "S256"),
        ]);
        let reply = srv.authorize_reply(&query(&pairs)).await;
        reply.assert_no_redirect();
        assert!(!reply.body.contains("evil.example"), "the unvalidated URI is not echoed: {}", reply.describe());
    }

    // Control: case 1 with the registered URI is redirected.
    let q = query(&[("response_type", "token2"), ("client_id", "client-a"), ("redirect_uri", CB_A), ("state", "s1")]);
    let reply = srv.authorize_reply(&q).await;
    srv.assert_error_redirect(&reply, CB_A, "unsupported_response_type", Some("s1"));
}

/// F10: a code issued with a challenge needs the matching verifier; client authentication does
/// not replace it (RFC 7636 §4.5, §4.6; RFC 6749 §3.1 empty = omitted).
#[tokio::test]
async fn f10_pkce_verifier_missing_empty_or_wrong() {
    let srv = TestServer::start(FIXTURE).await;
    let auth = Auth::Header(BASIC_CLIENT_A);

    // (a) no code_verifier.
    let code = srv.get_code("client-a", CB_A, None, C1).await;
    srv.redeem(auth, &code, Some(CB_A), None).await.assert_token_error(400, "invalid_grant");
    // (b) empty code_verifier.
    let code = srv.get_code("client-a", CB_A, None, C1).await;
    srv.redeem(auth, &code, Some(CB_A), Some("")).await.assert_token_error(400, "invalid_grant");
    // (c) another well-formed verifier.
    let code = srv.get_code("client-a", CB_A, None, C1).await;
    srv.redeem(auth, &code, Some(CB_A), Some(V2)).await.assert_token_error(400, "invalid_grant");
    // (d) the right one.
    let code = srv.get_code("client-a", CB_A, None, C1).await;
    srv.redeem(auth, &code, Some(CB_A), Some(V1)).await.assert_tokens();
}

/// F12: PKCE parameters at `/oauth/authorize` under the S256-only policy (RFC 7636 §4.1–§4.4.1,
/// §4.6; RFC 9700 §2.1.1; D4), and verifier syntax at `/oauth/token`.
#[tokio::test]
async fn f12_pkce_parameter_validation_s256_only() {
    let srv = TestServer::start(FIXTURE).await;
    let authorize = |challenge: Option<&str>, method: Option<&str>| {
        let mut pairs =
            vec![("response_type", "code"), ("client_id", "client-pub"), ("redirect_uri", CB_PUB), ("state", "s1")];
        if let Some(c) = challenge {
            pairs.push(("code_challenge", c));
        }
        if let Some(m) = method {
            pairs.push(("code_challenge_method", m));
        }
        query(&pairs)
    };
    let refused = |reply: &Reply| srv.assert_error_redirect(reply, CB_PUB, "invalid_request", Some("s1"));

    // 1. Challenge without a method: the RFC default is plain, which is refused.
    refused(&srv.authorize_reply(&authorize(Some(C1), None)).await);
    // 2. plain while plain is disabled.
    refused(&srv.authorize_reply(&authorize(Some(V1), Some("plain"))).await);
    // 3. An unknown method.
    refused(&srv.authorize_reply(&authorize(Some(C1), Some("S512"))).await);
    // 4. An empty challenge is a missing one, and PKCE is required.
    refused(&srv.authorize_reply(&authorize(Some(""), Some("S256"))).await);
    // 5. Malformed challenges: 42 and 129 characters, and '+', '/', '=' inside 43 characters.
    let long = "A".repeat(129);
    let plus = format!("{}+", &C1[..42]);
    let slash = format!("{}/", &C1[..42]);
    let pad = format!("{}=", &C1[..42]);
    for bad in [&C1[..42], long.as_str(), plus.as_str(), slash.as_str(), pad.as_str()] {
        refused(&srv.authorize_reply(&authorize(Some(bad), Some("S256"))).await);
    }

    // 6. A 42-character verifier whose hash matches its challenge is still refused.
    let code = srv.get_code("client-pub", CB_PUB, None, C42).await;
    srv.redeem(Auth::Public("client-pub"), &code, Some(CB_PUB), Some(V42))
        .await
        .assert_token_error(400, "invalid_grant");

    // 7. Verifiers of 129 characters, or with a space or '+', each with its own matching
    //    challenge, so that only the syntax is wrong.
    let v129 = "a".repeat(129);
    let with_space = format!("{} x", &"a".repeat(44));
    let with_plus = format!("{}+x", &"a".repeat(44));
    for v in [v129.as_str(), with_space.as_str(), with_plus.as_str()] {
        let code = srv.get_code("client-pub", CB_PUB, None, &s256(v)).await;
        srv.redeem(Auth::Public("client-pub"), &code, Some(CB_PUB), Some(v))
            .await
            .assert_token_error(400, "invalid_grant");
    }
}

/// F13: a code is single-use; a replay by its own client is refused and revokes what the first
/// redemption issued; concurrent redemptions yield exactly one success (RFC 6749 §4.1.2, §10.5;
/// D13).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn f13_code_replay_is_refused_revokes_the_grant_and_is_atomic() {
    let srv = TestServer::start(FIXTURE).await;
    let auth = Auth::Header(BASIC_CLIENT_A);

    // 1. First redemption: AT1 and RT1.
    let code = srv.get_code("client-a", CB_A, Some("read offline_access"), C1).await;
    let first = srv.redeem(auth, &code, Some(CB_A), Some(V1)).await.assert_tokens();
    let rt1 = first.refresh().to_owned();
    // 2. The same request again.
    srv.redeem(auth, &code, Some(CB_A), Some(V1)).await.assert_token_error(400, "invalid_grant");
    // 3. RT1 was revoked with the grant. (Introspecting AT1 → active:false needs
    //    /oauth/introspect, which a later issue adds.)
    srv.refresh(auth, &rt1, None).await.assert_token_error(400, "invalid_grant");

    // 4. Twenty identical redemptions of a fresh code, released together by a barrier.
    let code = srv.get_code("client-a", CB_A, Some("read"), C1).await;
    let body =
        query(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", CB_A), ("code_verifier", V1)]);
    const N: usize = 20;
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = Vec::with_capacity(N);
    for _ in 0..N {
        let http = srv.http().clone();
        let url = srv.url("/oauth/token");
        let body = body.clone();
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let resp = http
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("authorization", BASIC_CLIENT_A)
                .body(body)
                .send()
                .await;
            match resp {
                Ok(r) => Reply::read(r).await,
                Err(e) => panic!("concurrent POST /oauth/token failed: {}", e.without_url()),
            }
        }));
    }
    let mut ok = 0;
    let mut invalid_grant = 0;
    let mut other = Vec::new();
    for t in tasks {
        let reply = match t.await {
            Ok(r) => r,
            Err(e) => panic!("request task failed: {e}"),
        };
        if reply.status == 200 {
            let _ = reply.assert_tokens();
            ok += 1;
        } else if reply.status == 400 && reply.json()["error"] == "invalid_grant" {
            reply.assert_error_shape();
            invalid_grant += 1;
        } else {
            other.push(reply.describe());
        }
    }
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!((ok, invalid_grant), (1, N - 1), "exactly one success and {} invalid_grant", N - 1);
}

/// F16: refresh may narrow but never widen; narrowing does not stick; omitted scope means the
/// original (RFC 6749 §6, §3.3; D7, D10).
#[tokio::test]
async fn f16_refresh_scope_no_widening_narrowing_does_not_stick() {
    let srv = TestServer::start(FIXTURE).await;
    let auth = Auth::Header(BASIC_CLIENT_A);

    // Grant A: the user approves `read` (plus offline_access, needed for a refresh token).
    let a = srv.code_tokens(auth, "client-a", CB_A, Some("read offline_access")).await;
    let rt_a = a.refresh().to_owned();
    // 1. Widening to a scope the client may have but the grant lacks.
    srv.refresh(auth, &rt_a, Some("read write")).await.assert_token_error(400, "invalid_scope");
    // 2. A scope the client may never have.
    srv.refresh(auth, &rt_a, Some("admin")).await.assert_token_error(400, "invalid_scope");
    // 3. No scope: the original grant. The refused requests above left RT_A usable (D7).
    //    (Introspecting the new access token needs /oauth/introspect: a later issue.)
    let t = srv.refresh(auth, &rt_a, None).await.assert_tokens();
    assert_eq!(t.scopes(), scope_set("read offline_access"));
    assert!(t.refresh_token.as_deref().is_some_and(|r| r != rt_a), "rotation issues a new refresh token");

    // Grant B: `read write`.
    let b = srv.code_tokens(auth, "client-a", CB_A, Some("read write offline_access")).await;
    // 4. Narrow to `read`.
    let t4 = srv.refresh(auth, b.refresh(), Some("read")).await.assert_tokens();
    assert_eq!(t4.scope, "read");
    // 5. The refresh token from step 4 still carries the whole grant.
    let t5 = srv.refresh(auth, t4.refresh(), Some("read write")).await.assert_tokens();
    assert_eq!(t5.scopes(), scope_set("read write"));
    let t5b = srv.refresh(auth, t5.refresh(), None).await.assert_tokens();
    assert_eq!(t5b.scopes(), scope_set("read write offline_access"));
    // 6. An extra `code` parameter (a code of another grant) is ignored ...
    let other_code = srv.get_code("client-a", CB_A, Some("read"), C2).await;
    let t6 = srv
        .token(auth, &[("grant_type", "refresh_token"), ("refresh_token", t5b.refresh()), ("code", &other_code)])
        .await
        .assert_tokens();
    assert!(t6.scopes().is_subset(&scope_set("read write offline_access")), "scope never widens: {t6:?}");
    assert_eq!(t6.scopes(), scope_set("read write offline_access"));
    // ... so that code was not consumed and still redeems for its own grant.
    let other = srv.redeem(auth, &other_code, Some(CB_A), Some(V2)).await.assert_tokens();
    assert_eq!(other.scopes(), scope_set("read"));
}

/// F19: Basic credentials are form-urldecoded after base64 decoding (RFC 6749 §2.3.1, App. B;
/// D15); malformed values are 401 `invalid_client`, never 500; the scheme name is
/// case-insensitive (RFC 9110 §11.1).
#[tokio::test]
async fn f19_basic_credentials_are_form_urlencoded() {
    let srv = TestServer::start(FIXTURE).await;
    let cc = "grant_type=client_credentials";

    // 1. Properly encoded.
    let t = srv.token_form(cc, Some(BASIC_CLIENT_C)).await.assert_tokens();
    assert_eq!(t.scope, "read");
    // 2. Raw: '+' decodes to a space and "%t" is a bad escape.
    srv.token_form(cc, Some(BASIC_CLIENT_C_RAW)).await.assert_basic_invalid_client();
    // 3. client_secret_post with the form-encoded secret.
    srv.token_form(&format!("{cc}&client_id=client-c&client_secret=p%2Bq%2Fr%3As%25t"), None).await.assert_tokens();
    // 4. Malformed Basic values: no colon inside, invalid base64, empty.
    for bad in ["Basic Y2xpZW50LWM=", "Basic !!!", "Basic ", "Basic"] {
        let reply = srv.token_form(cc, Some(bad)).await;
        assert!(reply.status < 500, "never 5xx: {}", reply.describe());
        reply.assert_basic_invalid_client();
    }
    //    The scheme name in other cases.
    for scheme in ["basic", "BASIC", "bAsIc"] {
        let header = BASIC_CLIENT_C.replacen("Basic", scheme, 1);
        srv.token_form(cc, Some(&header)).await.assert_tokens();
    }
}

/// F21: failed client authentication through the `Authorization` header is 401 with a `Basic`
/// challenge, JSON `invalid_client` and no-store, and does not reveal whether the client exists
/// (RFC 6749 §5.2, RFC 9110 §11.6.1).
#[tokio::test]
async fn f21_invalid_client_is_401_with_www_authenticate() {
    let srv = TestServer::start(FIXTURE).await;
    let cc = "grant_type=client_credentials";

    // 1. Wrong secret.
    let wrong = srv.token_form(cc, Some(BASIC_CLIENT_A_WRONG)).await;
    wrong.assert_basic_invalid_client();
    // 2. Unknown client: the same shape and the same body.
    let unknown = srv.token_form(cc, Some(&basic("no-such-client", "s3cret"))).await;
    unknown.assert_basic_invalid_client();
    assert_eq!(unknown.body, wrong.body, "the body must not reveal whether the client exists");
    assert_eq!(unknown.header("www-authenticate"), wrong.header("www-authenticate"));
    // 3. Wrong secret in the body: 400 or 401 invalid_client; a 401 carries a challenge
    //    (checked by assert_error_shape, RFC 9110 §15.5.2).
    let post = srv.token(Auth::Post("client-a", "wrong"), &[("grant_type", "client_credentials")]).await;
    assert!(matches!(post.status, 400 | 401), "{}", post.describe());
    post.assert_token_error(post.status, "invalid_client");
    // 4. /oauth/revoke and /oauth/introspect do not exist yet (a later issue).
    // 5. The timing comparison is advisory and statistical; tests never measure speed.
}

/// F22: a repeated parameter is refused wherever it appears; an array-style name is just an
/// unknown parameter (RFC 6749 §3.1, §3.2, §5.2, §4.1.2.1, §3.3).
#[tokio::test]
async fn f22_repeated_and_array_style_parameters() {
    let srv = TestServer::start(FIXTURE).await;
    let base = [("response_type", "code"), ("client_id", "client-a")];
    let pkce = [("code_challenge", C1), ("code_challenge_method", "S256")];

    // 1. Two redirect URIs: no redirect at all.
    let mut p = base.to_vec();
    p.extend([("redirect_uri", CB_A), ("redirect_uri", "https://evil.example/"), ("state", "s1")]);
    p.extend(pkce);
    srv.authorize_reply(&query(&p)).await.assert_no_redirect();

    // 2. Two scopes: error redirect.
    let mut p = base.to_vec();
    p.extend([("redirect_uri", CB_A), ("scope", "read"), ("scope", "write"), ("state", "s1")]);
    p.extend(pkce);
    let reply = srv.authorize_reply(&query(&p)).await;
    srv.assert_error_redirect(&reply, CB_A, "invalid_request", Some("s1"));

    // 3. Two states: error redirect, no code, and neither copy echoed as "the" state.
    let mut p = base.to_vec();
    p.extend([("redirect_uri", CB_A), ("state", "a"), ("state", "b")]);
    p.extend(pkce);
    let reply = srv.authorize_reply(&query(&p)).await;
    srv.assert_error_redirect(&reply, CB_A, "invalid_request", None);

    // 4. Two codes at the token endpoint; neither is consumed.
    let k1 = srv.get_code("client-a", CB_A, None, C1).await;
    let k2 = srv.get_code("client-a", CB_A, None, C1).await;
    let body = query(&[
        ("grant_type", "authorization_code"),
        ("code", &k1),
        ("code", &k2),
        ("redirect_uri", CB_A),
        ("code_verifier", V1),
    ]);
    srv.token_form(&body, Some(BASIC_CLIENT_A)).await.assert_token_error(400, "invalid_request");
    srv.redeem(Auth::Header(BASIC_CLIENT_A), &k1, Some(CB_A), Some(V1)).await.assert_tokens();

    // 5. Two grant types (even equal ones).
    srv.token_form("grant_type=client_credentials&grant_type=client_credentials", Some(BASIC_SVC_B))
        .await
        .assert_token_error(400, "invalid_request");

    // 6. `scope[0]=read` is an unknown parameter: the omitted-scope default applies, never more.
    let t = srv.token_form("grant_type=client_credentials&scope%5B0%5D=read", Some(BASIC_SVC_B)).await.assert_tokens();
    assert_eq!(t.scope, "read");
}

/// F25: token and error responses are not cacheable, use the RFC 6749 §5.2 codes, never echo
/// submitted values, and client credentials never yield a refresh token (§5.1, §4.4.3, §7.1).
#[tokio::test]
async fn f25_token_and_error_response_hygiene() {
    let srv = TestServer::start(FIXTURE).await;

    // 1. A client-credentials success (assert_tokens checks no-store, no-cache, JSON, Bearer and
    //    an integer expires_in).
    let reply = srv.token_form("grant_type=client_credentials", Some(BASIC_SVC_B)).await;
    let t = reply.assert_tokens();
    assert!(t.refresh_token.is_none(), "client_credentials must not issue a refresh token");
    assert!(reply.json()["expires_in"].is_u64());

    // 2. Unknown grant type; missing grant type.
    srv.token_form("grant_type=foo", Some(BASIC_SVC_B)).await.assert_token_error(400, "unsupported_grant_type");
    srv.token_form("scope=read", Some(BASIC_SVC_B)).await.assert_token_error(400, "invalid_request");

    // 3. A made-up code: invalid_grant, and the body does not echo it.
    let reply = srv.redeem(Auth::Header(BASIC_CLIENT_A), "not-a-real-code", Some(CB_A), Some(V1)).await;
    reply.assert_token_error(400, "invalid_grant");
    assert!(!reply.body.contains("not-a-real-code"), "error bodies never echo the code");

    // 4. A grant the client may not use.
    srv.token_form("grant_type=client_credentials", Some(BASIC_CLIENT_A))
        .await
        .assert_token_error(400, "unauthorized_client");

    // 5. Error bodies never echo a secret either.
    let reply = srv.token(Auth::Post("client-a", "hunter2-secret"), &[("grant_type", "client_credentials")]).await;
    reply.assert_error_shape();
    assert!(!reply.body.contains("hunter2-secret"));
}

/// F30: the client-credentials grant is only for authenticated confidential clients (RFC 6749
/// §4.4, §3.2.1, §2.3; §3.1 empty = omitted).
#[tokio::test]
async fn f30_client_credentials_never_for_public_or_secretless_clients() {
    let srv = TestServer::start(FIXTURE).await;
    let public_refused = |reply: &Reply| {
        reply.assert_error_shape();
        let e = reply.json()["error"].as_str().map(str::to_owned);
        match (reply.status, e.as_deref()) {
            (401, Some("invalid_client")) | (400, Some("unauthorized_client")) => {}
            _ => panic!("expected 401 invalid_client or 400 unauthorized_client: {}", reply.describe()),
        }
    };

    // 1. A public client with only its id.
    public_refused(&srv.token_form("grant_type=client_credentials&client_id=client-pub", None).await);
    public_refused(&srv.token_form("grant_type=client_credentials&client_id=client-native", None).await);
    // 2. The same with an empty secret.
    public_refused(&srv.token_form("grant_type=client_credentials&client_id=client-pub&client_secret=", None).await);
    // 3. A confidential client with an empty secret.
    srv.token_form("grant_type=client_credentials&client_id=svc-b&client_secret=", None)
        .await
        .assert_token_error(401, "invalid_client");
    // 4. A confidential client without the grant.
    srv.token_form("grant_type=client_credentials", Some(BASIC_CLIENT_A))
        .await
        .assert_token_error(400, "unauthorized_client");
}

/// F33: oversized and malformed input fails fast with a 4xx, never a 5xx or a hang. Limits:
/// body or query 64 KiB, 64 parameters, values 8 KiB, `state` 2048 bytes, `scope` 2048 bytes and
/// 64 tokens, `Authorization` 4 KiB, `code_verifier` 128 characters (RFC 6749 §10.14, RFC 7636
/// §4.1, RFC 9110 §15.5.14, RFC 6585 §5). Every request is bounded by the harness timeout.
#[tokio::test]
async fn f33_oversized_and_malformed_input_fails_fast_with_4xx() {
    let srv = TestServer::start(FIXTURE).await;
    let authz = |extra: &[(&str, &str)]| {
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", "client-a"),
            ("redirect_uri", CB_A),
            ("code_challenge", C1),
            ("code_challenge_method", "S256"),
        ];
        p.extend_from_slice(extra);
        query(&p)
    };

    // 1. A 100 KB state: 400 (or 414/431 from the HTTP layer), never a redirect. (Sent by hand:
    //    the HTTP client refuses URIs over 64 KiB.)
    let big_state = "s".repeat(100_000);
    let reply = srv.authorize_raw(&authz(&[("state", &big_state)])).await;
    assert!(matches!(reply.status, 400 | 414 | 431), "{}", reply.describe());
    assert!(reply.location().is_none(), "{}", reply.describe());
    //    The documented maximum is 2048 bytes: 2048 is echoed, 2049 is refused without redirect.
    let max_state = "s".repeat(2048);
    let reply = srv.authorize_reply(&authz(&[("state", &max_state)])).await;
    let _ = srv.assert_code_redirect(&reply, CB_A, Some(&max_state));
    srv.authorize_reply(&authz(&[("state", &"s".repeat(2049))])).await.assert_no_redirect();

    // 2. Hostile redirect URIs.
    let colons = format!("http://[{}]/cb", ":".repeat(5000));
    for uri in [colons.as_str(), "http://[::1", "https://[\"><script>/cb", "http://[::ffff:999.1.1.1]/cb"] {
        let q = query(&[
            ("response_type", "code"),
            ("client_id", "client-a"),
            ("redirect_uri", uri),
            ("state", "s1"),
            ("code_challenge", C1),
            ("code_challenge_method", "S256"),
        ]);
        srv.authorize_reply(&q).await.assert_no_redirect();
    }

    // 3. Huge scopes: 100 000 bytes, or 10 000 tokens. The request exceeds the value and query
    //    limits, so it is refused as unreadable (400, no redirect).
    let huge = "a".repeat(100_000);
    let many = (0..10_000).map(|i| format!("s{i}")).collect::<Vec<_>>().join(" ");
    for scope in [huge.as_str(), many.as_str()] {
        let reply = srv.authorize_raw(&authz(&[("scope", scope), ("state", "s1")])).await;
        assert!(matches!(reply.status, 400 | 414 | 431), "{}", reply.describe());
        assert!(reply.location().is_none(), "{}", reply.describe());
    }
    //    Within the wire limits, the scope limits give invalid_scope redirects: 2049 bytes ...
    let long_scope = format!("read {}", "w".repeat(2044));
    assert_eq!(long_scope.len(), 2049);
    let reply = srv.authorize_reply(&authz(&[("scope", &long_scope), ("state", "s1")])).await;
    srv.assert_error_redirect(&reply, CB_A, "invalid_scope", Some("s1"));
    //    ... and 65 tokens.
    let tokens65 = (0..65).map(|i| format!("s{i}")).collect::<Vec<_>>().join(" ");
    let reply = srv.authorize_reply(&authz(&[("scope", &tokens65), ("state", "s1")])).await;
    srv.assert_error_redirect(&reply, CB_A, "invalid_scope", Some("s1"));

    // 4. A 10 MB body: 413.
    let ten_mb = vec![b'a'; 10 * 1024 * 1024];
    let reply = srv.token_raw(Some("application/x-www-form-urlencoded"), Some(BASIC_SVC_B), ten_mb).await;
    assert_eq!(reply.status, 413, "{}", reply.describe());
    //    100 000 parameters: 400 or 413.
    let params = "a=1&".repeat(100_000);
    let reply = srv.token_form(&params, Some(BASIC_SVC_B)).await;
    assert!(matches!(reply.status, 400 | 413), "{}", reply.describe());
    assert!(reply.json().get("access_token").is_none());
    //    The parameter-count limit is 64: 64 pass, 65 are refused.
    let pad = |n: usize| (0..n).map(|i| format!("&x{i}=1")).collect::<String>();
    srv.token_form(&format!("grant_type=client_credentials{}", pad(63)), Some(BASIC_SVC_B)).await.assert_tokens();
    srv.token_form(&format!("grant_type=client_credentials{}", pad(64)), Some(BASIC_SVC_B))
        .await
        .assert_token_error(400, "invalid_request");
    //    A value over 8 KiB.
    let long_value = format!("grant_type=client_credentials&x={}", "v".repeat(8 * 1024 + 1));
    srv.token_form(&long_value, Some(BASIC_SVC_B)).await.assert_token_error(400, "invalid_request");

    // 5. A 64 KB Authorization header: 431 from the HTTP layer, or 401 invalid_client.
    let huge_auth = format!("Basic {}", "A".repeat(64 * 1024));
    let reply = srv.token_form("grant_type=client_credentials", Some(&huge_auth)).await;
    match reply.status {
        431 => {}
        401 => reply.assert_basic_invalid_client(),
        _ => panic!("expected 431 or 401: {}", reply.describe()),
    }
    //    Just over the 4 KiB limit: 401 invalid_client.
    let auth_4k = format!("Basic {}", "A".repeat(4096));
    srv.token_form("grant_type=client_credentials", Some(&auth_4k)).await.assert_basic_invalid_client();

    // 6. A 100 KB code_verifier: the body is over the 64 KiB limit, so 413 (or 400).
    let code = srv.get_code("client-a", CB_A, None, C1).await;
    let big_verifier = "v".repeat(100_000);
    let reply = srv.redeem(Auth::Header(BASIC_CLIENT_A), &code, Some(CB_A), Some(&big_verifier)).await;
    assert!(matches!(reply.status, 400 | 413), "{}", reply.describe());
    assert!(reply.json().get("access_token").is_none());
    //    Within the body limit, a 129-character or an 8 KiB verifier is invalid_grant.
    for len in [129, 8 * 1024] {
        let v = "v".repeat(len);
        let code = srv.get_code("client-a", CB_A, None, &s256(&v)).await;
        srv.redeem(Auth::Header(BASIC_CLIENT_A), &code, Some(CB_A), Some(&v))
            .await
            .assert_token_error(400, "invalid_grant");
    }

    // 7. Bad percent-escapes: at /oauth/authorize (no redirect) and at /oauth/token.
    for bad in ["%", "%G1", "%C0%AF"] {
        let q = format!("{}&state={bad}", authz(&[]));
        srv.authorize_reply(&q).await.assert_no_redirect();
        srv.token_form(&format!("grant_type=client_credentials&scope={bad}"), Some(BASIC_SVC_B))
            .await
            .assert_token_error(400, "invalid_request");
    }
}
