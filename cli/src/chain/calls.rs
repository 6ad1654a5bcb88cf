//! What `genoflow chain setup` reads and sends: for each [`Setting`], the read-only call that
//! shows the contract's current value, whether that value already is the wanted one, and the
//! owner call that sets it; and the contracts' error codes in words. Pure: no node here.

use std::fmt;

use anyhow::{anyhow, bail};
use genoflow_stacks::{
    address::StacksAddress,
    clarity::{ClarityValue, Principal},
    contracts::{Binding, CallError, marketplace, oracle, registry, reputation, subscription},
    transaction::ContractCall,
};

use super::config::{days_to_seconds, micro_to_stx};

/// One value the contracts should hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Setting {
    /// `registry.set-anchorer`: may this principal anchor batches and record results?
    Anchorer {
        /// The anchor function's address (or any principal).
        who: Principal,
        /// Allowed (`true`) or revoked.
        enabled: bool,
    },
    /// `oracle.set-oracle`: is this compressed public key an oracle?
    Oracle {
        /// 33 bytes, `02…`/`03…`.
        public_key: [u8; 33],
        /// Enabled or disabled.
        enabled: bool,
    },
    /// `subscription.set-plan`.
    Plan {
        /// Plan id.
        id: u128,
        /// µSTX.
        price: u128,
        /// Days (the contract stores seconds: days × 86,400).
        days: u64,
        /// Can be subscribed to.
        active: bool,
    },
    /// `marketplace.set-fee-bps`.
    MarketplaceFee(u128),
    /// `marketplace.set-treasury`.
    MarketplaceTreasury(StacksAddress),
    /// `subscription.set-treasury`.
    SubscriptionTreasury(StacksAddress),
    /// `reputation.set-min-rating-price`, µSTX.
    MinRatingPrice(u128),
}

