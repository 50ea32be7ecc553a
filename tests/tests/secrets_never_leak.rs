//! Secrets never leak (issue 5): every flow runs with logging at its most verbose, and neither
//! the captured log nor any `Debug` rendering of the core's values shows a client secret,
//! password, authorization code, access or refresh token, PKCE verifier, session id or CSRF
//! token that was used.
//!
//! This file is its own test binary on purpose: it installs a global `tracing` subscriber
//! (every target at `TRACE`, span events included, `log` records bridged) that writes into a
//! shared buffer. The server runs in this process (`TestServer::start`), so the subscriber sees
//! everything the server, its adapters and its libraries log. A canary event proves the capture
//! works, and the server's own request and `oauth::audit` lines must be in it, so the scan cannot
//! pass vacuously.
//!
//! Assertion messages name what leaked (a label such as "web1 client secret"), never the value.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use oauth_conformance::*;
use oauth_core::wire::{BasicCredentials, Params};
use oauth_core::{
    AppType, Approval, AuthorizeRequest, Client, ClientRegistration, ClientRegistry as _, CodeStore as _, Config,
    ConsentMethod, GrantType, OwnerDecision, RefreshStore as _, Response, Secret, Step, TokenRequest, TokenStore as _,
    UnixTime, User, UserDirectory as _, authorize, token,
};
use oauth_memory::{MemoryStore, OsEntropy};
use oauth_server::ServerConfig;
use reqwest::Method;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Capture and scan.
// ---------------------------------------------------------------------------------------------

/// Everything logged by any thread of this test binary.
static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// The subscriber's writer: appends to [`LOG`].
#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the capturing subscriber once: every target at `TRACE`, span creation, entry, exit
/// and close logged with their fields, `log` records bridged (`tracing-log`).
fn capture() -> Arc<Mutex<Vec<u8>>> {
    Arc::clone(LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(Arc::clone(&buf));
        let installed = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_ansi(false)
            .with_target(true)
            .with_writer(move || writer.clone())
            .try_init();
        if let Err(e) = installed {
            panic!("installing the capturing subscriber failed: {e}");
        }
        buf
    }))
}

/// The text captured so far.
fn logged() -> String {
    let log = capture();
    let bytes = log.lock().unwrap_or_else(PoisonError::into_inner);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The credentials a test used, each with a label that may be printed.
#[derive(Default)]
struct Secrets {
    items: Vec<(String, String)>,
}

impl Secrets {
    /// Records `value` (at least 5 bytes, so that a match cannot be a coincidence).
    fn add(&mut self, label: impl Into<String>, value: &str) {
        let label = label.into();
        assert!(value.len() >= 5, "{label}: too short to scan for");
        self.items.push((label, value.to_owned()));
    }

    /// Records the credentials of a token response.
    fn add_tokens(&mut self, label: &str, tokens: &Tokens) {
        self.add(format!("{label} access token"), &tokens.access_token);
        if let Some(rt) = &tokens.refresh_token {
            self.add(format!("{label} refresh token"), rt);
        }
    }

    /// Records a client's secret, its `Authorization: Basic` value and its base64 part.
    fn add_client(&mut self, client_id: &str, secret: &str) {
        let header = basic(client_id, secret);
        self.add(format!("{client_id} client secret"), secret);
        self.add(format!("{client_id} Basic credentials"), header.trim_start_matches("Basic "));
    }

    /// The labels of the recorded values that occur in `text`.
    fn found_in(&self, text: &str) -> Vec<&str> {
        self.items.iter().filter(|(_, v)| text.contains(v.as_str())).map(|(l, _)| l.as_str()).collect()
    }

    /// Asserts that no recorded value occurs in any of `texts`; `what` names them.
    fn assert_absent(&self, what: &str, texts: &[String]) {
        let mut leaks: Vec<String> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            for label in self.found_in(text) {
                leaks.push(format!("{label} (in {what} #{i})"));
            }
        }
        assert!(leaks.is_empty(), "secrets leaked: {leaks:?}");
    }
}

/// Everything an error reply shows (status, header values, body), for the scan: RFC 6749
/// §10.8 and D1, error answers never echo a credential.
fn render(reply: &Reply) -> String {
    let headers: Vec<String> =
        reply.headers.iter().map(|(n, v)| format!("{n}: {}", v.to_str().unwrap_or(""))).collect();
    format!("{} {} {}", reply.status, headers.join("; "), reply.body)
}

