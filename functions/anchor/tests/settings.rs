//! The anchor binary's settings, read from its real environment at cold start: each missing
//! or wrong variable stops it with a message naming the variable (never the key);
//! a complete set gets as far as the Lambda runtime.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use genoflow_testkit::process::{
    Changes, RESOURCES, assert_reaches_runtime, assert_refused, cold_start, with,
};

/// wallet_2 of the devnet (a test key).
const KEY: &str = genoflow_testkit::keys::WALLET_2_KEY;

fn complete() -> Vec<(&'static str, &'static str)> {
    let mut vars = RESOURCES.to_vec();
    vars.extend([
        ("GENOFLOW_STACKS_NETWORK", "testnet"),
        ("GENOFLOW_SIGNER_KEY", KEY),
        (
            "GENOFLOW_REGISTRY_CONTRACT",
            "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry",
        ),
    ]);
    vars
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_anchor"))
}

#[test]
fn each_missing_or_wrong_setting_is_named_and_the_key_is_never_printed() {
    let cases: [(Changes<'_>, &str); 6] = [
        (
            &[("GENOFLOW_ANCHOR_QUEUE_URL", None)],
            "GENOFLOW_ANCHOR_QUEUE_URL",
        ),
        (&[("GENOFLOW_SIGNER_KEY", None)], "GENOFLOW_SIGNER_KEY"),
        (&[("GENOFLOW_SIGNER_KEY", Some(&KEY[..40]))], "not shown"),
        (
            &[("GENOFLOW_STACKS_NODE_URL", Some("not a url"))],
            "GENOFLOW_STACKS_NODE_URL",
        ),
        (
            &[("GENOFLOW_ANCHOR_FEE", Some("ten"))],
            "GENOFLOW_ANCHOR_FEE",
        ),
        (
            &[("GENOFLOW_REGISTRY_CONTRACT", None)],
            "GENOFLOW_REGISTRY_CONTRACT",
        ),
    ];
    assert_refused(binary(), &complete(), &cases, &[KEY]);
}

#[test]
fn a_complete_environment_reaches_the_lambda_runtime() {
    assert_reaches_runtime(binary(), &complete());
}

#[test]
fn a_missing_setting_says_how_to_set_it_not_a_struct() {
    let cases = [
        (
            "GENOFLOW_REGISTRY_CONTRACT",
            "the template parameter RegistryContract",
        ),
        (
            "GENOFLOW_SIGNER_KEY",
            "template parameter AnchorKeySecretArn",
        ),
        ("GENOFLOW_BUCKET", "the SAM template (infra/template.yaml)"),
        (
            "GENOFLOW_STACKS_NETWORK",
            "the template parameter StacksNetwork",
        ),
    ];
    for (name, how) in cases {
        let (code, stderr) = cold_start(binary(), &with(&complete(), &[(name, None)]));
        assert_eq!(code, Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{name} is not set")) && stderr.contains(how),
            "{name}: {stderr}"
        );
        assert!(!stderr.contains("MissingSetting {"), "{stderr}");
    }
}
