//! PKCE (RFC 7636): the code challenge stored with an authorization code and the check of the
//! code verifier at the token endpoint. `S256` only unless the deployment opts into `plain` (D4).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// Shortest code verifier accepted: 43 characters (RFC 7636 §4.1).
pub const MIN_VERIFIER_LEN: usize = 43;
/// Longest code verifier accepted: 128 characters (RFC 7636 §4.1).
pub const MAX_VERIFIER_LEN: usize = 128;

/// A code challenge transformation (RFC 7636 §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PkceMethod {
    /// `S256`: `BASE64URL(SHA256(ASCII(code_verifier)))`.
    S256,
    /// `plain`: the challenge is the verifier. Refused unless the configuration allows it.
    Plain,
}

/// A code challenge and its method, as stored with an authorization code (RFC 7636 §4.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CodeChallenge {
    /// The transformation.
    pub method: PkceMethod,
    /// The challenge: for `S256` exactly 43 base64url characters; for `plain` a valid verifier.
    pub value: Arc<str>,
}

/// Why PKCE parameters at the authorization endpoint were refused (each is `invalid_request`,
/// RFC 7636 §4.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChallengeError {
    Required,
    MethodWithoutChallenge,
    UnsupportedMethod,
    Malformed,
}

impl ChallengeError {
    pub(crate) const fn description(self) -> &'static str {
        match self {
            Self::Required => "code_challenge required",
            Self::MethodWithoutChallenge => "code_challenge_method without code_challenge",
            Self::UnsupportedMethod => "transform algorithm not supported",
            Self::Malformed => "code_challenge is malformed",
        }
    }
}

impl CodeChallenge {
    /// Reads `code_challenge` and `code_challenge_method` (RFC 7636 §4.3). A missing method means
    /// `plain` (§4.3), which is refused unless `allow_plain`; method names are case-sensitive.
    pub(crate) fn from_params(
        challenge: Option<&str>,
        method: Option<&str>,
        required: bool,
        allow_plain: bool,
    ) -> Result<Option<Self>, ChallengeError> {
        let Some(value) = challenge else {
            return if method.is_some() {
                Err(ChallengeError::MethodWithoutChallenge)
            } else if required {
                Err(ChallengeError::Required)
            } else {
                Ok(None)
            };
        };
        let method = match method.unwrap_or("plain") {
            "S256" => PkceMethod::S256,
            "plain" if allow_plain => PkceMethod::Plain,
            _ => return Err(ChallengeError::UnsupportedMethod),
        };
        let well_formed = match method {
            PkceMethod::S256 => value.len() == 43 && value.bytes().all(is_base64url),
            PkceMethod::Plain => is_valid_verifier(value),
        };
        if !well_formed {
            return Err(ChallengeError::Malformed);
        }
        Ok(Some(Self { method, value: Arc::from(value) }))
    }

    /// Whether `verifier` is well formed (RFC 7636 §4.1) and transforms to this challenge
    /// (§4.6). The final comparison is constant-time.
    #[must_use]
    pub fn verify(&self, verifier: &str) -> bool {
        if !is_valid_verifier(verifier) {
            return false;
        }
        match self.method {
            PkceMethod::S256 => {
                let mut buf = [0u8; 43];
                let digest = Sha256::digest(verifier.as_bytes());
                let n = URL_SAFE_NO_PAD.encode_slice(digest, &mut buf).unwrap_or(0);
                n == 43 && bool::from(buf[..].ct_eq(self.value.as_bytes()))
            }
            PkceMethod::Plain => {
                verifier.len() == self.value.len() && bool::from(verifier.as_bytes().ct_eq(self.value.as_bytes()))
            }
        }
    }
}

/// Whether `v` is a syntactically valid code verifier: 43 to 128 characters of
/// `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"` (RFC 7636 §4.1).
#[must_use]
pub fn is_valid_verifier(v: &str) -> bool {
    (MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

const fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const C: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_vector() {
        let c = CodeChallenge::from_params(Some(C), Some("S256"), true, false).unwrap().unwrap();
        assert!(c.verify(V));
        assert!(!c.verify("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"));
    }

    #[test]
    fn field_case_pairs() {
        let c1 =
            CodeChallenge::from_params(Some("4O8f97RUaV-Gb9z48pr7pEdnesiwWdEqrU_6qJLRlmY"), Some("S256"), true, false)
                .unwrap()
                .unwrap();
        assert!(c1.verify("pkce-verifier-0123456789-abcdefghijklmnopqrstuv"));
        assert!(!c1.verify("pkce-verifier-9876543210-zyxwvutsrqponmlkjihgfedc"));
        // A 42-character verifier whose hash matches its challenge is still refused.
        let c42 =
            CodeChallenge { method: PkceMethod::S256, value: "HA1L6kd0rVUNygBv0QQ8NftSkV8U8UoGL4O9t6R1nFk".into() };
        assert!(!c42.verify("short-verifier-0123456789-abcdefghijklmnop"));
    }

    #[test]
    fn method_rules() {
        use ChallengeError::*;
        assert_eq!(CodeChallenge::from_params(Some(C), None, true, false), Err(UnsupportedMethod));
        assert_eq!(CodeChallenge::from_params(Some(C), Some("plain"), true, false), Err(UnsupportedMethod));
        assert_eq!(CodeChallenge::from_params(Some(C), Some("s256"), true, false), Err(UnsupportedMethod));
        assert_eq!(CodeChallenge::from_params(Some(C), Some("S512"), true, false), Err(UnsupportedMethod));
        assert_eq!(CodeChallenge::from_params(None, Some("S256"), true, false), Err(MethodWithoutChallenge));
        assert_eq!(CodeChallenge::from_params(None, None, true, false), Err(Required));
        assert_eq!(CodeChallenge::from_params(None, None, false, false), Ok(None));
        let plain = CodeChallenge::from_params(Some(V), None, true, true).unwrap().unwrap();
        assert_eq!(plain.method, PkceMethod::Plain);
        assert!(plain.verify(V));
    }

    #[test]
    fn challenge_syntax() {
        let bad = [
            &C[..42],
            &format!("{C}A"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw=cM",
        ];
        for b in bad {
            assert_eq!(
                CodeChallenge::from_params(Some(b), Some("S256"), true, false),
                Err(ChallengeError::Malformed),
                "{b}"
            );
        }
    }

    #[test]
    fn verifier_syntax() {
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(!is_valid_verifier(&format!("{} ", "a".repeat(43))));
        assert!(!is_valid_verifier(&format!("{}+", "a".repeat(43))));
    }
}
