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
//! - `POST /oauth/revoke` (RFC 7009): form or JSON body, `token` and optional
//!   `token_type_hint`; confidential clients authenticate, public clients send `client_id`;
//!   revoking either token of a grant revokes the whole grant; unknown tokens answer 200.
//!   Browser clients get CORS for their allowed origins (with an `OPTIONS` preflight).
//! - `POST /oauth/introspect` (RFC 7662): for resource servers. The caller authenticates as a
//!   confidential client (Basic or `client_secret_post`) or with `Authorization: Bearer` and a
//!   token carrying the introspection scope (`introspect` by default). A client allowed that
//!   scope may introspect every token, any other client only its own; everything else answers
//!   exactly `{"active":false}`.
//! - `GET /.well-known/oauth-authorization-server` (RFC 8414), and also at the RFC 8414 §3.1
//!   path when the issuer has a path: the metadata, generated from the same configuration as the
//!   endpoints (public, cacheable, `Access-Control-Allow-Origin: *`).
//! - `GET /oauth/jwks`: the public keys of JWT access tokens (RFC 7517 JWK Set), only with
//!   `format = "jwt"` and ES256 or EdDSA (HS256 keys are never published: 404).
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
//! [access_tokens]                    # optional; relative paths are read from the file's directory
//! format = "opaque"                  # opaque (default) | jwt (RFC 9068: typ "at+jwt")
//! algorithm = "ES256"                # jwt only: ES256 (default) | EdDSA | HS256
//! key_file = "keys/current.pem"      # ES256/EdDSA: PKCS#8 PEM private key; if absent, one is
//!                                    # generated at start (warning: tokens do not survive a restart)
//! previous_public_keys = ["keys/old.pub.pem"]   # ES256/EdDSA: SPKI PEM public keys still
//!                                    # accepted and published (rotation); or tables
//!                                    # { file = "...", key_id = "...", algorithm = "EdDSA" }
//! hs256_secret_file = "keys/hs.key"  # HS256 only: the key is the file's bytes (at least 32);
//!                                    # if absent, generated at start (warning)
//! key_id = "2026-11"                 # jwt only: the kid; default the RFC 7638 thumbprint
//!                                    # (ES256/EdDSA), none for HS256
//! audience = "https://api.example"   # the aud of tokens and introspection answers; default issuer
//! introspection_scope = "introspect" # the scope that may introspect every token (default)
//! scopes_supported = ["read"]        # the metadata's list; default: every configured client's
//!                                    # allowed_scopes
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
    let mut core = core
        .and_then(|c| c.with_lifetimes(config.lifetimes()))
        .and_then(|c| c.with_introspection_scope(config.introspection_scope().clone()))
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    if let Some(audience) = config.audience() {
        core = core
            .with_audience(audience)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    }
    if let Some(signer) = config.access_token_signer() {
        core = core
            .with_jwt_access_tokens(Arc::clone(signer))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
        if config.signing_key_generated() {
            tracing::warn!(
                algorithm = signer.algorithm(),
                "access_tokens: no key file configured; a signing key was generated at start, so JWT access tokens \
                 will not verify after a restart"
            );
        }
    }
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
    let signer = config.access_token_signer();
    tracing::info!(
        %issuer,
        clients = config.clients().len(),
        users = config.enabled_users().len(),
        access_tokens = config.access_token_format(),
        algorithm = signer.map(|s| s.algorithm()),
        kid = signer.and_then(|s| s.key_id()),
        metadata = %metadata_url(&issuer),
        "oauth-server ready"
    );
    let options = oauth_axum::RouterOptions::new().with_scopes_supported(config.scopes_supported());
    let core = Arc::new(core);
    Ok(oauth_axum::router_with(Arc::clone(&core), store, Arc::new(login), options)
        .merge(admin::router(Arc::new(registry), core))
        .layer(middleware::from_fn(log_request)))
}

/// The URL of the authorization server metadata of `issuer` (RFC 8414 §3.1): the issuer's
/// scheme and authority, then `/.well-known/oauth-authorization-server`, then the issuer's path
/// without a terminating `/`. For `https://h.example/t1`:
/// `https://h.example/.well-known/oauth-authorization-server/t1`.
#[must_use]
pub fn metadata_url(issuer: &str) -> String {
    let (scheme, rest) = issuer.split_once("://").unwrap_or(("https", issuer));
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}{}", oauth_core::metadata::well_known_path(issuer))
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
