//! Sign-in and upload URLs.
//!
//! | route | use case | answer |
//! | --- | --- | --- |
//! | `POST /auth/login` | [`Login::run`] | 200 `{token, address, expires}` |
//! | `POST /uploads` (bearer) | [`Uploads::create`], after the optional [`SubscriptionGate`] | 201 `{sample_id, datasets: [{dataset_id, upload}]}`; 403 `subscription_required` when the gate is on and the caller has no active subscription |
//! | `POST /uploads/{dataset_id}/complete` (bearer) | [`Uploads::complete`] | 200 `{dataset_id}` |

use std::sync::Arc;

use genoflow_stacks::transaction::Network;
use http::Method;

use super::{ApiError, ApiRequest, ApiResponse, RoutePorts, json_response, serve};
use crate::{
    ports::{Clock, TokenSigner},
    usecases::{
        login::{Login, LoginRequest},
        subscription::SubscriptionGate,
        upload::{CompleteRequest, UploadLimits, UploadRequest, Uploads},
    },
};

/// The sign-in and upload routes, built once.
pub struct UploadRoutes {
    login: Login,
    uploads: Uploads,
    subscription: Option<SubscriptionGate>,
    tokens: Arc<dyn TokenSigner>,
    clock: Arc<dyn Clock>,
}

impl UploadRoutes {
    /// Wires the use cases: logins for `network` with tokens lasting `token_ttl`, uploads
    /// within `limits`.
    pub fn new(
        ports: RoutePorts,
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

    /// Answers one request.
    pub async fn handle(&self, request: ApiRequest) -> ApiResponse {
        serve(request, |request| async move { self.route(&request).await }).await
    }

    async fn route(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        match (&request.method, request.route().as_slice()) {
            (&Method::POST, ["auth", "login"]) => {
                let body: LoginRequest = request.json()?;
                Ok(json_response(200, &self.login.run(&body).await?))
            }
            (&Method::POST, ["uploads"]) => {
                let owner = request.owner(self.tokens.as_ref(), self.clock.as_ref())?;
                let body = UploadRequest::from_json(request.body()).map_err(crate::Error::from)?;
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
