"""Sweeps and walk-forwards on a real Ray cluster (issue 14): `strat.ray.sweep` and
`strat.ray.walk_forward` against the single-machine `Strategy.sweep` / `Strategy.walk_forward`,
a worker killed in the middle of a shard, an unreachable cluster.

The cluster is the one `scripts/ray-cluster.sh start` runs on 127.0.0.1 (a head node and a
second worker node), named by $STRAT_RAY_ADDRESS. Without it these tests are skipped, unless
$STRAT_REQUIRE_RAY=1 (scripts/test.sh sets it), which makes a missing cluster a failure.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pandas as pd
import pytest

import strat

from conftest import EXAMPLES, ROOT


@pytest.fixture(scope="module", autouse=True)
def disconnect_after_the_module():
    """Ray's driver threads stay in the process after `ray.init`; the later tests (the GIL
    test) run without them."""
    yield
    if "ray" in sys.modules:
        import ray

        if ray.is_initialized():
            ray.shutdown()


@pytest.fixture(scope="module")
def address() -> str:
    addr = os.environ.get("STRAT_RAY_ADDRESS")
    if not addr:
        if os.environ.get("STRAT_REQUIRE_RAY") == "1":
            pytest.fail("STRAT_REQUIRE_RAY=1 but STRAT_RAY_ADDRESS is not set: start the cluster with scripts/ray-cluster.sh start")
        pytest.skip("no Ray cluster: set STRAT_RAY_ADDRESS (scripts/ray-cluster.sh start prints it)")
    import ray  # noqa: F401  (ray must be installed when a cluster is given)

    return addr


def test_a_shard_is_its_rows_of_the_whole_sweep_and_streams_them():
    s = strat.compile_file(str(EXAMPLES / "tsmom_hedge.strat"))
    whole = s.sweep(progress=False)
    events = []
    part = s.sweep(progress=False, shard=(2, 3), on_row=events.append)
    assert list(part.index) == list(range(1, 82, 3))
    pd.testing.assert_frame_equal(part, whole.loc[part.index], check_exact=True)
    assert part.attrs["shard"] == "2/3" and part.attrs["grid_bindings"] == 82
    assert len(part.attrs["fingerprint"]) == 32
    assert sorted(e["binding"] for e in events) == list(part.index)
    assert sorted(e["done"] for e in events) == list(range(1, 28))
    for e in events:
        assert e["event"] == "binding" and e["total"] == 27
        assert e["metrics"]["sharpe"] == whole.loc[e["binding"], "sharpe"]
    with pytest.raises(ValueError, match="does not exist"):
        s.sweep(progress=False, shard=(0, 2))
    with pytest.raises(ValueError, match="whole numbers"):
        s.sweep(progress=False, shard="a/b")


def test_an_exception_in_on_row_stops_the_sweep_and_propagates():
    s = strat.compile_file(str(EXAMPLES / "tsmom_hedge.strat"))

    def boom(_event):
        raise RuntimeError("dashboard went away")

    with pytest.raises(RuntimeError, match="dashboard went away"):
        s.sweep(progress=False, on_row=boom)


def test_ray_sweep_equals_the_single_machine_sweep(address):
    import strat.ray

    path = EXAMPLES / "regime_ensemble.strat"
    whole = strat.compile_file(str(path)).sweep(progress=False)
    events = []
    df = strat.ray.sweep(str(path), num_shards=7, address=address, on_row=events.append)
    pd.testing.assert_frame_equal(df, whole, check_exact=True)
    import ray

    assert sum(1 for n in ray.nodes() if n["Alive"]) >= 2, "the cluster has a head and a worker node"
    assert sorted(e["binding"] for e in events) == list(range(len(whole)))
    assert {e["shard"] for e in events} == {f"{i}/7" for i in range(1, 8)}
    # A compiled strategy with param overrides and in-memory data travels the same way.
    s = strat.compile_file(str(EXAMPLES / "tsmom_hedge.strat"))
    data = {"px": pd.read_csv(EXAMPLES / "data" / "crypto_close.csv", parse_dates=["date"])}
    params = {"lookback": [30, 60], "mode": ["long_only", "hedge"]}
    local = s.sweep(progress=False, params=params, data=data)
    remote = strat.ray.sweep(s, num_shards=3, params=params, data=data, address=address)
    pd.testing.assert_frame_equal(remote, local, check_exact=True)


def test_walk_forward_parts_merge_into_the_single_machine_walk_forward():
    # The mechanism under strat.ray.walk_forward, without a cluster: each shard's part (the
    # bytes `strat walk-forward --shard I/N --out PART.parquet` writes), then the folds chosen
    # over every part, in any order.
    s = strat.compile_file(str(EXAMPLES / "regime_ensemble.strat"))
    whole = s.walk_forward(train="4y", test="2y", by="sortino", progress=False)
    parts = [s._native.walk_forward_part([], (i, 3)) for i in (1, 2, 3)]
    assert all(isinstance(p, bytes) and p[:4] == b"PAR1" for p in parts)
    merged = strat.WalkForward(s._native.walk_forward_merge([], parts[::-1], "4y", "2y", "sortino", False))
    assert merged.json == whole.json
    with pytest.raises(Exception, match="missing"):
        s._native.walk_forward_merge([], parts[:2], "4y", "2y", "sortino", False)
    other = strat.compile_file(str(EXAMPLES / "tsmom_hedge.strat"))
    with pytest.raises(Exception, match="another study"):
        other._native.walk_forward_merge([], parts, "4y", "2y", "sortino", False)


def test_ray_walk_forward_equals_the_single_machine_walk_forward(address):
    import strat.ray

    path = EXAMPLES / "regime_ensemble.strat"
    local = strat.compile_file(str(path)).walk_forward(progress=False)
    wf = strat.ray.walk_forward(str(path), num_shards=5, address=address)
    assert wf.json == local.json
    assert len(wf.json["folds"]) > 0
    # Months, a metric other than Sharpe, anchored, in-memory data.
    s = strat.compile_file(str(EXAMPLES / "tsmom_hedge.strat"))
    data = {"px": pd.read_csv(EXAMPLES / "data" / "crypto_close.csv", parse_dates=["date"])}
    kw = dict(train="36m", test="6m", by="calmar", anchored=True, data=data)
    assert strat.ray.walk_forward(s, num_shards=3, address=address, **kw).json == s.walk_forward(progress=False, **kw).json


def _shard_folders(tmp: str) -> set:
    return {n for n in os.listdir(tmp) if n.startswith("strat-ray-")}


@pytest.mark.parametrize("study", ["sweep", "walk_forward"])
def test_ray_survives_a_worker_killed_mid_shard(address, tmp_path, study):
    import ray
    import strat.ray

    path = EXAMPLES / "tsmom_hedge.strat"
    s = strat.compile_file(str(path))
    whole = s.sweep(progress=False) if study == "sweep" else s.walk_forward(progress=False)
    killed = []
    # The workers' temporary directory (both nodes run on this machine), where each shard
    # writes its data files.
    strat.ray._connect(ray, address, 30.0)
    tmp = ray.get(ray.remote(lambda: tempfile.gettempdir()).remote())
    before = _shard_folders(tmp)

    def killer():
        # The first shard to start announces its worker's pid, then sleeps 4 s before it
        # computes: kill that worker while the shard is running, its folder written.
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            files = sorted(tmp_path.iterdir())
            if files:
                time.sleep(1.0)
                pid = int(files[0].read_text())
                folders = {n for n in _shard_folders(tmp) if n.startswith(f"strat-ray-{pid}-")}
                os.kill(pid, signal.SIGKILL)
                killed.append((files[0].name, pid, folders))
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    run = getattr(strat.ray, study)
    result = run(str(path), num_shards=4, address=address, _test_delay_s=4.0, _test_pid_dir=str(tmp_path))
    t.join(timeout=5)
    assert killed, "the killer never saw a shard start"
    started = sorted(p.name for p in tmp_path.iterdir())
    shard_of_killed = killed[0][0].split("-")[1]
    assert sum(1 for n in started if n.split("-")[1] == shard_of_killed) >= 2, f"the killed shard was not re-run: {started}"
    if study == "sweep":
        pd.testing.assert_frame_equal(result, whole, check_exact=True)
    else:
        assert result.json == whole.json
    # The killed worker had written its shard's folder; the re-run shard removed it, and the
    # shards that finished removed their own: nothing is left in the temporary directory.
    assert len(killed[0][2]) == 1, f"the killed worker's shard folder was not found in {tmp}: {killed}"
    assert _shard_folders(tmp) - before == set()


def test_orphan_shard_folders_of_dead_workers_are_removed(tmp_path, monkeypatch):
    import strat.ray

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for name in (f"strat-ray-{dead.pid}-a", f"strat-ray-{live.pid}-b", f"strat-ray-{os.getpid()}-c", "strat-ray-xyz", "other"):
            (tmp_path / name).mkdir()
            (tmp_path / name / "px.csv").write_text("date,x\n")
        strat.ray._remove_orphans()
        left = sorted(p.name for p in tmp_path.iterdir())
        assert left == sorted(["other", "strat-ray-xyz", f"strat-ray-{live.pid}-b", f"strat-ray-{os.getpid()}-c"])
        # A killed process that its parent has not reaped yet (a zombie) is dead too.
        live.kill()
        time.sleep(0.5)
        assert not strat.ray._alive(live.pid)
        strat.ray._remove_orphans()
        assert not (tmp_path / f"strat-ray-{live.pid}-b").exists()
    finally:
        live.kill()
        live.wait()
    shutil.rmtree(tmp_path / f"strat-ray-{os.getpid()}-c")

    # A shard's folder exists while it runs and is gone once it returns or raises.
    payload = strat.ray._payload(strat.compile_file(str(EXAMPLES / "tsmom_hedge.strat")), None, [])
    with strat.ray._shard_strategy(payload) as (s, _tables):
        inside = [p.name for p in tmp_path.iterdir() if p.name.startswith(f"strat-ray-{os.getpid()}-")]
        assert len(inside) == 1 and (tmp_path / inside[0] / "data" / "crypto_close.csv").is_file()
    assert not (tmp_path / inside[0]).exists()
    with pytest.raises(RuntimeError):
        with strat.ray._shard_strategy(payload):
            raise RuntimeError("a shard fails")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(f"strat-ray-{os.getpid()}-")] == []


def test_an_unreachable_cluster_is_a_clear_error_not_a_hang():
    pytest.importorskip("ray")
    code = (
        "import strat.ray, sys\n"
        "try:\n"
        f"    strat.ray.sweep({str(EXAMPLES / 'tsmom_hedge.strat')!r}, address='127.0.0.1:9', connect_timeout_s=5)\n"
        "except strat.ray.ClusterError as e:\n"
        "    print('ClusterError:', e); sys.exit(3)\n"
    )
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 3, r.stdout + r.stderr
    assert "cannot reach the Ray cluster at 127.0.0.1:9" in r.stdout
    assert time.time() - t0 < 60
