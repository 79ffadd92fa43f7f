#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| hearth_hyperdrive::fuzzing::pg_framer(data));
