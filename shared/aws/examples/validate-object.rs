//! Streams one object through the S3 adapter (`open_read`: parallel ranged GETs) into the
//! validator and prints the throughput: what the validate function does per object. Used by
//! `bench/validate-s3.sh` against moto's server; `--upload FILE` puts the file first.
//!
//! ```sh
//! cargo run --release -p genoflow-aws --example validate-object -- BUCKET KEY [--upload FILE]
//! ```

use std::time::Instant;

use genoflow_aws::{S3BlobStore, config};
use genoflow_core::ports::BlobStore;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(bucket), Some(key)) = (args.first(), args.get(1)) else {
        anyhow::bail!("usage: validate-object BUCKET KEY [--upload FILE]");
    };
    let sdk = config::load().await;
    let blobs = S3BlobStore::new(&sdk, bucket);
    if let (Some(flag), Some(file)) = (args.get(2), args.get(3))
        && flag == "--upload"
    {
        blobs.put(key, std::fs::read(file)?).await?;
    }
    let started = Instant::now();
    let reader = blobs.open_read(key).await?;
    let report = tokio::task::spawn_blocking(move || {
        genoflow_genomics::validate(reader, &genoflow_genomics::Options::default())
    })
    .await??;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"valid\": {}, \"bytes\": {}, \"seconds\": {seconds:.3}, \"stored_mb_per_s\": {:.1}}}",
        report.valid,
        report.bytes,
        report.bytes as f64 / 1e6 / seconds
    );
    Ok(())
}
