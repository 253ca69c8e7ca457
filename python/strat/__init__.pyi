"""Type stub of the public `strat` API (see strat/__init__.py for the docstrings).

Shapes: rows are bars, columns are assets or series. Units: fractions (0.05 is 5 %), never
percent; dates are calendar days."""

from typing import Any, Callable, Mapping, Optional, Sequence, Union

import pandas

Frame = Any  # a pandas.DataFrame or a polars.DataFrame
ParamValue = Union[float, int, str]

__version__: str

class StratError(Exception): ...

class Diagnostic:
    code: str
    message: str
    line: Optional[int]
    column: Optional[int]
    help: Optional[str]
    severity: str
    file: str

class CompileError(StratError):
    rendered: str
    diagnostics: list[Diagnostic]

class DataError(StratError, ValueError):
    message: str
    source: Optional[str]
    column: Optional[str]
    row: Optional[int]
    line: Optional[int]
    code: str
    help: Optional[str]

class RunError(StratError):
    code: str
    help: Optional[str]

class Param:
    name: str
    default: float
    kind: str
    domain: tuple

class DataSource:
    name: str
    kind: str
    path: str
    columns: list[str]
    available: Optional[str]

class Result:
    json: dict[str, Any]
    metrics: dict[str, Optional[float]]
    benchmark: Optional[dict[str, Optional[float]]]
    reports: dict[str, Optional[float]]
    warnings: list[str]
    @property
    def daily(self) -> pandas.DataFrame: ...
    @property
    def weights(self) -> pandas.DataFrame: ...
    def to_pandas(self) -> pandas.DataFrame: ...
    def to_polars(self) -> Any: ...

class WalkForward:
    json: dict[str, Any]
    metrics: dict[str, Optional[float]]
    @property
    def folds(self) -> pandas.DataFrame: ...

class Strategy:
    name: str
    params: dict[str, Param]
    data_sources: dict[str, DataSource]
    warnings: str
    def run(self, data: Optional[Mapping[str, Frame]] = None, params: Optional[Mapping[str, ParamValue]] = None) -> Result: ...
    def grid_size(self, params: Optional[Mapping[str, Union[ParamValue, Sequence[ParamValue]]]] = None) -> int: ...
    def sweep(
        self,
        params: Optional[Mapping[str, Union[ParamValue, Sequence[ParamValue]]]] = None,
        progress: bool = True,
        data: Optional[Mapping[str, Frame]] = None,
        shard: Optional[Union[tuple[int, int], str]] = None,
        on_row: Optional[Callable[[dict[str, Any]], Any]] = None,
    ) -> pandas.DataFrame: ...
    def walk_forward(
        self,
        train: str = "5y",
        test: str = "1y",
        by: str = "sharpe",
        anchored: bool = False,
        progress: bool = True,
        data: Optional[Mapping[str, Frame]] = None,
    ) -> WalkForward: ...

def compile(
    source: str, base_dir: str = ".", data: Optional[Mapping[str, Frame]] = None, name: str = "strategy", file_name: str = "<string>"
) -> Strategy: ...
def compile_file(path: str, data: Optional[Mapping[str, Frame]] = None) -> Strategy: ...
