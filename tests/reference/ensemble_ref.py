#!/usr/bin/env python3
"""Independent reference implementation of the "Regime ensemble" study.

Written from /work/shared/SEMANTICS.md (sections 0-5 and the regime ensemble
study with its walk-forward paragraph in section 6) and
examples/regime_ensemble.strat only, without looking at Strat's own
implementation. Pure Python 3 standard library (no numpy / pandas).

Usage:
    python3 ensemble_ref.py [--mkt spx_vix.csv] [--stocks stocks_adj_close.csv]
                            [--safe etf_adj_close.csv] [--bindings 0,1,100]
                            [--walk-forward] [--train 5] [--test 1]
                            [--exact] [--diagnostics]

Defaults: the files in examples/data of this repository, bindings
0,1,100,364,728, no walk-forward. Prints one JSON object:

    {"strategy": "regime_ensemble", "bindings": 729, "params": [names],
     "t0", "first_return_row", "start", "end", "bars",
     "rows": [{"index", "params", "bars", "start", "end",
               "metrics": {...}, "benchmark": {...}, "information_ratio",
               "avg_turnover", "avg_allocation_turnover",
               "reports": {"bull", "high_vol"}}],
     "walk_forward": {"folds": [{"train": [y, y], "test": [y, y], "binding",
                                 "params", "in_sample", "out_of_sample", "bars",
                                 "ties", "runner_up", "margin"}],
                      "out_of_sample": {...metrics}, "bars", "start", "end"},
     "diagnostics": {...}}                      (with --diagnostics)

NaN is printed as null, infinities as "inf" / "-inf".

Rules (SEMANTICS.md):
  * The three files are inner-joined on date (rows t = 0 .. T-1). Stocks: every
    column of the file, in file order; safe: tlt, ief, gld in that order.
  * regime[t] (t >= 199): BULL if S > sma(S, 200) and V < 25; else HIGH_VOL if
    V >= 30; else BEAR (NaN comparisons are false).
  * Rebalance rows: month-ends (the next row falls in a later calendar month;
    the last row is one). Targets are held constant until the next rebalance.
  * qm: momentum P[t-21] / P[t-252] - 1 (defined from row 252), top
    k = max(1, floor(n/5)) of the n stocks with a defined value, ties to the
    lower column index, equal weight 1/k.
  * lowvol: std(r, 63) (sample, two-pass, exactly 0 if constant; defined from
    row 63), bottom k = max(1, floor(n/5)), equal weight.
  * defensive: equal weight over the safe assets with a price > 0 at the
    rebalance row; cash (weight 0) if none.
  * A sleeve is live from its first rebalance row past its warm-up; the
    ensemble from t0 = the first row at which the regime and all sleeves are
    live. Evaluated returns: rows t0+1 .. T-1.
  * sleeve_k[t] = sum_j w_k[t-1, j] * r[t, j] (an asset with a NaN return
    holds nothing); ensemble[t] = the arm of regime[t-1], e.g.
    BULL: bull_qm * qm[t] + bull_lowvol * lowvol[t]; the rest is cash.
  * avg_exposure: mean of sum_j |W[t-1, j]|, W = the ensemble's combined
    weights per asset (qm and lowvol add up on shared stocks). avg_turnover
    (not in SEMANTICS.md; the convention Strat's TSMOM output matches): mean
    over decision rows t0 .. T-2 of sum_j |W[t, j] - W[t-1, j]|, W = 0 before
    t0 (S3's per-asset turnover). avg_allocation_turnover: the same mean of
    sum_k |a_k[t] - a_k[t-1]| over the sleeve allocations only.
  * benchmark: spx returns on the evaluated rows; information_ratio against it.
  * reports bull / high_vol: mean over decision rows t0 .. T-2 of the regime.
  * Walk-forward (--train 5 --test 1, calendar years): years y0 .. yN of the
    evaluated rows; for each test year Y = y0+5 .. yN the binding with the
    best Sharpe over the evaluated rows of Y-5 .. Y-1 (ties within
    1e-9 * max(1, |best|): lowest index) is applied to year Y; the metrics of
    the stitched out-of-sample returns (P = 252) are reported.
    Speed: the train Sharpe of every binding is first computed from per-(year,
    regime) sums of the sleeve returns; every binding within 1e-6 of the best
    is then recomputed exactly (two-pass over its return series) and the rule
    applied to those exact values. --exact computes every binding exactly.
"""

