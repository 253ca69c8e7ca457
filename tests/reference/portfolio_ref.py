#!/usr/bin/env python3
"""Independent reference implementation of the path-dependent portfolio stage:
costs on combined books, per-asset cost models and kill switches.

Written from /work/shared/SEMANTICS.md (sections 0-5, especially 3 costs and 3b
own path / kill switch), the issue-11 contract (cost `impact(...)` formula,
CLI outputs) and the .strat programs only, without looking at Strat's own
implementation. Pure Python 3 standard library (no numpy / pandas). Reuses the
readers, indicators and metrics of ensemble_ref.py and vix_guard_ref.py (same
folder).

Usage:
    python3 portfolio_ref.py vix_guard DATA.csv [--set spike_window=60]
            [--set spike_z=2.5] [--cost-bps 2 | --rate-window N] [--kill SPEC]...
            [--report-own] [--leverage L]  (hold mkt.spx weight L * exposure)
    python3 portfolio_ref.py ensemble [--mkt F] [--stocks F] [--safe F]
            [--set bull_qm=0.7 ...] [--cost-bps 10] [--kill SPEC]... [--report-own]
            [--walk-forward --train 5 --test 1]   (all 729 bindings, no switch)
            [--lowvol-separate]  (lowvol's stocks do not net with qm's)
    python3 portfolio_ref.py stocks --stocks F [--volume F --close F]
            [--capital 10000000] [--signal mom|ret5|ret60] [--rebalance monthly|daily]
            [--cost impact|rate|flat] [--cost-bps 10] [--kill SPEC]...
    common: [--rows] (per-row columns), [--annualize 252]
            [--kill-grid SPEC --grid V1,V2,.. [--walk-forward --train 5 --test 1]]
              one binding per value V (substituted for `{}` in SPEC, a switch
              added to the --kill ones); prints {"bindings", "rows": [run
              results], "walk_forward": {"folds": [{"train", "test",
              "binding", "in_sample", "out_of_sample", "bars"}],
              "out_of_sample": {metrics}, "bars", "start", "end"}}

Kill SPEC: `NAME;TRIP;RELEASE;SCALE`, TRIP and RELEASE are `|`-separated
atoms (or) of the form VAR OP VALUE, VAR in {dd (own.drawdown), day
(own.day_return), eq (own.equity), vix (mkt.vix), spx (mkt.spx)}, OP in
{<, <=, >, >=}, VALUE a decimal literal, optionally with `%`. Example (ARES7):
    "crash;dd<-15%|day<-5%|vix>70;vix<25;50%"
is `kill crash when own.drawdown < -15% or own.day_return < -5% or mkt.vix > 70
release when mkt.vix < 25 scale 50%`. With --report-own the program also has
`report NAME_on = NAME` per switch, `report own_dd = own.drawdown` and
`report own_eq = own.equity`. vix_guard --rate-window N replaces `cost 2bps`
by `cost clamp(2bps + 0.5 * std(ret(mkt.spx), N) * sqrt(own.trade), 1bps,
50bps)` (its warm-up, row N, extends the weight's).

Prints one JSON object shaped like `strat run --json`:
    {"strategy", "bars", "start", "end", "t0", "metrics": {...},
     "benchmark": {...} | null, "information_ratio", "ruin_date",
     "avg_turnover", "cost_drag",
     "kill_switches": [{"name", "active_share", "trips", "first_trip"}],
     "reports": {...},
     "rows": {"date", "weight", "return", "equity", "turnover", "cost",
              "kill_NAME"..., "weight_ASSET"... (stocks)}}
                                          (with --rows; rows t0 .. T-1)
"weight" is the gross exposure sum_j |w'[t, j]|, weight_ASSET the held w'[t, j];
for the ensemble weight_SLEEVE = s[t] * a[t, SLEEVE] (the sleeve allocation of
the regime at t times the switches' scale; Strat's --out layout for ensembles).
NaN is printed as null, infinities as "inf" / "-inf".

The portfolio stage (one forward pass, rows t0 .. T-1):
  * w[t, j]: the book's target weight per asset (before the switches), 0 for
    an asset whose price at t is NaN, 0 before t0.
  * At t0: E = 1, D = 0, R = NaN (comparisons false), return undefined.
  * At t > t0: return[t] = sum_j w'[t-1, j] * r[t, j] (NaN r -> the asset
    holds nothing) - cost[t-1]; E[t] = E[t-1] * (1 + return[t]);
    D[t] = E[t] / max(1, max_{s<=t} E[s]) - 1; R[t] = return[t].
  * Every switch k at every row t >= t0: active_k[t] = trip_k[t] or
    (active_k[t-1] and not release_k[t]) (active = false before t0), both
    conditions on data of row t and the own values of row t.
  * s[t] = min scale over the active switches (1 if none); w'[t] = s[t] * w[t].
  * turnover[t] = sum_j |w'[t, j] - w'[t-1, j]| (w' = 0 before t0).
  * cost[t] = sum_j c[t, j] * |w'[t, j] - w'[t-1, j]| over the traded assets
    (a NaN or negative rate on a traded asset is an error), charged against
    return[t+1]. Flat: c = bps * 1e-4. impact (contract / spec/stdlib.md):
      sigma = std(ret(price), window)   (sample, two-pass, rows t-window+1..t)
      adv   = sma(volume * close, adv_window)
      q     = trade * capital * E[t] / adv
      c     = clamp(base + sigma * (vol_coeff * sqrt(q) + adv_coeff * q), min, max)
    rate (the `rate` cost of the stocks case):
      c = clamp(2bps + 0.5 * std(ret(stocks), 60) * sqrt(trade), 1bps, 50bps)
  * Ruin: on the first row with E[t] <= 0 the book is closed: w' = 0 from
    that row on (the closing trade is not charged), later returns are 0.
  * Metrics (section 4) on return rows t0+1 .. T-1; avg_exposure = mean of
    sum_j |w'[t-1, j]|. avg_turnover = mean turnover over decision rows
    t0 .. T-2; cost_drag = sum of cost over t0 .. T-2; active_share = mean of
    active over t0 .. T-2; trips = number of rows t in t0 .. T-2 where active
    turns on (active[t] and not active[t-1]); first_trip = the date of the
    first such row (null if none). Reports: mean over t0 .. T-2.
"""

