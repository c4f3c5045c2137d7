//! The audio side of the plugin: the engine, the patch its notes play, and
//! the host's events turned into engine events at their frames (the host's
//! event list is an [`EventSource`] for the engine's block runner).

use std::sync::Arc;

use clack_plugin::events::event_types::{NoteEndEvent, NoteExpressionType};
use clack_plugin::events::io::{InputEvents, OutputEvents};
use clack_plugin::events::spaces::CoreEventSpace;
use clack_plugin::events::{Pckn, UnknownEvent};
use polyphonica::engine::{EventSource, Output};
use polyphonica::fx::{ChorusParams, DelayParams, ReverbParams, Sends};
use polyphonica::midi::{key_to_hz, MidiMessage};
use polyphonica::patch::{Filter, FilterMode, Lfo, LfoShape, ModSource, ModTarget, Patch};
use polyphonica::{AdsrEnvelope, Event, EventTarget, Note, RealtimeEngine, Waveform};

use crate::notes::{HostNote, Names, NoteTable, CUTOFF, LIVE, PAN, RESONANCE, TUNE};
use crate::params::{index_of, Reach, SharedValues, COUNT, P, SPECS};

/// Voices of the plugin's engine.
pub const VOICES: usize = 32;

/// The cutoff of the patch's filter: the `Cutoff` parameter moves every
/// note's cutoff from here, in octaves, through the note's own modulation.
pub const BASE_CUTOFF_HZ: f64 = 1000.0;

/// How far, in octaves, brightness (a note expression) moves the cutoff
/// either way from its middle (0.5).
const BRIGHTNESS_OCTAVES: f64 = 2.0;

/// The audio side: the engine and what the plugin keeps beside it.
pub struct Instrument {
    /// The engine the notes play on.
    pub engine: RealtimeEngine,
    state: State,
}

/// What the audio side keeps beside the engine.
struct State {
    /// Each parameter's value as the audio side applied it.
    values: [f64; COUNT],
    /// The host's modulation of each parameter (all notes), in its unit.
    modulation: [f64; COUNT],
    /// Patches, two per voice (a stolen note's tail keeps its patch in a
    /// hidden slot while a new note plays) and two more: a new note plays
    /// `pool[current]`. When a parameter a note reads at its start changes,
    /// the next note-on rewrites a patch no note holds (so the audio side
    /// neither allocates nor frees).
    pool: Vec<Arc<Patch>>,
    current: usize,
    patch_stale: bool,
    /// The notes the host started that have not ended yet.
    notes: NoteTable,
    /// The main thread's generation of values last taken over.
    generation: u64,
}

impl Instrument {
    /// The state for `sample_rate`, with the parameter values of `shared`.
    pub fn new(sample_rate: f32, shared: &SharedValues) -> Self {
        let values: [f64; COUNT] = std::array::from_fn(|i| shared.get(i));
        let mut engine = RealtimeEngine::with_voices(sample_rate, VOICES);
        let pool = (0..2 * VOICES + 2)
            .map(|_| Arc::new(patch_of(&values)))
            .collect();
        let modulation = [0.0; COUNT];
        for (i, spec) in SPECS.iter().enumerate() {
            if spec.reach == Reach::Global {
                let _ = engine.send(global_event(i, &values, &modulation));
            }
        }
        let state = State {
            values,
            modulation,
            pool,
            current: 0,
            patch_stale: false,
            notes: NoteTable::new(4 * VOICES),
            generation: shared.generation(),
        };
        Instrument { engine, state }
    }

    /// Renders one block into `output`, applying the host's `input` events
    /// at their frames, and reports the notes that ended to `output_events`.
    pub fn process(
        &mut self,
        shared: &SharedValues,
        input: &InputEvents<'_>,
        output_events: &mut OutputEvents<'_>,
        output: Output<'_>,
    ) {
        let frames = output.frames();
        if frames == 0 {
            self.flush(shared, input, output_events);
            return;
        }
        let Instrument { engine, state } = self;
        let generation = shared.generation();
        if generation != state.generation {
            state.generation = generation;
            for i in 0..COUNT {
                let v = shared.get(i);
                if v != state.values[i] {
                    state.set_value(engine, i, v);
                }
            }
        }
        let mut source = HostEvents {
            input,
            next: 0,
            len: input.len(),
            state,
            shared,
        };
        engine.process_from(&mut source, 0, output);
        // Events a host timed past the block still apply (at its end).
        source.apply_due(u64::MAX, engine);
        let time = frames.saturating_sub(1) as u32;
        while let Some(id) = engine.take_ended_note() {
            if let Some(note) = state.notes.take(id) {
                report_end(output_events, time, &note);
            }
        }
        engine.collect_garbage();
    }

