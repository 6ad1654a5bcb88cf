//! `genoflow serve`: the whole pipeline in one process, over one data directory.
//!
//! - The HTTP API of `docs/API.md`, answered by the same route sets as the Lambda functions
//!   ([`genoflow_core::http`]), at the root: `/auth/login`, `/uploads`, `/datasets`, `/health`,
//!   `/marketplace`, `/purchases`; with a Stacks node, the chain is read through it (the `chain`
//!   block, purchases, the marketplace: `docs/MARKETPLACE.md`).
//! - With a Stacks node, the four node API paths the page uses under `/node/` (`node`).
//! - Presigned URLs pointing at this server: `PUT /blobs/{key}` (single or part) and
//!   `GET /blobs/{key}`, checked by [`genoflow_local::FileBlobStore`]'s `accept_*`.
//! - The web page (`web/`, embedded in the binary) at `/`, with `/config.json`.
//! - Background workers (`--workers` per queue for validation and analysis), running the same
//!   use cases as the validate, analyze and anchor functions, each job within `--job-timeout`;
//!   the anchor schedule (confirmations) and the multipart sweep. Failures not worth retrying
//!   are kept as dead letters, logged, and listed at `GET /admin/dead-letters` for the operator
//!   (bearer token in `{data_dir}/admin-token`).
//! - With an oracle key (`--oracle-key-file`, `GENOFLOW_ORACLE_KEY`), the oracle of the
//!   `oracle` function: the panel's genes (NCBI Gene) and its catalogue attested at start and
//!   every `--oracle-interval`, from NCBI E-utilities or a directory of documents
//!   (`--oracle-source`), the signed values broadcast and followed with a node; the operator's
//!   `POST /admin/oracle/refresh` refreshes now. Whatever the key, `GET /oracle/...` shows the
//!   attestations (docs/API.md, "Oracle attestations").
//! - Under abuse: at most `--max-connections` open connections (503 past it), headers within
//!   `--header-timeout`, upload bodies that never wait on a thread and stop after
//!   `--body-idle-timeout` without a byte; the data directory and its files are the owner's only
//!   (0700, 0600); log fields are escaped ([`escaped_fields`]).
//!
//! One server per data directory (a lock file enforces it): so a claim older than the process
//! belongs to one that died, and the sweeper returns it at start-up. Within the process claims
//! are leased for the job timeout plus a minute, as on AWS, so a consumer never takes over a
//! sibling's live claim; the sweeper then runs every minute (`workers`).
//! `docs/LOCAL.md` describes the layout and the choices.
#![warn(missing_docs)]

mod admin;
mod listen;
mod logging;
mod node;
mod oracle;
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
    http::{ChainReads, DatasetRoutes, MarketplaceRoutes, OracleRoutes, RoutePorts, UploadRoutes},
    ports::{BlobStore, Chain, Clock, HmacTokenSigner, HttpFetcher, QueueName, SystemClock, Table},
    usecases::{
        analyze::PanelSource,
        onchain::Contracts,
        oracle::{NCBI_EUTILS, OracleSigner, OracleUpdates, SourceUrls},
        submit::ContractSender,
        upload::UploadLimits,
    },
};
use genoflow_local::{DirectoryFetcher, FileBlobStore, LocalQueue, QueueSettings, SqliteTable};
use genoflow_node::NodeClient;
use genoflow_stacks::{keys::PrivateKey, transaction::Network};
use tokio::net::TcpListener;

