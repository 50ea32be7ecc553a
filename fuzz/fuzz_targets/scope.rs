//! cargo-fuzz target `scope`: see `oauth_fuzz::parsers::scope`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::parsers::scope(data));