    /// Applies the host's `input` events with no audio (the host's params
    /// flush while the plugin is active but not processing).
    pub fn flush(
        &mut self,
        shared: &SharedValues,
        input: &InputEvents<'_>,
        output_events: &mut OutputEvents<'_>,
    ) {
        let Instrument { engine, state } = self;
        for event in input {
            state.handle(engine, event, shared);
        }
        while let Some(id) = engine.take_ended_note() {
            if let Some(note) = state.notes.take(id) {
                report_end(output_events, 0, &note);
            }
        }
    }

    /// Whether anything still sounds (notes or effect tails).
    pub fn is_sounding(&self) -> bool {
        self.engine.get_active_voice_count() > 0 || self.engine.effects_ringing()
    }

    /// Stops every note at once (the host stopped processing or reset).
    pub fn stop_all(&mut self) {
        let _ = self.engine.send(Event::StopAll);
        while self.engine.take_ended_note().is_some() {}
        self.state.notes.clear();
    }
}

impl State {
    /// Applies one host event.
    fn handle(&mut self, engine: &mut RealtimeEngine, event: &UnknownEvent, shared: &SharedValues) {
        match event.as_core_event() {
            Some(CoreEventSpace::NoteOn(e)) => {
                self.note_on(engine, names(e.pckn()), e.velocity());
            }
            Some(CoreEventSpace::NoteOff(e)) => {
                self.note_off(engine, names(e.pckn()));
            }
            Some(CoreEventSpace::NoteChoke(e)) => {
                let target = names(e.pckn());
                for n in self.notes.iter_mut() {
                    if n.matches(target) {
                        // A choke silences the note within a few ms.
                        let _ = engine.send(Event::RampAmplitude {
                            id: n.id,
                            to_amplitude: 0.0,
                            over_frames: (engine.sample_rate() * 0.003) as u32,
                        });
                        let _ = engine.send(Event::NoteOff { id: n.id });
                    }
                }
            }
            Some(CoreEventSpace::NoteExpression(e)) => {
                let target = names(e.pckn());
                let value = e.value();
                if !value.is_finite() {
                    return;
                }
                let Some(kind) = e.expression_type() else {
                    return;
                };
                for n in self.notes.iter_mut() {
                    if !n.matches(target) {
                        continue;
                    }
                    let id = n.id;
                    match kind {
                        NoteExpressionType::Volume => n.volume = value.clamp(0.0, 4.0),
                        NoteExpressionType::Expression => n.expression = value.clamp(0.0, 1.0),
                        NoteExpressionType::Pan => n.pan = value.clamp(0.0, 1.0),
                        NoteExpressionType::Tuning => n.tuning = value.clamp(-120.0, 120.0),
                        NoteExpressionType::Brightness => n.brightness = value.clamp(0.0, 1.0),
                        NoteExpressionType::Vibrato => {
                            let depth = value.clamp(0.0, 1.0) as f32;
                            let _ = engine.send(Event::SetNoteVibrato { id, depth });
                            continue;
                        }
                        NoteExpressionType::Pressure => {
                            let pressure = value.clamp(0.0, 1.0) as f32;
                            let _ = engine.set_poly_pressure(id, pressure);
                            continue;
                        }
                        _ => continue,
                    }
                    send_modulation(engine, &self.values, &self.modulation, n);
                }
            }
            Some(CoreEventSpace::ParamValue(e)) => {
                let Some(i) = e.param_id().and_then(|id| index_of(id.get())) else {
                    return;
                };
                let p = e.pckn();
                if p.matches_all() {
                    let v = SPECS[i].clamp(e.value());
                    shared.store_from_audio(i, v);
                    self.set_value(engine, i, v);
                } else if let Some(live) = live_index(i) {
                    let v = SPECS[i].clamp(e.value());
                    self.per_note(engine, p, |n| n.value[live] = v);
                }
            }
            Some(CoreEventSpace::ParamMod(e)) => {
                let Some(i) = e.param_id().and_then(|id| index_of(id.get())) else {
                    return;
                };
                let amount = e.amount();
                if !amount.is_finite() {
                    return;
                }
                let p = e.pckn();
                if p.matches_all() {
                    self.modulation[i] = amount;
                    self.apply_value(engine, i);
                } else if let Some(live) = live_index(i) {
                    self.per_note(engine, p, |n| n.modulation[live] = amount);
                }
            }
            Some(CoreEventSpace::Midi(e)) => {
                let port = e.port_index() as i16;
                if let Some(message) = MidiMessage::parse(&e.data()) {
                    self.midi(engine, port, message);
                }
            }
            _ => {}
        }
    }

