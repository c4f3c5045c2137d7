//! A MIDI channel's state as the synth keeps it: its preset or SoundFont
//! instrument, controllers, pitch bend and sends, and the voices each of
//! its keys plays.

use std::sync::Arc;

use super::presets::Preset;
use super::synth::{DEFAULT_REVERB_SEND, NO_RPN};
use crate::fx::Sends;
use crate::soundfont::{constant_power, SoundFontInstrument, MAX_LAYERS};
use crate::{EventTarget, VoiceId};

/// One voice a key plays (a SoundFont note can play several), with what
/// the channel's controllers are applied to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Layer {
    pub(super) id: VoiceId,
    /// Its frequency before the pitch bend.
    pub(super) hz: f32,
    /// Its level before the synth's gain and the channel's volume and
    /// expression.
    pub(super) amplitude: f32,
    /// Its pan before the channel's.
    pub(super) pan: f32,
    /// Its reverb and chorus sends before the channel's (SoundFont zones;
    /// `None` for the oscillator presets, which take the channel's).
    pub(super) sends: Option<(f32, f32)>,
    /// Its SoundFont zone's exclusive class (0: none).
    pub(super) class: u16,
    /// Whether it is placed by a SoundFont player's constant-power pan law
    /// ([`constant_power`]) rather than the engine's.
    pub(super) constant_power: bool,
}

impl Layer {
    /// The engine's pan and amplitude for the layer on `ch`, at `gain`.
    pub(super) fn placed(&self, ch: &Channel, gain: f32) -> (f32, f32) {
        let pan = (self.pan + ch.pan_position()).clamp(-1.0, 1.0);
        let amplitude = gain * self.amplitude * ch.level();
        if self.constant_power {
            let (pan, pan_gain) = constant_power(pan);
            (pan, amplitude * pan_gain)
        } else {
            (pan, amplitude)
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Key {
    pub(super) layers: [Option<Layer>; MAX_LAYERS],
    /// Let go while the sustain pedal was down: released when it comes up.
    pub(super) sustained: bool,
}

impl Key {
    pub(super) fn voices(&self) -> impl Iterator<Item = &Layer> {
        self.layers.iter().flatten()
    }

    pub(super) fn is_sounding(&self) -> bool {
        self.layers[0].is_some()
    }

    /// Releases every layer and forgets them.
    pub(super) fn release<T: EventTarget>(&mut self, engine: &mut T) -> Result<(), T::Error> {
        for layer in self.layers.iter_mut() {
            if let Some(l) = layer.take() {
                engine.release_note(l.id)?;
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub(super) struct Channel {
    pub(super) preset: Preset,
    /// The SoundFont instrument the channel plays, when the synth has a
    /// font; its bank (CC0) and program.
    pub(super) instrument: Option<Arc<SoundFontInstrument>>,
    pub(super) bank: u16,
    pub(super) program: u8,
    /// Whether notes send to the effects at all.
    pub(super) effects: bool,
    pub(super) volume: u8,
    pub(super) expression: u8,
    pub(super) pan: u8,
    /// Reverb and chorus send levels (CC91, CC93).
    pub(super) reverb: u8,
    pub(super) chorus: u8,
    pub(super) bend: i16,
    pub(super) bend_range_semitones: f32,
    /// Selected registered parameter (MSB, LSB); (127, 127) is none.
    pub(super) rpn: (u8, u8),
    pub(super) sustain: bool,
    pub(super) keys: [Key; 128],
}

impl Channel {
    pub(super) fn with_preset(preset: Preset) -> Self {
        Channel {
            preset,
            instrument: None,
            bank: 0,
            program: 0,
            effects: true,
            volume: 100,
            expression: 127,
            pan: 64,
            reverb: DEFAULT_REVERB_SEND,
            chorus: 0,
            bend: 0,
            bend_range_semitones: 2.0,
            rpn: NO_RPN,
            sustain: false,
            keys: [Key::default(); 128],
        }
    }

    /// Every layer of every sounding key (layers are kept packed from a
    /// key's first slot, so a silent key costs one look).
    pub(super) fn layers(&self) -> impl Iterator<Item = &Layer> {
        self.keys
            .iter()
            .filter(|k| k.is_sounding())
            .flat_map(Key::voices)
    }

    pub(super) fn pan_position(&self) -> f32 {
        ((self.pan as f32 - 64.0) / 63.0).clamp(-1.0, 1.0)
    }

    pub(super) fn bend_ratio(&self) -> f32 {
        let semitones = self.bend as f32 / 8192.0 * self.bend_range_semitones;
        2f32.powf(semitones / 12.0)
    }

    /// The channel's effect sends, from CC91 and CC93.
    pub(super) fn sends(&self) -> Sends {
        if !self.effects {
            return Sends::default();
        }
        Sends {
            reverb: self.reverb as f32 / 127.0,
            chorus: self.chorus as f32 / 127.0,
            delay: 0.0,
        }
    }

    /// A layer's sends: the channel's for an oscillator preset; for a
    /// SoundFont zone its own plus a fifth of the channel's, as the
    /// standard's CC91 and CC93 modulators (200 tenths of a percent) add.
    pub(super) fn layer_sends(&self, own: Option<(f32, f32)>) -> Sends {
        match own {
            _ if !self.effects => Sends::default(),
            None => self.sends(),
            Some((reverb, chorus)) => Sends {
                reverb: (reverb + 0.2 * self.reverb as f32 / 127.0).min(1.0),
                chorus: (chorus + 0.2 * self.chorus as f32 / 127.0).min(1.0),
                delay: 0.0,
            },
        }
    }

    /// Volume × expression, each on the squared curve General MIDI suggests.
    pub(super) fn level(&self) -> f32 {
        let v = self.volume as f32 / 127.0;
        let e = self.expression as f32 / 127.0;
        v * v * e * e
    }
}
