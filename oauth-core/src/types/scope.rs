//! Scope (RFC 6749 §3.3): a set of case-sensitive tokens, space-delimited on the wire.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Longest `scope` value accepted, in bytes: 2048.
pub const MAX_SCOPE_BYTES: usize = 2048;
/// Most scope tokens accepted in one value: 64.
pub const MAX_SCOPE_TOKENS: usize = 64;

/// A set of scope tokens. Order and repetition on the wire carry no meaning (RFC 6749 §3.3), so
/// the set is kept in canonical form: its distinct tokens in byte order, joined by single
/// spaces, behind an `Arc`. Cloning is a reference-count increment and rendering is free, which
/// matters because every issued code and token records its scope.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(Arc<str>);

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
    pub fn new() -> Self {
        Self::default()
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
        let mut count = 0;
        let mut canonical = true;
        let mut previous = "";
        for token in value.split(' ') {
            if token.is_empty() || !token.bytes().all(is_scope_char) {
                return Err(ScopeError::Malformed);
            }
            count += 1;
            if count > MAX_SCOPE_TOKENS {
                return Err(ScopeError::TooLong);
            }
            canonical &= count == 1 || previous < token;
            previous = token;
        }
        if canonical {
            // Already sorted and without repeats: the value is its own canonical form.
            return Ok(Self(Arc::from(value)));
        }
        Ok(Self::canonical(value.split(' ').collect()))
    }

    /// A set from configured tokens; invalid tokens are refused as in [`ScopeSet::parse`].
    ///
    /// # Errors
    /// [`ScopeError::Malformed`] for an empty token or a character outside the RFC's set.
    pub fn from_tokens<I, S>(tokens: I) -> Result<Self, ScopeError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let owned: Vec<S> = tokens.into_iter().collect();
        let mut refs = Vec::with_capacity(owned.len());
        for t in &owned {
            let t = t.as_ref();
            if t.is_empty() || t.len() > MAX_SCOPE_BYTES || !t.bytes().all(is_scope_char) {
                return Err(ScopeError::Malformed);
            }
            refs.push(t);
        }
        Ok(Self::canonical(refs))
    }

    fn canonical(mut tokens: Vec<&str>) -> Self {
        tokens.sort_unstable();
        tokens.dedup();
        Self(Arc::from(tokens.join(" ")))
    }

    /// Whether every token of `self` is in `other`.
    #[must_use]
    pub fn is_subset(&self, other: &Self) -> bool {
        // Both sides are sorted: one merge pass.
        let mut theirs = other.iter();
        'outer: for mine in self.iter() {
            for t in theirs.by_ref() {
                match t.cmp(mine) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => continue 'outer,
                    std::cmp::Ordering::Greater => return false,
                }
            }
            return false;
        }
        true
    }

    /// Whether the set holds `token`.
    #[must_use]
    pub fn contains(&self, token: &str) -> bool {
        self.iter().any(|t| t == token)
    }

    /// Whether the set is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of tokens.
    #[must_use]
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The set without `token` (a cheap clone when `token` is absent).
    #[must_use]
    pub fn without(&self, token: &str) -> Self {
        if !self.contains(token) {
            return self.clone();
        }
        Self(Arc::from(self.iter().filter(|t| *t != token).collect::<Vec<_>>().join(" ")))
    }

    /// The tokens in both sets (a cheap clone when `self` is a subset of `other`).
    #[must_use]
    pub fn intersection(&self, other: &Self) -> Self {
        if self.is_subset(other) {
            return self.clone();
        }
        Self(Arc::from(self.iter().filter(|t| other.contains(t)).collect::<Vec<_>>().join(" ")))
    }

    /// The tokens in byte order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|t| !t.is_empty())
    }

    /// The canonical wire form: the tokens in byte order joined by single spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
        value.0.as_ref().to_owned()
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
    fn subset_and_without() {
        let all = ScopeSet::parse("a c e offline_access").unwrap();
        assert!(ScopeSet::parse("c a").unwrap().is_subset(&all));
        assert!(ScopeSet::new().is_subset(&all));
        assert!(!ScopeSet::parse("b").unwrap().is_subset(&all));
        assert!(!ScopeSet::parse("a z").unwrap().is_subset(&all));
        assert!(!all.is_subset(&ScopeSet::new()));
        assert_eq!(all.without("offline_access").as_str(), "a c e");
        assert_eq!(all.without("x"), all);
        assert_eq!(ScopeSet::new().len(), 0);
        assert_eq!(all.len(), 4);
        assert!(ScopeSet::new().iter().next().is_none());
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
