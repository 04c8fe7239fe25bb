"""The Raspberry Pi builds of `piedge`, run under qemu user-mode emulation:
the aarch64 binary on an emulated Cortex-A72 (the Pi 4's core; qemu's
default CPU advertises SVE, which no Pi has, and would test other kernels),
the armv7 binary with NEON. Each must write valid reports and compute the
same outputs as the x86-64 build to within 1e-5.

Run with: python3 -m unittest tests/python/test_pi.py
Needs: target/pi/piedge-aarch64 and target/pi/piedge-armv7 (scripts/build-pi),
qemu-aarch64 and qemu-arm (Debian's qemu-user), and the x86 binary
($PIEDGE_BIN, else target/debug/piedge). Skipped, with a message, only when
qemu is missing.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
NATIVE = os.environ.get("PIEDGE_BIN", str(REPO / "target" / "debug" / "piedge"))
MODELS = REPO / "static" / "models"

TARGETS = {
    "aarch64": {
        "binary": REPO / "target" / "pi" / "piedge-aarch64",
        "command": ["qemu-aarch64", "-cpu", "cortex-a72", "-L", "/usr/aarch64-linux-gnu"],
        "env": {},
    },
    "armv7": {
        "binary": REPO / "target" / "pi" / "piedge-armv7",
        "command": ["qemu-arm", "-cpu", "cortex-a15", "-L", "/usr/arm-linux-gnueabihf"],
        # qemu's emulated /proc/cpuinfo hides NEON, so tract cannot detect
        # it; on a real Pi it does.
        "env": {"TRACT_CPU_ARM32_NEON": "true"},
    },
}


def run(cmd, env=None, cwd=None):
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


class PiBuildsUnderQemu(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def emulated(self, arch):
        t = TARGETS[arch]
        if shutil.which(t["command"][0]) is None:
            self.skipTest(f"{t['command'][0]} is not installed (Debian package qemu-user); scripts/setup installs it")
        self.assertTrue(t["binary"].exists(), f"{t['binary']} is not built; run scripts/build-pi")
        env = dict(os.environ, **t["env"])
        return lambda *args, cwd=None: run([*t["command"], t["binary"], *args], env=env, cwd=cwd)

    def check_arch(self, arch):
        piedge = self.emulated(arch)
        # The binary is what it claims to be.
        out = subprocess.run(["file", str(TARGETS[arch]["binary"])], capture_output=True, text=True).stdout
        self.assertIn("ARM aarch64" if arch == "aarch64" else "ARM, EABI5", out)

        reports = self.tmp / f"reports-{arch}"
        piedge("bench", "--fakedata", "--model-path", MODELS / "tinycnn.onnx", "--warmup", "1", "--runs", "5",
               "--output-dir", reports, "--quiet")
        csv = (reports / "latency.csv").read_text().splitlines()
        self.assertEqual(csv[0], "run,latency_ms")
        self.assertEqual(len(csv), 6)
        results = json.loads((reports / "latency_results.json").read_text())
        self.assertEqual(len(results["raw_latencies"]), 5)
        self.assertEqual(results["system_info"]["arch"], "aarch64" if arch == "aarch64" else "arm")
        summary = (reports / "latency_summary.txt").read_text()
        self.assertTrue(summary.rstrip().splitlines()[-1].startswith("median_ms: "))
        self.assertTrue((reports / "latency_plot.png").read_bytes().startswith(b"\x89PNG"))

        # The project's kernels against tract's own operators on this CPU
        # (NEON on aarch64, the scalar loops on armv7).
        out = piedge("self-check", "--cases", "60")
        # (No pointwise or fully connected ones on armv7: without SIMD the
        # rewrite leaves them to tract.)
        simd = 60 if arch == "aarch64" else 0
        self.assertRegex(out, rf"^ok: 60 depthwise convolutions, 60 dense convolutions, {simd} pointwise convolutions, {simd} fully connected layers and 60 max pools match tract's operators with scalar"
                              + (" and neon" if arch == "aarch64" else " \\("))
        for model in ("tinycnn", "mobilenetv2"):
            x = np.random.default_rng(11).uniform(-1, 1, (1, 3, 64, 64)).astype(np.float32)
            np.save(self.tmp / "x.npy", x)
            run([NATIVE, "predict", "--model-path", MODELS / f"{model}.onnx", "--input", self.tmp / "x.npy",
                 "--save-output", self.tmp / "native.npy"])
            piedge("predict", "--model-path", MODELS / f"{model}.onnx", "--input", self.tmp / "x.npy",
                   "--save-output", self.tmp / f"{arch}.npy")
            native = np.load(self.tmp / "native.npy")
            emulated = np.load(self.tmp / f"{arch}.npy")
            self.assertEqual(native.shape, emulated.shape)
            diff = float(np.abs(native - emulated).max())
            self.assertLess(diff, 1e-5, f"{arch} {model}: max |diff| {diff}")

    def test_aarch64_cortex_a72(self):
        self.check_arch("aarch64")

    def test_aarch64_serve_runs_a_native_job_on_request(self):
        """The classroom server on the Pi answers the lab's "run it on the
        server" request with a native run made on the (emulated) Pi."""
        t = TARGETS["aarch64"]
        self.emulated("aarch64")
        site = self.tmp / "site"
        site.mkdir()
        (site / "index.html").write_text("<title>lab</title>")
        server = subprocess.Popen([*t["command"], str(t["binary"]), "serve", "--port", "0", "--dir", str(site)],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            base = None
            for line in server.stdout:
                m = re.search(r"http://127\.0\.0\.1:\d+/", line)
                if m:
                    base = m.group(0)
                    break
            self.assertIsNotNone(base, "serve printed its address")

            def call(method, path, token=None, body=None):
                request = urllib.request.Request(base + path, method=method,
                                                 data=None if body is None else json.dumps(body).encode())
                if token:
                    request.add_header("X-PiEdge-Token", token)
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status, json.loads(response.read())

            status, machine = call("GET", "api/machine")
            self.assertEqual(status, 200)
            self.assertEqual(machine["system"]["arch"], "aarch64")
            status, accepted = call("POST", "api/jobs", machine["token"],
                                    {"model": "tinycnn", "warmup": 1, "runs": 20})
            self.assertEqual((status, accepted["position"]), (202, 1))
            deadline = time.monotonic() + 120
            while True:
                _, job = call("GET", f"api/jobs/{accepted['id']}", machine["token"])
                if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertEqual(job["status"], "finished", job)
            report = job["report"]
            self.assertEqual(len(report["raw_latencies"]), 20)
            self.assertEqual(report["system_info"]["arch"], "aarch64")
            self.assertEqual(report["system_info"]["runtime"], "native")
            self.assertTrue(report["host"].endswith("native, 1 thread"), report["host"])
        finally:
            server.kill()
            server.wait()
            server.stdout.close()

    def test_armv7_neon(self):
        self.check_arch("armv7")


if __name__ == "__main__":
    unittest.main()
