#!/usr/bin/env python3
"""Independent reference implementation of the point-in-time quality-momentum (QM)
overlay, examples/qm_overlay.strat.

Written from /work/shared/SEMANTICS.md (sections 0-5 and 3c, point-in-time panels)
and the program only, without looking at Strat's own implementation. The panels
(the as-of join of the long-format fundamentals, the cross-sectional z-scores,
top / bottom, the tilt) are computed with pandas and numpy (`merge_asof` for the
point-in-time join); the backtest, costs and metrics reuse the pure-Python
portfolio engine of portfolio_ref.py (`Book`, `run_book`, `flat_rate`) and the
metrics of ensemble_ref.py (same folder).

Usage:
    python3 qm_ref.py --stocks examples/data/stocks_adj_close.csv
                      --fund examples/data/fundamentals_quarterly_1993_2018.csv
                      [--lag 90] [--to 2018-06-29] [--strength 0.15] [--cost-bps 5]
                      [--annualize 252] [--values-out REF.csv]

The program:
    universe stocks = csv(STOCKS)
    panel fund = csv(FUND) on stocks lag LAGd
    to TO
    let quality = (zscore_cs(fund.roe) + zscore_cs(fund.net_margin) + zscore_cs(-fund.debt_to_equity)) / 3
    let momentum = (zscore_cs(stocks[21] / stocks[252] - 1) + zscore_cs(stocks[21] / stocks[126] - 1)) / 2
    let composite = 0.6 * quality + 0.4 * momentum
    param strength = 15%
    let base   = stocks / stocks / count(stocks)
    let tilted = base * (1 + strength * (if top(composite, 10%) then 1 else 0)
                           - strength * (if bottom(composite, 10%) then 1 else 0))
    let w      = tilted * sum(abs(base)) / sum(abs(tilted))
    sleeve base_book { hold stocks weight base rebalance monthly }
    hold stocks weight w rebalance monthly
    cost COSTbps
    benchmark base_book
    report names_tilted = sum(if top(composite, 10%) or bottom(composite, 10%) then 1 else 0)

Rules (as read from SEMANTICS.md and the brief):
  * Rows: the dates of STOCKS up to and including TO; row 0 = the file's first date.
    `x[k]` is the value k rows earlier (NaN for the first k rows).
  * Point in time (section 3c): a record (period date d, ticker) is usable from the
    first row whose date is >= d + LAG calendar days; each row takes, per ticker,
    its latest usable record (merge_asof backward on d + LAG, exact matches
    allowed, by ticker; ties on the usable day go to the later period date). The
    record is taken as is: an empty field is NaN (no fallback to older records).
    Tickers are matched by lowercase name and re-indexed in the universe's column
    order; a stock with no record is NaN.
  * zscore_cs: per row over the n defined values: (x - mean) / std (ddof 1,
    two-pass); the whole row NaN when n < 2 or all defined values are equal.
  * top / bottom(x, 10%): k = max(1, floor(n * 0.1)) highest / lowest defined values
    (ties to the lower column index, a stable sort), NaN where x is NaN; a NaN
    condition in `if` is false, `or` of two falses is false.
  * count / sum over the defined values (sum of none = 0).
  * Warm-up: momentum (stocks[252]) is defined from row 252, so are composite,
    tilted and w; w goes live at the first month-end row >= 252 (a row whose next
    row is in a later month, or the last row). The base book's weight has no
    warm-up of its own, but as a benchmark sleeve it starts no earlier than the
    book's warm-up (252): it goes live on the same month-end as the overlay.
  * Both books hold their month-end weights until the next month-end (no drift);
    an asset with a NaN price or weight on a row holds nothing there; flat cost
    COST bps on turnover (portfolio_ref.run_book).
  * Benchmark: the sleeve base_book backtested on its own from the book's first
    live row with the same flat cost; its net returns on the main book's evaluated rows
    t0+1 .. T-1 are the benchmark returns b. Benchmark avg_exposure = the mean of
    the sleeve's gross exposure sum_j |w_b[t-1, j]| over those rows.
  * information_ratio = mean(r - b) / std(r - b, ddof 1) * sqrt(P);
    active_return = mean(r - b) * P; tracking_error = std(r - b, ddof 1) * sqrt(P).
  * report names_tilted = the mean over the decision rows t0 .. T-2 of the
    per-row value of the expression.

Prints one JSON object: strategy, bars, start, end, t0, metrics, benchmark,
information_ratio, active_return, tracking_error, ruin_date, avg_turnover,
cost_drag, kill_switches, reports (NaN as null). With --values-out, writes a CSV
with `date` and the columns `LET.asset` for LET in composite, w, quality,
momentum, one row per row (warm-up included), every number printed round-trip
exact (Python repr), NaN as an empty field.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import ensemble_ref as er  # noqa: E402
import portfolio_ref as pr  # noqa: E402

NAN = float("nan")
FIELDS = ("roe", "net_margin", "debt_to_equity")


# --------------------------------------------------------------------------
# input
# --------------------------------------------------------------------------

def read_stocks(path, to):
    df = pd.read_csv(path, dtype={"date": str})
    if df.columns[0] != "date":
        raise SystemExit(f"{path}: first column must be 'date'")
    df["date"] = df["date"].str.strip()
    if to is not None:
        df = df[df["date"] <= to]
    dates = list(df["date"])
    if any(not a < b for a, b in zip(dates, dates[1:])):
        raise SystemExit(f"{path}: dates not strictly increasing")
    names = [c.strip().lower() for c in df.columns[1:]]
    P = df.iloc[:, 1:].to_numpy(dtype=float)
    return dates, names, P


def point_in_time(fund_path, dates, names, lag_days, fields):
    """{field: T x A array}: per row and universe asset, the field of the latest
    record usable on that row (merge_asof backward on period date + lag)."""
    f = pd.read_csv(fund_path, dtype={"date": str, "ticker": str})
    f["ticker"] = f["ticker"].str.strip().str.lower()
    f = f[f["ticker"].isin(set(names))].copy()
    f["period"] = pd.to_datetime(f["date"].str.strip(), format="%Y-%m-%d")
    f["avail"] = f["period"] + pd.Timedelta(days=lag_days)
    # ties on the usable day: the later period date last (merge_asof takes the last match)
    f = f.sort_values(["avail", "period"], kind="mergesort").reset_index(drop=True)
    right = f[["avail", "ticker"] + list(fields)]
    row_dates = pd.to_datetime(pd.Series(dates), format="%Y-%m-%d")
    T, A = len(dates), len(names)
    left = pd.DataFrame({
        "row": np.repeat(np.arange(T), A),
        "col": np.tile(np.arange(A), T),
        "when": np.repeat(row_dates.to_numpy(), A),
        "ticker": np.tile(np.array(names, dtype=object), T),
    })
    m = pd.merge_asof(left, right, left_on="when", right_on="avail", by="ticker",
                      direction="backward", allow_exact_matches=True)
    out = {}
    for fld in fields:
        arr = np.full((T, A), np.nan)
        arr[m["row"].to_numpy(), m["col"].to_numpy()] = m[fld].to_numpy(dtype=float)
        out[fld] = arr
    missing = [n for n in names if n not in set(f["ticker"])]
    if missing:
        print(f"warning: no fundamentals for {', '.join(missing)}", file=sys.stderr)
    return out


# --------------------------------------------------------------------------
# cross-sectional functions (per row, over the defined values)
# --------------------------------------------------------------------------

def lagk(x, k):
    out = np.full_like(x, np.nan)
    if k < x.shape[0]:
        out[k:] = x[:x.shape[0] - k]
    return out


def zscore_cs(x):
    out = np.full_like(x, np.nan)
    for t in range(x.shape[0]):
        row = x[t]
        ok = ~np.isnan(row)
        n = int(ok.sum())
        if n < 2:
            continue
        v = row[ok]
        if np.any(np.isinf(v)):
            continue
        if np.all(v == v[0]):
            continue
        s = 0.0
        for e in v:
            s += e
        m = s / n
        ss = 0.0
        for e in v:
            d = e - m
            ss += d * d
        sd = math.sqrt(ss / (n - 1))
        out[t, ok] = (v - m) / sd
    return out


def select(x, frac_num, frac_den, highest):
    """top / bottom as 1.0 / 0.0, NaN where x is NaN. k = max(1, floor(n * f)) with f
    the exact decimal frac_num / frac_den; ties to the lower column index."""
    out = np.full_like(x, np.nan)
    for t in range(x.shape[0]):
        row = x[t]
        ok = np.flatnonzero(~np.isnan(row))
        n = len(ok)
        if n == 0:
            continue
        k = min(n, max(1, (n * frac_num) // frac_den))
        vals = row[ok]
        order = np.argsort(-vals if highest else vals, kind="stable")
        out[t, ok] = 0.0
        out[t, ok[order[:k]]] = 1.0
    return out


def truthy(b):
    """`if b then 1 else 0`: NaN (or false) -> 0."""
    return np.where(b == 1.0, 1.0, 0.0)


def count_cs(x):
    return (~np.isnan(x)).sum(axis=1).astype(float)


def sum_cs(x):
    out = np.zeros(x.shape[0])
    for t in range(x.shape[0]):
        s = 0.0
        for e in x[t]:
            if e == e:
                s += e
        out[t] = s
    return out


# --------------------------------------------------------------------------
# the program
# --------------------------------------------------------------------------

def compute(dates, names, P, fund, strength):
    roe, nm, de = fund["roe"], fund["net_margin"], fund["debt_to_equity"]
    quality = (zscore_cs(roe) + zscore_cs(nm) + zscore_cs(-de)) / 3.0
    p21, p252, p126 = lagk(P, 21), lagk(P, 252), lagk(P, 126)
    momentum = (zscore_cs(p21 / p252 - 1.0) + zscore_cs(p21 / p126 - 1.0)) / 2.0
    composite = 0.6 * quality + 0.4 * momentum
    base = P / P / count_cs(P)[:, None]
    top = select(composite, 1, 10, True)
    bot = select(composite, 1, 10, False)
    tilted = base * (1.0 + strength * truthy(top) - strength * truthy(bot))
    # `a * b / c` is (a * b) / c
    w = (tilted * sum_cs(np.abs(base))[:, None]) / sum_cs(np.abs(tilted))[:, None]
    picked = np.where((top == 1.0) | (bot == 1.0), 1.0, 0.0)
    names_tilted = picked.sum(axis=1)
    return {"quality": quality, "momentum": momentum, "composite": composite,
            "base": base, "w": w, "names_tilted": names_tilted}


def month_end(dates, t):
    return t == len(dates) - 1 or dates[t + 1][:7] > dates[t][:7]


def held_book(name, dates, names, P, R, W, warm, cost_bps, reports):
    """A `hold stocks weight W rebalance monthly` book: W[t] decided at month-end rows
    t >= warm (live once some weight is defined), held until the next month-end;
    an asset with a NaN price or weight on a row holds nothing there."""
    T, A = P.shape
    targets = [None] * T
    cur = None
    t0 = None
    for t in range(T):
        if t >= warm and month_end(dates, t):
            row = W[t]
            if np.any(~np.isnan(row)):
                cur = [float(v) for v in row]
                if t0 is None:
                    t0 = t
        targets[t] = cur
    b = pr.Book()
    b.name = name
    b.asset_names = names
    b.dates = dates
    b.t0 = t0
    b.n_assets = A
    Pl = [[float(v) for v in P[:, j]] for j in range(A)]

    def target(t):
        w = targets[t]
        if w is None:
            return [0.0] * A
        return [wj if (wj == wj and wj != 0.0 and Pl[j][t] == Pl[j][t]) else 0.0
                for j, wj in enumerate(w)]
    b.target = target
    b.R = R
    b.data = lambda t: {"vix": NAN, "spx": NAN}
    b.rate = pr.flat_rate(cost_bps)
    b.bench = None
    b.reports = reports
    return b


def write_values(path, dates, names, panels):
    header = ["date"]
    arrs = []
    for let in ("composite", "w", "quality", "momentum"):
        arr = panels[let]
        for j, n in enumerate(names):
            header.append(f"{let}.{n}")
            arrs.append(arr[:, j])
    with open(path, "w", newline="") as fh:
        fh.write(",".join(header) + "\n")
        for t, d in enumerate(dates):
            fields = [d]
            for a in arrs:
                v = float(a[t])
                fields.append("" if v != v else repr(v))
            fh.write(",".join(fields) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stocks", required=True)
    ap.add_argument("--fund", required=True)
    ap.add_argument("--lag", default="90", help="calendar days")
    ap.add_argument("--to", default=None)
    ap.add_argument("--strength", default="15%")
    ap.add_argument("--cost-bps", default="5")
    ap.add_argument("--annualize", default="252")
    ap.add_argument("--values-out", default=None)
    a = ap.parse_args(argv[1:])

    dates, names, P = read_stocks(a.stocks, a.to)
    T, A = P.shape
    fund = point_in_time(a.fund, dates, names, int(a.lag), FIELDS)
    strength = pr.lit(a.strength)
    panels = compute(dates, names, P, fund, strength)
    if a.values_out:
        write_values(a.values_out, dates, names, panels)

    Pcols = [[float(v) for v in P[:, j]] for j in range(A)]
    R = [er.returns(p) for p in Pcols]
    Pyear = pr.lit(a.annualize)
    nt = [float(v) for v in panels["names_tilted"]]
    main_book = held_book("qm_overlay", dates, names, P, R, panels["w"], 252, a.cost_bps,
                          {"names_tilted": nt})
    # The benchmark sleeve starts no earlier than the book's warm-up (spec/semantics.md
    # "Benchmark"): both books enter on the same month-end.
    base_book = held_book("base_book", dates, names, P, R, panels["base"], 252, a.cost_bps, {})
    res = pr.run_book(main_book, [], Pyear)
    bres = pr.run_book(base_book, [], Pyear)
    t0, tb = main_book.t0, base_book.t0
    if tb > t0:
        raise SystemExit("the base book goes live after the overlay (not this program)")
    # the sleeve's own net returns on the overlay's evaluated rows t0+1 .. T-1
    off = t0 - tb
    b = bres["_x"][off:]
    bexpo = bres["_expo"][off:]
    x = res["_x"]
    assert len(b) == len(x)
    res["benchmark"] = er.metrics(b, bexpo, Pyear)
    res["information_ratio"] = er.information_ratio(x, b, Pyear)
    d = [xi - bi for xi, bi in zip(x, b)]
    res["active_return"] = er.mean_of(d) * Pyear
    res["tracking_error"] = er.std_ddof1(d) * math.sqrt(Pyear)
    res["benchmark_t0"] = tb
    res["start_row"] = t0 + 1
    for k in [k for k in res if k.startswith("_")]:
        del res[k]
    print(json.dumps(pr.to_json_value(res), allow_nan=False))


if __name__ == "__main__":
    main(sys.argv)
