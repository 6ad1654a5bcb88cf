//! Test keys and their addresses. The devnet ones are Clarinet's public devnet accounts
//! (`contracts/settings/Devnet.toml`): worthless anywhere else, and the chain stand-in funds them.

/// The devnet deployer's key (also the SIP-018 document's test key).
pub const DEPLOYER_KEY: &str = "753b7cc01a1a2e86221266a154af739463fce51219d97e4f856cd7200c3bd2a601";
/// [`DEPLOYER_KEY`]'s testnet address.
pub const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
/// devnet `wallet_1`'s key.
pub const WALLET_1_KEY: &str = "7287ba251d44a4d3fd9276c88ce34c5c52a038955511cccaf77e61068649c17801";
/// devnet `wallet_2`'s key.
pub const WALLET_2_KEY: &str = "530d9f61984c888536871c6573073bdfc0058896dc1adfe9a6a10dfacadc209101";
/// [`WALLET_2_KEY`]'s testnet address.
pub const WALLET_2: &str = "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG";
/// devnet `wallet_3`'s key.
pub const WALLET_3_KEY: &str = "d655b2523bcd65e34889725c73064feb17ceb796831c0e111ba1a552b0f31b3901";
/// [`WALLET_3_KEY`]'s testnet address.
pub const WALLET_3: &str = "ST2JHG361ZXG51QTKY2NQCVBPPRRE2KZB1HR05NNC";
/// devnet `wallet_4`'s key.
pub const WALLET_4_KEY: &str = "f9d7206a47f14d2870c163ebab4bf3e70d18f5d14ce1031f3902fbbc894fe4c701";
/// devnet `faucet`'s key.
pub const FAUCET_KEY: &str = "de433bdfa14ec43aa1098d5be594c8ffb20a31485ff9de2923b2689471c401b801";

/// The owner most tests act as: the deployer's key and address.
pub const ALICE_KEY: &str = DEPLOYER_KEY;
/// [`ALICE_KEY`]'s testnet address.
pub const ALICE: &str = DEPLOYER;
/// A second owner (devnet `wallet_2`).
pub const BOB_KEY: &str = WALLET_2_KEY;
/// [`BOB_KEY`]'s testnet address.
pub const BOB: &str = WALLET_2;
/// A key no contract or test account knows: the attacker's.
pub const MALLORY_KEY: &str = "010101010101010101010101010101010101010101010101010101010101010101";

/// The anchor function's key in tests.
pub const ANCHOR_KEY: &str = "edf9aee84d9b7abc145504dde6726c64f369d37ee34ded868fabd876c26570bc01";
/// The oracle's key in tests.
pub const ORACLE_KEY: &str = "c1d4a3e6bd5cf9a5b4b0e3c1fb3d5b5e8b4ad64d5a1ac0ee0ad7a6f5b2c3d4e501";

/// 2027-01-15T08:00:00Z: the clock of every test world starts here.
pub const START: i64 = 1_800_000_000;

#[cfg(test)]
mod tests {
    use genoflow_stacks::{address::AddressVersion, keys::PrivateKey};

    use super::*;

    #[test]
    fn the_addresses_are_the_keys_addresses() {
        let pairs = [
            (DEPLOYER_KEY, DEPLOYER),
            (WALLET_2_KEY, WALLET_2),
            (WALLET_3_KEY, WALLET_3),
        ];
        for (key, address) in pairs {
            let key = PrivateKey::from_hex(key).expect("key");
            assert_eq!(
                key.address(AddressVersion::TESTNET_SINGLE_SIG).to_string(),
                address
            );
        }
    }
}
