"""A notebook-style tour: load a CSV with pandas, run the VIX guard on it, sweep its spike
threshold, and plot the equity curve (with matplotlib, when it is installed).

Run from the repository root after `pip install ./python`:

    python python/examples/vix_guard_notebook.py
"""

import pathlib

import pandas as pd

import strat

ROOT = pathlib.Path(__file__).resolve().parents[2]

# 1. Data from pandas: a `date` column (or a DatetimeIndex) and the series the program reads.
mkt = pd.read_csv(ROOT / "examples" / "data" / "spx_vix.csv", parse_dates=["date"])

# 2. Compile the strategy; the frame replaces the file `data mkt = csv(...)` names.
guard = strat.compile_file(str(ROOT / "examples" / "vix_guard.strat"))
print(guard)
print("params:", {n: p.default for n, p in guard.params.items()})
result = guard.run(data={"mkt": mkt})
print(result)
print({k: round(v, 4) for k, v in result.metrics.items()})

# 3. Sweep the spike threshold: one row per binding.
grid = guard.sweep(params={"spike_z": [2.0, 2.5, 3.0, 3.5]}, data={"mkt": mkt}, progress=False)
print(grid[["spike_z", "sharpe", "max_drawdown", "cagr"]].to_string(index=False))

# 4. Plot the equity curve against buy-and-hold.
daily = result.daily.set_index("date")
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = daily["equity"].plot(label="VIX guard", logy=True)
    spx = mkt.set_index("date")["spx"].loc[daily.index]
    (spx / spx.iloc[0]).plot(ax=ax, label="S&P 500")
    ax.legend()
    plt.savefig("vix_guard_equity.png", dpi=100)
    print("wrote vix_guard_equity.png")
except ImportError:
    print("matplotlib is not installed; skipping the plot")
