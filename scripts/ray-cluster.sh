#!/usr/bin/env bash
# A local two-node Ray cluster on 127.0.0.1 for the tests of strat.ray (python/tests/test_ray.py):
#   scripts/ray-cluster.sh start   # head node + a second worker node; prints the address
#   scripts/ray-cluster.sh stop
# It uses the `ray` of $STRAT_VENV (default target/ci-venv), the Python the tests run, so that
# its workers import the same `strat` module. On a real cluster the commands are the same with
# the machines' addresses: `ray start --head --port=6379` on one, `ray start --address=HEAD:6379`
# on the others (README.md, "Running on a cluster").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${STRAT_VENV:-$PWD/target/ci-venv}"
RAY="$VENV/bin/ray"
PORT="${STRAT_RAY_PORT:-6390}"
# Small object stores: the shards' payload is the program and its data files (a few MB).
STORE=200000000

case "${1:-}" in
start)
    "$RAY" stop --force >/dev/null 2>&1 || true
    "$RAY" start --head --node-ip-address=127.0.0.1 --port="$PORT" --num-cpus=1 \
        --include-dashboard=false --disable-usage-stats --object-store-memory="$STORE" >/dev/null
    "$RAY" start --address="127.0.0.1:$PORT" --node-ip-address=127.0.0.1 --num-cpus=1 \
        --disable-usage-stats --object-store-memory="$STORE" >/dev/null
    echo "127.0.0.1:$PORT"
    ;;
stop)
    "$RAY" stop --force >/dev/null 2>&1 || true
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
