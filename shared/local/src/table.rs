//! [`Table`] on SQLite: records as JSON text, with the columns the conditions and listings need.

use std::path::Path;

use async_trait::async_trait;
use genoflow_core::{
    lifecycle::SampleStatus,
    model::{Batch, Dataset, Lease, LeaseKind, LoginNonce, OracleValue, Sample},
    ports::{
        DatasetPage, DatasetState, Listed, NonceClaim, PageCursor, SamplePage, Table, TableError,
    },
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::{Serialize, de::DeserializeOwned};
use time::OffsetDateTime;

use crate::database::{Database, OpenError, nanos};

/// The records in `{data_dir}/genoflow.sqlite3`.
///
/// Every conditional write is one `BEGIN IMMEDIATE` transaction that reads the stored record,
/// checks the condition exactly as `genoflow_testkit::memory::MemoryTable` does and writes: two
/// processes or tasks racing for the same step see one succeed and the other get
/// [`TableError::ConditionFailed`].
///
/// ```
/// use genoflow_core::ports::Table;
/// use genoflow_local::SqliteTable;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let data_dir = tempfile::tempdir()?;
/// let table = SqliteTable::open(data_dir.path())?;
/// assert_eq!(table.get_dataset("d1").await?, None);
/// assert_eq!(table.account_nonce("SP1").await?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(()) })
/// # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SqliteTable {
    database: Database,
}

impl SqliteTable {
    /// Opens (or creates) the database of `data_dir`.
    ///
    /// # Errors
    /// [`OpenError`] when the directory or the database cannot be opened.
    pub fn open(data_dir: &Path) -> Result<Self, OpenError> {
        Ok(Self {
            database: Database::open(data_dir)?,
        })
    }

