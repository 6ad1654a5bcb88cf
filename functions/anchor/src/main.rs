//! `anchor`: the Lambda entry point. Reads its settings and key once, then handles SQS batches
//! and the confirmation schedule.
//!
//! | variable | what |
//! | --- | --- |
//! | `GENOFLOW_STACKS_NETWORK` | `mainnet` or `testnet` |
//! | `GENOFLOW_STACKS_NODE_URL` | the node API to broadcast to; empty: sign and keep (the proofs say so) |
//! | `GENOFLOW_REGISTRY_CONTRACT` | `ADDRESS.registry` |
//! | `GENOFLOW_SIGNER_KEY_SECRET_ARN` / `GENOFLOW_SIGNER_KEY` | the anchor account's key (Secrets Manager, or the value for local runs) |
//! | `GENOFLOW_ANCHOR_FEE` | micro-STX per transaction, default 10000 |

use std::sync::Arc;

use genoflow_aws::{
    config::required_env,
    lambda::{Adapters, init_logging, settings},
};
use genoflow_core::{
    ports::{Chain, SystemClock},
    usecases::{anchor::Anchorer, submit::ContractSender},
};
use genoflow_function_anchor::{Anchor, AnchorEvent, Ports};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let adapters = Adapters::from_env().await?;
    let network = settings::stacks_network()?;
    let key = settings::signing_key(
        &adapters.sdk,
        "GENOFLOW_SIGNER_KEY_SECRET_ARN",
        "GENOFLOW_SIGNER_KEY",
        "anchor account key (or set GENOFLOW_SIGNER_KEY_SECRET_ARN to a Secrets Manager secret)",
    )
    .await?;
    let chain = settings::stacks_node()?.map(|node| Arc::new(node) as Arc<dyn Chain>);
    let anchorer = Anchorer {
        sender: ContractSender {
            key,
            network,
            fee: settings::number("GENOFLOW_ANCHOR_FEE", 10_000)?,
        },
        registry: required_env(
            "GENOFLOW_REGISTRY_CONTRACT",
            "registry contract (ADDRESS.registry)",
        )?,
    };
    tracing::info!(
        ?anchorer,
        broadcast = chain.is_some(),
        "anchor function ready"
    );
    let function = Arc::new(
        Anchor::new(
            Ports {
                table: adapters.table,
                blobs: adapters.blobs,
                queue: adapters.queue,
                clock: Arc::new(SystemClock),
                chain,
            },
            anchorer,
        )
        .with_metrics(Arc::new(genoflow_aws::emf::EmfMetrics::from_env())),
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<AnchorEvent>| {
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
