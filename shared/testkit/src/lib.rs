//! The test kit: what every crate's tests share, and no binary carries.
//!
//! | module | what |
//! | --- | --- |
//! | [`memory`] | in-memory adapters of every port |
//! | [`keys`] | test keys, their addresses, the start of every test clock |
//! | [`fixtures`] | the repository's test files, records of every kind, upload declarations |
//! | [`world`] | the use cases wired to in-memory adapters, with helpers that act as a browser or S3 |
//! | [`scenarios`] | one scenario set per port, run on every adapter |
//! | [`process`] | a function binary started with only a chosen environment, as Lambda starts it |
//! | `serve` | (feature `serve`) `genoflow serve` started in the test's runtime, and a client of its API |
//!
//! It is a dev-dependency only: `cargo tree -e normal` of any function or of the CLI does not
//! list it.
//!
//! ```
//! use genoflow_core::ports::Table;
//! use genoflow_testkit::{fixtures::dataset, memory::MemoryTable};
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let table = MemoryTable::default();
//! table.create_dataset(&dataset("d1", "SP1", 100)).await?;
//! assert!(table.get_dataset("d1").await?.is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(()) })
//! # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

pub mod fixtures;
pub mod keys;
pub mod memory;
pub mod process;
pub mod scenarios;
#[cfg(feature = "serve")]
pub mod serve;
pub mod world;