import csv
import json
import math
import os
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ensemble_ref as er  # noqa: E402
import vix_guard_ref as vg  # noqa: E402

NAN = float("nan")
INF = float("inf")


def lit(text):
    """The double nearest a decimal literal, `%` and `bps` suffixes allowed."""
    text = text.strip()
    if text.endswith("%"):
        return float(Decimal(text[:-1]) / Decimal(100))
    if text.endswith("bps"):
        return float(Decimal(text[:-3]) / Decimal(10000))
    return float(Decimal(text))


def is_nan(v):
    return v != v


def nmin(a, b):
    if is_nan(a) or is_nan(b):
        return NAN
    return a if a <= b else b


def nmax(a, b):
    if is_nan(a) or is_nan(b):
        return NAN
    return a if a >= b else b


def clamp(x, lo, hi):
    return nmin(nmax(x, lo), hi)


# --------------------------------------------------------------------------
# kill switches
# --------------------------------------------------------------------------

OPS = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
}
VARS = ("dd", "day", "eq", "vix", "spx")


def parse_atoms(text):
    atoms = []
    for part in text.split("|"):
        part = part.strip()
        for op in ("<=", ">=", "<", ">"):
            if op in part:
                var, val = part.split(op, 1)
                var = var.strip()
                if var not in VARS:
                    raise SystemExit(f"kill spec: unknown variable {var!r}")
                atoms.append((var, op, lit(val)))
                break
        else:
            raise SystemExit(f"kill spec: bad atom {part!r}")
    return atoms


class Kill:
    def __init__(self, spec):
        parts = spec.split(";")
        if len(parts) != 4:
            raise SystemExit(f"kill spec {spec!r}: need NAME;TRIP;RELEASE;SCALE")
        self.name = parts[0].strip()
        self.trip = parse_atoms(parts[1])
        self.release = parse_atoms(parts[2])
        self.scale = lit(parts[3])

    @staticmethod
    def holds(atoms, ctx):
        for var, op, val in atoms:
            v = ctx[var]
            if v == v and OPS[op](v, val):  # a NaN comparison is false
                return True
        return False


