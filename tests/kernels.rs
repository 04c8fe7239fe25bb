//! The project's kernels against tract's own operators, natively, for every
//! instruction set this machine runs (the Pi builds run the same check under
//! qemu, the browser worker with wasm SIMD: see `piedge self-check` and the
//! lab's environment panel).

use piedge::kernels::check::self_check;
use piedge::kernels::simd::Isa;
use piedge::model::{self, Kernels, LoadOptions, Plan};
use piedge::zoo;

#[test]
fn random_depthwise_convolutions_and_max_pools_match_tract() {
    let r = self_check(300, 7).expect("the kernels agree with tract");
    assert_eq!(
        (
            r.depthwise_cases,
            r.direct_cases,
            r.pointwise_cases,
            r.dense_cases,
            r.max_pool_cases
        ),
        (300, 300, 300, 300, 300)
    );
    assert_eq!(r.isas.len(), Isa::available().len());
    assert!(r.values > 100_000, "compared {} values", r.values);
    assert!(r.max_abs_error < 1e-4, "{}", r.max_abs_error);
}

#[test]
fn the_bundled_models_use_the_kernels_and_predict_what_tract_alone_predicts() {
    // MobileNetV2 at 64×64: every one of its 34 1×1 convolutions (block 1's
    // projection, expansion and projection of blocks 2–17, the final
    // 320→1280) takes the pointwise kernel, on planes from 32×32 down to
    // 2×2; ten add the block's input back (blocks 3, 5, 6, 8–10, 12, 13, 15,
    // 16), and the ReLU6s of the sixteen expansions and the last
    // convolution (two clamps each) join the 36 of the depthwise and stem
    // convolutions. TinyCNN's two pools are taken into the convolutions
    // they follow, with the ReLUs between. Both classifier heads (a
    // `Gemm`) take the fully connected kernel.
    for (name, depthwise, direct, pointwise, adds, clamps, pools, dense) in [
        ("mobilenetv2", 17, 1, 34, 10, 70, (0, 0), 1),
        ("tinycnn", 0, 2, 0, 0, 2, (0, 2), 1),
    ] {
        let bytes = zoo::model_bytes(name).unwrap();
        let outputs = |kernels| {
            let loaded = model::load(name, &bytes, &LoadOptions::default()).unwrap();
            let opt = loaded.optimise_with(Plan::Optimized, kernels).unwrap();
            let rewritten = opt.rewritten;
            let input = opt.input.fake_tensor(3).unwrap();
            let mut r = opt.into_runnable(input).unwrap();
            (rewritten, r.predict().unwrap())
        };
        let (ours, with_ours) = outputs(Kernels::Piedge);
        let (none, with_tract) = outputs(Kernels::Tract);
        assert_eq!(
            (
                ours.depthwise,
                ours.direct,
                ours.pointwise,
                ours.fused_adds,
                ours.fused_clamps,
                (ours.max_pools, ours.fused_pools),
                ours.dense
            ),
            (depthwise, direct, pointwise, adds, clamps, pools, dense),
            "{name}"
        );
        assert_eq!(none, piedge::kernels::Rewritten::default());
        for (a, b) in with_ours.iter().zip(&with_tract) {
            assert_eq!(a.shape, b.shape);
            for (x, y) in a.data.iter().zip(&b.data) {
                assert!(
                    (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                    "{name}: {x} vs {y}"
                );
            }
        }
    }
}
