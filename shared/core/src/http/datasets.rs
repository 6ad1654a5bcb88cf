//! `GET /health` and the caller's datasets.
//!
//! | route | use case | answer |
//! | --- | --- | --- |
//! | `GET /health` | | 200 `{"status": "ok"}` |
//! | `GET /datasets?limit=&cursor=` (bearer) | [`Datasets::list`] | 200 `{datasets, next?}`, newest first |
//! | `GET /datasets/{id}` (bearer) | [`Datasets::get`] | 200 the dataset with its sample's progress, `access` and the `chain` block |
//! | `GET /datasets/{id}/report` (bearer) | [`Datasets::report`] | 200 `{dataset_id, sample_id, report_sha256, report, artifacts, access}` (download links valid 15 min); 409 `not_analyzed` before |
//! | `GET /datasets/{id}/proof` (bearer) | [`Datasets::proof`] | 200 the anchoring proof and `access`; 409 `not_anchored` before |
//! | `GET /datasets/{id}/download` (bearer) | [`Datasets::download`] | 200 `{dataset_id, filename, url, expires, access}` (valid 15 min); 409 `not_uploaded` before |
//! | `DELETE /datasets/{id}` (bearer) | [`Datasets::delete`] | 200 `{dataset_id, removed}` |
//! | `GET /samples?limit=&cursor=&q=&status=&result=&sort=` (bearer) | [`Samples::list`] | 200 `{samples, next?, truncated?}`, one row per sample |
//! | `GET /samples/{id}` (bearer) | [`Samples::get`] | 200 the sample view and `access` |
//!
//! The four dataset reads and `GET /samples/{id}` answer the owner, and a buyer when a node is configured
//! ([`DatasetRoutes::with_chain`]) and `marketplace.has-access` says so; listing and deleting
//! are the owner's. A dataset the caller may not read is `404 not_found`, exactly like a
//! missing one; a node that is down is `503 chain_unavailable` for non-owners (never access).

use std::sync::Arc;

use http::Method;

use super::{ApiRequest, ApiResponse, RoutePorts, json_response, page_limit, serve};
use crate::{
    ports::{Clock, TokenSigner},
    usecases::{
        datasets::{Datasets, MAX_PAGE},
        onchain::ChainReads,
        samples::{self, ResultFilter, SampleQuery, SampleSort, Samples},
    },
};

/// Datasets per page when `limit` is not given.
pub const DEFAULT_PAGE: usize = 50;

/// The dataset routes, built once.
pub struct DatasetRoutes {
    datasets: Datasets,
    samples: Samples,
    tokens: Arc<dyn TokenSigner>,
    clock: Arc<dyn Clock>,
}

impl DatasetRoutes {
    /// Wires the use cases.
    pub fn new(ports: RoutePorts) -> Self {
        Self {
            samples: Samples {
                table: ports.table.clone(),
                chain: None,
            },
            datasets: Datasets {
                table: ports.table,
                blobs: ports.blobs,
                chain: None,
            },
            tokens: ports.tokens,
            clock: ports.clock,
        }
    }

    /// Reads the chain through `chain`: the `chain` block of `GET /datasets/{id}`, and reads by
    /// buyers. Without it, only owners read and `chain` is `null`.
    #[must_use]
    pub fn with_chain(mut self, chain: Arc<ChainReads>) -> Self {
        self.samples.chain = Some(chain.clone());
        self.datasets.chain = Some(chain);
        self
    }

    /// Answers one request.
    pub async fn handle(&self, request: ApiRequest) -> ApiResponse {
        serve(request, |request| async move { self.route(&request).await }).await
    }

