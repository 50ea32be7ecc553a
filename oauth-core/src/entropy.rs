//! Injected randomness: the [`Entropy`] trait and the generators of codes and tokens built on it.
//!
//! The core never asks the operating system for random bytes. Adapters supply an OS-seeded
//! source (`oauth_memory::OsEntropy`); tests and fuzzers supply [`SeededEntropy`].

use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::types::Secret;

/// Number of random bytes in every authorization code, access token and refresh token: 32 bytes,
/// 256 bits, so a guess succeeds with probability 2^-256 (RFC 6749 §10.10 asks for at most 2^-128).
pub const TOKEN_BYTES: usize = 32;

/// A source of cryptographically secure random bytes.
///
/// # Security contract
/// Every byte written by `fill` must be unpredictable to an attacker: codes and tokens are bearer
/// credentials and RFC 6749 §10.10 requires that guessing one succeed with probability at most
/// 2^-128. A source that cannot deliver must return [`EntropyError`]; the core then answers the
/// request with `temporarily_unavailable` and issues nothing. Implementations must be `Send + Sync`
/// because one source serves every request.
pub trait Entropy: Send + Sync {
    /// Fills `dest` entirely with random bytes.
    ///
    /// # Errors
    /// [`EntropyError`] when the source cannot produce random bytes now.
    fn fill(&self, dest: &mut [u8]) -> Result<(), EntropyError>;
}

/// The entropy source failed; no credential was generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("entropy source failed")]
#[non_exhaustive]
pub struct EntropyError;

impl EntropyError {
    /// A new error value, for `Entropy` implementations outside this crate.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl Default for EntropyError {
    fn default() -> Self {
        Self::new()
    }
}

/// A deterministic source for tests, property tests and fuzzing: SHA-256 of the seed and a
/// counter. **Never use it in production**: anyone who knows the seed knows every token.
pub struct SeededEntropy {
    seed: [u8; 32],
    counter: AtomicU64,
}

/// Shows the counter only: the seed predicts every token.
impl std::fmt::Debug for SeededEntropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeededEntropy").field("drawn", &self.counter.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl SeededEntropy {
    /// A source whose output is a pure function of `seed` and the number of bytes drawn so far.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut full = [0u8; 32];
        full[..8].copy_from_slice(&seed.to_le_bytes());
        Self { seed: full, counter: AtomicU64::new(0) }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&self, dest: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in dest.chunks_mut(32) {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let mut h = Sha256::new();
            h.update(self.seed);
            h.update(n.to_le_bytes());
            let block = h.finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

/// An entropy source that always fails, for testing the failure path (the null implementation).
#[derive(Debug, Default, Clone, Copy)]
#[non_exhaustive]
pub struct FailingEntropy;

impl Entropy for FailingEntropy {
    fn fill(&self, _dest: &mut [u8]) -> Result<(), EntropyError> {
        Err(EntropyError)
    }
}

/// A new bearer credential (authorization code, access token or refresh token): [`TOKEN_BYTES`]
/// random bytes in unpadded base64url, 43 characters.
pub(crate) fn new_token(entropy: &dyn Entropy) -> Result<Secret, EntropyError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    entropy.fill(&mut bytes)?;
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_unreserved_characters_and_distinct() {
        let e = SeededEntropy::new(7);
        let a = new_token(&e).unwrap();
        let b = new_token(&e).unwrap();
        assert_eq!(a.expose().len(), 43);
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn seeded_entropy_is_reproducible() {
        let x = new_token(&SeededEntropy::new(1)).unwrap();
        let y = new_token(&SeededEntropy::new(1)).unwrap();
        let z = new_token(&SeededEntropy::new(2)).unwrap();
        assert_eq!(x.expose(), y.expose());
        assert_ne!(x.expose(), z.expose());
    }

    #[test]
    fn failing_entropy_generates_nothing() {
        assert_eq!(new_token(&FailingEntropy).unwrap_err(), EntropyError);
    }
}
