"""Sweeps and walk-forwards on a Ray cluster: the grid split into shards (``strat sweep --shard
I/N``), each shard a Ray task. A sweep's rows are gathered into the same DataFrame
:meth:`strat.Strategy.sweep` returns; a walk-forward's shards send back their bindings' daily
returns (the part of ``strat walk-forward --shard I/N``) and the folds are chosen on the driver
over all of them, giving the :class:`strat.WalkForward` of :meth:`strat.Strategy.walk_forward`.

>>> import strat.ray
>>> df = strat.ray.sweep("examples/regime_ensemble.strat", address="127.0.0.1:6379")
>>> wf = strat.ray.walk_forward("examples/regime_ensemble.strat", train="5y", test="1y")

Ray is an optional dependency: ``pip install ./python[ray]``. The program and its data travel
once, through Ray's object store (one ``ray.put``, whatever the number of shards): the source
text, the bytes of every data file it names by a relative path (or the DataFrames given as
``data``). For each shard a worker writes the files into a new private folder, compiles there
and runs the shard, then removes the folder; a folder left by a worker that died in a shard is
removed by the next shard to start on that node. A shard is a deterministic set of bindings
(every N-th from the I-th), so a shard that Ray re-runs after a worker died computes exactly the
same rows: none is lost or counted twice, and the driver checks that every binding arrived
exactly once and that all shards saw the same program, data and grid (the study fingerprint).

A data file named by an absolute path is not shipped: it must exist, identical, on every node
(the fingerprint check refuses a node whose copy differs).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from typing import Any, Callable, Mapping, Optional, Union

from . import Strategy, StratError, WalkForward, _raise, _strat, _sweep_frame, _tables, compile, compile_file

__all__ = ["sweep", "walk_forward", "ClusterError", "ShardError"]


class ClusterError(StratError):
    """The Ray cluster cannot be reached, or Ray is not installed."""


class ShardError(StratError):
    """A shard failed on every try, or the shards' rows do not make up the grid (a binding
    missing or repeated, shards of different studies): no partial table is returned."""


def _ray():
    try:
        import ray
    except ImportError as e:
        raise ClusterError("strat.ray needs Ray: pip install './python[ray]' (or pip install ray)") from e
    return ray


def _reachable(address: str, timeout_s: float) -> None:
    """Raises :class:`ClusterError` unless a TCP connection to ``address`` (``host:port``, or
    ``ray://host:port`` for Ray Client) opens within ``timeout_s``: ``ray.init`` itself retries
    an unreachable cluster for minutes."""
    import socket

    hostport = address.split("://", 1)[-1]
    host, sep, port = hostport.rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", "local" and other forms Ray resolves itself
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
            pass
    except OSError as e:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {e} (is `ray start --head` running there?)") from None


def _connect(ray, address: Optional[str], timeout_s: float) -> None:
    """Connects this process to the cluster at ``address`` (``None``: ``$RAY_ADDRESS``, else a
    cluster running on this machine, else a new local one), unless already connected."""
    if ray.is_initialized():
        return
    target = address or os.environ.get("RAY_ADDRESS")
    if target:
        _reachable(target, timeout_s)
    try:
        ray.init(address=address, logging_level="ERROR", log_to_driver=False, configure_logging=False)
    except Exception as e:  # Ray raises ConnectionError, RuntimeError, TimeoutError, ...
        raise ClusterError(f"cannot reach the Ray cluster at {target or 'the default address'}: {e}") from e


def _payload(strategy: Strategy, data: Optional[Mapping[str, Any]], overrides: list) -> dict:
    """What every shard needs, shipped once: the source, the data files (relative paths) or
    frames, and the param overrides; ``key`` identifies it in the workers' caches."""
    native = strategy._native
    base = native.base_dir()
    files = {}
    h = hashlib.sha256(native.source().encode())
    for src in strategy.data_sources.values():
        if (data and src.name in data) or os.path.isabs(src.path) or src.path in files:
            continue
        with open(os.path.join(base, src.path), "rb") as f:
            files[src.path] = f.read()
        h.update(src.path.encode())
        h.update(files[src.path])
    if data:
        h.update(str(id(data)).encode())
    return {
        "key": h.hexdigest(),
        "source": native.source(),
        "file_name": native.file_name(),
        "name": strategy.name,
        "files": files,
        "data": dict(data) if data else None,
        "overrides": overrides,
    }


#: The folders a shard writes its data files into start with this, then the worker's pid.
_FOLDER_PREFIX = "strat-ray-"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is running on this node (a zombie, killed and not yet reaped,
    is not); a process of another user counts as alive. POSIX only: on Windows ``os.kill``
    would stop the process rather than probe it (:func:`_remove_orphans` does not call this
    there)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_orphans() -> None:
    """Removes the shard folders of this user's workers that died in a shard (a worker killed
    by the OS or by Ray leaves its folder behind): the ``strat-ray-<pid>-*`` folders in the
    temporary directory whose ``pid`` is no longer running. Not on Windows (no process probe
    there that cannot stop the process, nor ``os.getuid``): such folders are left."""
    if os.name == "nt":
        return
    tmp = tempfile.gettempdir()
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        if not name.startswith(_FOLDER_PREFIX):
            continue
        pid = name[len(_FOLDER_PREFIX):].split("-", 1)[0]
        path = os.path.join(tmp, name)
        try:
            owned = os.stat(path, follow_symlinks=False).st_uid == os.getuid()
        except OSError:
            continue
        if pid.isdigit() and owned and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _shard_strategy(payload: dict):
    """The program compiled in a Ray worker, with the payload's data files written into a new
    private folder (``strat-ray-<pid>-*`` in the temporary directory) that is removed when the
    shard ends, whether it returns or raises; the folders of workers that died in a shard are
    removed too. Yields ``(strategy, tables)``."""
    _remove_orphans()
    folder = tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-")
    try:
        for rel, content in payload["files"].items():
            path = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content)
        s = compile(payload["source"], base_dir=folder, data=payload["data"], name=payload["name"], file_name=payload["file_name"])
        yield s, _tables(payload["data"], s.data_sources)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _test_hooks(index: int, delay_s: float, pid_dir: Optional[str]) -> None:
    """For the tests, once a shard's folder is written: announces the worker's pid in
    ``pid_dir``, then sleeps ``delay_s`` (the window in which a test kills the worker)."""
    if pid_dir:
        with open(os.path.join(pid_dir, f"shard-{index}-{os.getpid()}-{time.time_ns()}"), "w") as f:
            f.write(str(os.getpid()))
    if delay_s:
        time.sleep(delay_s)


