//! The public marketplace and the caller's purchases, read from the chain.
//!
//! A listing is shown when it is active and its registry record is a GenoFlow sample's: `kind`
//! `sample`, `uri` `genoflow:sample:{sample_id}` naming a sample of this server whose
//! `inputs_hash` is the record's hash and whose owner is the record's owner and the listing's
//! seller. The `uri` is only a hint: those checks are what make a listing a sample's. A listing
//! shows the seller's identity and reputation and the sample's public summary (file names,
//! formats, sizes, read and base counts, whether it is analysed and the drugs it is resistant
//! to), never a download link.
//!
//! **Paging.** Listing ids are contiguous from `u1` and never deleted, so pages go down from the
//! newest id ([`ChainReads::latest_listing`]) and `next` is the next id to look at. One request
//! examines at most [`MAX_EXAMINED`] listings, [`CONCURRENCY`] at a time, so a page can be
//! shorter than `limit` and still have a `next`. `/purchases` walks the same ids and asks
//! `marketplace.get-purchase(listing, caller)` of each listing not the caller's own.

use std::{collections::HashMap, sync::Arc};

use futures_util::future::join_all;
use serde::Serialize;

use crate::{
    error::Error,
    keys::results_prefix,
    model::{AnalysisRecord, Dataset, Sample},
    ports::{BlobError, BlobStore, Table},
};

use super::{
    analyze::REPORT_FILE,
    onchain::{ChainReads, Identity, Listing, Reputation, inputs_hash},
};

/// The most listings one request examines (marketplace pages and purchases).
pub const MAX_EXAMINED: u64 = 50;
/// How many listings are read from the node at once.
pub const CONCURRENCY: u64 = 8;
/// The most listings or purchases per page.
pub const MAX_LIMIT: usize = 50;
/// Listings or purchases per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;

/// A listing's seller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Seller {
    /// The Stacks address.
    pub address: String,
    /// The registered name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `researcher`, `clinician`, `lab` or `student`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Verified by the identity contract's owner.
    pub verified: bool,
}

/// One file of a listed sample, as the marketplace shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OfferedFile {
    /// The file name.
    pub filename: String,
    /// The detected format.
    pub format: Option<String>,
    /// Bytes.
    pub size: u64,
    /// Records (reads, sequences, alignments, variants) the validator counted.
    pub records: Option<u64>,
    /// Bases (FASTQ, FASTA).
    pub bases: Option<u64>,
}

/// The public summary of a listed sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OfferedSample {
    /// The sample.
    pub sample_id: String,
    /// Its files, in upload order.
    pub files: Vec<OfferedFile>,
    /// The analysis is done.
    pub analysed: bool,
    /// The analysis configuration's hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline_id: Option<String>,
    /// The report's overall class (`MDR-TB`, `none`, …; absent for samples analysed before
    /// reports had one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// Drugs the report calls resistant, first-line first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resistant_drugs: Option<Vec<String>>,
}

/// One listing of `GET /marketplace` and `GET /marketplace/{listing_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MarketListing {
    /// The listing.
    pub listing_id: u64,
    /// The registry record sold.
    pub chain_dataset_id: u64,
    /// Micro-STX.
    pub price: u64,
    /// Who sells.
    pub seller: Seller,
    /// The seller's reputation.
    pub reputation: Reputation,
    /// What is sold.
    pub sample: OfferedSample,
}

/// The `GET /marketplace` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListingPage {
    /// Newest first.
    pub listings: Vec<MarketListing>,
    /// Pass as `?cursor=` for the next page; absent once every listing was examined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One sample the caller may read by purchase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Purchase {
    /// The sample.
    pub sample_id: String,
    /// The listing bought.
    pub listing_id: u64,
    /// Its registry record.
    pub chain_dataset_id: u64,
    /// The seller's address.
    pub seller: String,
    /// The sample's datasets (each readable with `GET /datasets/{id}`).
    pub dataset_ids: Vec<String>,
}

/// The `GET /purchases` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurchasePage {
    /// Newest listing first.
    pub purchases: Vec<Purchase>,
    /// Pass as `?cursor=` for the next page; absent once every listing was examined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A listing whose record is a sample of this server.
struct Offer {
    listing: Listing,
    sample: Sample,
}

/// The marketplace use case.
pub struct Marketplace {
    /// Samples and datasets.
    pub table: Arc<dyn Table>,
    /// The reports (for the resistant drugs).
    pub blobs: Arc<dyn BlobStore>,
    /// The contracts.
    pub chain: Arc<ChainReads>,
}

