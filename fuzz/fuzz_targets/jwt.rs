//! cargo-fuzz target `jwt`: see `oauth_fuzz::jwt::jwt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::jwt::jwt(data));
