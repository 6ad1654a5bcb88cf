//! The settings file of `genoflow chain setup`: TOML in, checked [`Setting`]s out.
//!
//! Everything here is pure: amounts are converted exactly (decimal STX strings to µSTX with
//! integers only, days to seconds) and checked against the contracts' caps, so a value the
//! contracts would refuse is refused here, naming its key, before anything is sent.

use std::{collections::BTreeSet, str::FromStr as _};

use anyhow::{Context as _, anyhow, bail};
use genoflow_stacks::{
    address::{AddressVersion, StacksAddress},
    clarity::Principal,
    keys::PublicKey,
    transaction::Network,
};
use serde::Deserialize;

use super::calls::Setting;

/// µSTX in one STX.
pub(crate) const MICRO_PER_STX: u128 = 1_000_000;
/// Seconds in a day, as the subscription contract counts them.
pub(crate) const SECONDS_PER_DAY: u128 = 86_400;
/// The highest price (µSTX) a plan or listing may have: 10^18 (`MAX_PRICE`).
pub(crate) const MAX_PRICE: u128 = 1_000_000_000_000_000_000;
/// The longest plan, in seconds: 20 years of 365 days (`MAX_DURATION`).
pub(crate) const MAX_DURATION: u128 = 630_720_000;
/// The highest marketplace fee, in basis points (`MAX_FEE_BPS`, 10%).
pub(crate) const MAX_FEE_BPS: u128 = 1_000;

/// The file as written. Every section is optional; unknown keys are refused (a typo would
/// otherwise be silently ignored).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    contracts: String,
    #[serde(default)]
    anchorers: Vec<AnchorerEntry>,
    #[serde(default)]
    oracles: Vec<OracleEntry>,
    #[serde(default)]
    plans: Vec<PlanEntry>,
    marketplace: Option<MarketplaceSection>,
    subscription: Option<SubscriptionSection>,
    reputation: Option<ReputationSection>,
}

