//! What every [`Table`] adapter must do the same way: conditional writes, paging, nonces,
//! batches, oracle values, leases. Each scenario takes a fresh, empty table.

use genoflow_core::{
    lifecycle::{SampleStatus, Status},
    model::{LoginNonce, SubmissionStatus},
    ports::{DatasetState, Table, TableError},
};

use crate::fixtures::{at, batch, claim, dataset, is_condition_failed, oracle_value, sample};

/// Datasets: created once, updated only from the read status + revision, deleted idempotently.
pub async fn dataset_conditions(table: &dyn Table) {
    let mut record = dataset("d1", "SP1", 100);
    table.create_dataset(&record).await.unwrap();
    assert!(is_condition_failed(table.create_dataset(&record).await));
    assert_eq!(table.get_dataset("d1").await.unwrap(), Some(record.clone()));

    let read = DatasetState::of(&record);
    record.status = Status::Uploaded;
    record.revision = 1;
    table.update_dataset(&record, read).await.unwrap();
    // A second handler that read the same state loses.
    assert!(is_condition_failed(
        table.update_dataset(&record, read).await
    ));
    // The right status with a stale revision loses too, as does the right revision with another
    // status.
    let stale = DatasetState {
        status: Status::Uploaded,
        revision: 0,
    };
    assert!(is_condition_failed(
        table.update_dataset(&record, stale).await
    ));
    let other_status = DatasetState {
        status: Status::Valid,
        revision: 1,
    };
    assert!(is_condition_failed(
        table.update_dataset(&record, other_status).await
    ));
    assert_eq!(table.get_dataset("d1").await.unwrap(), Some(record.clone()));

    table.delete_dataset("d1").await.unwrap();
    table.delete_dataset("d1").await.unwrap();
    assert_eq!(table.get_dataset("d1").await.unwrap(), None);
    // Updating a dataset that is gone is refused, never an upsert.
    assert!(is_condition_failed(
        table
            .update_dataset(&record, DatasetState::of(&record))
            .await
    ));
    assert_eq!(table.get_dataset("d1").await.unwrap(), None);
}

/// Samples: created once, updated only from the read status.
pub async fn sample_conditions(table: &dyn Table) {
    let mut record = sample("s1");
    table.create_sample(&record).await.unwrap();
    assert!(is_condition_failed(table.create_sample(&record).await));
    record.status = SampleStatus::AnalysisRequested;
    table
        .update_sample(&record, SampleStatus::Waiting)
        .await
        .unwrap();
    assert!(is_condition_failed(
        table.update_sample(&record, SampleStatus::Waiting).await
    ));
    assert_eq!(table.get_sample("s1").await.unwrap(), Some(record.clone()));
    assert!(is_condition_failed(
        table
            .update_sample(&sample("missing"), SampleStatus::Waiting)
            .await
    ));
    assert_eq!(table.get_sample("missing").await.unwrap(), None);
}

fn owned_sample(id: &str, owner: &str, created: i64) -> genoflow_core::model::Sample {
    genoflow_core::model::Sample {
        owner: owner.into(),
        created_at: at(created),
        updated_at: at(created),
        ..sample(id)
    }
}

/// The records listed per owner, newest first, with keyset cursors.
#[derive(Clone, Copy)]
enum Listing {
    Datasets,
    Samples,
}

impl Listing {
    async fn create(self, table: &dyn Table, id: &str, owner: &str, created: i64) {
        match self {
            Self::Datasets => table.create_dataset(&dataset(id, owner, created)).await,
            Self::Samples => table.create_sample(&owned_sample(id, owner, created)).await,
        }
        .unwrap();
    }

    /// One page: the ids in order, and the next cursor.
    async fn page(
        self,
        table: &dyn Table,
        owner: &str,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), TableError> {
        Ok(match self {
            Self::Datasets => {
                let page = table.list_datasets(owner, limit, cursor).await?;
                let ids = page.datasets.into_iter().map(|d| d.dataset_id);
                (ids.collect(), page.next)
            }
            Self::Samples => {
                let page = table.list_samples(owner, limit, cursor).await?;
                let ids = page.samples.into_iter().map(|s| s.sample_id);
                (ids.collect(), page.next)
            }
        })
    }
}

/// What both listings share: newest first (`created_at`, then id, descending), paged with the
/// same cursors; other owners' records never appear; a cursor no page returned is refused as
/// corrupt, not read as "from the start".
async fn owner_paging(table: &dyn Table, listing: Listing) {
    // Two records share a created_at: the id breaks the tie.
    for (id, created) in [("a", 10), ("b", 30), ("c", 20), ("d", 30), ("e", 5)] {
        listing.create(table, id, "SP1", created).await;
    }
    listing.create(table, "z", "SP2", 25).await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let (ids, next) = listing
            .page(table, "SP1", 2, cursor.as_deref())
            .await
            .unwrap();
        pages += 1;
        assert!(ids.len() <= 2);
        seen.extend(ids);
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ["d", "b", "c", "a", "e"]);
    assert_eq!(pages, 3);

    // A page that ends exactly at the last record has no next cursor.
    let (all, next) = listing.page(table, "SP1", 5, None).await.unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(next, None);
    let (_, first) = listing.page(table, "SP1", 1, None).await.unwrap();
    assert_eq!(first.as_deref(), Some("30000000000:d"));

    assert!(
        listing
            .page(table, "SP3", 10, None)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    for cursor in ["nope", "12:", ":d1", "x:d1"] {
        assert!(
            matches!(
                listing.page(table, "SP1", 10, Some(cursor)).await,
                Err(TableError::Corrupt { .. })
            ),
            "{cursor:?}"
        );
    }
}

