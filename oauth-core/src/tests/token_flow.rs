use crate::testkit::*;
use crate::*;

fn at_digest(r: &Response) -> TokenDigest {
    tokens(r).access_token.digest()
}

#[test]
fn authorization_code_with_pkce_issues_tokens_once() {
    let (config, store) = fixture();
    let code = code_for_client_a(&config, &store, t(0));
    let r = redeem_client_a(&config, &store, &code, t(1));
    let tk = tokens(&r);
    assert_eq!(tk.token_type, "Bearer");
    assert_eq!(tk.expires_in, 3600);
    assert_eq!(tk.scope.to_string(), "offline_access read");
    assert_eq!(tk.access_token.expose().len(), 43);
    assert!(tk.refresh_token.is_some());
    let http = r.to_http();
    assert_eq!(http.status, 200);
    assert!(http.headers.contains(&("cache-control", "no-store".into())));
    assert!(http.headers.contains(&("pragma", "no-cache".into())));
    let at = store.access_token(&at_digest(&r), t(2)).unwrap().unwrap();
    assert_eq!(at.subject, Subject::User("user-1".into()));
    assert_eq!(&*at.client_id, "client-a");
}

#[test]
fn code_replay_revokes_the_grant_d13() {
    let (config, store) = fixture();
    let code = code_for_client_a(&config, &store, t(0));
    let first = redeem_client_a(&config, &store, &code, t(1));
    let rt = tokens(&first).refresh_token.clone().unwrap();
    let again = redeem_client_a(&config, &store, &code, t(2));
    assert_eq!(error_code(&again), "invalid_grant");
    assert_eq!(store.access_token(&at_digest(&first), t(3)).unwrap(), None);
    let body = format!("grant_type=refresh_token&refresh_token={}", rt.expose());
    let r = token(&config, &store, &body, Some(&basic("client-a", "s3cret")), t(3));
    assert_eq!(error_code(&r), "invalid_grant");
}

#[test]
fn replay_with_bad_client_auth_or_wrong_verifier_revokes_nothing() {
    let (config, store) = fixture();
    let code = code_for_client_a(&config, &store, t(0));
    let first = redeem_client_a(&config, &store, &code, t(1));
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier={V}"
    );
    let r = token(&config, &store, &body, Some(&basic("client-a", "wrong")), t(2));
    assert_eq!(error_code(&r), "invalid_client");
    let r = token(&config, &store, &body, Some(&basic("client-b", "s3cret-b")), t(2));
    assert_eq!(error_code(&r), "invalid_grant");
    let wrong = body.replace(V, "pkce-verifier-9876543210-zyxwvutsrqponmlkjihgfedc");
    let r = token(&config, &store, &wrong, Some(&basic("client-a", "s3cret")), t(2));
    assert_eq!(error_code(&r), "invalid_grant");
    assert!(store.access_token(&at_digest(&first), t(3)).unwrap().is_some());
}

#[test]
fn code_binding_checks() {
    let (config, store) = fixture();
    let auth = basic("client-a", "s3cret");
    let cases = [
        ("", "invalid_grant"),                // no verifier (F10 a)
        ("&code_verifier=", "invalid_grant"), // empty verifier (F10 b)
        ("&code_verifier=pkce-verifier-9876543210-zyxwvutsrqponmlkjihgfedc", "invalid_grant"),
        ("&code_verifier=short-verifier-0123456789-abcdefghijklmnop", "invalid_grant"),
    ];
    for (extra, code) in cases {
        let k = code_for_client_a(&config, &store, t(0));
        let body = format!("grant_type=authorization_code&code={k}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb{extra}");
        assert_eq!(error_code(&token(&config, &store, &body, Some(&auth), t(1))), code, "{extra}");
    }
    // redirect_uri mismatch or omission after it was sent (CODE-02).
    for redirect in ["&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%2F", ""] {
        let k = code_for_client_a(&config, &store, t(0));
        let body = format!("grant_type=authorization_code&code={k}{redirect}&code_verifier={V}");
        assert_eq!(error_code(&token(&config, &store, &body, Some(&auth), t(1))), "invalid_grant");
    }
    // Another client (CODE-06), even a public one that needs no secret: refused, and the code is
    // not used up, so its own client still redeems it.
    let k = code_for_client_a(&config, &store, t(0));
    let body =
        format!("grant_type=authorization_code&code={k}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier={V}");
    assert_eq!(error_code(&token(&config, &store, &body, Some(&basic("client-b", "s3cret-b")), t(1))), "invalid_grant");
    let as_public = format!("{body}&client_id=client-pub");
    assert_eq!(error_code(&token(&config, &store, &as_public, None, t(1))), "invalid_grant");
    assert!(matches!(token(&config, &store, &body, Some(&auth), t(1)), Response::Token(_)));
    // Unknown and empty codes (CODE-07).
    let r = token(&config, &store, "grant_type=authorization_code&code=not-a-real-code", Some(&auth), t(1));
    assert_eq!(error_code(&r), "invalid_grant");
    assert!(!r.to_http().body.contains("not-a-real-code"));
    let r = token(&config, &store, "grant_type=authorization_code&code=", Some(&auth), t(1));
    assert_eq!(error_code(&r), "invalid_request");
}

