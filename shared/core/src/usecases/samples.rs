//! `GET /samples` and `GET /samples/{id}`: samples as the unit the user thinks in (a read pair
//! is one row), each with its whole-sample state ([`sample_state`]), its files and the report's
//! answer in short.
//!
//! Filtering, searching and the sorts other than newest-first read the owner's samples page by
//! page in the use case, at most [`SCAN_LIMIT`] per request (docs/API.md, "GET /samples"): the
//! table pages by creation time only.

use std::sync::Arc;

use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    error::Error,
    lifecycle::{SampleState, Status, sample_state},
    model::{Dataset, Problem, Sample, SampleResult, Specimen},
    ports::Table,
};

use super::{
    datasets::Access,
    datasets_of,
    onchain::{ChainReads, Link},
};

/// The most samples per `GET /samples` page.
pub const MAX_PAGE: usize = 100;

/// Samples per page when `limit` is not given.
pub const DEFAULT_PAGE: usize = 50;

/// The most samples one filtered, searched or sorted request reads: a filtered page says where
/// the reading stopped (`next`), a list sorted by `oldest` or `name` covers the owner's newest
/// [`SCAN_LIMIT`] samples (and says `truncated` when there are more).
pub const SCAN_LIMIT: usize = 500;

/// Samples read from the table at a time while filtering.
const SCAN_PAGE: usize = 100;

/// The longest `?q=`.
pub const MAX_QUERY_LEN: usize = 200;

/// One file of a sample view.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileView {
    /// The dataset (its report, proof and download routes are `/datasets/{dataset_id}/…`).
    pub dataset_id: String,
    /// The file name.
    pub filename: String,
    /// Declared size in bytes.
    pub size: u64,
    /// The file's own status.
    pub status: Status,
    /// Why the file is `invalid` or `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// A sample as `GET /samples` and `GET /samples/{id}` show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleView {
    /// The sample.
    pub sample_id: String,
    /// The name given at upload (`null` when none was).
    pub sample_name: Option<String>,
    /// The specimen details given at upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specimen: Option<Specimen>,
    /// Its files in upload order (a deleted file is left out).
    pub files: Vec<FileView>,
    /// The ids of its datasets in upload order, deleted ones included.
    pub dataset_ids: Vec<String>,
    /// Where the whole sample is.
    pub status: SampleState,
    /// Why, when it helps (for `failed`: which file and its error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// The report's answer in short, once analysed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<SampleResult>,
    /// When the report was written, RFC 3339 (`report.json` carries no date, so that the same
    /// inputs give the same bytes).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub report_date: Option<OffsetDateTime>,
    /// When the upload was requested, RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The sample's last change, RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl SampleView {
    /// The view of `sample` with the datasets of it that still exist.
    pub fn of(sample: &Sample, datasets: &[Dataset]) -> Self {
        let state = sample_state(sample, datasets);
        let analysis = sample.analysis.as_ref();
        Self {
            sample_id: sample.sample_id.clone(),
            sample_name: sample.sample_name.clone(),
            specimen: sample.specimen.clone(),
            files: sample
                .dataset_ids
                .iter()
                .filter_map(|id| datasets.iter().find(|d| &d.dataset_id == id))
                .map(|d| FileView {
                    dataset_id: d.dataset_id.clone(),
                    filename: d.filename.clone(),
                    size: d.size,
                    status: d.status,
                    error: d.error.clone(),
                })
                .collect(),
            dataset_ids: sample.dataset_ids.clone(),
            status: state.state,
            status_reason: state.reason,
            result: analysis.and_then(|a| a.result.clone()),
            report_date: analysis.and_then(|a| a.analyzed_at),
            created_at: sample.created_at,
            updated_at: sample.updated_at,
        }
    }
}

/// The `GET /samples/{id}` body: the sample and why the caller may read it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleDetail {
    /// The sample.
    #[serde(flatten)]
    pub sample: SampleView,
    /// `owner` or `purchase`.
    pub access: Access,
}

/// The `GET /samples` body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SampleList {
    /// This page.
    pub samples: Vec<SampleView>,
    /// Pass as `?cursor=` (with the same other parameters) for the next page; absent on the
    /// last. A filtered page may hold fewer than `limit` samples and still have a next one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// `true` when a list sorted by `oldest` or `name` covers only the owner's newest
    /// [`SCAN_LIMIT`] samples.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// `?result=`: which report answers to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultFilter {
    /// One classification (`MDR-TB`, `none`, …), compared without case.
    Classification(String),
    /// At least one drug resistant.
    Resistant,
    /// Analysed, and no drug resistant.
    Susceptible,
    /// Analysed, and at least one drug not assessed.
    NotAssessed,
}

