//! The file blob store passes every blob scenario of the test kit (as the in-memory and S3 stores
//! do), with `accept_put`/`accept_part`/`accept_get` (what `genoflow serve` calls) as the browser;
//! plus what only files show: keys that could leave the directory, the signed URLs' own checks,
//! crash temporaries, the sweep of abandoned uploads, planned part sizes.
#![allow(clippy::unwrap_used)]

use std::{collections::BTreeMap, io::Read};

use async_trait::async_trait;
use genoflow_core::ports::{
    BlobError, BlobStore, CompletedPart, HmacSecret as SigningSecret, ObjectIntegrity, PresignedPut,
};
use genoflow_local::{AcceptError, FileBlobStore};
use genoflow_testkit::{fixtures::at, keys::START, scenarios::blob::Browser};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

const BASE: &str = "http://127.0.0.1:8080";
const KEY: &str = "uploads/SP1/d1/reads 1+2.fastq.gz";

fn store(data_dir: &std::path::Path) -> FileBlobStore {
    FileBlobStore::open(data_dir, BASE, SigningSecret::new(vec![9; 32]).unwrap()).unwrap()
}

fn now() -> OffsetDateTime {
    at(START)
}

fn integrity(body: &[u8]) -> ObjectIntegrity {
    ObjectIntegrity {
        size: body.len() as u64,
        sha256: Sha256::digest(body).into(),
    }
}

fn path_of(url: &str) -> &str {
    url.strip_prefix(BASE).unwrap()
}

/// The store in a temporary directory, its URLs taken as `genoflow serve` takes them.
struct Files {
    store: FileBlobStore,
    _data_dir: tempfile::TempDir,
}

#[async_trait]
impl Browser for Files {
    fn store(&self) -> &dyn BlobStore {
        &self.store
    }

    async fn put_presigned(
        &self,
        put: &PresignedPut,
        body: Vec<u8>,
        at: OffsetDateTime,
    ) -> Result<(), String> {
        self.store
            .accept_put(path_of(&put.url), &put.headers, body.as_slice(), at)
            .map(drop)
            .map_err(|e| e.to_string())
    }

    async fn put_part(&self, url: &str, body: Vec<u8>) -> Result<String, String> {
        self.store
            .accept_part(path_of(url), body.as_slice(), now())
            .map_err(|e| e.to_string())
    }

    async fn get_presigned(&self, url: &str, at: OffsetDateTime) -> Result<Vec<u8>, String> {
        let mut download = self
            .store
            .accept_get(path_of(url), at)
            .map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        download.file.read_to_end(&mut bytes).unwrap();
        Ok(bytes)
    }
}

genoflow_testkit::blob_scenarios!(async {
    let data_dir = tempfile::tempdir().unwrap();
    let files = Files {
        store: store(data_dir.path()),
        _data_dir: data_dir,
    };
    (files, ())
});

fn walk(directory: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test]
async fn keys_that_could_leave_the_store_are_refused() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    for key in [
        "",
        "/etc/passwd",
        "../outside",
        "uploads/../../outside",
        "uploads/./x",
        "uploads//x",
        "uploads/x/",
        "uploads/.hidden",
        "uploads\\x",
        "uploads/x\ny",
    ] {
        assert!(
            matches!(
                store.put(key, b"x".to_vec()).await,
                Err(BlobError::Rejected { .. })
            ),
            "{key:?} was accepted"
        );
        assert!(matches!(
            store.read_range(key, 0..1).await,
            Err(BlobError::Rejected { .. })
        ));
    }
    assert!(matches!(
        store.list("../").await,
        Err(BlobError::Rejected { .. })
    ));
    assert!(!data_dir.path().parent().unwrap().join("outside").exists());
    assert!(walk(&data_dir.path().join("blobs")).is_empty());
}

