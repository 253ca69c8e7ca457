#!/bin/sh
# Seeds the working corpora of the cargo-fuzz targets from the bundled examples and the golden
# diagnostics files (the corpora themselves are not committed: see .gitignore). Run from anywhere;
# existing corpus files are kept. The generator-driven targets (`lower` in generator mode,
# `jit_vs_reference`) need no seeds: any bytes are a program.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
for t in parse check lower; do
    mkdir -p "$here/corpus/$t"
done
for f in "$root"/examples/*.strat "$root"/tests/diagnostics/*.strat; do
    name=$(basename "$f" .strat)
    cp "$f" "$here/corpus/parse/$name"
    cp "$f" "$here/corpus/check/$name"
    # `lower` reads an odd first byte as "the rest is source text".
    { printf '1'; cat "$f"; } > "$here/corpus/lower/$name"
done
mkdir -p "$here/corpus/jit_vs_reference"
echo "seeded $(ls "$here/corpus/parse" | wc -l) sources into fuzz/corpus/{parse,check,lower}"
