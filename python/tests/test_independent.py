"""Results on unseen in-memory data, checked against independent NumPy formulas
(SEMANTICS.md §1-§4: a weight decided at close t earns the return from t to t+1; cost is
charged on the traded weight; Sharpe is the mean over the standard deviation (ddof=1) of daily
returns times sqrt(252))."""

import numpy as np
import pandas as pd
import polars as pl
import pytest

import strat

SRC = """
strategy half
data px = csv("not_on_disk.csv")
param w = 50%
hold px.a weight w
cost 10bps
"""


def synthetic(n=400, seed=7):
    rng = np.random.default_rng(seed)
    prices = 100 * np.exp(np.cumsum(rng.normal(0.0003, 0.01, n)))
    dates = pd.bdate_range("2015-01-01", periods=n)
    return pd.DataFrame({"date": dates, "a": prices, "noise": rng.normal(size=n)})


def expected(prices, w, cost):
    r = prices[1:] / prices[:-1] - 1
    net = w * r
    net[0] -= cost * w  # the first trade buys w at the first close
    eq = np.cumprod(1 + net)
    sharpe = net.mean() / net.std(ddof=1) * np.sqrt(252)
    return net, eq, sharpe


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("w", [0.5, 0.25, 1.0])
def test_constant_weight_matches_numpy(kind, w):
    df = synthetic()
    data = {"px": df if kind == "pandas" else pl.from_pandas(df).with_columns(pl.col("date").cast(pl.Date))}
    s = strat.compile(SRC, data=data)  # the file does not exist: columns come from the frame
    assert s.data_sources["px"].columns == ["a"]
    r = s.run(data=data, params={"w": w})
    net, eq, sharpe = expected(df["a"].to_numpy(), w, 0.001)
    d = r.daily
    np.testing.assert_allclose(d["return"].to_numpy()[1:], net, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(d["equity"].to_numpy()[1:], eq, rtol=1e-9)
    assert abs(r.metrics["sharpe"] - sharpe) < 1e-9
    assert abs(r.metrics["total_return"] - (eq[-1] - 1)) < 1e-9


def test_params_by_text_and_number_agree():
    df = synthetic()
    s = strat.compile(SRC, data={"px": df})
    assert s.params["w"].default == 0.5
    a = s.run(data={"px": df}, params={"w": "30%"})
    b = s.run(data={"px": df}, params={"w": 0.3})
    assert a.json == b.json


def test_no_lookahead_changing_the_last_price_changes_nothing_before_it():
    df = synthetic()
    s = strat.compile("data px = csv(\"x.csv\")\nhold px.a weight if px.a > sma(px.a, 20) then 1 else 0\n", data={"px": df})
    base = s.run(data={"px": df}).daily
    bumped = df.copy()
    bumped.loc[len(df) - 1, "a"] *= 1.5
    after = s.run(data={"px": bumped}).daily
    # The weights decided before the last close and every return before the last are unchanged.
    np.testing.assert_array_equal(base["weight"].to_numpy()[:-1], after["weight"].to_numpy()[:-1])
    np.testing.assert_array_equal(base["return"].to_numpy()[:-1], after["return"].to_numpy()[:-1])


def test_sweep_over_in_memory_data_matches_single_runs():
    df = synthetic()
    s = strat.compile(SRC, data={"px": df})
    sw = s.sweep(params={"w": [0.2, 0.4, 0.8]}, progress=False, data={"px": df})
    assert list(sw["w"]) == [0.2, 0.4, 0.8]
    for _, row in sw.iterrows():
        one = s.run(data={"px": df}, params={"w": row["w"]})
        assert row["sharpe"] == one.metrics["sharpe"]
        assert row["total_return"] == one.metrics["total_return"]


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_compile_without_the_file_then_run_on_frames(kind):
    # No data at compile time and no file on disk: the columns come from the program's uses.
    s = strat.compile(SRC)
    assert s.data_sources["px"].columns == ["a"]
    df = synthetic(seed=11)
    data = {"px": df if kind == "pandas" else pl.from_pandas(df)}
    r = s.run(data=data, params={"w": 0.5})
    net, eq, sharpe = expected(df["a"].to_numpy(), 0.5, 0.001)
    assert abs(r.metrics["sharpe"] - sharpe) < 1e-9
    # Without data the missing file is a DataError naming it.
    with pytest.raises(strat.DataError, match="not_on_disk.csv"):
        s.run()
