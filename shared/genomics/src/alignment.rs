//! SAM, BAM and CRAM validation.

use std::io::BufRead;

use serde::Serialize;

use crate::{
    diagnostic::{Diagnostic, Failure},
    validate::Context,
};

/// Statistics of an alignment file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AlignmentStats {
    /// Alignment records.
    pub records: u64,
    /// Records with the unmapped flag (0x4) clear.
    pub mapped: u64,
    /// Records with the unmapped flag set.
    pub unmapped: u64,
    /// Secondary alignments (0x100).
    pub secondary: u64,
    /// Supplementary alignments (0x800).
    pub supplementary: u64,
    /// PCR or optical duplicates (0x400).
    pub duplicates: u64,
    /// Records with both 0x1 and 0x2 set.
    pub properly_paired: u64,
    /// Reference sequences in the header.
    pub references: u64,
    /// `@HD SO`, or `unknown`.
    pub sort_order: String,
}

pub(crate) fn validate_sam<R: BufRead>(
    _reader: &mut R,
    _ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    Err(Failure::Invalid(Diagnostic::new(
        "SAM validation is not implemented yet",
    )))
}

pub(crate) fn validate_bam<R: BufRead>(
    _reader: &mut R,
    _ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    Err(Failure::Invalid(Diagnostic::new(
        "BAM validation is not implemented yet",
    )))
}

pub(crate) fn validate_cram<R: BufRead>(
    _reader: &mut R,
    _ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    Err(Failure::Invalid(Diagnostic::new(
        "CRAM validation is not implemented yet",
    )))
}
