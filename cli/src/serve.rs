//! `genoflow serve [--addr 127.0.0.1:8080] [--data-dir DIR]`: the whole pipeline on this
//! machine (`genoflow_server`).

use std::{io::Write as _, net::SocketAddr, path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use genoflow_server::{Config, DEFAULT_REGISTRY};
use genoflow_stacks::transaction::Network;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum NetworkArg {
    Testnet,
    Mainnet,
}

/// The anchor account's key is read from `GENOFLOW_SIGNER_KEY` (hex) when set; otherwise the
/// data directory's `secrets.json` holds a random one. The oracle's key, from
/// `GENOFLOW_ORACLE_KEY` (hex) or `--oracle-key-file`, turns the oracle on.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where to listen (port 0: any free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Where datasets, results, the database and the secrets are kept.
    #[arg(long, value_name = "DIR", default_value = "genoflow-data")]
    data_dir: PathBuf,
    /// The URL browsers use to reach this server (the upload and download links name it), e.g.
    /// behind a proxy or with --addr 0.0.0.0:8080; default: http:// and the address.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// A Stacks node API: anchor transactions are broadcast to it, the contracts are read from
    /// it (the datasets' `chain` block, purchases, the marketplace) and the page's wallet calls
    /// go through it (`/node/...`). Without one, anchors are signed and kept (the proofs say
    /// `tx_status: "unbroadcast"`) and the marketplace says no chain is connected.
    #[arg(long, value_name = "URL", env = "GENOFLOW_STACKS_NODE_URL")]
    stacks_node: Option<String>,
    /// The network of sign-ins and anchors.
    #[arg(
        long,
        value_enum,
        default_value = "testnet",
        env = "GENOFLOW_STACKS_NETWORK"
    )]
    network: NetworkArg,
    /// The registry contract the anchors call; the other five contracts read are the ones its
    /// address deployed.
    #[arg(long, value_name = "CONTRACT", default_value = DEFAULT_REGISTRY, env = "GENOFLOW_REGISTRY_CONTRACT")]
    registry: String,
    /// Files above this many bytes are uploaded in parts (S3's single PUT limit by default).
    #[arg(long, value_name = "BYTES")]
    multipart_above: Option<u64>,
    /// Bytes per part of a multipart upload (64 MiB by default).
    #[arg(long, value_name = "BYTES")]
    part_size: Option<u64>,
    /// The largest file accepted (default 2 GiB: docs/OPERATIONS.md, "Limits and where they
    /// come from").
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,
    /// The largest sample, its files together (default 2 GiB).
    #[arg(long, value_name = "BYTES")]
    max_sample_size: Option<u64>,
    /// Bytes one user may store (default 100 GiB; past it uploads are refused with 413).
    #[arg(long, value_name = "BYTES")]
    quota_bytes: Option<u64>,
    /// Files one user may have waiting for their bytes (default 100; past it 429).
    #[arg(long, value_name = "FILES")]
    quota_uploads: Option<u32>,
    /// Validations, and analyses, run at once.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    workers: u16,
    /// The longest one validation or analysis may run, in seconds (the functions' 900 s).
    #[arg(long, value_name = "SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    job_timeout: u64,
    /// Open connections at most; more are answered 503 (each takes a file descriptor, and an
    /// upload a second one).
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a client has to send a request's headers (and the longest an idle connection
    /// stays open).
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Serve the business metrics (datasets validated and invalid, analysis durations, anchors)
    /// as Prometheus text at GET /metrics.
    #[arg(long)]
    metrics: bool,
    /// Seconds an upload may go without sending a byte before it is refused.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    body_idle_timeout: u64,
    /// A file holding the oracle's key (hex; or set GENOFLOW_ORACLE_KEY): the oracle then
    /// attests the panel's genes and catalogue, at start and every --oracle-interval. The key
    /// must be registered with oracle.set-oracle, and pays the submit fees.
    #[arg(long, value_name = "PATH")]
    oracle_key_file: Option<PathBuf>,
    /// The oracle contract the values are signed for and submitted to; default: ADDRESS.oracle
    /// of the --registry's address.
    #[arg(long, value_name = "CONTRACT", env = "GENOFLOW_ORACLE_CONTRACT")]
    oracle_contract: Option<String>,
    /// Read the oracle's sources from this directory ({db}/{id}.json: E-utilities esummary
    /// answers, e.g. gene/888164.json) instead of NCBI E-utilities.
    #[arg(long, value_name = "DIR")]
    oracle_source: Option<PathBuf>,
    /// Seconds between two refreshes of the oracle's records (24 h by default).
    #[arg(long, value_name = "SECONDS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(60..=31_536_000))]
    oracle_interval: u64,
}

