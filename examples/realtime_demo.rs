//! The seed's scenario, made real: an audio side renders 256-frame blocks in
//! real time while a control thread plays a chord progression, a melody
//! with vibrato, a sample, a burst of 40 notes that forces voice
//! stealing, and two patches (a bass under an LFO-swept ladder filter, a
//! unison lead whose vibrato fades in). It prints voice counts and the render time per block, and
//! writes what it played to a WAV file.
//!
//! The control thread drives the engine through the lock-free controller
//! side; the audio side never waits for it. Without a sound card the audio
//! side is a thread paced by the wall clock; with `--play` (cargo feature
//! `playback`) it is the audio device's callback.
//!
//! ```text
//! cargo run --release --example realtime_demo [OUT.wav]
//! cargo run --release --features playback --example realtime_demo -- [OUT.wav] --play
//! ```

use polyphonica::engine::{RenderStereo, Tap};
use polyphonica::patch::{Filter, Lfo, LfoShape, ModSource, ModTarget, Patch};
use polyphonica::render::{WavFormat, WavSink};
use polyphonica::{
    AdsrEnvelope, AudioEngine, Controller, EventTarget, Note, RealtimeEngine, SampleData, Waveform,
};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BLOCK_FRAMES: usize = 256;
const SECONDS: f32 = 13.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let play = args.iter().any(|a| a == "--play");
    let out_path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "realtime_demo.wav".into());

    let device = open_device(play)?;
    let sample_rate = device.as_ref().map_or(48_000, sample_rate_of);
    let (audio, controller) = RealtimeEngine::new(sample_rate as f32).split();
    let stats = Arc::new(BlockStats::default());
    // What the audio side plays is also copied to this thread (one second
    // of ring), which writes it to the WAV file.
    let (audio_side, mut recording) = Tap::new(
        DemoAudio {
            audio,
            stats: stats.clone(),
        },
        sample_rate as usize,
    );

    let done = Arc::new(AtomicBool::new(false));
    let running = start_audio(audio_side, device, sample_rate, done.clone())?;
    let control = std::thread::spawn(move || control_thread(controller));

    // Meanwhile this thread writes what the audio side played.
    let mut sink = WavSink::create(&out_path, WavFormat::stereo_16(sample_rate))?;
    let mut written = 0usize;
    let mut drain = |sink: &mut WavSink<_>| {
        let mut result = Ok(());
        written += recording.read_with(|samples| {
            if result.is_ok() {
                result = sink.write(samples);
            }
        });
        result
    };
    while !control.is_finished() {
        drain(&mut sink)?;
        std::thread::sleep(Duration::from_millis(20));
    }
    control.join().expect("the control thread panicked");
    done.store(true, Relaxed);
    match running {
        Running::Paced(thread) => thread.join().expect("the audio thread panicked"),
        #[cfg(feature = "playback")]
        Running::Device(playback) => {
            for e in playback.errors() {
                eprintln!("device error: {e}");
            }
        }
    }
    drain(&mut sink)?;
    sink.finalize()?;
    stats.dropped.store(recording.dropped_blocks(), Relaxed);

    stats.report(sample_rate);
    println!(
        "wrote {} ({:.1} s of stereo audio)",
        out_path,
        written as f32 / 2.0 / sample_rate as f32
    );
    Ok(())
}

/// The audio side: the engine's lock-free half and the render-time
/// statistics. Nothing here allocates or locks.
struct DemoAudio {
    audio: AudioEngine,
    stats: Arc<BlockStats>,
}

impl RenderStereo for DemoAudio {
    fn render_stereo(&mut self, out: &mut [f32]) {
        let t0 = Instant::now();
        self.audio.process_stereo_buffer(out);
        self.stats.record(t0.elapsed(), out.len() / 2);
    }
}

/// Render times per block, kept in atomics so the audio side never waits.
struct BlockStats {
    blocks: AtomicU64,
    frames: AtomicU64,
    total_ns: AtomicU64,
    worst_ns: AtomicU64,
    /// Render times in 1 µs buckets, for the median.
    histogram: [AtomicU64; 1000],
    dropped: AtomicU64,
}

impl Default for BlockStats {
    fn default() -> Self {
        BlockStats {
            blocks: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            total_ns: AtomicU64::new(0),
            worst_ns: AtomicU64::new(0),
            histogram: std::array::from_fn(|_| AtomicU64::new(0)),
            dropped: AtomicU64::new(0),
        }
    }
}

impl BlockStats {
    fn record(&self, took: Duration, frames: usize) {
        let ns = took.as_nanos() as u64;
        self.blocks.fetch_add(1, Relaxed);
        self.frames.fetch_add(frames as u64, Relaxed);
        self.total_ns.fetch_add(ns, Relaxed);
        self.worst_ns.fetch_max(ns, Relaxed);
        self.histogram[((ns / 1000) as usize).min(999)].fetch_add(1, Relaxed);
    }

