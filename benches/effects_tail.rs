//! A decaying tail never slows a block: block render times while the
//! reverb (RT60 8 s) and the delay (feedback 0.9) die away over 60 s after
//! one burst, against a busy block (32 sawtooth voices sending to all three
//! effects). Prints the median and the worst block per 10-second stretch.
//! The worst blocks of a shared machine are its scheduler's; the medians
//! show the arithmetic.

use polyphonica::fx::{DelayParams, ReverbParams, Sends};
use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, Waveform};
use std::time::Instant;

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let wet = Sends {
        reverb: 1.0,
        chorus: 0.5,
        delay: 1.0,
    };
    let setup = |engine: &mut RealtimeEngine| {
        engine
            .set_reverb(ReverbParams {
                decay_secs: 8.0,
                ..ReverbParams::default()
            })
            .unwrap();
        engine
            .set_delay(DelayParams {
                time_secs: 0.3,
                feedback: 0.9,
                ping_pong: true,
            })
            .unwrap();
    };
    let (mut left, mut right) = ([0.0f32; BLOCK], [0.0f32; BLOCK]);

    // The busy block: 32 voices, every effect fed.
    let mut busy = RealtimeEngine::new(RATE);
    setup(&mut busy);
    for i in 0..32 {
        let note = Note::new(
            Waveform::Sawtooth,
            55.0 * (1.0 + i as f32 / 8.0),
            AdsrEnvelope::default(),
        );
        busy.trigger(note.with_sends(wet)).unwrap();
    }
    let mut busy_times = Vec::new();
    for _ in 0..2_000 {
        let t = Instant::now();
        busy.process_planar_buffers(&mut left, &mut right);
        busy_times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    println!(
        "busy block (32 voices, all effects fed): median {:.2} µs",
        median(busy_times)
    );

    // One burst, then 60 s of tails.
    let mut tail = RealtimeEngine::new(RATE);
    setup(&mut tail);
    let burst =
        Note::new(Waveform::Noise, 1.0, AdsrEnvelope::new(0.0, 0.05, 0.0, 0.0)).with_sends(wet);
    tail.trigger(burst).unwrap();
    let blocks_per_stretch = (10.0 * RATE) as usize / BLOCK;
    for stretch in 0..6 {
        let mut times = Vec::with_capacity(blocks_per_stretch);
        let mut peak = 0.0f32;
        for _ in 0..blocks_per_stretch {
            let t = Instant::now();
            tail.process_planar_buffers(&mut left, &mut right);
            times.push(t.elapsed().as_secs_f64() * 1e6);
            peak = left.iter().chain(&right).fold(peak, |m, s| m.max(s.abs()));
        }
        let worst = times.iter().copied().fold(0.0, f64::max);
        println!(
            "tail {:2}-{:2} s: peak {:>9.2e}, effects {}, block median {:.2} µs, worst {:.2} µs",
            stretch * 10,
            stretch * 10 + 10,
            peak,
            if tail.effects_ringing() {
                "ringing"
            } else {
                "idle   "
            },
            median(times),
            worst
        );
    }
}
