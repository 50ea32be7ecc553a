//! Time as an argument: [`UnixTime`] is a count of seconds since the Unix epoch.
//!
//! The core never reads a clock. Every call that needs the current time takes a `now: UnixTime`
//! that the adapter read once for the request; tests pass a virtual clock.

use serde::{Deserialize, Serialize};

/// A point in time: whole seconds since 1970-01-01T00:00:00Z (the JWT `NumericDate`, RFC 7519 §2).
///
/// Arithmetic saturates, so a lifetime added to a time near `u64::MAX` cannot wrap around into
/// the past.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The time `secs` seconds after the epoch.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// This time plus `secs` seconds, saturating at `u64::MAX`.
    #[must_use]
    pub const fn plus(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// Seconds from `self` until `later`, or 0 when `later` is not after `self`.
    #[must_use]
    pub const fn seconds_until(self, later: Self) -> u64 {
        later.0.saturating_sub(self.0)
    }

    /// Whether a value that expires at `self` has expired at `now`: true once `now >= self`.
    #[must_use]
    pub fn is_expired_at(self, now: Self) -> bool {
        now >= self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixTime::from_secs(u64::MAX).plus(10).as_secs(), u64::MAX);
        assert_eq!(UnixTime::from_secs(10).seconds_until(UnixTime::from_secs(4)), 0);
        assert_eq!(UnixTime::from_secs(4).seconds_until(UnixTime::from_secs(10)), 6);
    }

    #[test]
    fn expiry_is_inclusive_of_the_deadline() {
        let exp = UnixTime::from_secs(100);
        assert!(!exp.is_expired_at(UnixTime::from_secs(99)));
        assert!(exp.is_expired_at(UnixTime::from_secs(100)));
    }
}
