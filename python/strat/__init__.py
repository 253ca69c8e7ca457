"""Strat from Python: compile ``.strat`` strategies, run them on pandas or polars frames, sweep
and walk forward.

>>> import strat
>>> s = strat.compile_file("examples/vix_guard.strat")
>>> r = s.run()                       # reads the files the program names
>>> r.metrics["sharpe"]               # the same value as `strat run --json`, to the bit
>>> r.daily                           # a pandas DataFrame: date, weight, return, equity, ...

Conventions: rows are bars, columns are assets or series; returns, weights, costs and metrics
are fractions (0.05 is 5 %), never percent; dates are calendar days (``datetime64[D]``).
Data replaces a program's files by source name: ``s.run(data={"mkt": df})`` with ``df`` a
pandas DataFrame (a ``date`` column or a ``DatetimeIndex``) or a polars DataFrame (a ``date``
column of type Date, Datetime or ISO text). Bad data raises :class:`DataError` naming the
source, the column and the 0-based row; a bad program raises :class:`CompileError` with the
same report the ``strat`` command prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np

from . import _strat

__all__ = [
    "compile",
    "compile_file",
    "Strategy",
    "Result",
    "WalkForward",
    "Param",
    "DataSource",
    "Diagnostic",
    "StratError",
    "CompileError",
    "DataError",
    "RunError",
]

__version__ = _strat.__version__


# --------------------------------------------------------------------------- errors


class StratError(Exception):
    """Base class of every error Strat raises."""


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostic of a program: ``code`` (e.g. ``strat::check::unknown_name``), ``message``,
    1-based ``line`` and ``column`` of its first label (None when it has no span), ``help``,
    ``severity`` (``error`` or ``warning``) and the ``file`` name shown."""

    code: str
    message: str
    line: Optional[int]
    column: Optional[int]
    help: Optional[str]
    severity: str
    file: str


class CompileError(StratError):
    """The program does not compile. ``diagnostics`` lists them; ``str()`` is the report the
    ``strat`` command prints (miette, without colour)."""

    def __init__(self, rendered: str, diagnostics: list[Diagnostic]):
        super().__init__(rendered)
        self.rendered = rendered
        self.diagnostics = diagnostics

    def __str__(self) -> str:
        return self.rendered


class DataError(StratError, ValueError):
    """Bad input data. ``source`` is the program's source name (or the file read), ``column``
    the column concerned, ``row`` the 0-based row of an in-memory frame (``line`` the 1-based
    line of a file), ``code`` a stable ``strat::data::...`` code."""

    def __init__(self, message: str, *, source: Optional[str] = None, column: Optional[str] = None,
                 row: Optional[int] = None, line: Optional[int] = None, code: str = "strat::data::invalid",
                 help: Optional[str] = None, rendered: Optional[str] = None):
        super().__init__(rendered or message)
        self.message = message
        self.source = source
        self.column = column
        self.row = row
        self.line = line
        self.code = code
        self.help = help

    def __str__(self) -> str:
        return self.args[0]


class RunError(StratError):
    """A run failed (a non-finite weight, a bad parameter value, a study that cannot run)."""

    def __init__(self, message: str, code: str = "strat::run::failed", help: Optional[str] = None):
        super().__init__(message)
        self.code = code
        self.help = help


def _raise(err: Exception) -> None:
    """Re-raises a native error as the matching Strat exception."""
    if not isinstance(err, _strat.NativeError):
        raise err
    kind, p = err.args
    if kind == "compile":
        diags = [Diagnostic(d["code"], d["message"], d["line"], d["column"], d["help"], d["severity"], d["file"])
                 for d in p["diagnostics"]]
        raise CompileError(p["rendered"], diags) from None
    if kind == "data":
        raise DataError(p["message"], source=p["source"], column=p["column"], row=p["row"], line=p["line"],
                        code=p["code"], help=p["help"], rendered=p["text"]) from None
    if kind == "run":
        raise RunError(p["rendered"].rstrip("\n"), p.get("code", "strat::run::failed"), p.get("help")) from None
    if kind == "io":
        raise FileNotFoundError(p["message"]) from None
    raise ValueError(p["message"]) from None


# --------------------------------------------------------------------------- frames in


def _is_polars(df: Any) -> bool:
    return type(df).__module__.split(".")[0] == "polars"


