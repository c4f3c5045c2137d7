//! The audio side's block: every occupied slot rendered into the mix in
//! slot order, patched voices with a filter gathered into batches whose
//! filters run together, each note's sends to the effects, then the
//! effects, the master gain and the limiter.

use std::sync::atomic::Ordering::Relaxed;

use super::super::voice::{
    FilterFamily, MixTarget, PatchContext, PatchScratch, PatchVoice, Scratch, Voice,
};
use super::super::{GROUPS, MAX_BLOCK_FRAMES};
use super::{EngineCore, UNFILTERED_LANE};
use crate::dsp::denormal::DenormalGuard;
use crate::dsp::filter::{
    ladder_drive_gain, LadderBatch, Lanes, SvfBatch, SvfMode, CONTROL_FRAMES, LANES, NARROW,
};
use crate::dsp::mix::apply_ramp;
use crate::dsp::transpose::{frames_to_rows, rows_to_frames};
use crate::dsp::wavetable::Wavetables;

impl EngineCore {
    /// Renders a mono block into `out` (overwriting it).
    pub(crate) fn render_mono(&mut self, out: &mut [f32]) {
        let _ftz = DenormalGuard::new();
        for block in out.chunks_mut(MAX_BLOCK_FRAMES) {
            block.fill(0.0);
            self.settle_master_if_silent();
            let frames = block.len();
            self.render_voices(&mut Bus::Mono(block), frames);
            if self.effects.busy() {
                let [_, _, wet_left, wet_right] = &mut *self.fx_scratch;
                let (wet_left, wet_right) = (&mut wet_left[..frames], &mut wet_right[..frames]);
                wet_left.fill(0.0);
                wet_right.fill(0.0);
                self.effects.process(wet_left, wet_right);
                for ((m, l), r) in block.iter_mut().zip(&*wet_left).zip(&*wet_right) {
                    *m += 0.5 * (l + r);
                }
            }
            let (m0, m1) = self.master_gain_ramp(block.len());
            apply_ramp(block, m0, m1);
            self.limiter.process_mono(block);
        }
    }

    /// Renders a stereo block into separate `left` and `right` blocks of
    /// equal length (overwriting them).
    pub(crate) fn render_stereo(&mut self, left: &mut [f32], right: &mut [f32]) {
        let _ftz = DenormalGuard::new();
        for (l, r) in left
            .chunks_mut(MAX_BLOCK_FRAMES)
            .zip(right.chunks_mut(MAX_BLOCK_FRAMES))
        {
            l.fill(0.0);
            r.fill(0.0);
            self.settle_master_if_silent();
            let frames = l.len();
            self.render_voices(&mut Bus::Stereo(l, r), frames);
            if self.effects.busy() {
                self.effects.process(l, r);
            }
            let (m0, m1) = self.master_gain_ramp(l.len());
            apply_ramp(l, m0, m1);
            apply_ramp(r, m0, m1);
            self.limiter.process_stereo(l, r);
        }
    }

    /// Renders every occupied slot, in slot order, into `bus`, and frees the
    /// voices that finish. Patched voices with a filter gather in batches
    /// of [`LANES`] channels whose filters run together (see
    /// [`crate::dsp::filter`]); each batch is mixed when it is full, when a
    /// voice of another filter family comes, and at the end.
    fn render_voices(&mut self, bus: &mut Bus<'_>, frames: usize) {
        self.debug_check_bookkeeping();
        self.renders += 1;
        let group_gains: [(f32, f32); GROUPS] =
            std::array::from_fn(|g| self.groups[g].advance(frames));
        let stereo_mix = matches!(bus, Bus::Stereo(..));
        let mut batch = Batch::default();
        for word in 0..self.occupied.len() {
            let mut bits = self.occupied[word];
            while bits != 0 {
                let slot = word * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let Some(patched) = self.voices[slot].patched() else {
                    self.deliver(slot, bus, frames, &group_gains, How::Plain);
                    continue;
                };
                let family = patched.family();
                let lanes = self.voices[slot].patch_lanes(stereo_mix);
                let Some(family) = family else {
                    let played = self.prepare(slot, frames, UNFILTERED_LANE, lanes == 2);
                    let how = How::Patched {
                        lane: UNFILTERED_LANE,
                        played,
                    };
                    self.deliver(slot, bus, frames, &group_gains, how);
                    continue;
                };
                if batch.count > 0 && (batch.family != Some(family) || batch.lanes + lanes > LANES)
                {
                    self.flush(&mut batch, bus, frames, &group_gains);
                }
                let lane = batch.lanes;
                let played = self.prepare(slot, frames, lane, lanes == 2);
                batch.family = Some(family);
                batch.members[batch.count] = (slot, lane, played);
                batch.count += 1;
                batch.lanes += lanes;
            }
        }
        self.flush(&mut batch, bus, frames, &group_gains);
        self.clock_frames += frames as u64;
    }

