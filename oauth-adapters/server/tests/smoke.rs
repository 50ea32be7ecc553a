//! The real server on an ephemeral loopback port: login page, CSRF, credentials, consent,
//! sessions, prompt handling, dev_login and graceful shutdown.

mod common;

use std::time::Duration;

use common::{Params, Server, http, redeem_code, set_cookie, with};
use oauth_server::ServerConfig;

const CONFIG: &str = r#"
[[clients]]
client_id = "client-a"
client_name = "Client <A> & Co"
app_type = "web"
client_secret = "s3cret"
redirect_uris = ["https://app.example/cb"]
allowed_scopes = ["read", "write"]

[[clients]]
client_id = "client-t"
app_type = "spa"
redirect_uris = ["https://spa.example/cb"]
allowed_scopes = ["read"]
consent = "trusted"

[[users]]
id = "user-1"
subject = "auth0|user-1"
password = "correct horse"

[[users]]
id = "user-2"
password = "pw-2"
disabled = true
"#;

/// Authorization parameters for `client_id` with scope `read` and state `s1`, then `extra`.
fn authorize_params(client_id: &str, redirect_uri: &str, extra: &[(&str, &str)]) -> Params {
    common::authorize_params(client_id, redirect_uri, "read", "s1", extra)
}

fn client_a(extra: &[(&str, &str)]) -> Params {
    authorize_params("client-a", "https://app.example/cb", extra)
}

fn assert_page_headers(response: &reqwest::Response) {
    let h = response.headers();
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(
        h.get_all("content-security-policy").iter().any(|v| v.to_str().unwrap().contains("frame-ancestors 'none'"))
    );
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h.get("access-control-allow-origin").is_none());
}

async fn get_login_page(base: &str, params: &[(String, String)], cookie: Option<&str>) -> (reqwest::Response, String) {
    let mut request = http().get(format!("{base}/oauth/authorize")).query(params);
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let response = request.send().await.unwrap();
    let csrf = set_cookie(&response, "csrf")
        .or_else(|| cookie.and_then(|c| c.split("; ").find_map(|p| p.strip_prefix("csrf=")).map(str::to_owned)))
        .expect("a csrf cookie");
    (response, csrf)
}

async fn post_form(base: &str, form: &[(String, String)], cookie: &str, origin: Option<&str>) -> reqwest::Response {
    let mut request = http().post(format!("{base}/oauth/authorize")).header("cookie", cookie);
    if let Some(o) = origin {
        request = request.header("origin", o);
    }
    let body: String = form_urlencoded_pairs(form);
    request.header("content-type", "application/x-www-form-urlencoded").body(body).send().await.unwrap()
}

