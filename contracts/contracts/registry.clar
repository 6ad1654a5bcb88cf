;; title: registry
;; summary: GenoFlow dataset registry, analysis results and Merkle batch anchors.
;; description: Registered identities record the SHA-256 of their datasets and
;; own them (transferable). Registration is commit, then reveal: the caller
;; first commits to sha256(hash ++ salt ++ to-consensus-buff?(tx-sender)) and
;; reveals the hash and salt in a later block, so someone who copies a hash
;; from the mempool cannot register it first. Dataset owners or anchorers record analysis
;; results. Anchorers (the anchor function) record Merkle roots of attestation
;; batches; `verify-inclusion` checks a proof against an anchored root with the
;; rule of ARCHITECTURE.md: leaf = sha256(0x00 ++ item),
;; node = sha256(0x01 ++ left ++ right), an odd last node is paired with
;; itself, and bit k of the leaf index is the side at level k (0: left).

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not allowed (not the owner, not an anchorer, not the dataset owner).
(define-constant ERR_UNAUTHORIZED (err u200))
;; A dataset with this hash is already registered.
(define-constant ERR_HASH_EXISTS (err u201))
;; The caller has no identity in the identity contract.
(define-constant ERR_NOT_REGISTERED (err u202))
;; The caller does not own the dataset.
(define-constant ERR_NOT_OWNER (err u203))
;; No dataset with this id.
(define-constant ERR_UNKNOWN_DATASET (err u204))
;; Batch size is 0 or larger than MAX_BATCH_SIZE.
(define-constant ERR_INVALID_SIZE (err u205))
;; This result hash is already recorded for the dataset.
(define-constant ERR_RESULT_EXISTS (err u206))
;; The caller already made this commitment.
(define-constant ERR_COMMITMENT_EXISTS (err u207))
;; The caller made no commitment for this hash and salt (see commit-dataset).
(define-constant ERR_NO_COMMITMENT (err u208))
;; The commitment was made in this block: reveal in a later one.
(define-constant ERR_COMMITMENT_TOO_RECENT (err u209))

;; 2^32 leaves: a proof of such a tree has exactly 32 siblings.
(define-constant MAX_BATCH_SIZE u4294967296)
(define-constant LEAF_PREFIX 0x00)
(define-constant NODE_PREFIX 0x01)

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)
;; Set by `set-contract-owner`, cleared by `accept-contract-owner`.
(define-data-var pending-owner (optional principal) none)
(define-data-var last-dataset-id uint u0)
(define-data-var last-batch-id uint u0)

(define-map datasets
  uint
  {
    owner: principal,
    hash: (buff 32),
    kind: (string-ascii 16),
    uri: (string-ascii 256),
    registered-at: uint,
  }
)

(define-map dataset-ids
  (buff 32)
  uint
)

;; Commitments not yet revealed, per caller: the Stacks block height they were made at.
(define-map commitments
  {
    committer: principal,
    commitment: (buff 32),
  }
  uint
)

(define-map results
  {
    dataset-id: uint,
    result-hash: (buff 32),
  }
  {
    pipeline: (buff 32),
    recorder: principal,
    recorded-at: uint,
  }
)

(define-map batches
  uint
  {
    root: (buff 32),
    size: uint,
    anchorer: principal,
    anchored-at: uint,
  }
)

(define-map anchorers
  principal
  bool
)

;; ---------------------------------------------------------------------------
;; Read-only functions
;; ---------------------------------------------------------------------------

(define-read-only (get-contract-owner)
  (var-get contract-owner)
)

(define-read-only (get-pending-owner)
  (var-get pending-owner)
)

(define-read-only (get-dataset (dataset-id uint))
  (map-get? datasets dataset-id)
)

(define-read-only (get-dataset-id (hash (buff 32)))
  (map-get? dataset-ids hash)
)

;; The block height at which `committer` made `commitment`, until it is revealed.
(define-read-only (get-commitment
    (committer principal)
    (commitment (buff 32))
  )
  (map-get? commitments {
    committer: committer,
    commitment: commitment,
  })
)

