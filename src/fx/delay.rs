//! `Delay`: echoes at a time, each `feedback` times the one before, in
//! place or alternating between the channels (ping-pong).

use super::chunked::{Chunked, Io, Scratch};
use super::delay_line::{feedback_chunk, DelayLine, CHUNK_FRAMES};
use super::params::{finite_clamp, DelayParams, MAX_DELAY_SECS};

/// The fastest the delay time moves while it glides, in frames per frame.
const MAX_GLIDE: f32 = 0.25;

/// The delay's audio state.
#[derive(Clone, Debug)]
pub(crate) struct Delay {
    sample_rate: f32,
    params: DelayParams,
    lines: [DelayLine; 2],
    /// The delay in frames, now (it glides to the set time).
    frames: f32,
}

impl Delay {
    pub(crate) fn new(sample_rate: f32) -> Self {
        let max = (MAX_DELAY_SECS * sample_rate).ceil() as usize + 4;
        let mut delay = Delay {
            sample_rate,
            params: DelayParams::default(),
            lines: [DelayLine::new(max), DelayLine::new(max)],
            frames: 0.0,
        };
        delay.set(DelayParams::default());
        delay.settle();
        delay
    }

    pub(crate) fn params(&self) -> DelayParams {
        self.params
    }

    /// New settings (clamped; NaN keeps the current value); the time
    /// glides.
    pub(crate) fn set(&mut self, p: DelayParams) {
        let old = self.params;
        self.params = DelayParams {
            time_secs: finite_clamp(p.time_secs, 0.001, MAX_DELAY_SECS, old.time_secs),
            feedback: finite_clamp(p.feedback, 0.0, 0.98, old.feedback),
            ping_pong: p.ping_pong,
        };
    }

    /// Jumps to the set time (nothing sounds to glide).
    pub(crate) fn settle(&mut self) {
        self.frames = self.target_frames();
    }

    /// The delay now (while it glides), in seconds.
    pub(crate) fn gliding_secs(&self) -> f32 {
        self.frames / self.sample_rate
    }

    /// The set time in whole frames (echoes land on frames exactly).
    fn target_frames(&self) -> f32 {
        (self.params.time_secs * self.sample_rate).round().max(1.0)
    }
}

impl Chunked for Delay {
    /// As long as the delay (it stays between now and its target through
    /// a chunk).
    fn chunk_frames(&self) -> usize {
        feedback_chunk(self.frames.min(self.target_frames()), 0.0)
    }

    /// One chunk, no longer than the delay: the echoes read are all
    /// written before it.
    #[inline(always)]
    fn process_chunk(&mut self, io: Io<'_>, scratch: &mut Scratch) -> f32 {
        let n = io.frames().min(CHUNK_FRAMES);
        let Io {
            in_left,
            in_right,
            out_left,
            out_right,
        } = io;
        let target = self.target_frames();
        // A glide: about 50 ms for small changes, at most a quarter frame
        // per frame for large ones (the echoes bend by at most 25 % in
        // pitch); the delay moves in a line through each chunk, so nothing
        // jumps and nothing clicks.
        let start = self.frames;
        if start != target {
            let per_frame = 1.0 / (0.05 * self.sample_rate).max(1.0);
            let share = 1.0 - (1.0 - per_frame).powi(n as i32);
            let reach = MAX_GLIDE * n as f32;
            let end = start + ((target - start) * share).clamp(-reach, reach);
            self.frames = if (target - end).abs() < 1e-2 {
                target
            } else {
                end
            };
        }
        let slope = (self.frames - start) / n as f32;
        let (feedback, ping_pong) = (self.params.feedback, self.params.ping_pong);
        let (in_left, in_right) = (&in_left[..n], &in_right[..n]);
        let outs = (&mut out_left[..n], &mut out_right[..n]);
        // Settled on whole frames (nearly always), the echoes are read in
        // place and what goes back in is written straight into the rings.
        let [line_left, line_right] = &mut self.lines;
        if let (Some(whole_left), Some(whole_right)) = (
            line_left.whole_delay(start, slope),
            line_right.whole_delay(start, slope),
        ) {
            let slots = (
                line_left.read_and_slot(whole_left, n, n),
                line_right.read_and_slot(whole_right, n, n),
            );
            if let (Some((left, into_left)), Some((right, into_right))) = slots {
                let peak = echo(
                    (in_left, in_right),
                    (left, right),
                    (into_left, into_right),
                    outs,
                    feedback,
                    ping_pong,
                );
                line_left.advance(n);
                line_right.advance(n);
                return peak;
            }
        }
        let [buffer_left, buffer_right] = &mut scratch.output;
        let [written_left, written_right] = &mut scratch.input;
        let read = |line: &DelayLine, buffer: &mut [f32]| {
            line.read_sweep(0, start, slope, n, buffer);
        };
        let left: &[f32] = match line_left.whole_delay(start, slope) {
            Some(whole) => line_left.run(whole, n),
            None => {
                read(line_left, buffer_left);
                &buffer_left[..n]
            }
        };
        let right: &[f32] = match line_right.whole_delay(start, slope) {
            Some(whole) => line_right.run(whole, n),
            None => {
                read(line_right, buffer_right);
                &buffer_right[..n]
            }
        };
        let (written_left, written_right) = (&mut written_left[..n], &mut written_right[..n]);
        let peak = echo(
            (in_left, in_right),
            (left, right),
            (&mut *written_left, &mut *written_right),
            outs,
            feedback,
            ping_pong,
        );
        line_left.write(written_left);
        line_right.write(written_right);
        peak
    }

