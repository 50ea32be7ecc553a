//! cargo-fuzz target `redirect_uri`: see `oauth_fuzz::redirect_uri::redirect_uri`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::redirect_uri::redirect_uri(data));
