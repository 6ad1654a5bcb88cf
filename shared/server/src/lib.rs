//! `genoflow serve`: the whole pipeline in one process, over one data directory.
//!
//! - The HTTP API of `INTERFACES.md`, answered by the same route sets as the Lambda functions
//!   ([`genoflow_core::http`]), at the root: `/auth/login`, `/uploads`, `/datasets`, `/health`,
//!   `/marketplace`, `/purchases`; with a Stacks node, the chain is read through it (the `chain`
//!   block, purchases, the marketplace: `docs/MARKETPLACE.md`).
//! - With a Stacks node, the four node API paths the page uses under `/node/` (`node`).
//! - Presigned URLs pointing at this server: `PUT /blobs/{key}` (single or part) and
//!   `GET /blobs/{key}`, checked by [`genoflow_local::FileBlobStore`]'s `accept_*`.
//! - The web page (`web/`, embedded in the binary) at `/`, with `/config.json`.
//! - Background workers, one per queue, running the same use cases as the validate, analyze
//!   and anchor functions; the anchor schedule (confirmations) and the multipart sweep.
//!
//! One server per data directory (a lock file enforces it), one consumer per queue: so a
//! claim found in progress at start-up belongs to a process that died, and is taken over at
//! once (the use cases' leases are zero here; on AWS they cover concurrent Lambdas).
//! `docs/LOCAL.md` describes the layout and the choices.

mod node;
mod routes;
mod secrets;
mod store;
mod web;
mod workers;

use std::{
    fs::File,
    future::Future,
    path::{Path, PathBuf},
    sync::Arc,
};

use genoflow_core::{
    http::{ChainReads, DatasetRoutes, MarketplaceRoutes, RoutePorts, UploadRoutes},
    ports::{Chain, HmacTokenSigner, SystemClock, Table},
    usecases::{onchain::Contracts, upload::UploadLimits},
};
use genoflow_local::{FileBlobStore, LocalQueue, QueueSettings, SqliteTable};
use genoflow_stacks::{client::NodeClient, keys::PrivateKey, transaction::Network};
use tokio::net::TcpListener;

pub use secrets::{SECRETS_FILE, Secrets, SecretsError};
pub use store::NotifyingStore;
pub use workers::Workers;

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where everything is kept.
    pub data_dir: PathBuf,
    /// The network of sign-ins (chain id) and of the anchor transactions.
    pub network: Network,
    /// The Stacks node API to broadcast anchors to, read the contracts from, and pass the page's
    /// `/node/...` requests to; `None`: anchors are signed and kept (the proofs say
    /// `tx_status: "unbroadcast"`), nothing is read from the chain.
    pub stacks_node: Option<String>,
    /// The registry contract, `ADDRESS.registry`; the other five contracts are `ADDRESS`'s.
    pub registry: String,
    /// The URL browsers reach this server at, which the upload and download links name;
    /// `None`: `http://` and the listening address (`127.0.0.1` when it listens on all
    /// interfaces, which no browser can use as a host).
    pub public_url: Option<String>,
    /// Micro-STX per anchor transaction.
    pub anchor_fee: u64,
    /// The anchor account's key; `None`: the one `secrets.json` holds (random, made on first
    /// start). An account that broadcasts must be enabled in the registry and funded, so a
    /// deployment names its own. `Debug` shows its address only.
    pub anchor_key: Option<PrivateKey>,
    /// The analysis panel (built-in name or directory).
    pub panel: String,
    /// Upload limits (single PUT size, part size).
    pub upload_limits: UploadLimits,
    /// How long sign-ins last.
    pub token_ttl: time::Duration,
    /// How often the workers look at an empty queue.
    pub poll_interval: std::time::Duration,
    /// How often open anchor transactions are checked.
    pub confirm_interval: std::time::Duration,
}

impl Config {
    /// Defaults for `data_dir`: testnet, no node, the clarinet devnet deployer's registry, the
    /// built-in TB panel, tokens for an hour.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            network: Network::Testnet,
            stacks_node: None,
            registry: DEFAULT_REGISTRY.to_owned(),
            public_url: None,
            anchor_fee: 10_000,
            anchor_key: None,
            panel: genoflow_genomics::analysis::BUILTIN_TB.to_owned(),
            upload_limits: UploadLimits::default(),
            token_ttl: time::Duration::hours(1),
            poll_interval: std::time::Duration::from_millis(250),
            confirm_interval: std::time::Duration::from_secs(15),
        }
    }
}

/// The registry of a clarinet devnet (its default deployer).
pub const DEFAULT_REGISTRY: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Another server holds the data directory.
    #[error(
        "{0}: another genoflow serve is using this data directory; stop it or pick another --data-dir"
    )]
    Locked(PathBuf),
    /// The data directory cannot be used.
    #[error("data directory {path}: {message}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The secrets file.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// A setting is wrong.
    #[error("{0}")]
    Setting(String),
    /// The listener failed.
    #[error("serving HTTP failed: {0}")]
    Http(std::io::Error),
}