impl Marketplace {
    /// `GET /marketplace`: up to `limit` active listings of samples, newest first, from listing
    /// `cursor` down (the newest when `None`).
    ///
    /// # Errors
    /// [`Error::ChainUnavailable`] / [`Error::ChainRead`] when the node does not answer as the
    /// contracts do; table and blob failures.
    pub async fn listings(&self, cursor: Option<u64>, limit: usize) -> Result<ListingPage, Error> {
        let limit = limit.clamp(1, MAX_LIMIT);
        let (offers, next) = self
            .scan(
                cursor,
                limit,
                |id| async move { self.offer(id, true).await },
            )
            .await?;
        let mut sellers: HashMap<String, (Option<Identity>, Reputation)> = HashMap::new();
        let mut unique: Vec<&str> = offers.iter().map(|o| o.listing.seller.as_str()).collect();
        unique.sort_unstable();
        unique.dedup();
        for (seller, found) in unique
            .iter()
            .zip(join_all(unique.iter().map(|seller| self.seller(seller))).await)
        {
            sellers.insert((*seller).to_owned(), found?);
        }
        let mut listings = Vec::with_capacity(offers.len());
        for offer in offers {
            let found = sellers
                .get(&offer.listing.seller)
                .cloned()
                .unwrap_or_default();
            listings.push(self.show(offer, found).await?);
        }
        Ok(ListingPage { listings, next })
    }

    /// `GET /marketplace/{listing_id}`.
    ///
    /// # Errors
    /// [`Error::NotFound`] when unknown, inactive or not a sample of this server; as
    /// [`Marketplace::listings`].
    pub async fn listing(&self, listing_id: u64) -> Result<MarketListing, Error> {
        let offer = self
            .offer(listing_id, true)
            .await?
            .ok_or_else(|| Error::NotFound {
                what: "listing",
                id: listing_id.to_string(),
            })?;
        let seller = self.seller(&offer.listing.seller).await?;
        self.show(offer, seller).await
    }

    /// `GET /purchases`: the samples `caller` bought, newest listing first, from listing
    /// `cursor` down.
    ///
    /// # Errors
    /// As [`Marketplace::listings`].
    pub async fn purchases(
        &self,
        caller: &str,
        cursor: Option<u64>,
        limit: usize,
    ) -> Result<PurchasePage, Error> {
        let limit = limit.clamp(1, MAX_LIMIT);
        let (offers, next) = self
            .scan(cursor, limit, |id| async move {
                let Some(listing) = self.chain.listing(id).await? else {
                    return Ok(None);
                };
                if listing.seller == caller || !self.chain.purchased(id, caller).await? {
                    return Ok(None);
                }
                self.offer(id, false).await
            })
            .await?;
        let mut purchases = Vec::with_capacity(offers.len());
        for Offer { listing, sample } in offers {
            let mut dataset_ids = Vec::with_capacity(sample.dataset_ids.len());
            for dataset_id in &sample.dataset_ids {
                if self.table.get_dataset(dataset_id).await?.is_some() {
                    dataset_ids.push(dataset_id.clone());
                }
            }
            purchases.push(Purchase {
                sample_id: sample.sample_id,
                listing_id: listing.listing_id,
                chain_dataset_id: listing.dataset_id,
                seller: listing.seller,
                dataset_ids,
            });
        }
        Ok(PurchasePage { purchases, next })
    }

