//! Wire parsing: the only place where bytes become values, and the main fuzz surface.
//!
//! - [`Params`]: `application/x-www-form-urlencoded` bodies and query strings (RFC 6749 §3.1,
//!   §3.2, Appendix B) and JSON object bodies (the platform accepts both, D3), keeping every
//!   occurrence so a repeated parameter can be refused.
//! - [`BasicCredentials`]: `Authorization: Basic` with form-urldecoding of both halves
//!   (RFC 6749 §2.3.1).
//!
//! # Bounds
//! | input | limit |
//! |---|---|
//! | form body, query string or JSON body | [`MAX_INPUT_BYTES`] (64 KiB) |
//! | parameters in one request | [`MAX_PARAMS`] (64) |
//! | one parameter name | [`MAX_NAME_BYTES`] (128 bytes) |
//! | one parameter value | [`MAX_VALUE_BYTES`] (8 KiB); tighter per-parameter limits apply in the endpoints |
//! | `Authorization` header | [`MAX_AUTHORIZATION_BYTES`] (4 KiB) |

mod basic;
mod form;
mod json;

pub use basic::{BasicCredentials, BasicError, MAX_AUTHORIZATION_BYTES};
pub use form::{Field, MAX_INPUT_BYTES, MAX_NAME_BYTES, MAX_PARAMS, MAX_VALUE_BYTES, Params, Repeated, WireError};

/// The media type of a request body, from its `Content-Type` header (RFC 9110 §8.3):
/// compared case-insensitively, parameters such as `charset=UTF-8` ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyType {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `application/json`.
    Json,
}

impl BodyType {
    /// The body type named by a `Content-Type` value, or `None` for any other media type.
    #[must_use]
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            Some(Self::Form)
        } else if essence.eq_ignore_ascii_case("application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }
}

/// Parses a request body by its `Content-Type` (D3): form or JSON object; a missing or other
/// media type is [`WireError::UnsupportedMediaType`].
///
/// # Errors
/// Any [`WireError`]; each maps to `invalid_request` (or 413 for an oversized body).
pub fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<Params, WireError> {
    match content_type.and_then(BodyType::from_content_type) {
        Some(BodyType::Form) => Params::parse_form(body),
        Some(BodyType::Json) => json::parse_json_object(body),
        None => Err(WireError::UnsupportedMediaType),
    }
}
