;; title: reputation
;; summary: Ratings of sellers by their buyers, and endorsements between verified identities.
;; description: A buyer of a marketplace listing rates its seller (1..5), once
;; per seller whatever the listing, and only for a purchase that paid at least
;; `min-rating-price`: farming ratings with sock-puppet wallets costs real
;; fees. Ratings by verified identities are also summed apart. A verified
;; identity endorses another principal once.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u500))
;; The caller has not purchased this listing.
(define-constant ERR_NOT_BUYER (err u501))
;; The score is outside MIN_SCORE..MAX_SCORE.
(define-constant ERR_INVALID_SCORE (err u502))
;; The caller already rated this seller (through any listing).
(define-constant ERR_ALREADY_RATED (err u503))
;; The caller is not a verified identity.
(define-constant ERR_NOT_VERIFIED (err u504))
;; Nobody can endorse themselves.
(define-constant ERR_SELF_ENDORSEMENT (err u505))
;; The caller already endorsed this principal.
(define-constant ERR_ALREADY_ENDORSED (err u506))
;; The rated purchase paid less than min-rating-price.
(define-constant ERR_PRICE_TOO_LOW (err u507))

(define-constant MIN_SCORE u1)
(define-constant MAX_SCORE u5)
(define-constant NO_REPUTATION {
  ratings: u0,
  total: u0,
  verified-ratings: u0,
  verified-total: u0,
  endorsements: u0,
})

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)
;; The least a purchase must have paid (micro-STX) for its buyer to rate: 1 STX until changed.
(define-data-var min-rating-price uint u1000000)
;; Set by `set-contract-owner`, cleared by `accept-contract-owner`.
(define-data-var pending-owner (optional principal) none)

(define-map ratings
  {
    listing-id: uint,
    rater: principal,
  }
  uint
)

(define-map reputations
  principal
  {
    ratings: uint,
    total: uint,
    verified-ratings: uint,
    verified-total: uint,
    endorsements: uint,
  }
)

;; The listing through which each rater rated each seller: one rating per pair.
(define-map seller-ratings
  {
    seller: principal,
    rater: principal,
  }
  uint
)

(define-map endorsements
  {
    endorser: principal,
    endorsee: principal,
  }
  uint
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

;; Number of ratings and sum of their scores, the same over raters that were
;; verified when they rated, and number of endorsements (zeros when none).
(define-read-only (get-reputation (who principal))
  (default-to NO_REPUTATION (map-get? reputations who))
)

(define-read-only (get-rating
    (listing-id uint)
    (rater principal)
  )
  (map-get? ratings {
    listing-id: listing-id,
    rater: rater,
  })
)

(define-read-only (get-min-rating-price)
  (var-get min-rating-price)
)

(define-read-only (has-endorsed
    (endorser principal)
    (endorsee principal)
  )
  (is-some (map-get? endorsements {
    endorser: endorser,
    endorsee: endorsee,
  }))
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

;; A buyer of the listing rates its seller with a score of 1..5: once per
;; seller, and only when the purchase paid at least min-rating-price.
(define-public (rate
    (listing-id uint)
    (score uint)
  )
  (let (
      (rater contract-caller)
      (listing (unwrap! (contract-call? .marketplace get-listing listing-id) ERR_NOT_BUYER))
      (purchase (unwrap! (contract-call? .marketplace get-purchase listing-id rater)
        ERR_NOT_BUYER
      ))
      (seller (get seller listing))
      (reputation (get-reputation seller))
      (verified (contract-call? .identity is-verified rater))
      (verified-score (if verified
        score
        u0
      ))
    )
    (asserts! (and (>= score MIN_SCORE) (<= score MAX_SCORE)) ERR_INVALID_SCORE)
    (asserts!
      (map-insert seller-ratings {
        seller: seller,
        rater: rater,
      }
        listing-id
      )
      ERR_ALREADY_RATED
    )
    (asserts! (>= (get price purchase) (var-get min-rating-price))
      ERR_PRICE_TOO_LOW
    )
    (map-set ratings {
      listing-id: listing-id,
      rater: rater,
    }
      score
    )
    (map-set reputations seller
      (merge reputation {
        ratings: (+ (get ratings reputation) u1),
        total: (+ (get total reputation) score),
        verified-ratings: (+ (get verified-ratings reputation) (if verified
          u1
          u0
        )),
        verified-total: (+ (get verified-total reputation) verified-score),
      })
    )
    (print {
      topic: "rated",
      listing-id: listing-id,
      rater: rater,
      seller: seller,
      score: score,
      verified: verified,
    })
    (ok true)
  )
)

;; Owner only: the least a purchase must have paid (micro-STX) for a rating.
(define-public (set-min-rating-price (price uint))
  (begin
    (try! (check-owner))
    (var-set min-rating-price price)
    (print {
      topic: "min-rating-price-set",
      price: price,
    })
    (ok true)
  )
)

;; A verified identity endorses another principal once.
(define-public (endorse (who principal))
  (let (
      (endorser contract-caller)
      (reputation (get-reputation who))
    )
    (asserts! (contract-call? .identity is-verified endorser) ERR_NOT_VERIFIED)
    (asserts! (not (is-eq endorser who)) ERR_SELF_ENDORSEMENT)
    (asserts!
      (map-insert endorsements {
        endorser: endorser,
        endorsee: who,
      }
        stacks-block-height
      )
      ERR_ALREADY_ENDORSED
    )
    (map-set reputations who
      (merge reputation { endorsements: (+ (get endorsements reputation) u1) })
    )
    (print {
      topic: "endorsed",
      endorser: endorser,
      endorsee: who,
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