    /// Runs `work` in one immediate (write-locking) transaction, committed if it succeeds.
    async fn write<T, F>(&self, operation: &'static str, work: F) -> Result<T, TableError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, TableError> + Send + 'static,
    {
        self.database
            .run(move |connection: &mut Connection| {
                let transaction = connection
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(|e| unavailable(operation, &e))?;
                let answer = work(&transaction)?;
                transaction
                    .commit()
                    .map_err(|e| unavailable(operation, &e))?;
                Ok(answer)
            })
            .await
            .map_err(|interrupted| TableError::Unavailable {
                operation,
                message: interrupted.0,
            })?
    }

    /// Runs a read on the connection.
    async fn read<T, F>(&self, operation: &'static str, work: F) -> Result<T, TableError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, TableError> + Send + 'static,
    {
        self.database
            .run(move |connection: &mut Connection| work(connection))
            .await
            .map_err(|interrupted| TableError::Unavailable {
                operation,
                message: interrupted.0,
            })?
    }

    /// A page of an owner's records of `listing`, newest first, and the cursor of the next.
    async fn list<T>(
        &self,
        listing: &'static Listing,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<T>, Option<String>), TableError>
    where
        T: DeserializeOwned + Listed + Send + 'static,
    {
        // Keyset paging: the page after the cursor's (created_at, id), newest first. One more
        // row than asked tells whether there is a next page.
        let (before_nanos, before_id) = match cursor.map(PageCursor::parse).transpose()? {
            Some(after) => (created_nanos(after.created_at, "list cursor")?, after.id),
            None => (i64::MAX, String::new()),
        };
        let unbounded = cursor.is_none();
        let owner = owner.to_owned();
        let fetch = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
        let Listing {
            table,
            id_column,
            operation,
            record,
        } = *listing;
        let mut records: Vec<T> = self
            .read(operation, move |connection| {
                // The table and column names are the constants of a `Listing` (never user
                // input), so they may be written into the SQL; the values are parameters.
                let sql = format!(
                    "SELECT record FROM {table} WHERE owner = ?1
                       AND (?2 OR created_nanos < ?3 OR (created_nanos = ?3 AND {id_column} < ?4))
                     ORDER BY created_nanos DESC, {id_column} DESC LIMIT ?5"
                );
                let mut statement = connection
                    .prepare(&sql)
                    .map_err(|e| unavailable(operation, &e))?;
                let rows = statement
                    .query_map(
                        params![owner, unbounded, before_nanos, before_id, fetch],
                        |row| row.get::<_, String>(0),
                    )
                    .map_err(|e| unavailable(operation, &e))?;
                let mut records = Vec::new();
                for json in rows {
                    let json = json.map_err(|e| unavailable(operation, &e))?;
                    records.push(parse(&json, &format!("a {record} of {owner}"))?);
                }
                Ok(records)
            })
            .await?;
        let next = PageCursor::next_page(&mut records, limit);
        Ok((records, next))
    }
}

/// A table listed by owner, newest first (`created_nanos`, then the id column, descending).
struct Listing {
    /// The table.
    table: &'static str,
    /// Its id column.
    id_column: &'static str,
    /// The operation named in errors.
    operation: &'static str,
    /// What one record is, for errors.
    record: &'static str,
}

const DATASETS: Listing = Listing {
    table: "datasets",
    id_column: "dataset_id",
    operation: "list datasets",
    record: "dataset",
};

const SAMPLES: Listing = Listing {
    table: "samples",
    id_column: "sample_id",
    operation: "list samples",
    record: "sample",
};

fn unavailable(operation: &'static str, error: &rusqlite::Error) -> TableError {
    TableError::Unavailable {
        operation,
        message: error.to_string(),
    }
}

fn condition_failed(what: String) -> TableError {
    TableError::ConditionFailed { what }
}

fn to_json<T: Serialize>(record: &T, what: &str) -> Result<String, TableError> {
    serde_json::to_string(record).map_err(|e| TableError::Corrupt {
        what: what.to_owned(),
        message: e.to_string(),
    })
}

fn created_nanos(at: OffsetDateTime, what: &str) -> Result<i64, TableError> {
    nanos(at).ok_or_else(|| TableError::Corrupt {
        what: what.to_owned(),
        message: format!("created_at {at} is outside the years 1677 to 2262"),
    })
}

/// The record `sql` selects with `key`, parsed.
fn select_one<T: DeserializeOwned>(
    connection: &Connection,
    operation: &'static str,
    sql: &str,
    key: &str,
    what: &str,
) -> Result<Option<T>, TableError> {
    let json: Option<String> = connection
        .query_row(sql, [key], |row| row.get(0))
        .optional()
        .map_err(|e| unavailable(operation, &e))?;
    json.map(|json| parse(&json, what)).transpose()
}

/// Every record `sql` selects (no parameters), parsed.
fn select_all<T: DeserializeOwned>(
    connection: &Connection,
    operation: &'static str,
    sql: &str,
    what: &str,
) -> Result<Vec<T>, TableError> {
    let mut statement = connection
        .prepare(sql)
        .map_err(|e| unavailable(operation, &e))?;
    let rows = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(|e| unavailable(operation, &e))?;
    let mut records = Vec::new();
    for json in rows {
        records.push(parse(&json.map_err(|e| unavailable(operation, &e))?, what)?);
    }
    Ok(records)
}

fn parse<T: DeserializeOwned>(json: &str, what: &str) -> Result<T, TableError> {
    serde_json::from_str(json).map_err(|e| TableError::Corrupt {
        what: what.to_owned(),
        message: e.to_string(),
    })
}

const GET_DATASET: &str = "SELECT record FROM datasets WHERE dataset_id = ?1";
const GET_SAMPLE: &str = "SELECT record FROM samples WHERE sample_id = ?1";
const GET_BATCH: &str = "SELECT record FROM batches WHERE batch_id = ?1";
const GET_ORACLE_VALUE: &str = "SELECT record FROM oracle_values WHERE key = ?1";

/// The counter of `address`, as stored.
fn read_account_nonce(
    connection: &Connection,
    operation: &'static str,
    address: &str,
) -> Result<Option<u64>, TableError> {
    let stored: Option<String> = connection
        .query_row(
            "SELECT next FROM account_nonces WHERE address = ?1",
            [address],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| unavailable(operation, &e))?;
    stored
        .map(|next| {
            next.parse().map_err(|_| TableError::Corrupt {
                what: format!("the nonce counter of {address}"),
                message: format!("{next:?} is not a number"),
            })
        })
        .transpose()
}

/// Checks that the counter is where `claim` read it and moves it.
fn move_account_nonce(
    transaction: &Transaction<'_>,
    operation: &'static str,
    claim: &NonceClaim,
) -> Result<(), TableError> {
    let stored = read_account_nonce(transaction, operation, &claim.address)?;
    if stored != claim.expected {
        return Err(condition_failed(format!(
            "the nonce counter of {} is {stored:?}, not {:?}",
            claim.address, claim.expected
        )));
    }
    transaction
        .execute(
            "INSERT INTO account_nonces (address, next) VALUES (?1, ?2)
             ON CONFLICT (address) DO UPDATE SET next = excluded.next",
            params![claim.address, claim.next.to_string()],
        )
        .map_err(|e| unavailable(operation, &e))?;
    Ok(())
}

fn put_batch(
    transaction: &Transaction<'_>,
    operation: &'static str,
    batch: &Batch,
) -> Result<(), TableError> {
    let what = format!("batch {}", batch.batch_id);
    transaction
        .execute(
            "INSERT OR REPLACE INTO batches (batch_id, open, created_nanos, record)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                batch.batch_id,
                batch.status.is_open(),
                created_nanos(batch.created_at, &what)?,
                to_json(batch, &what)?
            ],
        )
        .map_err(|e| unavailable(operation, &e))?;
    Ok(())
}

#[async_trait]
impl Table for SqliteTable {
    async fn create_dataset(&self, dataset: &Dataset) -> Result<(), TableError> {
        let dataset = dataset.clone();
        self.write("create dataset", move |transaction| {
            let what = format!("dataset {}", dataset.dataset_id);
            let inserted = transaction
                .execute(
                    "INSERT INTO datasets (dataset_id, owner, created_nanos, record)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (dataset_id) DO NOTHING",
                    params![
                        dataset.dataset_id,
                        dataset.owner,
                        created_nanos(dataset.created_at, &what)?,
                        to_json(&dataset, &what)?
                    ],
                )
                .map_err(|e| unavailable("create dataset", &e))?;
            if inserted == 0 {
                return Err(condition_failed(format!("{what} exists")));
            }
            Ok(())
        })
        .await
    }

    async fn get_dataset(&self, dataset_id: &str) -> Result<Option<Dataset>, TableError> {
        let dataset_id = dataset_id.to_owned();
        self.read("get dataset", move |connection| {
            let what = format!("dataset {dataset_id}");
            select_one(connection, "get dataset", GET_DATASET, &dataset_id, &what)
        })
        .await
    }

    async fn update_dataset(
        &self,
        dataset: &Dataset,
        expected: DatasetState,
    ) -> Result<(), TableError> {
        let dataset = dataset.clone();
        self.write("update dataset", move |transaction| {
            let what = format!("dataset {}", dataset.dataset_id);
            let stored: Option<Dataset> = select_one(
                transaction,
                "update dataset",
                GET_DATASET,
                &dataset.dataset_id,
                &what,
            )?;
            let stored = stored.as_ref().map(DatasetState::of);
            if stored != Some(expected) {
                return Err(condition_failed(format!(
                    "{what} is {stored:?}, not {expected:?}"
                )));
            }
            transaction
                .execute(
                    "UPDATE datasets SET owner = ?2, created_nanos = ?3, record = ?4
                     WHERE dataset_id = ?1",
                    params![
                        dataset.dataset_id,
                        dataset.owner,
                        created_nanos(dataset.created_at, &what)?,
                        to_json(&dataset, &what)?
                    ],
                )
                .map_err(|e| unavailable("update dataset", &e))?;
            Ok(())
        })
        .await
    }

    async fn delete_dataset(&self, dataset_id: &str) -> Result<(), TableError> {
        let dataset_id = dataset_id.to_owned();
        self.write("delete dataset", move |transaction| {
            transaction
                .execute("DELETE FROM datasets WHERE dataset_id = ?1", [dataset_id])
                .map_err(|e| unavailable("delete dataset", &e))?;
            Ok(())
        })
        .await
    }

    async fn list_datasets(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<DatasetPage, TableError> {
        let (datasets, next) = self.list(&DATASETS, owner, limit, cursor).await?;
        Ok(DatasetPage { datasets, next })
    }

    async fn list_samples(
        &self,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<SamplePage, TableError> {
        let (samples, next) = self.list(&SAMPLES, owner, limit, cursor).await?;
        Ok(SamplePage { samples, next })
    }

    async fn create_sample(&self, sample: &Sample) -> Result<(), TableError> {
        let sample = sample.clone();
        self.write("create sample", move |transaction| {
            let what = format!("sample {}", sample.sample_id);
            let inserted = transaction
                .execute(
                    "INSERT INTO samples (sample_id, record, owner, created_nanos)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (sample_id) DO NOTHING",
                    params![
                        sample.sample_id,
                        to_json(&sample, &what)?,
                        sample.owner,
                        created_nanos(sample.created_at, &what)?
                    ],
                )
                .map_err(|e| unavailable("create sample", &e))?;
            if inserted == 0 {
                return Err(condition_failed(format!("{what} exists")));
            }
            Ok(())
        })
        .await
    }

    async fn get_sample(&self, sample_id: &str) -> Result<Option<Sample>, TableError> {
        let sample_id = sample_id.to_owned();
        self.read("get sample", move |connection| {
            let what = format!("sample {sample_id}");
            select_one(connection, "get sample", GET_SAMPLE, &sample_id, &what)
        })
        .await
    }

    async fn update_sample(
        &self,
        sample: &Sample,
        expected: SampleStatus,
    ) -> Result<(), TableError> {
        let sample = sample.clone();
        self.write("update sample", move |transaction| {
            let what = format!("sample {}", sample.sample_id);
            let stored: Option<Sample> = select_one(
                transaction,
                "update sample",
                GET_SAMPLE,
                &sample.sample_id,
                &what,
            )?;
            if stored.map(|stored| stored.status) != Some(expected) {
                return Err(condition_failed(format!("{what} is not {expected:?}")));
            }
            transaction
                .execute(
                    "UPDATE samples SET record = ?2, owner = ?3, created_nanos = ?4
                     WHERE sample_id = ?1",
                    params![
                        sample.sample_id,
                        to_json(&sample, &what)?,
                        sample.owner,
                        created_nanos(sample.created_at, &what)?
                    ],
                )
                .map_err(|e| unavailable("update sample", &e))?;
            Ok(())
        })
        .await
    }

    async fn account_nonce(&self, address: &str) -> Result<Option<u64>, TableError> {
        let address = address.to_owned();
        self.read("account nonce", move |connection| {
            read_account_nonce(connection, "account nonce", &address)
        })
        .await
    }

    async fn create_batch(&self, batch: &Batch, claim: &NonceClaim) -> Result<(), TableError> {
        let (batch, claim) = (batch.clone(), claim.clone());
        self.write("create batch", move |transaction| {
            let what = format!("batch {}", batch.batch_id);
            let stored: Option<Batch> = select_one(
                transaction,
                "create batch",
                GET_BATCH,
                &batch.batch_id,
                &what,
            )?;
            if stored.is_some() {
                return Err(condition_failed(format!("{what} exists")));
            }
            move_account_nonce(transaction, "create batch", &claim)?;
            put_batch(transaction, "create batch", &batch)
        })
        .await
    }

    async fn get_batch(&self, batch_id: &str) -> Result<Option<Batch>, TableError> {
        let batch_id = batch_id.to_owned();
        self.read("get batch", move |connection| {
            let what = format!("batch {batch_id}");
            select_one(connection, "get batch", GET_BATCH, &batch_id, &what)
        })
        .await
    }

    async fn update_batch(
        &self,
        batch: &Batch,
        expected_revision: u64,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError> {
        let (batch, claim) = (batch.clone(), claim.cloned());
        self.write("update batch", move |transaction| {
            let what = format!("batch {}", batch.batch_id);
            let stored: Option<Batch> = select_one(
                transaction,
                "update batch",
                GET_BATCH,
                &batch.batch_id,
                &what,
            )?;
            if stored.map(|stored| stored.revision) != Some(expected_revision) {
                return Err(condition_failed(format!(
                    "{what} is not at revision {expected_revision}"
                )));
            }
            if let Some(claim) = &claim {
                move_account_nonce(transaction, "update batch", claim)?;
            }
            put_batch(transaction, "update batch", &batch)
        })
        .await
    }

    async fn open_batches(&self) -> Result<Vec<Batch>, TableError> {
        self.read("open batches", |connection| {
            select_all(
                connection,
                "open batches",
                "SELECT record FROM batches WHERE open = 1 ORDER BY created_nanos, batch_id",
                "an open batch",
            )
        })
        .await
    }

    async fn get_oracle_value(&self, key: &str) -> Result<Option<OracleValue>, TableError> {
        let key = key.to_owned();
        self.read("get oracle value", move |connection| {
            let what = format!("oracle value {key}");
            select_one(
                connection,
                "get oracle value",
                GET_ORACLE_VALUE,
                &key,
                &what,
            )
        })
        .await
    }

    async fn write_oracle_value(
        &self,
        value: &OracleValue,
        expected_revision: Option<u64>,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError> {
        let (value, claim) = (value.clone(), claim.cloned());
        self.write("write oracle value", move |transaction| {
            let what = format!("oracle value {}", value.key);
            let stored: Option<OracleValue> = select_one(
                transaction,
                "write oracle value",
                GET_ORACLE_VALUE,
                &value.key,
                &what,
            )?;
            let stored = stored.map(|stored| stored.revision);
            if stored != expected_revision {
                return Err(condition_failed(format!(
                    "{what} is at revision {stored:?}, not {expected_revision:?}"
                )));
            }
            if let Some(claim) = &claim {
                move_account_nonce(transaction, "write oracle value", claim)?;
            }
            transaction
                .execute(
                    "INSERT OR REPLACE INTO oracle_values (key, open, created_nanos, record)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        value.key,
                        value.status.is_open(),
                        created_nanos(value.created_at, &what)?,
                        to_json(&value, &what)?
                    ],
                )
                .map_err(|e| unavailable("write oracle value", &e))?;
            Ok(())
        })
        .await
    }

    async fn open_oracle_values(&self) -> Result<Vec<OracleValue>, TableError> {
        self.read("open oracle values", |connection| {
            select_all(
                connection,
                "open oracle values",
                "SELECT record FROM oracle_values WHERE open = 1 ORDER BY created_nanos, key",
                "an open oracle value",
            )
        })
        .await
    }

    async fn claim_nonce(&self, nonce: &LoginNonce, now: OffsetDateTime) -> Result<(), TableError> {
        let nonce = nonce.clone();
        let now = now.unix_timestamp();
        self.write("claim nonce", move |transaction| {
            let failed = |e: rusqlite::Error| unavailable("claim nonce", &e);
            // Expired records count as gone (DynamoDB's TTL deletes them lazily); dropping them
            // here keeps the table as small as the live login messages.
            transaction
                .execute("DELETE FROM login_nonces WHERE expires_at <= ?1", [now])
                .map_err(failed)?;
            let inserted = transaction
                .execute(
                    "INSERT INTO login_nonces (address, nonce, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (address, nonce) DO NOTHING",
                    params![nonce.address, nonce.nonce.to_string(), nonce.expires_at],
                )
                .map_err(failed)?;
            if inserted == 0 {
                return Err(condition_failed(format!(
                    "nonce {} of {} was used",
                    nonce.nonce, nonce.address
                )));
            }
            Ok(())
        })
        .await
    }

    async fn delete_sample(&self, sample_id: &str) -> Result<(), TableError> {
        let sample_id = sample_id.to_owned();
        self.write("delete sample", move |transaction| {
            transaction
                .execute("DELETE FROM samples WHERE sample_id = ?1", [sample_id])
                .map_err(|e| unavailable("delete sample", &e))?;
            Ok(())
        })
        .await
    }

    async fn put_lease(&self, lease: &Lease) -> Result<(), TableError> {
        let lease = lease.clone();
        self.write("put lease", move |transaction| {
            let what = format!("lease {}:{}", lease.kind.as_str(), lease.id);
            let expires = nanos(lease.expires_at).ok_or_else(|| TableError::Corrupt {
                what: what.clone(),
                message: format!(
                    "expires_at {} is outside the years 1677 to 2262",
                    lease.expires_at
                ),
            })?;
            transaction
                .execute(
                    "INSERT OR REPLACE INTO leases (kind, id, expires_nanos, record)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![
                        lease.kind.as_str(),
                        lease.id,
                        expires,
                        to_json(&lease, &what)?
                    ],
                )
                .map_err(|e| unavailable("put lease", &e))?;
            Ok(())
        })
        .await
    }

    async fn get_lease(&self, kind: LeaseKind, id: &str) -> Result<Option<Lease>, TableError> {
        let id = id.to_owned();
        self.read("get lease", move |connection| {
            let what = format!("lease {}:{id}", kind.as_str());
            let json: Option<String> = connection
                .query_row(
                    "SELECT record FROM leases WHERE kind = ?1 AND id = ?2",
                    params![kind.as_str(), id],
                    |row| row.get(0),
                )
                .optional()
                .map_err(|e| unavailable("get lease", &e))?;
            json.map(|json| parse(&json, &what)).transpose()
        })
        .await
    }

    async fn delete_lease(&self, kind: LeaseKind, id: &str) -> Result<(), TableError> {
        let id = id.to_owned();
        self.write("delete lease", move |transaction| {
            transaction
                .execute(
                    "DELETE FROM leases WHERE kind = ?1 AND id = ?2",
                    params![kind.as_str(), id],
                )
                .map_err(|e| unavailable("delete lease", &e))?;
            Ok(())
        })
        .await
    }

    async fn expired_leases(
        &self,
        at: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Lease>, TableError> {
        let at = nanos(at).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read("expired leases", move |connection| {
            let mut statement = connection
                .prepare(
                    "SELECT record FROM leases WHERE expires_nanos <= ?1
                     ORDER BY expires_nanos, kind, id LIMIT ?2",
                )
                .map_err(|e| unavailable("expired leases", &e))?;
            let rows = statement
                .query_map(params![at, limit], |row| row.get::<_, String>(0))
                .map_err(|e| unavailable("expired leases", &e))?;
            let mut leases = Vec::new();
            for json in rows {
                let json = json.map_err(|e| unavailable("expired leases", &e))?;
                leases.push(parse(&json, "a lease")?);
            }
            Ok(leases)
        })
        .await
    }
}
