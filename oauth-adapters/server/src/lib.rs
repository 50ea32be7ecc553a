//! # oauth-server
//!
//! A runnable OAuth 2 authorization server: [`oauth_core`] behind [`oauth_axum`], with the
//! in-memory store of [`oauth_memory`], a TOML configuration file, and plain server-rendered
//! login and consent pages.
//!
//! `cargo run -p oauth-server` starts the embedded demo configuration ([`config::DEMO_TOML`])
//! on `127.0.0.1:8080`; `--config FILE` reads a file, `--listen ADDR` overrides the address,
//! `--dev-login USER` turns on `dev_login`.
//!
//! ## Endpoints
//! - `GET`/`POST /oauth/authorize`: authorization code with PKCE (RFC 6749 §4.1, RFC 7636),
//!   with the login and consent pages described below.
//! - `POST /oauth/token`: `authorization_code`, `client_credentials`, `refresh_token`,
//!   `urn:qlik:oauth:user-impersonation` (the configured users are the user directory).
//! - The admin API, modelled on the platform's `oauth-clients` API. Every route needs
//!   `Authorization: Bearer <access token>` from this server whose scope holds `admin_scope`
//!   and whose client still exists (RFC 6750; refusals carry `WWW-Authenticate: Bearer
//!   realm="oauth-clients"`). JSON bodies of at most 64 KiB, camelCase members, errors as
//!   `{"error": …, "error_description": "<field>: <reason>"}`, `Cache-Control: no-store`:
//!   - `POST /api/v1/oauth-clients`: create a client (`appType`, `clientName`, `description`,
//!     `redirectUris`, `allowedScopes`, `allowedGrantTypes`, `allowedOrigins`,
//!     `connectionConfig.consentMethod`); 201 with the generated `clientId` and, for a web
//!     client, the `clientSecret`, shown only in this answer;
//!   - `GET /api/v1/oauth-clients` (`{"data": [...]}`), `GET /api/v1/oauth-clients/{id}`;
//!   - `PATCH /api/v1/oauth-clients/{id}`: JSON Patch (`replace`, `add /<array>/-`,
//!     `remove /<array>/<index>`); `appType` cannot change;
//!   - `PATCH /api/v1/oauth-clients/{id}/connection-configs/me`: `/consentMethod`;
//!   - `DELETE /api/v1/oauth-clients/{id}`: unregisters the client and revokes its grants;
//!   - `POST /api/v1/oauth-clients/{id}/client-secrets`: one more secret (rotation; at most 5),
//!     `DELETE /api/v1/oauth-clients/{id}/client-secrets/{hint}`: remove one.
//!
//!   Configured clients are listed and managed like created ones (`createdByType` `config`,
//!   `api`); changes last until the process ends.
//!
//! ## Configuration file
//!
//! ```toml
//! issuer = "http://127.0.0.1:8080"   # optional; default "http://<listen address>". https required,
//!                                    # except http on 127.0.0.1, [::1] or localhost (development
//!                                    # only; logged as a warning)
//! listen = "127.0.0.1:8080"          # optional, default 127.0.0.1:8080
//! dev_login = "user-1"               # optional, INSECURE (logged as a warning): signs this user in
//!                                    # and approves exactly the requested scope on every
//!                                    # authorization request, with no page (also prompt=none)
//! admin_scope = "admin_classic"      # optional, this is the default: the one scope token an
//!                                    # access token needs for the admin API
//!
//! [lifetimes]                        # optional; seconds
//! access_token = 3600                # at least 1
//! authorization_code = 60            # 1 to 600
//! refresh_token = 2592000            # at least 1; absolute from the original grant
//!
//! [[clients]]
//! client_id = "client-a"             # 1-128 of A-Z a-z 0-9 - . _ ~
//! client_name = "Client A"           # optional display name
//! app_type = "web"                   # web (confidential) | spa | native (public)
//! client_secret = "s3cret"           # web only; kept as its SHA-256 digest. Or instead:
//! # client_secret_sha256 = "<64 hex characters>"
//! redirect_uris = ["https://app.example/cb"]
//! allowed_scopes = ["read", "write"] # offline_access enables refresh tokens
//! allowed_grant_types = ["authorization_code", "refresh_token"]  # optional; this is the default;
//!                                    # web clients may add client_credentials and
//!                                    # urn:qlik:oauth:user-impersonation
//! allowed_origins = []               # optional; spa clients, web clients with impersonation
//! consent = "required"               # trusted | required (default)
//! require_pkce = true                # optional, default true; only web clients may set false
//!
//! [[users]]
//! id = "user-1"                      # the login name
//! subject = "auth0|user-1"           # optional, default = id; the tokens' subject
//! password = "..."                   # plaintext, hashed with argon2id at load. Or instead:
//! # password_hash = "$argon2id$v=19$..."   (PHC string)
//! disabled = false                   # optional; a disabled user cannot sign in
//! ```
//!
//! Unknown fields are errors. Clients are validated with [`oauth_core::Client::register`];
//! duplicate client or user ids are errors. Every error names its field:
//! `clients[1].redirect_uris: ...` ([`ConfigError`]).
//!
//! ## Login and consent
//!
//! Plain HTML forms, no JavaScript, no third-party resources, every user-provided text escaped,
//! never framed (`X-Frame-Options: DENY`, `frame-ancestors 'none'`).
//! - A signed-in user is identified by the `oauth_session` cookie (`__Host-oauth_session` behind
//!   an https issuer; `HttpOnly; SameSite=Lax; Path=/`), a random 256-bit id from the OS, kept
//!   server-side for 8 hours, at most 10 000.
//! - Without a session, with `prompt=login`, or when the sign-in is older than `max_age`, one
//!   page asks for username and password and, when consent is needed (client `consent =
//!   "required"` or `prompt=consent`), lists the scopes with Approve and Deny. It posts back to
//!   `/oauth/authorize` with the original parameters as hidden fields plus `username`,
//!   `password`, `csrf_token` and `decision` (`approve` | `deny`). Valid credentials in that
//!   post satisfy `prompt=login` and `max_age` for the request.
//! - Signed in and consent needed: a consent page posting back the same way.
//! - An approval posted from a page is remembered per user and client, as the union of the
//!   scopes approved (in memory, at most 100 000 user-client pairs, the least recently used
//!   forgotten first). With a usable session, a request whose scopes were all approved before
//!   gets a code without a page; `prompt=consent` always shows the page; a remembered approval
//!   never replaces signing in; denials are not remembered.
//! - Every post must carry a `csrf_token` equal to the `csrf` cookie (`__Host-csrf` behind
//!   https; double submit, compared in constant time) and no `Origin` other than the issuer's;
//!   otherwise 400 and no code.
//! - Passwords are checked with argon2; a wrong password or a disabled user gets the login page
//!   again with one generic message.
//! - `prompt=none`: `login_required` without a session, `consent_required` when consent is
//!   needed.
//!
//! ## Logging
//! `tracing` with `RUST_LOG` (default `info`): one line per request with method, path (never the
//! query), status and duration; audit lines (`oauth::audit` target) for every impersonation
//! token issued (acting client and user) and every change made through the admin API. Secrets,
//! codes, tokens and passwords are never logged.

