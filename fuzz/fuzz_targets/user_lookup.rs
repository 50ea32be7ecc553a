//! cargo-fuzz target `user_lookup`: see `oauth_fuzz::parsers::user_lookup`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::parsers::user_lookup(data));
