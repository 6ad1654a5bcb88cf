//! The business metrics of the use cases' outcomes ([`crate::ports::Metric`]), in one place
//! for every runner: the Lambda handlers (CloudWatch EMF) and `genoflow serve`'s workers
//! (Prometheus). Each function takes what the use case answered, so a duplicate event, a
//! redelivery or a skipped message counts nothing.
//!
//! ```
//! use genoflow_core::ports::{Metric, Metrics};
//! use genoflow_core::usecases::{anchor::ConfirmReport, metrics};
//! struct Print;
//! impl Metrics for Print {
//!     fn record(&self, metric: Metric, value: f64) { println!("{} {value}", metric.name()); }
//! }
//! let report = ConfirmReport { confirmed: vec!["b1".into(), "b2".into()], ..Default::default() };
//! metrics::anchors_checked(&Print, &report); // AnchorsConfirmed 2
//! ```

use std::time::Duration;

use super::{
    analyze::AnalysisOutcome, anchor::ConfirmReport, object_created::ObjectOutcome,
    oracle::OracleOutcome,
};
use crate::{
    lifecycle::Status,
    model::SubmissionStatus,
    ports::{Metric, Metrics},
};

/// A validation: [`Metric::DatasetsValidated`] or [`Metric::DatasetsInvalid`] when this event
/// validated the dataset; nothing for a duplicate, an ignored or a quarantined object.
pub fn object_handled(metrics: &dyn Metrics, outcome: &ObjectOutcome) {
    if let ObjectOutcome::Validated { status, error, .. } = outcome {
        let metric = if *status == Status::Invalid || error.is_some() {
            Metric::DatasetsInvalid
        } else {
            Metric::DatasetsValidated
        };
        metrics.record(metric, 1.0);
    }
}

/// An analysis message that took `elapsed`: [`Metric::AnalysisDuration`] for an analysed
/// sample, [`Metric::AnalysesFailed`] for a refused one; nothing for a redelivery.
pub fn sample_analyzed(metrics: &dyn Metrics, outcome: &AnalysisOutcome, elapsed: Duration) {
    match outcome {
        AnalysisOutcome::Analyzed { .. } => {
            metrics.record(Metric::AnalysisDuration, elapsed.as_secs_f64());
        }
        AnalysisOutcome::Failed { .. } => metrics.record(Metric::AnalysesFailed, 1.0),
        AnalysisOutcome::AlreadyAnalyzed { .. }
        | AnalysisOutcome::InProgress { .. }
        | AnalysisOutcome::Skipped { .. }
        | AnalysisOutcome::Gone { .. } => {}
    }
}

/// A confirmation run of the anchor schedule: [`Metric::AnchorsConfirmed`] and
/// [`Metric::AnchorsFailed`], one per batch (zeros are recorded too, so the metric exists from
/// the first run and an alarm on it has data).
pub fn anchors_checked(metrics: &dyn Metrics, report: &ConfirmReport) {
    metrics.record(Metric::AnchorsConfirmed, count(report.confirmed.len()));
    metrics.record(Metric::AnchorsFailed, count(report.failed.len()));
}

/// An oracle refresh: [`Metric::OracleValuesSubmitted`] when a changed record was signed.
pub fn oracle_refreshed(metrics: &dyn Metrics, outcome: &OracleOutcome) {
    if let OracleOutcome::Submitted { .. } = outcome {
        metrics.record(Metric::OracleValuesSubmitted, 1.0);
    }
}

/// A confirmation run of the oracle schedule: [`Metric::OracleValuesConfirmed`] and
/// [`Metric::OracleValuesFailed`] (zeros included, as for anchors).
pub fn oracle_checked(metrics: &dyn Metrics, statuses: &[(String, SubmissionStatus)]) {
    let of = |wanted: SubmissionStatus| {
        count(
            statuses
                .iter()
                .filter(|(_, status)| *status == wanted)
                .count(),
        )
    };
    metrics.record(
        Metric::OracleValuesConfirmed,
        of(SubmissionStatus::Confirmed),
    );
    metrics.record(Metric::OracleValuesFailed, of(SubmissionStatus::Failed));
}

#[allow(clippy::cast_precision_loss)] // counts of one run: far below 2^52
fn count(n: usize) -> f64 {
    n as f64
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::{lifecycle::SampleStatus, usecases::object_created::SampleProgress};

    #[derive(Default)]
    struct Recorded(Mutex<Vec<(Metric, f64)>>);

    impl Metrics for Recorded {
        fn record(&self, metric: Metric, value: f64) {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((metric, value));
        }
    }

    impl Recorded {
        fn take(&self) -> Vec<(Metric, f64)> {
            std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
        }
    }

    #[test]
    fn only_the_event_that_did_the_work_counts() {
        let metrics = Recorded::default();
        let validated = |status| ObjectOutcome::Validated {
            dataset_id: "d".into(),
            status,
            error: None,
            sample: SampleProgress::Waiting,
        };
        object_handled(&metrics, &validated(Status::Valid));
        object_handled(&metrics, &validated(Status::Invalid));
        object_handled(
            &metrics,
            &ObjectOutcome::Duplicate {
                dataset_id: "d".into(),
                status: Status::Valid,
                sample: SampleProgress::AlreadyDecided,
            },
        );
        object_handled(&metrics, &ObjectOutcome::Ignored { key: "k".into() });
        assert_eq!(
            metrics.take(),
            [
                (Metric::DatasetsValidated, 1.0),
                (Metric::DatasetsInvalid, 1.0)
            ]
        );

        sample_analyzed(
            &metrics,
            &AnalysisOutcome::Skipped {
                sample_id: "s".into(),
                status: SampleStatus::Analyzing,
            },
            Duration::from_secs(3),
        );
        sample_analyzed(
            &metrics,
            &AnalysisOutcome::Gone {
                sample_id: "s".into(),
            },
            Duration::from_secs(3),
        );
        assert!(metrics.take().is_empty());

        let report = ConfirmReport {
            confirmed: vec!["a".into(), "b".into()],
            failed: vec!["c".into()],
            ..ConfirmReport::default()
        };
        anchors_checked(&metrics, &report);
        oracle_checked(
            &metrics,
            &[
                ("k1".into(), SubmissionStatus::Confirmed),
                ("k2".into(), SubmissionStatus::Broadcast),
            ],
        );
        oracle_refreshed(&metrics, &OracleOutcome::Unchanged { key: "k".into() });
        assert_eq!(
            metrics.take(),
            [
                (Metric::AnchorsConfirmed, 2.0),
                (Metric::AnchorsFailed, 1.0),
                (Metric::OracleValuesConfirmed, 1.0),
                (Metric::OracleValuesFailed, 0.0),
            ]
        );
    }
}
