//! One use case per function entry point. Each is a struct of the ports it needs (built once at
//! cold start) with async methods; the function crates only parse events and map results.
//!
//! | use case | function | route or event |
//! | --- | --- | --- |
//! | [`login::Login`] | presign | `POST /auth/login` |
//! | [`upload::Uploads::create`] | presign | `POST /uploads` |
//! | [`subscription::SubscriptionGate`] | presign (optional) | `POST /uploads`: `subscription.is-active` |
//! | [`upload::Uploads::complete`] | presign | `POST /uploads/{dataset_id}/complete` |
//! | [`object_created::ValidateObjects`] | validate | S3 ObjectCreated |
//! | [`analyze::AnalyzeSamples`] | analyze | SQS `analysis_requested` |
//! | [`anchor::AnchorBatches::anchor`] | anchor | SQS `anchor_requested` (batched) |
//! | [`anchor::AnchorBatches::confirm`] | anchor | schedule |
//! | [`oracle::OracleUpdates::refresh`] | oracle | SQS `oracle_requested`, and the schedule's watch list |
//! | [`oracle::OracleUpdates::confirm`] | oracle | schedule |
//! | [`verify::verify_offline`], [`verify::verify_on_chain`] | `genoflow verify` | a report and its proof |
//! | [`datasets::Datasets`] | api | `GET /datasets`, `GET /datasets/{id}`, `DELETE /datasets/{id}` |

pub mod analyze;
pub mod anchor;
pub mod datasets;
pub mod login;
pub mod object_created;
pub mod oracle;
pub mod submit;
pub mod subscription;
pub mod upload;
pub mod verify;

use time::OffsetDateTime;

use crate::{
    error::Error,
    lifecycle::{SampleStatus, Status},
    model::{Dataset, Sample},
    ports::{DatasetState, Table, TableError},
};

/// The dataset if it exists and belongs to `owner`. Someone else's dataset is reported exactly
/// like a missing one, so dataset ids cannot be probed.
pub(crate) async fn owned_dataset(
    table: &dyn Table,
    owner: &str,
    dataset_id: &str,
) -> Result<Dataset, Error> {
    table
        .get_dataset(dataset_id)
        .await?
        .filter(|dataset| dataset.owner == owner)
        .ok_or_else(|| Error::NotFound {
            what: "dataset",
            id: dataset_id.to_owned(),
        })
}

/// Writes `dataset` moved to `to` (after `change`), only if the table still holds it in the
/// status it was read with. `Ok(None)`: another handler moved it first, so this one does
/// nothing more.
pub(crate) async fn transition_dataset(
    table: &dyn Table,
    dataset: &Dataset,
    to: Status,
    now: OffsetDateTime,
    change: impl FnOnce(&mut Dataset),
) -> Result<Option<Dataset>, Error> {
    if !dataset.status.can_become(to) {
        return Err(Error::Conflict {
            code: "invalid_transition",
            message: format!(
                "dataset {} cannot go from {} to {to}",
                dataset.dataset_id, dataset.status
            ),
        });
    }
    let mut next = dataset.clone();
    change(&mut next);
    next.status = to;
    next.updated_at = now;
    next.revision = dataset.revision + 1;
    match table.update_dataset(&next, DatasetState::of(dataset)).await {
        Ok(()) => Ok(Some(next)),
        Err(TableError::ConditionFailed { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// [`transition_dataset`] for samples.
pub(crate) async fn transition_sample(
    table: &dyn Table,
    sample: &Sample,
    to: SampleStatus,
    now: OffsetDateTime,
    change: impl FnOnce(&mut Sample),
) -> Result<Option<Sample>, Error> {
    if !sample.status.can_become(to) {
        return Err(Error::Conflict {
            code: "invalid_transition",
            message: format!(
                "sample {} cannot go from {:?} to {to:?}",
                sample.sample_id, sample.status
            ),
        });
    }
    let mut next = sample.clone();
    change(&mut next);
    next.status = to;
    next.updated_at = now;
    match table.update_sample(&next, sample.status).await {
        Ok(()) => Ok(Some(next)),
        Err(TableError::ConditionFailed { .. }) => Ok(None),
        Err(other) => Err(other.into()),
    }
}
