//! The engine core: the voice pool, allocation and stealing, and event
//! application; its block render is in [`render`]. Every driver (the
//! direct API, the lock-free controller, offline rendering, MIDI) runs
//! this same core.

use std::sync::atomic::Ordering::Relaxed;

use super::ended::EndedNotes;
use super::event::Event;
use super::group::Group;
use super::id_index::IdIndex;
use super::note::{clamp_frequency, clamp_or, Note};
use super::slot_heap::SlotHeap;
use super::voice::{
    ChannelControls, PatchScratch, Scratch, SlotState, Voice, PARAMETER_RAMP_SECS, STEAL_FADE_SECS,
};
use super::waveform::clamp_duty_cycle;
use super::{AtomicF32, VoiceId, GROUPS, MAX_BLOCK_FRAMES};
use crate::dsp::filter::LANES;
use crate::dsp::limiter::Limiter;
use crate::dsp::slew::Slew;
use crate::dsp::wavetable::{wavetables, Wavetables};
use crate::fx::Effects;
use crate::patch::Patch;
use crate::{SampleData, Waveform};
use std::sync::Arc;

mod render;

/// Something the audio side let go of and must not free: a sample or a
/// patch. The driver takes them away ([`EngineCore::take_retired`]).
#[derive(Debug)]
pub(crate) enum Retired {
    Sample(SampleData),
    Patch(Arc<Patch>),
}

