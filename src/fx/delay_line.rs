//! `DelayLine`: a ring of past samples, written and read a run of frames at
//! a time, so the effects' loops run across frames (and vectorise) instead
//! of one frame at a time.
//!
//! An effect works through its block in chunks of at most [`CHUNK_FRAMES`].
//! In a feedback loop a chunk may not be longer than the loop's shortest
//! delay: every sample the chunk reads was then written before it started
//! ([`feedback_chunk`]).

/// The longest run of frames read or written at once.
pub(crate) const CHUNK_FRAMES: usize = 256;

/// Frames a vector loop handles at once. An interpolated run is read and
/// written in whole groups of `LANES` frames, up to `LANES - 1` frames past
/// its end where there is room (the next run, or nothing, takes those
/// frames), so no run ends in a frame-by-frame remainder.
pub(crate) const LANES: usize = 8;

/// Samples past the ring's end that repeat its start, so a run of up to
/// `CHUNK_FRAMES + 1` samples, rounded up to whole groups of [`LANES`],
/// starting anywhere is one contiguous slice.
const GUARD: usize = CHUNK_FRAMES + 2 + LANES;

/// 0, 1, 2, … as floats: frame numbers within a run (rounded up to whole
/// groups of [`LANES`]).
pub(crate) static RAMP: [f32; CHUNK_FRAMES + LANES] = {
    let mut ramp = [0.0f32; CHUNK_FRAMES + LANES];
    let mut i = 0;
    while i < CHUNK_FRAMES + LANES {
        ramp[i] = i as f32;
        i += 1;
    }
    ramp
};

/// A delay line: a power-of-two ring holding the last samples written,
/// read at whole or fractional (linearly interpolated) delays. Allocated
/// once; writing and reading never allocate.
#[derive(Clone, Debug)]
pub(crate) struct DelayLine {
    /// The ring, then `GUARD` copies of its first samples.
    buffer: Box<[f32]>,
    mask: usize,
    /// Where the next sample goes.
    write: usize,
}

impl DelayLine {
    /// A line that can delay by up to `max_frames` frames, read in runs of
    /// up to [`CHUNK_FRAMES`].
    pub(crate) fn new(max_frames: usize) -> Self {
        let len = (max_frames + CHUNK_FRAMES + 4).next_power_of_two();
        DelayLine {
            buffer: vec![0.0; len + GUARD].into_boxed_slice(),
            mask: len - 1,
            write: 0,
        }
    }

    /// The longest delay a read may ask for, in frames, after a write of up
    /// to `CHUNK_FRAMES`.
    pub(crate) fn max_delay(&self) -> f32 {
        (self.mask + 1 - CHUNK_FRAMES - 2) as f32
    }

    /// Appends `xs` (at most the ring's length).
    #[inline(always)]
    pub(crate) fn write(&mut self, xs: &[f32]) {
        let len = self.mask + 1;
        let mut rest = xs;
        while !rest.is_empty() {
            let w = self.write;
            let take = rest.len().min(len - w);
            self.buffer[w..w + take].copy_from_slice(&rest[..take]);
            if w < GUARD {
                let mirrored = (GUARD - w).min(take);
                self.buffer[len + w..len + w + mirrored].copy_from_slice(&rest[..mirrored]);
            }
            self.write = (w + take) & self.mask;
            rest = &rest[take..];
        }
    }

    /// Where the run `run(back, read_frames)` starts in the buffer, when
    /// the next `frames` writes can go straight into the ring instead
    /// ([`read_and_slot`](Self::read_and_slot)): their slot is contiguous,
    /// clear of the ring's first `GUARD` samples (which the guard
    /// mirrors), and apart from the run.
    #[inline(always)]
    fn slot_apart(&self, back: usize, read_frames: usize, frames: usize) -> Option<usize> {
        let w = self.write;
        let start = w.wrapping_sub(back) & self.mask;
        let end = start + read_frames;
        let contiguous = w >= GUARD && w + frames <= self.mask + 1;
        let apart = end <= w || start >= w + frames || read_frames == 0;
        (contiguous && apart && frames <= CHUNK_FRAMES).then_some(start)
    }

