//! `POST /auth/login`: a SIP-018 signed login message in, a bearer token out.

use std::sync::Arc;

use genoflow_stacks::{clarity::ClarityValue, keys::PublicKey, sip018, transaction::Network};
use serde::{Deserialize, Serialize};

use crate::{
    error::{Error, LoginRejection},
    model::LoginNonce,
    ports::{Claims, Clock, Table, TableError, TokenSigner},
};

/// SIP-018 domain name.
pub const DOMAIN_NAME: &str = "genoflow";
/// SIP-018 domain version.
pub const DOMAIN_VERSION: &str = "1";
/// How far ahead a login message may expire.
pub const MAX_EXPIRY_SECONDS: i64 = 600;
/// JSON integers above this lose precision in JavaScript.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The signed message `{action: "login", nonce, expires}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginMessage {
    /// Must be `"login"`.
    pub action: String,
    /// Any integer the wallet chose; refused the second time.
    pub nonce: u64,
    /// Unix seconds, at most 10 minutes ahead.
    pub expires: u64,
}

impl LoginMessage {
    /// The Clarity tuple that is signed.
    ///
    /// # Errors
    /// [`LoginRejection::WrongAction`] when `action` is not ASCII (it is checked to be `login`
    /// anyway).
    pub fn to_clarity(&self) -> Result<ClarityValue, LoginRejection> {
        let action = ClarityValue::string_ascii(self.action.as_str())
            .map_err(|_| LoginRejection::WrongAction(self.action.clone()))?;
        ClarityValue::tuple([
            ("action", action),
            ("nonce", ClarityValue::UInt(self.nonce.into())),
            ("expires", ClarityValue::UInt(self.expires.into())),
        ])
        .map_err(|_| LoginRejection::WrongAction(self.action.clone()))
    }
}

/// The `POST /auth/login` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// 33-byte compressed key, hex.
    pub public_key: String,
    /// 65-byte RSV signature, hex.
    pub signature: String,
    /// What was signed.
    pub message: LoginMessage,
}

/// The 200 body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// `Authorization: Bearer {token}`.
    pub token: String,
    /// The signer's address on the configured network.
    pub address: String,
    /// When the token expires, unix seconds.
    pub expires: i64,
}

/// The SIP-018 domain `{name: "genoflow", version: "1", chain-id}` of `network`.
pub fn login_domain(network: Network) -> ClarityValue {
    sip018::domain(DOMAIN_NAME, DOMAIN_VERSION, network.chain_id())
        .expect("the domain strings are printable ASCII")
}

/// The login use case.
pub struct Login {
    /// Records used nonces.
    pub table: Arc<dyn Table>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Issues the bearer token.
    pub tokens: Arc<dyn TokenSigner>,
    /// The network whose chain id is in the domain and whose addresses are answered.
    pub network: Network,
    /// How long tokens last.
    pub token_ttl: time::Duration,
}

impl Login {
    /// Checks the message, the signature and the nonce, and issues a token.
    ///
    /// The signature is checked before the nonce is recorded, so nobody can burn another
    /// address's nonces.
    ///
    /// # Errors
    /// [`Error::Login`] with the reason; [`Error::Table`] when the table is unreachable.
    pub async fn run(&self, request: &LoginRequest) -> Result<LoginResponse, Error> {
        let message = &request.message;
        if message.action != "login" {
            return Err(LoginRejection::WrongAction(message.action.clone()).into());
        }
        check_safe_integer(message.nonce, "nonce")?;
        let expires = check_safe_integer(message.expires, "expires")?;
        let now = self.clock.now().unix_timestamp();
        if expires <= now {
            return Err(LoginRejection::Expired { expires, now }.into());
        }
        if expires > now + MAX_EXPIRY_SECONDS {
            return Err(LoginRejection::ExpiresTooFar {
                expires,
                now,
                max_seconds: MAX_EXPIRY_SECONDS,
            }
            .into());
        }
        let public_key = hex::decode(&request.public_key)
            .ok()
            .filter(|bytes| bytes.len() == 33)
            .and_then(|bytes| PublicKey::from_bytes(&bytes).ok())
            .ok_or(LoginRejection::BadPublicKey)?;
        let signature = hex::decode(&request.signature)
            .ok()
            .filter(|bytes| bytes.len() == 65)
            .ok_or(LoginRejection::BadSignatureEncoding)?;
        let domain = login_domain(self.network);
        if !sip018::verify(&domain, &message.to_clarity()?, &signature, &public_key) {
            return Err(LoginRejection::SignatureMismatch.into());
        }
        let address = public_key
            .address(self.network.single_sig_version())
            .to_string();

        let used = LoginNonce {
            address: address.clone(),
            nonce: message.nonce,
            expires_at: expires,
        };
        match self.table.claim_nonce(&used, self.clock.now()).await {
            Ok(()) => {}
            Err(TableError::ConditionFailed { .. }) => {
                return Err(LoginRejection::NonceUsed {
                    address,
                    nonce: message.nonce,
                }
                .into());
            }
            Err(other) => return Err(other.into()),
        }

        let token_expires = now + self.token_ttl.whole_seconds();
        let token = self.tokens.issue(&Claims {
            sub: address.clone(),
            iat: now,
            exp: token_expires,
        });
        tracing::info!(%address, "login");
        Ok(LoginResponse {
            token,
            address,
            expires: token_expires,
        })
    }
}

fn check_safe_integer(value: u64, field: &'static str) -> Result<i64, LoginRejection> {
    if value > MAX_SAFE_INTEGER {
        return Err(LoginRejection::NumberTooLarge(field));
    }
    i64::try_from(value).map_err(|_| LoginRejection::NumberTooLarge(field))
}

/// The owner (Stacks address) a request's `Authorization: Bearer TOKEN` header names.
///
/// # Errors
/// [`Error::Unauthenticated`] for a missing, malformed, forged or expired token.
pub fn authenticate(
    tokens: &dyn TokenSigner,
    clock: &dyn Clock,
    authorization: Option<&str>,
) -> Result<String, Error> {
    let header = authorization
        .ok_or_else(|| Error::Unauthenticated("no Authorization header".to_owned()))?;
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| Error::Unauthenticated("expected Authorization: Bearer TOKEN".to_owned()))?;
    Ok(tokens.verify(token, clock.now())?.sub)
}
