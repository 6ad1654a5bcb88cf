//! Runs a function's binary with a chosen environment and nothing else, as Lambda would start
//! it: the settings tests of the function crates.

use std::{path::Path, process::Command};

/// Runs `binary` with only `vars` (plus PATH); answers its exit code and stderr.
pub fn cold_start(binary: &Path, vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = Command::new(binary)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `base` with `changes` applied: `Some` sets a variable, `None` removes it.
pub fn with<'a>(
    base: &[(&'a str, &'a str)],
    changes: &[(&'a str, Option<&'a str>)],
) -> Vec<(&'a str, &'a str)> {
    let mut vars = base.to_vec();
    for (name, value) in changes {
        vars.retain(|(existing, _)| existing != name);
        if let Some(value) = value {
            vars.push((name, value));
        }
    }
    vars
}

/// Variables to set (`Some`) or remove (`None`) from a base environment.
pub type Changes<'a> = &'a [(&'a str, Option<&'a str>)];

/// What every function needs: the region and the resource names (no AWS call is made before
/// the runtime starts).
pub const RESOURCES: [(&str, &str); 5] = [
    ("AWS_REGION", "us-east-1"),
    ("GENOFLOW_BUCKET", "bucket"),
    ("GENOFLOW_TABLE", "table"),
    ("GENOFLOW_ANALYSIS_QUEUE_URL", "http://127.0.0.1:1/analysis"),
    ("GENOFLOW_ANCHOR_QUEUE_URL", "http://127.0.0.1:1/anchor"),
];
