//! In-memory adapters of every port, for handler tests.
//!
//! They keep the semantics the use cases rely on: conditional writes refuse exactly like the
//! real table, a presigned PUT accepts only the bound length and SHA-256 (as S3 does with
//! `x-amz-checksum-sha256`), multipart completion checks the part list. The helpers a browser or
//! S3 would play ([`MemoryBlobStore::put_presigned`], [`MemoryBlobStore::put_part`]) go through
//! those checks.

use std::{
    collections::{BTreeMap, HashMap},
    io::{Cursor, Read},
    ops::Range,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use async_trait::async_trait;
use genoflow_stacks::{
    address::StacksAddress,
    clarity::{ClarityValue, Principal},
    client::{BroadcastRejection, DropReason, TxStatus},
    transaction::{ContractCall, Payload, Transaction},
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{
    lifecycle::SampleStatus,
    model::{Batch, Dataset, Lease, LeaseKind, LoginNonce, OracleValue, Sample},
    ports::{
        BlobError, BlobStore, Chain, ChainError, Clock, CompletedPart, DatasetPage, DatasetState,
        FetchError, FetchResponse, HttpFetcher, Message, MultipartUpload, NonceClaim,
        ObjectIntegrity, PartUrl, PresignedPut, Queue, QueueError, Table, TableError,
    },
};

/// Locks, carrying on after a panic elsewhere: the maps stay consistent because every critical
/// section below is a single insert or check-then-insert.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Default)]
struct BlobState {
    objects: BTreeMap<String, Arc<[u8]>>,
    presigned: HashMap<String, (String, ObjectIntegrity, OffsetDateTime)>,
    downloads: HashMap<String, (String, OffsetDateTime)>,
    uploads: HashMap<String, PendingMultipart>,
    part_urls: HashMap<String, (String, u32)>,
    next_id: u64,
}

struct PendingMultipart {
    key: String,
    part_count: u32,
    parts: BTreeMap<u32, (String, Vec<u8>)>,
}

/// Objects in a map.
///
/// ```
/// use genoflow_core::memory::MemoryBlobStore;
/// use genoflow_core::ports::BlobStore;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let store = MemoryBlobStore::default();
/// store.put("results/d1/report.json", b"{}".to_vec()).await?;
/// assert_eq!(store.read_range("results/d1/report.json", 0..1).await?, b"{");
/// assert_eq!(store.list("results/").await?, ["results/d1/report.json"]);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })
/// # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct MemoryBlobStore {
    state: Mutex<BlobState>,
    read_failures: Mutex<usize>,
    pause: Mutex<Option<(PausePoint, Arc<Pause>)>>,
}

/// Where [`MemoryBlobStore::pause_next`] stops a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PausePoint {
    /// The next [`BlobStore::open_read`].
    OpenRead,
    /// The next [`BlobStore::put`] of a key under this prefix.
    PutUnder(String),
}

/// A call stopped by [`MemoryBlobStore::pause_next`] (to act while a use case is mid-way, or to
/// abandon it there as a crash would).
#[derive(Debug, Default)]
pub struct Pause {
    reached: tokio::sync::Notify,
    resumed: tokio::sync::Notify,
}

impl Pause {
    /// Waits until a call has stopped at the point.
    pub async fn reached(&self) {
        self.reached.notified().await;
    }

    /// Lets the stopped call go on.
    pub fn resume(&self) {
        self.resumed.notify_one();
    }

    /// What the stopped call does (for other stores' test wrappers): says it got here, then
    /// waits for [`Pause::resume`].
    pub async fn hold(&self) {
        self.reached.notify_one();
        self.resumed.notified().await;
    }
}

impl MemoryBlobStore {
    /// Stops the next call at `point` until [`Pause::resume`].
    pub fn pause_next(&self, point: PausePoint) -> Arc<Pause> {
        let pause = Arc::new(Pause::default());
        *lock(&self.pause) = Some((point, pause.clone()));
        pause
    }

    async fn maybe_pause(&self, at: impl Fn(&PausePoint) -> bool) {
        let pause = {
            let mut slot = lock(&self.pause);
            match slot.as_ref() {
                Some((point, _)) if at(point) => slot.take().map(|(_, pause)| pause),
                _ => None,
            }
        };
        if let Some(pause) = pause {
            pause.hold().await;
        }
    }

