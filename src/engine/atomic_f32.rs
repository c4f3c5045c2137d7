//! `AtomicF32`: a lock-free `f32` cell for parameters shared across threads.

use std::sync::atomic::{AtomicU32, Ordering};

/// An `f32` that can be read and written from several threads without a
/// lock, stored as its bit pattern in an [`AtomicU32`].
///
/// The engine keeps master volume and every voice's frequency, amplitude, pan
/// and pulse width in these, so the setters take `&self`.
///
/// ```
/// use polyphonica::AtomicF32;
/// use std::sync::atomic::Ordering;
///
/// let volume = AtomicF32::new(0.5);
/// volume.store(0.7, Ordering::Relaxed);
/// assert_eq!(volume.load(Ordering::Relaxed), 0.7);
/// ```
#[derive(Debug, Default)]
pub struct AtomicF32(AtomicU32);

impl AtomicF32 {
    /// A cell holding `value`.
    pub const fn new(value: f32) -> Self {
        AtomicF32(AtomicU32::new(value.to_bits()))
    }

    /// Reads the value.
    pub fn load(&self, order: Ordering) -> f32 {
        f32::from_bits(self.0.load(order))
    }

    /// Writes the value.
    pub fn store(&self, value: f32, order: Ordering) {
        self.0.store(value.to_bits(), order);
    }

    /// Writes `value` and returns the previous value.
    ///
    /// ```
    /// use polyphonica::AtomicF32;
    /// use std::sync::atomic::Ordering;
    /// let a = AtomicF32::new(1.0);
    /// assert_eq!(a.swap(2.0, Ordering::Relaxed), 1.0);
    /// ```
    pub fn swap(&self, value: f32, order: Ordering) -> f32 {
        f32::from_bits(self.0.swap(value.to_bits(), order))
    }
}

impl Clone for AtomicF32 {
    fn clone(&self) -> Self {
        AtomicF32::new(self.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn round_trips_every_kind_of_value() {
        let a = AtomicF32::new(0.0);
        for v in [1.5, -0.0, f32::MIN_POSITIVE, f32::MAX, f32::INFINITY, -3.25] {
            a.store(v, Ordering::SeqCst);
            assert_eq!(a.load(Ordering::SeqCst).to_bits(), v.to_bits());
        }
        a.store(f32::NAN, Ordering::SeqCst);
        assert!(a.load(Ordering::SeqCst).is_nan());
    }

    #[test]
    fn shared_between_threads_without_tearing() {
        let a = Arc::new(AtomicF32::new(1.0));
        let writer = {
            let a = a.clone();
            std::thread::spawn(move || {
                for i in 0..10_000 {
                    a.store(if i % 2 == 0 { 1.0 } else { -2.0 }, Ordering::Relaxed);
                }
            })
        };
        for _ in 0..10_000 {
            let v = a.load(Ordering::Relaxed);
            assert!(v == 1.0 || v == -2.0, "torn value {v}");
        }
        writer.join().unwrap();
    }
}
