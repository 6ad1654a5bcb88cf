//! The oracle's attestations, public.
//!
//! | route | use case | answer |
//! | --- | --- | --- |
//! | `GET /oracle/{source}/{id}` (no login) | [`Attestations::get`] | 200 the latest attestation of the record, its document and what the oracle contract holds; 404 `not_attested`, `unknown_source` |
//! | `GET /oracle/gene/{symbol}` (no login) | [`Attestations::gene`] | the same for the panel's gene `symbol` (case-sensitive); 404 `unknown_gene`, `not_attested` |
//!
//! `source` is `clinvar`, `gene` or `catalogue`. Under `gene`, an id of digits is an NCBI Gene
//! id and anything else a symbol of the panel (no gene symbol is all digits). Without a node
//! the routes answer from the oracle's records (`on_chain: null`, `matches_chain: null`); a
//! node that is down is not an error (`on_chain_error` says why).

use std::sync::Arc;

use http::Method;

use super::{ApiError, ApiRequest, ApiResponse, RoutePorts, json_response, serve};
use crate::usecases::{
    analyze::PanelSource,
    attestations::{Attestations, OracleContract},
    onchain::ChainReads,
};

/// The attestation routes, built once.
pub struct OracleRoutes {
    attestations: Attestations,
}

impl OracleRoutes {
    /// Wires the use case for the deployment's `panel`, with no node.
    pub fn new(ports: RoutePorts, panel: Arc<PanelSource>) -> Self {
        Self {
            attestations: Attestations {
                table: ports.table,
                blobs: ports.blobs,
                panel,
                chain: None,
            },
        }
    }

    /// Reads the oracle contract `contract` (`ADDRESS.oracle`; `None`: the one deployed next to
    /// the registry, [`crate::usecases::onchain::Contracts::oracle`]) through `chain`.
    #[must_use]
    pub fn with_chain(mut self, chain: Arc<ChainReads>, contract: Option<String>) -> Self {
        let contract = contract.unwrap_or_else(|| chain.contracts().oracle.clone());
        self.attestations.chain = Some(OracleContract {
            reads: chain,
            contract,
        });
        self
    }

    /// Answers one request.
    pub async fn handle(&self, request: ApiRequest) -> ApiResponse {
        serve(request, |request| async move { self.route(&request).await }).await
    }

    async fn route(&self, request: &ApiRequest) -> Result<ApiResponse, ApiError> {
        match (&request.method, request.route().as_slice()) {
            (&Method::GET, ["oracle", "gene", symbol])
                if !symbol.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Ok(json_response(200, &self.attestations.gene(symbol).await?))
            }
            (&Method::GET, ["oracle", source, id]) => Ok(json_response(
                200,
                &self.attestations.get(source, id).await?,
            )),
            _ => Err(request.no_route()),
        }
    }
}
