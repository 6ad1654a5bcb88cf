//! `validate` with the format forced: the first byte selects it (modulo 6, in the order fastq,
//! fasta, sam, bam, cram, vcf), the rest is the input, so every decoder meets every other
//! format's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((format, input)) = genoflow_fuzz::split_format(data) {
        genoflow_fuzz::check(input, Some(format));
    }
});
