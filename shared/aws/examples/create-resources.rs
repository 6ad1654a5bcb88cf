//! Creates GenoFlow's bucket, table and queues on the endpoint `AWS_ENDPOINT_URL` names (moto's
//! server for a local run; see infra/README.md, "Local recipe") and prints the `GENOFLOW_*`
//! lines of an env file for the functions.
//!
//! ```sh
//! cargo run -p genoflow-aws --example create-resources -- genoflow-local >> infra/local.env
//! ```

use genoflow_aws::{
    config::{
        self, ANALYSIS_QUEUE_URL_ENV, ANCHOR_QUEUE_URL_ENV, BUCKET_ENV, TABLE_ENV,
        VALIDATION_QUEUE_URL_ENV,
    },
    setup::{ResourceNames, create_resources},
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let prefix = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "genoflow-local".to_owned());
    anyhow::ensure!(
        std::env::var_os("AWS_ENDPOINT_URL").is_some(),
        "AWS_ENDPOINT_URL is not set: this example creates resources on a local emulator (moto), never on an account by accident"
    );
    let sdk = config::load().await;
    let resources = create_resources(&sdk, &ResourceNames::with_prefix(&prefix)).await?;
    println!("{BUCKET_ENV}={}", resources.bucket);
    println!("{TABLE_ENV}={}", resources.table);
    println!("{ANALYSIS_QUEUE_URL_ENV}={}", resources.analysis_queue_url);
    println!("{ANCHOR_QUEUE_URL_ENV}={}", resources.anchor_queue_url);
    if let Some(url) = &resources.validation_queue_url {
        println!("{VALIDATION_QUEUE_URL_ENV}={url}");
    }
    Ok(())
}