def _is_pandas(df: Any) -> bool:
    return type(df).__module__.split(".")[0] == "pandas"


def _days_from_datetime64(values: np.ndarray, source: str, column: str, offset: int = 0) -> np.ndarray:
    """Days since 1970-01-01 of datetime64 values; NaT or a time of day other than midnight is
    a DataError naming the row."""
    ns = values.astype("datetime64[ns]", copy=False).view(np.int64)
    nat = ns == np.iinfo(np.int64).min
    if nat.any():
        row = int(np.argmax(nat))
        raise DataError(f"<memory {source}> row {row}: column '{column}': a missing date (NaT)",
                        source=source, column=column, row=row)
    days, rem = np.divmod(ns, 86_400_000_000_000)
    if rem.any():
        row = int(np.argmax(rem != 0))
        raise DataError(f"<memory {source}> row {row}: column '{column}': {values[row]} has a time of day; "
                        "Strat's bars are calendar days", source=source, column=column, row=row)
    # datetime64[ns] spans 1677..2262: every day fits an int32.
    return np.ascontiguousarray(days.astype(np.int32))


def _pandas_dates(df: Any, source: str) -> np.ndarray:
    import pandas as pd

    if "date" in df.columns:
        col = df["date"]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            s = col.dt.tz_localize(None) if getattr(col.dtype, "tz", None) is not None else col
            values = s.to_numpy(dtype="datetime64[ns]")
        else:
            parsed = pd.to_datetime(col, errors="coerce", format="ISO8601")
            bad = parsed.isna() & col.notna()
            if bad.any():
                row = int(np.argmax(bad.to_numpy()))
                raise DataError(f"<memory {source}> row {row}: column 'date': {col.iloc[row]!r} is not a date",
                                source=source, column="date", row=row)
            values = parsed.to_numpy(dtype="datetime64[ns]")
        return _days_from_datetime64(values, source, "date")
    if isinstance(df.index, pd.DatetimeIndex):
        idx = df.index.tz_localize(None) if df.index.tz is not None else df.index
        return _days_from_datetime64(idx.to_numpy(dtype="datetime64[ns]"), source, "date")
    raise DataError(f"<memory {source}>: no dates: give a `date` column or a DatetimeIndex",
                    source=source, column="date")


def _polars_dates(df: Any, source: str) -> np.ndarray:
    import polars as pl

    if "date" not in df.columns:
        raise DataError(f"<memory {source}>: no dates: give a `date` column", source=source, column="date")
    col = df.get_column("date")
    if col.dtype == pl.Utf8 or col.dtype == pl.String:
        parsed = col.str.to_date(format="%Y-%m-%d", strict=False)
        bad = parsed.is_null() & col.is_not_null()
        if bad.any():
            row = int(bad.arg_max())
            raise DataError(f"<memory {source}> row {row}: column 'date': {col[row]!r} is not a date",
                            source=source, column="date", row=row)
        col = parsed
    if col.dtype == pl.Date:
        if col.null_count():
            row = int(col.is_null().arg_max())
            raise DataError(f"<memory {source}> row {row}: column 'date': a missing date", source=source,
                            column="date", row=row)
        return np.ascontiguousarray(col.to_physical().to_numpy(), dtype=np.int32)
    if isinstance(col.dtype, pl.Datetime):
        if col.dtype.time_zone is not None:
            col = col.dt.replace_time_zone(None)
        return _days_from_datetime64(col.to_numpy().astype("datetime64[ns]"), source, "date")
    raise DataError(f"<memory {source}>: column 'date' has type {col.dtype}; give Date, Datetime or YYYY-MM-DD text",
                    source=source, column="date")


def _numeric(values: Any, raw: Sequence[Any], source: str, column: str) -> np.ndarray:
    """A float64 column; a value that is not a number is a DataError naming its row."""
    try:
        out = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for row, v in enumerate(raw):
            if v is None:
                continue
            try:
                float(v)
            except (TypeError, ValueError):
                raise DataError(f"<memory {source}> row {row}: column '{column}': {v!r} is not a number",
                                source=source, column=column, row=row) from None
        raise DataError(f"<memory {source}>: column '{column}' is not numeric", source=source, column=column)
    return np.ascontiguousarray(out)