/// The oracle's key: `GENOFLOW_ORACLE_KEY` (the environment, not a flag: a key on the command
/// line shows in the process list) or the file `--oracle-key-file` names; not both.
fn oracle_key(file: Option<&PathBuf>) -> anyhow::Result<Option<genoflow_stacks::keys::PrivateKey>> {
    let from_env = std::env::var("GENOFLOW_ORACLE_KEY")
        .ok()
        .filter(|key| !key.trim().is_empty());
    let (text, origin) = match (from_env, file) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => anyhow::bail!(
            "the oracle key is given twice (GENOFLOW_ORACLE_KEY and --oracle-key-file); give one"
        ),
        (Some(key), None) => (key, "GENOFLOW_ORACLE_KEY".to_owned()),
        (None, Some(path)) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("--oracle-key-file {}", path.display()))?,
            format!("--oracle-key-file {}", path.display()),
        ),
    };
    // The error names where the key came from, never the key.
    genoflow_stacks::keys::PrivateKey::from_hex(text.trim())
        .map(Some)
        .map_err(|e| anyhow::anyhow!("{origin}: not a private key in hex: {e}"))
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        // Keys, ids and file names come from clients: escaped, they cannot forge a line.
        .fmt_fields(genoflow_server::escaped_fields())
        .init();
    let mut config = Config::new(&args.data_dir);
    config.network = match args.network {
        NetworkArg::Testnet => Network::Testnet,
        NetworkArg::Mainnet => Network::Mainnet,
    };
    config.stacks_node.clone_from(&args.stacks_node);
    config.registry.clone_from(&args.registry);
    config.public_url.clone_from(&args.public_url);
    // The environment, not a flag: a key on the command line shows in the process list.
    if let Some(key) = std::env::var("GENOFLOW_SIGNER_KEY")
        .ok()
        .filter(|key| !key.is_empty())
    {
        config.anchor_key = Some(
            genoflow_stacks::keys::PrivateKey::from_hex(key.trim())
                .map_err(|e| anyhow::anyhow!("GENOFLOW_SIGNER_KEY: {e}"))?,
        );
    }
    if let Some(bytes) = args.multipart_above {
        config.upload_limits.single_put_max = bytes;
    }
    if let Some(bytes) = args.part_size {
        anyhow::ensure!(bytes >= 1024 * 1024, "--part-size must be at least 1 MiB");
        config.upload_limits.min_part_size = bytes;
    }
    let limits = &mut config.upload_limits;
    for (value, setting) in [
        (args.max_file_size, &mut limits.max_file_size),
        (args.max_sample_size, &mut limits.max_sample_size),
        (args.quota_bytes, &mut limits.max_bytes_per_user),
    ] {
        if let Some(value) = value {
            *setting = value;
        }
    }
    if let Some(files) = args.quota_uploads {
        limits.max_uploads_in_flight = files;
    }
    config.workers = usize::from(args.workers);
    config.job_timeout = std::time::Duration::from_secs(args.job_timeout);
    config.max_connections = usize::try_from(args.max_connections).unwrap_or(usize::MAX);
    config.header_read_timeout = std::time::Duration::from_secs(args.header_timeout);
    config.body_idle_timeout = std::time::Duration::from_secs(args.body_idle_timeout);
    config.metrics = args.metrics;
    config.oracle_key = oracle_key(args.oracle_key_file.as_ref())?;
    config.oracle_contract.clone_from(&args.oracle_contract);
    config.oracle_source.clone_from(&args.oracle_source);
    config.oracle_interval = std::time::Duration::from_secs(args.oracle_interval);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let address = listener.local_addr()?;
        // Tests and scripts read the first line for the port. Whoever started us may stop
        // reading: a closed stdout must not stop the server.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "listening on http://{address}/");
        if config.stacks_node.is_none() {
            let _ = writeln!(
                out,
                "anchors are signed and kept (no --stacks-node): proofs say tx_status \"unbroadcast\"; no chain is connected (no marketplace or purchases)"
            );
        }
        let _ = writeln!(
            out,
            "operator: GET /admin/dead-letters with the bearer token in {}",
            args.data_dir.join(genoflow_server::ADMIN_TOKEN_FILE).display()
        );
        if config.oracle_key.is_some() {
            let source = args.oracle_source.as_ref().map_or_else(
                || "NCBI E-utilities".to_owned(),
                |dir| dir.display().to_string(),
            );
            let _ = writeln!(
                out,
                "oracle: attests the panel's genes and catalogue from {source} every {} s; POST /admin/oracle/refresh refreshes now",
                args.oracle_interval
            );
        }
        let _ = out.flush();
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        genoflow_server::serve(config, listener, shutdown).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
