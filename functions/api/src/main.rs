//! `api`: the Lambda entry point. Builds the adapters and the node client once, then serves
//! HTTP API events.
//!
//! | variable | what |
//! | --- | --- |
//! | `GENOFLOW_TOKEN_SECRET_ARN` / `GENOFLOW_TOKEN_SECRET` | the bearer token secret |
//! | `GENOFLOW_STACKS_NODE_URL` | the node the chain is read from (`chain` blocks, purchases, the marketplace) |
//! | `GENOFLOW_REGISTRY_CONTRACT` | `ADDRESS.registry`: the contracts read are the six `ADDRESS` deployed; empty: no chain reads (`chain: null`, the marketplace answers `503 chain_not_configured`) |
//! | `GENOFLOW_STACKS_NETWORK` | `mainnet` or `testnet`, which the registry's address must belong to (read only with a registry) |
//! | `GENOFLOW_ORACLE_CONTRACT` | `ADDRESS.oracle` read by `GET /oracle/...` (`oracle.get-value`); empty: the registry's address's `oracle` |

use std::sync::Arc;

use anyhow::Context;
use genoflow_aws::lambda::{Adapters, http::HttpEvent, init_logging, settings};
use genoflow_core::{
    http::ChainReads,
    ports::{Chain, SystemClock},
    usecases::oracle::ORACLE_CONTRACT_SETTING,
};
use genoflow_function_api::Api;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let function = Arc::new(cold_start().await?);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<HttpEvent>| {
        let function = function.clone();
        async move { Ok::<_, lambda_runtime::Error>(function.handle(event.payload).await) }
    }))
    .await
}

async fn cold_start() -> anyhow::Result<Api> {
    let adapters = Adapters::from_env().await?;
    let ports = adapters
        .route_ports()
        .await
        .context("api needs the bearer token secret to check tokens")?;
    let chain = match settings::optional(settings::REGISTRY_CONTRACT_ENV) {
        None => None,
        Some(registry) => {
            let node = settings::stacks_node_with(settings::read_client_config())?.context(
                "GENOFLOW_REGISTRY_CONTRACT is set: GENOFLOW_STACKS_NODE_URL must name the node to read it from",
            )?;
            let reads = ChainReads::new(
                Arc::new(node) as Arc<dyn Chain>,
                &registry,
                settings::stacks_network()?,
                Arc::new(SystemClock),
            )?;
            tracing::info!(contracts = ?reads.contracts(), "api reads the chain");
            Some(Arc::new(reads))
        }
    };
    let oracle_contract = settings::optional(ORACLE_CONTRACT_SETTING);
    Ok(Api::with_oracle(ports, chain, oracle_contract))
}