mod admin;
pub mod config;
mod login;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http;
use axum::middleware::{self, Next};
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use oauth_core::{Config, Entropy, User};
use oauth_memory::{MemoryStore, OsEntropy};
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutLayer;

pub use config::{ConfigError, ServerConfig};

/// The application for `config`, served at `local` (the address actually bound).
fn app(config: &ServerConfig, local: SocketAddr) -> std::io::Result<Router> {
    let invalid = |e: ConfigError| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string());
    let issuer = config.issuer().map_or_else(|| format!("http://{local}"), str::to_owned);
    config::validate_issuer(&issuer).map_err(invalid)?;
    let entropy: Arc<dyn Entropy> = Arc::new(OsEntropy::new());
    let core = if issuer.starts_with("https://") {
        Config::new(issuer.clone(), entropy)
    } else {
        tracing::warn!(%issuer, "DEVELOPMENT MODE: plain-http issuer on loopback; production requires https (RFC 6749 §3.1)");
        Config::new_for_development(issuer.clone(), entropy)
    };
    let core = core
        .and_then(|c| c.with_lifetimes(config.lifetimes()))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    if let Some(user) = config.dev_login() {
        tracing::warn!(
            user,
            "INSECURE dev_login is on: every authorization request is signed in as this user and approved without a page"
        );
    }
    let store = Arc::new(MemoryStore::new());
    // The configured clients, registered in the store and in the admin API's registry.
    let registry = admin::Registry::new(config, Arc::clone(&store), oauth_axum::now()).map_err(invalid)?;
    // The user directory of the impersonation grant: the configured users.
    for user in &config.users {
        let entry =
            if user.disabled { User::new(user.subject.as_str()).disabled() } else { User::new(user.subject.as_str()) };
        if !store.insert_user(&user.id, entry) {
            return Err(invalid(ConfigError::new(
                format!("users.{}.subject", user.id),
                "another user has this subject",
            )));
        }
    }
    let login = login::Login::new(config, &issuer).map_err(std::io::Error::other)?;
    tracing::info!(%issuer, clients = config.clients().len(), users = config.enabled_users().len(), "oauth-server ready");
    Ok(oauth_axum::router(Arc::new(core), store, Arc::new(login))
        .merge(admin::router(Arc::new(registry)))
        .layer(middleware::from_fn(log_request)))
}

