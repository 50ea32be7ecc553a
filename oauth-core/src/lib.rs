//! # oauth-core
//!
//! A sans-IO OAuth 2 authorization-server core. Every endpoint is a state machine that turns a
//! parsed request and the current time into a [`Step`]: either the final [`Response`] or a
//! question for the caller (look up a client, take a code, persist tokens, ask the resource
//! owner). The core never reads a clock, never asks the OS for randomness, never touches
//! sockets, files or environment variables, and never awaits:
//!
//! - **time** is an argument ([`UnixTime`], seconds);
//! - **randomness** comes from an injected [`Entropy`];
//! - **storage** answers come back through `resume`, in the order the machine fixes:
//!   authenticate the client, take the code or refresh token, persist, respond.
//!
//! OAuth errors (RFC 6749 §5.2, §4.1.2.1) are ordinary [`Response`]s; [`Response::to_http`]
//! maps every response to status, headers and body in one place.
//!
//! The grants: `authorization_code` (with PKCE), `client_credentials`, `refresh_token` (rotation
//! and reuse detection) and Qlik's `urn:qlik:oauth:user-impersonation`, which asks the
//! application's user directory through [`Step::NeedUser`]. Revocation ([`revoke`], RFC 7009)
//! and introspection ([`introspect`], RFC 7662) are machines of the same kind; [`metadata`]
//! builds the RFC 8414 document from the same [`Config`].
//!
//! Access tokens are opaque by default; [`Config::with_jwt_access_tokens`] switches to RFC 9068
//! JWTs signed through a [`TokenSigner`] ([`Hs256Signer`] ships here; asymmetric signers and the
//! JWKS document live in `oauth-jose`). The [`bearer`] module is the resource server's check of
//! an access token (RFC 6750), and [`jwt::verify`] its local check of a JWT.
//!
//! ## Driving a machine
//!
//! An async adapter writes one loop like this for every endpoint (the sync [`drive()`] function
//! is the same loop over the [`store`] traits):
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use oauth_core::*;
//! # fn demo(config: Arc<Config>, store: &NullStore, now: UnixTime) -> Response {
//! let request = TokenRequest::from_http(
//!     Some("application/x-www-form-urlencoded"),
//!     Some("Basic c3ZjLWE6czNjcmV0LXN2Yw=="),
//!     None,
//!     b"grant_type=client_credentials",
//! );
//! let mut step = token::start(&config, request, now);
//! loop {
//!     step = match step {
//!         Step::NeedClient(q) => { let c = store.client(q.client_id()); q.resume(c) }
//!         Step::TakeCode(q) => { let r = store.take_code(q.key(), q.client_id(), q.now()); q.resume(r) }
//!         Step::LookupAccessToken(q) => { let r = store.access_token(q.key(), q.now()); q.resume(r) }
//!         Step::LookupRefreshToken(q) => { let r = store.refresh_token(q.key(), q.now()); q.resume(r) }
//!         Step::TakeRefreshToken(q) => { let r = store.take_refresh_token(q.key(), q.now()); q.resume(r) }
//!         Step::RevokeGrant(q) => { let r = store.revoke_grant(q.grant_id(), q.now()); q.resume(r) }
//!         Step::Persist(mut q) => { let r = store.persist(q.take_writes(), q.now()); q.resume(r) }
//!         Step::NeedUser(q) => { let u = store.user(q.lookup()); q.resume(u) }
//!         Step::NeedOwner(q) => q.resume(OwnerDecision::LoginRequired),
//!         Step::Respond(r) => break r,
//!     };
//! }
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![forbid(unused_must_use)]

pub mod bearer;
pub mod client;
pub mod config;
pub mod drive;
pub mod endpoint;
pub mod entropy;
pub mod error;
pub mod jwt;
pub mod pkce;
pub mod response;
pub mod sign;
pub mod step;
pub mod store;
pub mod time;
pub mod types;
pub mod user;
pub mod wire;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use bearer::BearerError;
pub use client::{
    AppType, Client, ClientRegistration, ConsentMethod, RegistrationError, generate_client_id, generate_client_secret,
    secret_hint,
};
pub use config::{Config, Lifetimes};
pub use drive::{Driven, Store, drive};
pub use endpoint::authorize::{self, AuthorizeRequest};
pub use endpoint::introspect::{self, IntrospectRequest};
pub use endpoint::metadata::{self, EndpointPaths, Metadata};
pub use endpoint::revoke::{self, RevokeRequest};
pub use endpoint::token::{self, TokenRequest};
pub use entropy::{Entropy, EntropyError, FailingEntropy, SeededEntropy};
pub use error::{ApiMisuse, ErrorCode, OAuthError, StoreError};
pub use pkce::{CodeChallenge, PkceMethod};
pub use response::{ActiveToken, HttpResponse, Introspection, Redirect, Response, Revoked, TokenResponse};
pub use sign::{Hs256Signer, JwsVerifier, SignError, TokenSigner};
pub use step::{
    Approval, LookupAccessToken, LookupRefreshToken, NeedClient, NeedOwner, NeedUser, OwnerDecision, Persist, Prompt,
    RevokeGrant, Step, TakeCode, TakeRefreshToken,
};
pub use store::{
    AccessTokenRecord, ClientRegistry, CodeRecord, CodeStore, NullStore, RefreshStore, RefreshTokenRecord, TokenState,
    TokenStore, UserDirectory, Write,
};
pub use time::UnixTime;
pub use types::{CLIENT_SUBJECT_PREFIX, GrantId, GrantType, ScopeSet, Secret, Subject, TokenDigest};
pub use user::{User, UserField, UserLookup, UserLookupError};