#[test]
fn codes_expire_code_05() {
    let (config, store) = fixture();
    let k = code_for_client_a(&config, &store, t(0));
    let r = redeem_client_a(&config, &store, &k, t(60));
    assert_eq!(error_code(&r), "invalid_grant");
    let k = code_for_client_a(&config, &store, t(0));
    assert!(matches!(redeem_client_a(&config, &store, &k, t(59)), Response::Token(_)));
}

#[test]
fn pkce_downgrade_is_refused_pkce_10() {
    let (config, mut store) = fixture();
    let c = Client::register(ClientRegistration {
        client_id: "web-nopkce".into(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of("pw")],
        redirect_uris: vec!["https://w.example/cb".into()],
        allowed_scopes: vec!["read".into()],
        require_pkce: Some(false),
        ..Default::default()
    })
    .unwrap();
    store.clients.insert("web-nopkce".into(), std::sync::Arc::new(c));
    let code = |store: &TestStore| {
        query_param(&authorize(&config, store, "response_type=code&client_id=web-nopkce", t(0)), "code").unwrap()
    };
    let k = code(&store);
    let body = format!("grant_type=authorization_code&code={k}&code_verifier={V}");
    let r = token(&config, &store, &body, Some(&basic("web-nopkce", "pw")), t(1));
    assert_eq!(error_code(&r), "invalid_grant");
    let k = code(&store);
    let r = token(
        &config,
        &store,
        &format!("grant_type=authorization_code&code={k}"),
        Some(&basic("web-nopkce", "pw")),
        t(1),
    );
    assert!(matches!(r, Response::Token(_)));
}

#[test]
fn public_client_exchange_and_refresh_rotation_rt_04() {
    let (config, store) = fixture();
    let q = format!(
        "response_type=code&client_id=client-pub&scope=read%20write%20offline_access&code_challenge={C}&code_challenge_method=S256"
    );
    let k = query_param(&authorize(&config, &store, &q, t(0)), "code").unwrap();
    let body = format!("grant_type=authorization_code&code={k}&client_id=client-pub&code_verifier={V}");
    let r = token(&config, &store, &body, None, t(1));
    let rt1 = tokens(&r).refresh_token.clone().unwrap();
    // Rotation: a new refresh token each time; the old one is dead.
    let refresh = |rt: &Secret, extra: &str, now| {
        token(
            &config,
            &store,
            &format!("grant_type=refresh_token&client_id=client-pub&refresh_token={}{extra}", rt.expose()),
            None,
            now,
        )
    };
    let r2 = refresh(&rt1, "", t(2));
    let rt2 = tokens(&r2).refresh_token.clone().unwrap();
    assert_ne!(rt1.expose(), rt2.expose());
    assert_eq!(tokens(&r2).scope.to_string(), "offline_access read write");
    // Reuse of rt1 revokes the family: rt2 and its access token stop working.
    assert_eq!(error_code(&refresh(&rt1, "", t(3))), "invalid_grant");
    assert_eq!(error_code(&refresh(&rt2, "", t(4))), "invalid_grant");
    assert_eq!(store.access_token(&at_digest(&r2), t(4)).unwrap(), None);
}

