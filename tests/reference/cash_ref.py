#!/usr/bin/env python3
"""Independent reference for the cash account (`cash RATE financing SPREAD borrow FEE`).

Written from spec/semantics.md ("Cash and financing", section 13) and sections 1-4, not from
Strat's implementation. Reads the two CSVs itself with pandas, inner-joins them on date (as Strat
joins its sources), and runs the book bar by bar:

  weights w[t] (before scaling), one asset (spx):
    --book guard:   VIX tiers (>= 50 -> 0.45, >= 40 -> 0.65, >= 30 -> 0.85, else 1.0), capped at
                    0.70 when zscore(vix, 60) > 2.5 (sample std; NaN when 0); live from row 59.
    --book levered: -0.5 when vix > 30, else 1.5; live from row 0.
  rate[t] = dgs3mo[t] / 100 (annualised fraction; NaN where the field is empty).
  on each row t >= t0, in order:
    1. t > t0: c = rate[t-1] / 252 (0 if NaN, counted); b = 1 - w'[t-1];
       earned = b * c if b > 0; financing = -b * (c + SPREAD / 252) if b < 0;
       borrow = FEE / 252 * max(-w'[t-1], 0);
       ret[t] = w'[t-1] * (spx[t] / spx[t-1] - 1) - cost[t-1] + earned - financing - borrow;
       E *= 1 + ret; peak = max(peak, E); D = E / peak - 1; R = ret.
    2. kill (with --kill): active = (D < -15% or R < -5% or vix > 70) or (active and not
       vix < 25); scale 50% while active.
    3. vol target (with --target X --lookback L --cap C): v = 1 while fewer than L own returns,
       else min(X / (std(last L, ddof 1) * sqrt(252)), C) (C when the std is 0).
    4. w'[t] = s * w[t]; turnover |w'[t] - w'[t-1]|; cost[t] = 2bps * turnover.
  Sharpe and Sortino on x = ret - rf (rf = c per return row): empyrical 0.5.5
  sharpe_ratio(ret, risk_free=rf) = mean(x) / std(x, ddof=1) * sqrt(252) and
  sortino_ratio(ret, required_return=rf) = mean(x) / sqrt(mean(min(x, 0)^2)) * sqrt(252); the
  benchmark's (spx) with the same rf.

Usage: cash_ref.py SPX_VIX.csv RATES.csv --book guard|levered [--spread S] [--fee F] [--kill]
       [--target X --lookback L --cap C] [--asof 1]
With --asof 1 the rates are joined as of each price row (`data rates = csv(...) asof`: the
latest rate row dated on or before it) instead of inner-joined on date.
Prints JSON: rows (date, weight, return, equity), total_return, sharpe, sortino,
benchmark_sharpe, benchmark_sortino, avg_turnover, cost_drag, risk_free, cash_return,
financing_cost, borrow_cost, missing_rates, first_missing_rate.
"""
import json
import math
import sys

import numpy as np
import pandas as pd

P = 252.0


def std1(xs):
    xs = np.asarray(xs, dtype=float)
    if np.all(xs == xs[0]):
        return 0.0
    return float(np.std(xs, ddof=1))


