//! Everything survives a restart: drop every adapter, reopen the same data directory.
#![allow(clippy::unwrap_used)]

use genoflow_testkit::fixtures as common;

use genoflow_core::ports::HmacSecret as SigningSecret;
use genoflow_core::ports::{AnalysisRequested, BlobStore, Message, Queue, QueueName, Table};
use genoflow_local::{FileBlobStore, LocalQueue, QueueSettings, SqliteTable};
use time::{Duration, OffsetDateTime};

fn open(data_dir: &std::path::Path) -> (SqliteTable, FileBlobStore, LocalQueue) {
    (
        SqliteTable::open(data_dir).unwrap(),
        FileBlobStore::open(
            data_dir,
            "http://127.0.0.1:8080",
            SigningSecret::new(vec![3; 32]).unwrap(),
        )
        .unwrap(),
        LocalQueue::open(data_dir, QueueSettings::default()).unwrap(),
    )
}

#[tokio::test]
async fn records_objects_uploads_and_messages_survive_a_restart() {
    let data_dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let dataset = common::dataset("d1", "SP1", 100);
    let batch = common::batch("b1", 100, 0);
    let upload_id;
    let part_url;
    {
        let (table, store, queue) = open(data_dir.path());
        table.create_dataset(&dataset).await.unwrap();
        table.create_sample(&common::sample("s1")).await.unwrap();
        table
            .create_batch(&batch, &common::claim(None, 1))
            .await
            .unwrap();
        table
            .claim_nonce(
                &genoflow_core::model::LoginNonce {
                    address: "SP1".into(),
                    nonce: 7,
                    expires_at: now.unix_timestamp() + 600,
                },
                now,
            )
            .await
            .unwrap();
        store
            .put("results/d1/report.json", b"{}".to_vec())
            .await
            .unwrap();
        let upload = store
            .start_multipart("uploads/SP1/d2/r.fq", 2, now + Duration::hours(1))
            .await
            .unwrap();
        upload_id = upload.upload_id;
        part_url = upload.parts[1].url.clone();
        let first = store
            .accept_part(
                upload.parts[0]
                    .url
                    .strip_prefix("http://127.0.0.1:8080")
                    .unwrap(),
                &b"AC"[..],
                now,
            )
            .unwrap();
        assert!(first.starts_with('"'));
        queue
            .send(&Message::from(AnalysisRequested {
                sample_id: "s1".into(),
            }))
            .await
            .unwrap();
        queue
            .send(&Message::from(AnalysisRequested {
                sample_id: "s2".into(),
            }))
            .await
            .unwrap();
        // WAL mode: committed writes are in the write-ahead log next to the database.
        assert!(data_dir.path().join("genoflow.sqlite3-wal").exists());
        // Received and not acked when the process died: redelivered after the timeout.
        let in_flight = queue
            .receive(QueueName::Analysis, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(in_flight.attempt, 1);
    }

    let (table, store, queue) = open(data_dir.path());
    assert_eq!(table.get_dataset("d1").await.unwrap(), Some(dataset));
    assert_eq!(
        table.get_sample("s1").await.unwrap(),
        Some(common::sample("s1"))
    );
    assert_eq!(table.open_batches().await.unwrap(), [batch]);
    assert_eq!(table.account_nonce("ST1ANCHOR").await.unwrap(), Some(1));
    assert!(common::is_condition_failed(
        table
            .claim_nonce(
                &genoflow_core::model::LoginNonce {
                    address: "SP1".into(),
                    nonce: 7,
                    expires_at: now.unix_timestamp() + 600,
                },
                now,
            )
            .await
    ));
    assert_eq!(store.list("").await.unwrap(), ["results/d1/report.json"]);

    // The multipart upload goes on after the restart.
    let second = store
        .accept_part(
            part_url.strip_prefix("http://127.0.0.1:8080").unwrap(),
            &b"GT"[..],
            now,
        )
        .unwrap();
    let first_etag = format!(
        "\"{}\"",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"AC"))
    );
    store
        .complete_multipart(
            "uploads/SP1/d2/r.fq",
            &upload_id,
            &[
                genoflow_core::ports::CompletedPart {
                    number: 1,
                    etag: first_etag,
                },
                genoflow_core::ports::CompletedPart {
                    number: 2,
                    etag: second,
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .read_range("uploads/SP1/d2/r.fq", 0..10)
            .await
            .unwrap(),
        b"ACGT"
    );

    // The message nobody received is there; the in-flight one comes back after its timeout.
    let waiting = queue
        .receive(QueueName::Analysis, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        waiting.message().unwrap(),
        Message::from(AnalysisRequested {
            sample_id: "s2".into()
        })
    );
    assert_eq!(queue.receive(QueueName::Analysis, now).await.unwrap(), None);
    let redelivered = queue
        .receive(QueueName::Analysis, now + Duration::minutes(15))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(redelivered.attempt, 2);
    assert_eq!(
        redelivered.message().unwrap(),
        Message::from(AnalysisRequested {
            sample_id: "s1".into()
        })
    );
}
