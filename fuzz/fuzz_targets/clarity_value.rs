//! The Clarity value decoder must never panic, and whatever it accepts must
//! re-encode to exactly the input (the decoder only takes canonical bytes).
#![no_main]

use genoflow_stacks::clarity::ClarityValue;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = ClarityValue::deserialize(data) {
        assert_eq!(
            value.serialize(),
            data,
            "accepted bytes that do not re-encode identically"
        );
        let _ = value.to_string();
    }
});
