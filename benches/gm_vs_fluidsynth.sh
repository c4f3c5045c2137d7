#!/usr/bin/env bash
# The General MIDI patches against FluidSynth with a General MIDI SoundFont:
# renders every file of ../shared/testdata/midi both ways and prints each
# render's spectral centroid (power-weighted), its energy above 10 kHz as a
# share of the whole, and its RMS level.
# Needs: apt-get install fluidsynth timgm6mb-soundfont; pip install numpy.
# Usage: bash benches/gm_vs_fluidsynth.sh [MIDI_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-../shared/testdata/midi}"
font=/usr/share/sounds/sf2/TimGM6mb.sf2
out=$(mktemp -d)
cargo build --release -q -p polyphonica-cli
for song in "$dir"/*.mid; do
    name=$(basename "$song" .mid)
    fluidsynth -ni -R 0 -C 0 -F "$out/fluidsynth_$name.wav" -r 44100 "$font" "$song" >/dev/null 2>&1
    target/release/polyphonica midi "$song" -o "$out/polyphonica_$name.wav" >/dev/null
    (cd "$out" && python3 "$OLDPWD/benches/spectrum.py" "fluidsynth_$name.wav" "polyphonica_$name.wav")
done
rm -rf "$out"
