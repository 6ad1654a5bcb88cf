//! The file blob store: the object operations as the memory store does them, and presigned
//! URLs accepted only when signed, unexpired and matching the bound body.
#![allow(clippy::unwrap_used)]

use std::{collections::BTreeMap, io::Read};

use genoflow_core::ports::{BlobError, BlobStore, CompletedPart, ObjectIntegrity};
use genoflow_local::{AcceptError, FileBlobStore, SigningSecret};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

const BASE: &str = "http://127.0.0.1:8080";
const KEY: &str = "uploads/SP1/d1/reads 1+2.fastq.gz";

fn store(data_dir: &std::path::Path) -> FileBlobStore {
    FileBlobStore::open(data_dir, BASE, SigningSecret::new(vec![9; 32]).unwrap()).unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
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

#[tokio::test]
async fn objects_are_written_read_ranged_listed_copied_and_deleted() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    store
        .put("results/d1/report.json", b"0123456789".to_vec())
        .await
        .unwrap();
    store
        .put("results/d2/report.json", b"{}".to_vec())
        .await
        .unwrap();
    store.put("results/d10/a.vcf", b"x".to_vec()).await.unwrap();
    store
        .put("uploads/SP1/d1/r.fq", b"@".to_vec())
        .await
        .unwrap();

    let mut all = String::new();
    store
        .open_read("results/d1/report.json")
        .await
        .unwrap()
        .read_to_string(&mut all)
        .unwrap();
    assert_eq!(all, "0123456789");
    assert_eq!(
        store
            .read_range("results/d1/report.json", 8..100)
            .await
            .unwrap(),
        b"89"
    );
    assert_eq!(
        store
            .read_range("results/d1/report.json", 2..4)
            .await
            .unwrap(),
        b"23"
    );
    assert!(matches!(
        store.read_range("results/d1/report.json", 10..12).await,
        Err(BlobError::Rejected { .. })
    ));
    assert!(matches!(
        store.read_range("missing", 0..1).await,
        Err(BlobError::NotFound { .. })
    ));
    assert!(matches!(
        store.open_read("results/missing").await,
        Err(BlobError::NotFound { .. })
    ));

    assert_eq!(
        store.list("results/").await.unwrap(),
        [
            "results/d1/report.json",
            "results/d10/a.vcf",
            "results/d2/report.json"
        ]
    );
    // A prefix that ends mid-segment filters like S3's.
    assert_eq!(
        store.list("results/d1").await.unwrap(),
        ["results/d1/report.json", "results/d10/a.vcf"]
    );
    assert_eq!(store.list("").await.unwrap().len(), 4);
    assert!(store.list("nothing/here/").await.unwrap().is_empty());

    store
        .put("results/d2/report.json", b"{\"v\":2}".to_vec())
        .await
        .unwrap();
    store
        .copy("results/d2/report.json", "public/d2.json")
        .await
        .unwrap();
    assert_eq!(
        store.read_range("public/d2.json", 0..100).await.unwrap(),
        b"{\"v\":2}"
    );
    assert!(matches!(
        store.copy("results/missing", "public/x").await,
        Err(BlobError::NotFound { .. })
    ));

    store.delete("public/d2.json").await.unwrap();
    store.delete("public/d2.json").await.unwrap();
    assert!(store.list("public/").await.unwrap().is_empty());
    // No temporary file is left behind by any write.
    let mut leftovers = Vec::new();
    for entry in walk(&data_dir.path().join("blobs")) {
        if entry
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with('.')
        {
            leftovers.push(entry);
        }
    }
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

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

#[tokio::test]
async fn a_presigned_put_stores_only_the_signed_body_before_expiry() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    let body = b"@r1\nACGT\n+\nIIII\n".to_vec();
    let expires = now() + Duration::minutes(15);
    let put = store
        .presign_put(KEY, integrity(&body), expires)
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    assert_eq!(put.expires, expires.unix_timestamp());
    assert_eq!(put.headers, integrity(&body).put_headers());
    assert!(
        put.url.starts_with(&format!(
            "{BASE}/blobs/uploads/SP1/d1/reads%201%2B2.fastq.gz?"
        )),
        "{}",
        put.url
    );
    let path = path_of(&put.url);

    // Wrong bodies: refused, nothing stored.
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
    // Expired.
    assert!(matches!(
        store.accept_put(path, &put.headers, body.as_slice(), expires),
        Err(AcceptError::Expired { .. })
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
    assert_eq!(stored.key, KEY);
    assert_eq!(stored.size, body.len() as u64);
    assert_eq!(store.read_range(KEY, 0..1000).await.unwrap(), body);
    assert_eq!(store.list("uploads/").await.unwrap(), [KEY]);
}

#[tokio::test]
async fn a_presigned_get_serves_the_object_until_it_expires() {
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
    let mut download = store.accept_get(path_of(&url), now()).unwrap();
    assert_eq!(download.key, "results/d1/report.json");
    assert_eq!(download.size, 11);
    let mut text = String::new();
    download.file.read_to_string(&mut text).unwrap();
    assert_eq!(text, "{\"ok\":true}");

    assert!(matches!(
        store.accept_get(path_of(&url), expires),
        Err(AcceptError::Expired { .. })
    ));
    let other_key = path_of(&url).replace("d1", "d2");
    assert!(matches!(
        store.accept_get(&other_key, now()),
        Err(AcceptError::BadSignature)
    ));
    // A GET URL does not sign a PUT.
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

#[tokio::test]
async fn multipart_uploads_assemble_the_listed_parts_in_order() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    let expires = now() + Duration::hours(1);
    let upload = store.start_multipart(KEY, 3, expires).await.unwrap();
    assert_eq!(upload.parts.len(), 3);
    assert_eq!(
        upload.parts.iter().map(|p| p.number).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let bodies: [&[u8]; 3] = [b"first-", b"second-", b"third"];
    let mut etags = Vec::new();
    for (part, body) in upload.parts.iter().zip(bodies) {
        etags.push(store.accept_part(path_of(&part.url), body, now()).unwrap());
    }
    assert_eq!(
        etags[0],
        format!("\"{}\"", hex::encode(Sha256::digest(b"first-")))
    );

    // Part URLs: expired, or for another part number, are refused.
    assert!(matches!(
        store.accept_part(path_of(&upload.parts[0].url), &b"x"[..], expires),
        Err(AcceptError::Expired { .. })
    ));
    let renumbered = path_of(&upload.parts[0].url).replace("partNumber=1", "partNumber=2");
    assert!(matches!(
        store.accept_part(&renumbered, &b"x"[..], now()),
        Err(AcceptError::BadSignature)
    ));

    let listed = |numbers: &[u32], etags: &[String]| -> Vec<CompletedPart> {
        numbers
            .iter()
            .zip(etags)
            .map(|(number, etag)| CompletedPart {
                number: *number,
                etag: etag.clone(),
            })
            .collect()
    };
    // Missing, reordered or with another ETag: refused.
    for parts in [
        listed(&[1, 2], &etags[..2]),
        listed(
            &[2, 1, 3],
            &[etags[1].clone(), etags[0].clone(), etags[2].clone()],
        ),
        listed(
            &[1, 2, 3],
            &[etags[0].clone(), etags[0].clone(), etags[2].clone()],
        ),
        listed(
            &[1, 2, 3],
            &[etags[0].clone(), "\"../../x\"".into(), etags[2].clone()],
        ),
    ] {
        assert!(matches!(
            store
                .complete_multipart(KEY, &upload.upload_id, &parts)
                .await,
            Err(BlobError::Rejected { .. })
        ));
    }
    assert!(matches!(
        store
            .complete_multipart(
                "uploads/other",
                &upload.upload_id,
                &listed(&[1, 2, 3], &etags)
            )
            .await,
        Err(BlobError::Rejected { .. })
    ));

    // A part uploaded again: the completion takes the one its ETag names.
    let second_again = store
        .accept_part(path_of(&upload.parts[1].url), &b"SECOND-"[..], now())
        .unwrap();
    let parts = listed(
        &[1, 2, 3],
        &[etags[0].clone(), second_again, etags[2].clone()],
    );
    store
        .complete_multipart(KEY, &upload.upload_id, &parts)
        .await
        .unwrap();
    assert_eq!(
        store.read_range(KEY, 0..100).await.unwrap(),
        b"first-SECOND-third"
    );
    // The upload is gone with its parts.
    assert!(
        std::fs::read_dir(data_dir.path().join("multipart"))
            .unwrap()
            .next()
            .is_none()
    );
    assert!(matches!(
        store.accept_part(path_of(&upload.parts[0].url), &b"late"[..], now()),
        Err(AcceptError::NoSuchUpload { .. })
    ));
    assert!(matches!(
        store
            .complete_multipart(KEY, &upload.upload_id, &parts)
            .await,
        Err(BlobError::Rejected { .. })
    ));
}

#[tokio::test]
async fn an_aborted_upload_takes_no_more_parts() {
    let data_dir = tempfile::tempdir().unwrap();
    let store = store(data_dir.path());
    let upload = store
        .start_multipart(KEY, 1, now() + Duration::hours(1))
        .await
        .unwrap();
    let etag = store
        .accept_part(path_of(&upload.parts[0].url), &b"x"[..], now())
        .unwrap();
    store.abort_multipart(KEY, &upload.upload_id).await.unwrap();
    store.abort_multipart(KEY, &upload.upload_id).await.unwrap();
    store.abort_multipart(KEY, "../../blobs").await.unwrap();
    assert!(matches!(
        store.accept_part(path_of(&upload.parts[0].url), &b"x"[..], now()),
        Err(AcceptError::NoSuchUpload { .. })
    ));
    let parts = [CompletedPart { number: 1, etag }];
    assert!(matches!(
        store
            .complete_multipart(KEY, &upload.upload_id, &parts)
            .await,
        Err(BlobError::Rejected { .. })
    ));
    assert!(store.list("").await.unwrap().is_empty());
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