    fn clear(&mut self) {
        self.lines.iter_mut().for_each(DelayLine::clear);
    }
}

/// One chunk's echoes (`left`, `right`, as read) added to the outputs, and
/// what goes back into the lines (`written`): the input plus `feedback`
/// times each echo, or, ping-pong, everything entering on the left and
/// each echo crossing over. One pass; returns the echoes' peak.
#[inline(always)]
fn echo(
    (in_left, in_right): (&[f32], &[f32]),
    (left, right): (&[f32], &[f32]),
    (written_left, written_right): (&mut [f32], &mut [f32]),
    (out_left, out_right): (&mut [f32], &mut [f32]),
    feedback: f32,
    ping_pong: bool,
) -> f32 {
    let frames = [in_left.len(), in_right.len(), left.len(), right.len()]
        .into_iter()
        .chain([written_left.len(), written_right.len()])
        .chain([out_left.len(), out_right.len()])
        .fold(CHUNK_FRAMES, usize::min);
    let (in_left, in_right) = (&in_left[..frames], &in_right[..frames]);
    let (left, right) = (&left[..frames], &right[..frames]);
    let (written_left, written_right) = (&mut written_left[..frames], &mut written_right[..frames]);
    let (out_left, out_right) = (&mut out_left[..frames], &mut out_right[..frames]);
    let peak_bits = if ping_pong {
        echo_frames::<true>(
            (in_left, in_right),
            (left, right),
            (written_left, written_right),
            (out_left, out_right),
            feedback,
        )
    } else {
        echo_frames::<false>(
            (in_left, in_right),
            (left, right),
            (written_left, written_right),
            (out_left, out_right),
            feedback,
        )
    };
    peak_of_bits(peak_bits)
}

/// What [`echo`] does frame by frame, over slices of one length; returns
/// the echoes' largest [`magnitude_bits`].
#[inline(always)]
fn echo_frames<const PING_PONG: bool>(
    (in_left, in_right): (&[f32], &[f32]),
    (left, right): (&[f32], &[f32]),
    (written_left, written_right): (&mut [f32], &mut [f32]),
    (out_left, out_right): (&mut [f32], &mut [f32]),
    feedback: f32,
) -> u32 {
    let mut largest = 0u32;
    for j in 0..written_left.len() {
        let (l, r) = (left[j], right[j]);
        let (x, y) = (in_left[j], in_right[j]);
        if PING_PONG {
            written_left[j] = 0.5 * (x + y) + feedback * r;
            written_right[j] = feedback * l;
        } else {
            written_left[j] = x + feedback * l;
            written_right[j] = y + feedback * r;
        }
        out_left[j] += l;
        out_right[j] += r;
        largest = largest.max(magnitude_bits(l)).max(magnitude_bits(r));
    }
    largest
}

/// `x`'s bits with the sign cleared: they order like its magnitude, and
/// every NaN and infinity lies above the largest finite value, so a peak is
/// one integer maximum per sample (which vectorises).
#[inline(always)]
fn magnitude_bits(x: f32) -> u32 {
    x.to_bits() & 0x7fff_ffff
}

/// The peak whose [`magnitude_bits`] are `bits`: infinity for NaN too.
#[inline(always)]
fn peak_of_bits(bits: u32) -> f32 {
    if bits >= f32::INFINITY.to_bits() {
        f32::INFINITY
    } else {
        f32::from_bits(bits)
    }
}
