//! `genoflow`: the GenoFlow command line.

mod analyze;
mod chain;
mod serve;
mod smoke;
mod validate;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status for usage, I/O and internal errors (clap uses it for usage errors too).
const EXIT_FAILURE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "genoflow",
    version,
    about = "Genomic data pipeline with on-chain provenance"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a genomic file strictly and print its statistics and SHA-256.
    Validate(validate::Args),
    /// Analyse reads against a resistance panel and report variants and drug calls.
    Analyze(analyze::Args),
    /// Check a report against its anchoring proof, offline and optionally on chain.
    Verify(verify::Args),
    /// Run the whole pipeline on this machine: the HTTP API, the web page and the workers.
    Serve(serve::Args),
    /// Operate the GenoFlow contracts on a Stacks node (`chain setup`: keys, plans and fees).
    Chain(chain::Args),
    /// Check a running GenoFlow through its HTTP API: sign in, upload the tb-demo pair, wait
    /// for its report (infra/smoke-test.sh runs it on a deployed stack).
    SmokeTest(smoke::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Chain(args) => chain::run(&args),
        Command::SmokeTest(args) => smoke::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}
