# SPDX-License-Identifier: Apache-2.0
"""The Envoy benchmark, smoke-run with a handful of requests so it never
rots: it must start both gateways, pass its own leak check, and report every
row, the filter's own processing time included. Nothing here looks at how
fast anything was."""
import csv
import subprocess
import sys

from conftest import ROOT

REQUESTS = 8
ROUNDS = 2
PAYLOADS = ("4 KiB, 5 PII values", "64 KiB, 5 PII values")
GATEWAYS = ("no filter", "filter", "inside the filter")


def test_bench_envoy_reports_every_row(wasm_path, envoy_bin, tmp_path):
    out = tmp_path / "bench.csv"
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench-envoy"), "--filter", str(wasm_path),
         "--requests", str(REQUESTS), "--rounds", str(ROUNDS), "--concurrency", "1",
         "--csv", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [(r["payload"], r["gateway"]) for r in rows] == [
        (p, g) for p in PAYLOADS for g in GATEWAYS
    ]
    for row in rows:
        # Every timed request is counted once, the histogram's samples too.
        assert int(row["requests"]) == REQUESTS, row
        p50, p90, p99 = (float(row[k]) for k in ("p50_ms", "p90_ms", "p99_ms"))
        assert 0 < p50 <= p90 <= p99, row
    assert "inside the filter (engine)" in run.stdout
