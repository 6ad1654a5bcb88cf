//! `genoflow chain setup`: refusals before anything is sent (always run), and the whole command
//! against the chain stand-in (`#[ignore]`: `tests/run-all.sh` runs it under
//! `tests/chain-standin/with-standin.sh`, which sets `GENOFLOW_STANDIN_URL`).

#![allow(clippy::unwrap_used)]

use std::{path::Path, process::Command};

use genoflow_node::{ClientConfig, NodeClient};

use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    keys::PrivateKey,
    node::TxStatus,
    transaction::{ContractCall, Network, Payload, Transaction, TransactionOptions},
};

use genoflow_testkit::keys::DEPLOYER;
use genoflow_testkit::keys::DEPLOYER_KEY;
use genoflow_testkit::keys::FAUCET_KEY;

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn genoflow(args: &[&str], env: &[(&str, &str)]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_genoflow"))
        .args(args)
        .env_remove("GENOFLOW_DEPLOYER_KEY")
        .env_remove("GENOFLOW_STACKS_NETWORK")
        .env_remove("GENOFLOW_STACKS_NODE_URL")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Output {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn setup(node: &str, config: &Path, key_file: Option<&Path>, env: &[(&str, &str)]) -> Output {
    let mut args = vec![
        "chain",
        "setup",
        "--node",
        node,
        "--config",
        config.to_str().unwrap(),
    ];
    if let Some(file) = key_file {
        args.extend(["--deployer-key-file", file.to_str().unwrap()]);
    }
    genoflow(&args, env)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn bad_settings_no_key_and_an_unreachable_node_stop_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let key = write(dir.path(), "deployer.key", DEPLOYER_KEY);
    // Nothing listens on port 1: a config error is reported before the node is asked.
    let unreachable = "http://127.0.0.1:1";
    let over = write(
        dir.path(),
        "over.toml",
        &format!("contracts = \"{DEPLOYER}\"\n[marketplace]\nfee_bps = 1500\n"),
    );
    let out = setup(unreachable, &over, Some(&key), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("marketplace.fee_bps = 1500"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);

    let plan = write(
        dir.path(),
        "plan.toml",
        &format!(
            "contracts = \"{DEPLOYER}\"\n[[plans]]\nid = 1\nprice_stx = \"5\"\nduration_days = 7301\n"
        ),
    );
    let out = setup(unreachable, &plan, Some(&key), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("plans[id = 1].duration_days = 7301"),
        "{}",
        out.stderr
    );

    let good = write(
        dir.path(),
        "good.toml",
        &format!("contracts = \"{DEPLOYER}\"\n[marketplace]\nfee_bps = 250\n"),
    );
    let out = setup(unreachable, &good, None, &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--deployer-key-file") && out.stderr.contains("GENOFLOW_DEPLOYER_KEY"),
        "{}",
        out.stderr
    );

    // A key file that is not a key: the message never repeats what the file holds.
    let junk = write(dir.path(), "junk.key", "not-a-key-SECRET-TEXT\n");
    let out = setup(unreachable, &good, Some(&junk), &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("does not hold a hex private key"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("SECRET"), "{}", out.stderr);

    let mainnet = genoflow(
        &[
            "chain",
            "setup",
            "--node",
            unreachable,
            "--config",
            good.to_str().unwrap(),
            "--network",
            "mainnet",
        ],
        &[("GENOFLOW_DEPLOYER_KEY", DEPLOYER_KEY)],
    );
    assert_eq!(mainnet.code, 2, "{}", mainnet.stderr);
    assert!(
        mainnet
            .stderr
            .contains("--network (or GENOFLOW_STACKS_NETWORK) mainnet does not match"),
        "{}",
        mainnet.stderr
    );

    let started = std::time::Instant::now();
    let out = setup(
        unreachable,
        &good,
        None,
        &[("GENOFLOW_DEPLOYER_KEY", DEPLOYER_KEY)],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("the Stacks node at http://127.0.0.1:1 did not answer")
            && out.stderr.contains("check --node")
            && out.stderr.contains("nothing was sent"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(!out.stderr.contains(DEPLOYER_KEY));
    // The client's bounded retries, not a hang.
    assert!(started.elapsed().as_secs() < 20);

    let help = genoflow(&["chain", "setup", "--help"], &[]);
    assert_eq!(help.code, 0);
    for words in [
        "--deployer-key-file",
        "GENOFLOW_DEPLOYER_KEY",
        "--timeout",
        "unchanged",
    ] {
        assert!(help.stdout.contains(words), "{words}: {}", help.stdout);
    }
}

/// A key made from one repeated byte: addresses nothing else on the stand-in uses.
fn test_key(byte: u8) -> PrivateKey {
    let mut bytes = [byte; 33];
    bytes[32] = 0x01;
    PrivateKey::from_bytes(&bytes).unwrap()
}

fn address(key: &PrivateKey) -> String {
    key.address(Network::Testnet.single_sig_version())
        .to_string()
}

struct Chain {
    node: NodeClient,
    runtime: tokio::runtime::Runtime,
}

impl Chain {
    fn read(&self, contract: &str, function: &str, args: Vec<ClarityValue>) -> ClarityValue {
        let call = ContractCall::new(&format!("{DEPLOYER}.{contract}"), function, args).unwrap();
        self.runtime
            .block_on(
                self.node
                    .call_read_only(&call, &Principal::parse(DEPLOYER).unwrap()),
            )
            .unwrap()
    }

    fn nonce(&self, address: &str) -> u64 {
        self.runtime
            .block_on(self.node.account(address))
            .unwrap()
            .nonce
    }

    /// Sends `amount` µSTX from `from` and waits for the block.
    fn transfer(&self, from: &PrivateKey, to: &str, amount: u64) {
        self.runtime.block_on(async {
            let nonce = self.node.account(&address(from)).await.unwrap().nonce;
            let payload =
                Payload::token_transfer(Principal::parse(to).unwrap(), amount, "").unwrap();
            let tx = Transaction::sign_new(
                payload,
                &TransactionOptions::new(Network::Testnet, nonce, 10_000),
                from,
            )
            .unwrap();
            let txid = self.node.broadcast(&tx).await.unwrap();
            for _ in 0..300 {
                match self.node.transaction_status(&txid).await.unwrap() {
                    TxStatus::Pending | TxStatus::NotFound => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    TxStatus::Success { .. } => return,
                    other => panic!("the transfer ended {other:?}"),
                }
            }
            panic!("the transfer was not mined");
        });
    }

    /// Every getter the settings below touch, as Clarity literals.
    fn state(&self, anchorer: &str, oracle: &[u8]) -> Vec<String> {
        let principal = |text: &str| ClarityValue::principal(text).unwrap();
        [
            self.read("registry", "is-anchorer", vec![principal(anchorer)]),
            self.read(
                "oracle",
                "is-oracle",
                vec![ClarityValue::Buffer(oracle.to_vec())],
            ),
            self.read("subscription", "get-plan", vec![ClarityValue::UInt(701)]),
            self.read("subscription", "get-plan", vec![ClarityValue::UInt(702)]),
            self.read("marketplace", "get-fee-bps", vec![]),
            self.read("marketplace", "get-treasury", vec![]),
            self.read("subscription", "get-treasury", vec![]),
            self.read("reputation", "get-min-rating-price", vec![]),
        ]
        .iter()
        .map(ToString::to_string)
        .collect()
    }
}

/// The settings file for the stand-in: keys and treasuries nobody else's tests use, and plan ids
/// far from theirs.
fn settings(anchorer: &str, oracle: &str, treasury: &str, on: bool, fee: u32, min: &str) -> String {
    format!(
        r#"contracts = "{DEPLOYER}"

[[anchorers]]
address = "{anchorer}"
enabled = {on}

[[oracles]]
public_key = "{oracle}"
enabled = {on}

[[plans]]
id = 701
price_stx = "5"
duration_days = 30
active = {on}

[[plans]]
id = 702
price_stx = "0.25"
duration_days = 365
active = false

[marketplace]
fee_bps = {fee}
treasury = "{treasury}"

[subscription]
treasury = "{treasury}"

[reputation]
min_rating_price_stx = "{min}"
"#
    )
}

/// The issue's operator flow on the stand-in: a first run sends every call and the getters show
/// the file's values; a second run sends nothing; a key that is not the owner gets each
/// contract's u100+offset error in words, a non-zero exit, and changes nothing; the owner then
/// puts back the deployment's values (fee 250 bps and the deployer as treasury, 1 STX) for the
/// tests that run after this one on the same stand-in.
#[test]
#[ignore = "needs the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
fn setup_sends_what_differs_then_nothing_and_a_wrong_key_changes_nothing() {
    let url = std::env::var("GENOFLOW_STANDIN_URL").expect(
        "GENOFLOW_STANDIN_URL: run under tests/chain-standin/with-standin.sh (see docs/CHAIN.md)",
    );
    let chain = Chain {
        node: NodeClient::new(&url, ClientConfig::default()).unwrap(),
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
    };
    let dir = tempfile::tempdir().unwrap();
    let anchorer = address(&test_key(0x11));
    let oracle_key = test_key(0x22).public_key().to_bytes();
    let oracle = hex::encode(&oracle_key);
    let treasury = address(&test_key(0x33));
    let wanted = write(
        dir.path(),
        "wanted.toml",
        &settings(&anchorer, &oracle, &treasury, true, 300, "2.5"),
    );
    let deployed = write(
        dir.path(),
        "deployed.toml",
        &settings(&anchorer, &oracle, DEPLOYER, false, 250, "1"),
    );
    let deployer_key = write(dir.path(), "deployer.key", &format!("{DEPLOYER_KEY}\n"));

    // First run: every setting differs, so every call is sent and mined.
    let started = std::time::Instant::now();
    let first = setup(&url, &wanted, Some(&deployer_key), &[]);
    let first_took = started.elapsed();
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    println!("first run ({first_took:?}):\n{}", first.stdout);
    let lines: Vec<&str> = first.stdout.lines().collect();
    assert_eq!(lines.len(), 8, "{}", first.stdout);
    for (line, start) in lines.iter().zip([
        format!("registry.set-anchorer {anchorer} true: ok (txid 0x"),
        format!("oracle.set-oracle {oracle} true: ok (txid 0x"),
        "subscription.set-plan 701 (5 STX, 30 days, active): ok (txid 0x".to_owned(),
        "subscription.set-plan 702 (0.25 STX, 365 days, inactive): ok (txid 0x".to_owned(),
        "marketplace.set-fee-bps 300: ok (txid 0x".to_owned(),
        format!("marketplace.set-treasury {treasury}: ok (txid 0x"),
        format!("subscription.set-treasury {treasury}: ok (txid 0x"),
        "reputation.set-min-rating-price 2.5 STX: ok (txid 0x".to_owned(),
    ]) {
        assert!(line.starts_with(&start), "{line}\nexpected {start}…");
        assert!(line.contains(", block "), "{line}");
    }
    assert!(!first.stdout.contains(DEPLOYER_KEY) && !first.stderr.contains(DEPLOYER_KEY));
    let configured = vec![
        "true".to_owned(),
        "true".to_owned(),
        "(some (tuple (active true) (duration u2592000) (price u5000000)))".to_owned(),
        "(some (tuple (active false) (duration u31536000) (price u250000)))".to_owned(),
        "u300".to_owned(),
        format!("'{treasury}"),
        format!("'{treasury}"),
        "u2500000".to_owned(),
    ];
    assert_eq!(chain.state(&anchorer, &oracle_key), configured);

    // Second run: nothing differs, nothing is sent.
    let nonce = chain.nonce(DEPLOYER);
    let started = std::time::Instant::now();
    let second = setup(&url, &wanted, Some(&deployer_key), &[]);
    let second_took = started.elapsed();
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    println!("second run ({second_took:?}):\n{}", second.stdout);
    assert_eq!(second.stdout.lines().count(), 8, "{}", second.stdout);
    assert!(
        second
            .stdout
            .lines()
            .all(|line| line.ends_with(": unchanged")),
        "{}",
        second.stdout
    );
    assert_eq!(
        chain.nonce(DEPLOYER),
        nonce,
        "the second run sent something"
    );

    // A funded key that is not the owner, from the environment: every call is refused by its
    // contract, in words, and nothing changes.
    let stranger = test_key(0x44);
    chain.transfer(
        &PrivateKey::from_hex(FAUCET_KEY).unwrap(),
        &address(&stranger),
        5_000_000,
    );
    let stranger_hex = "44".repeat(32) + "01";
    let refused = setup(
        &url,
        &deployed,
        None,
        &[("GENOFLOW_DEPLOYER_KEY", &stranger_hex)],
    );
    println!("not the owner:\n{}", refused.stdout);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    let refusals: Vec<&str> = refused.stdout.lines().collect();
    assert_eq!(refusals.len(), 8, "{}", refused.stdout);
    // Plan 702 is the same in both files: nothing to send.
    assert_eq!(
        refusals[3],
        "subscription.set-plan 702 (0.25 STX, 365 days, inactive): unchanged"
    );
    for (line, code) in refusals
        .iter()
        .zip([200, 600, 300, 0, 400, 400, 300, 500])
        .filter(|(_, code)| *code != 0)
    {
        assert!(
            line.contains(&format!(
                ": failed: (err u{code}) ERR_UNAUTHORIZED: the sender is not this contract's owner"
            )) && line.contains("(txid 0x"),
            "{line}"
        );
    }
    assert!(!refused.stdout.contains(&stranger_hex) && !refused.stderr.contains(&stranger_hex));
    assert_eq!(chain.state(&anchorer, &oracle_key), configured);

    // The owner puts the deployment's values back.
    let restored = setup(&url, &deployed, Some(&deployer_key), &[]);
    assert_eq!(restored.code, 0, "{}{}", restored.stdout, restored.stderr);
    println!("restored:\n{}", restored.stdout);
    assert_eq!(
        restored.stdout.matches(": ok (txid 0x").count(),
        7,
        "{}",
        restored.stdout
    );
    assert_eq!(
        chain.state(&anchorer, &oracle_key),
        vec![
            "false".to_owned(),
            "false".to_owned(),
            "(some (tuple (active false) (duration u2592000) (price u5000000)))".to_owned(),
            "(some (tuple (active false) (duration u31536000) (price u250000)))".to_owned(),
            "u250".to_owned(),
            format!("'{DEPLOYER}"),
            format!("'{DEPLOYER}"),
            "u1000000".to_owned(),
        ]
    );
}
