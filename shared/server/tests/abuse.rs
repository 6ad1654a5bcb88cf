//! `genoflow serve` as an attacker or a careless client uses it: hundreds of slow uploads,
//! idle connections past the cap, parts of the wrong size, quotas, control characters in ids,
//! bad cursors and keys, a job past its timeout; and the data directory's modes.

#![allow(clippy::unwrap_used)]

use genoflow_testkit::serve as support;

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{ALICE_KEY, BOB_KEY, Client, start, start_with};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// `count` FASTQ records of 100 bases (about 250 bytes each).
fn fastq(count: usize) -> Vec<u8> {
    let mut text = Vec::new();
    for index in 0..count {
        text.extend_from_slice(format!("@read{index}\n").as_bytes());
        text.extend(std::iter::repeat_n(b"ACGT", 25).flatten());
        text.extend_from_slice(b"\n+\n");
        text.extend(std::iter::repeat_n(b'I', 100));
        text.push(b'\n');
    }
    text
}

/// The request line and headers of a PUT of `url` (a presigned URL of the server at `base`).
fn put_head(base: &str, url: &str, headers: &[(&str, String)]) -> String {
    let path = url.strip_prefix(base).unwrap();
    let mut head = format!("PUT {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    for (name, value) in headers {
        head += &format!("{name}: {value}\r\n");
    }
    head + "\r\n"
}

fn address(base: &str) -> String {
    base.trim_start_matches("http://").to_owned()
}

/// The headers an `upload` object of `POST /uploads` names.
fn headers_of(upload: &Value) -> Vec<(&str, String)> {
    upload["headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str().unwrap().to_owned()))
        .collect()
}

/// Sends `head` and `body` on a new connection to `address` and reads the answer to its end.
async fn exchange(address: &str, head: &str, body: &[u8]) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
        .await
        .unwrap()
        .unwrap();
    answer
}

/// Hundreds of uploads trickling one byte at a time to the same URL (the issue measured that
/// about 520 froze every route using the database: each held a blocking thread, and the
/// database works in the same pool). The runtime here has 64 blocking threads, so 300 slow
/// clients are several times what it has; the other routes must keep answering within a second.
#[test]
fn slow_uploads_hold_no_thread_and_the_other_routes_answer_within_a_second() {
    const SLOW_CLIENTS: usize = 300;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(64)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = start().await;
        let mut client = Client::new(&server.client.base);
        client.http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        client.login(ALICE_KEY, 1).await;
        let body = fastq(4_000);
        let answer = client.declare(&[("slow.fq", body.clone())]).await;
        let dataset_id = answer["datasets"][0]["dataset_id"].as_str().unwrap().to_owned();
        let upload = &answer["datasets"][0]["upload"];
        let head = put_head(
            &client.base,
            upload["url"].as_str().unwrap(),
            &headers_of(upload),
        );
        let address = address(&client.base);
        let mut slow = tokio::task::JoinSet::new();
        for _ in 0..SLOW_CLIENTS {
            // Connected one after the other: a burst of hundreds of SYNs would measure the
            // kernel's listen backlog, not the server.
            let mut stream = TcpStream::connect(&address).await.unwrap();
            let head = head.clone();
            slow.spawn(async move {
                stream.write_all(head.as_bytes()).await.unwrap();
                // One byte every 100 ms: well inside the body idle timeout, never done.
                loop {
                    if let Err(error) = stream.write_all(b"@").await {
                        let mut answer = String::new();
                        let _ = stream.read_to_string(&mut answer).await;
                        return format!("{error}: {answer}");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            });
        }
        // Let every slow client connect and start its body.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let mut latencies = Vec::new();
        for round in 0..10 {
            for path in ["/datasets", &format!("/datasets/{dataset_id}"), "/health"] {
                let started = Instant::now();
                let (status, answer) = client.call(Method::GET, path, None).await;
                latencies.push(started.elapsed());
                assert_eq!(status, 200, "round {round}, {path}: {answer}");
            }
        }
        latencies.sort();
        let (median, max) = (latencies[latencies.len() / 2], latencies[latencies.len() - 1]);
        println!(
            "{SLOW_CLIENTS} slow uploads in flight: {} requests to routes using the database, median {median:?}, max {max:?}",
            latencies.len()
        );
        assert!(max < Duration::from_secs(1), "max {max:?}");
        // The slow uploads are still open (none was refused), and leave nothing when dropped.
        assert_eq!(slow.len(), SLOW_CLIENTS);
        if let Some(ended) = slow.try_join_next() {
            panic!("a slow upload ended: {ended:?}");
        }
        slow.shutdown().await;
        server.stop().await;
    });
}

