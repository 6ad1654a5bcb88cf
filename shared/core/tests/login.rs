//! `POST /auth/login` with messages signed by `genoflow-stacks`' SIP-018 signing.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use genoflow_core::{
    Error,
    error::LoginRejection,
    ports::{HmacSecret, HmacTokenSigner},
    usecases::login::{Login, LoginMessage, LoginRequest, authenticate, login_domain},
};
use genoflow_stacks::{keys::PrivateKey, sip018, transaction::Network};
use genoflow_testkit::keys::{ALICE, START};
use genoflow_testkit::memory::{ManualClock, MemoryTable};
use time::{Duration, OffsetDateTime};

use genoflow_testkit::keys::DEPLOYER_KEY as ALICE_KEY;
use genoflow_testkit::keys::MALLORY_KEY;

struct Server {
    login: Login,
    clock: Arc<ManualClock>,
    tokens: Arc<HmacTokenSigner>,
}

fn server(network: Network) -> Server {
    let clock = Arc::new(ManualClock::new(
        OffsetDateTime::from_unix_timestamp(START).unwrap(),
    ));
    let tokens = Arc::new(HmacTokenSigner::new(HmacSecret::new(vec![42; 32]).unwrap()));
    Server {
        login: Login {
            table: Arc::new(MemoryTable::default()),
            clock: clock.clone(),
            tokens: tokens.clone(),
            network,
            token_ttl: Duration::hours(1),
        },
        clock,
        tokens,
    }
}

fn message(nonce: u64, expires: i64) -> LoginMessage {
    LoginMessage {
        action: "login".into(),
        nonce,
        expires: expires.try_into().unwrap(),
    }
}

/// What a wallet sends: `message` signed by `signer` under the network's domain, claiming
/// `signer`'s public key.
fn signed(signer: &str, message: LoginMessage, network: Network) -> LoginRequest {
    let key = PrivateKey::from_hex(signer).unwrap();
    let signature =
        sip018::sign(&login_domain(network), &message.to_clarity().unwrap(), &key).unwrap();
    LoginRequest {
        public_key: hex::encode(key.public_key().to_bytes()),
        signature: hex::encode(signature),
        message,
    }
}

