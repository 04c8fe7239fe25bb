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

/// Whose kernels run the operators the project has its own for (depthwise
/// convolution, max pooling; see `kernels`). Everything else is tract's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernels {
    /// PiEdge Lab's SIMD kernels where they apply (the default).
    #[default]
    Piedge,
    /// tract's own kernels throughout, to compare.
    Tract,
}

impl Kernels {
    pub fn name(self) -> &'static str {
        match self {
            Kernels::Piedge => "piedge",
            Kernels::Tract => "tract",
        }
    }

    pub fn from_name(s: &str) -> Option<Kernels> {
        match s {
            "piedge" => Some(Kernels::Piedge),
            "tract" => Some(Kernels::Tract),
            _ => None,
        }
    }
}

/// The result of comparing the project's kernels with tract's own operators
/// on random shapes (`kernels::check`), for every instruction set tried.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SelfCheck {
    /// Instruction sets tried, e.g. `["scalar", "avx2+fma"]`.
    pub isas: Vec<String>,
    pub depthwise_cases: usize,
    pub max_pool_cases: usize,
    /// Dense convolutions taken by the direct kernel.
    #[serde(default)]
    pub direct_cases: usize,
    /// 1×1 convolutions on small planes (some with a residual `Add`).
    #[serde(default)]
    pub pointwise_cases: usize,
    /// Fully connected layers (a classifier's head), natively with SIMD.
    #[serde(default)]
    pub dense_cases: usize,
    /// Largest |ours − tract| over every output value compared.
    pub max_abs_error: f32,
    /// Output values compared.
    pub values: usize,
}