/// The URL is the server's, the key percent-encoded; each refusal says why (what `genoflow serve`
/// answers); the URL signs key, size, hash and expiry with the store's secret. (That a wrong
/// body or a late PUT is refused is the blob scenarios'.)
#[tokio::test]
async fn presigned_put_urls_sign_everything_they_bind() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    let body = b"@r1\nACGT\n+\nIIII\n".to_vec();
    let expires = now() + Duration::minutes(15);
    let put = store
        .presign_put(KEY, integrity(&body), expires)
        .await
        .unwrap();
    assert!(
        put.url.starts_with(&format!(
            "{BASE}/blobs/uploads/SP1/d1/reads%201%2B2.fastq.gz?"
        )),
        "{}",
        put.url
    );
    let path = path_of(&put.url);

    let mut longer = body.clone();
    longer.push(b'\n');
    assert!(matches!(
        store.accept_put(path, &put.headers, longer.as_slice(), now()),
        Err(AcceptError::WrongLength { more: true, .. })
    ));
    assert!(matches!(
        store.accept_put(path, &put.headers, &body[..4], now()),
        Err(AcceptError::WrongLength {
            actual: 4,
            more: false,
            ..
        })
    ));
    let mut flipped = body.clone();
    flipped[5] = b'T';
    assert!(matches!(
        store.accept_put(path, &put.headers, flipped.as_slice(), now()),
        Err(AcceptError::WrongChecksum { .. })
    ));
    assert!(matches!(
        store.accept_put(path, &put.headers, body.as_slice(), expires),
        Err(AcceptError::Expired { .. })
    ));
    // Headers other than the signed ones.
    let mut other_headers = put.headers.clone();
    other_headers.insert("content-length".into(), "3".into());
    assert!(matches!(
        store.accept_put(path, &other_headers, body.as_slice(), now()),
        Err(AcceptError::Header { .. })
    ));
    assert!(matches!(
        store.accept_put(path, &BTreeMap::new(), body.as_slice(), now()),
        Err(AcceptError::Header { actual: None, .. })
    ));
    // Tampered: another size + hash, another key, another expiry, another signature.
    let other = integrity(b"evil");
    let tampered_hash = path
        .replace(
            &hex::encode(integrity(&body).sha256),
            &hex::encode(other.sha256),
        )
        .replace(&format!("size={}", body.len()), "size=4");
    assert!(matches!(
        store.accept_put(&tampered_hash, &other.put_headers(), &b"evil"[..], now()),
        Err(AcceptError::BadSignature)
    ));
    let changed_key = path.replace("/d1/", "/d2/");
    assert!(matches!(
        store.accept_put(&changed_key, &put.headers, body.as_slice(), now()),
        Err(AcceptError::BadSignature)
    ));
    let later = path.replace(
        &format!("expires={}", expires.unix_timestamp()),
        &format!("expires={}", expires.unix_timestamp() + 86_400),
    );
    assert!(matches!(
        store.accept_put(&later, &put.headers, body.as_slice(), expires),
        Err(AcceptError::BadSignature)
    ));
    let other_store = FileBlobStore::open(
        data_dir.path(),
        BASE,
        SigningSecret::new(vec![8; 32]).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        other_store.accept_put(path, &put.headers, body.as_slice(), now()),
        Err(AcceptError::BadSignature)
    ));
    assert!(matches!(
        store.accept_put("/blobs/uploads/x", &put.headers, body.as_slice(), now()),
        Err(AcceptError::Malformed { .. })
    ));
    // Nothing stored, no temporary file left behind.
    assert!(walk(&data_dir.path().join("blobs")).is_empty());

    let stored = store
        .accept_put(path, &put.headers, body.as_slice(), now())
        .unwrap();
    assert_eq!((stored.key.as_str(), stored.size), (KEY, body.len() as u64));
    // Written through a temporary file, renamed: none is left.
    assert_eq!(
        walk(&data_dir.path().join("blobs")),
        [data_dir.path().join("blobs").join(KEY)]
    );
}

