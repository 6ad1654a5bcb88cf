//! The dataset and sample lifecycles and their transition tables.
//!
//! Every status change is written to the table conditionally on the status the writer read
//! ([`crate::ports::Table::update_dataset`]), so of two handlers racing on one record (a
//! duplicate S3 event, an SQS redelivery) exactly one does the work.
//!
//! ```
//! use genoflow_core::lifecycle::Status;
//!
//! assert!(Status::Pending.can_become(Status::Uploaded));
//! assert!(Status::Uploaded.can_become(Status::Invalid));
//! assert!(!Status::Invalid.can_become(Status::Analyzing));
//! assert_eq!("analyzed".parse::<Status>().unwrap(), Status::Analyzed);
//! ```

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// Where a dataset (one uploaded file) is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// An upload URL was issued; no object yet.
    Pending,
    /// The object arrived and a validator has claimed it.
    Uploaded,
    /// The object is a valid genomic file; it waits here until every file of its sample is valid.
    Valid,
    /// The object is not a valid genomic file, or not the file declared. Terminal; the dataset
    /// keeps the error.
    Invalid,
    /// The sample's analysis is running.
    Analyzing,
    /// The analysis report is written.
    Analyzed,
    /// The analysis could not be done. Terminal; the dataset keeps the error.
    Failed,
    /// The anchoring transaction is broadcast.
    Anchored,
    /// The anchoring transaction is in a block.
    Confirmed,
}

/// Every allowed dataset transition and why it happens (docs/ARCHITECTURE.md, "Dataset lifecycle").
///
/// `invalid` and `failed` are terminal. Two edges serve retries: `uploaded → pending` hands a
/// validation claim back when the validator could not run at all (storage unreachable), and
/// `uploaded → uploaded` lets a retried event take over a claim whose validator died (older than
/// the validation lease). `uploaded | pending → failed` end a validation that could not finish
/// on its last attempt, so no dataset stays claimed forever.
pub const TRANSITIONS: [(Status, Status, &str); 15] = [
    (
        Status::Pending,
        Status::Uploaded,
        "the object arrived; a validator claims it",
    ),
    (
        Status::Uploaded,
        Status::Uploaded,
        "a claim older than the validation lease is taken over (its validator died)",
    ),
    (
        Status::Uploaded,
        Status::Valid,
        "the object validated and matched the declared size and SHA-256",
    ),
    (
        Status::Uploaded,
        Status::Invalid,
        "the object failed validation or did not match its declaration",
    ),
    (
        Status::Uploaded,
        Status::Pending,
        "the validator could not read the object; the retry validates again",
    ),
    (
        Status::Uploaded,
        Status::Failed,
        "the validation did not finish on the last attempt (timed out, crashed, storage down)",
    ),
    (
        Status::Pending,
        Status::Failed,
        "a validation handed back was retried as often as allowed without finishing",
    ),
    (
        Status::Valid,
        Status::Analyzing,
        "every file of the sample is valid; the analysis started",
    ),
    (
        Status::Analyzing,
        Status::Analyzed,
        "the analysis report is written",
    ),
    (Status::Analyzing, Status::Failed, "the analysis failed"),
    (
        Status::Analyzing,
        Status::Analyzing,
        "a claim older than the analysis lease is taken over (its analyser died)",
    ),
    (
        Status::Analyzing,
        Status::Valid,
        "the analysis could not read or write its files; the redelivery analyses again",
    ),
    (
        Status::Analyzed,
        Status::Anchored,
        "the Merkle batch transaction was broadcast",
    ),
    (
        Status::Anchored,
        Status::Confirmed,
        "the transaction is in a block",
    ),
    (
        Status::Anchored,
        Status::Analyzed,
        "the transaction failed for good; a later batch anchors the sample",
    ),
];

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 9] = [
        Status::Pending,
        Status::Uploaded,
        Status::Valid,
        Status::Invalid,
        Status::Analyzing,
        Status::Analyzed,
        Status::Failed,
        Status::Anchored,
        Status::Confirmed,
    ];

    /// Whether [`TRANSITIONS`] allows going from `self` to `next`.
    pub fn can_become(self, next: Status) -> bool {
        TRANSITIONS
            .iter()
            .any(|&(from, to, _)| from == self && to == next)
    }

    /// Whether no transition leaves this status.
    pub fn is_terminal(self) -> bool {
        !TRANSITIONS.iter().any(|&(from, _, _)| from == self)
    }

    /// The lowercase name used in JSON and in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Uploaded => "uploaded",
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::Analyzing => "analyzing",
            Self::Analyzed => "analyzed",
            Self::Failed => "failed",
            Self::Anchored => "anchored",
            Self::Confirmed => "confirmed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown status name (a corrupt table record).
