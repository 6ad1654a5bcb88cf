//! `genoflow smoke-test`: the first-deploy check of a running GenoFlow (a deployed stack, or
//! `genoflow serve`) through its public HTTP API only: health, a SIP-018 sign-in, the tb-demo
//! read pair uploaded through the presigned URLs it answers, then the sample followed until its
//! report (or its anchor's confirmation) is there. `infra/smoke-test.sh` runs it with a stack's
//! outputs.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context as _, bail};
use genoflow_core::usecases::login::{LoginMessage, LoginRequest, login_domain};
use genoflow_stacks::{keys::PrivateKey, sip018, transaction::Network};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The tb-demo pair (tests/data/samples/README.md): about 1 MB, analysed in seconds.
const SAMPLE_FILES: [&str; 2] = ["tb-demo_R1.fastq.gz", "tb-demo_R2.fastq.gz"];

const ABOUT: &str = "Check a running GenoFlow through its HTTP API: health, a SIP-018 sign-in, \
the tb-demo read pair uploaded through the presigned URLs, and the sample followed until its \
report is there (infra/README.md, \"First deploy\"). Exit status: 0 when every step passed, 1 when \
one failed (the step and the answer are printed), 2 for a usage or I/O error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum NetworkArg {
    Testnet,
    Mainnet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Until {
    /// The report is written (`analyzed` or later).
    Analyzed,
    /// The anchoring transaction is in a block (`confirmed`): minutes on testnet.
    Confirmed,
}

