//! `genoflow chain setup --node URL --deployer-key-file F --config FILE`: brings the settings of
//! the six contracts (anchor and oracle keys, subscription plans, fees, treasuries, the least
//! rated price) to what a TOML file says, idempotently.
//!
//! [`config`] reads and checks the file, [`calls`] knows each setting's read-only getter, owner
//! call and error codes, and decides what to send; this module only talks to the node: it reads
//! every current value, then sends the calls that change something one at a time, each signed
//! with the node's nonce and followed until it is mined.

mod calls;
mod config;

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use genoflow_core::usecases::submit::ContractSender;
use genoflow_node::{ClientConfig, NodeClient, NodeError};
use genoflow_stacks::{
    clarity::Principal,
    keys::PrivateKey,
    node::{BroadcastRejection, TxStatus},
    transaction::{ContractCall, Network, Transaction, TransactionOptions},
};

use self::calls::{Setting, Step, describe_error};

/// The environment variable that may hold the owner's key instead of a file.
const KEY_VARIABLE: &str = "GENOFLOW_DEPLOYER_KEY";

/// `genoflow chain …`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: ChainCommand,
}

#[derive(Debug, clap::Subcommand)]
enum ChainCommand {
    /// Enable the anchor and oracle keys and set the subscription plans, fees and treasuries
    /// from a settings file; sends only the calls that change something.
    #[command(long_about = SETUP_ABOUT)]
    Setup(SetupArgs),
}

const SETUP_ABOUT: &str = "\
Enable the anchor and oracle keys and set the subscription plans, fees and treasuries from a
settings file (TOML; infra/chain-setup.example.toml explains every key).

Reads every current value with read-only calls first and sends only the owner calls that change
something, one at a time, each with the account's nonce from the node, waiting until it is mined.
Prints one line per setting: `ok (txid 0x…, block N)`, `unchanged`, or the contract's error code
in words. Running it again with the same file prints only `unchanged`.

Amounts in the file are decimal STX strings (\"5\", \"0.25\"; at most 6 decimals) and plan lengths
whole days (86,400 s each); values above the contracts' caps are refused before anything is sent.

The contracts must already be deployed (with Clarinet) by the address the file names as
`contracts`; the key is that deployer's (the contracts' owner). Exit status: 0 when every setting
holds, 1 when a call failed or was not confirmed, 2 when nothing could be sent (bad file, key or
node).";

#[derive(Debug, clap::Args)]
struct SetupArgs {
    /// The Stacks node API (also serving the Stacks API's transaction status), e.g.
    /// http://127.0.0.1:20443.
    #[arg(long, value_name = "URL", env = "GENOFLOW_STACKS_NODE_URL")]
    node: String,
    /// A file holding the contract owner's private key in hex. Without it the key is read from
    /// the environment variable GENOFLOW_DEPLOYER_KEY.
    #[arg(long, value_name = "FILE")]
    deployer_key_file: Option<PathBuf>,
    /// The settings file (TOML).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The network to sign for; default: the network of the file's `contracts` address (ST…
    /// testnet, SP… mainnet), which it must match.
    #[arg(long, value_enum, env = "GENOFLOW_STACKS_NETWORK")]
    network: Option<NetworkArg>,
    /// Fee of each transaction, micro-STX.
    #[arg(long, value_name = "MICRO_STX", default_value_t = 10_000)]
    fee: u64,
    /// How long to wait for each transaction to be mined, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    timeout: u64,
    /// Only read and print what would be sent (`would send`); sends nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum NetworkArg {
    Testnet,
    Mainnet,
}

impl From<NetworkArg> for Network {
    fn from(network: NetworkArg) -> Self {
        match network {
            NetworkArg::Testnet => Self::Testnet,
            NetworkArg::Mainnet => Self::Mainnet,
        }
    }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    match &args.command {
        ChainCommand::Setup(args) => setup(args),
    }
}

fn setup(args: &SetupArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read {}", args.config.display()))?;
    let config = config::parse(&text).with_context(|| format!("{}", args.config.display()))?;
    let network = match args.network.map(Network::from) {
        Some(network) if network != config.network => bail!(
            "--network (or GENOFLOW_STACKS_NETWORK) {} does not match `contracts` = {} in {}",
            name(network),
            config.contracts,
            args.config.display()
        ),
        _ => config.network,
    };
    let key = read_key(args.deployer_key_file.as_deref())?;
    let sender = ContractSender {
        key,
        network,
        fee: args.fee,
    };
    let node = NodeClient::new(&args.node, ClientConfig::default())
        .with_context(|| format!("bad --node {}", args.node))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let failed = runtime.block_on(apply(
        &Run {
            node: &node,
            url: &args.node,
            sender: &sender,
            timeout: Duration::from_secs(args.timeout),
            dry_run: args.dry_run,
        },
        &config,
    ))?;
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn name(network: Network) -> &'static str {
    match network {
        Network::Testnet => "testnet",
        Network::Mainnet => "mainnet",
    }
}

