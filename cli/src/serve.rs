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
/// data directory's `secrets.json` holds a random one.
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
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
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
        let _ = out.flush();
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        genoflow_server::serve(config, listener, shutdown).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
