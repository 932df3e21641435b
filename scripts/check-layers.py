#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The layering of user/ (docs/architecture.md), checked two ways:

1. includes: each file includes only headers of its own folder and of the
   folders its layer may call (below);
2. links, with BUILD given: the symbols each object takes from another
   (nm) follow the same matrix, and no two files of user/ need each
   other, directly or round a longer circle (a header may declare what
   another file defines, so includes alone do not show every edge).

Exits 1 and names each violation; prints one summary line otherwise.
Usage: check-layers.py [BUILD]
"""
import os
import re
import subprocess
import sys

# layer -> the layers it may call besides itself. main.c is the binary's
# entry: it dispatches to the agent or the CLI.
ALLOWED = {
    "core": set(),
    "model": {"core"},
    "dp": {"core"},
    "agent": {"model", "dp", "core"},
    "cli": {"model", "dp", "core"},
    "main": {"agent", "cli", "model", "dp", "core"},
}
# Shared with the BPF programs: the ABI and the flow hash (pure headers).
ABI = {"xlb_abi.h", "lib/hash.h"}
# Only the data-path access layer may use libbpf and the skeletons.
BPF_ONLY = {"dp"}
# JSON is read and written at the edges only: the agent's control API and
# the CLI (entries are layer or layer/file).
JSON_AT = {"cli", "agent/api.c", "agent/api.h", "agent/ctl.c",
           "agent/ctl.h"}

# A table of functions a dispatcher picks from (one health checker per
# protocol: hc_tcp_ops, ...) is registration, not a call: its functions
# call back into the dispatcher by design, so it makes no circle.
REGISTRATION = re.compile(r"_ops$")

JSON_USE = re.compile(r"\bjson_(object|tokener)")
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)


def layer_of(path):
    rel = os.path.relpath(path, "user")
    return "main" if os.sep not in rel else rel.split(os.sep)[0]


def sources():
    for root, _, files in os.walk("user"):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.join(root, f)


def check_includes(errors):
    for path in sources():
        layer = layer_of(path)
        rel = os.path.relpath(path, "user")
        text = open(path, encoding="utf-8").read()
        if JSON_USE.search(text) and not json_ok(layer, rel):
            errors.append(f"{path}: uses json-c: JSON only in agent/api.c, "
                          "agent/ctl.c and cli/")
        for kind, inc in INCLUDE.findall(text):
            if kind == "<":
                if (inc.startswith("bpf/") and layer not in BPF_ONLY):
                    errors.append(f"{path}: <{inc}>: only dp/ uses libbpf")
                if inc.startswith("json-c/") and not json_ok(layer, rel):
                    errors.append(f"{path}: <{inc}>: JSON only in "
                                  "agent/api.c, agent/ctl.c and cli/")
                continue
            if inc in ABI:
                continue
            if inc.endswith(".skel.h"):
                if layer not in BPF_ONLY:
                    errors.append(f"{path}: {inc}: only dp/ loads skeletons")
                continue
            target = inc.split("/")[0] if "/" in inc else None
            if target not in ALLOWED or target == "main":
                errors.append(f'{path}: "{inc}": not a header of a layer '
                              "(write it as LAYER/FILE.h)")
            elif target != layer and target not in ALLOWED[layer]:
                errors.append(f'{path}: "{inc}": {layer}/ may not call '
                              f"{target}/")


def json_ok(layer, rel):
    return layer in JSON_AT or rel in JSON_AT


def nm(obj, defined):
    args = ["nm", "--defined-only" if defined else "--undefined-only",
            "-g", obj]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return {line.split()[-1] for line in out.stdout.splitlines() if line}


def check_links(build, errors):
    objs = {}
    for path in sources():
        if path.endswith(".c"):
            obj = os.path.join(build, os.path.splitext(path)[0] + ".o")
            if not os.path.exists(obj):
                errors.append(f"{obj}: missing (run make first)")
                continue
            objs[path] = obj
    owner = {}
    for path, obj in objs.items():
        for sym in nm(obj, True):
            owner[sym] = path
    edges = {p: set() for p in objs}
    for path, obj in objs.items():
        for sym in nm(obj, False):
            dst = owner.get(sym)
            if not dst or dst == path:
                continue
            if not REGISTRATION.search(sym):
                edges[path].add(dst)
            src_l, dst_l = layer_of(path), layer_of(dst)
            if src_l != dst_l and dst_l not in ALLOWED[src_l]:
                errors.append(f"{path}: uses {sym} of {dst}: {src_l}/ may "
                              f"not call {dst_l}/")
    for cycle in cycles(edges):
        errors.append("circle: " + " -> ".join(cycle + [cycle[0]]))


def cycles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    errors = []
    check_includes(errors)
    if len(sys.argv) > 1:
        check_links(sys.argv[1], errors)
    for e in errors:
        print("layers: " + e)
    if errors:
        print(f"layers: {len(errors)} violation(s)")
        return 1
    n = sum(1 for _ in sources())
    print(f"layers: {n} files of user/ follow core < model, dp < agent, "
          "cli < main; no circles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