#[derive(Debug, thiserror::Error)]
#[error("unknown dataset status {0:?}")]
pub struct ParseStatusError(String);

impl FromStr for Status {
    type Err = ParseStatusError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| ParseStatusError(s.to_owned()))
    }
}

/// Where a sample (one file or a read pair uploaded together) is. Its datasets' [`Status`]
/// follows it through analysis and anchoring, so `GET /datasets/{id}` shows the progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleStatus {
    /// Waiting for every file to be valid.
    Waiting,
    /// Every file is valid and one analysis request was sent.
    AnalysisRequested,
    /// An analyser claimed the sample.
    Analyzing,
    /// The report is written; one anchor request was sent.
    Analyzed,
    /// The sample's item is in a Merkle batch whose transaction is signed, not yet broadcast.
    Anchoring,
    /// The batch transaction is broadcast.
    Anchored,
    /// The batch transaction is in a block.
    Confirmed,
    /// A file is invalid, the files do not form a sample, or the analysis failed; the sample
    /// keeps that error.
    Failed,
}

/// Every allowed sample transition. The backward edges hand work back for a retry:
/// `analysis_requested → waiting` when the queue refused the message, `analyzing →
/// analysis_requested` when the analyser could not read or write its files, `anchoring |
/// anchored → analyzed` when the batch transaction failed for good (the next batch takes it).
pub const SAMPLE_TRANSITIONS: [(SampleStatus, SampleStatus, &str); 14] = [
    (
        SampleStatus::Waiting,
        SampleStatus::AnalysisRequested,
        "every file is valid; one analysis request is sent",
    ),
    (
        SampleStatus::Waiting,
        SampleStatus::Failed,
        "a file is invalid",
    ),
    (
        SampleStatus::AnalysisRequested,
        SampleStatus::Waiting,
        "the queue refused the request; the retry sends it",
    ),
    (
        SampleStatus::AnalysisRequested,
        SampleStatus::Analyzing,
        "an analyser claimed the sample",
    ),
    (
        SampleStatus::AnalysisRequested,
        SampleStatus::Failed,
        "the request's last delivery could not start the analysis",
    ),
    (
        SampleStatus::Analyzing,
        SampleStatus::Analyzing,
        "a claim older than the analysis lease is taken over (its analyser died)",
    ),
    (
        SampleStatus::Analyzing,
        SampleStatus::AnalysisRequested,
        "the analyser could not read or write its files; the redelivery analyses again",
    ),
    (
        SampleStatus::Analyzing,
        SampleStatus::Analyzed,
        "the report is written",
    ),
    (
        SampleStatus::Analyzing,
        SampleStatus::Failed,
        "the analysis failed",
    ),
    (
        SampleStatus::Analyzed,
        SampleStatus::Anchoring,
        "the item is in a batch whose transaction is signed",
    ),
    (
        SampleStatus::Anchoring,
        SampleStatus::Anchored,
        "the batch transaction is broadcast",
    ),
    (
        SampleStatus::Anchoring,
        SampleStatus::Analyzed,
        "the batch transaction failed for good; a later batch anchors the item",
    ),
    (
        SampleStatus::Anchored,
        SampleStatus::Analyzed,
        "the batch transaction failed for good; a later batch anchors the item",
    ),
    (
        SampleStatus::Anchored,
        SampleStatus::Confirmed,
        "the batch transaction is in a block",
    ),
];

