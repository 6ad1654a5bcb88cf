;; title: marketplace
;; summary: Sell access to registered datasets for STX.
;; description: A dataset owner lists a dataset at a price in micro-STX. A
;; buyer pays once per dataset: a purchase pays price * fee-bps / 10000
;; (rounded down) to the treasury and the rest to the seller, and gives the
;; buyer access to the dataset; someone who already has access is never
;; charged again. The buyer names the most it will pay, so a price raised in
;; front of its transaction is refused rather than charged. A listing stays open for further buyers until
;; the seller delists it; it cannot be bought once the seller no longer owns
;; the dataset in the registry.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u400))
;; The caller does not own the dataset in the registry (or it does not exist).
(define-constant ERR_NOT_DATASET_OWNER (err u401))
;; Price must be 1..MAX_PRICE micro-STX.
(define-constant ERR_INVALID_PRICE (err u402))
;; The dataset already has an active listing by its owner.
(define-constant ERR_ALREADY_LISTED (err u403))
;; The caller is not the listing's seller.
(define-constant ERR_NOT_SELLER (err u404))
;; No listing with this id.
(define-constant ERR_UNKNOWN_LISTING (err u405))
;; The listing has been delisted.
(define-constant ERR_LISTING_INACTIVE (err u406))
;; Sellers cannot buy their own listing.
(define-constant ERR_BUYER_IS_SELLER (err u407))
;; The buyer already has access to the dataset (bought it, or owns it).
(define-constant ERR_ALREADY_PURCHASED (err u408))
;; The seller transferred the dataset after listing it.
(define-constant ERR_SELLER_NOT_OWNER (err u409))
;; The fee is above MAX_FEE_BPS.
(define-constant ERR_FEE_TOO_HIGH (err u410))
;; The listing's price is above the buyer's max-price.
(define-constant ERR_PRICE_ABOVE_MAX (err u411))
;; The treasury cannot be a contract: STX sent to it could be locked for good.
(define-constant ERR_CONTRACT_TREASURY (err u412))

;; The highest listing price, micro-STX (10^12 STX): price * fee stays far from uint overflow.
(define-constant MAX_PRICE u1000000000000000000)

;; 10%: the highest fee the owner can set, in basis points.
(define-constant MAX_FEE_BPS u1000)
(define-constant BPS_DENOMINATOR u10000)

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)
;; Set by `set-contract-owner`, cleared by `accept-contract-owner`.
(define-data-var pending-owner (optional principal) none)
(define-data-var treasury principal tx-sender)
;; 2.5% until the owner changes it.
(define-data-var fee-bps uint u250)
(define-data-var last-listing-id uint u0)

(define-map listings
  uint
  {
    dataset-id: uint,
    seller: principal,
    price: uint,
    active: bool,
  }
)

;; The active listing of a dataset, if any.
(define-map active-listings
  uint
  uint
)

;; What each buyer paid, and when (Stacks block height).
(define-map purchases
  {
    listing-id: uint,
    buyer: principal,
  }
  {
    price: uint,
    purchased-at: uint,
  }
)

