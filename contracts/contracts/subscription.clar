;; title: subscription
;; summary: GenoFlow subscription plans paid in STX.
;; description: The owner defines plans (price in micro-STX, duration in Stacks
;; blocks). `subscribe` pays the plan price from the caller to the treasury and
;; extends the caller's expiry by the plan's duration, counted from the later
;; of the current expiry and the current block.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u300))
;; A plan needs a duration of at least one block.
(define-constant ERR_INVALID_PLAN (err u301))
;; No plan with this id.
(define-constant ERR_UNKNOWN_PLAN (err u302))
;; The plan exists but is not open for subscriptions.
(define-constant ERR_PLAN_INACTIVE (err u303))

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)
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

(define-read-only (get-plan (plan-id uint))
  (map-get? plans plan-id)
)

(define-read-only (get-subscription (who principal))
  (map-get? subscriptions who)
)

;; True while the subscription's expiry block is still ahead.
(define-read-only (is-active (who principal))
  (match (map-get? subscriptions who)
    subscription (> (get expires-at subscription) stacks-block-height)
    false
  )
)

(define-read-only (get-treasury)
  (var-get treasury)
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

;; Owner only: creates or changes a plan. Existing subscriptions keep their expiry.
(define-public (set-plan
    (plan-id uint)
    (price uint)
    (duration uint)
    (active bool)
  )
  (begin
    (try! (check-owner))
    (asserts! (> duration u0) ERR_INVALID_PLAN)
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
;; the new expiry block. A free plan (price 0) moves no STX.
(define-public (subscribe (plan-id uint))
  (let (
      (subscriber tx-sender)
      (plan (unwrap! (map-get? plans plan-id) ERR_UNKNOWN_PLAN))
      (current-expiry (default-to u0 (get expires-at (map-get? subscriptions subscriber))))
      (starts-at (if (> current-expiry stacks-block-height)
        current-expiry
        stacks-block-height
      ))
      (expires-at (+ starts-at (get duration plan)))
    )
    (asserts! (get active plan) ERR_PLAN_INACTIVE)
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

;; Owner only: where subscription payments go.
(define-public (set-treasury (who principal))
  (begin
    (try! (check-owner))
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
