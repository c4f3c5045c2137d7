//! Effects on send buses: a stereo reverb, a chorus and a delay, each fed
//! by the notes' sends ([`Sends`]) and added to the dry mix before the
//! master gain and the limiter. The reverb's and the chorus's buses are
//! mono (the middle of each note); both spread their output across the two
//! sides. The delay's bus is stereo.
//!
//! The effects are part of every engine: their memory is allocated with it
//! (about 1.4 MB at 48 kHz, in proportion to the sample rate: two seconds
//! of stereo delay, half a second of predelay, the reverb's and the
//! chorus's lines, each rounded up to a power of two, and 26 KB of working
//! buffers). They cost nothing until a note sends to them, and
//! stop again once their tails have died away (below −120 dB). Their
//! settings are events ([`Event::SetReverb`](crate::Event::SetReverb) and
//! friends, or [`EventTarget::set_reverb`](crate::EventTarget::set_reverb)),
//! applied at their frame; the changes that would click glide instead
//! (room size, predelay, chorus depth, delay time). Decaying tails never
//! slow a block: denormals are flushed while rendering, and a NaN or
//! infinite input is dropped before it reaches a feedback loop.
//!
//! Each effect runs its block in chunks, every stage across the chunk's
//! frames (a delay line is read and written a run at a time; a feedback
//! loop's chunk is never longer than its shortest delay), so the loops
//! vectorise; on a CPU with AVX2 they are built for it.
//!
//! ```
//! use polyphonica::fx::{ReverbParams, Sends};
//! use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, Waveform};
//!
//! let mut engine = RealtimeEngine::new(48_000.0);
//! engine.set_reverb(ReverbParams { decay_secs: 1.5, ..ReverbParams::default() }).unwrap();
//! let wet = Sends { reverb: 0.4, ..Sends::default() };
//! let note = Note::new(Waveform::Sine, 440.0, AdsrEnvelope::new(0.0, 0.0, 1.0, 0.0)).with_sends(wet);
//! let id = engine.trigger(note).unwrap();
//! let mut block = vec![0.0f32; 4_800];
//! engine.process_buffer(&mut block);
//! engine.stop_all_notes();
//! engine.process_buffer(&mut block); // the dry note is gone, the reverb rings on
//! assert!(block.iter().any(|s| s.abs() > 0.01));
//! ```

mod chorus;
mod chunked;
mod delay;
mod delay_line;
mod params;
mod reverb;

pub use params::{ChorusParams, DelayParams, EffectSettings, ReverbParams, Sends, MAX_DELAY_SECS};

use crate::engine::MAX_BLOCK_FRAMES;
use chorus::Chorus;
use chunked::{run_in_chunks, Io, Scratch};
use delay::Delay;
use delay_line::{CHUNK_FRAMES, RAMP};
use reverb::Reverb;

/// The input of an effect nothing sent to this block.
static SILENCE: [[f32; MAX_BLOCK_FRAMES]; 2] = [[0.0; MAX_BLOCK_FRAMES]; 2];

/// The delay's bus, the one stereo bus (the reverb's, 0, and the chorus's,
/// 1, are mono).
const DELAY: usize = 2;

// A block's sends are one pass over the ramp of frame numbers.
const _: () = assert!(MAX_BLOCK_FRAMES <= CHUNK_FRAMES);

/// Below this peak an effect's output counts as silence (−120 dB).
const SILENT: f32 = 1e-6;

/// The three effects and the buses that feed them.
#[derive(Debug)]
pub(crate) struct Effects {
    reverb: Reverb,
    chorus: Chorus,
    delay: Delay,
    scratch: Box<Scratch>,
    /// Send buses, left and right, per effect (reverb, chorus, delay); the
    /// reverb's and the chorus's are mono and use their left only.
    buses: [[[f32; MAX_BLOCK_FRAMES]; 2]; 3],
    /// Which buses received something this block.
    fed: [bool; 3],
    /// Which effects still have a tail to play.
    ringing: [bool; 3],
    /// Frames each effect's output has been silent since its last input.
    silent_frames: [f32; 3],
    sample_rate: f32,
}

impl Effects {
    /// The effects for `sample_rate`, with every buffer they will use.
    pub(crate) fn new(sample_rate: f32) -> Self {
        Effects {
            reverb: Reverb::new(sample_rate),
            chorus: Chorus::new(sample_rate),
            delay: Delay::new(sample_rate),
            scratch: Scratch::new(),
            buses: [[[0.0; MAX_BLOCK_FRAMES]; 2]; 3],
            fed: [false; 3],
            ringing: [false; 3],
            silent_frames: [0.0; 3],
            sample_rate,
        }
    }

    /// How long effect `fx` may stay silent after its input and still have
    /// something to play (its longest path, plus a block).
    fn latency_frames(&self, fx: usize) -> f32 {
        let secs = match fx {
            0 => self.reverb.params().predelay_secs + 0.1,
            1 => 0.05,
            _ => self.delay.params().time_secs.max(self.delay.gliding_secs()),
        };
        secs * self.sample_rate + MAX_BLOCK_FRAMES as f32
    }

