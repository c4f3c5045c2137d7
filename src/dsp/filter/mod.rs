//! Filters that run eight voices at once.
//!
//! A voice's filter is a serial recursion: each output frame needs the one
//! before it, so a single voice cannot use the CPU's vector lanes across
//! frames. Eight voices (or the two channels of four stereo voices) can:
//! each lane of a batch is one voice's channel, and one pass over the block
//! advances all eight recursions together (the way Surge's quad filters
//! work). Lanes are plain `[f32; 8]` arrays that the compiler maps onto SSE
//! or, on CPUs that have it, AVX2 and FMA registers (decided once, at run
//! time).
//!
//! A batch of at most [`NARROW`] lanes (a sparse song's few voices) runs
//! only those, in one vector, with an update whose latency one vector can
//! hide (see `svf.rs`).
//!
//! Coefficients come at a control rate ([`CONTROL_FRAMES`]): the caller
//! gives each lane's cutoff and resonance at the start and end of a segment
//! and the kernel moves the coefficients linearly between them frame by
//! frame, so a modulated cutoff never steps.

mod ladder;
mod svf;

pub(crate) use ladder::{
    drive_gain as ladder_drive_gain, feedback as ladder_feedback, LadderBatch, LadderState,
};
pub(crate) use svf::{damping as svf_damping, SvfBatch, SvfMode, SvfState, NARROW};

/// Lanes (voice channels) a filter batch runs at once.
pub(crate) const LANES: usize = 16;

/// Frames between two coefficient updates (and two values of a patch's
/// modulation): 1.3 ms at 48 kHz, as FluidSynth's control rate. (At 32
/// the SoundFont renders took 7-13 % longer; going to 64 moved the 585
/// figures of `tests/soundfont_sound.rs`'s comparisons with FluidSynth by
/// at most 0.4 dB, four of them by more than 0.05 dB.)
pub(crate) const CONTROL_FRAMES: usize = 64;

/// One value per lane.
pub(crate) type Lanes = [f32; LANES];

/// The lowest cutoff a filter takes, in Hz.
pub(crate) const MIN_CUTOFF_HZ: f32 = 10.0;

/// The prewarped integrator gain `tan(π·f/fs)` for a cutoff of `cutoff_hz`,
/// clamped to 10 Hz … 0.49 × the sample rate (NaN counts as the lowest).
#[inline]
pub(crate) fn prewarp(cutoff_hz: f32, sample_rate: f32) -> f32 {
    let hz = if cutoff_hz.is_nan() {
        MIN_CUTOFF_HZ
    } else {
        // (At a rate below 20 Hz the range is empty: the lowest it is.)
        cutoff_hz.clamp(MIN_CUTOFF_HZ, (0.49 * sample_rate).max(MIN_CUTOFF_HZ))
    };
    crate::dsp::fast::tan(std::f32::consts::PI * hz / sample_rate)
}

/// `a·b + c`, fused into one instruction in the AVX2+FMA build of a kernel
/// and two in the portable one (where `f32::mul_add` would be a library
/// call).
pub(crate) trait MulAdd {
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
}

/// Multiply, then add.
pub(crate) struct Separate;

impl MulAdd for Separate {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
}

/// One fused multiply-add (only where the CPU has FMA).
#[cfg(target_arch = "x86_64")]
pub(crate) struct Fused;

#[cfg(target_arch = "x86_64")]
impl MulAdd for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
}

/// Whether this CPU runs the AVX2+FMA build of the kernels.
pub(crate) fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::OnceLock;
        static DETECTED: OnceLock<bool> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(test)]
mod tests;
