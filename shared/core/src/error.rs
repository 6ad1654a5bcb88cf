//! The use cases' error, and how it maps to HTTP and to retries.

use serde_json::json;

use crate::{
    keys::{FilenameError, KeyError},
    ports::{BlobError, QueueError, TableError, TokenError},
};

/// Why a login is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginRejection {
    /// `message.action` is not `"login"`.
    #[error("message.action must be \"login\"; got {0:?}")]
    WrongAction(String),
    /// `nonce` or `expires` is not below 2^53.
    #[error("message.{0} must be an integer below 2^53")]
    NumberTooLarge(&'static str),
    /// `expires` is not after now.
    #[error("the login message expired at {expires} (now {now}); sign a new one")]
    Expired {
        /// The message's expiry.
        expires: i64,
        /// The server's time.
        now: i64,
    },
    /// `expires` is more than the allowed window ahead.
    #[error("the login message expires at {expires}, more than {max_seconds} s after now ({now})")]
    ExpiresTooFar {
        /// The message's expiry.
        expires: i64,
        /// The server's time.
        now: i64,
        /// The window.
        max_seconds: i64,
    },
    /// `public_key` is not a 33-byte compressed secp256k1 key in hex.
    #[error("public_key must be a 33-byte compressed secp256k1 key in hex")]
    BadPublicKey,
    /// `signature` is not 65 bytes of hex.
    #[error("signature must be 65 bytes (r ‖ s ‖ recovery id) in hex")]
    BadSignatureEncoding,
    /// The signature is not `public_key`'s over this message, domain and network.
    #[error("the signature was not made by public_key over this login message on this network")]
    SignatureMismatch,
    /// This address already logged in with this nonce.
    #[error("nonce {nonce} was already used by {address}; sign a message with a new nonce")]
    NonceUsed {
        /// The signer.
        address: String,
        /// The nonce.
        nonce: u64,
    },
}

/// Why an upload request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadRejection {
    /// The body is not the documented JSON.
    #[error("the upload request is not valid JSON of the documented shape: {0}")]
    Body(String),
    /// Zero or more than two files.
    #[error("a sample is one file or a read pair of two; got {0} files")]
    FileCount(usize),
    /// A file name is refused.
    #[error(transparent)]
    Filename(#[from] FilenameError),
    /// The two files have the same name.
    #[error("the two files of a read pair need different names; both are {0:?}")]
    DuplicateFilename(String),
    /// A file is empty or above the limit.
    #[error("{filename}: size {size} is outside 1..={max} bytes")]
    Size {
        /// The file.
        filename: String,
        /// Declared size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// `sha256` is not 64 hex digits.
    #[error("{filename}: sha256 must be 64 hex digits")]
    Sha256 {
        /// The file.
        filename: String,
    },
    /// `format` is unknown, or a pair is not FASTQ.
    #[error("{filename}: {message}")]
    Format {
        /// The file.
        filename: String,
        /// Why.
        message: String,
    },
    /// The sample's files together are above the limit.
    #[error(
        "the sample's files add up to {size} bytes, above the {max}-byte limit of one sample (what one analysis gets through in its time)"
    )]
    SampleSize {
        /// The files' total.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// `sample_name` is too long or has control characters.
    #[error("sample_name must be 1 to 200 printable characters")]
    SampleName,
    /// A `specimen` field is refused.
    #[error("specimen.{field} {message}")]
    Specimen {
        /// The field.
        field: &'static str,
        /// What is wrong and what to send.
        message: String,
    },
    /// The `complete` call does not match the upload.
    #[error("{0}")]
    Parts(String),
}

