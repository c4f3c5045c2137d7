//! Playback and live MIDI through a real JACK server (cargo feature
//! `jack`). `.ci/run` starts one with the dummy backend, which paces
//! callbacks in real time without a sound card:
//!
//! ```text
//! jackd --no-realtime -d dummy -r 48000 -p 256 &
//! cargo test --features jack --test jack -- --ignored --nocapture --test-threads 1
//! ```
#![cfg(feature = "jack")]

use polyphonica::midi::{connect_input, LiveMidi};
use polyphonica::playback::{OutputDevice, RenderStereo};
use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counts the callbacks and frames the device asks for.
struct Counted {
    engine: RealtimeEngine,
    callbacks: Arc<AtomicU64>,
    frames: Arc<AtomicU64>,
}

impl RenderStereo for Counted {
    fn render_stereo(&mut self, output: &mut [f32]) {
        self.engine.process_stereo_buffer(output);
        self.frames
            .fetch_add(output.len() as u64 / 2, Ordering::Relaxed);
        self.callbacks.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
#[ignore = "needs a running JACK server: run through .ci/run"]
fn a_paced_jack_stream_keeps_real_time_without_underruns() {
    let device = OutputDevice::jack_default().expect("a JACK server");
    let rate = device.sample_rate();
    println!(
        "JACK device \"{}\": {rate} Hz, {} channels, {}",
        device.name(),
        device.channels(),
        device.sample_format()
    );
    let mut engine = RealtimeEngine::new(rate as f32);
    for i in 0..32 {
        engine.trigger_note(
            Waveform::Sawtooth,
            55.0 * (1.0 + i as f32 / 8.0),
            AdsrEnvelope::default(),
        );
    }
    engine.set_master_volume(0.1);
    let (callbacks, frames) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let playback = device
        .play(Counted {
            engine,
            callbacks: callbacks.clone(),
            frames: frames.clone(),
        })
        .expect("the stream starts");
    std::thread::sleep(Duration::from_millis(500)); // settle
    let (c0, f0, t0) = (
        callbacks.load(Ordering::Relaxed),
        frames.load(Ordering::Relaxed),
        Instant::now(),
    );
    let _ = playback.errors();
    std::thread::sleep(Duration::from_secs(3));
    let (c1, f1, elapsed) = (
        callbacks.load(Ordering::Relaxed),
        frames.load(Ordering::Relaxed),
        t0.elapsed(),
    );
    let errors = playback.errors();
    drop(playback);
    let (calls, played) = (c1 - c0, f1 - f0);
    let expected = elapsed.as_secs_f64() * rate as f64;
    let underruns = errors
        .iter()
        .filter(|e| e.to_string().contains("underrun"))
        .count();
    println!(
        "{calls} callbacks, {played} frames in {:.3} s ({:.4}× real time), {} frames per callback, {underruns} underruns, errors: {errors:?}",
        elapsed.as_secs_f64(),
        played as f64 / expected,
        played / calls.max(1)
    );
    assert!(calls > 0, "no callbacks");
    assert!(
        (played as f64 / expected - 1.0).abs() < 0.05,
        "JACK paced {played} frames for {expected:.0} expected"
    );
    assert!(
        underruns * 100 <= calls as usize,
        "{underruns} underruns in {calls} callbacks"
    );
}

#[test]
#[ignore = "needs a running JACK server: run through .ci/run"]
fn live_midi_through_jack_plays_a_note() {
    use midir::os::unix::VirtualOutput;
    let keyboard = midir::MidiOutput::new("polyphonica-test-keyboard").expect("JACK MIDI");
    let mut keys = keyboard
        .create_virtual("test-keys")
        .expect("a virtual MIDI output");
    // Live MIDI goes through the controller's queue to the audio side.
    let (mut audio, control) = RealtimeEngine::new(48_000.0).split();
    let input =
        connect_input(Some("test-keys"), LiveMidi::new(control)).expect("the input connects");
    println!("connected to {}", input.port_name());
    let mut block = [0.0f32; 512];
    let sent = Instant::now();
    keys.send(&[0x90, 69, 100]).unwrap();
    while audio.get_active_voice_count() == 0 && sent.elapsed() < Duration::from_secs(2) {
        audio.process_stereo_buffer(&mut block);
        std::thread::sleep(Duration::from_millis(1));
    }
    println!("note arrived after {:?}", sent.elapsed());
    assert_eq!(
        audio.get_active_voice_count(),
        1,
        "the note-on arrived through JACK"
    );
    assert!(block.iter().any(|s| *s != 0.0));
    keys.send(&[0x80, 69, 0]).unwrap();
    let released = Instant::now();
    while audio
        .active_voices()
        .any(|v| v.envelope_phase() != polyphonica::EnvelopePhase::Release)
        && released.elapsed() < Duration::from_secs(2)
    {
        audio.process_stereo_buffer(&mut block);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(audio
        .active_voices()
        .all(|v| v.envelope_phase() == polyphonica::EnvelopePhase::Release));
}

#[test]
#[ignore = "needs a running JACK server and Debian's timgm6mb-soundfont: run through .ci/run"]
fn live_midi_through_jack_plays_a_soundfont_instrument() {
    use midir::os::unix::VirtualOutput;
    use polyphonica::midi::MidiSynth;
    use polyphonica::soundfont::{SoundFont, SoundFontBank};
    let font = SoundFont::from_file("/usr/share/sounds/sf2/TimGM6mb.sf2").expect("the font");
    let synth = MidiSynth::with_soundfont(Arc::new(SoundFontBank::new(&font)));
    let keyboard = midir::MidiOutput::new("polyphonica-test-keyboard").expect("JACK MIDI");
    let mut keys = keyboard
        .create_virtual("test-font-keys")
        .expect("a virtual MIDI output");
    // As `polyphonica play --midi --soundfont` sets it up.
    let (mut audio, control) = RealtimeEngine::with_voices(48_000.0, 128).split();
    let input = connect_input(Some("test-font-keys"), LiveMidi::with_synth(control, synth))
        .expect("the input connects");
    println!("connected to {}", input.port_name());
    // The flute (program 74, 73 counting from 0), then A4.
    keys.send(&[0xC0, 73]).unwrap();
    keys.send(&[0x90, 69, 100]).unwrap();
    let mut block = [0.0f32; 512];
    let sent = Instant::now();
    while audio.get_active_voice_count() == 0 && sent.elapsed() < Duration::from_secs(2) {
        audio.process_stereo_buffer(&mut block);
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(
        audio.get_active_voice_count() >= 1,
        "the note-on arrived through JACK"
    );
    // Half a second of the note, then its pitch by rising zero crossings.
    let mut left = Vec::new();
    for _ in 0..(48_000 / 256) / 2 {
        audio.process_stereo_buffer(&mut block);
        left.extend(block.chunks_exact(2).map(|f| f[0]));
    }
    keys.send(&[0x80, 69, 0]).unwrap();
    let steady = &left[4_800..4_800 + 16_384];
    let hz = strongest_hz(steady, 48_000.0, 200.0..1_000.0);
    let peak = steady.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    println!("flute A4 through JACK MIDI: {hz:.2} Hz, peak {peak:.3}");
    assert!((hz - 440.0).abs() < 4.0, "pitch {hz}");
    assert!(peak > 0.01 && peak <= 1.0, "level {peak}");
}

/// The frequency of the strongest spectral peak of `x` within `range`
/// (Hann window, parabolic interpolation between bins).
fn strongest_hz(x: &[f32], rate: f32, range: std::ops::Range<f32>) -> f32 {
    use rustfft::{num_complex::Complex, FftPlanner};
    let n = x.len();
    let mut bins: Vec<Complex<f32>> = x
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let w = 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos();
            Complex::new(s * w, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut bins);
    let bin_hz = rate / n as f32;
    let magnitude = |k: usize| bins[k].norm();
    let (lo, hi) = (
        (range.start / bin_hz) as usize,
        (range.end / bin_hz) as usize,
    );
    let k = (lo..hi)
        .max_by(|&a, &b| magnitude(a).total_cmp(&magnitude(b)))
        .unwrap();
    let (a, b, c) = (magnitude(k - 1), magnitude(k), magnitude(k + 1));
    let offset = 0.5 * (a - c) / (a - 2.0 * b + c);
    (k as f32 + offset) * bin_hz
}
