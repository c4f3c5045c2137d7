//! The seed's scenario, made real: an audio thread pulls 256-frame blocks on
//! a real-time clock while a control thread plays a chord progression, a
//! melody with vibrato, a sample, and a burst of 40 notes that forces voice
//! stealing. Prints voice counts and the render time per block, and writes
//! what it played to a WAV file (first argument, default
//! `realtime_demo.wav`).
//!
//! Runs without a sound card: the audio thread is paced by the wall clock.
//!
//! ```text
//! cargo run --release --example realtime_demo [OUT.wav]
//! ```

use polyphonica::{AdsrEnvelope, Note, RealtimeEngine, SampleData, Waveform};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SAMPLE_RATE: u32 = 48_000;
const BLOCK_FRAMES: usize = 256;
const SECONDS: f32 = 9.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "realtime_demo.wav".into());
    let engine = Arc::new(Mutex::new(RealtimeEngine::new(SAMPLE_RATE as f32)));
    let done = Arc::new(AtomicBool::new(false));

    // The audio side: renders a block every 256 / 48 000 s, like a sound
    // card's callback would ask for one, and keeps what it rendered in a
    // buffer allocated up front.
    let audio = {
        let engine = engine.clone();
        let done = done.clone();
        std::thread::spawn(move || audio_thread(engine, done))
    };

    control_thread(&engine);
    done.store(true, Ordering::SeqCst);
    let (recording, timings) = audio.join().expect("audio thread panicked");

    report(&timings);
    write_wav(Path::new(&out_path), &recording)?;
    println!(
        "wrote {} ({:.1} s of stereo audio)",
        out_path,
        recording.len() as f32 / 2.0 / SAMPLE_RATE as f32
    );
    Ok(())
}

/// Per-block render times in nanoseconds, and the voices sounding after each
/// block.
struct Timings {
    render_ns: Vec<u64>,
    late_blocks: usize,
}

fn audio_thread(engine: Arc<Mutex<RealtimeEngine>>, done: Arc<AtomicBool>) -> (Vec<f32>, Timings) {
    let total_blocks = (SECONDS * SAMPLE_RATE as f32) as usize / BLOCK_FRAMES + 1;
    let mut recording = Vec::with_capacity(total_blocks * BLOCK_FRAMES * 2);
    let mut timings = Timings {
        render_ns: Vec::with_capacity(total_blocks),
        late_blocks: 0,
    };
    let mut block = [0.0f32; BLOCK_FRAMES * 2];
    let block_duration = Duration::from_secs_f64(BLOCK_FRAMES as f64 / SAMPLE_RATE as f64);
    let start = Instant::now();
    for n in 0..total_blocks {
        if done.load(Ordering::SeqCst) {
            break;
        }
        let deadline = start + block_duration * n as u32;
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        } else if now - deadline > block_duration {
            timings.late_blocks += 1;
        }
        let mut engine = engine.lock().expect("engine lock poisoned");
        let t0 = Instant::now();
        engine.process_stereo_buffer(&mut block);
        timings.render_ns.push(t0.elapsed().as_nanos() as u64);
        drop(engine);
        recording.extend_from_slice(&block);
    }
    (recording, timings)
}

