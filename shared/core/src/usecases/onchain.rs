//! What the dataset and marketplace routes read from GenoFlow's contracts: typed read-only calls
//! through the node ([`Chain::call_read_only`]) behind a short cache, and the link between a
//! sample and its registry record.
//!
//! **Cache.** Answers are kept per call (contract, function, arguments): for [`CACHE_TTL`]
//! (30 s), or [`NOT_YET_TTL`] (5 s) for an answer that something does not exist or is not so
//! (yet): a `none` or a `false`, which the user's next transaction may change. A `false` of
//! `marketplace.has-access` and a `none` of `marketplace.get-purchase` are never kept, and a
//! decision to grant access never uses a kept `none` or `false`: a purchase opens the data as
//! soon as its block is in. Failed calls are never kept. So the routes show the chain as it was
//! at most 30 s ago, a page read by many people costs the node one call per distinct read every
//! 30 s, and the cache holds at most [`CACHE_ENTRIES`] answers.
//!
//! **Link.** A sample is linked to the registry record of its `inputs_hash`
//! (`registry.get-dataset-id`, then `get-dataset`) only when that record's `owner` is the
//! sample's owner; a record of the same hash owned by anyone else is a
//! [`Link::Conflict`] and grants nothing.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

use genoflow_stacks::{
    clarity::{ClarityValue, Principal},
    contracts::{Binding, CallError, identity, marketplace, oracle, registry, reputation},
    transaction::{ContractCall, Network},
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::{
    error::Error,
    model::Sample,
    ports::{Chain, ChainError, Clock, Table},
};

/// How long an answer is kept: the most the routes lag the chain.
pub const CACHE_TTL: Duration = Duration::seconds(30);
/// How long a `none` or `false` is kept (see the module's notes).
pub const NOT_YET_TTL: Duration = Duration::seconds(5);
/// The most answers kept; when full, expired answers are dropped, then all if none expired.
pub const CACHE_ENTRIES: usize = 10_000;
/// The registry setting, as errors name it.
pub const REGISTRY_SETTING: &str =
    "the registry contract (GENOFLOW_REGISTRY_CONTRACT; genoflow serve --registry)";
/// The `uri` of a GenoFlow sample's registry record is this prefix and the sample id.
pub const SAMPLE_URI_PREFIX: &str = "genoflow:sample:";
/// The `kind` of a GenoFlow sample's registry record.
pub const SAMPLE_KIND: &str = "sample";

/// The six contracts' ids, all deployed by one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contracts {
    /// The deployer's address (`ADDR`); also the sender of every read-only call.
    pub deployer: String,
    /// `ADDR.registry`.
    pub registry: String,
    /// `ADDR.marketplace`.
    pub marketplace: String,
    /// `ADDR.identity`.
    pub identity: String,
    /// `ADDR.reputation`.
    pub reputation: String,
    /// `ADDR.oracle` (a deployment may name another oracle contract).
    pub oracle: String,
}

impl Contracts {
    /// The contracts deployed next to `registry` (`ADDR.registry`) on `network`.
    ///
    /// ```
    /// use genoflow_core::usecases::onchain::Contracts;
    /// use genoflow_stacks::transaction::Network;
    /// let contracts = Contracts::from_registry("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry", Network::Testnet)?;
    /// assert_eq!(contracts.marketplace, "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.marketplace");
    /// assert_eq!(contracts.oracle, "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.oracle");
    /// assert!(Contracts::from_registry("ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM", Network::Testnet).is_err());
    /// # Ok::<(), genoflow_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Configuration`] when `registry` is not a contract id of `network`.
    pub fn from_registry(registry: &str, network: Network) -> Result<Self, Error> {
        let principal = super::contract_setting(REGISTRY_SETTING, registry, "registry", network)?;
        let deployer = principal.address().to_string();
        let id = |name: &str| format!("{deployer}.{name}");
        Ok(Self {
            registry: registry.to_owned(),
            marketplace: id("marketplace"),
            identity: id("identity"),
            reputation: id("reputation"),
            oracle: id("oracle"),
            deployer,
        })
    }
}

