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
//! | [`oracle::OracleUpdates::refresh_all`] | oracle, `genoflow serve` | the schedule's watch list and the panel's genes and catalogue ([`oracle::OracleUpdates::panel_requests`]); `POST /admin/oracle/refresh` (serve) |
//! | [`attestations::Attestations`] | api | `GET /oracle/{source}/{id}`, `GET /oracle/gene/{symbol}` |
//! | [`verify::verify_offline`], [`verify::verify_on_chain`], [`verify::verify_catalogue_on_chain`] | `genoflow verify` | a report and its proof; the catalogue it names |
//! | [`datasets::Datasets`] | api | `GET /datasets`, `GET /datasets/{id}` (with its `chain` block), `/report`, `/proof`, `/download` (owner or buyer), `DELETE /datasets/{id}` |
//! | [`samples::Samples`] | api | `GET /samples` (search, filter, sort), `GET /samples/{id}` (owner or buyer) |
//! | [`marketplace::Marketplace`] | api | `GET /marketplace`, `GET /marketplace/{listing_id}`, `GET /purchases` |
//! | [`onchain::ChainReads`] | api | the contracts' read-only calls behind a 30 s cache; the sample ↔ registry record link |
//! | [`sweeper::Sweeper`] | sweeper (schedule), `genoflow serve` (timer) | claims past their lease: returned or failed |

pub mod analyze;
pub mod anchor;
pub mod attestations;
pub mod datasets;
pub mod login;
pub mod marketplace;
pub mod metrics;
pub mod object_created;
pub mod onchain;
pub mod oracle;
pub mod samples;
pub mod submit;
pub mod subscription;
pub mod sweeper;
pub mod upload;
pub mod verify;

use genoflow_stacks::{address::AddressVersion, clarity::Principal, transaction::Network};
use time::OffsetDateTime;

use crate::{
    error::Error,
    lifecycle::{SampleStatus, Status},
    model::{Dataset, Lease, LeaseKind, Sample},
    ports::{DatasetState, Table, TableError},
};

/// Which delivery of a message a handler runs. On the last one (the queue's `maxReceiveCount`,
/// after which the message is dead-lettered), a handler that cannot finish records why (the
/// work becomes `failed`) instead of handing it back for a retry that will never come.
///
/// ```
/// use genoflow_core::usecases::Attempt;
/// assert!(!Attempt::RETRIED.is_last());
/// assert!(Attempt { receive_count: 5, max_receive_count: 5 }.is_last());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// This delivery, from 1 (SQS `ApproximateReceiveCount`, the local queue's attempt).
    pub receive_count: u32,
    /// Deliveries before the message goes to the dead letters (the queue's `maxReceiveCount`).
    pub max_receive_count: u32,
}

impl Attempt {
    /// A delivery with retries left (an S3 notification, a direct call).
    pub const RETRIED: Self = Self {
        receive_count: 1,
        max_receive_count: u32::MAX,
    };

    /// Whether no retry follows this delivery.
    pub fn is_last(self) -> bool {
        self.receive_count >= self.max_receive_count
    }
}

impl Default for Attempt {
    fn default() -> Self {
        Self::RETRIED
    }
}

/// Writes the lease of `(kind, id)`, to be looked at by the sweeper at `until`, keeping the
/// count of returns it had. Written before the claim it covers, so no claim exists without one.
pub(crate) async fn hold_lease(
    table: &dyn Table,
    kind: LeaseKind,
    id: &str,
    until: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let lease = match table.get_lease(kind, id).await? {
        Some(previous) => Lease {
            expires_at: until,
            updated_at: now,
            ..previous
        },
        None => Lease::new(kind, id, until, now),
    };
    table.put_lease(&lease).await?;
    Ok(())
}

/// The sample's datasets that still exist, in upload order.
pub(crate) async fn datasets_of(table: &dyn Table, sample: &Sample) -> Result<Vec<Dataset>, Error> {
    let mut datasets = Vec::with_capacity(sample.dataset_ids.len());
    for id in &sample.dataset_ids {
        if let Some(dataset) = table.get_dataset(id).await? {
            datasets.push(dataset);
        }
    }
    Ok(datasets)
}

/// Removes the lease of `(kind, id)` once its work is final. A failure is only logged: a lease
/// left behind makes the sweeper look at a finished record and drop it.
pub(crate) async fn release_lease(table: &dyn Table, kind: LeaseKind, id: &str) {
    if let Err(error) = table.delete_lease(kind, id).await {
        tracing::warn!(kind = kind.as_str(), %id, %error, "could not remove a lease; the sweeper will");
    }
}

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

/// The contract id in `setting` as a contract principal of `network`: `name` is the contract's
/// name in the error messages (`ADDRESS.{name}`).
///
/// ```
/// use genoflow_core::usecases::contract_setting;
/// use genoflow_stacks::transaction::Network;
/// let registry = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry";
/// assert!(contract_setting("GENOFLOW_REGISTRY_CONTRACT", registry, "registry", Network::Testnet).is_ok());
/// let error = contract_setting("GENOFLOW_REGISTRY_CONTRACT", registry, "registry", Network::Mainnet).unwrap_err();
/// assert!(error.to_string().contains("not a mainnet address"), "{error}");
/// ```
///
/// # Errors
/// [`Error::Configuration`] naming `setting` when it is not `ADDRESS.contract-name`, or its
/// address belongs to the other network.
pub fn contract_setting(
    setting: &'static str,
    contract: &str,
    name: &str,
    network: Network,
) -> Result<Principal, Error> {
    let misconfigured = |message: String| Error::Configuration { setting, message };
    let principal = match Principal::parse(contract) {
        Ok(principal @ Principal::Contract(..)) => principal,
        Ok(Principal::Standard(_)) => {
            return Err(misconfigured(format!(
                "{contract:?} is an account, not a contract; set it to the {name} contract's id, \
                 ADDRESS.{name} (the deployer's address, a dot, the contract's name)"
            )));
        }
        Err(e) => {
            return Err(misconfigured(format!(
                "{contract:?} is not a contract id ({e}); set it to the {name} contract's id, \
                 ADDRESS.{name} (the deployer's address, a dot, the contract's name)"
            )));
        }
    };
    let versions = match network {
        Network::Mainnet => [
            AddressVersion::MAINNET_SINGLE_SIG,
            AddressVersion::MAINNET_MULTI_SIG,
        ],
        Network::Testnet => [
            AddressVersion::TESTNET_SINGLE_SIG,
            AddressVersion::TESTNET_MULTI_SIG,
        ],
    };
    if !versions.contains(&principal.address().version()) {
        let network_name = match network {
            Network::Mainnet => "mainnet",
            Network::Testnet => "testnet",
        };
        return Err(misconfigured(format!(
            "{contract} is not a {network_name} address, but this deployment runs on \
             {network_name} (chain id {:#010x}); set it to the {name} contract deployed on \
             {network_name}, or set the network the contract is on",
            network.chain_id(),
        )));
    }
    Ok(principal)
}