/// An owner's datasets newest first, paged with cursors; other owners' datasets never appear.
pub async fn dataset_paging(table: &dyn Table) {
    owner_paging(table, Listing::Datasets).await;
}

/// An owner's samples newest first, paged with the same cursors as datasets; other owners'
/// samples never appear; an update keeps a sample's place; a deleted sample leaves the list;
/// datasets never appear among samples, nor samples among datasets.
pub async fn sample_paging(table: &dyn Table) {
    owner_paging(table, Listing::Samples).await;
    table
        .create_dataset(&dataset("d-of-sp1", "SP1", 40))
        .await
        .unwrap();

    // A status change keeps the sample where it was; a deleted sample is gone from the list.
    let mut moved = owned_sample("c", "SP1", 20);
    moved.status = SampleStatus::AnalysisRequested;
    moved.updated_at = at(50);
    table
        .update_sample(&moved, SampleStatus::Waiting)
        .await
        .unwrap();
    table.delete_sample("b").await.unwrap();
    let after = table.list_samples("SP1", 10, None).await.unwrap();
    let ids: Vec<&str> = after.samples.iter().map(|s| s.sample_id.as_str()).collect();
    assert_eq!(ids, ["d", "c", "a", "e"]);
    assert_eq!(after.samples[1].status, SampleStatus::AnalysisRequested);

    let datasets = table.list_datasets("SP1", 10, None).await.unwrap();
    assert_eq!(datasets.datasets.len(), 1);
}

/// A login nonce is refused while its record lives, per address, and reusable once expired.
pub async fn nonce_expiry(table: &dyn Table) {
    let nonce = LoginNonce {
        address: "SP1".into(),
        nonce: u64::MAX,
        expires_at: 1_000,
    };
    table.claim_nonce(&nonce, at(900)).await.unwrap();
    assert!(is_condition_failed(
        table.claim_nonce(&nonce, at(999)).await
    ));
    let other_address = LoginNonce {
        address: "SP2".into(),
        ..nonce.clone()
    };
    table.claim_nonce(&other_address, at(999)).await.unwrap();
    table.claim_nonce(&nonce, at(1_000)).await.unwrap();
    // Claimed again at 1000 with the same expiry: its record is expired already, so the next
    // claim wins too, exactly as a DynamoDB TTL'd record would not block it.
    table.claim_nonce(&nonce, at(1_001)).await.unwrap();
    let renewed = LoginNonce {
        expires_at: 2_000,
        ..nonce.clone()
    };
    table.claim_nonce(&renewed, at(1_002)).await.unwrap();
    assert!(is_condition_failed(
        table.claim_nonce(&renewed, at(1_500)).await
    ));
}

/// Batches move the anchor account's nonce counter atomically with their own write: a refused
/// write moves nothing.
pub async fn batches_and_the_nonce_counter(table: &dyn Table) {
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), None);
    let first = batch("b1", 100, 0);
    table.create_batch(&first, &claim(None, 1)).await.unwrap();
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), Some(1));

    // A second signer read the counter before the first moved it: refused, nothing written.
    let racing = batch("b2", 101, 0);
    assert!(is_condition_failed(
        table.create_batch(&racing, &claim(None, 1)).await
    ));
    assert_eq!(table.get_batch("b2").await.unwrap(), None);
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), Some(1));

    // An existing batch id is refused even with the right counter, and the counter stays.
    assert!(is_condition_failed(
        table.create_batch(&first, &claim(Some(1), 2)).await
    ));
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), Some(1));

    let second = batch("b2", 99, 1);
    table
        .create_batch(&second, &claim(Some(1), 2))
        .await
        .unwrap();
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), Some(2));

    // Open batches, oldest first.
    let open: Vec<String> = table
        .open_batches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.batch_id)
        .collect();
    assert_eq!(open, ["b2", "b1"]);

    // Updates are conditional on the revision; a re-sign moves the counter with them.
    let mut confirmed = first.clone();
    confirmed.status = SubmissionStatus::Confirmed;
    confirmed.revision = 1;
    table.update_batch(&confirmed, 0, None).await.unwrap();
    assert!(is_condition_failed(
        table.update_batch(&confirmed, 0, None).await
    ));
    let mut resigned = second.clone();
    resigned.revision = 1;
    resigned.transaction.nonce = 2;
    // A stale counter refuses the update and leaves the batch as it was.
    assert!(is_condition_failed(
        table
            .update_batch(&resigned, 0, Some(&claim(Some(1), 2)))
            .await
    ));
    assert_eq!(table.get_batch("b2").await.unwrap(), Some(second.clone()));
    table
        .update_batch(&resigned, 0, Some(&claim(Some(2), 3)))
        .await
        .unwrap();
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), Some(3));
    assert_eq!(table.get_batch("b2").await.unwrap(), Some(resigned));
    let open: Vec<String> = table
        .open_batches()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.batch_id)
        .collect();
    assert_eq!(open, ["b2"]);
    assert!(is_condition_failed(
        table.update_batch(&batch("missing", 0, 0), 0, None).await
    ));
}

