#!/usr/bin/env python3
"""Independent reference implementation of the "TSMOM with a drawdown hedge" study.

Written from /work/shared/SEMANTICS.md (sections 0-5 and the TSMOM study in
section 6) and examples/tsmom_hedge.strat only, without looking at Strat's own
implementation. Pure Python 3 standard library (no numpy / pandas).

Usage:
    python3 tsmom_ref.py DATA.csv [--from 2017-11-09] [--to YYYY-MM-DD]
                                  [--assets btc,eth,bnb,xrp,ada,doge,ltc,link]
                                  [--annualize 365]

Prints one JSON object shaped like `strat sweep FILE --json`:

    {"strategy": "tsmom_hedge", "bindings": 82, "params": [names],
     "rows": [{"params": {...}, "bars", "start", "end",
               "metrics": {total_return, cagr, ann_vol, sharpe, sortino,
                           max_drawdown, calmar, var_95, cvar_95, omega,
                           avg_exposure},
               "information_ratio" (null: no benchmark),
               "avg_turnover", "avg_turnover_all", "reports": {"net_long"}}]}

Rows are in Strat's grid order: mode outermost in [long_only, hedge, full];
within hedge the threshold outer, the strength inner (80 hedge bindings).
NaN is printed as null, infinities as "inf" / "-inf".

Rules (SEMANTICS.md):
  * The date window (--from/--to) restricts the rows; rows are counted from the
    window's first row, so warm-ups and drawdown's running peak start there.
  * r = P[t]/P[t-1] - 1 (row 0 undefined); sigma = std(r, 30) * sqrt(365)
    (sample std over rows t-29..t, exactly 0 when all equal, else two-pass;
    defined from row 30); size = min(0.35 / sigma, 2.0) (sigma = 0 -> inf ->
    cap); s = sign(P[t]/P[t-30] - 1) (defined from row 30);
    dd = P[t] / max_{k<=t} P[k] - 1.
  * pos: s > 0 -> size; s < 0 -> short; s = 0 -> 0, where short = -size (full),
    -h * size if dd < thr strictly (hedge), 0 (long_only / hedge otherwise).
  * weight = pos / count(px), count = number of assets with a price (8).
  * first live row t0 = 30 (static warm-up of std(ret, 30) and ret(P, 30));
    strategy_return[t] = sum_j w[t-1, j] * r[t, j] for t = t0+1 .. T-1; no costs.
  * avg_exposure = mean over the evaluated rows of sum_j |w[t-1, j]|.
  * report net_long = mean over decision rows t0 .. T-2 of (mean_j pos > 0).
  * avg_turnover (not defined in SEMANTICS.md, reported for information):
    mean over decision rows t0 .. T-2 of sum_j |w[t,j] - w[t-1,j]| (w = 0
    before t0); avg_turnover_all is the same mean over t0 .. T-1.
"""

import csv
import json
import math
import sys

NAN = float("nan")
INF = float("inf")

DEFAULT_ASSETS = ["btc", "eth", "bnb", "xrp", "ada", "doge", "ltc", "link"]

# Literals of examples/tsmom_hedge.strat, as the doubles nearest the decimals.
LOOKBACK = 30
VOL_WINDOW = 30
VOL_TARGET = float("0.35")          # 35%
CAP = float("2.0")
THRESHOLDS = ["-0.05", "-0.07", "-0.10", "-0.12", "-0.15", "-0.20", "-0.25", "-0.30"]
STRENGTHS = ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]
PARAM_NAMES = ["lookback", "vol_window", "vol_target", "cap", "mode",
               "hedge_threshold", "hedge_strength"]


# --------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------

def parse_number(field):
    field = field.strip()
    if field == "":
        return NAN
    return float(field)


def read_panel(path, assets, date_from=None, date_to=None):
    dates, cols = [], [[] for _ in assets]
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        if header[0] != "date":
            raise SystemExit(f"{path}: first column must be 'date', got {header[0]!r}")
        try:
            idx = [header.index(a) for a in assets]
        except ValueError:
            raise SystemExit(f"{path}: need columns {assets}; got {header}")
        for row in reader:
            if not row or all(c.strip() == "" for c in row):
                continue
            d = row[0].strip()
            if date_from is not None and d < date_from:
                continue
            if date_to is not None and d > date_to:
                continue
            dates.append(d)
            for c, i in zip(cols, idx):
                c.append(parse_number(row[i]) if i < len(row) else NAN)
    for a, b in zip(dates, dates[1:]):
        if not a < b:
            raise SystemExit(f"{path}: dates not strictly increasing at {a}, {b}")
    return dates, cols