fn enabled() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnchorerEntry {
    address: String,
    #[serde(default = "enabled")]
    enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OracleEntry {
    public_key: String,
    #[serde(default = "enabled")]
    enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanEntry {
    id: u64,
    /// A string, so that no amount goes through a float.
    price_stx: toml::Value,
    duration_days: u64,
    #[serde(default = "enabled")]
    active: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MarketplaceSection {
    fee_bps: Option<u64>,
    treasury: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscriptionSection {
    treasury: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReputationSection {
    min_rating_price_stx: Option<toml::Value>,
}

/// A checked settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetupConfig {
    /// The address that deployed the six contracts.
    pub(crate) contracts: StacksAddress,
    /// The network the contracts address belongs to.
    pub(crate) network: Network,
    /// What the contracts should hold, in the file's order.
    pub(crate) settings: Vec<Setting>,
}

/// Parses and checks a settings file.
///
/// # Errors
/// TOML syntax, unknown keys, malformed addresses or keys, amounts that are not exact decimal
/// STX, values above the contracts' caps, duplicates; each message names its key.
pub(crate) fn parse(text: &str) -> anyhow::Result<SetupConfig> {
    let file: File = toml::from_str(text)?;
    let contracts = StacksAddress::from_str(file.contracts.trim()).map_err(|e| {
        anyhow!(
            "contracts = {:?}: not a Stacks address: {e}",
            file.contracts
        )
    })?;
    let network = network_of(contracts.version()).with_context(|| {
        format!(
            "contracts = {:?}: not a single- or multi-signature address of mainnet or testnet",
            file.contracts
        )
    })?;
    let mut settings = Vec::new();

    let mut seen = BTreeSet::new();
    for (index, entry) in file.anchorers.iter().enumerate() {
        let key = format!("anchorers[{index}].address");
        let who = principal(&entry.address, network, &key)?;
        if !seen.insert(who.to_string()) {
            bail!("{key} = {:?}: listed twice", entry.address);
        }
        settings.push(Setting::Anchorer {
            who,
            enabled: entry.enabled,
        });
    }

    let mut seen = BTreeSet::new();
    for (index, entry) in file.oracles.iter().enumerate() {
        let key = format!("oracles[{index}].public_key");
        let public_key = oracle_key(&entry.public_key)
            .with_context(|| format!("{key} = {:?}", entry.public_key))?;
        if !seen.insert(public_key) {
            bail!("{key} = {:?}: listed twice", entry.public_key);
        }
        settings.push(Setting::Oracle {
            public_key,
            enabled: entry.enabled,
        });
    }

    let mut seen = BTreeSet::new();
    for entry in &file.plans {
        let key = |name: &str| format!("plans[id = {}].{name}", entry.id);
        if !seen.insert(entry.id) {
            bail!("plans: id {} is listed twice", entry.id);
        }
        let price = stx_value(&entry.price_stx, &key("price_stx"))?;
        if price > MAX_PRICE {
            bail!(
                "{} = {:?}: {} µSTX is above the contract's cap of 10^18 µSTX (1,000,000,000,000 STX)",
                key("price_stx"),
                entry.price_stx.as_str().unwrap_or_default(),
                price
            );
        }
        let duration = days_to_seconds(entry.duration_days);
        if duration == 0 || duration > MAX_DURATION {
            bail!(
                "{} = {}: a plan lasts 1 to 7300 days (630,720,000 s, the contract's cap)",
                key("duration_days"),
                entry.duration_days
            );
        }
        settings.push(Setting::Plan {
            id: entry.id.into(),
            price,
            days: entry.duration_days,
            active: entry.active,
        });
    }

    if let Some(section) = &file.marketplace {
        if let Some(bps) = section.fee_bps {
            if u128::from(bps) > MAX_FEE_BPS {
                bail!("marketplace.fee_bps = {bps}: the contract's cap is 1000 (10%); 250 is 2.5%");
            }
            settings.push(Setting::MarketplaceFee(bps.into()));
        }
        if let Some(treasury) = &section.treasury {
            settings.push(Setting::MarketplaceTreasury(standard_address(
                treasury,
                network,
                "marketplace.treasury",
            )?));
        }
    }
    if let Some(SubscriptionSection {
        treasury: Some(treasury),
    }) = &file.subscription
    {
        settings.push(Setting::SubscriptionTreasury(standard_address(
            treasury,
            network,
            "subscription.treasury",
        )?));
    }
    if let Some(ReputationSection {
        min_rating_price_stx: Some(price),
    }) = &file.reputation
    {
        settings.push(Setting::MinRatingPrice(stx_value(
            price,
            "reputation.min_rating_price_stx",
        )?));
    }
    Ok(SetupConfig {
        contracts,
        network,
        settings,
    })
}

/// The network of an address version (`ST`/`SN` testnet, `SP`/`SM` mainnet).
pub(crate) fn network_of(version: AddressVersion) -> Option<Network> {
    match version {
        AddressVersion::TESTNET_SINGLE_SIG | AddressVersion::TESTNET_MULTI_SIG => {
            Some(Network::Testnet)
        }
        AddressVersion::MAINNET_SINGLE_SIG | AddressVersion::MAINNET_MULTI_SIG => {
            Some(Network::Mainnet)
        }
        _ => None,
    }
}

fn network_name(network: Network) -> &'static str {
    match network {
        Network::Testnet => "testnet",
        Network::Mainnet => "mainnet",
    }
}

fn check_network(address: &StacksAddress, network: Network, key: &str) -> anyhow::Result<()> {
    if network_of(address.version()) == Some(network) {
        Ok(())
    } else {
        bail!(
            "{key} = \"{address}\": not a {} address, the network of `contracts`",
            network_name(network)
        )
    }
}

/// A principal (an account, or a contract `ADDRESS.name`) of `network`.
fn principal(text: &str, network: Network, key: &str) -> anyhow::Result<Principal> {
    let principal = Principal::parse(text.trim())
        .map_err(|e| anyhow!("{key} = {text:?}: not a Stacks principal: {e}"))?;
    check_network(principal.address(), network, key)?;
    Ok(principal)
}

/// A standard (wallet) address of `network`: the contracts refuse a contract principal as a
/// treasury (it might be unable to spend what it receives).
fn standard_address(text: &str, network: Network, key: &str) -> anyhow::Result<StacksAddress> {
    match principal(text, network, key)? {
        Principal::Standard(address) => Ok(address),
        Principal::Contract(..) => bail!(
            "{key} = {text:?}: a treasury must be a standard (wallet) address, not a contract: \
             the contracts refuse one (u304, u412)"
        ),
    }
}

/// A compressed secp256k1 public key, 33 bytes in hex (`02…` or `03…`).
fn oracle_key(text: &str) -> anyhow::Result<[u8; 33]> {
    let text = text.trim();
    let bytes =
        hex::decode(text.strip_prefix("0x").unwrap_or(text)).map_err(|_| anyhow!("not hex"))?;
    let public_key: [u8; 33] = bytes.as_slice().try_into().map_err(|_| {
        anyhow!(
            "{} bytes: an oracle key is a 33-byte compressed public key (66 hex digits, 02… or 03…)",
            bytes.len()
        )
    })?;
    PublicKey::from_bytes(&public_key).map_err(|_| anyhow!("not a point of secp256k1"))?;
    Ok(public_key)
}

/// An amount in STX written as a TOML string.
fn stx_value(value: &toml::Value, key: &str) -> anyhow::Result<u128> {
    match value {
        toml::Value::String(text) => {
            stx_to_micro(text).map_err(|why| anyhow!("{key} = {text:?}: {why}"))
        }
        other => bail!(
            "{key} = {}: write STX amounts as strings, e.g. {key} = \"5\" or \"0.25\" \
             (decimal STX, up to 6 decimals), so that no amount is rounded",
            toml_literal(other)
        ),
    }
}

/// A TOML value as written (near enough for a message).
fn toml_literal(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => format!("{text:?}"),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) => number.to_string(),
        toml::Value::Boolean(flag) => flag.to_string(),
        toml::Value::Datetime(datetime) => datetime.to_string(),
        toml::Value::Array(_) => "[…]".to_owned(),
        toml::Value::Table(_) => "{…}".to_owned(),
    }
}

/// Decimal STX (`"5"`, `"0.25"`, `"1.000001"`) to µSTX, exactly: digits, then optionally a
/// point and 1 to 6 digits. No sign, exponent, spaces or separators.
///
/// # Errors
/// A description of what is wrong with the text.
pub(crate) fn stx_to_micro(text: &str) -> Result<u128, String> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err("not an amount of STX: digits, optionally a point and up to 6 decimals (\"5\", \"0.25\")".to_owned());
    }
    let fraction = fraction.unwrap_or("");
    if fraction.len() > 6 {
        return Err(
            "more than 6 decimals: 0.000001 STX (1 µSTX) is the smallest amount".to_owned(),
        );
    }
    let too_large = || "too large".to_owned();
    let whole: u128 = whole.parse().map_err(|_| too_large())?;
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<6}").parse().map_err(|_| too_large())?
    };
    whole
        .checked_mul(MICRO_PER_STX)
        .and_then(|micro| micro.checked_add(fraction))
        .ok_or_else(too_large)
}

