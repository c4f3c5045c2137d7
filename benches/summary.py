#!/usr/bin/env python3
"""Prints the medians of the last criterion run (target/criterion) as ns per
voice-sample, for BENCHMARKS.md. Usage: python3 benches/summary.py"""
import json, os, sys

root = os.path.join(os.path.dirname(__file__), "..", "target", "criterion")
FRAMES = 256

def voices_of(group, bench):
    if group.startswith("waveform_1_voice"):
        return 1
    if group.startswith("churn"):
        return None
    if bench.isdigit():
        return int(bench)
    for part in group.split("_"):
        if part.isdigit() and part != "256":
            return int(part)
    return None

rows = []
for group in sorted(os.listdir(root)):
    gdir = os.path.join(root, group)
    if not os.path.isdir(gdir) or group == "report":
        continue
    for bench in sorted(os.listdir(gdir)):
        est = os.path.join(gdir, bench, "new", "estimates.json")
        if not os.path.exists(est):
            continue
        with open(est) as f:
            median_ns = json.load(f)["median"]["point_estimate"]
        v = voices_of(group, bench)
        per = f"{median_ns / (FRAMES * v):7.3f}" if v else "      -"
        rows.append((group, bench, median_ns, per))
        print(f"{group:36} {bench:16} median {median_ns / 1000:9.3f} µs   ns/voice-sample {per}")
peers = {b: m for g, b, m, _ in rows if g.startswith("peers")}
if "polyphonica" in peers and "fundsp" in peers:
    print(f"ratio polyphonica / fundsp (32 voices): {peers['polyphonica'] / peers['fundsp']:.3f}")
