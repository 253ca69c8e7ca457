"""Every example through Python gives what `strat run --json` prints, to the bit; frames given
as pandas and as polars give identical results; the daily table is consistent with the report."""

import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

import strat
from conftest import DATA, EXAMPLES, cli_json

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.strat"))


def test_there_are_examples():
    assert len(EXAMPLE_FILES) >= 8


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.stem for p in EXAMPLE_FILES])
def test_example_equals_cli_json_bit_for_bit(path):
    s = strat.compile_file(str(path))
    r = s.run()
    want = cli_json("run", str(path))
    # json.loads of both texts: equal floats are equal bits (NaN is null in both).
    assert r.json == want
    assert r.metrics == want["metrics"]
    assert r.benchmark == want["benchmark"]
    assert r.reports == want["reports"]
    for k, v in want["metrics"].items():
        if v is not None and not isinstance(v, str):
            assert np.float64(r.metrics[k]).tobytes() == np.float64(v).tobytes()


def _pandas_frames(s: strat.Strategy) -> dict:
    out = {}
    for name, src in s.data_sources.items():
        df = pd.read_csv(EXAMPLES / src.path)
        df["date"] = pd.to_datetime(df["date"])
        if src.kind != "long_panel":
            df = df.set_index("date")  # a DatetimeIndex instead of a column
        out[name] = df
    return out


def _polars_frames(s: strat.Strategy) -> dict:
    out = {}
    for name, src in s.data_sources.items():
        out[name] = pl.read_csv(EXAMPLES / src.path, try_parse_dates=True, infer_schema_length=None)
    return out


@pytest.mark.parametrize("name", ["vix_guard", "weighting", "regime_ensemble", "qm_overlay", "momentum_impact"])
def test_pandas_and_polars_frames_equal_the_files(name):
    s = strat.compile_file(str(EXAMPLES / f"{name}.strat"))
    from_files = s.run()
    from_pandas = s.run(data=_pandas_frames(s))
    from_polars = s.run(data=_polars_frames(s))
    assert from_pandas.json == from_files.json
    assert from_polars.json == from_files.json
    a, b = from_pandas.to_pandas(), from_polars.to_pandas()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_daily_table_is_consistent_with_the_metrics():
    s = strat.compile_file(str(EXAMPLES / "vix_guard.strat"))
    r = s.run()
    d = r.daily
    assert list(d.columns[:2]) == ["date", "weight"]
    assert d["date"].dtype.kind == "M"
    eq = d["equity"].to_numpy()
    ret = d["return"].to_numpy()
    assert math.isnan(ret[0]) and eq[0] == 1.0
    # equity compounds the net returns
    assert np.allclose(eq[1:], np.cumprod(1 + ret[1:]), rtol=1e-12, atol=0)
    assert math.isclose(eq[-1] - 1, r.metrics["total_return"], rel_tol=1e-12)
    assert str(d["date"].iloc[1].date()) == r.json["start"]
    assert str(d["date"].iloc[-1].date()) == r.json["end"]
    p = r.to_polars()
    assert p.columns == list(d.columns) and p["date"].dtype == pl.Date
    assert np.array_equal(p["equity"].to_numpy(), eq)


def test_weights_table():
    s = strat.compile_file(str(EXAMPLES / "weighting.strat"))
    w = s.run().weights
    assert list(w.columns) == ["date", "weights", "asset", "source", "target", "held", "turnover"]
    assert len(w) > 0
    # held weights of one rebalance are a long-only allocation summing to at most 1
    first = w[w["date"] == w["date"].iloc[0]]
    assert first["held"].sum() <= 1 + 1e-12


def test_notebook_example_runs(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    out = subprocess.run([sys.executable, str(ROOT / "python" / "examples" / "vix_guard_notebook.py")],
                         cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "spike_z" in out.stdout and "sharpe" in out.stdout


def test_daily_frame_is_the_callers_to_modify():
    r = strat.compile_file(str(EXAMPLES / "vix_guard.strat")).run()
    d = r.daily
    d["equity"] *= 2  # the columns are writable views of the engine's buffers
    d.loc[0, "weight"] = 0.0
    assert d["equity"].iloc[0] == 2.0