    /// Changes the notes an event names with `change`, then sends each its
    /// modulation.
    fn per_note(
        &mut self,
        engine: &mut RealtimeEngine,
        names_of: Pckn,
        change: impl Fn(&mut HostNote),
    ) {
        let target = names(names_of);
        for n in self.notes.iter_mut() {
            if n.matches(target) {
                change(n);
                send_modulation(engine, &self.values, &self.modulation, n);
            }
        }
    }

    /// A MIDI message from a note port (the MIDI dialect).
    fn midi(&mut self, engine: &mut RealtimeEngine, port: i16, message: MidiMessage) {
        match message {
            MidiMessage::NoteOn {
                channel,
                key,
                velocity,
            } => self.note_on(
                engine,
                (port, i16::from(channel), i16::from(key), -1),
                f64::from(velocity) / 127.0,
            ),
            MidiMessage::NoteOff { channel, key } => {
                self.note_off(engine, (port, i16::from(channel), i16::from(key), -1))
            }
            MidiMessage::ControlChange {
                channel,
                controller,
                value,
            } => {
                let _ = engine.set_controller(channel, controller, f32::from(value) / 127.0);
            }
            MidiMessage::PitchBend { channel, value } => {
                let _ = engine.set_pitch_bend(channel, f32::from(value) / 8192.0);
            }
            MidiMessage::ChannelPressure { channel, pressure } => {
                let _ = engine.set_channel_pressure(channel, f32::from(pressure) / 127.0);
            }
            MidiMessage::PolyPressure {
                channel,
                key,
                pressure,
            } => {
                let (channel, key) = (i16::from(channel), i16::from(key));
                for n in self.notes.iter_mut() {
                    if n.matches((port, channel, key, -1)) {
                        let _ = engine.set_poly_pressure(n.id, f32::from(pressure) / 127.0);
                    }
                }
            }
            MidiMessage::ProgramChange { .. } => {}
        }
    }

    fn note_on(&mut self, engine: &mut RealtimeEngine, names: Names, velocity: f64) {
        let (port, channel, key, note_id) = names;
        if !(0..128).contains(&key) {
            return;
        }
        if self.patch_stale {
            self.refresh_patch();
        }
        let channel = channel.clamp(0, 15);
        let patch = &self.pool[self.current];
        let velocity = if velocity.is_finite() {
            velocity.clamp(0.0, 1.0)
        } else {
            1.0
        };
        let note = Note::from_patch(patch, key_to_hz(key as u8))
            .with_velocity(velocity as f32)
            .with_channel(channel as u8)
            .with_sends(self.sends());
        let id = engine.next_voice_id();
        let started = engine.send(Event::NoteOn { id, note }).is_ok();
        let host_note = HostNote::new(id, note_id, port, channel, key);
        if started {
            self.notes.insert(host_note);
            send_modulation(engine, &self.values, &self.modulation, &host_note);
        }
    }

    fn note_off(&mut self, engine: &mut RealtimeEngine, target: Names) {
        for n in self.notes.iter_mut() {
            if n.matches(target) {
                let _ = engine.send(Event::NoteOff { id: n.id });
            }
        }
    }

    /// Sets parameter `i` to `value` (clamped) and applies it.
    fn set_value(&mut self, engine: &mut RealtimeEngine, i: usize, value: f64) {
        self.values[i] = SPECS[i].clamp(value);
        self.apply_value(engine, i);
    }

