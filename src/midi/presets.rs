//! Sounds for General MIDI programs and drum keys, built from the engine's
//! own oscillators.

use crate::{AdsrEnvelope, Waveform};

/// How a channel sounds: a source, an envelope and a level.
#[derive(Clone, Debug)]
pub struct Preset {
    /// The oscillator.
    pub waveform: Waveform,
    /// The envelope of every note.
    pub envelope: AdsrEnvelope,
    /// Level relative to the other presets, `0.0..=1.0`.
    pub gain: f32,
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