impl ResultFilter {
    /// Reads `?result=`.
    ///
    /// # Errors
    /// What the parameter may be, when it is none of it.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "resistant" => Ok(Self::Resistant),
            "susceptible" => Ok(Self::Susceptible),
            "not_assessed" => Ok(Self::NotAssessed),
            other => genoflow_genomics::analysis::Classification::parse(other)
                .map(|class| Self::Classification(class.as_str().to_owned()))
                .ok_or_else(|| {
                    let classes: Vec<&str> = genoflow_genomics::analysis::Classification::ALL
                        .iter()
                        .map(|c| c.as_str())
                        .collect();
                    format!(
                        "{other:?} is not a result; use resistant, susceptible, not_assessed or a classification ({})",
                        classes.join(", ")
                    )
                }),
        }
    }

    fn keeps(&self, result: Option<&SampleResult>) -> bool {
        let Some(result) = result else { return false };
        match self {
            Self::Classification(class) => result.classification.eq_ignore_ascii_case(class),
            Self::Resistant => !result.resistant_drugs.is_empty(),
            Self::Susceptible => result.resistant_drugs.is_empty(),
            Self::NotAssessed => !result.not_assessed_drugs.is_empty(),
        }
    }
}

/// `?sort=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SampleSort {
    /// Newest first (the default, paged by the table).
    #[default]
    Newest,
    /// Oldest first.
    Oldest,
    /// By name (case-insensitive; unnamed samples last), then newest first.
    Name,
}

impl SampleSort {
    /// Reads `?sort=`.
    ///
    /// # Errors
    /// What the parameter may be, when it is none of it.
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "newest" => Ok(Self::Newest),
            "oldest" => Ok(Self::Oldest),
            "name" => Ok(Self::Name),
            other => Err(format!(
                "{other:?} is not a sort order; use newest, oldest or name"
            )),
        }
    }
}

/// What `GET /samples` asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SampleQuery {
    /// Case-insensitive substring of the sample name, the specimen id or a file name.
    pub q: Option<String>,
    /// Only samples in this state.
    pub status: Option<SampleState>,
    /// Only samples with this report answer.
    pub result: Option<ResultFilter>,
    /// The order.
    pub sort: SampleSort,
    /// Samples per page (clamped to 1..=[`MAX_PAGE`]).
    pub limit: usize,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

impl SampleQuery {
    fn filters(&self) -> bool {
        self.q.is_some() || self.status.is_some() || self.result.is_some()
    }

    fn keeps(&self, view: &SampleView) -> bool {
        if let Some(status) = self.status
            && view.status != status
        {
            return false;
        }
        if let Some(result) = &self.result
            && !result.keeps(view.result.as_ref())
        {
            return false;
        }
        if let Some(q) = &self.q {
            let q = q.to_lowercase();
            let hit = |text: Option<&str>| text.is_some_and(|t| t.to_lowercase().contains(&q));
            let specimen_id = view
                .specimen
                .as_ref()
                .and_then(|s| s.specimen_id.as_deref());
            if !(hit(view.sample_name.as_deref())
                || hit(specimen_id)
                || view.files.iter().any(|f| hit(Some(&f.filename))))
            {
                return false;
            }
        }
        true
    }
}

/// The sample routes.
pub struct Samples {
    /// Sample and dataset records.
    pub table: Arc<dyn Table>,
    /// The contracts, when a node is configured: reads by buyers. `None`: owners only.
    pub chain: Option<Arc<ChainReads>>,
}

impl Samples {
    /// `GET /samples/{id}`: the sample, for its owner, or for an address
    /// `marketplace.has-access` names for the sample's registry record.
    ///
    /// # Errors
    /// [`Error::NotFound`] when absent or not the caller's to read (the two look the same);
    /// [`Error::ChainUnavailable`] when a non-owner's access cannot be read; table failures.
    pub async fn get(&self, caller: &str, sample_id: &str) -> Result<SampleDetail, Error> {
        let not_found = || Error::NotFound {
            what: "sample",
            id: sample_id.to_owned(),
        };
        let sample = self
            .table
            .get_sample(sample_id)
            .await?
            .ok_or_else(not_found)?;
        let access = if sample.owner == caller {
            Access::Owner
        } else {
            let Some(chain) = &self.chain else {
                return Err(not_found());
            };
            let Link::Registered { dataset_id: record } =
                chain.link(self.table.as_ref(), &sample, true).await?
            else {
                return Err(not_found());
            };
            if !chain.has_access(record, caller).await? {
                return Err(not_found());
            }
            Access::Purchase
        };
        let datasets = datasets_of(self.table.as_ref(), &sample).await?;
        Ok(SampleDetail {
            sample: SampleView::of(&sample, &datasets),
            access,
        })
    }

