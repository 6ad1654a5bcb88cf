//! Wallet flows through the real contracts on the chain stand-in (`GENOFLOW_STANDIN_URL`),
//! every transaction built and signed by `genoflow-stacks`: a researcher registers an identity
//! and the dataset whose SHA-256 the validator computed (commit, then reveal in a later block),
//! lists it; another account buys it at most at the price it was shown (under a post-condition
//! of exactly the price) and rates the seller. Balances move by exactly the price, the
//! marketplace fee and the transaction fees.

#![allow(clippy::unwrap_used)]

mod wallet;

use genoflow_genomics::{Options, validate};
use genoflow_stacks::{clarity::ClarityValue, node::TxStatus};
use wallet::{Wallets, address, principal};

use genoflow_testkit::keys::FAUCET_KEY as BUYER_KEY;
use genoflow_testkit::keys::WALLET_1_KEY as SELLER_KEY;
const FEE: u64 = wallet::FEE;
const PRICE: u64 = 2_000_000;

/// The field `name` of a tuple, or of the tuple in a `(some ...)`.
fn field(value: &ClarityValue, name: &str) -> ClarityValue {
    match value {
        ClarityValue::Optional(Some(inner)) => field(inner, name),
        ClarityValue::Tuple(fields) => fields
            .iter()
            .find(|(key, _)| key.as_str() == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| panic!("no field {name} in {value:?}")),
        other => panic!("not a tuple: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the chain stand-in at GENOFLOW_STANDIN_URL (tests/run-all.sh)"]
async fn register_list_buy_and_rate_a_validated_dataset() {
    let wallets = Wallets::from_env();
    let (seller, buyer) = (address(SELLER_KEY), address(BUYER_KEY));

    // The hash the validator computed over the stored bytes.
    let path = format!(
        "{}/../../tests/data/samples/tb-demo_R1.fastq.gz",
        env!("CARGO_MANIFEST_DIR")
    );
    let report = validate(std::fs::File::open(&path).unwrap(), &Options::default()).unwrap();
    assert!(report.valid);
    let hash = hex::decode(&report.sha256).unwrap();

    wallets
        .ok(
            SELLER_KEY,
            "identity",
            "register",
            vec![ClarityValue::string_utf8("TB lab"), ClarityValue::UInt(3)],
        )
        .await;
    // Commit, then reveal in a later block (the commitment hides the hash until then).
    let dataset_id = wallets
        .register(SELLER_KEY, &hash, "fastq", "genoflow://tb-demo_R1.fastq.gz")
        .await;
    assert_eq!(
        wallets
            .read(
                "registry",
                "get-dataset-id",
                vec![ClarityValue::Buffer(hash)]
            )
            .await,
        ClarityValue::some(dataset_id.clone())
    );
    let listing = wallets
        .ok(
            SELLER_KEY,
            "marketplace",
            "list-dataset",
            vec![dataset_id.clone(), ClarityValue::UInt(PRICE.into())],
        )
        .await;
    assert_eq!(
        wallets
            .read(
                "marketplace",
                "has-access",
                vec![dataset_id.clone(), principal(&buyer)]
            )
            .await,
        ClarityValue::Bool(false)
    );

    // The buyer pays exactly the price (post-condition), 2.5 % of it to the treasury; it signs
    // for at most the price the listing showed it.
    let listed = wallets
        .read("marketplace", "get-listing", vec![listing.clone()])
        .await;
    let shown_price = field(&listed, "price");
    assert_eq!(shown_price, ClarityValue::UInt(PRICE.into()));
    let before = (
        wallets.balance(&seller).await,
        wallets.balance(&buyer).await,
        wallets.balance(&wallets.deployer).await,
    );
    let bought = wallets
        .purchase(BUYER_KEY, &listing, &shown_price, PRICE)
        .await;
    assert!(matches!(bought, TxStatus::Success { .. }), "{bought:?}");
    let fee_to_treasury = u128::from(PRICE) * 250 / 10_000;
    assert_eq!(
        wallets.balance(&buyer).await,
        before.1 - u128::from(PRICE) - u128::from(FEE)
    );
    assert_eq!(
        wallets.balance(&seller).await,
        before.0 + u128::from(PRICE) - fee_to_treasury
    );
    assert_eq!(
        wallets.balance(&wallets.deployer).await,
        before.2 + fee_to_treasury
    );
    assert_eq!(
        wallets
            .read(
                "marketplace",
                "has-access",
                vec![dataset_id, principal(&buyer)]
            )
            .await,
        ClarityValue::Bool(true)
    );

    // The chain keeps what the buyer paid.
    let paid = wallets
        .read(
            "marketplace",
            "get-purchase",
            vec![listing.clone(), principal(&buyer)],
        )
        .await;
    assert_eq!(field(&paid, "price"), shown_price);

    // Buying twice is refused (u408), never charged again; the buyer rates the seller once
    // (u503 the second time).
    let again = wallets
        .call(
            BUYER_KEY,
            "marketplace",
            "purchase",
            vec![listing.clone(), shown_price],
            vec![],
        )
        .await;
    assert!(
        matches!(&again, TxStatus::AbortByResponse { result: Some(ClarityValue::Response(Err(code))), .. } if **code == ClarityValue::UInt(408)),
        "{again:?}"
    );
    wallets
        .ok(
            BUYER_KEY,
            "reputation",
            "rate",
            vec![listing.clone(), ClarityValue::UInt(5)],
        )
        .await;
    let twice = wallets
        .call(
            BUYER_KEY,
            "reputation",
            "rate",
            vec![listing, ClarityValue::UInt(4)],
            vec![],
        )
        .await;
    assert!(
        matches!(&twice, TxStatus::AbortByResponse { result: Some(ClarityValue::Response(Err(code))), .. } if **code == ClarityValue::UInt(503)),
        "{twice:?}"
    );
    let reputation = wallets
        .read("reputation", "get-reputation", vec![principal(&seller)])
        .await;
    assert_eq!(field(&reputation, "ratings"), ClarityValue::UInt(1));
    assert_eq!(field(&reputation, "total"), ClarityValue::UInt(5));
}
