//! What a region sounds like for one note, in the engine's units: its
//! sample frames and loop, pitch, gain, pan, envelopes, filter, LFOs and
//! sends, converted from the SoundFont's generators (timecents, centibels,
//! absolute cents, tenths of a percent) as section 8.1.3 defines them.

use super::{Generator, Region, SampleHeader, GENERATOR_COUNT};

/// How a region's sample loops (generator 54, `sampleModes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopMode {
    /// Plays once, start to end.
    None,
    /// Loops for as long as the note sounds, release included.
    Continuous,
    /// Loops while the key is held, then plays on to the end.
    UntilRelease,
}

/// An envelope in seconds and levels (0 to 1), as a SoundFont envelope has
/// it: delay, attack, hold, decay, sustain, release.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EnvelopeSecs {
    /// Silent before the attack.
    pub delay_secs: f32,
    /// Rise to full level.
    pub attack_secs: f32,
    /// Held at full level.
    pub hold_secs: f32,
    /// Fall to the sustain level (the time a fall from full to silence
    /// would take, as the standard measures it).
    pub decay_secs: f32,
    /// The sustain level, 0 to 1 (for the volume envelope, of the gain in
    /// decibels' terms: see [`ZoneSound::volume_envelope`]).
    pub sustain: f32,
    /// Fall from the sustain level to silence after the key is released.
    pub release_secs: f32,
}

/// An LFO: its delay and rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LfoSecs {
    /// Time before it starts.
    pub delay_secs: f32,
    /// Its rate.
    pub frequency_hz: f32,
}

/// One note of a region, ready for a voice.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneSound {
    /// First frame and one past the last, in the font's sample data (the
    /// header's with the address offsets added, kept inside the header's).
    pub start: u32,
    /// See `start`.
    pub end: u32,
    /// The loop, in the same frames (start, end).
    pub loop_start: u32,
    /// See `loop_start`.
    pub loop_end: u32,
    /// How it loops.
    pub loop_mode: LoopMode,
    /// Sample frames per output second at the note's pitch, before pitch
    /// modulation: the sample's rate times the pitch ratio.
    pub playback_rate_hz: f64,
    /// The note's gain from the initial attenuation, linear.
    pub gain: f32,
    /// Pan, −1 (left) to 1 (right).
    pub pan: f32,
    /// The volume envelope. Its sustain is a linear gain here (the
    /// standard gives it as an attenuation in centibels).
    pub volume_envelope: EnvelopeSecs,
    /// The modulation envelope (sustain 0 to 1).
    pub mod_envelope: EnvelopeSecs,
    /// The lowpass filter's cutoff in Hz, `None` when it is wide open
    /// (13500 cents or more with no resonance, which the standard's
    /// filter leaves unfiltered).
    pub filter_cutoff_hz: Option<f32>,
    /// The filter's resonance peak, in decibels (0 to 96).
    pub filter_q_db: f32,
    /// The modulation LFO and the vibrato LFO.
    pub mod_lfo: LfoSecs,
    /// See `mod_lfo`.
    pub vibrato_lfo: LfoSecs,
    /// Depths, in cents of pitch: the modulation LFO, the vibrato LFO and
    /// the modulation envelope.
    pub mod_lfo_to_pitch_cents: f32,
    /// See `mod_lfo_to_pitch_cents`.
    pub vibrato_lfo_to_pitch_cents: f32,
    /// See `mod_lfo_to_pitch_cents`.
    pub mod_env_to_pitch_cents: f32,
    /// Depths, in cents of cutoff: the modulation LFO and envelope.
    pub mod_lfo_to_cutoff_cents: f32,
    /// See `mod_lfo_to_cutoff_cents`.
    pub mod_env_to_cutoff_cents: f32,
    /// The modulation LFO's depth on the volume, in decibels.
    pub mod_lfo_to_volume_db: f32,
    /// Reverb and chorus sends, 0 to 1.
    pub reverb_send: f32,
    /// See `reverb_send`.
    pub chorus_send: f32,
    /// Notes of the same non-zero class in a preset cut each other off.
    pub exclusive_class: u16,
}

/// The shortest release of a zone's volume envelope, in timecents (see
/// [`Region::sound`]).
const MIN_VOLUME_RELEASE_TIMECENTS: i32 = -7200;

/// Seconds from timecents (1200 per doubling, 0 = one second); −32768, the
/// standard's "instantaneous", and anything below −12000 is 1 ms or less.
///
/// ```
/// use polyphonica::soundfont::timecents_to_secs;
/// assert_eq!(timecents_to_secs(0), 1.0);
/// assert_eq!(timecents_to_secs(1200), 2.0);
/// assert_eq!(timecents_to_secs(-12000), 2f32.powi(-10)); // about 1 ms
/// assert_eq!(timecents_to_secs(-32768), 0.0);
/// ```
pub fn timecents_to_secs(timecents: i32) -> f32 {
    if timecents <= -32768 {
        return 0.0;
    }
    (timecents.clamp(-12000, 8000) as f32 / 1200.0).exp2()
}

