//! cargo-fuzz target `pkce`: see `oauth_fuzz::pkce::pkce`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::pkce::pkce(data));
