//! `Delay`: echoes at a time, each `feedback` times the one before, in
//! place or alternating between the channels (ping-pong).

use super::chunked::{add, Chunked, Io, Scratch};
use super::delay_line::{feedback_chunk, peak, DelayLine, CHUNK_FRAMES};
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

/// One chunk's echoes (`echoes`, as read) added to the outputs, and what
/// goes back into the lines (`written`): the input plus `feedback` times
/// each echo, or, ping-pong, everything entering on the left and each
/// echo crossing over. Returns the echoes' peak.
#[inline(always)]
fn echo(
    (in_left, in_right): (&[f32], &[f32]),
    (left, right): (&[f32], &[f32]),
    (written_left, written_right): (&mut [f32], &mut [f32]),
    (out_left, out_right): (&mut [f32], &mut [f32]),
    feedback: f32,
    ping_pong: bool,
) -> f32 {
    if ping_pong {
        feed_mid(written_left, in_left, in_right, right, feedback);
        scale(written_right, left, feedback);
    } else {
        feed(written_left, in_left, left, feedback);
        feed(written_right, in_right, right, feedback);
    }
    add(out_left, left);
    add(out_right, right);
    peak(left).max(peak(right))
}

/// `written = input + feedback · echo`.
#[inline(always)]
fn feed(written: &mut [f32], input: &[f32], echo: &[f32], feedback: f32) {
    for ((w, x), e) in written.iter_mut().zip(input).zip(echo) {
        *w = x + feedback * e;
    }
}

/// `written = (left + right) / 2 + feedback · echo`.
#[inline(always)]
fn feed_mid(written: &mut [f32], left: &[f32], right: &[f32], echo: &[f32], feedback: f32) {
    for (((w, l), r), e) in written.iter_mut().zip(left).zip(right).zip(echo) {
        *w = 0.5 * (l + r) + feedback * e;
    }
}

/// `written = feedback · echo`.
#[inline(always)]
fn scale(written: &mut [f32], echo: &[f32], feedback: f32) {
    for (w, e) in written.iter_mut().zip(echo) {
        *w = feedback * e;
    }
}