    /// Fails the next `count` [`BlobStore::open_read`] calls, as a storage outage would (to
    /// test retry paths).
    pub fn fail_next_reads(&self, count: usize) {
        *lock(&self.read_failures) = count;
    }

    /// What a browser's PUT to a presigned URL does: accepted only before expiry, with exactly
    /// the returned headers and a body of the bound length and SHA-256.
    ///
    /// # Errors
    /// [`BlobError::Rejected`] for an unknown or expired URL or a body that does not match.
    pub fn put_presigned(
        &self,
        presigned: &PresignedPut,
        headers: &BTreeMap<String, String>,
        body: Vec<u8>,
        now: OffsetDateTime,
    ) -> Result<(), BlobError> {
        let mut state = lock(&self.state);
        let (key, integrity, expires) = state
            .presigned
            .get(&presigned.url)
            .cloned()
            .ok_or_else(|| rejected("PUT", &presigned.url, "unknown URL"))?;
        if now >= expires {
            return Err(rejected("PUT", &key, "the URL expired"));
        }
        if headers != &integrity.put_headers() {
            return Err(rejected("PUT", &key, "headers differ from the signed ones"));
        }
        let actual = ObjectIntegrity {
            size: body.len() as u64,
            sha256: Sha256::digest(&body).into(),
        };
        if actual != integrity {
            return Err(rejected(
                "PUT",
                &key,
                "body does not match the signed length and checksum",
            ));
        }
        state.objects.insert(key, body.into());
        Ok(())
    }

    /// What a GET of a presigned download URL does: the object, before expiry only.
    ///
    /// # Errors
    /// [`BlobError::Rejected`] for an unknown or expired URL; [`BlobError::NotFound`] when the
    /// object is gone.
    pub fn get_presigned(&self, url: &str, now: OffsetDateTime) -> Result<Vec<u8>, BlobError> {
        let (key, expires) = lock(&self.state)
            .downloads
            .get(url)
            .cloned()
            .ok_or_else(|| rejected("GET", url, "unknown URL"))?;
        if now >= expires {
            return Err(rejected("GET", &key, "the URL expired"));
        }
        Ok(self.bytes(&key)?.to_vec())
    }

    /// What a PUT to a part URL does; answers the part's ETag.
    ///
    /// # Errors
    /// [`BlobError::Rejected`] for an unknown URL.
    pub fn put_part(&self, url: &str, body: Vec<u8>) -> Result<String, BlobError> {
        let mut state = lock(&self.state);
        let (upload_id, number) = state
            .part_urls
            .get(url)
            .cloned()
            .ok_or_else(|| rejected("PUT part", url, "unknown URL"))?;
        let etag = format!("\"{}\"", hex::encode(Sha256::digest(&body)));
        let upload = state
            .uploads
            .get_mut(&upload_id)
            .ok_or_else(|| rejected("PUT part", url, "the upload was completed or aborted"))?;
        upload.parts.insert(number, (etag.clone(), body));
        Ok(etag)
    }

    /// The bytes of an object.
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        lock(&self.state)
            .objects
            .get(key)
            .map(|bytes| bytes.to_vec())
    }

    fn bytes(&self, key: &str) -> Result<Arc<[u8]>, BlobError> {
        lock(&self.state)
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| BlobError::NotFound {
                key: key.to_owned(),
            })
    }

    fn next_id(&self) -> u64 {
        let mut state = lock(&self.state);
        state.next_id += 1;
        state.next_id
    }
}

