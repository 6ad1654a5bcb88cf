//! The `api` function: `GET /health`, the datasets the caller may read, the public marketplace
//! and the caller's purchases, behind the HTTP API. The routes are
//! [`genoflow_core::http::DatasetRoutes`] and [`genoflow_core::http::MarketplaceRoutes`] (tables
//! of them there); this crate maps API Gateway's events onto them
//! ([`genoflow_aws::lambda::http`]).
#![warn(missing_docs)]

use std::sync::Arc;

use genoflow_aws::lambda::http::{HttpEvent, HttpResponse, handle};
use genoflow_core::http::{ChainReads, DatasetRoutes, MarketplaceRoutes};

pub use genoflow_core::http::{DEFAULT_PAGE, RoutePorts as Ports};

/// The function, built once at cold start.
pub struct Api {
    datasets: DatasetRoutes,
    marketplace: MarketplaceRoutes,
}

impl Api {
    /// Wires the use cases with no node: owners read their datasets (`chain: null`), the
    /// marketplace and purchases answer `503 chain_not_configured`.
    pub fn new(ports: Ports) -> Self {
        Self::with_chain(ports, None)
    }

    /// Wires the use cases, reading the chain through `chain` (one cache for every route) when
    /// one is given.
    pub fn with_chain(ports: Ports, chain: Option<Arc<ChainReads>>) -> Self {
        let mut datasets = DatasetRoutes::new(ports.clone());
        if let Some(chain) = &chain {
            datasets = datasets.with_chain(chain.clone());
        }
        Self {
            datasets,
            marketplace: MarketplaceRoutes::new(ports, chain),
        }
    }

    /// Answers one HTTP API request: `/marketplace…` and `/purchases` by the marketplace
    /// routes, everything else by the dataset routes.
    pub async fn handle(&self, event: HttpEvent) -> HttpResponse {
        handle(event, |request| async move {
            match request.segments.first().map(String::as_str) {
                Some("marketplace" | "purchases") => self.marketplace.handle(request).await,
                _ => self.datasets.handle(request).await,
            }
        })
        .await
    }
}
