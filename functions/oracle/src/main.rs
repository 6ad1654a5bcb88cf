//! `oracle`: the Lambda entry point. Reads its settings and key once, then handles schedules
//! and SQS batches.
//!
//! | variable | what |
//! | --- | --- |
//! | `GENOFLOW_STACKS_NETWORK` | `mainnet` or `testnet` |
//! | `GENOFLOW_STACKS_NODE_URL` | the node API; empty: sign and keep |
//! | `GENOFLOW_ORACLE_CONTRACT` | `ADDRESS.oracle`, on `GENOFLOW_STACKS_NETWORK`: the values are signed for this deployment only |
//! | `GENOFLOW_ORACLE_KEY_SECRET_ARN` / `GENOFLOW_ORACLE_KEY` | the oracle's key (registered with `oracle.set-oracle`; it also pays the fees) |
//! | `GENOFLOW_CLINVAR_BASE_URL`, `GENOFLOW_GENE_BASE_URL` | E-utilities bases, default NCBI's |
//! | `GENOFLOW_ORACLE_WATCH` | `clinvar:ID,gene:ID,catalogue:PANEL,...` refreshed daily |
//! | `GENOFLOW_ORACLE_WATCH_PANEL` | `true` (default) or `false`: the daily refresh also attests the built-in panel's genes (NCBI Gene) and its catalogue |
//! | `GENOFLOW_ORACLE_FEE` | micro-STX per transaction, default 10000 |

use std::{sync::Arc, time::Duration};

use genoflow_aws::{
    config::required_env,
    lambda::{Adapters, init_logging, settings},
};
use genoflow_core::{
    ports::{Chain, SystemClock},
    usecases::{
        oracle::{NCBI_EUTILS, ORACLE_CONTRACT_SETTING, OracleSigner, SourceUrls},
        submit::ContractSender,
    },
};
use genoflow_function_oracle::{Oracle, OracleEvent, Ports, parse_watch_list};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let adapters = Adapters::from_env().await?;
    let key = settings::signing_key(
        &adapters.sdk,
        "GENOFLOW_ORACLE_KEY_SECRET_ARN",
        "GENOFLOW_ORACLE_KEY",
        "oracle key (or set GENOFLOW_ORACLE_KEY_SECRET_ARN to a Secrets Manager secret)",
    )
    .await?;
    let signer = OracleSigner {
        sender: ContractSender {
            key,
            network: settings::stacks_network()?,
            fee: settings::number("GENOFLOW_ORACLE_FEE", 10_000)?,
        },
        contract: required_env(ORACLE_CONTRACT_SETTING, "oracle contract (ADDRESS.oracle)")?,
    };
    // Every signature binds the contract and the network: a wrong one fails here, at cold
    // start, rather than as values the contract refuses.
    signer.contract_principal()?;
    let chain = settings::stacks_node()?.map(|node| Arc::new(node) as Arc<dyn Chain>);
    let urls = SourceUrls {
        clinvar: settings::optional("GENOFLOW_CLINVAR_BASE_URL")
            .unwrap_or_else(|| NCBI_EUTILS.to_owned()),
        gene: settings::optional("GENOFLOW_GENE_BASE_URL")
            .unwrap_or_else(|| NCBI_EUTILS.to_owned()),
    };
    let watch = parse_watch_list(&settings::optional("GENOFLOW_ORACLE_WATCH").unwrap_or_default())
        .map_err(|e| format!("GENOFLOW_ORACLE_WATCH: {e}"))?;
    let watch_panel = match settings::optional("GENOFLOW_ORACLE_WATCH_PANEL").as_deref() {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(
                format!("GENOFLOW_ORACLE_WATCH_PANEL is {other:?}; set true or false").into(),
            );
        }
    };
    let fetcher = genoflow_node::WebFetcher::new(Duration::from_secs(20))?;
    tracing::info!(
        ?signer,
        broadcast = chain.is_some(),
        watched = watch.len(),
        watch_panel,
        "oracle function ready"
    );
    let function = Oracle::new(
        Ports {
            table: adapters.table,
            blobs: adapters.blobs,
            clock: Arc::new(SystemClock),
            chain,
            fetcher: Arc::new(fetcher),
        },
        signer,
        urls,
        watch,
    )
    .with_metrics(Arc::new(genoflow_aws::emf::EmfMetrics::from_env()));
    let function = Arc::new(if watch_panel {
        function.watching_the_panel()
    } else {
        function
    });
    lambda_runtime::run(service_fn(move |event: LambdaEvent<OracleEvent>| {
        let function = function.clone();
        async move {
            function
                .handle(event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
