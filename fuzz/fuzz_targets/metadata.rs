//! cargo-fuzz target `metadata`: see `oauth_fuzz::metadata::metadata`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::metadata::metadata(data));
