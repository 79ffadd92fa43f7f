#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_assets::fuzzing::assets_headers(data));
