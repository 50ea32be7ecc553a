//! cargo-fuzz target `authorize`: see `oauth_fuzz::authorize::authorize`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::authorize::authorize(data));
