//! [`Table`] over one DynamoDB table (docs/AWS.md has the design).
//!
//! | record | `pk` | `sk` | other key attributes |
//! | --- | --- | --- | --- |
//! | dataset | `dataset#{dataset_id}` | `dataset` | `owner` + `dataset_order` (the [`OWNER_INDEX`]) |
//! | sample | `sample#{sample_id}` | `sample` | `sample_owner` + `sample_order` (the [`SAMPLE_INDEX`]) |
//! | login nonce | `nonce#{address}#{nonce}` | `nonce` | `ttl` (DynamoDB TTL, = `expires_at`) |
//! | anchor batch | `batch#{batch_id}` | `batch` | while open: `owner` = [`OPEN_BATCHES`] + `dataset_order` |
//! | anchor nonce counter | `account#{address}` | `account` | `next_nonce` |
//! | oracle value | `oracle#{key}` | `oracle` | while open: `owner` = [`OPEN_ORACLE_VALUES`] + `dataset_order` |
//! | lease (sweeper) | `lease#{kind}#{id}` | `lease` | `owner` = [`LEASES`] + `dataset_order` = `{expires_at}#{kind}#{id}` |
//!
//! Every field of a record is a native attribute (strings, numbers, maps, lists, nulls), so
//! conditions read `status` and `revision` directly and the console shows the records as they are.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::{
    Client,
    config::http::HttpResponse,
    error::{ProvideErrorMetadata, SdkError},
    types::{AttributeValue, Put, TransactWriteItem},
};
use genoflow_core::{
    lifecycle::SampleStatus,
    model::{Batch, Dataset, Lease, LeaseKind, LoginNonce, OracleValue, Sample},
    ports::{
        DatasetPage, DatasetState, Listed, NonceClaim, PageCursor, SamplePage, Table, TableError,
    },
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Number, Value};
use time::OffsetDateTime;

use crate::describe;

/// The partition key attribute.
pub const PARTITION_KEY: &str = "pk";
/// The sort key attribute.
pub const SORT_KEY: &str = "sk";
/// The global secondary index listing an owner's datasets newest first.
pub const OWNER_INDEX: &str = "by_owner";
/// The owner index's partition key (the dataset's `owner` field).
pub const OWNER_INDEX_PARTITION: &str = "owner";
/// The owner index's sort key: `{created_at as unix nanoseconds, 20 digits}#{dataset_id}`.
pub const OWNER_INDEX_SORT: &str = "dataset_order";
/// The global secondary index listing an owner's samples newest first.
pub const SAMPLE_INDEX: &str = "samples_by_owner";
/// The sample index's partition key (the sample's owner; a separate attribute from `owner`, so
/// samples stay out of the [`OWNER_INDEX`]).
pub const SAMPLE_INDEX_PARTITION: &str = "sample_owner";
/// The sample index's sort key: `{created_at as unix nanoseconds, 20 digits}#{sample_id}`.
pub const SAMPLE_INDEX_SORT: &str = "sample_order";
/// The owner index partition that lists the open (signed or broadcast) anchor batches: a
/// batch carries it only while open, so the index stays sparse.
pub const OPEN_BATCHES: &str = "$open-batches";
/// The owner index partition that lists the oracle values whose transaction is open.
pub const OPEN_ORACLE_VALUES: &str = "$open-oracle-values";
/// The owner index partition of the sweeper's leases, sorted by expiry: the expired ones are
/// one query (`dataset_order` below the next nanosecond).
pub const LEASES: &str = "$leases";
/// The nonce counter's attribute.
const NEXT_NONCE: &str = "next_nonce";
/// The TTL attribute (unix seconds) of nonce records.
pub const TTL_ATTRIBUTE: &str = "ttl";

/// Attributes that are keys, not record fields.
const KEY_ATTRIBUTES: [&str; 6] = [
    PARTITION_KEY,
    SORT_KEY,
    OWNER_INDEX_SORT,
    SAMPLE_INDEX_PARTITION,
    SAMPLE_INDEX_SORT,
    TTL_ATTRIBUTE,
];

/// The records of GenoFlow in one DynamoDB table.
///
/// Reads of one record are strongly consistent (`ConsistentRead`); listing goes through the
/// owner index, which DynamoDB keeps eventually consistent (a dataset created a moment ago may
/// be missing from the first list).
#[derive(Clone, Debug)]
pub struct DynamoTable {
    client: Client,
    table: String,
}

