//! Sounds for General MIDI programs and drum keys, built from the engine's
//! own oscillators.

use std::sync::Arc;

use crate::patch::{Filter, FilterMode, Lfo, LfoShape, ModSource, ModTarget, Patch, PatchSource};
use crate::{AdsrEnvelope, Waveform};

/// How a channel sounds: a source, an envelope and a level, and the patch
/// that shapes it (filter, modulation), if any.
#[derive(Clone, Debug)]
pub struct Preset {
    /// The oscillator.
    pub waveform: Waveform,
    /// The envelope of every note.
    pub envelope: AdsrEnvelope,
    /// Level relative to the other presets, `0.0..=1.0`.
    pub gain: f32,
    /// The patch the notes play (its first source is `waveform`, its
    /// envelope `envelope`); `None` plays the bare oscillator.
    pub patch: Option<Arc<Patch>>,
}

impl Preset {
    /// The preset of a General MIDI program with its family's patch
    /// ([`program_patch`]). Allocates the patch: a [`MidiSynth`](super::MidiSynth)
    /// builds all sixteen once, when it is made.
    ///
    /// ```
    /// use polyphonica::midi::Preset;
    /// let violin = Preset::general_midi(40);
    /// assert!(violin.patch.unwrap().filter().is_some());
    /// ```
    pub fn general_midi(program: u8) -> Preset {
        let mut preset = program_preset(program);
        preset.patch = Some(Arc::new(program_patch(program)));
        preset
    }
}

/// How much brighter than the table below every family's cutoff sits
/// (tuned so the test songs' spectral centroids come near FluidSynth's
/// with a General MIDI SoundFont).
const CUTOFF_SCALE: f32 = 1.0;

/// The patch of a General MIDI program's family: the family's oscillator
/// and envelope ([`program_preset`]) through a lowpass (a ladder for the
/// basses, a bandpass for sound effects) that opens with velocity and, for
/// plucked and struck families, closes as the note decays; keys track the
/// cutoff; strings, ensembles and pads are unison; and every family has a
/// 5.5 Hz vibrato that the mod wheel (CC1) brings in, up to half a
/// semitone, as General MIDI's default modulators do. Velocity scales the
/// gain through the synth's own curve (the patch leaves it alone).
///
/// ```
/// use polyphonica::midi::program_patch;
/// use polyphonica::patch::ModSource;
/// let piano = program_patch(0);
/// assert!(piano.modulation().iter().any(|m| m.scale == Some(ModSource::ModWheel)));
/// ```
pub fn program_patch(program: u8) -> Patch {
    let preset = program_preset(program);
    let family = program.min(127) / 8;
    // (filter, cutoff at middle C in Hz, resonance, key tracking in octaves
    // per octave, velocity to cutoff in octaves, mod envelope (decay secs,
    // octaves), unison (copies, cents, spread), second source)
    struct Shape {
        mode: FilterMode,
        cutoff_hz: f32,
        resonance: f32,
        key: f32,
        velocity: f32,
        sweep: Option<(f32, f32)>,
        unison: (u8, f32, f32),
    }
    let s = |mode, cutoff_hz, resonance, key, velocity, sweep, unison| Shape {
        mode,
        cutoff_hz,
        resonance,
        key,
        velocity,
        sweep,
        unison,
    };
    use FilterMode::{Bandpass, Ladder, Lowpass};
    let shape = match family {
        0 => s(
            Ladder,
            1000.0,
            0.1,
            0.5,
            1.2,
            Some((0.8, 1.0)),
            (1, 0.0, 0.0),
        ), // piano
        1 => s(
            Lowpass,
            1500.0,
            0.1,
            0.7,
            1.2,
            Some((0.5, 1.0)),
            (1, 0.0, 0.0),
        ), // chromatic percussion
        2 => s(Lowpass, 900.0, 0.05, 0.8, 0.3, None, (2, 6.0, 0.3)), // organ
        3 => s(
            Lowpass,
            800.0,
            0.2,
            0.7,
            1.5,
            Some((0.6, 1.8)),
            (1, 0.0, 0.0),
        ), // guitar
        4 => s(
            Ladder,
            300.0,
            0.3,
            0.5,
            1.2,
            Some((0.35, 2.0)),
            (1, 0.0, 0.0),
        ), // bass
        5 => s(Lowpass, 900.0, 0.1, 0.7, 0.8, None, (3, 14.0, 0.6)), // strings
        6 => s(Lowpass, 800.0, 0.1, 0.7, 0.8, None, (4, 16.0, 0.8)), // ensemble
        7 => s(
            Lowpass,
            600.0,
            0.2,
            0.7,
            1.5,
            Some((0.4, 1.2)),
            (1, 0.0, 0.0),
        ), // brass
        8 => s(Lowpass, 800.0, 0.3, 0.7, 1.0, None, (1, 0.0, 0.0)),  // reed
        9 => s(Lowpass, 1400.0, 0.0, 0.8, 0.5, None, (1, 0.0, 0.0)), // pipe
        10 => s(Lowpass, 1200.0, 0.3, 0.7, 1.2, None, (1, 0.0, 0.0)), // synth lead
        11 => s(Lowpass, 700.0, 0.2, 0.6, 0.6, None, (3, 12.0, 0.7)), // synth pad
        12 => s(Lowpass, 900.0, 0.4, 0.6, 0.8, None, (2, 10.0, 0.6)), // synth effects
        13 => s(
            Lowpass,
            1000.0,
            0.2,
            0.7,
            1.2,
            Some((0.5, 1.2)),
            (1, 0.0, 0.0),
        ), // ethnic
        14 => s(
            Lowpass,
            1200.0,
            0.1,
            0.5,
            1.2,
            Some((0.3, 1.5)),
            (1, 0.0, 0.0),
        ), // percussive
        _ => s(Bandpass, 1200.0, 0.5, 0.3, 0.5, None, (1, 0.0, 0.0)), // sound effects
    };
    let mut patch = Patch::new(preset.waveform.clone())
        .with_envelope(preset.envelope)
        .with_velocity_to_gain(0.0)
        .with_unison(shape.unison.0, shape.unison.1, shape.unison.2)
        .with_filter(Filter {
            drive: if family == 4 { 0.2 } else { 0.0 },
            ..Filter::new(shape.mode, shape.cutoff_hz * CUTOFF_SCALE, shape.resonance)
        })
        .with_lfo(1, Lfo::new(LfoShape::Sine, 5.5));
    if family == 0 {
        // A piano: a saw under the triangle for the strings' overtones.
        patch = patch
            .with_sources([
                PatchSource::new(preset.waveform.clone()),
                PatchSource::new(Waveform::Sawtooth).with(0.5, 0.0),
            ])
            .unwrap_or_else(|_| unreachable!("two sources"));
    }
    let slots = [
        (ModSource::Key, ModTarget::Cutoff, shape.key),
        (ModSource::Velocity, ModTarget::Cutoff, shape.velocity),
    ];
    for (source, target, amount) in slots {
        patch = patch
            .with_modulation(source, target, amount)
            .unwrap_or_else(|_| unreachable!("room in the matrix"));
    }
    if let Some((decay_secs, octaves)) = shape.sweep {
        patch = patch
            .with_mod_envelope(AdsrEnvelope::new(0.0, decay_secs, 0.0, 0.1))
            .with_modulation(ModSource::ModEnvelope, ModTarget::Cutoff, octaves)
            .unwrap_or_else(|_| unreachable!("room in the matrix"));
    }
    patch
        .with_scaled_modulation(ModSource::Lfo1, ModSource::ModWheel, ModTarget::Pitch, 0.5)
        .unwrap_or_else(|_| unreachable!("room in the matrix"))
}

