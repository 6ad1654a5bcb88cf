//! The oracle in `genoflow serve`, when it has an oracle key (`--oracle-key-file`,
//! `GENOFLOW_ORACLE_KEY`): the same use case as the `oracle` function
//! ([`OracleUpdates`]) attests each gene of the panel that has an NCBI Gene id and the panel's
//! catalogue, at start and every `--oracle-interval`; every confirmation interval it broadcasts
//! the signed values and follows the broadcast ones (with a node). `POST /admin/oracle/refresh`
//! (the operator's token) refreshes now and answers what happened to each record.
//!
//! One refresh runs at a time. A record whose source fails or answers garbage is logged and
//! reported, signs nothing, and does not stop the others.

use std::sync::Arc;

use axum::http::HeaderMap;
use genoflow_core::{
    Error,
    http::{ApiResponse, json_response},
    model::SubmissionStatus,
    ports::Metrics,
    usecases::{
        metrics as record,
        oracle::{OracleOutcome, OracleUpdates, RefreshResult},
    },
};
use serde_json::{Value, json};

use crate::admin::AdminToken;

/// The oracle of this server, shared by its schedule and the operator's route.
pub(crate) struct OracleService {
    updates: OracleUpdates,
    running: tokio::sync::Mutex<()>,
    metrics: Arc<dyn Metrics>,
}

impl OracleService {
    pub(crate) fn new(updates: OracleUpdates, metrics: Arc<dyn Metrics>) -> Self {
        Self {
            updates,
            running: tokio::sync::Mutex::new(()),
            metrics,
        }
    }

    /// Refreshes the panel's genes and catalogue (after a refresh in progress, if any).
    ///
    /// # Errors
    /// The panel could not be loaded.
    pub(crate) async fn refresh(&self) -> Result<Vec<RefreshResult>, Error> {
        let _running = self.running.lock().await;
        let requests = self.updates.panel_requests().await?;
        let results = self.updates.refresh_all(&requests).await;
        for result in &results {
            if let Ok(outcome) = &result.outcome {
                record::oracle_refreshed(self.metrics.as_ref(), outcome);
            }
        }
        let failed = results.iter().filter(|r| r.outcome.is_err()).count();
        tracing::info!(records = results.len(), failed, "oracle refresh done");
        Ok(results)
    }

    /// Broadcasts signed values and follows broadcast ones (nothing without a node).
    pub(crate) async fn confirm(&self) {
        let _running = self.running.lock().await;
        match self.updates.confirm().await {
            Ok(report) if report.is_empty() => {}
            Ok(report) => {
                record::oracle_checked(self.metrics.as_ref(), &report);
                tracing::info!(?report, "open oracle values checked");
            }
            Err(error) => {
                tracing::warn!(%error, "oracle confirmation failed; trying again later");
            }
        }
    }
}

/// `POST /admin/oracle/refresh`: refreshes now; answers each record's outcome.
pub(crate) async fn admin_refresh(
    token: &AdminToken,
    oracle: Option<&OracleService>,
    headers: &HeaderMap,
) -> ApiResponse {
    if !token.accepts(headers) {
        return crate::admin::refused();
    }
    let Some(oracle) = oracle else {
        return json_response(
            503,
            &json!({"error": {"code": "oracle_not_configured",
                "message": "this server has no oracle key, so it attests nothing; start genoflow serve with --oracle-key-file PATH or GENOFLOW_ORACLE_KEY"}}),
        );
    };
    match oracle.refresh().await {
        Ok(results) => json_response(200, &summary(&results)),
        Err(error) => {
            tracing::error!(%error, "oracle refresh could not start");
            json_response(
                500,
                &json!({"error": {"code": error.code(), "message": error.to_string()}}),
            )
        }
    }
}

/// `{"records": [...], "submitted", "unchanged", "errors"}`.
fn summary(results: &[RefreshResult]) -> Value {
    let mut counts = [0_usize; 3];
    let records: Vec<Value> = results
        .iter()
        .map(|result| {
            let mut line = json!({
                "source": result.request.source.as_str(),
                "id": result.request.id,
            });
            let fields = match &result.outcome {
                Ok(OracleOutcome::Submitted {
                    key,
                    value,
                    txid,
                    status,
                }) => {
                    counts[0] += 1;
                    json!({"outcome": "submitted", "key": key, "value": value, "txid": txid,
                        "status": status_name(*status)})
                }
                Ok(OracleOutcome::Unchanged { key }) => {
                    counts[1] += 1;
                    json!({"outcome": "unchanged", "key": key})
                }
                Err(error) => {
                    counts[2] += 1;
                    json!({"outcome": "error", "code": error.code(), "error": error.to_string()})
                }
            };
            if let (Some(line), Value::Object(fields)) = (line.as_object_mut(), fields) {
                line.extend(fields);
            }
            line
        })
        .collect();
    json!({
        "records": records,
        "submitted": counts[0],
        "unchanged": counts[1],
        "errors": counts[2],
    })
}

fn status_name(status: SubmissionStatus) -> &'static str {
    match status {
        SubmissionStatus::Signed => "signed",
        SubmissionStatus::Broadcast => "broadcast",
        SubmissionStatus::Confirmed => "confirmed",
        SubmissionStatus::Failed => "failed",
    }
}
