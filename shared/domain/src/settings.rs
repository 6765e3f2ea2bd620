//! Per-workout exposure settings: how contingent facilities and penalties count towards voting
//! weight.
//!
//! Rules:
//! - The settings are agreed by the creditors; the platform records them as the coordinator states
//!   them, with a reason naming that agreement (e.g. "creditors' meeting of 3 March 2027, minute
//!   4"). Each change is a new version (who, when, why); versions are never changed or removed, so
//!   the settings in force at any past instant can be read back and a past snapshot never changes
//!   when the settings change later.
//! - `contingent_weight` is the weight, from 0 to 100 percent inclusive, at which the outstanding
//!   face amount of contingent facilities (guarantees, letters of credit) counts towards voting
//!   weight; it is always shown separately. Default 100.
//! - `penalties_in_weight` says whether late-payment charges (`penalties`, part of
//!   `fees_and_penalties`) count towards voting weight (under Islamic finance they are commonly not
//!   kept by the bank). Default `true`.
//! - A workout without a recorded version has the defaults ([`ExposureSettings::default`]).

use serde::{Deserialize, Serialize};

use crate::percentage::Percentage;

/// How contingents and penalties count towards voting weight in one workout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExposureSettings {
    /// The weight, in percent from 0 to 100, at which contingent facilities count towards voting
    /// weight (always shown separately), e.g. `"100"`.
    #[schema(value_type = String, example = "100")]
    pub contingent_weight: Percentage,
    /// Whether late-payment charges (`penalties`) count towards voting weight.
    pub penalties_in_weight: bool,
}

impl Default for ExposureSettings {
    /// Contingents counted at 100 %, penalties counted.
    fn default() -> Self {
        Self {
            contingent_weight: Percentage::HUNDRED,
            penalties_in_weight: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_count_contingents_in_full_and_penalties() {
        let settings = ExposureSettings::default();
        assert_eq!(settings.contingent_weight, Percentage::HUNDRED);
        assert!(settings.penalties_in_weight);
    }

    #[test]
    fn settings_read_from_json_with_a_percentage_as_text_within_0_to_100() {
        let settings: ExposureSettings = serde_json::from_value(
            serde_json::json!({"contingent_weight": "50", "penalties_in_weight": false}),
        )
        .unwrap();
        assert_eq!(settings.contingent_weight.value().to_string(), "50");
        assert!(!settings.penalties_in_weight);
        for bad in [
            serde_json::json!({"contingent_weight": "100.01", "penalties_in_weight": true}),
            serde_json::json!({"contingent_weight": 50, "penalties_in_weight": true}),
            serde_json::json!({"contingent_weight": "50"}),
        ] {
            assert!(serde_json::from_value::<ExposureSettings>(bad).is_err());
        }
    }
}