    fn report(&self, sample_rate: u32) {
        let blocks = self.blocks.load(Relaxed).max(1);
        let frames_per_block = self.frames.load(Relaxed) as f64 / blocks as f64;
        let mut seen = 0;
        let median_us = self
            .histogram
            .iter()
            .position(|b| {
                seen += b.load(Relaxed);
                seen * 2 >= blocks
            })
            .unwrap_or(0);
        let budget_us = frames_per_block / sample_rate as f64 * 1e6;
        let worst_us = self.worst_ns.load(Relaxed) as f64 / 1e3;
        println!(
            "{blocks} blocks of {frames_per_block:.0} frames: render mean {:.1} µs, median {median_us}–{} µs, worst {worst_us:.1} µs (budget {budget_us:.0} µs, worst uses {:.1} %); {} blocks not recorded",
            self.total_ns.load(Relaxed) as f64 / blocks as f64 / 1e3,
            median_us + 1,
            worst_us / budget_us * 100.0,
            self.dropped.load(Relaxed)
        );
    }
}

#[cfg(feature = "playback")]
type Device = polyphonica::playback::OutputDevice;
#[cfg(not(feature = "playback"))]
type Device = ();

#[cfg(feature = "playback")]
fn open_device(play: bool) -> Result<Option<Device>, Box<dyn std::error::Error>> {
    if !play {
        return Ok(None);
    }
    let device = Device::default_device()?;
    println!(
        "playing on \"{}\" ({} Hz, {} channels, {})",
        device.name(),
        device.sample_rate(),
        device.channels(),
        device.sample_format()
    );
    Ok(Some(device))
}

#[cfg(not(feature = "playback"))]
fn open_device(play: bool) -> Result<Option<Device>, Box<dyn std::error::Error>> {
    if play {
        return Err("--play needs the `playback` feature: cargo run --release --features playback --example realtime_demo -- --play".into());
    }
    Ok(None)
}

#[cfg(feature = "playback")]
fn sample_rate_of(device: &Device) -> u32 {
    device.sample_rate()
}

#[cfg(not(feature = "playback"))]
fn sample_rate_of(_: &Device) -> u32 {
    48_000
}

/// Keeps the audio side running until dropped.
enum Running {
    Paced(std::thread::JoinHandle<()>),
    #[cfg(feature = "playback")]
    Device(polyphonica::playback::Playback),
}