impl Retired {
    fn same_as(&self, other: &Retired) -> bool {
        match (self, other) {
            (Retired::Sample(a), Retired::Sample(b)) => a.shares_audio_with(b),
            (Retired::Patch(a), Retired::Patch(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// The lane a patched voice without a filter renders into (past the
/// batch's lanes).
const UNFILTERED_LANE: usize = LANES;

/// How many samples no longer used by any voice the core keeps before they
/// are released away from the audio side (see [`EngineCore::take_retired`]).
const RETIRED_CAPACITY: usize = 256;

/// The audio-side state of an engine.
#[derive(Debug)]
pub(crate) struct EngineCore {
    sample_rate: f32,
    /// Voices that can play at once (the pool's nominal size).
    capacity: usize,
    /// `capacity` playing slots plus as many hidden ones for stolen tails.
    voices: Box<[Voice]>,
    /// One bit per slot, set while the slot is not free (playing or
    /// fading): the render loop visits only these, in slot order.
    occupied: Box<[u64]>,
    /// One bit per slot whose note may send to the effects (its own or
    /// patched sends, or send levels still ramping): a slot without it, in
    /// a group that sends nothing, renders straight into the mix.
    sending: Box<[u64]>,
    /// Slots playing a note (stolen tails not counted).
    playing: usize,
    /// The slot of each playing note's id.
    index: IdIndex,
    /// Free slots, lowest first.
    free: SlotHeap,
    /// Playing notes not yet released, oldest first.
    held: SlotHeap,
    /// Playing notes in their release, oldest first.
    releasing: SlotHeap,
    /// Stolen tails, quietest first: keyed by the render in which they
    /// were stolen (tails all fade at one rate from full level, so the
    /// earlier stolen is the quieter), then by slot.
    fading: SlotHeap,
    /// Blocks (of at most [`MAX_BLOCK_FRAMES`]) rendered so far.
    renders: u64,
    /// The audio side's working buffers, one block long.
    scratch: Box<Scratch>,
    notes_started: u64,
    voices_stolen: u64,
    /// Mixed with each voice id to seed that voice's noise.
    noise_seed: u64,
    master_volume: AtomicF32,
    master_slew: Slew,
    /// Each group's volume.
    groups: [Group; GROUPS],
    /// Each group's effect sends (reverb, chorus, delay).
    group_sends: [[f32; 3]; GROUPS],
    /// The reverb, chorus and delay, and their send buses.
    effects: Box<Effects>,
    /// A voice's block on its way to the mix and the sends, and the
    /// effects' output for a mono mix (left, right, wet left, wet right).
    fx_scratch: Box<[[f32; MAX_BLOCK_FRAMES]; 4]>,
    /// Ids of the notes that ended, for the driver to report.
    ended: EndedNotes,
    /// Whether the last rendered block had no voice at all.
    previous_block_silent: bool,
    limiter: Limiter,
    tables: &'static Wavetables,
    /// Samples and patches whose last voice ended, kept so the audio side
    /// never frees them; one entry per distinct one.
    retired: Vec<Retired>,
    /// Each channel's controllers, pressure and pitch bend (modulation
    /// sources of patched notes).
    channels: Box<[ChannelControls; 16]>,
    /// Frames rendered since the engine was made.
    clock_frames: u64,
    /// The working buffers of patched voices and their filters.
    patch_scratch: Box<PatchScratch>,
}

impl EngineCore {
    /// A core with `capacity` voices (at least 1). Allocates everything the
    /// core will ever use.
    pub(crate) fn new(sample_rate: f32, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let slots = capacity * 2;
        crate::sample::prepare();
        EngineCore {
            sample_rate,
            capacity,
            voices: (0..slots).map(|_| Voice::new(sample_rate)).collect(),
            occupied: vec![0; slots.div_ceil(64)].into_boxed_slice(),
            sending: vec![0; slots.div_ceil(64)].into_boxed_slice(),
            playing: 0,
            index: IdIndex::new(slots),
            free: SlotHeap::all_by_number(slots),
            held: SlotHeap::new(slots),
            releasing: SlotHeap::new(slots),
            fading: SlotHeap::new(slots),
            renders: 0,
            scratch: Box::new(Scratch::new()),
            notes_started: 0,
            voices_stolen: 0,
            noise_seed: 0,
            master_volume: AtomicF32::new(1.0),
            master_slew: Slew::new(1.0, 1.0, PARAMETER_RAMP_SECS * 2.0 * sample_rate),
            groups: [Group::new(PARAMETER_RAMP_SECS * 2.0 * sample_rate); GROUPS],
            group_sends: [[0.0; 3]; GROUPS],
            effects: Box::new(Effects::new(sample_rate)),
            fx_scratch: Box::new([[0.0; MAX_BLOCK_FRAMES]; 4]),
            ended: EndedNotes::new((4 * slots).max(256)),
            previous_block_silent: true,
            limiter: Limiter::new(sample_rate),
            tables: wavetables(),
            retired: Vec::with_capacity(RETIRED_CAPACITY),
            channels: Box::new([ChannelControls::default(); 16]),
            clock_frames: 0,
            patch_scratch: Box::new(PatchScratch::new()),
        }
    }

    /// Seeds the noise of the notes started from now on.
    pub(crate) fn set_noise_seed(&mut self, seed: u64) {
        self.noise_seed = seed;
    }

    pub(crate) fn noise_seed(&self) -> u64 {
        self.noise_seed
    }

    pub(crate) fn sample_rate(&self) -> f32 {
        self.sample_rate
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Applies one event now.
    pub(crate) fn apply(&mut self, event: Event) {
        match event {
            Event::NoteOn { id, note } => {
                if let Some(note) = note.validated(self.sample_rate) {
                    self.note_on(id, note);
                }
            }
            Event::NoteOff { id } => self.note_off(id),
            Event::SetFrequency { id, frequency_hz } => self.set_frequency(id, frequency_hz),
            Event::SweepFrequency {
                id,
                to_frequency_hz,
                over_frames,
            } => self.sweep_frequency(id, to_frequency_hz, over_frames),
            Event::SetAmplitude { id, amplitude } => self.set_amplitude(id, amplitude),
            Event::SetPan { id, pan } => self.set_pan(id, pan),
            Event::SetDutyCycle { id, duty_cycle } => self.set_duty_cycle(id, duty_cycle),
            Event::SetMasterVolume { volume } => self.set_master_volume(volume),
            Event::RampAmplitude {
                id,
                to_amplitude,
                over_frames,
            } => self.ramp_amplitude(id, to_amplitude, over_frames),
            Event::ReleaseAll => self.release_all(),
            Event::StopAll => self.stop_all(),
            Event::SetGroupVolume { group, volume } => {
                if let Some(g) = self.groups.get_mut(group as usize) {
                    g.set_volume(volume);
                }
            }
            Event::FadeGroup {
                group,
                to_volume,
                over_frames,
            } => {
                if let Some(g) = self.groups.get_mut(group as usize) {
                    g.fade(to_volume, over_frames);
                }
            }
            Event::ReleaseGroup { group } => self.release_group(group),
            Event::StopGroup { group } => self.stop_group(group),
            Event::SetSends { id, sends } => {
                if let Some(i) = self.find(id) {
                    self.voices[i].sends = sends.levels();
                    self.sending[i / 64] |= 1 << (i % 64);
                }
            }
            Event::SetGroupSends { group, sends } => {
                if let Some(g) = self.group_sends.get_mut(group as usize) {
                    *g = sends.levels();
                }
            }
            Event::SetController {
                channel,
                controller,
                value,
            } => {
                if let Some(ch) = self.channels.get_mut(usize::from(channel)) {
                    if value.is_finite() && controller < 128 {
                        ch.cc[usize::from(controller)] = value.clamp(0.0, 1.0);
                    }
                }
            }
            Event::SetChannelPressure { channel, pressure } => {
                if let Some(ch) = self.channels.get_mut(usize::from(channel)) {
                    if pressure.is_finite() {
                        ch.pressure = pressure.clamp(0.0, 1.0);
                    }
                }
            }
            Event::SetPitchBend { channel, bend } => {
                if let Some(ch) = self.channels.get_mut(usize::from(channel)) {
                    if bend.is_finite() {
                        ch.bend = bend.clamp(-1.0, 1.0);
                    }
                }
            }
            Event::SetPolyPressure { id, pressure } => {
                if let Some(i) = self.find(id) {
                    if let Some(p) = self.voices[i].patched_mut() {
                        if pressure.is_finite() {
                            p.poly_pressure = pressure.clamp(0.0, 1.0);
                        }
                    }
                }
            }
            Event::SetNoteModulation { id, target, amount } => {
                if let Some(i) = self.find(id) {
                    if let Some(p) = self.voices[i].patched_mut() {
                        p.set_offset(target, amount);
                    }
                }
            }
            Event::SetNoteSlotAmount { id, slot, amount } => {
                if let Some(i) = self.find(id) {
                    if let Some(p) = self.voices[i].patched_mut() {
                        p.set_slot_amount(slot, amount);
                    }
                }
            }
            Event::SetNoteVibrato { id, depth } => {
                if let Some(i) = self.find(id) {
                    if let Some(p) = self.voices[i].patched_mut() {
                        if depth.is_finite() {
                            p.vibrato = depth.clamp(0.0, 1.0);
                        }
                    }
                }
            }
            Event::SetReverb { params } => self.effects.set_reverb(params),
            Event::SetChorus { params } => self.effects.set_chorus(params),
            Event::SetDelay { params } => self.effects.set_delay(params),
        }
    }

    /// The effects, for their settings.
    pub(crate) fn effects(&self) -> &Effects {
        &self.effects
    }

    /// The volume last set for `group` (1.0 for a group out of range).
    pub(crate) fn group_volume(&self, group: u8) -> f32 {
        self.groups.get(group as usize).map_or(1.0, Group::volume)
    }

    /// The playing slots of `group`, visited through the occupied bits
    /// (bounded by the pool's size).
    fn for_each_in_group(&mut self, group: u8, mut visit: impl FnMut(&mut Self, usize)) {
        for word in 0..self.occupied.len() {
            let mut bits = self.occupied[word];
            while bits != 0 {
                let slot = word * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let v = &self.voices[slot];
                if v.state == SlotState::Playing && v.group == group {
                    visit(self, slot);
                }
            }
        }
    }

    fn release_group(&mut self, group: u8) {
        self.for_each_in_group(group, |core, slot| {
            core.voices[slot].release();
            core.note_released(slot);
        });
    }

    /// Every note of the group fades out as a stolen note does (4 ms);
    /// their ids go stale at once.
    fn stop_group(&mut self, group: u8) {
        self.for_each_in_group(group, |core, slot| core.fade_out(slot));
    }

    /// NaN and infinities are ignored; finite values are clamped to `0..=1`.
    fn ramp_amplitude(&mut self, id: VoiceId, to: f32, frames: u32) {
        if to.is_finite() {
            if let Some(i) = self.find(id) {
                self.voices[i].ramp_amplitude(to.clamp(0.0, 1.0), frames);
            }
        }
    }

    /// Takes the id of the oldest note that ended and was not taken yet.
    pub(crate) fn pop_ended(&mut self) -> Option<VoiceId> {
        self.ended.pop()
    }

    /// Ended-note ids dropped because nobody took them in time.
    pub(crate) fn ended_dropped(&self) -> u64 {
        self.ended.dropped()
    }

    /// Starts a validated note under `id`, stealing a voice if the pool is
    /// full. An id that is already playing (only possible through
    /// [`Event::NoteOn`] with a reused id) first has its old note stolen,
    /// so no note is ever left without an id to release it.
    ///
    /// O(log n) in the pool's size: the slot and the voice to steal come
    /// from heaps, never from a scan.
    pub(crate) fn note_on(&mut self, id: VoiceId, note: Note) {
        if let Some(slot) = self.index.get(id) {
            self.steal(slot);
        }
        if self.playing >= self.capacity {
            self.steal_one();
        }
        // With every slot taken, every hidden slot holds a fading tail (more
        // steals in one block than the pool has voices): cut the quietest.
        // (A pool has twice its voices in slots, so a slot is always found.)
        let Some(slot) = self.free.pop().or_else(|| {
            let quietest = self.fading.peek()?;
            self.free_slot(quietest);
            self.free.pop()
        }) else {
            return;
        };
        self.notes_started += 1;
        let (old, old_patch) = self.voices[slot].start(
            id,
            self.notes_started,
            note,
            self.sample_rate,
            self.noise_seed,
            self.clock_frames,
        );
        if let Some(p) = old_patch {
            self.retire_item(Retired::Patch(p));
        }
        self.occupied[slot / 64] |= 1 << (slot % 64);
        self.sending[slot / 64] |= 1 << (slot % 64);
        self.playing += 1;
        self.index.insert(id, slot);
        // An envelope with nothing to play (all times and the sustain 0) is
        // over at once: it counts as releasing, as for stealing it is.
        if self.voices[slot].is_releasing() {
            self.releasing.insert(slot, self.notes_started);
        } else {
            self.held.insert(slot, self.notes_started);
        }
        self.retire(old);
    }

    /// Frees `slot` at once (whatever it held) and retires its sample.
    fn free_slot(&mut self, slot: usize) {
        match self.voices[slot].state {
            SlotState::Free => return,
            SlotState::Playing => self.forget_playing(slot),
            SlotState::Fading => {
                self.fading.remove(slot);
            }
        }
        self.occupied[slot / 64] &= !(1 << (slot % 64));
        self.sending[slot / 64] &= !(1 << (slot % 64));
        self.free.insert(slot, slot as u64);
        let old = self.voices[slot].silence();
        self.retire(old);
    }

    /// Takes a playing slot out of the playing count, the id index and the
    /// held or releasing heap.
    fn forget_playing(&mut self, slot: usize) {
        self.playing -= 1;
        if let Some(id) = self.voices[slot].id {
            self.index.remove(id);
            self.ended.push(id);
        }
        if !self.held.remove(slot) {
            self.releasing.remove(slot);
        }
    }

    /// Steals the oldest releasing voice, or else the oldest voice.
    fn steal_one(&mut self) {
        if let Some(slot) = self.releasing.peek().or_else(|| self.held.peek()) {
            self.steal(slot);
        }
    }

    /// Turns the note playing in `slot` into a fading tail, counted as
    /// stolen.
    fn steal(&mut self, slot: usize) {
        self.fade_out(slot);
        self.voices_stolen += 1;
    }

    /// Turns the note playing in `slot` into a fading tail.
    fn fade_out(&mut self, slot: usize) {
        self.forget_playing(slot);
        self.voices[slot].steal(STEAL_FADE_SECS * self.sample_rate);
        self.fading.insert(slot, self.renders << 32 | slot as u64);
    }

    /// Moves a held note that has just been released to the releasing heap.
    fn note_released(&mut self, slot: usize) {
        if self.voices[slot].is_releasing() && self.held.remove(slot) {
            self.releasing.insert(slot, self.voices[slot].started);
        }
    }

    fn find(&self, id: VoiceId) -> Option<usize> {
        self.index.get(id)
    }

    /// The voice playing `id`, if the id is not stale.
    pub(crate) fn voice(&self, id: VoiceId) -> Option<&Voice> {
        self.find(id).map(|i| &self.voices[i])
    }

    /// The voices playing notes.
    pub(crate) fn active_voices(&self) -> impl Iterator<Item = &Voice> {
        self.voices.iter().filter(|v| v.state == SlotState::Playing)
    }

    pub(crate) fn note_off(&mut self, id: VoiceId) {
        if let Some(i) = self.find(id) {
            self.voices[i].release();
            self.note_released(i);
        }
    }

    pub(crate) fn release_all(&mut self) {
        while let Some(slot) = self.held.peek() {
            self.voices[slot].release();
            self.held.remove(slot);
            self.releasing.insert(slot, self.voices[slot].started);
        }
    }

    pub(crate) fn stop_all(&mut self) {
        for word in 0..self.occupied.len() {
            let mut bits = self.occupied[word];
            while bits != 0 {
                let slot = word * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.free_slot(slot);
            }
        }
    }

    /// NaN and infinities are ignored; finite values are clamped to
    /// `0..=Nyquist`.
    pub(crate) fn set_frequency(&self, id: VoiceId, frequency_hz: f32) {
        if frequency_hz.is_finite() {
            if let Some(v) = self.voice(id) {
                v.set_frequency_hz(clamp_frequency(frequency_hz, self.sample_rate));
            }
        }
    }

    /// Starts a linear sweep to `to_hz` over `frames` frames. NaN and
    /// infinities are ignored; finite targets are clamped to `0..=Nyquist`.
    pub(crate) fn sweep_frequency(&mut self, id: VoiceId, to_hz: f32, frames: u32) {
        if to_hz.is_finite() {
            let to_hz = clamp_frequency(to_hz, self.sample_rate);
            if let Some(i) = self.find(id) {
                self.voices[i].sweep_to(to_hz, frames);
            }
        }
    }

    /// NaN and infinities are ignored; finite values are clamped to `0..=1`.
    pub(crate) fn set_amplitude(&self, id: VoiceId, amplitude: f32) {
        if amplitude.is_finite() {
            if let Some(v) = self.voice(id) {
                v.set_amplitude(clamp_or(amplitude, 0.0, 1.0, 1.0));
            }
        }
    }

    /// NaN and infinities are ignored; finite values are clamped to `-1..=1`.
    pub(crate) fn set_pan(&self, id: VoiceId, pan: f32) {
        if pan.is_finite() {
            if let Some(v) = self.voice(id) {
                v.set_pan(pan.clamp(-1.0, 1.0));
            }
        }
    }

    /// NaN is ignored; other values are clamped to `0.01..=0.99`.
    pub(crate) fn set_duty_cycle(&self, id: VoiceId, duty_cycle: f32) {
        if !duty_cycle.is_nan() {
            if let Some(v) = self.voice(id) {
                v.set_duty_cycle(clamp_duty_cycle(duty_cycle));
            }
        }
    }

    /// NaN and infinities are ignored; finite values are clamped to `0..=1`.
    pub(crate) fn set_master_volume(&self, volume: f32) {
        if volume.is_finite() {
            self.master_volume.store(volume.clamp(0.0, 1.0), Relaxed);
        }
    }

    pub(crate) fn master_volume(&self) -> f32 {
        self.master_volume.load(Relaxed)
    }

    /// Voices playing notes (stolen tails not counted).
    pub(crate) fn active_voice_count(&self) -> usize {
        self.debug_check_bookkeeping();
        self.playing
    }

    /// In debug builds (the tests), checks the occupied bits, the heaps,
    /// the id index and the playing count against the slots themselves.
    fn debug_check_bookkeeping(&self) {
        if cfg!(debug_assertions) {
            for (i, v) in self.voices.iter().enumerate() {
                let bit = self.occupied[i / 64] >> (i % 64) & 1 == 1;
                debug_assert_eq!(bit, v.state != SlotState::Free, "slot {i}");
                let sending = self.sending[i / 64] >> (i % 64) & 1 == 1;
                // Without the bit a note sends nothing and sent nothing.
                let silent = v.sends_now == [0.0; 3] && v.sends == [0.0; 3];
                debug_assert!(!bit || sending || silent, "slot {i}");
                debug_assert!(!sending || bit, "slot {i}");
                debug_assert_eq!(self.free.contains(i), v.state == SlotState::Free);
                debug_assert_eq!(self.fading.contains(i), v.state == SlotState::Fading);
                let playing = v.state == SlotState::Playing;
                debug_assert_eq!(self.held.contains(i), playing && !v.is_releasing());
                debug_assert_eq!(self.releasing.contains(i), playing && v.is_releasing());
                if let Some(id) = v.id {
                    debug_assert_eq!(self.index.get(id), Some(i), "slot {i}");
                }
            }
            debug_assert_eq!(self.held.len() + self.releasing.len(), self.playing);
            // The tail the heap would cut first is the quietest one.
            if let Some(first) = self.fading.peek() {
                let quietest = self
                    .voices
                    .iter()
                    .filter(|v| v.state == SlotState::Fading)
                    .map(Voice::fade_level)
                    .fold(f32::INFINITY, f32::min);
                debug_assert_eq!(self.voices[first].fade_level(), quietest);
            }
            let playing = self
                .voices
                .iter()
                .filter(|v| v.state == SlotState::Playing)
                .count();
            debug_assert_eq!(self.playing, playing);
        }
    }

    /// Notes stolen since the engine was made.
    pub(crate) fn voices_stolen(&self) -> u64 {
        self.voices_stolen
    }

    /// Keeps a sample a voice let go of, so that its memory is never freed
    /// on the audio side. One reference per distinct sample is kept; a
    /// second reference to a kept sample is dropped, which cannot free it.
    fn retire(&mut self, sample: Option<SampleData>) {
        if let Some(sample) = sample {
            self.retire_item(Retired::Sample(sample));
        }
    }

    /// Keeps a sample or a patch (see [`retire`](Self::retire)).
    fn retire_item(&mut self, item: Retired) {
        if self.retired.iter().any(|kept| kept.same_as(&item)) {
            return; // `item` drops here, but `retired` still holds one.
        }
        if self.retired.len() == self.retired.capacity() {
            // Full: make room by dropping the oldest. Documented as the one
            // case where a sample may be freed on the audio side.
            self.retired.remove(0);
        }
        self.retired.push(item);
    }

    /// Disposes of an event that will never be applied (a cancelled one)
    /// without freeing memory here: a trigger's sample is retired like a
    /// finished voice's.
    pub(crate) fn discard(&mut self, event: Event) {
        if let Event::NoteOn { note, .. } = event {
            if let Waveform::Sample(sample) = note.waveform {
                self.retire(Some(sample));
            }
            if let Some(patch) = note.patch {
                self.retire_item(Retired::Patch(patch));
            }
        }
    }

    /// How many samples [`take_retired`](Self::take_retired) would hand over.
    pub(crate) fn retired_count(&self) -> usize {
        self.retired.len()
    }

    /// Hands the kept samples to the caller, away from the audio side, which
    /// drops the ones no one else holds. Keeps the buffer's capacity.
    pub(crate) fn take_retired(&mut self, mut release: impl FnMut(Retired)) {
        for s in self.retired.drain(..) {
            release(s);
        }
    }
}
