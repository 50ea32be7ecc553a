//! Consent and `prompt` over HTTP (issue 3, D12): the consent page lists the requested scopes;
//! an approval is remembered per user, client and scope set and never skips authentication;
//! `trusted` clients get no consent page; `prompt=none|login|consent` and `max_age`.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{Params, Server, http, redeem_code, set_cookie, with};
use oauth_server::ServerConfig;

const CONFIG: &str = r#"
[[clients]]
client_id = "client-r"
client_name = "Reports"
app_type = "web"
client_secret = "s3cret"
redirect_uris = ["https://app.example/cb"]
allowed_scopes = ["read", "write", "admin"]
consent = "required"

[[clients]]
client_id = "client-t"
client_name = "Trusted SPA"
app_type = "spa"
redirect_uris = ["https://spa.example/cb"]
allowed_scopes = ["read", "write"]
consent = "trusted"

[[users]]
id = "alice"
subject = "sub-alice"
password = "alice-pw"

[[users]]
id = "bob"
password = "bob-pw"
"#;

const APP_CB: &str = "https://app.example/cb";
const SPA_CB: &str = "https://spa.example/cb";

/// Authorization parameters for `client_id` with `scope`, state `st-<client>`, PKCE S256, and
/// `extra`.
fn params(client_id: &str, scope: &str, extra: &[(&str, &str)]) -> Params {
    let redirect = if client_id == "client-t" { SPA_CB } else { APP_CB };
    common::authorize_params(client_id, redirect, scope, &format!("st-{client_id}"), extra)
}

/// A browser's cookie jar for the server, kept by hand: `csrf` and `oauth_session`.
#[derive(Default)]
struct Browser {
    csrf: Option<String>,
    session: Option<String>,
}

impl Browser {
    fn cookie_header(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.csrf {
            parts.push(format!("csrf={c}"));
        }
        if let Some(s) = &self.session {
            parts.push(format!("oauth_session={s}"));
        }
        parts.join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        if let Some(c) = set_cookie(response, "csrf") {
            self.csrf = Some(c);
        }
        if let Some(s) = set_cookie(response, "oauth_session") {
            self.session = Some(s);
        }
    }

    async fn get(&mut self, base: &str, p: &Params) -> reqwest::Response {
        let mut request = http().get(format!("{base}/oauth/authorize")).query(p);
        let cookies = self.cookie_header();
        if !cookies.is_empty() {
            request = request.header("cookie", cookies);
        }
        let response = request.send().await.unwrap();
        self.keep(&response);
        response
    }

    /// Posts the page's form: the authorization parameters, the CSRF token from the cookie,
    /// and `fields`.
    async fn post(&mut self, base: &str, p: &Params, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf.clone().expect("a csrf cookie from an earlier page");
        let form = with(with(p.clone(), &[("csrf_token", &csrf)]), fields);
        let response = http()
            .post(format!("{base}/oauth/authorize"))
            .header("cookie", self.cookie_header())
            .header("origin", base)
            .form(&form)
            .send()
            .await
            .unwrap();
        self.keep(&response);
        response
    }

    /// Signs in with the login page's form and approves.
    async fn sign_in(&mut self, base: &str, p: &Params, user: &str, password: &str) -> reqwest::Response {
        self.post(base, p, &[("username", user), ("password", password), ("decision", "approve")]).await
    }
}

/// The redirect's target (before `?`) and its query parameters.
fn redirect(response: &reqwest::Response) -> (String, HashMap<String, String>) {
    let location = response.headers().get("location").expect("a Location header").to_str().unwrap();
    let url = reqwest::Url::parse(location).unwrap();
    let target = format!("{}://{}{}", url.scheme(), url.host_str().unwrap(), url.path());
    (target, url.query_pairs().into_owned().collect())
}

/// Asserts a redirect with `status` to `target` carrying a code, the state and `iss`.
fn assert_code(response: &reqwest::Response, status: u16, target: &str, base: &str) {
    assert_eq!(response.status(), status);
    let (to, q) = redirect(response);
    assert_eq!(to, target);
    assert!(q.get("code").is_some_and(|c| !c.is_empty()), "{q:?}");
    assert!(!q.contains_key("error"), "{q:?}");
    assert_eq!(q["state"], format!("st-{}", if target == SPA_CB { "client-t" } else { "client-r" }));
    assert_eq!(q["iss"], base);
}

/// Asserts an error redirect (302 from a `GET`) to `target` with `error`, the state and `iss`.
fn assert_error(response: &reqwest::Response, status: u16, target: &str, error: &str, base: &str) {
    assert_eq!(response.status(), status);
    let (to, q) = redirect(response);
    assert_eq!(to, target);
    assert_eq!(q.get("error").map(String::as_str), Some(error), "{q:?}");
    assert!(!q.contains_key("code"));
    assert_eq!(q["state"], format!("st-{}", if target == SPA_CB { "client-t" } else { "client-r" }));
    assert_eq!(q["iss"], base);
}

