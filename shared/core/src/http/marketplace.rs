//! The public marketplace and the caller's purchases.
//!
//! | route | use case | answer |
//! | --- | --- | --- |
//! | `GET /marketplace?cursor=&limit=` (no login) | [`Marketplace::listings`] | 200 `{listings, next?}`, newest first, never a download link |
//! | `GET /marketplace/{listing_id}` (no login) | [`Marketplace::listing`] | 200 one listing; 404 `not_found` when unknown, inactive or not a sample of this server |
//! | `GET /purchases?cursor=&limit=` (bearer) | [`Marketplace::purchases`] | 200 `{purchases, next?}` |
//!
//! With no node configured every route is `503 chain_not_configured`; a node that is down is
//! `503 chain_unavailable`.

use std::sync::Arc;

use http::Method;

use super::{ApiError, ApiRequest, ApiResponse, RoutePorts, json_response, page_limit, serve};
use crate::{
    Error,
    ports::{Clock, TokenSigner},
    usecases::{
        marketplace::{DEFAULT_LIMIT, MAX_LIMIT, Marketplace},
        onchain::ChainReads,
    },
};

/// The marketplace routes, built once.
pub struct MarketplaceRoutes {
    marketplace: Option<Marketplace>,
    tokens: Arc<dyn TokenSigner>,
    clock: Arc<dyn Clock>,
}

impl MarketplaceRoutes {
    /// Wires the use case; `chain` is `None` when no node is configured.
    pub fn new(ports: RoutePorts, chain: Option<Arc<ChainReads>>) -> Self {
        Self {
            marketplace: chain.map(|chain| Marketplace {
                table: ports.table,
                blobs: ports.blobs,
                chain,
            }),
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
        let caller = match (&request.method, route.as_slice()) {
            (&Method::GET, ["marketplace", ..]) => None,
            (&Method::GET, ["purchases"]) => {
                Some(request.owner(self.tokens.as_ref(), self.clock.as_ref())?)
            }
            _ => return Err(request.no_route()),
        };
        let marketplace = self.marketplace.as_ref().ok_or(Error::ChainNotConfigured)?;
        let limit = || page_limit(request.query("limit"), DEFAULT_LIMIT, MAX_LIMIT);
        match (route.as_slice(), caller) {
            (["marketplace"], _) => Ok(json_response(
                200,
                &marketplace.listings(cursor(request)?, limit()?).await?,
            )),
            (["marketplace", listing_id], _) => {
                let id = listing_id
                    .parse::<u64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| Error::NotFound {
                        what: "listing",
                        id: (*listing_id).to_owned(),
                    })?;
                Ok(json_response(200, &marketplace.listing(id).await?))
            }
            (["purchases"], Some(caller)) => Ok(json_response(
                200,
                &marketplace
                    .purchases(&caller, cursor(request)?, limit()?)
                    .await?,
            )),
            _ => Err(request.no_route()),
        }
    }
}

/// `?cursor=`: the next listing id to look at, from a previous page's `next`.
fn cursor(request: &ApiRequest) -> Result<Option<u64>, ApiError> {
    request
        .query("cursor")
        .map(|value| {
            value
                .parse::<u64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::BadQuery {
                    name: "cursor",
                    message: format!("{value:?} is not a previous page's next (a listing id)"),
                })
        })
        .transpose()
}
