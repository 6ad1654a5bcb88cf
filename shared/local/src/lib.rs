//! The embedded adapters of GenoFlow's ports, for `genoflow serve`: everything a deployment
//! keeps in S3, DynamoDB and SQS kept in one data directory instead.
//!
//! ```text
//! {data_dir}/genoflow.sqlite3   records (SqliteTable) and queued messages (LocalQueue), WAL mode
//! {data_dir}/blobs/{key}        objects (FileBlobStore), written atomically
//! {data_dir}/multipart/{id}/    parts of multipart uploads in progress
//! ```
//!
//! And [`DirectoryFetcher`]: the oracle's sources answered from a directory of documents
//! (`genoflow serve --oracle-source DIR`).
//!
//! They keep the semantics of the in-memory adapters of `genoflow_core::memory` (the tests run
//! the same scenarios against both), and everything survives a restart. `docs/LOCAL.md`
//! describes the layout, the URL signing scheme and the queue.
#![warn(missing_docs)]

mod blob;
mod database;
mod fetch;
pub mod metrics;
mod private;
mod queue;
mod table;

pub use blob::{
    AcceptError, Accepted, Download, FileBlobStore, MAX_PART_BYTES, PendingUpload, StoredObject,
};
pub use database::OpenError;
pub use fetch::DirectoryFetcher;
pub use private::{create_private_dir_all, private_file_options, restrict_dir, restrict_file};
pub use queue::{DeadLetter, Delivery, LocalQueue, QueueSettings};
pub use table::SqliteTable;
