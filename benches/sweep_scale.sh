#!/usr/bin/env bash
# The TSMOM hedge study (examples/tsmom_hedge.strat) on grids of about 10^3 .. 10^6 bindings,
# for the "Sweeps at scale" figures of benches/README.md:
#   bash benches/sweep_scale.sh 3     # writes $TMPDIR/strat-scale-3.strat and prints its path
# The grid is the hedge's threshold x strength (plus the two baselines, long_only and full),
# so every binding shares the momentum and volatility columns and differs in its short side:
#   10^3 = 10 x 100, 10^4 = 100 x 100, 10^5 = 100 x 1000, 10^6 = 1000 x 1000 hedge bindings.
# Time one with farm-bench, e.g.
#   farm-bench -n 3 --timeout 1200 -- target/release/strat sweep "$(bash benches/sweep_scale.sh 5)" --quiet --top 20
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
k="${1:?usage: sweep_scale.sh K (about 10^K bindings, K = 3..6)}"
# Ranges, not lists: a list literal of 1000 values trips the parser's nesting limit (a note on
# issue 18).
case "$k" in
3) thresholds="-0.30 ..= -0.03 step 0.03"; strengths="0.01 ..= 1.0 step 0.01" ;;
4) thresholds="-0.30 ..= -0.003 step 0.003"; strengths="0.01 ..= 1.0 step 0.01" ;;
5) thresholds="-0.30 ..= -0.003 step 0.003"; strengths="0.001 ..= 1.0 step 0.001" ;;
6) thresholds="-1.0 ..= -0.001 step 0.001"; strengths="0.001 ..= 1.0 step 0.001" ;;
*) echo "K is 3, 4, 5 or 6" >&2; exit 2 ;;
esac
out="${TMPDIR:-/tmp}/strat-scale-$k.strat"
data="$PWD/examples/data/crypto_close.csv"
sed -e "s|\"data/crypto_close.csv\"|\"$data\"|" \
    -e "s|^param hedge_threshold in \[[^]]*\]|param hedge_threshold in $thresholds|" \
    -e "s|^param hedge_strength  in [^w]*when|param hedge_strength in $strengths when|" \
    examples/tsmom_hedge.strat >"$out"
echo "$out"