    /// Applies parameter `i` (its value plus the host's modulation).
    fn apply_value(&mut self, engine: &mut RealtimeEngine, i: usize) {
        match SPECS[i].reach {
            Reach::NoteStart => self.patch_stale = true,
            Reach::Live => {
                for n in self.notes.iter_mut() {
                    send_modulation(engine, &self.values, &self.modulation, n);
                }
            }
            Reach::Send => {
                let sends = self.sends();
                for n in self.notes.iter_mut() {
                    let _ = engine.send(Event::SetSends { id: n.id, sends });
                }
            }
            Reach::Global => {
                let _ = engine.send(global_event(i, &self.values, &self.modulation));
            }
        }
    }

    /// Parameter `i` plus the host's modulation, in range.
    fn effective(&self, i: usize) -> f64 {
        SPECS[i].clamp(self.values[i] + self.modulation[i])
    }

    fn sends(&self) -> Sends {
        Sends {
            reverb: self.effective(P::ReverbSend as usize) as f32,
            chorus: self.effective(P::ChorusSend as usize) as f32,
            delay: self.effective(P::DelaySend as usize) as f32,
        }
    }

    /// Rewrites a patch no note holds with the parameters a note reads at
    /// its start, and makes it the one new notes play.
    fn refresh_patch(&mut self) {
        let values: [f64; COUNT] = std::array::from_fn(|i| self.effective(i));
        let free = (0..self.pool.len())
            .find(|&j| j != self.current && Arc::get_mut(&mut self.pool[j]).is_some());
        let Some(j) = free else {
            return; // Every patch is held: try again at the next note.
        };
        if let Some(patch) = Arc::get_mut(&mut self.pool[j]) {
            shape_patch(patch, &values);
        }
        self.current = j;
        self.patch_stale = false;
    }
}

/// Sends a note its own modulation: the live parameters (its per-note
/// value or the parameter's, plus the host's modulation of both) and its
/// expressions.
fn send_modulation(
    engine: &mut RealtimeEngine,
    values: &[f64; COUNT],
    modulation: &[f64; COUNT],
    n: &HostNote,
) {
    let live = |k: usize, i: usize| {
        let base = if n.value[k].is_nan() {
            values[i]
        } else {
            n.value[k]
        };
        SPECS[i].clamp(base + modulation[i] + n.modulation[k])
    };
    let cutoff_octaves = (live(CUTOFF, P::Cutoff as usize) / BASE_CUTOFF_HZ).log2()
        + (n.brightness - 0.5) * 2.0 * BRIGHTNESS_OCTAVES;
    let targets = [
        (ModTarget::Cutoff, cutoff_octaves),
        (ModTarget::Resonance, live(RESONANCE, P::Resonance as usize)),
        (
            ModTarget::Pan,
            live(PAN, P::Pan as usize) + (n.pan * 2.0 - 1.0),
        ),
        (ModTarget::Pitch, live(TUNE, P::Tune as usize) + n.tuning),
        (ModTarget::Amplitude, n.volume * n.expression - 1.0),
    ];
    for (target, amount) in targets {
        let _ = engine.send(Event::SetNoteModulation {
            id: n.id,
            target,
            amount: amount as f32,
        });
    }
}

/// The [`Names`] of an event's target.
fn names(p: Pckn) -> Names {
    (
        p.raw_port_index(),
        p.raw_channel(),
        p.raw_key(),
        p.raw_note_id(),
    )
}

/// Which of a note's live values parameter `i` is.
fn live_index(i: usize) -> Option<usize> {
    let k = match i {
        x if x == P::Cutoff as usize => CUTOFF,
        x if x == P::Resonance as usize => RESONANCE,
        x if x == P::Pan as usize => PAN,
        x if x == P::Tune as usize => TUNE,
        _ => return None,
    };
    debug_assert!(k < LIVE);
    Some(k)
}

/// The engine event that applies global parameter `i`.
fn global_event(i: usize, values: &[f64; COUNT], modulation: &[f64; COUNT]) -> Event {
    let v = |p: P| SPECS[p as usize].clamp(values[p as usize] + modulation[p as usize]) as f32;
    match i {
        x if x == P::Volume as usize => Event::SetMasterVolume {
            volume: v(P::Volume),
        },
        x if x == P::ChorusRate as usize || x == P::ChorusDepth as usize => Event::SetChorus {
            params: ChorusParams {
                rate_hz: v(P::ChorusRate),
                depth: v(P::ChorusDepth),
                ..ChorusParams::default()
            },
        },
        x if x == P::DelayTime as usize
            || x == P::DelayFeedback as usize
            || x == P::PingPong as usize =>
        {
            Event::SetDelay {
                params: DelayParams {
                    time_secs: v(P::DelayTime),
                    feedback: v(P::DelayFeedback),
                    ping_pong: v(P::PingPong) >= 0.5,
                },
            }
        }
        _ => Event::SetReverb {
            params: ReverbParams {
                decay_secs: v(P::ReverbDecay),
                damping: v(P::ReverbDamping),
                size: v(P::ReverbSize),
                ..ReverbParams::default()
            },
        },
    }
}