impl SampleStatus {
    /// Whether [`SAMPLE_TRANSITIONS`] allows going from `self` to `next`.
    pub fn can_become(self, next: SampleStatus) -> bool {
        SAMPLE_TRANSITIONS
            .iter()
            .any(|&(from, to, _)| from == self && to == next)
    }
}

/// Where a whole sample is, as the API shows it (`GET /samples`, and `sample_status` on every
/// dataset view): one answer for the sample, derived from the sample record and all its files by
/// [`sample_state`], so a valid file whose mate is invalid says the sample failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleState {
    /// A file has not been uploaded yet.
    Uploading,
    /// A file is being validated, or every file is valid and the analysis is being requested.
    Validating,
    /// A file is invalid or failed, a file was deleted, or the analysis failed: the reason
    /// names the file and the error. Final.
    Failed,
    /// The analysis is queued or running.
    Analyzing,
    /// The report is written; not yet in an anchoring batch.
    Analyzed,
    /// The report's item is in a Merkle batch whose transaction is signed or broadcast, not yet
    /// in a block.
    Anchoring,
    /// The batch transaction is in a block.
    Anchored,
}

impl SampleState {
    /// Every state, in lifecycle order.
    pub const ALL: [SampleState; 7] = [
        SampleState::Uploading,
        SampleState::Validating,
        SampleState::Failed,
        SampleState::Analyzing,
        SampleState::Analyzed,
        SampleState::Anchoring,
        SampleState::Anchored,
    ];

    /// The snake_case name used in JSON and in `?status=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Uploading => "uploading",
            Self::Validating => "validating",
            Self::Failed => "failed",
            Self::Analyzing => "analyzing",
            Self::Analyzed => "analyzed",
            Self::Anchoring => "anchoring",
            Self::Anchored => "anchored",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == name)
    }
}

impl fmt::Display for SampleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The whole sample's state and, when it helps the reader, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleStateOf {
    /// The state.
    pub state: SampleState,
    /// Why (for `failed`: which file and its error, `"R2.fastq.gz is invalid: …"`).
    pub reason: Option<String>,
}