fn rejected(operation: &'static str, key: &str, reason: &str) -> BlobError {
    BlobError::Rejected {
        operation,
        key: key.to_owned(),
        reason: reason.to_owned(),
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn open_read(&self, key: &str) -> Result<Box<dyn Read + Send>, BlobError> {
        self.maybe_pause(|point| *point == PausePoint::OpenRead)
            .await;
        {
            let mut failures = lock(&self.read_failures);
            if *failures > 0 {
                *failures -= 1;
                return Err(BlobError::Unavailable {
                    operation: "GET",
                    key: key.to_owned(),
                    message: "connection reset (simulated outage)".to_owned(),
                });
            }
        }
        Ok(Box::new(Cursor::new(self.bytes(key)?)))
    }

    async fn read_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>, BlobError> {
        let bytes = self.bytes(key)?;
        let size = bytes.len() as u64;
        if range.start > range.end || range.start >= size {
            return Err(rejected(
                "ranged GET",
                key,
                &format!("range {range:?} outside {size} bytes"),
            ));
        }
        let end = range.end.min(size);
        let span = usize::try_from(range.start).unwrap_or(usize::MAX)
            ..usize::try_from(end).unwrap_or(usize::MAX);
        Ok(bytes[span].to_vec())
    }

    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.maybe_pause(|point| matches!(point, PausePoint::PutUnder(prefix) if key.starts_with(prefix.as_str())))
            .await;
        lock(&self.state)
            .objects
            .insert(key.to_owned(), bytes.into());
        Ok(())
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), BlobError> {
        let bytes = self.bytes(from)?;
        lock(&self.state).objects.insert(to.to_owned(), bytes);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        lock(&self.state).objects.remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        Ok(lock(&self.state)
            .objects
            .range(prefix.to_owned()..)
            .take_while(|(key, _)| key.starts_with(prefix))
            .map(|(key, _)| key.clone())
            .collect())
    }

    async fn presign_put(
        &self,
        key: &str,
        integrity: ObjectIntegrity,
        expires: OffsetDateTime,
    ) -> Result<PresignedPut, BlobError> {
        let url = format!("memory://blobs/{key}?signature={}", self.next_id());
        lock(&self.state)
            .presigned
            .insert(url.clone(), (key.to_owned(), integrity, expires));
        Ok(PresignedPut {
            method: "PUT".to_owned(),
            url,
            headers: integrity.put_headers(),
            expires: expires.unix_timestamp(),
        })
    }

    async fn presign_get(&self, key: &str, expires: OffsetDateTime) -> Result<String, BlobError> {
        let url = format!("memory://blobs/{key}?download={}", self.next_id());
        lock(&self.state)
            .downloads
            .insert(url.clone(), (key.to_owned(), expires));
        Ok(url)
    }

    async fn start_multipart(
        &self,
        key: &str,
        part_count: u32,
        _expires: OffsetDateTime,
    ) -> Result<MultipartUpload, BlobError> {
        let upload_id = format!("upload-{}", self.next_id());
        let parts: Vec<PartUrl> = (1..=part_count)
            .map(|number| PartUrl {
                number,
                url: format!("memory://blobs/{key}?uploadId={upload_id}&partNumber={number}"),
            })
            .collect();
        let mut state = lock(&self.state);
        for part in &parts {
            state
                .part_urls
                .insert(part.url.clone(), (upload_id.clone(), part.number));
        }
        state.uploads.insert(
            upload_id.clone(),
            PendingMultipart {
                key: key.to_owned(),
                part_count,
                parts: BTreeMap::new(),
            },
        );
        Ok(MultipartUpload { upload_id, parts })
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[CompletedPart],
    ) -> Result<(), BlobError> {
        let mut state = lock(&self.state);
        let upload = state
            .uploads
            .get(upload_id)
            .filter(|upload| upload.key == key)
            .ok_or_else(|| rejected("complete multipart", key, "no such upload"))?;
        if parts.len() != upload.part_count as usize {
            return Err(rejected(
                "complete multipart",
                key,
                "not every part is listed",
            ));
        }
        let mut body = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            let stored = upload
                .parts
                .get(&part.number)
                .filter(|_| part.number as usize == index + 1)
                .filter(|(etag, _)| *etag == part.etag)
                .ok_or_else(|| {
                    rejected(
                        "complete multipart",
                        key,
                        "a part is missing, out of order or has another ETag",
                    )
                })?;
            body.extend_from_slice(&stored.1);
        }
        state.uploads.remove(upload_id);
        state.objects.insert(key.to_owned(), body.into());
        Ok(())
    }

    async fn abort_multipart(&self, _key: &str, upload_id: &str) -> Result<(), BlobError> {
        lock(&self.state).uploads.remove(upload_id);
        Ok(())
    }
}

#[derive(Default)]
struct TableState {
    datasets: HashMap<String, Dataset>,
    samples: HashMap<String, Sample>,
    nonces: HashMap<(String, u64), LoginNonce>,
    batches: HashMap<String, Batch>,
    oracle_values: HashMap<String, OracleValue>,
    account_nonces: HashMap<String, u64>,
    leases: BTreeMap<(LeaseKind, String), Lease>,
}

