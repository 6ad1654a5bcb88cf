//! `sweeper`: the Lambda entry point. Builds the adapters once, then sweeps at each scheduled
//! invocation (the event's content is ignored).
//!
//! | variable | what |
//! | --- | --- |
//! | `GENOFLOW_BUCKET`, `GENOFLOW_TABLE`, `GENOFLOW_ANALYSIS_QUEUE_URL`, `GENOFLOW_ANCHOR_QUEUE_URL` | the resources, as for every function |
//! | `GENOFLOW_VALIDATION_QUEUE_URL` | required here: stuck validations are re-driven through it |
//! | `GENOFLOW_VALIDATION_LEASE_SECONDS`, `GENOFLOW_ANALYSIS_LEASE_SECONDS`, `GENOFLOW_ANCHOR_LEASE_SECONDS` | the functions' claim leases (timeout + margin) |
//! | `GENOFLOW_SWEEP_MAX_RETURNS`, `GENOFLOW_SWEEP_REQUEST_WAIT_SECONDS` | returns before a claim fails; wait before an analysis request is sent again |

use std::sync::Arc;

use genoflow_aws::{
    config::{VALIDATION_QUEUE_URL_ENV, required_env},
    lambda::{Adapters, init_logging, leases::Leases},
};
use genoflow_core::ports::SystemClock;
use genoflow_function_sweeper::{Ports, Sweep};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    // Without it a stuck validation could only be failed, never returned.
    required_env(VALIDATION_QUEUE_URL_ENV, "validation SQS queue URL")?;
    let adapters = Adapters::from_env().await?;
    let leases = Leases::from_env()?;
    tracing::info!(?leases, "sweeper ready");
    let function = Arc::new(Sweep::new(
        Ports {
            table: adapters.table,
            blobs: adapters.blobs,
            queue: adapters.queue,
            clock: Arc::new(SystemClock),
        },
        &leases,
    ));
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<serde_json::Value>| {
        let function = function.clone();
        async move {
            let summary = function.handle().await?;
            Ok::<_, lambda_runtime::Error>(summary)
        }
    }))
    .await
}
