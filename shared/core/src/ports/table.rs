use async_trait::async_trait;
use time::OffsetDateTime;

use crate::{
    lifecycle::{SampleStatus, Status},
    model::{Batch, Dataset, Lease, LeaseKind, LoginNonce, OracleValue, Sample},
};

/// A move of the anchor account's nonce counter: the table holds the next nonce the anchor
/// function may use, so two batches never sign with the same one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonceClaim {
    /// The sender address.
    pub address: String,
    /// The counter as read (`None`: no counter yet).
    pub expected: Option<u64>,
    /// The counter after the claim (the claimed nonce + 1).
    pub next: u64,
}

/// A table failure.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A conditional write found another state than expected: someone else did (or is doing)
    /// this step. Handlers treat it as "already done", never as a failure.
    #[error("conditional write refused: {what}")]
    ConditionFailed {
        /// Which record and condition.
        what: String,
    },
    /// A stored record could not be read back (written by an incompatible version).
    #[error("the stored record {what} is unreadable: {message}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        message: String,
    },
    /// The table could not be reached or failed; retrying may work.
    #[error("table {operation} failed: {message}")]
    Unavailable {
        /// What was asked.
        operation: &'static str,
        /// The store's message.
        message: String,
    },
}

/// The state a conditional dataset write expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetState {
    /// The status read.
    pub status: Status,
    /// The revision read.
    pub revision: u64,
}

impl DatasetState {
    /// The state of `dataset` as read.
    pub fn of(dataset: &Dataset) -> Self {
        Self {
            status: dataset.status,
            revision: dataset.revision,
        }
    }
}

/// A page of an owner's datasets, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetPage {
    /// Up to the requested number of datasets.
    pub datasets: Vec<Dataset>,
    /// Opaque cursor for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// A page of an owner's samples, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplePage {
    /// Up to the requested number of samples.
    pub samples: Vec<Sample>,
    /// Opaque cursor for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// A record the table lists newest first and pages with a [`PageCursor`]: datasets and samples.
pub trait Listed {
    /// Its place in a listing: when it was created and its id (ties on `created_at` are
    /// ordered by id).
    fn list_key(&self) -> (OffsetDateTime, &str);
}

impl Listed for Dataset {
    fn list_key(&self) -> (OffsetDateTime, &str) {
        (self.created_at, &self.dataset_id)
    }
}

impl Listed for Sample {
    fn list_key(&self) -> (OffsetDateTime, &str) {
        (self.created_at, &self.sample_id)
    }
}

/// Where a page of an owner's datasets (or samples) ends: the last record returned, written
/// `{created_at unix nanoseconds}:{id}`. Every adapter writes and reads this one format, so a
/// cursor means the same on all of them; to callers it is opaque.
///
/// ```
/// use genoflow_core::ports::PageCursor;
///
/// let cursor = PageCursor::parse("1800000000000000000:d1")?;
/// assert_eq!(cursor.id, "d1");
/// assert_eq!(cursor.to_string(), "1800000000000000000:d1");
/// assert!(PageCursor::parse("yesterday").is_err());
/// # Ok::<(), genoflow_core::ports::TableError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageCursor {
    /// When the last record returned was created.
    pub created_at: OffsetDateTime,
    /// Its id, a dataset or a sample id (ties on `created_at` are ordered by id).
    pub id: String,
}

impl PageCursor {
    /// The cursor after `item`.
    pub fn after<T: Listed>(item: &T) -> Self {
        let (created_at, id) = item.list_key();
        Self {
            created_at,
            id: id.to_owned(),
        }
    }

    /// Whether the record created at `created_at` with id `id` comes after this cursor in
    /// newest-first order (and so belongs to the next page).
    pub fn is_after(&self, created_at: OffsetDateTime, id: &str) -> bool {
        (created_at, id) < (self.created_at, self.id.as_str())
    }

    /// Cuts `fetched`, up to `limit + 1` records newest first, to `limit` and returns the cursor
    /// of the next page: `Some` when a record beyond the page was fetched (and the page is not
    /// empty).
    pub fn next_page<T: Listed>(fetched: &mut Vec<T>, limit: usize) -> Option<String> {
        if fetched.len() <= limit {
            return None;
        }
        fetched.truncate(limit);
        fetched.last().map(|last| Self::after(last).to_string())
    }

    /// Reads a cursor this API returned.
    ///
    /// # Errors
    /// [`TableError::Corrupt`] for anything else.
    pub fn parse(cursor: &str) -> Result<Self, TableError> {
        let corrupt = || TableError::Corrupt {
            what: "list cursor".to_owned(),
            message: format!("{cursor:?} is not a cursor this API returned"),
        };
        let (nanos, id) = cursor.split_once(':').ok_or_else(corrupt)?;
        let nanos: i128 = nanos.parse().map_err(|_| corrupt())?;
        let created_at = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| corrupt())?;
        if id.is_empty() {
            return Err(corrupt());
        }
        Ok(Self {
            created_at,
            id: id.to_owned(),
        })
    }
}

