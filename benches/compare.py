#!/usr/bin/env python3
"""Compare `strat sweep --json` with a baseline's CSV, binding by binding.

    compare.py STRAT_JSON BASELINE_CSV [TOL]

The baseline's CSV columns are the swept params (named as in the .strat file), `bars`, then
metric columns: any of strat's per-binding figures (the `metrics` keys, `avg_turnover`,
`information_ratio`) and `report.NAME` for a `report NAME = ...` mean (strat's `reports`).
Every metric column present in the CSV is compared (a six-metric CSV compares six); the other
columns are the params. A binding is matched on its param values (for the TSMOM baselines,
`mode` plus the hedge params when mode == hedge). Prints the largest difference per compared
column and every binding that differs by more than TOL (default 1e-9, absolute, or relative to
|value| when |value| > 1); equal values (including both NaN, or the same infinity) agree.
Exits 1 if any binding differs, or if the binding sets differ.
"""
import csv, json, math, sys

# strat's per-binding figures, in its order: the `metrics` object, then the top-level measures.
METRICS = ["total_return", "cagr", "ann_vol", "sharpe", "sortino", "max_drawdown", "calmar",
           "var_95", "cvar_95", "omega", "avg_exposure"]
TOP_LEVEL = ["avg_turnover", "information_ratio"]
REPORT = "report."


def key(params, names):
    out = []
    for n in names:
        v = params[n]
        out.append(v if isinstance(v, str) else repr(float(v)))
    return tuple(out)


def is_measure(c):
    return c in METRICS or c in TOP_LEVEL or c.startswith(REPORT)


def strat_value(row, c):
    if c in METRICS:
        v = row["metrics"][c]
    elif c in TOP_LEVEL:
        v = row.get(c)
    else:
        v = row.get("reports", {}).get(c[len(REPORT):])
    return float("nan") if v is None else float(v)  # null = NaN; "inf" / "-inf" parse as floats


def main():
    sj, bc = sys.argv[1], sys.argv[2]
    tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
    doc = json.load(open(sj))
    rows = list(csv.DictReader(open(bc)))
    cols = list(rows[0].keys())
    names = [c for c in cols if not is_measure(c) and c != "bars"]
    compared = [c for c in cols if is_measure(c)]

    def norm(params):
        p = dict(params)
        if "mode" in p and p["mode"] != "hedge":  # thr/strength don't apply outside hedge mode
            for n in names:
                if n != "mode":
                    p[n] = "-"
        return key(p, names)

    base = {}
    for r in rows:
        p = {n: (r[n] if n == "mode" else float(r[n])) for n in names}
        base[norm(p)] = r
    strat = {norm(b["params"]): b for b in doc["rows"]}
    ok = True
    if set(base) != set(strat):
        ok = False
        print(f"binding sets differ: {len(set(base) - set(strat))} only in the baseline, "
              f"{len(set(strat) - set(base))} only in strat")
    worst = {m: (0.0, None) for m in compared}
    bad = []
    for k in sorted(set(base) & set(strat)):
        b, s = base[k], strat[k]
        if int(b["bars"]) != s["bars"]:
            bad.append((k, "bars", int(b["bars"]), s["bars"], float("inf")))
        for m in compared:
            bv = float(b[m])
            sv = strat_value(s, m)
            if bv == sv or (math.isnan(bv) and math.isnan(sv)):
                continue
            d = abs(bv - sv) / max(1.0, abs(bv))
            if math.isnan(d):
                d = float("inf")
            if d > worst[m][0]:
                worst[m] = (d, k)
            if d > tol:
                bad.append((k, m, bv, sv, d))
    n = len(set(base) & set(strat))
    print(f"{n} bindings compared ({', '.join(names)}) on {len(compared)} columns; largest "
          f"difference per column (abs, or rel. when |x| > 1):")
    print("  " + "  ".join(f"{m} {worst[m][0]:.2e}" for m in compared))
    if bad:
        ok = False
        print(f"{len(bad)} values differ by more than {tol:g}:")
        for k, m, bv, sv, d in bad[:40]:
            print(f"  {dict(zip(names, k))} {m}: baseline {bv!r} strat {sv!r} (diff {d:.3g})")
    print("AGREE" if ok else "DISAGREE")
    sys.exit(0 if ok else 1)


main()
