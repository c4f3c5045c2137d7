//! Timelines: events placed in time, rendered by the engine run offline,
//! block by block (`TimelineRenderer`) or into memory (`render_timeline`).

use super::check::check_sample_rate;
use super::error::RenderError;
use super::event::SoundEvent;
use super::wav::WavSink;
use crate::engine::MAX_CAPACITY;
use crate::engine::{EventSource, Output};
use crate::fx::{EffectSettings, Sends};
use crate::{Event, EventTarget, RealtimeEngine, VoiceId};
use std::io::{Seek, Write};
use std::sync::Arc;

use crate::patch::Patch;
use crate::soundfont::ZoneNote;

/// The most samples an in-memory render returns (2^31, 8 GiB of `f32`;
/// 13.5 hours of mono at 44.1 kHz). Longer renders stream to a file with
/// [`TimelineRenderer`].
pub const MAX_IN_MEMORY_SAMPLES: u64 = 1 << 31;

/// A [`SoundEvent`] placed on a timeline, with its level and stereo position.
///
/// ```
/// use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
/// use polyphonica::render::TimelineEvent;
///
/// let hat = SoundEvent::new(Waveform::Noise, 1000.0, 0.05, AdsrEnvelope::new(0.0, 0.04, 0.0, 0.01));
/// let placed = TimelineEvent::new(1.5, hat).with_amplitude(0.3).with_pan(0.4);
/// assert_eq!((placed.start_secs, placed.amplitude, placed.pan), (1.5, 0.3, 0.4));
/// ```
#[derive(Clone, Debug)]
pub struct TimelineEvent {
    /// When the event starts, in seconds from the start of the timeline.
    pub start_secs: f32,
    /// The event.
    pub event: SoundEvent,
    /// Level, `0.0..=1.0`.
    pub amplitude: f32,
    /// Stereo position, -1 (left) to 1 (right); ignored in mono.
    pub pan: f32,
    /// How much goes to the reverb, chorus and delay (none by default).
    pub sends: Sends,
    /// The patch the note plays (its amplitude envelope is the event's
    /// `envelope`, fitted to the event's length), if any.
    pub patch: Option<Arc<Patch>>,
    /// How hard the note is played, 0 to 1 (1 by default; see
    /// [`Note::velocity`](crate::Note::velocity)).
    pub velocity: f32,
    /// The SoundFont zone's note this event plays, if any: the note takes
    /// its envelopes' delays and holds, its modulation envelope and its
    /// MIDI key, and gets its own modulation ([`ZoneNote::events`]); the
    /// event's own fields say the rest. (Boxed: most events have none.)
    pub zone: Option<Box<ZoneNote>>,
}

impl TimelineEvent {
    /// `event` at `start_secs`, amplitude 1, centred.
    pub fn new(start_secs: f32, event: SoundEvent) -> Self {
        TimelineEvent {
            start_secs,
            event,
            amplitude: 1.0,
            pan: 0.0,
            sends: Sends::default(),
            patch: None,
            velocity: 1.0,
            zone: None,
        }
    }

    /// The same playing `zone`'s note (see [`TimelineEvent::zone`]).
    pub fn with_zone(mut self, zone: ZoneNote) -> Self {
        self.zone = Some(Box::new(zone));
        self
    }

    /// The same played by `patch` (see [`TimelineEvent::patch`]).
    pub fn with_patch(mut self, patch: Arc<Patch>) -> Self {
        self.patch = Some(patch);
        self
    }

    /// The same at `velocity`.
    pub fn with_velocity(mut self, velocity: f32) -> Self {
        self.velocity = velocity;
        self
    }

    /// The same with effect sends.
    pub fn with_sends(mut self, sends: Sends) -> Self {
        self.sends = sends;
        self
    }

    /// The same at `amplitude`.
    pub fn with_amplitude(mut self, amplitude: f32) -> Self {
        self.amplitude = amplitude;
        self
    }

    /// The same at `pan`.
    pub fn with_pan(mut self, pan: f32) -> Self {
        self.pan = pan;
        self
    }
}

