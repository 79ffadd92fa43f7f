#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_runtime::fuzzing::cjs_exports(data));