def _run_shard(payload: dict, index: int, count: int, delay_s: float, pid_dir: Optional[str]) -> tuple:
    """One shard, in a Ray worker: returns ``(index, part document text)``."""
    with _shard_strategy(payload) as (s, tables):
        _test_hooks(index, delay_s, pid_dir)
        return index, s._native.sweep(tables, payload["overrides"], False, (index, count), None)


def sweep(
    strategy: Union[str, os.PathLike, Strategy],
    num_shards: Optional[int] = None,
    params: Optional[Mapping[str, Any]] = None,
    data: Optional[Mapping[str, Any]] = None,
    address: Optional[str] = None,
    on_row: Optional[Callable[[dict], Any]] = None,
    max_retries: int = 3,
    connect_timeout_s: float = 30.0,
    _test_delay_s: float = 0.0,
    _test_pid_dir: Optional[str] = None,
):
    """Sweeps ``strategy`` (a ``.strat`` path or a compiled :class:`strat.Strategy`) on the Ray
    cluster at ``address`` and returns the DataFrame :meth:`strat.Strategy.sweep` returns on
    one machine, value for value (rows in grid order; ``params`` and ``data`` as there).

    ``num_shards``: Ray tasks (default: four per CPU of the cluster, at most one per binding).
    Each task runs one shard with all the threads of its worker. ``on_row`` is called on this
    thread with each row as its shard comes back (a dict: ``event`` = ``"binding"``,
    ``binding``, ``shard``, then the row as in ``strat sweep --json``). A task whose worker
    dies is re-run by Ray up to ``max_retries`` times. ``connect_timeout_s`` bounds the wait
    for an unreachable cluster.

    Raises :class:`ClusterError` (Ray missing, cluster unreachable), :class:`ShardError` (a
    shard failed on every try, or the rows do not make up the grid), and the errors of
    :meth:`strat.Strategy.sweep` (``CompileError``, ``DataError``, ``RunError``).
    """
    ray = _ray()
    s = strategy if isinstance(strategy, Strategy) else compile_file(os.fspath(strategy))
    overrides = s._overrides(params)
    total = s.grid_size(params)
    if num_shards is not None and (int(num_shards) != num_shards or num_shards < 1):
        raise ValueError(f"num_shards is a whole number >= 1, got {num_shards!r}")
    payload = _payload(s, data, overrides)
    _connect(ray, address, connect_timeout_s)
    if total == 0:
        return s.sweep(params=params, data=data, progress=False)
    if num_shards is None:
        cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
        num_shards = 4 * cpus
    n = int(min(num_shards, total))
    docs: dict = {}

    def arrived(i: int, text: str) -> None:
        doc = json.loads(text)
        docs[i] = doc
        if on_row is not None:
            for b, row in zip(doc["binding_ids"], doc["rows"]):
                on_row({"event": "binding", "binding": b, "shard": f"{i}/{n}", **row})

    _run_shards(ray, _run_shard, payload, n, max_retries, _test_delay_s, _test_pid_dir, arrived)
    return _assemble(docs, n, total)