impl DynamoTable {
    /// The table named `table`.
    pub fn new(config: &SdkConfig, table: &str) -> Self {
        Self {
            client: Client::new(config),
            table: table.to_owned(),
        }
    }

    /// The SDK client, for what the port does not cover (setup, tests).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The table name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    async fn put(
        &self,
        operation: &'static str,
        item: HashMap<String, AttributeValue>,
        condition: Condition,
        what: impl FnOnce() -> String,
    ) -> Result<(), TableError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition.expression)
            .set_expression_attribute_names(Some(condition.names))
            .set_expression_attribute_values(
                (!condition.values.is_empty()).then_some(condition.values),
            )
            .send()
            .await;
        result
            .map(|_| ())
            .map_err(|error| table_error(operation, &error, what))
    }

    /// A conditional put, in one transaction with the nonce counter's move when there is one.
    async fn put_with_claim(
        &self,
        item: HashMap<String, AttributeValue>,
        condition: Condition,
        claim: Option<&NonceClaim>,
        what: impl FnOnce() -> String,
    ) -> Result<(), TableError> {
        match claim {
            None => self.put("PutItem", item, condition, what).await,
            Some(claim) => {
                let writes = vec![
                    conditional_put(&self.table, item, condition)?,
                    nonce_claim_put(&self.table, claim)?,
                ];
                self.transact(writes, what).await
            }
        }
    }

    async fn transact(
        &self,
        writes: Vec<TransactWriteItem>,
        what: impl FnOnce() -> String,
    ) -> Result<(), TableError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| table_error("TransactWriteItems", &error, what))
    }

    /// A page of an owner's records of `kind`, newest first, and the cursor of the next.
    async fn list<T: DeserializeOwned + Listed>(
        &self,
        kind: &ListedKind,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<T>, Option<String>), TableError> {
        if limit == 0 {
            return Ok((Vec::new(), None));
        }
        let mut start = cursor
            .map(|cursor| start_key(kind, owner, cursor))
            .transpose()?;
        let mut records: Vec<T> = Vec::new();
        // One more than asked, to know whether a next page exists.
        let wanted = limit.saturating_add(1);
        loop {
            let page_limit = i32::try_from(wanted - records.len()).unwrap_or(i32::MAX);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(kind.index)
                .key_condition_expression("#owner = :owner")
                .expression_attribute_names("#owner", kind.index_partition)
                .expression_attribute_values(":owner", s(owner.to_owned()))
                .scan_index_forward(false)
                .limit(page_limit)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| table_error("Query", &error, || owner.to_owned()))?;
            for item in output.items.unwrap_or_default() {
                records.push(from_item(item, &format!("a {} of {owner}", kind.record))?);
            }
            match output.last_evaluated_key {
                Some(key) if records.len() < wanted && !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        let next = PageCursor::next_page(&mut records, limit);
        Ok((records, next))
    }

    /// The records of a sparse owner-index partition, oldest first.
    async fn open_records<T: DeserializeOwned>(
        &self,
        partition: &str,
    ) -> Result<Vec<T>, TableError> {
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(OWNER_INDEX)
                .key_condition_expression("#owner = :owner")
                .expression_attribute_names("#owner", OWNER_INDEX_PARTITION)
                .expression_attribute_values(":owner", s(partition.to_owned()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| table_error("Query", &error, || partition.to_owned()))?;
            for item in output.items.unwrap_or_default() {
                records.push(from_item(item, partition)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(records)
    }

    async fn delete_item(&self, pk: String, sk: &str) -> Result<(), TableError> {
        let what = pk.clone();
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s(sk.to_owned()))
            .send()
            .await
            .map_err(|error| table_error("DeleteItem", &error, || what.clone()))?;
        Ok(())
    }

    async fn get<T: DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, TableError> {
        let what = pk.clone();
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, AttributeValue::S(pk))
            .key(SORT_KEY, AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| table_error("GetItem", &error, || what.clone()))?;
        output.item.map(|item| from_item(item, &what)).transpose()
    }
}

/// A condition expression with its placeholders.
struct Condition {
    expression: String,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Condition {
    /// The item does not exist yet.
    fn absent() -> Self {
        Self {
            expression: "attribute_not_exists(#pk)".to_owned(),
            names: HashMap::from([("#pk".to_owned(), PARTITION_KEY.to_owned())]),
            values: HashMap::new(),
        }
    }
}

fn dataset_pk(dataset_id: &str) -> String {
    format!("dataset#{dataset_id}")
}

fn sample_pk(sample_id: &str) -> String {
    format!("sample#{sample_id}")
}

fn nonce_pk(nonce: &LoginNonce) -> String {
    format!("nonce#{}#{}", nonce.address, nonce.nonce)
}

/// Sorts as (created_at, dataset_id): zero-padded so string order is numeric order.
fn dataset_order(created_at: OffsetDateTime, dataset_id: &str) -> String {
    format!("{:020}#{dataset_id}", created_at.unix_timestamp_nanos())
}

/// How a record kind the table lists by owner is keyed: its item keys and the index that lists
/// an owner's records newest first (sort key `{created_at nanoseconds, 20 digits}#{id}`).
struct ListedKind {
    /// The partition key of the record with this id.
    pk: fn(&str) -> String,
    /// The sort key.
    sk: &'static str,
    /// The index listing an owner's records.
    index: &'static str,
    /// The index's partition key attribute (the owner).
    index_partition: &'static str,
    /// The index's sort key attribute.
    index_sort: &'static str,
    /// What one record is, for errors.
    record: &'static str,
}

const DATASETS: ListedKind = ListedKind {
    pk: dataset_pk,
    sk: "dataset",
    index: OWNER_INDEX,
    index_partition: OWNER_INDEX_PARTITION,
    index_sort: OWNER_INDEX_SORT,
    record: "dataset",
};

const SAMPLES: ListedKind = ListedKind {
    pk: sample_pk,
    sk: "sample",
    index: SAMPLE_INDEX,
    index_partition: SAMPLE_INDEX_PARTITION,
    index_sort: SAMPLE_INDEX_SORT,
    record: "sample",
};

/// The `ExclusiveStartKey` of `kind`'s index a cursor stands for.
fn start_key(
    kind: &ListedKind,
    owner: &str,
    cursor: &str,
) -> Result<HashMap<String, AttributeValue>, TableError> {
    let PageCursor { created_at, id } = PageCursor::parse(cursor)?;
    Ok(HashMap::from([
        (PARTITION_KEY.to_owned(), s((kind.pk)(&id))),
        (SORT_KEY.to_owned(), s(kind.sk.to_owned())),
        (kind.index_partition.to_owned(), s(owner.to_owned())),
        (
            kind.index_sort.to_owned(),
            s(dataset_order(created_at, &id)),
        ),
    ]))
}

fn s(value: String) -> AttributeValue {
    AttributeValue::S(value)
}

fn dataset_item(dataset: &Dataset) -> Result<HashMap<String, AttributeValue>, TableError> {
    let mut item = to_item(dataset, &dataset.dataset_id)?;
    item.insert(PARTITION_KEY.to_owned(), s(dataset_pk(&dataset.dataset_id)));
    item.insert(SORT_KEY.to_owned(), s("dataset".to_owned()));
    item.insert(
        OWNER_INDEX_SORT.to_owned(),
        s(dataset_order(dataset.created_at, &dataset.dataset_id)),
    );
    Ok(item)
}

fn sample_item(sample: &Sample) -> Result<HashMap<String, AttributeValue>, TableError> {
    let mut item = to_item(sample, &sample.sample_id)?;
    item.insert(PARTITION_KEY.to_owned(), s(sample_pk(&sample.sample_id)));
    item.insert(SORT_KEY.to_owned(), s("sample".to_owned()));
    // Samples carry `owner` too; without `dataset_order` they stay out of the owner index.
    item.insert(SAMPLE_INDEX_PARTITION.to_owned(), s(sample.owner.clone()));
    item.insert(
        SAMPLE_INDEX_SORT.to_owned(),
        s(dataset_order(sample.created_at, &sample.sample_id)),
    );
    Ok(item)
}

fn batch_pk(batch_id: &str) -> String {
    format!("batch#{batch_id}")
}

fn account_pk(address: &str) -> String {
    format!("account#{address}")
}

fn batch_item(batch: &Batch) -> Result<HashMap<String, AttributeValue>, TableError> {
    let mut item = to_item(batch, &batch.batch_id)?;
    item.insert(PARTITION_KEY.to_owned(), s(batch_pk(&batch.batch_id)));
    item.insert(SORT_KEY.to_owned(), s("batch".to_owned()));
    if batch.status.is_open() {
        item.insert(OWNER_INDEX_PARTITION.to_owned(), s(OPEN_BATCHES.to_owned()));
        item.insert(
            OWNER_INDEX_SORT.to_owned(),
            s(dataset_order(batch.created_at, &batch.batch_id)),
        );
    }
    Ok(item)
}

fn oracle_pk(key: &str) -> String {
    format!("oracle#{key}")
}

fn oracle_item(value: &OracleValue) -> Result<HashMap<String, AttributeValue>, TableError> {
    let mut item = to_item(value, &value.key)?;
    item.insert(PARTITION_KEY.to_owned(), s(oracle_pk(&value.key)));
    item.insert(SORT_KEY.to_owned(), s("oracle".to_owned()));
    if value.status.is_open() {
        item.insert(
            OWNER_INDEX_PARTITION.to_owned(),
            s(OPEN_ORACLE_VALUES.to_owned()),
        );
        item.insert(
            OWNER_INDEX_SORT.to_owned(),
            s(dataset_order(value.created_at, &value.key)),
        );
    }
    Ok(item)
}

fn lease_pk(kind: LeaseKind, id: &str) -> String {
    format!("lease#{}#{id}", kind.as_str())
}

/// Unix nanoseconds, zero-padded to 20 digits so string order is time order (from 1970 on).
fn padded_nanos(at: OffsetDateTime) -> String {
    format!("{:020}", at.unix_timestamp_nanos().max(0))
}

fn lease_item(lease: &Lease) -> Result<HashMap<String, AttributeValue>, TableError> {
    let mut item = to_item(lease, &lease.id)?;
    item.insert(PARTITION_KEY.to_owned(), s(lease_pk(lease.kind, &lease.id)));
    item.insert(SORT_KEY.to_owned(), s("lease".to_owned()));
    item.insert(OWNER_INDEX_PARTITION.to_owned(), s(LEASES.to_owned()));
    item.insert(
        OWNER_INDEX_SORT.to_owned(),
        s(format!(
            "{}#{}#{}",
            padded_nanos(lease.expires_at),
            lease.kind.as_str(),
            lease.id
        )),
    );
    Ok(item)
}

/// The revision condition of a batch or oracle value update.
fn batch_revision_condition(expected_revision: u64) -> Condition {
    Condition {
        expression: "#revision = :revision".to_owned(),
        names: HashMap::from([("#revision".to_owned(), "revision".to_owned())]),
        values: HashMap::from([(
            ":revision".to_owned(),
            AttributeValue::N(expected_revision.to_string()),
        )]),
    }
}

/// The counter write of a nonce claim, conditional on the counter as read.
fn nonce_claim_put(table: &str, claim: &NonceClaim) -> Result<TransactWriteItem, TableError> {
    let condition = match claim.expected {
        None => Condition::absent(),
        Some(expected) => Condition {
            expression: "#next = :expected".to_owned(),
            names: HashMap::from([("#next".to_owned(), NEXT_NONCE.to_owned())]),
            values: HashMap::from([(
                ":expected".to_owned(),
                AttributeValue::N(expected.to_string()),
            )]),
        },
    };
    let item = HashMap::from([
        (PARTITION_KEY.to_owned(), s(account_pk(&claim.address))),
        (SORT_KEY.to_owned(), s("account".to_owned())),
        (
            NEXT_NONCE.to_owned(),
            AttributeValue::N(claim.next.to_string()),
        ),
    ]);
    conditional_put(table, item, condition)
}

fn conditional_put(
    table: &str,
    item: HashMap<String, AttributeValue>,
    condition: Condition,
) -> Result<TransactWriteItem, TableError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition.expression)
        .set_expression_attribute_names(Some(condition.names))
        .set_expression_attribute_values((!condition.values.is_empty()).then_some(condition.values))
        .build()
        .map_err(|error| TableError::Unavailable {
            operation: "TransactWriteItems",
            message: error.to_string(),
        })?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A record as attributes (its JSON form, field by field).
fn to_item<T: Serialize>(
    record: &T,
    what: &str,
) -> Result<HashMap<String, AttributeValue>, TableError> {
    match serde_json::to_value(record) {
        Ok(Value::Object(fields)) => Ok(fields
            .into_iter()
            .map(|(name, value)| (name, to_attribute(value)))
            .collect()),
        Ok(other) => Err(TableError::Corrupt {
            what: what.to_owned(),
            message: format!("a record must serialise to an object, not {other}"),
        }),
        Err(error) => Err(TableError::Corrupt {
            what: what.to_owned(),
            message: error.to_string(),
        }),
    }
}

/// A stored item as a record, ignoring the key attributes.
fn from_item<T: DeserializeOwned>(
    mut item: HashMap<String, AttributeValue>,
    what: &str,
) -> Result<T, TableError> {
    let corrupt = |message: String| TableError::Corrupt {
        what: what.to_owned(),
        message,
    };
    for name in KEY_ATTRIBUTES {
        item.remove(name);
    }
    let mut fields = Map::new();
    for (name, attribute) in item {
        let value =
            from_attribute(&attribute).map_err(|message| corrupt(format!("{name}: {message}")))?;
        fields.insert(name, value);
    }
    serde_json::from_value(Value::Object(fields)).map_err(|error| corrupt(error.to_string()))
}

/// JSON to a DynamoDB attribute: objects are maps, arrays lists, numbers `N`.
fn to_attribute(value: Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(flag) => AttributeValue::Bool(flag),
        Value::Number(number) => AttributeValue::N(number.to_string()),
        Value::String(text) => AttributeValue::S(text),
        Value::Array(items) => AttributeValue::L(items.into_iter().map(to_attribute).collect()),
        Value::Object(fields) => AttributeValue::M(
            fields
                .into_iter()
                .map(|(name, value)| (name, to_attribute(value)))
                .collect(),
        ),
    }
}

