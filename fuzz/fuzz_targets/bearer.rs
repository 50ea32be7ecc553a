//! cargo-fuzz target `bearer`: see `oauth_fuzz::parsers::bearer`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::parsers::bearer(data));
