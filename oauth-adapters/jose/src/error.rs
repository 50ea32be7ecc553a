//! [`JoseError`]: why a key, a JWK or a JWK Set was refused.

use crate::Algorithm;

/// Why a key or a JWK Set could not be loaded or produced. Messages name the problem only; they
/// never quote key material or the offending document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoseError {
    /// The `alg` name is not `ES256` or `EdDSA` (RFC 7518 §3.1, RFC 8037 §3.1).
    #[error("unsupported JWS algorithm (expected ES256 or EdDSA)")]
    UnknownAlgorithm,
    /// The operating system's random number generator failed while generating a key.
    #[error("the operating system random number generator failed")]
    Random,
    /// The text is not a PKCS #8 PEM (RFC 5958, RFC 7468 §10) private key of this algorithm.
    #[error("not a PKCS #8 PEM private key for {0}")]
    InvalidPrivateKey(Algorithm),
    /// The text is not an SPKI PEM (RFC 5280 §4.1.2.7, RFC 7468 §13) public key of this
    /// algorithm.
    #[error("not an SPKI PEM public key for {0}")]
    InvalidPublicKey(Algorithm),
    /// The key could not be encoded as PEM.
    #[error("the key could not be encoded")]
    Encoding,
    /// The JWK is not an EC P-256 or OKP Ed25519 signature key: another `kty` or `crv`, a `use`
    /// other than `sig`, `key_ops` without `verify`, or another `alg` (RFC 7517 §4).
    #[error("the JWK is not an ES256 or EdDSA signature key")]
    UnsupportedJwk,
    /// The JWK has the right type but a missing or malformed member, or a point not on the
    /// curve (RFC 7518 §6.2.1, RFC 8037 §2).
    #[error("the JWK is malformed")]
    InvalidJwk,
    /// The JWK Set is not a JSON object with a `keys` array of objects (RFC 7517 §5).
    #[error("the JWK Set is not a JSON object with a keys array")]
    MalformedJwks,
    /// The JWK Set holds more than [`crate::MAX_JWKS_KEYS`] keys.
    #[error("the JWK Set has too many keys")]
    TooManyKeys,
    /// The JWK Set document is longer than [`crate::MAX_JWKS_BYTES`] bytes.
    #[error("the JWK Set document is too large")]
    JwksTooLarge,
}
