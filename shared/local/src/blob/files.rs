//! The file handling under the store: atomic writes through a temporary file, blocking work
//! off the async runtime, directory walks, and I/O errors as [`BlobError`]s.

use std::{
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
};

use genoflow_core::ports::BlobError;

/// An I/O failure: a missing file is [`BlobError::NotFound`], anything else may pass.
pub(super) fn io_error(operation: &'static str, key: &str, error: &io::Error) -> BlobError {
    if error.kind() == io::ErrorKind::NotFound {
        BlobError::NotFound {
            key: key.to_owned(),
        }
    } else {
        BlobError::Unavailable {
            operation,
            key: key.to_owned(),
            message: error.to_string(),
        }
    }
}

/// An I/O failure as [`BlobError::Unavailable`], whatever its kind.
pub(super) fn unavailable(operation: &'static str, key: &str, error: &io::Error) -> BlobError {
    BlobError::Unavailable {
        operation,
        key: key.to_owned(),
        message: error.to_string(),
    }
}

/// A file being written next to its destination, removed unless persisted.
pub(super) struct TempFile {
    path: PathBuf,
    /// The open file, written by the caller.
    pub(super) file: File,
    persisted: bool,
}

impl TempFile {
    /// In `directory`, made (private) if missing.
    pub(super) fn new_in(directory: &Path) -> io::Result<Self> {
        crate::private::create_private_dir_all(directory)?;
        Self::new_in_existing(directory)
    }

    /// In `directory`, which must exist (a multipart upload's: once it is gone, the upload is).
    pub(super) fn new_in_existing(directory: &Path) -> io::Result<Self> {
        // Keys never have a segment starting with '.', so this name is never an object.
        let path = directory.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
        let file = crate::private::create_new_private_file(&path)?;
        Ok(Self {
            path,
            file,
            persisted: false,
        })
    }

    /// Syncs the bytes, renames the file to `destination` and syncs the directory, so the
    /// object is whole and in place once this returns.
    pub(super) fn persist(mut self, destination: &Path) -> io::Result<()> {
        self.file.sync_all()?;
        std::fs::rename(&self.path, destination)?;
        self.persisted = true;
        if let Some(directory) = destination.parent() {
            File::open(directory)?.sync_all()?;
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            // Best effort: a leftover temporary file is invisible to `list` and `get`.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Runs blocking file work in the blocking pool.
pub(super) async fn blocking<T, F>(
    operation: &'static str,
    key: &str,
    work: F,
) -> Result<T, BlobError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, BlobError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| BlobError::Unavailable {
            operation,
            key: key.to_owned(),
            message: e.to_string(),
        })?
}

/// Writes `source` to `destination` atomically.
pub(super) fn write_object(
    operation: &'static str,
    key: &str,
    destination: &Path,
    source: &mut dyn Read,
) -> Result<(), BlobError> {
    let directory = destination.parent().unwrap_or(destination);
    let failed = |e: io::Error| unavailable(operation, key, &e);
    let mut temp = TempFile::new_in(directory).map_err(failed)?;
    io::copy(source, &mut temp.file).map_err(failed)?;
    temp.persist(destination).map_err(failed)
}

/// Every object file under `directory`, as keys (`prefix` + relative path), unsorted.
pub(super) fn walk(directory: &Path, prefix: &str, keys: &mut Vec<String>) -> io::Result<()> {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        // Keys are UTF-8 and never have a segment starting with '.' (temporary files).
        let Some(name) = name.to_str().filter(|name| !name.starts_with('.')) else {
            continue;
        };
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            walk(&entry.path(), &format!("{prefix}{name}/"), keys)?;
        } else if file_type.is_file() {
            keys.push(format!("{prefix}{name}"));
        }
    }
    Ok(())
}