def main(argv):
    px_path, rates_path = argv[0], argv[1]
    opts = {"book": "guard", "spread": 0.0, "fee": 0.0, "kill": False, "target": None, "lookback": None, "cap": None}
    i = 2
    while i < len(argv):
        a = argv[i]
        if a == "--kill":
            opts["kill"] = True
            i += 1
            continue
        key = a[2:]
        opts[key] = argv[i + 1] if key == "book" else float(argv[i + 1])
        i += 2
    px = pd.read_csv(px_path, dtype={"date": str})
    rt = pd.read_csv(rates_path, dtype={"date": str}, usecols=["date", "dgs3mo"])
    if opts.get("asof"):
        # `data rates = csv(...) asof`: every price row, with the latest rate row dated on or
        # before it (NaN before the first).
        px["_d"] = pd.to_datetime(px["date"])
        rt["_d"] = pd.to_datetime(rt["date"])
        df = pd.merge_asof(px.sort_values("_d"), rt.drop(columns=["date"]).sort_values("_d"), on="_d", direction="backward")
    else:
        df = px.merge(rt, on="date", how="inner")
    dates = df["date"].tolist()
    spx = df["spx"].to_numpy(float)
    vix = df["vix"].to_numpy(float)
    rate = df["dgs3mo"].to_numpy(float) / 100.0
    T = len(df)

    if opts["book"] == "guard":
        W = 60
        expo = np.full(T, np.nan)
        for t in range(W - 1, T):
            win = vix[t - W + 1:t + 1]
            sd = std1(win)
            z = math.nan if sd == 0 else (vix[t] - win.mean()) / sd
            v = vix[t]
            tier = 0.45 if v >= 50 else 0.65 if v >= 40 else 0.85 if v >= 30 else 1.0
            expo[t] = min(tier, 0.70) if z > 2.5 else tier
        t0 = W - 1
    else:
        expo = np.where(vix > 30, -0.5, 1.5)
        t0 = 0

    bps = 2e-4
    E, peak, active = 1.0, 1.0, False
    w_prev, cost_prev = 0.0, 0.0
    rets, rfs, earned_l, fin_l, bor_l = [], [], [], [], []
    weights, equity, turnover, costs = [], [], [], []
    missing, first_missing = 0, None
    for t in range(t0, T):
        R = math.nan
        if t > t0:
            r = spx[t] / spx[t - 1] - 1
            rr = rate[t - 1]
            if math.isnan(rr):
                missing += 1
                if first_missing is None:
                    first_missing = dates[t - 1]
                c = 0.0
            else:
                c = rr / P
            b = 1.0 - w_prev
            earned = b * c if b > 0 else 0.0
            fin = -b * (c + opts["spread"] / P) if b < 0 else 0.0
            bor = opts["fee"] / P * max(-w_prev, 0.0)
            ret = w_prev * r - cost_prev + earned - fin - bor
            E *= 1 + ret
            peak = max(peak, E)
            rets.append(ret)
            rfs.append(c)
            earned_l.append(earned)
            fin_l.append(fin)
            bor_l.append(bor)
            R = ret
        D = E / peak - 1
        s = 1.0
        if opts["kill"]:
            trip = D < -0.15 or R < -0.05 or vix[t] > 70
            active = trip or (active and not vix[t] < 25)
            if active:
                s = 0.5
        if opts["target"] is not None:
            L = int(opts["lookback"])
            if len(rets) < L:
                v = 1.0
            else:
                sigma = std1(rets[-L:]) * math.sqrt(P)
                v = opts["cap"] if sigma == 0 else min(opts["target"] / sigma, opts["cap"])
            s = s * v
        wn = s * expo[t]
        tv = abs(wn - w_prev)
        turnover.append(tv)
        costs.append(bps * tv)
        cost_prev = bps * tv
        w_prev = wn
        weights.append(wn)
        equity.append(E)

    ret = pd.Series(rets)
    rf = pd.Series(rfs)

    def ratios(r):
        x = (r - rf).to_numpy()
        m = x.mean()
        sd = np.std(x, ddof=1)
        dd = math.sqrt(np.mean(np.minimum(x, 0.0) ** 2))
        return m / sd * math.sqrt(P), m / dd * math.sqrt(P)

    sharpe, sortino = ratios(ret)
    bench = pd.Series(spx[t0 + 1:] / spx[t0:-1] - 1)
    b_sharpe, b_sortino = ratios(bench)
    n_dec = T - 1 - t0
    out = {
        "t0": t0,
        "rows": {"date": dates[t0:], "weight": weights, "return": [None] + rets, "equity": equity, "rf": [None] + rfs},
        "total_return": E - 1,
        "sharpe": sharpe,
        "sortino": sortino,
        "benchmark_sharpe": b_sharpe,
        "benchmark_sortino": b_sortino,
        "avg_turnover": sum(turnover[:n_dec]) / n_dec,
        "cost_drag": sum(costs[:n_dec]),
        "risk_free": float(np.mean(rfs)) * P,
        "cash_return": float(np.mean(earned_l)) * P,
        "financing_cost": float(np.mean(fin_l)) * P,
        "borrow_cost": float(np.mean(bor_l)) * P,
        "missing_rates": missing,
        "first_missing_rate": first_missing,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