# --------------------------------------------------------------------------
# the portfolio stage
# --------------------------------------------------------------------------

class Book:
    """What the column plan hands to the portfolio stage.

    dates, t0, n_assets; target(t) -> per-asset weights (0 for NaN prices);
    R[j][t] returns; data(t) -> {"vix": .., "spx": ..}; rate(t, j, trade, E)
    -> cost rate per unit traded; bench[t] (None: no benchmark); reports
    {name: list over rows} of the column-plan reports.
    """


def run_book(book, kills, P, report_own=False, want_rows=False):
    dates = book.dates
    T = len(dates)
    t0 = book.t0
    A = book.n_assets
    if t0 is None or t0 >= T - 1:
        raise SystemExit("no evaluated returns (no live weight before the last row)")
    prev_w = [0.0] * A
    E = 1.0
    peak = 1.0
    ruined = False
    ruin_date = None
    active = [False] * len(kills)
    cost_prev = 0.0
    out_rows = {"date": [], "weight": [], "return": [], "equity": [],
                "turnover": [], "cost": []}
    for k in kills:
        out_rows["kill_" + k.name] = []
    names = getattr(book, "asset_names", None)
    if names:
        for n in names:
            out_rows["weight_" + n] = []
    alloc = getattr(book, "alloc", None)
    if alloc:
        for n in book.sleeves:
            out_rows["weight_" + n] = []
    x, expo, turns, costs, Ds, Es = [], [], [], [], [], []
    act_hist = [[] for _ in kills]
    for t in range(t0, T):
        if t == t0:
            ret = NAN
            D = 0.0
        else:
            acc = 0.0
            gross_prev = 0.0
            for j in range(A):
                wj = prev_w[j]
                if wj == 0.0:
                    continue
                gross_prev += abs(wj)
                rj = book.R[j][t]
                if rj == rj:
                    acc += wj * rj
            ret = acc - cost_prev
            if ruined:
                ret = 0.0
            E = E * (1.0 + ret)
            if E > peak:
                peak = E
            D = E / peak - 1.0
            x.append(ret)
            expo.append(gross_prev)
        if not ruined and t > t0 and E <= 0.0:
            ruined = True
            ruin_date = dates[t]
        ctx = dict(book.data(t))
        ctx["dd"] = D
        ctx["day"] = ret
        ctx["eq"] = E
        scale = 1.0
        for i, k in enumerate(kills):
            trip = Kill.holds(k.trip, ctx)
            rel = Kill.holds(k.release, ctx)
            active[i] = trip or (active[i] and not rel)
            if active[i]:
                scale = min(scale, k.scale)
        w = book.target(t)
        if ruined:
            w = [0.0] * A
        else:
            w = [scale * v for v in w]
        turnover = 0.0
        cost = 0.0
        for j in range(A):
            d = abs(w[j] - prev_w[j])
            if d == 0.0:
                continue
            turnover += d
            if ruined:
                continue
            c = book.rate(t, j, d, E)
            if not (c >= 0.0):
                raise SystemExit(f"bad cost rate {c!r} on {dates[t]} asset {j}")
            cost += c * d
        if t < T - 1:
            turns.append(turnover)
            costs.append(cost)
            Ds.append(D)
            Es.append(E)
            for i in range(len(kills)):
                act_hist[i].append(active[i])
        if want_rows:
            out_rows["date"].append(dates[t])
            out_rows["weight"].append(sum(abs(v) for v in w))
            out_rows["return"].append(ret)
            out_rows["equity"].append(E)
            out_rows["turnover"].append(turnover)
            out_rows["cost"].append(cost)
            for i, k in enumerate(kills):
                out_rows["kill_" + k.name].append(1 if active[i] else 0)
            if names:
                for j, n in enumerate(names):
                    out_rows["weight_" + n].append(w[j])
            if alloc:
                a = alloc(t)
                for n in book.sleeves:
                    out_rows["weight_" + n].append(0.0 if ruined else scale * a[n])
        prev_w = w
        cost_prev = cost

    dec_dates = dates[t0:T - 1]
    res = {
        "strategy": book.name,
        "t0": t0,
        "bars": len(x),
        "start": dates[t0 + 1],
        "end": dates[T - 1],
        "metrics": er.metrics(x, expo, P),
    }
    if book.bench is not None:
        b = [book.bench[t] for t in range(t0 + 1, T)]
        res["benchmark"] = er.metrics(b, [1.0] * len(b), P)
        res["information_ratio"] = er.information_ratio(x, b, P)
    else:
        res["benchmark"] = None
        res["information_ratio"] = NAN
    res["ruin_date"] = ruin_date
    res["avg_turnover"] = er.mean_of(turns)
    s = 0.0
    for c in costs:
        s += c
    res["cost_drag"] = s
    ks = []
    reports = {}
    for i, k in enumerate(kills):
        h = act_hist[i]
        trips = [dec_dates[n] for n in range(len(h)) if h[n] and (n == 0 or not h[n - 1])]
        share = er.mean_of([1.0 if v else 0.0 for v in h])
        ks.append({"name": k.name, "active_share": share, "trips": len(trips),
                   "first_trip": trips[0] if trips else None})
        if report_own:
            reports[k.name + "_on"] = share
    res["kill_switches"] = ks
    for name, series in book.reports.items():
        reports[name] = er.mean_of([series[t] for t in range(t0, T - 1)])
    if report_own:
        reports["own_dd"] = er.mean_of(Ds)
        reports["own_eq"] = er.mean_of(Es)
    res["reports"] = reports
    if want_rows:
        res["rows"] = out_rows
    # for the walk-forward (not printed)
    res["_x"] = x
    res["_expo"] = expo
    res["_years"] = [int(d[:4]) for d in dates[t0 + 1:T]]
    res["_dates"] = dates[t0 + 1:T]
    return res


