//! Genomic formats for GenoFlow.