    async fn route(&self, request: &ApiRequest) -> Result<ApiResponse, super::ApiError> {
        let route = request.route();
        if let (&Method::GET, ["health"]) = (&request.method, route.as_slice()) {
            return Ok(json_response(200, &serde_json::json!({"status": "ok"})));
        }
        // Every other route is the caller's: no token, no answer (not even a 404).
        let owner = request.owner(self.tokens.as_ref(), self.clock.as_ref())?;
        match (&request.method, route.as_slice()) {
            (&Method::GET, ["datasets"]) => {
                let limit = page_limit(request.query("limit"), DEFAULT_PAGE, MAX_PAGE)?;
                let cursor = request.query("cursor").map(checked_cursor).transpose()?;
                let page = self.datasets.list(&owner, limit, cursor).await?;
                Ok(json_response(200, &page))
            }
            (&Method::GET, ["samples"]) => {
                let query = sample_query(request)?;
                Ok(json_response(
                    200,
                    &self.samples.list(&owner, &query).await?,
                ))
            }
            (&Method::GET, ["samples", sample_id]) => Ok(json_response(
                200,
                &self.samples.get(&owner, sample_id).await?,
            )),
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
            (&Method::GET, ["datasets", dataset_id, "download"]) => Ok(json_response(
                200,
                &self
                    .datasets
                    .download(&owner, dataset_id, self.clock.now())
                    .await?,
            )),
            (&Method::DELETE, ["datasets", dataset_id]) => Ok(json_response(
                200,
                &self
                    .datasets
                    .delete(&owner, dataset_id, self.clock.now())
                    .await?,
            )),
            _ => Err(request.no_route()),
        }
    }
}

/// The query of `GET /samples`, checked: each parameter that is not what the route takes is a
/// 400 `bad_query` naming it and its allowed values.
fn sample_query(request: &ApiRequest) -> Result<SampleQuery, super::ApiError> {
    let bad =
        |name: &'static str| move |message: String| super::ApiError::BadQuery { name, message };
    let sort = request
        .query("sort")
        .map(SampleSort::parse)
        .transpose()
        .map_err(bad("sort"))?
        .unwrap_or_default();
    let cursor = match request.query("cursor") {
        None => None,
        Some(cursor) if sort == SampleSort::Newest => Some(checked_cursor(cursor)?.to_owned()),
        Some(cursor) => {
            let well_formed = cursor.strip_prefix('+').is_some_and(|n| {
                !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit())
            });
            if !well_formed {
                return Err(super::ApiError::BadQuery {
                    name: "cursor",
                    message: "not a cursor this API returned for this sort order; pass the `next` of the previous page with the same parameters".to_owned(),
                });
            }
            Some(cursor.to_owned())
        }
    };
    let q = request
        .query("q")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| {
            if q.chars().count() > samples::MAX_QUERY_LEN || q.chars().any(char::is_control) {
                Err(format!(
                    "search text must be 1 to {} printable characters",
                    samples::MAX_QUERY_LEN
                ))
            } else {
                Ok(q.to_owned())
            }
        })
        .transpose()
        .map_err(bad("q"))?;
    let status = request
        .query("status")
        .map(|value| {
            crate::lifecycle::SampleState::parse(value).ok_or_else(|| {
                let names: Vec<&str> = crate::lifecycle::SampleState::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                format!(
                    "{value:?} is not a sample status; use one of {}",
                    names.join(", ")
                )
            })
        })
        .transpose()
        .map_err(bad("status"))?;
    let result = request
        .query("result")
        .map(ResultFilter::parse)
        .transpose()
        .map_err(bad("result"))?;
    Ok(SampleQuery {
        q,
        status,
        result,
        sort,
        limit: page_limit(
            request.query("limit"),
            samples::DEFAULT_PAGE,
            samples::MAX_PAGE,
        )?,
        cursor,
    })
}

/// `?cursor=` as the tables write it (`{created_at unix nanoseconds}:{dataset_id}`): anything
/// else is the caller's mistake (400), not a table failure.
fn checked_cursor(cursor: &str) -> Result<&str, super::ApiError> {
    let well_formed = cursor.split_once(':').is_some_and(|(nanos, id)| {
        nanos.parse::<i64>().is_ok()
            && !id.is_empty()
            && id.len() <= 128
            && !id.chars().any(char::is_control)
    });
    if well_formed {
        Ok(cursor)
    } else {
        Err(super::ApiError::BadQuery {
            name: "cursor",
            message: "not a cursor this API returned; pass the `next` of the previous page"
                .to_owned(),
        })
    }
}