#[cfg_attr(not(feature = "playback"), allow(clippy::unnecessary_wraps))]
fn start_audio(
    mut audio: Tap<DemoAudio>,
    device: Option<Device>,
    sample_rate: u32,
    done: Arc<AtomicBool>,
) -> Result<Running, Box<dyn std::error::Error>> {
    #[cfg(feature = "playback")]
    if let Some(device) = device {
        return Ok(Running::Device(device.play(audio)?));
    }
    #[cfg(not(feature = "playback"))]
    let _ = device;
    // No device: a thread that renders a block whenever the wall clock says
    // a sound card would ask for one.
    Ok(Running::Paced(std::thread::spawn(move || {
        let mut block = [0.0f32; BLOCK_FRAMES * 2];
        let period = Duration::from_secs_f64(BLOCK_FRAMES as f64 / sample_rate as f64);
        let start = Instant::now();
        let mut n = 0u32;
        while !done.load(Relaxed) {
            audio.render_stereo(&mut block);
            n += 1;
            if let Some(wait) = (start + period * n).checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
    })))
}

fn control_thread(mut c: Controller) {
    let start = Instant::now();
    let at = |secs: f32| {
        if let Some(wait) =
            (start + Duration::from_secs_f32(secs)).checked_duration_since(Instant::now())
        {
            std::thread::sleep(wait);
        }
    };
    let status = |c: &Controller, label: &str| {
        // Give the audio side a block or two to apply what was just sent.
        std::thread::sleep(Duration::from_millis(15));
        let s = c.status();
        println!(
            "{:5.2} s  {:<22} voices {:2}/{}  stolen {}  load {:.2} %",
            start.elapsed().as_secs_f32(),
            label,
            s.active_voices,
            c.voice_capacity(),
            s.voices_stolen,
            s.load * 100.0
        );
    };

    // 1. A chord progression: C - Am - F - G, half a second each.
    let pad = AdsrEnvelope::new(0.05, 0.2, 0.6, 0.3);
    let chords: [&[f32]; 4] = [
        &[261.63, 329.63, 392.00],
        &[220.00, 261.63, 329.63],
        &[174.61, 220.00, 261.63],
        &[196.00, 246.94, 293.66],
    ];
    for (i, chord) in chords.iter().enumerate() {
        at(i as f32 * 0.5);
        let ids: Vec<_> = chord
            .iter()
            .map(|&hz| {
                c.trigger(Note::new(Waveform::Triangle, hz, pad).with_amplitude(0.25))
                    .expect("queued")
            })
            .collect();
        status(&c, "chord");
        at(i as f32 * 0.5 + 0.45);
        for id in ids {
            c.release_note(id).expect("queued");
        }
    }

    // 2. A melody with vibrato: the pitch of each note moves every 5 ms.
    let lead = AdsrEnvelope::new(0.01, 0.1, 0.8, 0.15);
    let melody = [
        392.00, 440.00, 493.88, 523.25, 493.88, 440.00, 392.00, 329.63,
    ];
    for (i, &hz) in melody.iter().enumerate() {
        let t0 = 2.2 + i as f32 * 0.3;
        at(t0);
        let note = Note::new(Waveform::Pulse { duty_cycle: 0.3 }, hz, lead)
            .with_amplitude(0.3)
            .with_pan(0.3);
        let id = c.trigger(note).expect("queued");
        if i == 0 {
            status(&c, "melody with vibrato");
        }
        let mut t = 0.0f32;
        while t < 0.25 {
            let vibrato = 1.0 + 0.01 * (std::f32::consts::TAU * 6.0 * t).sin();
            c.set_voice_frequency(id, hz * vibrato).expect("queued");
            t += 0.005;
            at(t0 + t);
        }
        c.release_note(id).expect("queued");
    }

    // 3. A sample at three pitches.
    let sample = load_sample();
    for (i, hz) in [440.0, 554.37, 659.25].into_iter().enumerate() {
        at(4.8 + i as f32 * 0.4);
        let note = Note::new(
            Waveform::Sample(sample.clone()),
            hz,
            AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1),
        )
        .with_amplitude(0.5);
        c.trigger(note).expect("queued");
        if i == 0 {
            status(&c, "sample voice");
        }
    }

    // 4. A burst of 40 notes on 32 voices: eight are stolen.
    at(6.2);
    c.set_master_volume(0.5).expect("queued");
    for i in 0..40 {
        let note = Note::new(
            Waveform::Sawtooth,
            110.0 * 2f32.powf(i as f32 / 12.0),
            AdsrEnvelope::new(0.005, 0.3, 0.3, 0.8),
        )
        .with_amplitude(0.08)
        .with_pan((i as f32 / 20.0) - 1.0);
        c.trigger(note).expect("queued");
    }
    at(6.25);
    status(&c, "burst of 40 notes");
    at(7.0);
    c.release_all_notes().expect("queued");
    status(&c, "release all");

    // 5. Patches, built here (off the audio thread) and shared: a bass
    // whose filter an LFO sweeps, a unison lead whose vibrato fades in.
    let sweep_bass = Arc::new(
        Patch::new(Waveform::Sawtooth)
            .with_envelope(AdsrEnvelope::new(0.01, 0.2, 0.8, 0.3))
            .with_filter(Filter::ladder(300.0, 0.6, 0.3))
            .with_lfo(1, Lfo::new(LfoShape::Triangle, 0.5))
            .with_modulation(ModSource::Lfo1, ModTarget::Cutoff, 2.5)
            .expect("room in the matrix"),
    );
    let unison_lead = Arc::new(
        Patch::new(Waveform::Sawtooth)
            .with_unison(5, 20.0, 0.9)
            .with_envelope(AdsrEnvelope::new(0.02, 0.2, 0.7, 0.4))
            .with_filter(Filter::lowpass(2500.0, 0.2))
            .with_lfo(1, Lfo::new(LfoShape::Sine, 5.5).with_delay(0.3, 0.5))
            .with_modulation(ModSource::Lfo1, ModTarget::Pitch, 0.4)
            .expect("room in the matrix")
            .with_modulation(ModSource::Velocity, ModTarget::Cutoff, 1.0)
            .expect("room in the matrix"),
    );
    at(8.0);
    let bass = c
        .trigger(Note::from_patch(&sweep_bass, 55.0).with_amplitude(0.5))
        .expect("queued");
    status(&c, "patch: filter sweep");
    for (i, hz) in [659.25f32, 587.33, 523.25].into_iter().enumerate() {
        at(9.0 + i as f32 * 1.0);
        let id = c
            .trigger(
                Note::from_patch(&unison_lead, hz)
                    .with_velocity(0.6 + 0.2 * i as f32)
                    .with_amplitude(0.25),
            )
            .expect("queued");
        if i == 0 {
            status(&c, "patch: unison lead");
        }
        at(9.9 + i as f32 * 1.0);
        c.release_note(id).expect("queued");
    }
    at(12.0);
    c.release_note(bass).expect("queued");
    at(SECONDS - 0.2);
    status(&c, "end");
    c.collect_garbage();
}

fn load_sample() -> SampleData {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/wav/ding1.wav");
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/kick.wav");
    for path in [shared, local] {
        if let Ok(sample) = SampleData::from_wav_file(&path) {
            println!(
                "sample: {} ({} frames at {} Hz)",
                path.display(),
                sample.frames(),
                sample.sample_rate()
            );
            return sample;
        }
    }
    // No file at hand: a plucked tone made here.
    let frames = (0..24_000)
        .map(|n| {
            (std::f32::consts::TAU * 440.0 * n as f32 / 48_000.0).sin()
                * (-(n as f32) / 6000.0).exp()
        })
        .collect();
    SampleData::from_mono(frames, 48_000).expect("valid sample")
}