/// A registry record (`registry.get-dataset`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatasetRecord {
    /// Its current owner.
    pub owner: String,
    /// The registered SHA-256.
    pub hash: Vec<u8>,
    /// `sample` for GenoFlow samples.
    pub kind: String,
    /// `genoflow:sample:{sample_id}` for GenoFlow samples.
    pub uri: String,
}

impl DatasetRecord {
    /// The sample id a GenoFlow sample's record names (`kind` `sample`, `uri`
    /// `genoflow:sample:{id}`): only a hint, to be checked against the sample.
    pub fn sample_hint(&self) -> Option<&str> {
        (self.kind == SAMPLE_KIND)
            .then(|| self.uri.strip_prefix(SAMPLE_URI_PREFIX))
            .flatten()
            .filter(|id| !id.is_empty())
    }
}

/// A listing (`marketplace.get-listing`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listing {
    /// Its id.
    pub listing_id: u64,
    /// The registry record sold.
    pub dataset_id: u64,
    /// Who listed it.
    pub seller: String,
    /// Micro-STX.
    pub price: u64,
    /// Open for purchase.
    pub active: bool,
}

/// An identity (`identity.get-identity`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The registered name.
    pub name: String,
    /// `researcher`, `clinician`, `lab`, `student` (`role-{n}` for another number).
    pub role: String,
    /// Verified by the identity contract's owner.
    pub verified: bool,
}

/// A seller's reputation (`reputation.get-reputation`; zeros when none).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reputation {
    /// Number of ratings.
    pub ratings: u64,
    /// Sum of their scores (1–5 each).
    pub total: u64,
    /// Endorsements by verified identities.
    pub endorsements: u64,
    /// Ratings by raters verified when they rated.
    pub verified_ratings: u64,
    /// Sum of those.
    pub verified_total: u64,
}

/// A value the oracle contract holds (`oracle.get-value`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnChainValue {
    /// The 32-byte value, hex.
    pub value: String,
    /// Its timestamp, unix seconds.
    pub timestamp: u64,
    /// The compressed public key of the oracle that signed it, hex.
    pub oracle: String,
    /// The block height it was submitted at.
    pub submitted_at: u64,
}

/// How a sample stands on chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// No registry record has its `inputs_hash` (or the hash cannot be computed: a file's
    /// record is gone).
    Unregistered,
    /// Record `dataset_id` has its hash and belongs to its owner.
    Registered {
        /// The registry record.
        dataset_id: u64,
    },
    /// Record `dataset_id` has its hash but belongs to someone else: it grants nothing.
    Conflict {
        /// The other owner's record.
        dataset_id: u64,
    },
}

#[derive(Clone)]
struct Cached {
    value: ClarityValue,
    until: OffsetDateTime,
}

/// The contracts' read-only functions through a node, cached (see the module's notes).
pub struct ChainReads {
    chain: Arc<dyn Chain>,
    contracts: Contracts,
    sender: Principal,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<String, Cached>>,
    /// A listing id known to exist (ids are contiguous from 1 and never deleted).
    known_listing: AtomicU64,
}

impl ChainReads {
    /// Reads through `chain` from the contracts deployed next to `registry` on `network`.
    ///
    /// # Errors
    /// [`Error::Configuration`] when `registry` is not a contract id of `network`.
    pub fn new(
        chain: Arc<dyn Chain>,
        registry: &str,
        network: Network,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        let contracts = Contracts::from_registry(registry, network)?;
        let sender = Principal::parse(&contracts.deployer).map_err(|e| Error::Configuration {
            setting: REGISTRY_SETTING,
            message: e.to_string(),
        })?;
        Ok(Self {
            chain,
            contracts,
            sender,
            clock,
            cache: Mutex::new(HashMap::new()),
            known_listing: AtomicU64::new(0),
        })
    }

    /// The contracts read.
    pub fn contracts(&self) -> &Contracts {
        &self.contracts
    }

