//! Which execution plan a model runs with. Kept apart from `model` so that
//! the user interface, which does not link tract, can offer the choice.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// Declutter and lower to tract's optimised kernels (the default).
    #[default]
    Optimized,
    /// Run the analysed graph as it is, op by op: the browser's analogue of
    /// the old lesson's graph-optimisation and `--providers` choice.
    Unoptimized,
}

impl Plan {
    pub fn name(self) -> &'static str {
        match self {
            Plan::Optimized => "optimized",
            Plan::Unoptimized => "unoptimized",
        }
    }

    pub fn from_name(s: &str) -> Option<Plan> {
        match s {
            "optimized" | "optimised" => Some(Plan::Optimized),
            "unoptimized" | "unoptimised" => Some(Plan::Unoptimized),
            _ => None,
        }
    }
}
