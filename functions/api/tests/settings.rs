//! The api binary's settings, read from its real environment at cold start: the chain is read
//! only with a registry, which needs a node and must belong to the network; each wrong setting
//! stops it naming the variable; complete sets (with and without a chain) reach the runtime.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use genoflow_testkit::process::{Changes, RESOURCES, assert_reaches_runtime, assert_refused, with};

const SECRET: &str = "api-settings-test-secret-0123456789abcdef";

fn complete() -> Vec<(&'static str, &'static str)> {
    let mut vars = RESOURCES.to_vec();
    vars.extend([
        ("GENOFLOW_TOKEN_SECRET", SECRET),
        ("GENOFLOW_STACKS_NETWORK", "testnet"),
        ("GENOFLOW_STACKS_NODE_URL", "http://127.0.0.1:1"),
        (
            "GENOFLOW_REGISTRY_CONTRACT",
            "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry",
        ),
    ]);
    vars
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_api"))
}

#[test]
fn each_wrong_chain_setting_is_named_and_no_secret_is_printed() {
    let cases: [(Changes<'_>, &str); 5] = [
        (
            &[("GENOFLOW_STACKS_NODE_URL", None)],
            "GENOFLOW_STACKS_NODE_URL",
        ),
        (
            &[("GENOFLOW_STACKS_NODE_URL", Some("not a url"))],
            "GENOFLOW_STACKS_NODE_URL",
        ),
        (
            &[("GENOFLOW_REGISTRY_CONTRACT", Some("registry"))],
            "GENOFLOW_REGISTRY_CONTRACT",
        ),
        (
            &[(
                "GENOFLOW_REGISTRY_CONTRACT",
                Some("SP2J6ZY48GV1EZ5V2V5RB9MP66SW86PYKKNRV9EJ7.registry"),
            )],
            "not a testnet address",
        ),
        (
            &[("GENOFLOW_STACKS_NETWORK", None)],
            "GENOFLOW_STACKS_NETWORK",
        ),
    ];
    assert_refused(binary(), &complete(), &cases, &[SECRET]);
}

#[test]
fn complete_environments_reach_the_lambda_runtime_with_or_without_a_chain() {
    let without_chain = with(
        &complete(),
        &[
            ("GENOFLOW_REGISTRY_CONTRACT", None),
            ("GENOFLOW_STACKS_NETWORK", None),
        ],
    );
    for vars in [complete(), without_chain] {
        assert_reaches_runtime(binary(), &vars);
    }
}
