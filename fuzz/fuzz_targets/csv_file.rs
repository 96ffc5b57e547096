#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| retex_core::fuzzing::csv_file(bytes));