/// Hz from absolute cents (0 = 8.176 Hz, MIDI key 0).
///
/// ```
/// use polyphonica::soundfont::cents_to_hz;
/// assert!((cents_to_hz(6900) - 440.0).abs() < 0.01);
/// assert!((cents_to_hz(13500) - 19_912.0).abs() < 1.0);
/// ```
pub fn cents_to_hz(cents: i32) -> f32 {
    8.175_799 * (cents as f32 / 1200.0).exp2()
}

/// A linear gain from an attenuation in centibels (10 per decibel).
///
/// ```
/// use polyphonica::soundfont::centibels_to_gain;
/// assert_eq!(centibels_to_gain(0), 1.0);
/// assert!((centibels_to_gain(200) - 0.1).abs() < 1e-6);
/// ```
pub fn centibels_to_gain(centibels: i32) -> f32 {
    10f32.powf(-(centibels.max(0) as f32) / 200.0)
}

/// What a note's velocity and key modulators add to a region's generators
/// (the envelopes' times, sustains and key scalings, the sample's start and
/// loop, the scale tuning), in the generators' own units. The sums are
/// clamped as the generators are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct GeneratorOffsets {
    by_generator: [f32; GENERATOR_COUNT],
    /// Whether anything was added (most notes: nothing).
    any: bool,
}

impl Default for GeneratorOffsets {
    fn default() -> Self {
        GeneratorOffsets {
            by_generator: [0.0; GENERATOR_COUNT],
            any: false,
        }
    }
}

impl GeneratorOffsets {
    /// Adds `amount` to the generator `destination` (nothing, if there is
    /// no such generator).
    pub(crate) fn add(&mut self, destination: u16, amount: f32) {
        if let Some(offset) = self.by_generator.get_mut(usize::from(destination)) {
            *offset += amount;
            self.any = true;
        }
    }

    /// What is added to `generator`, rounded to its units.
    #[cfg(test)]
    pub(crate) fn of(&self, generator: Generator) -> i32 {
        self.of_index(generator as usize)
    }

    fn of_index(&self, index: usize) -> i32 {
        let x = self.by_generator[index];
        x.round().clamp(-65_536.0, 65_536.0) as i32
    }
}

impl Region {
    /// What this region plays for `key` (0–127): its sample `header` (the
    /// one [`Region::sample`] names), and every generator in the engine's
    /// units. Out-of-range generator values are clamped as the standard's
    /// table of ranges says.
    pub fn sound(&self, header: &SampleHeader, key: u8) -> ZoneSound {
        self.sound_for_note(header, key, &GeneratorOffsets::default())
    }