/// What a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A login was refused.
    #[error(transparent)]
    Login(#[from] LoginRejection),
    /// An upload request was refused.
    #[error(transparent)]
    Upload(#[from] UploadRejection),
    /// No or a bad bearer token.
    #[error("not authenticated: {0}")]
    Unauthenticated(String),
    /// Absent, or not the caller's (the two look the same, so ids cannot be probed).
    #[error("no {what} {id}")]
    NotFound {
        /// Kind of thing.
        what: &'static str,
        /// Its id.
        id: String,
    },
    /// The request does not fit the record's state.
    #[error("{message}")]
    Conflict {
        /// snake_case code.
        code: &'static str,
        /// What and what to do.
        message: String,
    },
    /// The event's key cannot be decoded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The table failed.
    #[error(transparent)]
    Table(#[from] TableError),
    /// The object store failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The queue failed.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The analysis could not run: its work directory failed (not: the input was refused).
    #[error("the analysis of sample {sample_id} could not run: {message}")]
    Analysis {
        /// The sample.
        sample_id: String,
        /// Why.
        message: String,
    },
    /// The optional subscription gate: the address has no active subscription.
    #[error(
        "{address} has no active subscription in {contract}; buy a plan with subscription.subscribe, then upload"
    )]
    SubscriptionRequired {
        /// The caller.
        address: String,
        /// The subscription contract.
        contract: String,
    },
    /// The user has as many uploads waiting for their bytes as allowed.
    #[error(
        "{in_flight} of your uploads are still waiting for their bytes (at most {max}); finish or abandon them (their URLs expire) before starting more"
    )]
    TooManyUploads {
        /// The user's uploads in flight.
        in_flight: u32,
        /// The limit.
        max: u32,
    },
    /// The upload would take the user past the bytes they may store.
    #[error(
        "you store {stored} bytes and asked for {asked} more, above your {max}-byte quota; delete datasets to make room"
    )]
    QuotaExceeded {
        /// What the user stores.
        stored: u64,
        /// What the request declares.
        asked: u64,
        /// The quota.
        max: u64,
    },
    /// A setting is wrong: an operator has to change it (retrying cannot help).
    #[error("{setting} is misconfigured: {message}")]
    Configuration {
        /// The setting.
        setting: &'static str,
        /// What is wrong and what to set.
        message: String,
    },
    /// The Stacks node could not be reached; retrying may work. Never grants access.
    #[error("the Stacks node did not answer ({0}); try again shortly")]
    ChainUnavailable(String),
    /// No Stacks node is configured, so nothing can be read from the chain (the marketplace,
    /// purchases).
    #[error(
        "no Stacks node is connected to this GenoFlow server, so it cannot show the marketplace or purchases; its operator can connect one (genoflow serve --stacks-node URL, or GENOFLOW_STACKS_NODE_URL and GENOFLOW_REGISTRY_CONTRACT on AWS)"
    )]
    ChainNotConfigured,
    /// A read-only call ran but failed, or answered something the contracts never answer: the
    /// configured contracts are not GenoFlow's (version 2) or not deployed. Never grants access.
    #[error(
        "the chain could not answer {call}: {message}; the server's operator should check the registry contract it is configured with"
    )]
    ChainRead {
        /// `ADDRESS.contract.function`.
        call: String,
        /// What went wrong.
        message: String,
    },
    /// An oracle source is down (retryable) or answered something that is not the record.
    #[error("oracle source {url}: {message}")]
    Source {
        /// What was fetched.
        url: String,
        /// What went wrong.
        message: String,
        /// Whether a later fetch may work.
        retryable: bool,
    },
    /// `GET /oracle/{source}/{id}`: the oracle has not attested this record (the message says
    /// which and what to do).
    #[error("{0}")]
    NotAttested(String),
    /// `GET /oracle/gene/{symbol}`: the panel has no gene of this symbol.
    #[error(
        "the panel {panel} has no gene {symbol:?}; symbols are case-sensitive, as the panel writes them (rpoB, katG, Rv0678)"
    )]
    UnknownGene {
        /// The symbol asked for.
        symbol: String,
        /// The deployment's panel.
        panel: String,
    },
    /// `GET /oracle/{source}/...` with a source the oracle does not have.
    #[error("the oracle has no source {0:?}; its sources are clinvar, gene and catalogue")]
    UnknownSource(String),
    /// A contract call could not be built, or the node refused it for good (fee, funds,
    /// signature, configuration): an operator has to look.
    #[error("chain transaction failed: {0}")]
    Chain(String),
    /// The validator could not run (not: the file is invalid).
    #[error("validation of {key} could not run: {message}")]
    Validation {
        /// The object.
        key: String,
        /// Why.
        message: String,
    },
}

impl From<TokenError> for Error {
    fn from(error: TokenError) -> Self {
        Self::Unauthenticated(error.to_string())
    }
}

