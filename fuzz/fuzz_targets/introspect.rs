//! cargo-fuzz target `introspect`: see `oauth_fuzz::inspect::introspect`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::inspect::introspect(data));
