//! SAM, BAM and CRAM validation.
//!
//! One set of rules for the three encodings: the header text is checked by [`header`], each
//! record's fields by format-specific syntax checks ([`sam`] for text, [`bam`] and [`cram`] on
//! records decoded by noodles) and then by the shared checks of [`record`] (CIGAR against SEQ,
//! references and positions against the header, FLAG consistency, optional-field tags).
//! Everything streams: memory holds the header and one record (one container for CRAM).

mod bam;
mod cram;
mod header;
mod record;
mod sam;
mod syntax;

use std::io::BufRead;

use serde::Serialize;

use crate::{diagnostic::Failure, validate::Context};

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
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    sam::validate(reader, ctx)
}

pub(crate) fn validate_bam<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    bam::validate(reader, ctx)
}

pub(crate) fn validate_cram<R: BufRead>(
    reader: &mut R,
    ctx: &mut Context<'_>,
) -> Result<AlignmentStats, Failure> {
    cram::validate(reader, ctx)
}
