//! [`Jwks`]: a resource server's verifier built from the authorization server's JWK Set.

use oauth_core::JwsVerifier;

use crate::key::verify_with;
use crate::{JoseError, VerifyingKey};

/// Most keys a JWK Set document may hold (supported or not): 64.
pub const MAX_JWKS_KEYS: usize = 64;

/// Longest JWK Set document accepted: 64 KiB (65 536 bytes).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The public keys of a JWK Set (RFC 7517 §5), as a resource server fetched them from the
/// authorization server's `jwks_uri` (RFC 8414 §2), to check JWT access tokens locally with
/// `oauth_core::jwt::verify` (RFC 9068 §4).
///
/// Verification ([`JwsVerifier`]) accepts `alg` `ES256` or `EdDSA` only, equal to the key's
/// algorithm (never `none` or `HS*`, RFC 8725 §3.1–§3.2), and with a `kid` tries only the keys
/// with that `kid`; without one, every key of that algorithm.
#[derive(Clone, Debug, Default)]
pub struct Jwks {
    keys: Vec<VerifyingKey>,
}

impl Jwks {
    /// Parses a JWK Set document `{"keys":[…]}` (RFC 7517 §5). Keeps the EC P-256 and OKP
    /// Ed25519 keys that [`VerifyingKey::from_jwk`] accepts (`use` absent or `sig`); skips every
    /// other key (other `kty`, `crv`, `use` or `alg`, or malformed members), as RFC 7517 §5
    /// advises. The result may be empty.
    ///
    /// # Errors
    /// [`JoseError::JwksTooLarge`] when `doc` is over [`MAX_JWKS_BYTES`];
    /// [`JoseError::MalformedJwks`] when it is not JSON, not an object with a `keys` array, or
    /// an entry is not an object; [`JoseError::TooManyKeys`] when `keys` has more than
    /// [`MAX_JWKS_KEYS`] entries.
    pub fn from_json(doc: &str) -> Result<Self, JoseError> {
        if doc.len() > MAX_JWKS_BYTES {
            return Err(JoseError::JwksTooLarge);
        }
        let doc: serde_json::Value = serde_json::from_str(doc).map_err(|_| JoseError::MalformedJwks)?;
        let entries = doc.get("keys").and_then(serde_json::Value::as_array).ok_or(JoseError::MalformedJwks)?;
        if entries.len() > MAX_JWKS_KEYS {
            return Err(JoseError::TooManyKeys);
        }
        if !entries.iter().all(serde_json::Value::is_object) {
            return Err(JoseError::MalformedJwks);
        }
        Ok(Self { keys: entries.iter().filter_map(|jwk| VerifyingKey::from_jwk(jwk).ok()).collect() })
    }

    /// The number of usable keys (the JWKs of the set, RFC 7517 §5, that were kept).
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was usable: every token will then be refused (RFC 9068 §4).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The usable keys, in document order (RFC 7517 §5).
    #[must_use]
    pub fn keys(&self) -> &[VerifyingKey] {
        &self.keys
    }
}

impl JwsVerifier for Jwks {
    fn verify(&self, alg: &str, kid: Option<&str>, signing_input: &[u8], signature: &[u8]) -> bool {
        verify_with(&self.keys, alg, kid, signing_input, signature)
    }
}
