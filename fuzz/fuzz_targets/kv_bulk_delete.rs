#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_kv_api::fuzzing::kv_bulk_delete(data));
