#!/usr/bin/env bash
# The test command of README.md: every test of the project.
#   1. a virtualenv (target/ci-venv, or $STRAT_VENV) with python/requirements-test.txt: pandas for
#      the point-in-time reference (tests/reference/qm_ref.py), maturin, pytest and polars;
#   2. `cargo test -j2`: the Rust crates, the CLI end to end, and the C library's test program
#      (capi/tests), all in target/debug;
#   3. the Python module built into the virtualenv with `maturin develop` (the same dev profile,
#      target dir and dependency features as step 2, so only the extension crate and pyo3 are
#      compiled again) and
#      its pytest suite (python/tests), which compares it with the CLI built in step 2;
#   4. for strat.ray's tests, a local two-node Ray cluster on 127.0.0.1 (scripts/ray-cluster.sh),
#      started after the module is installed (so its workers import it) and stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${STRAT_VENV:-$PWD/target/ci-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r python/requirements-test.txt
export PYTHON="$VENV/bin/python"
"$PYTHON" -c 'import pandas, polars; print("pandas", pandas.__version__, "polars", polars.__version__)'

echo "== cargo test -j2"
# The browser test of the tear sheet must run, not skip (.ci/run installs chromium).
STRAT_REQUIRE_CHROMIUM="${STRAT_REQUIRE_CHROMIUM:-1}" cargo test -j2

echo "== maturin develop (python/)"
maturin_log="$(mktemp)"
(cd python && VIRTUAL_ENV="$VENV" PATH="$VENV/bin:$PATH" maturin develop) 2>&1 | tee "$maturin_log"
# The module's build shares step 2's artifacts only while both builds resolve the same features
# for every shared crate (Cargo.toml: rand_chacha, rustix, similar, the syn build-dependency).
if grep -q 'Compiling polars-core' "$maturin_log"; then
    echo "warning: maturin develop compiled polars again: python/ alone resolves other features than cargo test (compare cargo tree -e features -p strat-python with the workspace's)" >&2
fi
rm -f "$maturin_log"

echo "== Ray cluster (head + worker node on 127.0.0.1)"
export STRAT_VENV="$VENV"
trap 'bash scripts/ray-cluster.sh stop' EXIT
STRAT_RAY_ADDRESS="$(bash scripts/ray-cluster.sh start)"
export STRAT_RAY_ADDRESS STRAT_REQUIRE_RAY=1
"$PYTHON" -c 'import os, ray; ray.init(address=os.environ["STRAT_RAY_ADDRESS"], logging_level="ERROR"); print(sum(1 for n in ray.nodes() if n["Alive"]), "nodes alive,", ray.cluster_resources().get("CPU"), "CPUs")' 2>/dev/null || true

echo "== pytest python/tests"
STRAT_BIN="$PWD/target/debug/strat" "$PYTHON" -m pytest -q python/tests
