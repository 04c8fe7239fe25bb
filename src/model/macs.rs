//! Counting an inference's multiply–accumulates on the typed graph, for the
//! model card: the work a latency buys.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::cnn::Conv;
use tract_onnx::tract_core::ops::einsum::EinSum;

/// Multiply–accumulates of convolutions and matrix products at the fixed
/// input shape, read off the typed graph where shapes are known.
pub(crate) fn macs(model: &TypedModel) -> u64 {
    let mut total = 0u64;
    for node in model.nodes() {
        let input_shapes: Vec<Option<&[usize]>> = node
            .inputs
            .iter()
            .map(|o| {
                model
                    .outlet_fact(*o)
                    .ok()
                    .and_then(|f| f.shape.as_concrete())
            })
            .collect();
        let output_shape = node
            .outputs
            .first()
            .and_then(|o| o.fact.shape.as_concrete());
        if let Some(conv) = node.op_as::<Conv>() {
            // Each output value sums (input channels / group) × kernel area
            // products: the kernel's volume divided by the output channels.
            if let (Some(Some(kernel)), Some(out)) = (input_shapes.get(1), output_shape) {
                let per_output = kernel.iter().product::<usize>() / conv.output_channels().max(1);
                total += (out.iter().product::<usize>() * per_output) as u64;
            }
        } else if let Some(einsum) = node.op_as::<EinSum>() {
            // One multiply–accumulate per point of the full index space.
            let mut points = 1u64;
            for axis in einsum.axes.iter_all_axes() {
                let size = axis
                    .inputs
                    .iter()
                    .enumerate()
                    .find_map(|(slot, pos)| {
                        pos.first()
                            .and_then(|&p| input_shapes.get(slot)?.map(|s| s[p]))
                    })
                    .or_else(|| {
                        axis.outputs[0]
                            .first()
                            .and_then(|&p| output_shape.map(|s| s[p]))
                    })
                    .unwrap_or(1);
                points *= size as u64;
            }
            total += points;
        }
    }
    total
}