#[test]
fn refresh_scope_rules_f16() {
    let (config, store) = fixture();
    let auth = basic("client-a", "s3cret");
    let code = |scope: &str| {
        let q = format!(
            "response_type=code&client_id=client-a&scope={scope}&code_challenge={C}&code_challenge_method=S256"
        );
        let k = query_param(&authorize(&config, &store, &q, t(0)), "code").unwrap();
        let r = token(
            &config,
            &store,
            &format!("grant_type=authorization_code&code={k}&code_verifier={V}"),
            Some(&auth),
            t(1),
        );
        tokens(&r).refresh_token.clone().unwrap()
    };
    let refresh = |rt: &Secret, extra: &str| {
        token(
            &config,
            &store,
            &format!("grant_type=refresh_token&refresh_token={}{extra}", rt.expose()),
            Some(&auth),
            t(2),
        )
    };
    let rt_a = code("read%20offline_access");
    assert_eq!(error_code(&refresh(&rt_a, "&scope=read%20write")), "invalid_scope");
    assert_eq!(error_code(&refresh(&rt_a, "&scope=admin")), "invalid_scope");
    // Refused requests left rt_a usable.
    let r = refresh(&rt_a, "");
    assert_eq!(tokens(&r).scope.to_string(), "offline_access read");

    let rt_b = code("read%20write%20offline_access");
    let r = refresh(&rt_b, "&scope=read");
    assert_eq!(tokens(&r).scope.to_string(), "read");
    assert_eq!(store.access_token(&at_digest(&r), t(2)).unwrap().unwrap().scope.to_string(), "read");
    let rt_b2 = tokens(&r).refresh_token.clone().unwrap();
    let r = refresh(&rt_b2, "&scope=read%20write&code=whatever");
    assert_eq!(tokens(&r).scope.to_string(), "read write");
}

#[test]
fn refresh_binding_and_expiry_rt_03() {
    let (config, store) = fixture();
    let k = code_for_client_a(&config, &store, t(0));
    let rt = tokens(&redeem_client_a(&config, &store, &k, t(1))).refresh_token.clone().unwrap();
    let body = format!("grant_type=refresh_token&refresh_token={}", rt.expose());
    // Another client: refused, and the token stays valid (D7).
    let r = token(&config, &store, &body, Some(&basic("client-b", "s3cret-b")), t(2));
    assert_eq!(error_code(&r), "invalid_grant");
    // Confidential client without authentication.
    let r = token(&config, &store, &format!("{body}&client_id=client-a"), None, t(2));
    assert_eq!(error_code(&r), "invalid_client");
    // Still valid for its own client, until the absolute expiry.
    let r = token(&config, &store, &body, Some(&basic("client-a", "s3cret")), t(3));
    let rt2 = tokens(&r).refresh_token.clone().unwrap();
    let expiry = 30 * 24 * 3600 + 1;
    let r = token(
        &config,
        &store,
        &format!("grant_type=refresh_token&refresh_token={}", rt2.expose()),
        Some(&basic("client-a", "s3cret")),
        t(expiry),
    );
    assert_eq!(error_code(&r), "invalid_grant");
}

#[test]
fn access_tokens_expire() {
    let (config, store) = fixture();
    let r = token(&config, &store, "grant_type=client_credentials", Some(&basic("svc-b", "s3cret-svcb")), t(0));
    let d = at_digest(&r);
    assert!(store.access_token(&d, t(3599)).unwrap().is_some());
    assert_eq!(store.access_token(&d, t(3600)).unwrap(), None);
}

#[test]
fn client_credentials_rules() {
    let (config, store) = fixture();
    let svc = basic("svc-b", "s3cret-svcb");
    let r = token(&config, &store, "grant_type=client_credentials", Some(&svc), t(0));
    let tk = tokens(&r);
    assert_eq!(tk.scope.to_string(), "read");
    assert!(tk.refresh_token.is_none());
    let at = store.access_token(&at_digest(&r), t(0)).unwrap().unwrap();
    assert_eq!(at.subject.to_sub(), "client:svc-b");
    assert_eq!(
        error_code(&token(&config, &store, "grant_type=client_credentials&scope=write", Some(&svc), t(0))),
        "invalid_scope"
    );
    // scope[0]=read is an unknown parameter: default scope.
    let r = token(&config, &store, "grant_type=client_credentials&scope%5B0%5D=read", Some(&svc), t(0));
    assert_eq!(tokens(&r).scope.to_string(), "read");
    // Not allowed for client-a; public clients never authenticate for it (F30).
    let r = token(&config, &store, "grant_type=client_credentials", Some(&basic("client-a", "s3cret")), t(0));
    assert_eq!(error_code(&r), "unauthorized_client");
    for body in [
        "grant_type=client_credentials&client_id=client-pub",
        "grant_type=client_credentials&client_id=client-pub&client_secret=",
        "grant_type=client_credentials&client_id=svc-b&client_secret=",
    ] {
        let r = token(&config, &store, body, None, t(0));
        assert_eq!(
            error_code(&r),
            if body.contains("client-pub") { "unauthorized_client" } else { "invalid_client" },
            "{body}"
        );
    }
    // client_secret_post works too.
    let r =
        token(&config, &store, "grant_type=client_credentials&client_id=svc-b&client_secret=s3cret-svcb", None, t(0));
    assert!(matches!(r, Response::Token(_)));
}

