//! Issue 4 in the core: revocation (RFC 7009), introspection (RFC 7662) and JWT access tokens
//! (RFC 9068), named after the REV, INTRO and JWT lines and field cases F13, F21, F27.

use std::sync::Arc;

use crate::testkit::*;
use crate::*;

const FORM: &str = "application/x-www-form-urlencoded";

fn revoke_with(config: &Arc<Config>, store: &TestStore, req: RevokeRequest, now: UnixTime) -> Response {
    match drive(store, revoke::start(config, req, now)) {
        Driven::Respond(r) => r,
        Driven::NeedOwner(_) => panic!("revocation asked for the owner"),
    }
}

fn revoke(config: &Arc<Config>, store: &TestStore, body: &str, auth: Option<&str>, now: UnixTime) -> Response {
    revoke_with(config, store, RevokeRequest::from_http(Some(FORM), auth, None, body.as_bytes()), now)
}

fn introspect(config: &Arc<Config>, store: &TestStore, token: &str, auth: Option<&str>, now: UnixTime) -> Response {
    let body = format!("token={}", form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>());
    let req = IntrospectRequest::from_http(Some(FORM), auth, None, body.as_bytes());
    match drive(store, introspect::start(config, req, now)) {
        Driven::Respond(r) => r,
        Driven::NeedOwner(_) => panic!("introspection asked for the owner"),
    }
}

fn body(r: &Response) -> serde_json::Value {
    let h = r.to_http();
    assert_eq!(h.status, 200, "{r:?}");
    serde_json::from_str(&h.body).unwrap()
}

fn inactive(r: &Response) -> bool {
    let h = r.to_http();
    h.status == 200 && h.body == r#"{"active":false}"#
}

fn a() -> String {
    basic("client-a", "s3cret")
}

/// client-a's tokens from a fresh authorization-code grant: (access token, refresh token).
fn client_a_tokens(config: &Arc<Config>, store: &TestStore) -> (String, String) {
    let code = code_for_client_a(config, store, t(0));
    let r = redeem_client_a(config, store, &code, t(1));
    let tk = tokens(&r);
    (tk.access_token.expose().to_owned(), tk.refresh_token.as_ref().unwrap().expose().to_owned())
}

fn refresh(config: &Arc<Config>, store: &TestStore, rt: &str, now: UnixTime) -> Response {
    token(config, store, &format!("grant_type=refresh_token&refresh_token={rt}"), Some(&a()), now)
}

#[test]
fn revoking_a_refresh_token_revokes_its_grant_rev_01_f27_6() {
    let (config, store) = fixture();
    let (at, rt) = client_a_tokens(&config, &store);
    let r = revoke(&config, &store, &format!("token={rt}&token_type_hint=refresh_token"), Some(&a()), t(2));
    let h = r.to_http();
    assert_eq!((h.status, h.body.as_str()), (200, ""));
    assert!(h.headers.contains(&("cache-control", "no-store".into())));
    assert_eq!(error_code(&refresh(&config, &store, &rt, t(3))), "invalid_grant");
    assert!(inactive(&introspect(&config, &store, &at, Some(&a()), t(3))));
}

#[test]
fn revoking_an_access_token_with_a_wrong_or_unknown_hint_rev_02_rev_04_f27_3_f27_4() {
    for hint in ["refresh_token", "foo", "access_token", ""] {
        let (config, store) = fixture();
        let (at, rt) = client_a_tokens(&config, &store);
        assert!(body(&introspect(&config, &store, &at, Some(&a()), t(2)))["active"] == true);
        let r = revoke(&config, &store, &format!("token={at}&token_type_hint={hint}"), Some(&a()), t(2));
        assert_eq!(r.to_http().status, 200, "hint {hint}");
        assert!(inactive(&introspect(&config, &store, &at, Some(&a()), t(3))), "hint {hint}");
        // RFC 7009 §2.1 MAY: the grant goes, refresh token included.
        assert_eq!(error_code(&refresh(&config, &store, &rt, t(3))), "invalid_grant");
    }
}

