//! What every [`BlobStore`] adapter must do the same way: objects written, read by (clamped)
//! range, listed by prefix, copied and deleted; presigned URLs that store only the bound body
//! before expiry; multipart uploads that complete only from their own parts, in order.
//!
//! Each scenario takes a fresh, empty store through a [`Browser`]: the adapter's tests implement
//! it to play what a browser does with the URLs the store signs.

use std::io::Read;

use async_trait::async_trait;
use genoflow_core::ports::{BlobError, BlobStore, CompletedPart, ObjectIntegrity, PresignedPut};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{fixtures::at, keys::START};

/// A key that needs URL-encoding (a space and a `+`).
const KEY: &str = "uploads/SP1/d1/reads 1+2.fastq.gz";

/// The store under test, and what a browser does with the URLs it signs.
#[async_trait]
pub trait Browser: Send + Sync {
    /// The store under test.
    fn store(&self) -> &dyn BlobStore;

    /// The time the scenario signs URLs at: [`START`] by default; a store that checks URLs
    /// against the real clock answers the real time.
    fn now(&self) -> OffsetDateTime {
        at(START)
    }

    /// Whether the store is an emulator that checks neither presigned URLs (signature, expiry,
    /// the bound length and SHA-256) nor the part order of a completion: moto 5.2
    /// (docs/AWS.md, "emulator gaps"). The scenarios then skip those refusals.
    fn emulator_gaps(&self) -> bool {
        false
    }

    /// PUTs `body` to a presigned URL with exactly its headers, as at `at` (a store that checks
    /// the real clock ignores `at`); `Err` with the store's answer when refused.
    async fn put_presigned(
        &self,
        put: &PresignedPut,
        body: Vec<u8>,
        at: OffsetDateTime,
    ) -> Result<(), String>;

    /// PUTs a part to its URL, at [`Browser::now`]: the part's ETag, or `Err` when refused.
    async fn put_part(&self, url: &str, body: Vec<u8>) -> Result<String, String>;

    /// GETs a presigned download URL as at `at`: the object, or `Err` when refused.
    async fn get_presigned(&self, url: &str, at: OffsetDateTime) -> Result<Vec<u8>, String>;
}

/// Bytes that differ at most positions, so a misplaced range shows.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

fn integrity(body: &[u8]) -> ObjectIntegrity {
    ObjectIntegrity {
        size: body.len() as u64,
        sha256: Sha256::digest(body).into(),
    }
}

async fn read_all(store: &dyn BlobStore, key: &str) -> Result<Vec<u8>, BlobError> {
    let reader = store.open_read(key).await?;
    tokio::task::spawn_blocking(move || {
        let mut reader = reader;
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map(|_| bytes)
    })
    .await
    .unwrap()
    .map_err(|e| BlobError::Unavailable {
        operation: "read",
        key: key.to_owned(),
        message: e.to_string(),
    })
}

fn is_not_found<T>(result: Result<T, BlobError>) -> bool {
    matches!(result, Err(BlobError::NotFound { .. }))
}

fn is_rejected<T: std::fmt::Debug>(result: &Result<T, BlobError>) -> bool {
    matches!(result, Err(BlobError::Rejected { .. }))
}

/// An object reads back whole (streamed) and by range as written; a second put replaces it.
pub async fn objects_are_written_read_and_replaced(browser: &dyn Browser) {
    let store = browser.store();
    let bytes = pattern(1000);
    store.put(KEY, bytes.clone()).await.unwrap();
    assert_eq!(read_all(store, KEY).await.unwrap(), bytes);
    assert_eq!(store.read_range(KEY, 2..4).await.unwrap(), bytes[2..4]);
    store.put(KEY, b"replaced".to_vec()).await.unwrap();
    assert_eq!(read_all(store, KEY).await.unwrap(), b"replaced");
    store.put("empty", Vec::new()).await.unwrap();
    assert!(read_all(store, "empty").await.unwrap().is_empty());
}

/// A range's end is clamped to the object's size; an empty range inside the object is empty; a
/// range starting at or past the end, or backwards, is refused.
pub async fn ranges_are_clamped_to_the_object(browser: &dyn Browser) {
    let store = browser.store();
    let bytes = pattern(1000);
    store.put(KEY, bytes.clone()).await.unwrap();
    assert_eq!(store.read_range(KEY, 0..3).await.unwrap(), bytes[..3]);
    assert_eq!(
        store.read_range(KEY, 990..5000).await.unwrap(),
        bytes[990..]
    );
    assert_eq!(store.read_range(KEY, 10..10).await.unwrap(), b"");
    #[allow(clippy::reversed_empty_ranges)] // a backwards range is one of the refused cases
    for outside in [1000..1001, 1000..1000, 5..4] {
        let result = store.read_range(KEY, outside.clone()).await;
        assert!(is_rejected(&result), "{outside:?}: {result:?}");
    }
}

