//! [`Algorithm`]: the JWS algorithms this crate signs and verifies.

use std::fmt;
use std::str::FromStr;

use crate::JoseError;

/// A JWS signature algorithm (RFC 7518 §3.1, RFC 8037 §3.1). Parsed and printed with the exact,
/// case-sensitive `alg` names; `none` and the HMAC algorithms are deliberately absent
/// (RFC 8725 §3.1–§3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `ES256`: ECDSA on P-256 with SHA-256 (RFC 7518 §3.4). Signatures are the 64-byte
    /// `r || s` concatenation, never DER.
    Es256,
    /// `EdDSA` with the Ed25519 curve (RFC 8037 §3.1). Signatures are 64 bytes.
    EdDsa,
}

impl Algorithm {
    /// The JWS `alg` name: `"ES256"` or `"EdDSA"` (RFC 7518 §3.1, RFC 8037 §3.1).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = JoseError;

    /// Accepts exactly `"ES256"` or `"EdDSA"` (JWS `alg` values are case-sensitive,
    /// RFC 7515 §4.1.1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ES256" => Ok(Self::Es256),
            "EdDSA" => Ok(Self::EdDsa),
            _ => Err(JoseError::UnknownAlgorithm),
        }
    }
}
