//! Hostile inputs that once crashed or stalled the validator, rebuilt by generators in this
//! folder. Each case runs in a child process of this test binary, so its peak heap and time are its
//! own and a regression (an abort on a huge allocation) fails one test instead of the whole run.
//! The child caps its heap at [`HEAP_CEILING`]; the parent asserts the case's own, tighter budget.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod compression;
mod cram;
mod vcf;

use std::{
    process::Command,
    time::{Duration, Instant},
};

use cap::Cap;
use genoflow_genomics::{Options, validate};
use serde_json::Value;

#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// No case may ever take more heap than this: past it an allocation fails and the child aborts.
const HEAP_CEILING: usize = 1 << 30;

/// Set in the child process: the name of the case it runs.
const CASE_VARIABLE: &str = "GENOFLOW_BUDGET_CASE";

/// What a case's child measured.
pub(crate) struct Measured {
    /// The validation report, as `genoflow validate --json` prints it.
    pub report: Value,
    /// The largest heap in use while validating, in bytes.
    pub peak_heap: usize,
    /// Wall-clock time of the validation.
    pub elapsed: Duration,
}

impl Measured {
    /// The error message of an invalid report (fails the test if the report is valid).
    pub(crate) fn error(&self) -> &str {
        assert_eq!(
            self.report["valid"], false,
            "expected invalid: {}",
            self.report
        );
        self.report["error"]["message"].as_str().unwrap()
    }

    /// Asserts the budget: at most `heap` bytes of heap and `time` of wall-clock time.
    pub(crate) fn within(&self, heap: usize, time: Duration) -> &Self {
        assert!(
            self.peak_heap <= heap,
            "peak heap {} bytes is above the budget of {heap}: {}",
            self.peak_heap,
            self.report
        );
        assert!(
            self.elapsed <= time,
            "{:?} is above the budget of {time:?}: {}",
            self.elapsed,
            self.report
        );
        self
    }
}

/// Validates `input()` with `options` in a child process of this test binary and returns what it
/// measured. `case` must be the name of the calling test.
pub(crate) fn measure(case: &str, input: fn() -> Vec<u8>, options: fn() -> Options) -> Measured {
    if std::env::var(CASE_VARIABLE).as_deref() == Ok(case) {
        run_child(input, options);
        // The parent reads the line printed and asserts; the child has nothing more to do.
        std::process::exit(0);
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args([case, "--exact", "--nocapture", "--test-threads=1"])
        .env(CASE_VARIABLE, case)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("BUDGET "))
        .unwrap_or_else(|| {
            panic!(
                "the child for {case} printed no measurement ({}):\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let measured: Value = serde_json::from_str(line).unwrap();
    let measured = Measured {
        report: measured["report"].clone(),
        peak_heap: usize::try_from(measured["peak_heap"].as_u64().unwrap()).unwrap(),
        elapsed: Duration::from_micros(measured["elapsed_us"].as_u64().unwrap()),
    };
    // Seen with `--nocapture`: the figures behind each budget.
    eprintln!(
        "{case}: peak heap {:.1} MiB, {:.3} s: {}",
        measured.peak_heap as f64 / MIB as f64,
        measured.elapsed.as_secs_f64(),
        measured.report["error"]["message"]
    );
    measured
}

/// In the child: generate, validate, print `BUDGET {json}`.
fn run_child(input: fn() -> Vec<u8>, options: fn() -> Options) {
    let input = input();
    let options = options();
    // The input itself is not the validator's memory.
    let base = ALLOCATOR.allocated();
    ALLOCATOR.set_limit(base + HEAP_CEILING).unwrap();
    let start = Instant::now();
    let report = validate(std::io::Cursor::new(input), &options).unwrap();
    let elapsed = start.elapsed();
    let peak_heap = ALLOCATOR.max_allocated().saturating_sub(base);
    let line = serde_json::json!({
        "report": report,
        "peak_heap": peak_heap,
        "elapsed_us": u64::try_from(elapsed.as_micros()).unwrap(),
    });
    // On a line of its own: the test harness has printed the test name without a newline.
    println!("\nBUDGET {line}");
}

/// Validation options with the format detected.
pub(crate) fn detected() -> Options {
    Options::default()
}

/// One mebibyte.
pub(crate) const MIB: usize = 1 << 20;
