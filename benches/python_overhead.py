"""The overhead of the Python module over the Rust API (issue 13): `Strategy.run` from Python on
the VIX guard with the data passed as a pandas frame (and as a polars frame), against the Rust
API alone on the same in-memory data (`load_data_from` + `run` + the JSON report + the daily
table, timed inside the extension with the GIL released).

Run with a release build of the module:

    cd python && maturin develop --release && cd ..
    python benches/python_overhead.py [ITERATIONS]

Prints the median seconds per run of each and their ratio.
"""

import pathlib
import statistics
import sys
import time

import pandas as pd

import strat
from strat import _tables

ROOT = pathlib.Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200

s = strat.compile_file(str(ROOT / "examples" / "vix_guard.strat"))
mkt = pd.read_csv(ROOT / "examples" / "data" / "spx_vix.csv", parse_dates=["date"])
frames = {"pandas": mkt}
try:
    import polars as pl

    frames["polars"] = pl.read_csv(ROOT / "examples" / "data" / "spx_vix.csv", try_parse_dates=True)
except ImportError:
    pass

# Interleaved, so that load on the machine weighs on both alike.
tables = _tables({"mkt": mkt}, s.data_sources)
rust_times = []
py_times = {name: [] for name in frames}
for _ in range(N):
    rust_times.append(s._native.bench_rust_api(tables, 1))
    for name, df in frames.items():
        t0 = time.perf_counter()
        r = s.run(data={"mkt": df})
        _ = r.daily
        py_times[name].append(time.perf_counter() - t0)
rust = statistics.median(rust_times)
print(f"rust API (in memory, load + run + report + daily): {rust * 1e3:8.3f} ms")
for name, times in py_times.items():
    py = statistics.median(times)
    print(f"python Strategy.run ({name} frame) + .daily:       {py * 1e3:8.3f} ms   ratio {py / rust:5.2f}x")
