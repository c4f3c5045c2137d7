//! A small radix-2 complex FFT, used only to build the wavetables.
//!
//! The crate keeps no FFT dependency at run time; building about a hundred
//! tables of at most a few thousand points needs nothing fancier than this.

use std::f64::consts::TAU;

/// A complex number in `f64`, as `(re, im)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    fn add(self, o: Self) -> Self {
        Self {
            re: self.re + o.re,
            im: self.im + o.im,
        }
    }

    fn sub(self, o: Self) -> Self {
        Self {
            re: self.re - o.re,
            im: self.im - o.im,
        }
    }

    fn mul(self, o: Self) -> Self {
        Self {
            re: self.re * o.re - self.im * o.im,
            im: self.re * o.im + self.im * o.re,
        }
    }
}

/// Twiddle factors `e^{+2πij/n}` for `j < n/2`, shared by every inverse FFT
/// whose length divides `n`.
pub(super) struct Twiddles {
    factors: Vec<Complex>,
}

impl Twiddles {
    /// Twiddles for inverse FFTs of any power-of-two length up to `max_len`.
    pub(super) fn new(max_len: usize) -> Self {
        assert!(max_len.is_power_of_two() && max_len >= 2);
        let factors = (0..max_len / 2)
            .map(|j| {
                let (im, re) = (TAU * j as f64 / max_len as f64).sin_cos();
                Complex { re, im }
            })
            .collect();
        Self { factors }
    }

    /// The largest transform length these twiddles serve.
    fn max_len(&self) -> usize {
        self.factors.len() * 2
    }
}

/// In-place unnormalised inverse DFT: `x[n] = Σ_k X[k] e^{+2πikn/N}`.
///
/// `buf.len()` must be a power of two no larger than the twiddles' length.
pub(super) fn inverse_fft(buf: &mut [Complex], twiddles: &Twiddles) {
    let n = buf.len();
    assert!(n.is_power_of_two() && n <= twiddles.max_len());
    if n < 2 {
        return;
    }
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            buf.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let half = len / 2;
        let stride = twiddles.max_len() / len;
        for block in buf.chunks_exact_mut(len) {
            let (lo, hi) = block.split_at_mut(half);
            for (j, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                let t = b.mul(twiddles.factors[j * stride]);
                *b = a.sub(t);
                *a = a.add(t);
            }
        }
        len *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_dft() {
        let n = 64;
        let spectrum: Vec<Complex> = (0..n)
            .map(|k| Complex {
                re: (k as f64 * 0.37).sin(),
                im: (k as f64 * 1.3).cos() * 0.5,
            })
            .collect();
        let mut fast = spectrum.clone();
        inverse_fft(&mut fast, &Twiddles::new(256));
        for (i, got) in fast.iter().enumerate() {
            let mut want = Complex::default();
            for (k, x) in spectrum.iter().enumerate() {
                let (im, re) = (TAU * (i * k) as f64 / n as f64).sin_cos();
                want = want.add(x.mul(Complex { re, im }));
            }
            assert!((got.re - want.re).abs() < 1e-12, "{i}: {got:?} vs {want:?}");
            assert!((got.im - want.im).abs() < 1e-12, "{i}: {got:?} vs {want:?}");
        }
    }
}