/// Past the connection cap a connection is answered 503 at once; a connection that sends no
/// headers is closed after the header timeout, and an upload that stalls after the body idle
/// timeout (408, nothing stored).
#[tokio::test(flavor = "multi_thread")]
async fn the_cap_refuses_extra_connections_and_idle_ones_are_closed() {
    let server = start_with(|config| {
        config.max_connections = 4;
        config.header_read_timeout = Duration::from_millis(300);
        config.body_idle_timeout = Duration::from_millis(300);
    })
    .await;
    let address = address(&server.client.base);
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(TcpStream::connect(&address).await.unwrap());
    }
    // The four are accepted before the fifth arrives.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut extra = TcpStream::connect(&address).await.unwrap();
    let mut answer = String::new();
    extra.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 503") && answer.contains("too_many_connections"),
        "{answer}"
    );
    // The header timeout closes the four.
    for mut stream in idle {
        let started = Instant::now();
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .unwrap();
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    // Room again; an upload that stops sending is refused after the idle timeout.
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let body = fastq(10);
    let declared = client.declare(&[("stall.fq", body.clone())]).await;
    let upload = &declared["datasets"][0]["upload"];
    let head = put_head(
        &client.base,
        upload["url"].as_str().unwrap(),
        &headers_of(upload),
    );
    let answer = exchange(&address, &head, &body[..10]).await;
    assert!(
        answer.starts_with("HTTP/1.1 408") && answer.contains("body_timeout"),
        "{answer}"
    );
    drop(client);
    server.stop().await;
}

