//! The `api` function: `GET /health`, the datasets the caller may read, the public marketplace
//! and the caller's purchases, and the oracle's attestations, behind the HTTP API. The routes
//! are [`genoflow_core::http::DatasetRoutes`], [`genoflow_core::http::MarketplaceRoutes`] and
//! [`genoflow_core::http::OracleRoutes`] (tables of them there); this crate maps API Gateway's
//! events onto them ([`genoflow_aws::lambda::http`]).
#![warn(missing_docs)]

use std::sync::Arc;

use genoflow_aws::lambda::http::{HttpEvent, HttpResponse, handle};
use genoflow_core::{
    http::{ChainReads, DatasetRoutes, MarketplaceRoutes, OracleRoutes},
    usecases::analyze::PanelSource,
};

pub use genoflow_core::http::{DEFAULT_PAGE, RoutePorts as Ports};

/// The function, built once at cold start.
pub struct Api {
    datasets: DatasetRoutes,
    marketplace: MarketplaceRoutes,
    oracle: OracleRoutes,
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
        Self::with_oracle(ports, chain, None)
    }

    /// [`Self::with_chain`], reading the oracle contract `oracle_contract` (`ADDRESS.oracle`;
    /// `None`: the one the registry's address deployed). The attestations are of the built-in
    /// panel, the one the analyze and oracle functions use.
    pub fn with_oracle(
        ports: Ports,
        chain: Option<Arc<ChainReads>>,
        oracle_contract: Option<String>,
    ) -> Self {
        let mut datasets = DatasetRoutes::new(ports.clone());
        let panel = Arc::new(PanelSource::named(genoflow_genomics::analysis::BUILTIN_TB));
        let mut oracle = OracleRoutes::new(ports.clone(), panel);
        if let Some(chain) = &chain {
            datasets = datasets.with_chain(chain.clone());
            oracle = oracle.with_chain(chain.clone(), oracle_contract);
        }
        Self {
            datasets,
            marketplace: MarketplaceRoutes::new(ports, chain),
            oracle,
        }
    }

    /// Answers one HTTP API request: `/marketplace…` and `/purchases` by the marketplace
    /// routes, `/oracle/…` by the oracle routes, everything else by the dataset routes.
    pub async fn handle(&self, event: HttpEvent) -> HttpResponse {
        handle(event, |request| async move {
            match request.segments.first().map(String::as_str) {
                Some("marketplace" | "purchases") => self.marketplace.handle(request).await,
                Some("oracle") => self.oracle.handle(request).await,
                _ => self.datasets.handle(request).await,
            }
        })
        .await
    }
}
