use crate::testkit::*;
use crate::*;

const A: &str = "response_type=code&client_id=client-a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb";

fn pkce() -> String {
    format!("&code_challenge={C}&code_challenge_method=S256")
}

#[test]
fn success_redirect_carries_code_state_and_iss() {
    let (config, store) = fixture();
    let r = authorize(&config, &store, &format!("{A}&state=a%20b%2B%26c{}", pkce()), t(0));
    let loc = location(&r);
    assert!(loc.starts_with("https://app.example/cb?code="), "{loc}");
    assert_eq!(query_param(&r, "state").as_deref(), Some("a b+&c"));
    assert_eq!(query_param(&r, "iss").as_deref(), Some(ISSUER));
    assert_eq!(query_param(&r, "code").unwrap().len(), 43);
    assert_eq!(loc.matches('?').count(), 1);
    assert_eq!(store.code_count(), 1);
    match &r {
        Response::Redirect(r) => assert_eq!(r.status, 302),
        _ => unreachable!(),
    }
}

#[test]
fn empty_state_is_not_echoed() {
    let (config, store) = fixture();
    let r = authorize(&config, &store, &format!("{A}&state={}", pkce()), t(0));
    assert_eq!(query_param(&r, "state"), None);
    assert!(query_param(&r, "code").is_some());
}

#[test]
fn registered_query_is_kept_f04() {
    let (config, store) = fixture();
    let base = "client_id=client-q&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Ftenant%3Dt1&state=s1";
    let r = authorize(&config, &store, &format!("response_type=code&{base}{}", pkce()), t(0));
    let loc = location(&r);
    assert!(loc.starts_with("https://app.example/cb?tenant=t1&code="), "{loc}");
    assert_eq!(loc.matches('?').count(), 1);
    let r = authorize(&config, &store, &format!("response_type=bogus&{base}"), t(0));
    assert_eq!(
        location(&r),
        "https://app.example/cb?tenant=t1&error=unsupported_response_type&error_description=only+response_type%3Dcode+is+supported&state=s1&iss=https%3A%2F%2Fas.example"
    );
}

#[test]
fn client_and_redirect_errors_are_never_redirected_f07() {
    let (config, store) = fixture();
    let evil = "redirect_uri=https%3A%2F%2Fevil.example%2Fsteal&state=s1";
    for q in [
        format!("response_type=token2&client_id=client-a&{evil}"),
        format!("response_type=code&client_id=client-a&scope=nonexistent&{evil}"),
        format!("response_type=code&client_id=unknown-client&{evil}"),
        format!("response_type=code&client_id=client-a&prompt=none&{evil}"),
        format!("client_id=client-a&{evil}"),
        format!("response_type=code&{evil}"),
        "response_type=code&client_id=client-a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&redirect_uri=https%3A%2F%2Fevil.example%2F".to_owned(),
        "response_type=code&client_id=client-m".to_owned(),
        "response_type=code&client_id=client-a&client_id=client-b".to_owned(),
    ] {
        let r = authorize(&config, &store, &q, t(0));
        assert_eq!(error_code(&r), "invalid_request", "{q}");
        assert_eq!(r.to_http().status, 400);
    }
    // Control: the registered URI gets the redirect.
    let r = authorize(
        &config,
        &store,
        "response_type=token2&client_id=client-a&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s1",
        t(0),
    );
    assert_eq!(query_param(&r, "error").as_deref(), Some("unsupported_response_type"));
    assert_eq!(query_param(&r, "state").as_deref(), Some("s1"));
}

#[test]
fn omitted_redirect_uri_uses_the_only_registered_one() {
    let (config, store) = fixture();
    let r = authorize(&config, &store, &format!("response_type=code&client_id=client-a{}", pkce()), t(0));
    assert!(location(&r).starts_with("https://app.example/cb?code="));
}