def _run_shards(ray, fn, payload: dict, n: int, max_retries: int, delay_s: float, pid_dir: Optional[str],
                arrived: Callable[[int, Any], None]) -> None:
    """Runs ``fn(payload, i, n, ...)`` for the shards ``i`` = 1..``n`` as Ray tasks (the payload
    put in the object store once) and calls ``arrived(i, result)`` on this thread as each
    finishes; re-raises a shard's :class:`StratError`, raises :class:`ShardError` for a shard
    that failed on every try, and cancels the others on any error (or Ctrl-C)."""
    ref = ray.put(payload)
    task = ray.remote(max_retries=max_retries, num_cpus=1)(fn)
    pending = {task.remote(ref, i, n, delay_s, pid_dir): i for i in range(1, n + 1)}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for r in ready:
                i = pending.pop(r)
                try:
                    _, result = ray.get(r)
                except ray.exceptions.RayTaskError as e:
                    cause = getattr(e, "cause", None)
                    if isinstance(cause, StratError):
                        raise cause from None
                    raise ShardError(f"shard {i}/{n} failed: {e}") from e
                except ray.exceptions.RayError as e:
                    raise ShardError(f"shard {i}/{n} failed on every try ({max_retries + 1}): {e}") from e
                arrived(i, result)
    except BaseException:
        for r in pending:
            ray.cancel(r, force=True)
        raise


def _run_walk_forward_shard(payload: dict, index: int, count: int, delay_s: float, pid_dir: Optional[str]) -> tuple:
    """One walk-forward shard, in a Ray worker: returns ``(index, part bytes)``."""
    with _shard_strategy(payload) as (s, tables):
        _test_hooks(index, delay_s, pid_dir)
        return index, s._native.walk_forward_part(tables, (index, count))


def walk_forward(
    strategy: Union[str, os.PathLike, Strategy],
    train: str = "5y",
    test: str = "1y",
    by: str = "sharpe",
    anchored: bool = False,
    num_shards: Optional[int] = None,
    data: Optional[Mapping[str, Any]] = None,
    address: Optional[str] = None,
    max_retries: int = 3,
    connect_timeout_s: float = 30.0,
    _test_delay_s: float = 0.0,
    _test_pid_dir: Optional[str] = None,
) -> WalkForward:
    """Walk-forward of ``strategy`` (a ``.strat`` path or a compiled :class:`strat.Strategy`)
    with its bindings run on the Ray cluster at ``address``: each of ``num_shards`` tasks runs
    a shard and sends back its bindings' daily returns (the part of ``strat walk-forward
    --shard I/N``); the folds are then chosen here over every shard, so the result equals
    :meth:`strat.Strategy.walk_forward` on one machine (``train``, ``test``, ``by``,
    ``anchored`` and ``data`` as there). A walk-forward keeps every binding's returns, so the
    parts take about 16 bytes per bar and binding.

    Raises :class:`ClusterError`, :class:`ShardError` (a shard failed on every try, or the parts
    are not the whole of this study) and the errors of :meth:`strat.Strategy.walk_forward`.
    """
    ray = _ray()
    s = strategy if isinstance(strategy, Strategy) else compile_file(os.fspath(strategy))
    total = s.grid_size()
    if num_shards is not None and (int(num_shards) != num_shards or num_shards < 1):
        raise ValueError(f"num_shards is a whole number >= 1, got {num_shards!r}")
    payload = _payload(s, data, [])
    _connect(ray, address, connect_timeout_s)
    if total == 0:
        return s.walk_forward(train=train, test=test, by=by, anchored=anchored, progress=False, data=data)
    if num_shards is None:
        num_shards = 4 * (int(ray.cluster_resources().get("CPU", 1)) or 1)
    n = int(min(num_shards, total))
    parts: dict = {}
    _run_shards(ray, _run_walk_forward_shard, payload, n, max_retries, _test_delay_s, _test_pid_dir,
                lambda i, part: parts.__setitem__(i, part))
    tables = _tables(data, s.data_sources)
    try:
        text = s._native.walk_forward_merge(tables, [parts[i] for i in sorted(parts)], train, test, by, bool(anchored))
    except _strat.NativeError as e:
        if "shard" in str(e) or "study" in str(e):
            raise ShardError(str(e)) from None
        _raise(e)
    return WalkForward(text)


def _assemble(docs: dict, n: int, total: int):
    """The rows of the ``n`` shard documents in grid order, after checking they are one study
    and hold every binding exactly once."""
    fingerprints = {d["fingerprint"] for d in docs.values()}
    if len(fingerprints) != 1:
        raise ShardError(f"the shards ran on different programs, data or grids (fingerprints {sorted(fingerprints)}); "
                         "a data file named by an absolute path may differ between nodes")
    rows: list = [None] * total
    for i, d in sorted(docs.items()):
        if d["grid_bindings"] != total or d["shard"] != f"{i}/{n}":
            raise ShardError(f"shard {i}/{n} came back as {d['shard']} of {d['grid_bindings']} bindings")
        for b, row in zip(d["binding_ids"], d["rows"]):
            if rows[b] is not None:
                raise ShardError(f"binding {b} came back twice")
            rows[b] = row
    missing = [b for b, r in enumerate(rows) if r is None]
    if missing:
        raise ShardError(f"{len(missing)} binding(s) missing, first {missing[0]}; no partial table is returned")
    first = docs[min(docs)]
    return _sweep_frame({"strategy": first["strategy"], "rows": rows})
