//! `analyze`: the Lambda entry point. Builds the adapters once (the panel loads with the first
//! analysis), then handles SQS batches.

use std::sync::Arc;

use genoflow_aws::lambda::{Adapters, init_logging, leases::Leases, sqs::SqsEvent};
use genoflow_core::ports::SystemClock;
use genoflow_function_analyze::{Analyze, Ports};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let adapters = Adapters::from_env().await?;
    let leases = Leases::from_env()?;
    let function = Arc::new(
        Analyze::new(Ports {
            table: adapters.table,
            blobs: adapters.blobs,
            queue: adapters.queue,
            clock: Arc::new(SystemClock),
        })
        .with_leases(&leases)
        .with_metrics(Arc::new(genoflow_aws::emf::EmfMetrics::from_env())),
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let function = function.clone();
        async move { Ok::<_, lambda_runtime::Error>(function.handle(&event.payload).await) }
    }))
    .await
}