    /// Runs `call` (a binding's), or answers the kept answer (not a kept `none` or `false`
    /// when `fresh`); keeps the answer as the module's notes say.
    async fn call(
        &self,
        call: Result<ContractCall, CallError>,
        fresh: bool,
    ) -> Result<ClarityValue, Error> {
        self.call_kept(call, fresh, false).await
    }

    /// [`Self::call`]; `bypass`: asks the node whatever is kept (and keeps the new answer).
    async fn call_kept(
        &self,
        call: Result<ContractCall, CallError>,
        fresh: bool,
        bypass: bool,
    ) -> Result<ClarityValue, Error> {
        let call = call.map_err(|e| Error::ChainRead {
            call: e.binding().to_string(),
            message: e.to_string(),
        })?;
        let contract = call.contract_id();
        let function = call.function_name.as_str();
        let key = format!(
            "{contract}.{function}({})",
            call.args
                .iter()
                .map(ClarityValue::to_hex)
                .collect::<Vec<_>>()
                .join(",")
        );
        let now = self.clock.now();
        if let Some(hit) = self
            .cache()
            .get(&key)
            .filter(|hit| !bypass && hit.until > now && !(fresh && not_yet(&hit.value)))
        {
            return Ok(hit.value.clone());
        }
        let value = match self.chain.call_read_only(&call, &self.sender).await {
            Ok(value) => value,
            Err(ChainError::Unavailable(message)) => return Err(Error::ChainUnavailable(message)),
            Err(other) => {
                return Err(Error::ChainRead {
                    call: format!("{contract}.{function}"),
                    message: other.to_string(),
                });
            }
        };
        let never_kept = [marketplace::HAS_ACCESS, marketplace::GET_PURCHASE]
            .iter()
            .any(|b| b.function == function);
        let keep = match (never_kept, not_yet(&value)) {
            (true, true) => None,
            (_, true) => Some(NOT_YET_TTL),
            (_, false) => Some(CACHE_TTL),
        };
        if let Some(ttl) = keep {
            let mut cache = self.cache();
            if cache.len() >= CACHE_ENTRIES {
                cache.retain(|_, entry| entry.until > now);
                if cache.len() >= CACHE_ENTRIES {
                    cache.clear();
                }
            }
            cache.insert(
                key,
                Cached {
                    value: value.clone(),
                    until: now + ttl,
                },
            );
        }
        Ok(value)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `registry.get-dataset-id(hash)`; `fresh`: not from a kept `none`.
    ///
    /// # Errors
    /// [`Error::ChainUnavailable`] when the node is down; [`Error::ChainRead`] for a call that
    /// fails or answers another shape (the same for every read below).
    pub async fn dataset_id_of(&self, hash: &[u8], fresh: bool) -> Result<Option<u64>, Error> {
        let contract = &self.contracts.registry;
        let hash = hash_arg(contract, &registry::GET_DATASET_ID, hash)?;
        let answer = self
            .call(registry::get_dataset_id(contract, hash), fresh)
            .await?;
        let read = Answer::new(contract, registry::GET_DATASET_ID.function, &answer);
        read.optional(&answer)?.map(|id| read.uint(id)).transpose()
    }

    /// `registry.get-dataset(id)`.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn dataset(&self, dataset_id: u64) -> Result<Option<DatasetRecord>, Error> {
        let contract = &self.contracts.registry;
        let answer = self
            .call(registry::get_dataset(contract, dataset_id.into()), false)
            .await?;
        let read = Answer::new(contract, registry::GET_DATASET.function, &answer);
        let Some(record) = read.optional(&answer)? else {
            return Ok(None);
        };
        Ok(Some(DatasetRecord {
            owner: read.principal(read.field(record, "owner")?)?,
            hash: read.buffer(read.field(record, "hash")?)?,
            kind: read.text(read.field(record, "kind")?)?,
            uri: read.text(read.field(record, "uri")?)?,
        }))
    }