    /// `GET /samples`: the owner's samples, one row per sample, filtered and sorted as `query`
    /// says.
    ///
    /// # Errors
    /// Table failures; [`crate::ports::TableError::Corrupt`] for a cursor this API did not
    /// return.
    pub async fn list(&self, owner: &str, query: &SampleQuery) -> Result<SampleList, Error> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        match query.sort {
            SampleSort::Newest if !query.filters() => {
                let page = self
                    .table
                    .list_samples(owner, limit, query.cursor.as_deref())
                    .await?;
                let mut samples = Vec::with_capacity(page.samples.len());
                for sample in &page.samples {
                    samples.push(self.view(sample).await?);
                }
                Ok(SampleList {
                    samples,
                    next: page.next,
                    truncated: false,
                })
            }
            SampleSort::Newest => self.filtered(owner, query, limit).await,
            SampleSort::Oldest | SampleSort::Name => self.sorted(owner, query, limit).await,
        }
    }

    async fn view(&self, sample: &Sample) -> Result<SampleView, Error> {
        let datasets = datasets_of(self.table.as_ref(), sample).await?;
        Ok(SampleView::of(sample, &datasets))
    }

    /// Newest first with filters: reads table pages from the cursor until `limit` samples
    /// matched or [`SCAN_LIMIT`] were read; `next` continues after the last one read.
    async fn filtered(
        &self,
        owner: &str,
        query: &SampleQuery,
        limit: usize,
    ) -> Result<SampleList, Error> {
        let mut cursor = query.cursor.clone();
        let (mut samples, mut read) = (Vec::new(), 0usize);
        loop {
            let page = self
                .table
                .list_samples(owner, SCAN_PAGE.min(SCAN_LIMIT - read), cursor.as_deref())
                .await?;
            let count = page.samples.len();
            for (index, sample) in page.samples.iter().enumerate() {
                read += 1;
                let view = self.view(sample).await?;
                if query.keeps(&view) {
                    samples.push(view);
                }
                if samples.len() == limit {
                    let more = index + 1 < count || page.next.is_some();
                    let next = more.then(|| crate::ports::PageCursor::after(sample));
                    return Ok(SampleList {
                        samples,
                        next: next.map(|c| c.to_string()),
                        truncated: false,
                    });
                }
            }
            match page.next {
                Some(next) if read < SCAN_LIMIT => cursor = Some(next),
                next => {
                    return Ok(SampleList {
                        samples,
                        next,
                        truncated: false,
                    });
                }
            }
        }
    }

    /// Oldest first or by name: the owner's newest [`SCAN_LIMIT`] samples, filtered, sorted
    /// and paged by position (the cursor is `+{offset}`).
    async fn sorted(
        &self,
        owner: &str,
        query: &SampleQuery,
        limit: usize,
    ) -> Result<SampleList, Error> {
        let offset = match query.cursor.as_deref() {
            None => 0,
            Some(cursor) => parse_offset(cursor).ok_or_else(|| {
                Error::Table(crate::ports::TableError::Corrupt {
                    what: "list cursor".to_owned(),
                    message: format!("{cursor:?} is not a cursor this API returned"),
                })
            })?,
        };
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        let mut truncated = false;
        loop {
            let page = self
                .table
                .list_samples(
                    owner,
                    SCAN_PAGE.min(SCAN_LIMIT - all.len()),
                    cursor.as_deref(),
                )
                .await?;
            all.extend(page.samples);
            match page.next {
                Some(next) if all.len() < SCAN_LIMIT => cursor = Some(next),
                Some(_) => {
                    truncated = true;
                    break;
                }
                None => break,
            }
        }
        let mut views = Vec::with_capacity(all.len());
        for sample in &all {
            let view = self.view(sample).await?;
            if query.keeps(&view) {
                views.push(view);
            }
        }
        match query.sort {
            SampleSort::Oldest => {
                views.sort_by(|a, b| {
                    (a.created_at, &a.sample_id).cmp(&(b.created_at, &b.sample_id))
                });
            }
            _ => views.sort_by(|a, b| {
                let key = |v: &SampleView| v.sample_name.as_ref().map(|n| n.to_lowercase());
                match (key(a), key(b)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(|| (b.created_at, &b.sample_id).cmp(&(a.created_at, &a.sample_id)))
            }),
        }
        let end = offset.saturating_add(limit).min(views.len());
        let samples: Vec<SampleView> = views
            .get(offset.min(views.len())..end)
            .unwrap_or_default()
            .to_vec();
        let next = (end < views.len()).then(|| format!("+{end}"));
        Ok(SampleList {
            samples,
            next,
            truncated,
        })
    }
}

/// The offset of a `+{offset}` cursor.
fn parse_offset(cursor: &str) -> Option<usize> {
    cursor
        .strip_prefix('+')
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
}
