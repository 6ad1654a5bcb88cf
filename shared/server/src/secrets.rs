//! The server's secrets, created on first start in `{data_dir}/secrets.json` (mode 0600) and
//! read on every later one: the URL signing secret (issued URLs keep working across a
//! restart), the bearer-token secret (sign-ins too) and the anchor account's key.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use genoflow_core::ports::HmacSecret;
use genoflow_stacks::keys::PrivateKey;
use serde::{Deserialize, Serialize};

/// The file's name in the data directory.
pub const SECRETS_FILE: &str = "secrets.json";

/// Why the secrets could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}; check the data directory's permissions")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not ours or was edited badly.
    #[error(
        "{path}: {reason}; restore it from a backup, or delete it to start over (issued URLs and sign-ins stop working)"
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The system's random source failed.
    #[error("no randomness for new secrets: {0}")]
    Random(String),
}

#[derive(Serialize, Deserialize)]
struct Stored {
    url_signing_secret: String,
    token_secret: String,
    anchor_key: String,
}

/// The loaded secrets. `Debug` shows none of them (the key's address only).
pub struct Secrets {
    /// Signs the presigned blob URLs.
    pub url_signing: HmacSecret,
    /// Signs bearer tokens.
    pub token: HmacSecret,
    /// The anchor account's key.
    pub anchor_key: PrivateKey,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("anchor_key", &self.anchor_key)
            .finish_non_exhaustive()
    }
}

fn random_hex(bytes: usize) -> Result<String, SecretsError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::getrandom(&mut buffer).map_err(|e| SecretsError::Random(e.to_string()))?;
    Ok(hex::encode(buffer))
}

impl Secrets {
    /// Loads `{data_dir}/secrets.json`, creating it with fresh random secrets the first time.
    ///
    /// # Errors
    /// [`SecretsError`].
    pub fn load_or_create(data_dir: &Path) -> Result<Self, SecretsError> {
        let path = data_dir.join(SECRETS_FILE);
        let io = |source| SecretsError::Io {
            path: path.clone(),
            source,
        };
        if !path.exists() {
            let fresh = Stored {
                url_signing_secret: random_hex(32)?,
                token_secret: random_hex(32)?,
                anchor_key: loop {
                    // A valid secp256k1 scalar (all but a negligible fraction are).
                    let candidate = random_hex(32)?;
                    if PrivateKey::from_hex(&candidate).is_ok() {
                        break format!("{candidate}01");
                    }
                },
            };
            let text = serde_json::to_string_pretty(&fresh).map_err(|e| SecretsError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            // Written whole, readable by the owner only, then renamed into place.
            let temporary = data_dir.join(format!(".{SECRETS_FILE}.tmp"));
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary).map_err(io)?;
            file.write_all(text.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            fs::rename(&temporary, &path).map_err(io)?;
        }
        let text = fs::read_to_string(&path).map_err(io)?;
        let corrupt = |reason: String| SecretsError::Corrupt {
            path: path.clone(),
            reason,
        };
        let stored: Stored = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        let decode = |name: &str, value: &str| {
            hex::decode(value).map_err(|_| corrupt(format!("{name} is not hex")))
        };
        Ok(Self {
            url_signing: HmacSecret::new(decode("url_signing_secret", &stored.url_signing_secret)?)
                .map_err(|e| corrupt(format!("url_signing_secret: {e}")))?,
            token: HmacSecret::new(decode("token_secret", &stored.token_secret)?)
                .map_err(|e| corrupt(format!("token_secret: {e}")))?,
            anchor_key: PrivateKey::from_hex(&stored.anchor_key)
                .map_err(|e| corrupt(format!("anchor_key: {e}")))?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn created_once_then_read_back_the_same_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let first = Secrets::load_or_create(dir.path()).unwrap();
        let second = Secrets::load_or_create(dir.path()).unwrap();
        assert_eq!(
            first.anchor_key.public_key().to_bytes(),
            second.anchor_key.public_key().to_bytes()
        );
        let text = fs::read_to_string(dir.path().join(SECRETS_FILE)).unwrap();
        let stored: Stored = serde_json::from_str(&text).unwrap();
        let printed = format!("{first:?}");
        assert!(!printed.contains(&stored.token_secret), "{printed}");
        assert!(!printed.contains(&stored.url_signing_secret), "{printed}");
        assert!(!printed.contains(&stored.anchor_key[..20]), "{printed}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join(SECRETS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(SECRETS_FILE), "{\"token_secret\": 1}").unwrap();
        let error = Secrets::load_or_create(dir.path()).unwrap_err().to_string();
        assert!(error.contains("delete it to start over"), "{error}");
    }
}