def _pandas_column(df: Any, name: str, source: str) -> np.ndarray:
    import pandas as pd

    col = df[name]
    if isinstance(col, pd.DataFrame):
        raise DataError(f"<memory {source}>: column '{name}' appears twice", source=source, column=name)
    if pd.api.types.is_bool_dtype(col.dtype) or not (pd.api.types.is_numeric_dtype(col.dtype)):
        if pd.api.types.is_bool_dtype(col.dtype):
            raise DataError(f"<memory {source}>: column '{name}' is boolean, not numeric", source=source, column=name)
        coerced = pd.to_numeric(col, errors="coerce")
        bad = coerced.isna() & col.notna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            raise DataError(f"<memory {source}> row {row}: column '{name}': {col.iloc[row]!r} is not a number",
                            source=source, column=name, row=row)
        col = coerced
    return _numeric(col.to_numpy(dtype=np.float64, na_value=np.nan), (), source, name)


def _polars_column(df: Any, name: str, source: str) -> np.ndarray:
    import polars as pl

    col = df.get_column(name)
    if not col.dtype.is_numeric():
        cast = col.cast(pl.Float64, strict=False)
        bad = cast.is_null() & col.is_not_null()
        if bad.any() or col.dtype == pl.Boolean:
            row = int(bad.arg_max()) if bad.any() else 0
            raise DataError(f"<memory {source}> row {row}: column '{name}': {col[row]!r} is not a number",
                            source=source, column=name, row=row)
        col = cast
    # A Float64 series' nulls come out as NaN; without nulls this is a view of its buffer.
    if col.dtype != pl.Float64:
        col = col.cast(pl.Float64)
    return np.ascontiguousarray(col.to_numpy(), dtype=np.float64)


def _columns_of(df: Any) -> list[str]:
    return [str(c) for c in df.columns]


def _table(name: str, df: Any, info: Optional["DataSource"]) -> tuple:
    """The native tuple of one source's frame: wide (one row per date) or long (records)."""
    polars = _is_polars(df)
    if not polars and not _is_pandas(df):
        raise TypeError(f"data[{name!r}] must be a pandas or polars DataFrame, not {type(df).__name__}")
    cols = [c for c in _columns_of(df) if c != "date"]
    column = _polars_column if polars else _pandas_column
    if info is not None and info.kind == "long_panel":
        return _long_table(name, df, info, polars)
    # The columns the program reads (all numeric columns when the program is compiled from this
    # frame); the others are not converted.
    wanted = [c for c in (info.columns if info is not None else cols) if c in cols]
    if info is None:
        wanted = cols
    dates = _polars_dates(df, name) if polars else _pandas_dates(df, name)
    values = [column(df, c, name) for c in wanted]
    return ("wide", name, dates, wanted, values)


def _long_table(name: str, df: Any, info: "DataSource", polars: bool) -> tuple:
    for c in ("date", "ticker"):
        if c not in _columns_of(df):
            raise DataError(f"<memory {name}>: no column `{c}`; a long panel has date, ticker and fields",
                            source=name, column=c)
    if polars:
        import polars as pl

        dates = _polars_dates(df, name)
        tick = df.get_column("ticker").cast(pl.Utf8)
        if tick.is_null().any():
            row = int(tick.is_null().arg_max())
            raise DataError(f"<memory {name}> row {row}: column 'ticker': a missing ticker", source=name,
                            column="ticker", row=row)
        uniques = tick.unique(maintain_order=True)
        codes = tick.replace_strict(uniques, pl.int_range(0, len(uniques), eager=True), return_dtype=pl.Int64).to_numpy()
        names = [str(u) for u in uniques.to_list()]
    else:
        import pandas as pd

        dates = _pandas_dates(df, name)
        tick = df["ticker"]
        if tick.isna().any():
            row = int(np.argmax(tick.isna().to_numpy()))
            raise DataError(f"<memory {name}> row {row}: column 'ticker': a missing ticker", source=name,
                            column="ticker", row=row)
        codes, uniques = pd.factorize(tick.astype(str), sort=False)
        names = [str(u) for u in uniques]
    avail_name = info.available
    avail = None
    if avail_name is not None:
        if avail_name not in _columns_of(df):
            raise DataError(f"<memory {name}>: no column `{avail_name}` (the availability date)", source=name,
                            column=avail_name)
        sub = df.select(["date"]).with_columns(df.get_column(avail_name).alias("date")) if polars else \
            __import__("pandas").DataFrame({"date": df[avail_name].to_numpy()})
        avail = _polars_dates(sub, name) if polars else _pandas_dates(sub, name)
    fields = [c for c in info.columns if c != "ticker"]
    column = _polars_column if polars else _pandas_column
    values = []
    for f in fields:
        if f not in _columns_of(df):
            raise DataError(f"<memory {name}>: no column `{f}`; the frame has: {', '.join(_columns_of(df))}",
                            source=name, column=f)
        values.append(column(df, f, name))
    return ("long", name, dates, avail_name, avail, np.ascontiguousarray(np.asarray(codes, dtype=np.int64)),
            names, fields, values)


