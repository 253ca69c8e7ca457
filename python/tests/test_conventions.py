"""Strat's metrics against empyrical-reloaded 0.7.1 and quantstats 0.0.86 (issue 15, item 8),
from the daily output of every example (`strat run --out daily.csv`, its `return` column) and
`strat run --json`.

Where the conventions agree the numbers match to ~1e-12 relative. Where they differ (spec/report.md,
"Compared with empyrical and quantstats") the test checks the documented relation instead, so a
change of convention on either side is noticed:
- CAGR counts years by bars (P a year), as empyrical's `annual_return` and quantstats 0.0.86's
  `cagr` (earlier quantstats versions counted calendar days);
- the information ratio is annualised by sqrt(P); empyrical's `excess_sharpe` is per period;
- VaR and CVaR are historical: VaR is empyrical's; quantstats' `value_at_risk` is a normal
  (parametric) estimate, and its CVaR averages the returns below that VaR;
- omega is +inf and Sortino NaN without losses (not exercised by the examples).
"""

import math
import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import EXAMPLES, ROOT, strat_bin

empyrical = pytest.importorskip("empyrical")
qs = pytest.importorskip("quantstats")

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.strat"))


def close(a: float, b: float, rel: float = 1e-12, what: str = "") -> None:
    if (a is None or (isinstance(a, float) and math.isnan(a))) and (b is None or math.isnan(b)):
        return
    assert a is not None and b is not None, what
    assert abs(a - b) <= rel * max(abs(a), abs(b), 1e-300) + 1e-15, f"{what}: strat {a!r}, reference {b!r}"


def periods_per_year(path) -> float:
    m = re.search(r"^\s*annualize\s+(\d+)", path.read_text(), re.M)
    return float(m.group(1)) if m else 252.0


