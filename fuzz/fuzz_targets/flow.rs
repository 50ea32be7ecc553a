//! cargo-fuzz target `flow`: see `oauth_fuzz::flow::flow`. The input is structured
//! (`arbitrary`), so `cargo fuzz fmt flow <file>` prints an input as operations.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: oauth_fuzz::flow::FlowInput| oauth_fuzz::flow::flow(&input));
