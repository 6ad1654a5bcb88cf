//! The `presign` function: sign-in and upload URLs, behind the HTTP API. The routes are
//! [`genoflow_core::http::UploadRoutes`] (a table of them there); this crate maps API Gateway's
//! events onto them ([`genoflow_aws::lambda::http`]).
#![warn(missing_docs)]

use genoflow_aws::lambda::http::{HttpEvent, HttpResponse, handle};
use genoflow_core::{
    http::UploadRoutes,
    usecases::{subscription::SubscriptionGate, upload::UploadLimits},
};
use genoflow_stacks::transaction::Network;

pub use genoflow_core::http::RoutePorts as Ports;

/// The function, built once at cold start.
pub struct Presign {
    routes: UploadRoutes,
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
            routes: UploadRoutes::new(ports, network, token_ttl, limits),
        }
    }

    /// Turns the subscription gate on: `POST /uploads` only for addresses whose
    /// `subscription.is-active` is true.
    #[must_use]
    pub fn with_subscription_gate(self, gate: SubscriptionGate) -> Self {
        Self {
            routes: self.routes.with_subscription_gate(gate),
        }
    }

    /// Answers one HTTP API request.
    pub async fn handle(&self, event: HttpEvent) -> HttpResponse {
        handle(event, |request| self.routes.handle(request)).await
    }
}
