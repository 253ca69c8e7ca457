"""What a shard costs on Ray against the CLI (issue 14), on the 729-binding regime study.

- Ray: `strat.ray.sweep` of the study in 1, 8 and 32 shards on the cluster at $STRAT_RAY_ADDRESS
  (e.g. the local two-node cluster of scripts/ray-cluster.sh); the slope of wall time over the
  number of shards is Ray's cost per shard (scheduling, the task's round trip, the part's JSON).
  The program and its data are shipped once; each worker compiles once.
- CLI: `strat sweep --shard I/N --out PART` for each shard in turn, then `strat merge`: every
  shard is a process that compiles and loads the data (what a batch system's job pays).

Both use the same build profile: a release module (`cd python && maturin develop --release`)
and a release CLI (`cargo build --release`, or $STRAT_BIN). Prints the median of `RUNS` wall
times per configuration:

    STRAT_RAY_ADDRESS=127.0.0.1:6390 python benches/ray_overhead.py [RUNS]
"""

import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import pandas as pd

import strat
import strat.ray

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
STUDY = ROOT / "examples" / "regime_ensemble.strat"
BIN = os.environ.get("STRAT_BIN", str(ROOT / "target" / "release" / "strat"))
ADDRESS = os.environ["STRAT_RAY_ADDRESS"]


def median_time(f) -> float:
    f()  # warm-up: connects, ships, compiles in the workers
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


whole = strat.compile_file(str(STUDY)).sweep(progress=False)
local = median_time(lambda: strat.compile_file(str(STUDY)).sweep(progress=False))
print(f"one process, Strategy.sweep: {local:.3f} s ({len(whole)} bindings)")

ray_times = {}
for n in (1, 8, 32):
    df = strat.ray.sweep(str(STUDY), num_shards=n, address=ADDRESS)
    pd.testing.assert_frame_equal(df, whole, check_exact=True)
    ray_times[n] = median_time(lambda: strat.ray.sweep(str(STUDY), num_shards=n, address=ADDRESS))
    print(f"strat.ray.sweep, {n:>2} shards: {ray_times[n]:.3f} s")
per_shard_ray = (ray_times[32] - ray_times[1]) / 31
print(f"Ray: {per_shard_ray * 1000:.1f} ms per extra shard (slope from 1 to 32 shards)")

cli_times = {}
with tempfile.TemporaryDirectory() as d:
    for n in (1, 8, 32):
        def run_cli(n=n):
            parts = []
            for i in range(1, n + 1):
                p = os.path.join(d, f"p{i}.parquet")
                subprocess.run([BIN, "sweep", str(STUDY), "--quiet", "--shard", f"{i}/{n}", "--out", p, "--force", "--top", "0"],
                               check=True, capture_output=True)
                parts.append(p)
            subprocess.run([BIN, "merge", os.path.join(d, "m.parquet"), *parts, "--force"], check=True, capture_output=True)
        cli_times[n] = median_time(run_cli)
        print(f"CLI shards one after another + merge, {n:>2} shards: {cli_times[n]:.3f} s")
per_shard_cli = (cli_times[32] - cli_times[1]) / 31
print(f"CLI: {per_shard_cli * 1000:.1f} ms per extra shard (process start, compile, data load, part write)")
