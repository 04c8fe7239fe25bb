"""Numerical and format cross-checks of `piedge` against the Python tools
the old lesson used: onnxruntime for outputs, pandas and json for the report
files, Pillow for image preprocessing.

Run with: python3 -m unittest discover -s tests/python
Needs: onnxruntime, onnx, numpy, pandas, pillow (installed by .ci/run).
The piedge binary is taken from $PIEDGE_BIN, else target/debug/piedge.
"""

import json
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[2]
PIEDGE = os.environ.get("PIEDGE_BIN", str(REPO / "target" / "debug" / "piedge"))
MODELS = REPO / "static" / "models"
TOLERANCE = 1e-4


def piedge(*args, cwd=None):
    result = subprocess.run([PIEDGE, *map(str, args)], capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise AssertionError(f"piedge {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result.stdout


def onnxruntime_output(model_path, x, optimised=True):
    """onnxruntime's output. `optimised=False` runs the graph as written, for
    the QDQ form: optimised, onnxruntime fuses each DequantizeLinear → Conv →
    QuantizeLinear into an integer kernel, and on x86-64 without VNNI (AVX2
    only: the EPYC machines here) its u8 × s8 products saturate in 16 bits,
    so its output moves by up to a sixth of the logits' range from what the
    model's own arithmetic gives (0.31 of 1.81 for the bundled MobileNetV2,
    measured against its unoptimised run)."""
    options = ort.SessionOptions()
    if not optimised:
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def piedge_output(model_path, x, tmp, *extra):
    np.save(tmp / "x.npy", x)
    piedge("predict", "--model-path", model_path, "--input", tmp / "x.npy", "--save-output", tmp / "y.npy", *extra)
    return np.load(tmp / "y.npy")


def exported_cnn(path):
    """A small CNN written with the onnx package's helpers, using operators
    and conventions the bundled models do not: BatchNormalization, padded
    strided pooling, a depthwise conv, SiLU, MatMul + Add, Softmax, a
    symbolic batch named N and opset 13."""
    rng = np.random.default_rng(7)

    def init(name, *shape, scale=0.3):
        return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)

    inits = [
        init("w1", 8, 3, 3, 3), init("b1", 8),
        numpy_helper.from_array(rng.uniform(0.5, 1.5, 8).astype(np.float32), "bn_scale"),
        init("bn_bias", 8), init("bn_mean", 8),
        numpy_helper.from_array(rng.uniform(0.5, 2.0, 8).astype(np.float32), "bn_var"),
        init("dw", 8, 1, 3, 3), init("fc_w", 8, 5), init("fc_b", 5),
    ]
    nodes = [
        helper.make_node("Conv", ["images", "w1", "b1"], ["c1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn"], epsilon=1e-5),
        helper.make_node("Relu", ["bn"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["p1", "dw"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=8),
        helper.make_node("Sigmoid", ["c2"], ["sig"]),
        helper.make_node("Mul", ["c2", "sig"], ["silu"]),
        helper.make_node("GlobalAveragePool", ["silu"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "fc_w"], ["mm"]),
        helper.make_node("Add", ["mm", "fc_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "exported_cnn",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, 40, 40])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 5])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="onnx-helper")
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))


class OutputsMatchOnnxruntime(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def check(self, model_path, shape, *extra):
        for seed in (0, 1, 2):
            x = np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)
            expected = onnxruntime_output(model_path, x)
            got = piedge_output(model_path, x, self.tmp, *extra)
            self.assertEqual(got.shape, expected.shape)
            diff = float(np.abs(got - expected).max())
            self.assertLess(diff, TOLERANCE, f"{model_path.name} {extra} seed {seed}: max |diff| {diff}")
            # A classifier with seeded weights could output constants; make
            # sure the comparison is not trivially true.
            self.assertGreater(float(np.abs(expected).max()), 1e-3)

    def test_bundled_models(self):
        for name in ("tinycnn", "mobilenetv2"):
            onnx.checker.check_model(str(MODELS / f"{name}.onnx"), full_check=True)
            self.check(MODELS / f"{name}.onnx", (1, 3, 64, 64))
            self.check(MODELS / f"{name}.onnx", (1, 3, 64, 64), "--unoptimized")

    def test_model_from_the_onnx_exporter(self):
        path = self.tmp / "exported.onnx"
        exported_cnn(path)
        self.check(path, (1, 3, 40, 40))
        self.check(path, (3, 3, 40, 40), "--batch-size", "3")

    def test_fake_input_is_what_predict_fed(self):
        piedge("predict", "--model-path", MODELS / "tinycnn.onnx", "--fakedata", "--seed", "4",
               "--save-input", self.tmp / "x.npy", "--save-output", self.tmp / "y.npy")
        x = np.load(self.tmp / "x.npy")
        self.assertTrue(np.all((x >= -1) & (x < 1)))
        expected = onnxruntime_output(MODELS / "tinycnn.onnx", x)
        self.assertLess(float(np.abs(np.load(self.tmp / "y.npy") - expected).max()), TOLERANCE)


class TheBundledModelThroughTheRealTools(unittest.TestCase):
    """The bundled MobileNetV2 as lesson 03 will treat it: recorded shapes
    from onnx's shape inference, and onnxruntime's quantizer in its three
    forms (made here, at test time, by the installed onnxruntime)."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)
        self.x = np.random.default_rng(3).uniform(-1, 1, (1, 3, 64, 64)).astype(np.float32)

    def tearDown(self):
        self._tmp.cleanup()

    def compare(self, path, tolerance, optimised=True):
        expected = onnxruntime_output(path, self.x, optimised)
        got = piedge_output(path, self.x, self.tmp)
        diff = float(np.abs(got - expected).max())
        self.assertLessEqual(diff, tolerance, f"{path.name}: max |diff| {diff}")
        return diff

    def test_recorded_symbolic_shapes(self):
        # The shortest reproduction of the dynamic-batch failure: every
        # intermediate shape recorded with the symbolic batch.
        path = self.tmp / "mobilenetv2-inferred.onnx"
        inferred = onnx.shape_inference.infer_shapes(onnx.load(str(MODELS / "mobilenetv2.onnx")))
        self.assertGreater(sum("batch_size" in str(v.type) for v in inferred.graph.value_info), 50)
        onnx.save(inferred, str(path))
        self.compare(path, TOLERANCE)
        piedge("bench", "--fakedata", "--model-path", path, "--batch-size", "2", "--runs", "2",
               "--output-dir", self.tmp / "reports", "--quiet")

    def test_quantized_forms(self):
        from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                              quantize_dynamic, quantize_static)
        from onnxruntime.quantization.shape_inference import quant_pre_process

        class Calibration(CalibrationDataReader):
            def __init__(self):
                rng = np.random.default_rng(11)
                self.batches = iter([{"input": rng.uniform(-1, 1, (1, 3, 64, 64)).astype(np.float32)}
                                     for _ in range(4)])

            def get_next(self):
                return next(self.batches, None)

        pre = self.tmp / "pre.onnx"
        quant_pre_process(str(MODELS / "mobilenetv2.onnx"), str(pre))
        forms = {
            "qdq": lambda out: quantize_static(str(pre), str(out), Calibration()),
            "qoperator": lambda out: quantize_static(str(pre), str(out), Calibration(),
                                                     quant_format=QuantFormat.QOperator),
            "dynamic": lambda out: quantize_dynamic(str(pre), str(out), weight_type=QuantType.QInt8),
        }
        for form, make in forms.items():
            out = self.tmp / f"mobilenetv2-{form}.onnx"
            make(out)
            optimised = form != "qdq"
            expected = onnxruntime_output(out, self.x, optimised)
            # As in tests/compat.rs: two steps of the output's scale where
            # the output is dequantized from int8, else 2 % of its range.
            scale = output_scale(onnx.load(str(out)))
            tolerance = 2 * scale + 1e-6 if scale else 0.02 * float(np.abs(expected).max())
            diff = self.compare(out, tolerance, optimised)
            print(f"bundled mobilenetv2, {form}: max |piedge - onnxruntime| = {diff:.2e} (allowed {tolerance:.1e})")


def output_scale(proto):
    producer = {o: n for n in proto.graph.node for o in n.output}
    node = producer.get(proto.graph.output[0].name)
    if node is None or node.op_type != "DequantizeLinear":
        return None
    stored = {t.name: t for t in proto.graph.initializer}
    return float(numpy_helper.to_array(stored[node.input[1]]).reshape(-1)[0])


class ReportsOpenInTheOldNotebook(unittest.TestCase):
    def test_cells_of_lesson_02(self):
        import pandas as pd

        with tempfile.TemporaryDirectory() as tmp:
            piedge("--fakedata", "--model-path", MODELS / "mobilenetv2.onnx", "--warmup", "3", "--runs", "10",
                   "--providers", "CPUExecutionProvider", cwd=tmp)
            reports = Path(tmp) / "reports"
            df = pd.read_csv(reports / "latency.csv")
            self.assertEqual(list(df.columns), ["run", "latency_ms"])
            self.assertEqual(len(df), 10)
            self.assertEqual(list(df["run"]), list(range(10)))
            summary = (reports / "latency_summary.txt").read_text()
            median_line = [l for l in summary.splitlines() if l.startswith("median_ms:")]
            self.assertEqual(len(median_line), 1)
            self.assertEqual(float(median_line[0].split(":")[1]), round(float(np.median(df["latency_ms"])), 3))
            results = json.loads((reports / "latency_results.json").read_text())
            self.assertEqual(results["raw_latencies"], list(df["latency_ms"]))
            stats = results["statistics"]
            lat = np.array(results["raw_latencies"])
            for key, value in [("mean", lat.mean()), ("std", lat.std()), ("p50", np.percentile(lat, 50)),
                               ("p95", np.percentile(lat, 95)), ("p99", np.percentile(lat, 99))]:
                self.assertAlmostEqual(stats[key], float(value), places=12, msg=key)
            self.assertEqual(results["benchmark_config"]["warmup_runs"], 3)


class ImagePreprocessingMatchesPillow(unittest.TestCase):
    def test_resize_and_normalise(self):
        from PIL import Image

        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            rng = np.random.default_rng(3)
            # Smooth content, like a photo, plus some noise.
            yy, xx = np.mgrid[0:90, 0:120]
            img = np.stack([xx * 2, yy * 2.5, (xx + yy)], axis=-1) + rng.integers(0, 30, (90, 120, 3))
            Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(tmp / "img.png")
            piedge("predict", "--model-path", MODELS / "tinycnn.onnx", "--image", tmp / "img.png",
                   "--save-input", tmp / "x.npy")
            got = np.load(tmp / "x.npy")[0]
            resized = Image.open(tmp / "img.png").convert("RGB").resize((64, 64), Image.BILINEAR)
            arr = np.asarray(resized, dtype=np.float32) / 255.0
            mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
            expected = ((arr - mean) / std).transpose(2, 0, 1).astype(np.float32)
            one_level = 1 / 255 / 0.224
            diff = np.abs(got - expected)
            # Pillow resamples in fixed point; allow one 8-bit level.
            self.assertLessEqual(float(diff.max()), one_level * 1.01)
            self.assertLess(float((diff > 1e-5).mean()), 0.02)


if __name__ == "__main__":
    unittest.main()
