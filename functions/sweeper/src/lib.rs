//! The `sweeper` function: on a schedule, every claim past its lease is returned (handed back
//! and requested again) or, after `GENOFLOW_SWEEP_MAX_RETURNS` returns, failed with its reason;
//! deleted datasets' objects are removed once more ([`Sweeper::sweep`]).
//!
//! A run that could not handle some lease (an outage) fails the invocation, so the function's
//! `Errors` metric (and its alarm) sees it; the next run tries again.
#![warn(missing_docs)]

use std::sync::Arc;

use genoflow_aws::lambda::leases::Leases;
use genoflow_core::{
    ports::{BlobStore, Clock, Queue, Table},
    usecases::sweeper::{SweepReport, Sweeper},
};

/// The ports the function runs on (DynamoDB, S3, SQS and the clock on AWS).
pub struct Ports {
    /// The records and their leases.
    pub table: Arc<dyn Table>,
    /// The objects of deleted datasets.
    pub blobs: Arc<dyn BlobStore>,
    /// The validation, analysis and anchor queues.
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// A run that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The leases could not be listed.
    #[error(transparent)]
    Core(#[from] genoflow_core::Error),
    /// Some leases could not be handled (each is logged); the next run tries them again.
    #[error("{errors} leases could not be handled (see the log); the next run tries them again")]
    Partial {
        /// How many.
        errors: usize,
    },
}

/// The function, built once at cold start.
pub struct Sweep {
    sweeper: Sweeper,
}

impl Sweep {
    /// Wires the use case with the deployment's leases and limits.
    pub fn new(ports: Ports, leases: &Leases) -> Self {
        Self {
            sweeper: Sweeper {
                table: ports.table,
                blobs: ports.blobs,
                queue: ports.queue,
                clock: ports.clock,
                settings: leases.sweep_settings(),
            },
        }
    }

    /// One scheduled run.
    ///
    /// # Errors
    /// [`SweepError`] when the leases cannot be listed or some could not be handled.
    pub async fn handle(&self) -> Result<SweepReport, SweepError> {
        let report = self.sweeper.sweep().await?;
        if report.errors > 0 {
            return Err(SweepError::Partial {
                errors: report.errors,
            });
        }
        Ok(report)
    }
}
