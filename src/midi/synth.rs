//! `MidiSynth`: MIDI channel messages turned into notes on an engine.

use super::message::MidiMessage;
use super::presets::{drum_preset, program_preset, Preset};
use crate::{Note, RealtimeEngine, SampleData, VoiceId, Waveform};

/// What a [`MidiSynth`] drives: anything that starts, releases and adjusts
/// notes by id. [`RealtimeEngine`] implements it; so can a controller that
/// queues the calls to another thread.
pub trait VoiceControl {
    /// Starts a note; `None` if it cannot be played.
    fn trigger(&mut self, note: Note) -> Option<VoiceId>;
    /// Starts a note's release.
    fn release(&mut self, id: VoiceId);
    /// Changes a note's frequency.
    fn set_frequency(&mut self, id: VoiceId, frequency_hz: f32);
    /// Changes a note's amplitude.
    fn set_amplitude(&mut self, id: VoiceId, amplitude: f32);
    /// Changes a note's pan.
    fn set_pan(&mut self, id: VoiceId, pan: f32);
}

impl VoiceControl for RealtimeEngine {
    fn trigger(&mut self, note: Note) -> Option<VoiceId> {
        RealtimeEngine::trigger(self, note)
    }
    fn release(&mut self, id: VoiceId) {
        self.release_note(id);
    }
    fn set_frequency(&mut self, id: VoiceId, frequency_hz: f32) {
        self.set_voice_frequency(id, frequency_hz);
    }
    fn set_amplitude(&mut self, id: VoiceId, amplitude: f32) {
        self.set_voice_amplitude(id, amplitude);
    }
    fn set_pan(&mut self, id: VoiceId, pan: f32) {
        self.set_voice_pan(id, pan);
    }
}

/// The General MIDI percussion channel (channel 10, index 9).
pub const PERCUSSION_CHANNEL: u8 = 9;

#[derive(Clone, Copy, Debug, Default)]
struct Key {
    voice: Option<VoiceId>,
    velocity: u8,
    /// Let go while the sustain pedal was down: released when it comes up.
    sustained: bool,
}

#[derive(Clone, Debug)]
struct Channel {
    preset: Preset,
    volume: u8,
    expression: u8,
    pan: u8,
    bend: i16,
    bend_range_semitones: f32,
    /// Selected registered parameter (MSB, LSB); (127, 127) is none.
    rpn: (u8, u8),
    sustain: bool,
    keys: [Key; 128],
}

impl Channel {
    fn new() -> Self {
        Channel {
            preset: program_preset(0),
            volume: 100,
            expression: 127,
            pan: 64,
            bend: 0,
            bend_range_semitones: 2.0,
            rpn: (127, 127),
            sustain: false,
            keys: [Key::default(); 128],
        }
    }

    fn pan_position(&self) -> f32 {
        ((self.pan as f32 - 64.0) / 63.0).clamp(-1.0, 1.0)
    }

    fn bend_ratio(&self) -> f32 {
        let semitones = self.bend as f32 / 8192.0 * self.bend_range_semitones;
        2f32.powf(semitones / 12.0)
    }

    /// Volume × expression, each on the squared curve General MIDI suggests.
    fn level(&self) -> f32 {
        let v = self.volume as f32 / 127.0;
        let e = self.expression as f32 / 127.0;
        v * v * e * e
    }
}

/// The frequency of MIDI key `key` in equal temperament, A4 (key 69) =
/// 440 Hz.
///
/// ```
/// use polyphonica::midi::key_to_hz;
/// assert_eq!(key_to_hz(69), 440.0);
/// assert!((key_to_hz(60) - 261.626).abs() < 0.001);
/// ```
pub fn key_to_hz(key: u8) -> f32 {
    440.0 * 2f32.powf((key as f32 - 69.0) / 12.0)
}

/// Plays MIDI on an engine: note on/off with velocity, sustain pedal (CC64),
/// volume and expression (CC7, CC11), pan (CC10), pitch bend (±2 semitones,
/// or the range set by RPN 0), all-notes-off (CC123) and all-sound-off
/// (CC120), reset-all-controllers (CC121), program change picking a preset
/// per General MIDI family, and channel 10 as percussion.
///
/// It holds fixed arrays only: handling a message never allocates, so it can
/// run on the audio thread.
///
/// ```
/// use polyphonica::midi::{MidiMessage, MidiSynth};
/// use polyphonica::RealtimeEngine;
///
/// let mut engine = RealtimeEngine::new(48_000.0);
/// let mut synth = MidiSynth::new();
/// synth.handle(&mut engine, MidiMessage::NoteOn { channel: 0, key: 69, velocity: 100 });
/// assert_eq!(engine.get_active_voice_count(), 1);
/// synth.handle(&mut engine, MidiMessage::ControlChange { channel: 0, controller: 64, value: 127 });
/// synth.handle(&mut engine, MidiMessage::NoteOff { channel: 0, key: 69 });
/// assert_eq!(synth.held_notes(), 1); // the pedal holds it
/// synth.handle(&mut engine, MidiMessage::ControlChange { channel: 0, controller: 64, value: 0 });
/// assert_eq!(synth.held_notes(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct MidiSynth {
    channels: Box<[Channel; 16]>,
    drum_samples: Box<[Option<SampleData>; 128]>,
    gain: f32,
}

impl Default for MidiSynth {
    fn default() -> Self {
        Self::new()
    }
}

impl MidiSynth {
    /// A synth with every channel on program 0, volume 100, centred.
    pub fn new() -> Self {
        MidiSynth {
            channels: Box::new(std::array::from_fn(|_| Channel::new())),
            drum_samples: Box::new(std::array::from_fn(|_| None)),
            gain: 0.3,
        }
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
            .map(|c| c.keys.iter().filter(|k| k.voice.is_some()).count())
            .sum()
    }

