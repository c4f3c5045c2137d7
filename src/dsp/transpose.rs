//! Moving a filter batch between its two layouts: one buffer per lane (a
//! voice's channel: where its oscillators write, in vectors of frames) and
//! one array of lanes per frame (what the filter kernels take, in vectors of
//! lanes). With AVX, eight frames of eight lanes turn around in registers.

use super::filter::{Lanes, LANES, NARROW};

/// How many frames the transposes move for `count`: whole groups of eight
/// when the buffers (`room` frames of lanes, rows of `N`) have space for
/// the last group's padding, which then holds whatever the rows held (a
/// block split at an event's frame ends anywhere; a frame-by-frame tail
/// cost more than the padding).
fn moved<const N: usize>(count: usize, room: usize) -> usize {
    let padded = count.div_ceil(8) * 8;
    if padded <= room.min(N) {
        padded
    } else {
        count.min(room).min(N)
    }
}

/// Writes lane `l` of `frames[f]` from `rows[l][f]` for the first `count`
/// frames and the first `used` lanes; lanes from `used` up to `width` get
/// 0 (and so do their rows, over those frames), and lanes from `width` on
/// are left alone. `width` is [`LANES`] or [`NARROW`] (anything else counts
/// as `LANES`). Frames past `count`, up to the next multiple of eight, may
/// be written too (see [`moved`]).
pub(crate) fn rows_to_frames<const N: usize>(
    rows: &mut [[f32; N]],
    used: usize,
    width: usize,
    frames: &mut [Lanes],
    count: usize,
) {
    let width = if width == NARROW { NARROW } else { LANES };
    let used = used.min(width).min(rows.len());
    #[cfg(target_arch = "x86_64")]
    if rows.len() >= width && super::filter::has_avx2_fma() {
        let count = moved::<N>(count, frames.len());
        for row in &mut rows[used..width] {
            row[..count].fill(0.0);
        }
        // SAFETY: the CPU has AVX (checked just above), and there are
        // `width` rows, a multiple of eight.
        unsafe { avx::rows_to_frames(&rows[..width], &mut frames[..count]) };
        return;
    }
    let count = count.min(frames.len()).min(N);
    let frames = &mut frames[..count];
    for (f, frame) in frames.iter_mut().enumerate() {
        for (l, x) in frame[..width].iter_mut().enumerate() {
            *x = if l < used { rows[l][f] } else { 0.0 };
        }
    }
}