/// What happens at a frame of the timeline.
#[derive(Clone, Debug)]
enum Action {
    /// Start event `index` (its note, and its sweep if it has one).
    Start(usize),
    /// Release event `index`.
    Release(usize),
}

/// A timeline rendered by the engine, offline, a block at a time.
///
/// It is a [`RealtimeEngine`] driven by a schedule: each event's note starts
/// at frame `round(start_secs × sample_rate)` and is released at its frame,
/// the render being split at those frames, so every event starts exactly
/// where it should whatever the block size. The sound is the engine's: its
/// oscillators, envelopes, sweeps and mixer, and its limiter, which keeps
/// every sample within `[-1, 1]` (a mix below full scale passes unchanged).
///
/// The engine has as many voices as events overlap at most (an event
/// occupies its frames from start to end, both ends counted), so no note is
/// stolen; capped at [`MAX_CAPACITY`](crate::engine::MAX_CAPACITY), beyond which the
/// oldest notes are stolen as in the engine. Events that start after the end
/// of the timeline are ignored; events that run past it are cut.
///
/// Memory stays flat however long the timeline: only the schedule (one
/// entry per event) and the engine are held, never the output.
///
/// ```
/// use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
/// use polyphonica::render::{TimelineEvent, TimelineRenderer};
///
/// let note = SoundEvent::new(Waveform::Sine, 440.0, 0.5, AdsrEnvelope::default());
/// let events = [TimelineEvent::new(0.0, note.clone()), TimelineEvent::new(0.25, note).with_pan(-1.0)];
/// let mut renderer = TimelineRenderer::new(&events, 1.0, 48_000)?;
/// assert_eq!(renderer.total_frames(), 48_000);
/// let mut block = vec![0.0; 2 * 1024]; // stereo, interleaved
/// let mut frames = 0;
/// loop {
///     let n = renderer.render_stereo(&mut block);
///     if n == 0 { break; }
///     frames += n;
/// }
/// assert_eq!(frames, 48_000);
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
#[derive(Debug)]
pub struct TimelineRenderer {
    engine: RealtimeEngine,
    cues: Cues,
    frame: u64,
    total_frames: u64,
    sample_rate: u32,
}

/// The timeline's starts and releases, as the block runner's event source.
#[derive(Debug)]
struct Cues {
    events: Vec<TimelineEvent>,
    ids: Vec<VoiceId>,
    /// `(frame, action)`, sorted by frame.
    schedule: Vec<(u64, Action)>,
    next: usize,
    sample_rate: u32,
}

impl EventSource for Cues {
    fn next_frame(&mut self) -> Option<u64> {
        self.schedule.get(self.next).map(|(at, _)| *at)
    }

    fn apply_due(&mut self, frame: u64, engine: &mut RealtimeEngine) {
        while let Some((at, action)) = self.schedule.get(self.next) {
            if *at > frame {
                break;
            }
            // The events were checked, so every note is playable.
            let applied = match *action {
                Action::Start(i) => {
                    let placed = &self.events[i];
                    let (note, _) = placed.event.to_note(self.sample_rate);
                    let mut note = note
                        .with_amplitude(placed.amplitude)
                        .with_pan(placed.pan)
                        .with_sends(placed.sends)
                        .with_velocity(placed.velocity);
                    note.patch = placed.patch.clone();
                    if let Some(own) = placed.zone.as_ref().map(|z| &z.note) {
                        note.delay_hold_secs = own.delay_hold_secs;
                        note.mod_envelope = own.mod_envelope;
                        note.mod_delay_hold_secs = own.mod_delay_hold_secs;
                        note.midi_key = own.midi_key;
                    }
                    let id = self.ids[i];
                    let e = &placed.event;
                    engine.send(Event::NoteOn { id, note }).and_then(|()| {
                        for event in placed.zone.iter().flat_map(|z| z.events(id)) {
                            engine.send(event)?;
                        }
                        if e.end_frequency == e.start_frequency {
                            return Ok(());
                        }
                        engine.send(Event::SweepFrequency {
                            id,
                            to_frequency_hz: e.end_frequency,
                            over_frames: e.frames(self.sample_rate),
                        })
                    })
                }
                Action::Release(i) => engine.send(Event::NoteOff { id: self.ids[i] }),
            };
            debug_assert!(applied.is_ok(), "checked events always play");
            self.next += 1;
        }
    }
}

