//! [`OsEntropy`]: the production [`Entropy`] source.

use std::panic::{AssertUnwindSafe, catch_unwind};

use oauth_core::{Entropy, EntropyError};
use rand::RngCore as _;

/// Cryptographically secure random bytes from a user-space CSPRNG seeded by the operating system:
/// rand's thread-local generator ([`rand::rng`], ChaCha12, seeded from the OS through `getrandom`
/// and reseeded from it after every 64 KiB of output).
///
/// # Why not one system call per token
/// A `getrandom(2)` call per credential costs a kernel round trip, about as much as everything
/// else a token request does in user space (parsing, SHA-256, map insert, JSON). A ChaCha
/// generator keyed with 256 bits from the OS is computationally indistinguishable from the OS
/// source, so every token keeps its 256 bits of unpredictability (RFC 6749 §10.10 asks for a
/// guessing probability of at most 2^-128) while one system call serves thousands of tokens.
/// The generator is thread-local, so concurrent requests never contend for a lock.
///
/// # Failure
/// rand reports an OS failure while seeding or reseeding by panicking; `fill` catches that
/// panic and returns [`EntropyError`], so the core answers `temporarily_unavailable` and issues
/// nothing (the panic hook still prints rand's message, which holds no secret; under
/// `panic = "abort"` the process aborts instead). On Linux this can only happen before the
/// kernel's pool is initialised at boot.
///
/// # Fork
/// The generator is not reseeded on `fork(2)`; a process that forks after drawing tokens must
/// not draw tokens in the child without calling `rand::rng().reseed()` there first.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct OsEntropy;

impl OsEntropy {
    /// The OS-seeded source. Stateless: every value draws from the calling thread's generator.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }
}

impl Entropy for OsEntropy {
    fn fill(&self, dest: &mut [u8]) -> Result<(), EntropyError> {
        // `fill_bytes` has no error channel: rand panics if the OS cannot (re)seed the generator.
        // The generator's state is unchanged when that happens (the reseed fails before any
        // output), so asserting unwind safety is sound; `dest` is left partly filled at worst
        // and the caller discards it on error.
        catch_unwind(AssertUnwindSafe(|| rand::rng().fill_bytes(dest))).map_err(|_| EntropyError::new())
    }
}
