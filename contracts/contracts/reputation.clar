;; title: reputation
;; summary: Ratings of sellers by their buyers, and endorsements between verified identities.
;; description: A buyer of a marketplace listing rates it once (1..5); the score
;; counts toward the listing's seller. A verified identity endorses another
;; principal once.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u500))
;; The caller has not purchased this listing.
(define-constant ERR_NOT_BUYER (err u501))
;; The score is outside MIN_SCORE..MAX_SCORE.
(define-constant ERR_INVALID_SCORE (err u502))
;; The caller already rated this listing.
(define-constant ERR_ALREADY_RATED (err u503))
;; The caller is not a verified identity.
(define-constant ERR_NOT_VERIFIED (err u504))
;; Nobody can endorse themselves.
(define-constant ERR_SELF_ENDORSEMENT (err u505))
;; The caller already endorsed this principal.
(define-constant ERR_ALREADY_ENDORSED (err u506))

(define-constant MIN_SCORE u1)
(define-constant MAX_SCORE u5)
(define-constant NO_REPUTATION {
  ratings: u0,
  total: u0,
  endorsements: u0,
})

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)

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
    endorsements: uint,
  }
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

;; Number of ratings, sum of their scores, number of endorsements (zeros when none).
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

(define-public (set-contract-owner (new-owner principal))
  (begin
    (try! (check-owner))
    (var-set contract-owner new-owner)
    (print {
      topic: "set-contract-owner",
      old-owner: contract-caller,
      new-owner: new-owner,
    })
    (ok true)
  )
)

;; A buyer of the listing rates it once with a score of 1..5; the score counts
;; toward the listing's seller.
(define-public (rate
    (listing-id uint)
    (score uint)
  )
  (let (
      (rater contract-caller)
      (listing (unwrap! (contract-call? .marketplace get-listing listing-id) ERR_NOT_BUYER))
      (seller (get seller listing))
      (reputation (get-reputation seller))
    )
    (asserts! (contract-call? .marketplace has-purchased listing-id rater)
      ERR_NOT_BUYER
    )
    (asserts! (and (>= score MIN_SCORE) (<= score MAX_SCORE)) ERR_INVALID_SCORE)
    (asserts!
      (map-insert ratings {
        listing-id: listing-id,
        rater: rater,
      }
        score
      )
      ERR_ALREADY_RATED
    )
    (map-set reputations seller
      (merge reputation {
        ratings: (+ (get ratings reputation) u1),
        total: (+ (get total reputation) score),
      })
    )
    (print {
      topic: "rated",
      listing-id: listing-id,
      rater: rater,
      seller: seller,
      score: score,
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