def walk_forward(runs, train, test, P):
    """Rolling walk-forward over the bindings' full net paths (section 6's rule:
    years y0 .. yN of the evaluated rows; for each test year Y = y0+train ..
    yN (step test) the binding with the best Sharpe over the rows of years
    Y-train .. Y-1, ties within 1e-9 * max(1, |best|) to the lowest index;
    the chosen binding's own net returns (and exposures) of the test years are
    stitched). Each binding's kill switch ran on its own full path."""
    years = runs[0]["_years"]
    dates = runs[0]["_dates"]
    for r in runs:
        if r["_years"] != years:
            raise SystemExit("walk-forward: bindings with different evaluation windows")
    y0, yN = years[0], years[-1]

    def rows_of(ya, yb):
        return [i for i, y in enumerate(years) if ya <= y <= yb]

    # per-binding, per-year sums (for a first, approximate Sharpe; every
    # binding within 1e-6 of the best is recomputed exactly, two-pass)
    sums = []
    for r in runs:
        d = {}
        for y, v in zip(years, r["_x"]):
            e = d.get(y)
            if e is None:
                e = d[y] = [0, 0.0, 0.0]
            e[0] += 1
            e[1] += v
            e[2] += v * v
        sums.append(d)

    def approx_sharpe(b, ya, yb):
        n, s1, s2 = 0, 0.0, 0.0
        for y in range(ya, yb + 1):
            e = sums[b].get(y)
            if e:
                n += e[0]
                s1 += e[1]
                s2 += e[2]
        if n < 2:
            return NAN
        m = s1 / n
        var = (s2 - s1 * m) / (n - 1)
        return m / math.sqrt(var) * math.sqrt(er.P_YEAR) if var > 0 else NAN

    folds = []
    ox, oe = [], []
    for Y in range(y0 + train, yN + 1, test):
        tr = rows_of(Y - train, Y - 1)
        te = rows_of(Y, Y + test - 1)
        if not te:
            continue
        ap = [approx_sharpe(b, Y - train, Y - 1) for b in range(len(runs))]
        fin = [v for v in ap if v == v]
        best_a = max(fin) if fin else NAN
        sh = [er.sharpe_of([r["_x"][i] for i in tr])
              if (ap[b] == ap[b] and ap[b] >= best_a - 1e-6 * max(1.0, abs(best_a))) else NAN
              for b, r in enumerate(runs)]
        finite = [v for v in sh if v == v]
        if not finite:
            raise SystemExit(f"walk-forward: no finite Sharpe for test year {Y}")
        best = max(finite)
        tol = 1e-9 * max(1.0, abs(best))
        chosen = min(b for b, v in enumerate(sh) if v == v and v >= best - tol)
        tx = [runs[chosen]["_x"][i] for i in te]
        ox.extend(tx)
        oe.extend(runs[chosen]["_expo"][i] for i in te)
        folds.append({"train": [Y - train, Y - 1], "test": [Y, Y + test - 1],
                      "binding": chosen, "in_sample": sh[chosen],
                      "out_of_sample": er.sharpe_of(tx), "bars": len(tx),
                      "first_row": te[0]})
    start = dates[folds[0]["first_row"]] if folds else None
    for f in folds:
        del f["first_row"]
    return {"folds": folds, "out_of_sample": er.metrics(ox, oe, P), "bars": len(ox),
            "start": start, "end": dates[-1] if folds else None}


