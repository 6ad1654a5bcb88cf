;; title: subscription
;; summary: GenoFlow subscription plans paid in STX.
;; description: The owner defines plans (price in micro-STX, duration in
;; seconds). `subscribe` pays the plan price from the caller to the treasury and
;; extends the caller's expiry by the plan's duration, counted from the later
;; of the current expiry and the current block's time (`stacks-block-time`).
;; Time is in seconds, not blocks: since Nakamoto, Stacks blocks come seconds
;; apart, so a count of blocks has no stable length.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u300))
;; A plan's duration is 0 or above MAX_DURATION, or its price above MAX_PRICE.
(define-constant ERR_INVALID_PLAN (err u301))
;; No plan with this id.
(define-constant ERR_UNKNOWN_PLAN (err u302))
;; The plan exists but is not open for subscriptions.
(define-constant ERR_PLAN_INACTIVE (err u303))
;; The treasury cannot be a contract: STX sent to it could be locked for good.
(define-constant ERR_CONTRACT_TREASURY (err u304))
;; The plan costs more than the subscriber's max-price, or lasts less than its
;; min-duration (it changed after the subscriber signed).
(define-constant ERR_PLAN_CHANGED (err u305))
;; The subscriber has an active subscription to another plan.
(define-constant ERR_OTHER_PLAN_ACTIVE (err u306))

;; The highest plan price, micro-STX (10^12 STX): prices stay far from uint overflow.
(define-constant MAX_PRICE u1000000000000000000)
;; The longest plan, seconds (20 years of 365 days).
(define-constant MAX_DURATION u630720000)

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)
;; Set by `set-contract-owner`, cleared by `accept-contract-owner`.
(define-data-var pending-owner (optional principal) none)
(define-data-var treasury principal tx-sender)

(define-map plans
  uint
  {
    price: uint,
    duration: uint,
    active: bool,
  }
)

(define-map subscriptions
  principal
  {
    plan-id: uint,
    expires-at: uint,
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

(define-read-only (get-plan (plan-id uint))
  (map-get? plans plan-id)
)

(define-read-only (get-subscription (who principal))
  (map-get? subscriptions who)
)

;; True while the subscription's expiry time (seconds) is after the current block's time.
(define-read-only (is-active (who principal))
  (match (map-get? subscriptions who)
    subscription (> (get expires-at subscription) stacks-block-time)
    false
  )
)

(define-read-only (get-treasury)
  (var-get treasury)
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

;; Owner only: creates or changes a plan (price in micro-STX, duration in
;; seconds). Existing subscriptions keep their expiry.
(define-public (set-plan
    (plan-id uint)
    (price uint)
    (duration uint)
    (active bool)
  )
  (begin
    (try! (check-owner))
    (asserts!
      (and (> duration u0) (<= duration MAX_DURATION) (<= price MAX_PRICE))
      ERR_INVALID_PLAN
    )
    (map-set plans plan-id {
      price: price,
      duration: duration,
      active: active,
    })
    (print {
      topic: "plan-set",
      plan-id: plan-id,
      price: price,
      duration: duration,
      active: active,
    })
    (ok true)
  )
)

;; Pays the plan's price (micro-STX) from the caller to the treasury and returns
;; the new expiry time (seconds). A free plan (price 0) moves no STX. The plan
;; must still cost at most `max-price` and last at least `min-duration`
;; seconds: what the subscriber saw when signing. While a subscription is
;; active only the same plan can be renewed, adding to the time left.
(define-public (subscribe
    (plan-id uint)
    (max-price uint)
    (min-duration uint)
  )
  (let (
      (subscriber tx-sender)
      (plan (unwrap! (map-get? plans plan-id) ERR_UNKNOWN_PLAN))
      (current (map-get? subscriptions subscriber))
      (current-expiry (default-to u0 (get expires-at current)))
      (active (> current-expiry stacks-block-time))
      (starts-at (if active
        current-expiry
        stacks-block-time
      ))
      (expires-at (+ starts-at (get duration plan)))
    )
    (asserts! (get active plan) ERR_PLAN_INACTIVE)
    (asserts!
      (and (<= (get price plan) max-price) (>= (get duration plan) min-duration))
      ERR_PLAN_CHANGED
    )
    (asserts! (or (not active) (is-eq (get plan-id current) (some plan-id)))
      ERR_OTHER_PLAN_ACTIVE
    )
    (if (> (get price plan) u0)
      (try! (stx-transfer? (get price plan) subscriber (var-get treasury)))
      true
    )
    (map-set subscriptions subscriber {
      plan-id: plan-id,
      expires-at: expires-at,
    })
    (print {
      topic: "subscribed",
      subscriber: subscriber,
      plan-id: plan-id,
      price: (get price plan),
      treasury: (var-get treasury),
      expires-at: expires-at,
    })
    (ok expires-at)
  )
)

;; Owner only: where subscription payments go; a standard (wallet) principal.
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

;; False for a contract principal (`ADDRESS.name`), whatever its network.
(define-private (is-standard-principal (who principal))
  (is-none (match (principal-destruct? who)
    parts (get name parts)
    parts (get name parts)
  ))
)
