//! The anchor function: analysed samples' items → one Merkle root per batch → one
//! `registry.anchor-batch(root, size)` transaction, and a schedule that confirms, re-sends and
//! recovers batches.
//!
//! Order of writes, so that a crash anywhere loses nothing and anchors nothing twice:
//! 1. each sample is claimed into the batch (`analyzed → anchoring`, with its leaf index);
//! 2. the signed transaction is stored with the batch, and the sender's nonce counter moved, in
//!    one atomic write (so two batches never share a nonce);
//! 3. the transaction is broadcast; 4. the batch and its samples are marked `broadcast` /
//!    `anchored` and each dataset gets its `proof.json`.
//!
//! A redelivered request finds its sample `anchoring`: if the batch exists it is (re)broadcast,
//! which is harmless for a transaction already in the mempool; if it does not (a crash between 1
//! and 2), the claim is released after the lease and the sample batched again.

use std::sync::Arc;

use genoflow_stacks::{
    clarity::ClarityValue, contracts::registry, merkle::MerkleTree, node::TxStatus,
};

use crate::{
    error::Error,
    keys::results_prefix,
    lifecycle::{SampleStatus, Status},
    model::{
        AnchorRef, Batch, BatchItem, ChainTransaction, Dataset, LeaseKind, Proof, Sample,
        SubmissionStatus, new_id,
    },
    ports::{AnchorRequested, BlobStore, Chain, Clock, Message, Queue, Table, TableError},
};

use super::{
    datasets_of, hold_lease, release_lease,
    submit::{Broadcast, ContractSender, NONCE_CLAIM_ATTEMPTS, broadcast, hash32},
    transition_dataset, transition_sample,
};

/// The proof's file name under `results/{dataset_id}/`.
pub const PROOF_FILE: &str = "proof.json";

/// The anchoring account and the registry it calls.
#[derive(Debug)]
pub struct Anchorer {
    /// An account enabled with `registry.set-anchorer` (`Debug` shows its address only).
    pub sender: ContractSender,
    /// The registry contract, `ADDRESS.registry`.
    pub registry: String,
}

/// What an anchor run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchorOutcome {
    /// The new batch, if any item needed one.
    pub batch: Option<BatchSummary>,
    /// Samples already batched (redeliveries) whose batch this run (re)broadcast.
    pub rebroadcast: Vec<String>,
    /// Samples with nothing to do: already anchored, not analysed, or unknown.
    pub skipped: Vec<String>,
}

/// A batch as a run left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchSummary {
    /// The batch record's id.
    pub batch_id: String,
    /// Merkle root, hex.
    pub root: String,
    /// Leaves.
    pub size: u64,
    /// The transaction id, hex.
    pub txid: String,
    /// `signed` (no node, or not reachable: the schedule broadcasts it) or `broadcast`.
    pub status: SubmissionStatus,
}

impl From<&Batch> for BatchSummary {
    fn from(batch: &Batch) -> Self {
        Self {
            batch_id: batch.batch_id.clone(),
            root: batch.root.clone(),
            size: batch.items.len() as u64,
            txid: batch.transaction.txid.clone(),
            status: batch.status,
        }
    }
}

/// What the confirmation schedule did, batch by batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfirmReport {
    /// Batches now in a block.
    pub confirmed: Vec<String>,
    /// Batches broadcast again (signed ones, dropped or lost transactions).
    pub rebroadcast: Vec<String>,
    /// Batches still waiting for a block.
    pub pending: Vec<String>,
    /// Batches that failed for good; their samples were requested again.
    pub failed: Vec<String>,
}

