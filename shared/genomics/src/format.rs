//! The formats and compressions GenoFlow recognises.

use std::{fmt, str::FromStr};

use serde::Serialize;

/// A genomic file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// FASTQ reads (Sanger quality encoding).
    Fastq,
    /// FASTA sequences.
    Fasta,
    /// SAM alignments (text).
    Sam,
    /// BAM alignments (BGZF-compressed binary).
    Bam,
    /// CRAM alignments (reference-compressed).
    Cram,
    /// VCF variant calls.
    Vcf,
}

impl Format {
    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fastq => "fastq",
            Self::Fasta => "fasta",
            Self::Sam => "sam",
            Self::Bam => "bam",
            Self::Cram => "cram",
            Self::Vcf => "vcf",
        }
    }

    /// Whether problems are located by line (text formats) rather than byte offset.
    pub fn is_text(self) -> bool {
        !matches!(self, Self::Bam | Self::Cram)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown format name.
#[derive(Debug, thiserror::Error)]
#[error("unknown format {0:?}: expected one of fastq, fasta, sam, bam, cram, vcf")]
pub struct ParseFormatError(String);

impl FromStr for Format {
    type Err = ParseFormatError;

    /// Parses a format name, case-insensitively.
    ///
    /// ```
    /// use genoflow_genomics::Format;
    /// assert_eq!("FASTQ".parse::<Format>().unwrap(), Format::Fastq);
    /// assert!("bed".parse::<Format>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fastq" | "fq" => Ok(Self::Fastq),
            "fasta" | "fa" => Ok(Self::Fasta),
            "sam" => Ok(Self::Sam),
            "bam" => Ok(Self::Bam),
            "cram" => Ok(Self::Cram),
            "vcf" => Ok(Self::Vcf),
            _ => Err(ParseFormatError(s.to_owned())),
        }
    }
}

/// How the stored bytes are compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Stored as is.
    None,
    /// gzip, possibly several members concatenated.
    Gzip,
    /// Blocked gzip (BGZF): gzip members of at most 64 KiB carrying their size.
    Bgzf,
    /// bzip2, possibly several streams concatenated (accepted for VCF by EBI's validator).
    Bzip2,
}

impl Compression {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Bgzf => "bgzf",
            Self::Bzip2 => "bzip2",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