/// A download URL names its key and expiry under the signature, and signs no PUT; the download
/// says its key and size; a deleted object is the store's NotFound.
#[tokio::test]
async fn presigned_get_urls_sign_their_key_and_expiry() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    store
        .put("results/d1/report.json", b"{\"ok\":true}".to_vec())
        .await
        .unwrap();
    let expires = now() + Duration::hours(1);
    let url = store
        .presign_get("results/d1/report.json", expires)
        .await
        .unwrap();
    let download = store.accept_get(path_of(&url), now()).unwrap();
    assert_eq!(
        (download.key.as_str(), download.size),
        ("results/d1/report.json", 11)
    );
    assert!(matches!(
        store.accept_get(path_of(&url), expires),
        Err(AcceptError::Expired { .. })
    ));
    let other_key = path_of(&url).replace("d1", "d2");
    assert!(matches!(
        store.accept_get(&other_key, now()),
        Err(AcceptError::BadSignature)
    ));
    let headers = integrity(b"x").put_headers();
    assert!(
        store
            .accept_put(path_of(&url), &headers, &b"x"[..], now())
            .is_err()
    );
    store.delete("results/d1/report.json").await.unwrap();
    assert!(matches!(
        store.accept_get(path_of(&url), now()),
        Err(AcceptError::Store(BlobError::NotFound { .. }))
    ));
}

/// Part URLs sign their upload, number and expiry; a completed or aborted upload's directory is
/// gone, and a late part is `NoSuchUpload`; an upload id that is no UUID names no directory.
#[tokio::test]
async fn part_urls_are_signed_and_finished_uploads_leave_nothing() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    let expires = now() + Duration::hours(1);
    let upload = store.start_multipart(KEY, 2, expires).await.unwrap();
    let url = |index: usize| path_of(&upload.parts[index].url).to_owned();
    let etags = [
        store.accept_part(&url(0), &b"first-"[..], now()).unwrap(),
        store.accept_part(&url(1), &b"second"[..], now()).unwrap(),
    ];
    assert_eq!(
        etags[0],
        format!("\"{}\"", hex::encode(Sha256::digest(b"first-")))
    );
    assert!(matches!(
        store.accept_part(&url(0), &b"x"[..], expires),
        Err(AcceptError::Expired { .. })
    ));
    let renumbered = url(0).replace("partNumber=1", "partNumber=2");
    assert!(matches!(
        store.accept_part(&renumbered, &b"x"[..], now()),
        Err(AcceptError::BadSignature)
    ));
    // An ETag that could name a path is only another ETag.
    let parts = |second: &str| {
        vec![
            CompletedPart {
                number: 1,
                etag: etags[0].clone(),
            },
            CompletedPart {
                number: 2,
                etag: second.to_owned(),
            },
        ]
    };
    assert!(matches!(
        store
            .complete_multipart(KEY, &upload.upload_id, &parts("\"../../x\""))
            .await,
        Err(BlobError::Rejected { .. })
    ));
    // Another key with the upload's id.
    assert!(matches!(
        store
            .complete_multipart("uploads/other", &upload.upload_id, &parts(&etags[1]))
            .await,
        Err(BlobError::Rejected { .. })
    ));
    store
        .complete_multipart(KEY, &upload.upload_id, &parts(&etags[1]))
        .await
        .unwrap();
    let multipart = data_dir.path().join("multipart");
    assert!(std::fs::read_dir(&multipart).unwrap().next().is_none());
    assert!(matches!(
        store.accept_part(&url(0), &b"late"[..], now()),
        Err(AcceptError::NoSuchUpload { .. })
    ));

    let aborted = store.start_multipart(KEY, 1, expires).await.unwrap();
    store
        .abort_multipart(KEY, &aborted.upload_id)
        .await
        .unwrap();
    store.abort_multipart(KEY, "../../blobs").await.unwrap();
    assert!(std::fs::read_dir(&multipart).unwrap().next().is_none());
    assert!(matches!(
        store.accept_part(path_of(&aborted.parts[0].url), &b"x"[..], now()),
        Err(AcceptError::NoSuchUpload { .. })
    ));
    assert_eq!(store.list("").await.unwrap(), [KEY]);
}

#[tokio::test]
async fn expired_uploads_are_swept_with_their_parts() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    let soon = store
        .start_multipart(KEY, 1, now() + Duration::minutes(10))
        .await
        .unwrap();
    let later = store
        .start_multipart("uploads/SP1/d2/r.fq", 1, now() + Duration::hours(2))
        .await
        .unwrap();
    store
        .accept_part(path_of(&soon.parts[0].url), &b"x"[..], now())
        .unwrap();
    assert_eq!(store.sweep_expired_uploads(now()).await.unwrap(), 0);
    assert_eq!(
        store
            .sweep_expired_uploads(now() + Duration::minutes(10))
            .await
            .unwrap(),
        1
    );
    let left: Vec<String> = std::fs::read_dir(data_dir.path().join("multipart"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, [later.upload_id]);
}

