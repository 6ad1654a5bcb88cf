//! [`Table`] on maps, with the real table's conditional writes.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
};

use async_trait::async_trait;
use genoflow_core::{
    lifecycle::SampleStatus,
    model::{Batch, Dataset, Lease, LeaseKind, LoginNonce, OracleValue, Sample},
    ports::{
        DatasetPage, DatasetState, Listed, NonceClaim, PageCursor, SamplePage, Table, TableError,
    },
};
use time::OffsetDateTime;

use super::lock;

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
    /// Moves the claim's nonce counter from `expected` to `next`, or fails the condition and
    /// changes nothing.
    fn take_nonce_claim(&mut self, claim: &NonceClaim) -> Result<(), TableError> {
        let stored = self.account_nonces.get(&claim.address).copied();
        if stored == claim.expected {
            self.account_nonces
                .insert(claim.address.clone(), claim.next);
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

/// The page of an owner's records (`owned`) after `cursor`, newest first by (created_at, id),
/// and the cursor of the next page: keyset paging, as the other adapters.
fn page<'a, T: Listed + Clone + 'a>(
    owned: impl Iterator<Item = &'a T>,
    limit: usize,
    cursor: Option<&str>,
) -> Result<(Vec<T>, Option<String>), TableError> {
    let after = cursor.map(PageCursor::parse).transpose()?;
    let mut owned: Vec<&T> = owned
        .filter(|item| {
            let (created_at, id) = item.list_key();
            after
                .as_ref()
                .is_none_or(|after| after.is_after(created_at, id))
        })
        .collect();
    owned.sort_by(|a, b| b.list_key().cmp(&a.list_key()));
    // One more than asked tells whether there is a next page.
    let mut page: Vec<T> = owned
        .into_iter()
        .take(limit.saturating_add(1))
        .cloned()
        .collect();
    let next = PageCursor::next_page(&mut page, limit);
    Ok((page, next))
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
        let owned = state
            .datasets
            .values()
            .filter(|dataset| dataset.owner == owner);
        let (datasets, next) = page(owned, limit, cursor)?;
        Ok(DatasetPage { datasets, next })
    }

    async fn list_samples(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<SamplePage, TableError> {
        let state = lock(&self.state);
        let owned = state
            .samples
            .values()
            .filter(|sample| sample.owner == owner);
        let (samples, next) = page(owned, limit, cursor)?;
        Ok(SamplePage { samples, next })
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
        state.take_nonce_claim(claim)?;
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
            state.take_nonce_claim(claim)?;
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
            state.take_nonce_claim(claim)?;
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