impl std::fmt::Display for PageCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.created_at.unix_timestamp_nanos(), self.id)
    }
}

/// The records of GenoFlow (DynamoDB on AWS, an embedded database locally).
///
/// Reads must be strongly consistent: a handler that just wrote a dataset must see it when it
/// reads the sample's other datasets.
#[async_trait]
pub trait Table: Send + Sync {
    /// Stores a new dataset; [`TableError::ConditionFailed`] if its id exists.
    async fn create_dataset(&self, dataset: &Dataset) -> Result<(), TableError>;

    /// The dataset with this id.
    async fn get_dataset(&self, dataset_id: &str) -> Result<Option<Dataset>, TableError>;

    /// Replaces the dataset only if its stored status and revision are `expected`;
    /// [`TableError::ConditionFailed`] otherwise (or if it is gone).
    async fn update_dataset(
        &self,
        dataset: &Dataset,
        expected: DatasetState,
    ) -> Result<(), TableError>;

    /// Removes the dataset record; removing a missing one succeeds.
    async fn delete_dataset(&self, dataset_id: &str) -> Result<(), TableError>;

    /// The owner's datasets, newest first (`created_at`, then id, descending), `limit` at a time.
    async fn list_datasets(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<DatasetPage, TableError>;

    /// The owner's samples, newest first (`created_at`, then id, descending), `limit` at a
    /// time, paged with [`PageCursor`] as [`Table::list_datasets`].
    async fn list_samples(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<SamplePage, TableError>;

    /// Stores a new sample; [`TableError::ConditionFailed`] if its id exists.
    async fn create_sample(&self, sample: &Sample) -> Result<(), TableError>;

    /// The sample with this id.
    async fn get_sample(&self, sample_id: &str) -> Result<Option<Sample>, TableError>;

    /// Replaces the sample only if its stored status is `expected`.
    async fn update_sample(
        &self,
        sample: &Sample,
        expected: SampleStatus,
    ) -> Result<(), TableError>;

    /// The next nonce the anchor function may use for `address`, as the counter holds it.
    async fn account_nonce(&self, address: &str) -> Result<Option<u64>, TableError>;

    /// Stores a new batch and moves the sender's nonce counter as `claim` says, atomically;
    /// [`TableError::ConditionFailed`] if the batch exists or the counter moved.
    async fn create_batch(&self, batch: &Batch, claim: &NonceClaim) -> Result<(), TableError>;

    /// The batch with this id.
    async fn get_batch(&self, batch_id: &str) -> Result<Option<Batch>, TableError>;

    /// Replaces the batch only if its stored revision is `expected_revision`, and moves the
    /// nonce counter too when re-signing (`claim`), atomically.
    async fn update_batch(
        &self,
        batch: &Batch,
        expected_revision: u64,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError>;

    /// The batches still `signed` or `broadcast`, oldest first.
    async fn open_batches(&self) -> Result<Vec<Batch>, TableError>;

    /// The latest oracle value of `key` (hex).
    async fn get_oracle_value(&self, key: &str) -> Result<Option<OracleValue>, TableError>;

    /// Stores the oracle value of its key: created if `expected_revision` is `None`, else
    /// replaced only at that revision; with the nonce counter's move when signing (`claim`),
    /// atomically.
    async fn write_oracle_value(
        &self,
        value: &OracleValue,
        expected_revision: Option<u64>,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError>;

    /// The oracle values whose transaction is still `signed` or `broadcast`, oldest first.
    async fn open_oracle_values(&self) -> Result<Vec<OracleValue>, TableError>;

    /// Records a login nonce as used. [`TableError::ConditionFailed`] if the same address
    /// already used it and that record has not expired at `now`.
    async fn claim_nonce(&self, nonce: &LoginNonce, now: OffsetDateTime) -> Result<(), TableError>;

    /// Removes the sample record; removing a missing one succeeds.
    async fn delete_sample(&self, sample_id: &str) -> Result<(), TableError>;

    /// Stores the lease of its `(kind, id)`, replacing any (leases are markers for the sweeper:
    /// the records' conditional writes decide who does the work).
    async fn put_lease(&self, lease: &Lease) -> Result<(), TableError>;

    /// The lease of `(kind, id)`.
    async fn get_lease(&self, kind: LeaseKind, id: &str) -> Result<Option<Lease>, TableError>;

    /// Removes the lease of `(kind, id)`; removing a missing one succeeds.
    async fn delete_lease(&self, kind: LeaseKind, id: &str) -> Result<(), TableError>;

    /// Up to `limit` leases whose `expires_at` is at or before `at`, soonest expired first.
    async fn expired_leases(
        &self,
        at: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Lease>, TableError>;
}
