#!/usr/bin/env python3
"""Response times of `strat lsp` on a 500-line program (issue 16: under 20 ms).

Starts the real server over stdio, opens a generated ~500-line program that reads the bundled
S&P 500 / VIX file, then times N rounds of: a change (until its diagnostics arrive), a hover, a
completion, a definition and a formatting request. Prints the median and the 95th percentile of
each, in milliseconds.

    python3 benches/lsp_latency.py [--strat target/release/strat] [--rounds 50]
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def program(lines: int, salt: int) -> str:
    out = ["strategy big", 'data mkt = csv("data/spx_vix.csv")']
    for i in range((lines - 6) // 2):
        out.append(f"let x{i} = sma(mkt.spx, {10 + (i + salt) % 50}) / mkt.spx[1] - 1  // note {i}")
        out.append(f"param p{i} = {i % 7 + 1}")
    out += ["let t = tiers(mkt.vix) {", "  >= 30 => 50%", "  else  => 100%", "}", "hold mkt.spx weight t"]
    return "\n".join(out) + "\n"


class Server:
    def __init__(self, strat):
        self.p = subprocess.Popen([strat, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.id = 0

    def send(self, msg):
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def recv(self):
        length = None
        while True:
            line = self.p.stdout.readline().decode().strip()
            if not line:
                break
            if line.startswith("Content-Length:"):
                length = int(line.split(":")[1])
        return json.loads(self.p.stdout.read(length))

    def request(self, method, params):
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        while True:
            m = self.recv()
            if m.get("id") == self.id:
                return m

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self):
        while True:
            m = self.recv()
            if m.get("method") == "textDocument/publishDiagnostics":
                return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strat", default=str(ROOT / "target" / "release" / "strat"))
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--lines", type=int, default=500)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(f"{d}/data")
        (pathlib.Path(d) / "data" / "spx_vix.csv").write_bytes((ROOT / "examples" / "data" / "spx_vix.csv").read_bytes())
        uri = f"file://{d}/big.strat"
        s = Server(a.strat)
        s.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        s.notify("initialized", {})
        src = program(a.lines, 0)
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "strat", "version": 1, "text": src}})
        s.diagnostics()
        times = {k: [] for k in ["change + diagnostics", "hover", "completion", "definition", "formatting"]}
        td = {"uri": uri}
        pos = {"line": 200, "character": 12}
        for r in range(a.rounds):
            src = program(a.lines, r + 1)
            t = time.perf_counter()
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": r + 2}, "contentChanges": [{"text": src}]})
            s.diagnostics()
            times["change + diagnostics"].append(time.perf_counter() - t)
            for name, method, extra in [("hover", "textDocument/hover", {"position": pos}), ("completion", "textDocument/completion", {"position": pos}), ("definition", "textDocument/definition", {"position": pos}), ("formatting", "textDocument/formatting", {"options": {"tabSize": 2, "insertSpaces": True}})]:
                t = time.perf_counter()
                s.request(method, {"textDocument": td, **extra})
                times[name].append(time.perf_counter() - t)
        s.request("shutdown", None)
        s.notify("exit", None)
        s.p.wait()
    print(f"{len(src.splitlines())}-line program, {a.rounds} rounds ({a.strat})")
    for k, v in times.items():
        v.sort()
        print(f"{k:<22} median {statistics.median(v) * 1e3:7.2f} ms   p95 {v[int(0.95 * (len(v) - 1))] * 1e3:7.2f} ms")


if __name__ == "__main__":
    main()