impl Setting {
    /// The contract's name (`ADDRESS.name` with the deployer's address).
    pub(crate) fn contract(&self) -> &'static str {
        self.setter().contract
    }

    /// The read-only function that shows the current value.
    fn getter(&self) -> &'static Binding {
        match self {
            Self::Anchorer { .. } => &registry::IS_ANCHORER,
            Self::Oracle { .. } => &oracle::IS_ORACLE,
            Self::Plan { .. } => &subscription::GET_PLAN,
            Self::MarketplaceFee(_) => &marketplace::GET_FEE_BPS,
            Self::MarketplaceTreasury(_) => &marketplace::GET_TREASURY,
            Self::SubscriptionTreasury(_) => &subscription::GET_TREASURY,
            Self::MinRatingPrice(_) => &reputation::GET_MIN_RATING_PRICE,
        }
    }

    /// The owner function that sets the wanted value.
    fn setter(&self) -> &'static Binding {
        match self {
            Self::Anchorer { .. } => &registry::SET_ANCHORER,
            Self::Oracle { .. } => &oracle::SET_ORACLE,
            Self::Plan { .. } => &subscription::SET_PLAN,
            Self::MarketplaceFee(_) => &marketplace::SET_FEE_BPS,
            Self::MarketplaceTreasury(_) => &marketplace::SET_TREASURY,
            Self::SubscriptionTreasury(_) => &subscription::SET_TREASURY,
            Self::MinRatingPrice(_) => &reputation::SET_MIN_RATING_PRICE,
        }
    }

    fn built(call: Result<ContractCall, CallError>) -> ContractCall {
        // The deployer's address and the contracts' names make valid ids, and none of these
        // functions takes an argument that can be out of bounds.
        #[allow(clippy::expect_used)]
        call.expect("valid contract ids and arguments")
    }

    /// The read-only call that shows the current value.
    pub(crate) fn read_call(&self, contracts: &StacksAddress) -> ContractCall {
        let contract = &format!("{contracts}.{}", self.contract());
        Self::built(match self {
            Self::Anchorer { who, .. } => registry::is_anchorer(contract, who),
            Self::Oracle { public_key, .. } => oracle::is_oracle(contract, public_key),
            Self::Plan { id, .. } => subscription::get_plan(contract, *id),
            Self::MarketplaceFee(_) => marketplace::get_fee_bps(contract),
            Self::MarketplaceTreasury(_) => marketplace::get_treasury(contract),
            Self::SubscriptionTreasury(_) => subscription::get_treasury(contract),
            Self::MinRatingPrice(_) => reputation::get_min_rating_price(contract),
        })
    }

    /// The owner call that sets the wanted value.
    pub(crate) fn write_call(&self, contracts: &StacksAddress) -> ContractCall {
        let contract = &format!("{contracts}.{}", self.contract());
        Self::built(match self {
            Self::Anchorer { who, enabled } => registry::set_anchorer(contract, who, *enabled),
            Self::Oracle {
                public_key,
                enabled,
            } => oracle::set_oracle(contract, public_key, *enabled),
            Self::Plan {
                id,
                price,
                days,
                active,
            } => subscription::set_plan(contract, *id, *price, days_to_seconds(*days), *active),
            Self::MarketplaceFee(bps) => marketplace::set_fee_bps(contract, *bps),
            Self::MarketplaceTreasury(who) => {
                marketplace::set_treasury(contract, &Principal::Standard(*who))
            }
            Self::SubscriptionTreasury(who) => {
                subscription::set_treasury(contract, &Principal::Standard(*who))
            }
            Self::MinRatingPrice(price) => reputation::set_min_rating_price(contract, *price),
        })
    }

    /// Whether the getter's `answer` already is the wanted value.
    ///
    /// # Errors
    /// When the answer does not have the getter's type (not these contracts).
    pub(crate) fn holds(&self, answer: &ClarityValue) -> anyhow::Result<bool> {
        let unexpected = || {
            anyhow!(
                "{} answered {answer}, which is not what the GenoFlow contract answers",
                self.getter()
            )
        };
        Ok(match (self, answer) {
            (
                Self::Anchorer { enabled, .. } | Self::Oracle { enabled, .. },
                ClarityValue::Bool(current),
            ) => current == enabled,
            (Self::Plan { .. }, ClarityValue::Optional(None)) => false,
            (
                Self::Plan {
                    price,
                    days,
                    active,
                    ..
                },
                ClarityValue::Optional(Some(plan)),
            ) => {
                let ClarityValue::Tuple(fields) = plan.as_ref() else {
                    return Err(unexpected());
                };
                let field = |name: &str| {
                    fields
                        .iter()
                        .find(|(key, _)| key.as_str() == name)
                        .map(|(_, value)| value)
                };
                match (field("price"), field("duration"), field("active")) {
                    (
                        Some(ClarityValue::UInt(current_price)),
                        Some(ClarityValue::UInt(current_duration)),
                        Some(ClarityValue::Bool(current_active)),
                    ) => {
                        current_price == price
                            && *current_duration == days_to_seconds(*days)
                            && current_active == active
                    }
                    _ => return Err(unexpected()),
                }
            }
            (
                Self::MarketplaceFee(wanted) | Self::MinRatingPrice(wanted),
                ClarityValue::UInt(current),
            ) => current == wanted,
            (
                Self::MarketplaceTreasury(wanted) | Self::SubscriptionTreasury(wanted),
                ClarityValue::Principal(current),
            ) => *current == Principal::Standard(*wanted),
            _ => return Err(unexpected()),
        })
    }
}

/// `contract.function arguments`, as printed before each outcome.
impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.setter())?;
        match self {
            Self::Anchorer { who, enabled } => write!(f, " {who} {enabled}"),
            Self::Oracle {
                public_key,
                enabled,
            } => write!(f, " {} {enabled}", hex::encode(public_key)),
            Self::Plan {
                id,
                price,
                days,
                active,
            } => write!(
                f,
                " {id} ({} STX, {days} day{}, {})",
                micro_to_stx(*price),
                if *days == 1 { "" } else { "s" },
                if *active { "active" } else { "inactive" }
            ),
            Self::MarketplaceFee(bps) => write!(f, " {bps}"),
            Self::MarketplaceTreasury(who) | Self::SubscriptionTreasury(who) => write!(f, " {who}"),
            Self::MinRatingPrice(price) => write!(f, " {} STX", micro_to_stx(*price)),
        }
    }
}