    /// Runs a patched voice's modulation and sources into `lane`.
    fn prepare(&mut self, slot: usize, frames: usize, lane: usize, stereo_lanes: bool) -> usize {
        let ctx = PatchContext {
            sample_rate: self.sample_rate,
            tables: self.tables,
            channels: &self.channels,
        };
        self.voices[slot].prepare_patched(&ctx, frames, &mut self.patch_scratch, lane, stereo_lanes)
    }

    /// Filters the batch's lanes together, then mixes each of its voices.
    fn flush(
        &mut self,
        batch: &mut Batch,
        bus: &mut Bus<'_>,
        frames: usize,
        group_gains: &[(f32, f32); GROUPS],
    ) {
        let Some(family) = batch.family.filter(|_| batch.count > 0) else {
            return;
        };
        let scratch = &mut *self.patch_scratch;
        let segments = frames.div_ceil(CONTROL_FRAMES);
        // Only the lanes in use are prewarped; lanes nobody uses (silent
        // since the batch began) run at a harmless setting.
        for (g, k) in scratch.g_points[..segments]
            .iter_mut()
            .zip(&mut scratch.k_points[..segments])
        {
            let (used, idle) = g.split_at_mut(batch.lanes);
            crate::dsp::fast::prewarp_lanes(used, self.sample_rate);
            idle.fill(IDLE_G);
            k[batch.lanes..].fill(1.0);
        }
        let mut filters = Filters::new(family);
        for &(slot, lane, _) in &batch.members[..batch.count] {
            let voice = &self.voices[slot];
            let drive = voice
                .patch
                .as_ref()
                .and_then(|p| p.filter())
                .map_or(0.0, |f| f.drive);
            if let Some(pv) = voice.patched() {
                filters.load(lane, pv, drive);
            }
        }
        for lane in batch.lanes..LANES {
            filters.load_idle(lane);
        }
        let points = |s: usize| (&scratch.g_points[s], &scratch.k_points[s]);
        match (&mut filters, batch.lanes) {
            // One or two voice channels' state-variable filters run in
            // their own rows.
            (Filters::Svf(svf, _), 1) => {
                for (s, row) in scratch.lanes[0][..frames]
                    .chunks_mut(CONTROL_FRAMES)
                    .enumerate()
                {
                    let (g, k) = points(s);
                    svf.run_rows([row], g, k);
                }
            }
            (Filters::Svf(svf, _), 2) => {
                let [first, second, ..] = &mut scratch.lanes;
                let pieces = first[..frames]
                    .chunks_mut(CONTROL_FRAMES)
                    .zip(second[..frames].chunks_mut(CONTROL_FRAMES));
                for (s, (a, b)) in pieces.enumerate() {
                    let (g, k) = points(s);
                    svf.run_rows([a, b], g, k);
                }
            }
            // The voices' lanes into frames of lanes, through the filters,
            // and back. A few voices' state-variable filters run in one
            // vector of lanes.
            _ => {
                let width = match filters {
                    Filters::Svf(..) if batch.lanes <= NARROW => NARROW,
                    _ => LANES,
                };
                let frame_major = &mut scratch.frame_major;
                rows_to_frames(&mut scratch.lanes, batch.lanes, width, frame_major, frames);
                for (s, chunk) in frame_major[..frames].chunks_mut(CONTROL_FRAMES).enumerate() {
                    let (g, k) = points(s);
                    filters.run(chunk, g, k, width);
                }
                frames_to_rows(frame_major, frames, batch.lanes, width, &mut scratch.lanes);
            }
        }
        let last = segments.saturating_sub(1);
        for &(slot, lane, _) in &batch.members[..batch.count] {
            if let Some(pv) = self.voices[slot].patched_mut() {
                filters.store(lane, pv);
                pv.g_now = scratch.g_points[last][lane];
                pv.k_now = scratch.k_points[last][lane];
            }
        }
        for k in 0..batch.count {
            let (slot, lane, played) = batch.members[k];
            self.deliver(
                slot,
                bus,
                frames,
                group_gains,
                How::Patched { lane, played },
            );
        }
        *batch = Batch::default();
    }

