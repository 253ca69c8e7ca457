"""Shared fixtures: the repository's paths and the `strat` command-line tool the results are
compared with (built by `cargo test`/`cargo build` into target/debug, or $STRAT_BIN)."""

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
DATA = EXAMPLES / "data"


def strat_bin() -> pathlib.Path:
    env = os.environ.get("STRAT_BIN")
    if env:
        return pathlib.Path(env)
    for profile in ("debug", "release"):
        p = ROOT / "target" / profile / "strat"
        if p.exists():
            return p
    pytest.fail("the strat binary is not built: run `cargo build` first or set STRAT_BIN")


def cli_json(*args: str) -> dict:
    """What `strat ARGS --json` prints, parsed."""
    out = subprocess.run([str(strat_bin()), *args, "--json"], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT
