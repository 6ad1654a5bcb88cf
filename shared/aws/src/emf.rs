//! The [`Metrics`] port as CloudWatch embedded metric format (EMF): one JSON object per value on
//! standard output, which Lambda sends to the function's log group and CloudWatch Logs turns
//! into metrics (no API call, no agent, nothing to wait for).
//!
//! Every metric goes to namespace [`NAMESPACE`] with one dimension, `Stack` (the stack's name,
//! `GENOFLOW_STACK_NAME`, which the SAM template sets), so the template's alarms and a dashboard
//! find each stack's metrics. The function's name rides along as a property (searchable in
//! Logs Insights, not a dimension). The names and units are [`Metric::ALL`]'s; the same metrics
//! are Prometheus text in `genoflow serve` (`genoflow_local::metrics`).
//!
//! ```
//! use genoflow_aws::emf::EmfMetrics;
//! use genoflow_core::ports::Metric;
//! let emf = EmfMetrics::new("genoflow-test", Some("validate".into()));
//! let line = emf.line(Metric::DatasetsValidated, 1.0, 1_700_000_000_000);
//! assert_eq!(
//!     line,
//!     r#"{"DatasetsValidated":1.0,"Stack":"genoflow-test","_aws":{"CloudWatchMetrics":[{"Dimensions":[["Stack"]],"Metrics":[{"Name":"DatasetsValidated","Unit":"Count"}],"Namespace":"GenoFlow"}],"Timestamp":1700000000000},"function":"validate"}"#
//! );
//! ```

use std::{
    io::Write,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use genoflow_core::ports::{Metric, Metrics};
use serde_json::json;

/// The CloudWatch namespace of GenoFlow's business metrics.
pub const NAMESPACE: &str = "GenoFlow";
/// The variable naming the stack (the `Stack` dimension); `local` when unset.
pub const STACK_NAME_ENV: &str = "GENOFLOW_STACK_NAME";

/// Writes EMF lines to standard output, or to any writer (tests).
pub struct EmfMetrics {
    stack: String,
    function: Option<String>,
    out: Mutex<Box<dyn Write + Send>>,
}

impl std::fmt::Debug for EmfMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmfMetrics")
            .field("stack", &self.stack)
            .field("function", &self.function)
            .finish_non_exhaustive()
    }
}

impl EmfMetrics {
    /// Lines for `stack` (the `Stack` dimension), tagged with `function`, on standard output.
    pub fn new(stack: impl Into<String>, function: Option<String>) -> Self {
        Self::to_writer(stack, function, Box::new(std::io::stdout()))
    }

    /// [`EmfMetrics::new`] writing to `out`.
    pub fn to_writer(
        stack: impl Into<String>,
        function: Option<String>,
        out: Box<dyn Write + Send>,
    ) -> Self {
        Self {
            stack: stack.into(),
            function,
            out: Mutex::new(out),
        }
    }

    /// The Lambda environment's: the stack of `GENOFLOW_STACK_NAME` (`local` when unset) and the
    /// function of `AWS_LAMBDA_FUNCTION_NAME`.
    pub fn from_env() -> Self {
        let stack = std::env::var(STACK_NAME_ENV)
            .ok()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "local".to_owned());
        Self::new(stack, std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok())
    }

    /// One EMF object (without the newline) for `value` of `metric` at `timestamp_ms` (unix
    /// milliseconds).
    pub fn line(&self, metric: Metric, value: f64, timestamp_ms: u64) -> String {
        let name = metric.name();
        let mut object = json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Stack"]],
                    "Metrics": [{"Name": name, "Unit": metric.unit().cloudwatch()}],
                }],
            },
            "Stack": self.stack,
        });
        object[name] = json!(value);
        if let Some(function) = &self.function {
            object["function"] = json!(function);
        }
        object.to_string()
    }
}

impl Metrics for EmfMetrics {
    fn record(&self, metric: Metric, value: f64) {
        if !value.is_finite() {
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
        let mut line = self.line(metric, value, now);
        line.push('\n');
        // One write of the whole line: the JSON logs on the same stream never split it.
        let mut out = self
            .out
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if out
            .write_all(line.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            tracing::warn!(metric = metric.name(), "could not write a metric");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::Value;

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_value_is_one_emf_line_with_the_stack_dimension() {
        let buffer = Buffer::default();
        let emf = EmfMetrics::to_writer(
            "genoflow-prod",
            Some("genoflow-prod-AnalyzeFunction-abc".into()),
            Box::new(buffer.clone()),
        );
        emf.record(Metric::AnalysisDuration, 12.5);
        emf.record(Metric::DatasetsInvalid, 1.0);
        emf.record(Metric::AnchorsConfirmed, f64::INFINITY);
        let text = String::from_utf8(buffer.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or(Value::Null))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first = &lines[0];
        let directive = &first["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "GenoFlow");
        assert_eq!(directive["Dimensions"], json!([["Stack"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "AnalysisDuration", "Unit": "Seconds"}])
        );
        assert!(first["_aws"]["Timestamp"].as_u64().unwrap_or(0) > 1_600_000_000_000);
        assert_eq!(first["Stack"], "genoflow-prod");
        assert_eq!(first["AnalysisDuration"], 12.5);
        assert_eq!(first["function"], "genoflow-prod-AnalyzeFunction-abc");
        assert_eq!(
            lines[1]["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "DatasetsInvalid", "Unit": "Count"}])
        );
        assert_eq!(lines[1]["DatasetsInvalid"], 1.0);
    }
}
