//! Scope (RFC 6749 §3.3): a set of case-sensitive tokens, space-delimited on the wire.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest `scope` value accepted, in bytes: 2048.
pub const MAX_SCOPE_BYTES: usize = 2048;
/// Most scope tokens accepted in one value: 64.
pub const MAX_SCOPE_TOKENS: usize = 64;

/// A set of scope tokens. Order and repetition on the wire carry no meaning (RFC 6749 §3.3), so
/// the set is kept sorted and renders as its tokens in byte order, joined by single spaces.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(BTreeSet<String>);

/// Why a scope value was refused; every variant maps to `invalid_scope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// Longer than [`MAX_SCOPE_BYTES`] or more than [`MAX_SCOPE_TOKENS`] tokens.
    #[error("scope is too long")]
    TooLong,
    /// A token with a character outside `%x21 / %x23-5B / %x5D-7E`, or an empty token (two
    /// spaces in a row, or a leading or trailing space).
    #[error("scope is malformed")]
    Malformed,
}

impl ScopeSet {
    /// The empty set.
    #[must_use]
    pub const fn new() -> Self {
        Self(BTreeSet::new())
    }

    /// Parses a space-delimited `scope` value (RFC 6749 §3.3).
    ///
    /// # Errors
    /// [`ScopeError::TooLong`] past the documented bounds, [`ScopeError::Malformed`] for a
    /// character outside the RFC's set or an empty token.
    pub fn parse(value: &str) -> Result<Self, ScopeError> {
        if value.len() > MAX_SCOPE_BYTES {
            return Err(ScopeError::TooLong);
        }
        let mut set = BTreeSet::new();
        for token in value.split(' ') {
            if token.is_empty() || !token.bytes().all(is_scope_char) {
                return Err(ScopeError::Malformed);
            }
            set.insert(token.to_owned());
            if set.len() > MAX_SCOPE_TOKENS {
                return Err(ScopeError::TooLong);
            }
        }
        Ok(Self(set))
    }

    /// A set from tokens that are already known to be valid (configuration); invalid tokens are
    /// refused as in [`ScopeSet::parse`].
    ///
    /// # Errors
    /// As [`ScopeSet::parse`].
    pub fn from_tokens<I, S>(tokens: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = BTreeSet::new();
        for t in tokens {
            let t = t.as_ref();
            if t.is_empty() || t.len() > MAX_SCOPE_BYTES || !t.bytes().all(is_scope_char) {
                return Err(ScopeError::Malformed);
            }
            set.insert(t.to_owned());
        }
        Ok(Self(set))
    }

    /// Whether every token of `self` is in `other`.
    #[must_use]
    pub fn is_subset(&self, other: &Self) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Whether the set holds `token`.
    #[must_use]
    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of tokens.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The set without `token`.
    #[must_use]
    pub fn without(&self, token: &str) -> Self {
        let mut s = self.0.clone();
        s.remove(token);
        Self(s)
    }

    /// The tokens in byte order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for t in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(t)?;
            first = false;
        }
        Ok(())
    }
}

impl TryFrom<String> for ScopeSet {
    type Error = ScopeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        if value.is_empty() { Ok(Self::new()) } else { Self::parse(&value) }
    }
}

impl From<ScopeSet> for String {
    fn from(value: ScopeSet) -> Self {
        value.to_string()
    }
}

const fn is_scope_char(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_repetition_do_not_matter() {
        let a = ScopeSet::parse("offline_access user_default").unwrap();
        let b = ScopeSet::parse("user_default offline_access user_default").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "offline_access user_default");
    }

    #[test]
    fn tokens_are_case_sensitive() {
        let allowed = ScopeSet::parse("user_default").unwrap();
        assert!(!ScopeSet::parse("User_Default").unwrap().is_subset(&allowed));
    }

    #[test]
    fn malformed_values_are_refused() {
        assert_eq!(ScopeSet::parse("a  b"), Err(ScopeError::Malformed));
        assert_eq!(ScopeSet::parse(" a"), Err(ScopeError::Malformed));
        assert_eq!(ScopeSet::parse("a\"b"), Err(ScopeError::Malformed));
        assert_eq!(ScopeSet::parse("a\\b"), Err(ScopeError::Malformed));
        assert_eq!(ScopeSet::parse("é"), Err(ScopeError::Malformed));
    }

    #[test]
    fn bounds_are_enforced() {
        assert_eq!(ScopeSet::parse(&"a".repeat(100_000)), Err(ScopeError::TooLong));
        let many: Vec<String> = (0..65).map(|i| format!("s{i}")).collect();
        assert_eq!(ScopeSet::parse(&many.join(" ")), Err(ScopeError::TooLong));
        let max: Vec<String> = (0..64).map(|i| format!("s{i}")).collect();
        assert_eq!(ScopeSet::parse(&max.join(" ")).unwrap().len(), 64);
    }
}