    /// Applies one message to `engine`.
    pub fn handle(&mut self, engine: &mut impl VoiceControl, message: MidiMessage) {
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
                self.channels[(channel & 0x0F) as usize].preset = program_preset(program);
            }
            MidiMessage::PitchBend { channel, value } => {
                let ch = &mut self.channels[(channel & 0x0F) as usize];
                ch.bend = value.clamp(-8192, 8191);
                Self::retune(engine, ch);
            }
        }
    }

    fn note_on(&mut self, engine: &mut impl VoiceControl, channel: u8, key: u8, velocity: u8) {
        let (channel, key) = ((channel & 0x0F) as usize, (key & 0x7F) as usize);
        let gain = self.gain;
        let ch = &mut self.channels[channel];
        if let Some(old) = ch.keys[key].voice.take() {
            engine.release(old);
        }
        let velocity_level = {
            let v = velocity.min(127) as f32 / 127.0;
            v * v
        };
        let note = if channel == PERCUSSION_CHANNEL as usize {
            match &self.drum_samples[key] {
                Some(sample) => Note::new(
                    Waveform::Sample(sample.clone()),
                    sample.base_frequency_hz(),
                    crate::AdsrEnvelope::new(0.0, 0.0, 1.0, 0.05),
                ),
                None => {
                    let (waveform, hz, envelope) = drum_preset(key as u8);
                    Note::new(waveform, hz, envelope)
                }
            }
            .with_amplitude(gain * velocity_level * ch.level())
        } else {
            Note::new(
                ch.preset.waveform.clone(),
                key_to_hz(key as u8) * ch.bend_ratio(),
                ch.preset.envelope,
            )
            .with_amplitude(gain * ch.preset.gain * velocity_level * ch.level())
        };
        let id = engine.trigger(note.with_pan(ch.pan_position()));
        if channel != PERCUSSION_CHANNEL as usize {
            ch.keys[key] = Key {
                voice: id,
                velocity,
                sustained: false,
            };
        } else if let Some(id) = id {
            // Drum hits end by themselves, unless the drum is a sample:
            // release it with the key.
            if self.drum_samples[key].is_some() {
                ch.keys[key] = Key {
                    voice: Some(id),
                    velocity,
                    sustained: false,
                };
            }
        }
    }

    fn note_off(&mut self, engine: &mut impl VoiceControl, channel: u8, key: u8) {
        let ch = &mut self.channels[(channel & 0x0F) as usize];
        let k = &mut ch.keys[(key & 0x7F) as usize];
        if k.voice.is_none() {
            return;
        }
        if ch.sustain {
            k.sustained = true;
        } else if let Some(id) = k.voice.take() {
            engine.release(id);
        }
    }

    fn control_change(
        &mut self,
        engine: &mut impl VoiceControl,
        channel: u8,
        controller: u8,
        value: u8,
    ) {
        let gain = self.gain;
        let ch = &mut self.channels[(channel & 0x0F) as usize];
        let value = value.min(127);
        match controller {
            6 if ch.rpn == (0, 0) => {
                ch.bend_range_semitones = value as f32 + ch.bend_range_semitones.fract()
            }
            38 if ch.rpn == (0, 0) => {
                ch.bend_range_semitones =
                    ch.bend_range_semitones.trunc() + value.min(99) as f32 / 100.0
            }
            7 | 11 => {
                if controller == 7 {
                    ch.volume = value;
                } else {
                    ch.expression = value;
                }
                let level = ch.level();
                let preset_gain = if channel & 0x0F == PERCUSSION_CHANNEL {
                    1.0
                } else {
                    ch.preset.gain
                };
                for k in ch.keys.iter() {
                    if let Some(id) = k.voice {
                        let v = k.velocity as f32 / 127.0;
                        engine.set_amplitude(id, gain * preset_gain * v * v * level);
                    }
                }
            }
            10 => {
                ch.pan = value;
                let pan = ch.pan_position();
                for id in ch.keys.iter().filter_map(|k| k.voice) {
                    engine.set_pan(id, pan);
                }
            }
            64 => {
                ch.sustain = value >= 64;
                if !ch.sustain {
                    for k in ch.keys.iter_mut().filter(|k| k.sustained) {
                        k.sustained = false;
                        if let Some(id) = k.voice.take() {
                            engine.release(id);
                        }
                    }
                }
            }
            100 => ch.rpn.1 = value,
            101 => ch.rpn.0 = value,
            98 | 99 => ch.rpn = (127, 127), // an NRPN: data entry is not ours
            120 => {
                // All sound off: silent within the amplitude ramp (5 ms).
                for k in ch.keys.iter_mut() {
                    if let Some(id) = k.voice.take() {
                        engine.set_amplitude(id, 0.0);
                        engine.release(id);
                    }
                    k.sustained = false;
                }
            }
            121 => {
                ch.expression = 127;
                ch.bend = 0;
                ch.sustain = false;
                ch.rpn = (127, 127);
                Self::retune(engine, ch);
            }
            123..=127 => {
                for k in ch.keys.iter_mut() {
                    if let Some(id) = k.voice.take() {
                        engine.release(id);
                    }
                    k.sustained = false;
                }
            }
            _ => {}
        }
    }

    fn retune(engine: &mut impl VoiceControl, ch: &Channel) {
        let ratio = ch.bend_ratio();
        for (key, k) in ch.keys.iter().enumerate() {
            if let Some(id) = k.voice {
                engine.set_frequency(id, key_to_hz(key as u8) * ratio);
            }
        }
    }
}
