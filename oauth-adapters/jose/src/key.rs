//! [`SigningKey`] and [`VerifyingKey`]: one asymmetric key with its `kid`, PEM and JWK forms.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::elliptic_curve::zeroize::Zeroizing;
use p256::pkcs8::{
    DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _, LineEnding,
};
use rand_core::{OsRng, RngCore as _};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::{Algorithm, JoseError};

/// Length in bytes of an ES256 (`r || s`, RFC 7518 §3.4) and of an Ed25519 (RFC 8032 §5.1.6)
/// signature.
const SIGNATURE_BYTES: usize = 64;

/// Length in bytes of a P-256 coordinate (RFC 7518 §6.2.1.2) and of an Ed25519 public key
/// (RFC 8037 §2).
const COORDINATE_BYTES: usize = 32;

/// Draws of 32 random bytes before giving up on finding a valid P-256 scalar; each draw fails
/// with probability below 2^-32.
const GENERATE_ATTEMPTS: usize = 4;

#[derive(Clone)]
enum Secret {
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
}

#[derive(Clone, PartialEq, Eq)]
enum Public {
    Es256(p256::ecdsa::VerifyingKey),
    EdDsa(ed25519_dalek::VerifyingKey),
}

/// One private signing key (ES256 or EdDSA) and its key id (`kid`, RFC 7515 §4.1.4). The `kid`
/// defaults to the key's JWK Thumbprint (RFC 7638 §3: base64url SHA-256 of the canonical public
/// JWK). `Debug` shows the algorithm and `kid` only, never key material; the key bytes are
/// zeroized on drop.
#[derive(Clone)]
pub struct SigningKey {
    secret: Secret,
    kid: String,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.algorithm())
            .field("kid", &self.kid)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl SigningKey {
    fn from_secret(secret: Secret) -> Self {
        let mut key = Self { secret, kid: String::new() };
        key.kid = key.verifying_key().thumbprint();
        key
    }

    /// A new random key for `alg`, drawn from the operating system's generator
    /// (`rand_core::OsRng`). Its `kid` is its JWK Thumbprint (RFC 7638 §3).
    ///
    /// # Errors
    /// [`JoseError::Random`] when the operating system generator fails.
    pub fn generate(alg: Algorithm) -> Result<Self, JoseError> {
        let mut seed = Zeroizing::new([0u8; COORDINATE_BYTES]);
        for _ in 0..GENERATE_ATTEMPTS {
            OsRng.try_fill_bytes(seed.as_mut()).map_err(|_| JoseError::Random)?;
            match alg {
                Algorithm::Es256 => {
                    // Fails only for zero or a value at or above the group order.
                    if let Ok(key) = p256::ecdsa::SigningKey::from_slice(seed.as_ref()) {
                        return Ok(Self::from_secret(Secret::Es256(key)));
                    }
                }
                Algorithm::EdDsa => {
                    return Ok(Self::from_secret(Secret::EdDsa(ed25519_dalek::SigningKey::from_bytes(&seed))));
                }
            }
        }
        Err(JoseError::Random)
    }

    /// Loads a PKCS #8 private key (RFC 5958) in PEM form (`-----BEGIN PRIVATE KEY-----`,
    /// RFC 7468 §10) for `alg`: a P-256 EC key for ES256, an Ed25519 key for EdDSA (RFC 8410 §7).
    /// Surrounding whitespace is ignored. The `kid` is the JWK Thumbprint (RFC 7638 §3).
    ///
    /// # Errors
    /// [`JoseError::InvalidPrivateKey`] when the text is not such a key, including a key of the
    /// other algorithm, an encrypted key, or a SEC1 `EC PRIVATE KEY`.
    pub fn from_pkcs8_pem(alg: Algorithm, pem: &str) -> Result<Self, JoseError> {
        let pem = pem.trim();
        let secret = match alg {
            Algorithm::Es256 => p256::ecdsa::SigningKey::from_pkcs8_pem(pem).map(Secret::Es256).ok(),
            Algorithm::EdDsa => ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map(Secret::EdDsa).ok(),
        };
        secret.map(Self::from_secret).ok_or(JoseError::InvalidPrivateKey(alg))
    }

    /// The key as PKCS #8 PEM (RFC 5958, RFC 7468 §10), LF line endings. This is the private
    /// key: write it only to protected storage.
    ///
    /// # Errors
    /// [`JoseError::Encoding`] when encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<String, JoseError> {
        let pem = match &self.secret {
            Secret::Es256(k) => k.to_pkcs8_pem(LineEnding::LF),
            Secret::EdDsa(k) => k.to_pkcs8_pem(LineEnding::LF),
        };
        pem.map(|p| p.as_str().to_owned()).map_err(|_| JoseError::Encoding)
    }

    /// The same key with key id `kid` (RFC 7515 §4.1.4) instead of its thumbprint.
    #[must_use]
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The key id put in the `kid` header of every token it signs (RFC 7515 §4.1.4) and in its
    /// JWK (RFC 7517 §4.5).
    #[must_use]
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    /// The key's JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        match self.secret {
            Secret::Es256(_) => Algorithm::Es256,
            Secret::EdDsa(_) => Algorithm::EdDsa,
        }
    }

    fn public(&self) -> Public {
        match &self.secret {
            Secret::Es256(k) => Public::Es256(*k.verifying_key()),
            Secret::EdDsa(k) => Public::EdDsa(k.verifying_key()),
        }
    }

    /// The public half, with the same `kid` and algorithm.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey { key: self.public(), kid: self.kid.clone() }
    }

    /// The JWS signature of `signing_input` (RFC 7515 §5.1): for ES256 the 64-byte `r || s`
    /// (RFC 7518 §3.4; deterministic nonces, RFC 6979), for EdDSA the 64-byte Ed25519 signature
    /// (RFC 8037 §3.1).
    ///
    /// # Errors
    /// [`oauth_core::SignError`] when the ECDSA signer fails (it does not for valid keys).
    pub fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, oauth_core::SignError> {
        match &self.secret {
            Secret::Es256(k) => {
                let signature: p256::ecdsa::Signature =
                    k.try_sign(signing_input).map_err(|_| oauth_core::SignError::new())?;
                Ok(signature.to_bytes().to_vec())
            }
            Secret::EdDsa(k) => Ok(k.sign(signing_input).to_bytes().to_vec()),
        }
    }
}

