//! The harness shared by the server's integration tests: the real server on an ephemeral
//! loopback port, an HTTP client that follows no redirects, and helpers for authorization
//! requests, cookies and the code exchange.

// Every test file is its own crate and compiles this module whole, but each uses only part of
// it; what one file leaves unused is not dead.
#![allow(dead_code)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth_server::ServerConfig;
use sha2::{Digest as _, Sha256};

/// The PKCE code verifier of every authorization request (RFC 7636 §4.1).
pub(crate) const VERIFIER: &str = "pkce-verifier-0123456789-abcdefghijklmnopqrstuv";

/// Request parameters, in order, repeats kept.
pub(crate) type Params = Vec<(String, String)>;

/// The server, listening on `127.0.0.1` on a port the system picked, until [`Server::stop`].
pub(crate) struct Server {
    /// `http://127.0.0.1:<port>`.
    pub(crate) base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Starts the server with `config`.
    pub(crate) async fn start(config: ServerConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(oauth_server::serve_with_shutdown(config, listener, async {
            let _ = stopped.await;
        }));
        Self { base, stop: Some(stop), task }
    }

    /// Shuts the server down gracefully and asserts that it ends, cleanly, within 10 s.
    pub(crate) async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let result = tokio::time::timeout(Duration::from_secs(10), self.task).await.expect("shutdown within 10 s");
        result.unwrap().unwrap();
    }

    /// The server's URL for `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// An HTTP client that follows no redirects and gives up after 30 s.
pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Authorization request parameters (RFC 6749 §4.1.1): `response_type=code`, `client_id`,
/// `redirect_uri`, `scope`, `state`, the S256 challenge of [`VERIFIER`] (RFC 7636 §4.3), then
/// `extra`.
pub(crate) fn authorize_params(
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    state: &str,
    extra: &[(&str, &str)],
) -> Params {
    let p: Params = vec![
        ("response_type".into(), "code".into()),
        ("client_id".into(), client_id.into()),
        ("redirect_uri".into(), redirect_uri.into()),
        ("scope".into(), scope.into()),
        ("state".into(), state.into()),
        ("code_challenge".into(), URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))),
        ("code_challenge_method".into(), "S256".into()),
    ];
    with(p, extra)
}

/// `p` with `extra` appended.
pub(crate) fn with(mut p: Params, extra: &[(&str, &str)]) -> Params {
    p.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    p
}

/// The value of cookie `name` among the response's `Set-Cookie` headers.
pub(crate) fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_owned()))
}

/// Exchanges `code` at `{base}/oauth/token` (RFC 6749 §4.1.3) as `client_id` with HTTP Basic
/// `secret`, `redirect_uri` and [`VERIFIER`] (RFC 7636 §4.5); the token endpoint's answer.
pub(crate) async fn redeem_code(
    base: &str,
    client_id: &str,
    secret: &str,
    code: &str,
    redirect_uri: &str,
) -> reqwest::Response {
    http()
        .post(format!("{base}/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
}
