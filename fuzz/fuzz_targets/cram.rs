//! `validate` on CRAM: the CRC32 of every container header and block is recomputed first, so
//! mutations get past the checksums into the slice headers, codecs and record decoding.
#![no_main]

use genoflow_genomics::Format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut data = data.to_vec();
    genoflow_fuzz::repair_cram(&mut data);
    genoflow_fuzz::check(&data, Some(Format::Cram));
});