/// The anchor use case.
pub struct AnchorBatches {
    /// Samples, datasets, batches and the nonce counter.
    pub table: Arc<dyn Table>,
    /// Where `proof.json` goes.
    pub blobs: Arc<dyn BlobStore>,
    /// Where failed batches' samples are requested again.
    pub queue: Arc<dyn Queue>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The node; `None` signs and keeps transactions unbroadcast (embedded shape without a
    /// node), which the proofs say.
    pub chain: Option<Arc<dyn Chain>>,
    /// The anchoring account.
    pub anchorer: Anchorer,
    /// How long a sample may stay claimed by a batch that was never stored before a
    /// redelivered request releases it: at least the anchor function's timeout.
    pub claim_lease: time::Duration,
}

impl AnchorBatches {
    /// Anchors the items of a batch of requests (an SQS batch): one Merkle root, one
    /// transaction. Requests for samples already batched (re)broadcast their batch; others with
    /// nothing to do are skipped.
    ///
    /// # Errors
    /// Table, storage and node outages ([`Error::is_retryable`]): the requests are redelivered
    /// and pick up where this run stopped. A node that refuses the transaction for good (fee,
    /// funds, signature) is an error too, with the node's reason.
    pub async fn anchor(&self, requests: &[AnchorRequested]) -> Result<AnchorOutcome, Error> {
        let mut outcome = AnchorOutcome {
            batch: None,
            rebroadcast: Vec::new(),
            skipped: Vec::new(),
        };
        let mut candidates: Vec<Sample> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for request in requests {
            if !seen.insert(request.sample_id.as_str()) {
                continue;
            }
            let Some(sample) = self.table.get_sample(&request.sample_id).await? else {
                outcome.skipped.push(request.sample_id.clone());
                continue;
            };
            match self.triage(sample, &request.item).await? {
                Triage::Batch(sample) => candidates.push(*sample),
                Triage::InBatch(batch) => {
                    if batch.status == SubmissionStatus::Signed {
                        self.publish(*batch).await?;
                    }
                    outcome.rebroadcast.push(request.sample_id.clone());
                }
                Triage::Skip => outcome.skipped.push(request.sample_id.clone()),
            }
        }
        if candidates.is_empty() {
            return Ok(outcome);
        }

        // 1. Claim the samples into the batch.
        let batch_id = new_id();
        let now = self.clock.now();
        let mut items = Vec::with_capacity(candidates.len());
        for sample in &candidates {
            let Some(item) = sample.analysis.as_ref().map(|a| a.item.clone()) else {
                continue;
            };
            let anchor = AnchorRef {
                batch_id: batch_id.clone(),
                index: items.len() as u64,
            };
            // The sweeper releases the claim if this run dies before the batch is stored.
            let table = self.table.as_ref();
            let until = now + self.claim_lease;
            hold_lease(table, LeaseKind::Anchoring, &sample.sample_id, until, now).await?;
            let claimed = transition_sample(
                self.table.as_ref(),
                sample,
                SampleStatus::Anchoring,
                now,
                |s| s.anchor = Some(anchor),
            )
            .await?;
            match claimed {
                Some(_) => items.push(BatchItem {
                    sample_id: sample.sample_id.clone(),
                    item,
                }),
                None => {
                    release_lease(table, LeaseKind::Anchoring, &sample.sample_id).await;
                    outcome.skipped.push(sample.sample_id.clone());
                }
            }
        }
        if items.is_empty() {
            return Ok(outcome);
        }

        // 2. Sign and store with a fresh nonce.
        let leaves = items
            .iter()
            .map(|i| hash32(&i.item))
            .collect::<Result<Vec<_>, _>>()?;
        let tree = MerkleTree::build(&leaves).map_err(|e| Error::Chain(e.to_string()))?;
        let root = tree.root();
        let mut batch = Batch {
            batch_id,
            root: hex::encode(root),
            items,
            status: SubmissionStatus::Signed,
            transaction: ChainTransaction::default(),
            broadcasts: 0,
            chain_batch_id: None,
            block_height: None,
            error: None,
            revision: 0,
            created_at: now,
            updated_at: now,
        };
        self.sign_and_store(&mut batch, None, 0).await?;
        tracing::info!(batch_id = %batch.batch_id, root = %batch.root, size = batch.items.len(), nonce = batch.transaction.nonce, "batch signed");
        // Stored: the schedule follows the batch from here.
        for item in &batch.items {
            release_lease(self.table.as_ref(), LeaseKind::Anchoring, &item.sample_id).await;
        }

        // 3. and 4. Broadcast and mark.
        let batch = self.publish(batch).await?;
        outcome.batch = Some(BatchSummary::from(&batch));
        Ok(outcome)
    }

