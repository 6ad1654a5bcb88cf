//! Decompression bombs: a few kilobytes that decompress to gigabytes of valid-looking data.

use std::{io::Write, time::Duration};

use bzip2::{Compression, write::BzEncoder};

use crate::{MIB, detected, measure};

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut encoder = BzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A FASTA sequence of 1 GiB of `A` in 3 KB of bzip2 (64 streams of 16 MiB each): with only the
/// 1 TiB total limit it was decompressed to the end and called valid; the expansion limit stops
/// it after about 70 MB.
#[test]
fn bzip2_bomb_stops_at_the_expansion_limit() {
    fn input() -> Vec<u8> {
        let run = bzip2(&vec![b'A'; 16 * MIB]);
        let mut bomb = bzip2(b">bomb\n");
        for _ in 0..64 {
            bomb.extend_from_slice(&run);
        }
        bomb
    }
    let measured = measure(
        "compression::bzip2_bomb_stops_at_the_expansion_limit",
        input,
        detected,
    );
    let error = measured.within(64 * MIB, Duration::from_secs(10)).error();
    assert!(
        error.contains("past the limit of 2048 times the stored size"),
        "{error}"
    );
    assert_eq!(measured.report["compression"], "bzip2");
}
