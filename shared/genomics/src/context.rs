//! What every format validator is handed: the options and the state of the validation so far.

use crate::{
    diagnostic::{Diagnostic, Warnings},
    format::Compression,
    options::Options,
};

/// State shared with the format validators.
pub(crate) struct Context<'a> {
    /// The options validation was started with.
    pub options: &'a Options,
    /// The warnings so far.
    pub warnings: Warnings,
    /// Records read so far; kept current so an error can say how far validation got.
    pub records: u64,
    /// How the stored bytes are compressed.
    pub compression: Compression,
}

impl Context<'_> {
    /// Adds a warning to the report.
    pub(crate) fn warn(&mut self, diagnostic: Diagnostic) {
        self.warnings.push(diagnostic);
    }
}
