//! `validate`: the Lambda entry point. Builds the adapters once, then handles S3 notifications.

use std::sync::Arc;

use genoflow_aws::lambda::{Adapters, init_logging, s3::S3Event};
use genoflow_core::ports::SystemClock;
use genoflow_function_validate::{Ports, Validate};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let adapters = Adapters::from_env().await?;
    let function = Arc::new(Validate::new(Ports {
        table: adapters.table,
        blobs: adapters.blobs,
        queue: adapters.queue,
        clock: Arc::new(SystemClock),
    }));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| {
        let function = function.clone();
        // The error fails the invocation: Lambda retries it, then dead-letters it.
        async move {
            function
                .handle(&event.payload)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