/// What a 200 page shows.
struct Page {
    login: bool,
    consent: bool,
    scopes: Vec<String>,
}

async fn page(response: reqwest::Response) -> Page {
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = response.text().await.unwrap();
    let scopes = html
        .split("<li><code>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</code></li>").map(|(s, _)| s.to_owned()))
        .collect();
    Page {
        login: html.contains("name=\"password\""),
        consent: html.contains("value=\"deny\"") && html.contains("asks for access to:"),
        scopes,
    }
}

/// Exchanges `response`'s code, proving it is a real one for `client-r`; returns the granted
/// scope.
async fn redeem(base: &str, response: &reqwest::Response) -> String {
    let (_, q) = redirect(response);
    let token = redeem_code(base, "client-r", "s3cret", &q["code"], APP_CB).await;
    assert_eq!(token.status(), 200);
    let json: serde_json::Value = serde_json::from_str(&token.text().await.unwrap()).unwrap();
    json["scope"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn required_consent_is_remembered_per_user_client_and_scope_set() {
    let server = Server::start(ServerConfig::from_toml(CONFIG).unwrap()).await;
    let base = server.base.clone();
    let mut alice = Browser::default();

    // First request: the login page lists every requested scope, with Approve and Deny.
    let first = params("client-r", "write read", &[]);
    let p = page(alice.get(&base, &first).await).await;
    assert!(p.login && p.consent);
    assert_eq!(p.scopes, ["read", "write"]);
    let approved = alice.sign_in(&base, &first, "alice", "alice-pw").await;
    assert_code(&approved, 303, APP_CB, &base);
    assert!(alice.session.is_some());
    assert_eq!(redeem(&base, &approved).await, "read write");

    // The same scopes again, and a narrower set, with the session: straight to a code.
    let again = alice.get(&base, &first).await;
    assert_code(&again, 302, APP_CB, &base);
    assert!(again.headers().get("content-type").is_none_or(|v| !v.to_str().unwrap().starts_with("text/html")));
    let narrower = alice.get(&base, &params("client-r", "read", &[])).await;
    assert_code(&narrower, 302, APP_CB, &base);
    assert_eq!(redeem(&base, &narrower).await, "read");

    // prompt=none with the remembered decision: a code.
    let silent = alice.get(&base, &params("client-r", "read write", &[("prompt", "none")])).await;
    assert_code(&silent, 302, APP_CB, &base);

    // A wider set: the consent page again (signed in: no password), listing all of it.
    let wider = params("client-r", "read write admin", &[]);
    let p = page(alice.get(&base, &wider).await).await;
    assert!(p.consent && !p.login);
    assert_eq!(p.scopes, ["admin", "read", "write"]);
    // ... and prompt=none for it: consent_required, since what is remembered does not cover it.
    let none = alice.get(&base, &with(wider.clone(), &[("prompt", "none")])).await;
    assert_error(&none, 302, APP_CB, "consent_required", &base);
    // Approving on the consent page needs no password; afterwards `admin` alone is covered.
    let ok = alice.post(&base, &wider, &[("decision", "approve")]).await;
    assert_code(&ok, 303, APP_CB, &base);
    assert_code(&alice.get(&base, &params("client-r", "admin", &[])).await, 302, APP_CB, &base);

    // prompt=consent: the page even though the decision is remembered.
    let forced = params("client-r", "read", &[("prompt", "consent")]);
    let p = page(alice.get(&base, &forced).await).await;
    assert!(p.consent && !p.login);
    assert_eq!(p.scopes, ["read"]);

    // A remembered decision never skips authentication: without the session, the login page;
    // with prompt=none, login_required.
    let mut fresh = Browser::default();
    let p = page(fresh.get(&base, &params("client-r", "read", &[])).await).await;
    assert!(p.login && p.consent);
    let none = fresh.get(&base, &params("client-r", "read", &[("prompt", "none")])).await;
    assert_error(&none, 302, APP_CB, "login_required", &base);

    // Per user: bob is asked although alice approved the same scopes.
    let mut bob = Browser::default();
    let bob_first = params("client-t", "read", &[]);
    page(bob.get(&base, &bob_first).await).await;
    assert_code(&bob.sign_in(&base, &bob_first, "bob", "bob-pw").await, 303, SPA_CB, &base);
    let read = params("client-r", "read", &[]);
    let p = page(bob.get(&base, &read).await).await;
    assert!(p.consent && !p.login);

    server.stop().await;
}

#[tokio::test]
async fn denials_and_forged_approvals_are_not_remembered() {
    let server = Server::start(ServerConfig::from_toml(CONFIG).unwrap()).await;
    let base = server.base.clone();
    let mut bob = Browser::default();
    // Sign in through the trusted client (no consent asked).
    let trusted = params("client-t", "read", &[]);
    page(bob.get(&base, &trusted).await).await;
    assert_code(&bob.sign_in(&base, &trusted, "bob", "bob-pw").await, 303, SPA_CB, &base);

    let read = params("client-r", "read", &[]);
    assert!(page(bob.get(&base, &read).await).await.consent);
    // Deny: access_denied, and nothing remembered.
    let denied = bob.post(&base, &read, &[("decision", "deny")]).await;
    assert_error(&denied, 303, APP_CB, "access_denied", &base);
    assert!(page(bob.get(&base, &read).await).await.consent);
    let none = bob.get(&base, &with(read.clone(), &[("prompt", "none")])).await;
    assert_error(&none, 302, APP_CB, "consent_required", &base);

    // An approval with a wrong CSRF token: 400, and nothing remembered.
    let forged = with(read.clone(), &[("csrf_token", &"0".repeat(64)), ("decision", "approve")]);
    let response = http()
        .post(format!("{base}/oauth/authorize"))
        .header("cookie", bob.cookie_header())
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let none = bob.get(&base, &with(read.clone(), &[("prompt", "none")])).await;
    assert_error(&none, 302, APP_CB, "consent_required", &base);

    server.stop().await;
}

#[tokio::test]
async fn trusted_clients_skip_consent_unless_prompt_consent() {
    let server = Server::start(ServerConfig::from_toml(CONFIG).unwrap()).await;
    let base = server.base.clone();
    let mut alice = Browser::default();
    let trusted = params("client-t", "read write", &[]);

    // Without a session: a login page without the consent question.
    let p = page(alice.get(&base, &trusted).await).await;
    assert!(p.login && !p.consent);
    assert!(p.scopes.is_empty());
    assert_code(&alice.sign_in(&base, &trusted, "alice", "alice-pw").await, 303, SPA_CB, &base);

    // With the session: straight to a code, also with prompt=none.
    assert_code(&alice.get(&base, &trusted).await, 302, SPA_CB, &base);
    let none = alice.get(&base, &params("client-t", "read", &[("prompt", "none")])).await;
    assert_code(&none, 302, SPA_CB, &base);

    // prompt=consent forces the consent page even for a trusted client.
    let forced = params("client-t", "read write", &[("prompt", "consent")]);
    let p = page(alice.get(&base, &forced).await).await;
    assert!(p.consent && !p.login);
    assert_eq!(p.scopes, ["read", "write"]);
    assert_code(&alice.post(&base, &forced, &[("decision", "approve")]).await, 303, SPA_CB, &base);

    server.stop().await;
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_login() {
    let server = Server::start(ServerConfig::from_toml(CONFIG).unwrap()).await;
    let base = server.base.clone();
    let mut alice = Browser::default();
    let read = params("client-r", "read", &[]);
    page(alice.get(&base, &read).await).await;
    assert_code(&alice.sign_in(&base, &read, "alice", "alice-pw").await, 303, APP_CB, &base);
    let first_session = alice.session.clone().unwrap();
    assert_code(&alice.get(&base, &read).await, 302, APP_CB, &base);

    // prompt=login with a valid session and remembered consent: the login page.
    let relogin = params("client-r", "read", &[("prompt", "login")]);
    let p = page(alice.get(&base, &relogin).await).await;
    assert!(p.login);
    // Posting without credentials does not satisfy it.
    let p = page(alice.post(&base, &relogin, &[("decision", "approve")]).await).await;
    assert!(p.login);
    // The sign-in posted in this request does: a code, and a new session (no loop).
    assert_code(&alice.sign_in(&base, &relogin, "alice", "alice-pw").await, 303, APP_CB, &base);
    assert_ne!(alice.session.as_deref(), Some(first_session.as_str()));

    // max_age: a session older than max_age needs a login; a recent enough one does not.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let strict = params("client-r", "read", &[("max_age", "0")]);
    let p = page(alice.get(&base, &strict).await).await;
    assert!(p.login);
    let none = alice.get(&base, &params("client-r", "read", &[("max_age", "0"), ("prompt", "none")])).await;
    assert_error(&none, 302, APP_CB, "login_required", &base);
    assert_code(&alice.get(&base, &params("client-r", "read", &[("max_age", "3600")])).await, 302, APP_CB, &base);
    // Signing in again satisfies max_age=0 for this request.
    assert_code(&alice.sign_in(&base, &strict, "alice", "alice-pw").await, 303, APP_CB, &base);

    server.stop().await;
}
