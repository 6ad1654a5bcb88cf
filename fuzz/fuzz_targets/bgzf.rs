//! `validate` on BGZF (BAM, bgzipped VCF, FASTQ, SAM): the CRC32 and ISIZE of every block whose
//! data inflates are recomputed first, so mutations reach the parsers behind the decompression.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut data = data.to_vec();
    genoflow_fuzz::repair_bgzf(&mut data);
    genoflow_fuzz::check(&data, None);
});