impl TimelineRenderer {
    /// A renderer of `events` over `total_duration_secs` seconds
    /// (`round(total_duration_secs × sample_rate)` frames).
    ///
    /// Every value is checked first: an error names the bad one
    /// (`events[3].event.start_frequency`, `events[0].start_secs`, …) and
    /// says what was expected.
    pub fn new(
        events: &[TimelineEvent],
        total_duration_secs: f32,
        sample_rate: u32,
    ) -> Result<Self, RenderError> {
        check_sample_rate(sample_rate)?;
        check_total("total_duration_secs", total_duration_secs)?;
        for (i, e) in events.iter().enumerate() {
            check_placement(&format!("events[{i}]"), e)?;
            e.event.check(&format!("events[{i}].event"), sample_rate)?;
        }
        Self::checked(events, total_duration_secs, sample_rate)
    }

    /// A renderer of events already checked.
    pub(crate) fn checked(
        events: &[TimelineEvent],
        total_secs: f32,
        sample_rate: u32,
    ) -> Result<Self, RenderError> {
        let total_frames = (f64::from(total_secs) * f64::from(sample_rate)).round() as u64;
        let mut schedule = Vec::with_capacity(events.len() * 2);
        let mut spans = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            let start = (f64::from(e.start_secs) * f64::from(sample_rate)).round() as u64;
            let frames = e.event.frames(sample_rate);
            if frames == 0 || start >= total_frames {
                continue;
            }
            let (_, release_at) = e.event.to_note(sample_rate);
            schedule.push((start, Action::Start(i)));
            schedule.push((start + u64::from(release_at), Action::Release(i)));
            spans.push((start, start + u64::from(frames)));
        }
        // Stable: at one frame, events start and release in the given order.
        schedule.sort_by_key(|(frame, _)| *frame);
        let voices = most_overlapping(&mut spans).clamp(1, MAX_CAPACITY);
        let mut engine = RealtimeEngine::with_voices(sample_rate as f32, voices);
        let ids = events.iter().map(|_| engine.next_voice_id()).collect();
        Ok(TimelineRenderer {
            engine,
            cues: Cues {
                events: events.to_vec(),
                ids,
                schedule,
                next: 0,
                sample_rate,
            },
            frame: 0,
            total_frames,
            sample_rate,
        })
    }

    /// Sets up the effects before rendering (the events' sends feed
    /// them).
    ///
    /// ```
    /// use polyphonica::fx::{EffectSettings, ReverbParams, Sends};
    /// use polyphonica::render::{TimelineEvent, TimelineRenderer};
    /// use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
    ///
    /// let note = SoundEvent::new(Waveform::Sine, 440.0, 0.2, AdsrEnvelope::default());
    /// let events = [TimelineEvent::new(0.0, note).with_sends(Sends { reverb: 0.5, ..Sends::default() })];
    /// let mut renderer = TimelineRenderer::new(&events, 2.0, 48_000)?;
    /// renderer.set_effects(EffectSettings { reverb: ReverbParams { decay_secs: 1.0, ..ReverbParams::default() }, ..EffectSettings::default() });
    /// let mut out = vec![0.0; 96_000];
    /// renderer.render_mono(&mut out);
    /// assert!(out[24_000..].iter().any(|s| s.abs() > 1e-3)); // the tail after the note
    /// # Ok::<(), polyphonica::RenderError>(())
    /// ```
    pub fn set_effects(&mut self, settings: EffectSettings) {
        let applied = [
            Event::SetReverb {
                params: settings.reverb,
            },
            Event::SetChorus {
                params: settings.chorus,
            },
            Event::SetDelay {
                params: settings.delay,
            },
        ]
        .into_iter()
        .try_for_each(|e| self.engine.send(e));
        debug_assert!(applied.is_ok(), "effect settings are never refused");
    }

    /// Frames in the whole timeline.
    pub fn total_frames(&self) -> u64 {
        self.total_frames
    }

    /// Frames rendered so far.
    pub fn frames_rendered(&self) -> u64 {
        self.frame
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Voices in the engine that renders the timeline.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
    /// use polyphonica::render::{TimelineEvent, TimelineRenderer};
    /// let e = SoundEvent::new(Waveform::Sine, 440.0, 1.0, AdsrEnvelope::default());
    /// let chord: Vec<_> = (0..3).map(|_| TimelineEvent::new(0.0, e.clone())).collect();
    /// assert_eq!(TimelineRenderer::new(&chord, 1.0, 44_100)?.voice_capacity(), 3);
    /// # Ok::<(), polyphonica::RenderError>(())
    /// ```
    pub fn voice_capacity(&self) -> usize {
        self.engine.voice_capacity()
    }

    /// Renders the next mono frames into `out` (up to its length) and
    /// returns how many were written: fewer than `out.len()` at the end of
    /// the timeline, 0 once it is done.
    pub fn render_mono(&mut self, out: &mut [f32]) -> usize {
        let frames = self.frames_left(out.len());
        self.render(Output::Mono(&mut out[..frames]))
    }

    /// Renders the next interleaved stereo frames (L R L R …) into `out` (up
    /// to `out.len() / 2` frames) and returns how many frames were written:
    /// fewer at the end of the timeline, 0 once it is done.
    pub fn render_stereo(&mut self, out: &mut [f32]) -> usize {
        let frames = self.frames_left(out.len() / 2);
        self.render(Output::Interleaved(&mut out[..2 * frames]))
    }

    /// Renders the next planar stereo frames into `left` and `right` (up to
    /// the shorter one's length) and returns how many frames were written.
    pub fn render_planar(&mut self, left: &mut [f32], right: &mut [f32]) -> usize {
        let frames = self.frames_left(left.len().min(right.len()));
        self.render(Output::Planar(&mut left[..frames], &mut right[..frames]))
    }

    /// At most `wanted` frames, and no more than the timeline has left.
    fn frames_left(&self, wanted: usize) -> usize {
        (wanted as u64).min(self.total_frames - self.frame) as usize
    }

    /// Renders `output` through the block runner, the cues as its source.
    fn render(&mut self, output: Output<'_>) -> usize {
        let frames = output.frames();
        self.engine.process_from(&mut self.cues, self.frame, output);
        self.frame += frames as u64;
        frames
    }
    /// Renders the rest of the timeline into a new mono buffer.
    pub(crate) fn render_all_mono(&mut self) -> Result<Vec<f32>, RenderError> {
        let mut out = alloc_samples(self.total_frames - self.frame, self.sample_rate)?;
        self.render_mono(&mut out);
        Ok(out)
    }

    /// Renders the rest of the timeline into `sink`, a block at a time, in
    /// the sink's channel count, calling `progress(frames_rendered,
    /// total_frames)` after each block. Memory stays flat: one block of
    /// 4096 frames is all the output it holds.
    ///
    /// ```
    /// use polyphonica::{AdsrEnvelope, SoundEvent, Waveform};
    /// use polyphonica::render::{TimelineEvent, TimelineRenderer, WavFormat, WavSink};
    /// use std::io::Cursor;
    ///
    /// let note = SoundEvent::new(Waveform::Sawtooth, 110.0, 2.0, AdsrEnvelope::default());
    /// let mut renderer = TimelineRenderer::new(&[TimelineEvent::new(0.0, note)], 2.0, 44_100)?;
    /// let mut sink = WavSink::new(Cursor::new(Vec::new()), WavFormat::stereo_16(44_100))?;
    /// let mut calls = 0;
    /// renderer.render_to(&mut sink, |done, total| { calls += 1; assert!(done <= total); })?;
    /// assert_eq!(sink.frames_written(), 88_200);
    /// assert!(calls > 1);
    /// sink.finalize()?;
    /// # Ok::<(), polyphonica::RenderError>(())
    /// ```
    pub fn render_to<W: Write + Seek>(
        &mut self,
        sink: &mut WavSink<W>,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<(), RenderError> {
        const BLOCK_FRAMES: usize = 4096;
        let channels = sink.format().channels.count();
        // Refused before anything is written, naming the whole length.
        sink.check_room(self.total_frames - self.frame)?;
        let mut block = vec![0.0f32; BLOCK_FRAMES * channels];
        loop {
            let n = if channels == 2 {
                self.render_stereo(&mut block)
            } else {
                self.render_mono(&mut block)
            };
            if n == 0 {
                return Ok(());
            }
            sink.write(&block[..n * channels])?;
            progress(self.frame, self.total_frames);
        }
    }
}

/// A timeline played in real time; silence after its end.
impl crate::engine::RenderStereo for TimelineRenderer {
    fn render_stereo(&mut self, output: &mut [f32]) {
        let frames = TimelineRenderer::render_stereo(self, output);
        output[frames * 2..].fill(0.0);
    }
}

/// Renders one event through the engine (one voice): a buffer of
/// `round(duration_secs × sample_rate)` mono samples.
///
/// Bad input (a frequency that is not finite, not above 0 or above half the
/// sample rate, a negative or non-finite duration or envelope time, a
/// sustain level outside `0..=1`, a sample rate of 0) is an error that names
/// the field.
///
/// ```
/// use polyphonica::{render_event, AdsrEnvelope, SoundEvent, Waveform};
///
/// let blip = SoundEvent::new(Waveform::Square, 880.0, 0.1, AdsrEnvelope::new(0.005, 0.02, 0.5, 0.05));
/// assert_eq!(render_event(&blip, 48_000)?.len(), 4_800);
///
/// let bad = SoundEvent::new(Waveform::Square, f32::NAN, 0.1, AdsrEnvelope::default());
/// let err = render_event(&bad, 48_000).unwrap_err();
/// assert!(err.to_string().starts_with("event.start_frequency is NaN"));
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn render_event(event: &SoundEvent, sample_rate: u32) -> Result<Vec<f32>, RenderError> {
    check_sample_rate(sample_rate)?;
    event.check("event", sample_rate)?;
    let placed = [TimelineEvent::new(0.0, event.clone())];
    let mut renderer = TimelineRenderer::checked(&placed, event.duration_secs, sample_rate)?;
    renderer.render_all_mono()
}

/// Renders events placed at times (seconds) into a mono buffer of
/// `round(total_duration_secs × sample_rate)` samples, by running the engine
/// offline (see [`TimelineRenderer`] for the details).
///
/// Each event starts at frame `round(start × sample_rate)` exactly; its
/// release ends with the event; events past the end are cut. The mix obeys
/// the engine's output bound: every sample finite and within `[-1, 1]`,
/// exactly the sum of the events while that stays below full scale, limited
/// above it. The engine gets as many voices as events overlap at most, so no
/// note is stolen (up to [`MAX_CAPACITY`](crate::engine::MAX_CAPACITY) overlapping
/// events).
///
/// Bad input is an error naming the value (`events[2].0` is a start time,
/// `events[2].1.duration_secs` a field of the event).
///
/// ```
/// use polyphonica::{render_timeline, AdsrEnvelope, SoundEvent, Waveform};
///
/// let pluck = AdsrEnvelope::new(0.005, 0.1, 0.3, 0.1);
/// let events = vec![
///     (0.0, SoundEvent::new(Waveform::Sawtooth, 220.0, 0.5, pluck)),
///     (0.5, SoundEvent::new(Waveform::Sawtooth, 330.0, 0.5, pluck)),
/// ];
/// let mix = render_timeline(&events, 1.0, 44_100)?;
/// assert_eq!(mix.len(), 44_100);
/// assert!(mix.iter().all(|s| s.abs() <= 1.0));
///
/// let err = render_timeline(&[(-1.0, events[0].1.clone())], 1.0, 44_100).unwrap_err();
/// assert_eq!(err.to_string(), "events[0].0 is -1; expected a start time in seconds, finite and 0 or more");
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn render_timeline(
    events: &[(f32, SoundEvent)],
    total_duration_secs: f32,
    sample_rate: u32,
) -> Result<Vec<f32>, RenderError> {
    check_sample_rate(sample_rate)?;
    check_total("total_duration_secs", total_duration_secs)?;
    for (i, (start, event)) in events.iter().enumerate() {
        check_start(&format!("events[{i}].0"), *start)?;
        event.check(&format!("events[{i}].1"), sample_rate)?;
    }
    let placed: Vec<TimelineEvent> = events
        .iter()
        .map(|(t, e)| TimelineEvent::new(*t, e.clone()))
        .collect();
    TimelineRenderer::checked(&placed, total_duration_secs, sample_rate)?.render_all_mono()
}

/// An error if `frames` frames of `channels` channels are more than an
/// in-memory render holds ([`MAX_IN_MEMORY_SAMPLES`]): the one cap of every
/// render into memory.
pub(crate) fn check_in_memory(
    frames: u64,
    channels: u64,
    sample_rate: u32,
) -> Result<(), RenderError> {
    if frames.saturating_mul(channels) > MAX_IN_MEMORY_SAMPLES {
        return Err(too_long_in_memory(frames, sample_rate));
    }
    Ok(())
}

fn too_long_in_memory(frames: u64, sample_rate: u32) -> RenderError {
    RenderError::TooLong {
        frames,
        sample_rate,
        limit: "in memory (MAX_IN_MEMORY_SAMPLES)",
    }
}

/// A zeroed mono buffer of `frames`, or an error if that is too much.
pub(crate) fn alloc_samples(frames: u64, sample_rate: u32) -> Result<Vec<f32>, RenderError> {
    check_in_memory(frames, 1, sample_rate)?;
    let mut out = Vec::new();
    out.try_reserve_exact(frames as usize)
        .map_err(|_| too_long_in_memory(frames, sample_rate))?;
    out.resize(frames as usize, 0.0);
    Ok(out)
}

fn check_start(what: &str, secs: f32) -> Result<(), RenderError> {
    if !(secs.is_finite() && secs >= 0.0) {
        return Err(RenderError::invalid(
            what,
            secs,
            "a start time in seconds, finite and 0 or more",
        ));
    }
    Ok(())
}

fn check_total(what: &str, secs: f32) -> Result<(), RenderError> {
    if !(secs.is_finite() && secs >= 0.0) {
        return Err(RenderError::invalid(
            what,
            secs,
            "a finite number of seconds, 0 or more",
        ));
    }
    Ok(())
}

fn check_placement(label: &str, e: &TimelineEvent) -> Result<(), RenderError> {
    check_start(&format!("{label}.start_secs"), e.start_secs)?;
    if !(0.0..=1.0).contains(&e.amplitude) {
        return Err(RenderError::invalid(
            format!("{label}.amplitude"),
            e.amplitude,
            "a level from 0 to 1",
        ));
    }
    if !(-1.0..=1.0).contains(&e.pan) {
        return Err(RenderError::invalid(
            format!("{label}.pan"),
            e.pan,
            "a position from -1 (left) to 1 (right)",
        ));
    }
    Ok(())
}

/// The most spans `[start, end]` (both ends counted) that share a frame.
fn most_overlapping(spans: &mut [(u64, u64)]) -> usize {
    let mut edges: Vec<(u64, i32)> = spans.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
    // At one frame, starts before ends: touching spans count as overlapping.
    edges.sort_by_key(|&(at, delta)| (at, -delta));
    let (mut now, mut most) = (0i64, 0i64);
    for (_, delta) in edges {
        now += i64::from(delta);
        most = most.max(now);
    }
    most as usize
}