/// Reading or copying a missing object is [`BlobError::NotFound`]; deleting it succeeds.
pub async fn a_missing_object_is_not_found(browser: &dyn Browser) {
    let store = browser.store();
    let missing = "uploads/SP1/d1/missing.fq";
    assert!(is_not_found(store.read_range(missing, 0..1).await));
    assert!(is_not_found(store.open_read(missing).await));
    assert!(is_not_found(store.copy(missing, "quarantine/x").await));
    store.delete(missing).await.unwrap();
    assert!(store.list("").await.unwrap().is_empty());
}

/// Keys under a prefix, sorted; a prefix ending mid-segment filters by characters, as S3's.
pub async fn keys_are_listed_sorted_by_prefix(browser: &dyn Browser) {
    let store = browser.store();
    for key in [
        "results/d2/report.json",
        "results/d1/variants.vcf",
        "results/d10/report.json",
        "results/d1/report.json",
        "uploads/SP1/d1/r.fq",
    ] {
        store.put(key, b"{}".to_vec()).await.unwrap();
    }
    assert_eq!(
        store.list("results/").await.unwrap(),
        [
            "results/d1/report.json",
            "results/d1/variants.vcf",
            "results/d10/report.json",
            "results/d2/report.json",
        ]
    );
    assert_eq!(
        store.list("results/d1/").await.unwrap(),
        ["results/d1/report.json", "results/d1/variants.vcf"]
    );
    assert_eq!(
        store.list("results/d1").await.unwrap(),
        [
            "results/d1/report.json",
            "results/d1/variants.vcf",
            "results/d10/report.json",
        ]
    );
    assert_eq!(store.list("").await.unwrap().len(), 5);
    assert!(store.list("nothing/here/").await.unwrap().is_empty());
}

/// A copy is its own object (replacing the source leaves it); a delete is idempotent.
pub async fn copies_are_independent_and_deletes_idempotent(browser: &dyn Browser) {
    let store = browser.store();
    let quarantined = format!("quarantine/{KEY}");
    store.put(KEY, b"first".to_vec()).await.unwrap();
    store.copy(KEY, &quarantined).await.unwrap();
    store.put(KEY, b"second".to_vec()).await.unwrap();
    assert_eq!(read_all(store, &quarantined).await.unwrap(), b"first");
    // Copying over an existing object replaces it.
    store.copy(KEY, &quarantined).await.unwrap();
    assert_eq!(read_all(store, &quarantined).await.unwrap(), b"second");

    store.delete(KEY).await.unwrap();
    store.delete(KEY).await.unwrap();
    assert!(is_not_found(store.read_range(KEY, 0..1).await));
    assert_eq!(store.list("").await.unwrap(), [quarantined]);
}

/// A presigned PUT carries the headers to send and its expiry; it stores exactly the bound
/// length and SHA-256, and only before it expires.
pub async fn a_presigned_put_stores_only_the_bound_body_before_expiry(browser: &dyn Browser) {
    let store = browser.store();
    let now = browser.now();
    let body = b"@r1\nACGT\n+\nIIII\n".to_vec();
    let expires = now + Duration::minutes(15);
    let put = store
        .presign_put(KEY, integrity(&body), expires)
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    assert_eq!(put.expires, expires.unix_timestamp());
    assert_eq!(put.headers, integrity(&body).put_headers());

    if !browser.emulator_gaps() {
        let mut longer = body.clone();
        longer.push(b'\n');
        let mut flipped = body.clone();
        flipped[5] = b'T';
        for (what, wrong) in [
            ("longer", longer),
            ("shorter", body[..4].to_vec()),
            ("other bytes", flipped),
        ] {
            assert!(
                browser.put_presigned(&put, wrong, now).await.is_err(),
                "{what} body accepted"
            );
        }
        assert!(
            browser
                .put_presigned(&put, body.clone(), expires)
                .await
                .is_err(),
            "accepted after expiry"
        );
        assert!(store.list("").await.unwrap().is_empty());
    }

    browser
        .put_presigned(&put, body.clone(), now)
        .await
        .unwrap();
    assert_eq!(read_all(store, KEY).await.unwrap(), body);
    assert_eq!(store.list("uploads/").await.unwrap(), [KEY]);
}

/// A presigned GET downloads the object until it expires.
pub async fn a_presigned_get_serves_the_object_until_it_expires(browser: &dyn Browser) {
    let store = browser.store();
    let now = browser.now();
    let key = "results/d1/report 1+2.json";
    store.put(key, b"{\"ok\":true}".to_vec()).await.unwrap();
    let expires = now + Duration::hours(1);
    let url = store.presign_get(key, expires).await.unwrap();
    assert_eq!(
        browser.get_presigned(&url, now).await.unwrap(),
        b"{\"ok\":true}"
    );
    if !browser.emulator_gaps() {
        assert!(browser.get_presigned(&url, expires).await.is_err());
    }
}