def run(path, tmp_path, *flags):
    out = tmp_path / "daily.csv"
    import json

    r = subprocess.run([str(strat_bin()), "run", str(path), "--json", "--out", str(out), "--force", *flags], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    daily = pd.read_csv(out, parse_dates=["date"]).set_index("date")
    return json.loads(r.stdout), daily["return"].dropna()


def risk_free(path, daily_index, P):
    """The per-period risk-free return of an example with `cash SOURCE.COLUMN / 100` whose source
    is read `asof` (spec/semantics.md §13): the rate of the latest row dated on or before the
    previous bar, over P (0 where missing); None for an example without `cash`."""
    text = path.read_text()
    m = re.search(r"^\s*cash\s+(\w+)\.(\w+)\s*/\s*100\b", text, re.M)
    if not m:
        return None
    src, col = m.groups()
    d = re.search(rf'^\s*data\s+{src}\s*=\s*csv\("([^"]+)"\)\s+asof\b', text, re.M)
    assert d, f"{path.name}: the test reads a cash rate from an `asof` data source"
    rates = pd.read_csv(path.parent / d.group(1), parse_dates=["date"]).set_index("date")[col] / 100.0
    asof = rates.reindex(daily_index, method="ffill")
    return (asof.shift(1) / P).fillna(0.0)


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_metrics_match_empyrical_and_quantstats_where_conventions_agree(name, tmp_path):
    path = EXAMPLES / name
    doc, r = run(path, tmp_path)
    m = doc["metrics"]
    P = periods_per_year(path)
    x = r.to_numpy()
    assert len(x) == doc["bars"]
    # With a cash account, Sharpe and Sortino are of the excess returns: empyrical's
    # `risk_free` / `required_return` with the same per-day rate (quantstats takes an annual
    # rate, so it is compared without cash only).
    daily = pd.read_csv(tmp_path / "daily.csv", parse_dates=["date"]).set_index("date")
    rf = risk_free(path, daily.index, P)
    rf = 0.0 if rf is None else rf.reindex(r.index)
    # empyrical: the same definitions.
    close(m["total_return"], empyrical.cum_returns_final(r), what="total_return")
    close(m["cagr"], empyrical.annual_return(r, annualization=P), what="cagr")
    close(m["ann_vol"], empyrical.annual_volatility(r, annualization=P), what="ann_vol")
    close(m["sharpe"], empyrical.sharpe_ratio(r, risk_free=rf, annualization=P), what="sharpe")
    close(m["sortino"], empyrical.sortino_ratio(r, required_return=rf, annualization=P), what="sortino")
    close(m["max_drawdown"], empyrical.max_drawdown(r), what="max_drawdown")
    close(m["calmar"], empyrical.calmar_ratio(r, annualization=P), what="calmar")
    close(m["omega"], empyrical.omega_ratio(r, annualization=P), what="omega")
    close(m["var_95"], empyrical.value_at_risk(r, cutoff=0.05), what="var_95")
    close(m["cvar_95"], empyrical.conditional_value_at_risk(r, cutoff=0.05), what="cvar_95")
    # quantstats: the same where its conventions are Strat's.
    if isinstance(rf, float):
        close(m["sharpe"], qs.stats.sharpe(r, periods=P, annualize=True), what="quantstats sharpe")
        close(m["sortino"], qs.stats.sortino(r, periods=P, annualize=True), what="quantstats sortino")
    close(m["ann_vol"], qs.stats.volatility(r, periods=P, annualize=True), what="quantstats volatility")
    close(m["total_return"], qs.stats.comp(r), what="quantstats comp")
    close(m["cagr"], qs.stats.cagr(r, periods=P), what="quantstats cagr")
    close(m["max_drawdown"], qs.stats.max_drawdown(r), what="quantstats max_drawdown")
    close(m["calmar"], qs.stats.calmar(r, periods=P), what="quantstats calmar")
    # The documented difference: quantstats' VaR is parametric (normal).
    z = 1.6448536269514722  # norm.ppf(0.95)
    close(qs.stats.value_at_risk(r, sigma=1, confidence=0.95), x.mean() - z * x.std(ddof=1), rel=1e-9, what="quantstats parametric var")


def test_benchmark_figures_match_empyrical(tmp_path):
    # The VIX guard against the S&P 500 (its benchmark): the information ratio is empyrical's
    # per-period excess Sharpe times sqrt(P); beta and alpha are empyrical's alpha_beta.
    doc, r = run(EXAMPLES / "vix_guard.strat", tmp_path)
    spx = pd.read_csv(EXAMPLES / "data" / "spx_vix.csv", parse_dates=["date"]).set_index("date")["spx"]
    b = spx.pct_change().reindex(r.index)
    assert not b.isna().any()
    close(doc["information_ratio"], empyrical.excess_sharpe(r, b) * math.sqrt(252), what="information_ratio")
    alpha, beta = empyrical.alpha_beta(r, b, annualization=252)
    close(doc["beta"], beta, rel=1e-12, what="beta")
    close(doc["alpha"], alpha, rel=1e-9, what="alpha")
    close(doc["benchmark"]["sharpe"], empyrical.sharpe_ratio(b, annualization=252), what="benchmark sharpe")


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_asked_for_conventions_match_quantstats_var_and_empyricals_excess_sharpe(name, tmp_path):
    # `--var parametric` gives quantstats' value_at_risk; the other metrics do not move.
    path = EXAMPLES / name
    base, _ = run(path, tmp_path)
    doc, r = run(path, tmp_path, "--var", "parametric", "--ir", "per-period")
    assert doc["conventions"] == {"var_95": "parametric", "information_ratio": "per_period"}
    assert "conventions" not in base
    close(doc["metrics"]["var_95"], qs.stats.value_at_risk(r, sigma=1, confidence=0.95), what="parametric var_95")
    for k, v in base["metrics"].items():
        if k != "var_95":
            assert doc["metrics"][k] == v, k
    if base["information_ratio"] is not None:
        P = periods_per_year(path)
        close(doc["information_ratio"], base["information_ratio"] / math.sqrt(P), rel=1e-12, what="per-period information ratio")


def test_per_period_information_ratio_is_empyricals_excess_sharpe(tmp_path):
    doc, r = run(EXAMPLES / "vix_guard.strat", tmp_path, "--ir", "per-period", "--var", "parametric")
    spx = pd.read_csv(EXAMPLES / "data" / "spx_vix.csv", parse_dates=["date"]).set_index("date")["spx"]
    b = spx.pct_change().reindex(r.index)
    close(doc["information_ratio"], empyrical.excess_sharpe(r, b), what="per-period information_ratio")
    close(doc["benchmark"]["var_95"], qs.stats.value_at_risk(b, sigma=1, confidence=0.95), what="benchmark parametric var_95")