    /// The schedule: broadcasts signed batches, confirms broadcast ones that are in a block,
    /// re-sends dropped or lost transactions, and hands the samples of failed ones back.
    ///
    /// # Errors
    /// Table and storage outages. Node outages leave the batches as they are for the next run.
    pub async fn confirm(&self) -> Result<ConfirmReport, Error> {
        let mut report = ConfirmReport::default();
        let Some(chain) = &self.chain else {
            return Ok(report);
        };
        for batch in self.table.open_batches().await? {
            let id = batch.batch_id.clone();
            if batch.status == SubmissionStatus::Signed {
                let batch = self.publish(batch).await?;
                match batch.status {
                    SubmissionStatus::Broadcast => report.rebroadcast.push(id),
                    _ => report.pending.push(id),
                }
                continue;
            }
            let status = match chain
                .transaction_status(&hash32(&batch.transaction.txid)?)
                .await
            {
                Ok(status) => status,
                Err(error) => {
                    tracing::warn!(batch_id = %id, %error, "status unknown; next run");
                    report.pending.push(id);
                    continue;
                }
            };
            match status {
                TxStatus::Success {
                    block_height,
                    result,
                } => {
                    self.confirmed(batch, block_height, result).await?;
                    report.confirmed.push(id);
                }
                TxStatus::Pending => report.pending.push(id),
                TxStatus::NotFound | TxStatus::Dropped(_) => {
                    let batch = self.publish(batch).await?;
                    if batch.status == SubmissionStatus::Failed {
                        report.failed.push(id);
                    } else {
                        report.rebroadcast.push(id);
                    }
                }
                TxStatus::AbortByResponse { result, .. } => {
                    let why = result.map_or_else(
                        || "aborted by response".to_owned(),
                        |r| format!("aborted by response {}", r.to_hex()),
                    );
                    self.fail(batch, why).await?;
                    report.failed.push(id);
                }
                TxStatus::AbortByPostCondition { .. } => {
                    self.fail(batch, "aborted by a post-condition".to_owned())
                        .await?;
                    report.failed.push(id);
                }
            }
        }
        Ok(report)
    }

    async fn triage(&self, sample: Sample, item: &str) -> Result<Triage, Error> {
        let matches = sample.analysis.as_ref().is_some_and(|a| a.item == item);
        match sample.status {
            SampleStatus::Analyzed if matches => Ok(Triage::Batch(Box::new(sample))),
            SampleStatus::Anchoring => {
                let Some(anchor) = &sample.anchor else {
                    return Ok(Triage::Skip);
                };
                if let Some(batch) = self.table.get_batch(&anchor.batch_id).await? {
                    return Ok(Triage::InBatch(Box::new(batch)));
                }
                // Claimed by a run that died before storing its batch.
                if self.clock.now() - sample.updated_at < self.claim_lease {
                    return Ok(Triage::Skip);
                }
                let released = transition_sample(
                    self.table.as_ref(),
                    &sample,
                    SampleStatus::Analyzed,
                    self.clock.now(),
                    |s| s.anchor = None,
                )
                .await?;
                Ok(released.map_or(Triage::Skip, |sample| Triage::Batch(Box::new(sample))))
            }
            _ => Ok(Triage::Skip),
        }
    }

