//! Signing of JWT access tokens (RFC 9068) through small sync traits, so that the core never
//! holds a crypto backend it does not need:
//!
//! - [`JwsVerifier`] checks a JWS signature (RFC 7515 §5.2) for an `alg` and optional `kid`;
//! - [`TokenSigner`] also signs, names its algorithm and key id, and may publish a JWK Set
//!   (RFC 7517 §5) for asymmetric keys.
//!
//! The core ships [`Hs256Signer`] (HMAC-SHA-256, RFC 7518 §3.2). The `oauth-jose` adapter adds
//! ES256 and EdDSA, key ids, several verification keys for rotation, and the JWKS document.

use std::fmt;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

/// The signer could not sign (a hardware or remote key failed). The core answers
/// `temporarily_unavailable` and issues nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("signing failed")]
#[non_exhaustive]
pub struct SignError;

impl SignError {
    /// The error.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl Default for SignError {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks JWS signatures (RFC 7515 §5.2). Implementations must compare MACs in constant time
/// and must refuse `alg` values they do not implement, above all `none` (RFC 8725 §3.1).
pub trait JwsVerifier: Send + Sync {
    /// Whether `signature` (raw bytes, base64url-decoded) is a valid signature of
    /// `signing_input` (the ASCII `header.payload` of the compact serialization) under the key
    /// named `kid` (any known key when `None`) for algorithm `alg`.
    fn verify(&self, alg: &str, kid: Option<&str>, signing_input: &[u8], signature: &[u8]) -> bool;
}

/// Signs JWT access tokens (RFC 9068 §2.1, §4).
pub trait TokenSigner: JwsVerifier {
    /// The JWS `alg` of new signatures (RFC 7518 §3.1), such as `HS256`, `ES256` or `EdDSA`.
    /// Never `none`.
    fn algorithm(&self) -> &str;

    /// The `kid` of the signing key, put in every new token's header (RFC 7515 §4.1.4).
    fn key_id(&self) -> Option<&str>;

    /// The signature of `signing_input` (raw bytes, to be base64url-encoded).
    ///
    /// # Errors
    /// [`SignError`] when the key cannot sign right now.
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError>;

    /// The public keys as a JWK Set JSON document (RFC 7517 §5), for `GET /oauth/jwks` and the
    /// metadata's `jwks_uri`; `None` for symmetric keys, which are never published.
    fn jwks(&self) -> Option<String> {
        None
    }
}

/// Shortest HS256 key accepted, in bytes: 32 (RFC 7518 §3.2: "a key of the same size as the
/// hash output … or larger MUST be used").
pub const MIN_HS256_KEY_BYTES: usize = 32;

/// HMAC-SHA-256 signing (RFC 7518 §3.2) with one shared secret key and an optional `kid`. The
/// resource servers must hold the same key, so prefer an asymmetric signer (`oauth-jose`) when
/// they are run by others. `Debug` never shows the key.
#[derive(Clone)]
pub struct Hs256Signer {
    key: Vec<u8>,
    kid: Option<String>,
}

impl fmt::Debug for Hs256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hs256Signer").field("kid", &self.kid).field("key", &"<redacted>").finish()
    }
}

impl Hs256Signer {
    /// A signer with `key` (at least [`MIN_HS256_KEY_BYTES`] bytes) and an optional key id.
    ///
    /// # Errors
    /// [`crate::ApiMisuse::Config`] when the key is shorter than 32 bytes.
    pub fn new(key: &[u8], kid: Option<String>) -> Result<Self, crate::ApiMisuse> {
        if key.len() < MIN_HS256_KEY_BYTES {
            return Err(crate::ApiMisuse::Config("the HS256 key must be at least 32 bytes"));
        }
        Ok(Self { key: key.to_vec(), kid })
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; new_from_slice cannot fail for it.
        <Hmac<Sha256> as hmac::digest::KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"))
    }
}

impl JwsVerifier for Hs256Signer {
    fn verify(&self, alg: &str, kid: Option<&str>, signing_input: &[u8], signature: &[u8]) -> bool {
        if alg != "HS256" || kid.is_some_and(|k| self.kid.as_deref() != Some(k)) {
            return false;
        }
        let mut mac = self.mac();
        mac.update(signing_input);
        mac.verify_slice(signature).is_ok()
    }
}

impl TokenSigner for Hs256Signer {
    fn algorithm(&self) -> &str {
        "HS256"
    }

    fn key_id(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError> {
        let mut mac = self.mac();
        mac.update(signing_input);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hs256_matches_rfc4231_case_2_shape_and_refuses_other_algs() {
        let s = Hs256Signer::new(&[7u8; 32], Some("k1".into())).unwrap();
        let sig = s.sign(b"a.b").unwrap();
        assert_eq!(sig.len(), 32);
        assert!(s.verify("HS256", Some("k1"), b"a.b", &sig));
        assert!(s.verify("HS256", None, b"a.b", &sig));
        assert!(!s.verify("HS256", Some("k2"), b"a.b", &sig));
        assert!(!s.verify("none", None, b"a.b", &sig));
        assert!(!s.verify("HS256", None, b"a.c", &sig));
        assert!(!s.verify("HS256", None, b"a.b", &sig[..31]));
        assert!(Hs256Signer::new(&[0u8; 31], None).is_err());
        assert!(!format!("{s:?}").contains("7, 7"));
        assert_eq!(s.jwks(), None);
    }

    #[test]
    fn hs256_known_answer() {
        // RFC 7515 Appendix A.1: the example JWS and its key.
        let key = base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
        )
        .unwrap();
        let s = Hs256Signer::new(&key, None).unwrap();
        let input = b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let sig = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s.sign(input).unwrap());
        assert_eq!(sig, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    }
}
