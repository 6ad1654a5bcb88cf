//! A client of `genoflow serve`'s HTTP API for tests: sign-in with a SIP-018 signature,
//! uploads through the presigned URLs, polling a dataset; and a server started in the test's
//! runtime ([`start_with`]). Used by the server's route tests, by the end-to-end tests and by the
//! CLI's restart test, which runs the real binary. Behind the `serve` feature: the other crates'
//! tests do not build the server.

use std::time::{Duration, Instant};

use genoflow_core::usecases::login::{LoginMessage, LoginRequest, login_domain};
use genoflow_server::{Config, serve};
use genoflow_stacks::{keys::PrivateKey, sip018, transaction::Network};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

pub use crate::keys::{ALICE, ALICE_KEY, BOB_KEY};

pub use crate::fixtures::tb_demo;

/// A signed-in (or not yet) client of one server.
pub struct Client {
    /// The server's base URL, without a trailing `/`.
    pub base: String,
    /// The HTTP client (tests may replace it, e.g. with other timeouts).
    pub http: reqwest::Client,
    /// The bearer token once signed in.
    pub token: Option<String>,
}

impl Client {
    /// A client of the server at `base`, not signed in.
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    /// The login body `key` signs for `nonce`, expiring in 5 minutes.
    pub fn login_body(key: &str, nonce: u64) -> LoginRequest {
        let expires = time::OffsetDateTime::now_utc().unix_timestamp() as u64 + 300;
        let message = LoginMessage {
            action: "login".into(),
            nonce,
            expires,
        };
        let key = PrivateKey::from_hex(key).unwrap();
        let signature = sip018::sign(
            &login_domain(Network::Testnet),
            &message.to_clarity().unwrap(),
            &key,
        )
        .unwrap();
        LoginRequest {
            public_key: hex::encode(key.public_key().to_bytes()),
            signature: hex::encode(signature),
            message,
        }
    }

    /// `method path` with the bearer token (if signed in) and a JSON body; status and JSON.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        self.call_as(method, path, self.token.as_deref(), body)
            .await
    }

    /// [`Client::call`] with `bearer` as the token (or none), whoever is signed in: the
    /// operator's token, or a wrong one.
    pub async fn call_as(
        &self,
        method: reqwest::Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Signs in as `key`; the token is used from then on.
    pub async fn login(&mut self, key: &str, nonce: u64) {
        let body = serde_json::to_value(Self::login_body(key, nonce)).unwrap();
        let (status, answer) = self
            .call(reqwest::Method::POST, "/auth/login", Some(&body))
            .await;
        assert_eq!(status, 200, "{answer}");
        self.token = Some(answer["token"].as_str().unwrap().to_owned());
    }

    /// Declares `files` as one sample; answers the 201 body.
    pub async fn declare(&self, files: &[(&str, Vec<u8>)]) -> Value {
        let declared: Vec<Value> = files
            .iter()
            .map(|(name, bytes)| {
                json!({"filename": name, "size": bytes.len(), "sha256": hex::encode(Sha256::digest(bytes))})
            })
            .collect();
        let (status, answer) = self
            .call(
                reqwest::Method::POST,
                "/uploads",
                Some(&json!({"files": declared})),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        answer
    }

    /// PUTs `bytes` to a single-PUT `upload` with `headers` (the ones it names, unless
    /// overridden); answers the status and body.
    pub async fn put(&self, url: &str, headers: &Value, bytes: Vec<u8>) -> (u16, String) {
        let mut request = self.http.put(url);
        for (name, value) in headers.as_object().unwrap() {
            request = request.header(name.as_str(), value.as_str().unwrap());
        }
        let response = request.body(bytes).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Declares and uploads `files`; answers the dataset ids.
    pub async fn upload(&self, files: &[(&str, Vec<u8>)]) -> Vec<String> {
        let answer = self.declare(files).await;
        let mut ids = Vec::new();
        for (dataset, (_, bytes)) in answer["datasets"].as_array().unwrap().iter().zip(files) {
            let upload = &dataset["upload"];
            let (status, body) = self
                .put(
                    upload["url"].as_str().unwrap(),
                    &upload["headers"],
                    bytes.clone(),
                )
                .await;
            assert_eq!(status, 200, "{body}");
            ids.push(dataset["dataset_id"].as_str().unwrap().to_owned());
        }
        ids
    }

    /// The bytes of the artifact `name` (`report.json`, `variants.vcf`) through the download
    /// link a `GET /datasets/{id}/report` answer carries.
    pub async fn download_artifact(&self, report: &Value, name: &str) -> Vec<u8> {
        let link = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|artifact| artifact["name"] == name)
            .and_then(|artifact| artifact["url"].as_str())
            .unwrap_or_else(|| panic!("no {name} link in {}", report["artifacts"]));
        let response = self.http.get(link).send().await.unwrap();
        assert_eq!(response.status(), 200, "{link}");
        response.bytes().await.unwrap().to_vec()
    }

    /// Polls `GET /datasets/{id}` until its status is one of `wanted` (panics after `limit`,
    /// or at a final status that is not wanted).
    pub async fn wait_for(&self, id: &str, wanted: &[&str], limit: Duration) -> Value {
        let start = Instant::now();
        loop {
            let (status, dataset) = self
                .call(reqwest::Method::GET, &format!("/datasets/{id}"), None)
                .await;
            assert_eq!(status, 200, "{dataset}");
            let current = dataset["status"].as_str().unwrap().to_owned();
            if wanted.contains(&current.as_str()) {
                return dataset;
            }
            assert!(
                !["invalid", "failed"].contains(&current.as_str()),
                "dataset {id} is {current}: {dataset}"
            );
            assert!(
                start.elapsed() < limit,
                "dataset {id} still {current} after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// `genoflow serve` on a free port of 127.0.0.1 over a fresh data directory, and a client of it.
pub struct Running {
    /// A client of it, not signed in.
    pub client: Client,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

impl Running {
    /// The server's data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The operator's token, which the server wrote into its data directory.
    pub fn admin_token(&self) -> String {
        let path = self.data_dir().join(genoflow_server::ADMIN_TOKEN_FILE);
        let token =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        token.trim().to_owned()
    }

    /// Stops the server and waits for it (workers included).
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }
}

/// [`start_with`] the defaults.
pub async fn start() -> Running {
    start_with(|_| {}).await
}

/// A server with quick workers (queues polled every 20 ms, confirmations every 200 ms) and the
/// settings `adjust` changes.
pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = Config::new(dir.path());
    config.poll_interval = Duration::from_millis(20);
    config.confirm_interval = Duration::from_millis(200);
    adjust(&mut config);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve(config, listener, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Running {
        client: Client::new(&base),
        stop: Some(stop),
        task,
        _dir: dir,
    }
}