    /// Whether [`read_and_slot`](Self::read_and_slot) can hand out the
    /// slot for `frames` writes beside the run `run(back, read_frames)`.
    #[inline(always)]
    pub(crate) fn has_slot(&self, back: usize, read_frames: usize, frames: usize) -> bool {
        self.slot_apart(back, read_frames, frames).is_some()
    }

    /// The run `run(back, read_frames)` and, beside it, the ring's slot for
    /// the next `frames` samples, to fill in place of a
    /// [`write`](Self::write) (then [`advance`](Self::advance) by
    /// `frames`), which saves the copy. `None` where
    /// [`has_slot`](Self::has_slot) says no.
    #[inline(always)]
    pub(crate) fn read_and_slot(
        &mut self,
        back: usize,
        read_frames: usize,
        frames: usize,
    ) -> Option<(&[f32], &mut [f32])> {
        let start = self.slot_apart(back, read_frames, frames)?;
        let w = self.write;
        let (before, from_slot) = self.buffer.split_at_mut(w);
        let (slot, after) = from_slot.split_at_mut(frames);
        let run: &[f32] = if read_frames == 0 {
            &[]
        } else if start + read_frames <= w {
            &before[start..start + read_frames]
        } else {
            let at = start - w - frames;
            &after[at..at + read_frames]
        };
        Some((run, slot))
    }

    /// Moves the write position past `frames` samples filled in place
    /// through [`read_and_slot`](Self::read_and_slot).
    #[inline(always)]
    pub(crate) fn advance(&mut self, frames: usize) {
        self.write = (self.write + frames) & self.mask;
    }

    /// `frames` samples in order, the first written `back` writes ago
    /// (1 = the last one). `frames` is at most `CHUNK_FRAMES + 1`.
    #[inline(always)]
    pub(crate) fn run(&self, back: usize, frames: usize) -> &[f32] {
        let start = self.write.wrapping_sub(back) & self.mask;
        &self.buffer[start..start + frames]
    }

    /// Fills `out` with the line read at a delay moving in a straight line:
    /// frame `j` of the run is the signal `delay_frames + j·slope` frames
    /// before that frame's own write position, which is `origin_back`
    /// writes before the current one plus `j` (0 when the run's frames are
    /// written after it is read, in a feedback loop; `out.len() - 1` when
    /// they were just written, in a feed-forward path).
    ///
    /// The delay is clamped to the line's length; between samples it is
    /// interpolated linearly. The caller keeps the reads behind the writes
    /// ([`feedback_chunk`]).
    ///
    /// Fills `out[..frames]`; where `out` is longer it may also write up to
    /// [`LANES`]` - 1` frames past them (see [`padded`]).
    #[inline(always)]
    pub(crate) fn read_sweep(
        &self,
        origin_back: usize,
        delay_frames: f32,
        slope: f32,
        frames: usize,
        out: &mut [f32],
    ) {
        let frames = frames.min(out.len());
        if let Some(whole) = self.whole_delay(delay_frames, slope) {
            out[..frames].copy_from_slice(self.run(origin_back + whole, frames));
        } else {
            for run in self.sweep(origin_back, delay_frames, slope, frames) {
                let (older, newer) = self.pair(&run);
                let out = &mut out[run.at..];
                // Whole groups where `out` has room for them.
                let frames = if out.len() >= older.len() {
                    older.len()
                } else {
                    run.frames
                };
                interpolate(&mut out[..frames], older, newer, run.base, slope);
            }
        }
    }

    /// The delay in whole frames when `delay_frames` is one and `slope` is
    /// 0: [`read_sweep`](Self::read_sweep) would then read the run
    /// `run(origin_back + whole, frames)` in place.
    #[inline(always)]
    pub(crate) fn whole_delay(&self, delay_frames: f32, slope: f32) -> Option<usize> {
        let delay_frames = delay_frames.clamp(1.0, self.max_delay());
        let whole = delay_frames as usize;
        (slope == 0.0 && delay_frames == whole as f32).then_some(whole)
    }