    /// Signs `batch`'s `anchor-batch` call with a fresh nonce (at least `min_nonce`) and
    /// stores it (a new batch, or a re-signed one at `expected_revision`) with the nonce
    /// counter's move, retrying when another writer moved the counter.
    async fn sign_and_store(
        &self,
        batch: &mut Batch,
        expected_revision: Option<u64>,
        min_nonce: u64,
    ) -> Result<(), Error> {
        let call = registry::anchor_batch(
            &self.anchorer.registry,
            &hash32(&batch.root)?,
            batch.items.len() as u128,
        )
        .map_err(|e| Error::Chain(format!("the registry {}: {e}", self.anchorer.registry)))?;
        let sender = &self.anchorer.sender;
        let mut last = None;
        for _ in 0..NONCE_CLAIM_ATTEMPTS {
            let claim = sender
                .next_nonce(self.table.as_ref(), self.chain.as_deref(), min_nonce)
                .await?;
            batch.transaction = sender.sign(call.clone(), claim.next - 1)?;
            let written = match expected_revision {
                None => self.table.create_batch(batch, &claim).await,
                Some(revision) => self.table.update_batch(batch, revision, Some(&claim)).await,
            };
            match written {
                Ok(()) => return Ok(()),
                Err(error @ TableError::ConditionFailed { .. }) => last = Some(error),
                Err(other) => return Err(other.into()),
            }
        }
        Err(last.map_or_else(|| Error::Chain("no nonce claimed".to_owned()), Error::from))
    }

    /// Broadcasts the batch's transaction (if a node is configured) and marks the batch and
    /// its samples. A nonce the chain has already used is re-signed with a fresh one; a node
    /// outage leaves the batch `signed` for the schedule.
    async fn publish(&self, mut batch: Batch) -> Result<Batch, Error> {
        let Some(chain) = &self.chain else {
            // No node: the proofs say the transaction is unbroadcast.
            self.write_proofs(&batch).await?;
            return Ok(batch);
        };
        for _ in 0..2 {
            match broadcast(chain.as_ref(), &batch.transaction).await? {
                Broadcast::Accepted => return self.broadcast_done(batch).await,
                Broadcast::Resign { min_nonce, why } => {
                    self.re_sign(&mut batch, why, min_nonce).await?;
                }
                Broadcast::Refused(why) => return Err(self.record_refusal(batch, why).await),
                Broadcast::Unavailable(error) => {
                    tracing::warn!(batch_id = %batch.batch_id, %error, "broadcast failed; the schedule retries");
                    self.write_proofs(&batch).await?;
                    return Ok(batch);
                }
            }
        }
        Err(Error::Chain(format!(
            "batch {}: the node kept refusing the nonce",
            batch.batch_id
        )))
    }

    /// Re-signs the batch's transaction with a nonce of at least `min_nonce`.
    async fn re_sign(&self, batch: &mut Batch, why: String, min_nonce: u64) -> Result<(), Error> {
        tracing::warn!(batch_id = %batch.batch_id, %why, "re-signing the anchor transaction");
        let revision = batch.revision;
        batch.revision += 1;
        batch.updated_at = self.clock.now();
        batch.error = Some(format!("{why}; re-signed"));
        self.sign_and_store(batch, Some(revision), min_nonce).await
    }

    async fn record_refusal(&self, mut batch: Batch, why: String) -> Error {
        let revision = batch.revision;
        batch.revision += 1;
        batch.error = Some(why.clone());
        batch.updated_at = self.clock.now();
        if let Err(error) = self.table.update_batch(&batch, revision, None).await {
            return error.into();
        }
        Error::Chain(format!("batch {}: {why}", batch.batch_id))
    }

