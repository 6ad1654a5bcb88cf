//! The transaction decoder must never panic, and whatever it accepts must
//! re-encode to exactly the input; signature checks on it must not panic either.
#![no_main]

use genoflow_stacks::transaction::Transaction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(transaction) = Transaction::deserialize(data) {
        assert_eq!(
            transaction.serialize(),
            data,
            "accepted bytes that do not re-encode identically"
        );
        let _ = transaction.verify_signature();
        let _ = transaction.txid();
    }
});
