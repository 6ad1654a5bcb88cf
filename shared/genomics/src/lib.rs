//! Genomic formats for GenoFlow: detection, strict streaming validation and statistics.
//!
//! Every validator reads a stream once, in bounded memory, and hashes the stored bytes in the
//! same pass. Knows nothing of AWS or chains.
//!
//! ```
//! use genoflow_genomics::{validate, Options};
//!
//! let report = validate(&b">chr1 test\nACGTN\n"[..], &Options::default()).unwrap();
//! assert!(report.valid);
//! assert_eq!(report.sha256.len(), 64);
//! ```
#![warn(missing_docs)]

pub mod alignment;
mod alphabet;
pub mod analysis;
mod bgzf;
mod context;
pub mod detect;
pub mod diagnostic;
pub mod fasta;
pub mod fastq;
pub mod format;
mod input;
mod lanes;
mod options;
mod reading;
mod shown;
mod text;
pub mod validate;
pub mod vcf;

pub use diagnostic::Diagnostic;
pub use format::{Compression, Format};
pub use options::{
    DEFAULT_MAX_DECOMPRESSED_BYTES, DEFAULT_MAX_EXPANSION, DEFAULT_MAX_SLICE_BYTES, Options,
};
pub use text::DEFAULT_MAX_LINE_BYTES;
pub use validate::{Error, Report, Stats, guaranteed_bytes_per_second, validate};
