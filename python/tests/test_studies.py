"""Sweeps and walk-forwards through Python equal the CLI's JSON; the GIL is released while
Strat computes; Ctrl-C stops a long sweep."""

import os
import signal
import threading
import time

import pytest

import strat
from conftest import EXAMPLES, cli_json

TSMOM = str(EXAMPLES / "tsmom_hedge.strat")


def test_sweep_equals_cli():
    s = strat.compile_file(TSMOM)
    df = s.sweep(progress=False)
    want = cli_json("sweep", TSMOM, "--quiet")
    assert len(df) == len(want["rows"]) == want["bindings"]
    for (_, row), w in zip(df.iterrows(), want["rows"]):
        for k, v in w["params"].items():
            assert row[k] == v
        for k, v in (w["metrics"] or {}).items():
            assert row[k] == v or (v is None and row[k] != row[k])


def test_walk_forward_equals_cli():
    s = strat.compile_file(TSMOM)
    wf = s.walk_forward(train="5y", test="1y", by="sharpe", progress=False)
    want = cli_json("walk-forward", TSMOM, "--train", "5y", "--test", "1y", "--by", "sharpe", "--quiet")
    assert wf.json == want
    assert len(wf.folds) == len(want["folds"])


BIG = """
data mkt = csv("%s")
param n in 5 ..= 400 step 1
param z in 0.5 ..= 4.0 step 0.05
hold mkt.spx weight if zscore(mkt.vix, n) > z then 50%% else 100%%
""" % (EXAMPLES / "data" / "spx_vix.csv")


def test_gil_is_released_during_a_sweep():
    s = strat.compile(BIG)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.01)

    t = threading.Thread(target=tick)
    t.start()
    # ~1 s of sweep: long enough that the ticker is scheduled even on a busy 2-core machine
    # (e.g. right after the Ray cluster of test_ray.py started its workers).
    s.sweep(params={"n": list(range(5, 205)), "z": [1.0, 2.0]}, progress=False)
    stop.set()
    t.join()
    assert len(ticks) > 5


def test_keyboard_interrupt_stops_a_long_sweep():
    s = strat.compile(BIG)
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        s.sweep(progress=False)  # 396 x 71 = 28,116 bindings: minutes
    elapsed = time.perf_counter() - t0
    timer.cancel()
    assert elapsed < 30, elapsed
    # the strategy still works afterwards
    assert s.sweep(params={"n": [20], "z": [1.0]}, progress=False).shape[0] == 1