import csv
import json
import math
import os
import sys

NAN = float("nan")
INF = float("inf")

P_YEAR = 252.0
SAFE = ["tlt", "ief", "gld"]
MOM_NEAR, MOM_FAR = 21, 252
VOL_N = 63
SMA_N = 200
V_BULL = float("25")
V_HV = float("30")
FRAC_DEN = 5                      # 20% of n, floor(n * 0.2) == n // 5 exactly

BULL, HIGH_VOL, BEAR = 0, 1, 2

PARAMS = [
    ("bull_qm", ["0.6", "0.7", "0.8"]),
    ("bull_lowvol", ["0.2", "0.3", "0.4"]),
    ("bear_lowvol", ["0.4", "0.5", "0.6"]),
    ("bear_defensive", ["0.4", "0.5", "0.6"]),
    ("hv_defensive", ["0.7", "0.8", "0.9"]),
    ("hv_lowvol", ["0.1", "0.2", "0.3"]),
]
PARAM_NAMES = [p for p, _ in PARAMS]

METRIC_KEYS = ("total_return", "cagr", "ann_vol", "sharpe", "sortino", "max_drawdown",
               "calmar", "var_95", "cvar_95", "omega", "avg_exposure")


# --------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------

def parse_number(field):
    field = field.strip()
    if field == "":
        return NAN
    return float(field)


def read_csv(path, columns=None):
    """(header columns used, {date: [values]})."""
    out = {}
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        if header[0] != "date":
            raise SystemExit(f"{path}: first column must be 'date', got {header[0]!r}")
        names = header[1:] if columns is None else columns
        try:
            idx = [header.index(c) for c in names]
        except ValueError:
            raise SystemExit(f"{path}: need columns {names}; got {header}")
        prev = None
        for row in reader:
            if not row or all(c.strip() == "" for c in row):
                continue
            d = row[0].strip()
            if prev is not None and not prev < d:
                raise SystemExit(f"{path}: dates not strictly increasing at {prev}, {d}")
            prev = d
            out[d] = [parse_number(row[i]) if i < len(row) else NAN for i in idx]
    return names, out


def load(mkt_path, stocks_path, safe_path):
    _, mkt = read_csv(mkt_path, ["spx", "vix"])
    stock_names, stocks = read_csv(stocks_path)
    _, safe = read_csv(safe_path, SAFE)
    dates = sorted(set(mkt) & set(stocks) & set(safe))
    S = [mkt[d][0] for d in dates]
    V = [mkt[d][1] for d in dates]
    PS = [[stocks[d][j] for d in dates] for j in range(len(stock_names))]
    PD = [[safe[d][j] for d in dates] for j in range(len(SAFE))]
    return dates, S, V, stock_names, PS, PD


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def mean_of(xs):
    s = 0.0
    for v in xs:
        s += v
    return s / len(xs)


def std_ddof1(xs):
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


def sharpe_of(xs):
    sd = std_ddof1(xs)
    if sd != sd or sd == 0.0:
        return NAN
    return mean_of(xs) / sd * math.sqrt(P_YEAR)


def returns(P):
    return [NAN] + [P[t] / P[t - 1] - 1.0 for t in range(1, len(P))]


def numpy_percentile(xs, q):
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


def metrics(x, exposures, P):
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


def information_ratio(x, b, P):
    d = [xi - bi for xi, bi in zip(x, b)]
    sd = std_ddof1(d)
    if sd != sd or sd == 0.0:
        return NAN
    return mean_of(d) / sd * math.sqrt(P)


def binding_params(index):
    """Grid index -> list of 6 (name, text) with the first key outermost."""
    out = []
    rem = index
    for name, values in reversed(PARAMS):
        out.append((name, values[rem % len(values)]))
        rem //= len(values)
    if rem:
        raise SystemExit(f"binding index {index} out of range")
    return list(reversed(out))


