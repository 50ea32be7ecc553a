//! # oauth-jose
//!
//! Asymmetric signing of JWT access tokens (RFC 9068) for `oauth-core`: ES256 and EdDSA keys,
//! key ids, key rotation, and the JWK Set document (RFC 7517) served at `GET /oauth/jwks`.
