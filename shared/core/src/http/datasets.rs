//! `GET /health` and the caller's datasets.
//!
//! | route | use case | answer |
//! | --- | --- | --- |
//! | `GET /health` | | 200 `{"status": "ok"}` |
//! | `GET /datasets?limit=&cursor=` (bearer) | [`Datasets::list`] | 200 `{datasets, next?}`, newest first |
//! | `GET /datasets/{id}` (bearer) | [`Datasets::get`] | 200 the dataset with its sample's progress |
//! | `GET /datasets/{id}/report` (bearer) | [`Datasets::report`] | 200 `{dataset_id, sample_id, report_sha256, report, artifacts}` (download links valid 15 min); 409 `not_analyzed` before |
//! | `GET /datasets/{id}/proof` (bearer) | [`Datasets::proof`] | 200 the anchoring proof; 409 `not_anchored` before |
//! | `DELETE /datasets/{id}` (bearer) | [`Datasets::delete`] | 200 `{dataset_id, removed}` |
//!
//! Someone else's dataset is `404 not_found`, exactly like a missing one.

use std::sync::Arc;

use http::Method;

use super::{ApiError, ApiRequest, ApiResponse, RoutePorts, json_response, serve};
use crate::{
    ports::{Clock, TokenSigner},
    usecases::datasets::{Datasets, MAX_PAGE},
};

/// Datasets per page when `limit` is not given.
pub const DEFAULT_PAGE: usize = 50;

/// The dataset routes, built once.
pub struct DatasetRoutes {
    datasets: Datasets,
    tokens: Arc<dyn TokenSigner>,
    clock: Arc<dyn Clock>,
}

impl DatasetRoutes {
    /// Wires the use cases.
    pub fn new(ports: RoutePorts) -> Self {
        Self {
            datasets: Datasets {
                table: ports.table,
                blobs: ports.blobs,
            },
            tokens: ports.tokens,
            clock: ports.clock,
        }
    }

    /// Answers one request.
    pub async fn handle(&self, request: ApiRequest) -> ApiResponse {
        serve(request, |request| async move { self.route(&request).await }).await
    }

    async fn route(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        let route = request.route();
        if let (&Method::GET, ["health"]) = (&request.method, route.as_slice()) {
            return Ok(json_response(200, &serde_json::json!({"status": "ok"})));
        }
        // Every other route is the caller's: no token, no answer (not even a 404).
        let owner = request.owner(self.tokens.as_ref(), self.clock.as_ref())?;
        match (&request.method, route.as_slice()) {
            (&Method::GET, ["datasets"]) => {
                let limit = page_limit(request.query("limit"))?;
                let page = self
                    .datasets
                    .list(&owner, limit, request.query("cursor"))
                    .await?;
                Ok(json_response(200, &page))
            }
            (&Method::GET, ["datasets", dataset_id]) => Ok(json_response(
                200,
                &self.datasets.get(&owner, dataset_id).await?,
            )),
            (&Method::GET, ["datasets", dataset_id, "report"]) => Ok(json_response(
                200,
                &self
                    .datasets
                    .report(&owner, dataset_id, self.clock.now())
                    .await?,
            )),
            (&Method::GET, ["datasets", dataset_id, "proof"]) => Ok(json_response(
                200,
                &self.datasets.proof(&owner, dataset_id).await?,
            )),
            (&Method::DELETE, ["datasets", dataset_id]) => Ok(json_response(
                200,
                &self.datasets.delete(&owner, dataset_id).await?,
            )),
            _ => Err(request.no_route()),
        }
    }
}

/// `?limit=`: 1 to [`MAX_PAGE`], [`DEFAULT_PAGE`] when absent.
fn page_limit(value: Option<&str>) -> Result<usize, ApiError> {
    let Some(value) = value else {
        return Ok(DEFAULT_PAGE);
    };
    value
        .parse::<usize>()
        .ok()
        .filter(|limit| (1..=MAX_PAGE).contains(limit))
        .ok_or_else(|| ApiError::BadQuery {
            name: "limit",
            message: format!("{value:?} is not a whole number from 1 to {MAX_PAGE}"),
        })
}
