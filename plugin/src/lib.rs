//! Polyphonica as a CLAP instrument plugin.
//!
//! `cargo build --release -p polyphonica-clap` builds
//! `target/release/libpolyphonica_clap.so`; copy it to
//! `~/.clap/Polyphonica.clap` and a CLAP host (Bitwig, Reaper, …) finds it.
//!
//! What the host sees:
//! - **Note ports**: one input taking CLAP notes and MIDI (note on/off,
//!   controllers, pitch bend, channel and poly pressure); a note end event
//!   goes back to the host for every note when its voice finishes.
//! - **Audio ports**: one stereo output.
//! - **Parameters** ([`params::SPECS`]): the patch (waveform, envelope,
//!   filter, unison, tune, pan), the effect sends and settings, the master
//!   volume; stable ids, values shown with units. Every change lands at its
//!   event's frame: cutoff, resonance, pan and tune move the notes already
//!   sounding (and can be modulated per note), the sends and effects too;
//!   the waveform, envelope, filter type and unison apply to the notes that
//!   start after the change.
//! - **Note expressions**: volume and expression scale a note's gain, pan
//!   moves it, tuning retunes it (semitones), brightness moves its cutoff up
//!   to 2 octaves either way of the middle, vibrato deepens a 5.5 Hz vibrato
//!   up to ±1 semitone, pressure opens its filter up to 2 octaves.
//! - **State**: the parameter values, versioned ([`state`]); loading a
//!   saved state gives the same sound bit for bit.
//! - **Voice info**: 32 voices, overlapping notes supported.
//!
//! The process call is the engine's block runner fed by the host's event
//! list: it never allocates, locks or does I/O.

#![deny(missing_docs)]

pub mod instrument;
pub mod notes;
pub mod params;
pub mod state;

use std::ffi::CStr;

use clack_extensions::audio_ports::{
    AudioPortFlags, AudioPortInfo, AudioPortInfoWriter, AudioPortType, PluginAudioPorts,
    PluginAudioPortsImpl,
};
use clack_extensions::note_ports::{
    NoteDialect, NoteDialects, NotePortInfo, NotePortInfoWriter, PluginNotePorts,
    PluginNotePortsImpl,
};
use clack_extensions::params::{
    ParamDisplayWriter, ParamInfo, ParamInfoFlags, ParamInfoWriter, PluginAudioProcessorParams,
    PluginMainThreadParams, PluginParams,
};
use clack_extensions::state::{PluginState, PluginStateImpl};
use clack_extensions::voice_info::{
    PluginVoiceInfo, PluginVoiceInfoImpl, VoiceInfo, VoiceInfoFlags,
};
use clack_plugin::events::spaces::CoreEventSpace;
use clack_plugin::prelude::*;
use clack_plugin::stream::{InputStream, OutputStream};
use polyphonica::engine::Output;

use instrument::{Instrument, VOICES};
use params::{Reach, SharedValues, SPECS};

/// The plugin's id, as hosts store it in projects.
pub const PLUGIN_ID: &str = "org.polyphonica.synth";

/// The plugin type Clack builds the CLAP entry from.
pub struct Polyphonica;

impl Plugin for Polyphonica {
    type AudioProcessor<'a> = AudioSide<'a>;
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread<'a>;

    fn declare_extensions(builder: &mut PluginExtensions<Self>, _shared: Option<&Shared>) {
        builder
            .register::<PluginAudioPorts>()
            .register::<PluginNotePorts>()
            .register::<PluginParams>()
            .register::<PluginState>()
            .register::<PluginVoiceInfo>();
    }
}

impl DefaultPluginFactory for Polyphonica {
    fn get_descriptor() -> PluginDescriptor {
        use clack_plugin::plugin::features::{INSTRUMENT, STEREO, SYNTHESIZER};
        PluginDescriptor::new(PLUGIN_ID, "Polyphonica")
            .with_vendor("Polyphonica")
            .with_version(env!("CARGO_PKG_VERSION"))
            .with_description("A polyphonic synthesizer: band-limited oscillators, filters, unison, reverb, chorus and delay")
            .with_features([INSTRUMENT, SYNTHESIZER, STEREO])
    }

