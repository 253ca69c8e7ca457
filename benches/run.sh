#!/usr/bin/env bash
# Whole-process benchmark of `strat sweep` against hand-written plain-Rust baselines.
#
#   benches/run.sh                 # build the baselines, check agreement, time, report
#   RUNS=30 benches/run.sh         # more timed runs per command (default 20)
#   STRAT=path/to/strat benches/run.sh
#   NO_HYPERFINE=1 benches/run.sh  # time with a shell loop even if hyperfine is installed
#   BENCH_PHASES=0 benches/run.sh  # skip the in-process phase breakdown (`strat bench`)
#   MEM_SCAN=0 benches/run.sh      # skip the memory scan over 82 / 802 / 8,002 bindings (~30 s)
#
# Needs: rustc (the baselines are single files compiled with `rustc -O`, no Cargo), a release
# build of strat (`cargo build --release -j2`), GNU time at /usr/bin/time (peak RSS), and
# optionally hyperfine (timing; else a shell loop) and python3 (the agreement check; else skipped).
# Writes only under target/bench-baselines/ and a temporary directory; never into examples/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
STRAT=${STRAT:-$ROOT/target/release/strat}
OUT=$ROOT/target/bench-baselines
RUNS=${RUNS:-20}
WARMUP=${WARMUP:-3}
RSS_RUNS=${RSS_RUNS:-5}
COINS=btc,eth,bnb,xrp,ada,doge,ltc,link

mkdir -p "$OUT"
echo "== building baselines (rustc -O) into target/bench-baselines/" >&2
for src in benches/baselines/tsmom.rs benches/baselines/ensemble.rs benches/baselines/vix_guard.rs benches/tools/tile.rs; do
    rustc -O --edition 2021 -o "$OUT/$(basename "$src" .rs)" "$src"
done

if ! "$STRAT" sweep --help >/dev/null 2>&1; then
    echo "error: $STRAT has no 'sweep' command; build it first: cargo build --release -j2" >&2
    exit 1
fi
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/strat-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# Scaling variants, in the temp dir. Data paths become absolute.
DATA=$ROOT/examples/data
"$OUT/tile" "$DATA/crypto_close.csv" 2017-11-09 10 "$COINS" > "$TMP/crypto_close_x10.csv"
sed "s#csv(\"data/crypto_close.csv\"#csv(\"$TMP/crypto_close_x10.csv\"#" \
    examples/tsmom_hedge.strat > "$TMP/tsmom_bars_x10.strat"
sed -e "s#csv(\"data/crypto_close.csv\"#csv(\"$DATA/crypto_close.csv\"#" \
    -e 's#0\.1 \.\.= 1\.0 step 0\.1#0.01 ..= 1.0 step 0.01#' \
    examples/tsmom_hedge.strat > "$TMP/tsmom_bindings_x10.strat"
grep -q '0.01 ..= 1.0 step 0.01' "$TMP/tsmom_bindings_x10.strat" \
    || { echo "error: could not widen the hedge_strength grid of tsmom_hedge.strat" >&2; exit 1; }
grep -q "$TMP/crypto_close_x10.csv" "$TMP/tsmom_bars_x10.strat" \
    || { echo "error: could not point tsmom_hedge.strat at the tiled data" >&2; exit 1; }