// ---------------------------------------------------------------------------------------------
// Every flow over HTTP, logged at TRACE.
// ---------------------------------------------------------------------------------------------

/// Runs every flow against the real server (login form, consent, PKCE, refresh and its reuse,
/// code replay, client credentials, impersonation in both encodings and with an origin, the
/// admin API creating a client, rotating and deleting its secrets, patching and deleting it,
/// and the error paths: wrong password, wrong verifier, wrong secrets, revoked and unknown
/// credentials, credentials in a query string, a bearer token at the token endpoint), then on a
/// `dev_login` server the public SPA and native clients. The captured log and every error
/// answer must not contain any credential used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_logged_at_trace_shows_no_secret() {
    let _ = capture();
    tracing::info!(target: "canary", "capture-canary-5d1e");
    let mut s = Secrets::default();
    let mut errors: Vec<String> = Vec::new();
    for (id, secret) in [("web1", WEB1_SECRET), ("m2m1", M2M1_SECRET), ("imp1", IMP1_SECRET), ("imp2", IMP2_SECRET)] {
        s.add_client(id, secret);
    }
    s.add("u1 password", U1_PASSWORD);
    s.add("u2 password", U2_PASSWORD);
    let wrong_password = "leak-canary-wrong-password-Qx7";
    let wrong_secret = "leak-canary-wrong-secret-Zk4";
    let verifier = "leak-canary-verifier-0123456789-ABCDEFGHIJKLMNOP";
    let wrong_verifier = "leak-canary-wrong-verifier-0123456789-abcdefghij";
    s.add("a wrong password", wrong_password);
    s.add("a wrong client secret", wrong_secret);
    s.add("the PKCE verifier", verifier);
    s.add("a wrong PKCE verifier", wrong_verifier);

    let srv = TestServer::start(REQUIREMENT_FIXTURE_PAGES).await;
    let web1 = basic("web1", WEB1_SECRET);
    let web1_auth = Auth::Header(&web1);
    let challenge = s256(verifier);
    let authorize_query = query(&[
        ("response_type", "code"),
        ("client_id", "web1"),
        ("redirect_uri", CB_WEB1),
        ("scope", "user_default offline_access"),
        ("state", "s1"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);

    // The login form: a wrong password first, then the right one with consent.
    let mut browser = Browser::new(&srv);
    let page = browser.authorize(&authorize_query).await;
    assert!(page.is_login_page(), "{}", page.describe());
    let again =
        browser.submit(&page, &[("username", U1_ID), ("password", wrong_password), ("decision", "approve")]).await;
    assert!(again.is_login_page(), "a wrong password shows the login page again: {}", again.describe());
    assert!(!again.body.contains(wrong_password), "the login page must not echo the password");
    let done = browser.submit(&again, &[("username", U1_ID), ("password", U1_PASSWORD), ("decision", "approve")]).await;
    let code1 = srv.assert_code_redirect_status(&done, 303, CB_WEB1, Some("s1"));
    s.add("code 1", &code1);
    for cookie in ["oauth_session", "csrf"] {
        let value = browser.cookie(cookie).unwrap_or_else(|| panic!("cookie {cookie} missing"));
        s.add(format!("the {cookie} cookie"), value);
    }

    // Code 1 with the wrong verifier.
    let r = srv.redeem(web1_auth, &code1, Some(CB_WEB1), Some(wrong_verifier)).await;
    r.assert_token_error(400, "invalid_grant");
    errors.push(render(&r));

    // Code 2 (remembered consent): redeemed with client_secret_post, then replayed (D13).
    let code2 = srv.assert_code_redirect(&browser.authorize(&authorize_query).await, CB_WEB1, Some("s1"));
    s.add("code 2", &code2);
    let t2 = srv.redeem(Auth::Post("web1", WEB1_SECRET), &code2, Some(CB_WEB1), Some(verifier)).await.assert_tokens();
    s.add_tokens("code 2", &t2);
    let r = srv.redeem(Auth::Post("web1", WEB1_SECRET), &code2, Some(CB_WEB1), Some(verifier)).await;
    r.assert_token_error(400, "invalid_grant");
    errors.push(render(&r));
    let r = srv.refresh(web1_auth, t2.refresh(), None).await;
    r.assert_token_error(400, "invalid_grant");
    errors.push(render(&r));

    // Code 3: redeemed with Basic, refreshed, the rotated token reused (D10), a wrong secret.
    let code3 = srv.assert_code_redirect(&browser.authorize(&authorize_query).await, CB_WEB1, Some("s1"));
    s.add("code 3", &code3);
    // Credentials in the query string are refused (RFC 6749 §2.3.1) and never logged.
    let leaky = format!("/oauth/token?code={code3}&client_secret={WEB1_SECRET}&code_verifier={verifier}");
    let r = srv
        .send(
            srv.http()
                .post(srv.url(&leaky))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=authorization_code"),
            "POST /oauth/token?…",
        )
        .await;
    r.assert_token_error(400, "invalid_request");
    errors.push(render(&r));
    let t3 = srv.redeem(web1_auth, &code3, Some(CB_WEB1), Some(verifier)).await.assert_tokens();
    s.add_tokens("code 3", &t3);
    let t4 = srv.refresh(web1_auth, t3.refresh(), None).await.assert_tokens();
    s.add_tokens("refreshed", &t4);
    let r = srv.refresh(Auth::Post("web1", wrong_secret), t4.refresh(), None).await;
    r.assert_token_error(401, "invalid_client");
    errors.push(render(&r));
    let r = srv.refresh(web1_auth, t3.refresh(), None).await;
    r.assert_token_error(400, "invalid_grant");
    errors.push(render(&r));
    // A bearer token where client credentials belong.
    let bearer = format!("Bearer {}", t4.access_token);
    let r = srv.token_form("grant_type=client_credentials", Some(&bearer)).await;
    r.assert_token_error(401, "invalid_client");
    errors.push(render(&r));

    // Client credentials, with both authentication methods and a wrong secret.
    let admin = srv.admin_token().await;
    s.add("admin access token", &admin);
    let t = srv.token(Auth::Post("m2m1", M2M1_SECRET), &[("grant_type", "client_credentials")]).await.assert_tokens();
    s.add_tokens("client credentials", &t);
    let r = srv.token(Auth::Header(&basic("m2m1", wrong_secret)), &[("grant_type", "client_credentials")]).await;
    r.assert_basic_invalid_client();
    errors.push(render(&r));

    // Impersonation: a form from an allowed origin, a JSON body, an unknown and a disabled user.
    let imp1 = basic("imp1", IMP1_SECRET);
    let lookup = format!(r#"{{"field":"userId","value":"{U1_ID}"}}"#);
    let form = query(&[("grant_type", IMPERSONATION), ("user_lookup", &lookup)]);
    let t = srv.token_form_with(&form, &[("authorization", &imp1), ("origin", ORIGIN_IMP1)]).await.assert_tokens();
    s.add_tokens("impersonation (form)", &t);
    let body = json!({"grant_type": IMPERSONATION, "client_id": "imp1", "client_secret": IMP1_SECRET,
        "user_lookup": {"field": "subject", "value": U1_SUBJECT}});
    let t = srv.token_json(&body, None).await.assert_tokens();
    s.add_tokens("impersonation (JSON)", &t);
    for user in ["nobody", U2_ID] {
        let lookup = format!(r#"{{"field":"userId","value":"{user}"}}"#);
        let form = query(&[("grant_type", IMPERSONATION), ("user_lookup", &lookup)]);
        let r = srv.token_form(&form, Some(&imp1)).await;
        r.assert_token_error(400, "invalid_grant");
        errors.push(render(&r));
    }

    // The admin API: create, rotate, patch, delete a secret, delete the client.
    let created = srv
        .admin(
            Method::POST,
            ADMIN_API,
            Some(&admin),
            Some(&json!({"appType": "web", "clientName": "Leaky", "allowedGrantTypes": ["client_credentials"],
                "allowedScopes": ["user_default"]})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.describe());
    let created = created.json();
    let id = created["clientId"].as_str().unwrap_or_default().to_owned();
    let first = created["clientSecret"].as_str().unwrap_or_default().to_owned();
    let first_hint = created["clientSecretHint"].as_str().unwrap_or_default().to_owned();
    s.add_client(&id, &first);
    let t = srv.client_credentials(&id, &first, None).await;
    s.add_tokens("created client", &t);
    let path = format!("{ADMIN_API}/{id}");
    let rotated = srv.admin(Method::POST, &format!("{path}/client-secrets"), Some(&admin), Some(&json!({}))).await;
    assert_eq!(rotated.status, 201, "{}", rotated.describe());
    let second = rotated.json()["clientSecret"].as_str().unwrap_or_default().to_owned();
    s.add(format!("{id} second secret"), &second);
    s.add(format!("{id} second Basic credentials"), basic(&id, &second).trim_start_matches("Basic "));
    let t = srv.client_credentials(&id, &second, None).await;
    s.add_tokens("created client, second secret", &t);
    let ops = json!([{"op": "replace", "path": "/clientName", "value": "Leaky 2"}]);
    let patched = srv.admin(Method::PATCH, &path, Some(&admin), Some(&ops)).await;
    assert!(matches!(patched.status, 200 | 204), "{}", patched.describe());
    let deleted = srv.admin(Method::DELETE, &format!("{path}/client-secrets/{first_hint}"), Some(&admin), None).await;
    assert_eq!(deleted.status, 204, "{}", deleted.describe());
    let r = srv.token(Auth::Header(&basic(&id, &first)), &[("grant_type", "client_credentials")]).await;
    r.assert_basic_invalid_client();
    errors.push(render(&r));
    let gone = srv.admin(Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!(gone.status, 204, "{}", gone.describe());
    let r = srv.token(Auth::Header(&basic(&id, &second)), &[("grant_type", "client_credentials")]).await;
    r.assert_basic_invalid_client();
    errors.push(render(&r));
    // Bearer errors: an unknown token, the admin token in the query, a revoked token.
    let bogus = "leak-canary-bogus-bearer-token-4Fq";
    s.add("a bogus bearer token", bogus);
    for (target, bearer) in [
        (ADMIN_API.to_owned(), Some(bogus)),
        (format!("{ADMIN_API}?access_token={admin}"), None),
        (ADMIN_API.to_owned(), Some(t2.access_token.as_str())),
    ] {
        let r = srv.admin(Method::GET, &target, bearer, None).await;
        assert!(matches!(r.status, 400 | 401), "{}", r.describe());
        errors.push(render(&r));
    }

    // A dev_login server: the public SPA (with its origin) and native clients.
    let dev = TestServer::start(REQUIREMENT_FIXTURE).await;
    let spa_verifier = "leak-canary-spa-verifier-0123456789-abcdefghijkl";
    let nat_verifier = "leak-canary-native-verifier-0123456789-abcdefghi";
    s.add("the SPA verifier", spa_verifier);
    s.add("the native verifier", nat_verifier);
    let code = dev.get_code("spa1", CB_SPA1, Some("user_default offline_access"), &s256(spa_verifier)).await;
    s.add("SPA code", &code);
    let body = query(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", CB_SPA1),
        ("code_verifier", spa_verifier),
        ("client_id", "spa1"),
    ]);
    let t = dev.token_form_with(&body, &[("origin", ORIGIN_SPA1)]).await.assert_tokens();
    s.add_tokens("SPA", &t);
    let body = query(&[("grant_type", "refresh_token"), ("refresh_token", t.refresh()), ("client_id", "spa1")]);
    let t = dev.token_form_with(&body, &[("origin", ORIGIN_SPA1)]).await.assert_tokens();
    s.add_tokens("SPA refreshed", &t);
    let native_redirect = "http://127.0.0.1:53123/cb";
    let code = dev.get_code("nat1", native_redirect, Some("user_default"), &s256(nat_verifier)).await;
    s.add("native code", &code);
    let t = dev.redeem(Auth::Public("nat1"), &code, Some(native_redirect), Some(nat_verifier)).await.assert_tokens();
    s.add_tokens("native", &t);
    drop(dev);
    drop(srv);

    // The capture worked and holds the server's own lines.
    let log = logged();
    assert!(log.contains("capture-canary-5d1e"), "the capturing subscriber saw nothing");
    assert!(log.contains("oauth::audit"), "the server's audit lines must be captured");
    assert!(log.contains("/oauth/token") && log.contains(ADMIN_API), "the server's request lines must be captured");
    eprintln!(
        "captured {} bytes of log in {} lines; scanned for {} credentials",
        log.len(),
        log.lines().count(),
        s.items.len()
    );
    s.assert_absent("the TRACE log", &[log]);
    s.assert_absent("error answers", &errors);
}

// ---------------------------------------------------------------------------------------------
// Debug renderings of the core's values.
// ---------------------------------------------------------------------------------------------

/// The `Debug` renderings (`{:?}` and `{:#?}`) of `value`.
fn debug_of<T: std::fmt::Debug>(value: &T) -> [String; 2] {
    [format!("{value:?}"), format!("{value:#?}")]
}

/// Drives `step` to its response against `store`, answering `NeedOwner` with `owner`, and
/// keeps the `Debug` rendering of every step, every store answer and every write on the way.
fn run(store: &MemoryStore, mut step: Step, mut owner: Option<OwnerDecision>, seen: &mut Vec<String>) -> Response {
    // Bounded: every machine finishes in a few steps.
    for _ in 0..32 {
        seen.extend(debug_of(&step));
        step = match step {
            Step::NeedClient(q) => {
                let answer = store.client(q.client_id());
                seen.extend(debug_of(&answer));
                q.resume(answer)
            }
            Step::NeedUser(q) => {
                let answer = store.user(q.lookup());
                seen.extend(debug_of(&answer));
                q.resume(answer)
            }
            Step::NeedOwner(q) => {
                let Some(decision) = owner.take() else { panic!("the machine asked for the owner twice") };
                seen.extend(debug_of(&decision));
                q.resume(decision)
            }
            Step::TakeCode(q) => {
                let answer = store.take_code(q.key(), q.client_id(), q.now());
                seen.extend(debug_of(&answer));
                q.resume(answer)
            }
            Step::LookupAccessToken(q) => {
                let answer = store.access_token(q.key(), q.now());
                seen.extend(debug_of(&answer));
                q.resume(answer)
            }
            Step::LookupRefreshToken(q) => {
                let answer = store.refresh_token(q.key(), q.now());
                seen.extend(debug_of(&answer));
                q.resume(answer)
            }
            Step::TakeRefreshToken(q) => {
                let answer = store.take_refresh_token(q.key(), q.now());
                seen.extend(debug_of(&answer));
                q.resume(answer)
            }
            Step::RevokeGrant(q) => {
                let answer = store.revoke_grant(q.grant_id(), q.now());
                q.resume(answer)
            }
            Step::Persist(mut q) => {
                let writes = q.take_writes();
                seen.extend(debug_of(&writes));
                let answer = store.persist(writes, q.now());
                q.resume(answer)
            }
            Step::Respond(r) => {
                seen.extend(debug_of(&r));
                seen.extend(debug_of(&r.to_http()));
                return r;
            }
        };
    }
    panic!("the machine did not finish within 32 steps");
}

/// A token response's credentials, recorded; panics (naming the error code) on anything else.
fn tokens_of(response: &Response, label: &str, s: &mut Secrets, seen: &mut Vec<String>) -> Option<String> {
    let Response::Token(t) = response else {
        panic!("{label}: expected tokens, got {:?}", response.error().map(|e| e.code.as_str()));
    };
    seen.extend(debug_of(t));
    seen.extend(debug_of(&t.access_token));
    s.add(format!("{label} access token"), t.access_token.expose());
    t.refresh_token.as_ref().map(|rt| {
        s.add(format!("{label} refresh token"), rt.expose());
        rt.expose().to_owned()
    })
}

/// The `Debug` renderings of every core value that holds a credential, built from real flows
/// driven through the core (authorization, code redemption, its replay, refresh and its reuse,
/// client credentials, impersonation, a wrong secret) and from the server's configuration:
/// `Secret`, `TokenResponse`, `Response`, `HttpResponse`, `Redirect`, `Params`,
/// `BasicCredentials`, `ClientRegistration`, `Client`, `TokenRequest`, `AuthorizeRequest`, every
/// `Step` and store answer, `OAuthError`, `ServerConfig`, `MemoryStore`. None may show a
/// credential.
#[test]
fn debug_renderings_of_core_values_show_no_secret() {
    let mut s = Secrets::default();
    let mut seen: Vec<String> = Vec::new();
    let secret = "core-canary-client-secret-9f8e7d6c5b4a";
    let password = "core-canary-password-1a2b3c";
    let verifier = "core-canary-verifier-0123456789-abcdefghijklmnop";
    let wrong = "core-canary-wrong-secret-77aa";
    s.add_client("core-web", secret);
    s.add("password", password);
    s.add("verifier", verifier);
    s.add("wrong secret", wrong);

    // Registration, client and server configuration.
    let registration = ClientRegistration {
        client_id: "core-web".into(),
        client_name: "Core Web".into(),
        app_type: Some(AppType::Web),
        secret_digests: vec![Secret::new(secret.to_owned()).digest()],
        redirect_uris: vec!["https://core.example/cb".into()],
        allowed_scopes: vec!["read".into(), "offline_access".into()],
        allowed_grant_types: Some(vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
            GrantType::UserImpersonation,
        ]),
        consent: ConsentMethod::Trusted,
        ..ClientRegistration::default()
    };
    seen.extend(debug_of(&registration));
    let client = match Client::register(registration) {
        Ok(c) => c,
        Err(e) => panic!("registration refused: {e}"),
    };
    seen.extend(debug_of(&client));
    let toml = format!(
        "issuer = \"http://127.0.0.1:9\"\n[[clients]]\nclient_id = \"core-web\"\napp_type = \"web\"\n\
         client_secret = \"{secret}\"\nredirect_uris = [\"https://core.example/cb\"]\nallowed_scopes = [\"read\"]\n\
         [[users]]\nid = \"core-user\"\npassword = \"{password}\"\n"
    );
    match ServerConfig::from_toml(&toml) {
        Ok(c) => seen.extend(debug_of(&c)),
        Err(e) => panic!("configuration refused: {e}"),
    }

    let store = MemoryStore::with_clients([client]);
    assert!(store.insert_user("core-user", User::new("core-subject")));
    let entropy = Arc::new(OsEntropy::new());
    let config = match Config::new_for_development("http://127.0.0.1:9", entropy) {
        Ok(c) => Arc::new(c),
        Err(e) => panic!("core configuration refused: {e}"),
    };
    seen.extend(debug_of(&config));
    let now = UnixTime::from_secs(1_700_000_000);
    let basic_ok = basic("core-web", secret);
    let form = Some("application/x-www-form-urlencoded");

    // Authorization, then the code redeemed, then replayed (RevokeGrant).
    let code_flow = |seen: &mut Vec<String>, s: &mut Secrets, label: &str| -> String {
        let q = query(&[
            ("response_type", "code"),
            ("client_id", "core-web"),
            ("redirect_uri", "https://core.example/cb"),
            ("scope", "read offline_access"),
            ("state", "st"),
            ("code_challenge", &s256(verifier)),
            ("code_challenge_method", "S256"),
        ]);
        let request = AuthorizeRequest::from_query(Some(&q));
        seen.extend(debug_of(&request));
        let approve = OwnerDecision::Approve(Approval::new("core-subject".into(), now));
        let response = run(&store, authorize::start(&config, request, now), Some(approve), seen);
        let Response::Redirect(redirect) = &response else { panic!("{label}: expected a redirect") };
        seen.extend(debug_of(redirect));
        let code = url_params(&redirect.location)
            .into_iter()
            .find(|(n, _)| n == "code")
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("{label}: no code"));
        s.add(format!("{label} code"), &code);
        code
    };
    let redeem = |seen: &mut Vec<String>, code: &str| -> Response {
        let body = query(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", "https://core.example/cb"),
            ("code_verifier", verifier),
        ]);
        seen.extend(debug_of(&Params::parse_form(body.as_bytes())));
        seen.extend(debug_of(&BasicCredentials::parse(&basic_ok)));
        let request = TokenRequest::from_http(form, Some(&basic_ok), None, body.as_bytes());
        seen.extend(debug_of(&request));
        run(&store, token::start(&config, request, now), None, seen)
    };
    let code = code_flow(&mut seen, &mut s, "first");
    let response = redeem(&mut seen, &code);
    let _ = tokens_of(&response, "first", &mut s, &mut seen);
    let replay = redeem(&mut seen, &code);
    seen.extend(debug_of(&replay.error()));

    // Refresh, then the rotated token reused (RevokeGrant).
    let code = code_flow(&mut seen, &mut s, "second");
    let response = redeem(&mut seen, &code);
    let Some(rt) = tokens_of(&response, "second", &mut s, &mut seen) else { panic!("no refresh token") };
    let refresh = |seen: &mut Vec<String>, rt: &str| -> Response {
        let body = query(&[("grant_type", "refresh_token"), ("refresh_token", rt)]);
        let request = TokenRequest::from_http(form, Some(&basic_ok), None, body.as_bytes());
        seen.extend(debug_of(&request));
        run(&store, token::start(&config, request, now), None, seen)
    };
    let response = refresh(&mut seen, &rt);
    let _ = tokens_of(&response, "refreshed", &mut s, &mut seen);
    let reuse = refresh(&mut seen, &rt);
    seen.extend(debug_of(&reuse.error()));

    // Client credentials in a JSON body (client_secret_post), impersonation, a wrong secret.
    let body = json!({"grant_type": "client_credentials", "client_id": "core-web", "client_secret": secret});
    let request = TokenRequest::from_http(Some("application/json"), None, None, body.to_string().as_bytes());
    seen.extend(debug_of(&request));
    let response = run(&store, token::start(&config, request, now), None, &mut seen);
    let _ = tokens_of(&response, "client credentials", &mut s, &mut seen);
    let body = query(&[
        ("grant_type", "urn:qlik:oauth:user-impersonation"),
        ("user_lookup", r#"{"field":"userId","value":"core-user"}"#),
    ]);
    let request = TokenRequest::from_http(form, Some(&basic_ok), None, body.as_bytes());
    let response = run(&store, token::start(&config, request, now), None, &mut seen);
    let _ = tokens_of(&response, "impersonation", &mut s, &mut seen);
    let basic_wrong = basic("core-web", wrong);
    seen.extend(debug_of(&BasicCredentials::parse(&basic_wrong)));
    let request = TokenRequest::from_http(form, Some(&basic_wrong), None, b"grant_type=client_credentials");
    let response = run(&store, token::start(&config, request, now), None, &mut seen);
    seen.extend(debug_of(&response.error()));
    seen.extend(debug_of(&store));

    // Every credential recorded above, wrapped as a Secret.
    let wrapped: Vec<[String; 2]> = s.items.iter().map(|(_, v)| debug_of(&Secret::new(v.clone()))).collect();
    seen.extend(wrapped.into_iter().flatten());

    assert!(seen.len() > 50, "too few renderings to mean anything: {}", seen.len());
    s.assert_absent("Debug renderings", &seen);
}

/// `ConfigError` promises never to contain a secret or password, and the server prints it at
/// startup: a client secret or password given with the wrong TOML type (a number, a boolean
/// array) must not be echoed in the error.
#[test]
fn configuration_errors_never_echo_a_secret() {
    let mut s = Secrets::default();
    let number = "918273645546372819";
    s.add("a numeric secret or password", number);
    let client = |secret_line: &str| {
        format!(
            "[[clients]]\nclient_id = \"c\"\napp_type = \"web\"\n{secret_line}\nredirect_uris = \
             [\"https://c.example/cb\"]\nallowed_scopes = [\"read\"]\n"
        )
    };
    let user = |password_line: &str| format!("[[users]]\nid = \"u\"\n{password_line}\n");
    let cases = [
        client(&format!("client_secret = {number}")),
        client(&format!("client_secret = [\"{number}\"]")),
        client(&format!("client_secret_sha256 = \"{number}\"")),
        user(&format!("password = {number}")),
        user(&format!("password_hash = \"{number}\"")),
        client(&format!("client_secret = \"{number}\" trailing")),
        user(&format!("password = \"{number}\"\npassword_hash = \"x\"")),
    ];
    let mut rendered = Vec::new();
    for case in &cases {
        match ServerConfig::from_toml(case) {
            Ok(_) => panic!("a broken configuration was accepted"),
            Err(e) => {
                rendered.push(e.to_string());
                rendered.extend(debug_of(&e));
            }
        }
    }
    s.assert_absent("configuration errors", &rendered);
}
