//! Polyphonica: real-time polyphonic synthesis.
//!
//! A fixed pool of voices (32 by default), each an oscillator — sine,
//! square, sawtooth, triangle, pulse, noise or a WAV sample played at any
//! pitch — shaped by an ADSR envelope, allocated and stolen automatically,
//! controlled by [`VoiceId`], and mixed into mono, interleaved stereo or
//! planar stereo buffers inside an audio callback without allocating or
//! locking.
//!
//! # Start here: the lock-free split
//!
//! [`RealtimeEngine::split`] gives an [`AudioEngine`] for the audio
//! callback and a [`Controller`] for any other thread. Commands cross on a
//! wait-free queue and apply at the frame they name ([`At`]); the audio side
//! never locks, waits or allocates. The verbs come from [`EventTarget`],
//! which the engine, a controller and a timed controller (`control.at(…)`)
//! all implement: one vocabulary of [`Event`]s for every driver.
//!
//! ```
//! use polyphonica::{AdsrEnvelope, At, EventTarget, RealtimeEngine, Waveform};
//!
//! let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
//! let envelope = AdsrEnvelope::new(0.01, 0.1, 0.7, 0.2);
//!
//! // A control thread: a note now, a change and a release later.
//! let thread = std::thread::spawn(move || {
//!     let id = control.trigger_note(Waveform::Sawtooth, 220.0, envelope).unwrap();
//!     control.at(At::Frame(4_800)).set_voice_frequency(id, 330.0).unwrap();
//!     control.at(At::Frame(9_600)).release_note(id).unwrap();
//!     control
//! });
//! let control = thread.join().unwrap();
//!
//! // The audio callback: mono, interleaved stereo or planar stereo.
//! let mut block = [0.0f32; 2 * 256];
//! for _ in 0..100 {
//!     audio.process_stereo_buffer(&mut block);
//! }
//! assert_eq!(audio.get_active_voice_count(), 0); // released and faded
//! assert!(control.take_ended_note().is_some()); // the control side learns it
//! ```
//!
//! # Game sound: groups and fades
//!
//! Every [`Note`] belongs to one of [`GROUPS`](engine::GROUPS) groups. A
//! group has a smoothed volume, fades over a time, and can be released or
//! stopped as a whole; a note's amplitude can ramp; a sample's pitch can be
//! given in semitones or as a rate (`examples/game.rs` plays music and
//! effects from a game-loop thread).
//!
//! ```
//! use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, Waveform};
//!
//! const MUSIC: u8 = 1;
//! let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
//! let theme = Note::new(Waveform::Triangle, 220.0, AdsrEnvelope::default()).with_group(MUSIC);
//! control.trigger(theme).unwrap();
//! control.fade_group(MUSIC, 0.0, 1.5).unwrap(); // out over a second and a half
//! # audio.process_buffer(&mut [0.0; 64]);
//! ```
//!
//! # Music and MIDI
//!
//! [`Phrase`] lays notes out in beats for [`Controller::play_phrase`] (a
//! note of one beat lasts one beat, release included). The [`midi`] layer
//! turns MIDI messages into events for any [`EventTarget`], so MIDI takes
//! the same sample-accurate path: a message sent through
//! `control.at(At::Frame(n))` sounds at frame n.
//!
//! ```
//! use polyphonica::midi::{MidiMessage, MidiSynth};
//! use polyphonica::{At, RealtimeEngine};
//!
//! let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
//! let mut synth = MidiSynth::new();
//! let note_on = MidiMessage::NoteOn { channel: 0, key: 69, velocity: 100 };
//! synth.handle(&mut control.at(At::Frame(100)), note_on).unwrap();
//! let mut block = [0.0f32; 256];
//! audio.process_buffer(&mut block);
//! assert!(block[..=100].iter().all(|s| *s == 0.0) && block[101] != 0.0);
//! ```
//!
//! # Patches: filters, modulation, unison, velocity
//!
//! A [`patch::Patch`] adds to a waveform a second source, unison, a
//! filter (state-variable or ladder), a modulation envelope, two LFOs and
//! a modulation matrix; notes carry a velocity and a channel whose
//! controllers reach the matrix at their frame.
//!
//! ```
//! use std::sync::Arc;
//! use polyphonica::patch::{Filter, ModSource, ModTarget, Patch};
//! use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, Waveform};
//!
//! let pluck = Arc::new(
//!     Patch::new(Waveform::Sawtooth)
//!         .with_envelope(AdsrEnvelope::new(0.002, 0.4, 0.0, 0.1))
//!         .with_filter(Filter::ladder(400.0, 0.4, 0.2))
//!         .with_mod_envelope(AdsrEnvelope::new(0.0, 0.25, 0.0, 0.1))
//!         .with_modulation(ModSource::ModEnvelope, ModTarget::Cutoff, 3.0)?,
//! );
//! let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
//! control.trigger(Note::from_patch(&pluck, 110.0).with_velocity(0.9)).unwrap();
//! let mut block = [0.0f32; 256];
//! audio.process_buffer(&mut block);
//! assert!(block.iter().any(|s| *s != 0.0));
//! # Ok::<(), polyphonica::patch::PatchError>(())
//! ```
//!
//! # SoundFonts
//!
//! [`soundfont::SoundFontBank`] reads a SoundFont 2 file (SoundFont 3 with
//! the `sf3` feature) and turns its presets into patches over the font's
//! shared sample data; [`midi::MidiSynth::with_soundfont`] plays MIDI with
//! them, and a score instrument can be `soundfont = { file, bank, program }`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use polyphonica::midi::{MidiFile, MidiSynth};
//! use polyphonica::soundfont::SoundFontBank;
//!
//! let font = Arc::new(SoundFontBank::from_file("/usr/share/sounds/sf2/TimGM6mb.sf2")?);
//! let song = MidiFile::from_file("song.mid")?;
//! let mut wav = Vec::new();
//! song.render_with(MidiSynth::with_soundfont(font), 44_100, |block| {
//!     wav.extend_from_slice(block);
//!     Ok::<(), polyphonica::midi::MidiError>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Modules
//!
//! - [`engine`]: the engine, the event vocabulary and the block runner
//!   ([`EventSource`](engine::EventSource), [`Output`](engine::Output)).
//! - [`patch`]: patches, their filters and modulation.
//! - [`control`]: the lock-free split and its timing.
//! - [`fx`]: the reverb, chorus and delay the notes send to.
//! - [`render`]: offline rendering, WAV files, scores (feature `score`).
//! - [`sample`]: recorded samples and their interpolation.
//! - [`midi`]: MIDI messages, the synth, files, live input.
//! - [`soundfont`]: SoundFont files, their presets as instruments.
//! - `playback`: audio devices (feature `playback`).
//! - [`limits`]: how large an input file may be.
//!
//! Sample rates are `f32` frames per second on the real-time side (the
//! engine, the controller, [`At`], [`Tempo`]) and `u32` Hz for files and
//! offline renders, as a WAV header holds them.
//!
//! # The seed's API: a first note

