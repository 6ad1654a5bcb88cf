//! The operator's routes: `GET /admin/dead-letters` lists the messages the workers gave up on;
//! `POST /admin/oracle/refresh` refreshes the oracle's records now (`oracle`).
//!
//! They answer only a bearer token kept in `{data_dir}/admin-token` (made on first start, 0600):
//! whoever can read the data directory is the operator. Sign-in tokens of users are refused like
//! any other wrong token. The token is never logged; the start-up line names the file.

use std::{
    fs,
    io::{self, Write as _},
    path::{Path, PathBuf},
};

use axum::http::HeaderMap;
use genoflow_core::{
    http::{ApiResponse, json_response},
    ports::QueueName,
};
use genoflow_local::LocalQueue;
use time::OffsetDateTime;

/// The file holding the operator's token, in the data directory.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";

/// The operator's bearer token. `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct AdminToken(String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(redacted)")
    }
}

impl AdminToken {
    /// Reads `{data_dir}/admin-token`, creating it (32 random bytes, hex, mode 0600) the first
    /// time.
    pub(crate) fn load_or_create(data_dir: &Path) -> io::Result<Self> {
        let path = data_dir.join(ADMIN_TOKEN_FILE);
        match fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= 32 => return Ok(Self(text.trim().to_owned())),
            Ok(_) => {
                return Err(io::Error::other(format!(
                    "{} is too short; delete it to have a new token made",
                    path.display()
                )));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
        let token = hex::encode(bytes);
        let temporary = data_dir.join(format!(".{ADMIN_TOKEN_FILE}.tmp"));
        let mut file = genoflow_local::private_file_options()
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        file.write_all(token.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, &path)?;
        Ok(Self(token))
    }

    /// Whether `headers` carry `Authorization: Bearer {token}` (compared in constant time).
    pub(crate) fn accepts(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
        else {
            return false;
        };
        let (given, expected) = (given.trim().as_bytes(), self.0.as_bytes());
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |differ, (a, b)| differ | (a ^ b))
                == 0
    }
}

/// Where the token is, for the start-up line.
pub(crate) fn token_path(data_dir: &Path) -> PathBuf {
    data_dir.join(ADMIN_TOKEN_FILE)
}

/// `GET /admin/dead-letters`: every queue's dead letters, oldest first, with why each is there.
pub(crate) async fn dead_letters(
    token: &AdminToken,
    queue: &LocalQueue,
    headers: &HeaderMap,
) -> ApiResponse {
    if !token.accepts(headers) {
        return refused();
    }
    let mut listed = Vec::new();
    for name in [
        QueueName::Validation,
        QueueName::Analysis,
        QueueName::Anchor,
    ] {
        let letters = match queue.dead_letters(name).await {
            Ok(letters) => letters,
            Err(error) => {
                tracing::error!(%error, "dead letters unreadable");
                return json_response(
                    503,
                    &serde_json::json!({"error": {"code": "unavailable",
                        "message": "the server's storage did not answer; try again shortly"}}),
                );
            }
        };
        for letter in letters {
            let message = serde_json::from_str::<serde_json::Value>(&letter.body)
                .unwrap_or(serde_json::Value::String(letter.body));
            let dead_at = letter
                .dead_at_ms
                .and_then(|ms| {
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
                })
                .and_then(|at| {
                    at.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                });
            listed.push(serde_json::json!({
                "queue": queue_name(name),
                "id": letter.id,
                "attempts": letter.attempts,
                "reason": letter.reason,
                "dead_at": dead_at,
                "message": message,
            }));
        }
    }
    json_response(200, &serde_json::json!({ "dead_letters": listed }))
}

/// The answer to a request without the operator's token (none, a user's, a wrong one): 401.
pub(crate) fn refused() -> ApiResponse {
    tracing::warn!("admin request refused: no or a wrong operator token");
    json_response(
        401,
        &serde_json::json!({"error": {"code": "unauthenticated",
            "message": "operator routes need the bearer token in the data directory's admin-token file"}}),
    )
}

/// The queue's name as the logs and `GET /admin/dead-letters` write it.
pub(crate) fn queue_name(queue: QueueName) -> &'static str {
    match queue {
        QueueName::Validation => "validation",
        QueueName::Analysis => "analysis",
        QueueName::Anchor => "anchor",
    }
}
