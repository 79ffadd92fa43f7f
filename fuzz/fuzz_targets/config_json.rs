#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_config::fuzzing::config_json(data));
