//! Where an inference's time goes (`piedge profile`) and a bare loop timed
//! once around many inferences (the reference for measurement overhead).

use super::{ModelError, Runnable};
use crate::bench::Inference;
use tract_onnx::prelude::*;

/// Where the time of an inference goes: one node of the planned graph.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct NodeTime {
    pub name: String,
    /// The operator as tract names it ("OptMatMul", "PiEdgeDepthwiseConv", ...).
    pub op: String,
    /// Mean milliseconds per inference.
    pub ms: f64,
}

impl Runnable {
    /// Runs `runs` inferences timing every node on `clock`; nodes in plan
    /// order. The clock reads add a little to each node, so the sum is a bit
    /// more than a plain inference takes: use it for shares, not totals.
    pub fn profile<C: crate::clock::Clock + ?Sized>(
        &mut self,
        runs: usize,
        clock: &C,
    ) -> Result<Vec<NodeTime>, ModelError> {
        let mut times: Vec<Option<NodeTime>> = Vec::new();
        for _ in 0..runs.max(1) {
            let input = self.inputs[0].clone();
            let eval =
                |ctx: &tract_onnx::tract_core::plan::EvalContext<'_>,
                 state: Option<&mut (dyn tract_onnx::tract_core::ops::OpState + 'static)>,
                 node: &TypedNode,
                 input: TVec<TValue>|
                 -> TractResult<TVec<TValue>> {
                    let t0 = clock.now_ms();
                    let out = tract_onnx::tract_core::plan::eval(ctx, state, node, input);
                    let dt = clock.now_ms() - t0;
                    if times.len() <= node.id {
                        times.resize(node.id + 1, None);
                    }
                    let slot = times[node.id].get_or_insert_with(|| NodeTime {
                        name: node.name.clone(),
                        op: node.op().name().to_string(),
                        ms: 0.0,
                    });
                    slot.ms += dt;
                    out
                };
            self.state
                .run_plan_with_eval(input, eval)
                .map_err(|e| ModelError::Run(format!("{e:#}")))?;
        }
        let order = self.state.plan().order_without_consts().to_vec();
        Ok(order
            .into_iter()
            .filter_map(|id| times.get(id).cloned().flatten())
            .map(|mut t| {
                t.ms /= runs.max(1) as f64;
                t
            })
            .collect())
    }

    /// Mean milliseconds per inference of a bare loop of `runs` inferences
    /// after `warmup`, timed once around the whole loop: the reference the
    /// benchmark's per-run timing is checked against (no measurement overhead).
    pub fn bare_loop_ms<C: crate::clock::Clock + ?Sized>(
        &mut self,
        warmup: usize,
        runs: usize,
        clock: &C,
    ) -> Result<f64, ModelError> {
        for _ in 0..warmup {
            self.run_once()?;
        }
        let t0 = clock.now_ms();
        for _ in 0..runs {
            self.run_once()?;
        }
        Ok((clock.now_ms() - t0) / runs.max(1) as f64)
    }
}