/// A public verification key (ES256 or EdDSA) with its key id (`kid`, RFC 7515 §4.1.4): the
/// public half of a [`SigningKey`], a key loaded from SPKI PEM, or one JWK of a JWK Set.
/// Implements [`oauth_core::JwsVerifier`] for itself alone.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    key: Public,
    kid: String,
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey").field("alg", &self.algorithm()).field("kid", &self.kid).finish()
    }
}

impl VerifyingKey {
    fn from_public(key: Public) -> Self {
        let mut key = Self { key, kid: String::new() };
        key.kid = key.thumbprint();
        key
    }

    /// Loads an SPKI public key (RFC 5280 §4.1.2.7) in PEM form (`-----BEGIN PUBLIC KEY-----`,
    /// RFC 7468 §13) for `alg`. Surrounding whitespace is ignored. The `kid` is the JWK
    /// Thumbprint (RFC 7638 §3); set the one the signer uses with [`Self::with_key_id`].
    ///
    /// # Errors
    /// [`JoseError::InvalidPublicKey`] when the text is not such a key, including a key of the
    /// other algorithm.
    pub fn from_public_pem(alg: Algorithm, pem: &str) -> Result<Self, JoseError> {
        let pem = pem.trim();
        let key = match alg {
            Algorithm::Es256 => p256::ecdsa::VerifyingKey::from_public_key_pem(pem).map(Public::Es256).ok(),
            Algorithm::EdDsa => ed25519_dalek::VerifyingKey::from_public_key_pem(pem).map(Public::EdDsa).ok(),
        };
        key.map(Self::from_public).ok_or(JoseError::InvalidPublicKey(alg))
    }