# name | label | .strat file | baseline command
# vix_grid's and ensemble's baselines compute six metrics per binding; the *_full ones (METRICS =
# full) compute all that `strat sweep --json` reports per binding, so their agreement check
# covers them all.
CASES=(
    "tsmom|TSMOM hedge (2,652 bars x 8, 82 bindings)|examples/tsmom_hedge.strat|$OUT/tsmom"
    "ensemble|Regime ensemble (6,084 bars x 55, 729 bindings)|examples/regime_ensemble.strat|$OUT/ensemble"
    "ensemble_full|Regime ensemble, every figure (729 bindings; 11 metrics + turnover and exposure of the netted per-asset weights + IR + reports)|examples/regime_ensemble.strat|$OUT/ensemble $DATA full"
    "tsmom_bars_x10|TSMOM, 10x bars (26,520 bars x 8, 82 bindings)|$TMP/tsmom_bars_x10.strat|$OUT/tsmom $TMP/crypto_close_x10.csv"
    "tsmom_bindings_x10|TSMOM, 10x bindings (2,652 bars x 8, 802 bindings)|$TMP/tsmom_bindings_x10.strat|$OUT/tsmom $DATA/crypto_close.csv 100"
    "vix_grid|VIX guard window x threshold (9,172 bars, 7,200 bindings; running-sum baseline)|benches/vix_guard_grid.strat|$OUT/vix_guard $DATA/spx_vix.csv running"
    "vix_grid_full|VIX guard window x threshold, every figure (9,172 bars, 7,200 bindings; running-sum baseline, 11 metrics + turnover + IR + report)|benches/vix_guard_grid.strat|$OUT/vix_guard $DATA/spx_vix.csv running full"
)

# mean_ms stddev_ms min_ms of a whole-process command (output discarded).
time_cmd() {
    local name=$1; shift
    if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null; then
        hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
            --export-csv "$TMP/$name.hf.csv" "$*" >/dev/null 2>&1
        awk -F, 'NR == 2 { printf "%.1f %.1f %.1f\n", $2 * 1000, $3 * 1000, $7 * 1000 }' "$TMP/$name.hf.csv"
    else
        local i t0 t1
        for ((i = 0; i < WARMUP; i++)); do "$@" >/dev/null; done
        for ((i = 0; i < RUNS; i++)); do
            t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
            echo $(((t1 - t0) / 1000))
        done | awk 'NR == 1 || $1 < lo { lo = $1 } { s += $1; q += $1 * $1; n++ }
            END { m = s / n; v = (q - n * m * m) / (n - 1); if (v < 0) v = 0;
                  printf "%.1f %.1f %.1f\n", m / 1000, sqrt(v) / 1000, lo / 1000 }'
    fi
}

# Largest peak RSS (MiB) of RSS_RUNS runs, from GNU time's "Maximum resident set size".
rss_cmd() {
    local i
    for ((i = 0; i < RSS_RUNS; i++)); do
        /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { print $2 }'
    done | sort -n | tail -1 | awk '{ printf "%.1f\n", $1 / 1024 }'
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ), load $LOAD0" >&2
declare -A T_MS TMIN RSS
ROWS=()
STATUS=0
for c in "${CASES[@]}"; do
    IFS='|' read -r name label file base <<<"$c"
    echo "== $name" >&2
    # Agreement: the baseline's figures against strat's, binding by binding.
    # shellcheck disable=SC2086
    $base > "$TMP/$name.base.csv"
    "$STRAT" sweep "$file" --quiet --json > "$TMP/$name.strat.json"
    if command -v python3 >/dev/null; then
        if python3 benches/compare.py "$TMP/$name.strat.json" "$TMP/$name.base.csv" 1e-9 > "$TMP/$name.cmp" 2>&1; then
            agree="yes ($(sed -n 's/^\([0-9]*\) bindings compared.*/\1/p' "$TMP/$name.cmp") bindings)"
        else
            agree="NO"; STATUS=1
        fi
        sed 's/^/   /' "$TMP/$name.cmp" >&2
    else
        agree="not checked (no python3)"
    fi
    # shellcheck disable=SC2086
    read -r bm bs bl < <(time_cmd "$name.base" $base)
    read -r sm ss sl < <(time_cmd "$name.strat" "$STRAT" sweep "$file" --quiet --json)
    # shellcheck disable=SC2086
    br=$(rss_cmd $base)
    sr=$(rss_cmd "$STRAT" sweep "$file" --quiet --json)
    ratio=$(awk -v a="$sm" -v b="$bm" 'BEGIN { printf "%.1f", a / b }')
    rmin=$(awk -v a="$sl" -v b="$bl" 'BEGIN { printf "%.1f", a / b }')
    T_MS[$name]=$sm; TMIN[$name]=$sl; RSS[$name]=$sr
    ROWS+=("| $label | $bm ± $bs ($bl) | $sm ± $ss ($sl) | **${ratio}x** (${rmin}x) | $br | $sr | $agree |")