/// A multipart upload completes only from a list naming each of its parts once, in order, with
/// the ETag its last PUT answered; the object is the parts in order. A retried completion
/// changes nothing. Parts are 5 MiB but the last, as S3 requires.
pub async fn multipart_completion_checks_the_part_list(browser: &dyn Browser) {
    const MIB: usize = 1024 * 1024;
    let store = browser.store();
    let expires = browser.now() + Duration::hours(1);
    let no_parts = store.start_multipart(KEY, 0, expires).await;
    assert!(is_rejected(&no_parts), "{no_parts:?}");
    let upload = store.start_multipart(KEY, 3, expires).await.unwrap();
    assert_eq!(
        upload.parts.iter().map(|p| p.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let bytes = pattern(10 * MIB + 1000);
    let mut etags = Vec::new();
    for (part, chunk) in upload.parts.iter().zip(bytes.chunks(5 * MIB)) {
        etags.push(browser.put_part(&part.url, chunk.to_vec()).await.unwrap());
    }
    // Part 2 sent again with other bytes: the completion takes the one its ETag names.
    let mut second = bytes[5 * MIB..10 * MIB].to_vec();
    second[0] ^= 0xff;
    let first_second = std::mem::replace(
        &mut etags[1],
        browser
            .put_part(&upload.parts[1].url, second.clone())
            .await
            .unwrap(),
    );

    let listed = |numbers: &[u32], etags: &[&String]| -> Vec<CompletedPart> {
        numbers
            .iter()
            .zip(etags)
            .map(|(number, etag)| CompletedPart {
                number: *number,
                etag: (*etag).clone(),
            })
            .collect()
    };
    let [one, two, three] = [&etags[0], &etags[1], &etags[2]];
    let mut refusals = vec![
        ("another ETag", listed(&[1, 2, 3], &[one, one, three])),
        (
            "a replaced part's ETag",
            listed(&[1, 2, 3], &[one, &first_second, three]),
        ),
        (
            "an unknown part",
            listed(&[1, 2, 3, 4], &[one, two, three, three]),
        ),
    ];
    if !browser.emulator_gaps() {
        refusals.push(("out of order", listed(&[2, 1, 3], &[two, one, three])));
    }
    for (what, parts) in refusals {
        let result = store
            .complete_multipart(KEY, &upload.upload_id, &parts)
            .await;
        assert!(is_rejected(&result), "{what}: {result:?}");
    }
    assert!(is_not_found(store.read_range(KEY, 0..1).await));

    let parts = listed(&[1, 2, 3], &[one, two, three]);
    store
        .complete_multipart(KEY, &upload.upload_id, &parts)
        .await
        .unwrap();
    let mut expected = bytes.clone();
    expected[5 * MIB..10 * MIB].copy_from_slice(&second);
    assert!(read_all(store, KEY).await.unwrap() == expected);

    // A retried completion (the client's answer was lost): done already, or no such upload.
    let retried = store
        .complete_multipart(KEY, &upload.upload_id, &parts)
        .await;
    assert!(
        matches!(retried, Ok(()) | Err(BlobError::Rejected { .. })),
        "{retried:?}"
    );
    assert!(read_all(store, KEY).await.unwrap() == expected);
    assert_eq!(store.list("").await.unwrap(), [KEY]);
}

/// An aborted upload takes no more parts and cannot be completed; aborting is idempotent.
pub async fn an_aborted_upload_takes_no_more_parts(browser: &dyn Browser) {
    let store = browser.store();
    let upload = store
        .start_multipart(KEY, 1, browser.now() + Duration::hours(1))
        .await
        .unwrap();
    let etag = browser
        .put_part(&upload.parts[0].url, b"x".to_vec())
        .await
        .unwrap();
    store.abort_multipart(KEY, &upload.upload_id).await.unwrap();
    store.abort_multipart(KEY, &upload.upload_id).await.unwrap();
    assert!(
        browser
            .put_part(&upload.parts[0].url, b"x".to_vec())
            .await
            .is_err()
    );
    let parts = [CompletedPart { number: 1, etag }];
    let completed = store
        .complete_multipart(KEY, &upload.upload_id, &parts)
        .await;
    // (moto answers 500 to completing an aborted upload; S3 answers NoSuchUpload.)
    if browser.emulator_gaps() {
        assert!(completed.is_err());
    } else {
        assert!(is_rejected(&completed), "{completed:?}");
    }
    assert!(store.list("").await.unwrap().is_empty());
}
