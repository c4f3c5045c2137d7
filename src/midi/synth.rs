//! `MidiSynth`: MIDI channel messages turned into notes on an engine.

use super::message::MidiMessage;
use std::sync::Arc;

use super::channel::{Channel, Key, Layer};
use super::presets::Preset;
use crate::patch::Patch;
use crate::soundfont::{SoundFontBank, SoundFontInstrument, MAX_LAYERS};
use crate::{EventTarget, Note, SampleData, VoiceId, Waveform};

/// The General MIDI percussion channel (channel 10, index 9).
pub const PERCUSSION_CHANNEL: u8 = 9;

/// The frequency of MIDI key `key` in equal temperament, A4 (key 69) =
/// 440 Hz: [`midi_frequency`](crate::render::midi_frequency) for a whole
/// key.
///
/// ```
/// use polyphonica::midi::key_to_hz;
/// assert_eq!(key_to_hz(69), 440.0);
/// assert!((key_to_hz(60) - 261.626).abs() < 0.001);
/// ```
pub fn key_to_hz(key: u8) -> f32 {
    crate::render::midi_frequency(f32::from(key))
}

/// Plays MIDI on anything that takes events ([`EventTarget`]): the direct
/// engine, a lock-free [`Controller`](crate::Controller) (live MIDI from an
/// input thread), or a [`Timed`](crate::control::Timed) controller, which plays each
/// message at its frame. Handles reverb and chorus sends (CC91, CC93;
/// reverb 40 and chorus 0 until set, as General MIDI 2 says), note on/off with velocity, sustain pedal (CC64),
/// volume and expression (CC7, CC11), pan (CC10), pitch bend (±2 semitones,
/// or the range set by RPN 0), all-notes-off (CC123) and all-sound-off
/// (CC120), reset-all-controllers (CC121), program change picking a preset
/// per General MIDI family, and channel 10 as percussion.
///
/// Each family and drum plays a patch ([`program_patch`](super::program_patch),
/// [`drum_patch`](super::drum_patch)): filtered, opening with velocity,
/// with a vibrato the mod wheel brings in. Every controller (0–119), the
/// channel pressure, polyphonic pressure and pitch bend also reach the
/// notes' modulation matrices as sources (see [`crate::patch`]), at the
/// message's frame.
///
/// It holds fixed arrays only: handling a message never allocates, so it can
/// run on the audio thread ([`MidiSynth::new`] builds the patches and
/// allocates).
///
/// ```
/// use polyphonica::midi::{MidiMessage, MidiSynth};
/// use polyphonica::{At, RealtimeEngine};
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let mut synth = MidiSynth::new();
/// synth.handle(&mut engine, MidiMessage::NoteOn { channel: 0, key: 69, velocity: 100 })?;
/// assert_eq!(engine.get_active_voice_count(), 1);
/// synth.handle(&mut engine, MidiMessage::ControlChange { channel: 0, controller: 64, value: 127 })?;
/// synth.handle(&mut engine, MidiMessage::NoteOff { channel: 0, key: 69 })?;
/// assert_eq!(synth.held_notes(), 1); // the pedal holds it
/// synth.handle(&mut engine, MidiMessage::ControlChange { channel: 0, controller: 64, value: 0 })?;
/// assert_eq!(synth.held_notes(), 0);
///
/// // The same synth on the lock-free path: a note at frame 1,000.
/// let (mut audio, mut control) = RealtimeEngine::new(48_000.0).split();
/// let note = MidiMessage::NoteOn { channel: 0, key: 60, velocity: 90 };
/// synth.handle(&mut control.at(At::Frame(1_000)), note).unwrap();
/// let mut block = [0.0f32; 1_024];
/// audio.process_buffer(&mut block);
/// assert!(block[..1_000].iter().all(|s| *s == 0.0) && block[1_001] != 0.0);
/// # Ok::<(), polyphonica::engine::InvalidNote>(())
/// ```
#[derive(Clone, Debug)]
pub struct MidiSynth {
    channels: Box<[Channel; 16]>,
    drum_samples: Box<[Option<SampleData>; 128]>,
    /// The sixteen General MIDI families' presets with their patches, and
    /// each drum key's patch and pitch, built once.
    families: Box<[Preset; 16]>,
    drums: Box<[(Arc<Patch>, f32); 128]>,
    soundfont: Option<Arc<SoundFontBank>>,
    gain: f32,
}

