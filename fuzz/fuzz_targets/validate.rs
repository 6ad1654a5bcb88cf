//! `validate` on any bytes, format detected: it must never panic, contain a decoder panic, run
//! out of memory or hang, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    genoflow_fuzz::check(data, None);
});
