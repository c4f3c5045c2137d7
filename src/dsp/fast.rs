//! Cheap approximations for control-rate modulation: `2^x`, `sin` of a
//! phase and `tan`, each within 2·10⁻⁵ relative over the ranges a voice
//! uses (tested against the library functions below). They run once per
//! control segment per voice, where the library's calls were a third of a
//! filtered voice's time.

/// `2^x`, for `x` in `-126..=126` (clamped); NaN gives 1.
#[inline]
pub(crate) fn exp2(x: f32) -> f32 {
    let x = if x.is_nan() {
        0.0
    } else {
        x.clamp(-126.0, 126.0)
    };
    let whole = floor(x);
    let f = x - whole;
    // Taylor series of 2^f to the 6th power (ln 2)^k / k!.
    let p = 1.0
        + f * (std::f32::consts::LN_2
            + f * (0.240_226_5
                + f * (0.055_504_11
                    + f * (0.009_618_129 + f * (0.001_333_355_8 + f * 0.000_154_035_3)))));
    // The exponent field of 2^whole.
    f32::from_bits((((whole as i32) + 127) as u32) << 23) * p
}

/// `x` rounded down, for `|x| < 2^31` (through an integer conversion,
/// which x86-64's baseline has in hardware and `f32::floor` does not).
#[inline]
pub(crate) fn floor(x: f32) -> f32 {
    let t = x as i32 as f32;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// The fractional part of a phase `x >= 0` below 2^53 (see [`floor`]).
#[inline]
pub(crate) fn fract_f64(x: f64) -> f64 {
    x - x as i64 as f64
}

/// `tan(π·hz/sample_rate)` for each lane (the filters' prewarped gain), with
/// `hz` given as its base-2 logarithm and clamped to 10 Hz … 0.49 × the
/// sample rate.
#[inline]
pub(crate) fn prewarp_lanes(log2_hz: &mut [f32], sample_rate: f32) {
    let lo = 10.0f32.log2();
    let hi = (0.49 * sample_rate).log2().max(lo);
    let scale = std::f32::consts::PI / sample_rate;
    for x in log2_hz.iter_mut() {
        *x = tan(exp2(x.clamp(lo, hi)) * scale);
    }
}

/// `sin(2π·phase)` for a phase in cycles (any value; wrapped).
#[inline]
pub(crate) fn sin_cycles(phase: f32) -> f32 {
    // Fold to [-0.5, 0.5) cycles, then by symmetry to [0, 0.25] with the
    // sign kept aside; no branches, so loops over many phases vectorise.
    let p = phase - floor(phase + 0.5);
    let a = p.abs();
    let folded = if a > 0.25 { 0.5 - a } else { a };
    let x = std::f32::consts::TAU * folded;
    let x2 = x * x;
    // Taylor series to x^11 on |x| <= π/2 (multiplications only: a
    // division by a constant stays a division).
    const C: [f32; 5] = [
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
    ];
    let y = x * (1.0 + x2 * (C[0] + x2 * (C[1] + x2 * (C[2] + x2 * (C[3] + x2 * C[4])))));
    y.copysign(p)
}

/// `tan(x)` for `x` in `0..π/2` (the prewarped cutoff of a filter: at most
/// `0.49π`).
#[inline]
pub(crate) fn tan(x: f32) -> f32 {
    const QUARTER: f32 = std::f32::consts::FRAC_PI_4;
    // A Padé approximant on [0, π/4]; above, tan(x) = 1/tan(π/2 − x).
    let pade = |x: f32| {
        let x2 = x * x;
        x * (135_135.0 - x2 * (17_325.0 - x2 * (378.0 - x2)))
            / (135_135.0 - x2 * (62_370.0 - x2 * (3_150.0 - 28.0 * x2)))
    };
    // Both branches computed and one chosen, so a loop over lanes
    // vectorises.
    let near = pade(x);
    let far = 1.0 / pade(std::f32::consts::FRAC_PI_2 - x);
    if x <= QUARTER {
        near
    } else {
        far
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(a: f32, b: f64) -> f64 {
        ((f64::from(a) - b) / b.abs().max(1e-3)).abs()
    }

    #[test]
    fn the_approximations_stay_within_2e_5() {
        let mut worst = [0.0f64; 3];
        for i in 0..=20_000 {
            let x = -20.0 + 40.0 * i as f32 / 20_000.0;
            worst[0] = worst[0].max(relative(exp2(x), f64::from(x).exp2()));
            let p = -3.0 + 6.0 * i as f32 / 20_000.0;
            let s = (std::f64::consts::TAU * f64::from(p)).sin();
            worst[1] = worst[1].max((f64::from(sin_cycles(p)) - s).abs());
            let t = 0.49 * std::f32::consts::PI * i as f32 / 20_000.0;
            if t > 0.0 {
                worst[2] = worst[2].max(relative(tan(t), f64::from(t).tan()));
            }
        }
        println!(
            "worst errors: exp2 {:.2e}, sin {:.2e}, tan {:.2e}",
            worst[0], worst[1], worst[2]
        );
        assert!(worst.iter().all(|&w| w < 2e-5), "{worst:?}");
        assert_eq!(exp2(f32::NAN), 1.0);
        assert!(exp2(1000.0).is_finite() && exp2(-1000.0) >= 0.0);
        for x in [-2.5f32, -2.0, -0.1, 0.0, 0.1, 3.0, 3.7] {
            assert_eq!(floor(x), x.floor());
        }
        let mut lanes = [440f32.log2(); 8];
        lanes[1] = 0.0; // 1 Hz: clamped to 10 Hz
        lanes[2] = 30.0; // clamped to 0.49 × 48 kHz
        prewarp_lanes(&mut lanes, 48_000.0);
        assert!((lanes[0] / (std::f32::consts::PI * 440.0 / 48_000.0).tan() - 1.0).abs() < 2e-5);
        assert!((lanes[1] / (std::f32::consts::PI * 10.0 / 48_000.0).tan() - 1.0).abs() < 2e-5);
        assert!((lanes[2] / (std::f32::consts::PI * 0.49).tan() - 1.0).abs() < 2e-4);
    }
}