//!
//! ```
//! use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
//!
//! fn play() -> Option<()> {
//!     let mut engine = RealtimeEngine::new(44100.0);
//!     let envelope = AdsrEnvelope { attack_secs: 0.1, decay_secs: 0.2, sustain_level: 0.6, release_secs: 0.5 };
//!
//!     // Trigger notes and get voice IDs for tracking
//!     let voice_id = engine.trigger_note(Waveform::Sine, 440.0, envelope)?;
//!
//!     // Process audio buffers (CPAL-compatible)
//!     let mut buffer = vec![0.0; 1024];
//!     engine.process_buffer(&mut buffer);
//!
//!     // Update voice parameters in real time
//!     engine.set_voice_frequency(voice_id, 880.0);
//!     engine.set_voice_amplitude(voice_id, 0.5);
//!     println!("{}", voice_id);
//!
//!     engine.release_note(voice_id);
//!     Some(())
//! }
//! play().unwrap();
//! ```
//!
//! # Sharing the engine between threads: the simple way
//!
//! The engine is `Send + Sync`. The simplest way to drive it from a control
//! thread while an audio callback renders is a mutex, as below (the seed's
//! way). The audio thread then waits whenever a control thread holds the
//! lock: prefer the split above for anything live.
//!
//! ```
//! use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
//! use std::sync::{Arc, Mutex};
//!
//! // Create shared engine
//! let engine = Arc::new(Mutex::new(RealtimeEngine::new(44100.0)));
//!
//! // Audio callback (separate thread)
//! let audio_engine = engine.clone();
//! let audio_callback = move |output: &mut [f32]| {
//!     let mut engine = audio_engine.lock().unwrap();
//!     engine.process_buffer(output);
//! };
//!
//! // Control thread
//! let control_engine = engine.clone();
//! std::thread::spawn(move || {
//!     let mut engine = control_engine.lock().unwrap();
//!     let envelope = AdsrEnvelope { attack_secs: 0.1, decay_secs: 0.2, sustain_level: 0.6, release_secs: 0.5 };
//!     // Trigger notes from control logic
//!     engine.trigger_note(Waveform::Sine, 440.0, envelope);
//! })
//! .join()
//! .unwrap();
//!
//! let mut block = [0.0f32; 256];
//! let mut callback = audio_callback;
//! callback(&mut block);
//! assert_eq!(engine.lock().unwrap().get_active_voice_count(), 1);
//! ```
//!
//! # Chords, releases and stealing
//!
//! ```
//! use polyphonica::{AdsrEnvelope, RealtimeEngine, Waveform};
//!
//! let mut engine = RealtimeEngine::new(48_000.0);
//! let envelope = AdsrEnvelope::new(0.01, 0.1, 0.7, 0.3);
//! let chord_notes = &[
//!     (Waveform::Sine, 261.63), // C
//!     (Waveform::Sine, 329.63), // E
//!     (Waveform::Sine, 392.00), // G
//! ];
//! let voice_ids = engine.trigger_chord(chord_notes, envelope);
//! for voice_id in voice_ids {
//!     engine.release_note(voice_id);
//! }
//!
//! // More notes than voices: the oldest releasing voice is stolen first,
//! // faded out in 4 ms; every trigger still returns an id.
//! for i in 0..40 {
//!     assert!(engine.trigger_note(Waveform::Sawtooth, 100.0 + i as f32, envelope).is_some());
//! }
//! assert_eq!(engine.get_active_voice_count(), 32);
//!
//! engine.release_all_notes(); // graceful
//! engine.stop_all_notes();    // immediate
//! assert_eq!(engine.get_active_voice_count(), 0);
//! ```
//!
//! # Samples
//!
//! ```
//! use polyphonica::{AdsrEnvelope, RealtimeEngine, SampleData, Waveform};
//! use std::error::Error;
//!
//! fn kick() -> Result<(), Box<dyn Error>> {
//!     let mut engine = RealtimeEngine::new(48_000.0);
//!     let sample_data = SampleData::from_wav_file("tests/data/kick.wav")?;
//!     // 440 Hz plays the recording at its own pitch, 880 Hz an octave up.
//!     engine.trigger_note(Waveform::Sample(sample_data), 440.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05));
//!     let mut stereo = vec![0.0; 512];
//!     engine.process_stereo_buffer(&mut stereo);
//!     Ok(())
//! }
//! kick().unwrap();
//! ```
//!
//! # Guarantees
//!
//! - Every sample written is finite and within `[-1, 1]`. While the mix stays
//!   below full scale the output is exactly the mix; above it a peak limiter
//!   keeps the bound.
//! - Rendering, triggering, releasing, stopping, the setters and getters
//!   never allocate, free, lock or block ([`RealtimeEngine::trigger_chord`]
//!   allocates its returned `Vec`). Denormals are flushed while rendering.
//! - Bad input never panics: unplayable notes return `None`, out-of-range
//!   values are clamped, NaN and infinite parameter values are ignored, as
//!   each method documents.
//! - Stealing a voice and finding one by id cost O(log n) and O(1) in the
//!   pool's size: no call scans the pool.
//! - Input files (WAV, MIDI, scores) are read only if they are regular
//!   files, within a size limit per kind ([`InputLimits`](limits::InputLimits)), header first;
//!   errors never quote their bytes. Outputs too long for a WAV file or for
//!   memory are refused before anything is written
//!   ([`WavFormat::check_length`](render::WavFormat::check_length),
//!   [`MAX_IN_MEMORY_SAMPLES`](render::MAX_IN_MEMORY_SAMPLES)).
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod control;
mod dsp;
pub mod engine;
pub mod fx;
pub mod limits;
pub mod midi;
pub mod patch;
#[cfg(feature = "playback")]
#[cfg_attr(docsrs, doc(cfg(feature = "playback")))]
pub mod playback;
pub mod render;
pub mod sample;
pub mod soundfont;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// The crate root holds the seed's API (DESIGN.md's contract), the
// recommended lock-free path and the music helpers; everything else lives
// in its module.
pub use control::{At, AudioEngine, ControlError, Controller, Phrase, Tempo};
pub use dsp::envelope::{AdsrEnvelope, EnvelopeCurve, EnvelopePhase, EnvelopeState};
pub use engine::{
    AtomicF32, Event, EventTarget, Note, RealtimeEngine, Voice, VoiceId, Waveform, MAX_VOICES,
};
pub use render::{
    apply_envelope, generate_wave, render_event, render_timeline, RenderError, SoundEvent,
};
pub use sample::{SampleData, SampleError};