#[test]
fn redirected_errors() {
    let (config, store) = fixture();
    let cases: &[(&str, &str)] = &[
        ("&state=a&state=b", "invalid_request"),
        ("&scope=read&scope=write", "invalid_request"),
        ("&scope=admin", "invalid_scope"),
        ("&scope=Read", "invalid_scope"),
        ("&scope=read%20%20write", "invalid_scope"),
        ("&prompt=none%20login", "invalid_request"),
        ("&prompt=bogus", "invalid_request"),
        ("&max_age=-1", "invalid_request"),
        ("&max_age=1e3", "invalid_request"),
    ];
    for (extra, code) in cases {
        let r = authorize(&config, &store, &format!("{A}{}{extra}", pkce()), t(0));
        assert_eq!(query_param(&r, "error").as_deref(), Some(*code), "{extra}");
        assert_eq!(query_param(&r, "iss").as_deref(), Some(ISSUER));
        assert_eq!(query_param(&r, "code"), None);
    }
    let r = authorize(&config, &store, "client_id=client-a&state=s1", t(0));
    assert_eq!(query_param(&r, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_param(&r, "state").as_deref(), Some("s1"));
    assert_eq!(store.code_count(), 0);
}

#[test]
fn pkce_rules_at_authorize_f12() {
    let (config, store) = fixture();
    let base = "response_type=code&client_id=client-pub&redirect_uri=https%3A%2F%2Fspa.example%2Fcb&state=s1";
    let c1 = "4O8f97RUaV-Gb9z48pr7pEdnesiwWdEqrU_6qJLRlmY";
    for extra in [
        String::new(),
        format!("&code_challenge={c1}"),
        format!("&code_challenge={c1}&code_challenge_method=plain"),
        format!("&code_challenge={c1}&code_challenge_method=S512"),
        format!("&code_challenge={c1}&code_challenge_method=s256"),
        "&code_challenge=&code_challenge_method=S256".to_owned(),
        format!("&code_challenge={}&code_challenge_method=S256", &c1[..42]),
        format!("&code_challenge={c1}A&code_challenge_method=S256"),
        "&code_challenge=4O8f97RUaV%2BGb9z48pr7pEdnesiwWdEqrU_6qJLRlmY&code_challenge_method=S256".to_owned(),
    ] {
        let r = authorize(&config, &store, &format!("{base}{extra}"), t(0));
        assert_eq!(query_param(&r, "error").as_deref(), Some("invalid_request"), "{extra}");
        assert_eq!(query_param(&r, "state").as_deref(), Some("s1"));
    }
    assert_eq!(store.code_count(), 0);
}

#[test]
fn owner_decisions_map_to_errors() {
    let (config, store) = fixture();
    let q = format!("{A}&state=s1{}", pkce());
    for (d, code) in [
        (OwnerDecision::Deny, "access_denied"),
        (OwnerDecision::LoginRequired, "login_required"),
        (OwnerDecision::ConsentRequired, "consent_required"),
    ] {
        let r = authorize_with(&config, &store, &q, t(0), |_| d);
        assert_eq!(query_param(&r, "error").as_deref(), Some(code));
        assert_eq!(query_param(&r, "state").as_deref(), Some("s1"));
    }
    // An approval wider than the request is a bug in the application, answered as server_error.
    let r = authorize_with(&config, &store, &format!("{q}&scope=read"), t(0), |o| {
        OwnerDecision::Approve(
            Approval::new("user-1".into(), o.now()).with_scope(ScopeSet::parse("read write").unwrap()),
        )
    });
    assert_eq!(query_param(&r, "error").as_deref(), Some("server_error"));
    // max_age is enforced even if the application forgets to.
    let r = authorize_with(&config, &store, &format!("{q}&max_age=60"), t(1000), |_| {
        OwnerDecision::Approve(Approval::new("user-1".into(), t(0)))
    });
    assert_eq!(query_param(&r, "error").as_deref(), Some("login_required"));
    assert_eq!(store.code_count(), 0);
}

#[test]
fn need_owner_exposes_the_validated_request() {
    let (config, store) = fixture();
    let q = format!("{A}{}&scope=read&prompt=login%20consent&login_hint=alice&max_age=300", pkce());
    let step = authorize::start(&config, AuthorizeRequest::from_query(Some(&q)), t(0));
    let Driven::NeedOwner(o) = drive(&store, step) else { panic!("expected NeedOwner") };
    assert_eq!(o.client().client_id(), "client-a");
    assert_eq!(o.scope().to_string(), "read");
    assert!(o.prompt().login && o.prompt().consent && !o.prompt().none);
    assert_eq!(o.login_hint(), Some("alice"));
    assert_eq!(o.max_age(), Some(300));
    // Default scope: allowed minus offline_access.
    let step = authorize::start(&config, AuthorizeRequest::from_query(Some(&format!("{A}{}", pkce()))), t(0));
    let Driven::NeedOwner(o) = drive(&store, step) else { panic!("expected NeedOwner") };
    assert_eq!(o.scope().to_string(), "read write");
}

#[test]
fn post_requests_redirect_with_303() {
    let (config, store) = fixture();
    let body = format!("{A}{}&username=u&password=p", pkce());
    let step = authorize::start(
        &config,
        AuthorizeRequest::from_form(Some("application/x-www-form-urlencoded"), body.as_bytes()),
        t(0),
    );
    let Driven::NeedOwner(o) = drive(&store, step) else { panic!() };
    let Driven::Respond(Response::Redirect(r)) =
        drive(&store, o.resume(OwnerDecision::Approve(Approval::new("user-1".into(), t(0)))))
    else {
        panic!()
    };
    assert_eq!(r.status, 303);
    let step = authorize::start(&config, AuthorizeRequest::from_form(Some("text/plain"), body.as_bytes()), t(0));
    let Driven::Respond(r) = drive(&store, step) else { panic!() };
    assert_eq!(error_code(&r), "invalid_request");
}

#[test]
fn native_loopback_port_is_kept_f05() {
    let (config, store) = fixture();
    let q = format!(
        "response_type=code&client_id=client-native&redirect_uri=http%3A%2F%2F127.0.0.1%3A51004%2Fcb{}",
        pkce()
    );
    let r = authorize(&config, &store, &q, t(0));
    assert!(location(&r).starts_with("http://127.0.0.1:51004/cb?code="));
    let code = query_param(&r, "code").unwrap();
    let body = format!(
        "grant_type=authorization_code&code={code}&client_id=client-native&redirect_uri=http%3A%2F%2F127.0.0.1%3A51004%2Fcb&code_verifier={V}"
    );
    let r = token(&config, &store, &body, None, t(1));
    assert_eq!(tokens(&r).scope.to_string(), "read");
}

#[test]
fn store_and_entropy_failures_issue_nothing() {
    let (config, store) = fixture_with(std::sync::Arc::new(FailingEntropy));
    let r = authorize(&config, &store, &format!("{A}&state=s1{}", pkce()), t(0));
    assert_eq!(query_param(&r, "error").as_deref(), Some("temporarily_unavailable"));
    assert_eq!(query_param(&r, "code"), None);

    let (config, store) = fixture();
    *store.fail.lock().unwrap() = Some(StoreError::Unavailable);
    let r = authorize(&config, &store, &format!("{A}&state=s1{}", pkce()), t(0));
    assert_eq!(error_code(&r), "temporarily_unavailable");
    assert_eq!(r.to_http().status, 503);
}

#[test]
fn oversized_and_malformed_input() {
    let (config, store) = fixture();
    let long_state = "s".repeat(authorize::MAX_STATE_BYTES + 1);
    let r = authorize(&config, &store, &format!("{A}&state={long_state}{}", pkce()), t(0));
    assert_eq!(error_code(&r), "invalid_request");
    let r = authorize(&config, &store, &format!("{A}&state={}", "s".repeat(10_000)), t(0));
    assert_eq!(error_code(&r), "invalid_request");
    assert_eq!(r.to_http().status, 400);
    let r = authorize(&config, &store, &format!("{A}&state={}", "s".repeat(100_000)), t(0));
    assert_eq!(error_code(&r), "invalid_request");
    assert_eq!(r.to_http().status, 414);
    for bad in ["%", "%G1", "%C0%AF"] {
        let r = authorize(&config, &store, &format!("{A}&state={bad}"), t(0));
        assert_eq!(error_code(&r), "invalid_request");
    }
    for uri in ["http://[", "http://[::1", "https://[\"><script>/cb", "http://[::ffff:999.1.1.1]/cb"] {
        let q = format!(
            "response_type=code&client_id=client-native&redirect_uri={}",
            form_urlencoded::byte_serialize(uri.as_bytes()).collect::<String>()
        );
        let r = authorize(&config, &store, &q, t(0));
        assert_eq!(error_code(&r), "invalid_request", "{uri}");
    }
    let scope: Vec<String> = (0..10_000).map(|i| format!("s{i}")).collect();
    let r = authorize(&config, &store, &format!("{A}{}&scope={}", pkce(), scope.join("%20")), t(0));
    assert_eq!(error_code(&r), "invalid_request");
    let r = authorize(&config, &store, &format!("{A}{}&scope={}", pkce(), "a".repeat(4000)), t(0));
    assert_eq!(query_param(&r, "error").as_deref(), Some("invalid_scope"));
}
