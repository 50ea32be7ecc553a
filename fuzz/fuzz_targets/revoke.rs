//! cargo-fuzz target `revoke`: see `oauth_fuzz::inspect::revoke`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::inspect::revoke(data));