    /// The key as SPKI PEM (RFC 7468 §13), LF line endings.
    ///
    /// # Errors
    /// [`JoseError::Encoding`] when encoding fails.
    pub fn to_public_pem(&self) -> Result<String, JoseError> {
        let pem = match &self.key {
            Public::Es256(k) => k.to_public_key_pem(LineEnding::LF),
            Public::EdDsa(k) => k.to_public_key_pem(LineEnding::LF),
        };
        pem.map_err(|_| JoseError::Encoding)
    }

    /// Reads one public JWK (RFC 7517 §4): `{"kty":"EC","crv":"P-256","x","y"}` (RFC 7518
    /// §6.2.1) or `{"kty":"OKP","crv":"Ed25519","x"}` (RFC 8037 §2), with `use` absent or `sig`
    /// (§4.2), `key_ops` absent or containing `verify` (§4.3), and `alg` absent or matching the
    /// curve (§4.4). The `kid` (§4.5) is taken from the JWK, else the JWK Thumbprint (RFC 7638
    /// §3). Private members such as `d` are ignored.
    ///
    /// # Errors
    /// [`JoseError::UnsupportedJwk`] for another key type, curve, use or algorithm;
    /// [`JoseError::InvalidJwk`] for a missing or malformed member or a point not on the curve.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JoseError> {
        let obj = jwk.as_object().ok_or(JoseError::InvalidJwk)?;
        let text = |name: &str| -> Result<Option<&str>, JoseError> {
            match obj.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(JoseError::InvalidJwk),
            }
        };
        if text("use")?.is_some_and(|u| u != "sig") {
            return Err(JoseError::UnsupportedJwk);
        }
        if let Some(ops) = obj.get("key_ops") {
            let ops = ops.as_array().ok_or(JoseError::InvalidJwk)?;
            if !ops.iter().any(|op| op.as_str() == Some("verify")) {
                return Err(JoseError::UnsupportedJwk);
            }
        }
        let coordinate = |name: &str| -> Result<Vec<u8>, JoseError> {
            let raw = text(name)?.ok_or(JoseError::InvalidJwk)?;
            let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| JoseError::InvalidJwk)?;
            if bytes.len() == COORDINATE_BYTES { Ok(bytes) } else { Err(JoseError::InvalidJwk) }
        };
        let (alg, key) = match (text("kty")?, text("crv")?) {
            (Some("EC"), Some("P-256")) => {
                let mut sec1 = Vec::with_capacity(1 + 2 * COORDINATE_BYTES);
                sec1.push(0x04);
                sec1.extend(coordinate("x")?);
                sec1.extend(coordinate("y")?);
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| JoseError::InvalidJwk)?;
                (Algorithm::Es256, Public::Es256(key))
            }
            (Some("OKP"), Some("Ed25519")) => {
                let x: [u8; COORDINATE_BYTES] =
                    coordinate("x")?.try_into().map_err(|_: Vec<u8>| JoseError::InvalidJwk)?;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x).map_err(|_| JoseError::InvalidJwk)?;
                (Algorithm::EdDsa, Public::EdDsa(key))
            }
            (Some(_), _) => return Err(JoseError::UnsupportedJwk),
            (None, _) => return Err(JoseError::InvalidJwk),
        };
        if text("alg")?.is_some_and(|a| a != alg.as_str()) {
            return Err(JoseError::UnsupportedJwk);
        }
        let key = Self::from_public(key);
        Ok(match text("kid")? {
            Some(kid) => key.with_key_id(kid),
            None => key,
        })
    }

    /// The same key with key id `kid` (RFC 7515 §4.1.4).
    #[must_use]
    pub fn with_key_id(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The key id (RFC 7517 §4.5).
    #[must_use]
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    /// The key's JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        match self.key {
            Public::Es256(_) => Algorithm::Es256,
            Public::EdDsa(_) => Algorithm::EdDsa,
        }
    }

    /// The base64url-encoded public coordinates: `(x, Some(y))` for P-256 (RFC 7518 §6.2.1.2–3),
    /// `(x, None)` for Ed25519 (RFC 8037 §2).
    fn coordinates(&self) -> (String, Option<String>) {
        match &self.key {
            Public::Es256(k) => {
                let point = k.to_encoded_point(false);
                let (Some(x), Some(y)) = (point.x(), point.y()) else {
                    unreachable!("the uncompressed encoding of a verifying key (never the identity) has x and y")
                };
                (URL_SAFE_NO_PAD.encode(x), Some(URL_SAFE_NO_PAD.encode(y)))
            }
            Public::EdDsa(k) => (URL_SAFE_NO_PAD.encode(k.as_bytes()), None),
        }
    }

    /// The JWK Thumbprint (RFC 7638 §3) with SHA-256, base64url without padding: the hash of
    /// `{"crv":"P-256","kty":"EC","x":…,"y":…}` or `{"crv":"Ed25519","kty":"OKP","x":…}`
    /// (RFC 8037 §2), members in lexicographic order, no whitespace.
    #[must_use]
    pub fn thumbprint(&self) -> String {
        let canonical = match self.coordinates() {
            (x, Some(y)) => format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#),
            (x, None) => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// The public JWK (RFC 7517 §4) for a JWK Set: `{"kty":"EC","crv":"P-256","x","y","kid",
    /// "alg":"ES256","use":"sig"}` (RFC 7518 §6.2.1) or `{"kty":"OKP","crv":"Ed25519","x","kid",
    /// "alg":"EdDSA","use":"sig"}` (RFC 8037 §2).
    #[must_use]
    pub fn to_jwk(&self) -> Value {
        let alg = self.algorithm().as_str();
        match self.coordinates() {
            (x, Some(y)) => {
                json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": self.kid, "alg": alg, "use": "sig"})
            }
            (x, None) => json!({"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": alg, "use": "sig"}),
        }
    }

    /// Whether `signature` is this key's signature of `signing_input`: exactly 64 bytes, `r || s`
    /// for ES256 (RFC 7518 §3.4; DER is refused), an Ed25519 signature checked with
    /// `verify_strict` for EdDSA (RFC 8032 §5.1.7, refusing small-order keys and non-canonical
    /// `S`). The `alg` and `kid` are not checked here.
    #[must_use]
    pub fn verify_signature(&self, signing_input: &[u8], signature: &[u8]) -> bool {
        if signature.len() != SIGNATURE_BYTES {
            return false;
        }
        match &self.key {
            Public::Es256(k) => {
                p256::ecdsa::Signature::from_slice(signature).is_ok_and(|s| k.verify(signing_input, &s).is_ok())
            }
            Public::EdDsa(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify_strict(signing_input, &s).is_ok()),
        }
    }

    /// Whether this key may check a signature with header `alg` and `kid`: `alg` equals the
    /// key's algorithm exactly and `kid`, when given, equals the key id (RFC 7515 §4.1.1,
    /// §4.1.4; RFC 8725 §3.1).
    pub(crate) fn matches(&self, alg: Algorithm, kid: Option<&str>) -> bool {
        self.algorithm() == alg && kid.is_none_or(|kid| kid == self.kid)
    }
}

/// Verifies with the first of `keys` that matches the header's `alg` and `kid` and accepts the
/// signature; `alg` must name ES256 or EdDSA exactly.
pub(crate) fn verify_with<'a>(
    keys: impl IntoIterator<Item = &'a VerifyingKey>,
    alg: &str,
    kid: Option<&str>,
    signing_input: &[u8],
    signature: &[u8],
) -> bool {
    let Ok(alg) = alg.parse::<Algorithm>() else {
        return false;
    };
    keys.into_iter().filter(|k| k.matches(alg, kid)).any(|k| k.verify_signature(signing_input, signature))
}

impl oauth_core::JwsVerifier for VerifyingKey {
    fn verify(&self, alg: &str, kid: Option<&str>, signing_input: &[u8], signature: &[u8]) -> bool {
        verify_with([self], alg, kid, signing_input, signature)
    }
}
