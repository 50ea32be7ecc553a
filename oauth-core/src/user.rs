//! Users as the impersonation grant sees them: the lookup a client sends (`user_lookup`,
//! `{"field": "userId" | "subject", "value": "…"}`) and the answer of the application's user
//! directory ([`crate::UserDirectory`]). The user directory belongs to the application, like
//! storage: the core only asks.

use std::fmt;
use std::sync::Arc;

use serde::Deserialize;

/// Longest `user_lookup.value` accepted, in bytes: 256.
pub const MAX_USER_LOOKUP_VALUE_BYTES: usize = 256;

/// Which identifier a [`UserLookup`] names (`user_lookup.field`, exactly `userId` or
/// `subject`; Qlik's `oauth/token` schema).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[non_exhaustive]
pub enum UserField {
    /// `userId`: the directory's own user identifier.
    #[serde(rename = "userId")]
    UserId,
    /// `subject`: the user's subject at the identity provider (the token's `sub`).
    #[serde(rename = "subject")]
    Subject,
}

impl UserField {
    /// The wire name: `userId` or `subject`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserId => "userId",
            Self::Subject => "subject",
        }
    }
}

/// The user an impersonation request names (`user_lookup`; D3, IMP-01 to IMP-04).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UserLookup {
    /// Which identifier `value` is.
    pub field: UserField,
    /// The identifier: 1 to [`MAX_USER_LOOKUP_VALUE_BYTES`] bytes.
    pub value: String,
}

/// Why a `user_lookup` value was refused; every variant is answered `invalid_request`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserLookupError {
    /// Not a JSON object with exactly the members `field` and `value`.
    #[error("user_lookup must be a JSON object with field and value")]
    Malformed,
    /// `field` is not `userId` or `subject`.
    #[error("user_lookup.field must be userId or subject")]
    UnknownField,
    /// `value` is missing, empty or longer than the limit.
    #[error("user_lookup.value must be a non-empty string")]
    BadValue,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLookup {
    field: serde_json::Value,
    value: serde_json::Value,
}

impl UserLookup {
    /// A lookup by `field` for `value`.
    #[must_use]
    pub const fn new(field: UserField, value: String) -> Self {
        Self { field, value }
    }

    /// Parses the `user_lookup` parameter: the JSON object text of a JSON body's member, or
    /// the JSON text a form body carries in one parameter (D3). Members other than `field` and
    /// `value` are refused, as is any other encoding.
    ///
    /// # Errors
    /// [`UserLookupError`]: malformed JSON or members, a `field` other than `userId` and
    /// `subject` (case-sensitive), a missing, empty, non-string or oversized `value`.
    pub fn parse(text: &str) -> Result<Self, UserLookupError> {
        // A derived struct would also accept a JSON array; only an object is a lookup. The
        // derived map visitor refuses repeated and unknown members.
        if !text.trim_start().starts_with('{') {
            return Err(UserLookupError::Malformed);
        }
        let raw: RawLookup = serde_json::from_str(text).map_err(|_| UserLookupError::Malformed)?;
        let field = match raw.field.as_str() {
            Some("userId") => UserField::UserId,
            Some("subject") => UserField::Subject,
            _ => return Err(UserLookupError::UnknownField),
        };
        match raw.value {
            serde_json::Value::String(v) if !v.is_empty() && v.len() <= MAX_USER_LOOKUP_VALUE_BYTES => {
                Ok(Self { field, value: v })
            }
            _ => Err(UserLookupError::BadValue),
        }
    }
}

/// A user as the directory reports it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct User {
    /// The user's subject: the `sub` of tokens issued for this user.
    pub subject: Arc<str>,
    /// A disabled user cannot be impersonated (`invalid_grant`, D8).
    pub disabled: bool,
}

impl User {
    /// An enabled user with `subject`.
    #[must_use]
    pub fn new(subject: impl Into<Arc<str>>) -> Self {
        Self { subject: subject.into(), disabled: false }
    }

    /// The same user, disabled.
    #[must_use]
    pub fn disabled(mut self) -> Self {
        self.disabled = true;
        self
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User").field("subject", &self.subject).field("disabled", &self.disabled).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_parsing() {
        let l = UserLookup::parse(r#"{"field":"userId","value":"6422bad8022070c06d2417bc"}"#).unwrap();
        assert_eq!(l, UserLookup::new(UserField::UserId, "6422bad8022070c06d2417bc".into()));
        let l = UserLookup::parse(r#"{"value":"auth0|u1","field":"subject"}"#).unwrap();
        assert_eq!(l.field, UserField::Subject);
        assert_eq!(l.value, "auth0|u1");
        for (text, err) in [
            (r#"{"field":"email","value":"a@b"}"#, UserLookupError::UnknownField),
            (r#"{"field":"UserId","value":"x"}"#, UserLookupError::UnknownField),
            (r#"{"field":1,"value":"x"}"#, UserLookupError::UnknownField),
            (r#"{"field":"userId","value":""}"#, UserLookupError::BadValue),
            (r#"{"field":"userId","value":5}"#, UserLookupError::BadValue),
            (r#"{"field":"userId","value":null}"#, UserLookupError::BadValue),
            (r#"{"field":"userId"}"#, UserLookupError::Malformed),
            (r#"{"field":"userId","value":"x","extra":1}"#, UserLookupError::Malformed),
            (r#"{"field":"userId","value":"x","value":"y"}"#, UserLookupError::Malformed),
            (r#"["userId","x"]"#, UserLookupError::Malformed),
            ("userId", UserLookupError::Malformed),
            ("", UserLookupError::Malformed),
        ] {
            assert_eq!(UserLookup::parse(text), Err(err), "{text}");
        }
        let long = format!(r#"{{"field":"userId","value":"{}"}}"#, "a".repeat(MAX_USER_LOOKUP_VALUE_BYTES + 1));
        assert_eq!(UserLookup::parse(&long), Err(UserLookupError::BadValue));
    }
}
