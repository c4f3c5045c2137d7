//! What the benchmarks share: the patch settings, engines holding notes,
//! a test sample, and the churn workload.

#![allow(dead_code)]

pub mod fundsp_side;

use polyphonica::sample::Interpolation;
use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, SampleData, VoiceId, Waveform};

pub const RATE: f32 = 48_000.0;
pub const BLOCK_FRAMES: usize = 256;
pub const ENVELOPE: AdsrEnvelope = AdsrEnvelope::new(0.01, 0.2, 0.7, 0.5);

/// Voice `i`'s pitch: 55 Hz upward in semitones over four octaves.
pub fn pitch(i: usize) -> f32 {
    55.0 * 2f32.powf((i % 48) as f32 / 12.0)
}

/// Renders half a second, so every note is past its attack and decay.
pub fn warm_up(engine: &mut RealtimeEngine) {
    let mut warm = vec![0.0; RATE as usize / 2];
    engine.process_buffer(&mut warm);
}

/// An engine of `voices` voices, each holding a note of `waveform`.
pub fn engine_with(voices: usize, waveform: impl Fn(usize) -> Waveform) -> RealtimeEngine {
    let mut engine = RealtimeEngine::with_voices(RATE, voices);
    for i in 0..voices {
        engine
            .trigger_note(waveform(i), pitch(i), ENVELOPE)
            .expect("playable");
    }
    engine.set_master_volume(0.1);
    warm_up(&mut engine);
    engine
}

/// A two-second recorded-like tone at 44.1 kHz (base 440 Hz) with a loop,
/// read with `interpolation`.
pub fn test_sample(interpolation: Interpolation) -> SampleData {
    let rate = 44_100u32;
    let frames: Vec<f32> = (0..rate as usize * 2)
        .map(|n| {
            let t = n as f32 / rate as f32;
            let w = std::f32::consts::TAU * 440.0 * t;
            0.5 * w.sin() + 0.2 * (2.0 * w).sin() + 0.1 * (3.0 * w).sin()
        })
        .collect();
    SampleData::from_mono(frames, rate)
        .expect("valid sample")
        .with_loop(22_050, 66_150)
        .expect("valid loop")
        .with_interpolation(interpolation)
}

/// The churn patch: a new note every block into a full 32-voice pool (so
/// every trigger steals), the waveforms taking turns (every eighth a
/// sample), and an amplitude, pan or frequency change on a playing voice
/// every block.
pub struct Churn {
    engine: RealtimeEngine,
    sample: SampleData,
    blocks: u64,
    last: Option<VoiceId>,
}

impl Churn {
    pub fn new(voices: usize) -> Self {
        let sample = test_sample(Interpolation::Sinc);
        let mut churn = Churn {
            engine: RealtimeEngine::with_voices(RATE, voices),
            sample,
            blocks: 0,
            last: None,
        };
        let mut block = [0.0f32; BLOCK_FRAMES];
        for _ in 0..voices * 2 {
            churn.block(&mut block);
        }
        churn
    }

    /// What block `b` of a timed run (after [`Churn::new`]'s warm-up)
    /// triggers.
    pub fn trigger_kind(voices: usize, b: usize) -> &'static str {
        match (b + voices * 2) % 8 {
            0 => "sample start",
            1 | 5 => "saw",
            2 => "square",
            3 => "pulse",
            4 => "triangle",
            6 => "sine",
            _ => "noise",
        }
    }

    /// One block: a trigger, a parameter change, the render.
    pub fn block(&mut self, out: &mut [f32]) {
        let k = self.blocks as usize;
        self.blocks += 1;
        let waveform = match k % 8 {
            0 => Waveform::Sample(self.sample.clone()),
            1 | 5 => Waveform::Sawtooth,
            2 => Waveform::Square,
            3 => Waveform::Pulse { duty_cycle: 0.3 },
            4 => Waveform::Triangle,
            6 => Waveform::Sine,
            _ => Waveform::Noise,
        };
        let envelope = AdsrEnvelope::new(0.005, 0.05, 0.6, 0.1);
        let note = Note::new(waveform, pitch(k * 7), envelope)
            .with_amplitude(0.5)
            .with_pan(((k % 5) as f32 - 2.0) / 2.0);
        let id = self.engine.trigger(note);
        if let Some(last) = self.last {
            match k % 3 {
                0 => self.engine.set_voice_amplitude(last, 0.3),
                1 => self.engine.set_voice_pan(last, -0.5),
                _ => self.engine.set_voice_frequency(last, pitch(k * 5)),
            }
        }
        if k % 4 == 0 {
            if let Some(last) = self.last {
                self.engine.release_note(last);
            }
        }
        self.engine
            .set_master_volume(if k % 64 < 32 { 0.2 } else { 0.15 });
        self.last = id;
        self.engine.process_buffer(out);
    }
}
