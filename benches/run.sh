#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: the criterion benchmarks (medians), the fundsp
# comparison from the same run, and the worst/median block under churn.
# Usage: bash benches/run.sh [extra criterion arguments, e.g. --measurement-time 3]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench peers --bench voices -- "$@"
echo
echo "== medians (target/criterion), per block and per voice-sample"
python3 benches/summary.py --only peers,waveform,saw_voices,saw_32,sample,churn
echo
echo "== worst block against median block under churn"
cargo bench --bench block_jitter