/// Each part must be its planned size (refused before a byte is stored otherwise), and a part
/// sent again replaces the first instead of piling up beside it.
#[tokio::test(flavor = "multi_thread")]
async fn parts_are_held_to_their_planned_size_and_a_part_sent_again_replaces_the_first() {
    const MIB: usize = 1 << 20;
    let server = start_with(|config| {
        config.upload_limits.single_put_max = 100_000;
        config.upload_limits.min_part_size = MIB as u64;
    })
    .await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let body = fastq(10_000);
    assert!(body.len() > 2 * MIB && body.len() < 3 * MIB);
    let declared = client.declare(&[("big.fq", body.clone())]).await;
    let dataset_id = declared["datasets"][0]["dataset_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = &declared["datasets"][0]["upload"];
    assert_eq!(upload["part_size"], MIB, "{upload}");
    let urls: Vec<String> = upload["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| part["url"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(urls.len(), 3);
    let put = |url: String, bytes: Vec<u8>| {
        let http = client.http.clone();
        async move {
            let response = http.put(url).body(bytes).send().await.unwrap();
            let status = response.status().as_u16();
            let etag = response
                .headers()
                .get("etag")
                .map(|etag| etag.to_str().unwrap().to_owned());
            (status, etag, response.text().await.unwrap())
        }
    };
    // One byte too many, one too few, the last part whole-sized: refused on the declared
    // length, before the body is sent.
    let address = address(&client.base);
    for (url, length) in [(&urls[0], MIB + 1), (&urls[0], MIB - 1), (&urls[2], MIB)] {
        let head = put_head(&client.base, url, &[("content-length", length.to_string())]);
        let answer = exchange(&address, &head, b"").await;
        assert!(
            answer.starts_with("HTTP/1.1 400") && answer.contains("wrong_length"),
            "{answer}"
        );
    }
    // Part 1 sent with other bytes first, then with the right ones: one file remains.
    let (status, _, text) = put(urls[0].clone(), vec![b'x'; MIB]).await;
    assert_eq!(status, 200, "{text}");
    let mut parts = Vec::new();
    for (number, (url, chunk)) in urls.iter().zip(body.chunks(MIB)).enumerate() {
        let (status, etag, text) = put(url.clone(), chunk.to_vec()).await;
        assert_eq!(status, 200, "{text}");
        parts.push(json!({"number": number + 1, "etag": etag.unwrap()}));
    }
    let uploads: Vec<_> = std::fs::read_dir(server.data_dir().join("multipart"))
        .unwrap()
        .collect();
    assert_eq!(uploads.len(), 1);
    let mut files: Vec<String> = std::fs::read_dir(uploads[0].as_ref().unwrap().path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "upload.json")
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files[0].starts_with("00001."), "{files:?}");
    let (status, answer) = client
        .call(
            Method::POST,
            &format!("/uploads/{dataset_id}/complete"),
            Some(&json!({ "parts": parts })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let dataset = client
        .wait_for(
            &dataset_id,
            &["valid", "analyzing", "analyzed", "anchored"],
            Duration::from_secs(60),
        )
        .await;
    assert_eq!(dataset["sha256"], hex::encode(Sha256::digest(&body)));
    server.stop().await;
}

/// The quotas of the core upload use case, as serve answers them: 429 past the uploads in
/// flight, 413 past the bytes stored.
#[tokio::test(flavor = "multi_thread")]
async fn quotas_are_answered_429_and_413() {
    let server = start_with(|config| {
        config.upload_limits.max_uploads_in_flight = 1;
        config.upload_limits.max_bytes_per_user = 10_000;
    })
    .await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    client.declare(&[("a.fq", fastq(1))]).await;
    let mut bob = Client::new(&server.client.base);
    bob.login(BOB_KEY, 1).await;
    // Alice has one upload in flight; Bob asks for more than his bytes.
    for (caller, size, expected) in [
        (&client, 10, (429, "too_many_uploads")),
        (&bob, 10_001, (413, "quota_exceeded")),
    ] {
        let declared = json!({"filename": "b.fq", "size": size, "sha256": "ab".repeat(32)});
        let (status, answer) = caller.call(Method::POST, "/uploads", Some(&declared)).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (expected.0, Some(expected.1)),
            "{answer}"
        );
    }
    server.stop().await;
}

/// Modes of everything under `directory`: directories 0700, files 0600.
fn assert_private(directory: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(directory).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", directory.display());
    for entry in std::fs::read_dir(directory).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            assert_private(&entry.path());
        } else {
            let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", entry.path().display());
        }
    }
}

/// Genomic data, reports, the database and the secrets are readable by their owner only,
/// whatever the umask; a data directory made by hand (0755) is closed too. (With `--metrics`,
/// the validation is counted at `/metrics`.)
#[tokio::test(flavor = "multi_thread")]
async fn the_data_directory_and_everything_in_it_are_the_owners_only() {
    let server = start_with(|config| {
        use std::os::unix::fs::PermissionsExt;
        let open = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&config.data_dir, open).unwrap();
        config.metrics = true;
    })
    .await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let ids = client.upload(&[("r.fq", fastq(100))]).await;
    client
        .wait_for(
            &ids[0],
            &["valid", "analyzing", "analyzed", "anchored"],
            Duration::from_secs(60),
        )
        .await;
    assert_private(server.data_dir());
    let metrics = client
        .http
        .get(format!("{}/metrics", client.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("genoflow_datasets_validated_total 1\n"),
        "{text}"
    );
    server.stop().await;
}

/// A log sink for one thread's subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self {
        self.clone()
    }
}