/// The patch of a drum hit on the General MIDI percussion channel, and
/// the pitch it plays at: kicks and toms are filtered tones, snares and
/// claps noise through a bandpass (a snare with a tone under it), hats and
/// cymbals noise through a highpass, so each sits where its instrument does.
///
/// ```
/// use polyphonica::midi::drum_patch;
/// use polyphonica::patch::FilterMode;
/// let (hat, _) = drum_patch(42);
/// assert_eq!(hat.filter().unwrap().mode, FilterMode::Highpass);
/// ```
pub fn drum_patch(key: u8) -> (Patch, f32) {
    let (waveform, hz, envelope) = drum_preset(key);
    let filter = match key {
        35 | 36 => Filter::lowpass(300.0, 0.2),
        41 | 43 | 45 | 47 | 48 | 50 => Filter::lowpass(900.0, 0.1),
        38 | 40 => Filter::lowpass(5000.0, 0.1),
        39 => Filter::new(FilterMode::Bandpass, 1200.0, 0.3),
        42 | 44 => Filter::new(FilterMode::Highpass, 7000.0, 0.1),
        46 => Filter::new(FilterMode::Highpass, 6000.0, 0.1),
        49 | 51 | 52 | 53 | 55 | 57 | 59 => Filter::new(FilterMode::Highpass, 4500.0, 0.1),
        37 => Filter::lowpass(2500.0, 0.2),
        56 => Filter::new(FilterMode::Bandpass, 800.0, 0.5),
        _ => Filter::new(FilterMode::Bandpass, 2500.0, 0.2),
    };
    let mut patch = Patch::new(waveform)
        .with_envelope(envelope)
        .with_velocity_to_gain(0.0)
        .with_filter(filter);
    if matches!(key, 38 | 40) {
        // A snare: the drum's tone under the wires.
        patch = patch
            .with_sources([
                PatchSource::new(Waveform::Noise),
                PatchSource::new(Waveform::Triangle).with(0.6, 0.0),
            ])
            .unwrap_or_else(|_| unreachable!("two sources"));
    }
    let hz = if matches!(key, 38 | 40) { 190.0 } else { hz };
    (patch, hz)
}

