#!/usr/bin/env python3
"""Independent reference implementation of the "VIX guard" study.

Written from /work/shared/SEMANTICS.md (sections 0-4 and the VIX guard study in
section 6) only, without looking at Strat's own implementation. Pure Python 3
standard library (no numpy / pandas), so it runs on a bare CI image.

Usage:
    python3 vix_guard_ref.py DATA.csv [--spike-window 60] [--spike-z 2.5]
                                      [--cost-bps 2] [--annualize 252]
                                      [--name vix_guard]

DATA.csv has the columns date, spx, vix (an empty field is NaN). The script
prints one JSON object with the same shape as `strat run FILE --json`:

    {"strategy", "bars", "start", "end",
     "metrics": {total_return, cagr, ann_vol, sharpe, sortino, max_drawdown,
                 calmar, var_95, cvar_95, omega, avg_exposure},
     "benchmark": {same keys},
     "information_ratio", "reports": {"guard_active"}}

NaN is printed as null, infinities as "inf" / "-inf".

Rules implemented (SEMANTICS.md):
  * tier(V): first match V >= 50 -> 0.45, V >= 40 -> 0.65, V >= 30 -> 0.85,
    else 1.0; a NaN V gives a NaN tier (NaN propagates through `tiers`).
  * z = zscore(V, n): (V[t] - mean(window)) / std(window, ddof=1) over rows
    t-n+1..t; std is exactly 0 when all n values are equal (then z = NaN),
    otherwise two-pass (mean first, then squared deviations). A NaN in the
    window makes z NaN. Static warm-up n-1.
  * exposure = min(tier, 0.70) if z > spike_z else tier (NaN comparison is
    false; min propagates NaN).
  * t0 = first row >= n-1 whose weight is not NaN. Weights before t0 are 0
    (also for costs). A NaN weight after t0 holds nothing on that bar (0).
  * r[t] = P[t] / P[t-1] - 1.
    strategy_return[t+1] = w[t] * r[t+1] - cost * |w[t] - w[t-1]|,
    cost = bps * 1e-4 (the double nearest the decimal).
  * evaluation window: return rows t0+1 .. T-1; benchmark = r on the same rows.
  * metrics per section 4; report guard_active = mean over decision rows
    t0 .. T-2 of (exposure[t] < 1) (NaN compares false -> 0).
"""

import csv
import json
import math
import sys

NAN = float("nan")


# --------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------

def parse_number(field):
    field = field.strip()
    if field == "":
        return NAN
    return float(field)


def read_data(path):
    dates, spx, vix = [], [], []
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        if header[0] != "date":
            raise SystemExit(f"{path}: first column must be 'date', got {header[0]!r}")
        try:
            i_spx = header.index("spx")
            i_vix = header.index("vix")
        except ValueError:
            raise SystemExit(f"{path}: need columns date, spx, vix; got {header}")
        for row in reader:
            if not row or all(c.strip() == "" for c in row):
                continue
            dates.append(row[0].strip())
            spx.append(parse_number(row[i_spx]))
            vix.append(parse_number(row[i_vix]))
    for a, b in zip(dates, dates[1:]):
        if not a < b:
            raise SystemExit(f"{path}: dates not strictly increasing at {a}, {b}")
    return dates, spx, vix


def decimal(text):
    """The double nearest the decimal literal `text`."""
    return float(text)


# --------------------------------------------------------------------------
# indicators
# --------------------------------------------------------------------------

def mean_of(xs):
    s = 0.0
    for v in xs:
        s += v
    return s / len(xs)


def std_ddof1(xs):
    """Sample std (ddof=1): exactly 0 when all values are equal, else two-pass."""
    n = len(xs)
    if n < 2:
        return NAN
    if any(math.isnan(v) for v in xs):
        return NAN
    first = xs[0]
    if all(v == first for v in xs):
        return 0.0
    m = mean_of(xs)
    ss = 0.0
    for v in xs:
        d = v - m
        ss += d * d
    return math.sqrt(ss / (n - 1))


def zscore(series, n):
    out = [NAN] * len(series)
    for t in range(n - 1, len(series)):
        window = series[t - n + 1: t + 1]
        if any(math.isnan(v) for v in window):
            continue  # NaN propagates
        sd = std_ddof1(window)
        if not (sd > 0.0):  # 0 (all equal) or NaN -> undefined
            continue
        m = mean_of(window)
        out[t] = (series[t] - m) / sd
    return out


T50, T40, T30 = decimal("50"), decimal("40"), decimal("30")
E45, E65, E85, E100 = decimal("0.45"), decimal("0.65"), decimal("0.85"), decimal("1.0")
CAP70 = decimal("0.70")


def tier(v):
    if math.isnan(v):
        return NAN
    if v >= T50:
        return E45
    if v >= T40:
        return E65
    if v >= T30:
        return E85
    return E100


def nan_min(a, b):
    if math.isnan(a) or math.isnan(b):
        return NAN
    return a if a <= b else b


# --------------------------------------------------------------------------
# metrics (section 4)
# --------------------------------------------------------------------------

def numpy_percentile(xs, q):
    """numpy.percentile(xs, q), method='linear' (Hyndman-Fan type 7)."""
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return NAN
    h = (n - 1) * (q / 100.0)
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    g = h - lo
    a, b = s[lo], s[hi]
    # numpy's _lerp: a + (b - a) * g, computed from the other end when g >= 0.5
    diff = b - a
    if g >= 0.5:
        return b - diff * (1.0 - g)
    return a + diff * g