def _tables(data: Optional[Mapping[str, Any]], infos: Optional[dict[str, "DataSource"]]) -> list:
    if not data:
        return []
    if not isinstance(data, Mapping):
        raise TypeError("data must map a source name to a DataFrame")
    out = []
    for name, df in data.items():
        info = infos.get(name) if infos is not None else None
        if infos is not None and info is None:
            known = ", ".join(infos) or "none"
            raise DataError(f"`{name}` is not a data source, universe or panel of the program; its sources: {known}",
                            source=name)
        out.append(_table(name, df, info))
    return out


def _compile_tables(data: Optional[Mapping[str, Any]]) -> list:
    """Before compiling, the program's source kinds are unknown: a frame with a `ticker` column
    is taken as long records, others as wide tables."""
    if not data:
        return []
    out = []
    for name, df in data.items():
        cols = _columns_of(df)
        if "ticker" in cols:
            fields = [c for c in cols if c not in ("date", "ticker")]
            info = DataSource(name, "long_panel", "", ["ticker"] + fields, None)
            polars = _is_polars(df)
            t = list(_long_table(name, df, info, polars))
            out.append(tuple(t))
        else:
            out.append(_table(name, df, None))
    return out


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Param:
    """A declared param: ``default`` (a fraction for a percentage; the index for a choice),
    ``kind`` (``fixed``, ``values`` or ``choices``) and ``domain`` (the swept values or the
    choice names; empty when fixed)."""

    name: str
    default: float
    kind: str
    domain: tuple


@dataclass(frozen=True)
class DataSource:
    """A declared source: ``kind`` (``data``, ``universe``, ``long_panel``, ``wide_panel``),
    ``path`` as written, ``columns`` a run reads (besides ``date``), ``available`` (the
    availability column of a long panel, if declared)."""

    name: str
    kind: str
    path: str
    columns: list
    available: Optional[str]


class Result:
    """One run. ``metrics``, ``benchmark``, ``reports`` are dicts with the keys and values of
    ``strat run --json`` (bit for bit); ``json`` is that whole object; ``daily`` the daily table
    (rows = bars from the first live bar: date, weight or weight_ASSET, return, equity, turnover,
    cost, kill_NAME), ``weights`` the ``weights`` declarations' table (one row per rebalance and
    member). Columns are NumPy views of buffers filled by the engine (no per-value objects)."""

    def __init__(self, raw: dict):
        self.json: dict = json.loads(raw["json"])
        self.metrics: dict = self.json["metrics"]
        self.benchmark: Optional[dict] = self.json.get("benchmark")
        self.reports: dict = self.json.get("reports", {})
        self.warnings: list[str] = list(raw["warnings"])
        days = np.frombuffer(raw["dates"], dtype=np.int32)
        self._dates = days.astype("datetime64[D]")
        self._daily = [(n, np.frombuffer(b, dtype=np.float64)) for n, b in raw["daily"]]
        text, nums = raw["weights"]
        self._weights_text = [(n, list(v)) for n, v in text]
        self._weights_nums = [(n, np.frombuffer(b, dtype=np.float64)) for n, b in nums]

    @property
    def daily(self):
        """The daily table as a pandas DataFrame (``date`` a column of datetime64)."""
        return self.to_pandas()

    @property
    def weights(self):
        """The ``weights`` table as a pandas DataFrame: date, weights, asset, source, target,
        held, turnover (empty without ``weights`` declarations)."""
        import pandas as pd

        cols: dict = {}
        for n, v in self._weights_text:
            cols[n] = pd.to_datetime(v) if n == "date" else v
        for n, v in self._weights_nums:
            cols[n] = v
        return pd.DataFrame(cols)

    def to_pandas(self):
        """The daily table as a pandas DataFrame."""
        import pandas as pd

        data = {"date": self._dates.astype("datetime64[ns]")}
        data.update(self._daily)
        return pd.DataFrame(data, copy=False)

    def to_polars(self):
        """The daily table as a polars DataFrame (``date`` of type Date)."""
        import polars as pl

        cols = [pl.Series("date", self._dates)]
        cols += [pl.Series(n, v) for n, v in self._daily]
        return pl.DataFrame(cols)

    def __repr__(self) -> str:
        m = self.metrics
        return (f"<strat.Result {self.json['strategy']} {self.json['start']}..{self.json['end']}: "
                f"sharpe {m['sharpe']:.3f}, cagr {m['cagr']:.4f}, max_drawdown {m['max_drawdown']:.4f}>")