# --------------------------------------------------------------------------
# books
# --------------------------------------------------------------------------

def flat_rate(bps):
    c = lit(bps + "bps")
    return lambda t, j, trade, E: c


def vix_guard_book(path, spike_window, spike_z, cost_bps, rate_window=None, leverage=None):
    dates, spx, vix = vg.read_data(path)
    T = len(dates)
    n = spike_window
    z = vg.zscore(vix, n)
    exposure = []
    for t in range(T):
        tr = vg.tier(vix[t])
        exposure.append(vg.nan_min(tr, vg.CAP70) if z[t] > spike_z else tr)
    # a cost rate's static warm-up extends the weight's (std(ret(spx), N): row N)
    first = max(n - 1, 0) if rate_window is None else max(n - 1, rate_window, 0)
    t0 = next((t for t in range(first, T) if exposure[t] == exposure[t]), None)
    b = Book()
    b.name = "vix_guard"
    b.dates = dates
    b.t0 = t0
    b.n_assets = 1
    r = [NAN] + [spx[t] / spx[t - 1] - 1.0 for t in range(1, T)]
    b.R = [r]

    def target(t):
        e = exposure[t] if leverage is None else leverage * exposure[t]
        if e != e or spx[t] != spx[t]:
            return [0.0]
        return [e]
    b.target = target
    b.data = lambda t: {"vix": vix[t], "spx": spx[t]}
    if rate_window is None:
        b.rate = flat_rate(cost_bps)
    else:
        c2, c05, c1, c50 = lit("2bps"), lit("0.5"), lit("1bps"), lit("50bps")
        sig = {}

        def rate(t, j, trade, E):
            if t not in sig:
                sig[t] = er.std_ddof1(r[t - rate_window + 1: t + 1]) if t >= rate_window else NAN
            return clamp(c2 + c05 * sig[t] * math.sqrt(trade), c1, c50)
        b.rate = rate
    b.bench = r
    b.reports = {"guard_active": [1.0 if exposure[t] < vg.E100 else 0.0 for t in range(T)]}
    return b


