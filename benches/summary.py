#!/usr/bin/env python3
"""Prints the medians of the last criterion run (target/criterion) per block
and per voice-sample, the fundsp ratio, and voices in real time per core.
Usage: python3 benches/summary.py [--only prefix,prefix,...]"""
import json, os, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
FRAMES = 256
RATE = 48_000

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

only = None
if len(sys.argv) > 2 and sys.argv[1] == "--only":
    only = sys.argv[2].split(",")

rows = []
for group in sorted(os.listdir(root)):
    gdir = os.path.join(root, group)
    if not os.path.isdir(gdir) or group == "report":
        continue
    if only and not any(group.startswith(p) for p in only):
        continue
    for bench in sorted(os.listdir(gdir), key=lambda b: (not b.isdigit(), int(b) if b.isdigit() else 0, b)):
        est = os.path.join(gdir, bench, "new", "estimates.json")
        if not os.path.exists(est):
            continue
        with open(est) as f:
            median_ns = json.load(f)["median"]["point_estimate"]
        v = voices_of(group, bench)
        if v:
            per = median_ns / (FRAMES * v)
            # A core renders 1 s of audio (RATE frames) per second.
            realtime = 1e9 / (per * RATE)
            extra = f"{per:7.3f} ns/voice-sample  {realtime:9,.0f} voices in real time"
        else:
            extra = ""
        rows.append((group, bench, median_ns))
        print(f"{group:34} {bench:16} {median_ns / 1000:9.3f} µs/block  {extra}")
peers = {b: m for g, b, m in rows if g.startswith("peers")}
if "polyphonica" in peers and "fundsp" in peers:
    print(f"ratio polyphonica / fundsp, 32-voice patch: {peers['polyphonica'] / peers['fundsp']:.3f}")

fx = {(g, b): m for g, b, m in rows if g.startswith("effects")}
rv = lambda b: fx.get(("effects_reverb_stereo_256", b))
if rv("polyphonica_wet") and rv("polyphonica_dry") and rv("fundsp"):
    cost = rv("polyphonica_wet") - rv("polyphonica_dry")
    print(f"reverb: {cost / 1000:.3f} µs/block, fundsp reverb_stereo {rv('fundsp') / 1000:.3f} µs/block, ratio {cost / rv('fundsp'):.3f}")
a3 = lambda b: fx.get(("effects_all_three_256", b))
if a3("polyphonica_wet") and a3("polyphonica_dry") and a3("saw_voices_8"):
    cost = a3("polyphonica_wet") - a3("polyphonica_dry")
    print(f"reverb + chorus + delay: {cost / 1000:.3f} µs/block, 8 saw voices {a3('saw_voices_8') / 1000:.3f} µs/block, ratio {cost / a3('saw_voices_8'):.3f}")