def n_bindings():
    n = 1
    for _, v in PARAMS:
        n *= len(v)
    return n


# --------------------------------------------------------------------------
# study
# --------------------------------------------------------------------------

class Study:
    def __init__(self, dates, S, V, stock_names, PS, PD):
        self.dates = dates
        T = self.T = len(dates)
        self.S, self.V = S, V
        self.stock_names = stock_names
        self.PS, self.PD = PS, PD
        self.RS = [returns(p) for p in PS]
        self.RD = [returns(p) for p in PD]
        self.diag = {}

        # regime
        reg = [None] * T
        sma_margin = INF
        for t in range(SMA_N - 1, T):
            acc = 0.0
            for k in range(t - SMA_N + 1, t + 1):
                acc += S[k]
            sma = acc / SMA_N
            bull_px = S[t] > sma
            if sma == sma and S[t] == S[t]:
                sma_margin = min(sma_margin, abs(S[t] - sma) / abs(sma))
            if bull_px and V[t] < V_BULL:
                reg[t] = BULL
            elif V[t] >= V_HV:
                reg[t] = HIGH_VOL
            else:
                reg[t] = BEAR
        self.reg = reg
        self.diag["min_rel_gap_spx_vs_sma"] = sma_margin

        # month-end rows
        me = [False] * T
        for t in range(T):
            me[t] = t == T - 1 or dates[t + 1][:7] > dates[t][:7]
        self.month_end = me

        # sleeves: targets at rebalance rows, first live rebalance row
        self.targets = {"qm": {}, "lowvol": {}, "defensive": {}}
        self.first_live = {}
        sel_gap = {"qm": INF, "lowvol": INF}
        A = len(PS)
        for t in range(T):
            if not me[t]:
                continue
            # qm (static warm-up: row 252)
            if t >= MOM_FAR:
                vals = []
                for j in range(A):
                    v = PS[j][t - MOM_NEAR] / PS[j][t - MOM_FAR] - 1.0
                    if v == v:
                        vals.append((v, j))
                w = self._select(vals, A, highest=True, gaps=sel_gap, key="qm")
                if w is not None:
                    self.targets["qm"][t] = w
                    self.first_live.setdefault("qm", t)
            # lowvol (static warm-up of std(ret, 63): row 63)
            if t >= VOL_N:
                vals = []
                for j in range(A):
                    sd = std_ddof1(self.RS[j][t - VOL_N + 1: t + 1])
                    if sd == sd:
                        vals.append((sd, j))
                w = self._select(vals, A, highest=False, gaps=sel_gap, key="lowvol")
                if w is not None:
                    self.targets["lowvol"][t] = w
                    self.first_live.setdefault("lowvol", t)
            # defensive (no warm-up)
            trading = [1.0 if PD[j][t] > 0 else 0.0 for j in range(len(PD))]
            tot = sum(trading)
            if tot > 0:
                w = [v / tot for v in trading]
            else:
                w = [0.0] * len(PD)
            self.targets["defensive"][t] = w
            self.first_live.setdefault("defensive", t)
        self.diag["min_rel_gap_at_selection_boundary"] = sel_gap
        if len(self.first_live) < 3:
            raise SystemExit("a sleeve never becomes live")
        t0 = max(self.first_live.values())
        first_reg = next((t for t in range(T) if reg[t] is not None), None)
        if first_reg is None:
            raise SystemExit("the regime is never live")
        t0 = max(t0, first_reg)
        if t0 >= T - 1:
            raise SystemExit("no evaluated returns")
        self.t0 = t0
        self.diag["first_live"] = dict(self.first_live, regime=first_reg)

        # held sleeve weights at every row >= t0 (constant between rebalances)
        self.held = {}
        for name, tg in self.targets.items():
            cur = None
            rows = [None] * T
            for t in range(T):
                if t in tg:
                    cur = tg[t]
                rows[t] = cur
            self.held[name] = rows

        # sleeve returns for t = t0+1 .. T-1 (index i = t - t0 - 1)
        self.rows = list(range(t0 + 1, T))
        self.sleeve_ret = {}
        self.sleeve_gross = {}
        for name in ("qm", "lowvol", "defensive"):
            R = self.RD if name == "defensive" else self.RS
            ret, gross = [], []
            for t in self.rows:
                w = self.held[name][t - 1]
                acc = 0.0
                g = 0.0
                for j, wj in enumerate(w):
                    if wj == 0.0:
                        continue
                    rj = R[j][t]
                    if rj == rj:
                        acc += wj * rj
                    g += abs(wj)
                ret.append(acc)
                gross.append(g)
            self.sleeve_ret[name] = ret
            self.sleeve_gross[name] = gross
        self.prev_reg = [reg[t - 1] for t in self.rows]
        self.bench = [S[t] / S[t - 1] - 1.0 for t in self.rows]
        self.years = [int(dates[t][:4]) for t in self.rows]

    def _select(self, vals, A, highest, gaps, key):
        n = len(vals)
        if n == 0:
            return None
        k = max(1, n // FRAC_DEN)
        if highest:
            order = sorted(vals, key=lambda vj: (-vj[0], vj[1]))
        else:
            order = sorted(vals, key=lambda vj: (vj[0], vj[1]))
        if k < n:
            a, b = order[k - 1][0], order[k][0]
            scale = max(abs(a), abs(b))
            gap = abs(a - b) / scale if scale > 0 else 0.0
            gaps[key] = min(gaps[key], gap)
        w = [0.0] * A
        for _, j in order[:k]:
            w[j] = 1.0 / k
        # winners / sum(winners): sum of k ones is exactly k
        return w

    # ---- one binding -----------------------------------------------------

    @staticmethod
    def arms(index):
        p = {name: float(text) for name, text in binding_params(index)}
        return p, {
            BULL: (("qm", p["bull_qm"]), ("lowvol", p["bull_lowvol"])),
            BEAR: (("lowvol", p["bear_lowvol"]), ("defensive", p["bear_defensive"])),
            HIGH_VOL: (("defensive", p["hv_defensive"]), ("lowvol", p["hv_lowvol"])),
        }

    def series(self, index):
        _, arms = self.arms(index)
        sr = self.sleeve_ret
        out = []
        for i, rg in enumerate(self.prev_reg):
            (k1, a1), (k2, a2) = arms[rg]
            out.append(a1 * sr[k1][i] + a2 * sr[k2][i])
        return out

    def combined_weights(self, arms, t):
        """The ensemble's per-asset weights decided at row t (stocks + safe)."""
        rg = self.reg[t]
        A = len(self.PS)
        W = [0.0] * (A + len(self.PD))
        for name, a in arms[rg]:
            w = self.held[name][t]
            off = A if name == "defensive" else 0
            for j, wj in enumerate(w):
                W[off + j] += a * wj
        return W

    def exposures(self, index, rows):
        """sum_j |W[t-1, j]| for each evaluated row t in `rows`, and the mean
        turnover over the decision rows t0 .. T-2 (full study only)."""
        _, arms = self.arms(index)
        expo = [sum(abs(v) for v in self.combined_weights(arms, t - 1)) for t in rows]
        return expo

    def turnover(self, index):
        _, arms = self.arms(index)
        prev = None
        turns = []
        for t in range(self.t0, self.T - 1):
            W = self.combined_weights(arms, t)
            if prev is None:
                prev = [0.0] * len(W)
            turns.append(sum(abs(a - b) for a, b in zip(W, prev)))
            prev = W
        return mean_of(turns)

    def allocation_turnover(self, index):
        """Mean over decision rows t0 .. T-2 of sum_k |a_k[t] - a_k[t-1]|: the
        turnover of the sleeve allocations alone (each sleeve counted as one
        asset of weight a_k, a = 0 before t0), ignoring the sleeves' own
        rebalancing. Not a SEMANTICS.md quantity; reported for comparison."""
        _, arms = self.arms(index)
        zero = {"qm": 0.0, "lowvol": 0.0, "defensive": 0.0}

        def alloc(t):
            d = dict(zero)
            for name, a in arms[self.reg[t]]:
                d[name] += a
            return d
        prev = zero
        turns = []
        for t in range(self.t0, self.T - 1):
            cur = alloc(t)
            turns.append(sum(abs(cur[k] - prev[k]) for k in ("qm", "lowvol", "defensive")))
            prev = cur
        return mean_of(turns)

    def run_binding(self, index):
        p, _ = self.arms(index)
        x = self.series(index)
        expo = self.exposures(index, self.rows)
        dec = range(self.t0, self.T - 1)
        return {
            "index": index,
            "params": p,
            "bars": len(x),
            "start": self.dates[self.rows[0]],
            "end": self.dates[self.rows[-1]],
            "metrics": metrics(x, expo, P_YEAR),
            "benchmark": metrics(self.bench, [1.0] * len(self.bench), P_YEAR),
            "information_ratio": information_ratio(x, self.bench, P_YEAR),
            "avg_turnover": self.turnover(index),
            "avg_allocation_turnover": self.allocation_turnover(index),
            "reports": {
                "bull": mean_of([1.0 if self.reg[t] == BULL else 0.0 for t in dec]),
                "high_vol": mean_of([1.0 if self.reg[t] == HIGH_VOL else 0.0 for t in dec]),
            },
        }

    # ---- walk-forward ----------------------------------------------------

    def walk_forward(self, train, test, exact=False):
        years = self.years
        y0, yN = years[0], years[-1]
        nb = n_bindings()
        # contiguous row ranges per year (rows are in date order)
        span = {}
        for i, y in enumerate(years):
            lo, hi = span.get(y, (i, i))
            span[y] = (min(lo, i), i + 1)

        def rng(ya, yb):
            ys = [y for y in range(ya, yb + 1) if y in span]
            if not ys:
                return (0, 0)
            return (span[ys[0]][0], span[ys[-1]][1])

        # per (year, regime) sums of sleeve returns and their products
        sr = self.sleeve_ret
        names = ("qm", "lowvol", "defensive")
        stats = {}
        for i, (y, rg) in enumerate(zip(years, self.prev_reg)):
            st = stats.get((y, rg))
            if st is None:
                st = stats[(y, rg)] = {"n": 0, "s": [0.0] * 3, "ss": [[0.0] * 3 for _ in range(3)]}
            v = [sr[n][i] for n in names]
            st["n"] += 1
            for a in range(3):
                st["s"][a] += v[a]
                for b in range(3):
                    st["ss"][a][b] += v[a] * v[b]
        pos = {"qm": 0, "lowvol": 1, "defensive": 2}
        all_arms = [self.arms(b)[1] for b in range(nb)]

        def approx_sharpe(b, ya, yb):
            arms = all_arms[b]
            n = 0
            s1 = 0.0
            s2 = 0.0
            for y in range(ya, yb + 1):
                for rg in (BULL, HIGH_VOL, BEAR):
                    st = stats.get((y, rg))
                    if st is None:
                        continue
                    (k1, a1), (k2, a2) = arms[rg]
                    c = [0.0, 0.0, 0.0]
                    c[pos[k1]] += a1
                    c[pos[k2]] += a2
                    n += st["n"]
                    for a in range(3):
                        s1 += c[a] * st["s"][a]
                        for bb in range(3):
                            s2 += c[a] * c[bb] * st["ss"][a][bb]
            if n < 2:
                return NAN
            m = s1 / n
            var = (s2 - s1 * m) / (n - 1)
            if not var > 0:
                return NAN
            return m / math.sqrt(var) * math.sqrt(P_YEAR)

        cache = {}

        def series(b):
            if b not in cache:
                cache[b] = self.series(b)
            return cache[b]

        folds = []
        oos_x, oos_expo = [], []
        for Y in range(y0 + train, yN + 1, test):
            tr_lo, tr_hi = rng(Y - train, Y - 1)
            te_lo, te_hi = rng(Y, Y + test - 1)
            if te_hi <= te_lo:
                continue
            if exact:
                cand = list(range(nb))
            else:
                approx = [approx_sharpe(b, Y - train, Y - 1) for b in range(nb)]
                finite = [v for v in approx if v == v]
                best_a = max(finite)
                cand = [b for b in range(nb)
                        if approx[b] == approx[b]
                        and approx[b] >= best_a - 1e-6 * max(1.0, abs(best_a))]
            ex = {b: sharpe_of(series(b)[tr_lo:tr_hi]) for b in cand}
            best = max(v for v in ex.values() if v == v)
            tol = 1e-9 * max(1.0, abs(best))
            tied = sorted(b for b, v in ex.items() if v == v and v >= best - tol)
            chosen = tied[0]
            # the best Sharpe outside the tie (approximate values where the
            # binding was not recomputed exactly: only for the margin)
            vals = ex if exact else {b: (ex[b] if b in ex else approx[b]) for b in range(nb)}
            others = [v for b, v in vals.items() if v == v and b not in tied]
            runner = max(others) if others else None
            x = series(chosen)
            test_x = x[te_lo:te_hi]
            oos_x.extend(test_x)
            oos_expo.extend(self.exposures(
                chosen, self.rows[te_lo:te_hi]))
            p, _ = self.arms(chosen)
            folds.append({
                "train": [Y - train, Y - 1],
                "test": [Y, Y + test - 1],
                "binding": chosen,
                "params": p,
                "in_sample": ex[chosen],
                "out_of_sample": sharpe_of(test_x),
                "bars": len(test_x),
                "ties": len(tied),
                "tied": tied,
                "candidates_exact": len(cand),
                "runner_up": runner,
                "margin": (best - runner) if runner is not None else None,
            })
        first = folds[0]["test"][0] if folds else None
        start = end = None
        if folds:
            lo = rng(first, first)[0]
            start = self.dates[self.rows[lo]]
            end = self.dates[self.rows[-1]] if oos_x else None
            last_te = rng(folds[-1]["test"][0], folds[-1]["test"][1])
            end = self.dates[self.rows[last_te[1] - 1]]
        return {
            "folds": folds,
            "out_of_sample": metrics(oos_x, oos_expo, P_YEAR),
            "bars": len(oos_x),
            "start": start,
            "end": end,
        }


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
    here = os.path.dirname(os.path.abspath(__file__))
    data = os.path.normpath(os.path.join(here, "..", "..", "examples", "data"))
    opts = {"--mkt": os.path.join(data, "spx_vix.csv"),
            "--stocks": os.path.join(data, "stocks_adj_close.csv"),
            "--safe": os.path.join(data, "etf_adj_close.csv"),
            "--bindings": "0,1,100,364,728", "--train": "5", "--test": "1"}
    flags = {"--walk-forward": False, "--exact": False, "--diagnostics": False}
    args = list(argv[1:])
    i = 0
    while i < len(args):
        a = args[i]
        if a in opts:
            if i + 1 >= len(args):
                raise SystemExit(f"{a} needs a value")
            opts[a] = args[i + 1]
            i += 2
        elif a in flags:
            flags[a] = True
            i += 1
        else:
            raise SystemExit(f"unknown argument {a!r}\n{__doc__}")
    study = Study(*load(opts["--mkt"], opts["--stocks"], opts["--safe"]))
    idx = [int(s) for s in opts["--bindings"].split(",") if s.strip()]
    out = {
        "strategy": "regime_ensemble",
        "bindings": n_bindings(),
        "params": PARAM_NAMES,
        "t0": study.t0,
        "first_return_row": study.t0 + 1,
        "start": study.dates[study.t0 + 1],
        "end": study.dates[-1],
        "bars": len(study.rows),
        "rows": [study.run_binding(b) for b in idx],
    }
    if flags["--walk-forward"]:
        out["walk_forward"] = study.walk_forward(int(opts["--train"]), int(opts["--test"]),
                                                 exact=flags["--exact"])
    if flags["--diagnostics"]:
        out["diagnostics"] = study.diag
    print(json.dumps(to_json_value(out), allow_nan=False))


if __name__ == "__main__":
    main(sys.argv)
