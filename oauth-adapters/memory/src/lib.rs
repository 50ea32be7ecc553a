//! # oauth-memory
//!
//! An in-memory store for [`oauth_core`] and an OS-seeded entropy source:
//!
//! - [`MemoryStore`] implements all four sync store traits ([`oauth_core::ClientRegistry`],
//!   [`oauth_core::CodeStore`], [`oauth_core::RefreshStore`], [`oauth_core::TokenStore`]) for
//!   concurrent use behind an `Arc`: atomic take of codes and refresh tokens, all-or-nothing
//!   persist that discards the credentials of revoked grants, grant revocation, expiry, and an
//!   incremental purge that keeps memory bounded without stop-the-world sweeps.
//! - [`OsEntropy`] implements [`oauth_core::Entropy`] with a user-space CSPRNG seeded from the
//!   operating system.
//!
//! Nothing survives a restart: losing codes and tokens is allowed by the store contracts (clients
//! simply start a new authorization), handing one out twice is not.
//!
//! ```
//! use std::sync::Arc;
//! use oauth_core::{Config, Driven, TokenRequest, UnixTime, drive, token};
//! use oauth_memory::{MemoryStore, OsEntropy};
//!
//! let store = Arc::new(MemoryStore::new());
//! let config = Arc::new(Config::new("https://as.example", Arc::new(OsEntropy::new())).unwrap());
//! let request = TokenRequest::from_http(
//!     Some("application/x-www-form-urlencoded"),
//!     Some("Basic c3ZjOnMzY3JldA=="),
//!     None,
//!     b"grant_type=client_credentials",
//! );
//! let Driven::Respond(response) = drive(&*store, token::start(&config, request, UnixTime::from_secs(1_700_000_000)))
//! else { unreachable!("the token endpoint never asks for the resource owner") };
//! // No client is registered, so the answer is 401 invalid_client.
//! assert_eq!(response.to_http().status, 401);
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod entropy;
mod store;

pub use entropy::OsEntropy;
pub use store::{MIN_TOMBSTONE_SECS, MemoryStore, PURGE_PER_CALL};

#[cfg(test)]
mod tests;

/// The README's Rust examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