impl TableState {
    fn check_nonce_claim(&self, claim: &NonceClaim) -> Result<(), TableError> {
        let stored = self.account_nonces.get(&claim.address).copied();
        if stored == claim.expected {
            Ok(())
        } else {
            Err(condition_failed(format!(
                "the nonce counter of {} is {stored:?}, not {:?}",
                claim.address, claim.expected
            )))
        }
    }
}

/// Records in maps, with the real table's conditions.
#[derive(Default)]
pub struct MemoryTable {
    state: Mutex<TableState>,
}

fn condition_failed(what: String) -> TableError {
    TableError::ConditionFailed { what }
}

/// Inserts `value` under `id` unless a record is there (DynamoDB's `attribute_not_exists`).
fn insert_new<T: Clone>(
    records: &mut HashMap<String, T>,
    id: &str,
    value: &T,
    what: &str,
) -> Result<(), TableError> {
    if records.contains_key(id) {
        return Err(condition_failed(format!("{what} {id} exists")));
    }
    records.insert(id.to_owned(), value.clone());
    Ok(())
}

/// Cursor = `created_at unix nanoseconds` `:` `dataset_id` of the last dataset returned.
fn dataset_cursor(dataset: &Dataset) -> String {
    format!(
        "{}:{}",
        dataset.created_at.unix_timestamp_nanos(),
        dataset.dataset_id
    )
}

#[async_trait]
impl Table for MemoryTable {
    async fn create_dataset(&self, dataset: &Dataset) -> Result<(), TableError> {
        insert_new(
            &mut lock(&self.state).datasets,
            &dataset.dataset_id,
            dataset,
            "dataset",
        )
    }

    async fn get_dataset(&self, dataset_id: &str) -> Result<Option<Dataset>, TableError> {
        Ok(lock(&self.state).datasets.get(dataset_id).cloned())
    }

    async fn update_dataset(
        &self,
        dataset: &Dataset,
        expected: DatasetState,
    ) -> Result<(), TableError> {
        let mut state = lock(&self.state);
        match state.datasets.get_mut(&dataset.dataset_id) {
            Some(stored) if DatasetState::of(stored) == expected => {
                *stored = dataset.clone();
                Ok(())
            }
            other => Err(condition_failed(format!(
                "dataset {} is {:?}, not {expected:?}",
                dataset.dataset_id,
                other.map(|stored| DatasetState::of(stored))
            ))),
        }
    }

    async fn delete_dataset(&self, dataset_id: &str) -> Result<(), TableError> {
        lock(&self.state).datasets.remove(dataset_id);
        Ok(())
    }

