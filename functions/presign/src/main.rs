//! `presign`: the Lambda entry point. Builds the adapters once, then serves HTTP API events.

use std::sync::Arc;

use anyhow::Context;
use genoflow_aws::lambda::{Adapters, http::HttpEvent, init_logging, settings};
use genoflow_core::usecases::{subscription::SubscriptionGate, upload::UploadLimits};
use genoflow_function_presign::Presign;
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

async fn cold_start() -> anyhow::Result<Presign> {
    let adapters = Adapters::from_env().await?;
    let ports = adapters
        .route_ports()
        .await
        .context("presign needs the bearer token secret")?;
    let presign = Presign::new(
        ports,
        settings::stacks_network()?,
        settings::token_ttl()?,
        UploadLimits::default(),
    );
    // The optional gate: uploads only for active subscribers of this contract.
    let Some(contract) = settings::optional("GENOFLOW_SUBSCRIPTION_CONTRACT") else {
        return Ok(presign);
    };
    let chain = settings::stacks_node()?.context(
        "GENOFLOW_SUBSCRIPTION_CONTRACT is set: GENOFLOW_STACKS_NODE_URL must name the node to ask",
    )?;
    Ok(presign.with_subscription_gate(SubscriptionGate {
        chain: Arc::new(chain),
        contract,
    }))
}