# --------------------------------------------------------------------------
# indicators
# --------------------------------------------------------------------------

def mean_of(xs):
    s = 0.0
    for v in xs:
        s += v
    return s / len(xs)


def std_ddof1(xs):
    """Sample std (ddof=1): exactly 0 when all values are equal, else two-pass.
    NaN if any value is NaN or fewer than 2 values."""
    n = len(xs)
    if n < 2:
        return NAN
    for v in xs:
        if v != v:
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


def sign(x):
    if x != x:
        return NAN
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return 0.0


def nan_min(a, b):
    if a != a or b != b:
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
    diff = b - a
    if g >= 0.5:
        return b - diff * (1.0 - g)
    return a + diff * g


METRIC_KEYS = ("total_return", "cagr", "ann_vol", "sharpe", "sortino", "max_drawdown",
               "calmar", "var_95", "cvar_95", "omega", "avg_exposure")


def metrics(x, exposures, P):
    """Section 4 metrics of the returns x; exposures[i] = sum_j |w[t-1, j]| of
    the row of x[i] (None: avg_exposure NaN)."""
    N = len(x)
    if N == 0:
        return {k: NAN for k in METRIC_KEYS}
    sqrtP = math.sqrt(P)
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
    sharpe = NAN if (sd != sd or sd == 0.0) else m / sd * sqrtP
    ds = 0.0
    for v in x:
        mv = v if v < 0.0 else 0.0
        ds += mv * mv
    DD = math.sqrt(ds / N)
    sortino = NAN if DD == 0.0 else m / DD * sqrtP
    calmar = NAN if mdd == 0.0 else cagr / abs(mdd)
    var95 = numpy_percentile(x, 5)
    k = math.floor((N - 1) * 0.05) + 1
    cvar95 = mean_of(sorted(x)[:k])
    up = 0.0
    down = 0.0
    for v in x:
        if v > 0.0:
            up += v
        elif v < 0.0:
            down += -v
    if down == 0.0:
        omega = INF if up > 0.0 else NAN
    else:
        omega = up / down
    avg_exp = NAN if exposures is None else mean_of(exposures)
    return dict(total_return=total, cagr=cagr, ann_vol=ann_vol, sharpe=sharpe,
                sortino=sortino, max_drawdown=mdd, calmar=calmar, var_95=var95,
                cvar_95=cvar95, omega=omega, avg_exposure=avg_exp)


# --------------------------------------------------------------------------
# study
# --------------------------------------------------------------------------

def bindings():
    """(mode, thr_text, h_text) in Strat's grid order."""
    out = [("long_only", None, None)]
    for thr in THRESHOLDS:
        for h in STRENGTHS:
            out.append(("hedge", thr, h))
    out.append(("full", None, None))
    return out


def precompute(cols):
    """Per asset: r, size, s, dd (lists over rows)."""
    T = len(cols[0])
    sqrt365 = math.sqrt(365.0)
    per = []
    for P in cols:
        r = [NAN] + [P[t] / P[t - 1] - 1.0 for t in range(1, T)]
        size = [NAN] * T
        s = [NAN] * T
        dd = [NAN] * T
        peak = NAN
        for t in range(T):
            p = P[t]
            if p == p and not (peak >= p):   # running max, NaN skipped
                peak = p
            dd[t] = p / peak - 1.0 if p == p else NAN
            if t >= VOL_WINDOW:
                sd = std_ddof1(r[t - VOL_WINDOW + 1: t + 1])
                sigma = sd * sqrt365
                size[t] = nan_min(VOL_TARGET / sigma if sigma != 0.0 else INF, CAP)
            if t >= LOOKBACK:
                s[t] = sign(P[t] / P[t - LOOKBACK] - 1.0)
        per.append((r, size, s, dd))
    return per


