;; title: oracle
;; summary: Signed external annotation values (ClinVar, gene data) brought on chain.
;; description: An oracle signs message-hash(key, value, timestamp): sha256 of
;; key ++ value ++ to-consensus-buff? of the timestamp, this contract's
;; principal and the chain id, so a signature is good for one deployment on
;; one network only. Anyone may relay the signed value with `submit`. The
;; contract recovers the signer's public key and accepts the value only from
;; an enabled oracle key, only when newer than the stored value for the key
;; and not more than MAX_CLOCK_AHEAD seconds ahead of the block's time.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u600))
;; The recovered public key is not an enabled oracle.
(define-constant ERR_NOT_ORACLE (err u601))
;; The signature does not recover a public key (malformed, or high-S).
(define-constant ERR_BAD_SIGNATURE (err u602))
;; The timestamp is not newer than the stored value's.
(define-constant ERR_STALE (err u603))
;; The timestamp is more than MAX_CLOCK_AHEAD seconds ahead of stacks-block-time.
(define-constant ERR_FUTURE_TIMESTAMP (err u604))

;; How far (seconds) a timestamp may run ahead of the chain: a value signed with
;; a broken clock would otherwise make every later value of its key stale.
(define-constant MAX_CLOCK_AHEAD u3600)

;; secp256k1 group order / 2: a Stacks node only accepts s <= this (low-S).
;; Checked here too so the simnet and a node agree.
(define-constant SECP256K1_HALF_ORDER 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0)

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)
;; Set by `set-contract-owner`, cleared by `accept-contract-owner`.
(define-data-var pending-owner (optional principal) none)

(define-map oracles
  (buff 33)
  bool
)

(define-map oracle-values
  (buff 32)
  {
    value: (buff 32),
    timestamp: uint,
    oracle: (buff 33),
    submitted-at: uint,
  }
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

(define-read-only (is-oracle (pubkey (buff 33)))
  (default-to false (map-get? oracles pubkey))
)

(define-read-only (get-value (key (buff 32)))
  (map-get? oracle-values key)
)

;; The 32-byte hash an oracle signs for (key, value, timestamp) on this
;; deployment: sha256(key ++ value ++ to-consensus-buff?(timestamp)
;; ++ to-consensus-buff?(current-contract) ++ to-consensus-buff?(chain-id)).
(define-read-only (message-hash
    (key (buff 32))
    (value (buff 32))
    (timestamp uint)
  )
  (sha256 (concat
    (concat (concat key value) (unwrap-panic (to-consensus-buff? timestamp)))
    (concat (unwrap-panic (to-consensus-buff? current-contract))
      (unwrap-panic (to-consensus-buff? chain-id))
    )))
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

;; Owner only: enables or disables a compressed secp256k1 oracle public key.
(define-public (set-oracle
    (pubkey (buff 33))
    (enabled bool)
  )
  (begin
    (try! (check-owner))
    (map-set oracles pubkey enabled)
    (print {
      topic: "oracle-set",
      pubkey: pubkey,
      enabled: enabled,
    })
    (ok true)
  )
)

;; Anyone may relay: stores `value` under `key` when `signature` (65 bytes
;; r ++ s ++ recovery-id, low-S) over message-hash(key, value, timestamp)
;; recovers an enabled oracle key and `timestamp` is newer than the stored one.
(define-public (submit
    (key (buff 32))
    (value (buff 32))
    (timestamp uint)
    (signature (buff 65))
  )
  (let (
      (signer (unwrap! (secp256k1-recover? (message-hash key value timestamp) signature)
        ERR_BAD_SIGNATURE
      ))
      (stored-timestamp (default-to u0 (get timestamp (map-get? oracle-values key))))
    )
    (asserts! (is-low-s signature) ERR_BAD_SIGNATURE)
    (asserts! (is-oracle signer) ERR_NOT_ORACLE)
    (asserts! (<= timestamp (+ stacks-block-time MAX_CLOCK_AHEAD))
      ERR_FUTURE_TIMESTAMP
    )
    (asserts! (or (> timestamp stored-timestamp) (is-none (map-get? oracle-values key)))
      ERR_STALE
    )
    (map-set oracle-values key {
      value: value,
      timestamp: timestamp,
      oracle: signer,
      submitted-at: stacks-block-height,
    })
    (print {
      topic: "oracle-value",
      key: key,
      value: value,
      timestamp: timestamp,
      oracle: signer,
    })
    (ok true)
  )
)

;; Owner only: removes the stored value of `key`, so that an enabled oracle can
;; write it again whatever its timestamp (the remedy for a wrong value).
(define-public (clear-value (key (buff 32)))
  (begin
    (try! (check-owner))
    (print {
      topic: "oracle-value-cleared",
      key: key,
      removed: (map-delete oracle-values key),
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

;; s is bytes 32..63 of the signature; big-endian buffers compare like numbers.
(define-private (is-low-s (signature (buff 65)))
  (match (slice? signature u32 u64)
    s (<= s SECP256K1_HALF_ORDER)
    false
  )
)
