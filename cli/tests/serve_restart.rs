//! `genoflow serve` killed mid-analysis (SIGKILL: no clean shutdown) and started again on the
//! same data directory: the dataset completes, analysed by the second process. Two consumers
//! per queue (`--workers 2`), so claims are leased: the redelivered request finds the dead
//! process's claim inside its lease, and the sweeper returns it at start.

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use support::{ALICE_KEY, Client, tb_demo};

/// Starts the binary on a free port; answers the child and its base URL (from the first line
/// it prints).
fn start(data_dir: &std::path::Path, log: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genoflow"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--data-dir",
        ])
        .arg(data_dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_analysis_finishes_the_dataset_after_a_restart() {
    // The analysis of tb-demo takes about a second: if the kill lands after it finished, the
    // second process had nothing to resume, and the scenario runs again on a new sample.
    for attempt in 1..=5 {
        let dir = tempfile::tempdir().unwrap();
        let (first_log, second_log) = (dir.path().join("first.log"), dir.path().join("second.log"));
        let data = dir.path().join("data");
        let (mut first, base) = start(&data, &first_log);
        let mut client = Client::new(&base);
        client.login(ALICE_KEY, attempt).await;
        let ids = client.upload(&tb_demo()).await;
        client
            .wait_for(&ids[0], &["analyzing"], Duration::from_secs(120))
            .await;
        first.kill().unwrap();
        first.wait().unwrap();

        let (mut second, base) = start(&data, &second_log);
        client.base = base.trim_end_matches('/').to_owned();
        let dataset = client
            .wait_for(
                &ids[0],
                &["analyzed", "anchored", "confirmed"],
                Duration::from_secs(120),
            )
            .await;
        let (status, report) = client
            .call(
                reqwest::Method::GET,
                &format!("/datasets/{}/report", ids[0]),
                None,
            )
            .await;
        second.kill().unwrap();
        second.wait().unwrap();
        let log = std::fs::read_to_string(&second_log).unwrap();
        if !log.contains("analysis done") {
            eprintln!("attempt {attempt}: the first process finished before the kill; again");
            continue;
        }
        assert!(
            log.contains("released=1"),
            "the analysis request was not taken over:\n{log}"
        );
        assert!(
            log.contains("analysis returned"),
            "the sweeper did not return the dead process's claim:\n{log}"
        );
        assert_eq!(status, 200, "{report}");
        assert_eq!(dataset["status"], "analyzed", "{dataset}");
        return;
    }
    panic!("five kills landed after the analysis: the test could not interrupt one");
}