/// µSTX as decimal STX without trailing zeros (`5000000` → `"5"`, `250000` → `"0.25"`).
pub(crate) fn micro_to_stx(micro: u128) -> String {
    let (whole, fraction) = (micro / MICRO_PER_STX, micro % MICRO_PER_STX);
    if fraction == 0 {
        whole.to_string()
    } else {
        let fraction = format!("{fraction:06}");
        format!("{whole}.{}", fraction.trim_end_matches('0'))
    }
}

/// Days to seconds of chain time (86,400 s a day).
pub(crate) fn days_to_seconds(days: u64) -> u128 {
    u128::from(days) * SECONDS_PER_DAY
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    const WALLET_2: &str = "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG";
    /// The public key of the devnet deployer (compressed).
    const ORACLE: &str = "0390a5cac7c33fda49f70bc1b0866fa0ba7a9440d9de647fecb8132ceb76a94dfa";

    fn error(text: &str) -> String {
        format!("{:#}", parse(text).unwrap_err())
    }

    #[test]
    fn stx_strings_convert_exactly() {
        for (text, micro) in [
            ("0", 0),
            ("5", 5_000_000),
            ("0.25", 250_000),
            ("1.000001", 1_000_001),
            ("0.000001", 1),
            ("007.5", 7_500_000),
            ("1000000000000", MAX_PRICE),
            ("1000000000000.000001", MAX_PRICE + 1),
            // 0.1 + 0.2 as floats is 0.30000000000000004: no float is involved here.
            ("0.3", 300_000),
            ("123456789.123456", 123_456_789_123_456),
        ] {
            assert_eq!(stx_to_micro(text), Ok(micro), "{text}");
            assert_eq!(stx_to_micro(&micro_to_stx(micro)), Ok(micro), "{text}");
        }
        assert_eq!(micro_to_stx(250_000), "0.25");
        assert_eq!(micro_to_stx(5_000_000), "5");
        assert_eq!(micro_to_stx(1), "0.000001");
        for bad in [
            "", ".", "5.", ".5", "-1", "+1", "1e6", " 5", "5 ", "1,5", "1_000", "0x10", "five",
            "1.2.3", "NaN",
        ] {
            assert!(
                stx_to_micro(bad).unwrap_err().contains("not an amount"),
                "{bad:?}"
            );
        }
        assert!(
            stx_to_micro("0.0000001")
                .unwrap_err()
                .contains("more than 6 decimals")
        );
        assert!(
            stx_to_micro(&"9".repeat(40))
                .unwrap_err()
                .contains("too large")
        );
        // u128::MAX / 10^6 fits, times 10^6 plus the fraction does not.
        let max_whole = (u128::MAX / MICRO_PER_STX).to_string();
        assert!(stx_to_micro(&max_whole).is_ok());
        assert_eq!(
            stx_to_micro(&format!("{max_whole}.999999")),
            Err("too large".to_owned())
        );
    }

    #[test]
    fn days_are_86400_seconds() {
        assert_eq!(days_to_seconds(0), 0);
        assert_eq!(days_to_seconds(1), 86_400);
        assert_eq!(days_to_seconds(30), 2_592_000);
        assert_eq!(days_to_seconds(7300), MAX_DURATION);
        assert_eq!(days_to_seconds(u64::MAX), u128::from(u64::MAX) * 86_400);
    }

    #[test]
    fn a_full_file_becomes_settings_in_file_order() {
        let config = parse(&format!(
            r#"
            contracts = "{DEPLOYER}"
            [[anchorers]]
            address = "{WALLET_2}"
            [[anchorers]]
            address = "{DEPLOYER}.some-contract"
            enabled = false
            [[oracles]]
            public_key = "{ORACLE}"
            [[plans]]
            id = 1
            price_stx = "5"
            duration_days = 30
            active = true
            [[plans]]
            id = 2
            price_stx = "0.25"
            duration_days = 7300
            active = false
            [marketplace]
            fee_bps = 250
            treasury = "{WALLET_2}"
            [subscription]
            treasury = "{DEPLOYER}"
            [reputation]
            min_rating_price_stx = "1"
            "#
        ))
        .unwrap();
        assert_eq!(config.contracts.to_string(), DEPLOYER);
        assert_eq!(config.network, Network::Testnet);
        let address = |text: &str| StacksAddress::from_str(text).unwrap();
        let mut oracle = [0; 33];
        hex::decode_to_slice(ORACLE, &mut oracle).unwrap();
        assert_eq!(
            config.settings,
            vec![
                Setting::Anchorer {
                    who: Principal::parse(WALLET_2).unwrap(),
                    enabled: true
                },
                Setting::Anchorer {
                    who: Principal::parse(&format!("{DEPLOYER}.some-contract")).unwrap(),
                    enabled: false
                },
                Setting::Oracle {
                    public_key: oracle,
                    enabled: true
                },
                Setting::Plan {
                    id: 1,
                    price: 5_000_000,
                    days: 30,
                    active: true
                },
                Setting::Plan {
                    id: 2,
                    price: 250_000,
                    days: 7300,
                    active: false
                },
                Setting::MarketplaceFee(250),
                Setting::MarketplaceTreasury(address(WALLET_2)),
                Setting::SubscriptionTreasury(address(DEPLOYER)),
                Setting::MinRatingPrice(1_000_000),
            ]
        );
    }

    #[test]
    fn the_example_file_is_valid() {
        let config = parse(include_str!("../../../infra/chain-setup.example.toml")).unwrap();
        assert_eq!(config.contracts.to_string(), DEPLOYER);
        assert_eq!(config.settings.len(), 8);
        assert!(config.settings.contains(&Setting::Plan {
            id: 2,
            price: 50_000_000,
            days: 365,
            active: true
        }));
    }

    #[test]
    fn every_section_is_optional() {
        let config = parse(&format!("contracts = \"{DEPLOYER}\"\n")).unwrap();
        assert!(config.settings.is_empty());
        let config = parse(&format!(
            "contracts = \"{DEPLOYER}\"\n[marketplace]\nfee_bps = 0\n[subscription]\n[reputation]\n"
        ))
        .unwrap();
        assert_eq!(config.settings, vec![Setting::MarketplaceFee(0)]);
        // Omitted `enabled` / `active` mean true.
        let config = parse(&format!(
            "contracts = \"{DEPLOYER}\"\n[[plans]]\nid = 3\nprice_stx = \"0\"\nduration_days = 1\n"
        ))
        .unwrap();
        assert_eq!(
            config.settings,
            vec![Setting::Plan {
                id: 3,
                price: 0,
                days: 1,
                active: true
            }]
        );
        let mainnet = parse("contracts = \"SP000000000000000000002Q6VF78\"\n").unwrap();
        assert_eq!(mainnet.network, Network::Mainnet);
    }

    #[test]
    fn values_above_the_caps_are_refused_naming_their_key() {
        let with = |body: &str| error(&format!("contracts = \"{DEPLOYER}\"\n{body}"));
        let plan = |price: &str, days: u64| {
            with(&format!(
                "[[plans]]\nid = 4\nprice_stx = \"{price}\"\nduration_days = {days}\nactive = true\n"
            ))
        };
        assert!(parse(&format!(
            "contracts = \"{DEPLOYER}\"\n[[plans]]\nid = 4\nprice_stx = \"1000000000000\"\nduration_days = 7300\n"
        ))
        .is_ok());
        let over_price = plan("1000000000000.000001", 30);
        assert!(
            over_price.contains("plans[id = 4].price_stx"),
            "{over_price}"
        );
        assert!(over_price.contains("10^18"), "{over_price}");
        let over_days = plan("5", 7301);
        assert!(
            over_days.contains("plans[id = 4].duration_days = 7301"),
            "{over_days}"
        );
        assert!(over_days.contains("630,720,000"), "{over_days}");
        assert!(plan("5", 0).contains("plans[id = 4].duration_days = 0"));
        assert!(plan("1.0000001", 30).contains("more than 6 decimals"));
        let fee = with("[marketplace]\nfee_bps = 1001\n");
        assert!(fee.contains("marketplace.fee_bps = 1001"), "{fee}");
        assert!(
            parse(&format!(
                "contracts = \"{DEPLOYER}\"\n[marketplace]\nfee_bps = 1000\n"
            ))
            .is_ok()
        );
        let negative = with("[marketplace]\nfee_bps = -1\n");
        assert!(negative.contains("fee_bps"), "{negative}");
    }

    #[test]
    fn malformed_values_are_refused_naming_their_key() {
        let with = |body: &str| error(&format!("contracts = \"{DEPLOYER}\"\n{body}"));
        let float = with("[[plans]]\nid = 1\nprice_stx = 5.5\nduration_days = 30\n");
        assert!(
            float.contains("plans[id = 1].price_stx = 5.5: write STX amounts as strings"),
            "{float}"
        );
        let integer = with("[reputation]\nmin_rating_price_stx = 1\n");
        assert!(
            integer.contains("reputation.min_rating_price_stx = 1: write STX amounts as strings"),
            "{integer}"
        );
        let contract_treasury = with(&format!(
            "[marketplace]\ntreasury = \"{DEPLOYER}.treasury\"\n"
        ));
        assert!(
            contract_treasury.contains("marketplace.treasury"),
            "{contract_treasury}"
        );
        assert!(
            contract_treasury.contains("not a contract"),
            "{contract_treasury}"
        );
        let mainnet = with("[subscription]\ntreasury = \"SP000000000000000000002Q6VF78\"\n");
        assert!(mainnet.contains("subscription.treasury"), "{mainnet}");
        assert!(mainnet.contains("not a testnet address"), "{mainnet}");
        let typo = with(&format!(
            "[[anchorers]]\naddress = \"{}X\"\n",
            &WALLET_2[..40]
        ));
        assert!(typo.contains("anchorers[0].address"), "{typo}");
        let twice = with(&format!(
            "[[anchorers]]\naddress = \"{WALLET_2}\"\n[[anchorers]]\naddress = \"{WALLET_2}\"\nenabled = false\n"
        ));
        assert!(
            twice.contains("anchorers[1].address") && twice.contains("listed twice"),
            "{twice}"
        );
        let short = with("[[oracles]]\npublic_key = \"0390a5\"\n");
        assert!(
            short.contains("oracles[0].public_key") && short.contains("33-byte"),
            "{short}"
        );
        let uncompressed = with(&format!(
            "[[oracles]]\npublic_key = \"04{}\"\n",
            "11".repeat(64)
        ));
        assert!(uncompressed.contains("65 bytes"), "{uncompressed}");
        let off_curve = with(&format!(
            "[[oracles]]\npublic_key = \"05{}\"\n",
            "11".repeat(32)
        ));
        assert!(off_curve.contains("not a point"), "{off_curve}");
        let plans = with(
            "[[plans]]\nid = 1\nprice_stx = \"1\"\nduration_days = 1\n[[plans]]\nid = 1\nprice_stx = \"2\"\nduration_days = 1\n",
        );
        assert!(plans.contains("id 1 is listed twice"), "{plans}");
        let unknown = with("[marketplace]\nfee_bp = 250\n");
        assert!(unknown.contains("fee_bp"), "{unknown}");
        assert!(error("[marketplace]\nfee_bps = 250\n").contains("contracts"));
        assert!(
            error("contracts = \"ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM.registry\"\n")
                .contains("contracts =")
        );
    }
}