    /// New reverb settings: gliding while it sounds, at once while idle.
    pub(crate) fn set_reverb(&mut self, p: ReverbParams) {
        self.reverb.set(p);
        if !self.is_busy(0) {
            self.reverb.settle();
        }
    }

    /// New chorus settings: gliding while it sounds, at once while idle.
    pub(crate) fn set_chorus(&mut self, p: ChorusParams) {
        self.chorus.set(p);
        if !self.is_busy(1) {
            self.chorus.settle();
        }
    }

    /// New delay settings: gliding while it sounds, at once while idle.
    pub(crate) fn set_delay(&mut self, p: DelayParams) {
        self.delay.set(p);
        if !self.is_busy(2) {
            self.delay.settle();
        }
    }

    fn is_busy(&self, fx: usize) -> bool {
        self.fed[fx] || self.ringing[fx]
    }

    pub(crate) fn reverb(&self) -> ReverbParams {
        self.reverb.params()
    }

    pub(crate) fn chorus(&self) -> ChorusParams {
        self.chorus.params()
    }

    pub(crate) fn delay(&self) -> DelayParams {
        self.delay.params()
    }

    /// Whether any effect has work this block (fed or ringing).
    pub(crate) fn busy(&self) -> bool {
        self.fed.iter().chain(&self.ringing).any(|b| *b)
    }

    /// Adds a voice's block to the send buses: `left`/`right` (the same
    /// slice for a mono mix) times each send level, the level moving in a
    /// line from `from` to `to` over the block. The reverb's and the
    /// chorus's buses are mono and take the middle, `(left + right) / 2`;
    /// the delay's is stereo. Non-finite samples are dropped here, before
    /// any feedback loop sees them.
    pub(crate) fn send(&mut self, left: &[f32], right: &[f32], from: [f32; 3], to: [f32; 3]) {
        #[cfg(target_arch = "x86_64")]
        if crate::dsp::filter::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { send_avx2(self, left, right, from, to) };
            return;
        }
        self.send_body(left, right, from, to);
    }

    /// What [`send`](Self::send) does, inlined into each build: one pass
    /// over the voice's block for all the buses it sends to.
    #[inline(always)]
    fn send_body(&mut self, left: &[f32], right: &[f32], from: [f32; 3], to: [f32; 3]) {
        let frames = left.len().min(right.len()).min(MAX_BLOCK_FRAMES);
        let sends: [bool; 3] = std::array::from_fn(|bus| from[bus] != 0.0 || to[bus] != 0.0);
        for (bus, sends) in sends.into_iter().enumerate() {
            // The block's first send to a bus clears it (no bus is
            // cleared between blocks).
            if sends && !self.fed[bus] {
                self.fed[bus] = true;
                let [bus_left, bus_right] = &mut self.buses[bus];
                bus_left[..frames].fill(0.0);
                if bus == DELAY {
                    bus_right[..frames].fill(0.0);
                }
            }
        }
        let steps: [f32; 3] = std::array::from_fn(|bus| (to[bus] - from[bus]) / frames as f32);
        let levels = Levels { from, steps };
        let [[reverb, _], [chorus, _], [delay_left, delay_right]] = &mut self.buses;
        let buses = (
            &mut reverb[..frames],
            &mut chorus[..frames],
            &mut delay_left[..frames],
            &mut delay_right[..frames],
        );
        let block = (&left[..frames], &right[..frames]);
        match sends {
            [true, true, true] => add_sends::<true, true, true>(block, buses, levels),
            [true, true, false] => add_sends::<true, true, false>(block, buses, levels),
            [true, false, true] => add_sends::<true, false, true>(block, buses, levels),
            [true, false, false] => add_sends::<true, false, false>(block, buses, levels),
            [false, true, true] => add_sends::<false, true, true>(block, buses, levels),
            [false, true, false] => add_sends::<false, true, false>(block, buses, levels),
            [false, false, true] => add_sends::<false, false, true>(block, buses, levels),
            [false, false, false] => {}
        }
    }

    /// Runs the effects that are fed or ringing over `out_left.len()`
    /// frames and adds their output to the mix.
    pub(crate) fn process(&mut self, out_left: &mut [f32], out_right: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if crate::dsp::filter::has_avx2_fma() {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { process_avx2(self, out_left, out_right) };
            return;
        }
        self.process_body(out_left, out_right);
    }

    /// What [`process`](Self::process) does, inlined into each build (the
    /// effects' loops run across frames, so wider vectors pay).
    #[inline(always)]
    fn process_body(&mut self, out_left: &mut [f32], out_right: &mut [f32]) {
        let frames = out_left.len();
        for fx in 0..3 {
            if !(self.fed[fx] || self.ringing[fx]) {
                continue;
            }
            // A bus nothing sent to this block holds an old block: a
            // ringing effect's input is then silence.
            let [bus_left, bus_right] = match self.fed[fx] {
                true => &self.buses[fx],
                false => &SILENCE,
            };
            // The reverb's and the chorus's buses are mono, in their left.
            let bus_right = if fx == DELAY { bus_right } else { bus_left };
            let scratch = &mut *self.scratch;
            let io = Io {
                in_left: &bus_left[..frames],
                in_right: &bus_right[..frames],
                out_left: &mut *out_left,
                out_right: &mut *out_right,
            };
            let peak = match fx {
                0 => run_in_chunks(&mut self.reverb, io, scratch),
                1 => run_in_chunks(&mut self.chorus, io, scratch),
                _ => run_in_chunks(&mut self.delay, io, scratch),
            };
            self.silent_frames[fx] = if self.fed[fx] || peak > SILENT {
                0.0
            } else {
                self.silent_frames[fx] + frames as f32
            };
            self.ringing[fx] = self.silent_frames[fx] <= self.latency_frames(fx);
            self.fed[fx] = false;
        }
    }
}