    /// [`Region::sound`] with a note's modulators added to the generators
    /// (see [`GeneratorOffsets`]).
    pub(crate) fn sound_for_note(
        &self,
        header: &SampleHeader,
        key: u8,
        offsets: &GeneratorOffsets,
    ) -> ZoneSound {
        // The generators with the note's offsets, when it has any.
        let summed: Option<[i32; GENERATOR_COUNT]> = offsets
            .any
            .then(|| std::array::from_fn(|i| i32::from(self.generators[i]) + offsets.of_index(i)));
        let g = |gen: Generator| match &summed {
            Some(summed) => summed[gen as usize],
            None => i32::from(self.get(gen)),
        };
        // A zone's `keynum` stands in for the key played, everywhere.
        let key = match g(Generator::Keynum) {
            k @ 0..=127 => k,
            _ => i32::from(key.min(127)),
        };
        // Addresses: fine plus 32768 × coarse, kept inside the header's.
        let offset = |fine: Generator, coarse: Generator| g(fine) + 32_768 * g(coarse);
        let within = |base: u32, delta: i32, lo: u32, hi: u32| {
            (i64::from(base) + i64::from(delta)).clamp(i64::from(lo), i64::from(hi)) as u32
        };
        let start = within(
            header.start,
            offset(
                Generator::StartAddrsOffset,
                Generator::StartAddrsCoarseOffset,
            ),
            header.start,
            header.end,
        );
        let end = within(
            header.end,
            offset(Generator::EndAddrsOffset, Generator::EndAddrsCoarseOffset),
            start,
            header.end,
        );
        let loop_start = within(
            header.loop_start,
            offset(
                Generator::StartloopAddrsOffset,
                Generator::StartloopAddrsCoarseOffset,
            ),
            start,
            end,
        );
        let loop_end = within(
            header.loop_end,
            offset(
                Generator::EndloopAddrsOffset,
                Generator::EndloopAddrsCoarseOffset,
            ),
            loop_start,
            end,
        );
        let loop_mode = match g(Generator::SampleModes) & 3 {
            1 if loop_end > loop_start + 1 => LoopMode::Continuous,
            3 if loop_end > loop_start + 1 => LoopMode::UntilRelease,
            _ => LoopMode::None,
        };
        // Pitch: scale tuning from the root key, coarse and fine tune, the
        // sample's own correction.
        let root = match g(Generator::OverridingRootKey) {
            k @ 0..=127 => k,
            _ => i32::from(header.original_key.min(127)),
        };
        let cents = f64::from(g(Generator::ScaleTuning).clamp(0, 1200)) * f64::from(key - root)
            + 100.0 * f64::from(g(Generator::CoarseTune).clamp(-120, 120))
            + f64::from(g(Generator::FineTune).clamp(-99, 99))
            + f64::from(header.correction_cents);
        let playback_rate_hz = f64::from(header.sample_rate.max(1)) * (cents / 1200.0).exp2();
        let envelope = |delay, attack, hold, decay, release, hold_by_key, decay_by_key| {
            let by_key = |gen: Generator| g(gen).clamp(-1200, 1200) * (60 - key);
            EnvelopeSecs {
                delay_secs: timecents_to_secs(g(delay)),
                attack_secs: timecents_to_secs(g(attack)),
                hold_secs: timecents_to_secs(g(hold) + by_key(hold_by_key)),
                decay_secs: timecents_to_secs(g(decay) + by_key(decay_by_key)),
                sustain: 0.0,
                release_secs: timecents_to_secs(g(release)),
            }
        };
        let mut volume_envelope = envelope(
            Generator::DelayVolEnv,
            Generator::AttackVolEnv,
            Generator::HoldVolEnv,
            Generator::DecayVolEnv,
            Generator::ReleaseVolEnv,
            Generator::KeynumToVolEnvHold,
            Generator::KeynumToVolEnvDecay,
        );
        volume_envelope.sustain = centibels_to_gain(g(Generator::SustainVolEnv).clamp(0, 1440));
        // A release of at least −7200 timecents (about 16 ms), as FluidSynth
        // keeps it (FLUID_MIN_VOLENVRELEASE) against the click of a note
        // cut off in the millisecond of the standard's default (−12000).
        // The three test fonts' zones all release more slowly than that.
        volume_envelope.release_secs = volume_envelope
            .release_secs
            .max(timecents_to_secs(MIN_VOLUME_RELEASE_TIMECENTS));
        let mut mod_envelope = envelope(
            Generator::DelayModEnv,
            Generator::AttackModEnv,
            Generator::HoldModEnv,
            Generator::DecayModEnv,
            Generator::ReleaseModEnv,
            Generator::KeynumToModEnvHold,
            Generator::KeynumToModEnvDecay,
        );
        mod_envelope.sustain = 1.0 - g(Generator::SustainModEnv).clamp(0, 1000) as f32 / 1000.0;
        let fc = g(Generator::InitialFilterFc).clamp(1500, 13500);
        let q_cb = g(Generator::InitialFilterQ).clamp(0, 960);
        let lfo = |delay: Generator, freq: Generator| LfoSecs {
            delay_secs: timecents_to_secs(g(delay)),
            frequency_hz: cents_to_hz(g(freq).clamp(-16000, 4500)),
        };
        let depth = |gen: Generator| g(gen).clamp(-12000, 12000) as f32;
        ZoneSound {
            start,
            end,
            loop_start,
            loop_end,
            loop_mode,
            playback_rate_hz,
            gain: centibels_to_gain(g(Generator::InitialAttenuation).clamp(0, 1440)),
            pan: g(Generator::Pan).clamp(-500, 500) as f32 / 500.0,
            volume_envelope,
            mod_envelope,
            filter_cutoff_hz: (fc < 13500 || q_cb > 0).then(|| cents_to_hz(fc)),
            filter_q_db: q_cb as f32 / 10.0,
            mod_lfo: lfo(Generator::DelayModLfo, Generator::FreqModLfo),
            vibrato_lfo: lfo(Generator::DelayVibLfo, Generator::FreqVibLfo),
            mod_lfo_to_pitch_cents: depth(Generator::ModLfoToPitch),
            vibrato_lfo_to_pitch_cents: depth(Generator::VibLfoToPitch),
            mod_env_to_pitch_cents: depth(Generator::ModEnvToPitch),
            mod_lfo_to_cutoff_cents: depth(Generator::ModLfoToFilterFc),
            mod_env_to_cutoff_cents: depth(Generator::ModEnvToFilterFc),
            mod_lfo_to_volume_db: g(Generator::ModLfoToVolume).clamp(-960, 960) as f32 / 10.0,
            reverb_send: g(Generator::ReverbEffectsSend).clamp(0, 1000) as f32 / 1000.0,
            chorus_send: g(Generator::ChorusEffectsSend).clamp(0, 1000) as f32 / 1000.0,
            exclusive_class: g(Generator::ExclusiveClass).clamp(0, 127) as u16,
        }
    }
}
