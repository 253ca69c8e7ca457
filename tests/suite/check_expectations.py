#!/usr/bin/env python3
"""Re-evaluates the `# py:` expressions of the language suite against the files' CSVs.

Every `//~ SERIES|VALUE|METRIC ... = VALUE ... # py: EXPR` line of a `tests/suite/**/*.strat`
file is checked: EXPR, a pandas/numpy expression, must give VALUE within the line's tolerance
(1e-12 relative, absolute below 1 in magnitude, or `tol X`). This is independent of Strat: it
reads only the CSV files and the expression.

The namespace of a file's expressions: `np`, `pd`, the helpers of `suite_ref.py` (an independent
mini-backtester: `book`, `sharpe`, `max_drawdown`, ...), one DataFrame per `data NAME = csv("F")` /
`universe NAME = csv("F"[, [A, ...]])` of the file (indexed by date, so `mkt.x['2020-01-03']` is
a value), and the names bound by the file's `// py> STATEMENT` lines, executed in order first
(helpers such as `// py> r = mkt.x.pct_change()`). A panel of a long `panel NAME = csv("F")`
file is not loaded; such values are computed by hand.

    check_expectations.py [--fill] [FILE ...]

`--fill` writes the value of EXPR into lines whose VALUE is `?` (computed by pandas, never by
Strat). Exit status 1 if any expression disagrees or fails.
"""

import math
import os
import re
import sys

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import suite_ref  # noqa: E402 - the suite's independent mini-backtester
SOURCE = re.compile(r'^\s*(data|universe)\s+(\w+)\s*=\s*csv\("([^"]+)"(?:\s*,\s*\[([^\]]*)\])?\)')
EXPECT = re.compile(r'//~ (SERIES|VALUE|METRIC) ([^=]+)= (\S+)(.*?) # py: (.*)$')


def fmt(v):
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def parse(text):
    special = {"NaN": math.nan, "inf": math.inf, "-inf": -math.inf, "true": 1.0, "false": 0.0}
    return special[text] if text in special else float(text)


def close(want, got, tol):
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if math.isinf(want) or math.isinf(got):
        return want == got
    return abs(want - got) <= tol * max(abs(want), 1.0)


def namespace(path, lines):
    ns = {"np": np, "pd": pd}
    ns.update({k: getattr(suite_ref, k) for k in dir(suite_ref) if not k.startswith("_")})
    base = os.path.dirname(path)
    for line in lines:
        m = SOURCE.match(line)
        if m:
            df = pd.read_csv(os.path.join(base, m.group(3)), parse_dates=["date"], index_col="date")
            if m.group(4):
                df = df[[a.strip() for a in m.group(4).split(",") if a.strip()]]
            ns[m.group(2)] = df
    for line in lines:
        s = line.strip()
        if s.startswith("// py> "):
            exec(s[len("// py> "):], ns)
    return ns


def check(path, fill):
    with open(path) as f:
        lines = f.read().split("\n")
    ns = namespace(path, lines)
    bad, n, changed = 0, 0, False
    for i, line in enumerate(lines):
        m = EXPECT.search(line)
        if not m:
            continue
        kind, target, text, rest, expr = m.groups()
        try:
            got = eval(expr, ns)
        except Exception as e:  # noqa: BLE001 - report any failure of the expression
            print(f"{path}:{i + 1}: `{expr}` fails: {e!r}")
            bad += 1
            continue
        n += 1
        if text == "?":
            if fill:
                lines[i] = line.replace(f"= ? ", f"= {fmt(got)} ", 1)
                changed = True
            else:
                print(f"{path}:{i + 1}: no expected value (`?`): run with --fill")
                bad += 1
            continue
        tol = 1e-12
        t = re.search(r"\btol (\S+)", rest)
        if t:
            tol = float(t.group(1))
        if not close(parse(text), float(got), tol):
            print(f"{path}:{i + 1}: {kind} {target.strip()}: the file says {text}, pandas gives {fmt(got)}")
            bad += 1
    if changed:
        with open(path, "w") as f:
            f.write("\n".join(lines))
    return bad, n


def main(argv):
    fill = "--fill" in argv
    files = [a for a in argv if not a.startswith("--")]
    if not files:
        for d, _, fs in sorted(os.walk(HERE)):
            files += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".strat")]
    bad = total = 0
    for f in files:
        b, n = check(f, fill)
        bad += b
        total += n
    print(f"{total} py expressions in {len(files)} files, {bad} disagreeing or failing")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