    fn new_shared(_host: HostSharedHandle) -> Result<Shared, PluginError> {
        Ok(Shared {
            values: SharedValues::default(),
        })
    }

    fn new_main_thread<'a>(
        _host: HostMainThreadHandle<'a>,
        shared: &'a Shared,
    ) -> Result<MainThread<'a>, PluginError> {
        Ok(MainThread { shared })
    }
}

/// What both threads share: the parameter values.
pub struct Shared {
    values: SharedValues,
}

impl PluginShared<'_> for Shared {}

/// The main-thread side.
pub struct MainThread<'a> {
    shared: &'a Shared,
}

impl<'a> PluginMainThread<'a, Shared> for MainThread<'a> {}

/// The audio side: the engine and the notes.
pub struct AudioSide<'a> {
    instrument: Instrument,
    shared: &'a Shared,
}

impl<'a> PluginAudioProcessor<'a, Shared, MainThread<'a>> for AudioSide<'a> {
    fn activate(
        _host: HostAudioProcessorHandle<'a>,
        _main_thread: &MainThread,
        shared: &'a Shared,
        config: PluginAudioConfiguration,
    ) -> Result<Self, PluginError> {
        let sample_rate = config.sample_rate as f32;
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return Err(PluginError::Message("the sample rate must be positive"));
        }
        Ok(AudioSide {
            instrument: Instrument::new(sample_rate, &shared.values),
            shared,
        })
    }

    fn process(
        &mut self,
        _process: Process,
        mut audio: Audio,
        events: Events,
    ) -> Result<ProcessStatus, PluginError> {
        let mut port = audio
            .output_port(0)
            .ok_or(PluginError::Message("no output port"))?;
        let mut channels = port
            .channels()?
            .into_f32()
            .ok_or(PluginError::Message("the output is not 32-bit float"))?;
        let (mut first, mut rest) = channels.split_at_mut(1);
        let left = first
            .channel_mut(0)
            .ok_or(PluginError::Message("the output has no channel"))?;
        let output = match rest.channel_mut(0) {
            Some(right) => Output::Planar(left, right),
            None => Output::Mono(left),
        };
        self.instrument
            .process(&self.shared.values, events.input, events.output, output);
        Ok(if self.instrument.is_sounding() {
            ProcessStatus::Continue
        } else {
            ProcessStatus::Sleep
        })
    }

    /// The host asks for a clean slate: every voice stops at once (the
    /// host forgets its notes with it, as CLAP's reset says).
    fn reset(&mut self) {
        self.instrument.stop_all();
    }

    // `stop_processing` keeps the voices: the host may start processing
    // again and expects each note it started to end with a note end event.
}

impl PluginAudioPortsImpl for MainThread<'_> {
    fn count(&self, is_input: bool) -> u32 {
        if is_input {
            0
        } else {
            1
        }
    }

    fn get(&self, index: u32, is_input: bool, writer: &mut AudioPortInfoWriter) {
        if !is_input && index == 0 {
            writer.set(&AudioPortInfo {
                id: ClapId::new(0),
                name: b"main",
                channel_count: 2,
                flags: AudioPortFlags::IS_MAIN,
                port_type: Some(AudioPortType::STEREO),
                in_place_pair: None,
            });
        }
    }
}

impl PluginNotePortsImpl for MainThread<'_> {
    fn count(&self, is_input: bool) -> u32 {
        if is_input {
            1
        } else {
            0
        }
    }

    fn get(&self, index: u32, is_input: bool, writer: &mut NotePortInfoWriter) {
        if is_input && index == 0 {
            writer.set(&NotePortInfo {
                id: ClapId::new(0),
                name: b"notes",
                preferred_dialect: Some(NoteDialect::Clap),
                supported_dialects: NoteDialects::CLAP | NoteDialects::MIDI,
            });
        }
    }
}