/// Everything the routes and workers share.
pub(crate) struct App {
    pub uploads: UploadRoutes,
    pub datasets: DatasetRoutes,
    pub marketplace: MarketplaceRoutes,
    pub node: Option<node::NodeProxy>,
    pub store: NotifyingStore,
    pub web_config: serde_json::Value,
}

/// Serves on `listener` until `shutdown` resolves, then stops the workers (a step in progress
/// finishes or is taken over at the next start).
///
/// # Errors
/// [`ServeError`] at start-up, or when the listener fails.
pub async fn serve(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let _lock = lock(&config.data_dir)?;
    let address = listener.local_addr().map_err(ServeError::Http)?;
    let base_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None if address.ip().is_unspecified() => {
            format!("http://127.0.0.1:{}", address.port())
        }
        None => format!("http://{address}"),
    };
    let secrets = Secrets::load_or_create(&config.data_dir)?;
    tracing::info!(?secrets, data_dir = %config.data_dir.display(), "opening");
    let data_error = |message: String| ServeError::DataDir {
        path: config.data_dir.clone(),
        message,
    };
    let table: Arc<dyn Table> =
        Arc::new(SqliteTable::open(&config.data_dir).map_err(|e| data_error(e.to_string()))?);
    let queue = LocalQueue::open(&config.data_dir, QueueSettings::default())
        .map_err(|e| data_error(e.to_string()))?;
    // Only this process uses the directory: whatever it had in flight died with it.
    let released = queue
        .release_in_flight()
        .await
        .map_err(|e| data_error(e.to_string()))?;
    let files = FileBlobStore::open(&config.data_dir, &base_url, secrets.url_signing.clone())
        .map_err(|e| data_error(e.to_string()))?;
    files
        .remove_stray_temporaries()
        .map_err(|e| data_error(e.to_string()))?;
    let store = NotifyingStore::new(files, queue.clone());
    let clock = Arc::new(SystemClock);
    let tokens = Arc::new(HmacTokenSigner::new(secrets.token.clone()));
    let ports = RoutePorts {
        table: table.clone(),
        blobs: Arc::new(store.clone()),
        clock: clock.clone(),
        tokens,
    };
    let chain = match &config.stacks_node {
        None => None,
        Some(url) => Some(Arc::new(
            NodeClient::new(url, Default::default())
                .map_err(|e| ServeError::Setting(format!("--stacks-node {url}: {e}")))?,
        ) as Arc<dyn Chain>),
    };
    let reads = match &chain {
        None => None,
        Some(chain) => Some(Arc::new(
            ChainReads::new(
                chain.clone(),
                &config.registry,
                config.network,
                clock.clone(),
            )
            .map_err(|e| ServeError::Setting(format!("--registry: {e}")))?,
        )),
    };
    let node = match &config.stacks_node {
        None => None,
        Some(url) => Some(
            node::NodeProxy::new(url)
                .map_err(|e| ServeError::Setting(format!("--stacks-node {url}: {e}")))?,
        ),
    };
    let mut datasets = DatasetRoutes::new(ports.clone());
    if let Some(reads) = &reads {
        datasets = datasets.with_chain(reads.clone());
    }
    let app = Arc::new(App {
        uploads: UploadRoutes::new(
            ports.clone(),
            config.network,
            config.token_ttl,
            config.upload_limits.clone(),
        ),
        datasets,
        marketplace: MarketplaceRoutes::new(ports, reads),
        node,
        store: store.clone(),
        web_config: serde_json::json!({
            "api_base": "",
            "network": match config.network { Network::Mainnet => "mainnet", Network::Testnet => "testnet" },
            "chain_id": config.network.chain_id(),
            "dev_key": true,
            // The page's node requests go through `/node/` (null: no chain connected).
            "node_base": config.stacks_node.as_ref().map(|_| "/node"),
            // The deployer of the six contracts.
            "contracts": Contracts::from_registry(&config.registry, config.network)
                .ok()
                .map(|contracts| contracts.deployer),
        }),
    });
    let anchor_key = config.anchor_key.clone().unwrap_or(secrets.anchor_key);
    let anchor_account = anchor_key.address(config.network.single_sig_version());
    let workers = Workers::start(&config, table, store, queue, clock, chain, anchor_key);
    tracing::info!(%address, %base_url, released, %anchor_account, "serving");
    let router = routes::router(app);
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Http);
    workers.stop().await;
    result
}

/// Takes the data directory's lock for the life of the returned file.
fn lock(data_dir: &Path) -> Result<File, ServeError> {
    std::fs::create_dir_all(data_dir).map_err(|e| ServeError::DataDir {
        path: data_dir.to_owned(),
        message: e.to_string(),
    })?;
    let path = data_dir.join("serve.lock");
    let file = File::create(&path).map_err(|e| ServeError::DataDir {
        path: data_dir.to_owned(),
        message: e.to_string(),
    })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(ServeError::Locked(path)),
        Err(std::fs::TryLockError::Error(e)) => Err(ServeError::DataDir {
            path: data_dir.to_owned(),
            message: format!("cannot lock {}: {e}", path.display()),
        }),
    }
}
