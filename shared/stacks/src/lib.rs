//! Stacks encoding, signing and node client.

pub mod merkle;