    /// What [`read_sweep`](Self::read_sweep) reads, for `frames` frames (at
    /// most `CHUNK_FRAMES`), as runs between which the interpolated pair of
    /// samples moves by a whole sample: see [`Run`] and
    /// [`pair`](Self::pair). (An iterator, not a callback: a closure would
    /// not be inlined into the AVX2 build of the effects.)
    #[inline(always)]
    pub(crate) fn sweep(
        &self,
        origin_back: usize,
        delay_frames: f32,
        slope: f32,
        frames: usize,
    ) -> Sweep {
        let delay_frames = delay_frames.clamp(1.0, self.max_delay());
        let whole = delay_frames as usize;
        Sweep {
            frames: frames.min(CHUNK_FRAMES),
            next: 0,
            origin: self.write.wrapping_sub(origin_back).wrapping_sub(whole),
            mask: self.mask,
            fraction: delay_frames - whole as f32,
            slope,
            inverse_slope: if slope != 0.0 { 1.0 / slope } else { 0.0 },
        }
    }

    /// The samples a [`Run`] interpolates between: frame `run.at + t`, for
    /// `t < run.frames`, lies between `older[t]` and `newer[t]`, at
    /// `run.base - t·slope` of the way (see [`interpolate`]). Both go on to
    /// the run's length rounded up to whole groups of [`LANES`] (what they
    /// hold past `run.frames` is some other part of the line).
    #[inline(always)]
    pub(crate) fn pair(&self, run: &Run) -> (&[f32], &[f32]) {
        let groups = padded(run.frames);
        (
            &self.buffer[run.start..run.start + groups],
            &self.buffer[run.start + 1..run.start + groups + 1],
        )
    }

    /// Silences the line.
    pub(crate) fn clear(&mut self) {
        self.buffer.fill(0.0);
    }
}

/// A run of frames read from a [`DelayLine`] between the same two
/// neighbouring runs of samples ([`DelayLine::pair`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Run {
    /// The run's first frame within the sweep.
    pub(crate) at: usize,
    /// How many frames it covers.
    pub(crate) frames: usize,
    /// Where its older samples start in the line's buffer.
    start: usize,
    /// How far between the two samples its first frame is.
    pub(crate) base: f32,
}

/// The runs of one [`DelayLine::sweep`], in order.
#[derive(Clone, Debug)]
pub(crate) struct Sweep {
    frames: usize,
    next: usize,
    origin: usize,
    mask: usize,
    fraction: f32,
    slope: f32,
    inverse_slope: f32,
}

impl Iterator for Sweep {
    type Item = Run;

    #[inline(always)]
    fn next(&mut self) -> Option<Run> {
        let j = self.next;
        if j >= self.frames {
            return None;
        }
        let (fraction, slope) = (self.fraction, self.slope);
        // Frame j sits at (origin + j) - e(j), e(j) = fraction + j·slope.
        // With k = floor(-e(j)) the frame interpolates between the samples
        // at origin + j + k and the one after it; k changes only where the
        // fraction wraps, so between those frames both samples are
        // contiguous runs.
        let k = (-(fraction + j as f32 * slope)).floor();
        // The first frame past this run: where -e(j) leaves [k, k + 1).
        let end = if slope > 0.0 {
            ((-fraction - k) * self.inverse_slope).floor() + 1.0
        } else if slope < 0.0 {
            (-(k + 1.0 + fraction) * self.inverse_slope).ceil()
        } else {
            self.frames as f32
        };
        let end = (end.max(0.0) as usize).clamp(j + 1, self.frames);
        self.next = end;
        Some(Run {
            at: j,
            frames: end - j,
            start: self
                .origin
                .wrapping_add(j)
                .wrapping_add(k as isize as usize)
                & self.mask,
            base: -(fraction + j as f32 * slope) - k,
        })
    }
}

/// `frames` rounded up to whole groups of [`LANES`].
#[inline(always)]
pub(crate) fn padded(frames: usize) -> usize {
    frames.next_multiple_of(LANES)
}