def positions(per, mode, thr, h, t):
    out = []
    for (r, size, s, dd) in per:
        m = size[t]
        st = s[t]
        if mode == "full":
            short = -m
        elif mode == "hedge" and dd[t] < thr:
            short = -h * m
        else:
            short = 0.0
        if st > 0:
            pos = m
        elif st < 0:
            pos = short
        else:
            pos = 0.0
        out.append(pos)
    return out


def run_binding(dates, cols, per, mode, thr_text, h_text, P):
    T = len(dates)
    A = len(cols)
    thr = float(thr_text) if thr_text is not None else None
    h = float(h_text) if h_text is not None else None
    t0 = max(LOOKBACK, VOL_WINDOW)   # static warm-up of the weight expression

    W = [[0.0] * A for _ in range(T)]   # weights decided at row t (0 before t0)
    net_long = []
    first_live = None
    for t in range(t0, T):
        pos = positions(per, mode, thr, h, t)
        live = [c[t] == c[t] for c in cols]
        count = float(sum(1 for v in live if v))
        w = []
        for j in range(A):
            wj = pos[j] / count if live[j] else NAN
            w.append(0.0 if wj != wj else wj)     # NaN weight holds nothing
        if first_live is None and any(
                (pos[j] / count) == (pos[j] / count) for j in range(A) if live[j]):
            first_live = t
        W[t] = w
        mp = mean_of(pos)
        net_long.append(1.0 if mp > 0 else 0.0)
    if first_live != t0:
        raise SystemExit(f"first live row is {first_live}, expected {t0}")

    x, expo = [], []
    for t in range(t0 + 1, T):
        acc = 0.0
        e = 0.0
        for j in range(A):
            wj = W[t - 1][j]
            rj = per[j][0][t]
            if wj != 0.0 and rj == rj:
                acc += wj * rj
            e += abs(wj)
        x.append(acc)
        expo.append(e)

    turn = []
    for t in range(t0, T):
        prev = W[t - 1] if t - 1 >= t0 else [0.0] * A
        turn.append(sum(abs(W[t][j] - prev[j]) for j in range(A)))

    params = {"lookback": float(LOOKBACK), "vol_window": float(VOL_WINDOW),
              "vol_target": VOL_TARGET, "cap": CAP, "mode": mode}
    if mode == "hedge":
        params["hedge_threshold"] = thr
        params["hedge_strength"] = h
    return {
        "params": params,
        "bars": len(x),
        "start": dates[t0 + 1],
        "end": dates[T - 1],
        "metrics": metrics(x, expo, P),
        "information_ratio": NAN,       # no benchmark in this study
        "avg_turnover": mean_of(turn[:-1]),
        "avg_turnover_all": mean_of(turn),
        "reports": {"net_long": mean_of(net_long[:-1])},
    }


def to_json_value(v):
    if isinstance(v, dict):
        return {k: to_json_value(val) for k, val in v.items()}
    if isinstance(v, list):
        return [to_json_value(val) for val in v]
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def main(argv):
    args = list(argv[1:])
    opts = {"--from": "2017-11-09", "--to": None, "--annualize": "365",
            "--assets": ",".join(DEFAULT_ASSETS)}
    path = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in opts:
            if i + 1 >= len(args):
                raise SystemExit(f"{a} needs a value")
            opts[a] = args[i + 1]
            i += 2
        elif path is None and not a.startswith("--"):
            path = a
            i += 1
        else:
            raise SystemExit(f"unknown argument {a!r}\n{__doc__}")
    if path is None:
        raise SystemExit(__doc__)
    assets = [a.strip() for a in opts["--assets"].split(",") if a.strip()]
    dates, cols = read_panel(path, assets, opts["--from"], opts["--to"])
    if len(dates) < 32:
        raise SystemExit("not enough rows")
    P = float(opts["--annualize"])
    per = precompute(cols)
    rows = [run_binding(dates, cols, per, mode, thr, h, P) for (mode, thr, h) in bindings()]
    out = {"strategy": "tsmom_hedge", "bindings": len(rows), "params": PARAM_NAMES,
           "rows": rows}
    print(json.dumps(to_json_value(out), allow_nan=False))


if __name__ == "__main__":
    main(sys.argv)