    async fn broadcast_done(&self, mut batch: Batch) -> Result<Batch, Error> {
        let now = self.clock.now();
        if batch.status == SubmissionStatus::Signed {
            let revision = batch.revision;
            batch.status = SubmissionStatus::Broadcast;
            batch.broadcasts += 1;
            batch.revision += 1;
            batch.updated_at = now;
            match self.table.update_batch(&batch, revision, None).await {
                Ok(()) => {}
                Err(TableError::ConditionFailed { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        self.move_samples(
            &batch,
            SampleStatus::Anchoring,
            SampleStatus::Anchored,
            Status::Anchored,
        )
        .await?;
        self.write_proofs(&batch).await?;
        tracing::info!(batch_id = %batch.batch_id, txid = %batch.transaction.txid, "batch broadcast");
        Ok(batch)
    }

    async fn confirmed(
        &self,
        mut batch: Batch,
        block_height: Option<u64>,
        result: Option<ClarityValue>,
    ) -> Result<(), Error> {
        let chain_batch_id = match result {
            Some(ClarityValue::Response(Ok(value))) => match *value {
                ClarityValue::UInt(id) => u64::try_from(id).ok(),
                _ => None,
            },
            _ => None,
        };
        let revision = batch.revision;
        batch.status = SubmissionStatus::Confirmed;
        batch.chain_batch_id = chain_batch_id;
        batch.block_height = block_height;
        batch.revision += 1;
        batch.updated_at = self.clock.now();
        self.table.update_batch(&batch, revision, None).await?;
        // The proofs say so before the samples do: a reader who sees a confirmed sample finds a
        // confirmed proof.
        self.write_proofs(&batch).await?;
        self.move_samples(
            &batch,
            SampleStatus::Anchored,
            SampleStatus::Confirmed,
            Status::Confirmed,
        )
        .await?;
        tracing::info!(batch_id = %batch.batch_id, ?chain_batch_id, ?block_height, "batch confirmed");
        Ok(())
    }

    /// A batch that failed for good: its samples go back to `analyzed` and are requested again,
    /// so a later batch anchors them.
    async fn fail(&self, mut batch: Batch, why: String) -> Result<(), Error> {
        let revision = batch.revision;
        batch.status = SubmissionStatus::Failed;
        batch.error = Some(why.clone());
        batch.revision += 1;
        batch.updated_at = self.clock.now();
        self.table.update_batch(&batch, revision, None).await?;
        // The proofs say so before the samples leave the batch.
        self.write_proofs(&batch).await?;
        let now = self.clock.now();
        for item in &batch.items {
            let Some(sample) = self.table.get_sample(&item.sample_id).await? else {
                continue;
            };
            if !matches!(
                sample.status,
                SampleStatus::Anchoring | SampleStatus::Anchored
            ) || sample.anchor.as_ref().map(|a| &a.batch_id) != Some(&batch.batch_id)
            {
                continue;
            }
            for dataset in self.datasets(&sample).await? {
                if dataset.status == Status::Anchored {
                    transition_dataset(
                        self.table.as_ref(),
                        &dataset,
                        Status::Analyzed,
                        now,
                        |_| {},
                    )
                    .await?;
                }
            }
            if transition_sample(
                self.table.as_ref(),
                &sample,
                SampleStatus::Analyzed,
                now,
                |s| {
                    s.anchor = None;
                },
            )
            .await?
            .is_some()
            {
                self.queue
                    .send(&Message::from(AnchorRequested {
                        sample_id: item.sample_id.clone(),
                        item: item.item.clone(),
                    }))
                    .await?;
            }
        }
        tracing::warn!(batch_id = %batch.batch_id, %why, "batch failed; its samples are requested again");
        Ok(())
    }

    /// Moves the batch's samples (still in it) from `from` to `to`, and their datasets to
    /// `dataset_to`.
    async fn move_samples(
        &self,
        batch: &Batch,
        from: SampleStatus,
        to: SampleStatus,
        dataset_to: Status,
    ) -> Result<(), Error> {
        let now = self.clock.now();
        for item in &batch.items {
            let Some(sample) = self.table.get_sample(&item.sample_id).await? else {
                continue;
            };
            if sample.status != from
                || sample.anchor.as_ref().map(|a| &a.batch_id) != Some(&batch.batch_id)
            {
                continue;
            }
            for dataset in self.datasets(&sample).await? {
                if dataset.status.can_become(dataset_to) && dataset.status != dataset_to {
                    transition_dataset(self.table.as_ref(), &dataset, dataset_to, now, |_| {})
                        .await?;
                }
            }
            transition_sample(self.table.as_ref(), &sample, to, now, |_| {}).await?;
        }
        Ok(())
    }

    async fn datasets(&self, sample: &Sample) -> Result<Vec<Dataset>, Error> {
        datasets_of(self.table.as_ref(), sample).await
    }

    /// Writes `proof.json` for every dataset of the batch's samples that still exists: a deleted
    /// dataset gets none (checked before the write, and a proof written while a delete ran is
    /// removed again).
    async fn write_proofs(&self, batch: &Batch) -> Result<(), Error> {
        for item in &batch.items {
            let Some(sample) = self.table.get_sample(&item.sample_id).await? else {
                continue;
            };
            let Some(proof) = build_proof(
                &sample,
                batch,
                self.chain.is_some(),
                &self.anchorer.registry,
            )?
            else {
                continue;
            };
            let mut bytes = serde_json::to_vec_pretty(&proof).unwrap_or_default();
            bytes.push(b'\n');
            for id in &sample.dataset_ids {
                if self.table.get_dataset(id).await?.is_none() {
                    continue;
                }
                let key = format!("{}{PROOF_FILE}", results_prefix(id));
                self.blobs.put(&key, bytes.clone()).await?;
                if self.table.get_dataset(id).await?.is_none() {
                    self.blobs.delete(&key).await?;
                }
            }
        }
        Ok(())
    }
}

enum Triage {
    /// Analysed and not batched: goes into the new batch (both records boxed: they differ in
    /// size).
    Batch(Box<Sample>),
    /// Already in this stored batch.
    InBatch(Box<Batch>),
    /// Nothing to do.
    Skip,
}

fn build_proof(
    sample: &Sample,
    batch: &Batch,
    has_node: bool,
    registry: &str,
) -> Result<Option<Proof>, Error> {
    let (Some(analysis), Some(anchor)) = (&sample.analysis, &sample.anchor) else {
        return Ok(None);
    };
    if anchor.batch_id != batch.batch_id {
        return Ok(None);
    }
    let leaves = batch
        .items
        .iter()
        .map(|i| hash32(&i.item))
        .collect::<Result<Vec<_>, _>>()?;
    let tree = MerkleTree::build(&leaves).map_err(|e| Error::Chain(e.to_string()))?;
    let path = tree.prove(anchor.index).map_err(|e| {
        Error::Chain(format!(
            "batch {} has no leaf {} for sample {}: {e}",
            batch.batch_id, anchor.index, sample.sample_id
        ))
    })?;
    if batch.items.get(anchor.index as usize).map(|i| &i.item) != Some(&analysis.item) {
        return Err(Error::Chain(format!(
            "batch {} holds another item at index {} than sample {}'s",
            batch.batch_id, anchor.index, sample.sample_id
        )));
    }
    let tx_status = match batch.status {
        SubmissionStatus::Signed if has_node => "signed",
        SubmissionStatus::Signed => "unbroadcast",
        SubmissionStatus::Broadcast => "pending",
        SubmissionStatus::Confirmed => "confirmed",
        SubmissionStatus::Failed => "failed",
    };
    Ok(Some(Proof {
        item: analysis.item.clone(),
        inputs_hash: analysis.inputs_hash.clone(),
        report_sha256: analysis.report_sha256.clone(),
        pipeline_id: analysis.pipeline_id.clone(),
        batch_id: batch.chain_batch_id,
        root: batch.root.clone(),
        index: anchor.index,
        proof: path.siblings.iter().map(hex::encode).collect(),
        size: batch.items.len() as u64,
        txid: batch.transaction.txid.clone(),
        tx_status: tx_status.to_owned(),
        registry: registry.to_owned(),
    }))
}