/// `out[t]` between `older[t]` and `newer[t]`, `base - t·slope` of the way
/// (clamped to the two), for `t < out.len()` (at most `CHUNK_FRAMES +
/// LANES`). Whole groups of [`LANES`] frames at once, then any left frame
/// by frame. The frame numbers come from a table: a float ramp vectorises
/// where an integer-to-float conversion would not. Its own function, so the
/// compiler knows the slices do not overlap.
#[inline(always)]
pub(crate) fn interpolate(out: &mut [f32], older: &[f32], newer: &[f32], base: f32, slope: f32) {
    let frames = out.len().min(older.len()).min(newer.len());
    let (out, older, newer) = (&mut out[..frames], &older[..frames], &newer[..frames]);
    let mut outs = out.chunks_exact_mut(LANES);
    let groups = (&mut outs)
        .zip(older.chunks_exact(LANES))
        .zip(newer.chunks_exact(LANES))
        .zip(RAMP.chunks_exact(LANES));
    for (((o, a), b), t) in groups {
        // Fixed-size groups: the compiler then emits one vector per group
        // and no frame-by-frame tail.
        let (Ok(o), Ok(a), Ok(b), Ok(t)) = (
            <&mut [f32; LANES]>::try_from(o),
            <&[f32; LANES]>::try_from(a),
            <&[f32; LANES]>::try_from(b),
            <&[f32; LANES]>::try_from(t),
        ) else {
            continue;
        };
        // Within a run the fraction stays in 0..=1 but for rounding (a
        // step of a few ulps past a sample); unclamped, the group is plain
        // arithmetic, which the compiler turns into vectors.
        // Every load before any store, so the group is one vector.
        let (a, b, t) = (*a, *b, *t);
        let mut y = [0.0f32; LANES];
        for i in 0..LANES {
            let f = base - t[i] * slope;
            y[i] = a[i] + f * (b[i] - a[i]);
        }
        *o = y;
    }
    let done = frames - outs.into_remainder().len();
    for t in done..frames {
        let f = (base - RAMP[t] * slope).clamp(0.0, 1.0);
        out[t] = older[t] + f * (newer[t] - older[t]);
    }
}

/// The longest chunk a feedback loop may run at once when its shortest
/// delay is `shortest_delay_frames` and the delay may shrink by up to
/// `max_slope` frames per frame during the chunk: every frame then reads
/// samples written before the chunk began. At least 1 (a delay of at least
/// one frame is always behind the write).
pub(crate) fn feedback_chunk(shortest_delay_frames: f32, max_slope: f32) -> usize {
    // Frame j reads at least j + 1 frames back when
    // delay - j·slope >= j + 1 for every j in the chunk.
    let frames = (shortest_delay_frames - 1.0) / (1.0 + max_slope.max(0.0)) + 1.0;
    if frames.is_finite() {
        (frames.floor().max(1.0) as usize).min(CHUNK_FRAMES)
    } else {
        1
    }
}