/// Control characters in a dataset id or a blob key (percent-encoded in the path) are logged
/// escaped: no request can start a log line of its own or send terminal escapes.
#[test]
fn log_fields_are_escaped_so_no_request_forges_a_line() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .fmt_fields(genoflow_server::escaped_fields())
        .with_writer(captured.clone())
        .with_ansi(false)
        .without_time()
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // One thread: the server's tasks log through this thread's subscriber.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = start().await;
        let mut client = Client::new(&server.client.base);
        client.login(ALICE_KEY, 1).await;
        let (status, _) = client
            .call(Method::GET, "/datasets/x%0AINFO%20forged%1B%5B31m", None)
            .await;
        assert_eq!(status, 404);
        let (status, _) = client
            .put(
                &format!(
                    "{}/blobs/a%0DWARN%20forged?expires=1&signature=00",
                    client.base
                ),
                &json!({}),
                b"x".to_vec(),
            )
            .await;
        assert_eq!(status, 400);
        server.stop().await;
    });
    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains(r"x\nINFO forged\u{1b}[31m"), "{logged}");
    assert!(logged.contains(r"a\rWARN forged"), "{logged}");
    // Every line is one the server wrote: a level, then a target.
    for line in logged.lines() {
        let mut words = line.split_whitespace();
        let (level, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level) && target.ends_with(':'),
            "a line the server did not write: {line:?}"
        );
    }
    assert!(!logged.contains('\r') && !logged.contains('\u{1b}'));
}

/// The caller's mistakes are 4xx and logged as warnings; the server's failures 5xx with a body
/// that names no path.
#[tokio::test(flavor = "multi_thread")]
async fn errors_are_classed_and_a_5xx_names_no_path() {
    let server = start().await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    let (status, _) = client.call(Method::GET, "/metrics", None).await;
    assert_eq!(status, 404, "metrics are off by default");
    for cursor in ["nonsense", "12:", "x:d1"] {
        let (status, answer) = client
            .call(Method::GET, &format!("/datasets?cursor={cursor}"), None)
            .await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (400, &json!("bad_query")),
            "{answer}"
        );
    }
    // A key the store refuses (a backslash), whatever the signature: the caller's mistake.
    let (status, text) = client
        .put(
            &format!("{}/blobs/a%5Cb?expires=1&signature=00", client.base),
            &json!({}),
            b"x".to_vec(),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("bad_key"), "{text}");
    // The store fails: a file where the upload's directory goes.
    let body = fastq(1);
    let declared = client.declare(&[("r.fq", body.clone())]).await;
    let upload = &declared["datasets"][0]["upload"];
    std::fs::write(server.data_dir().join("blobs/uploads"), b"in the way").unwrap();
    let (status, text) = client
        .put(upload["url"].as_str().unwrap(), &upload["headers"], body)
        .await;
    assert_eq!(status, 503, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["error"]["code"], "store_unavailable");
    let data_dir = server.data_dir().display().to_string();
    assert!(
        !text.contains(&data_dir) && !text.contains("blobs/"),
        "{text}"
    );
    server.stop().await;
}

/// A job past `--job-timeout` is failed; on its last attempt it is kept as a dead letter, which
/// `GET /admin/dead-letters` lists for the operator's token only.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_past_its_timeout_is_a_dead_letter_only_the_operator_lists() {
    let server = start_with(|config| {
        config.job_timeout = Duration::from_millis(1);
        config.max_attempts = 1;
    })
    .await;
    let mut client = Client::new(&server.client.base);
    client.login(ALICE_KEY, 1).await;
    // Megabytes to validate: far more than a millisecond of work.
    client.upload(&[("r.fq", fastq(80_000))]).await;
    let token = server.admin_token();
    let started = Instant::now();
    let letters = loop {
        let (status, answer) = client
            .call_as(Method::GET, "/admin/dead-letters", Some(&token), None)
            .await;
        assert_eq!(status, 200, "{answer}");
        let letters = answer["dead_letters"].as_array().unwrap().clone();
        if !letters.is_empty() {
            break letters;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no dead letter"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0]["queue"], "validation");
    assert!(
        letters[0]["reason"].as_str().unwrap().contains("timeout"),
        "{letters:?}"
    );
    assert!(
        letters[0]["message"]["key"]
            .as_str()
            .unwrap()
            .contains("r.fq")
    );
    // Anyone else is refused: no token, a user's sign-in token, another token.
    for bearer in [None, client.token.clone(), Some("0".repeat(64))] {
        let (status, answer) = client
            .call_as(Method::GET, "/admin/dead-letters", bearer.as_deref(), None)
            .await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (401, &json!("unauthenticated"))
        );
        assert!(answer.get("dead_letters").is_none());
    }
    server.stop().await;
}