/// Oracle values: created at `None`, replaced at their revision, with the counter's move.
pub async fn oracle_values(table: &dyn Table) {
    let mut value = oracle_value("k1", 50);
    table
        .write_oracle_value(&value, None, Some(&claim(None, 1)))
        .await
        .unwrap();
    assert!(is_condition_failed(
        table.write_oracle_value(&value, None, None).await
    ));
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), Some(1));
    table
        .write_oracle_value(&oracle_value("k0", 40), None, None)
        .await
        .unwrap();
    let open: Vec<String> = table
        .open_oracle_values()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.key)
        .collect();
    assert_eq!(open, ["k0", "k1"]);

    value.revision = 1;
    value.status = SubmissionStatus::Broadcast;
    // The counter moved since: nothing is written.
    assert!(is_condition_failed(
        table
            .write_oracle_value(&value, Some(0), Some(&claim(None, 1)))
            .await
    ));
    assert_eq!(
        table
            .get_oracle_value("k1")
            .await
            .unwrap()
            .unwrap()
            .revision,
        0
    );
    table
        .write_oracle_value(&value, Some(0), Some(&claim(Some(1), 2)))
        .await
        .unwrap();
    assert_eq!(
        table.get_oracle_value("k1").await.unwrap(),
        Some(value.clone())
    );
    assert!(is_condition_failed(
        table.write_oracle_value(&value, Some(0), None).await
    ));
    value.revision = 2;
    value.status = SubmissionStatus::Confirmed;
    table
        .write_oracle_value(&value, Some(1), None)
        .await
        .unwrap();
    let open: Vec<String> = table
        .open_oracle_values()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.key)
        .collect();
    assert_eq!(open, ["k0"]);
    assert_eq!(table.get_oracle_value("missing").await.unwrap(), None);
    assert!(is_condition_failed(
        table
            .write_oracle_value(&oracle_value("missing", 0), Some(0), None)
            .await
    ));
}

/// The sweeper's leases: replaced by `(kind, id)`, listed soonest expired first up to a limit,
/// deleted; samples deleted.
pub async fn leases_and_sample_deletion(table: &dyn Table) {
    use genoflow_core::model::{Lease, LeaseKind};
    let lease = |kind, id: &str, expires| Lease::new(kind, id, at(expires), at(0));
    table
        .put_lease(&lease(LeaseKind::Analysis, "s1", 300))
        .await
        .unwrap();
    table
        .put_lease(&lease(LeaseKind::Validation, "d1", 100))
        .await
        .unwrap();
    table
        .put_lease(&lease(LeaseKind::Deletion, "d2", 900))
        .await
        .unwrap();
    // Replaced, not added: one lease per (kind, id).
    let mut returned = lease(LeaseKind::Analysis, "s1", 200);
    returned.returns = 2;
    returned.key = Some("uploads/SP1/d1/r.fq".into());
    table.put_lease(&returned).await.unwrap();
    assert_eq!(
        table.get_lease(LeaseKind::Analysis, "s1").await.unwrap(),
        Some(returned.clone())
    );
    assert_eq!(
        table.get_lease(LeaseKind::Anchoring, "s1").await.unwrap(),
        None
    );

    let expired = |at_seconds, limit| async move {
        table
            .expired_leases(at(at_seconds), limit)
            .await
            .unwrap()
            .into_iter()
            .map(|lease| (lease.kind, lease.id))
            .collect::<Vec<_>>()
    };
    assert_eq!(expired(99, 10).await, []);
    assert_eq!(
        expired(200, 10).await,
        [
            (LeaseKind::Validation, "d1".to_owned()),
            (LeaseKind::Analysis, "s1".to_owned())
        ]
    );
    assert_eq!(
        expired(1000, 1).await,
        [(LeaseKind::Validation, "d1".to_owned())]
    );
    table
        .delete_lease(LeaseKind::Validation, "d1")
        .await
        .unwrap();
    table
        .delete_lease(LeaseKind::Validation, "d1")
        .await
        .unwrap();
    assert_eq!(expired(1000, 10).await.len(), 2);

    table.create_sample(&sample("s9")).await.unwrap();
    table.delete_sample("s9").await.unwrap();
    table.delete_sample("s9").await.unwrap();
    assert_eq!(table.get_sample("s9").await.unwrap(), None);
}
