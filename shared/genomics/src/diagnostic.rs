//! What is wrong with an input, and where.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A problem found in an input: what is wrong and where.
///
/// `line` is set for text formats, `offset` for binary ones. For BAM and CRAM the offset counts
/// decoded bytes (BAM: from the start of the decompressed stream); for damaged compression it
/// counts stored bytes from the start of the file, and the message says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// What is wrong, naming the offending value.
    pub message: String,
    /// The 1-based record number (read, sequence, alignment or variant record).
    pub record: Option<u64>,
    /// The 1-based line number (text formats).
    pub line: Option<u64>,
    /// The 0-based byte offset (binary formats and compression errors).
    pub offset: Option<u64>,
}

impl Diagnostic {
    /// A problem with no location yet.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            record: None,
            line: None,
            offset: None,
        }
    }

    /// A problem at a line of a text format.
    pub fn at_line(message: impl Into<String>, record: Option<u64>, line: u64) -> Self {
        Self {
            message: message.into(),
            record,
            line: Some(line),
            offset: None,
        }
    }

    /// A problem at a byte offset of a binary format or a compressed stream.
    pub fn at_offset(message: impl Into<String>, record: Option<u64>, offset: u64) -> Self {
        Self {
            message: message.into(),
            record,
            line: None,
            offset: Some(offset),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `LINE: record N: message`, leaving out what is unknown; offsets are printed as `offset N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "{line}: ")?;
        } else if let Some(offset) = self.offset {
            write!(f, "offset {offset}: ")?;
        }
        if let Some(record) = self.record {
            write!(f, "record {record}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why validation stopped before the end of the input.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The input is invalid.
    Invalid(Diagnostic),
    /// The input is in a version of its format GenoFlow cannot validate (CRAM 2.1): neither
    /// shown valid nor invalid.
    Unsupported(Diagnostic),
    /// Reading or decoding failed; the caller decides whether the input or the system is at fault.
    Io(std::io::Error),
    /// The reference given for CRAM could not be read.
    Reference(std::io::Error),
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Self::Io(error)
    }
}

impl From<Diagnostic> for Failure {
    fn from(diagnostic: Diagnostic) -> Self {
        Self::Invalid(diagnostic)
    }
}

/// The most warnings kept per input; further ones are counted, not stored.
pub const MAX_WARNINGS: usize = 100;

/// Warnings collected while validating, bounded so a noisy file cannot exhaust memory.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    kept: Vec<Diagnostic>,
    dropped: u64,
}

impl Warnings {
    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(diagnostic);
        } else {
            self.dropped += 1;
        }
    }

    /// How many more warnings are kept before they are only counted.
    pub(crate) fn room(&self) -> usize {
        MAX_WARNINGS.saturating_sub(self.kept.len())
    }

    /// Counts `count` warnings that were not kept (as if pushed when there was no room).
    pub(crate) fn add_dropped(&mut self, count: u64) {
        self.dropped += count;
    }

    pub(crate) fn into_vec(mut self) -> Vec<Diagnostic> {
        if self.dropped > 0 {
            self.kept.push(Diagnostic::new(format!(
                "{} more warnings not shown (only the first {MAX_WARNINGS} are kept)",
                self.dropped
            )));
        }
        self.kept
    }
}