/// The owner's key, from the file or the environment. Its text never appears in a message.
fn read_key(file: Option<&Path>) -> anyhow::Result<PrivateKey> {
    let (text, origin) = match file {
        Some(path) => (
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --deployer-key-file {}", path.display()))?,
            format!("--deployer-key-file {}", path.display()),
        ),
        None => match std::env::var(KEY_VARIABLE) {
            Ok(text) if !text.trim().is_empty() => (text, KEY_VARIABLE.to_owned()),
            _ => bail!(
                "no key: pass --deployer-key-file FILE (a file holding the contracts owner's \
                 private key in hex) or set {KEY_VARIABLE}"
            ),
        },
    };
    PrivateKey::from_hex(text.trim())
        .map_err(|e| anyhow::anyhow!("{origin} does not hold a hex private key: {e}"))
}

/// What [`apply`] works with.
struct Run<'a> {
    node: &'a NodeClient,
    url: &'a str,
    sender: &'a ContractSender,
    timeout: Duration,
    dry_run: bool,
}

impl Run<'_> {
    /// The node could not be reached: what to do about it.
    fn unreachable(&self, error: &dyn std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!(
            "the Stacks node at {} did not answer ({error}); check --node (the node's API base \
             URL, e.g. http://127.0.0.1:20443) and that the node is running and synced",
            self.url
        )
    }
}

/// Reads every setting, sends what differs, prints a line per setting; answers how many failed.
async fn apply(run: &Run<'_>, config: &config::SetupConfig) -> anyhow::Result<usize> {
    let address = run.sender.address();
    let me = Principal::Standard(address);
    eprintln!(
        "chain setup: contracts {} on {}, sender {address}, node {}",
        config.contracts,
        name(run.sender.network),
        run.url
    );
    let mut answers = Vec::with_capacity(config.settings.len());
    for setting in &config.settings {
        let call = setting.read_call(&config.contracts);
        match run.node.call_read_only(&call, &me).await {
            Ok(answer) => answers.push(answer),
            Err(error) if is_outage(&error) => {
                bail!("{}; nothing was sent", run.unreachable(&error));
            }
            Err(other) => bail!(
                "cannot read {}.{} ({other}): are the six GenoFlow contracts deployed by {} on \
                 this node? Deploy them first (infra/README.md, \"Preparing the chain\") or fix \
                 `contracts`; nothing was sent",
                call.contract_id(),
                call.function_name.as_str(),
                config.contracts
            ),
        }
    }
    let steps = calls::steps(&config.contracts, &config.settings, &answers)?;
    let to_send = steps
        .iter()
        .filter(|step| matches!(step, Step::Send(..)))
        .count();
    if to_send > 0 && !run.dry_run {
        let account = run
            .node
            .account(&address.to_string())
            .await
            .map_err(|e| anyhow::anyhow!("{}; nothing was sent", run.unreachable(&e)))?;
        let needed = u128::from(run.sender.fee) * to_send as u128;
        if account.balance < needed {
            bail!(
                "{address} holds {} µSTX; the {to_send} call(s) to send need {needed} µSTX of fees \
                 (--fee {} each): fund it first; nothing was sent",
                account.balance,
                run.sender.fee
            );
        }
    }

    let (mut changed, mut failed) = (0, 0);
    let mut next_nonce = None;
    let mut stop: Option<String> = None;
    for step in &steps {
        let (setting, call) = match step {
            Step::Unchanged(setting) => {
                line(setting, "unchanged");
                continue;
            }
            Step::Send(setting, call) => (setting, call),
        };
        if run.dry_run {
            line(setting, "would send");
            continue;
        }
        if let Some(why) = &stop {
            failed += 1;
            line(setting, &format!("not sent ({why})"));
            continue;
        }
        let outcome = send(run, call, &mut next_nonce).await;
        if outcome.ok {
            changed += 1;
        } else {
            failed += 1;
        }
        line(setting, &outcome.words);
        stop = outcome.stop;
    }
    if !run.dry_run {
        eprintln!(
            "chain setup: {} setting(s): {} unchanged, {changed} changed, {failed} failed or not sent",
            steps.len(),
            steps.len() - to_send
        );
    }
    Ok(failed)
}

fn line(setting: &Setting, outcome: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not stop the calls still to follow.
    let _ = writeln!(out, "{setting}: {outcome}");
    let _ = out.flush();
}

/// What became of one call.
struct Outcome {
    ok: bool,
    words: String,
    /// Set when the calls after this one cannot be sent either (their nonce would wait behind
    /// this one, or the node is gone).
    stop: Option<String>,
}

impl Outcome {
    fn failed(words: String) -> Self {
        Self {
            ok: false,
            words,
            stop: None,
        }
    }

