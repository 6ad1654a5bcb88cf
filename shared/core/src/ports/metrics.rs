//! Business metrics: what the pipeline did, counted the same way on AWS (CloudWatch embedded
//! metric format, `genoflow_aws::emf`) and in `genoflow serve` (Prometheus text at `/metrics`,
//! `genoflow_local::metrics`).
//!
//! [`Metric::ALL`] is the one definition both adapters render: the CloudWatch name and unit, the
//! Prometheus name and its help line. `docs/OPERATIONS.md` lists them with the alarms.
//!
//! The use cases' outcomes become metrics in [`crate::usecases::metrics`], called by whoever runs
//! the use case (a Lambda handler, a `genoflow serve` worker).

/// How a metric's values add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Events: each value is added (CloudWatch `Count`; a Prometheus counter `_total`).
    Count,
    /// Durations: each value is one observation in seconds (CloudWatch `Seconds`, whose
    /// statistics give the count, average and percentiles; a Prometheus histogram).
    Seconds,
}

impl Unit {
    /// The CloudWatch unit name.
    pub fn cloudwatch(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Seconds => "Seconds",
        }
    }
}

/// Every business metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// A dataset's file passed validation (`valid`).
    DatasetsValidated,
    /// A dataset's file failed validation (`invalid`).
    DatasetsInvalid,
    /// How long the analysis of one sample took, from claim to report (analysed samples only).
    AnalysisDuration,
    /// The analysis refused a sample's files (the sample is `failed`).
    AnalysesFailed,
    /// An `anchor-batch` transaction is in a block.
    AnchorsConfirmed,
    /// An `anchor-batch` transaction failed for good (its samples are requested again).
    AnchorsFailed,
    /// A changed source record was signed and stored as a new oracle value.
    OracleValuesSubmitted,
    /// An `oracle.submit` transaction is in a block.
    OracleValuesConfirmed,
    /// An `oracle.submit` transaction failed for good.
    OracleValuesFailed,
}

impl Metric {
    /// The metrics, in the order both adapters list them.
    pub const ALL: [Self; 9] = [
        Self::DatasetsValidated,
        Self::DatasetsInvalid,
        Self::AnalysisDuration,
        Self::AnalysesFailed,
        Self::AnchorsConfirmed,
        Self::AnchorsFailed,
        Self::OracleValuesSubmitted,
        Self::OracleValuesConfirmed,
        Self::OracleValuesFailed,
    ];

    /// The CloudWatch metric name (namespace `GenoFlow`, dimension `Stack`).
    pub fn name(self) -> &'static str {
        match self {
            Self::DatasetsValidated => "DatasetsValidated",
            Self::DatasetsInvalid => "DatasetsInvalid",
            Self::AnalysisDuration => "AnalysisDuration",
            Self::AnalysesFailed => "AnalysesFailed",
            Self::AnchorsConfirmed => "AnchorsConfirmed",
            Self::AnchorsFailed => "AnchorsFailed",
            Self::OracleValuesSubmitted => "OracleValuesSubmitted",
            Self::OracleValuesConfirmed => "OracleValuesConfirmed",
            Self::OracleValuesFailed => "OracleValuesFailed",
        }
    }

    /// The Prometheus metric name (`_total` for counters, `_seconds` for durations).
    pub fn prometheus_name(self) -> &'static str {
        match self {
            Self::DatasetsValidated => "genoflow_datasets_validated_total",
            Self::DatasetsInvalid => "genoflow_datasets_invalid_total",
            Self::AnalysisDuration => "genoflow_analysis_duration_seconds",
            Self::AnalysesFailed => "genoflow_analyses_failed_total",
            Self::AnchorsConfirmed => "genoflow_anchors_confirmed_total",
            Self::AnchorsFailed => "genoflow_anchors_failed_total",
            Self::OracleValuesSubmitted => "genoflow_oracle_values_submitted_total",
            Self::OracleValuesConfirmed => "genoflow_oracle_values_confirmed_total",
            Self::OracleValuesFailed => "genoflow_oracle_values_failed_total",
        }
    }

    /// How its values add up.
    pub fn unit(self) -> Unit {
        match self {
            Self::AnalysisDuration => Unit::Seconds,
            _ => Unit::Count,
        }
    }

    /// One line saying what it counts (the Prometheus `# HELP`).
    pub fn help(self) -> &'static str {
        match self {
            Self::DatasetsValidated => "Datasets whose file passed validation.",
            Self::DatasetsInvalid => "Datasets whose file failed validation.",
            Self::AnalysisDuration => "Time from claim to report of each analysed sample.",
            Self::AnalysesFailed => "Samples whose files the analysis refused.",
            Self::AnchorsConfirmed => "Anchor-batch transactions confirmed in a block.",
            Self::AnchorsFailed => {
                "Anchor-batch transactions that failed for good (samples requested again)."
            }
            Self::OracleValuesSubmitted => "Oracle values signed for a changed source record.",
            Self::OracleValuesConfirmed => "Oracle submit transactions confirmed in a block.",
            Self::OracleValuesFailed => "Oracle submit transactions that failed for good.",
        }
    }
}

/// Where business metrics go. Recording never fails and never blocks for long: a metric that
/// cannot be written is lost, the work is not.
///
/// ```
/// use genoflow_core::ports::{Metric, Metrics, NoMetrics};
/// NoMetrics.record(Metric::DatasetsValidated, 1.0);
/// assert_eq!(Metric::AnalysisDuration.prometheus_name(), "genoflow_analysis_duration_seconds");
/// ```
pub trait Metrics: Send + Sync {
    /// Records `value`: a count to add ([`Unit::Count`]) or one observation in seconds
    /// ([`Unit::Seconds`]).
    fn record(&self, metric: Metric, value: f64);
}

/// Metrics dropped (tests, tools that report nothing).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMetrics;

impl Metrics for NoMetrics {
    fn record(&self, _metric: Metric, _value: f64) {}
}