fn form_urlencoded_pairs(pairs: &[(String, String)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => (b as char).to_string(),
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn code_of(location: &str) -> String {
    location.split(['?', '&']).find_map(|p| p.strip_prefix("code=")).expect("a code").to_owned()
}

#[tokio::test]
async fn login_page_csrf_credentials_and_consent() {
    let server = Server::start(ServerConfig::from_toml(CONFIG).unwrap()).await;
    let base = server.base.clone();

    // No session: the login page with consent, security headers and escaped client name.
    let (page, csrf) = get_login_page(&base, &client_a(&[]), None).await;
    assert_eq!(page.status(), 200);
    assert_page_headers(&page);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\" action=\"/oauth/authorize\">"));
    assert!(html.contains("name=\"password\""));
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"deny\""));
    assert!(html.contains("Client &lt;A&gt; &amp; Co") && !html.contains("Client <A>"));
    assert!(html.contains(&format!("name=\"csrf_token\" value=\"{csrf}\"")));
    assert!(!html.contains("<script"));
    let cookie = format!("csrf={csrf}");

    let login = |token: &str, password: &str, decision: &str| {
        with(
            client_a(&[]),
            &[("username", "user-1"), ("password", password), ("csrf_token", token), ("decision", decision)],
        )
    };

    // Wrong CSRF token, or no cookie: 400 HTML, no redirect.
    let wrong = post_form(&base, &login(&"0".repeat(64), "correct horse", "approve"), &cookie, None).await;
    assert_eq!(wrong.status(), 400);
    assert!(wrong.headers().get("location").is_none());
    assert_page_headers(&wrong);
    let no_cookie = post_form(&base, &login(&csrf, "correct horse", "approve"), "other=1", None).await;
    assert_eq!(no_cookie.status(), 400);

    // A cross-origin post is refused even with a valid pair.
    let cross =
        post_form(&base, &login(&csrf, "correct horse", "approve"), &cookie, Some("https://evil.example")).await;
    assert_eq!(cross.status(), 400);

    // Wrong password and disabled user: the login page again with one generic message.
    let bad = post_form(&base, &login(&csrf, "wrong", "approve"), &cookie, None).await;
    assert_eq!(bad.status(), 200);
    assert!(bad.headers().get("location").is_none());
    let bad_html = bad.text().await.unwrap();
    assert!(bad_html.contains("Wrong username or password."));
    let mut disabled = login(&csrf, "pw-2", "approve");
    for (k, v) in &mut disabled {
        if k == "username" {
            *v = "user-2".into();
        }
    }
    let disabled = post_form(&base, &disabled, &cookie, None).await;
    assert!(disabled.text().await.unwrap().contains("Wrong username or password."));

    // Deny: access_denied, 303.
    let denied = post_form(&base, &login(&csrf, "", "deny"), &cookie, Some(&base)).await;
    assert_eq!(denied.status(), 303);
    assert!(location(&denied).starts_with("https://app.example/cb?error=access_denied&"));

    // Correct credentials and approve: 303 with a code, state and iss; a session cookie.
    let ok = post_form(&base, &login(&csrf, "correct horse", "approve"), &cookie, Some(&base)).await;
    assert_eq!(ok.status(), 303);
    assert_page_headers(&ok);
    let loc = location(&ok);
    assert!(loc.starts_with("https://app.example/cb?code="), "{loc}");
    assert!(loc.contains("&state=s1&iss="));
    let session = set_cookie(&ok, "oauth_session").expect("a session cookie");
    let session_header =
        ok.headers().get_all("set-cookie").iter().find(|v| v.to_str().unwrap().starts_with("oauth_session="));
    let attrs = session_header.unwrap().to_str().unwrap();
    assert!(attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax") && attrs.contains("Path=/"));

    // The code redeems with the verifier.
    let token = redeem_code(&base, "client-a", "s3cret", &code_of(&loc), "https://app.example/cb").await;
    assert_eq!(token.status(), 200);

    let signed_in = format!("csrf={csrf}; oauth_session={session}");

    // Signed in, consent remembered: straight to a code (tests/consent.rs covers the rest).
    let remembered = http().get(format!("{base}/oauth/authorize")).query(&client_a(&[])).header("cookie", &signed_in);
    let remembered = remembered.send().await.unwrap();
    assert_eq!(remembered.status(), 302);
    assert!(location(&remembered).starts_with("https://app.example/cb?code="));

    // Signed in, prompt=consent: a consent-only page.
    let (consent, _) = get_login_page(&base, &client_a(&[("prompt", "consent")]), Some(&signed_in)).await;
    assert_eq!(consent.status(), 200);
    let consent_html = consent.text().await.unwrap();
    assert!(consent_html.contains("Signed in as") && !consent_html.contains("name=\"password\""));
    // Approving it needs no password.
    let approve = with(client_a(&[("prompt", "consent")]), &[("csrf_token", &csrf), ("decision", "approve")]);
    let approved = post_form(&base, &approve, &signed_in, None).await;
    assert_eq!(approved.status(), 303);
    assert!(location(&approved).contains("code="));

    // prompt=none with a session but consent needed (a scope not approved yet): consent_required.
    let wider: Params = client_a(&[("prompt", "none")])
        .into_iter()
        .map(|(k, v)| if k == "scope" { (k, "read write".to_owned()) } else { (k, v) })
        .collect();
    let none = http().get(format!("{base}/oauth/authorize")).query(&wider);
    let none = none.header("cookie", &signed_in).send().await.unwrap();
    assert_eq!(none.status(), 302);
    assert!(location(&none).contains("error=consent_required"));
    // prompt=none without a session: login_required.
    let none = http().get(format!("{base}/oauth/authorize")).query(&client_a(&[("prompt", "none")])).send().await;
    assert!(location(&none.unwrap()).contains("error=login_required"));

    // A trusted client with a session: straight to the code.
    let trusted = authorize_params("client-t", "https://spa.example/cb", &[]);
    let direct = http().get(format!("{base}/oauth/authorize")).query(&trusted).header("cookie", &signed_in);
    let direct = direct.send().await.unwrap();
    assert_eq!(direct.status(), 302);
    assert!(location(&direct).starts_with("https://spa.example/cb?code="));

    // prompt=login with a session: the login page again; a post with credentials satisfies it.
    let relogin = authorize_params("client-t", "https://spa.example/cb", &[("prompt", "login")]);
    let (page, _) = get_login_page(&base, &relogin, Some(&signed_in)).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"password\""));
    let form = with(
        relogin.clone(),
        &[("username", "user-1"), ("password", "correct horse"), ("csrf_token", &csrf), ("decision", "approve")],
    );
    let again = post_form(&base, &form, &signed_in, None).await;
    assert_eq!(again.status(), 303);
    assert!(location(&again).starts_with("https://spa.example/cb?code="));

    // An unknown client never reaches the page: 400 JSON, no redirect.
    let unknown = http()
        .get(format!("{base}/oauth/authorize"))
        .query(&authorize_params("nobody", "https://evil.example/", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
    assert!(unknown.headers().get("location").is_none());

    server.stop().await;
}

#[tokio::test]
async fn dev_login_approves_without_a_page() {
    let config = ServerConfig::from_toml(CONFIG).unwrap().with_dev_login("user-1").unwrap();
    let server = Server::start(config).await;
    let base = server.base.clone();
    for extra in [&[][..], &[("prompt", "none")][..]] {
        let response = http().get(format!("{base}/oauth/authorize")).query(&client_a(extra)).send().await.unwrap();
        assert_eq!(response.status(), 302);
        let loc = location(&response);
        assert!(loc.starts_with("https://app.example/cb?code="), "{loc}");
    }
    let response = http().get(format!("{base}/oauth/authorize")).query(&client_a(&[])).send().await.unwrap();
    let code = code_of(&location(&response));
    let token = redeem_code(&base, "client-a", "s3cret", &code, "https://app.example/cb").await;
    assert_eq!(token.status(), 200);
    let json: serde_json::Value = serde_json::from_str(&token.text().await.unwrap()).unwrap();
    assert_eq!(json["scope"], "read");
    server.stop().await;
}

#[tokio::test]
async fn demo_config_serves_client_credentials() {
    let server = Server::start(ServerConfig::demo()).await;
    let response = http()
        .post(format!("{}/oauth/token", server.base))
        .basic_auth("demo-service", Some("demo-service-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let get = http().get(format!("{}/oauth/token", server.base)).send().await.unwrap();
    assert_eq!(get.status(), 405);
    server.stop().await;
}

/// Slow and idle clients cannot hold a connection: headers must arrive within
/// `HEADER_READ_TIMEOUT`, and a request whose body stalls is answered 408 after
/// `REQUEST_TIMEOUT`. (Bounded waits, not a speed measurement.)
#[tokio::test]
async fn slow_and_idle_connections_are_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let server = Server::start(ServerConfig::from_toml(CONFIG).unwrap()).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let read_all = |mut s: tokio::net::TcpStream, limit: Duration| async move {
        let mut buf = Vec::new();
        tokio::time::timeout(limit, s.read_to_end(&mut buf)).await.map(|r| r.map(|_| buf))
    };
    let grace = Duration::from_secs(5);

    // Nothing sent, and half a header block: the connection is closed without a response.
    let idle = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut partial = tokio::net::TcpStream::connect(&addr).await.unwrap();
    partial.write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    // A body that never completes: 408.
    let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stalled
        .write_all(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=")
        .await
        .unwrap();

    let (idle, partial, stalled) = tokio::join!(
        read_all(idle, oauth_server::HEADER_READ_TIMEOUT + grace),
        read_all(partial, oauth_server::HEADER_READ_TIMEOUT + grace),
        read_all(stalled, oauth_server::REQUEST_TIMEOUT + grace),
    );
    assert!(idle.expect("idle connection closed in time").unwrap_or_default().is_empty());
    assert!(partial.expect("half-sent headers closed in time").unwrap_or_default().is_empty());
    let stalled = stalled.expect("stalled body answered in time").unwrap_or_default();
    assert!(stalled.starts_with(b"HTTP/1.1 408 "), "{}", String::from_utf8_lossy(&stalled[..stalled.len().min(40)]));
    server.stop().await;
}
