//! Stacks encoding, signing and node client.
