//! Patched voices against fundsp on the same patch, in one benchmark group
//! so the ratio is read off one run: 32 enveloped band-limited saws (as in
//! `peers.rs`), each through a resonant lowpass (Q 1) whose cutoff an LFO
//! sweeps ±1 octave around 1 kHz at 3 Hz, summed to mono, 256-frame blocks.
//!
//! fundsp's voice is `(saw_hz(f) * envelope(adsr) | lfo(cutoff) | constant(1))
//! >> lowpass()` (its Simper state-variable filter with cutoff and Q as
//! inputs); its envelope and LFO are evaluated every 2 ms and interpolated,
//! as Polyphonica's modulation is every 32 frames (0.67 ms). The ladder
//! runs against fundsp's `moog()` the same way.
//!
//! A second group times the filtered voices at 512 voices, for ns per
//! voice-sample (block time / (256 × voices)).

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fundsp::prelude32::*;
use polyphonica::patch::{Filter, FilterMode, Lfo, LfoShape, ModSource, ModTarget, Patch};
use polyphonica::{Note, RealtimeEngine, Waveform};
use std::hint::black_box;

mod common;
use common::fundsp_side::{adsr_level, fundsp_block};
use common::{pitch, BLOCK_FRAMES, ENVELOPE, RATE};

const VOICES: usize = 32;
const LFO_HZ: f32 = 3.0;
const CUTOFF_HZ: f32 = 1000.0;

/// The patch: resonance 0.293 is k = 1, Q = 1.
fn patch(mode: FilterMode) -> Arc<Patch> {
    let filter = match mode {
        FilterMode::Ladder => Filter::ladder(CUTOFF_HZ, 0.25, 0.0),
        m => Filter::new(m, CUTOFF_HZ, 1.0 - std::f32::consts::FRAC_1_SQRT_2),
    };
    Arc::new(
        Patch::new(Waveform::Sawtooth)
            .with_envelope(ENVELOPE)
            .with_filter(filter)
            .with_lfo(1, Lfo::new(LfoShape::Sine, LFO_HZ))
            .with_modulation(ModSource::Lfo1, ModTarget::Cutoff, 1.0)
            .expect("one slot"),
    )
}

fn polyphonica_patch(mode: FilterMode, voices: usize) -> RealtimeEngine {
    let mut engine = RealtimeEngine::with_voices(RATE, voices);
    let patch = patch(mode);
    for i in 0..voices {
        engine
            .trigger(Note::from_patch(&patch, pitch(i)))
            .expect("playable");
    }
    engine.set_master_volume(0.1);
    let mut warm = vec![0.0; RATE as usize / 2];
    engine.process_buffer(&mut warm);
    engine
}

fn cutoff_at(t: f32) -> f32 {
    CUTOFF_HZ * (std::f32::consts::TAU * LFO_HZ * t).sin().exp2()
}

fn fundsp_patch(ladder: bool) -> Box<dyn AudioUnit> {
    let mut unit: Box<dyn AudioUnit> = if ladder {
        let voices = busi::<U32, _, _>(|i| {
            ((saw_hz(pitch(i as usize)) * envelope(|t: f32| adsr_level(t)))
                | lfo(|t: f32| cutoff_at(t))
                | constant(0.25))
                >> moog()
        });
        Box::new(voices * 0.1)
    } else {
        let voices = busi::<U32, _, _>(|i| {
            ((saw_hz(pitch(i as usize)) * envelope(|t: f32| adsr_level(t)))
                | lfo(|t: f32| cutoff_at(t))
                | constant(1.0))
                >> lowpass()
        });
        Box::new(voices * 0.1)
    };
    unit.set_sample_rate(f64::from(RATE));
    unit.allocate();
    let mut out = BufferArray::<U1>::new();
    let input = BufferArray::<U0>::new();
    for _ in 0..(RATE as usize / 2 / MAX_BUFFER_SIZE) {
        unit.process(MAX_BUFFER_SIZE, &input.buffer_ref(), &mut out.buffer_mut());
    }
    unit
}

/// Both sides make the same kind of sound (level within 2×), checked once
/// before timing.
fn check_levels(mode: FilterMode) {
    let mut engine = polyphonica_patch(mode, VOICES);
    let mut unit = fundsp_patch(mode == FilterMode::Ladder);
    let input = BufferArray::<U0>::new();
    let mut out = BufferArray::<U1>::new();
    let (mut a, mut b) = ([0.0f32; BLOCK_FRAMES], [0.0f32; BLOCK_FRAMES]);
    let (mut ra, mut rb) = (0.0f64, 0.0f64);
    for _ in 0..64 {
        engine.process_buffer(&mut a);
        fundsp_block(&mut *unit, &input, &mut out, &mut b);
        ra += a.iter().map(|x| f64::from(x * x)).sum::<f64>();
        rb += b.iter().map(|x| f64::from(x * x)).sum::<f64>();
    }
    let ratio = (ra / rb).sqrt();
    assert!((0.5..2.0).contains(&ratio), "{mode:?}: RMS ratio {ratio}");
}

fn against_fundsp(c: &mut Criterion) {
    for (mode, name) in [
        (FilterMode::Lowpass, "lowpass"),
        (FilterMode::Ladder, "ladder"),
    ] {
        check_levels(mode);
        let mut group = c.benchmark_group(format!("patches_32_saw_{name}_lfo_mono_256"));
        group.throughput(Throughput::Elements((BLOCK_FRAMES * VOICES) as u64));
        let mut block = [0.0f32; BLOCK_FRAMES];
        let mut engine = polyphonica_patch(mode, VOICES);
        group.bench_function("polyphonica", |b| {
            b.iter(|| engine.process_buffer(black_box(&mut block)))
        });
        let mut unit = fundsp_patch(mode == FilterMode::Ladder);
        let input = BufferArray::<U0>::new();
        let mut out = BufferArray::<U1>::new();
        group.bench_function("fundsp", |b| {
            b.iter(|| fundsp_block(&mut *unit, &input, &mut out, black_box(&mut block)))
        });
        group.finish();
    }
}

fn per_voice_sample(c: &mut Criterion) {
    let mut group = c.benchmark_group("patch_voices_mono_256");
    for voices in [32usize, 512] {
        group.throughput(Throughput::Elements((BLOCK_FRAMES * voices) as u64));
        for (mode, name) in [
            (FilterMode::Lowpass, "lowpass"),
            (FilterMode::Ladder, "ladder"),
        ] {
            let mut engine = polyphonica_patch(mode, voices);
            let mut block = [0.0f32; BLOCK_FRAMES];
            group.bench_with_input(BenchmarkId::new(name, voices), &voices, |b, _| {
                b.iter(|| engine.process_buffer(black_box(&mut block)))
            });
        }
    }
    group.finish();
}

criterion_group!(patches, against_fundsp, per_voice_sample);
criterion_main!(patches);