impl Default for MidiSynth {
    fn default() -> Self {
        Self::new()
    }
}

impl MidiSynth {
    /// A synth with every channel on program 0, volume 100, centred.
    /// Builds the General MIDI patches ([`program_patch`](super::program_patch),
    /// [`drum_patch`](super::drum_patch)): make it off the audio thread.
    pub fn new() -> Self {
        let families: Box<[Preset; 16]> =
            Box::new(std::array::from_fn(|f| Preset::general_midi(f as u8 * 8)));
        MidiSynth {
            channels: Box::new(std::array::from_fn(|_| {
                Channel::with_preset(families[0].clone())
            })),
            drum_samples: Box::new(std::array::from_fn(|_| None)),
            drums: Box::new(std::array::from_fn(|key| {
                let (patch, hz) = super::drum_patch(key as u8);
                (Arc::new(patch), hz)
            })),
            families,
            soundfont: None,
            gain: 0.3,
        }
    }

    /// A synth whose channels play the presets of a SoundFont: program
    /// changes and bank selects (CC0) pick the font's preset (the same
    /// program in bank 0 when the font lacks the bank; the percussion
    /// channel plays bank 128), and each note plays the preset's zones
    /// ([`SoundFontInstrument::notes`]): up to [`MAX_LAYERS`] voices a
    /// note, exclusive classes cutting each other off within 5 ms, the
    /// standard's default modulators (velocity to level and filter, the mod
    /// wheel and pressure to vibrato depth) and the font's own. The gain
    /// starts at 0.2, FluidSynth's. Make it off the audio thread.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use polyphonica::midi::{MidiMessage, MidiSynth};
    /// use polyphonica::soundfont::SoundFontBank;
    /// use polyphonica::RealtimeEngine;
    ///
    /// let font = Arc::new(SoundFontBank::from_file("/usr/share/sounds/sf2/TimGM6mb.sf2")?);
    /// let mut synth = MidiSynth::with_soundfont(font);
    /// let mut engine = RealtimeEngine::new(44_100.0);
    /// synth.handle(&mut engine, MidiMessage::ProgramChange { channel: 0, program: 46 }).unwrap();
    /// synth.handle(&mut engine, MidiMessage::NoteOn { channel: 0, key: 60, velocity: 100 }).unwrap();
    /// # Ok::<(), polyphonica::soundfont::SoundFontError>(())
    /// ```
    pub fn with_soundfont(bank: Arc<SoundFontBank>) -> Self {
        let mut synth = MidiSynth::new();
        synth.gain = 0.2;
        synth.soundfont = Some(bank);
        for c in 0..16u8 {
            synth.channels[usize::from(c)].bank = if c == PERCUSSION_CHANNEL { 128 } else { 0 };
            synth.select_instrument(c);
        }
        synth
    }

    /// Turns the notes' effect sends on (the default) or off: off, no note
    /// reaches the reverb, chorus or delay, whatever its patch, zone or
    /// channel (CC91, CC93) says; a dry render, as FluidSynth's `-R 0 -C 0`.
    ///
    /// ```
    /// use polyphonica::midi::{MidiMessage, MidiSynth};
    /// use polyphonica::RealtimeEngine;
    /// let mut engine = RealtimeEngine::new(48_000.0);
    /// let mut synth = MidiSynth::new();
    /// synth.set_effects(false);
    /// synth.handle(&mut engine, MidiMessage::NoteOn { channel: 0, key: 60, velocity: 100 }).unwrap();
    /// let mut block = [0.0f32; 512];
    /// engine.process_stereo_buffer(&mut block);
    /// assert!(!engine.effects_ringing());
    /// ```
    pub fn set_effects(&mut self, on: bool) {
        for ch in self.channels.iter_mut() {
            ch.effects = on;
        }
    }

