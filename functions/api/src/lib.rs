//! The `api` function: `GET /health` and the caller's datasets, behind the HTTP API. The routes
//! are [`genoflow_core::http::DatasetRoutes`] (a table of them there); this crate maps API
//! Gateway's events onto them ([`genoflow_aws::lambda::http`]).

use genoflow_aws::lambda::http::{HttpEvent, HttpResponse, handle};
use genoflow_core::http::DatasetRoutes;

pub use genoflow_core::http::{DEFAULT_PAGE, RoutePorts as Ports};

/// The function, built once at cold start.
pub struct Api {
    routes: DatasetRoutes,
}

impl Api {
    /// Wires the use cases.
    pub fn new(ports: Ports) -> Self {
        Self {
            routes: DatasetRoutes::new(ports),
        }
    }

    /// Answers one HTTP API request.
    pub async fn handle(&self, event: HttpEvent) -> HttpResponse {
        handle(event, |request| self.routes.handle(request)).await
    }
}
