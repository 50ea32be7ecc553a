//! cargo-fuzz target `token`: see `oauth_fuzz::token::token`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::token::token(data));