    /// Examines listing ids from `cursor` (or the newest) down with `examine`, at most
    /// [`MAX_EXAMINED`] of them and [`CONCURRENCY`] at a time, until `limit` are kept; answers
    /// them and the next id to look at.
    async fn scan<'a, F, Fut>(
        &'a self,
        cursor: Option<u64>,
        limit: usize,
        examine: F,
    ) -> Result<(Vec<Offer>, Option<String>), Error>
    where
        F: Fn(u64) -> Fut,
        Fut: Future<Output = Result<Option<Offer>, Error>> + 'a,
    {
        let latest = self.chain.latest_listing().await?;
        // The next id to look at; 0 once all were.
        let mut next = cursor.map_or(latest, |cursor| cursor.min(latest));
        let mut examined = 0;
        let mut kept = Vec::new();
        while next > 0 && examined < MAX_EXAMINED && kept.len() < limit {
            let count = CONCURRENCY.min(MAX_EXAMINED - examined).min(next);
            let ids: Vec<u64> = (next + 1 - count..=next).rev().collect();
            let results = join_all(ids.iter().map(|&id| examine(id))).await;
            for (id, result) in ids.into_iter().zip(results) {
                examined += 1;
                next = id - 1;
                if let Some(offer) = result? {
                    kept.push(offer);
                    if kept.len() == limit {
                        break;
                    }
                }
            }
        }
        Ok((kept, (next > 0).then(|| next.to_string())))
    }

    /// Listing `listing_id` if it is a sample of this server (and active, when `active_only`).
    async fn offer(&self, listing_id: u64, active_only: bool) -> Result<Option<Offer>, Error> {
        let Some(listing) = self.chain.listing(listing_id).await? else {
            return Ok(None);
        };
        if active_only && !listing.active {
            return Ok(None);
        }
        let Some(record) = self.chain.dataset(listing.dataset_id).await? else {
            return Ok(None);
        };
        let Some(sample_id) = record.sample_hint() else {
            return Ok(None);
        };
        if record.owner != listing.seller {
            return Ok(None);
        }
        let Some(sample) = self.table.get_sample(sample_id).await? else {
            return Ok(None);
        };
        if sample.owner != record.owner
            || inputs_hash(self.table.as_ref(), &sample).await?.as_deref()
                != Some(record.hash.as_slice())
        {
            return Ok(None);
        }
        Ok(Some(Offer { listing, sample }))
    }

    async fn seller(&self, address: &str) -> Result<(Option<Identity>, Reputation), Error> {
        let (identity, reputation) =
            tokio::join!(self.chain.identity(address), self.chain.reputation(address));
        Ok((identity?, reputation?))
    }

    /// The listing as the marketplace shows it.
    async fn show(
        &self,
        Offer { listing, sample }: Offer,
        (identity, reputation): (Option<Identity>, Reputation),
    ) -> Result<MarketListing, Error> {
        let mut datasets: Vec<Dataset> = Vec::with_capacity(sample.dataset_ids.len());
        for dataset_id in &sample.dataset_ids {
            if let Some(dataset) = self.table.get_dataset(dataset_id).await? {
                datasets.push(dataset);
            }
        }
        let files = datasets
            .iter()
            .map(|dataset| {
                let validation = dataset.validation.as_ref();
                let count = |pointer: &str| {
                    validation
                        .and_then(|v| v.pointer(pointer))
                        .and_then(serde_json::Value::as_u64)
                };
                OfferedFile {
                    filename: dataset.filename.clone(),
                    format: dataset.format.clone(),
                    size: dataset.size,
                    records: count("/records"),
                    bases: count("/stats/bases"),
                }
            })
            .collect();
        // The answer kept with the analysis; samples analysed before it was kept have only
        // their report to read.
        let (classification, resistant_drugs) = match (&sample.analysis, datasets.first()) {
            (
                Some(AnalysisRecord {
                    result: Some(result),
                    ..
                }),
                _,
            ) => (
                Some(result.classification.clone()),
                Some(result.resistant_drugs.clone()),
            ),
            (Some(_), Some(first)) => (None, self.resistant_drugs(&first.dataset_id).await?),
            _ => (None, None),
        };
        let (name, role, verified) = match identity {
            Some(identity) => (Some(identity.name), Some(identity.role), identity.verified),
            None => (None, None, false),
        };
        Ok(MarketListing {
            listing_id: listing.listing_id,
            chain_dataset_id: listing.dataset_id,
            price: listing.price,
            seller: Seller {
                address: listing.seller,
                name,
                role,
                verified,
            },
            reputation,
            sample: OfferedSample {
                sample_id: sample.sample_id,
                files,
                analysed: sample.analysis.is_some(),
                pipeline_id: sample.analysis.map(|analysis| analysis.pipeline_id),
                classification,
                resistant_drugs,
            },
        })
    }

    /// The drugs `report.json` of `dataset_id` calls resistant, in the report's order (`None`
    /// when there is no readable report).
    async fn resistant_drugs(&self, dataset_id: &str) -> Result<Option<Vec<String>>, Error> {
        let key = format!("{}{REPORT_FILE}", results_prefix(dataset_id));
        let bytes = match self.blobs.read_range(&key, 0..u64::MAX).await {
            Ok(bytes) => bytes,
            Err(BlobError::NotFound { .. }) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let Ok(report) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            return Ok(None);
        };
        Ok(report["resistance"].as_array().map(|calls| {
            calls
                .iter()
                .filter(|call| call["call"] == "resistant")
                .filter_map(|call| call["drug"].as_str().map(str::to_owned))
                .collect()
        }))
    }
}