    /// The SoundFont the synth plays, if any.
    pub fn soundfont(&self) -> Option<&Arc<SoundFontBank>> {
        self.soundfont.as_ref()
    }

    /// Points channel `c` at its bank and program's instrument (a search
    /// and an `Arc` clone: never allocates).
    fn select_instrument(&mut self, c: u8) {
        let ch = &mut self.channels[usize::from(c & 0x0F)];
        ch.instrument = self
            .soundfont
            .as_ref()
            .and_then(|font| font.instrument_or_fallback(ch.bank, u16::from(ch.program)))
            .cloned();
    }

    /// Sets the overall level of every note (default 0.3, leaving headroom
    /// for several loud notes at once).
    pub fn set_gain(&mut self, gain: f32) {
        if gain.is_finite() {
            self.gain = gain.clamp(0.0, 1.0);
        }
    }

    /// Plays `sample` for drum key `key` on the percussion channel instead
    /// of the built-in hit (at its recorded pitch).
    pub fn set_drum_sample(&mut self, key: u8, sample: SampleData) {
        self.drum_samples[(key & 0x7F) as usize] = Some(sample);
    }

    /// Replaces the preset of a channel (until its next program change).
    pub fn set_channel_preset(&mut self, channel: u8, preset: Preset) {
        self.channels[(channel & 0x0F) as usize].preset = preset;
    }

    /// Notes held by a key or by the sustain pedal, on all channels.
    pub fn held_notes(&self) -> usize {
        self.channels
            .iter()
            .map(|c| c.keys.iter().filter(|k| k.is_sounding()).count())
            .sum()
    }

    /// Applies one message to `target`. Never allocates.
    ///
    /// # Errors
    /// The target's, when it refuses a command (a controller's full
    /// queue); the message may then be applied in part (a chord's first
    /// notes), and the synth forgets the notes that did not start.
    pub fn handle<T: EventTarget>(
        &mut self,
        engine: &mut T,
        message: MidiMessage,
    ) -> Result<(), T::Error> {
        match message {
            MidiMessage::NoteOn {
                channel,
                key,
                velocity,
            } => self.note_on(engine, channel, key, velocity),
            MidiMessage::NoteOff { channel, key } => self.note_off(engine, channel, key),
            MidiMessage::ControlChange {
                channel,
                controller,
                value,
            } => self.control_change(engine, channel, controller, value),
            MidiMessage::ProgramChange { channel, program } => {
                let ch = &mut self.channels[(channel & 0x0F) as usize];
                ch.preset = self.families[usize::from(program.min(127) / 8)].clone();
                ch.program = program.min(127);
                self.select_instrument(channel);
                Ok(())
            }
            MidiMessage::PitchBend { channel, value } => {
                let ch = &mut self.channels[(channel & 0x0F) as usize];
                ch.bend = value.clamp(-8192, 8191);
                Self::retune(engine, ch)?;
                engine.set_pitch_bend(channel & 0x0F, f32::from(ch.bend) / 8192.0)
            }
            MidiMessage::ChannelPressure { channel, pressure } => {
                engine.set_channel_pressure(channel & 0x0F, f32::from(pressure.min(127)) / 127.0)
            }
            MidiMessage::PolyPressure {
                channel,
                key,
                pressure,
            } => {
                let ch = &self.channels[(channel & 0x0F) as usize];
                for layer in ch.keys[(key & 0x7F) as usize].voices() {
                    engine.set_poly_pressure(layer.id, f32::from(pressure.min(127)) / 127.0)?;
                }
                Ok(())
            }
        }
    }

