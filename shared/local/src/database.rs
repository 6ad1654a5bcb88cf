//! The SQLite database shared by the table and the queue: one file, WAL mode, one connection
//! per adapter behind a mutex, used from `spawn_blocking` only.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use rusqlite::Connection;

/// The database file under the data directory.
pub(crate) const DATABASE_FILE: &str = "genoflow.sqlite3";

/// The data directory or its database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A directory could not be created or read.
    #[error("cannot prepare {path}: {source}; check the data directory exists and is writable")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The database could not be opened or its schema created.
    #[error(
        "cannot open the database {path}: {source}; is it a GenoFlow database, and is the disk full?"
    )]
    Database {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
}

/// Every table the adapters use. `IF NOT EXISTS`: opening an existing data directory keeps it.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS datasets (
    dataset_id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_nanos INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS datasets_by_owner
    ON datasets (owner, created_nanos DESC, dataset_id DESC);
CREATE TABLE IF NOT EXISTS samples (
    sample_id TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_nonces (
    address TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (address, nonce)
);
CREATE INDEX IF NOT EXISTS login_nonces_by_expiry ON login_nonces (expires_at);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    open INTEGER NOT NULL,
    created_nanos INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS open_batches ON batches (open, created_nanos, batch_id);
CREATE TABLE IF NOT EXISTS oracle_values (
    key TEXT PRIMARY KEY,
    open INTEGER NOT NULL,
    created_nanos INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS open_oracle_values ON oracle_values (open, created_nanos, key);
CREATE TABLE IF NOT EXISTS account_nonces (
    address TEXT PRIMARY KEY,
    next TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    expires_nanos INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases (expires_nanos, kind, id);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    visible_at_ms INTEGER NOT NULL,
    dead INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS visible_messages ON messages (queue, dead, visible_at_ms, id);
";

/// A connection to `{data_dir}/genoflow.sqlite3`, its schema created.
#[derive(Clone)]
pub(crate) struct Database {
    connection: Arc<Mutex<Connection>>,
}

/// The blocking work could not run to its end (it panicked, or the runtime is shutting down).
#[derive(Debug)]
pub(crate) struct Interrupted(pub(crate) String);

impl Database {
    pub(crate) fn open(data_dir: &Path) -> Result<Self, OpenError> {
        let path = data_dir.join(DATABASE_FILE);
        // The database (and its -wal and -shm files, which SQLite creates with the database's
        // mode) is the owner's only, as is the directory.
        crate::private::create_private_dir_all(data_dir)
            .and_then(|()| crate::private::restrict_dir(data_dir))
            .and_then(|()| {
                crate::private::private_file_options()
                    .create(true)
                    .truncate(false)
                    .open(&path)
                    .map(drop)
            })
            .and_then(|()| {
                ["", "-wal", "-shm"].iter().try_for_each(|suffix| {
                    crate::private::restrict_file(
                        &data_dir.join(format!("{DATABASE_FILE}{suffix}")),
                    )
                })
            })
            .map_err(|source| OpenError::Io {
                path: data_dir.to_owned(),
                source,
            })?;
        let failed = |source| OpenError::Database {
            path: path.clone(),
            source,
        };
        let connection = Connection::open(&path).map_err(failed)?;
        // The table and the queue hold one connection each: a writer waits for the other
        // instead of failing with SQLITE_BUSY.
        connection
            .busy_timeout(Duration::from_secs(10))
            .map_err(failed)?;
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(failed)?;
        // FULL: a committed write survives a power cut, as a conditional write must.
        connection
            .pragma_update(None, "synchronous", "FULL")
            .map_err(failed)?;
        connection.execute_batch(SCHEMA).map_err(failed)?;
        add_missing_columns(&connection).map_err(failed)?;
        index_samples(&connection).map_err(failed)?;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
        })
    }

    /// Runs `work` on the connection in the blocking pool.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, Interrupted>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> T + Send + 'static,
    {
        let connection = Arc::clone(&self.connection);
        tokio::task::spawn_blocking(move || {
            // A panic mid-transaction rolls the transaction back (it is dropped), so the
            // connection is consistent even when the mutex is poisoned.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await
        .map_err(|error| Interrupted(error.to_string()))
    }
}

/// Columns added after the first release: `CREATE TABLE IF NOT EXISTS` keeps an older table as
/// it was, so each is added to a database that lacks it.
const ADDED_COLUMNS: [(&str, &str, &str); 4] = [
    // Why a message was dead-lettered, and when (unix milliseconds).
    ("messages", "reason", "TEXT"),
    ("messages", "dead_at_ms", "INTEGER"),
    // An owner's samples, newest first (`GET /samples`); filled in from the records of a
    // database written before them by `index_samples`.
    ("samples", "owner", "TEXT"),
    ("samples", "created_nanos", "INTEGER"),
];

/// Fills `owner` and `created_nanos` of the samples stored before those columns existed (read
/// from their records), and indexes an owner's samples newest first.
fn index_samples(connection: &Connection) -> rusqlite::Result<()> {
    let unindexed: Vec<(String, String)> = {
        let mut statement =
            connection.prepare("SELECT sample_id, record FROM samples WHERE owner IS NULL")?;
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (sample_id, record) in unindexed {
        let Ok(sample) = serde_json::from_str::<genoflow_core::model::Sample>(&record) else {
            // An unreadable record stays out of the lists; reading it says what is wrong.
            continue;
        };
        connection.execute(
            "UPDATE samples SET owner = ?2, created_nanos = ?3 WHERE sample_id = ?1",
            rusqlite::params![sample_id, sample.owner, nanos(sample.created_at)],
        )?;
    }
    connection.execute_batch(
        "CREATE INDEX IF NOT EXISTS samples_by_owner
             ON samples (owner, created_nanos DESC, sample_id DESC);",
    )
}

fn add_missing_columns(connection: &Connection) -> rusqlite::Result<()> {
    for (table, column, kind) in ADDED_COLUMNS {
        let exists: bool = connection.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |row| row.get(0),
        )?;
        if !exists {
            connection.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
        }
    }
    Ok(())
}

/// Unix nanoseconds as SQLite's 64-bit integer (years 1677 to 2262).
pub(crate) fn nanos(at: time::OffsetDateTime) -> Option<i64> {
    i64::try_from(at.unix_timestamp_nanos()).ok()
}