    /// Whether `registry.get-result(dataset_id, result_hash)` holds a record.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn result_recorded(
        &self,
        dataset_id: u64,
        result_hash: &[u8],
    ) -> Result<bool, Error> {
        let contract = &self.contracts.registry;
        let result_hash = hash_arg(contract, &registry::GET_RESULT, result_hash)?;
        let answer = self
            .call(
                registry::get_result(contract, dataset_id.into(), result_hash),
                false,
            )
            .await?;
        let read = Answer::new(contract, registry::GET_RESULT.function, &answer);
        Ok(read.optional(&answer)?.is_some())
    }

    /// `marketplace.get-active-listing(dataset_id)`.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn active_listing(&self, dataset_id: u64) -> Result<Option<u64>, Error> {
        let contract = &self.contracts.marketplace;
        let answer = self
            .call(
                marketplace::get_active_listing(contract, dataset_id.into()),
                false,
            )
            .await?;
        let read = Answer::new(contract, marketplace::GET_ACTIVE_LISTING.function, &answer);
        read.optional(&answer)?.map(|id| read.uint(id)).transpose()
    }

    /// `marketplace.get-listing(listing_id)`.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn listing(&self, listing_id: u64) -> Result<Option<Listing>, Error> {
        let contract = &self.contracts.marketplace;
        let answer = self
            .call(marketplace::get_listing(contract, listing_id.into()), false)
            .await?;
        let read = Answer::new(contract, marketplace::GET_LISTING.function, &answer);
        let Some(listing) = read.optional(&answer)? else {
            return Ok(None);
        };
        let listing = Listing {
            listing_id,
            dataset_id: read.uint(read.field(listing, "dataset-id")?)?,
            seller: read.principal(read.field(listing, "seller")?)?,
            price: read.uint(read.field(listing, "price")?)?,
            active: read.bool(read.field(listing, "active")?)?,
        };
        self.known_listing.fetch_max(listing_id, Ordering::Relaxed);
        Ok(Some(listing))
    }

    /// The newest listing id (0: none yet). Ids are contiguous from 1 and never deleted, so it
    /// is found by probing `get-listing`: up from the newest id seen so far by doubling steps,
    /// then by halving between the last id that exists and the first that does not. With the
    /// cache, an unchanged marketplace costs no call; `n` new listings cost about `2·log2(n)+1`.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn latest_listing(&self) -> Result<u64, Error> {
        let mut low = self.known_listing.load(Ordering::Relaxed);
        let mut step = 1_u64;
        let mut high = loop {
            let probe = low.saturating_add(step);
            if probe == low || self.listing(probe).await?.is_none() {
                break probe;
            }
            low = probe;
            step = step.saturating_mul(2);
        };
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if self.listing(middle).await?.is_some() {
                low = middle;
            } else {
                high = middle;
            }
        }
        Ok(low)
    }

    /// `marketplace.has-access(dataset_id, who)`; a `false` is never cached.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn has_access(&self, dataset_id: u64, who: &str) -> Result<bool, Error> {
        let who = self.principal_arg(who)?;
        let contract = &self.contracts.marketplace;
        let answer = self
            .call(
                marketplace::has_access(contract, dataset_id.into(), &who),
                false,
            )
            .await?;
        Answer::new(contract, marketplace::HAS_ACCESS.function, &answer).bool(&answer)
    }

    /// Whether `marketplace.get-purchase(listing_id, who)` holds a purchase; a `none` is never
    /// cached.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn purchased(&self, listing_id: u64, who: &str) -> Result<bool, Error> {
        let who = self.principal_arg(who)?;
        let contract = &self.contracts.marketplace;
        let answer = self
            .call(
                marketplace::get_purchase(contract, listing_id.into(), &who),
                false,
            )
            .await?;
        let read = Answer::new(contract, marketplace::GET_PURCHASE.function, &answer);
        Ok(read.optional(&answer)?.is_some())
    }

    /// `identity.get-identity(who)`.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn identity(&self, who: &str) -> Result<Option<Identity>, Error> {
        let who = self.principal_arg(who)?;
        let contract = &self.contracts.identity;
        let answer = self
            .call(identity::get_identity(contract, &who), false)
            .await?;
        let read = Answer::new(contract, identity::GET_IDENTITY.function, &answer);
        let Some(identity) = read.optional(&answer)? else {
            return Ok(None);
        };
        let role = match read.uint(read.field(identity, "role")?)? {
            1 => "researcher".to_owned(),
            2 => "clinician".to_owned(),
            3 => "lab".to_owned(),
            4 => "student".to_owned(),
            other => format!("role-{other}"),
        };
        Ok(Some(Identity {
            name: read.text(read.field(identity, "name")?)?,
            role,
            verified: read.bool(read.field(identity, "verified")?)?,
        }))
    }

    /// `reputation.get-reputation(who)`.
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn reputation(&self, who: &str) -> Result<Reputation, Error> {
        let who = self.principal_arg(who)?;
        let contract = &self.contracts.reputation;
        let answer = self
            .call(reputation::get_reputation(contract, &who), false)
            .await?;
        let read = Answer::new(contract, reputation::GET_REPUTATION.function, &answer);
        let number = |name: &str| read.uint(read.field(&answer, name)?);
        Ok(Reputation {
            ratings: number("ratings")?,
            total: number("total")?,
            endorsements: number("endorsements")?,
            verified_ratings: number("verified-ratings")?,
            verified_total: number("verified-total")?,
        })
    }

    /// `oracle.get-value(key)` of the oracle contract `oracle` (`ADDRESS.oracle`); `bypass`:
    /// asked of the node even if an answer is kept (a record the oracle saw confirmed that the
    /// kept answer does not show yet).
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`].
    pub async fn oracle_value(
        &self,
        oracle: &str,
        key: &[u8; 32],
        bypass: bool,
    ) -> Result<Option<OnChainValue>, Error> {
        let answer = self
            .call_kept(oracle::get_value(oracle, key), false, bypass)
            .await?;
        let read = Answer::new(oracle, oracle::GET_VALUE.function, &answer);
        let Some(stored) = read.optional(&answer)? else {
            return Ok(None);
        };
        Ok(Some(OnChainValue {
            value: hex::encode(read.buffer(read.field(stored, "value")?)?),
            timestamp: read.uint(read.field(stored, "timestamp")?)?,
            oracle: hex::encode(read.buffer(read.field(stored, "oracle")?)?),
            submitted_at: read.uint(read.field(stored, "submitted-at")?)?,
        }))
    }

    /// How `sample` stands on chain (see [`Link`]); `fresh` when the answer decides access
    /// (an unregistered sample is then asked again, not taken from the cache).
    ///
    /// # Errors
    /// As [`ChainReads::dataset_id_of`]; table failures.
    pub async fn link(
        &self,
        table: &dyn Table,
        sample: &Sample,
        fresh: bool,
    ) -> Result<Link, Error> {
        let Some(hash) = inputs_hash(table, sample).await? else {
            return Ok(Link::Unregistered);
        };
        let Some(dataset_id) = self.dataset_id_of(&hash, fresh).await? else {
            return Ok(Link::Unregistered);
        };
        match self.dataset(dataset_id).await? {
            Some(record) if record.owner == sample.owner => Ok(Link::Registered { dataset_id }),
            _ => Ok(Link::Conflict { dataset_id }),
        }
    }

    fn principal_arg(&self, who: &str) -> Result<Principal, Error> {
        // Addresses come from verified tokens and from the chain itself.
        Principal::parse(who).map_err(|e| Error::ChainRead {
            call: self.contracts.marketplace.clone(),
            message: format!("{who} is not a principal: {e}"),
        })
    }
}

/// A `none` or a `false`: something does not exist or is not so (yet).
fn not_yet(value: &ClarityValue) -> bool {
    matches!(
        value,
        ClarityValue::Optional(None) | ClarityValue::Bool(false)
    )
}

/// `bytes` as the 32-byte hash argument of `binding` on `contract`.
fn hash_arg<'h>(contract: &str, binding: &Binding, bytes: &'h [u8]) -> Result<&'h [u8; 32], Error> {
    bytes.try_into().map_err(|_| Error::ChainRead {
        call: format!("{contract}.{}", binding.function),
        message: format!("the hash is {} bytes, not 32", bytes.len()),
    })
}

/// A sample's `inputs_hash`: `SHA-256(sha256 of file 1 ‖ … ‖ sha256 of file n)` in upload order,
/// from the analysis record once there is one, else from the files' declared SHA-256 (known at
/// upload time). `None` when a file's record is gone before the analysis.
///
/// # Errors
/// Table failures.
pub async fn inputs_hash(table: &dyn Table, sample: &Sample) -> Result<Option<Vec<u8>>, Error> {
    if let Some(hash) = sample
        .analysis
        .as_ref()
        .and_then(|analysis| hex::decode(&analysis.inputs_hash).ok())
    {
        return Ok(Some(hash));
    }
    let mut hasher = Sha256::new();
    for dataset_id in &sample.dataset_ids {
        let Some(dataset) = table.get_dataset(dataset_id).await? else {
            return Ok(None);
        };
        let Ok(sha256) = hex::decode(&dataset.sha256) else {
            return Ok(None);
        };
        hasher.update(sha256);
    }
    Ok(Some(hasher.finalize().to_vec()))
}

/// Reads the parts of one call's answer; anything else is [`Error::ChainRead`] naming the call.
struct Answer<'a> {
    contract: &'a str,
    function: &'a str,
    whole: &'a ClarityValue,
}

impl<'a> Answer<'a> {
    fn new(contract: &'a str, function: &'a str, whole: &'a ClarityValue) -> Self {
        Self {
            contract,
            function,
            whole,
        }
    }

    fn unexpected(&self, expected: &str) -> Error {
        Error::ChainRead {
            call: format!("{}.{}", self.contract, self.function),
            message: format!(
                "it answered {}, not {expected} as GenoFlow's contracts do",
                self.whole.to_hex()
            ),
        }
    }

    fn optional<'v>(&self, value: &'v ClarityValue) -> Result<Option<&'v ClarityValue>, Error> {
        match value {
            ClarityValue::Optional(inner) => Ok(inner.as_deref()),
            _ => Err(self.unexpected("an optional")),
        }
    }

    fn field<'v>(&self, value: &'v ClarityValue, name: &str) -> Result<&'v ClarityValue, Error> {
        match value {
            ClarityValue::Tuple(fields) => fields
                .iter()
                .find(|(key, _)| key.as_str() == name)
                .map(|(_, value)| value)
                .ok_or_else(|| self.unexpected(&format!("a tuple with {name}"))),
            _ => Err(self.unexpected("a tuple")),
        }
    }

    fn uint(&self, value: &ClarityValue) -> Result<u64, Error> {
        match value {
            ClarityValue::UInt(number) => {
                u64::try_from(*number).map_err(|_| self.unexpected("a uint below 2^64"))
            }
            _ => Err(self.unexpected("a uint")),
        }
    }

    fn bool(&self, value: &ClarityValue) -> Result<bool, Error> {
        match value {
            ClarityValue::Bool(flag) => Ok(*flag),
            _ => Err(self.unexpected("a bool")),
        }
    }

    fn principal(&self, value: &ClarityValue) -> Result<String, Error> {
        match value {
            ClarityValue::Principal(principal) => Ok(principal.to_string()),
            _ => Err(self.unexpected("a principal")),
        }
    }

    fn buffer(&self, value: &ClarityValue) -> Result<Vec<u8>, Error> {
        match value {
            ClarityValue::Buffer(bytes) => Ok(bytes.clone()),
            _ => Err(self.unexpected("a buffer")),
        }
    }

    fn text(&self, value: &ClarityValue) -> Result<String, Error> {
        match value {
            ClarityValue::StringAscii(text) | ClarityValue::StringUtf8(text) => Ok(text.clone()),
            _ => Err(self.unexpected("a string")),
        }
    }
}
