//! A generative piece played entirely by scheduled events through the
//! lock-free controller, rendered in real time and written to a WAV file.
//!
//! An audio thread owns the `AudioEngine` and renders 256-frame stereo
//! blocks paced on the wall clock, as a sound card would pull them. The
//! main thread composes four bars in A minor (pad chords, a bass line, a
//! random-walk melody on the pentatonic scale, hi-hats and pitch-dropping
//! kicks) and queues every note, release and pitch change at its beat
//! before it sounds; a second controller thread schedules the fade-out.
//! No thread sleeps until a note: every event waits on the audio side and
//! starts at its exact frame.
//!
//! With `--play` (cargo feature `playback`) the audio side is the default
//! audio device's callback instead of the paced thread, and what it plays is
//! recorded over a ring buffer.
//!
//! ```text
//! cargo run --release --example procedural [out.wav] [seed]
//! cargo run --release --features playback --example procedural -- [out.wav] [seed] --play
//! ```

use polyphonica::control::ControlConfig;
use polyphonica::EventTarget;
use polyphonica::{
    AdsrEnvelope, At, Controller, Note, Phrase, RealtimeEngine, Tempo, VoiceId, Waveform,
};
use std::error::Error;
use std::thread;
use std::time::{Duration, Instant};

const RATE: u32 = 48_000;
const BLOCK: usize = 256;
const BPM: f64 = 120.0;
const BARS: usize = 4;
/// Frames before beat 0, so the first notes are queued well ahead of it.
const LEAD_IN: u64 = 4_800;

/// A small deterministic random source (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

fn midi_hz(note: i32) -> f32 {
    440.0 * 2f32.powf((note - 69) as f32 / 12.0)
}

/// A minor pentatonic from A3 up two octaves, as MIDI notes.
fn pentatonic() -> Vec<i32> {
    let steps = [0, 3, 5, 7, 10];
    (0..3)
        .flat_map(|octave| steps.iter().map(move |s| 57 + 12 * octave + s))
        .collect()
}

/// i – VI – III – VII: Am, F, C, G (roots as MIDI notes, minor or major).
const PROGRESSION: [(i32, bool); 4] = [(57, true), (53, false), (48, false), (55, false)];

/// Counts what was queued.
#[derive(Default)]
struct Tally {
    notes: usize,
    commands: usize,
}

/// One bar's pad, bass and melody as a phrase (beats from the bar's start).
fn bar_phrase(bar: usize, rng: &mut Rng, scale: &[i32], melody_pos: &mut usize) -> Phrase {
    let (root, minor) = PROGRESSION[bar % PROGRESSION.len()];
    let third = if minor { 3 } else { 4 };
    let mut phrase = Phrase::new();
    // Pad: the triad, soft saw and triangle, slow attack, held the whole bar.
    let pad = AdsrEnvelope::new(0.25, 0.4, 0.7, 0.6);
    for (i, interval) in [0, third, 7, 12].into_iter().enumerate() {
        let waveform = if i % 2 == 0 {
            Waveform::Sawtooth
        } else {
            Waveform::Triangle
        };
        let pan = (i as f32 - 1.5) * 0.4;
        phrase.push(
            0.0,
            3.8,
            Note::new(waveform, midi_hz(root + interval), pad)
                .with_amplitude(0.07)
                .with_pan(pan),
        );
    }
    // Bass: root on 1 and 3, a fifth or octave pickup on the "and" of 4.
    let bass = AdsrEnvelope::new(0.005, 0.15, 0.6, 0.08);
    let low = root - 24;
    for (beat, note, len) in [
        (0.0, low, 1.4),
        (2.0, low, 1.0),
        (3.5, low + if rng.chance(0.5) { 7 } else { 12 }, 0.4),
    ] {
        phrase.push(
            beat,
            len,
            Note::new(Waveform::Pulse { duty_cycle: 0.3 }, midi_hz(note), bass)
                .with_amplitude(0.16),
        );
    }
    // Melody: eighth notes, a random walk on the scale, rests now and then,
    // leaning on chord tones on the beat.
    let lead = AdsrEnvelope::new(0.01, 0.12, 0.45, 0.15);
    for eighth in 0..8 {
        if rng.chance(0.3) {
            continue;
        }
        let step = [-2isize, -1, -1, 1, 1, 2][rng.below(6)];
        *melody_pos = (*melody_pos as isize + step).clamp(2, scale.len() as isize - 1) as usize;
        let mut note = scale[*melody_pos];
        if eighth % 2 == 0 {
            // Snap to the nearest chord tone on the beat.
            let tones = [root, root + third, root + 7].map(|t| t + 12 * ((note - t) / 12));
            note = *tones.iter().min_by_key(|t| (note - **t).abs()).unwrap();
        }
        let length = if rng.chance(0.25) { 0.9 } else { 0.4 };
        let pan = rng.below(9) as f32 / 8.0 - 0.5;
        let amp = if eighth % 2 == 0 { 0.2 } else { 0.14 };
        phrase.push(
            eighth as f64 * 0.5,
            length,
            Note::new(Waveform::Triangle, midi_hz(note + 12), lead)
                .with_amplitude(amp)
                .with_pan(pan),
        );
    }
    // Hats: noise ticks on every eighth, louder off the beat.
    let hat = AdsrEnvelope::new(0.0, 0.03, 0.0, 0.01);
    for eighth in 0..8 {
        let amp = if eighth % 2 == 1 { 0.09 } else { 0.04 };
        phrase.push(
            eighth as f64 * 0.5,
            0.1,
            Note::new(Waveform::Noise, 8_000.0, hat)
                .with_amplitude(amp)
                .with_pan(0.3),
        );
    }
    phrase
}