    fn stopping(words: String, stop: &str) -> Self {
        Self {
            ok: false,
            words,
            stop: Some(stop.to_owned()),
        }
    }
}

/// How many times a broadcast is signed again with the nonce the node says it expects.
const NONCE_ATTEMPTS: usize = 3;

/// Signs `call` with the next nonce, broadcasts it and follows it until it is mined.
async fn send(run: &Run<'_>, call: &ContractCall, next_nonce: &mut Option<u64>) -> Outcome {
    let address = run.sender.address();
    let mut nonce = match run.node.account(&address.to_string()).await {
        Ok(account) => account.nonce.max(next_nonce.unwrap_or(0)),
        Err(error) => {
            return Outcome::stopping(
                format!("not sent: {}", run.unreachable(&error)),
                "the node did not answer",
            );
        }
    };
    let mut attempts = 0;
    let txid = loop {
        attempts += 1;
        let options = TransactionOptions::new(run.sender.network, nonce, run.sender.fee);
        let transaction =
            match Transaction::sign_new(call.clone().into(), &options, &run.sender.key) {
                Ok(transaction) => transaction,
                Err(error) => return Outcome::failed(format!("failed: cannot sign: {error}")),
            };
        match run.node.broadcast(&transaction).await {
            Ok(txid) => break txid,
            Err(NodeError::Rejected {
                rejection: BroadcastRejection::BadNonce { expected, actual },
                ..
            }) if expected > actual && attempts < NONCE_ATTEMPTS => {
                nonce = expected;
            }
            Err(NodeError::Rejected {
                rejection: BroadcastRejection::ConflictingNonceInMempool,
                ..
            }) => {
                return Outcome::stopping(
                    format!(
                        "not sent: another transaction of {address} with nonce {nonce} is waiting \
                         in the mempool; run this again once it is mined"
                    ),
                    "a transaction of this account is waiting in the mempool",
                );
            }
            Err(NodeError::Rejected { rejection, .. }) => {
                return Outcome::failed(format!("failed: the node refused it: {rejection}"));
            }
            Err(error) => {
                return Outcome::stopping(
                    format!("not sent: {}", run.unreachable(&error)),
                    "the node did not answer",
                );
            }
        }
    };
    *next_nonce = Some(nonce + 1);
    let txid_hex = format!("0x{}", hex::encode(txid));
    match wait(run, &txid).await {
        Ok(TxStatus::Success { block_height, .. }) => Outcome {
            ok: true,
            words: format!("ok (txid {txid_hex}{})", block(block_height)),
            stop: None,
        },
        Ok(TxStatus::AbortByResponse {
            block_height,
            result,
        }) => Outcome::failed(format!(
            "failed: {} (txid {txid_hex}{})",
            describe_error(result.as_ref()),
            block(block_height)
        )),
        Ok(TxStatus::AbortByPostCondition { block_height }) => Outcome::failed(format!(
            "failed: aborted by a post-condition (txid {txid_hex}{})",
            block(block_height)
        )),
        Ok(TxStatus::Dropped(reason)) => Outcome::failed(format!(
            "failed: dropped from the mempool ({reason:?}), not mined (txid {txid_hex}); run this again"
        )),
        Ok(TxStatus::Pending | TxStatus::NotFound) => Outcome::stopping(
            format!(
                "not confirmed: still pending after {} s (txid {txid_hex}); it may yet be mined: \
                 run this again later (it reads the state first and sends nothing twice)",
                run.timeout.as_secs()
            ),
            "the transaction before it is still pending",
        ),
        Err(error) => Outcome::stopping(
            format!(
                "not confirmed (txid {txid_hex}): {}",
                run.unreachable(&error)
            ),
            "the node did not answer",
        ),
    }
}

/// A failure that says nothing about the contracts: the node is unreachable, timed out or
/// answered a server error (after the client's retries).
fn is_outage(error: &NodeError) -> bool {
    match error {
        NodeError::Transport { .. } | NodeError::BadResponse { .. } => true,
        NodeError::Http { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

fn block(height: Option<u64>) -> String {
    height.map(|h| format!(", block {h}")).unwrap_or_default()
}

/// Polls the transaction's status until it leaves the mempool or `run.timeout` passes; a node
/// that stops answering for the whole time is an error.
async fn wait(run: &Run<'_>, txid: &[u8; 32]) -> Result<TxStatus, NodeError> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        let last = match run.node.transaction_status(txid).await {
            Ok(TxStatus::Pending | TxStatus::NotFound) => Ok(TxStatus::Pending),
            Ok(status) => return Ok(status),
            // Status requests are retried by the client; a longer outage is waited out.
            Err(error) => Err(error),
        };
        if started.elapsed() >= run.timeout {
            return last;
        }
        tokio::time::sleep(pause.min(run.timeout.saturating_sub(started.elapsed()))).await;
        pause = (pause * 2).min(Duration::from_secs(2));
    }
}