    async fn list_datasets(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<DatasetPage, TableError> {
        let state = lock(&self.state);
        let mut owned: Vec<&Dataset> = state
            .datasets
            .values()
            .filter(|dataset| dataset.owner == owner)
            .collect();
        owned.sort_by(|a, b| (b.created_at, &b.dataset_id).cmp(&(a.created_at, &a.dataset_id)));
        let start = match cursor {
            Some(cursor) => {
                owned
                    .iter()
                    .position(|dataset| dataset_cursor(dataset) == cursor)
                    .ok_or_else(|| TableError::Corrupt {
                        what: "list cursor".to_owned(),
                        message: format!("{cursor:?} does not name a dataset of {owner}"),
                    })?
                    + 1
            }
            None => 0,
        };
        let datasets: Vec<Dataset> = owned
            .iter()
            .skip(start)
            .take(limit)
            .map(|d| (*d).clone())
            .collect();
        let next = (start + datasets.len() < owned.len())
            .then(|| datasets.last().map(dataset_cursor))
            .flatten();
        Ok(DatasetPage { datasets, next })
    }

    async fn create_sample(&self, sample: &Sample) -> Result<(), TableError> {
        insert_new(
            &mut lock(&self.state).samples,
            &sample.sample_id,
            sample,
            "sample",
        )
    }

    async fn get_sample(&self, sample_id: &str) -> Result<Option<Sample>, TableError> {
        Ok(lock(&self.state).samples.get(sample_id).cloned())
    }

    async fn update_sample(
        &self,
        sample: &Sample,
        expected: SampleStatus,
    ) -> Result<(), TableError> {
        let mut state = lock(&self.state);
        match state.samples.get_mut(&sample.sample_id) {
            Some(stored) if stored.status == expected => {
                *stored = sample.clone();
                Ok(())
            }
            _ => Err(condition_failed(format!(
                "sample {} is not {expected:?}",
                sample.sample_id
            ))),
        }
    }

    async fn account_nonce(&self, address: &str) -> Result<Option<u64>, TableError> {
        Ok(lock(&self.state).account_nonces.get(address).copied())
    }

    async fn create_batch(&self, batch: &Batch, claim: &NonceClaim) -> Result<(), TableError> {
        let mut state = lock(&self.state);
        if state.batches.contains_key(&batch.batch_id) {
            return Err(condition_failed(format!("batch {} exists", batch.batch_id)));
        }
        state.check_nonce_claim(claim)?;
        state
            .account_nonces
            .insert(claim.address.clone(), claim.next);
        state.batches.insert(batch.batch_id.clone(), batch.clone());
        Ok(())
    }

    async fn get_batch(&self, batch_id: &str) -> Result<Option<Batch>, TableError> {
        Ok(lock(&self.state).batches.get(batch_id).cloned())
    }

    async fn update_batch(
        &self,
        batch: &Batch,
        expected_revision: u64,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError> {
        let mut state = lock(&self.state);
        match state.batches.get(&batch.batch_id) {
            Some(stored) if stored.revision == expected_revision => {}
            _ => {
                return Err(condition_failed(format!(
                    "batch {} is not at revision {expected_revision}",
                    batch.batch_id
                )));
            }
        }
        if let Some(claim) = claim {
            state.check_nonce_claim(claim)?;
            state
                .account_nonces
                .insert(claim.address.clone(), claim.next);
        }
        state.batches.insert(batch.batch_id.clone(), batch.clone());
        Ok(())
    }

    async fn open_batches(&self) -> Result<Vec<Batch>, TableError> {
        let mut open: Vec<Batch> = lock(&self.state)
            .batches
            .values()
            .filter(|b| b.status.is_open())
            .cloned()
            .collect();
        open.sort_by(|a, b| (a.created_at, &a.batch_id).cmp(&(b.created_at, &b.batch_id)));
        Ok(open)
    }

    async fn get_oracle_value(&self, key: &str) -> Result<Option<OracleValue>, TableError> {
        Ok(lock(&self.state).oracle_values.get(key).cloned())
    }

    async fn write_oracle_value(
        &self,
        value: &OracleValue,
        expected_revision: Option<u64>,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError> {
        let mut state = lock(&self.state);
        let stored = state.oracle_values.get(&value.key).map(|v| v.revision);
        if stored != expected_revision {
            return Err(condition_failed(format!(
                "oracle value {} is at revision {stored:?}, not {expected_revision:?}",
                value.key
            )));
        }
        if let Some(claim) = claim {
            state.check_nonce_claim(claim)?;
            state
                .account_nonces
                .insert(claim.address.clone(), claim.next);
        }
        state.oracle_values.insert(value.key.clone(), value.clone());
        Ok(())
    }

    async fn open_oracle_values(&self) -> Result<Vec<OracleValue>, TableError> {
        let mut open: Vec<OracleValue> = lock(&self.state)
            .oracle_values
            .values()
            .filter(|v| v.status.is_open())
            .cloned()
            .collect();
        open.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
        Ok(open)
    }

    async fn claim_nonce(&self, nonce: &LoginNonce, now: OffsetDateTime) -> Result<(), TableError> {
        let mut state = lock(&self.state);
        let id = (nonce.address.clone(), nonce.nonce);
        if let Some(used) = state.nonces.get(&id)
            && used.expires_at > now.unix_timestamp()
        {
            return Err(condition_failed(format!(
                "nonce {} of {} was used",
                nonce.nonce, nonce.address
            )));
        }
        state.nonces.insert(id, nonce.clone());
        Ok(())
    }

    async fn delete_sample(&self, sample_id: &str) -> Result<(), TableError> {
        lock(&self.state).samples.remove(sample_id);
        Ok(())
    }

    async fn put_lease(&self, lease: &Lease) -> Result<(), TableError> {
        lock(&self.state)
            .leases
            .insert((lease.kind, lease.id.clone()), lease.clone());
        Ok(())
    }

    async fn get_lease(&self, kind: LeaseKind, id: &str) -> Result<Option<Lease>, TableError> {
        Ok(lock(&self.state)
            .leases
            .get(&(kind, id.to_owned()))
            .cloned())
    }

    async fn delete_lease(&self, kind: LeaseKind, id: &str) -> Result<(), TableError> {
        lock(&self.state).leases.remove(&(kind, id.to_owned()));
        Ok(())
    }

    async fn expired_leases(
        &self,
        at: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Lease>, TableError> {
        let mut expired: Vec<Lease> = lock(&self.state)
            .leases
            .values()
            .filter(|lease| lease.expires_at <= at)
            .cloned()
            .collect();
        expired.sort_by(|a, b| (a.expires_at, a.kind, &a.id).cmp(&(b.expires_at, b.kind, &b.id)));
        expired.truncate(limit);
        Ok(expired)
    }
}

/// Sent messages in a list.
#[derive(Default)]
pub struct MemoryQueue {
    sent: Mutex<Vec<Message>>,
    refusals: Mutex<usize>,
}

impl MemoryQueue {
    /// Every message sent so far, in order.
    pub fn sent(&self) -> Vec<Message> {
        lock(&self.sent).clone()
    }

    /// Refuses the next `count` sends, as an SQS outage would (to test retry paths).
    pub fn refuse_next(&self, count: usize) {
        *lock(&self.refusals) = count;
    }
}

#[async_trait]
impl Queue for MemoryQueue {
    async fn send(&self, message: &Message) -> Result<(), QueueError> {
        {
            let mut refusals = lock(&self.refusals);
            if *refusals > 0 {
                *refusals -= 1;
                return Err(QueueError {
                    queue: message.queue(),
                    message: "refused (simulated outage)".to_owned(),
                });
            }
        }
        lock(&self.sent).push(message.clone());
        Ok(())
    }
}

/// A Stacks node in memory: a mempool that checks signatures and nonces like a node, and
/// blocks mined when the test says so. `anchor-batch` calls answer `(ok batch-id)` from `u1`,
/// other calls `(ok true)`. Read-only calls answer what the test set
/// ([`MemoryChain::answer_read_only`], [`MemoryChain::answer_function`]) and are counted.
#[derive(Default)]
pub struct MemoryChain {
    state: Mutex<ChainState>,
}

#[derive(Default)]
struct ChainState {
    /// Next nonce per sender, of mined transactions.
    nonces: HashMap<String, u64>,
    transactions: HashMap<[u8; 32], (Transaction, TxStatus)>,
    rejections: Vec<BroadcastRejection>,
    unavailable: bool,
    abort_next_block: bool,
    height: u64,
    batches: u128,
    read_only: HashMap<String, ClarityValue>,
    /// Answers by `contract::function`, for calls without an exact answer.
    read_only_functions: HashMap<String, ClarityValue>,
    read_only_calls: usize,
}

fn read_only_key(call: &ContractCall) -> String {
    let args: Vec<String> = call.args.iter().map(ClarityValue::to_hex).collect();
    format!(
        "{}::{}({})",
        call.contract_id(),
        call.function_name.as_str(),
        args.join(",")
    )
}

impl MemoryChain {
    /// Every transaction accepted so far, in no particular order, with its status.
    pub fn transactions(&self) -> Vec<(Transaction, TxStatus)> {
        lock(&self.state).transactions.values().cloned().collect()
    }

    /// Answers this read-only call (same contract, function and arguments) with `value`.
    pub fn answer_read_only(&self, call: &ContractCall, value: ClarityValue) {
        lock(&self.state)
            .read_only
            .insert(read_only_key(call), value);
    }

    /// Answers every call of `contract_id.function` that has no exact answer
    /// ([`MemoryChain::answer_read_only`]) with `value`.
    pub fn answer_function(&self, contract_id: &str, function: &str, value: ClarityValue) {
        lock(&self.state)
            .read_only_functions
            .insert(format!("{contract_id}::{function}"), value);
    }

    /// How many read-only calls were made so far, failed ones included.
    pub fn read_only_calls(&self) -> usize {
        lock(&self.state).read_only_calls
    }

    /// Refuses the next broadcasts with these answers, in order.
    pub fn reject_next(&self, rejections: Vec<BroadcastRejection>) {
        lock(&self.state).rejections = rejections;
    }

    /// Makes every call fail as an unreachable node would, or work again.
    pub fn set_unavailable(&self, unavailable: bool) {
        lock(&self.state).unavailable = unavailable;
    }

    /// The transactions of the next block abort with `(err u200)`.
    pub fn abort_next_block(&self) {
        lock(&self.state).abort_next_block = true;
    }

    /// Forgets a pending transaction, as a mempool eviction would.
    pub fn drop_pending(&self, txid: &[u8; 32]) {
        if let Some((_, status)) = lock(&self.state).transactions.get_mut(txid)
            && *status == TxStatus::Pending
        {
            *status = TxStatus::Dropped(DropReason::StaleGarbageCollect);
        }
    }

    /// Mines one block: every pending transaction whose nonce is its sender's next, in nonce
    /// order. Answers how many were mined.
    pub fn mine(&self) -> usize {
        let mut state = lock(&self.state);
        state.height += 1;
        let height = state.height;
        let abort = std::mem::take(&mut state.abort_next_block);
        let mut mined = 0;
        loop {
            let next = state.transactions.iter().find_map(|(txid, (tx, status))| {
                let sender = tx.sender().to_string();
                let expected = state.nonces.get(&sender).copied().unwrap_or(0);
                (*status == TxStatus::Pending && tx.auth.nonce == expected)
                    .then(|| (*txid, sender, tx.payload.clone()))
            });
            let Some((txid, sender, payload)) = next else {
                break;
            };
            *state.nonces.entry(sender).or_insert(0) += 1;
            let status = if abort {
                TxStatus::AbortByResponse {
                    block_height: Some(height),
                    result: Some(ClarityValue::err(ClarityValue::UInt(200))),
                }
            } else {
                let result = match payload {
                    Payload::ContractCall(call)
                        if call.function_name.as_str() == "anchor-batch" =>
                    {
                        state.batches += 1;
                        ClarityValue::UInt(state.batches)
                    }
                    _ => ClarityValue::Bool(true),
                };
                TxStatus::Success {
                    block_height: Some(height),
                    result: Some(ClarityValue::ok(result)),
                }
            };
            if let Some(entry) = state.transactions.get_mut(&txid) {
                entry.1 = status;
            }
            mined += 1;
        }
        mined
    }

    fn available(state: &ChainState) -> Result<(), ChainError> {
        if state.unavailable {
            Err(ChainError::Unavailable(
                "connection refused (simulated outage)".to_owned(),
            ))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Chain for MemoryChain {
    async fn account_nonce(&self, address: &StacksAddress) -> Result<u64, ChainError> {
        let state = lock(&self.state);
        Self::available(&state)?;
        Ok(state.nonces.get(&address.to_string()).copied().unwrap_or(0))
    }

    async fn broadcast(&self, transaction: &Transaction) -> Result<[u8; 32], ChainError> {
        let mut state = lock(&self.state);
        Self::available(&state)?;
        if !state.rejections.is_empty() {
            return Err(ChainError::Rejected(state.rejections.remove(0)));
        }
        if let Err(error) = transaction.verify_signature() {
            return Err(ChainError::Rejected(
                BroadcastRejection::SignatureValidation {
                    message: error.to_string(),
                },
            ));
        }
        let txid = transaction.txid();
        if matches!(state.transactions.get(&txid), Some((_, TxStatus::Pending))) {
            return Ok(txid);
        }
        let sender = transaction.sender().to_string();
        let expected = state.nonces.get(&sender).copied().unwrap_or(0);
        let nonce = transaction.auth.nonce;
        if nonce < expected {
            return Err(ChainError::Rejected(BroadcastRejection::BadNonce {
                expected,
                actual: nonce,
            }));
        }
        let conflict = state.transactions.values().any(|(tx, status)| {
            *status == TxStatus::Pending
                && tx.auth.nonce == nonce
                && tx.sender().to_string() == sender
        });
        if conflict {
            return Err(ChainError::Rejected(
                BroadcastRejection::ConflictingNonceInMempool,
            ));
        }
        state
            .transactions
            .insert(txid, (transaction.clone(), TxStatus::Pending));
        Ok(txid)
    }

    async fn transaction_status(&self, txid: &[u8; 32]) -> Result<TxStatus, ChainError> {
        let state = lock(&self.state);
        Self::available(&state)?;
        Ok(state
            .transactions
            .get(txid)
            .map_or(TxStatus::NotFound, |(_, status)| status.clone()))
    }

    async fn call_read_only(
        &self,
        call: &ContractCall,
        _sender: &Principal,
    ) -> Result<ClarityValue, ChainError> {
        let mut state = lock(&self.state);
        state.read_only_calls += 1;
        Self::available(&state)?;
        let function = format!("{}::{}", call.contract_id(), call.function_name.as_str());
        state
            .read_only
            .get(&read_only_key(call))
            .or_else(|| state.read_only_functions.get(&function))
            .cloned()
            .ok_or_else(|| {
                ChainError::ReadOnly(format!("no answer set for {}", read_only_key(call)))
            })
    }
}

/// Canned HTTP answers by URL; an unknown URL is a connection failure. Records what was asked.
#[derive(Default)]
pub struct MemoryFetcher {
    answers: Mutex<HashMap<String, FetchResponse>>,
    requests: Mutex<Vec<String>>,
}

impl MemoryFetcher {
    /// Answers `url` with `status` and `body` from now on.
    pub fn answer(&self, url: &str, status: u16, body: impl Into<Vec<u8>>) {
        lock(&self.answers).insert(
            url.to_owned(),
            FetchResponse {
                status,
                body: body.into(),
            },
        );
    }

    /// Every URL fetched so far, in order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.requests).clone()
    }
}

#[async_trait]
impl HttpFetcher for MemoryFetcher {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        lock(&self.requests).push(url.to_owned());
        lock(&self.answers)
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError {
                url: url.to_owned(),
                message: "connection refused (no canned answer)".to_owned(),
            })
    }
}

/// A clock that moves only when told.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: time::Duration) {
        *lock(&self.now) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *lock(&self.now)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap()
    }

    #[tokio::test]
    async fn a_nonce_is_refused_while_its_record_lives() {
        let table = MemoryTable::default();
        let nonce = LoginNonce {
            address: "SP1".into(),
            nonce: 5,
            expires_at: 1_000,
        };
        table.claim_nonce(&nonce, at(900)).await.unwrap();
        assert!(matches!(
            table.claim_nonce(&nonce, at(999)).await,
            Err(TableError::ConditionFailed { .. })
        ));
        let other_address = LoginNonce {
            address: "SP2".into(),
            ..nonce.clone()
        };
        table.claim_nonce(&other_address, at(999)).await.unwrap();
        // Past its expiry the record counts as gone (a DynamoDB TTL deletes it lazily).
        table.claim_nonce(&nonce, at(1_000)).await.unwrap();
    }

    #[tokio::test]
    async fn sample_writes_are_conditional_on_the_status() {
        let table = MemoryTable::default();
        let mut sample = Sample {
            sample_id: "s".into(),
            owner: "SP1".into(),
            sample_name: None,
            dataset_ids: vec!["d".into()],
            status: SampleStatus::Waiting,
            error: None,
            analysis: None,
            anchor: None,
            created_at: at(0),
            updated_at: at(0),
        };
        table.create_sample(&sample).await.unwrap();
        assert!(table.create_sample(&sample).await.is_err());
        sample.status = SampleStatus::AnalysisRequested;
        table
            .update_sample(&sample, SampleStatus::Waiting)
            .await
            .unwrap();
        assert!(matches!(
            table.update_sample(&sample, SampleStatus::Waiting).await,
            Err(TableError::ConditionFailed { .. })
        ));
    }

    #[tokio::test]
    async fn ranges_are_clamped_to_the_object_and_refused_beyond_it() {
        let store = MemoryBlobStore::default();
        store.put("k", b"0123456789".to_vec()).await.unwrap();
        assert_eq!(store.read_range("k", 8..100).await.unwrap(), b"89");
        assert!(matches!(
            store.read_range("k", 10..12).await,
            Err(BlobError::Rejected { .. })
        ));
        assert!(matches!(
            store.read_range("missing", 0..1).await,
            Err(BlobError::NotFound { .. })
        ));
    }

    #[tokio::test]
    async fn an_unknown_list_cursor_is_an_error() {
        let table = MemoryTable::default();
        assert!(matches!(
            table.list_datasets("SP1", 10, Some("nope")).await,
            Err(TableError::Corrupt { .. })
        ));
    }
}