/// A kick: a sine whose pitch falls in scheduled steps after it starts.
/// Uses the id before the note has started.
fn kick(
    control: &mut Controller,
    tempo: Tempo,
    beat: f64,
    tally: &mut Tally,
) -> Result<VoiceId, Box<dyn Error>> {
    let env = AdsrEnvelope::new(0.0, 0.25, 0.0, 0.05);
    let start = tempo.frame_at(beat, RATE as f32)?;
    let id = control
        .at(At::Frame(start))
        .trigger(Note::new(Waveform::Sine, 150.0, env).with_amplitude(0.4))?;
    for (ms, hz) in [(8, 110.0), (20, 80.0), (40, 60.0), (80, 48.0)] {
        control
            .at(At::Frame(start + ms * RATE as u64 / 1_000))
            .set_voice_frequency(id, hz)?;
    }
    control.at(At::Beat(beat + 0.5, tempo)).release_note(id)?;
    tally.notes += 1;
    tally.commands += 6;
    Ok(id)
}

fn main() -> Result<(), Box<dyn Error>> {
    let play = std::env::args().any(|a| a == "--play");
    let positional: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let path = positional
        .first()
        .cloned()
        .unwrap_or_else(|| "procedural.wav".to_string());
    let seed = positional
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2024u64);
    let tempo = Tempo::new(BPM).starting_at_frame(LEAD_IN);
    let beats = BARS * 4;
    let total_frames = (tempo.frame_at(beats as f64, RATE as f32)? + RATE as u64 / 2) as usize;

    let engine = RealtimeEngine::with_voices(RATE as f32, 48);
    let config = ControlConfig {
        controllers: 2,
        ..ControlConfig::default()
    };
    let (mut audio, mut control) = engine.split_with(config);
    let mut fader = control.try_clone()?;

    // The audio side: the device's callback with --play, else a thread that
    // renders a block, keeps it, and waits for the wall clock.
    let (audio_thread, _playback) = if play {
        play_on_device(audio, total_frames)?
    } else {
        (
            thread::spawn(move || {
                let mut recording = Vec::with_capacity(total_frames * 2 + 2 * BLOCK);
                let mut block = [0.0f32; 2 * BLOCK];
                let mut late_blocks = 0;
                let start = Instant::now();
                while (audio.frame() as usize) < total_frames {
                    audio.process_stereo_buffer(&mut block);
                    recording.extend_from_slice(&block);
                    let due = start + Duration::from_secs_f64(audio.frame() as f64 / RATE as f64);
                    match due.checked_duration_since(Instant::now()) {
                        Some(wait) => thread::sleep(wait),
                        None => late_blocks += 1,
                    }
                }
                (recording, late_blocks, start.elapsed())
            }),
            None,
        )
    };

    // The composer: every bar queued ahead of time, at its beat.
    let mut rng = Rng(seed | 1);
    let scale = pentatonic();
    let mut melody_pos = 5;
    let mut tally = Tally::default();
    let queued_at = control.now();
    for bar in 0..BARS {
        let phrase = bar_phrase(bar, &mut rng, &scale, &mut melody_pos);
        let ids = control.play_phrase(&phrase, tempo, (bar * 4) as f64)?;
        tally.notes += ids.len();
        tally.commands += 2 * ids.len();
        for beat in [0.0, 1.5, 2.0, 3.0] {
            if beat != 1.5 || rng.chance(0.5) {
                kick(&mut control, tempo, (bar * 4) as f64 + beat, &mut tally)?;
            }
        }
    }
    println!(
        "queued {} notes in {} commands for {BARS} bars at {BPM} BPM (A minor, seed {seed}) while the audio clock was at frame {queued_at}",
        tally.notes, tally.commands
    );

    // Another thread: fade the master out over the last bar, in 32 steps.
    let fade = thread::spawn(move || -> Result<usize, polyphonica::ControlError> {
        let steps = 32;
        for i in 1..=steps {
            let beat = (beats - 4) as f64 + 4.0 * i as f64 / steps as f64;
            fader
                .at(At::Beat(beat, tempo))
                .set_master_volume(1.0 - 0.9 * i as f32 / steps as f32)?;
        }
        Ok(steps)
    });
    println!(
        "fade-out: {} master-volume steps queued from a second thread",
        fade.join().unwrap()?
    );

    // Watch the audio side's published status while it plays.
    let mut max_load = 0.0f32;
    let mut last_second = 0;
    while !audio_thread.is_finished() {
        let status = control.status();
        max_load = max_load.max(status.load);
        let second = status.frame / RATE as u64;
        if second > last_second {
            last_second = second;
            println!(
                "  {second:>2} s  beat {:>5.2}  voices {:>2}  pending {:>3}  load {:>5.2} %",
                tempo.beat_at(status.frame, RATE as f32),
                status.active_voices,
                status.pending_events,
                status.load * 100.0
            );
        }
        thread::sleep(Duration::from_millis(20));
    }
    let (recording, late_blocks, elapsed) = audio_thread.join().unwrap();
    control.collect_garbage();
    let status = control.status();

    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&path, spec)?;
    for s in &recording {
        writer.write_sample((s.clamp(-1.0, 1.0) * i16::MAX as f32) as i16)?;
    }
    writer.finalize()?;
    let peak = recording.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    println!(
        "rendered {:.2} s of audio in {:.2} s of wall time ({} blocks of {BLOCK} frames, {late_blocks} behind the wall clock); peak {peak:.3}, max load {:.2} %, {} voices stolen, {} events still pending",
        recording.len() as f64 / 2.0 / RATE as f64,
        elapsed.as_secs_f64(),
        recording.len() / 2 / BLOCK,
        max_load * 100.0,
        status.voices_stolen,
        status.pending_events
    );
    println!("wrote {path}");
    Ok(())
}