/// Writes `rows[l][f]` from lane `l` of `frames[f]`, for the first `count`
/// frames and at least the first `used` lanes (all of the first `width`,
/// as in [`rows_to_frames`], when that is quicker; and up to the next
/// multiple of eight frames, as there).
pub(crate) fn frames_to_rows<const N: usize>(
    frames: &[Lanes],
    count: usize,
    used: usize,
    width: usize,
    rows: &mut [[f32; N]],
) {
    let width = if width == NARROW { NARROW } else { LANES };
    let used = used.min(width).min(rows.len());
    #[cfg(target_arch = "x86_64")]
    if rows.len() >= width && super::filter::has_avx2_fma() {
        let count = moved::<N>(count, frames.len());
        // SAFETY: the CPU has AVX (checked just above), and there are
        // `width` rows, a multiple of eight.
        unsafe { avx::frames_to_rows(&frames[..count], &mut rows[..width]) };
        return;
    }
    let count = count.min(frames.len()).min(N);
    let frames = &frames[..count];
    for (l, row) in rows[..used].iter_mut().enumerate() {
        for (x, frame) in row.iter_mut().zip(frames) {
            *x = frame[l];
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use super::{Lanes, LANES};
    use std::arch::x86_64::*;

    /// Transposes eight vectors of eight (rows in, columns out).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
        // SAFETY: register shuffles only; the caller has AVX. (Newer
        // compilers call these safe here; Rust 1.85 does not.)
        #[allow(unused_unsafe)]
        unsafe {
            let t0 = _mm256_unpacklo_ps(r[0], r[1]);
            let t1 = _mm256_unpackhi_ps(r[0], r[1]);
            let t2 = _mm256_unpacklo_ps(r[2], r[3]);
            let t3 = _mm256_unpackhi_ps(r[2], r[3]);
            let t4 = _mm256_unpacklo_ps(r[4], r[5]);
            let t5 = _mm256_unpackhi_ps(r[4], r[5]);
            let t6 = _mm256_unpacklo_ps(r[6], r[7]);
            let t7 = _mm256_unpackhi_ps(r[6], r[7]);
            let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            [
                _mm256_permute2f128_ps::<0x20>(s0, s4),
                _mm256_permute2f128_ps::<0x20>(s1, s5),
                _mm256_permute2f128_ps::<0x20>(s2, s6),
                _mm256_permute2f128_ps::<0x20>(s3, s7),
                _mm256_permute2f128_ps::<0x31>(s0, s4),
                _mm256_permute2f128_ps::<0x31>(s1, s5),
                _mm256_permute2f128_ps::<0x31>(s2, s6),
                _mm256_permute2f128_ps::<0x31>(s3, s7),
            ]
        }
    }

    /// [`super::rows_to_frames`] with every row used: the first
    /// `rows.len()` lanes (8 or 16).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn rows_to_frames<const N: usize>(rows: &[[f32; N]], frames: &mut [Lanes]) {
        let whole = frames.len() / 8 * 8;
        let rows = &rows[..rows.len().min(LANES) / 8 * 8];
        for f0 in (0..whole).step_by(8) {
            for half in 0..rows.len() / 8 {
                // SAFETY: f0 + 8 <= frames.len() <= N, and each row has N
                // floats: the eight reads are in bounds.
                let r: [__m256; 8] = std::array::from_fn(|i| unsafe {
                    _mm256_loadu_ps(rows[half * 8 + i][f0..f0 + 8].as_ptr())
                });
                // SAFETY: plain register shuffles (AVX is enabled here).
                let c = unsafe { transpose8(r) };
                for (i, c) in c.into_iter().enumerate() {
                    // SAFETY: frame f0 + i exists and has LANES floats, of
                    // which half·8 .. half·8 + 8 are written.
                    unsafe {
                        _mm256_storeu_ps(frames[f0 + i][half * 8..half * 8 + 8].as_mut_ptr(), c)
                    };
                }
            }
        }
        for (f, frame) in frames.iter_mut().enumerate().skip(whole) {
            for (l, row) in rows.iter().enumerate() {
                frame[l] = row[f];
            }
        }
    }

    /// [`super::frames_to_rows`] into every row: the first `rows.len()`
    /// lanes (8 or 16).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn frames_to_rows<const N: usize>(frames: &[Lanes], rows: &mut [[f32; N]]) {
        let whole = frames.len() / 8 * 8;
        let width = rows.len().min(LANES) / 8 * 8;
        let rows = &mut rows[..width];
        for f0 in (0..whole).step_by(8) {
            for half in 0..width / 8 {
                // SAFETY: frames f0 .. f0 + 8 exist and have LANES floats.
                let r: [__m256; 8] = std::array::from_fn(|i| unsafe {
                    _mm256_loadu_ps(frames[f0 + i][half * 8..half * 8 + 8].as_ptr())
                });
                // SAFETY: plain register shuffles (AVX is enabled here).
                let c = unsafe { transpose8(r) };
                for (i, c) in c.into_iter().enumerate() {
                    // SAFETY: f0 + 8 <= frames.len() <= N floats per row.
                    unsafe { _mm256_storeu_ps(rows[half * 8 + i][f0..f0 + 8].as_mut_ptr(), c) };
                }
            }
        }
        for (l, row) in rows.iter_mut().enumerate() {
            for (x, frame) in row.iter_mut().zip(frames).skip(whole) {
                *x = frame[l];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways_match_the_plain_loops() {
        for width in [NARROW, LANES] {
            for frames_count in [0usize, 1, 7, 8, 9, 64, 255, 256] {
                for used in [0usize, 1, 5, 8, 15, 16] {
                    both_ways(width, frames_count, used);
                }
            }
        }
    }

    fn both_ways(width: usize, frames_count: usize, used: usize) {
        // The frames' buffer has room for a padded last group or not.
        for room in [frames_count, 256] {
            let case = format!("width {width}, {frames_count} frames ({room} room), {used} lanes");
            let mut rows: Vec<[f32; 256]> = (0..LANES + 2)
                .map(|l| std::array::from_fn(|f| (l * 1000 + f) as f32))
                .collect();
            let mut frames = vec![[-1.0f32; LANES]; room];
            rows_to_frames(&mut rows, used, width, &mut frames, frames_count);
            let filled = used.min(width);
            for (f, frame) in frames.iter().enumerate().take(frames_count) {
                for (l, x) in frame.iter().enumerate() {
                    let want = match l {
                        l if l < filled => (l * 1000 + f) as f32,
                        l if l < width => 0.0,
                        _ => -1.0,
                    };
                    assert_eq!(*x, want, "{case}: [{f}][{l}]");
                }
            }
            // Past the count, at most up to the next multiple of eight.
            for frame in frames.iter().skip(frames_count.div_ceil(8) * 8) {
                assert!(frame.iter().all(|&x| x == -1.0), "{case}: written too far");
            }
            let mut back = vec![[-1.0f32; 256]; LANES + 2];
            frames_to_rows(&frames, frames_count, used, width, &mut back);
            let padded = frames_count.div_ceil(8) * 8;
            for (l, row) in back.iter().enumerate() {
                for (f, x) in row.iter().enumerate() {
                    // Lanes past `used` may come back as 0 (the frames'
                    // zeros) or stay untouched; lanes past `width`, and
                    // frames past the padded count, stay untouched.
                    if l < filled && f < frames_count {
                        assert_eq!(*x, (l * 1000 + f) as f32, "{case}, back: [{l}][{f}]");
                    } else if l >= width || f >= padded {
                        assert_eq!(*x, -1.0, "{case}, back: [{l}][{f}] untouched");
                    }
                }
            }
        }
    }
}