/// The one place a whole sample's state is decided, from its record and the datasets of it
/// that still exist (`datasets`, any order). In this order:
///
/// 1. the sample failed (its record says so), a file is `invalid` or `failed`, or a file was
///    deleted: `failed`, naming the file and the error;
/// 2. a file is `pending` (its bytes have not arrived): `uploading`;
/// 3. a file is `uploaded` (being validated), or every file is valid and the sample waits for
///    its analysis request: `validating`;
/// 4. then the sample's status: `analysis_requested` and `analyzing` are `analyzing`,
///    `analyzed` is `analyzed`, `anchoring` (transaction signed) and `anchored` (broadcast) are
///    `anchoring`, `confirmed` (in a block) is `anchored`.
pub fn sample_state(
    sample: &crate::model::Sample,
    datasets: &[crate::model::Dataset],
) -> SampleStateOf {
    let state = |state, reason: Option<String>| SampleStateOf { state, reason };
    let failure = |filename: &str, status: Status, error: Option<&crate::model::Problem>| {
        let verb = if status == Status::Invalid {
            "is invalid"
        } else {
            "failed"
        };
        let name = if filename.is_empty() {
            "a file of the sample"
        } else {
            filename
        };
        match error {
            Some(error) => format!("{name} {verb}: {error}"),
            None => format!("{name} {verb}"),
        }
    };
    if sample.status == SampleStatus::Failed {
        let reason = match &sample.error {
            Some(error) => {
                let status = datasets
                    .iter()
                    .find(|d| d.dataset_id == error.dataset_id)
                    .map_or(Status::Failed, |d| d.status);
                failure(&error.filename, status, Some(&error.error))
            }
            None => "the sample failed".to_owned(),
        };
        return state(SampleState::Failed, Some(reason));
    }
    let ordered = || {
        sample
            .dataset_ids
            .iter()
            .filter_map(|id| datasets.iter().find(|d| &d.dataset_id == id))
    };
    if let Some(bad) = ordered().find(|d| matches!(d.status, Status::Invalid | Status::Failed)) {
        return state(
            SampleState::Failed,
            Some(failure(&bad.filename, bad.status, bad.error.as_ref())),
        );
    }
    if let Some(missing) = sample
        .dataset_ids
        .iter()
        .find(|id| !datasets.iter().any(|d| &d.dataset_id == *id))
    {
        return state(
            SampleState::Failed,
            Some(format!(
                "file {missing} of the sample was deleted, so the sample cannot be analysed; upload it again"
            )),
        );
    }
    let names_in = |status: Status| -> Vec<&str> {
        ordered()
            .filter(|d| d.status == status)
            .map(|d| d.filename.as_str())
            .collect()
    };
    let pending = names_in(Status::Pending);
    if !pending.is_empty() {
        return state(
            SampleState::Uploading,
            Some(format!(
                "waiting for the bytes of {}",
                pending.join(" and ")
            )),
        );
    }
    let uploaded = names_in(Status::Uploaded);
    if !uploaded.is_empty() {
        return state(
            SampleState::Validating,
            Some(format!("validating {}", uploaded.join(" and "))),
        );
    }
    match sample.status {
        SampleStatus::Waiting => state(
            SampleState::Validating,
            Some("every file is valid; the analysis is being requested".to_owned()),
        ),
        SampleStatus::AnalysisRequested => state(
            SampleState::Analyzing,
            Some("queued for analysis".to_owned()),
        ),
        SampleStatus::Analyzing => state(SampleState::Analyzing, None),
        SampleStatus::Analyzed => state(SampleState::Analyzed, None),
        SampleStatus::Anchoring => state(
            SampleState::Anchoring,
            Some(
                "the anchoring transaction is signed, not yet broadcast (a server without a \
                 Stacks node keeps it signed)"
                    .to_owned(),
            ),
        ),
        SampleStatus::Anchored => state(
            SampleState::Anchoring,
            Some("the anchoring transaction is broadcast, waiting for a block".to_owned()),
        ),
        SampleStatus::Confirmed => state(SampleState::Anchored, None),
        SampleStatus::Failed => state(SampleState::Failed, None),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_forward_path_of_the_architecture_is_allowed_step_by_step() {
        let path = [
            Status::Pending,
            Status::Uploaded,
            Status::Valid,
            Status::Analyzing,
            Status::Analyzed,
            Status::Anchored,
            Status::Confirmed,
        ];
        for pair in path.windows(2) {
            assert!(pair[0].can_become(pair[1]), "{} -> {}", pair[0], pair[1]);
        }
        assert!(Status::Uploaded.can_become(Status::Invalid));
        assert!(Status::Analyzing.can_become(Status::Failed));
    }

    #[test]
    fn skipping_or_leaving_terminal_states_is_refused() {
        assert!(!Status::Pending.can_become(Status::Valid));
        assert!(!Status::Valid.can_become(Status::Valid));
        assert!(Status::Uploaded.can_become(Status::Uploaded));
        assert!(!Status::Confirmed.can_become(Status::Pending));
        for terminal in [Status::Invalid, Status::Failed, Status::Confirmed] {
            assert!(terminal.is_terminal());
            assert!(Status::ALL.iter().all(|&next| !terminal.can_become(next)));
        }
    }

    #[test]
    fn names_round_trip_through_json_and_text() {
        for status in Status::ALL {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{status}\""));
            assert_eq!(status.as_str().parse::<Status>().unwrap(), status);
        }
        assert!("done".parse::<Status>().is_err());
    }
}
