//! The `oracle` function: external records signed and submitted to `oracle.submit`
//! ([`OracleUpdates`]).
//!
//! | trigger | payload | does |
//! | --- | --- | --- |
//! | daily schedule | `{"type": "refresh_watched"}` | refreshes every record of the watch list (`GENOFLOW_ORACLE_WATCH`), and with [`Oracle::watching_the_panel`] the built-in panel's genes that have an NCBI Gene id and its catalogue |
//! | schedule | `{"type": "confirm_pending"}` | broadcasts signed values, follows broadcast ones to a block |
//! | SQS | `{"type": "oracle_requested", "source": "clinvar" \| "gene" \| "catalogue", "id": "..."}` | refreshes one record; partial batch response |
//!
//! The `catalogue` source is the built-in panel's (`tb-who-2023`, the panel the analyze
//! function uses): its document is made from the panel, not fetched, and any other id is
//! refused.
//!
//! A record whose document has not changed is not signed again; a source that is down or
//! answers garbage produces no signed record (logged, and for SQS, listed for redelivery or the
//! dead-letter queue).
#![warn(missing_docs)]

use std::sync::Arc;

use genoflow_aws::lambda::sqs::{SqsBatchResponse, SqsEvent, process_each};
use genoflow_core::{
    Error,
    model::SubmissionStatus,
    ports::{BlobStore, Chain, Clock, HttpFetcher, Table},
    usecases::{
        analyze::PanelSource,
        oracle::{OracleOutcome, OracleRequested, OracleSigner, OracleUpdates, Source, SourceUrls},
    },
};
use genoflow_genomics::analysis::BUILTIN_TB;
use serde::{Deserialize, Serialize};

/// The ports the function runs on.
pub struct Ports {
    /// Oracle values and the nonce counter.
    pub table: Arc<dyn Table>,
    /// The canonical documents.
    pub blobs: Arc<dyn BlobStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The Stacks node (`None`: sign and keep).
    pub chain: Option<Arc<dyn Chain>>,
    /// The sources.
    pub fetcher: Arc<dyn HttpFetcher>,
}

/// The events the function receives.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OracleEvent {
    /// A schedule's payload.
    Schedule(ScheduleEvent),
    /// An SQS batch of [`OracleRequested`].
    Sqs(SqsEvent),
}

/// `{"type": "refresh_watched" | "confirm_pending"}`.
#[derive(Debug, Deserialize)]
pub struct ScheduleEvent {
    /// The task.
    #[serde(rename = "type")]
    pub task: ScheduleTask,
}

/// What a schedule asks.
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleTask {
    /// Refresh the watch list.
    RefreshWatched,
    /// Broadcast and confirm open values.
    ConfirmPending,
}

/// The answer to an invocation.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum OracleAnswer {
    /// To SQS: the messages to redeliver.
    Sqs(SqsBatchResponse),
    /// To a schedule: one line per record.
    Schedule(Vec<RecordSummary>),
}

/// What happened to one record.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RecordSummary {
    /// `clinvar:12345`, or the value's key for confirmations.
    pub record: String,
    /// `submitted`, `unchanged`, `signed`, `broadcast`, `confirmed`, `failed`, or `error`.
    pub outcome: String,
    /// The error, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A `source:id` list entry, as `GENOFLOW_ORACLE_WATCH` holds them (comma-separated).
///
/// ```
/// use genoflow_function_oracle::parse_watch_list;
/// let list = parse_watch_list("clinvar:12345, gene:888164").unwrap();
/// assert_eq!(list.len(), 2);
/// assert!(parse_watch_list("omim:1").is_err());
/// ```
///
/// # Errors
/// The entry that is not `clinvar:ID`, `gene:ID` or `catalogue:PANEL`.
pub fn parse_watch_list(text: &str) -> Result<Vec<OracleRequested>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (source, id) = entry
                .split_once(':')
                .ok_or_else(|| format!("{entry:?} is not source:id"))?;
            let source = Source::parse(source)
                .ok_or_else(|| format!("{source:?} is not a source (clinvar, gene, catalogue)"))?;
            Ok(OracleRequested {
                source,
                id: id.to_owned(),
            })
        })
        .collect()
}

/// The function, built once at cold start.
pub struct Oracle {
    updates: OracleUpdates,
    watch: Vec<OracleRequested>,
    watch_panel: bool,
    metrics: Arc<dyn genoflow_core::ports::Metrics>,
}