#[test]
fn short_secrets_are_refused_and_never_printed() {
    assert!(SigningSecret::new(vec![1; 31]).is_err());
    let secret = SigningSecret::new(b"super-secret-value-that-is-long!".to_vec()).unwrap();
    let data_dir = tempfile::tempdir().unwrap();
    let store = FileBlobStore::open(data_dir.path(), BASE, secret).unwrap();
    assert!(!format!("{store:?}").contains("super"));
}

#[tokio::test]
async fn temporaries_left_by_a_crash_are_removed_and_objects_kept() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    store.put(KEY, b"kept".to_vec()).await.unwrap();
    let object = data_dir.path().join("blobs").join(KEY);
    let stray = object.with_file_name(".tmp-0c9a4f3e-crashed");
    std::fs::write(&stray, b"half").unwrap();
    assert_eq!(store.remove_stray_temporaries().unwrap(), 1);
    assert!(!stray.exists());
    assert_eq!(store.read_range(KEY, 0..4).await.unwrap(), b"kept");
    assert_eq!(store.remove_stray_temporaries().unwrap(), 0);
}

#[tokio::test]
async fn planned_parts_must_be_their_size_and_a_part_sent_again_replaces_the_first() {
    use genoflow_core::ports::PartPlan;
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    let plan = PartPlan {
        size: 10,
        part_size: 4,
        part_count: 3,
    };
    let upload = store
        .start_planned_multipart(KEY, plan, now() + Duration::hours(1))
        .await
        .unwrap();
    let url = |number: usize| path_of(&upload.parts[number].url).to_owned();
    // A body past the part's size is refused at the first bytes past it (the reader is
    // endless), and one short of it at its end.
    let endless = std::io::repeat(b'x');
    assert!(matches!(
        store.accept_part(&url(0), endless, now()),
        Err(AcceptError::WrongLength {
            expected: 4,
            more: true,
            ..
        })
    ));
    assert!(matches!(
        store.accept_part(&url(0), &b"abc"[..], now()),
        Err(AcceptError::WrongLength {
            expected: 4,
            actual: 3,
            more: false
        })
    ));
    assert!(matches!(
        store.accept_part(&url(2), &b"ijkl"[..], now()),
        Err(AcceptError::WrongLength { expected: 2, .. })
    ));
    // The declared length is checked before any byte.
    let pending = store.begin_part(&url(1), now()).unwrap();
    assert!(pending.check_declared_length(5).is_err());
    assert!(pending.check_declared_length(4).is_ok());
    // Part 1 sent twice: the second replaces the first.
    store.accept_part(&url(0), &b"ABCD"[..], now()).unwrap();
    let etags = [
        store.accept_part(&url(0), &b"abcd"[..], now()).unwrap(),
        store.accept_part(&url(1), &b"efgh"[..], now()).unwrap(),
        store.accept_part(&url(2), &b"ij"[..], now()).unwrap(),
    ];
    let directory = data_dir.path().join("multipart").join(&upload.upload_id);
    let parts = std::fs::read_dir(&directory)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("00001.")
        })
        .count();
    assert_eq!(parts, 1);
    let listed: Vec<CompletedPart> = etags
        .iter()
        .enumerate()
        .map(|(index, etag)| CompletedPart {
            number: index as u32 + 1,
            etag: etag.clone(),
        })
        .collect();
    store
        .complete_multipart(KEY, &upload.upload_id, &listed)
        .await
        .unwrap();
    assert_eq!(store.read_range(KEY, 0..10).await.unwrap(), b"abcdefghij");
    // A plan that does not cut the object is refused.
    let bad = PartPlan {
        size: 10,
        part_size: 2,
        part_count: 3,
    };
    assert!(matches!(
        store
            .start_planned_multipart(KEY, bad, now() + Duration::hours(1))
            .await,
        Err(BlobError::Rejected { .. })
    ));
}
