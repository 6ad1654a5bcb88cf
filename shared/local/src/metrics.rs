//! The [`Metrics`] port in memory, rendered as Prometheus text for `genoflow serve --metrics`
//! (`GET /metrics`): the same metrics, from the same outcomes, as the CloudWatch embedded metric
//! format on AWS ([`Metric::ALL`]).
//!
//! Counters are `_total` counters; durations are histograms with [`DURATION_BUCKETS`]. Values
//! live as long as the process (a restart starts from zero, which Prometheus' `rate()` expects).
//!
//! ```
//! use genoflow_core::ports::{Metric, Metrics};
//! use genoflow_local::metrics::PrometheusMetrics;
//! let metrics = PrometheusMetrics::default();
//! metrics.record(Metric::DatasetsValidated, 1.0);
//! metrics.record(Metric::AnalysisDuration, 42.0);
//! let text = metrics.render();
//! assert!(text.contains("genoflow_datasets_validated_total 1\n"));
//! assert!(text.contains("genoflow_analysis_duration_seconds_bucket{le=\"60\"} 1\n"));
//! assert_eq!(metrics.value(Metric::AnalysisDuration), 42.0);
//! ```

use std::{collections::BTreeMap, fmt::Write as _, sync::Mutex};

use genoflow_core::ports::{Metric, Metrics, Unit};

/// The `Content-Type` of [`PrometheusMetrics::render`]'s text (exposition format 0.0.4).
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds (seconds) of the duration histograms' buckets: an analysis takes from seconds
/// (the tb-demo pair) to Lambda's 15 minutes.
pub const DURATION_BUCKETS: [f64; 10] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0,
];

#[derive(Clone, Debug, Default)]
struct Series {
    /// Counters: the total. Durations: the sum of the observations.
    sum: f64,
    /// Durations: how many observations.
    count: u64,
    /// Durations: observations at most each bound of [`DURATION_BUCKETS`] (not cumulative).
    buckets: [u64; DURATION_BUCKETS.len()],
}

/// Business metrics kept in memory; [`PrometheusMetrics::render`] writes them out.
#[derive(Debug, Default)]
pub struct PrometheusMetrics {
    series: Mutex<BTreeMap<Metric, Series>>,
}

impl PrometheusMetrics {
    /// Every metric of [`Metric::ALL`] in Prometheus text, zeros included (so a dashboard sees
    /// the series before the first event).
    pub fn render(&self) -> String {
        let series = self.lock().clone();
        let mut text = String::new();
        for metric in Metric::ALL {
            let name = metric.prometheus_name();
            let values = series.get(&metric).cloned().unwrap_or_default();
            let _ = writeln!(text, "# HELP {name} {}", metric.help());
            match metric.unit() {
                Unit::Count => {
                    let _ = writeln!(text, "# TYPE {name} counter");
                    let _ = writeln!(text, "{name} {}", number(values.sum));
                }
                Unit::Seconds => {
                    let _ = writeln!(text, "# TYPE {name} histogram");
                    let mut cumulative = 0;
                    for (bound, count) in DURATION_BUCKETS.iter().zip(values.buckets) {
                        cumulative += count;
                        let _ = writeln!(
                            text,
                            "{name}_bucket{{le=\"{}\"}} {cumulative}",
                            number(*bound)
                        );
                    }
                    let _ = writeln!(text, "{name}_bucket{{le=\"+Inf\"}} {}", values.count);
                    let _ = writeln!(text, "{name}_sum {}", number(values.sum));
                    let _ = writeln!(text, "{name}_count {}", values.count);
                }
            }
        }
        text
    }

    /// A counter's total, or the sum of a duration's observations.
    pub fn value(&self, metric: Metric) -> f64 {
        self.lock().get(&metric).map_or(0.0, |series| series.sum)
    }

    /// How many observations a duration has (for counters: how many times one was recorded).
    pub fn observations(&self, metric: Metric) -> u64 {
        self.lock().get(&metric).map_or(0, |series| series.count)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<Metric, Series>> {
        // A panic while holding the lock leaves whole numbers behind: keep counting.
        self.series
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Metrics for PrometheusMetrics {
    fn record(&self, metric: Metric, value: f64) {
        if !value.is_finite() || value < 0.0 {
            return;
        }
        let mut series = self.lock();
        let entry = series.entry(metric).or_default();
        entry.sum += value;
        entry.count += 1;
        if metric.unit() == Unit::Seconds
            && let Some(slot) = DURATION_BUCKETS.iter().position(|bound| value <= *bound)
        {
            entry.buckets[slot] += 1;
        }
    }
}

/// A sample value as Prometheus writes it: whole numbers without a fraction.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric_with_help_type_and_cumulative_buckets() {
        let metrics = PrometheusMetrics::default();
        metrics.record(Metric::DatasetsValidated, 1.0);
        metrics.record(Metric::DatasetsValidated, 1.0);
        metrics.record(Metric::AnchorsConfirmed, 0.0);
        metrics.record(Metric::AnalysisDuration, 0.5);
        metrics.record(Metric::AnalysisDuration, 42.25);
        metrics.record(Metric::AnalysisDuration, 4000.0);
        metrics.record(Metric::DatasetsInvalid, f64::NAN);
        let text = metrics.render();
        let expected_duration = "\
# HELP genoflow_analysis_duration_seconds Time from claim to report of each analysed sample.
# TYPE genoflow_analysis_duration_seconds histogram
genoflow_analysis_duration_seconds_bucket{le=\"1\"} 1
genoflow_analysis_duration_seconds_bucket{le=\"5\"} 1
genoflow_analysis_duration_seconds_bucket{le=\"15\"} 1
genoflow_analysis_duration_seconds_bucket{le=\"30\"} 1
genoflow_analysis_duration_seconds_bucket{le=\"60\"} 2
genoflow_analysis_duration_seconds_bucket{le=\"120\"} 2
genoflow_analysis_duration_seconds_bucket{le=\"300\"} 2
genoflow_analysis_duration_seconds_bucket{le=\"600\"} 2
genoflow_analysis_duration_seconds_bucket{le=\"900\"} 2
genoflow_analysis_duration_seconds_bucket{le=\"1800\"} 2
genoflow_analysis_duration_seconds_bucket{le=\"+Inf\"} 3
genoflow_analysis_duration_seconds_sum 4042.75
genoflow_analysis_duration_seconds_count 3
";
        assert!(text.contains(expected_duration), "{text}");
        assert!(text.contains(
            "# HELP genoflow_datasets_validated_total Datasets whose file passed validation.\n\
             # TYPE genoflow_datasets_validated_total counter\n\
             genoflow_datasets_validated_total 2\n"
        ));
        assert!(
            text.contains("genoflow_datasets_invalid_total 0\n"),
            "NaN is dropped"
        );
        for metric in Metric::ALL {
            assert!(
                text.contains(&format!("# TYPE {} ", metric.prometheus_name())),
                "{metric:?}"
            );
        }
        // Every line is a comment or `name{labels} value`.
        for line in text.lines().filter(|line| !line.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').unwrap_or_default();
            assert!(series.starts_with("genoflow_"), "{line}");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        assert_eq!(metrics.observations(Metric::AnalysisDuration), 3);
    }
}