impl Error {
    /// The HTTP status for API responses.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Login(LoginRejection::SignatureMismatch | LoginRejection::NonceUsed { .. })
            | Self::Login(LoginRejection::Expired { .. })
            | Self::Unauthenticated(_) => 401,
            Self::Login(_) | Self::Upload(_) | Self::Key(_) => 400,
            Self::NotFound { .. }
            | Self::Blob(BlobError::NotFound { .. })
            | Self::NotAttested(_)
            | Self::UnknownGene { .. }
            | Self::UnknownSource(_) => 404,
            Self::Conflict { .. } | Self::Table(TableError::ConditionFailed { .. }) => 409,
            Self::Blob(BlobError::Rejected { .. }) => 400,
            Self::Table(_)
            | Self::Blob(_)
            | Self::Queue(_)
            | Self::Validation { .. }
            | Self::Analysis { .. } => 503,
            Self::Chain(_) | Self::Configuration { .. } => 500,
            Self::SubscriptionRequired { .. } => 403,
            Self::TooManyUploads { .. } => 429,
            Self::QuotaExceeded { .. } => 413,
            Self::ChainUnavailable(_) | Self::ChainNotConfigured => 503,
            Self::Source { .. } | Self::ChainRead { .. } => 502,
        }
    }

    /// The snake_case `error.code` of API responses.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Login(rejection) => match rejection {
                LoginRejection::WrongAction(_) | LoginRejection::NumberTooLarge(_) => {
                    "bad_login_message"
                }
                LoginRejection::Expired { .. } => "login_expired",
                LoginRejection::ExpiresTooFar { .. } => "login_expires_too_far",
                LoginRejection::BadPublicKey => "bad_public_key",
                LoginRejection::BadSignatureEncoding => "bad_signature",
                LoginRejection::SignatureMismatch => "signature_mismatch",
                LoginRejection::NonceUsed { .. } => "nonce_used",
            },
            Self::Upload(_) => "bad_upload_request",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::NotFound { .. } | Self::Blob(BlobError::NotFound { .. }) => "not_found",
            Self::NotAttested(_) => "not_attested",
            Self::UnknownGene { .. } => "unknown_gene",
            Self::UnknownSource(_) => "unknown_source",
            Self::Conflict { code, .. } => code,
            Self::Table(TableError::ConditionFailed { .. }) => "conflict",
            Self::Key(_) => "bad_key",
            Self::Blob(BlobError::Rejected { .. }) => "rejected_by_storage",
            Self::Table(_)
            | Self::Blob(_)
            | Self::Queue(_)
            | Self::Validation { .. }
            | Self::Analysis { .. } => "unavailable",
            Self::Chain(_) => "chain_failed",
            Self::Configuration { .. } => "misconfigured",
            Self::SubscriptionRequired { .. } => "subscription_required",
            Self::TooManyUploads { .. } => "too_many_uploads",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::ChainUnavailable(_) => "chain_unavailable",
            Self::ChainNotConfigured => "chain_not_configured",
            Self::ChainRead { .. } => "chain_read_failed",
            Self::Source { .. } => "source_failed",
        }
    }

    /// Whether retrying the same request or event may succeed (storage, table, queue outages).
    /// Event handlers return these errors so the platform retries; the rest are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Table(TableError::Corrupt { .. } | TableError::ConditionFailed { .. })
            | Self::Blob(BlobError::Rejected { .. } | BlobError::NotFound { .. }) => false,
            Self::Table(_)
            | Self::Blob(_)
            | Self::Queue(_)
            | Self::Validation { .. }
            | Self::Analysis { .. }
            | Self::ChainUnavailable(_) => true,
            Self::Source { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// The message an API response carries: the error's own, except for failures of the
    /// server's side (5xx), whose messages name internals (paths, SQL, hosts) and are logged
    /// instead: those say what failed in general and that trying again may work.
    ///
    /// ```
    /// use genoflow_core::{Error, ports::TableError};
    /// let outage = Error::Table(TableError::Unavailable { operation: "GetItem", message: "disk I/O error at /srv/genoflow.sqlite3".into() });
    /// assert!(!outage.public_message().contains("/srv"));
    /// ```
    pub fn public_message(&self) -> String {
        match self {
            Self::Table(TableError::Corrupt { .. }) => {
                "a stored record could not be read; the server's operator has to look at it".into()
            }
            Self::Table(_) | Self::Blob(_) | Self::Queue(_)
                if self.http_status() >= 500 =>
            {
                "the server's storage did not answer; try again shortly".into()
            }
            Self::Validation { .. } | Self::Analysis { .. } => {
                "the server could not process the file; try again shortly".into()
            }
            Self::Chain(_) => "the chain transaction could not be made; the server's operator has to look at it".into(),
            Self::Configuration { .. } => {
                "the server is misconfigured; its operator has to look at it".into()
            }
            Self::ChainUnavailable(_) => "the Stacks node did not answer; try again shortly".into(),
            Self::ChainRead { .. } => {
                "the chain could not answer; the server's operator should check its registry contract".into()
            }
            Self::Source { .. } => "an oracle source failed; try again later".into(),
            _ => self.to_string(),
        }
    }

    /// The API error body `{"error": {"code", "message"}}`.
    ///
    /// ```
    /// use genoflow_core::Error;
    /// let error = Error::NotFound { what: "dataset", id: "d1".into() };
    /// assert_eq!(error.http_status(), 404);
    /// assert_eq!(error.body().to_string(), r#"{"error":{"code":"not_found","message":"no dataset d1"}}"#);
    /// ```
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code(), "message": self.public_message()}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_retryable_and_answers_are_not() {
        let outage = Error::Table(TableError::Unavailable {
            operation: "GetItem",
            message: "timeout".into(),
        });
        assert!(outage.is_retryable());
        assert_eq!((outage.http_status(), outage.code()), (503, "unavailable"));

        let conflict = Error::Table(TableError::ConditionFailed { what: "x".into() });
        assert!(!conflict.is_retryable());
        assert_eq!(conflict.http_status(), 409);

        let replay = Error::from(LoginRejection::NonceUsed {
            address: "SP1".into(),
            nonce: 1,
        });
        assert!(!replay.is_retryable());
        assert_eq!((replay.http_status(), replay.code()), (401, "nonce_used"));

        let too_far = Error::from(LoginRejection::ExpiresTooFar {
            expires: 2,
            now: 1,
            max_seconds: 600,
        });
        assert_eq!(too_far.http_status(), 400);

        let bad_token = Error::from(TokenError::BadSignature);
        assert_eq!(
            (bad_token.http_status(), bad_token.code()),
            (401, "unauthenticated")
        );
        assert_eq!(
            Error::from(UploadRejection::FileCount(3)).body()["error"]["code"],
            "bad_upload_request"
        );
    }
}