/// The inverse of [`to_attribute`]; sets and binaries are never written, so they are refused.
fn from_attribute(attribute: &AttributeValue) -> Result<Value, String> {
    Ok(match attribute {
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::Bool(flag) => Value::Bool(*flag),
        AttributeValue::N(text) => Value::Number(parse_number(text)?),
        AttributeValue::S(text) => Value::String(text.clone()),
        AttributeValue::L(items) => {
            Value::Array(items.iter().map(from_attribute).collect::<Result<_, _>>()?)
        }
        AttributeValue::M(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, value)| Ok((name.clone(), from_attribute(value)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => return Err(format!("unexpected attribute type {other:?}")),
    })
}

fn parse_number(text: &str) -> Result<Number, String> {
    if let Ok(unsigned) = text.parse::<u64>() {
        return Ok(Number::from(unsigned));
    }
    if let Ok(signed) = text.parse::<i64>() {
        return Ok(Number::from(signed));
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| format!("{text:?} is not a number"))
}

/// Maps a DynamoDB failure: a failed condition is [`TableError::ConditionFailed`] (described by
/// `what`), everything else [`TableError::Unavailable`] (retried by the platform).
fn table_error<E>(
    operation: &'static str,
    error: &SdkError<E, HttpResponse>,
    what: impl FnOnce() -> String,
) -> TableError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let failure = describe(error);
    // A transaction names each item's reason: one failed condition fails the whole write.
    let cancelled_by_condition = failure.code.as_deref() == Some("TransactionCanceledException")
        && failure.message.contains("ConditionalCheckFailed");
    if failure.code.as_deref() == Some("ConditionalCheckFailedException") || cancelled_by_condition
    {
        return TableError::ConditionFailed { what: what() };
    }
    TableError::Unavailable {
        operation,
        message: failure.message,
    }
}

fn status_value<T: Serialize>(status: T) -> AttributeValue {
    to_attribute(serde_json::to_value(status).unwrap_or(Value::Null))
}

#[async_trait]
impl Table for DynamoTable {
    async fn create_dataset(&self, dataset: &Dataset) -> Result<(), TableError> {
        self.put(
            "PutItem",
            dataset_item(dataset)?,
            Condition::absent(),
            || format!("dataset {} exists", dataset.dataset_id),
        )
        .await
    }

    async fn get_dataset(&self, dataset_id: &str) -> Result<Option<Dataset>, TableError> {
        self.get(dataset_pk(dataset_id), "dataset").await
    }

    async fn update_dataset(
        &self,
        dataset: &Dataset,
        expected: DatasetState,
    ) -> Result<(), TableError> {
        let condition = Condition {
            expression: "#status = :status AND #revision = :revision".to_owned(),
            names: HashMap::from([
                ("#status".to_owned(), "status".to_owned()),
                ("#revision".to_owned(), "revision".to_owned()),
            ]),
            values: HashMap::from([
                (":status".to_owned(), status_value(expected.status)),
                (
                    ":revision".to_owned(),
                    AttributeValue::N(expected.revision.to_string()),
                ),
            ]),
        };
        self.put("PutItem", dataset_item(dataset)?, condition, || {
            format!(
                "dataset {} is no longer {expected:?} (or is gone)",
                dataset.dataset_id
            )
        })
        .await
    }

    async fn delete_dataset(&self, dataset_id: &str) -> Result<(), TableError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(dataset_pk(dataset_id)))
            .key(SORT_KEY, s("dataset".to_owned()))
            .send()
            .await
            .map_err(|error| table_error("DeleteItem", &error, || dataset_id.to_owned()))?;
        Ok(())
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
        self.put("PutItem", sample_item(sample)?, Condition::absent(), || {
            format!("sample {} exists", sample.sample_id)
        })
        .await
    }

    async fn get_sample(&self, sample_id: &str) -> Result<Option<Sample>, TableError> {
        self.get(sample_pk(sample_id), "sample").await
    }

    async fn update_sample(
        &self,
        sample: &Sample,
        expected: SampleStatus,
    ) -> Result<(), TableError> {
        let condition = Condition {
            expression: "#status = :status".to_owned(),
            names: HashMap::from([("#status".to_owned(), "status".to_owned())]),
            values: HashMap::from([(":status".to_owned(), status_value(expected))]),
        };
        self.put("PutItem", sample_item(sample)?, condition, || {
            format!("sample {} is not {expected:?}", sample.sample_id)
        })
        .await
    }

    async fn account_nonce(&self, address: &str) -> Result<Option<u64>, TableError> {
        let pk = account_pk(address);
        let what = pk.clone();
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(pk))
            .key(SORT_KEY, s("account".to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| table_error("GetItem", &error, || what.clone()))?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        match item.get(NEXT_NONCE) {
            Some(AttributeValue::N(number)) => {
                number.parse().map(Some).map_err(|_| TableError::Corrupt {
                    what,
                    message: format!("{NEXT_NONCE} {number:?} is not a nonce"),
                })
            }
            _ => Err(TableError::Corrupt {
                what,
                message: format!("no {NEXT_NONCE}"),
            }),
        }
    }

    async fn create_batch(&self, batch: &Batch, claim: &NonceClaim) -> Result<(), TableError> {
        self.put_with_claim(batch_item(batch)?, Condition::absent(), Some(claim), || {
            format!(
                "batch {} exists or the nonce counter of {} moved",
                batch.batch_id, claim.address
            )
        })
        .await
    }

    async fn get_batch(&self, batch_id: &str) -> Result<Option<Batch>, TableError> {
        self.get(batch_pk(batch_id), "batch").await
    }

    async fn update_batch(
        &self,
        batch: &Batch,
        expected_revision: u64,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError> {
        let what = || {
            format!(
                "batch {} is not at revision {expected_revision} (or the nonce counter moved)",
                batch.batch_id
            )
        };
        let condition = batch_revision_condition(expected_revision);
        self.put_with_claim(batch_item(batch)?, condition, claim, what)
            .await
    }

    async fn open_batches(&self) -> Result<Vec<Batch>, TableError> {
        self.open_records(OPEN_BATCHES).await
    }

    async fn get_oracle_value(&self, key: &str) -> Result<Option<OracleValue>, TableError> {
        self.get(oracle_pk(key), "oracle").await
    }

    async fn write_oracle_value(
        &self,
        value: &OracleValue,
        expected_revision: Option<u64>,
        claim: Option<&NonceClaim>,
    ) -> Result<(), TableError> {
        let what = || {
            format!(
                "oracle value {} is not at revision {expected_revision:?} (or the nonce counter moved)",
                value.key
            )
        };
        let condition = match expected_revision {
            None => Condition::absent(),
            Some(revision) => batch_revision_condition(revision),
        };
        self.put_with_claim(oracle_item(value)?, condition, claim, what)
            .await
    }

    async fn open_oracle_values(&self) -> Result<Vec<OracleValue>, TableError> {
        self.open_records(OPEN_ORACLE_VALUES).await
    }

    async fn delete_sample(&self, sample_id: &str) -> Result<(), TableError> {
        self.delete_item(sample_pk(sample_id), "sample").await
    }

    async fn put_lease(&self, lease: &Lease) -> Result<(), TableError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(lease_item(lease)?))
            .send()
            .await;
        result.map(|_| ()).map_err(|error| {
            table_error("PutItem", &error, || {
                format!("lease {}:{}", lease.kind.as_str(), lease.id)
            })
        })
    }

    async fn get_lease(&self, kind: LeaseKind, id: &str) -> Result<Option<Lease>, TableError> {
        self.get(lease_pk(kind, id), "lease").await
    }

    async fn delete_lease(&self, kind: LeaseKind, id: &str) -> Result<(), TableError> {
        self.delete_item(lease_pk(kind, id), "lease").await
    }

    async fn expired_leases(
        &self,
        at: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<Lease>, TableError> {
        // Every sort key of a lease expiring at or before `at` sorts below the next nanosecond.
        let bound = padded_nanos(at + time::Duration::nanoseconds(1));
        let mut leases = Vec::new();
        let mut start = None;
        while leases.len() < limit {
            let page_limit = i32::try_from(limit - leases.len()).unwrap_or(i32::MAX);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(OWNER_INDEX)
                .key_condition_expression("#owner = :owner AND #order < :bound")
                .expression_attribute_names("#owner", OWNER_INDEX_PARTITION)
                .expression_attribute_names("#order", OWNER_INDEX_SORT)
                .expression_attribute_values(":owner", s(LEASES.to_owned()))
                .expression_attribute_values(":bound", s(bound.clone()))
                .limit(page_limit)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|error| table_error("Query", &error, || LEASES.to_owned()))?;
            for item in output.items.unwrap_or_default() {
                leases.push(from_item(item, "a lease")?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(leases)
    }

    async fn claim_nonce(&self, nonce: &LoginNonce, now: OffsetDateTime) -> Result<(), TableError> {
        let what = || format!("nonce {} of {} was used", nonce.nonce, nonce.address);
        let mut item = to_item(nonce, &what())?;
        item.insert(PARTITION_KEY.to_owned(), s(nonce_pk(nonce)));
        item.insert(SORT_KEY.to_owned(), s("nonce".to_owned()));
        item.insert(
            TTL_ATTRIBUTE.to_owned(),
            AttributeValue::N(nonce.expires_at.to_string()),
        );
        // TTL deletion lags (up to days): an expired record still in the table is free again.
        let condition = Condition {
            expression: "attribute_not_exists(#pk) OR #expires_at <= :now".to_owned(),
            names: HashMap::from([
                ("#pk".to_owned(), PARTITION_KEY.to_owned()),
                ("#expires_at".to_owned(), "expires_at".to_owned()),
            ]),
            values: HashMap::from([(
                ":now".to_owned(),
                AttributeValue::N(now.unix_timestamp().to_string()),
            )]),
        };
        self.put("PutItem", item, condition, what).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_round_trips_through_attributes() {
        let value = serde_json::json!({
            "a": [1, -2, 3.25, 18446744073709551615u64, "x", null, true],
            "b": {"c": {"d": []}},
        });
        let attribute = to_attribute(value.clone());
        assert_eq!(from_attribute(&attribute).unwrap(), value);
        assert!(from_attribute(&AttributeValue::Ss(vec!["x".into()])).is_err());
        assert!(from_attribute(&AttributeValue::N("1e999".into())).is_err());
    }

    #[test]
    fn the_owner_order_sorts_by_time_then_id_and_cursors_map_to_start_keys() {
        let early = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let later = early + time::Duration::nanoseconds(1);
        assert!(dataset_order(early, "b") < dataset_order(later, "a"));
        assert!(dataset_order(early, "a") < dataset_order(early, "b"));
        let key = start_key(&DATASETS, "SP1", "1700000000000000001:abc").unwrap();
        assert_eq!(key[OWNER_INDEX_SORT], s(dataset_order(later, "abc")));
        assert_eq!(key[PARTITION_KEY], s("dataset#abc".into()));
        let key = start_key(&SAMPLES, "SP1", "1700000000000000001:abc").unwrap();
        assert_eq!(key[PARTITION_KEY], s("sample#abc".into()));
        assert_eq!(key[SORT_KEY], s("sample".into()));
        assert_eq!(key[SAMPLE_INDEX_PARTITION], s("SP1".into()));
        assert_eq!(key[SAMPLE_INDEX_SORT], s(dataset_order(later, "abc")));
        for bad in ["", "x:abc", "1:", "nocolon"] {
            assert!(
                matches!(
                    start_key(&DATASETS, "SP1", bad),
                    Err(TableError::Corrupt { .. })
                ),
                "{bad}"
            );
        }
    }
}
