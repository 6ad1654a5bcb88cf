//! Every binding of `genoflow_stacks::contracts` against `contracts/abi.json` (kept equal to the
//! deployed contracts by `contracts/tests/abi.test.ts`): the function exists in that contract,
//! with that access, and takes the binding's arguments (names and Clarity types) in order.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{fs, path::Path};

use genoflow_stacks::contracts::{BINDINGS, Binding};
use serde_json::Value;

fn abi() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/abi.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (written by contracts/tests/abi.test.ts)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What is wrong with `binding` according to `abi`, if anything.
fn mismatches(abi: &Value, binding: &Binding) -> Vec<String> {
    let Some(functions) = abi[binding.contract]["functions"].as_array() else {
        return vec![format!(
            "{binding}: contracts/abi.json has no contract {:?}",
            binding.contract
        )];
    };
    let Some(function) = functions
        .iter()
        .find(|f| f["name"].as_str() == Some(binding.function))
    else {
        return vec![format!(
            "{binding}: contract {} has no public or read-only function {:?}",
            binding.contract, binding.function
        )];
    };
    let mut found = Vec::new();
    let access = function["access"].as_str().unwrap_or("?");
    if access != binding.access.as_str() {
        found.push(format!(
            "{binding}: the binding calls it as {}, the contract defines it {access}",
            binding.access.as_str()
        ));
    }
    let args: Vec<(&str, &str)> = function["args"]
        .as_array()
        .expect("args is a list")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("?"),
                a["type"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    if args.len() != binding.args.len() {
        found.push(format!(
            "{binding}: the binding passes {} arguments {:?}, the contract takes {} {args:?}",
            binding.args.len(),
            binding.args,
            args.len()
        ));
    }
    for (position, (ours, theirs)) in binding.args.iter().zip(&args).enumerate() {
        if ours.0 != theirs.0 {
            found.push(format!(
                "{binding}: argument {} is {:?} in the binding, {:?} in the contract",
                position + 1,
                ours.0,
                theirs.0
            ));
        }
        if ours.1 != theirs.1 {
            found.push(format!(
                "{binding}: argument {} ({}) is {} in the binding, {} in the contract",
                position + 1,
                theirs.0,
                ours.1,
                theirs.1
            ));
        }
    }
    found
}

#[test]
fn every_binding_matches_the_contracts_abi() {
    let abi = abi();
    let found: Vec<String> = BINDINGS.iter().flat_map(|b| mismatches(&abi, b)).collect();
    assert!(
        found.is_empty(),
        "the bindings (shared/stacks/src/contracts) differ from contracts/abi.json:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn a_mismatch_names_the_contract_function_and_argument() {
    let abi = abi();
    let wrong = Binding {
        contract: "registry",
        function: "anchor-batch",
        access: genoflow_stacks::contracts::Access::ReadOnly,
        args: &[("root", "(buff 33)"), ("count", "uint")],
    };
    assert_eq!(
        mismatches(&abi, &wrong),
        [
            "registry.anchor-batch: the binding calls it as read_only, the contract defines it public",
            "registry.anchor-batch: argument 1 (root) is (buff 33) in the binding, (buff 32) in the contract",
            "registry.anchor-batch: argument 2 is \"count\" in the binding, \"size\" in the contract",
        ]
    );
    let missing = Binding {
        function: "anchor-batches",
        ..wrong
    };
    assert_eq!(
        mismatches(&abi, &missing),
        [
            "registry.anchor-batches: contract registry has no public or read-only function \"anchor-batches\""
        ]
    );
}
