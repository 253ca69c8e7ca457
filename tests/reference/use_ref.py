"""Independent reference for `use` (spec/language.md "use", spec/semantics.md §5 and §13):
the book of tests/use/top.strat computed bar by bar with pandas from the CSV files and the
programs' text as written here (not from Strat's output).

    python use_ref.py DATA_DIR LOOKBACK CALM COST_BPS

DATA_DIR holds etf_2015_2017.csv and spx_vix_2015_2017.csv. The program:

    trend (sleeves/trend.strat, `with lookback = LOOKBACK`): universe spy, tlt, gld, ief;
        target up[t, j] / 4 with up = price[t] > price[t - LOOKBACK]; rebalanced at month-ends;
        not live before row LOOKBACK (the static warm-up of `etf[lookback]`), then from the
        first month-end.
    bal (sleeves/balanced.strat): spy at 100% when vix < CALM else 40%, every bar, from row 0.
    regime CALM when vix < 15 else NERVOUS; CALM => 0.7 trend + 0.5 bal,
        NERVOUS => 0.3 trend + 0.6 bal; cost COST_BPS on the netted per-asset trades.

Prints JSON: per row t0 .. T-1 the date, return, equity, turnover, cost, the allocations; the
metrics, cost drag, average turnover and the attribution lines.
"""

import json
import math
import sys

import numpy as np
import pandas as pd


def main(argv):
    data, lookback, calm, cost_bps = argv[0], int(argv[1]), float(argv[2]), float(argv[3])
    etf = pd.read_csv(f"{data}/etf_2015_2017.csv", parse_dates=["date"]).set_index("date")
    mkt = pd.read_csv(f"{data}/spx_vix_2015_2017.csv", parse_dates=["date"]).set_index("date")
    frame = etf.join(mkt, how="inner").sort_index()
    dates = frame.index
    T = len(frame)
    assets = ["spy", "tlt", "gld", "ief"]
    P = frame[assets].to_numpy(dtype=float)
    vix = frame["vix"].to_numpy(dtype=float)
    R = np.full_like(P, np.nan)
    R[1:] = P[1:] / P[:-1] - 1.0

    # Month-end rebalance rows: row t when row t+1 is in a later month, and the last row.
    month = dates.year * 12 + dates.month
    rebalance = np.zeros(T, dtype=bool)
    rebalance[:-1] = month[1:] != month[:-1]
    rebalance[-1] = True

    # trend: held per-asset weights.
    target = np.zeros_like(P)
    for t in range(T):
        for j in range(4):
            past = P[t - lookback, j] if t >= lookback else math.nan
            target[t, j] = (1.0 if P[t, j] > past else 0.0) / 4.0
    t0_trend = next(t for t in range(lookback, T) if rebalance[t])
    h_trend = np.zeros_like(P)
    src = t0_trend
    for t in range(t0_trend, T):
        if rebalance[t]:
            src = t
        h_trend[t] = target[src]
    # bal: spy only.
    h_bal = np.where(vix < calm, 1.0, 0.4)
    t0_bal = 0

    # Sleeve returns (0 before a sleeve's first return row).
    s_trend = np.zeros(T)
    s_bal = np.zeros(T)
    for t in range(1, T):
        if t > t0_trend:
            s_trend[t] = sum(h_trend[t - 1, j] * R[t, j] for j in range(4) if h_trend[t - 1, j] != 0.0)
        if t > t0_bal:
            s_bal[t] = h_bal[t - 1] * R[t, 0]

    t0 = max(t0_trend, t0_bal)
    calm_arm = vix < 15
    alloc = np.zeros((T, 2))
    for t in range(t0, T):
        alloc[t] = (0.7, 0.5) if calm_arm[t] else (0.3, 0.6)

    # The netted book: spy is held by both sleeves.
    W = np.zeros_like(P)
    for t in range(t0, T):
        W[t] = alloc[t, 0] * h_trend[t]
        W[t, 0] += alloc[t, 1] * h_bal[t]
    rate = cost_bps / 1e4
    turnover = np.zeros(T)
    cost = np.zeros(T)
    for t in range(t0, T):
        prev = W[t - 1] if t > t0 else np.zeros(4)
        turnover[t] = np.abs(W[t] - prev).sum()
        cost[t] = rate * turnover[t]
    ret = np.array([sum(W[t - 1, j] * R[t, j] for j in range(4) if W[t - 1, j] != 0.0) - cost[t - 1] for t in range(t0 + 1, T)])
    equity = np.cumprod(1.0 + ret)
    n = len(ret)
    mean = ret.mean()
    sd = ret.std(ddof=1)
    ppy = 252.0

    lines = []
    rest = ret.copy()
    for name, k, s in (("trend", 0, s_trend), ("bal", 1, s_bal)):
        c = np.array([alloc[t - 1, k] * s[t] for t in range(t0 + 1, T)])
        rest -= c
        lines.append((name, float(alloc[t0 : T - 1, k].mean()), c))
    c_cost = -cost[t0 : T - 1]
    rest -= c_cost
    lines.append(("costs", None, c_cost))
    lines.append(("cash", None, rest))
    dev = ret - mean
    attribution = []
    for name, held, c in lines:
        cov = ((c - c.mean()) * dev).sum() / (n - 1)
        risk = cov / sd * math.sqrt(ppy)
        attribution.append(
            {
                "name": name,
                "mean_allocation": held,
                "return": c.mean() * ppy,
                "total": c.sum(),
                "risk": risk,
                "risk_share": risk / (sd * math.sqrt(ppy)),
            }
        )
    out = {
        "rows": {
            "date": [d.strftime("%Y-%m-%d") for d in dates[t0:]],
            "return": [None] + ret.tolist(),
            "equity": [1.0] + equity.tolist(),
            "turnover": turnover[t0:].tolist(),
            "cost": cost[t0:].tolist(),
            "weight_trend": alloc[t0:, 0].tolist(),
            "weight_bal": alloc[t0:, 1].tolist(),
        },
        "bars": n,
        "total_return": float(equity[-1] - 1.0),
        "sharpe": float(mean / sd * math.sqrt(ppy)),
        "ann_vol": float(sd * math.sqrt(ppy)),
        "cost_drag": float(cost[t0 : T - 1].sum()),
        "avg_turnover": float(turnover[t0 : T - 1].mean()),
        "attribution": attribution,
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