class WalkForward:
    """A walk-forward: ``json`` is what ``strat walk-forward --json`` prints; ``folds`` a
    DataFrame of the folds; ``metrics`` the stitched out-of-sample metrics."""

    def __init__(self, text: str):
        self.json: dict = json.loads(text)
        self.metrics: dict = self.json.get("metrics", {})

    @property
    def folds(self):
        import pandas as pd

        return pd.json_normalize(self.json.get("folds", []))

    def __repr__(self) -> str:
        return f"<strat.WalkForward {self.json.get('strategy')}: {len(self.json.get('folds', []))} folds>"


# --------------------------------------------------------------------------- strategies


def _param_items(params: Optional[Mapping[str, Any]]) -> list:
    if not params:
        return []
    items = []
    for k, v in params.items():
        if isinstance(v, (bool, np.bool_)):
            raise TypeError(f"param {k!r}: a bool is not a param value")
        if isinstance(v, (int, float, np.integer, np.floating)):
            items.append((str(k), float(v)))
        elif isinstance(v, str):
            items.append((str(k), v))
        else:
            raise TypeError(f"param {k!r} takes a number or literal text such as '45%', got {type(v).__name__}")
    return items


def _sweep_frame(doc: dict):
    """The DataFrame of a sweep document (``strat sweep --json``): one row per entry of
    ``rows``."""
    import pandas as pd

    rows = []
    for r in doc["rows"]:
        row = dict(r.get("params", {}))
        row["bars"] = r.get("bars")
        row.update(r.get("metrics") or {})
        row["avg_turnover"] = r.get("avg_turnover")
        row["information_ratio"] = r.get("information_ratio")
        for k, v in (r.get("reports") or {}).items():
            row[f"report_{k}"] = v
        row["error"] = r.get("error")
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["strategy"] = doc.get("strategy")
    return df


