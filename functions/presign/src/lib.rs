//! The `presign` function: sign-in and upload URLs, behind the HTTP API.
//!
//! | route | use case | answer |
//! | --- | --- | --- |
//! | `POST /auth/login` | [`Login::run`] | 200 `{token, address, expires}` |
//! | `POST /uploads` (bearer) | [`Uploads::create`], after the optional [`SubscriptionGate`] | 201 `{sample_id, datasets: [{dataset_id, upload}]}`; 403 `subscription_required` when the gate is on and the caller has no active subscription |
//! | `POST /uploads/{dataset_id}/complete` (bearer) | [`Uploads::complete`] | 200 `{dataset_id}` |
//!
//! Errors are `{"error": {"code", "message"}}` with the core error's status
//! ([`genoflow_aws::lambda::http`]).

use std::sync::Arc;

use genoflow_aws::lambda::http::{
    ApiError, ApiRequest, HttpEvent, HttpResponse, Method, json_response, serve,
};
use genoflow_core::{
    ports::{BlobStore, Clock, Table, TokenSigner},
    usecases::{
        login::{Login, LoginRequest},
        subscription::SubscriptionGate,
        upload::{CompleteRequest, UploadLimits, UploadRequest, Uploads},
    },
};
use genoflow_stacks::transaction::Network;

/// The ports the function runs on (S3, DynamoDB, the clock and the token signer on AWS).
pub struct Ports {
    /// Datasets, samples, login nonces.
    pub table: Arc<dyn Table>,
    /// Signs the upload URLs.
    pub blobs: Arc<dyn BlobStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Issues and checks bearer tokens.
    pub tokens: Arc<dyn TokenSigner>,
}

/// The function, built once at cold start.
pub struct Presign {
    login: Login,
    uploads: Uploads,
    subscription: Option<SubscriptionGate>,
    tokens: Arc<dyn TokenSigner>,
    clock: Arc<dyn Clock>,
}

impl Presign {
    /// Wires the use cases: logins for `network` with tokens lasting `token_ttl`, uploads
    /// within `limits`.
    pub fn new(
        ports: Ports,
        network: Network,
        token_ttl: time::Duration,
        limits: UploadLimits,
    ) -> Self {
        Self {
            login: Login {
                table: ports.table.clone(),
                clock: ports.clock.clone(),
                tokens: ports.tokens.clone(),
                network,
                token_ttl,
            },
            uploads: Uploads {
                table: ports.table,
                blobs: ports.blobs,
                clock: ports.clock.clone(),
                limits,
            },
            subscription: None,
            tokens: ports.tokens,
            clock: ports.clock,
        }
    }

    /// Turns the subscription gate on: `POST /uploads` only for addresses whose
    /// `subscription.is-active` is true.
    #[must_use]
    pub fn with_subscription_gate(mut self, gate: SubscriptionGate) -> Self {
        self.subscription = Some(gate);
        self
    }

    /// Answers one HTTP API request.
    pub async fn handle(&self, event: HttpEvent) -> HttpResponse {
        serve(event, |request| async move { self.route(&request).await }).await
    }

    async fn route(&self, request: &ApiRequest) -> Result<HttpResponse, ApiError> {
        match (&request.method, request.route().as_slice()) {
            (&Method::POST, ["auth", "login"]) => {
                let body: LoginRequest = request.json()?;
                Ok(json_response(200, &self.login.run(&body).await?))
            }
            (&Method::POST, ["uploads"]) => {
                let owner = request.owner(self.tokens.as_ref(), self.clock.as_ref())?;
                let body =
                    UploadRequest::from_json(request.body()).map_err(genoflow_core::Error::from)?;
                if let Some(gate) = &self.subscription {
                    gate.require_active(&owner).await?;
                }
                Ok(json_response(
                    201,
                    &self.uploads.create(&owner, &body).await?,
                ))
            }
            (&Method::POST, ["uploads", dataset_id, "complete"]) => {
                let owner = request.owner(self.tokens.as_ref(), self.clock.as_ref())?;
                let body: CompleteRequest = request.json()?;
                self.uploads
                    .complete(&owner, dataset_id, &body.parts)
                    .await?;
                Ok(json_response(
                    200,
                    &serde_json::json!({ "dataset_id": dataset_id }),
                ))
            }
            _ => Err(request.no_route()),
        }
    }
}