impl PluginMainThreadParams for MainThread<'_> {
    fn count(&self) -> u32 {
        SPECS.len() as u32
    }

    fn get_info(&self, param_index: u32, info: &mut ParamInfoWriter) {
        let Some(spec) = SPECS.get(param_index as usize) else {
            return;
        };
        let mut flags = ParamInfoFlags::IS_AUTOMATABLE | ParamInfoFlags::IS_MODULATABLE;
        if spec.stepped() {
            flags |= ParamInfoFlags::IS_STEPPED;
        }
        if spec.reach == Reach::Live {
            flags |= ParamInfoFlags::IS_AUTOMATABLE_PER_NOTE_ID
                | ParamInfoFlags::IS_AUTOMATABLE_PER_KEY
                | ParamInfoFlags::IS_AUTOMATABLE_PER_CHANNEL
                | ParamInfoFlags::IS_AUTOMATABLE_PER_PORT
                | ParamInfoFlags::IS_MODULATABLE_PER_NOTE_ID
                | ParamInfoFlags::IS_MODULATABLE_PER_KEY
                | ParamInfoFlags::IS_MODULATABLE_PER_CHANNEL
                | ParamInfoFlags::IS_MODULATABLE_PER_PORT;
        }
        info.set(&ParamInfo {
            id: ClapId::new(spec.id),
            flags,
            cookie: Default::default(),
            name: spec.name.as_bytes(),
            module: spec.module.as_bytes(),
            min_value: spec.min,
            max_value: spec.max,
            default_value: spec.default,
        });
    }

    fn get_value(&self, param_id: ClapId) -> Option<f64> {
        params::index_of(param_id.get()).map(|i| self.shared.values.get(i))
    }

    fn value_to_text(
        &self,
        param_id: ClapId,
        value: f64,
        writer: &mut ParamDisplayWriter,
    ) -> std::fmt::Result {
        let i = params::index_of(param_id.get()).ok_or(std::fmt::Error)?;
        params::write_value(&SPECS[i], value, writer)
    }

    fn text_to_value(&self, param_id: ClapId, text: &CStr) -> Option<f64> {
        let i = params::index_of(param_id.get())?;
        params::parse_value(&SPECS[i], text.to_str().ok()?)
    }

    fn flush(&self, input: &InputEvents, _output: &mut OutputEvents) {
        for event in input {
            if let Some(CoreEventSpace::ParamValue(e)) = event.as_core_event() {
                if e.pckn().matches_all() {
                    if let Some(i) = e.param_id().and_then(|id| params::index_of(id.get())) {
                        self.shared.values.set_from_main(i, e.value());
                    }
                }
            }
        }
    }
}

impl PluginAudioProcessorParams for AudioSide<'_> {
    fn flush(&mut self, input: &InputEvents, output: &mut OutputEvents) {
        self.instrument.flush(&self.shared.values, input, output);
    }
}

impl PluginStateImpl for MainThread<'_> {
    fn save(&self, output: &mut OutputStream) -> Result<(), PluginError> {
        let values: Vec<f64> = (0..SPECS.len())
            .map(|i| self.shared.values.get(i))
            .collect();
        std::io::Write::write_all(output, &state::encode(&values))?;
        Ok(())
    }

    fn load(&self, input: &mut InputStream) -> Result<(), PluginError> {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(input, &mut bytes)?;
        let values =
            state::decode(&bytes).map_err(|_| PluginError::Message("not a Polyphonica state"))?;
        for (i, v) in values {
            self.shared.values.set_from_main(i, v);
        }
        Ok(())
    }
}

impl PluginVoiceInfoImpl for MainThread<'_> {
    fn get(&self) -> Option<VoiceInfo> {
        Some(VoiceInfo {
            voice_count: VOICES as u32,
            voice_capacity: VOICES as u32,
            flags: VoiceInfoFlags::SUPPORTS_OVERLAPPING_NOTES,
        })
    }
}

clack_export_entry!(SinglePluginEntry<Polyphonica>);