class Strategy:
    """A compiled strategy. Made by :func:`compile` or :func:`compile_file`."""

    def __init__(self, native: Any):
        self._native = native
        self.name: str = native.name()
        self.params: dict[str, Param] = {
            n: Param(n, d, k, tuple(v)) for n, d, k, v in native.params()
        }
        self.data_sources: dict[str, DataSource] = {
            n: DataSource(n, k, p, list(c), a) for n, k, p, c, a in native.data_sources()
        }
        self.warnings: str = native.warnings()

    def run(self, data: Optional[Mapping[str, Any]] = None, params: Optional[Mapping[str, Any]] = None) -> Result:
        """Runs once. ``data`` maps source names to DataFrames replacing their files;
        ``params`` maps param names to numbers (fractions) or literal text (``"45%"``, a choice
        name). Raises DataError, RunError."""
        tables = _tables(data, self.data_sources)
        try:
            raw = self._native.run(tables, _param_items(params))
        except _strat.NativeError as e:
            _raise(e)
        return Result(raw)

    def _overrides(self, params: Optional[Mapping[str, Any]]) -> list:
        """``params`` of :meth:`sweep` as the native ``[(name, [values])]``."""
        overrides = []
        for k, v in (params or {}).items():
            vals = list(v) if isinstance(v, (list, tuple, np.ndarray, range)) else [v]
            conv = []
            for x in vals:
                if isinstance(x, str):
                    p = self.params.get(k)
                    if p is not None and p.kind == "choices" and x in p.domain:
                        conv.append(float(p.domain.index(x)))
                        continue
                    raise TypeError(f"param {k!r}: sweep values are numbers (or choice names), got {x!r}")
                conv.append(float(x))
            overrides.append((str(k), conv))
        return overrides

    def grid_size(self, params: Optional[Mapping[str, Any]] = None) -> int:
        """Bindings in the grid (``params`` as in :meth:`sweep`)."""
        try:
            return self._native.grid_len(self._overrides(params))
        except _strat.NativeError as e:
            _raise(e)

    def sweep(self, params: Optional[Mapping[str, Any]] = None, progress: bool = True,
              data: Optional[Mapping[str, Any]] = None, shard: Optional[tuple] = None,
              on_row: Optional[Callable[[dict], Any]] = None):
        """Runs every binding of the grid in parallel and returns a pandas DataFrame, one row
        per binding in grid order (the index is the binding's grid index): the params,
        ``bars``, the metrics, ``avg_turnover``, ``information_ratio``, the reports,
        ``error`` (None when it ran). ``params`` maps a param name to the values to sweep (a
        list) or one value, replacing its domain. ``shard=(i, n)`` runs only shard ``i`` of
        ``n`` (1-based; every n-th binding from the i-th, as ``strat sweep --shard i/n``); its
        rows keep their grid indices, and ``df.attrs`` holds ``shard``, ``grid_bindings`` and
        ``fingerprint``. ``on_row`` is called on this thread with each finished binding's
        progress event (a dict: ``event``, ``binding``, ``done``, ``total``, then the row as in
        ``strat sweep --json``), as it finishes. Ctrl-C stops the sweep (KeyboardInterrupt);
        so does an exception raised by ``on_row``, which propagates."""
        import pandas as pd

        overrides = self._overrides(params)
        tables = _tables(data, self.data_sources)
        if shard is not None:
            if isinstance(shard, str):
                i, _, n = shard.partition("/")
                shard = (i, n)
            try:
                shard = (int(shard[0]), int(shard[1]))
            except (TypeError, ValueError, IndexError):
                raise ValueError(f"shard is (i, n) or 'i/n' with whole numbers, got {shard!r}") from None
            if shard[1] < 1 or not 1 <= shard[0] <= shard[1]:
                raise ValueError(f"shard {shard[0]}/{shard[1]} does not exist: i counts from 1 to n")
        callback = None
        if on_row is not None:
            def callback(text: str) -> None:
                on_row(json.loads(text))
        try:
            text = self._native.sweep(tables, overrides, bool(progress), shard, callback)
        except _strat.NativeError as e:
            _raise(e)
        doc = json.loads(text)
        df = _sweep_frame(doc)
        if "binding_ids" in doc:
            df.index = pd.Index(doc["binding_ids"], dtype="int64")
            for k in ("shard", "grid_bindings", "fingerprint"):
                df.attrs[k] = doc[k]
        return df

    def walk_forward(self, train: str = "5y", test: str = "1y", by: str = "sharpe", anchored: bool = False,
                     progress: bool = True, data: Optional[Mapping[str, Any]] = None) -> WalkForward:
        """Walk-forward validation (SEMANTICS.md §6): train on ``train`` (``5y``, ``60m``),
        choose the binding with the best ``by`` in sample, test it on the next ``test``, roll.
        Ctrl-C stops it (KeyboardInterrupt)."""
        tables = _tables(data, self.data_sources)
        try:
            text = self._native.walk_forward(tables, train, test, by, bool(anchored), bool(progress))
        except _strat.NativeError as e:
            _raise(e)
        return WalkForward(text)

    def __repr__(self) -> str:
        return f"<strat.Strategy {self.name}: {len(self.params)} params, sources {', '.join(self.data_sources)}>"


def compile(source: str, base_dir: str = ".", data: Optional[Mapping[str, Any]] = None,
            name: str = "strategy", file_name: str = "<string>") -> Strategy:
    """Compiles ``.strat`` source text. Data paths are relative to ``base_dir``. With ``data``
    (source name → DataFrame) the columns of those sources are taken from the frames, so their
    files need not exist. Raises CompileError."""
    try:
        native = _strat.compile(source, file_name, name, str(base_dir), _compile_tables(data))
    except _strat.NativeError as e:
        _raise(e)
    return Strategy(native)


def compile_file(path: str, data: Optional[Mapping[str, Any]] = None) -> Strategy:
    """Compiles a ``.strat`` file (data paths relative to its folder). Raises CompileError,
    FileNotFoundError."""
    try:
        native = _strat.compile_file(str(path), _compile_tables(data))
    except _strat.NativeError as e:
        _raise(e)
    return Strategy(native)
