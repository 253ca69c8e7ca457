import os
from typing import Any, Callable, Mapping, Optional, Union

import pandas

from . import Frame, ParamValue, Strategy, StratError, WalkForward

class ClusterError(StratError): ...
class ShardError(StratError): ...

def sweep(
    strategy: Union[str, os.PathLike[str], Strategy],
    num_shards: Optional[int] = None,
    params: Optional[Mapping[str, Any]] = None,
    data: Optional[Mapping[str, Frame]] = None,
    address: Optional[str] = None,
    on_row: Optional[Callable[[dict[str, Any]], Any]] = None,
    max_retries: int = 3,
    connect_timeout_s: float = 30.0,
    _test_delay_s: float = 0.0,
    _test_pid_dir: Optional[str] = None,
) -> pandas.DataFrame: ...

def walk_forward(
    strategy: Union[str, os.PathLike[str], Strategy],
    train: str = "5y",
    test: str = "1y",
    by: str = "sharpe",
    anchored: bool = False,
    num_shards: Optional[int] = None,
    data: Optional[Mapping[str, Frame]] = None,
    address: Optional[str] = None,
    max_retries: int = 3,
    connect_timeout_s: float = 30.0,
    _test_delay_s: float = 0.0,
    _test_pid_dir: Optional[str] = None,
) -> WalkForward: ...
