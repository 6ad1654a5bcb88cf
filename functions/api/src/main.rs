//! `api`: the Lambda entry point. Builds the adapters once, then serves HTTP API events.

use std::sync::Arc;

use anyhow::Context;
use genoflow_aws::lambda::{Adapters, http::HttpEvent, init_logging};
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
    Ok(Api::new(ports))
}