    fn note_on<T: EventTarget>(
        &mut self,
        engine: &mut T,
        channel: u8,
        key: u8,
        velocity: u8,
    ) -> Result<(), T::Error> {
        let (channel, key) = ((channel & 0x0F) as usize, (key & 0x7F) as usize);
        self.channels[channel].keys[key].release(engine)?;
        if let Some(instrument) = self.channels[channel].instrument.clone() {
            return self.soundfont_note_on(engine, &instrument, channel, key, velocity);
        }
        let gain = self.gain;
        let ch = &mut self.channels[channel];
        let velocity_level = {
            let v = velocity.min(127) as f32 / 127.0;
            v * v
        };
        let percussion = channel == PERCUSSION_CHANNEL as usize;
        let (note, level, hz) = if percussion {
            let note = match &self.drum_samples[key] {
                Some(sample) => Note::new(
                    Waveform::Sample(sample.clone()),
                    sample.base_frequency_hz(),
                    crate::AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05),
                ),
                None => {
                    let (patch, hz) = &self.drums[key];
                    Note::from_patch(patch, *hz)
                }
            };
            let hz = note.frequency_hz;
            (note, velocity_level, hz)
        } else {
            let hz = key_to_hz(key as u8);
            let note = match &ch.preset.patch {
                Some(patch) => Note::from_patch(patch, hz * ch.bend_ratio()),
                None => Note::new(
                    ch.preset.waveform.clone(),
                    hz * ch.bend_ratio(),
                    ch.preset.envelope,
                ),
            };
            (note, ch.preset.gain * velocity_level, hz)
        };
        let note = note
            .with_amplitude(gain * level * ch.level())
            .with_velocity(f32::from(velocity.min(127)) / 127.0)
            .with_channel(channel as u8)
            .with_pan(ch.pan_position())
            .with_sends(ch.sends());
        let id = engine.trigger(note)?;
        // Drum hits end by themselves, unless the drum is a sample: release
        // it with the key.
        if !percussion || self.drum_samples[key].is_some() {
            ch.keys[key].layers[0] = Some(Layer {
                id,
                hz: if percussion { 0.0 } else { hz },
                amplitude: level,
                pan: 0.0,
                sends: None,
                class: 0,
                constant_power: false,
            });
            ch.keys[key].sustained = false;
        }
        Ok(())
    }

    /// A note of a SoundFont instrument: each of its zones a voice.
    fn soundfont_note_on<T: EventTarget>(
        &mut self,
        engine: &mut T,
        instrument: &SoundFontInstrument,
        channel: usize,
        key: usize,
        velocity: u8,
    ) -> Result<(), T::Error> {
        let gain = self.gain;
        let ch = &mut self.channels[channel];
        let bend = ch.bend_ratio();
        let mut layers = [None; MAX_LAYERS];
        for (slot, mut zone) in layers.iter_mut().zip(instrument.notes(key as u8, velocity)) {
            if zone.exclusive_class != 0 {
                Self::cut_class(engine, ch, zone.exclusive_class)?;
            }
            let note = &zone.note;
            let layer = Layer {
                id: VoiceId::from_raw(0),
                hz: note.frequency_hz,
                amplitude: zone.level,
                pan: zone.pan,
                sends: Some((note.sends.reverb, note.sends.chorus)),
                class: zone.exclusive_class,
                constant_power: true,
            };
            let (pan, amplitude) = layer.placed(ch, gain);
            zone.note = zone
                .note
                .with_amplitude(amplitude)
                .with_pan(pan)
                .with_sends(ch.layer_sends(layer.sends))
                .with_channel(channel as u8);
            zone.note.frequency_hz = layer.hz * bend;
            let id = zone.trigger(engine)?;
            *slot = Some(Layer { id, ..layer });
        }
        ch.keys[key] = Key {
            layers,
            sustained: false,
        };
        Ok(())
    }

    /// Cuts off, within 5 ms, every note of the channel whose zone is of
    /// exclusive class `class`.
    fn cut_class<T: EventTarget>(
        engine: &mut T,
        ch: &mut Channel,
        class: u16,
    ) -> Result<(), T::Error> {
        for key in ch.keys.iter_mut().filter(|k| k.is_sounding()) {
            let mut removed = false;
            let mut outcome = Ok(());
            for layer in key.layers.iter_mut() {
                if let Some(l) = layer.filter(|l| l.class == class) {
                    *layer = None;
                    removed = true;
                    if outcome.is_ok() {
                        outcome = engine
                            .ramp_voice_amplitude(l.id, 0.0, 0.005)
                            .and_then(|()| engine.release_note(l.id));
                    }
                }
            }
            if removed {
                // Keep the layers packed from the first (`Channel::layers`
                // looks only at keys whose first slot holds one), error or
                // not.
                key.layers.sort_unstable_by_key(|l| l.is_none());
            }
            outcome?;
        }
        Ok(())
    }

    fn note_off<T: EventTarget>(
        &mut self,
        engine: &mut T,
        channel: u8,
        key: u8,
    ) -> Result<(), T::Error> {
        let ch = &mut self.channels[(channel & 0x0F) as usize];
        let k = &mut ch.keys[(key & 0x7F) as usize];
        if ch.sustain && k.is_sounding() {
            k.sustained = true;
        } else {
            k.release(engine)?;
        }
        Ok(())
    }

    fn control_change<T: EventTarget>(
        &mut self,
        engine: &mut T,
        channel: u8,
        controller: u8,
        value: u8,
    ) -> Result<(), T::Error> {
        let gain = self.gain;
        let ch = &mut self.channels[(channel & 0x0F) as usize];
        let value = value.min(127);
        match controller {
            cc::DATA_ENTRY if ch.rpn == RPN_BEND_RANGE => {
                ch.bend_range_semitones = value as f32 + ch.bend_range_semitones.fract()
            }
            cc::DATA_ENTRY_FINE if ch.rpn == RPN_BEND_RANGE => {
                ch.bend_range_semitones =
                    ch.bend_range_semitones.trunc() + value.min(99) as f32 / 100.0
            }
            cc::VOLUME | cc::EXPRESSION => {
                if controller == cc::VOLUME {
                    ch.volume = value;
                } else {
                    ch.expression = value;
                }
                Self::relevel(engine, ch, gain)?;
            }
            cc::PAN => {
                ch.pan = value;
                for layer in ch.layers() {
                    let (pan, amplitude) = layer.placed(ch, gain);
                    engine.set_voice_pan(layer.id, pan)?;
                    if layer.constant_power {
                        engine.set_voice_amplitude(layer.id, amplitude)?;
                    }
                }
            }
            cc::SUSTAIN => {
                ch.sustain = value >= 64;
                if !ch.sustain {
                    for k in ch.keys.iter_mut().filter(|k| k.sustained) {
                        k.sustained = false;
                        k.release(engine)?;
                    }
                }
            }
            cc::REVERB_SEND | cc::CHORUS_SEND => {
                if controller == cc::REVERB_SEND {
                    ch.reverb = value;
                } else {
                    ch.chorus = value;
                }
                for layer in ch.layers() {
                    engine.set_voice_sends(layer.id, ch.layer_sends(layer.sends))?;
                }
            }
            cc::BANK_SELECT => ch.bank = u16::from(value),
            cc::RPN_LSB => ch.rpn.1 = value,
            cc::RPN_MSB => ch.rpn.0 = value,
            // An NRPN: its data entry is not ours.
            cc::NRPN_LSB | cc::NRPN_MSB => ch.rpn = NO_RPN,
            // Silent within the amplitude ramp (5 ms).
            cc::ALL_SOUND_OFF => Self::end_all(engine, ch, true)?,
            cc::RESET_ALL_CONTROLLERS => {
                ch.expression = 127;
                ch.bend = 0;
                ch.sustain = false;
                ch.rpn = NO_RPN;
                Self::retune(engine, ch)?;
            }
            // All notes off, and the mode messages that imply it.
            cc::ALL_NOTES_OFF..=cc::POLY_MODE_ON => Self::end_all(engine, ch, false)?,
            _ => {}
        }
        // Every controller is a modulation source of the channel's patched
        // notes (the mod wheel their vibrato); a reset takes the wheel, the
        // pressure and the bend back to rest.
        let channel = channel & 0x0F;
        if controller == cc::RESET_ALL_CONTROLLERS {
            engine.set_controller(channel, cc::MOD_WHEEL, 0.0)?;
            engine.set_channel_pressure(channel, 0.0)?;
            engine.set_pitch_bend(channel, 0.0)?;
        } else if controller < 120 {
            engine.set_controller(channel, controller, f32::from(value) / 127.0)?;
        }
        Ok(())
    }

    /// Sets every held note of the channel to its level: `gain` × its
    /// own (velocity curve, preset or zone level) × the channel's volume
    /// and expression.
    fn relevel<T: EventTarget>(engine: &mut T, ch: &Channel, gain: f32) -> Result<(), T::Error> {
        for layer in ch.layers() {
            engine.set_voice_amplitude(layer.id, layer.placed(ch, gain).1)?;
        }
        Ok(())
    }

    /// Releases every note of the channel, pedal or not; `silence` first
    /// takes each to amplitude 0 (all sound off).
    fn end_all<T: EventTarget>(
        engine: &mut T,
        ch: &mut Channel,
        silence: bool,
    ) -> Result<(), T::Error> {
        for k in ch.keys.iter_mut() {
            k.sustained = false;
            if silence {
                for layer in k.voices() {
                    engine.set_voice_amplitude(layer.id, 0.0)?;
                }
            }
            k.release(engine)?;
        }
        Ok(())
    }

    fn retune<T: EventTarget>(engine: &mut T, ch: &Channel) -> Result<(), T::Error> {
        let ratio = ch.bend_ratio();
        for layer in ch.layers() {
            if layer.hz > 0.0 {
                engine.set_voice_frequency(layer.id, layer.hz * ratio)?;
            }
        }
        Ok(())
    }
}

