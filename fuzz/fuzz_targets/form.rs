//! cargo-fuzz target `form`: see `oauth_fuzz::parsers::form`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::parsers::form(data));
