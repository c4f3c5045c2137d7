#!/usr/bin/env python3
"""Spectral centroid, energy above 10 kHz and RMS of WAV files (benches/gm_vs_fluidsynth.sh)."""
import sys, wave, numpy as np
def load(path):
    w = wave.open(path)
    n, ch, sw, rate = w.getnframes(), w.getnchannels(), w.getsampwidth(), w.getframerate()
    raw = w.readframes(n)
    if sw == 2: x = np.frombuffer(raw, dtype='<i2').astype(np.float64) / 32768
    elif sw == 4: x = np.frombuffer(raw, dtype='<f4').astype(np.float64)
    else: raise SystemExit(f"width {sw}")
    x = x.reshape(-1, ch).mean(axis=1)
    return x, rate
def measure(path):
    x, rate = load(path)
    # Welch-style average power spectrum over 8192-frame Hann windows.
    n = 8192; hop = n // 2
    win = np.hanning(n)
    acc = np.zeros(n // 2 + 1)
    for i in range(0, len(x) - n, hop):
        acc += np.abs(np.fft.rfft(x[i:i+n] * win)) ** 2
    f = np.fft.rfftfreq(n, 1 / rate)
    total = acc[1:].sum()
    centroid = (f * acc).sum() / acc.sum()
    above = acc[f > 10000].sum() / total
    rms = np.sqrt(np.mean(x ** 2))
    return centroid, 10 * np.log10(above + 1e-30), 20 * np.log10(rms + 1e-30)
for p in sys.argv[1:]:
    c, a, r = measure(p)
    print(f"{p}: centroid {c:7.0f} Hz, above 10 kHz {a:6.1f} dB, rms {r:6.1f} dBFS")
