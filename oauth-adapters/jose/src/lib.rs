//! # oauth-jose
//!
//! Asymmetric signing of JWT access tokens (RFC 9068) for `oauth-core`: ES256 (RFC 7518 §3.4)
//! and EdDSA with Ed25519 (RFC 8037) keys, key ids, key rotation, and the JWK Set document
//! (RFC 7517 §5) served at `GET /oauth/jwks`.
//!
//! - [`SigningKey`]: one private key and its `kid` (default: the RFC 7638 JWK Thumbprint),
//!   generated from the operating system's generator or loaded from PKCS #8 PEM.
//! - [`KeySet`]: the authorization server's [`oauth_core::TokenSigner`]: the active key plus
//!   older verification keys, published together by [`KeySet::jwks_json`].
//! - [`Jwks`]: a resource server's [`oauth_core::JwsVerifier`] built from a fetched JWK Set.
//!
//! Verification never accepts `none` or an HMAC `alg` (RFC 8725 §3.1–§3.2), requires the
//! header `alg` to equal the key's algorithm exactly, and, when the header names a `kid`, tries
//! only that key.
//!
//! ```
//! use std::sync::Arc;
//! use oauth_core::jwt::{self, Expected};
//! use oauth_core::{Config, Entropy, UnixTime};
//! use oauth_jose::{Algorithm, Jwks, KeySet, SigningKey};
//!
//! fn configure(entropy: Arc<dyn Entropy>, pem: &str) -> Result<Config, Box<dyn std::error::Error>> {
//!     let key = SigningKey::from_pkcs8_pem(Algorithm::Es256, pem)?.with_key_id("2025-01");
//!     let keys = KeySet::new(key);
//!     Ok(Config::new("https://as.example", entropy)?.with_jwt_access_tokens(Arc::new(keys))?)
//! }
//!
//! // A resource server checks tokens with the published JWK Set.
//! let keys = KeySet::new(SigningKey::generate(Algorithm::EdDsa)?);
//! let resource_server = Jwks::from_json(&keys.jwks_json())?;
//! # let claims: jwt::AccessTokenClaims = serde_json::from_value(serde_json::json!({
//! #     "iss": "https://as.example", "sub": "u1", "aud": "https://as.example", "exp": 2000,
//! #     "iat": 1000, "jti": "j1", "client_id": "c1", "scope": "read"}))?;
//! let token = jwt::encode(&keys, &claims)?;
//! let expected = Expected::new("https://as.example", "https://as.example", UnixTime::from_secs(1500));
//! assert_eq!(jwt::verify(&resource_server, &token, expected)?.sub, "u1");
//! # let _ = configure;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alg;
mod error;
mod jwks;
mod key;
mod keyset;

pub use alg::Algorithm;
pub use error::JoseError;
pub use jwks::{Jwks, MAX_JWKS_BYTES, MAX_JWKS_KEYS};
pub use key::{SigningKey, VerifyingKey};
pub use keyset::KeySet;
