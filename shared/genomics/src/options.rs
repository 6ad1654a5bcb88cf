//! How to validate: the options a caller gives, and their defaults.

use std::{num::NonZero, path::PathBuf};

use crate::format::Format;

/// Default limit on decompressed bytes: far above any real sequencing file. A deployment with a
/// time limit sizes it to what it can finish instead ([`Options::for_time_limit`]).
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: u64 = 1 << 40;

/// Default limit on decompressed bytes per stored byte. Deflate (gzip, BGZF) cannot exceed about
/// 1,032; real sequencing files compress 3–10 times. bzip2 can expand far more, and a bomb
/// built on that would otherwise run for hours.
pub const DEFAULT_MAX_EXPANSION: u64 = 2048;

/// Default memory limit for decoding one CRAM slice: its records and decoded blocks. samtools'
/// slices (10,000 records) take a few tens of MiB.
pub const DEFAULT_MAX_SLICE_BYTES: u64 = 512 << 20;

/// How to validate.
#[derive(Clone, Debug)]
pub struct Options {
    /// The format, or `None` to detect it from the content.
    pub format: Option<Format>,
    /// A FASTA reference for decoding CRAM records fully.
    pub reference: Option<PathBuf>,
    /// Stop with an error once this many bytes have been decompressed.
    pub max_decompressed_bytes: u64,
    /// Stop with an error once the decompressed bytes pass this many times the stored bytes read
    /// (the first 64 MiB are allowed whatever the ratio).
    pub max_expansion: u64,
    /// The most memory decoding one CRAM slice may take (its records and decoded blocks), checked
    /// against what the slice declares before it is decoded.
    pub max_slice_bytes: u64,
    /// The time the deployment allows one validation, in seconds: once the format and
    /// compression are known, the decompressed-size limit is lowered to what validation is sure
    /// to get through in that time ([`guaranteed_bytes_per_second`]).
    ///
    /// [`guaranteed_bytes_per_second`]: crate::validate::guaranteed_bytes_per_second
    pub time_limit_seconds: Option<u64>,
    /// Threads for parallel decompression (BGZF).
    pub threads: NonZero<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            format: None,
            reference: None,
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            max_expansion: DEFAULT_MAX_EXPANSION,
            max_slice_bytes: DEFAULT_MAX_SLICE_BYTES,
            time_limit_seconds: None,
            threads: std::thread::available_parallelism().unwrap_or(NonZero::<usize>::MIN),
        }
    }
}

impl Options {
    /// The default options for a deployment that gives one validation `seconds`: a file that
    /// would decompress to more than validation is sure to get through in that time is invalid at
    /// once rather than cut off by the time limit.
    ///
    /// ```
    /// use genoflow_genomics::{validate, Options};
    ///
    /// // A millisecond gets through only the first bytes of this 1 MB FASTA.
    /// let mut fasta = b">chr1\n".to_vec();
    /// fasta.resize(1_000_000, b'A');
    /// let report = validate(std::io::Cursor::new(fasta), &Options::for_time_limit(0)).unwrap();
    /// assert!(report.error.unwrap().message.contains("0-second time limit"));
    /// ```
    pub fn for_time_limit(seconds: u64) -> Self {
        Self {
            time_limit_seconds: Some(seconds),
            ..Self::default()
        }
    }
}
