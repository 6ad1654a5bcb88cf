;; title: identity
;; summary: GenoFlow identities: a display name, a role and a verified flag per principal.
;; description: Anyone may register once. The contract owner marks identities as
;; verified (for example after checking an institution); other GenoFlow
;; contracts ask `is-registered` and `is-verified`.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u100))
;; The caller already has an identity.
(define-constant ERR_ALREADY_REGISTERED (err u101))
;; Role is not one of ROLE_RESEARCHER..ROLE_STUDENT.
(define-constant ERR_INVALID_ROLE (err u102))
;; The name is empty.
(define-constant ERR_EMPTY_NAME (err u103))
;; The principal has no identity.
(define-constant ERR_NOT_REGISTERED (err u104))

(define-constant ROLE_RESEARCHER u1)
(define-constant ROLE_CLINICIAN u2)
(define-constant ROLE_LAB u3)
(define-constant ROLE_STUDENT u4)

;; ---------------------------------------------------------------------------
;; Data
;; ---------------------------------------------------------------------------

(define-data-var contract-owner principal tx-sender)

(define-map identities
  principal
  {
    name: (string-utf8 64),
    role: uint,
    verified: bool,
    registered-at: uint,
  }
)

;; ---------------------------------------------------------------------------
;; Read-only functions
;; ---------------------------------------------------------------------------

(define-read-only (get-contract-owner)
  (var-get contract-owner)
)

(define-read-only (get-identity (who principal))
  (map-get? identities who)
)

(define-read-only (is-registered (who principal))
  (is-some (map-get? identities who))
)

(define-read-only (is-verified (who principal))
  (default-to false (get verified (map-get? identities who)))
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

;; Registers the caller with a display name and a role
;; (u1 researcher, u2 clinician, u3 lab, u4 student). New identities are unverified.
(define-public (register
    (name (string-utf8 64))
    (role uint)
  )
  (let ((who contract-caller))
    (asserts! (not (is-registered who)) ERR_ALREADY_REGISTERED)
    (asserts! (and (>= role ROLE_RESEARCHER) (<= role ROLE_STUDENT))
      ERR_INVALID_ROLE
    )
    (asserts! (> (len name) u0) ERR_EMPTY_NAME)
    (map-set identities who {
      name: name,
      role: role,
      verified: false,
      registered-at: stacks-block-height,
    })
    (print {
      topic: "identity-registered",
      who: who,
      name: name,
      role: role,
    })
    (ok true)
  )
)

;; Changes the caller's display name; role and verification stay.
(define-public (update-name (name (string-utf8 64)))
  (let (
      (who contract-caller)
      (identity (unwrap! (map-get? identities who) ERR_NOT_REGISTERED))
    )
    (asserts! (> (len name) u0) ERR_EMPTY_NAME)
    (map-set identities who (merge identity { name: name }))
    (print {
      topic: "identity-name-updated",
      who: who,
      name: name,
    })
    (ok true)
  )
)

;; Owner only: marks an identity as verified or removes the mark.
(define-public (set-verified
    (who principal)
    (verified bool)
  )
  (begin
    (try! (check-owner))
    (let ((identity (unwrap! (map-get? identities who) ERR_NOT_REGISTERED)))
      (map-set identities who (merge identity { verified: verified }))
      (print {
        topic: "identity-verified",
        who: who,
        verified: verified,
      })
      (ok true)
    )
  )
)

;; ---------------------------------------------------------------------------
;; Private functions
;; ---------------------------------------------------------------------------

(define-private (check-owner)
  (ok (asserts! (is-eq contract-caller (var-get contract-owner)) ERR_UNAUTHORIZED))
)