def metrics(x, exposures, P):
    N = len(x)
    res = {}
    if N == 0:
        for k in ("total_return", "cagr", "ann_vol", "sharpe", "sortino", "max_drawdown",
                  "calmar", "var_95", "cvar_95", "omega", "avg_exposure"):
            res[k] = NAN
        return res
    sqrtP = math.sqrt(P)

    # equity, drawdown (starting equity 1 counts as a peak)
    e = 1.0
    peak = 1.0
    mdd = 0.0
    for v in x:
        e = e * (1.0 + v)
        if e > peak:
            peak = e
        dd = e / peak - 1.0
        if dd < mdd:
            mdd = dd
    total = e - 1.0
    cagr = -1.0 if e <= 0.0 else e ** (P / N) - 1.0

    m = mean_of(x)
    sd = std_ddof1(x)
    ann_vol = sd * sqrtP
    sharpe = NAN if not (sd != 0.0) or math.isnan(sd) else m / sd * sqrtP

    ds = 0.0
    for v in x:
        mv = v if v < 0.0 else 0.0
        ds += mv * mv
    DD = math.sqrt(ds / N)
    sortino = NAN if DD == 0.0 else m / DD * sqrtP

    calmar = NAN if mdd == 0.0 else cagr / abs(mdd)

    var95 = numpy_percentile(x, 5)
    k = math.floor((N - 1) * 0.05) + 1
    smallest = sorted(x)[:k]
    cvar95 = mean_of(smallest)

    up = 0.0
    down = 0.0
    for v in x:
        if v > 0.0:
            up += v
        elif v < 0.0:
            down += -v
    if down == 0.0:
        omega = math.inf if up > 0.0 else NAN
    else:
        omega = up / down

    avg_exp = mean_of([abs(w) for w in exposures])

    res.update(total_return=total, cagr=cagr, ann_vol=ann_vol, sharpe=sharpe,
               sortino=sortino, max_drawdown=mdd, calmar=calmar, var_95=var95,
               cvar_95=cvar95, omega=omega, avg_exposure=avg_exp)
    return res


def information_ratio(x, b, P):
    d = [xi - bi for xi, bi in zip(x, b)]
    if len(d) < 2:
        return NAN
    sd = std_ddof1(d)
    if math.isnan(sd) or sd == 0.0:
        return NAN
    return mean_of(d) / sd * math.sqrt(P)


# --------------------------------------------------------------------------
# study
# --------------------------------------------------------------------------

def run(dates, spx, vix, spike_window, spike_z, cost_bps, P, name):
    T = len(dates)
    n = spike_window
    cost = decimal(f"{cost_bps}e-4")

    z = zscore(vix, n)
    exposure = []
    for t in range(T):
        tr = tier(vix[t])
        spike = z[t] > spike_z  # NaN comparison is false
        exposure.append(nan_min(tr, CAP70) if spike else tr)

    # first live row: past the static warm-up (n-1) and not NaN
    t0 = None
    for t in range(max(n - 1, 0), T):
        if not math.isnan(exposure[t]):
            t0 = t
            break

    out = {"strategy": name}
    if t0 is None or t0 >= T - 1:
        raise SystemExit("no evaluated returns (no live weight before the last row)")

    # held weights: 0 before t0; a NaN weight holds nothing (0)
    w = [0.0] * T
    for t in range(t0, T):
        w[t] = 0.0 if math.isnan(exposure[t]) else exposure[t]

    r = [NAN] + [spx[t] / spx[t - 1] - 1.0 for t in range(1, T)]

    x, b, held = [], [], []
    for t in range(t0 + 1, T):
        wp = w[t - 1]
        wpp = w[t - 2] if t - 2 >= 0 else 0.0
        turnover = abs(wp - wpp)
        rt = r[t]
        gross = 0.0 if (wp == 0.0 or math.isnan(rt)) else wp * rt
        x.append(gross - cost * turnover)
        b.append(rt)
        held.append(wp)

    guard = [1.0 if exposure[t] < E100 else 0.0 for t in range(t0, T - 1)]

    out["bars"] = len(x)
    out["start"] = dates[t0 + 1]
    out["end"] = dates[T - 1]
    out["metrics"] = metrics(x, held, P)
    out["benchmark"] = metrics(b, [1.0] * len(b), P)
    out["information_ratio"] = information_ratio(x, b, P)
    out["reports"] = {"guard_active": mean_of(guard)}
    return out


def to_json_value(v):
    if isinstance(v, dict):
        return {k: to_json_value(val) for k, val in v.items()}
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def main(argv):
    args = list(argv[1:])
    opts = {"--spike-window": "60", "--spike-z": "2.5", "--cost-bps": "2",
            "--annualize": "252", "--name": "vix_guard"}
    path = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in opts:
            if i + 1 >= len(args):
                raise SystemExit(f"{a} needs a value")
            opts[a] = args[i + 1]
            i += 2
        elif "=" in a and a.split("=", 1)[0] in opts:
            k, v = a.split("=", 1)
            opts[k] = v
            i += 1
        elif path is None and not a.startswith("--"):
            path = a
            i += 1
        else:
            raise SystemExit(f"unknown argument {a!r}\n{__doc__}")
    if path is None:
        raise SystemExit(__doc__)

    dates, spx, vix = read_data(path)
    res = run(dates, spx, vix,
              spike_window=int(opts["--spike-window"]),
              spike_z=decimal(opts["--spike-z"]),
              cost_bps=opts["--cost-bps"],
              P=decimal(opts["--annualize"]),
              name=opts["--name"])
    print(json.dumps(to_json_value(res), sort_keys=True, allow_nan=False))


if __name__ == "__main__":
    main(sys.argv)
