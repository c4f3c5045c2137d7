//! Flushing denormal numbers to zero while the audio side renders.
//!
//! Denormals (values below about 1e-38) can make floating-point arithmetic
//! many times slower on x86. The engine's own state avoids them (linear
//! envelopes and slews land exactly on their targets), and this guard sets
//! the CPU's flush-to-zero modes for the duration of a render as a second
//! line of defence, restoring the caller's modes afterwards.

/// Sets flush-to-zero (and denormals-are-zero on x86) until dropped.
pub(crate) struct DenormalGuard {
    #[cfg(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri)))]
    saved: u64,
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
impl DenormalGuard {
    /// Enters flush-to-zero mode for the current thread.
    pub(crate) fn new() -> Self {
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr` only stores the SSE control/status register to
        // the given, valid and aligned u32 location; SSE is part of the
        // x86_64 baseline.
        unsafe { core::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack)) };
        // FTZ is bit 15, DAZ bit 6.
        let flushed = csr | (1 << 15) | (1 << 6);
        // SAFETY: `ldmxcsr` loads a value derived from the current register
        // with only the FTZ and DAZ mode bits set; both are valid modes that
        // affect only how this thread rounds denormals.
        unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &flushed, options(nostack)) };
        DenormalGuard { saved: csr as u64 }
    }
}

#[cfg(all(target_arch = "x86_64", not(miri)))]
impl Drop for DenormalGuard {
    fn drop(&mut self) {
        let csr = self.saved as u32;
        // SAFETY: restores the exact register value read in `new`.
        unsafe { core::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack)) };
    }
}

#[cfg(all(target_arch = "aarch64", not(miri)))]
impl DenormalGuard {
    /// Enters flush-to-zero mode for the current thread.
    pub(crate) fn new() -> Self {
        let fpcr: u64;
        // SAFETY: reading FPCR has no side effects.
        unsafe { core::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack)) };
        // FZ is bit 24.
        // SAFETY: sets only the flush-to-zero mode bit of this thread's FPCR.
        unsafe {
            core::arch::asm!("msr fpcr, {}", in(reg) fpcr | (1 << 24), options(nomem, nostack))
        };
        DenormalGuard { saved: fpcr }
    }
}

#[cfg(all(target_arch = "aarch64", not(miri)))]
impl Drop for DenormalGuard {
    fn drop(&mut self) {
        // SAFETY: restores the exact register value read in `new`.
        unsafe { core::arch::asm!("msr fpcr, {}", in(reg) self.saved, options(nomem, nostack)) };
    }
}

#[cfg(any(not(any(target_arch = "x86_64", target_arch = "aarch64")), miri))]
impl DenormalGuard {
    /// No flush-to-zero control on this architecture (or under Miri, which
    /// runs no inline assembly): a no-op.
    pub(crate) fn new() -> Self {
        DenormalGuard {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri)))]
    fn denormals_flush_inside_and_survive_outside() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        {
            let _guard = DenormalGuard::new();
            let d = std::hint::black_box(tiny) * std::hint::black_box(0.5f32);
            assert_eq!(d, 0.0, "denormal result should flush to zero");
        }
        let d = std::hint::black_box(tiny) * std::hint::black_box(0.5f32);
        assert!(d > 0.0, "modes must be restored after the guard");
    }
}