/// What the audio side hands back: the recording, blocks behind the wall
/// clock, and the time it took.
type AudioResult = (Vec<f32>, usize, Duration);

#[cfg(feature = "playback")]
type Playing = polyphonica::playback::Playback;
#[cfg(not(feature = "playback"))]
type Playing = ();

/// Plays the audio side on the default device; a thread gathers what it
/// played until `total_frames` frames have passed.
#[cfg(feature = "playback")]
fn play_on_device(
    audio: polyphonica::AudioEngine,
    total_frames: usize,
) -> Result<(thread::JoinHandle<AudioResult>, Option<Playing>), Box<dyn Error>> {
    use polyphonica::engine::Tap;
    use polyphonica::playback::OutputDevice;

    let device = OutputDevice::default_device()?;
    if device.sample_rate() != RATE {
        return Err(format!(
            "the piece is written for {RATE} Hz; \"{}\" runs at {} Hz",
            device.name(),
            device.sample_rate()
        )
        .into());
    }
    println!(
        "playing on \"{}\" ({} channels, {})",
        device.name(),
        device.channels(),
        device.sample_format()
    );
    // Each block the device plays is also copied to the gathering thread.
    let (tapped, mut recorded) = Tap::new(audio, RATE as usize);
    let playback = device.play(tapped)?;
    let gather = thread::spawn(move || {
        let mut recording = Vec::with_capacity(total_frames * 2);
        let start = Instant::now();
        while recording.len() < total_frames * 2 {
            recorded.read_into(&mut recording);
            thread::sleep(Duration::from_millis(10));
        }
        recording.truncate(total_frames * 2);
        (recording, 0, start.elapsed())
    });
    Ok((gather, Some(playback)))
}

#[cfg(not(feature = "playback"))]
fn play_on_device(
    _: polyphonica::AudioEngine,
    _: usize,
) -> Result<(thread::JoinHandle<AudioResult>, Option<Playing>), Box<dyn Error>> {
    Err("--play needs the `playback` feature: cargo run --release --features playback --example procedural -- --play".into())
}
