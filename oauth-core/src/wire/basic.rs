//! `Authorization: Basic` client credentials (RFC 6749 §2.3.1, RFC 7617 §2): base64 of
//! `form-urlencode(client_id) ":" form-urlencode(client_secret)`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::form::decode;
use crate::types::Secret;

/// Longest `Authorization` header value accepted, in bytes: 4 KiB.
pub const MAX_AUTHORIZATION_BYTES: usize = 4096;

/// Client credentials from an `Authorization: Basic` header. `Debug` redacts the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BasicCredentials {
    /// The decoded `client_id`.
    pub client_id: String,
    /// The decoded client secret.
    pub client_secret: Secret,
}

/// Why an `Authorization` header did not yield Basic credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BasicError {
    /// The scheme is not `Basic` (compared case-insensitively, RFC 9110 §11.1).
    #[error("not the Basic scheme")]
    OtherScheme,
    /// Basic, but the value is too long, not base64, has no `:`, or a half does not
    /// form-urldecode to UTF-8 (D15). Maps to 401 `invalid_client`.
    #[error("malformed Basic credentials")]
    Malformed,
}

impl BasicCredentials {
    /// Parses an `Authorization` header value.
    ///
    /// # Errors
    /// [`BasicError::OtherScheme`] for another scheme; [`BasicError::Malformed`] for a Basic
    /// value that cannot be decoded.
    pub fn parse(header: &str) -> Result<Self, BasicError> {
        if header.len() > MAX_AUTHORIZATION_BYTES {
            return Err(BasicError::Malformed);
        }
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(BasicError::OtherScheme);
        }
        let raw = STANDARD.decode(rest.trim()).map_err(|_| BasicError::Malformed)?;
        let colon = raw.iter().position(|&b| b == b':').ok_or(BasicError::Malformed)?;
        let client_id = decode(&raw[..colon]).map_err(|_| BasicError::Malformed)?;
        let secret = decode(&raw[colon + 1..]).map_err(|_| BasicError::Malformed)?;
        if client_id.is_empty() {
            return Err(BasicError::Malformed);
        }
        Ok(Self { client_id, client_secret: Secret::new(secret) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6749_example_and_encoded_halves() {
        let c = BasicCredentials::parse("Basic czZCaGRSa3F0Mzo3RmpmcDBaQnIxS3REUmJuZlZkbUl3").unwrap();
        assert_eq!(c.client_id, "s6BhdRkqt3");
        assert_eq!(c.client_secret.expose(), "7Fjfp0ZBr1KtDRbnfVdmIw");
        let c = BasicCredentials::parse("Basic bXkrY2xpZW50OnAlNDBzcyUzQXclMkJyZCUyNQ==").unwrap();
        assert_eq!(c.client_id, "my client");
        assert_eq!(c.client_secret.expose(), "p@ss:w+rd%");
        let c = BasicCredentials::parse("basic Y2xpZW50LWM6cCUyQnElMkZyJTNBcyUyNXQ=").unwrap();
        assert_eq!(c.client_secret.expose(), "p+q/r:s%t");
    }

    #[test]
    fn malformed_values() {
        // Raw (un-encoded) secret with a bad escape.
        assert_eq!(BasicCredentials::parse("Basic Y2xpZW50LWM6cCtxL3I6cyV0"), Err(BasicError::Malformed));
        assert_eq!(BasicCredentials::parse("Basic !!!"), Err(BasicError::Malformed));
        assert_eq!(BasicCredentials::parse("Basic"), Err(BasicError::Malformed));
        assert_eq!(BasicCredentials::parse("Basic bm9jb2xvbg=="), Err(BasicError::Malformed));
        assert_eq!(BasicCredentials::parse("Bearer abc"), Err(BasicError::OtherScheme));
        let long = format!("Basic {}", "A".repeat(MAX_AUTHORIZATION_BYTES));
        assert_eq!(BasicCredentials::parse(&long), Err(BasicError::Malformed));
    }
}
