//! cargo-fuzz target `json_body`: see `oauth_fuzz::parsers::json_body`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oauth_fuzz::parsers::json_body(data));