/// Logs one line per request: method, path (never the query, which holds codes and state),
/// status and duration in milliseconds.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let mut path = request.uri().path().to_owned();
    path.truncate(path.char_indices().nth(128).map_or(path.len(), |(i, _)| i));
    let start = Instant::now();
    let response = next.run(request).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(%method, path, status = response.status().as_u16(), ms = format_args!("{ms:.1}"), "request");
    response
}

/// Serves `config` on `listener` until the process ends.
///
/// # Errors
/// An I/O error from the listener, or `InvalidInput` when the issuer derived from the
/// listener's address is not acceptable (a non-loopback address without a configured `https`
/// issuer).
pub async fn serve(config: ServerConfig, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    serve_with_shutdown(config, listener, std::future::pending()).await
}

/// Serves `config` on `listener` until `shutdown` completes, then stops accepting connections
/// and waits up to [`SHUTDOWN_GRACE`] for the open ones to finish (graceful shutdown).
///
/// Slow or idle clients cannot hold the server: request headers must arrive within
/// [`HEADER_READ_TIMEOUT`], a whole request (body included) is answered within
/// [`REQUEST_TIMEOUT`] (408 otherwise), and at most [`MAX_CONNECTIONS`] connections are served at
/// once (further ones wait in the listen backlog).
///
/// # Errors
/// As [`serve`].
pub async fn serve_with_shutdown<F: Future<Output = ()> + Send + 'static>(
    config: ServerConfig,
    listener: tokio::net::TcpListener,
    shutdown: F,
) -> std::io::Result<()> {
    let app = app(&config, listener.local_addr()?)?
        .layer(TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT));
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http1.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the grace period were closed");
    }
    Ok(())
}

/// Time a client has to send a request's headers, from the first byte it is awaited (also for
/// the next request on a kept-alive connection): 10 seconds.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Time within which a request, body included, is answered; a slower one gets 408: 15 seconds.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// Connections served at once; more wait in the listen backlog: 4096.
pub const MAX_CONNECTIONS: usize = 4096;
/// How long graceful shutdown waits for open connections: 10 seconds.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
