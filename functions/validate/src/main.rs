//! `validate`: the Lambda entry point. Builds the adapters once, then handles S3 notifications
//! and batches of the validation queue.

use std::sync::Arc;

use genoflow_aws::lambda::{Adapters, init_logging, leases::Leases};
use genoflow_core::ports::SystemClock;
use genoflow_function_validate::{Event, Ports, Validate};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let adapters = Adapters::from_env().await?;
    let leases = Leases::from_env()?;
    let function = Arc::new(
        Validate::new(Ports {
            table: adapters.table,
            blobs: adapters.blobs,
            queue: adapters.queue,
            clock: Arc::new(SystemClock),
        })
        .with_leases(&leases)
        .with_metrics(Arc::new(genoflow_aws::emf::EmfMetrics::from_env())),
    );
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        let function = function.clone();
        // An S3 error fails the invocation: Lambda retries it, then dead-letters it. A queue
        // batch answers a partial batch response.
        async move {
            function
                .handle_event(&event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
