//! One module per endpoint; each owns its request type and its part of the step machine.

pub mod authorize;
pub mod token;
