//! `genoflow verify --report report.json --proof proof.json [--node URL] [--registry ID]
//! [--oracle ID]`.

use genoflow_node::{ClientConfig, NodeClient};
use std::{fs, path::PathBuf, process::ExitCode};

use anyhow::Context as _;
use genoflow_core::{
    model::Proof,
    usecases::verify::{
        Check, oracle_of_registry, verify_catalogue_on_chain, verify_offline, verify_on_chain,
    },
};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The report: the exact bytes of report.json (its download link), not the API's answer.
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// The anchoring proof (proof.json, or the body of GET /datasets/{id}/proof).
    #[arg(long, value_name = "FILE")]
    proof: PathBuf,
    /// Also ask this Stacks node API: the batch transaction, registry.verify-inclusion, and
    /// oracle.get-value for the catalogue the report names.
    #[arg(long, value_name = "URL")]
    node: Option<String>,
    /// The registry contract (ADDRESS.registry); default: the one the proof names.
    #[arg(long, value_name = "CONTRACT")]
    registry: Option<String>,
    /// The oracle contract (ADDRESS.oracle) that attests the catalogue; default: the oracle of
    /// the registry's deployer.
    #[arg(long, value_name = "CONTRACT")]
    oracle: Option<String>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let report =
        fs::read(&args.report).with_context(|| format!("cannot read {}", args.report.display()))?;
    let proof_text =
        fs::read(&args.proof).with_context(|| format!("cannot read {}", args.proof.display()))?;
    let proof: Proof = serde_json::from_slice(&proof_text).with_context(|| {
        format!(
            "{} is not a GenoFlow proof (proof.json or GET /datasets/{{id}}/proof)",
            args.proof.display()
        )
    })?;
    let mut checks = verify_offline(&report, &proof);
    if let Some(url) = &args.node {
        let registry = args
            .registry
            .clone()
            .or_else(|| (!proof.registry.is_empty()).then(|| proof.registry.clone()))
            .context(
                "the proof does not name its registry contract: pass --registry ADDRESS.registry",
            )?;
        let oracle = match &args.oracle {
            Some(oracle) => oracle.clone(),
            None => oracle_of_registry(&registry).with_context(|| {
                format!("the registry {registry:?} is not a contract id: pass --registry ADDRESS.registry")
            })?,
        };
        let node = NodeClient::new(url, ClientConfig::default())
            .with_context(|| format!("bad --node {url}"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        checks.extend(runtime.block_on(verify_on_chain(&node, &proof, &registry)));
        checks.extend(runtime.block_on(verify_catalogue_on_chain(&node, &report, &oracle)));
    }
    for Check {
        what,
        holds,
        skipped,
        detail,
    } in &checks
    {
        let mark = match (holds, skipped) {
            (_, true) => "skip",
            (true, false) => "ok  ",
            (false, false) => "FAIL",
        };
        println!("{mark} {what}: {detail}");
    }
    let failed = checks.iter().filter(|c| !c.holds).count();
    if failed == 0 {
        let scope = if args.node.is_some() {
            "offline and on chain"
        } else {
            "offline (add --node URL to ask the chain)"
        };
        let skipped = checks.iter().filter(|c| c.skipped).count();
        let skipped = if skipped == 0 {
            String::new()
        } else {
            format!(" ({skipped} skipped: see above)")
        };
        println!(
            "verified {scope}: item {} is leaf {} of root {}{skipped}",
            proof.item, proof.index, proof.root
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("NOT verified: {failed} of {} checks failed", checks.len());
        Ok(ExitCode::from(1))
    }
}
