//! The HTTP API of `docs/API.md`, independent of the server that carries it: the
//! Lambda functions (API Gateway events, `genoflow_aws::lambda::http`) and `genoflow serve`
//! (axum) turn their requests into an [`ApiRequest`], call a route set, and send back the
//! [`ApiResponse`]. Both answer the same routes with the same bodies and errors because both
//! run this code.
//!
//! | route set | routes | AWS function |
//! | --- | --- | --- |
//! | [`UploadRoutes`] | `POST /auth/login`, `POST /uploads`, `POST /uploads/{id}/complete` | `presign` |
//! | [`DatasetRoutes`] | `GET /health`, `GET /datasets`, `GET/DELETE /datasets/{id}`, `GET /datasets/{id}/report`, `GET /datasets/{id}/proof`, `GET /datasets/{id}/download`, `GET /samples`, `GET /samples/{id}` | `api` |
//! | [`MarketplaceRoutes`] | `GET /marketplace`, `GET /marketplace/{listing_id}`, `GET /purchases` | `api` |
//! | [`OracleRoutes`] | `GET /oracle/{source}/{id}`, `GET /oracle/gene/{symbol}` | `api` |
//!
//! The chain, when a node is configured, is one [`ChainReads`] (one cache) that
//! [`DatasetRoutes::with_chain`], [`MarketplaceRoutes::new`] and [`OracleRoutes::with_chain`]
//! share.
//!
//! Errors are `{"error": {"code", "message"}}` with the status of [`ApiError::http_status`].

mod datasets;
mod marketplace;
mod oracle;
mod request;
mod uploads;

pub use datasets::{DEFAULT_PAGE, DatasetRoutes};
pub use marketplace::MarketplaceRoutes;
pub use oracle::OracleRoutes;
pub(crate) use request::page_limit;
pub use request::{ApiError, ApiRequest, ApiResponse, error_response, json_response, serve};
pub use uploads::UploadRoutes;

/// The contracts' reads the dataset and marketplace routes share (re-exported for carriers).
pub use crate::usecases::onchain::ChainReads;

/// `GET`, `POST`, `DELETE`, … for route patterns.
pub use http::{HeaderMap, Method};

use std::sync::Arc;

use crate::ports::{BlobStore, Clock, Table, TokenSigner};

/// The ports both route sets run on (S3, DynamoDB, the clock and the token signer on AWS).
#[derive(Clone)]
pub struct RoutePorts {
    /// Datasets, samples, login nonces.
    pub table: Arc<dyn Table>,
    /// Signs the upload and download URLs; deletes a dataset's objects.
    pub blobs: Arc<dyn BlobStore>,
    /// The time (token and URL expiry).
    pub clock: Arc<dyn Clock>,
    /// Issues and checks bearer tokens.
    pub tokens: Arc<dyn TokenSigner>,
}