    /// Mixes one voice's block into `bus` (and its sends into the
    /// effects), then frees it if it finished.
    fn deliver(
        &mut self,
        slot: usize,
        bus: &mut Bus<'_>,
        frames: usize,
        group_gains: &[(f32, f32); GROUPS],
        how: How,
    ) {
        let group = self.voices[slot].group as usize;
        let group_gain = group_gains[group];
        let sending = self.sending[slot / 64] >> (slot % 64) & 1 == 1;
        // Nothing to send, and nothing sent the block before: the note's
        // send state is not even read.
        let quiet = !sending && self.group_sends[group] == [0.0; 3];
        let (from, to) = if quiet {
            ([0.0; 3], [0.0; 3])
        } else {
            let to = self.sends_of(slot);
            let from = self.voices[slot].sends_now;
            (if from[0].is_nan() { to } else { from }, to)
        };
        // A note that sends renders through scratch: its block goes to the
        // mix and, at the send levels, to the effects.
        let sends = to != [0.0; 3] || from != [0.0; 3];
        let mono = matches!(bus, Bus::Mono(_));
        let target = if sends {
            let [left, right, ..] = &mut *self.fx_scratch;
            let (left, right) = (&mut left[..frames], &mut right[..frames]);
            left.fill(0.0);
            right.fill(0.0);
            if mono {
                MixTarget::Mono(left)
            } else {
                MixTarget::Stereo(left, right)
            }
        } else {
            bus.target()
        };
        let done = render_into(
            &mut self.voices[slot],
            how,
            self.sample_rate,
            self.tables,
            &mut self.scratch,
            &mut self.patch_scratch,
            group_gain,
            target,
        );
        if sends {
            let [left, right, ..] = &*self.fx_scratch;
            let (left, right) = (&left[..frames], &right[..frames]);
            let right = if mono { left } else { right };
            bus.add(left, right);
            self.effects.send(left, right, from, to);
        }
        if !quiet {
            self.voices[slot].sends_now = to;
            // A patch's matrix may move its sends any block.
            if to == [0.0; 3] && self.voices[slot].patched().is_none() {
                self.sending[slot / 64] &= !(1 << (slot % 64));
            }
        }
        if done {
            self.finish(slot);
        } else {
            // An envelope whose decay to a sustain of 0 ended with
            // the block is over: for stealing it counts as released.
            self.note_released(slot);
        }
    }

    /// After a silent block there is nothing to smooth: the master gain
    /// jumps to its target, so notes started after a volume change (or
    /// together with one) start at the level that was set. Records whether
    /// this block has voices, for the next block.
    fn settle_master_if_silent(&mut self) {
        if self.previous_block_silent {
            self.master_slew.reset(self.master_volume.load(Relaxed));
            for g in &mut self.groups {
                g.settle_if_silent();
            }
        }
        self.previous_block_silent = self.occupied.iter().all(|&w| w == 0);
    }

    /// The master gain at the start and end of a block of `frames` frames.
    fn master_gain_ramp(&mut self, frames: usize) -> (f32, f32) {
        self.master_slew
            .advance(self.master_volume.load(Relaxed), frames)
    }

    /// The sends of the note in `slot`: its own plus its group's, each at
    /// most 1.
    fn sends_of(&self, slot: usize) -> [f32; 3] {
        let v = &self.voices[slot];
        let g = &self.group_sends[v.group as usize];
        let m = v.patched().map_or([0.0; 3], |p| p.send_mod);
        std::array::from_fn(|k| (v.sends[k] + g[k] + m[k]).clamp(0.0, 1.0))
    }

    fn finish(&mut self, slot: usize) {
        self.free_slot(slot);
    }
}

/// How a voice's block is made: the plain voice's render, or the end of a
/// patched voice's (gain and pan of its filtered lanes).
#[derive(Clone, Copy)]
enum How {
    Plain,
    Patched { lane: usize, played: usize },
}