#[test]
fn unknown_and_already_revoked_tokens_answer_200_rev_03_f27_1() {
    let (config, store) = fixture();
    let r = revoke(&config, &store, "token=does-not-exist", Some(&a()), t(0));
    assert_eq!((r.to_http().status, r.to_http().body.as_str()), (200, ""));
    let (at, _) = client_a_tokens(&config, &store);
    for _ in 0..2 {
        assert_eq!(revoke(&config, &store, &format!("token={at}"), Some(&a()), t(2)).to_http().status, 200);
    }
    // A JWT-shaped token without a signer, and an over-long token.
    let long = "a.".repeat(4000);
    for token in ["a.b.c", long.as_str()] {
        assert_eq!(revoke(&config, &store, &format!("token={token}"), Some(&a()), t(2)).to_http().status, 200);
    }
}

#[test]
fn missing_or_repeated_token_is_invalid_request_rev_05_f27_2() {
    let (config, store) = fixture();
    for b in ["", "token=", "token_type_hint=access_token", "token=a&token=b"] {
        let r = revoke(&config, &store, b, Some(&a()), t(0));
        assert_eq!(error_code(&r), "invalid_request", "{b}");
        assert_eq!(r.to_http().status, 400);
    }
    let req = RevokeRequest::from_http(Some("text/plain"), Some(&a()), None, b"token=x");
    assert_eq!(error_code(&revoke_with(&config, &store, req, t(0))), "invalid_request");
    let req = RevokeRequest::from_http(Some(FORM), Some(&a()), Some("token=x"), b"token=x");
    assert_eq!(error_code(&revoke_with(&config, &store, req, t(0))), "invalid_request");
}

#[test]
fn bad_client_credentials_are_401_with_a_challenge_rev_05_f21_4() {
    let (config, store) = fixture();
    let (at, _) = client_a_tokens(&config, &store);
    for auth in [basic("client-a", "wrong"), basic("nobody", "x"), "Basic !!".into()] {
        let r = revoke(&config, &store, &format!("token={at}"), Some(&auth), t(2));
        let h = r.to_http();
        assert_eq!((h.status, error_code(&r)), (401, "invalid_client"));
        assert!(h.headers.iter().any(|(n, v)| *n == "www-authenticate" && v.starts_with("Basic realm=")));
        let r = introspect(&config, &store, &at, Some(&auth), t(2));
        assert_eq!((r.to_http().status, error_code(&r)), (401, "invalid_client"));
    }
    // A confidential client naming itself without its secret is not authenticated.
    let r = revoke(&config, &store, &format!("token={at}&client_id=client-a"), None, t(2));
    assert_eq!(error_code(&r), "invalid_client");
    let r = introspect(&config, &store, &at, None, t(2));
    assert_eq!(error_code(&r), "invalid_client");
    // None of that revoked anything.
    assert!(body(&introspect(&config, &store, &at, Some(&a()), t(3)))["active"] == true);
}

#[test]
fn a_token_of_another_client_is_refused_and_stays_valid_rev_06_d7() {
    let (config, store) = fixture();
    let (at, rt) = client_a_tokens(&config, &store);
    for token in [&at, &rt] {
        let r = revoke(&config, &store, &format!("token={token}"), Some(&basic("client-b", "s3cret-b")), t(2));
        assert_eq!((r.to_http().status, error_code(&r)), (400, "unauthorized_client"));
        let r = revoke(&config, &store, &format!("token={token}&client_id=client-pub"), None, t(2));
        assert_eq!(error_code(&r), "unauthorized_client");
    }
    assert!(body(&introspect(&config, &store, &at, Some(&a()), t(3)))["active"] == true);
    assert_eq!(tokens(&refresh(&config, &store, &rt, t(3))).token_type, "Bearer");
}

/// A public client's refresh token from a PKCE flow.
fn public_refresh_token(config: &Arc<Config>, store: &TestStore) -> String {
    let q = format!(
        "response_type=code&client_id=client-pub&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&scope=read%20offline_access&code_challenge={C}&code_challenge_method=S256"
    );
    let code = query_param(&authorize(config, store, &q, t(0)), "code").unwrap();
    let b = format!(
        "grant_type=authorization_code&client_id=client-pub&code={code}&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&code_verifier={V}"
    );
    tokens(&token(config, store, &b, None, t(1))).refresh_token.as_ref().unwrap().expose().to_owned()
}