pub use admin::ADMIN_TOKEN_FILE;
pub use logging::escaped_fields;
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
    /// Consumers of the validation queue, and of the analysis queue (`--workers`).
    pub workers: usize,
    /// The longest one validation or analysis may run before it is failed and retried.
    pub job_timeout: std::time::Duration,
    /// Deliveries of a message before it is kept as a dead letter.
    pub max_attempts: u32,
    /// Open connections at most; one more is answered 503.
    pub max_connections: usize,
    /// Time a client has to send a request's headers (and the longest a connection may sit
    /// idle between requests).
    pub header_read_timeout: std::time::Duration,
    /// The longest wait for the next bytes of a request body.
    pub body_idle_timeout: std::time::Duration,
    /// Serve the business metrics as Prometheus text at `GET /metrics` (`--metrics`).
    pub metrics: bool,
    /// The oracle's key (`--oracle-key-file`, `GENOFLOW_ORACLE_KEY`; registered with
    /// `oracle.set-oracle`, and it pays the `submit` fees); `None`: no oracle runs, and the
    /// `GET /oracle/...` routes answer from what is stored. `Debug` never shows it.
    pub oracle_key: Option<PrivateKey>,
    /// The oracle contract, `ADDRESS.oracle`; `None`: the one the registry's address deployed.
    pub oracle_contract: Option<String>,
    /// A directory of E-utilities summaries (`{db}/{id}.json`) the oracle reads instead of NCBI
    /// (`--oracle-source`).
    pub oracle_source: Option<PathBuf>,
    /// How often the oracle refreshes the panel's records (`--oracle-interval`).
    pub oracle_interval: std::time::Duration,
    /// Micro-STX per `oracle.submit` transaction.
    pub oracle_fee: u64,
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
            workers: 1,
            job_timeout: std::time::Duration::from_secs(900),
            max_attempts: QueueSettings::default().max_attempts,
            max_connections: 512,
            header_read_timeout: std::time::Duration::from_secs(10),
            body_idle_timeout: std::time::Duration::from_secs(30),
            metrics: false,
            oracle_key: None,
            oracle_contract: None,
            oracle_source: None,
            oracle_interval: std::time::Duration::from_secs(24 * 3600),
            oracle_fee: 10_000,
        }
    }

    /// The oracle contract: [`Self::oracle_contract`], or `ADDRESS.oracle` of the registry's
    /// address.
    ///
    /// # Errors
    /// The registry is not a contract id of the network.
    pub fn oracle_contract(&self) -> Result<String, ServeError> {
        match &self.oracle_contract {
            Some(contract) => Ok(contract.clone()),
            None => Contracts::from_registry(&self.registry, self.network)
                .map(|contracts| contracts.oracle)
                .map_err(|e| ServeError::Setting(format!("--registry: {e}"))),
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
    pub attestations: OracleRoutes,
    /// With an oracle key: the oracle, for `POST /admin/oracle/refresh`.
    pub oracle: Option<Arc<oracle::OracleService>>,
    pub node: Option<node::NodeProxy>,
    pub store: NotifyingStore,
    pub web_config: serde_json::Value,
    pub queue: LocalQueue,
    pub admin: admin::AdminToken,
    pub body_idle_timeout: std::time::Duration,
    /// With `--metrics`: what the workers counted, served at `GET /metrics`.
    pub metrics: Option<Arc<genoflow_local::metrics::PrometheusMetrics>>,
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
    let admin = admin::AdminToken::load_or_create(&config.data_dir)
        .map_err(|e| data_error(format!("{ADMIN_TOKEN_FILE}: {e}")))?;
    // A data directory written by an earlier version: its files become the owner's only too.
    let private_dir = config.data_dir.clone();
    tokio::task::spawn_blocking(move || restrict_tree(&private_dir))
        .await
        .map_err(|e| data_error(e.to_string()))?
        .map_err(|e| data_error(format!("cannot make it private (0700, files 0600): {e}")))?;
    let table: Arc<dyn Table> =
        Arc::new(SqliteTable::open(&config.data_dir).map_err(|e| data_error(e.to_string()))?);
    // A job is hidden from the other consumers for as long as it may run, and a minute more.
    let queue_settings = QueueSettings {
        visibility_timeout: time::Duration::try_from(config.job_timeout)
            .unwrap_or(time::Duration::MAX)
            .saturating_add(time::Duration::minutes(1)),
        max_attempts: config.max_attempts.max(1),
    };
    let queue = LocalQueue::open(&config.data_dir, queue_settings)
        .map_err(|e| data_error(e.to_string()))?;
    for name in [
        QueueName::Validation,
        QueueName::Analysis,
        QueueName::Anchor,
    ] {
        match queue.dead_letters(name).await {
            Ok(letters) if !letters.is_empty() => tracing::warn!(
                queue = admin::queue_name(name),
                dead_letters = letters.len(),
                "messages kept as dead letters: GET /admin/dead-letters lists them"
            ),
            Ok(_) => {}
            Err(error) => return Err(data_error(error.to_string())),
        }
    }
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
    let panel = Arc::new(PanelSource::named(config.panel.clone()));
    let mut attestations = OracleRoutes::new(ports.clone(), panel.clone());
    if let Some(reads) = &reads {
        datasets = datasets.with_chain(reads.clone());
        attestations = attestations.with_chain(reads.clone(), config.oracle_contract.clone());
    }
    let prometheus = config
        .metrics
        .then(|| Arc::new(genoflow_local::metrics::PrometheusMetrics::default()));
    let metrics: Arc<dyn genoflow_core::ports::Metrics> = match &prometheus {
        Some(prometheus) => prometheus.clone(),
        None => Arc::new(genoflow_core::ports::NoMetrics),
    };
    let oracle = match &config.oracle_key {
        None => None,
        Some(key) => Some(Arc::new(oracle_service(
            &config,
            key.clone(),
            OraclePorts {
                table: table.clone(),
                blobs: Arc::new(store.clone()),
                clock: clock.clone(),
                chain: chain.clone(),
                panel: panel.clone(),
            },
            metrics.clone(),
        )?)),
    };
    let app = Arc::new(App {
        uploads: UploadRoutes::new(
            ports.clone(),
            config.network,
            config.token_ttl,
            config.upload_limits.clone(),
        ),
        datasets,
        marketplace: MarketplaceRoutes::new(ports, reads),
        attestations,
        oracle: oracle.clone(),
        node,
        store: store.clone(),
        queue: queue.clone(),
        admin,
        body_idle_timeout: config.body_idle_timeout,
        metrics: prometheus,
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
    let workers = Workers::start(
        &config, table, store, queue, clock, chain, anchor_key, metrics, panel, oracle,
    );
    tracing::info!(
        %address,
        %base_url,
        released,
        %anchor_account,
        workers = config.workers,
        admin_token = %admin::token_path(&config.data_dir).display(),
        "serving"
    );
    let router = routes::router(app);
    let limits = listen::ConnectionLimits {
        max_connections: config.max_connections.max(1),
        header_read_timeout: config.header_read_timeout,
    };
    listen::serve(listener, router, limits, shutdown).await;
    workers.stop().await;
    Ok(())
}

/// What the oracle runs on.
struct OraclePorts {
    table: Arc<dyn Table>,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    chain: Option<Arc<dyn Chain>>,
    panel: Arc<PanelSource>,
}

/// The oracle of `config` signing with `key`: its contract checked for the network, its
/// sources a directory (`--oracle-source`) or NCBI E-utilities.
fn oracle_service(
    config: &Config,
    key: PrivateKey,
    ports: OraclePorts,
    metrics: Arc<dyn genoflow_core::ports::Metrics>,
) -> Result<oracle::OracleService, ServeError> {
    let signer = OracleSigner {
        sender: ContractSender {
            key,
            network: config.network,
            fee: config.oracle_fee,
        },
        contract: config.oracle_contract()?,
    };
    // Every signature binds the contract and the network: a wrong one fails here, at start.
    signer
        .contract_principal()
        .map_err(|e| ServeError::Setting(format!("--oracle-contract: {e}")))?;
    let fetcher: Arc<dyn HttpFetcher> = match &config.oracle_source {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(ServeError::Setting(format!(
                    "--oracle-source {}: not a directory; give a directory of documents \
                     ({{db}}/{{id}}.json, e.g. gene/888164.json)",
                    dir.display()
                )));
            }
            Arc::new(DirectoryFetcher::new(dir))
        }
        None => Arc::new(
            genoflow_node::WebFetcher::new(std::time::Duration::from_secs(20))
                .map_err(|e| ServeError::Setting(format!("the oracle's HTTP client: {e}")))?,
        ),
    };
    tracing::info!(
        ?signer,
        source = %config.oracle_source.as_ref().map_or_else(|| NCBI_EUTILS.to_owned(), |dir| dir.display().to_string()),
        interval_seconds = config.oracle_interval.as_secs(),
        "oracle on"
    );
    Ok(oracle::OracleService::new(
        OracleUpdates {
            table: ports.table,
            blobs: ports.blobs,
            clock: ports.clock,
            chain: ports.chain,
            fetcher,
            urls: SourceUrls::default(),
            signer,
            panel: Some(ports.panel),
        },
        metrics,
    ))
}

/// Makes `data_dir` and everything under it its owner's only: directories 0700, files 0600.
fn restrict_tree(directory: &Path) -> std::io::Result<()> {
    genoflow_local::restrict_dir(directory)?;
    for entry in std::fs::read_dir(directory)? {
        let entry = entry?;
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            restrict_tree(&entry.path())?;
        } else if file_type.is_file() {
            genoflow_local::restrict_file(&entry.path())?;
        }
    }
    Ok(())
}

/// Takes the data directory's lock for the life of the returned file (creating the directory,
/// 0700).
fn lock(data_dir: &Path) -> Result<File, ServeError> {
    genoflow_local::create_private_dir_all(data_dir)
        .and_then(|()| genoflow_local::restrict_dir(data_dir))
        .map_err(|e| ServeError::DataDir {
            path: data_dir.to_owned(),
            message: e.to_string(),
        })?;
    let path = data_dir.join("serve.lock");
    let file = genoflow_local::private_file_options()
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| ServeError::DataDir {
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