/// What to do about one setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step<'s> {
    /// The contract already holds it.
    Unchanged(&'s Setting),
    /// Send this owner call.
    Send(&'s Setting, ContractCall),
}

/// The diff: for each setting (in order) and the answer of its [`Setting::read_call`], whether
/// to send its owner call.
///
/// # Errors
/// When an answer does not have its getter's type, or the counts differ.
pub(crate) fn steps<'s>(
    contracts: &StacksAddress,
    settings: &'s [Setting],
    answers: &[ClarityValue],
) -> anyhow::Result<Vec<Step<'s>>> {
    if settings.len() != answers.len() {
        bail!("{} settings but {} answers", settings.len(), answers.len());
    }
    settings
        .iter()
        .zip(answers)
        .map(|(setting, answer)| {
            Ok(if setting.holds(answer)? {
                Step::Unchanged(setting)
            } else {
                Step::Send(setting, setting.write_call(contracts))
            })
        })
        .collect()
}

/// An error code of the six contracts: its `ERR_` name and what it means for these calls.
pub(crate) fn error_words(code: u128) -> Option<(&'static str, &'static str)> {
    Some(match code {
        100 | 200 | 300 | 400 | 500 | 600 => (
            "ERR_UNAUTHORIZED",
            "the sender is not this contract's owner: use the deployer's key (or the owner's, after a hand-over)",
        ),
        301 => (
            "ERR_INVALID_PLAN",
            "duration 0 or above 630,720,000 s, or price above 10^18 µSTX",
        ),
        304 | 412 => (
            "ERR_CONTRACT_TREASURY",
            "a treasury must be a standard (wallet) principal, not a contract",
        ),
        410 => (
            "ERR_FEE_TOO_HIGH",
            "the fee is above 1000 basis points (10%)",
        ),
        _ => return None,
    })
}

