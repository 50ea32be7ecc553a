//! Whole-flow tests of the machines with a virtual clock and seeded entropy.

mod authorize_flow;
mod client_model;
mod lifecycle;
mod token_flow;