/// A channel's reverb send until CC91 sets it: General MIDI 2's default.
pub(super) const DEFAULT_REVERB_SEND: u8 = 40;

/// The registered parameter "pitch bend sensitivity" (RPN 0, 0).
const RPN_BEND_RANGE: (u8, u8) = (0, 0);
/// No registered parameter selected (RPN 127, 127).
pub(super) const NO_RPN: (u8, u8) = (127, 127);

/// The controller numbers the synth answers to (General MIDI 1 and 2).
mod cc {
    pub(super) const BANK_SELECT: u8 = 0;
    pub(super) const MOD_WHEEL: u8 = 1;
    pub(super) const DATA_ENTRY: u8 = 6;
    pub(super) const VOLUME: u8 = 7;
    pub(super) const PAN: u8 = 10;
    pub(super) const EXPRESSION: u8 = 11;
    pub(super) const DATA_ENTRY_FINE: u8 = 38;
    pub(super) const SUSTAIN: u8 = 64;
    pub(super) const REVERB_SEND: u8 = 91;
    pub(super) const CHORUS_SEND: u8 = 93;
    pub(super) const NRPN_LSB: u8 = 98;
    pub(super) const NRPN_MSB: u8 = 99;
    pub(super) const RPN_LSB: u8 = 100;
    pub(super) const RPN_MSB: u8 = 101;
    pub(super) const ALL_SOUND_OFF: u8 = 120;
    pub(super) const RESET_ALL_CONTROLLERS: u8 = 121;
    pub(super) const ALL_NOTES_OFF: u8 = 123;
    /// The last of the mode messages (124–127) that end every note.
    pub(super) const POLY_MODE_ON: u8 = 127;
}
