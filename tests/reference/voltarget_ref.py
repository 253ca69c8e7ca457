#!/usr/bin/env python3
"""Independent reference for volatility targeting and position limits on the VIX guard.

Written from spec/semantics.md ("Volatility target and position limits") and SEMANTICS.md
sections 1-3b, not from Strat's implementation. Pure Python 3 standard library. A day-by-day
loop over the bars of the CSV (date, spx, vix):

  exposure[t]: tiers of vix (>= 50 -> 0.45, >= 40 -> 0.65, >= 30 -> 0.85, else 1.0), capped at
               0.70 when zscore(vix, 60) > 2.5 (sample std, two-pass, NaN when 0); live from
               row 59 (t0).
  on each row t >= t0, in order:
    1. t > t0: ret[t] = w'[t-1] * r[t] - cost[t-1]; E *= 1 + ret; peak = max(peak, E);
       D = E / peak - 1; R = ret (NaN at t0; comparisons with it false).
    2. kill (with --kill): active = (D < -15% or R < -5% or vix > 70) or (active and not
       vix < 25); k = 50% while active, else 1.
    3. vol target (with --target): n own returns so far (rows t0+1 .. t); v = 1 if n < L,
       else sigma = std(last L returns, ddof 1) * sqrt(252) (0 when all equal), v = cap if
       sigma = 0 else min(target / sigma, cap).  s = k * v.
    4. limits, gross then net: G = s * |w[t]|, if G > Lg: s *= Lg / G (bound);
       N = |s * w[t]|, if N > Ln: s *= Ln / N (bound).
    5. w'[t] = s * exposure[t]; turnover = |w'[t] - w'[t-1]|; cost[t] = bps * 1e-4 * turnover.
Shares and the mean scale are over the decision rows t0 .. T-2.

Usage: voltarget_ref.py DATA.csv [--kill] [--target X --lookback L --cap C] [--gross G]
       [--net N] [--cost-bps 2]
Prints JSON: {"t0", "rows": {"date", "weight", "return", "equity"}, "total_return", "sharpe",
"avg_turnover", "cost_drag", "mean_scale" | null, "gross_share" | null, "net_share" | null,
"kill_share" | null}.
"""
import json
import math
import sys


def std(xs):
    n = len(xs)
    if all(x == xs[0] for x in xs):
        return 0.0
    m = sum(xs) / n
    return math.sqrt(sum((x - m) * (x - m) for x in xs) / (n - 1))


def main(argv):
    path = argv[0]
    opts = {"kill": False, "target": None, "lookback": None, "cap": None, "gross": None, "net": None, "bps": 2.0}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--kill":
            opts["kill"] = True
            i += 1
            continue
        key = {"--target": "target", "--lookback": "lookback", "--cap": "cap", "--gross": "gross", "--net": "net", "--cost-bps": "bps"}[a]
        opts[key] = float(argv[i + 1])
        i += 2
    dates, spx, vix = [], [], []
    with open(path) as f:
        next(f)
        for line in f:
            d, s, v = line.strip().split(",")
            dates.append(d)
            spx.append(float(s))
            vix.append(float(v))
    T = len(dates)
    W = 60
    expo = [math.nan] * T
    for t in range(W - 1, T):
        win = vix[t - W + 1:t + 1]
        sd = std(win)
        z = math.nan if sd == 0 else (vix[t] - sum(win) / W) / sd
        v = vix[t]
        tier = 0.45 if v >= 50 else 0.65 if v >= 40 else 0.85 if v >= 30 else 1.0
        expo[t] = min(tier, 0.70) if z > 2.5 else tier
    t0 = W - 1
    rate = opts["bps"] * 1e-4
    E, peak, active = 1.0, 1.0, False
    w_prev, cost_prev = 0.0, 0.0
    rets, weights, equity, turnover, costs = [], [], [], [], []
    scales, gross_bound, net_bound, kill_on = [], [], [], []
    for t in range(t0, T):
        R = math.nan
        if t > t0:
            r = spx[t] / spx[t - 1] - 1
            ret = w_prev * r - cost_prev
            E *= 1 + ret
            peak = max(peak, E)
            rets.append(ret)
            R = ret
        D = E / peak - 1
        k = 1.0
        if opts["kill"]:
            trip = D < -0.15 or R < -0.05 or vix[t] > 70
            active = trip or (active and not vix[t] < 25)
            if active:
                k = 0.5
        kill_on.append(active)
        s = k
        if opts["target"] is not None:
            L = int(opts["lookback"])
            if len(rets) < L:
                v = 1.0
            else:
                sigma = std(rets[-L:]) * math.sqrt(252)
                v = opts["cap"] if sigma == 0 else min(opts["target"] / sigma, opts["cap"])
            scales.append(v)
            s = s * v
        w = expo[t]
        gb = nb = False
        if opts["gross"] is not None and s * abs(w) > opts["gross"]:
            s = s * (opts["gross"] / (s * abs(w)))
            gb = True
        if opts["net"] is not None and abs(s * w) > opts["net"]:
            s = s * (opts["net"] / abs(s * w))
            nb = True
        gross_bound.append(gb)
        net_bound.append(nb)
        wn = s * w
        tv = abs(wn - w_prev)
        turnover.append(tv)
        costs.append(rate * tv)
        cost_prev = rate * tv
        w_prev = wn
        weights.append(wn)
        equity.append(E)
    n_dec = T - 1 - t0
    mean = sum(rets) / len(rets)
    sd = std(rets)
    share = lambda xs: sum(1 for x in xs[:n_dec] if x) / n_dec
    out = {
        "t0": t0,
        "rows": {"date": dates[t0:], "weight": weights, "return": [None] + rets, "equity": equity},
        "total_return": E - 1,
        "sharpe": mean / sd * math.sqrt(252),
        "avg_turnover": sum(turnover[:n_dec]) / n_dec,
        "cost_drag": sum(costs[:n_dec]),
        "mean_scale": sum(scales[:n_dec]) / n_dec if opts["target"] is not None else None,
        "gross_share": share(gross_bound) if opts["gross"] is not None else None,
        "net_share": share(net_bound) if opts["net"] is not None else None,
        "kill_share": share(kill_on) if opts["kill"] else None,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
