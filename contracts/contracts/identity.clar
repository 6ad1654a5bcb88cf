;; title: identity
;; summary: GenoFlow identities: a display name, a role and a verified flag per principal.
;; description: Anyone may register once. The contract owner marks identities as
;; verified (for example after checking an institution); a verification vouches
;; for a name, so renaming clears it. Other GenoFlow contracts ask
;; `is-registered` and `is-verified`.

;; ---------------------------------------------------------------------------
;; Constants
;; ---------------------------------------------------------------------------

;; Caller is not the contract owner.
(define-constant ERR_UNAUTHORIZED (err u100))
;; The caller already has an identity.
(define-constant ERR_ALREADY_REGISTERED (err u101))
;; Role is not one of ROLE_RESEARCHER..ROLE_STUDENT.
(define-constant ERR_INVALID_ROLE (err u102))
;; The name is empty or only spaces.
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
;; Set by `set-contract-owner`, cleared by `accept-contract-owner`.
(define-data-var pending-owner (optional principal) none)

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

(define-read-only (get-pending-owner)
  (var-get pending-owner)
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
    (asserts! (not (is-blank name)) ERR_EMPTY_NAME)
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

;; Changes the caller's display name; the role stays. The verification is
;; cleared: it vouched for the old name.
(define-public (update-name (name (string-utf8 64)))
  (let (
      (who contract-caller)
      (identity (unwrap! (map-get? identities who) ERR_NOT_REGISTERED))
    )
    (asserts! (not (is-blank name)) ERR_EMPTY_NAME)
    (map-set identities who
      (merge identity {
        name: name,
        verified: false,
      })
    )
    (print {
      topic: "identity-name-updated",
      who: who,
      name: name,
      was-verified: (get verified identity),
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

;; True for an empty name and for one of only spaces (U+0020).
(define-private (is-blank (name (string-utf8 64)))
  (is-eq (len (filter is-not-space name)) u0)
)

(define-private (is-not-space (character (string-utf8 1)))
  (not (is-eq character u" "))
)
