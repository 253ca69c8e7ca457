"""An independent mini-backtester for the suite's `# py:` expressions: SEMANTICS.md §1-§4 written
out in pandas/numpy, sharing no code with Strat. check_expectations.py imports it into every
file's namespace.

Weights are decided at the close of row t and earn the return of row t+1; weights before the
first live row `t0` count as 0 (also for costs); a NaN weight or return holds nothing; the
evaluation window is the returns of rows t0+1 .. T-1.
"""

import numpy as np
import pandas as pd


def _frame(x):
    return x.to_frame() if isinstance(x, pd.Series) else x


def book(w, px, t0, cost=0.0, rate=None):
    """Net returns of the evaluation window and the turnover of the decision rows t0 .. T-2.

    w, px: Series (one asset) or DataFrames with the same columns; t0: the first live row's date;
    cost: a flat rate per unit traded; rate: a per-asset rate frame instead (same shape as w)."""
    w, px = _frame(w).astype(float), _frame(px).astype(float)
    if list(w.columns) != list(px.columns):
        w.columns = px.columns
    i0 = w.index.get_loc(pd.Timestamp(t0))
    r = px / px.shift(1) - 1
    wl = w.copy()
    wl.iloc[:i0] = 0.0
    wl = wl.fillna(0.0)
    trade = (wl - wl.shift(1).fillna(0.0)).abs()
    c = trade.mul(rate if rate is not None else cost).sum(axis=1)
    gross = (wl.shift(1) * r).fillna(0.0).sum(axis=1)
    net = gross - c.shift(1)
    x = net.iloc[i0 + 1:]
    turnover = trade.sum(axis=1).iloc[i0:-1]
    exposure = wl.abs().sum(axis=1).shift(1).iloc[i0 + 1:]
    return x, turnover, exposure


def equity(x):
    return (1 + x).cumprod()


def total_return(x):
    return equity(x).iloc[-1] - 1


def cagr(x, P=252):
    e = equity(x).iloc[-1]
    return -1.0 if e <= 0 else e ** (P / len(x)) - 1


def ann_vol(x, P=252):
    return np.std(x, ddof=1) * np.sqrt(P)


def sharpe(x, P=252):
    return np.mean(x) / np.std(x, ddof=1) * np.sqrt(P)


def sortino(x, P=252):
    dd = np.sqrt(np.sum(np.minimum(x, 0) ** 2) / len(x))
    return np.mean(x) / dd * np.sqrt(P)


def max_drawdown(x):
    e = equity(x).values
    peak = np.maximum.accumulate(np.maximum(e, 1.0))
    return min(0.0, float(np.min(e / peak - 1)))


def var_95(x):
    return np.percentile(x, 5)


def cvar_95(x):
    k = int(np.floor((len(x) - 1) * 0.05)) + 1
    return np.mean(np.sort(np.asarray(x))[:k])


def omega(x):
    return np.sum(np.maximum(x, 0)) / np.sum(np.maximum(-np.asarray(x), 0))


def month_ends(index):
    """Rows whose next row falls in a later month, and the last row (SEMANTICS.md §1)."""
    m = pd.Series(index.to_period("M"), index=index)
    return (m != m.shift(-1)).values


def held(w, rows):
    """Weights chosen on `rows` (a bool mask) and held until the next such row; NaN before."""
    w = _frame(w).astype(float)
    out = w.where(pd.Series(rows, index=w.index), np.nan).ffill()
    return out


def kill_book(w, px, t0, trip, release, scale, cost=0.0):
    """One asset held at target `w` with one kill switch, in one pass over time (SEMANTICS.md §3b).

    trip(E, D, R) -> bool on the own equity, drawdown and day return at the close (R is NaN on the
    first live row, and a comparison with it is false); release: a bool Series. Returns the
    evaluated net returns, the switch's state on every row from t0 (a bool Series), and the own
    drawdown on the rows from t0."""
    w, px = w.astype(float), px.astype(float)
    i0 = w.index.get_loc(pd.Timestamp(t0))
    r = (px / px.shift(1) - 1).values
    T = len(px)
    E, peak, prev_h, active, c_prev = 1.0, 1.0, 0.0, False, 0.0
    xs, acts, dds = [], [], []
    for t in range(i0, T):
        R = np.nan
        if t > i0:
            R = prev_h * r[t] - c_prev
            E *= 1 + R
            xs.append(R)
        peak = max(peak, E)
        D = E / peak - 1
        active = bool(trip(E, D, R)) or (active and not bool(release.iloc[t]))
        h = w.iloc[t] * (scale if active else 1.0)
        c_prev = cost * abs(h - prev_h)
        prev_h = h
        acts.append(active)
        dds.append(D)
    idx = w.index[i0:]
    return pd.Series(xs, index=w.index[i0 + 1:]), pd.Series(acts, index=idx), pd.Series(dds, index=idx)


def trips(active):
    """Rows of the decision rows (all but the last) on which a switch turns on."""
    a = active.iloc[:-1].astype(int)
    return int(((a == 1) & (a.shift(1, fill_value=0) == 0)).sum())


def path_book(w, px, t0, rate):
    """One asset held at target `w` with a cost rate that reads the trade and the own equity
    (SEMANTICS.md §3b): rate(trade, E, t) per unit traded at the close of row t, where E is the
    equity after the return of row t. Returns the evaluated net returns and the costs charged
    (decision rows t0 .. T-2)."""
    w, px = w.astype(float), px.astype(float)
    i0 = w.index.get_loc(pd.Timestamp(t0))
    r = (px / px.shift(1) - 1).values
    E, prev_h, c_prev = 1.0, 0.0, 0.0
    xs, costs = [], []
    for t in range(i0, len(px)):
        if t > i0:
            x = prev_h * r[t] - c_prev
            E *= 1 + x
            xs.append(x)
        h = w.iloc[t]
        trade = abs(h - prev_h)
        c_prev = rate(trade, E, t) * trade if trade > 0 else 0.0
        if t < len(px) - 1:
            costs.append(c_prev)
        prev_h = h
    return pd.Series(xs, index=w.index[i0 + 1:]), costs


def week_ends(index):
    """Rows whose next row falls in a later ISO week, and the last row."""
    iso = index.isocalendar()
    k = pd.Series(list(zip(iso.year, iso.week)), index=index)
    return (k != k.shift(-1)).values
