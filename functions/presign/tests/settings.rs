//! The presign binary's settings, read from its real environment at cold start: each missing
//! or wrong variable stops it with a message naming the variable (never a secret's value);
//! a complete set gets as far as the Lambda runtime.

#![allow(clippy::unwrap_used)]

#[path = "../../support/cold_start.rs"]
mod support;

use std::path::Path;

use support::{Changes, RESOURCES, cold_start, with};

const SECRET: &str = "presign-settings-test-secret-0123456789";

fn complete() -> Vec<(&'static str, &'static str)> {
    let mut vars = RESOURCES.to_vec();
    vars.extend([
        ("GENOFLOW_TOKEN_SECRET", SECRET),
        ("GENOFLOW_STACKS_NETWORK", "testnet"),
    ]);
    vars
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_presign"))
}

#[test]
fn each_missing_or_wrong_setting_is_named_and_no_secret_is_printed() {
    let cases: [(Changes<'_>, &str); 7] = [
        (&[("GENOFLOW_TABLE", None)], "GENOFLOW_TABLE"),
        (&[("GENOFLOW_TOKEN_SECRET", None)], "GENOFLOW_TOKEN_SECRET"),
        (
            &[("GENOFLOW_TOKEN_SECRET", Some("short-secret"))],
            "at least 32 bytes",
        ),
        (
            &[("GENOFLOW_STACKS_NETWORK", None)],
            "GENOFLOW_STACKS_NETWORK",
        ),
        (
            &[("GENOFLOW_STACKS_NETWORK", Some("devnet"))],
            "mainnet or testnet",
        ),
        (
            &[("GENOFLOW_TOKEN_TTL_SECONDS", Some("10"))],
            "GENOFLOW_TOKEN_TTL_SECONDS",
        ),
        (
            &[(
                "GENOFLOW_SUBSCRIPTION_CONTRACT",
                Some("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.subscription"),
            )],
            "GENOFLOW_STACKS_NODE_URL",
        ),
    ];
    for (changes, expected) in cases {
        let (code, stderr) = cold_start(binary(), &with(&complete(), changes));
        assert_eq!(code, Some(1), "{changes:?}: {stderr}");
        assert!(stderr.contains(expected), "{changes:?}: {stderr}");
        assert!(
            !stderr.contains(SECRET) && !stderr.contains("short-secret"),
            "{stderr}"
        );
    }
}

#[test]
fn a_complete_environment_reaches_the_lambda_runtime() {
    // Outside Lambda the runtime itself refuses to start: every setting was accepted.
    let (code, stderr) = cold_start(binary(), &complete());
    assert_ne!(code, Some(0));
    assert!(stderr.contains("AWS_LAMBDA"), "{stderr}");
    assert!(!stderr.contains("GENOFLOW_"), "{stderr}");
}
