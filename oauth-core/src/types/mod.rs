//! Value types: secrets that redact themselves, digests that key the stores, grant identifiers,
//! subjects, grant types and scope sets.

mod scope;

pub use scope::{MAX_SCOPE_BYTES, MAX_SCOPE_TOKENS, ScopeError, ScopeSet};

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

/// A credential in clear text (a client secret, authorization code, access or refresh token).
///
/// `Debug` prints `Secret(<redacted>)`, so a credential never reaches a log through `{:?}`;
/// equality is constant-time in the length of the shorter value. Read it with [`Secret::expose`]
/// only where it must be put on the wire.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    #[must_use]
    pub const fn new(value: String) -> Self {
        Self(value)
    }

    /// The credential in clear text.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 digest of the credential, under which stores keep it.
    #[must_use]
    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

impl Eq for Secret {}

/// The SHA-256 digest of a code, token or client secret: 32 bytes.
///
/// Stores key codes and tokens by this digest, so a leaked store holds no usable credential;
/// client secrets are kept only as this digest and compared in constant time. `Debug` shows the
/// first four bytes in hex, enough to correlate log lines and useless to an attacker.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// SHA-256 of the UTF-8 bytes of `value`.
    #[must_use]
    pub fn of(value: &str) -> Self {
        Self(Sha256::digest(value.as_bytes()).into())
    }

    /// A digest from its 32 raw bytes (for stores that load digests from disk).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A digest from 64 hexadecimal characters (either case); `None` for anything else.
    #[must_use]
    pub fn from_hex(hex: &str) -> Option<Self> {
        let bytes = hex.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            out[i] = u8::try_from(hi * 16 + lo).ok()?;
        }
        Some(Self(out))
    }

    /// The 32 raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Constant-time equality, for comparing a presented secret's digest with a stored one.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenDigest({:02x}{:02x}{:02x}{:02x}…)", self.0[0], self.0[1], self.0[2], self.0[3])
    }
}

/// The identifier of a grant: every code, access token and refresh token issued from one
/// authorization (or one client-credentials request) shares it, so that replay detection can
/// revoke all of them at once (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.14.2). Not a credential.
///
/// 16 bytes, `Copy`; written as 32 lower-case hex characters (`Display`, serde). The core takes
/// it from the first 16 bytes of the SHA-256 digest of the grant's first credential (a
/// uniformly random 256-bit value), so naming a grant costs no extra randomness and reveals
/// nothing usable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GrantId([u8; 16]);

impl GrantId {
    /// A grant id from its 16 bytes (stores that load grants from disk use this).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The grant id derived from the digest of the grant's first credential.
    #[must_use]
    pub fn from_digest(digest: &TokenDigest) -> Self {
        let mut b = [0u8; 16];
        b.copy_from_slice(&digest.as_bytes()[..16]);
        Self(b)
    }

    /// The 16 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for GrantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GrantId({self})")
    }
}

impl Serialize for GrantId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GrantId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let bytes = text.as_bytes();
        let mut out = [0u8; 16];
        if bytes.len() != 32 {
            return Err(serde::de::Error::custom("a grant id is 32 hex characters"));
        }
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hex = |c: u8| (c as char).to_digit(16);
            match (hex(pair[0]), hex(pair[1])) {
                (Some(h), Some(l)) => out[i] = u8::try_from(h * 16 + l).unwrap_or(0),
                _ => return Err(serde::de::Error::custom("a grant id is 32 hex characters")),
            }
        }
        Ok(Self(out))
    }
}

/// Whom a token speaks for (RFC 9068 §2.2 `sub`): a resource owner, or, for the client
/// credentials grant, the client itself, in a namespace that cannot collide with user
/// identifiers (RFC 9700 §4.15).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Subject {
    /// A resource owner, by the application's user identifier.
    User(Arc<str>),
    /// The client acting on its own behalf (client credentials grant), by `client_id`.
    Client(Arc<str>),
}

/// The prefix of a client's `sub` ([`Subject::to_sub`]). User identifiers may not start with it,
/// so a user's `sub` can never equal a client's (RFC 9700 §4.15, JWT-03).
pub const CLIENT_SUBJECT_PREFIX: &str = "client:";

impl Subject {
    /// Whether `id` may identify a resource owner: not empty, and not in the clients' namespace
    /// (it does not start with [`CLIENT_SUBJECT_PREFIX`]).
    #[must_use]
    pub fn is_valid_user_id(id: &str) -> bool {
        !id.is_empty() && !id.starts_with(CLIENT_SUBJECT_PREFIX)
    }

    /// The `sub` value: the user identifier, or `client:` followed by the `client_id`.
    #[must_use]
    pub fn to_sub(&self) -> String {
        match self {
            Self::User(id) => id.as_ref().to_owned(),
            Self::Client(id) => format!("client:{id}"),
        }
    }
}

/// A grant type the token endpoint knows (RFC 6749 §4, §6; the platform's impersonation grant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum GrantType {
    /// `authorization_code` (RFC 6749 §4.1.3).
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    /// `client_credentials` (RFC 6749 §4.4).
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    /// `refresh_token` (RFC 6749 §6).
    #[serde(rename = "refresh_token")]
    RefreshToken,
    /// `urn:qlik:oauth:user-impersonation`: a confidential client acts as an existing user.
    #[serde(rename = "urn:qlik:oauth:user-impersonation")]
    UserImpersonation,
}

impl GrantType {
    /// Every grant type, in the order metadata lists them.
    pub const ALL: [Self; 4] =
        [Self::AuthorizationCode, Self::ClientCredentials, Self::RefreshToken, Self::UserImpersonation];

    /// The `grant_type` parameter value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials => "client_credentials",
            Self::RefreshToken => "refresh_token",
            Self::UserImpersonation => "urn:qlik:oauth:user-impersonation",
        }
    }

    /// The grant type named by a `grant_type` value (case-sensitive), or `None`.
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("hunter2-very-secret".into());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }

    #[test]
    fn digest_hex_round_trip() {
        let d = TokenDigest::of("abc");
        // SHA-256("abc") from FIPS 180-2 Appendix B.1.
        let hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(TokenDigest::from_hex(hex), Some(d));
        assert_eq!(TokenDigest::from_hex(&hex.to_uppercase()), Some(d));
        assert_eq!(TokenDigest::from_hex("zz"), None);
        assert!(format!("{d:?}").starts_with("TokenDigest(ba7816bf"));
    }

    #[test]
    fn grant_types_parse_case_sensitively() {
        assert_eq!(GrantType::parse("client_credentials"), Some(GrantType::ClientCredentials));
        assert_eq!(GrantType::parse("Client_Credentials"), None);
        assert_eq!(GrantType::parse("password"), None);
    }

    #[test]
    fn client_subjects_cannot_collide_with_users() {
        assert_eq!(Subject::Client("svc".into()).to_sub(), "client:svc");
        let g = GrantId::from_digest(&TokenDigest::of("abc"));
        assert_eq!(g.to_string(), "ba7816bf8f01cfea414140de5dae2223");
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(serde_json::from_str::<GrantId>(&json).unwrap(), g);
        assert_eq!(Subject::User("u1".into()).to_sub(), "u1");
    }
}
