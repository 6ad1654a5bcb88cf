//! The presign binary's settings, read from its real environment at cold start: each missing
//! or wrong variable stops it with a message naming the variable (never a secret's value);
//! a complete set gets as far as the Lambda runtime.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use genoflow_testkit::process::{
    Changes, RESOURCES, assert_reaches_runtime, assert_refused, cold_start, with,
};

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
    assert_refused(binary(), &complete(), &cases, &[SECRET, "short-secret"]);
}

#[test]
fn a_complete_environment_reaches_the_lambda_runtime() {
    // Outside Lambda the runtime itself refuses to start: every setting was accepted.
    assert_reaches_runtime(binary(), &complete());
}

#[tokio::test]
#[ignore = "needs moto's server: run under tests/with-moto.sh (tests/run-all.sh does)"]
async fn the_token_secret_is_read_from_secrets_manager() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL must point at moto's server (tests/with-moto.sh)");
    let sdk = genoflow_aws::config::load().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let name = |what: &str| format!("genoflow-settings-{what}-{}", uuid::Uuid::new_v4());
    let (good, short) = (name("good"), name("short"));
    for (id, value) in [(&good, SECRET), (&short, "short-secret")] {
        secrets
            .create_secret()
            .name(id)
            .secret_string(value)
            .send()
            .await
            .unwrap();
    }
    let credentials = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].map(|variable| {
        (
            variable,
            std::env::var(variable).expect("tests/with-moto.sh sets dummy credentials"),
        )
    });
    let run = |secret_id: &str| {
        let mut vars = with(&complete(), &[("GENOFLOW_TOKEN_SECRET", None)]);
        vars.push(("GENOFLOW_TOKEN_SECRET_ARN", secret_id));
        vars.push(("AWS_ENDPOINT_URL", endpoint.as_str()));
        vars.extend(
            credentials
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        cold_start(binary(), &vars)
    };

    let (code, stderr) = run(&good);
    assert_ne!(code, Some(0));
    assert!(stderr.contains("AWS_LAMBDA"), "{stderr}");
    assert!(
        !stderr.contains("GENOFLOW_") && !stderr.contains(SECRET),
        "{stderr}"
    );

    let (code, stderr) = run(&short);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("at least 32 bytes") && stderr.contains(&short),
        "{stderr}"
    );
    assert!(!stderr.contains("short-secret"), "{stderr}");

    let missing = name("missing");
    let (code, stderr) = run(&missing);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("Secrets Manager") && stderr.contains(&missing),
        "{stderr}"
    );
}
