//! Stacks encoding, signing and node client.

pub mod address;
pub mod clarity;
pub mod client;
pub mod keys;
pub mod merkle;
pub mod sip018;
pub mod transaction;