fn rejection(result: Result<impl std::fmt::Debug, Error>) -> LoginRejection {
    match result {
        Err(Error::Login(rejection)) => rejection,
        other => panic!("expected a login rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_good_signature_gets_a_token_for_the_signers_address() {
    let server = server(Network::Testnet);
    let request = signed(ALICE_KEY, message(7, START + 300), Network::Testnet);
    // The body as a browser sends it.
    let body = serde_json::to_string(&request).unwrap();
    let request: LoginRequest = serde_json::from_str(&body).unwrap();
    let response = server.login.run(&request).await.unwrap();
    assert_eq!(response.address, ALICE);
    assert_eq!(response.expires, START + 3600);

    let header = format!("Bearer {}", response.token);
    let owner = authenticate(server.tokens.as_ref(), server.clock.as_ref(), Some(&header)).unwrap();
    assert_eq!(owner, ALICE);

    // Short-lived: an hour later the token is refused.
    server.clock.advance(Duration::hours(1));
    assert!(matches!(
        authenticate(server.tokens.as_ref(), server.clock.as_ref(), Some(&header)),
        Err(Error::Unauthenticated(_))
    ));
    assert!(matches!(
        authenticate(server.tokens.as_ref(), server.clock.as_ref(), None),
        Err(Error::Unauthenticated(_))
    ));
}

#[tokio::test]
async fn the_address_is_that_of_the_configured_network() {
    let server = server(Network::Mainnet);
    let response = server
        .login
        .run(&signed(ALICE_KEY, message(1, START + 60), Network::Mainnet))
        .await
        .unwrap();
    assert!(response.address.starts_with("SP"), "{}", response.address);
}

#[tokio::test]
async fn a_wrong_signature_is_refused() {
    let server = server(Network::Testnet);
    // Mallory signs but claims Alice's key.
    let mut forged = signed(MALLORY_KEY, message(1, START + 60), Network::Testnet);
    forged.public_key = signed(ALICE_KEY, message(1, START + 60), Network::Testnet).public_key;
    assert_eq!(
        rejection(server.login.run(&forged).await),
        LoginRejection::SignatureMismatch
    );

    // Alice's signature over another message.
    let mut altered = signed(ALICE_KEY, message(1, START + 60), Network::Testnet);
    altered.message.nonce = 2;
    assert_eq!(
        rejection(server.login.run(&altered).await),
        LoginRejection::SignatureMismatch
    );

    // Signed for mainnet, presented to a testnet server: the chain id is in the domain.
    let other_chain = signed(ALICE_KEY, message(3, START + 60), Network::Mainnet);
    assert_eq!(
        rejection(server.login.run(&other_chain).await),
        LoginRejection::SignatureMismatch
    );

    let mut garbled = signed(ALICE_KEY, message(4, START + 60), Network::Testnet);
    garbled.signature.truncate(128);
    assert_eq!(
        rejection(server.login.run(&garbled).await),
        LoginRejection::BadSignatureEncoding
    );
    let mut bad_key = signed(ALICE_KEY, message(5, START + 60), Network::Testnet);
    bad_key.public_key = format!("05{}", "11".repeat(32));
    assert_eq!(
        rejection(server.login.run(&bad_key).await),
        LoginRejection::BadPublicKey
    );

    let error = server.login.run(&forged).await.unwrap_err();
    assert_eq!(
        (error.http_status(), error.code()),
        (401, "signature_mismatch")
    );
}

#[tokio::test]
async fn a_replayed_nonce_is_refused() {
    let server = server(Network::Testnet);
    let request = signed(ALICE_KEY, message(99, START + 600), Network::Testnet);
    server.login.run(&request).await.unwrap();
    server.clock.advance(Duration::seconds(30));
    assert_eq!(
        rejection(server.login.run(&request).await),
        LoginRejection::NonceUsed {
            address: ALICE.into(),
            nonce: 99
        }
    );
    // The same nonce under another address is that address's own.
    server
        .login
        .run(&signed(
            MALLORY_KEY,
            message(99, START + 600),
            Network::Testnet,
        ))
        .await
        .unwrap();
    // A refused signature does not burn the nonce.
    let mut forged = signed(MALLORY_KEY, message(100, START + 600), Network::Testnet);
    forged.public_key = request.public_key.clone();
    rejection(server.login.run(&forged).await);
    server
        .login
        .run(&signed(
            ALICE_KEY,
            message(100, START + 600),
            Network::Testnet,
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn expired_and_too_distant_expiries_are_refused() {
    let server = server(Network::Testnet);
    for expires in [START - 1, START] {
        assert_eq!(
            rejection(
                server
                    .login
                    .run(&signed(ALICE_KEY, message(1, expires), Network::Testnet))
                    .await
            ),
            LoginRejection::Expired {
                expires,
                now: START
            }
        );
    }
    assert_eq!(
        rejection(
            server
                .login
                .run(&signed(
                    ALICE_KEY,
                    message(2, START + 601),
                    Network::Testnet
                ))
                .await
        ),
        LoginRejection::ExpiresTooFar {
            expires: START + 601,
            now: START,
            max_seconds: 600
        }
    );
    // Exactly ten minutes ahead is allowed.
    server
        .login
        .run(&signed(
            ALICE_KEY,
            message(3, START + 600),
            Network::Testnet,
        ))
        .await
        .unwrap();
    // Integers JavaScript cannot hold exactly are refused before anything else.
    let huge = signed(
        ALICE_KEY,
        LoginMessage {
            action: "login".into(),
            nonce: 1 << 53,
            expires: 1,
        },
        Network::Testnet,
    );
    assert_eq!(
        rejection(server.login.run(&huge).await),
        LoginRejection::NumberTooLarge("nonce")
    );
}

#[tokio::test]
async fn only_the_login_action_is_accepted() {
    let server = server(Network::Testnet);
    let mut other = message(1, START + 60);
    other.action = "transfer".into();
    assert_eq!(
        rejection(
            server
                .login
                .run(&signed(ALICE_KEY, other, Network::Testnet))
                .await
        ),
        LoginRejection::WrongAction("transfer".into())
    );
}