/// The patch every note of the plugin plays, for `values`: the parameters
/// a note reads at its start, a filter at [`BASE_CUTOFF_HZ`] that the live
/// parameters move per note, a vibrato LFO that the vibrato expression and
/// the mod wheel deepen, pitch bend over ±2 semitones, and pressure opening
/// the filter by up to 2 octaves.
pub fn patch_of(values: &[f64; COUNT]) -> Patch {
    let patch = Patch::new(Waveform::Sawtooth)
        .with_lfo(2, Lfo::new(LfoShape::Sine, 5.5))
        .with_velocity_to_gain(1.0);
    let patch = [
        (
            ModSource::Lfo2,
            Some(ModSource::Vibrato),
            ModTarget::Pitch,
            1.0,
        ),
        (
            ModSource::Lfo2,
            Some(ModSource::ModWheel),
            ModTarget::Pitch,
            0.5,
        ),
        (ModSource::PitchBend, None, ModTarget::Pitch, 2.0),
        (ModSource::PolyPressure, None, ModTarget::Cutoff, 2.0),
        (ModSource::Pressure, None, ModTarget::Cutoff, 2.0),
    ]
    .into_iter()
    .try_fold(
        patch,
        |patch, (source, scale, target, amount)| match scale {
            Some(scale) => patch.with_scaled_modulation(source, scale, target, amount),
            None => patch.with_modulation(source, target, amount),
        },
    )
    .expect("five slots fit the matrix");
    let mut patch = patch;
    shape_patch(&mut patch, values);
    patch
}

/// Writes the parameters a note reads at its start into `patch` (never
/// allocates).
fn shape_patch(patch: &mut Patch, values: &[f64; COUNT]) {
    let v = |p: P| values[p as usize] as f32;
    let waveform = match v(P::Waveform) as usize {
        0 => Waveform::Sine,
        1 => Waveform::Square,
        3 => Waveform::Triangle,
        4 => Waveform::Pulse { duty_cycle: 0.25 },
        5 => Waveform::Noise,
        _ => Waveform::Sawtooth,
    };
    patch.set_waveform(waveform);
    patch.set_envelope(AdsrEnvelope::new(
        v(P::Attack),
        v(P::Decay),
        v(P::Sustain),
        v(P::Release),
    ));
    let mode = match v(P::Filter) as usize {
        1 => Some(FilterMode::Lowpass),
        2 => Some(FilterMode::Highpass),
        3 => Some(FilterMode::Bandpass),
        4 => Some(FilterMode::Notch),
        5 => Some(FilterMode::Ladder),
        _ => None,
    };
    patch.set_filter(mode.map(|m| Filter::new(m, BASE_CUTOFF_HZ as f32, 0.0)));
    patch.set_unison(v(P::Unison) as u8, v(P::Detune), 0.6);
}

/// Tells the host a note ended.
fn report_end(output: &mut OutputEvents<'_>, time: u32, note: &HostNote) {
    let pckn = Pckn::from_raw(note.port, note.channel, note.key, note.note_id);
    // A full output list is the host's to size; the end is then lost.
    let _ = output.try_push(NoteEndEvent::new(time, pckn));
}

/// The host's event list as the block runner's event source.
struct HostEvents<'a, 'e> {
    input: &'a InputEvents<'e>,
    next: u32,
    len: u32,
    state: &'a mut State,
    shared: &'a SharedValues,
}

impl EventSource for HostEvents<'_, '_> {
    fn next_frame(&mut self) -> Option<u64> {
        self.input
            .get(self.next)
            .map(|e| u64::from(e.header().time()))
    }

    fn apply_due(&mut self, frame: u64, engine: &mut RealtimeEngine) {
        while self.next < self.len {
            let Some(event) = self.input.get(self.next) else {
                break;
            };
            if u64::from(event.header().time()) > frame {
                break;
            }
            self.state.handle(engine, event, self.shared);
            self.next += 1;
        }
    }
}