#[test]
fn client_authentication_f19_f21() {
    let (config, store) = fixture();
    let body = "grant_type=client_credentials";
    for auth in
        ["Basic Y2xpZW50LWE6d3Jvbmc=", "Basic dW5rbm93bjp4", "Basic", "Basic !!!", "Basic bm9jb2xvbg==", "Bearer x"]
    {
        let r = token(&config, &store, body, Some(auth), t(0));
        let h = r.to_http();
        assert_eq!(error_code(&r), "invalid_client", "{auth}");
        assert_eq!(h.status, 401);
        assert!(h.headers.iter().any(|(n, v)| *n == "www-authenticate" && v.starts_with("Basic ")), "{auth}");
        assert_eq!(h.body, r#"{"error":"invalid_client","error_description":"client authentication failed"}"#);
    }
    // Wrong secret in the body: 401, and every 401 carries a challenge (RFC 9110 §15.5.2).
    let r = token(&config, &store, "grant_type=client_credentials&client_id=svc-b&client_secret=nope", None, t(0));
    assert_eq!(r.to_http().status, 401);
    assert!(r.to_http().headers.iter().any(|(n, v)| *n == "www-authenticate" && v.starts_with("Basic ")));
    // A client assertion beside a secret is two methods; alone it is unsupported (D16).
    let assertion = "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=e30.e30.sig";
    let r = token(
        &config,
        &store,
        &format!("grant_type=client_credentials&client_id=svc-b&client_secret=s3cret-svcb{assertion}"),
        None,
        t(0),
    );
    assert_eq!(error_code(&r), "invalid_request");
    let r = token(
        &config,
        &store,
        &format!("grant_type=client_credentials{assertion}"),
        Some(&basic("svc-b", "s3cret-svcb")),
        t(0),
    );
    assert_eq!(error_code(&r), "invalid_request");
    let r = token(&config, &store, &format!("grant_type=client_credentials&client_id=svc-b{assertion}"), None, t(0));
    assert_eq!(error_code(&r), "invalid_client");
    // Two methods at once (TOK-11).
    let r = token(
        &config,
        &store,
        "grant_type=client_credentials&client_secret=s3cret-svcb",
        Some(&basic("svc-b", "s3cret-svcb")),
        t(0),
    );
    assert_eq!(error_code(&r), "invalid_request");
    // Lower-case scheme.
    let lower = basic("svc-b", "s3cret-svcb").replacen("Basic", "basic", 1);
    assert!(matches!(token(&config, &store, body, Some(&lower), t(0)), Response::Token(_)));
}

#[test]
fn request_level_errors() {
    let (config, store) = fixture();
    let svc = basic("svc-b", "s3cret-svcb");
    let cases: &[(&str, &str)] = &[
        ("grant_type=foo", "unsupported_grant_type"),
        ("grant_type=password&username=a&password=b", "unsupported_grant_type"),
        ("", "invalid_request"),
        ("scope=read", "invalid_request"),
        ("grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),
        ("grant_type=authorization_code&code=a&code=b", "invalid_request"),
        ("grant_type=client_credentials&scope=%G1", "invalid_request"),
    ];
    for (body, code) in cases {
        assert_eq!(error_code(&token(&config, &store, body, Some(&svc), t(0))), *code, "{body}");
    }
    // Media types (D3) and query strings (PARSE-06).
    let run = |ct: Option<&str>, query: Option<&str>, body: &[u8]| {
        let req = TokenRequest::from_http(ct, Some(&svc), query, body);
        match drive(&store, token::start(&config, req, t(0))) {
            Driven::Respond(r) => r,
            Driven::NeedOwner(_) => unreachable!(),
        }
    };
    assert_eq!(error_code(&run(Some("text/plain"), None, b"grant_type=client_credentials")), "invalid_request");
    assert_eq!(error_code(&run(None, None, b"grant_type=client_credentials")), "invalid_request");
    assert_eq!(
        error_code(&run(
            Some("application/x-www-form-urlencoded"),
            Some("client_secret=x"),
            b"grant_type=client_credentials"
        )),
        "invalid_request"
    );
    let ok =
        run(Some("application/json; charset=UTF-8"), None, br#"{"grant_type":"client_credentials","scope":"read"}"#);
    assert_eq!(tokens(&ok).scope.to_string(), "read");
    let dup = run(
        Some("application/json"),
        None,
        br#"{"grant_type":"client_credentials","grant_type":"client_credentials"}"#,
    );
    assert_eq!(error_code(&dup), "invalid_request");
    assert_eq!(dup.error().and_then(|e| e.description), Some("a parameter is repeated"));
    let big = vec![b'a'; wire::MAX_INPUT_BYTES + 1];
    let r = run(Some("application/x-www-form-urlencoded"), None, &big);
    assert_eq!(r.to_http().status, 413);
}

#[test]
fn storage_failures_become_oauth_errors() {
    let (config, store) = fixture();
    let svc = basic("svc-b", "s3cret-svcb");
    *store.fail.lock().unwrap() = Some(StoreError::Failed);
    let r = token(&config, &store, "grant_type=client_credentials", Some(&svc), t(0));
    assert_eq!(error_code(&r), "server_error");
    assert_eq!(r.to_http().status, 500);
    *store.fail.lock().unwrap() = Some(StoreError::Unavailable);
    let r = token(&config, &store, "grant_type=client_credentials", Some(&svc), t(0));
    assert_eq!(error_code(&r), "temporarily_unavailable");
    assert_eq!(r.to_http().status, 503);
    assert_eq!(store.access_count(), 0);
}

#[test]
fn persist_refused_for_revoked_grant_is_invalid_grant() {
    let (config, store) = fixture();
    let k = code_for_client_a(&config, &store, t(0));
    let body =
        format!("grant_type=authorization_code&code={k}&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier={V}");
    let req = TokenRequest::from_http(
        Some("application/x-www-form-urlencoded"),
        Some(&basic("client-a", "s3cret")),
        None,
        body.as_bytes(),
    );
    let mut step = token::start(&config, req, t(1));
    // Drive by hand; between the take and the persist, a racing replay revokes the grant.
    let response = loop {
        step = match step {
            Step::NeedClient(q) => {
                let c = store.client(q.client_id());
                q.resume(c)
            }
            Step::TakeCode(q) => {
                let taken = store.take_code(q.key(), q.client_id(), q.now());
                if let Ok(TokenState::Active(r)) = &taken {
                    store.revoke_grant(&r.grant_id, q.now()).unwrap();
                }
                q.resume(taken)
            }
            Step::Persist(mut q) => {
                let r = store.persist(q.take_writes(), q.now());
                q.resume(r)
            }
            Step::Respond(r) => break r,
            other => panic!("unexpected {other:?}"),
        };
    };
    assert_eq!(error_code(&response), "invalid_grant");
    assert_eq!(store.access_count(), 0);
}

#[test]
fn debug_output_never_shows_credentials() {
    let (config, store) = fixture();
    let k = code_for_client_a(&config, &store, t(0));
    let r = redeem_client_a(&config, &store, &k, t(1));
    let tk = tokens(&r);
    let dbg = format!("{r:?} {:?}", r.to_http());
    assert!(!dbg.contains(tk.access_token.expose()));
    assert!(!dbg.contains(tk.refresh_token.as_ref().unwrap().expose()));
    let req = TokenRequest::from_http(
        Some("application/x-www-form-urlencoded"),
        Some(&basic("svc-b", "s3cret-svcb")),
        None,
        b"grant_type=client_credentials&code=abc",
    );
    let step = token::start(&config, req, t(0));
    let dbg = format!("{step:?}");
    assert!(!dbg.contains("s3cret-svcb") && !dbg.contains("abc\""), "{dbg}");
}
