//! The SQLite table passes every table scenario of the test kit (as the in-memory and DynamoDB
//! tables do), plus what only a database file shared by processes can show.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::ports::{DatasetState, Table};
use genoflow_local::SqliteTable;
use genoflow_testkit::fixtures as common;

genoflow_testkit::table_scenarios!(async {
    let data_dir = tempfile::tempdir().unwrap();
    (SqliteTable::open(data_dir.path()).unwrap(), data_dir)
});

/// Of many tasks racing the same conditional write, through separate connections to the same
/// file (as two processes would), exactly one wins — for every kind of condition.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_writers_on_separate_connections_have_one_winner() {
    let data_dir = tempfile::tempdir().unwrap();
    let tables: Vec<Arc<SqliteTable>> = (0..4)
        .map(|_| Arc::new(SqliteTable::open(data_dir.path()).unwrap()))
        .collect();
    let record = common::dataset("d1", "SP1", 100);
    tables[0].create_dataset(&record).await.unwrap();

    let mut tasks = Vec::new();
    for round in 0..16u64 {
        let table = Arc::clone(&tables[usize::try_from(round % 4).unwrap()]);
        let record = record.clone();
        tasks.push(tokio::spawn(async move {
            let read = DatasetState::of(&record);
            let mut claimed = record;
            claimed.status = genoflow_core::lifecycle::Status::Uploaded;
            claimed.revision = 1;
            claimed.size = round;
            let dataset_won = table.update_dataset(&claimed, read).await.is_ok();
            let batch = common::batch(&format!("b{round}"), 0, 0);
            let batch_won = table
                .create_batch(&batch, &common::claim(None, 1))
                .await
                .is_ok();
            (dataset_won, batch_won)
        }));
    }
    let mut dataset_winners = 0;
    let mut batch_winners = 0;
    for task in tasks {
        let (dataset_won, batch_won) = task.await.unwrap();
        dataset_winners += usize::from(dataset_won);
        batch_winners += usize::from(batch_won);
    }
    assert_eq!(dataset_winners, 1);
    assert_eq!(batch_winners, 1);
    assert_eq!(tables[3].account_nonce("ST1ANCHOR").await.unwrap(), Some(1));
    assert_eq!(tables[2].open_batches().await.unwrap().len(), 1);
    let stored = tables[1].get_dataset("d1").await.unwrap().unwrap();
    assert_eq!(stored.revision, 1);
}

/// A data directory written before samples were listed by owner: opening it fills in the
/// samples' owner and creation time from their records, so they are listed like new ones.
#[tokio::test]
async fn samples_stored_before_the_sample_list_are_listed_once_opened() {
    let data_dir = tempfile::tempdir().unwrap();
    {
        let old = rusqlite::Connection::open(data_dir.path().join("genoflow.sqlite3")).unwrap();
        old.execute_batch(
            "CREATE TABLE samples (sample_id TEXT PRIMARY KEY, record TEXT NOT NULL);",
        )
        .unwrap();
        for (id, created) in [("old-1", 10), ("old-2", 20)] {
            let sample = genoflow_core::model::Sample {
                created_at: common::at(created),
                ..common::sample(id)
            };
            old.execute(
                "INSERT INTO samples (sample_id, record) VALUES (?1, ?2)",
                rusqlite::params![id, serde_json::to_string(&sample).unwrap()],
            )
            .unwrap();
        }
    }
    let table = SqliteTable::open(data_dir.path()).unwrap();
    let page = table.list_samples("SP1", 1, None).await.unwrap();
    assert_eq!(page.samples[0].sample_id, "old-2");
    let rest = table
        .list_samples("SP1", 5, page.next.as_deref())
        .await
        .unwrap();
    let ids: Vec<&str> = rest.samples.iter().map(|s| s.sample_id.as_str()).collect();
    assert_eq!(ids, ["old-1"]);
    // Opening it again changes nothing.
    drop(table);
    let again = SqliteTable::open(data_dir.path()).unwrap();
    assert_eq!(
        again
            .list_samples("SP1", 5, None)
            .await
            .unwrap()
            .samples
            .len(),
        2
    );
}
