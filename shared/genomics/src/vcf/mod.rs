//! VCF validation (VCFv4.1 to VCFv4.5).

use std::io::BufRead;

use serde::Serialize;

use crate::{
    diagnostic::{Diagnostic, Failure},
    validate::Context,
};

/// Statistics of a VCF file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VcfStats {
    /// Variant records.
    pub records: u64,
    /// Samples in the header line.
    pub samples: u64,
    /// Records whose alleles are all single-base substitutions.
    pub snvs: u64,
    /// Records with an insertion or deletion allele.
    pub indels: u64,
    /// Other records (MNPs, symbolic alleles, breakends, reference-only).
    pub other: u64,
    /// Records with a FILTER other than PASS or missing.
    pub filtered: u64,
    /// `##contig` lines in the header.
    pub contigs: u64,
    /// The `##fileformat` version, e.g. `VCFv4.3`.
    pub file_format: String,
}

pub(crate) fn validate<R: BufRead>(
    _reader: &mut R,
    _ctx: &mut Context<'_>,
) -> Result<VcfStats, Failure> {
    Err(Failure::Invalid(Diagnostic::new(
        "VCF validation is not implemented yet",
    )))
}