;; What `who` commits to for a dataset `hash` and a 32-byte `salt` of its choosing:
;; sha256(hash ++ salt ++ to-consensus-buff?(who)).
(define-read-only (make-commitment
    (hash (buff 32))
    (salt (buff 32))
    (who principal)
  )
  (sha256 (concat (concat hash salt) (unwrap-panic (to-consensus-buff? who))))
)

(define-read-only (get-result
    (dataset-id uint)
    (result-hash (buff 32))
  )
  (map-get? results {
    dataset-id: dataset-id,
    result-hash: result-hash,
  })
)

(define-read-only (get-batch (batch-id uint))
  (map-get? batches batch-id)
)

(define-read-only (is-anchorer (who principal))
  (default-to false (map-get? anchorers who))
)

;; True when `item` is leaf `index` of anchored batch `batch-id`, proven by the
;; sibling list `proof` (leaf level first). False for an unknown batch, an index
;; >= the batch size, or a proof whose length is not the tree's depth.
(define-read-only (verify-inclusion
    (batch-id uint)
    (item (buff 32))
    (index uint)
    (proof (list 32 (buff 32)))
  )
  (match (map-get? batches batch-id)
    batch (and
      (< index (get size batch))
      (is-eq (len proof) (tree-depth (get size batch)))
      (is-eq
        (get hash
          (fold merkle-step proof {
            hash: (sha256 (concat LEAF_PREFIX item)),
            index: index,
          })
        )
        (get root batch)
      )
    )
    false
  )
)

;; ---------------------------------------------------------------------------
;; Public functions
;; ---------------------------------------------------------------------------

;; Owner only: proposes `new-owner`, who takes over by calling
;; `accept-contract-owner` (a mistyped principal never gets the contract).
;; A later proposal replaces this one.
(define-public (set-contract-owner (new-owner principal))
  (begin
    (try! (check-owner))
    (var-set pending-owner (some new-owner))
    (print {
      topic: "contract-owner-proposed",
      owner: contract-caller,
      pending-owner: new-owner,
    })
    (ok true)
  )
)

;; The pending owner only: completes the hand-over.
(define-public (accept-contract-owner)
  (let ((new-owner contract-caller))
    (asserts! (is-eq (some new-owner) (var-get pending-owner)) ERR_UNAUTHORIZED)
    (print {
      topic: "contract-owner-accepted",
      old-owner: (var-get contract-owner),
      new-owner: new-owner,
    })
    (var-set contract-owner new-owner)
    (var-set pending-owner none)
    (ok true)
  )
)

;; Registered identities: the first step of registering a dataset. The
;; commitment hides the dataset's hash until `register-dataset` reveals it.
(define-public (commit-dataset (commitment (buff 32)))
  (let ((committer contract-caller))
    (asserts! (contract-call? .identity is-registered committer) ERR_NOT_REGISTERED)
    (asserts!
      (map-insert commitments {
        committer: committer,
        commitment: commitment,
      }
        stacks-block-height
      )
      ERR_COMMITMENT_EXISTS
    )
    (print {
      topic: "dataset-committed",
      committer: committer,
      commitment: commitment,
    })
    (ok true)
  )
)

;; Registers a dataset by its SHA-256; the caller (a registered identity) owns
;; it. Needs the caller's commitment to (hash, salt) from an earlier block;
;; the commitment is used up.
(define-public (register-dataset
    (hash (buff 32))
    (kind (string-ascii 16))
    (uri (string-ascii 256))
    (salt (buff 32))
  )
  (let (
      (owner contract-caller)
      (dataset-id (+ (var-get last-dataset-id) u1))
      (commitment-key {
        committer: owner,
        commitment: (make-commitment hash salt tx-sender),
      })
    )
    (asserts! (contract-call? .identity is-registered owner) ERR_NOT_REGISTERED)
    (asserts!
      (< (unwrap! (map-get? commitments commitment-key) ERR_NO_COMMITMENT)
        stacks-block-height
      )
      ERR_COMMITMENT_TOO_RECENT
    )
    (asserts! (map-insert dataset-ids hash dataset-id) ERR_HASH_EXISTS)
    (map-delete commitments commitment-key)
    (map-set datasets dataset-id {
      owner: owner,
      hash: hash,
      kind: kind,
      uri: uri,
      registered-at: stacks-block-height,
    })
    (var-set last-dataset-id dataset-id)
    (print {
      topic: "dataset-registered",
      dataset-id: dataset-id,
      owner: owner,
      hash: hash,
      kind: kind,
      uri: uri,
    })
    (ok dataset-id)
  )
)