/// The preset for a General MIDI program (`0..=127`), chosen by its family
/// of eight: pianos, chromatic percussion, organs, guitars, basses,
/// strings, ensembles, brass, reeds, pipes, synth leads, synth pads, synth
/// effects, ethnic, percussive and sound effects.
///
/// ```
/// use polyphonica::midi::program_preset;
/// use polyphonica::Waveform;
///
/// assert!(matches!(program_preset(0).waveform, Waveform::Triangle)); // piano
/// assert!(matches!(program_preset(40).waveform, Waveform::Sawtooth)); // violin
/// assert!(program_preset(0).envelope.sustain_level < program_preset(16).envelope.sustain_level);
/// ```
pub fn program_preset(program: u8) -> Preset {
    let p = |waveform, a, d, s, r, gain| Preset {
        waveform,
        envelope: AdsrEnvelope::new(a, d, s, r),
        gain,
        patch: None,
    };
    match program.min(127) / 8 {
        0 => p(Waveform::Triangle, 0.002, 1.2, 0.0, 0.3, 0.9), // piano
        1 => p(Waveform::Sine, 0.001, 0.6, 0.0, 0.4, 0.9),     // chromatic percussion
        2 => p(Waveform::Square, 0.005, 0.05, 0.9, 0.05, 0.45), // organ
        3 => p(
            Waveform::Pulse { duty_cycle: 0.2 },
            0.002,
            0.8,
            0.0,
            0.2,
            0.6,
        ), // guitar
        4 => p(Waveform::Triangle, 0.005, 0.4, 0.5, 0.1, 1.0), // bass
        5 => p(Waveform::Sawtooth, 0.08, 0.2, 0.8, 0.3, 0.45), // strings
        6 => p(Waveform::Sawtooth, 0.12, 0.3, 0.8, 0.4, 0.4),  // ensemble
        7 => p(Waveform::Sawtooth, 0.03, 0.1, 0.8, 0.15, 0.5), // brass
        8 => p(
            Waveform::Pulse { duty_cycle: 0.35 },
            0.03,
            0.1,
            0.8,
            0.1,
            0.5,
        ), // reed
        9 => p(Waveform::Sine, 0.04, 0.1, 0.9, 0.15, 0.8),     // pipe
        10 => p(Waveform::Square, 0.005, 0.1, 0.8, 0.1, 0.45), // synth lead
        11 => p(Waveform::Triangle, 0.4, 0.5, 0.8, 0.8, 0.6),  // synth pad
        12 => p(Waveform::Pulse { duty_cycle: 0.1 }, 0.2, 0.5, 0.6, 0.6, 0.4), // synth effects
        13 => p(
            Waveform::Pulse { duty_cycle: 0.25 },
            0.002,
            0.5,
            0.0,
            0.2,
            0.6,
        ), // ethnic
        14 => p(Waveform::Triangle, 0.001, 0.3, 0.0, 0.1, 0.9), // percussive
        _ => p(Waveform::Noise, 0.01, 0.3, 0.3, 0.3, 0.3),     // sound effects
    }
}

/// A drum hit for a key of the General MIDI percussion map (channel 10):
/// the oscillator, the pitch it plays at, and its envelope (sustain 0, so the
/// hit ends by itself).
///
/// Kicks and toms are pitched tones; snares, claps, hats and cymbals are
/// noise bursts of different lengths.
///
/// ```
/// use polyphonica::midi::drum_preset;
/// use polyphonica::Waveform;
///
/// let (kick, _, _) = drum_preset(36);
/// let (hat, _, hat_env) = drum_preset(42);
/// assert!(matches!(kick, Waveform::Sine));
/// assert!(matches!(hat, Waveform::Noise));
/// assert_eq!(hat_env.sustain_level, 0.0);
/// ```
pub fn drum_preset(key: u8) -> (Waveform, f32, AdsrEnvelope) {
    let hit = |decay_secs| AdsrEnvelope::new(0.001, decay_secs, 0.0, 0.02);
    match key {
        35 | 36 => (Waveform::Sine, 55.0, hit(0.25)), // kicks
        41 | 43 | 45 | 47 | 48 | 50 => {
            // toms, low to high
            let hz = 80.0 + (key as f32 - 41.0) * 15.0;
            (Waveform::Triangle, hz, hit(0.3))
        }
        38 | 40 => (Waveform::Noise, 1.0, hit(0.18)), // snares
        39 => (Waveform::Noise, 1.0, hit(0.12)),      // clap
        42 | 44 => (Waveform::Noise, 1.0, hit(0.05)), // closed, pedal hat
        46 => (Waveform::Noise, 1.0, hit(0.3)),       // open hat
        49 | 51 | 52 | 53 | 55 | 57 | 59 => (Waveform::Noise, 1.0, hit(0.9)), // cymbals
        37 => (Waveform::Square, 400.0, hit(0.03)),   // side stick
        56 => (Waveform::Pulse { duty_cycle: 0.3 }, 560.0, hit(0.15)), // cowbell
        _ => (Waveform::Noise, 1.0, hit(0.1)),
    }
}
