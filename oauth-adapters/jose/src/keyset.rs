//! [`KeySet`]: the authorization server's signer, with older keys kept for rotation.

use std::fmt;

use oauth_core::{JwsVerifier, SignError, TokenSigner};

use crate::key::verify_with;
use crate::{SigningKey, VerifyingKey};

/// The authorization server's JWT signer (RFC 9068 §2.1, §4): one active [`SigningKey`] that
/// signs every new token, plus older public keys that still verify tokens they signed and stay
/// published in the JWK Set (RFC 7517 §5) until those tokens expire. Give it to
/// `Config::with_jwt_access_tokens(Arc::new(key_set))`.
///
/// Verification ([`JwsVerifier`]) accepts `alg` `ES256` or `EdDSA` only, equal to the key's
/// algorithm (never `none` or `HS*`, RFC 8725 §3.1–§3.2), and with a `kid` tries only the keys
/// with that `kid`. `Debug` shows algorithms and key ids only.
#[derive(Clone)]
pub struct KeySet {
    active: SigningKey,
    /// The active key's public half first, then the verification keys in the order added.
    public: Vec<VerifyingKey>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("active", &self.active)
            .field("verification_keys", &self.public.get(1..).unwrap_or_default())
            .finish()
    }
}

impl KeySet {
    /// A set that signs with `active` and verifies with its public half only.
    #[must_use]
    pub fn new(active: SigningKey) -> Self {
        let public = vec![active.verifying_key()];
        Self { active, public }
    }

    /// Adds an older key: published in the JWK Set and accepted by verification, never used to
    /// sign. Keep a retired key here for at least one access-token lifetime after the switch,
    /// then drop it (RFC 7517 §5; RFC 9068 §4). A key identical to one already present (same
    /// algorithm, public key and `kid`) is not added twice. Give each key a distinct `kid`
    /// (RFC 7517 §4.5); the default thumbprint `kid`s are distinct.
    #[must_use]
    pub fn with_verification_key(mut self, key: VerifyingKey) -> Self {
        if !self.public.contains(&key) {
            self.public.push(key);
        }
        self
    }

    /// The active signing key: its algorithm and `kid` head every new token (RFC 7515 §4.1.1,
    /// §4.1.4).
    #[must_use]
    pub const fn active(&self) -> &SigningKey {
        &self.active
    }

    /// Every public key, in JWK Set order (RFC 7517 §5): the active key's first, then the
    /// verification keys.
    #[must_use]
    pub fn verifying_keys(&self) -> &[VerifyingKey] {
        &self.public
    }

    /// The JWK Set document (RFC 7517 §5) `{"keys":[active, then older]}`, each as
    /// [`VerifyingKey::to_jwk`], for `GET /oauth/jwks` and the metadata `jwks_uri` (RFC 8414 §2).
    #[must_use]
    pub fn jwks_json(&self) -> String {
        let keys: Vec<serde_json::Value> = self.public.iter().map(VerifyingKey::to_jwk).collect();
        serde_json::json!({ "keys": keys }).to_string()
    }
}

impl JwsVerifier for KeySet {
    fn verify(&self, alg: &str, kid: Option<&str>, signing_input: &[u8], signature: &[u8]) -> bool {
        verify_with(&self.public, alg, kid, signing_input, signature)
    }
}

impl TokenSigner for KeySet {
    fn algorithm(&self) -> &str {
        self.active.algorithm().as_str()
    }

    fn key_id(&self) -> Option<&str> {
        Some(self.active.key_id())
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError> {
        self.active.sign(signing_input)
    }

    fn jwks(&self) -> Option<String> {
        Some(self.jwks_json())
    }
}
