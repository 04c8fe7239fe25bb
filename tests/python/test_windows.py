"""The Windows build of `piedge` (x86_64-pc-windows-gnu, the teacher's
laptop), run under wine: it must write valid reports for the bundled TinyCNN,
compute the same outputs as the Linux build, and serve the lab it carries
with the isolation headers, as a double-click would (`piedge.exe` with no
arguments serves the lab and opens the browser).

Run with: python3 -m unittest tests/python/test_windows.py
Needs: target/windows/piedge.exe (scripts/build-windows, after
scripts/build-web so that the lab is built in), wine (Debian's wine and
wine64), MinGW-w64 (for the shim in tests/wine/), and the x86 Linux binary
($PIEDGE_BIN, else target/debug/piedge).
Skipped, with a message, only when wine is missing.
"""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
NATIVE = os.environ.get("PIEDGE_BIN", str(REPO / "target" / "debug" / "piedge"))
EXE = REPO / "target" / "windows" / "piedge.exe"
MODELS = REPO / "static" / "models"
# One wine prefix for the project, made on first use and kept.
PREFIX = REPO / "target" / "wine"
# Where the tests run the exe: a copy beside the shim wine 8 needs
# (tests/wine/bcryptprimitives.c says why).
UNDER_WINE = REPO / "target" / "windows-under-wine"
SHIM = REPO / "tests" / "wine" / "bcryptprimitives.c"


def wine_env():
    # No desktop integration, no dialogs, no debug chatter: a quiet console.
    return dict(os.environ, WINEPREFIX=str(PREFIX), WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=",
                DISPLAY="")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WindowsBuildUnderWine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("wine") is None:
            raise unittest.SkipTest("wine is not installed (Debian packages wine, wine64); scripts/setup installs them")
        if not EXE.exists():
            raise AssertionError(f"{EXE} is not built; run scripts/build-windows")
        PREFIX.parent.mkdir(parents=True, exist_ok=True)
        if not (PREFIX / "system.reg").exists():
            subprocess.run(["wineboot", "--init"], env=wine_env(), capture_output=True, timeout=300)
        UNDER_WINE.mkdir(parents=True, exist_ok=True)
        shutil.copy2(EXE, UNDER_WINE / "piedge.exe")
        subprocess.run(["x86_64-w64-mingw32-gcc", "-shared", "-O2", "-o", str(UNDER_WINE / "bcryptprimitives.dll"),
                        str(SHIM), "-ladvapi32"], check=True)

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def piedge(self, *args):
        result = subprocess.run(["wine", str(UNDER_WINE / "piedge.exe"), *map(str, args)], capture_output=True, text=True,
                                env=wine_env(), timeout=300)
        if result.returncode != 0:
            raise AssertionError(f"piedge.exe {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}")
        return result.stdout

    def test_is_a_windows_program(self):
        out = subprocess.run(["file", str(EXE)], capture_output=True, text=True).stdout
        self.assertIn("PE32+ executable", out)
        self.assertIn("x86-64", out)
        self.assertIn("web lab built in: yes", self.piedge("bundle-stamp"))

    def test_bench_writes_valid_reports(self):
        reports = self.tmp / "reports"
        self.piedge("bench", "--fakedata", "--model-path", MODELS / "tinycnn.onnx", "--warmup", "2", "--runs", "20",
                    "--output-dir", reports, "--quiet")
        csv = (reports / "latency.csv").read_text().splitlines()
        self.assertEqual(csv[0], "run,latency_ms")
        self.assertEqual(len(csv), 21)
        results = json.loads((reports / "latency_results.json").read_text())
        self.assertEqual(len(results["raw_latencies"]), 20)
        self.assertEqual(results["system_info"]["os"], "windows")
        self.assertAlmostEqual(results["statistics"]["p50"], float(np.percentile(results["raw_latencies"], 50)), places=9)
        summary = (reports / "latency_summary.txt").read_text()
        self.assertTrue(summary.rstrip().splitlines()[-1].startswith("median_ms: "))
        self.assertTrue((reports / "latency_plot.png").read_bytes().startswith(b"\x89PNG"))

    def test_predicts_what_the_linux_build_predicts(self):
        x = np.random.default_rng(5).uniform(-1, 1, (1, 3, 64, 64)).astype(np.float32)
        np.save(self.tmp / "x.npy", x)
        subprocess.run([NATIVE, "predict", "--model-path", MODELS / "tinycnn.onnx", "--input", self.tmp / "x.npy",
                        "--save-output", self.tmp / "linux.npy"], check=True, capture_output=True)
        self.piedge("predict", "--model-path", MODELS / "tinycnn.onnx", "--input", self.tmp / "x.npy",
                    "--save-output", self.tmp / "windows.npy")
        diff = float(np.abs(np.load(self.tmp / "linux.npy") - np.load(self.tmp / "windows.npy")).max())
        self.assertLess(diff, 1e-5)

    def test_serves_the_built_in_lab_isolated(self):
        port = free_port()
        started = time.monotonic()
        server = subprocess.Popen(["wine", str(UNDER_WINE / "piedge.exe"), "serve", "--port", str(port)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=wine_env())
        try:
            deadline = started + 120
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
                        status, headers, body = resp.status, resp.headers, resp.read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise AssertionError(f"piedge.exe serve never answered:\n{server.stderr.read1().decode()}")
                    time.sleep(0.2)
            served_after = time.monotonic() - started
            self.assertEqual(status, 200)
            self.assertEqual(headers["Cross-Origin-Opener-Policy"], "same-origin")
            self.assertEqual(headers["Cross-Origin-Embedder-Policy"], "require-corp")
            self.assertIn(b"PiEdge Lab", body)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/models/tinycnn.onnx", timeout=5) as resp:
                self.assertEqual(resp.read(), (MODELS / "tinycnn.onnx").read_bytes())
            print(f"\npiedge.exe under wine: first page served {served_after:.1f} s after start; "
                  f"{EXE.stat().st_size / 1e6:.1f} MB")
        finally:
            server.kill()
            server.communicate()


if __name__ == "__main__":
    unittest.main()