/// A mined `(err …)` result in words: `(err u200) ERR_UNAUTHORIZED: …`.
pub(crate) fn describe_error(result: Option<&ClarityValue>) -> String {
    match result {
        Some(ClarityValue::Response(Err(code))) => match code.as_ref() {
            ClarityValue::UInt(number) => match error_words(*number) {
                Some((name, meaning)) => format!("(err u{number}) {name}: {meaning}"),
                None => format!("(err u{number})"),
            },
            ClarityValue::Optional(None) => {
                "(err none): the call stopped on a runtime error and changed nothing".to_owned()
            }
            other => format!("(err {other})"),
        },
        Some(other) => format!("result {other}"),
        None => "no result given".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr as _;

    use super::*;
    use crate::chain::config::SECONDS_PER_DAY;

    const DEPLOYER: &str = "ST1PQHQKV0RJXZFY1DGX8MNSNYVE3VGZJSRTPGZGM";
    const WALLET_2: &str = "ST2CY5V39NHDPWSXMW9QDT3HC3GD6Q6XX4CFRK9AG";

    fn address(text: &str) -> StacksAddress {
        StacksAddress::from_str(text).unwrap()
    }

    fn plan(price: u128, duration: u128, active: bool) -> ClarityValue {
        ClarityValue::some(
            ClarityValue::tuple([
                ("price", ClarityValue::UInt(price)),
                ("duration", ClarityValue::UInt(duration)),
                ("active", ClarityValue::Bool(active)),
            ])
            .unwrap(),
        )
    }

    fn settings() -> Vec<Setting> {
        vec![
            Setting::Anchorer {
                who: Principal::parse(WALLET_2).unwrap(),
                enabled: true,
            },
            Setting::Oracle {
                public_key: [3; 33],
                enabled: false,
            },
            Setting::Plan {
                id: 1,
                price: 5_000_000,
                days: 30,
                active: true,
            },
            Setting::MarketplaceFee(250),
            Setting::MarketplaceTreasury(address(WALLET_2)),
            Setting::SubscriptionTreasury(address(DEPLOYER)),
            Setting::MinRatingPrice(1_000_000),
        ]
    }

    fn sent(steps: &[Step<'_>]) -> Vec<String> {
        steps
            .iter()
            .filter_map(|step| match step {
                Step::Send(_, call) => Some(format!(
                    "{}.{} {}",
                    call.contract_name.as_str(),
                    call.function_name.as_str(),
                    call.args
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" ")
                )),
                Step::Unchanged(_) => None,
            })
            .collect()
    }

    #[test]
    fn a_fresh_deployment_needs_every_call_but_what_it_already_holds() {
        let contracts = address(DEPLOYER);
        let settings = settings();
        // What freshly deployed contracts answer: nobody enabled, no plans, 250 bps, the
        // deployer as both treasuries, 1 STX.
        let fresh = [
            ClarityValue::Bool(false),
            ClarityValue::Bool(false),
            ClarityValue::none(),
            ClarityValue::UInt(250),
            ClarityValue::principal(DEPLOYER).unwrap(),
            ClarityValue::principal(DEPLOYER).unwrap(),
            ClarityValue::UInt(1_000_000),
        ];
        let steps = steps(&contracts, &settings, &fresh).unwrap();
        assert_eq!(
            sent(&steps),
            vec![
                format!("registry.set-anchorer '{WALLET_2} true"),
                "subscription.set-plan u1 u5000000 u2592000 true".to_owned(),
                format!("marketplace.set-treasury '{WALLET_2}"),
            ]
        );
        let Step::Send(_, call) = &steps[0] else {
            panic!()
        };
        assert_eq!(call.contract_id(), format!("{DEPLOYER}.registry"));
        assert_eq!(
            settings
                .iter()
                .map(|s| s.read_call(&contracts))
                .map(|c| format!("{}.{}", c.contract_id(), c.function_name.as_str()))
                .collect::<Vec<_>>(),
            [
                "registry.is-anchorer",
                "oracle.is-oracle",
                "subscription.get-plan",
                "marketplace.get-fee-bps",
                "marketplace.get-treasury",
                "subscription.get-treasury",
                "reputation.get-min-rating-price",
            ]
            .map(|f| format!("{DEPLOYER}.{f}"))
        );
    }

    #[test]
    fn the_configured_state_needs_nothing_and_each_difference_one_call() {
        let contracts = address(DEPLOYER);
        let settings = settings();
        let configured = vec![
            ClarityValue::Bool(true),
            ClarityValue::Bool(false),
            plan(5_000_000, 30 * SECONDS_PER_DAY, true),
            ClarityValue::UInt(250),
            ClarityValue::principal(WALLET_2).unwrap(),
            ClarityValue::principal(DEPLOYER).unwrap(),
            ClarityValue::UInt(1_000_000),
        ];
        let steps = steps(&contracts, &settings, &configured).unwrap();
        assert!(
            steps.iter().all(|s| matches!(s, Step::Unchanged(_))),
            "{steps:?}"
        );

        // Each field of a plan counts.
        for (changed, expected) in [
            (plan(5_000_001, 2_592_000, true), "u5000000 u2592000 true"),
            (plan(5_000_000, 2_592_001, true), "u5000000 u2592000 true"),
            (plan(5_000_000, 2_592_000, false), "u5000000 u2592000 true"),
        ] {
            let mut answers = configured.clone();
            answers[2] = changed;
            assert_eq!(
                sent(&steps_of(&settings, &answers)),
                vec![format!("subscription.set-plan u1 {expected}")]
            );
        }
        // An oracle to disable that is enabled; another fee; another min price.
        let mut answers = configured.clone();
        answers[1] = ClarityValue::Bool(true);
        answers[3] = ClarityValue::UInt(1000);
        answers[6] = ClarityValue::UInt(999_999);
        assert_eq!(
            sent(&steps_of(&settings, &answers)),
            vec![
                format!("oracle.set-oracle 0x{} false", "03".repeat(33)),
                "marketplace.set-fee-bps u250".to_owned(),
                "reputation.set-min-rating-price u1000000".to_owned(),
            ]
        );
        // A contract principal answered as treasury is not the wanted standard one.
        let mut answers = configured;
        answers[5] = ClarityValue::principal(&format!("{DEPLOYER}.subscription")).unwrap();
        assert_eq!(
            sent(&steps_of(&settings, &answers)),
            vec![format!("subscription.set-treasury '{DEPLOYER}")]
        );
    }

    #[test]
    fn each_call_is_the_binding_it_names() {
        let contracts = address(DEPLOYER);
        for setting in settings() {
            for (call, binding) in [
                (setting.read_call(&contracts), setting.getter()),
                (setting.write_call(&contracts), setting.setter()),
            ] {
                assert_eq!(call.contract_name.as_str(), binding.contract, "{setting}");
                assert_eq!(call.function_name.as_str(), binding.function, "{setting}");
                assert_eq!(call.args.len(), binding.args.len(), "{setting}");
            }
        }
    }

    fn steps_of<'s>(settings: &'s [Setting], answers: &[ClarityValue]) -> Vec<Step<'s>> {
        steps(&address(DEPLOYER), settings, answers).unwrap()
    }

    #[test]
    fn answers_of_another_shape_are_errors() {
        let settings = settings();
        let mut answers = vec![ClarityValue::Bool(true); 7];
        let error = steps(&address(DEPLOYER), &settings, &answers).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("subscription.get-plan answered true"),
            "{error}"
        );
        answers[2] = ClarityValue::some(ClarityValue::UInt(1));
        assert!(steps(&address(DEPLOYER), &settings, &answers).is_err());
        assert!(steps(&address(DEPLOYER), &settings, &answers[..3]).is_err());
    }

    #[test]
    fn lines_name_the_call_and_its_values() {
        let lines: Vec<String> = settings().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                format!("registry.set-anchorer {WALLET_2} true"),
                format!("oracle.set-oracle {} false", "03".repeat(33)),
                "subscription.set-plan 1 (5 STX, 30 days, active)".to_owned(),
                "marketplace.set-fee-bps 250".to_owned(),
                format!("marketplace.set-treasury {WALLET_2}"),
                format!("subscription.set-treasury {DEPLOYER}"),
                "reputation.set-min-rating-price 1 STX".to_owned(),
            ]
        );
        let day = Setting::Plan {
            id: 9,
            price: 250_000,
            days: 1,
            active: false,
        };
        assert_eq!(
            day.to_string(),
            "subscription.set-plan 9 (0.25 STX, 1 day, inactive)"
        );
    }

    #[test]
    fn error_codes_read_as_words() {
        let err = |code: u128| ClarityValue::err(ClarityValue::UInt(code));
        for code in [100, 200, 300, 400, 500, 600] {
            let words = describe_error(Some(&err(code)));
            assert!(
                words.starts_with(&format!(
                    "(err u{code}) ERR_UNAUTHORIZED: the sender is not this contract's owner"
                )),
                "{words}"
            );
        }
        assert!(describe_error(Some(&err(301))).contains("ERR_INVALID_PLAN"));
        assert!(describe_error(Some(&err(304))).contains("ERR_CONTRACT_TREASURY"));
        assert!(describe_error(Some(&err(412))).contains("ERR_CONTRACT_TREASURY"));
        assert!(describe_error(Some(&err(410))).contains("ERR_FEE_TOO_HIGH"));
        assert_eq!(describe_error(Some(&err(1))), "(err u1)");
        assert!(
            describe_error(Some(&ClarityValue::err(ClarityValue::none())))
                .contains("runtime error")
        );
        assert_eq!(describe_error(None), "no result given");
    }
}
