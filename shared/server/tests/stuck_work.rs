//! No stuck work and delete means delete, in `genoflow serve`: a redelivery inside a live lease
//! is put back until the lease ends (never acknowledged while the claim's holder runs) and the
//! sample ends analysed; a delete during the analysis leaves nothing of the dataset on disk or
//! in the database. (A server killed mid-analysis: `cli/tests/serve_restart.rs`.)

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::{path::Path, time::Duration};

use genoflow_core::ports::{AnalysisRequested, Message, Queue, QueueName, Table};
use genoflow_local::{LocalQueue, QueueSettings, SqliteTable};
use support::{ALICE, ALICE_KEY, Client, Running, start_with, tb_demo};

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found
}

/// Signs in, uploads the tb-demo pair and waits until it is analysed: answers the client, the
/// dataset ids and the sample id.
async fn analysing(server: &Running) -> (Client, Vec<String>, String) {
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let ids = client.upload(&tb_demo()).await;
    let analyzing = client
        .wait_for(&ids[0], &["analyzing"], Duration::from_secs(120))
        .await;
    let sample_id = analyzing["sample_id"].as_str().unwrap().to_owned();
    (client, ids, sample_id)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivery_inside_a_live_lease_is_put_back_and_the_sample_ends_analyzed() {
    let server = start_with(|config| config.workers = 2).await;
    let (client, ids, sample_id) = analysing(&server).await;

    // A duplicate request arrives while the first analysis runs: the second consumer finds the
    // live claim.
    let queue = LocalQueue::open(server.data_dir(), QueueSettings::default()).unwrap();
    let duplicate = Message::from(AnalysisRequested {
        sample_id: sample_id.clone(),
    });
    queue.send(&duplicate).await.unwrap();
    client
        .wait_for(&ids[0], &["analyzed", "anchored"], Duration::from_secs(120))
        .await;

    // It was put back until the claim's lease ends, not acknowledged as done nor dead-lettered.
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let waiting = queue.receive(QueueName::Analysis, later).await.unwrap();
    let waiting = waiting.expect("the duplicate was acknowledged while the claim was live");
    assert_eq!(waiting.message().unwrap(), duplicate);
    assert_eq!(waiting.attempt, 2, "delivered once, then put back");
    assert!(
        queue
            .dead_letters(QueueName::Analysis)
            .await
            .unwrap()
            .is_empty()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_during_the_analysis_leaves_nothing_on_disk() {
    let server = start_with(|_| {}).await;
    let (client, ids, sample_id) = analysing(&server).await;
    for id in &ids {
        let (status, body) = client
            .call(reqwest::Method::DELETE, &format!("/datasets/{id}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // One analysis consumer: once another sample is analysed, the deleted one's job is over.
    let reads = tb_demo();
    let other = client.upload(&reads[..1]).await;
    client
        .wait_for(
            &other[0],
            &["analyzed", "anchored"],
            Duration::from_secs(120),
        )
        .await;

    let left: Vec<String> = files(&server.data_dir().join("blobs"))
        .into_iter()
        .filter(|path| ids.iter().any(|id| path.contains(id.as_str())))
        .collect();
    assert_eq!(
        left,
        Vec::<String>::new(),
        "objects of the deleted datasets"
    );
    assert!(
        files(&server.data_dir().join("blobs/quarantine")).is_empty(),
        "nothing quarantined"
    );
    let table = SqliteTable::open(server.data_dir()).unwrap();
    assert_eq!(table.get_sample(&sample_id).await.unwrap(), None);
    for id in &ids {
        assert_eq!(table.get_dataset(id).await.unwrap(), None);
        let (status, _) = client
            .call(reqwest::Method::GET, &format!("/datasets/{id}"), None)
            .await;
        assert_eq!(status, 404);
    }
    assert!(
        !files(&server.data_dir().join("blobs/uploads"))
            .iter()
            .any(|path| path.starts_with(&format!("{ALICE}/{}", ids[1]))),
    );
    server.stop().await;
}
