#!/usr/bin/env python3
"""Independent reference for a drifting hold (`hold etf weight W rebalance monthly drift`).

Written from spec/semantics.md section 13 ("Drift", "Cash and financing") and sections 1-4, not
from Strat's implementation. A real book kept in units, bar by bar, with pandas/numpy:

  prices p[t, j] of the listed ETFs (inner-joined on date with the rates file when given; rows
  from --from on); month-end rows: t is one when row t+1 is in a later month, and the last row.
  t0 = the first month-end. The targets are constant weights W_j.
  State: equity V, units q_j, cash balance C = V - sum_j q_j p_j (after the close's trade, before
  the cost charged on the next bar), cost_prev, the scale s_prev (1 without a limit).
  On each row t >= t0:
    1. t > t0: c = rate[t-1] / 252 (0 if NaN, no rates file: 0); b = C / V[t-1];
       cash = b*c if b > 0 else b*(c + spread/252) (a payment when b < 0);
       V[t] = sum_j q_j p[t, j] + C + cash*V[t-1] - cost_prev*V[t-1]; x[t] = V[t] / V[t-1] - 1.
    2. the drifted weights d_j = q_j p[t, j] / V[t] (at t0: 0); the book before the scale
       u_j = W_j on a month-end row (t0 included), else d_j / s_prev.
    3. with --gross G: s = min(1, G / sum_j |u_j|); else s = 1. w'_j = s * u_j; with
       --max-weight L, w'_j is then clipped to [-L, L] (`limit weight L`). With --no-drift the
       book of SEMANTICS §4: u_j = W_j on every row, x[t] = sum_j w'[t-1, j] r[t, j] + cash -
       cost_prev, and the trade is w'_j - w'[t-1, j] (nothing floats).
    4. trade_j = |w'_j - d_j|; cost[t] = 2bps * sum_j trade_j; q_j = w'_j V[t] / p[t, j];
       C = V[t] - sum_j q_j p[t, j].
  Sharpe and Sortino on x - c (empyrical 0.5.5 sharpe_ratio(risk_free=), sortino_ratio(
  required_return=)); without rates c = 0.

Usage: drift_ref.py ETF.csv --assets spy,tlt,ief --weights 0.4,0.4,0.4 --from 2003-01-01
       [--rates RATES.csv --spread S] [--gross G] [--max-weight L] [--no-drift 1]
Prints JSON: rows (date, weight_<asset>..., return, equity, turnover, cost), total_return,
sharpe, sortino, avg_turnover, cost_drag.
"""
import json
import math
import sys

import numpy as np
import pandas as pd

P = 252.0


def main(argv):
    path = argv[0]
    opts = {"rates": None, "spread": 0.0, "gross": None, "max-weight": None, "no-drift": None}
    i = 1
    while i < len(argv):
        opts[argv[i][2:]] = argv[i + 1]
        i += 2
    assets = opts["assets"].split(",")
    W = np.array([float(x) for x in opts["weights"].split(",")])
    spread = float(opts["spread"])
    df = pd.read_csv(path, dtype={"date": str}, usecols=["date"] + assets)
    if opts["rates"] is not None:
        rt = pd.read_csv(opts["rates"], dtype={"date": str}, usecols=["date", "dgs3mo"])
        df = df.merge(rt, on="date", how="inner")
        rate = df["dgs3mo"].to_numpy(float) / 100.0
    df = df[df["date"] >= opts["from"]].reset_index(drop=True)
    if opts["rates"] is not None:
        rate = df["dgs3mo"].to_numpy(float) / 100.0
    else:
        rate = np.zeros(len(df))
    dates = df["date"].tolist()
    px = df[assets].to_numpy(float)
    assert not np.isnan(px).any(), "the reference expects no missing price"
    T = len(df)
    month = [d[:7] for d in dates]
    month_end = [t == T - 1 or month[t + 1] != month[t] for t in range(T)]
    t0 = month_end.index(True)

    V, C, cost_prev, s_prev = 1.0, 0.0, 0.0, 1.0
    q = np.zeros(len(assets))
    w_prev = np.zeros(len(assets))
    rets, rfs, weights, equity, turnover, costs = [], [], [], [], [], []
    for t in range(t0, T):
        if t > t0:
            c = 0.0 if math.isnan(rate[t - 1]) else rate[t - 1] / P
            b = C / V
            cash = b * c if b > 0 else (b * (c + spread / P) if b < 0 else 0.0)
            if opts["no-drift"]:
                # SEMANTICS §4: the weights held from t-1 earn their assets' returns; nothing
                # floats (the book is reset to its weights every bar, and only a change of
                # weight is traded).
                Vn = V * (1.0 + float(w_prev @ (px[t] / px[t - 1] - 1.0)) + cash - cost_prev)
            else:
                Vn = float(q @ px[t]) + C + cash * V - cost_prev * V
            x = Vn / V - 1
            rets.append(x)
            rfs.append(c)
            V = Vn
            d = w_prev.copy() if opts["no-drift"] else q * px[t] / V
        else:
            d = np.zeros(len(assets))
        u = W.copy() if month_end[t] or opts["no-drift"] else d / s_prev
        s = 1.0
        if opts["gross"] is not None:
            G = float(opts["gross"])
            g = float(np.abs(u).sum())
            if g > G:
                s = G / g
        wn = s * u
        if opts["max-weight"] is not None:
            L = float(opts["max-weight"])
            wn = np.clip(wn, -L, L)
        tv = float(np.abs(wn - d).sum())
        turnover.append(tv)
        costs.append(2e-4 * tv)
        cost_prev = 2e-4 * tv
        w_prev = wn
        q = wn * V / px[t]
        C = V - float(q @ px[t])
        s_prev = s
        weights.append(wn.tolist())
        equity.append(V)

    x = np.array(rets) - np.array(rfs)
    m = x.mean()
    sharpe = m / np.std(x, ddof=1) * math.sqrt(P)
    sortino = m / math.sqrt(np.mean(np.minimum(x, 0.0) ** 2)) * math.sqrt(P)
    n_dec = T - 1 - t0
    rows = {"date": dates[t0:], "return": [None] + rets, "equity": equity, "turnover": turnover, "cost": costs}
    for j, a in enumerate(assets):
        rows[f"weight_{a}"] = [w[j] for w in weights]
    out = {
        "t0": t0,
        "rows": rows,
        "total_return": V - 1,
        "sharpe": sharpe,
        "sortino": sortino,
        "avg_turnover": sum(turnover[:n_dec]) / n_dec,
        "cost_drag": sum(costs[:n_dec]),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
