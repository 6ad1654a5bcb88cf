//! [`DirectoryFetcher`]: the oracle's sources answered from a directory of documents, for
//! `genoflow serve --oracle-source DIR` on a machine without network (and for the tests).

use std::{
    io,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use genoflow_core::ports::{FetchError, FetchResponse, HttpFetcher, MAX_FETCH_BYTES};

/// An [`HttpFetcher`] over a directory: an NCBI E-utilities summary URL
/// `…/esummary.fcgi?db={db}&id={id}&retmode=json` (any base) is answered with the file
/// `{dir}/{db}/{id}.json` (status 200), or 404 when there is no such file. Any other URL is a
/// [`FetchError`], as are a `db` that is not 1 to 32 lower-case letters and an `id` that is not
/// 1 to 64 letters, digits, `-` or `_` (so no URL reaches outside the directory).
///
/// ```
/// use genoflow_core::ports::HttpFetcher;
/// use genoflow_local::DirectoryFetcher;
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("gene"))?;
/// std::fs::write(dir.path().join("gene/888164.json"), br#"{"result": {}}"#)?;
/// let fetcher = DirectoryFetcher::new(dir.path());
/// let url = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esummary.fcgi?db=gene&id=888164&retmode=json";
/// assert_eq!(fetcher.get(url).await?.status, 200);
/// assert_eq!(fetcher.get(&url.replace("888164", "1")).await?.status, 404);
/// assert!(fetcher.get("https://example.org/").await.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct DirectoryFetcher {
    dir: PathBuf,
}

impl DirectoryFetcher {
    /// Answers from `dir` (read at each request: documents may be changed while serving).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory answered from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `url` names, or why `url` is not a summary URL this fetcher answers.
    fn file_of(&self, url: &str) -> Result<PathBuf, String> {
        let (path, query) = url
            .split_once('?')
            .ok_or("not an E-utilities summary URL (no query)")?;
        if !path.ends_with("/esummary.fcgi") {
            return Err(
                "not an E-utilities summary URL (…/esummary.fcgi?db=&id=&retmode=json)".into(),
            );
        }
        let (mut db, mut id, mut json) = (None, None, false);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("db", value)) if db.is_none() => db = Some(value),
                Some(("id", value)) if id.is_none() => id = Some(value),
                Some(("retmode", "json")) if !json => json = true,
                _ => {
                    return Err(format!(
                        "query parameter {pair:?} is not db=, id= or retmode=json, or is repeated"
                    ));
                }
            }
        }
        let db = db.ok_or("the URL names no db")?;
        let id = id.ok_or("the URL names no id")?;
        if !json {
            return Err("the URL does not ask for retmode=json".into());
        }
        if db.is_empty() || db.len() > 32 || !db.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(format!("db {db:?} is not 1 to 32 lower-case letters"));
        }
        let id_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        if id.is_empty() || id.len() > 64 || !id.bytes().all(id_byte) {
            return Err(format!(
                "id {id:?} is not 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        Ok(self.dir.join(db).join(format!("{id}.json")))
    }
}

#[async_trait]
impl HttpFetcher for DirectoryFetcher {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        let failed = |message: String| FetchError {
            url: url.to_owned(),
            message,
        };
        let file = self.file_of(url).map_err(failed)?;
        let read = tokio::task::spawn_blocking(move || read_limited(&file))
            .await
            .map_err(|e| failed(format!("the read failed: {e}")))?;
        match read {
            Ok(body) => Ok(FetchResponse { status: 200, body }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(FetchResponse {
                status: 404,
                body: b"no such document in the oracle source directory".to_vec(),
            }),
            Err(error) => Err(failed(format!(
                "cannot read the document in {}: {error}",
                self.dir.display()
            ))),
        }
    }
}

/// The file's bytes, refused above [`MAX_FETCH_BYTES`] (as a web answer would be).
fn read_limited(file: &Path) -> io::Result<Vec<u8>> {
    let length = std::fs::metadata(file)?.len();
    if length > MAX_FETCH_BYTES as u64 {
        return Err(io::Error::other(format!(
            "{length} bytes, above the {MAX_FETCH_BYTES}-byte limit of a fetch"
        )));
    }
    std::fs::read(file)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const BASE: &str = "http://any.test/eutils/esummary.fcgi";

    fn fetcher() -> (tempfile::TempDir, DirectoryFetcher) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("gene")).unwrap();
        std::fs::write(dir.path().join("gene/888164.json"), b"{\"a\": 1}").unwrap();
        std::fs::write(dir.path().join("secret.json"), b"outside").unwrap();
        let fetcher = DirectoryFetcher::new(dir.path());
        (dir, fetcher)
    }

    #[tokio::test]
    async fn a_summary_url_is_answered_with_its_file_or_404() {
        let (_dir, fetcher) = fetcher();
        let found = fetcher
            .get(&format!("{BASE}?db=gene&id=888164&retmode=json"))
            .await
            .unwrap();
        assert_eq!(
            (found.status, found.body.as_slice()),
            (200, &b"{\"a\": 1}"[..])
        );
        // Parameters in any order.
        let reordered = fetcher
            .get(&format!("{BASE}?retmode=json&id=888164&db=gene"))
            .await
            .unwrap();
        assert_eq!(reordered.status, 200);
        for missing in ["db=gene&id=1", "db=clinvar&id=888164"] {
            let answer = fetcher
                .get(&format!("{BASE}?{missing}&retmode=json"))
                .await
                .unwrap();
            assert_eq!(answer.status, 404, "{missing}");
        }
    }

    #[tokio::test]
    async fn other_urls_and_traversals_are_errors() {
        let (_dir, fetcher) = fetcher();
        for url in [
            "http://any.test/".to_owned(),
            "http://any.test/eutils/efetch.fcgi?db=gene&id=1&retmode=json".to_owned(),
            format!("{BASE}?db=gene&id=888164"),
            format!("{BASE}?db=gene&id=888164&retmode=xml"),
            format!("{BASE}?db=gene&retmode=json"),
            format!("{BASE}?db=gene&id=1&id=2&retmode=json"),
            format!("{BASE}?db=gene&id=1&retmode=json&api_key=x"),
            format!("{BASE}?db=..&id=secret&retmode=json"),
            format!("{BASE}?db=gene&id=../secret&retmode=json"),
            format!("{BASE}?db=gene&id=..%2Fsecret&retmode=json"),
            format!("{BASE}?db=gene&id=&retmode=json"),
            format!("{BASE}?db=Gene&id=888164&retmode=json"),
        ] {
            let error = fetcher.get(&url).await.unwrap_err();
            assert_eq!(error.url, url);
            assert!(!error.message.is_empty());
        }
    }

    #[tokio::test]
    async fn an_unreadable_document_is_an_error_not_a_404() {
        let (dir, fetcher) = fetcher();
        // A directory where the file should be.
        std::fs::create_dir(dir.path().join("gene/42.json")).unwrap();
        let error = fetcher
            .get(&format!("{BASE}?db=gene&id=42&retmode=json"))
            .await
            .unwrap_err();
        assert!(error.message.contains("cannot read"), "{error}");
    }
}
