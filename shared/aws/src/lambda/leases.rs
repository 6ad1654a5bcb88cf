//! The claim leases and delivery limits of the validate, analyze and sweeper functions
//! (docs/AWS.md, "Leases and redelivery").
//!
//! The rule: a claim's lease is its function's timeout plus a margin (so a live run is never
//! taken over), and each queue's visibility timeout is at least six times the timeout of the
//! function it triggers (so a redelivery after a timeout finds the lease over). The template
//! sets the same values for every function that reads them.
//!
//! | variable | default | read by |
//! | --- | --- | --- |
//! | `GENOFLOW_VALIDATION_LEASE_SECONDS` | 960 (900 s timeout + 60 s) | validate, sweeper |
//! | `GENOFLOW_ANALYSIS_LEASE_SECONDS` | 960 (900 s timeout + 60 s) | analyze, sweeper |
//! | `GENOFLOW_ANCHOR_LEASE_SECONDS` | 300 (the anchor function's claim lease) | sweeper |
//! | `GENOFLOW_MAX_RECEIVE_COUNT` | 5 (the queues' `maxReceiveCount`) | validate, analyze |
//! | `GENOFLOW_SWEEP_MAX_RETURNS` | 3 | sweeper |
//! | `GENOFLOW_SWEEP_REQUEST_WAIT_SECONDS` | 3600 | sweeper |

use genoflow_core::usecases::sweeper::{
    DEFAULT_ANALYSIS_LEASE, DEFAULT_MAX_RETURNS, DEFAULT_REQUEST_WAIT, SweepSettings,
};
use time::Duration;

use super::settings::{SettingError, number};

/// The validate function's claim lease, seconds.
pub const VALIDATION_LEASE_ENV: &str = "GENOFLOW_VALIDATION_LEASE_SECONDS";
/// The analyze function's claim lease, seconds.
pub const ANALYSIS_LEASE_ENV: &str = "GENOFLOW_ANALYSIS_LEASE_SECONDS";
/// The anchor function's claim lease, seconds.
pub const ANCHOR_LEASE_ENV: &str = "GENOFLOW_ANCHOR_LEASE_SECONDS";
/// The queues' `maxReceiveCount`: the delivery on which a handler fails what cannot finish.
pub const MAX_RECEIVE_COUNT_ENV: &str = "GENOFLOW_MAX_RECEIVE_COUNT";
/// Returns of a claim before the sweeper fails it.
pub const MAX_RETURNS_ENV: &str = "GENOFLOW_SWEEP_MAX_RETURNS";
/// How long a requested analysis may wait before the sweeper sends its request again, seconds.
pub const REQUEST_WAIT_ENV: &str = "GENOFLOW_SWEEP_REQUEST_WAIT_SECONDS";

/// The queues' `maxReceiveCount` in `infra/template.yaml`.
pub const DEFAULT_MAX_RECEIVE_COUNT: u32 = 5;

/// Leases and limits, as the environment sets them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leases {
    /// The validate function's claim lease.
    pub validation: Duration,
    /// The analyze function's claim lease.
    pub analysis: Duration,
    /// The anchor function's claim lease.
    pub anchor: Duration,
    /// The queues' `maxReceiveCount`.
    pub max_receive_count: u32,
    /// Returns before the sweeper fails a claim.
    pub max_returns: u32,
    /// The sweeper's wait before it re-sends an analysis request.
    pub request_wait: Duration,
}

impl Default for Leases {
    fn default() -> Self {
        let sweep = SweepSettings::default();
        Self {
            validation: sweep.validation_lease,
            analysis: DEFAULT_ANALYSIS_LEASE,
            anchor: sweep.anchor_lease,
            max_receive_count: DEFAULT_MAX_RECEIVE_COUNT,
            max_returns: DEFAULT_MAX_RETURNS,
            request_wait: DEFAULT_REQUEST_WAIT,
        }
    }
}

/// `name` in whole seconds from 60 to a day, `default` when unset.
fn seconds(name: &'static str, default: Duration) -> Result<Duration, SettingError> {
    let value = number(name, default.whole_seconds().unsigned_abs())?;
    i64::try_from(value)
        .ok()
        .filter(|seconds| (60..=86_400).contains(seconds))
        .map(Duration::seconds)
        .ok_or(SettingError::Invalid {
            name,
            value: value.to_string(),
            expected: "whole seconds from 60 to 86400 (a function's timeout plus a margin)",
        })
}

/// `name` as a count from 1 to 1000, `default` when unset.
fn count(name: &'static str, default: u32) -> Result<u32, SettingError> {
    let value = number(name, u64::from(default))?;
    u32::try_from(value)
        .ok()
        .filter(|n| (1..=1000).contains(n))
        .ok_or(SettingError::Invalid {
            name,
            value: value.to_string(),
            expected: "a whole number from 1 to 1000",
        })
}

impl Leases {
    /// Reads the variables of the module's table; defaults for the unset ones.
    ///
    /// # Errors
    /// [`SettingError::Invalid`] naming a variable set to something unusable.
    pub fn from_env() -> Result<Self, SettingError> {
        let defaults = Self::default();
        Ok(Self {
            validation: seconds(VALIDATION_LEASE_ENV, defaults.validation)?,
            analysis: seconds(ANALYSIS_LEASE_ENV, defaults.analysis)?,
            anchor: seconds(ANCHOR_LEASE_ENV, defaults.anchor)?,
            max_receive_count: count(MAX_RECEIVE_COUNT_ENV, defaults.max_receive_count)?,
            max_returns: count(MAX_RETURNS_ENV, defaults.max_returns)?,
            request_wait: seconds(REQUEST_WAIT_ENV, defaults.request_wait)?,
        })
    }

    /// The sweeper's settings for these leases.
    ///
    /// ```
    /// use genoflow_aws::lambda::leases::Leases;
    /// let settings = Leases::default().sweep_settings();
    /// assert_eq!(settings.analysis_lease.whole_seconds(), 960);
    /// assert_eq!(settings.max_returns, 3);
    /// ```
    pub fn sweep_settings(&self) -> SweepSettings {
        SweepSettings {
            validation_lease: self.validation,
            analysis_lease: self.analysis,
            anchor_lease: self.anchor,
            request_wait: self.request_wait,
            max_returns: self.max_returns,
            ..SweepSettings::default()
        }
    }
}
