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

/// Asserts that each of `cases` (changes to the `complete` environment, and words its message
/// must hold) stops `binary` at cold start with exit code 1, and that no value of `secrets`
/// (nor its first 40 characters) is ever printed.
///
/// # Panics
/// On the first case that starts, says something else, or prints a secret.
pub fn assert_refused(
    binary: &Path,
    complete: &[(&str, &str)],
    cases: &[(Changes<'_>, &str)],
    secrets: &[&str],
) {
    for (changes, expected) in cases {
        let (code, stderr) = cold_start(binary, &with(complete, changes));
        assert_eq!(code, Some(1), "{changes:?}: {stderr}");
        assert!(stderr.contains(expected), "{changes:?}: {stderr}");
        for secret in secrets {
            let prefix = &secret[..secret.len().min(40)];
            assert!(!stderr.contains(prefix), "a secret is printed: {stderr}");
        }
    }
}

/// Asserts that `binary` accepts every setting of `vars` and gets as far as the Lambda runtime,
/// which, outside Lambda, refuses to start for want of its own `AWS_LAMBDA_*` variables.
///
/// # Panics
/// When it exits 0 or complains of a `GENOFLOW_` setting.
pub fn assert_reaches_runtime(binary: &Path, vars: &[(&str, &str)]) {
    let (code, stderr) = cold_start(binary, vars);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("AWS_LAMBDA"), "{stderr}");
    assert!(!stderr.contains("GENOFLOW_"), "{stderr}");
}