#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = ABOUT)]
pub(crate) struct Args {
    /// The API's base URL (the stack's `ApiUrl` output, or `genoflow serve`'s address).
    #[arg(long, value_name = "URL", required_unless_present = "outputs")]
    api_url: Option<String>,
    /// A stack's outputs as JSON (`aws cloudformation describe-stacks --query
    /// 'Stacks[0].Outputs'`, or `sam list stack-outputs --output json`): `ApiUrl` and
    /// `StacksNetwork` are read from it.
    #[arg(long, value_name = "FILE")]
    outputs: Option<PathBuf>,
    /// The network the sign-in is signed for; default: the outputs' `StacksNetwork`, else testnet.
    #[arg(long, value_enum)]
    network: Option<NetworkArg>,
    /// A file holding the signing key in hex (needed when the stack's subscription gate is on:
    /// a subscriber's key). Default: a fresh random key (a sign-in needs no funds).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Where the tb-demo pair is.
    #[arg(long, value_name = "DIR", default_value = "tests/data/samples")]
    samples: PathBuf,
    /// What to wait for.
    #[arg(long, value_enum, default_value = "analyzed")]
    until: Until,
    /// How long to wait for it, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1800)]
    timeout: u64,
    /// Seconds between two looks at the sample.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    poll: f64,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let outputs = match &args.outputs {
        Some(path) => read_outputs(path)?,
        None => Vec::new(),
    };
    let output = |key: &str| {
        outputs
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
    };
    let Some(api) = args.api_url.clone().or_else(|| output("ApiUrl")) else {
        bail!("the outputs have no ApiUrl: pass --api-url");
    };
    let api = api.trim_end_matches('/').to_owned();
    let network = match (args.network, output("StacksNetwork").as_deref()) {
        (Some(NetworkArg::Mainnet), _) | (None, Some("mainnet")) => Network::Mainnet,
        (Some(NetworkArg::Testnet), _) | (None, Some("testnet") | None) => Network::Testnet,
        (None, Some(other)) => bail!("the outputs' StacksNetwork is {other:?}: pass --network"),
    };
    let key = match &args.key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --key-file {}", path.display()))?;
            PrivateKey::from_hex(text.trim()).map_err(|e| {
                anyhow::anyhow!(
                    "--key-file {} does not hold a hex private key: {e}",
                    path.display()
                )
            })?
        }
        None => random_key()?,
    };
    let files = SAMPLE_FILES
        .iter()
        .map(|name| {
            let path = args.samples.join(name);
            std::fs::read(&path)
                .map(|bytes| (*name, bytes))
                .with_context(|| format!("cannot read {} (pass --samples DIR)", path.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("genoflow-smoke-test/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot build the HTTP client")?;
    let smoke = Smoke {
        http,
        api,
        network,
        key,
        until: args.until,
        timeout: Duration::from_secs(args.timeout),
        poll: Duration::from_secs_f64(args.poll.max(0.05)),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let started = Instant::now();
    match runtime.block_on(smoke.run(&files)) {
        Ok(()) => {
            println!(
                "smoke test passed in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!("smoke test FAILED: {error:#}");
            Ok(ExitCode::from(1))
        }
    }
}

/// `[{"OutputKey": k, "OutputValue": v}, ...]` (CloudFormation, SAM), or `{k: v}`.
fn read_outputs(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --outputs {}", path.display()))?;
    let value: Value = serde_json::from_str(&text)
        .with_context(|| format!("--outputs {} is not JSON", path.display()))?;
    let pairs = match &value {
        Value::Array(items) => items
            .iter()
            .filter_map(|item| {
                Some((
                    item["OutputKey"].as_str()?.to_owned(),
                    item["OutputValue"].as_str()?.to_owned(),
                ))
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    };
    Ok(pairs)
}

fn random_key() -> anyhow::Result<PrivateKey> {
    loop {
        // 32 random bytes and the `01` suffix: a key of the compressed form logins use.
        let mut bytes = [1_u8; 33];
        getrandom::getrandom(&mut bytes[..32]).context("no randomness for a key")?;
        // Out of the curve's range with probability 2^-128: draw again.
        if let Ok(key) = PrivateKey::from_bytes(&bytes) {
            return Ok(key);
        }
    }
}

struct Smoke {
    http: reqwest::Client,
    api: String,
    network: Network,
    key: PrivateKey,
    until: Until,
    timeout: Duration,
    poll: Duration,
}

impl Smoke {
    async fn run(&self, files: &[(&str, Vec<u8>)]) -> anyhow::Result<()> {
        let step = Instant::now();
        let (status, health) = self
            .call(reqwest::Method::GET, "/health", None, None)
            .await?;
        expect("GET /health", status, 200, &health)?;
        println!("ok   GET /health ({} ms)", step.elapsed().as_millis());

        let step = Instant::now();
        let token = self.login().await?;
        let address = self
            .key
            .public_key()
            .with_compression(true)
            .address(self.network.single_sig_version());
        println!(
            "ok   POST /auth/login as {address} ({} ms)",
            step.elapsed().as_millis()
        );

        let step = Instant::now();
        let declared: Vec<Value> = files
            .iter()
            .map(|(name, bytes)| {
                json!({"filename": name, "size": bytes.len(), "sha256": hex::encode(Sha256::digest(bytes))})
            })
            .collect();
        let body = json!({"files": declared, "sample_name": "genoflow smoke test"});
        let (status, created) = self
            .call(reqwest::Method::POST, "/uploads", Some(&token), Some(&body))
            .await?;
        expect("POST /uploads", status, 201, &created)?;
        let datasets = created["datasets"].as_array().cloned().unwrap_or_default();
        if datasets.len() != files.len() {
            bail!(
                "POST /uploads answered {} datasets for {} files: {created}",
                datasets.len(),
                files.len()
            );
        }
        let mut ids = Vec::new();
        for (dataset, (name, bytes)) in datasets.iter().zip(files) {
            let id = dataset["dataset_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            self.put(name, &dataset["upload"], bytes).await?;
            ids.push(id);
        }
        println!(
            "ok   POST /uploads and {} presigned PUTs ({} bytes, {} ms): datasets {}",
            files.len(),
            files.iter().map(|(_, bytes)| bytes.len()).sum::<usize>(),
            step.elapsed().as_millis(),
            ids.join(", ")
        );

        let wanted: &[&str] = match self.until {
            Until::Analyzed => &["analyzed", "anchored", "confirmed"],
            Until::Confirmed => &["confirmed"],
        };
        let step = Instant::now();
        for id in &ids {
            let status = self.wait_for(&token, id, wanted).await?;
            println!(
                "ok   dataset {id} is {status} ({:.1} s)",
                step.elapsed().as_secs_f64()
            );
        }

        let (status, report) = self
            .call(
                reqwest::Method::GET,
                &format!("/datasets/{}/report", ids[0]),
                Some(&token),
                None,
            )
            .await?;
        expect("GET /datasets/{id}/report", status, 200, &report)?;
        let calls = report["report"]["resistance"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if calls.is_empty() {
            bail!(
                "the report has no drug calls: {}",
                excerpt(&report.to_string())
            );
        }
        let resistant: Vec<&str> = calls
            .iter()
            .filter(|call| call["call"] == "resistant")
            .filter_map(|call| call["drug"].as_str())
            .collect();
        println!(
            "ok   GET /datasets/{}/report: {} drug calls, resistant to {} (report sha256 {})",
            ids[0],
            calls.len(),
            if resistant.is_empty() {
                "none".to_owned()
            } else {
                resistant.join(", ")
            },
            report["report_sha256"].as_str().unwrap_or("?")
        );
        Ok(())
    }

    async fn login(&self) -> anyhow::Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the clock is before 1970")?;
        let message = LoginMessage {
            action: "login".into(),
            // Unique per run (the API refuses a nonce the second time), below 2^53 (JSON numbers).
            nonce: u64::try_from(now.as_nanos() % (1_u128 << 53)).unwrap_or_default(),
            expires: now.as_secs() + 300,
        };
        let signature = sip018::sign(
            &login_domain(self.network),
            &message.to_clarity()?,
            &self.key,
        )
        .context("cannot sign the login message")?;
        let body = serde_json::to_value(LoginRequest {
            // Logins take the compressed public key (a 64-digit key file signs the same way).
            public_key: hex::encode(self.key.public_key().with_compression(true).to_bytes()),
            signature: hex::encode(signature),
            message,
        })?;
        let (status, answer) = self
            .call(reqwest::Method::POST, "/auth/login", None, Some(&body))
            .await?;
        expect("POST /auth/login", status, 200, &answer)?;
        answer["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("POST /auth/login answered no token: {answer}"))
    }

    /// One file's bytes to its presigned PUT.
    async fn put(&self, name: &str, upload: &Value, bytes: &[u8]) -> anyhow::Result<()> {
        let Some(url) = upload["url"].as_str() else {
            bail!(
                "the upload of {name} is not a single presigned PUT (the tb-demo files are small): {upload}"
            );
        };
        let mut request = self.http.put(url).body(bytes.to_vec());
        for (header, value) in upload["headers"].as_object().into_iter().flatten() {
            request = request.header(header.as_str(), value.as_str().unwrap_or_default());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("PUT {name} to its presigned URL"))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            bail!(
                "PUT {name} to its presigned URL answered {status}: {}",
                excerpt(&text)
            );
        }
        Ok(())
    }

    /// Polls `GET /datasets/{id}` until its status is one of `wanted`; fails at `invalid` or
    /// `failed` (with the dataset's error) or after the timeout (with the last status).
    async fn wait_for(&self, token: &str, id: &str, wanted: &[&str]) -> anyhow::Result<String> {
        let started = Instant::now();
        let mut last = String::new();
        loop {
            let (status, dataset) = self
                .call(
                    reqwest::Method::GET,
                    &format!("/datasets/{id}"),
                    Some(token),
                    None,
                )
                .await?;
            expect("GET /datasets/{id}", status, 200, &dataset)?;
            let current = dataset["status"].as_str().unwrap_or_default().to_owned();
            if wanted.contains(&current.as_str()) {
                return Ok(current);
            }
            if ["invalid", "failed"].contains(&current.as_str()) {
                bail!("dataset {id} is {current}: {}", dataset["error"]);
            }
            if current != last {
                println!(
                    "...  dataset {id} is {current} ({:.1} s)",
                    started.elapsed().as_secs_f64()
                );
                last = current;
            }
            if started.elapsed() >= self.timeout {
                bail!(
                    "dataset {id} is still {last} after {} s (docs/OPERATIONS.md: the queue-age and dead-letter alarms say where it stopped)",
                    self.timeout.as_secs()
                );
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    /// `method path` with an optional bearer token and JSON body: the status and the JSON answer
    /// (a string when it is not JSON).
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let url = format!("{}{path}", self.api);
        let mut request = self.http.request(method.clone(), &url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}: no answer"))?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }
}

fn expect(what: &str, status: u16, wanted: u16, body: &Value) -> anyhow::Result<()> {
    if status == wanted {
        Ok(())
    } else {
        bail!(
            "{what} answered {status} (expected {wanted}): {}",
            excerpt(&body.to_string())
        )
    }
}

/// At most 500 characters of an answer.
fn excerpt(text: &str) -> String {
    let mut end = text.len().min(500);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