/// Patched voices whose filters run together.
#[derive(Default)]
struct Batch {
    family: Option<FilterFamily>,
    /// Slot, first lane and frames played of each member.
    members: [(usize, usize, usize); LANES],
    count: usize,
    /// Lanes taken.
    lanes: usize,
}

#[allow(clippy::too_many_arguments)]
fn render_into(
    voice: &mut Voice,
    how: How,
    sample_rate: f32,
    tables: &'static Wavetables,
    scratch: &mut Scratch,
    patch_scratch: &mut PatchScratch,
    group_gain: (f32, f32),
    target: MixTarget<'_>,
) -> bool {
    match how {
        How::Plain => voice.render(sample_rate, tables, scratch, group_gain, target),
        How::Patched { lane, played } => {
            voice.finish_patched(patch_scratch, scratch, lane, played, group_gain, target)
        }
    }
}

/// The prewarped gain a lane nobody uses runs at (about 1.4 kHz at 44.1
/// kHz; any finite value would do, as the lane's input is silence).
const IDLE_G: f32 = 0.1;

/// A batch's filters: one family's [`LANES`] channels, run together.
enum Filters {
    Svf(SvfBatch, SvfMode),
    Ladder(LadderBatch),
}

impl Filters {
    fn new(family: FilterFamily) -> Self {
        match family {
            FilterFamily::Svf(mode) => Filters::Svf(SvfBatch::default(), mode),
            FilterFamily::Ladder => Filters::Ladder(LadderBatch::default()),
        }
    }

    /// Takes in a voice's filter state (one lane from `lane`, two for a
    /// stereo voice) and its coefficients now.
    fn load(&mut self, lane: usize, pv: &PatchVoice, drive: f32) {
        for c in 0..if pv.stereo { 2 } else { 1 } {
            match self {
                Filters::Svf(svf, mode) => svf.load(lane + c, pv.svf[c], *mode, pv.g_now, pv.k_now),
                Filters::Ladder(ladder) => {
                    let drive = ladder_drive_gain(drive);
                    ladder.load(lane + c, pv.ladder[c], drive, pv.g_now, pv.k_now)
                }
            }
        }
    }

    /// A lane nobody uses, at a harmless setting.
    fn load_idle(&mut self, lane: usize) {
        match self {
            Filters::Svf(svf, mode) => svf.load(lane, Default::default(), *mode, IDLE_G, 1.0),
            Filters::Ladder(ladder) => ladder.load(lane, Default::default(), 0.0, IDLE_G, 1.0),
        }
    }

    /// Filters a control segment of frames of lanes, the coefficients
    /// gliding to `g_end` and `k_end`; only the first `width` lanes for
    /// a state-variable batch.
    fn run(&mut self, frames: &mut [Lanes], g_end: &Lanes, k_end: &Lanes, width: usize) {
        match self {
            Filters::Svf(svf, _) => svf.run(frames, g_end, k_end, width),
            Filters::Ladder(ladder) => ladder.run(frames, g_end, k_end),
        }
    }

    /// Gives a voice its filter state back (see [`load`](Self::load)).
    fn store(&self, lane: usize, pv: &mut PatchVoice) {
        for c in 0..if pv.stereo { 2 } else { 1 } {
            match self {
                Filters::Svf(svf, _) => pv.svf[c] = svf.store(lane + c),
                Filters::Ladder(ladder) => pv.ladder[c] = ladder.store(lane + c),
            }
        }
    }
}

/// The block a render adds its voices to.
enum Bus<'a> {
    Mono(&'a mut [f32]),
    Stereo(&'a mut [f32], &'a mut [f32]),
}

impl Bus<'_> {
    /// Adds a rendered block (the left slice alone for a mono bus).
    fn add(&mut self, left: &[f32], right: &[f32]) {
        match self {
            Bus::Mono(m) => m.iter_mut().zip(left).for_each(|(m, x)| *m += x),
            Bus::Stereo(l, r) => {
                l.iter_mut().zip(left).for_each(|(m, x)| *m += x);
                r.iter_mut().zip(right).for_each(|(m, x)| *m += x);
            }
        }
    }

    fn target(&mut self) -> MixTarget<'_> {
        match self {
            Bus::Mono(m) => MixTarget::Mono(m),
            Bus::Stereo(l, r) => MixTarget::Stereo(l, r),
        }
    }
}
