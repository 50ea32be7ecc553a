//! The client model of issue 3 in the core: the impersonation grant, allowed origins at the
//! token endpoint, consent and `prompt` rules, and generated client credentials.

use crate::testkit::*;
use crate::*;

const IMP: &str = "urn:qlik:oauth:user-impersonation";

fn json(config: &std::sync::Arc<Config>, store: &TestStore, body: &str, origin: Option<&str>) -> Response {
    let req = TokenRequest::from_http(Some("application/json"), None, None, body.as_bytes()).with_origin(origin);
    token_request(config, store, req, t(0))
}

fn imp_json(lookup: &str, scope: Option<&str>) -> String {
    let scope = scope.map(|s| format!(r#","scope":"{s}""#)).unwrap_or_default();
    format!(r#"{{"client_id":"imp1","client_secret":"s3cret-imp","grant_type":"{IMP}","user_lookup":{lookup}{scope}}}"#)
}

fn status(r: &Response) -> u16 {
    r.to_http().status
}

#[test]
fn impersonation_by_user_id_imp_01() {
    let (config, store) = fixture();
    let r = json(
        &config,
        &store,
        &imp_json(r#"{"field":"userId","value":"6422bad8022070c06d2417bc"}"#, Some("user_default")),
        None,
    );
    let tk = tokens(&r);
    assert_eq!(tk.scope.as_str(), "user_default");
    assert_eq!(tk.token_type, "Bearer");
    assert_eq!(tk.expires_in, 3600);
    assert!(tk.refresh_token.is_none(), "no refresh token for impersonation (D8)");
    let at = store.access_token(&tk.access_token.digest(), t(1)).unwrap().unwrap();
    assert_eq!(at.subject, Subject::User("auth0|u1".into()));
    assert_eq!(at.actor.as_deref(), Some("imp1"), "the acting client is recorded (IMP-09)");
    assert_eq!(&*at.client_id, "imp1");
    assert_eq!(&*at.allowed_origins, ["https://custom-app.com".to_owned()]);
    assert!(!r.to_http().body.contains("refresh_token"));
}

#[test]
fn impersonation_by_subject_and_default_scope_imp_02_imp_07() {
    let (config, store) = fixture();
    let r = json(&config, &store, &imp_json(r#"{"field":"subject","value":"auth0|u1"}"#, None), None);
    // Omitted scope: the client's allowed scopes without offline_access (D9).
    assert_eq!(tokens(&r).scope.as_str(), "apps:read user_default");
    let r = json(&config, &store, &imp_json(r#"{"field":"subject","value":"auth0|u1"}"#, Some("apps:read")), None);
    assert_eq!(tokens(&r).scope.as_str(), "apps:read");
    let r = json(&config, &store, &imp_json(r#"{"field":"subject","value":"auth0|u1"}"#, Some("admin_classic")), None);
    assert_eq!((status(&r), error_code(&r)), (400, "invalid_scope"));
}

#[test]
fn impersonation_in_a_form_body_d3_imp_08() {
    let (config, store) = fixture();
    let lookup: String =
        form_urlencoded::byte_serialize(br#"{"field":"userId","value":"6422bad8022070c06d2417bc"}"#).collect();
    let body = format!(
        "grant_type={}&user_lookup={lookup}",
        form_urlencoded::byte_serialize(IMP.as_bytes()).collect::<String>()
    );
    let r = token(&config, &store, &body, Some(&basic("imp1", "s3cret-imp")), t(0));
    assert_eq!(tokens(&r).scope.as_str(), "apps:read user_default");
    // Bracket encoding is not ours: user_lookup is missing.
    let body = "grant_type=urn%3Aqlik%3Aoauth%3Auser-impersonation&user_lookup%5Bfield%5D=userId&user_lookup%5Bvalue%5D=6422bad8022070c06d2417bc";
    let r = token(&config, &store, body, Some(&basic("imp1", "s3cret-imp")), t(0));
    assert_eq!((status(&r), error_code(&r)), (400, "invalid_request"));
    assert_eq!(store.access_count(), 1);
}

#[test]
fn impersonation_lookup_errors_imp_03_imp_04() {
    let (config, store) = fixture();
    for lookup in [
        r#"{"field":"email","value":"a@b.example"}"#,
        r#"{"field":"UserId","value":"6422bad8022070c06d2417bc"}"#,
        r#"{"field":"userId","value":""}"#,
        r#"{"field":"userId"}"#,
        r#""userId""#,
        r#"["userId","x"]"#,
        "null",
    ] {
        let r = json(&config, &store, &imp_json(lookup, None), None);
        assert_eq!((status(&r), error_code(&r)), (400, "invalid_request"), "{lookup}");
    }
    let r = json(
        &config,
        &store,
        r#"{"client_id":"imp1","client_secret":"s3cret-imp","grant_type":"urn:qlik:oauth:user-impersonation"}"#,
        None,
    );
    assert_eq!(error_code(&r), "invalid_request");
    assert_eq!(store.access_count(), 0);
}

#[test]
fn unknown_and_disabled_users_are_invalid_grant_imp_05() {
    let (config, store) = fixture();
    for lookup in [
        r#"{"field":"userId","value":"nobody"}"#,
        r#"{"field":"userId","value":"u2-id"}"#,
        r#"{"field":"subject","value":"AUTH0|U1"}"#,
    ] {
        let r = json(&config, &store, &imp_json(lookup, None), None);
        assert_eq!((status(&r), error_code(&r)), (400, "invalid_grant"), "{lookup}");
        assert!(!r.to_http().body.contains("nobody"));
    }
    assert_eq!(store.access_count(), 0);
}

#[test]
fn clients_without_the_grant_are_unauthorized_imp_06() {
    let (config, store) = fixture();
    let lookup = r#"{"field":"userId","value":"6422bad8022070c06d2417bc"}"#;
    // A confidential client without the grant.
    let body =
        format!(r#"{{"client_id":"svc-b","client_secret":"s3cret-svcb","grant_type":"{IMP}","user_lookup":{lookup}}}"#);
    let r = json(&config, &store, &body, None);
    assert_eq!((status(&r), error_code(&r)), (400, "unauthorized_client"));
    // A public client never gets a token.
    let body = format!(r#"{{"client_id":"client-pub","grant_type":"{IMP}","user_lookup":{lookup}}}"#);
    let r = json(&config, &store, &body, None);
    assert_eq!((status(&r), error_code(&r)), (400, "unauthorized_client"));
    // Wrong secret: invalid_client before anything else.
    let body = format!(r#"{{"client_id":"imp1","client_secret":"nope","grant_type":"{IMP}","user_lookup":{lookup}}}"#);
    let r = json(&config, &store, &body, None);
    assert_eq!((status(&r), error_code(&r)), (401, "invalid_client"));
    assert_eq!(store.access_count(), 0);
}

#[test]
fn directory_failures_issue_nothing() {
    let (config, store) = fixture();
    let lookup = r#"{"field":"userId","value":"6422bad8022070c06d2417bc"}"#;
    let step = token::start(
        &config,
        TokenRequest::from_http(Some("application/json"), None, None, imp_json(lookup, None).as_bytes()),
        t(0),
    );
    let Step::NeedClient(q) = step else { panic!("expected NeedClient") };
    let client = store.clients.get("imp1").cloned();
    let Step::NeedUser(q) = q.resume(Ok(client)) else { panic!("expected NeedUser") };
    assert_eq!(q.lookup().field, UserField::UserId);
    assert_eq!(q.client_id(), "imp1");
    let Step::Respond(r) = q.resume(Err(StoreError::Unavailable)) else { panic!("expected a response") };
    assert_eq!((status(&r), error_code(&r)), (503, "temporarily_unavailable"));
}

#[test]
fn allowed_origin_gets_cors_headers_cors_01() {
    let (config, store) = fixture();
    let code = {
        let q = format!(
            "response_type=code&client_id=client-pub&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&scope=read&code_challenge={C}&code_challenge_method=S256"
        );
        query_param(&authorize(&config, &store, &q, t(0)), "code").unwrap()
    };
    let body = format!(
        "grant_type=authorization_code&client_id=client-pub&code={code}&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&code_verifier={V}"
    );
    let req = TokenRequest::from_http(Some("application/x-www-form-urlencoded"), None, None, body.as_bytes())
        .with_origin(Some("https://spa.example"));
    let r = token_request(&config, &store, req, t(1));
    let h = r.to_http();
    assert_eq!(h.status, 200);
    assert!(h.headers.contains(&("access-control-allow-origin", "https://spa.example".into())));
    assert!(h.headers.contains(&("vary", "Origin".into())));
    // The same client's errors are readable by its origin too.
    let req = TokenRequest::from_http(Some("application/x-www-form-urlencoded"), None, None, body.as_bytes())
        .with_origin(Some("https://spa.example"));
    let h = token_request(&config, &store, req, t(2)).to_http();
    assert_eq!(h.status, 400);
    assert!(h.body.contains("invalid_grant"));
    assert!(h.headers.contains(&("access-control-allow-origin", "https://spa.example".into())));
}

#[test]
fn other_origins_get_nothing_cors_02_cors_03() {
    for origin in
        ["https://evil.example", "http://spa.example", "https://spa.example:8443", "https://spa.example/", "null"]
    {
        let (config, store) = fixture();
        let q = format!(
            "response_type=code&client_id=client-pub&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&scope=read&code_challenge={C}&code_challenge_method=S256"
        );
        let code = query_param(&authorize(&config, &store, &q, t(0)), "code").unwrap();
        let body = format!(
            "grant_type=authorization_code&client_id=client-pub&code={code}&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&code_verifier={V}"
        );
        let req = TokenRequest::from_http(Some("application/x-www-form-urlencoded"), None, None, body.as_bytes())
            .with_origin(Some(origin));
        let h = token_request(&config, &store, req, t(1)).to_http();
        assert_eq!(h.status, 400, "{origin}");
        assert!(h.body.contains("invalid_request"));
        assert!(!h.headers.iter().any(|(n, _)| n.starts_with("access-control")), "{origin}");
        assert_eq!(store.access_count(), 0);
        // The code was not taken: the same request without an Origin (not a browser) works.
        let req = TokenRequest::from_http(Some("application/x-www-form-urlencoded"), None, None, body.as_bytes());
        assert_eq!(token_request(&config, &store, req, t(1)).to_http().status, 200, "{origin}");
    }
}

#[test]
fn a_web_client_without_origins_refuses_browser_requests() {
    let (config, store) = fixture();
    let body = "grant_type=client_credentials";
    let req = TokenRequest::from_http(
        Some("application/x-www-form-urlencoded"),
        Some(&basic("svc-b", "s3cret-svcb")),
        None,
        body.as_bytes(),
    )
    .with_origin(Some("https://app.example"));
    let r = token_request(&config, &store, req, t(0));
    assert_eq!(error_code(&r), "invalid_request");
    // Impersonation from its allowed origin works and says so.
    let r = json(
        &config,
        &store,
        &imp_json(r#"{"field":"userId","value":"6422bad8022070c06d2417bc"}"#, None),
        Some("https://custom-app.com"),
    );
    assert!(r.to_http().headers.contains(&("access-control-allow-origin", "https://custom-app.com".into())));
    assert_eq!(store.access_count(), 1);
}

#[test]
fn preflight_origins_are_any_clients() {
    let (_, store) = fixture();
    assert!(store.origin_registered("https://spa.example").unwrap());
    assert!(store.origin_registered("https://custom-app.com").unwrap());
    assert!(!store.origin_registered("https://evil.example").unwrap());
}

fn need_owner(client: &str, query_extra: &str, now: UnixTime) -> NeedOwner {
    let (config, store) = fixture();
    let mut store = store;
    if client == "client-req" {
        let c = Client::register(ClientRegistration {
            client_id: "client-req".into(),
            app_type: Some(AppType::Web),
            secret_digests: vec![TokenDigest::of("x")],
            redirect_uris: vec!["https://r.example/cb".into()],
            allowed_scopes: vec!["read".into(), "write".into()],
            consent: ConsentMethod::Required,
            ..Default::default()
        })
        .unwrap();
        store.clients.insert("client-req".into(), std::sync::Arc::new(c));
    }
    let redirect =
        if client == "client-req" { "https%3A%2F%2Fr.example%2Fcb" } else { "https%3A%2F%2Fapp.example%2Fcb" };
    let q = format!(
        "response_type=code&client_id={client}&redirect_uri={redirect}&code_challenge={C}&code_challenge_method=S256{query_extra}"
    );
    match drive(&store, authorize::start(&config, AuthorizeRequest::from_query(Some(&q)), now)) {
        Driven::NeedOwner(q) => q,
        Driven::Respond(r) => panic!("expected NeedOwner, got {r:?}"),
    }
}

#[test]
fn consent_rules() {
    let read = ScopeSet::parse("read").unwrap();
    let both = ScopeSet::parse("read write").unwrap();
    // Required: asked unless every requested scope was approved before.
    let q = need_owner("client-req", "&scope=read%20write", t(0));
    assert!(q.consent_needed(None));
    assert!(q.consent_needed(Some(&read)));
    assert!(!q.consent_needed(Some(&both)));
    let q = need_owner("client-req", "&scope=read", t(0));
    assert!(!q.consent_needed(Some(&both)));
    // prompt=consent always asks, even for a trusted client.
    let q = need_owner("client-req", "&scope=read&prompt=consent", t(0));
    assert!(q.consent_needed(Some(&both)));
    let q = need_owner("client-a", "&scope=read&prompt=consent", t(0));
    assert!(q.consent_needed(Some(&both)));
    // Trusted: never asked.
    let q = need_owner("client-a", "&scope=read", t(0));
    assert!(!q.consent_needed(None));
}

#[test]
fn login_rules_d12() {
    // A session from 100 s ago is usable without max_age and prompt=login.
    let q = need_owner("client-a", "&scope=read", t(1000));
    assert!(q.session_usable(t(900)));
    // prompt=login: no earlier session counts.
    let q = need_owner("client-a", "&scope=read&prompt=login", t(1000));
    assert!(!q.session_usable(t(1000)));
    assert!(q.prompt().login);
    // max_age=60: a session at exactly 60 s is fine, at 61 s it is not.
    let q = need_owner("client-a", "&scope=read&max_age=60", t(1000));
    assert!(q.session_usable(t(940)));
    assert!(!q.session_usable(t(939)));
    // The core itself refuses an approval older than max_age.
    let r = q.resume(OwnerDecision::Approve(Approval::new("user-1".into(), t(939))));
    let Step::Respond(r) = r else { panic!("expected a response") };
    assert_eq!(query_param(&r, "error").as_deref(), Some("login_required"));
    // prompt=none: the application answers login_required / consent_required as an error
    // redirect.
    for (decision, code) in
        [(OwnerDecision::LoginRequired, "login_required"), (OwnerDecision::ConsentRequired, "consent_required")]
    {
        let q = need_owner("client-req", "&scope=read&prompt=none&state=xyz", t(0));
        assert!(q.prompt().none);
        let Step::Respond(r) = q.resume(decision) else { panic!("expected a response") };
        assert_eq!(query_param(&r, "error").as_deref(), Some(code));
        assert_eq!(query_param(&r, "state").as_deref(), Some("xyz"));
    }
}

#[test]
fn generated_client_credentials() {
    let e = SeededEntropy::new(3);
    let id = generate_client_id(&e).unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_ne!(id, generate_client_id(&e).unwrap());
    let secret = generate_client_secret(&e).unwrap();
    assert_eq!(secret.expose().len(), 43);
    assert!(secret.expose().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let hint = secret_hint(&secret);
    assert_eq!(hint.len(), 5);
    assert!(secret.expose().ends_with(&hint));
    assert_eq!(secret_hint(&Secret::new("abcdef".into())), "ef");
    assert!(generate_client_secret(&FailingEntropy).is_err());
    // A generated registration validates, and the secret authenticates by digest only.
    let c = Client::register(ClientRegistration {
        client_id: id,
        app_type: Some(AppType::Web),
        secret_digests: vec![secret.digest()],
        allowed_grant_types: Some(vec![GrantType::ClientCredentials]),
        ..Default::default()
    })
    .unwrap();
    assert!(c.verify_secret(&secret));
    assert_eq!(c.secret_digests(), [secret.digest()]);
}

fn client_a_with_scopes(scopes: &[&str]) -> std::sync::Arc<Client> {
    std::sync::Arc::new(
        Client::register(ClientRegistration {
            client_id: "client-a".into(),
            app_type: Some(AppType::Web),
            secret_digests: vec![TokenDigest::of("s3cret")],
            redirect_uris: vec!["https://app.example/cb".into()],
            allowed_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            consent: ConsentMethod::Trusted,
            ..Default::default()
        })
        .unwrap(),
    )
}

#[test]
fn refresh_narrows_to_the_clients_current_scopes() {
    let (config, mut store) = fixture();
    let code = code_for_client_a(&config, &store, t(0));
    let r = redeem_client_a(&config, &store, &code, t(1));
    let rt = tokens(&r).refresh_token.clone().unwrap();
    // An administrator removes `read` from the client: the refresh no longer grants it.
    store.clients.insert("client-a".into(), client_a_with_scopes(&["write", "offline_access"]));
    let refresh = |store: &TestStore, rt: &Secret, extra: &str, now| {
        let body = format!("grant_type=refresh_token&refresh_token={}{extra}", rt.expose());
        token(&config, store, &body, Some(&basic("client-a", "s3cret")), now)
    };
    let r = refresh(&store, &rt, "&scope=read", t(2));
    assert_eq!((status(&r), error_code(&r)), (400, "invalid_scope"));
    let r = refresh(&store, &rt, "", t(3));
    assert_eq!(tokens(&r).scope.as_str(), "offline_access");
    let rt = tokens(&r).refresh_token.clone().unwrap();
    // Without offline_access the client may no longer refresh; the token stays unused.
    store.clients.insert("client-a".into(), client_a_with_scopes(&["read", "write"]));
    let r = refresh(&store, &rt, "", t(4));
    assert_eq!((status(&r), error_code(&r)), (400, "invalid_grant"));
    // Restored: the narrowed grant goes on, and `read` does not come back.
    store.clients.insert("client-a".into(), client_a_with_scopes(&["read", "write", "offline_access"]));
    let r = refresh(&store, &rt, "", t(5));
    assert_eq!(tokens(&r).scope.as_str(), "offline_access");
}

#[test]
fn a_code_is_narrowed_to_the_clients_current_scopes() {
    let (config, mut store) = fixture();
    let code = code_for_client_a(&config, &store, t(0));
    // An administrator takes offline_access away before the code is redeemed.
    store.clients.insert("client-a".into(), client_a_with_scopes(&["read", "write"]));
    let r = redeem_client_a(&config, &store, &code, t(1));
    assert_eq!(tokens(&r).scope.as_str(), "read");
    assert!(tokens(&r).refresh_token.is_none());
    // Nothing left: invalid_grant.
    let code = {
        store.clients.insert("client-a".into(), client_a_with_scopes(&["read", "offline_access"]));
        code_for_client_a(&config, &store, t(2))
    };
    store.clients.insert("client-a".into(), client_a_with_scopes(&["write"]));
    let r = redeem_client_a(&config, &store, &code, t(3));
    assert_eq!((status(&r), error_code(&r)), (400, "invalid_grant"));
}