;; Buyers of any listing of a dataset.
(define-map dataset-buyers
  {
    dataset-id: uint,
    buyer: principal,
  }
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

(define-read-only (get-listing (listing-id uint))
  (map-get? listings listing-id)
)

(define-read-only (has-purchased
    (listing-id uint)
    (who principal)
  )
  (is-some (map-get? purchases {
    listing-id: listing-id,
    buyer: who,
  }))
)

;; What `who` paid for the listing and the Stacks block height of the purchase.
(define-read-only (get-purchase
    (listing-id uint)
    (who principal)
  )
  (map-get? purchases {
    listing-id: listing-id,
    buyer: who,
  })
)

;; True for the dataset's current owner and for a buyer of any of its listings.
(define-read-only (has-access
    (dataset-id uint)
    (who principal)
  )
  (or
    (is-eq (some who) (get-dataset-owner dataset-id))
    (default-to false
      (map-get? dataset-buyers {
        dataset-id: dataset-id,
        buyer: who,
      })
    )
  )
)

(define-read-only (get-fee-bps)
  (var-get fee-bps)
)

(define-read-only (get-treasury)
  (var-get treasury)
)

;; The active listing of a dataset, if any.
(define-read-only (get-active-listing (dataset-id uint))
  (map-get? active-listings dataset-id)
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

;; Dataset owner only: offers access to the dataset for `price` micro-STX.
;; A listing left behind by a previous owner of the dataset is closed.
(define-public (list-dataset
    (dataset-id uint)
    (price uint)
  )
  (let (
      (seller contract-caller)
      (listing-id (+ (var-get last-listing-id) u1))
    )
    (asserts! (is-eq (some seller) (get-dataset-owner dataset-id))
      ERR_NOT_DATASET_OWNER
    )
    (asserts! (is-valid-price price) ERR_INVALID_PRICE)
    (match (map-get? active-listings dataset-id)
      previous-id (try! (close-stale-listing previous-id seller))
      true
    )
    (map-set listings listing-id {
      dataset-id: dataset-id,
      seller: seller,
      price: price,
      active: true,
    })
    (map-set active-listings dataset-id listing-id)
    (var-set last-listing-id listing-id)
    (print {
      topic: "listing-created",
      listing-id: listing-id,
      dataset-id: dataset-id,
      seller: seller,
      price: price,
    })
    (ok listing-id)
  )
)

;; Seller only: changes the price of an active listing. Buyers who signed for
;; a lower max-price are refused, not charged the new price.
(define-public (update-price
    (listing-id uint)
    (price uint)
  )
  (let ((listing (try! (get-seller-listing listing-id))))
    (asserts! (is-valid-price price) ERR_INVALID_PRICE)
    (map-set listings listing-id (merge listing { price: price }))
    (print {
      topic: "listing-price-updated",
      listing-id: listing-id,
      price: price,
    })
    (ok true)
  )
)

;; Seller only: closes an active listing. Buyers keep their access.
(define-public (delist (listing-id uint))
  (let ((listing (try! (get-seller-listing listing-id))))
    (map-set listings listing-id (merge listing { active: false }))
    (map-delete active-listings (get dataset-id listing))
    (print {
      topic: "listing-delisted",
      listing-id: listing-id,
      dataset-id: (get dataset-id listing),
    })
    (ok true)
  )
)

;; Buys access: pays price * fee-bps / 10000 (rounded down) to the treasury and
;; the rest to the seller, from the caller, when the price is at most
;; `max-price` and the caller has no access to the dataset yet.
(define-public (purchase
    (listing-id uint)
    (max-price uint)
  )
  (let (
      (buyer tx-sender)
      (listing (unwrap! (map-get? listings listing-id) ERR_UNKNOWN_LISTING))
      (seller (get seller listing))
      (price (get price listing))
      (fee (/ (* price (var-get fee-bps)) BPS_DENOMINATOR))
      (treasury-address (var-get treasury))
    )
    (asserts! (get active listing) ERR_LISTING_INACTIVE)
    (asserts! (not (is-eq buyer seller)) ERR_BUYER_IS_SELLER)
    (asserts! (not (has-access (get dataset-id listing) buyer))
      ERR_ALREADY_PURCHASED
    )
    (asserts! (is-eq (some seller) (get-dataset-owner (get dataset-id listing)))
      ERR_SELLER_NOT_OWNER
    )
    (asserts! (<= price max-price) ERR_PRICE_ABOVE_MAX)
    ;; A buyer who is the treasury keeps the fee instead of paying it to itself.
    (if (and (> fee u0) (not (is-eq buyer treasury-address)))
      (try! (stx-transfer? fee buyer treasury-address))
      true
    )
    (try! (stx-transfer? (- price fee) buyer seller))
    (map-set purchases {
      listing-id: listing-id,
      buyer: buyer,
    } {
      price: price,
      purchased-at: stacks-block-height,
    })
    (map-set dataset-buyers {
      dataset-id: (get dataset-id listing),
      buyer: buyer,
    }
      true
    )
    (print {
      topic: "listing-purchased",
      listing-id: listing-id,
      dataset-id: (get dataset-id listing),
      buyer: buyer,
      seller: seller,
      price: price,
      fee: fee,
      treasury: treasury-address,
    })
    (ok true)
  )
)

;; Owner only: the marketplace fee in basis points, at most MAX_FEE_BPS.
(define-public (set-fee-bps (bps uint))
  (begin
    (try! (check-owner))
    (asserts! (<= bps MAX_FEE_BPS) ERR_FEE_TOO_HIGH)
    (var-set fee-bps bps)
    (print {
      topic: "fee-set",
      fee-bps: bps,
    })
    (ok true)
  )
)

;; Owner only: where marketplace fees go; a standard (wallet) principal.
(define-public (set-treasury (who principal))
  (begin
    (try! (check-owner))
    (asserts! (is-standard-principal who) ERR_CONTRACT_TREASURY)
    (var-set treasury who)
    (print {
      topic: "treasury-set",
      treasury: who,
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

(define-private (is-valid-price (price uint))
  (and (> price u0) (<= price MAX_PRICE))
)

;; False for a contract principal (`ADDRESS.name`), whatever its network.
(define-private (is-standard-principal (who principal))
  (is-none (match (principal-destruct? who)
    parts (get name parts)
    parts (get name parts)
  ))
)

(define-private (get-dataset-owner (dataset-id uint))
  (get owner (contract-call? .registry get-dataset dataset-id))
)

;; The listing when it exists, the caller sells it and it is still active.
(define-private (get-seller-listing (listing-id uint))
  (let ((listing (unwrap! (map-get? listings listing-id) ERR_UNKNOWN_LISTING)))
    (asserts! (is-eq contract-caller (get seller listing)) ERR_NOT_SELLER)
    (asserts! (get active listing) ERR_LISTING_INACTIVE)
    (ok listing)
  )
)

;; An active listing by the dataset's current owner blocks a new one; one by a
;; previous owner is stale (it can no longer be bought) and is closed.
(define-private (close-stale-listing
    (listing-id uint)
    (new-seller principal)
  )
  (match (map-get? listings listing-id)
    previous (begin
      (asserts! (not (is-eq (get seller previous) new-seller)) ERR_ALREADY_LISTED)
      (map-set listings listing-id (merge previous { active: false }))
      (print {
        topic: "listing-closed-stale",
        listing-id: listing-id,
        seller: (get seller previous),
      })
      (ok true)
    )
    (ok true)
  )
)