#[test]
fn a_public_client_revokes_with_client_id_and_cors_f27_5_rev_08() {
    let (config, store) = fixture();
    let rt = public_refresh_token(&config, &store);
    // From an origin the client does not allow: refused, nothing revoked, no CORS header.
    let b = format!("client_id=client-pub&token={rt}");
    let req = RevokeRequest::from_http(Some(FORM), None, None, b.as_bytes()).with_origin(Some("https://evil.example"));
    let r = revoke_with(&config, &store, req, t(2));
    assert_eq!(error_code(&r), "invalid_request");
    assert!(!r.to_http().headers.iter().any(|(n, _)| *n == "access-control-allow-origin"));
    // From its own origin, in a JSON body.
    let b = format!(r#"{{"client_id":"client-pub","token":"{rt}","token_type_hint":"refresh_token"}}"#);
    let req = RevokeRequest::from_http(Some("application/json"), None, None, b.as_bytes())
        .with_origin(Some("https://spa.example"));
    let h = revoke_with(&config, &store, req, t(2)).to_http();
    assert_eq!(h.status, 200);
    assert!(h.headers.contains(&("access-control-allow-origin", "https://spa.example".into())));
    assert!(h.headers.contains(&("vary", "Origin".into())));
    let b = format!("grant_type=refresh_token&client_id=client-pub&refresh_token={rt}");
    assert_eq!(error_code(&token(&config, &store, &b, None, t(3))), "invalid_grant");
}

#[test]
fn a_store_failure_is_never_a_false_200_rev_07() {
    let (config, store) = fixture();
    let (at, _) = client_a_tokens(&config, &store);
    for fail in [StoreError::Unavailable, StoreError::Failed] {
        // Fail at each step in turn: the lookup, then the revocation.
        for fail_at in 0..3 {
            let req = RevokeRequest::from_http(Some(FORM), Some(&a()), None, format!("token={at}").as_bytes());
            let mut step = revoke::start(&config, req, t(2));
            let mut n = 0;
            let r = loop {
                let failing = n == fail_at;
                n += 1;
                step = match step {
                    Step::NeedClient(q) => {
                        let a = if failing { Err(fail) } else { store.client(q.client_id()) };
                        q.resume(a)
                    }
                    Step::LookupAccessToken(q) => {
                        let a = if failing { Err(fail) } else { store.access_token(q.key(), q.now()) };
                        q.resume(a)
                    }
                    Step::RevokeGrant(q) => q.resume(if failing { Err(fail) } else { Ok(()) }),
                    Step::Respond(r) => break r,
                    other => panic!("unexpected {other:?}"),
                };
            };
            let want = if fail == StoreError::Unavailable { 503 } else { 500 };
            assert_eq!(r.to_http().status, want, "failing step {fail_at}");
        }
    }
    assert!(body(&introspect(&config, &store, &at, Some(&a()), t(3)))["active"] == true);
}

#[test]
fn introspection_of_an_active_token_intro_01() {
    let (config, store) = fixture();
    let (at, rt) = client_a_tokens(&config, &store);
    let v = body(&introspect(&config, &store, &at, Some(&a()), t(2)));
    let want = serde_json::json!({
        "active": true, "scope": "offline_access read", "client_id": "client-a", "sub": "user-1",
        "exp": t(1).as_secs() + 3600, "iat": t(1).as_secs(), "iss": ISSUER, "aud": ISSUER, "token_type": "Bearer",
    });
    assert_eq!(v, want);
    // A refresh token, with a hint or without: no token_type, no aud.
    let v = body(&introspect(&config, &store, &rt, Some(&a()), t(2)));
    assert_eq!(v["active"], true);
    assert_eq!(v["sub"], "user-1");
    assert!(v.get("token_type").is_none() && v.get("aud").is_none());
    let h = introspect(&config, &store, &at, Some(&a()), t(2)).to_http();
    assert!(h.headers.contains(&("cache-control", "no-store".into())));
}

#[test]
fn expired_revoked_unknown_and_foreign_tokens_are_exactly_inactive_intro_03_f13_3() {
    let (config, store) = fixture();
    let (at, rt) = client_a_tokens(&config, &store);
    assert!(inactive(&introspect(&config, &store, &at, Some(&a()), t(1 + 3600))));
    assert!(inactive(&introspect(&config, &store, "nope", Some(&a()), t(2))));
    assert!(inactive(&introspect(&config, &store, "a.b.c", Some(&a()), t(2))));
    // Another client that may not introspect sees nothing of client-a's tokens.
    assert!(inactive(&introspect(&config, &store, &at, Some(&basic("client-b", "s3cret-b")), t(2))));
    assert!(inactive(&introspect(&config, &store, &rt, Some(&basic("client-b", "s3cret-b")), t(2))));
    // A rotated refresh token is inactive; so are the first grant's tokens after a code replay.
    let rotated = tokens(&refresh(&config, &store, &rt, t(2))).clone();
    assert!(inactive(&introspect(&config, &store, &rt, Some(&a()), t(3))));
    assert!(body(&introspect(&config, &store, rotated.access_token.expose(), Some(&a()), t(3)))["active"] == true);
    let code = code_for_client_a(&config, &store, t(10));
    let first = tokens(&redeem_client_a(&config, &store, &code, t(11))).access_token.expose().to_owned();
    assert_eq!(error_code(&redeem_client_a(&config, &store, &code, t(12))), "invalid_grant");
    assert!(inactive(&introspect(&config, &store, &first, Some(&a()), t(13))));
}

#[test]
fn an_introspector_sees_every_token_and_public_clients_none_intro_02() {
    let (config, store) = fixture();
    let (at, _) = client_a_tokens(&config, &store);
    let rs = basic("rs-1", "s3cret-rs");
    let v = body(&introspect(&config, &store, &at, Some(&rs), t(2)));
    assert_eq!((v["active"].clone(), v["client_id"].clone()), (true.into(), "client-a".into()));
    let req =
        IntrospectRequest::from_http(Some(FORM), None, None, format!("client_id=client-pub&token={at}").as_bytes());
    let Driven::Respond(r) = drive(&store, introspect::start(&config, req, t(2))) else { panic!() };
    assert_eq!((r.to_http().status, error_code(&r)), (401, "invalid_client"));
}

fn cc_token(config: &Arc<Config>, store: &TestStore, id: &str, secret: &str, scope: &str) -> String {
    let r =
        token(config, store, &format!("grant_type=client_credentials&scope={scope}"), Some(&basic(id, secret)), t(1));
    tokens(&r).access_token.expose().to_owned()
}

#[test]
fn a_bearer_token_with_the_introspection_scope_may_introspect_intro_02() {
    let (config, store) = fixture();
    let (at, _) = client_a_tokens(&config, &store);
    let caller = cc_token(&config, &store, "rs-1", "s3cret-rs", "introspect");
    let v = body(&introspect(&config, &store, &at, Some(&format!("Bearer {caller}")), t(2)));
    assert_eq!(v["sub"], "user-1");
    // Without the scope: 403 insufficient_scope; an unknown bearer: 401 invalid_token; none: 401.
    let weak = cc_token(&config, &store, "rs-1", "s3cret-rs", "read");
    let h = introspect(&config, &store, &at, Some(&format!("Bearer {weak}")), t(2)).to_http();
    assert_eq!(h.status, 403);
    assert!(h.headers.iter().any(|(n, v)| *n == "www-authenticate" && v.contains(r#"scope="introspect""#)));
    let h = introspect(&config, &store, &at, Some("Bearer unknown"), t(2)).to_http();
    assert_eq!(h.status, 401);
    assert!(h.headers.iter().any(|(n, v)| *n == "www-authenticate" && v.contains(r#"error="invalid_token""#)));
    // A bearer and body credentials at once.
    let req = IntrospectRequest::from_http(
        Some(FORM),
        Some(&format!("Bearer {caller}")),
        None,
        format!("token={at}&client_id=a&client_secret=b").as_bytes(),
    );
    let Driven::Respond(r) = drive(&store, introspect::start(&config, req, t(2))) else { panic!() };
    assert_eq!(error_code(&r), "invalid_request");
}

#[test]
fn an_impersonation_token_names_its_actor_imp_09() {
    let (config, store) = fixture();
    let b = r#"{"client_id":"imp1","client_secret":"s3cret-imp","grant_type":"urn:qlik:oauth:user-impersonation","user_lookup":{"field":"userId","value":"6422bad8022070c06d2417bc"}}"#;
    let req = TokenRequest::from_http(Some("application/json"), None, None, b.as_bytes());
    let at = tokens(&token_request(&config, &store, req, t(1))).access_token.expose().to_owned();
    let v = body(&introspect(&config, &store, &at, Some(&basic("imp1", "s3cret-imp")), t(2)));
    assert_eq!(v["sub"], "auth0|u1");
    assert_eq!(v["act"], serde_json::json!({"sub": "imp1"}));
    assert_eq!(v["allowed-origins"], serde_json::json!(["https://custom-app.com"]));
}

fn jwt_fixture() -> (Arc<Config>, TestStore, Arc<Hs256Signer>) {
    let (config, store) = fixture();
    let signer = Arc::new(Hs256Signer::new(&[9u8; 32], Some("k1".into())).unwrap());
    let config = (*config).clone().with_jwt_access_tokens(signer.clone()).unwrap();
    (Arc::new(config.with_audience("https://api.example").unwrap()), store, signer)
}

#[test]
fn jwt_access_tokens_carry_the_rfc_9068_claims_jwt_01_jwt_02_jwt_03() {
    let (config, store, signer) = jwt_fixture();
    let at = cc_token(&config, &store, "svc-b", "s3cret-svcb", "read");
    let mut parts = at.split('.');
    let header = parts.next().unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    assert_eq!(header, serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"}));
    let claims = jwt::verify(&*signer, &at, jwt::Expected::new(ISSUER, "https://api.example", t(2))).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.client_id.as_str(), claims.scope.as_str()),
        ("client:svc-b", "svc-b", "read")
    );
    assert_eq!((claims.iat, claims.exp), (t(1).as_secs(), t(1).as_secs() + 3600));
    assert_eq!(claims.jti.len(), 43);
    let other = cc_token(&config, &store, "svc-b", "s3cret-svcb", "read");
    let other = jwt::verify(&*signer, &other, jwt::Expected::new(ISSUER, "https://api.example", t(2))).unwrap();
    assert_ne!(claims.jti, other.jti);
    // The store keys it by its jti; introspection and the same-process check find it.
    let key = jwt::access_token_key(&config, &at, t(2)).unwrap();
    assert_eq!(key, jwt::jti_key(&claims.jti));
    // The jti alone, which resource servers may log, is no token: not at introspection, not at
    // the store check, and revoking it revokes nothing.
    assert!(inactive(&introspect(&config, &store, &claims.jti, Some(&basic("svc-b", "s3cret-svcb")), t(2))));
    assert_eq!(jwt::access_token_key(&config, &format!("jti:{}", claims.jti), t(2)), None);
    assert_eq!(store.access_token(&TokenDigest::of(&claims.jti), t(2)).unwrap(), None);
    let record = store.access_token(&key, t(2)).unwrap();
    assert!(bearer::check(record, t(2), &ScopeSet::parse("read").unwrap(), None).is_ok());
    let v = body(&introspect(&config, &store, &at, Some(&basic("svc-b", "s3cret-svcb")), t(2)));
    assert_eq!((v["active"].clone(), v["aud"].clone()), (true.into(), "https://api.example".into()));
}

#[test]
fn a_revoked_jwt_is_inactive_by_jti_and_forgeries_are_never_active_intro_05() {
    let (config, store, _) = jwt_fixture();
    let at = cc_token(&config, &store, "svc-b", "s3cret-svcb", "read");
    let svc = basic("svc-b", "s3cret-svcb");
    // A forged signature, another key, a tampered payload: inactive, and revoking them is a no-op.
    let (head, rest) = at.split_once('.').unwrap();
    let (payload, _) = rest.split_once('.').unwrap();
    let forged = format!("{head}.{payload}.AAAA");
    let alien = Hs256Signer::new(&[8u8; 32], Some("k1".into())).unwrap();
    let claims = jwt::verify(&*jwt_fixture().2, &at, jwt::Expected::new(ISSUER, "https://api.example", t(2))).unwrap();
    let by_alien = jwt::encode(&alien, &claims).unwrap();
    for bad in [&forged, &by_alien] {
        assert!(inactive(&introspect(&config, &store, bad, Some(&svc), t(2))));
        assert_eq!(revoke(&config, &store, &format!("token={bad}"), Some(&svc), t(2)).to_http().status, 200);
    }
    assert!(body(&introspect(&config, &store, &at, Some(&svc), t(2)))["active"] == true);
    assert_eq!(revoke(&config, &store, &format!("token={at}"), Some(&svc), t(3)).to_http().status, 200);
    assert!(inactive(&introspect(&config, &store, &at, Some(&svc), t(4))));
    let key = jwt::access_token_key(&config, &at, t(4)).unwrap();
    assert_eq!(store.access_token(&key, t(4)).unwrap(), None);
    // Expired: the JWT itself fails verification, so there is no key at all.
    assert_eq!(jwt::access_token_key(&config, &at, t(1 + 3600)), None);
}

#[test]
fn opaque_tokens_issued_before_a_switch_to_jwt_stay_valid() {
    let (config, store) = fixture();
    let opaque = cc_token(&config, &store, "svc-b", "s3cret-svcb", "read");
    let signer = Arc::new(Hs256Signer::new(&[9u8; 32], None).unwrap());
    let jwt_config = Arc::new((*config).clone().with_jwt_access_tokens(signer).unwrap());
    let v = body(&introspect(&jwt_config, &store, &opaque, Some(&basic("svc-b", "s3cret-svcb")), t(2)));
    assert_eq!(v["active"], true);
}

#[test]
fn signer_failure_issues_nothing() {
    #[derive(Debug)]
    struct Broken;
    impl JwsVerifier for Broken {
        fn verify(&self, _: &str, _: Option<&str>, _: &[u8], _: &[u8]) -> bool {
            false
        }
    }
    impl TokenSigner for Broken {
        fn algorithm(&self) -> &str {
            "ES256"
        }
        fn key_id(&self) -> Option<&str> {
            None
        }
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignError> {
            Err(SignError::new())
        }
    }
    let (config, store) = fixture();
    let config = Arc::new((*config).clone().with_jwt_access_tokens(Arc::new(Broken)).unwrap());
    let r = token(&config, &store, "grant_type=client_credentials", Some(&basic("svc-b", "s3cret-svcb")), t(1));
    assert_eq!((r.to_http().status, error_code(&r)), (503, "temporarily_unavailable"));
    assert_eq!(store.access_count(), 0);
    struct NoneAlg;
    impl JwsVerifier for NoneAlg {
        fn verify(&self, _: &str, _: Option<&str>, _: &[u8], _: &[u8]) -> bool {
            true
        }
    }
    impl TokenSigner for NoneAlg {
        fn algorithm(&self) -> &str {
            "none"
        }
        fn key_id(&self) -> Option<&str> {
            None
        }
        fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignError> {
            Ok(vec![])
        }
    }
    assert!((*config).clone().with_jwt_access_tokens(Arc::new(NoneAlg)).is_err());
}

#[test]
fn a_user_identifier_never_collides_with_a_clients_sub_jwt_03() {
    let (config, mut store) = fixture();
    let q = format!(
        "response_type=code&client_id=client-a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s1&scope=read&code_challenge={C}&code_challenge_method=S256"
    );
    let r = authorize_with(&config, &store, &q, t(0), |q| {
        OwnerDecision::Approve(Approval::new("client:svc-b".into(), q.now()))
    });
    assert_eq!(query_param(&r, "error").as_deref(), Some("server_error"));
    assert_eq!(query_param(&r, "code"), None);
    store.users.push(("evil", "client:svc-b", false));
    let b = r#"{"client_id":"imp1","client_secret":"s3cret-imp","grant_type":"urn:qlik:oauth:user-impersonation","user_lookup":{"field":"userId","value":"evil"}}"#;
    let req = TokenRequest::from_http(Some("application/json"), None, None, b.as_bytes());
    assert_eq!(error_code(&token_request(&config, &store, req, t(1))), "invalid_grant");
    assert_eq!(store.access_count(), 0);
}

#[test]
fn every_jwt_the_server_signs_fits_its_own_bounds() {
    let (config, mut store, signer) = jwt_fixture();
    // A browser client with the most origins, each long.
    let origins: Vec<String> = (0..64).map(|i| format!("https://{i:02}{}.example", "o".repeat(100))).collect();
    let client = Client::register(ClientRegistration {
        client_id: "many-origins".into(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of("s3cret-many")],
        allowed_scopes: vec!["read".into()],
        allowed_grant_types: Some(vec![GrantType::ClientCredentials, GrantType::UserImpersonation]),
        allowed_origins: origins.clone(),
        ..Default::default()
    })
    .unwrap();
    store.clients.insert("many-origins".into(), Arc::new(client));
    let at = cc_token(&config, &store, "many-origins", "s3cret-many", "read");
    assert!(at.len() <= jwt::MAX_JWT_BYTES, "{}", at.len());
    // Too many origins for the claim: it is left out, so a local check refuses every browser
    // origin, while the store keeps the full list.
    let claims = jwt::verify(&*signer, &at, jwt::Expected::new(ISSUER, "https://api.example", t(2))).unwrap();
    assert!(claims.allowed_origins.is_empty());
    let record = store.access_token(&jwt::access_token_key(&config, &at, t(2)).unwrap(), t(2)).unwrap().unwrap();
    assert_eq!(&*record.allowed_origins, origins.as_slice());
    // It can be introspected, used as a bearer token and revoked.
    assert!(bearer::parse_authorization(Some(&format!("Bearer {at}"))).is_ok());
    let v = body(&introspect(&config, &store, &at, Some(&basic("many-origins", "s3cret-many")), t(2)));
    assert_eq!(v["active"], true);
    let r = revoke(&config, &store, &format!("token={at}"), Some(&basic("many-origins", "s3cret-many")), t(2));
    assert_eq!(r.to_http().status, 200);
    assert!(inactive(&introspect(&config, &store, &at, Some(&basic("many-origins", "s3cret-many")), t(3))));
    // A few origins fit and are kept.
    let two = cc_token(&config, &store, "imp1", "s3cret-imp", "user_default");
    let claims = jwt::verify(&*signer, &two, jwt::Expected::new(ISSUER, "https://api.example", t(2))).unwrap();
    assert_eq!(claims.allowed_origins, ["https://custom-app.com"]);
}

#[test]
fn introspection_bearer_callers_must_be_clients_acting_for_themselves() {
    let (config, mut store) = fixture();
    let (at, _) = client_a_tokens(&config, &store);
    // A user's token carrying the scope (client-a is allowed `introspect` here) sees nothing.
    let mut a = (*store.clients["client-a"]).clone();
    a = Client::register(ClientRegistration {
        client_id: "client-a".into(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of("s3cret")],
        redirect_uris: a.redirect_uris().to_vec(),
        allowed_scopes: vec!["read".into(), "introspect".into(), "offline_access".into()],
        consent: ConsentMethod::Trusted,
        ..Default::default()
    })
    .unwrap();
    store.clients.insert("client-a".into(), Arc::new(a));
    let q = format!(
        "response_type=code&client_id=client-a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=read%20introspect&code_challenge={C}&code_challenge_method=S256"
    );
    let code = query_param(&authorize(&config, &store, &q, t(0)), "code").unwrap();
    let user_token = tokens(&redeem_client_a(&config, &store, &code, t(1))).access_token.expose().to_owned();
    let h = introspect(&config, &store, &at, Some(&format!("Bearer {user_token}")), t(2)).to_http();
    assert_eq!(h.status, 403);
    // A client-credentials token whose client has since lost the scope, or is gone, sees nothing.
    let caller = cc_token(&config, &store, "rs-1", "s3cret-rs", "introspect");
    let bearer = format!("Bearer {caller}");
    assert_eq!(body(&introspect(&config, &store, &at, Some(&bearer), t(2)))["active"], true);
    let demoted = Client::register(ClientRegistration {
        client_id: "rs-1".into(),
        app_type: Some(AppType::Web),
        secret_digests: vec![TokenDigest::of("s3cret-rs")],
        allowed_scopes: vec!["read".into()],
        allowed_grant_types: Some(vec![GrantType::ClientCredentials]),
        ..Default::default()
    })
    .unwrap();
    store.clients.insert("rs-1".into(), Arc::new(demoted));
    let h = introspect(&config, &store, &at, Some(&bearer), t(2)).to_http();
    assert_eq!(h.status, 403);
    store.clients.remove("rs-1");
    let h = introspect(&config, &store, &at, Some(&bearer), t(2)).to_http();
    assert_eq!(h.status, 401);
    assert!(h.headers.iter().any(|(n, v)| *n == "www-authenticate" && v.contains("invalid_token")));
}

#[test]
fn revocation_and_introspection_requests_never_debug_print_credentials() {
    let r = RevokeRequest::from_http(Some(FORM), Some(&basic("client-a", "s3cret")), None, b"token=secret-token");
    let i = IntrospectRequest::from_http(Some(FORM), Some("Bearer secret-bearer"), None, b"token=secret-token");
    let shown = format!("{r:?} {r:#?} {i:?} {i:#?}");
    for secret in ["Y2xpZW50", "secret-token", "secret-bearer", "s3cret"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}
