//! The data directory holds genomic data, reports, the database and the secrets: the directory
//! and everything the adapters create in it are their owner's only (directories 0700, files
//! 0600), whatever the process's umask.

use std::{
    fs::{DirBuilder, File, OpenOptions},
    io,
    path::Path,
};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Creates `path` and its missing parents, each new one 0700.
///
/// # Errors
/// The I/O error of the first directory that cannot be created.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(path)
}

/// Makes an existing directory 0700 (a data directory created by an earlier version, or by hand).
///
/// # Errors
/// The I/O error of `chmod`.
pub fn restrict_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Makes an existing file 0600; a missing one is left missing.
///
/// # Errors
/// The I/O error of `chmod`, other than "not found".
pub fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Options that create a file 0600 (add `create_new`, `create` or `truncate` as needed).
pub fn private_file_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
}

/// Creates a new file, 0600; fails if it exists.
pub(crate) fn create_new_private_file(path: &Path) -> io::Result<File> {
    private_file_options().create_new(true).open(path)
}
