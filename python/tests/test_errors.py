"""Malformed frames raise strat.DataError naming the column and the row, never crash; a bad
program raises strat.CompileError with the CLI's report."""

import subprocess

import numpy as np
import pandas as pd
import polars as pl
import pytest

import strat
from conftest import EXAMPLES, ROOT, strat_bin

VIX = str(EXAMPLES / "vix_guard.strat")


@pytest.fixture(scope="module")
def guard():
    return strat.compile_file(VIX)


@pytest.fixture(scope="module")
def mkt():
    df = pd.read_csv(EXAMPLES / "data" / "spx_vix.csv")
    df["date"] = pd.to_datetime(df["date"])
    return df


def both(df):
    return [df, pl.from_pandas(df).with_columns(pl.col("date").cast(pl.Date))]


def test_unsorted_dates(guard, mkt):
    bad = mkt.iloc[[0, 1, 3, 2] + list(range(4, 50))].reset_index(drop=True)
    for frame in both(bad):
        with pytest.raises(strat.DataError) as e:
            guard.run(data={"mkt": frame})
        assert (e.value.source, e.value.column, e.value.row) == ("mkt", "date", 3)
        assert "earlier" in str(e.value)


def test_duplicate_dates(guard, mkt):
    bad = pd.concat([mkt.iloc[:10], mkt.iloc[9:10], mkt.iloc[10:40]]).reset_index(drop=True)
    for frame in both(bad):
        with pytest.raises(strat.DataError) as e:
            guard.run(data={"mkt": frame})
        assert (e.value.column, e.value.row) == ("date", 10)
        assert "repeats" in str(e.value)


def test_missing_column(guard, mkt):
    for frame in both(mkt.drop(columns=["vix"])):
        with pytest.raises(strat.DataError) as e:
            guard.run(data={"mkt": frame})
        assert e.value.column == "vix"
        assert "no column `vix`" in str(e.value)


def test_non_numeric_values(guard, mkt):
    bad = mkt.astype({"vix": object})
    bad.loc[7, "vix"] = "n/a"
    for frame in [bad, pl.from_pandas(bad.astype({"vix": str})).with_columns(pl.col("date").cast(pl.Date))]:
        with pytest.raises(strat.DataError) as e:
            guard.run(data={"mkt": frame})
        assert (e.value.column, e.value.row) == ("vix", 7)


def test_infinite_value_and_bad_price(guard, mkt):
    bad = mkt.copy()
    bad.loc[12, "vix"] = np.inf
    with pytest.raises(strat.DataError) as e:
        guard.run(data={"mkt": bad})
    assert (e.value.column, e.value.row) == ("vix", 12)
    bad = mkt.copy()
    bad.loc[20, "spx"] = -5.0
    with pytest.raises(strat.DataError) as e:
        guard.run(data={"mkt": bad})
    assert (e.value.column, e.value.row) == ("spx", 20)


def test_no_dates_and_bad_dates(guard, mkt):
    with pytest.raises(strat.DataError) as e:
        guard.run(data={"mkt": mkt.drop(columns=["date"])})
    assert e.value.column == "date"
    bad = mkt.astype({"date": str})
    bad.loc[4, "date"] = "not a date"
    with pytest.raises(strat.DataError) as e:
        guard.run(data={"mkt": bad})
    assert (e.value.column, e.value.row) == ("date", 4)
    timed = mkt.copy()
    timed.loc[3, "date"] = timed.loc[3, "date"] + pd.Timedelta(hours=5)
    with pytest.raises(strat.DataError) as e:
        guard.run(data={"mkt": timed})
    assert e.value.row == 3


def test_unknown_source_and_wrong_type(guard, mkt):
    with pytest.raises(strat.DataError) as e:
        guard.run(data={"prices": mkt})
    assert "mkt" in str(e.value)
    with pytest.raises(TypeError):
        guard.run(data={"mkt": mkt.to_dict()})


def test_empty_frame(guard, mkt):
    with pytest.raises(strat.DataError):
        guard.run(data={"mkt": mkt.iloc[:0]})


def test_bad_params(guard):
    with pytest.raises(ValueError, match="spike_zz"):
        guard.run(params={"spike_zz": 3})
    with pytest.raises(ValueError):
        guard.run(params={"spike_z": "lots"})


def test_compile_error_is_the_cli_report(tmp_path):
    src = "data mkt = csv(\"%s\")\nhold mkt.spx weight zscore(mkt.vixx, 20)\n" % (EXAMPLES / "data" / "spx_vix.csv")
    with pytest.raises(strat.CompileError) as e:
        strat.compile(src, file_name="bad.strat")
    d = e.value.diagnostics[0]
    assert d.severity == "error" and d.code.startswith("strat::")
    assert (d.line, d.column) == (2, 32)  # the label is on `vixx`
    assert d.help
    f = tmp_path / "bad.strat"
    f.write_text(src)
    with pytest.raises(strat.CompileError) as e2:
        strat.compile_file(str(f))
    cli = subprocess.run([str(strat_bin()), "check", str(f)], capture_output=True, text=True, cwd=ROOT, env={"NO_COLOR": "1"})
    assert cli.returncode != 0
    assert str(e2.value).strip() == cli.stderr.strip()


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        strat.compile_file("/nonexistent/x.strat")
