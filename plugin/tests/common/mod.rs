//! A headless CLAP host for the plugin's tests and benchmark: loads the
//! plugin in process with `clack-host`, activates it, and runs blocks of
//! any size with an event list, collecting what the plugin sends back.
#![allow(dead_code)]

use clack_extensions::params::PluginParams;
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{NoteOffEvent, NoteOnEvent, ParamValueEvent};
use clack_host::events::spaces::CoreEventSpace;
use clack_host::prelude::*;
use clack_plugin::entry::SinglePluginEntry;
use polyphonica_clap::Polyphonica;

pub struct Shared;
pub struct MainThread;
pub struct AudioProcessor;
pub struct Handlers;

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

impl AudioProcessorHandler<'_> for AudioProcessor {}
impl MainThreadHandler<'_> for MainThread {}

impl HostHandlers for Handlers {
    type Shared<'a> = Shared;
    type MainThread<'a> = MainThread;
    type AudioProcessor<'a> = AudioProcessor;
}

/// The plugin's entry, in process.
pub fn entry() -> PluginEntry {
    PluginEntry::load_from_clack::<SinglePluginEntry<Polyphonica>>(c"").expect("the entry loads")
}

/// One instance of the plugin, with the buffers to run it.
pub struct Hosted {
    pub instance: PluginInstance<Handlers>,
    pub processor: Option<StartedPluginAudioProcessor<Handlers>>,
    pub left: Vec<f32>,
    pub right: Vec<f32>,
    pub out_events: EventBuffer,
    ports: AudioPorts,
    pub sample_rate: f64,
}

impl Hosted {
    /// A new instance (not active) of the plugin built into this binary.
    pub fn new() -> Self {
        Self::with_entry(&entry())
    }

    /// A new instance (not active) from `entry`.
    pub fn with_entry(entry: &PluginEntry) -> Self {
        let info = HostInfo::new("polyphonica tests", "polyphonica", "", "0.1").unwrap();
        let instance = PluginInstance::<Handlers>::new(
            |_| Shared,
            |_| MainThread,
            entry,
            c"org.polyphonica.synth",
            &info,
        )
        .expect("the plugin instantiates");
        Hosted {
            instance,
            processor: None,
            left: Vec::new(),
            right: Vec::new(),
            out_events: EventBuffer::with_capacity(1024),
            ports: AudioPorts::with_capacity(2, 1),
            sample_rate: 0.0,
        }
    }

    /// Activates at `sample_rate` for blocks of 1 to `max_frames` frames and
    /// starts processing.
    pub fn activate(&mut self, sample_rate: f64, max_frames: u32) {
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_frames,
        };
        let stopped = self
            .instance
            .activate(|_, _| AudioProcessor, config)
            .expect("activates");
        let started = match stopped.start_processing() {
            Ok(p) => p,
            Err(e) => panic!("start_processing failed: {e:?}"),
        };
        self.processor = Some(started);
        self.left = vec![0.0; max_frames as usize];
        self.right = vec![0.0; max_frames as usize];
        self.sample_rate = sample_rate;
    }

    /// Stops processing and deactivates.
    pub fn deactivate(&mut self) {
        if let Some(p) = self.processor.take() {
            self.instance.deactivate(p.stop_processing());
        }
    }

    /// Runs a block of `frames` with `events` (sorted here); the output is
    /// in `left[..frames]` and `right[..frames]`, the plugin's events in
    /// `out_events`. Returns the process status.
    pub fn process(&mut self, frames: usize, events: &mut EventBuffer) -> ProcessStatus {
        events.sort();
        self.out_events.clear();
        let processor = self.processor.as_mut().expect("active");
        let mut outputs = self.ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                [&mut self.left[..frames], &mut self.right[..frames]].into_iter(),
            ),
        }]);
        processor
            .process(
                &InputAudioBuffers::empty(),
                &mut outputs,
                &events.as_input(),
                &mut self.out_events.as_output(),
                None,
                None,
            )
            .expect("process succeeds")
    }

    /// The (channel, key, note id) of every note end event of the last
    /// block.
    pub fn ended(&self) -> Vec<(i16, i16, i32)> {
        self.out_events
            .iter()
            .filter_map(|e| match e.as_core_event() {
                Some(CoreEventSpace::NoteEnd(e)) => {
                    let p = e.pckn();
                    Some((p.raw_channel(), p.raw_key(), p.raw_note_id()))
                }
                _ => None,
            })
            .collect()
    }

    /// Sets parameter `id` from the main thread (params flush while
    /// inactive).
    pub fn set_param_inactive(&mut self, id: u32, value: f64) {
        let mut events = EventBuffer::with_capacity(1);
        events.push(&ParamValueEvent::new(
            0,
            ClapId::new(id),
            Pckn::match_all(),
            value,
        ));
        let mut handle = self.instance.inactive_plugin_handle().expect("inactive");
        let params = handle.get_extension::<PluginParams>().expect("params");
        let mut out = EventBuffer::new();
        params.flush(&mut handle, &events.as_input(), &mut out.as_output());
    }

    /// The saved state.
    pub fn save(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state");
        let mut bytes = Vec::new();
        state.save(&handle, &mut bytes).expect("saves");
        bytes
    }

    /// Loads a state.
    pub fn load(&mut self, bytes: &[u8]) {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("state");
        state.load(&handle, &mut &bytes[..]).expect("loads");
    }
}

impl Drop for Hosted {
    fn drop(&mut self) {
        self.deactivate();
    }
}

pub fn note_on(time: u32, key: i16, note_id: i32, velocity: f64) -> NoteOnEvent {
    NoteOnEvent::new(time, pckn(key, note_id), velocity)
}

pub fn note_off(time: u32, key: i16, note_id: i32) -> NoteOffEvent {
    NoteOffEvent::new(time, pckn(key, note_id), 0.0)
}

pub fn pckn(key: i16, note_id: i32) -> Pckn {
    Pckn::from_raw(0, 0, key, note_id)
}

pub fn param(time: u32, id: u32, value: f64) -> ParamValueEvent {
    ParamValueEvent::new(time, ClapId::new(id), Pckn::match_all(), value)
}

/// Energy of `x` at `hz` (Goertzel through a Hann window), per sample.
pub fn tone_energy(x: &[f32], hz: f64, sample_rate: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * hz / sample_rate;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let n = x.len() as f64;
    for (i, &v) in x.iter().enumerate() {
        let hann = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n).cos();
        let s0 = f64::from(v) * hann + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.len() as f64).powi(2)
}

/// Frequency of `x` by rising zero crossings.
pub fn zero_crossing_hz(x: &[f32], sample_rate: f64) -> f64 {
    let crossings: Vec<usize> = (1..x.len())
        .filter(|&i| x[i - 1] < 0.0 && x[i] >= 0.0)
        .collect();
    if crossings.len() < 2 {
        return 0.0;
    }
    let span = (crossings[crossings.len() - 1] - crossings[0]) as f64;
    (crossings.len() - 1) as f64 * sample_rate / span
}