;; Dataset owner only: hands the dataset to `new-owner`.
(define-public (transfer-dataset
    (dataset-id uint)
    (new-owner principal)
  )
  (let ((dataset (unwrap! (map-get? datasets dataset-id) ERR_UNKNOWN_DATASET)))
    (asserts! (is-eq contract-caller (get owner dataset)) ERR_NOT_OWNER)
    (map-set datasets dataset-id (merge dataset { owner: new-owner }))
    (print {
      topic: "dataset-transferred",
      dataset-id: dataset-id,
      from: (get owner dataset),
      to: new-owner,
    })
    (ok true)
  )
)

;; Dataset owner or an anchorer: records the hash of an analysis result and the
;; pipeline id (SHA-256 of the analysis configuration) that produced it.
(define-public (record-result
    (dataset-id uint)
    (result-hash (buff 32))
    (pipeline (buff 32))
  )
  (let (
      (recorder contract-caller)
      (dataset (unwrap! (map-get? datasets dataset-id) ERR_UNKNOWN_DATASET))
    )
    (asserts! (or (is-eq recorder (get owner dataset)) (is-anchorer recorder))
      ERR_UNAUTHORIZED
    )
    (asserts!
      (map-insert results {
        dataset-id: dataset-id,
        result-hash: result-hash,
      } {
        pipeline: pipeline,
        recorder: recorder,
        recorded-at: stacks-block-height,
      })
      ERR_RESULT_EXISTS
    )
    (print {
      topic: "result-recorded",
      dataset-id: dataset-id,
      result-hash: result-hash,
      pipeline: pipeline,
      recorder: recorder,
    })
    (ok true)
  )
)

;; Anchorers only: records the Merkle root of a batch of `size` leaves.
(define-public (anchor-batch
    (root (buff 32))
    (size uint)
  )
  (let (
      (anchorer contract-caller)
      (batch-id (+ (var-get last-batch-id) u1))
    )
    (asserts! (is-anchorer anchorer) ERR_UNAUTHORIZED)
    (asserts! (and (> size u0) (<= size MAX_BATCH_SIZE)) ERR_INVALID_SIZE)
    (map-set batches batch-id {
      root: root,
      size: size,
      anchorer: anchorer,
      anchored-at: stacks-block-height,
    })
    (var-set last-batch-id batch-id)
    (print {
      topic: "batch-anchored",
      batch-id: batch-id,
      root: root,
      size: size,
      anchorer: anchorer,
    })
    (ok batch-id)
  )
)

;; Owner only: allows or revokes a principal to anchor batches and record results.
(define-public (set-anchorer
    (who principal)
    (enabled bool)
  )
  (begin
    (try! (check-owner))
    (map-set anchorers who enabled)
    (print {
      topic: "anchorer-set",
      who: who,
      enabled: enabled,
    })
    (ok true)
  )
)

;; ---------------------------------------------------------------------------
;; Private functions
;; ---------------------------------------------------------------------------

(define-private (check-owner)
  (ok (asserts! (is-eq contract-caller (var-get contract-owner)) ERR_UNAUTHORIZED))
)

;; One level up the tree: the index's low bit says whether the running hash is
;; the left (0) or right (1) child.
(define-private (merkle-step
    (sibling (buff 32))
    (acc {
      hash: (buff 32),
      index: uint,
    })
  )
  (let ((index (get index acc)))
    {
      hash: (if (is-eq (mod index u2) u0)
        (sha256 (concat (concat NODE_PREFIX (get hash acc)) sibling))
        (sha256 (concat (concat NODE_PREFIX sibling) (get hash acc)))
      ),
      index: (/ index u2),
    }
  )
)

;; Number of levels above the leaves: ceil(log2(size)), 0 for a single leaf.
(define-private (tree-depth (size uint))
  (if (<= size u1)
    u0
    (+ (log2 (- size u1)) u1)
  )
)
