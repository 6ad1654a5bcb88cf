//! Unit tests of the VCF validator: one rule per test, through the public entry point.

#![allow(clippy::unwrap_used)]

use crate::{Options, Stats, validate};
