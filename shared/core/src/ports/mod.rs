//! The ports: narrow traits the use cases call, each with an AWS adapter (`shared/aws`), an
//! embedded adapter (`shared/local`) and an in-memory one ([`crate::memory`]).
//!
//! All are `Send + Sync` and object-safe, so a function builds its adapters once at cold start
//! and hands them around as `Arc<dyn Port>`.

mod blob;
mod chain;
mod clock;
mod fetch;
mod metrics;
mod queue;
mod table;
mod token;

pub use blob::{
    BlobError, BlobStore, CompletedPart, MultipartUpload, ObjectIntegrity, PartPlan, PartUrl,
    PresignedPut,
};
pub use chain::{Chain, ChainError};
pub use clock::{Clock, SystemClock};
pub use fetch::{FetchError, FetchResponse, HttpFetcher, MAX_FETCH_BYTES};
pub use metrics::{Metric, Metrics, NoMetrics, Unit};
pub use queue::{
    AnalysisRequested, AnchorRequested, Message, ObjectStored, Queue, QueueError, QueueName,
};
pub use table::{
    DatasetPage, DatasetState, Listed, NonceClaim, PageCursor, SamplePage, Table, TableError,
};
pub use token::{Claims, HmacSecret, HmacTokenSigner, TokenError, TokenSigner, WeakSecret};