fn control_thread(engine: &Mutex<RealtimeEngine>) {
    let start = Instant::now();
    let at = |secs: f32| {
        let target = start + Duration::from_secs_f32(secs);
        if let Some(wait) = target.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    };
    let status = |label: &str| {
        let e = engine.lock().unwrap();
        println!(
            "{:5.2} s  {:<28} voices {:2}/{}  stolen {}",
            start.elapsed().as_secs_f32(),
            label,
            e.get_active_voice_count(),
            e.voice_capacity(),
            e.voices_stolen()
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
        let notes: Vec<(Waveform, f32)> = chord.iter().map(|&f| (Waveform::Triangle, f)).collect();
        let ids = {
            let mut e = engine.lock().unwrap();
            let ids = e.trigger_chord(&notes, pad);
            for id in &ids {
                e.set_voice_amplitude(*id, 0.25);
            }
            ids
        };
        status("chord");
        at(i as f32 * 0.5 + 0.45);
        let mut e = engine.lock().unwrap();
        for id in ids {
            e.release_note(id);
        }
    }

    // 2. A melody with vibrato: the control thread moves the pitch of each
    // note every 5 ms through set_voice_frequency.
    let lead = AdsrEnvelope::new(0.01, 0.1, 0.8, 0.15);
    let melody = [
        392.00, 440.00, 493.88, 523.25, 493.88, 440.00, 392.00, 329.63,
    ];
    for (i, &hz) in melody.iter().enumerate() {
        let t0 = 2.2 + i as f32 * 0.3;
        at(t0);
        let id = engine
            .lock()
            .unwrap()
            .trigger(
                Note::new(Waveform::Pulse { duty_cycle: 0.3 }, hz, lead)
                    .with_amplitude(0.3)
                    .with_pan(0.3),
            )
            .expect("valid note");
        if i == 0 {
            status("melody with vibrato");
        }
        let mut t = 0.0f32;
        while t < 0.25 {
            let vibrato = 1.0 + 0.01 * (std::f32::consts::TAU * 6.0 * t).sin();
            engine.lock().unwrap().set_voice_frequency(id, hz * vibrato);
            t += 0.005;
            at(t0 + t);
        }
        engine.lock().unwrap().release_note(id);
    }

    // 3. A sample at three pitches.
    let sample = load_sample();
    for (i, hz) in [440.0, 554.37, 659.25].into_iter().enumerate() {
        at(4.8 + i as f32 * 0.4);
        engine
            .lock()
            .unwrap()
            .trigger(
                Note::new(
                    Waveform::Sample(sample.clone()),
                    hz,
                    AdsrEnvelope::new(0.0, 0.0, 1.0, 0.1),
                )
                .with_amplitude(0.5),
            )
            .expect("valid note");
        if i == 0 {
            status("sample voice");
        }
    }

    // 4. A burst of 40 notes on 32 voices: eight are stolen.
    at(6.2);
    {
        let mut e = engine.lock().unwrap();
        e.set_master_volume(0.5);
        for i in 0..40 {
            e.trigger(
                Note::new(
                    Waveform::Sawtooth,
                    110.0 * 2f32.powf(i as f32 / 12.0),
                    AdsrEnvelope::new(0.005, 0.3, 0.3, 0.8),
                )
                .with_amplitude(0.08)
                .with_pan((i as f32 / 20.0) - 1.0),
            );
        }
    }
    status("burst of 40 notes");
    at(7.0);
    engine.lock().unwrap().release_all_notes();
    status("release all");
    at(SECONDS - 0.2);
    status("end");
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

fn report(t: &Timings) {
    let blocks = t.render_ns.len().max(1);
    let mean = t.render_ns.iter().sum::<u64>() as f64 / blocks as f64;
    let worst = t.render_ns.iter().copied().max().unwrap_or(0);
    let mut sorted = t.render_ns.clone();
    sorted.sort_unstable();
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0);
    let budget = BLOCK_FRAMES as f64 / SAMPLE_RATE as f64 * 1e9;
    println!(
        "{} blocks of {} frames: render mean {:.1} µs, median {:.1} µs, worst {:.1} µs (budget {:.0} µs, worst uses {:.1} %); {} late wake-ups",
        t.render_ns.len(),
        BLOCK_FRAMES,
        mean / 1e3,
        median as f64 / 1e3,
        worst as f64 / 1e3,
        budget / 1e3,
        worst as f64 / budget * 100.0,
        t.late_blocks
    );
}

fn write_wav(path: &Path, interleaved: &[f32]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(PathBuf::from(path), spec)?;
    for &s in interleaved {
        writer.write_sample((s * 32_767.0).round() as i16)?;
    }
    writer.finalize()
}