done

echo
echo "Whole processes, mean ± sd (min) in ms of $RUNS runs after $WARMUP warm-ups ($([ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null && echo hyperfine -N || echo shell loop));"
echo "peak RSS = largest of $RSS_RUNS runs (/usr/bin/time -v). strat = \`strat sweep FILE --quiet --json > /dev/null\`;"
echo "ratio = strat / baseline measured in the same run, of the means (of the minima)."
echo "$(nproc) cores; load average before: $LOAD0, after: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "strat: $STRAT (binary built $(date -u -r "$STRAT" +%Y-%m-%dT%H:%MZ))."
echo
echo "| study | baseline ms | strat sweep ms | ratio | baseline peak RSS MiB | strat peak RSS MiB | agree to 1e-9 |"
echo "|---|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Scaling of \`strat sweep\` (TSMOM hedge study = 1x):"
echo
echo "| variant | mean ms | vs 1x | min ms | vs 1x | peak RSS MiB | vs 1x |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for n in tsmom tsmom_bars_x10 tsmom_bindings_x10; do
    awk -v n="$n" -v t="${T_MS[$n]}" -v t1="${T_MS[tsmom]}" -v m="${TMIN[$n]}" -v m1="${TMIN[tsmom]}" \
        -v r="${RSS[$n]}" -v r1="${RSS[tsmom]}" \
        'BEGIN { printf "| %s | %s | %.1fx | %s | %.1fx | %s | %.2fx |\n", n, t, t / t1, m, m / m1, r, r / r1 }'
done
if [ "${MEM_SCAN:-1}" != 0 ]; then
    # Peak RSS as bindings grow 1x / 10x / 100x, with the JSON document and with the table output,
    # to separate the sweep itself from the size of what it prints.
    echo
    echo "Peak RSS (MiB, largest of $RSS_RUNS runs) of \`strat sweep\` on the TSMOM study as bindings grow:"
    echo
    echo "| hedge_strength step | bindings | with --json | with the table (--top 10) | wall s (table) |"
    echo "|---|---:|---:|---:|---:|"
    for st in 0.1 0.01 0.001; do
        f=$TMP/tsmom_step_$st.strat
        sed -e "s#csv(\"data/crypto_close.csv\"#csv(\"$DATA/crypto_close.csv\"#" \
            -e "s#0\.1 \.\.= 1\.0 step 0\.1#$st ..= 1.0 step $st#" examples/tsmom_hedge.strat > "$f"
        nb=$("$STRAT" sweep "$f" --quiet --json | sed -n 's/.*"bindings":\([0-9]*\).*/\1/p' | head -1)
        rj=$(rss_cmd "$STRAT" sweep "$f" --quiet --json)
        rt=$(rss_cmd "$STRAT" sweep "$f" --quiet --top 10)
        t0=$(date +%s%N); "$STRAT" sweep "$f" --quiet --top 10 >/dev/null; t1=$(date +%s%N)
        echo "| $st | $nb | $rj | $rt | $(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f", d / 1e9 }') |"
    done
fi

if [ "${BENCH_PHASES:-1}" != 0 ]; then
    echo
    echo "In-process phases (\`strat bench FILE --iterations 20\`: one binding, for orientation):"
    echo
    echo '```'
    for f in examples/tsmom_hedge.strat examples/regime_ensemble.strat; do
        "$STRAT" bench "$f" --iterations 20 || echo "(strat bench failed on $f)"
    done
    echo '```'
fi
exit $STATUS
