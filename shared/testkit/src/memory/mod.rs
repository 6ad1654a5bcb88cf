//! In-memory adapters of every port, for handler and use-case tests.
//!
//! They keep the semantics the use cases rely on: conditional writes refuse exactly like the
//! real table, a presigned PUT accepts only the bound length and SHA-256 (as S3 does with
//! `x-amz-checksum-sha256`), multipart completion checks the part list. The helpers a browser or
//! S3 would play ([`MemoryBlobStore::put_presigned`], [`MemoryBlobStore::put_part`]) go through
//! those checks.
//!
//! They live in the test kit, which only tests depend on: no function binary carries them.
//! Every scenario of [`crate::scenarios`] runs on them as on the embedded and AWS adapters.

mod blob;
mod chain;
mod clock;
mod fetch;
mod queue;
mod table;

use std::sync::{Mutex, MutexGuard, PoisonError};

pub use blob::{MemoryBlobStore, Pause, PausePoint};
pub use chain::MemoryChain;
pub use clock::ManualClock;
pub use fetch::MemoryFetcher;
pub use queue::MemoryQueue;
pub use table::MemoryTable;

/// Locks, carrying on after a panic elsewhere: the maps stay consistent because every critical
/// section below is a single insert or check-then-insert.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