def ensemble_all_bindings(mkt, stocks, safe, cost_bps):
    """Net returns, exposures of every binding of the 729-grid with a flat
    cost (no kill switch), for the walk-forward. Same rules as ensemble_book +
    run_book; the combined weights W_b[t] change only on rows where the regime
    or a sleeve's held weights change, so the turnover is computed there only;
    the gross return is sum_k a_k * sleeve_k[t] (the same sum regrouped by
    sleeve; equal to sum_j W[t-1, j] r[t, j] up to rounding)."""
    st = er.Study(*er.load(mkt, stocks, safe))
    c = lit(cost_bps + "bps")
    A = len(st.PS)
    prices = st.PS + st.PD
    T, t0 = st.T, st.t0
    names = ("qm", "lowvol", "defensive")
    vecs = {}
    for name in names:
        off = A if name == "defensive" else 0
        rows = [None] * T
        for t in range(t0, T):
            w = st.held[name][t]
            rows[t] = {off + j: wj for j, wj in enumerate(w)
                       if wj != 0.0 and prices[off + j][t] == prices[off + j][t]}
        vecs[name] = rows
    events = [t for t in range(t0, T)
              if t == t0 or st.reg[t] != st.reg[t - 1]
              or any(vecs[n][t] != vecs[n][t - 1] for n in names)]
    runs = []
    years = [int(d[:4]) for d in st.dates[t0 + 1:T]]
    dates = st.dates[t0 + 1:T]
    for b in range(er.n_bindings()):
        _, arms = er.Study.arms(b)
        cost = {}
        expo_at = {}
        prev = {}
        for t in events:
            W = {}
            for name, a in arms[st.reg[t]]:
                for j, v in vecs[name][t].items():
                    W[j] = W.get(j, 0.0) + a * v
            cst = 0.0
            for j in sorted(set(W) | set(prev)):
                d = abs(W.get(j, 0.0) - prev.get(j, 0.0))
                if d != 0.0:
                    cst += c * d
            cost[t] = cst
            expo_at[t] = sum(abs(W[j]) for j in sorted(W))
            prev = W
        x, expo = [], []
        e = 0.0
        for i, t in enumerate(st.rows):
            if (t - 1) in expo_at:
                e = expo_at[t - 1]
            (k1, a1), (k2, a2) = arms[st.prev_reg[i]]
            g = a1 * st.sleeve_ret[k1][i] + a2 * st.sleeve_ret[k2][i]
            x.append(g - cost.get(t - 1, 0.0))
            expo.append(e)
        runs.append({"_x": x, "_expo": expo, "_years": years, "_dates": dates})
    return runs


def ensemble_book(mkt, stocks, safe, params, cost_bps, lowvol_separate=False):
    st = er.Study(*er.load(mkt, stocks, safe))
    p = {name: lit(values[0]) for name, values in er.PARAMS}
    for k, v in params.items():
        if k not in p:
            raise SystemExit(f"unknown ensemble param {k}")
        p[k] = lit(v)
    arms = {
        er.BULL: (("qm", p["bull_qm"]), ("lowvol", p["bull_lowvol"])),
        er.BEAR: (("lowvol", p["bear_lowvol"]), ("defensive", p["bear_defensive"])),
        er.HIGH_VOL: (("defensive", p["hv_defensive"]), ("lowvol", p["hv_lowvol"])),
    }
    A = len(st.PS)
    b = Book()
    b.name = "regime_ensemble"
    b.dates = st.dates
    b.t0 = st.t0
    # lowvol_separate: lowvol holds a copy of the stocks file (another file), so
    # its weights do not net with qm's (SEMANTICS 3b: same file and column only)
    b.n_assets = A + len(st.PD) + (A if lowvol_separate else 0)
    b.R = st.RS + st.RD + (st.RS if lowvol_separate else [])
    prices = st.PS + st.PD + (st.PS if lowvol_separate else [])
    offs = {"qm": 0, "lowvol": A + len(st.PD) if lowvol_separate else 0, "defensive": A}

    def target(t):
        W = [0.0] * b.n_assets
        for name, a in arms[st.reg[t]]:
            w = st.held[name][t]
            off = offs[name]
            for j, wj in enumerate(w):
                if wj != 0.0 and prices[off + j][t] == prices[off + j][t]:
                    W[off + j] += a * wj
        return W
    b.target = target
    b.data = lambda t: {"vix": st.V[t], "spx": st.S[t]}
    b.rate = flat_rate(cost_bps)
    b.bench = [NAN] + [st.S[t] / st.S[t - 1] - 1.0 for t in range(1, st.T)]
    b.reports = {
        "bull": [1.0 if rg == er.BULL else 0.0 for rg in st.reg],
        "high_vol": [1.0 if rg == er.HIGH_VOL else 0.0 for rg in st.reg],
    }
    b.params = p
    b.sleeves = ("qm", "lowvol", "defensive")

    def alloc(t):
        d = {"qm": 0.0, "lowvol": 0.0, "defensive": 0.0}
        for name, a in arms[st.reg[t]]:
            d[name] += a
        return d
    b.alloc = alloc
    return b