/// The largest magnitude in `xs`, or infinity if any sample is NaN or
/// infinite. Eight lanes, so it vectorises.
#[inline(always)]
pub(crate) fn peak(xs: &[f32]) -> f32 {
    let mut largest = [0.0f32; 8];
    // x·0 is 0 for finite x and NaN otherwise, and NaN sticks in a sum.
    let mut finite = [0.0f32; 8];
    let mut lanes = xs.chunks_exact(8);
    for chunk in &mut lanes {
        for i in 0..8 {
            let a = chunk[i].abs();
            largest[i] = if a > largest[i] { a } else { largest[i] };
            finite[i] += chunk[i] * 0.0;
        }
    }
    for &x in lanes.remainder() {
        largest[0] = largest[0].max(x.abs());
        finite[0] += x * 0.0;
    }
    if finite.iter().sum::<f32>() == 0.0 {
        largest.iter().fold(0.0f32, |a, b| a.max(*b))
    } else {
        f32::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slow reference: one frame at a time, the sample `delay` frames
    /// before write position `at`, interpolated linearly.
    fn reference(history: &[f32], at: usize, delay: f32) -> f32 {
        let position = at as f32 - delay;
        let i = position.floor();
        let f = position - i;
        let a = history[i as usize];
        a + f * (history[i as usize + 1] - a)
    }

    #[test]
    fn whole_runs_read_back_exactly_across_the_ring_end() {
        let mut line = DelayLine::new(100);
        let len = line.mask + 1;
        let history: Vec<f32> = (0..3 * len).map(|i| i as f32).collect();
        for chunk in history.chunks(37) {
            line.write(chunk);
        }
        let written = history.len();
        for back in 1..len - CHUNK_FRAMES {
            let run = line.run(back, CHUNK_FRAMES.min(back));
            for (j, x) in run.iter().enumerate() {
                assert_eq!(*x, history[written - back + j], "back {back}");
            }
        }
    }

    #[test]
    fn writing_in_place_matches_writing_by_copy() {
        let mut copied = DelayLine::new(300);
        let mut in_place = DelayLine::new(300);
        let history: Vec<f32> = (0..20_000).map(|i| ((i * 7919) % 1000) as f32).collect();
        let mut slots = 0;
        for (i, chunk) in history.chunks(CHUNK_FRAMES - 3).enumerate() {
            let back = 280 + i % 7;
            let want = copied.run(back, chunk.len() + 1).to_vec();
            copied.write(chunk);
            if in_place.has_slot(back, chunk.len() + 1, chunk.len()) {
                let (run, slot) = in_place
                    .read_and_slot(back, chunk.len() + 1, chunk.len())
                    .unwrap();
                assert_eq!(run, &want[..]);
                slot.copy_from_slice(chunk);
                in_place.advance(chunk.len());
                slots += 1;
            } else {
                assert!(in_place
                    .read_and_slot(back, chunk.len() + 1, chunk.len())
                    .is_none());
                assert_eq!(in_place.run(back, chunk.len() + 1), &want[..]);
                in_place.write(chunk);
            }
        }
        assert!(slots > 20, "{slots} chunks written in place");
        for back in 1..700 {
            assert_eq!(in_place.run(back, 1), copied.run(back, 1), "back {back}");
        }
    }

    #[test]
    fn sweeps_match_a_frame_by_frame_reading() {
        let mut line = DelayLine::new(400);
        let history: Vec<f32> = (0..5_000).map(|i| ((i * 7919) % 1000) as f32).collect();
        for (start_delay, slope) in [
            (120.0f32, 0.0f32),
            (120.25, 0.0),
            (100.3, 0.013),
            (100.3, -0.013),
            (200.9, 0.25),
            (200.1, -0.25),
            (90.5, 0.999),
        ] {
            line.clear();
            line.write = 0;
            let until = 4_001;
            for chunk in history[..until].chunks(CHUNK_FRAMES) {
                line.write(chunk);
            }
            let mut out = [0.0f32; CHUNK_FRAMES + LANES];
            // Feed-forward: the run's frames were just written.
            line.read_sweep(CHUNK_FRAMES - 1, start_delay, slope, CHUNK_FRAMES, &mut out);
            for (j, y) in out[..CHUNK_FRAMES].iter().enumerate() {
                let at = until - CHUNK_FRAMES + 1 + j;
                let want = reference(&history, at, start_delay + j as f32 * slope);
                assert!(
                    (y - want).abs() < 1e-2 * want.abs().max(1.0),
                    "delay {start_delay}, slope {slope}, frame {j}: {y} against {want}"
                );
            }
        }
    }

    #[test]
    fn feedback_chunks_never_read_ahead_of_the_writes() {
        for (delay, slope) in [
            (1.0f32, 0.0f32),
            (2.0, 0.0),
            (30.0, 0.25),
            (64.5, 0.0),
            (1e9, 0.0),
        ] {
            let n = feedback_chunk(delay, slope);
            assert!((1..=CHUNK_FRAMES).contains(&n));
            for j in 0..n {
                assert!(
                    delay - j as f32 * slope >= j as f32 + 1.0,
                    "{delay} {slope} {n}"
                );
            }
        }
        assert_eq!(feedback_chunk(f32::NAN, 0.0), 1);
    }

    #[test]
    fn peak_finds_the_largest_and_flags_what_is_not_finite() {
        let mut xs = vec![0.25f32; 21];
        xs[13] = -0.75;
        assert_eq!(peak(&xs), 0.75);
        xs[20] = f32::NAN;
        assert_eq!(peak(&xs), f32::INFINITY);
        xs[20] = 0.0;
        xs[3] = f32::NEG_INFINITY;
        assert_eq!(peak(&xs), f32::INFINITY);
    }
}