impl Oracle {
    /// Wires the use case, with the built-in panel as the `catalogue` source.
    pub fn new(
        ports: Ports,
        signer: OracleSigner,
        urls: SourceUrls,
        watch: Vec<OracleRequested>,
    ) -> Self {
        Self {
            updates: OracleUpdates {
                table: ports.table,
                blobs: ports.blobs,
                clock: ports.clock,
                chain: ports.chain,
                fetcher: ports.fetcher,
                urls,
                signer,
                panel: Some(Arc::new(PanelSource::named(BUILTIN_TB))),
            },
            watch,
            watch_panel: false,
            metrics: Arc::new(genoflow_core::ports::NoMetrics),
        }
    }

    /// The daily refresh also refreshes the built-in panel's genes that have an NCBI Gene id
    /// and its catalogue ([`OracleUpdates::panel_requests`]), after the watch list: what
    /// `GET /oracle/gene/{symbol}` and a report's `catalogue` point at.
    #[must_use]
    pub fn watching_the_panel(mut self) -> Self {
        self.watch_panel = true;
        self
    }

    /// Records `OracleValuesSubmitted`, `OracleValuesConfirmed` and `OracleValuesFailed` in
    /// `metrics` (CloudWatch EMF on AWS).
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<dyn genoflow_core::ports::Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// [`OracleUpdates::refresh`], counted.
    async fn refresh(&self, request: &OracleRequested) -> Result<OracleOutcome, Error> {
        let outcome = self.updates.refresh(request).await?;
        genoflow_core::usecases::metrics::oracle_refreshed(&*self.metrics, &outcome);
        Ok(outcome)
    }

    /// Handles one invocation.
    ///
    /// # Errors
    /// A confirmation run that could not read the table (the next run retries). Refreshes
    /// never fail the invocation: each record's error is in the answer and the logs.
    pub async fn handle(&self, event: OracleEvent) -> Result<OracleAnswer, Error> {
        match event {
            OracleEvent::Sqs(event) => {
                let outcome = process_each(
                    &event,
                    |body| OracleRequested::from_json(body).map_err(|e| e.to_string()),
                    |request| async move { self.refresh(&request).await.map(|_| ()) },
                )
                .await;
                Ok(OracleAnswer::Sqs(outcome.response()))
            }
            OracleEvent::Schedule(ScheduleEvent {
                task: ScheduleTask::RefreshWatched,
            }) => {
                let mut watched = self.watch.clone();
                if self.watch_panel {
                    match self.updates.panel_requests().await {
                        Ok(requests) => watched.extend(requests),
                        // The watch list is still refreshed; the line says why the panel is not.
                        Err(error) => {
                            tracing::error!(%error, "the panel's records are not refreshed")
                        }
                    }
                }
                let mut lines = Vec::with_capacity(watched.len());
                for (index, request) in watched.iter().enumerate() {
                    if watched[..index].contains(request) {
                        continue;
                    }
                    let record = format!("{}:{}", request.source.as_str(), request.id);
                    let line = match self.refresh(request).await {
                        Ok(OracleOutcome::Submitted { status, .. }) => RecordSummary {
                            record,
                            outcome: format!("submitted ({})", status_name(status)),
                            error: None,
                        },
                        Ok(OracleOutcome::Unchanged { .. }) => RecordSummary {
                            record,
                            outcome: "unchanged".to_owned(),
                            error: None,
                        },
                        Err(error) => {
                            tracing::error!(%record, code = error.code(), %error, "refresh failed");
                            RecordSummary {
                                record,
                                outcome: "error".to_owned(),
                                error: Some(error.to_string()),
                            }
                        }
                    };
                    lines.push(line);
                }
                Ok(OracleAnswer::Schedule(lines))
            }
            OracleEvent::Schedule(ScheduleEvent {
                task: ScheduleTask::ConfirmPending,
            }) => {
                let report = self.updates.confirm().await?;
                genoflow_core::usecases::metrics::oracle_checked(&*self.metrics, &report);
                Ok(OracleAnswer::Schedule(
                    report
                        .into_iter()
                        .map(|(key, status)| RecordSummary {
                            record: key,
                            outcome: status_name(status).to_owned(),
                            error: None,
                        })
                        .collect(),
                ))
            }
        }
    }
}

fn status_name(status: SubmissionStatus) -> &'static str {
    match status {
        SubmissionStatus::Signed => "signed",
        SubmissionStatus::Broadcast => "broadcast",
        SubmissionStatus::Confirmed => "confirmed",
        SubmissionStatus::Failed => "failed",
    }
}