def stocks_book(opts):
    names, px = er.read_csv(opts["--stocks"])
    tables = [px]
    if opts["--cost"] == "impact":
        vnames, vol = er.read_csv(opts["--volume"], names)
        cnames, close = er.read_csv(opts["--close"], names)
        tables += [vol, close]
    dates = sorted(set.intersection(*[set(tb) for tb in tables]))
    T = len(dates)
    A = len(names)
    Pm = [[px[d][j] for d in dates] for j in range(A)]
    R = [er.returns(p) for p in Pm]
    signal = opts["--signal"]
    if signal == "mom":
        warm = 252
        def score(t, j):
            return Pm[j][t - 21] / Pm[j][t - 252] - 1.0
    elif signal in ("ret5", "ret60"):
        n_ret = 5 if signal == "ret5" else 60
        warm = n_ret
        def score(t, j):
            return Pm[j][t] / Pm[j][t - n_ret] - 1.0
    else:
        raise SystemExit(f"unknown --signal {signal}")

    def select(t):
        vals = []
        for j in range(A):
            v = score(t, j)
            if v == v:
                vals.append((v, j))
        n = len(vals)
        if n == 0:
            return None
        k = max(1, n // 5)           # floor(n * 20%) == n // 5 exactly
        order = sorted(vals, key=lambda vj: (-vj[0], vj[1]))
        w = [0.0] * A
        for _, j in order[:k]:
            w[j] = 1.0 / k
        return w

    cost = opts["--cost"]
    window = 60
    # static warm-up of the cost rate (std(ret(price), 60): row 60; the
    # model's sma(volume * close, 20): row 19); flat: none
    cost_warm = {"impact": max(window, 19), "rate": window, "flat": 0}[cost]
    monthly = opts["--rebalance"] == "monthly"
    first = max(warm, cost_warm)
    targets = [None] * T
    cur = None
    t0 = None
    for t in range(T):
        is_reb = (not monthly) or t == T - 1 or dates[t + 1][:7] > dates[t][:7]
        if t >= first and is_reb:
            w = select(t)
            if w is not None:
                cur = w
                if t0 is None:
                    t0 = t
        targets[t] = cur

    sig_cache = {}

    def sigma(t, j):
        key = (t, j)
        if key not in sig_cache:
            sig_cache[key] = er.std_ddof1(R[j][t - window + 1: t + 1]) if t >= window else NAN
        return sig_cache[key]

    if cost == "flat":
        rate = flat_rate(opts["--cost-bps"])
    elif cost == "rate":
        c2, c05, c1, c50 = lit("2bps"), lit("0.5"), lit("1bps"), lit("50bps")

        def rate(t, j, trade, E):
            return clamp(c2 + c05 * sigma(t, j) * math.sqrt(trade), c1, c50)
    else:
        V = [[vol[d][j] for d in dates] for j in range(A)]
        C = [[close[d][j] for d in dates] for j in range(A)]
        capital = lit(opts["--capital"])
        base, vc, ac = lit("2bps"), lit("1.0"), lit("5.0")
        lo, hi = lit("1bps"), lit("50bps")
        adv_n = 20

        def rate(t, j, trade, E):
            if t < adv_n - 1:
                return NAN
            s = 0.0
            for k in range(t - adv_n + 1, t + 1):
                s += V[j][k] * C[j][k]
            adv = s / adv_n
            q = trade * capital * E / adv
            return clamp(base + sigma(t, j) * (vc * math.sqrt(q) + ac * q), lo, hi)

    b = Book()
    b.name = "stock_costs"
    b.asset_names = names
    b.dates = dates
    b.t0 = t0
    b.n_assets = A

    def target(t):
        w = targets[t]
        if w is None:
            return [0.0] * A
        return [wj if (wj != 0.0 and Pm[j][t] == Pm[j][t]) else 0.0 for j, wj in enumerate(w)]
    b.target = target
    b.R = R
    b.data = lambda t: {"vix": NAN, "spx": NAN}
    b.rate = rate
    b.bench = None
    b.reports = {}
    return b


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def to_json_value(v):
    if isinstance(v, dict):
        return {str(k): to_json_value(val) for k, val in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json_value(val) for val in v]
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def main(argv):
    args = list(argv[1:])
    if not args:
        raise SystemExit(__doc__)
    case = args.pop(0)
    data = os.path.normpath(os.path.join(HERE, "..", "..", "examples", "data"))
    opts = {"--mkt": os.path.join(data, "spx_vix.csv"),
            "--stocks": os.path.join(data, "stocks_adj_close.csv"),
            "--safe": os.path.join(data, "etf_adj_close.csv"),
            "--volume": None, "--close": None, "--capital": "10000000",
            "--signal": "mom", "--rebalance": "monthly", "--cost": "impact",
            "--cost-bps": None, "--annualize": "252", "--rate-window": None,
            "--leverage": None}
    flags = {"--rows": False, "--report-own": False, "--walk-forward": False,
             "--lowvol-separate": False}
    opts.update({"--kill-grid": None, "--grid": None, "--train": "5", "--test": "1"})
    sets = {}
    kills = []
    path = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in opts or a in ("--set", "--kill"):
            if i + 1 >= len(args):
                raise SystemExit(f"{a} needs a value")
            v = args[i + 1]
            if a == "--set":
                k, val = v.split("=", 1)
                sets[k] = val
            elif a == "--kill":
                kills.append(Kill(v))
            else:
                opts[a] = v
            i += 2
        elif a in flags:
            flags[a] = True
            i += 1
        elif path is None and not a.startswith("--"):
            path = a
            i += 1
        else:
            raise SystemExit(f"unknown argument {a!r}\n{__doc__}")
    if case == "vix_guard":
        if path is None:
            raise SystemExit("vix_guard needs DATA.csv")
        rw = opts["--rate-window"]
        book = vix_guard_book(path, int(sets.pop("spike_window", "60")),
                              lit(sets.pop("spike_z", "2.5")), opts["--cost-bps"] or "2",
                              None if rw is None else int(rw),
                              None if opts["--leverage"] is None else lit(opts["--leverage"]))
        if sets:
            raise SystemExit(f"unknown params {sets}")
    elif case == "ensemble" and flags["--walk-forward"]:
        runs = ensemble_all_bindings(opts["--mkt"], opts["--stocks"], opts["--safe"],
                                     opts["--cost-bps"] or "10")
        wf = walk_forward(runs, int(opts["--train"]), int(opts["--test"]), lit(opts["--annualize"]))
        for f in wf["folds"]:
            f["params"] = {k: lit(v) for k, v in er.binding_params(f["binding"])}
        print(json.dumps(to_json_value({"bindings": len(runs), "walk_forward": wf}), allow_nan=False))
        return
    elif case == "ensemble":
        book = ensemble_book(opts["--mkt"], opts["--stocks"], opts["--safe"], sets,
                             opts["--cost-bps"] or "10", flags["--lowvol-separate"])
    elif case == "stocks":
        if opts["--cost"] == "flat" and opts["--cost-bps"] is None:
            opts["--cost-bps"] = "10"
        book = stocks_book(opts)
    else:
        raise SystemExit(f"unknown case {case!r}")
    P = lit(opts["--annualize"])
    if opts["--kill-grid"] is not None:
        # one binding per grid value, substituted for `{}` in the kill spec
        runs = []
        for v in opts["--grid"].split(","):
            runs.append(run_book(book, kills + [Kill(opts["--kill-grid"].replace("{}", v))], P,
                                 report_own=flags["--report-own"]))
        res = {"bindings": len(runs), "rows": runs}
        if flags["--walk-forward"]:
            res["walk_forward"] = walk_forward(runs, int(opts["--train"]), int(opts["--test"]), P)
        for r in runs:
            for k in [k for k in r if k.startswith("_")]:
                del r[k]
        print(json.dumps(to_json_value(res), allow_nan=False))
        return
    res = run_book(book, kills, P, report_own=flags["--report-own"], want_rows=flags["--rows"])
    for k in [k for k in res if k.startswith("_")]:
        del res[k]
    print(json.dumps(to_json_value(res), allow_nan=False))


if __name__ == "__main__":
    main(sys.argv)
