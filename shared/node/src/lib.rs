//! The adapters that speak HTTP to the outside: a Stacks node (the [`Chain`] port, with
//! retries and timeouts) and the web sources the oracle reads (the [`HttpFetcher`] port).
//!
//! What a node's answers mean (a refused broadcast, a transaction's status) is decoded by
//! `genoflow_stacks::node` without I/O; this crate carries the requests.
//!
//! [`Chain`]: genoflow_core::ports::Chain
//! [`HttpFetcher`]: genoflow_core::ports::HttpFetcher
#![warn(missing_docs)]

pub mod chain;
pub mod client;
pub mod fetch;

pub use client::{ClientConfig, NodeClient, NodeError};
pub use fetch::WebFetcher;