/// The effects built for AVX2: their loops are the same code, in vectors
/// of eight frames.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn process_avx2(effects: &mut Effects, out_left: &mut [f32], out_right: &mut [f32]) {
    effects.process_body(out_left, out_right);
}

/// The sends built for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn send_avx2(
    effects: &mut Effects,
    left: &[f32],
    right: &[f32],
    from: [f32; 3],
    to: [f32; 3],
) {
    effects.send_body(left, right, from, to);
}

/// Each bus's send level at a block's first frame and its step per frame.
#[derive(Clone, Copy)]
struct Levels {
    from: [f32; 3],
    steps: [f32; 3],
}

/// The buses a voice's block goes to: the reverb's (mono), the chorus's
/// (mono) and the delay's (left, right).
type SendBuses<'a> = (&'a mut [f32], &'a mut [f32], &'a mut [f32], &'a mut [f32]);

/// Adds `left`/`right` at their send levels to the buses chosen by
/// `REVERB`, `CHORUS` and `DELAY`, in one pass (each choice its own build,
/// so the loop carries only the buses it feeds).
#[inline(always)]
fn add_sends<const REVERB: bool, const CHORUS: bool, const DELAY: bool>(
    (left, right): (&[f32], &[f32]),
    (reverb, chorus, delay_left, delay_right): SendBuses<'_>,
    Levels { from, steps }: Levels,
) {
    let frames = left
        .len()
        .min(right.len())
        .min(reverb.len())
        .min(chorus.len())
        .min(delay_left.len())
        .min(delay_right.len())
        .min(CHUNK_FRAMES);
    let (left, right) = (&left[..frames], &right[..frames]);
    let (reverb, chorus) = (&mut reverb[..frames], &mut chorus[..frames]);
    let (delay_left, delay_right) = (&mut delay_left[..frames], &mut delay_right[..frames]);
    let ramp = &RAMP[..frames];
    for j in 0..frames {
        let (x, y) = (finite(left[j]), finite(right[j]));
        let middle = 0.5 * (x + y);
        let level = |bus: usize| from[bus] + steps[bus] * ramp[j];
        if REVERB {
            reverb[j] += middle * level(0);
        }
        if CHORUS {
            chorus[j] += middle * level(1);
        }
        if DELAY {
            let level = level(2);
            delay_left[j] += x * level;
            delay_right[j] += y * level;
        }
    }
}

/// `x`, or 0 for NaN and infinities; huge values are held to ±16.
#[inline(always)]
fn finite(x: f32) -> f32 {
    if x.is_finite() {
        x.clamp(-16.0, 16.0)
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_huge_sends_never_reach_the_feedback_loops() {
        let mut fx = Effects::new(48_000.0);
        fx.set_delay(DelayParams {
            feedback: 5.0,
            ..DelayParams::default()
        });
        assert_eq!(fx.delay().feedback, 0.98);
        let bad = [f32::NAN, f32::INFINITY, -1e30, 1e30, f32::NEG_INFINITY, 0.5];
        let input: Vec<f32> = (0..256).map(|i| bad[i % bad.len()]).collect();
        let (mut left, mut right) = ([0.0f32; 256], [0.0f32; 256]);
        for block in 0..2_000 {
            if block < 10 {
                fx.send(&input, &input, [1.0; 3], [1.0; 3]);
            }
            left.fill(0.0);
            right.fill(0.0);
            fx.process(&mut left, &mut right);
            for s in left.iter().chain(&right) {
                assert!(s.is_finite() && s.abs() < 100.0, "block {block}: {s}");
            }
        }
        // With the feedback back at 0.4, everything dies away within
        // twenty seconds and the effects stop.
        fx.set_delay(DelayParams::default());
        for _ in 0..4_000 {
            fx.process(&mut left, &mut right);
        }
        assert!(!fx.busy());
    }
}
