//! cargo-fuzz target `basic`: see `oauth_fuzz::parsers::basic`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::parsers::basic(data));
