//! Unit tests of `SamplePlayhead::render`: bookkeeping, routing, edges and
//! bounds. The sound quality is measured in `sample::quality_tests`.

use super::*;

const ALL: [Interpolation; 4] = [
    Interpolation::Linear,
    Interpolation::Cubic,
    Interpolation::Lagrange,
    Interpolation::Sinc,
];

/// A ramp-ish test signal with some high-frequency content.
fn signal(frames: usize, seed: f32) -> Vec<f32> {
    (0..frames)
        .map(|n| {
            let t = n as f32;
            0.4 * (t * 0.05 + seed).sin() + 0.3 * (t * 1.7 + seed).sin()
        })
        .collect()
}

fn stereo(frames: usize) -> SampleData {
    SampleData::from_stereo(signal(frames, 0.0), signal(frames, 1.0), 44_100).unwrap()
}

/// Renders `total` frames in chunks of `chunk`, returning both channels and
/// the frames written.
fn render_chunked(
    sample: &SampleData,
    step: f64,
    held: bool,
    total: usize,
    chunk: usize,
) -> (Vec<f32>, Vec<f32>, usize) {
    let mut head = SamplePlayhead::new();
    let (mut l, mut r) = (vec![9.0; total], vec![9.0; total]);
    let mut written = 0;
    for (lc, rc) in l.chunks_mut(chunk).zip(r.chunks_mut(chunk)) {
        written += head.render(sample, step, held, lc, Some(rc));
    }
    (l, r, written)
}

#[test]
fn runs_without_boundaries_equal_the_general_path() {
    // The fast runs (frames whose taps all read the data directly) must give
    // exactly what the general per-frame path gives, across loop seams, the
    // data's ends, both channel layouts and every kernel.
    let mono = SampleData::from_mono(signal(2500, 0.3), 44_100).unwrap();
    // 16-bit data (a SoundFont's), inside a larger buffer as a font's is.
    let pcm: std::sync::Arc<[i16]> = signal(2600, 0.7)
        .iter()
        .map(|x| (x * 32_767.0) as i16)
        .collect();
    let pcm16 = SampleData::from_pcm16(&pcm, 50..2550, 44_100).unwrap();
    let cases = [
        stereo(3000).with_loop(500, 1700).unwrap(),
        stereo(3000),
        mono.clone().with_loop(40, 90).unwrap(),
        mono,
        pcm16.clone().with_loop(40, 90).unwrap(),
        pcm16.clone().with_loop(700, 2400).unwrap(),
        pcm16,
    ];
    for sample in cases {
        for interpolation in ALL {
            let s = sample.clone().with_interpolation(interpolation);
            for step in [0.37, 1.0, 1.61, 3.9, 5.3] {
                for held in [true, false] {
                    for two in [true, false] {
                        let mut heads = (SamplePlayhead::new(), SamplePlayhead::new());
                        for chunk in [300, 1, 77, 256, 4000] {
                            let (mut la, mut ra) = (vec![9.0; chunk], vec![9.0; chunk]);
                            let (mut lb, mut rb) = (vec![7.0; chunk], vec![7.0; chunk]);
                            let a =
                                heads
                                    .0
                                    .render(&s, step, held, &mut la, two.then_some(&mut ra[..]));
                            let b = heads.1.render_general(
                                &s,
                                step,
                                held,
                                &mut lb,
                                two.then_some(&mut rb[..]),
                            );
                            let what =
                                format!("{interpolation:?} step {step} held {held} stereo {two}");
                            assert_eq!(a, b, "{what}");
                            assert!(
                                la.iter().zip(&lb).all(|(x, y)| x.to_bits() == y.to_bits()),
                                "{what}"
                            );
                            if two {
                                assert!(
                                    ra.iter().zip(&rb).all(|(x, y)| x.to_bits() == y.to_bits()),
                                    "{what}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The fast and general paths agree on a small sample, at a size Miri
/// finishes in seconds (.ci/sanitizers runs it with AVX2 on, so the sinc
/// kernels' AVX2 build runs too): every read of the data is checked.
#[test]
fn small_renders_agree_across_paths() {
    let sample = stereo(160).with_loop(40, 120).unwrap();
    for interpolation in ALL {
        let s = sample.clone().with_interpolation(interpolation);
        for (step, held) in [(0.37, true), (1.61, false), (3.9, true)] {
            let mut heads = (SamplePlayhead::new(), SamplePlayhead::new());
            for chunk in [5, 64] {
                let (mut la, mut ra) = (vec![9.0; chunk], vec![9.0; chunk]);
                let (mut lb, mut rb) = (vec![7.0; chunk], vec![7.0; chunk]);
                let a = heads.0.render(&s, step, held, &mut la, Some(&mut ra[..]));
                let b = heads
                    .1
                    .render_general(&s, step, held, &mut lb, Some(&mut rb[..]));
                assert_eq!(a, b);
                assert!(la
                    .iter()
                    .chain(&ra)
                    .zip(lb.iter().chain(&rb))
                    .all(|(x, y)| x.to_bits() == y.to_bits()));
            }
        }
    }
}

#[test]
fn chunked_rendering_equals_one_call() {
    let sample = stereo(3000).with_loop(500, 1700).unwrap();
    for interpolation in ALL {
        let s = sample.clone().with_interpolation(interpolation);
        for step in [0.37, 1.0, 1.61, 5.3] {
            for held in [true, false] {
                let whole = render_chunked(&s, step, held, 4000, 4000);
                for chunk in [1, 7, 64, 999] {
                    assert_eq!(
                        render_chunked(&s, step, held, 4000, chunk),
                        whole,
                        "{interpolation:?} step {step} chunk {chunk}"
                    );
                }
            }
        }
    }
}

#[test]
fn ends_with_the_data_and_zero_fills() {
    for interpolation in ALL {
        let sample = SampleData::from_mono(vec![0.5; 100], 8_000)
            .unwrap()
            .with_interpolation(interpolation);
        let mut head = SamplePlayhead::new();
        let mut out = vec![7.0; 150];
        assert_eq!(head.render(&sample, 1.0, true, &mut out, None), 100);
        assert!(head.has_ended());
        assert!(out[..100].iter().all(|v| v.is_finite() && *v != 7.0));
        assert!(out[100..].iter().all(|&v| v == 0.0));
        // Afterwards: nothing, all zeros, also for the right channel.
        let (mut l, mut r) = (vec![7.0; 16], vec![7.0; 16]);
        assert_eq!(head.render(&sample, 1.0, true, &mut l, Some(&mut r)), 0);
        assert!(l.iter().chain(&r).all(|&v| v == 0.0));

        // At half speed, twice the frames; exactly on a chunk boundary the
        // end shows on the next call.
        let mut head = SamplePlayhead::new();
        let mut out = vec![0.0; 200];
        assert_eq!(head.render(&sample, 0.5, false, &mut out, None), 200);
        assert!(!head.has_ended());
        assert_eq!(head.render(&sample, 0.5, false, &mut out, None), 0);
        assert!(head.has_ended());
        // At 3x: frames 0, 3, ..., 99 -> 34 frames.
        let mut head = SamplePlayhead::new();
        assert_eq!(head.render(&sample, 3.0, false, &mut out, None), 34);
    }
}

#[test]
fn routes_channels() {
    let sample = stereo(400);
    let (l_src, r_src) = (sample.channel(0).to_vec(), sample.channel(1).to_vec());
    for interpolation in [Interpolation::Linear, Interpolation::Cubic] {
        // At 1x these two read the frames themselves.
        let s = sample.clone().with_interpolation(interpolation);
        let (l, r, n) = render_chunked(&s, 1.0, false, 400, 400);
        assert_eq!(n, 400);
        assert_eq!(l, l_src);
        assert_eq!(r, r_src);
        let mut mix = vec![0.0; 400];
        SamplePlayhead::new().render(&s, 1.0, false, &mut mix, None);
        for ((m, a), b) in mix.iter().zip(&l_src).zip(&r_src) {
            assert_eq!(*m, 0.5 * (a + b));
        }
        let mono = SampleData::from_mono(l_src.clone(), 44_100)
            .unwrap()
            .with_interpolation(interpolation);
        let (l, r, _) = render_chunked(&mono, 1.0, false, 400, 400);
        assert_eq!(l, l_src);
        assert_eq!(r, l_src);
    }
    // The sinc kernel filters, so compare it with itself: the same voice
    // routed three ways.
    let (l, r, _) = render_chunked(&sample, 0.8, false, 400, 400);
    let mut mix = vec![0.0; 400];
    SamplePlayhead::new().render(&sample, 0.8, false, &mut mix, None);
    for i in 0..400 {
        assert!((mix[i] - 0.5 * (l[i] + r[i])).abs() < 1e-6);
    }
    let mono_l = SampleData::from_mono(l_src, 44_100).unwrap();
    let (ml, mr, _) = render_chunked(&mono_l, 0.8, false, 400, 400);
    assert_eq!(ml, l);
    assert_eq!(mr, l);
}

#[test]
fn reads_zero_outside_the_data() {
    let sample = SampleData::from_mono(vec![1.0; 64], 8_000)
        .unwrap()
        .with_interpolation(Interpolation::Linear);
    let mut out = [0.0; 128];
    // Frames 0, 0.5, 1, ... 63.5: the last one is halfway to a zero.
    assert_eq!(
        SamplePlayhead::new().render(&sample, 0.5, false, &mut out, None),
        128
    );
    assert_eq!(out[126], 1.0);
    assert_eq!(out[127], 0.5);
    // The sinc kernel: halfway past the last frame, half its (symmetric)
    // weight falls on the zeros after the data; a constant in the middle.
    let sample = sample.with_interpolation(Interpolation::Sinc);
    SamplePlayhead::new().render(&sample, 0.5, false, &mut out, None);
    assert!((out[127] - 0.5).abs() < 1e-5, "{}", out[127]);
    assert!((out[64] - 1.0).abs() < 1e-5, "{}", out[64]);
    // At frame 0 the taps before it read zero: the centre tap and the later
    // half of the kernel remain, a little less than 1.
    assert!(out[0] > 0.9 && out[0] < 0.999, "{}", out[0]);
}

#[test]
fn constant_stays_constant_at_any_speed() {
    let sample = SampleData::from_mono(vec![0.25; 4000], 8_000)
        .unwrap()
        .with_loop(1000, 3000)
        .unwrap();
    for interpolation in ALL {
        let s = sample.clone().with_interpolation(interpolation);
        for step in [0.1, 0.9, 1.0, 1.3, 2.5, 7.0, 100.0] {
            let mut head = SamplePlayhead::new();
            let mut out = vec![0.0; 3000];
            head.render(&s, step, true, &mut out, None);
            // Skip the fade-in from the zeros before frame 0.
            let skip = (200.0 / step) as usize + 1;
            for v in &out[skip.min(2999)..] {
                assert!((v - 0.25).abs() < 1e-5, "{interpolation:?} {step}: {v}");
            }
        }
    }
}

#[test]
fn huge_and_tiny_steps_are_bounded_and_fast() {
    let sample = stereo(10_000).with_loop(10, 13).unwrap();
    let start = std::time::Instant::now();
    for interpolation in ALL {
        let s = sample.clone().with_interpolation(interpolation);
        for step in [1e-12, 1e-3, 3.9, 1e6, 1e15, f64::MAX] {
            for held in [true, false] {
                let mut head = SamplePlayhead::new();
                let (mut l, mut r) = (vec![0.0; 4096], vec![0.0; 4096]);
                let n = head.render(&s, step, held, &mut l, Some(&mut r));
                assert!(l.iter().chain(&r).all(|v| v.is_finite() && v.abs() < 4.0));
                let expected = if held {
                    4096
                } else {
                    (10_000.0 / step).ceil().min(4096.0) as usize
                };
                assert_eq!(n, expected, "{interpolation:?} {step} {held}");
                assert_eq!(head.has_ended(), expected < 4096);
            }
        }
    }
    // 3 x 6 x 2 x 4096 frames with up to 194 taps: well under a second
    // even unoptimised; the bound only catches runaway loops.
    assert!(start.elapsed().as_secs_f64() < 10.0);
}

#[test]
fn invalid_steps_do_not_panic_or_produce_garbage() {
    let sample = stereo(1000).with_loop(100, 900).unwrap();
    for step in [f64::NAN, 0.0, -1.0, f64::NEG_INFINITY, f64::INFINITY] {
        let mut head = SamplePlayhead::new();
        let mut out = [0.0; 256];
        head.render(&sample, step, true, &mut out, None);
        assert!(out.iter().all(|v| v.is_finite()));
        let mut head = SamplePlayhead::new();
        head.render(&sample, step, false, &mut out, None);
        assert!(out.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn loop_wraps_by_arithmetic_with_exact_position() {
    // Linear at integer steps reads frames exactly, so the output shows the
    // playhead's path: 0..6, then 2..6 again and again.
    let data: Vec<f32> = (0..8).map(|n| n as f32 / 8.0).collect();
    let sample = SampleData::from_mono(data, 8_000)
        .unwrap()
        .with_loop(2, 6)
        .unwrap()
        .with_interpolation(Interpolation::Linear);
    let mut head = SamplePlayhead::new();
    let mut out = [0.0; 14];
    head.render(&sample, 1.0, true, &mut out, None);
    let frames: Vec<f32> = out.iter().map(|v| v * 8.0).collect();
    assert_eq!(
        frames,
        [0., 1., 2., 3., 4., 5., 2., 3., 4., 5., 2., 3., 4., 5.]
    );
    // The playhead now stands at 6, just past the loop: released, it
    // plays on (6, 7) and ends.
    let mut out = [9.0; 6];
    assert_eq!(head.render(&sample, 1.0, false, &mut out, None), 2);
    assert_eq!(out.map(|v| v * 8.0), [6., 7., 0., 0., 0., 0.]);
    // Released mid-loop (at 4 after 0..6, 2, 3): 4, 5, 6, 7.
    let mut head = SamplePlayhead::new();
    let mut out = [0.0; 8];
    head.render(&sample, 1.0, true, &mut out, None);
    assert_eq!(out.map(|v| v * 8.0), [0., 1., 2., 3., 4., 5., 2., 3.]);
    assert_eq!(head.render(&sample, 1.0, false, &mut out, None), 4);
    assert_eq!(out.map(|v| v * 8.0), [4., 5., 6., 7., 0., 0., 0., 0.]);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn interpolation() -> impl Strategy<Value = Interpolation> {
        prop_oneof![
            Just(Interpolation::Linear),
            Just(Interpolation::Cubic),
            Just(Interpolation::Sinc),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any data, loop, speed and hold pattern: output finite and
        /// bounded, frames written consistent with `has_ended`, silence
        /// after the end.
        #[test]
        fn render_is_always_sane(
            data in prop::collection::vec(-1.0f32..=1.0, 1..300),
            stereo in any::<bool>(),
            loop_points in (any::<u16>(), any::<u16>()),
            with_loop in any::<bool>(),
            log_step in -4.0f64..4.0,
            interpolation in interpolation(),
            blocks in prop::collection::vec((1usize..200, any::<bool>()), 1..8),
        ) {
            let len = data.len();
            let mut sample = if stereo {
                let right: Vec<f32> = data.iter().map(|v| -v).collect();
                SampleData::from_stereo(data, right, 44_100).unwrap()
            } else {
                SampleData::from_mono(data, 44_100).unwrap()
            };
            if with_loop {
                let a = usize::from(loop_points.0) % len;
                let b = a + 1 + usize::from(loop_points.1) % (len - a);
                sample = sample.with_loop(a, b).unwrap();
            }
            let sample = sample.with_interpolation(interpolation);
            let step = 10f64.powf(log_step);
            let mut head = SamplePlayhead::new();
            for (frames, held) in blocks {
                let was_ended = head.has_ended();
                let (mut l, mut r) = (vec![5.0; frames], vec![5.0; frames]);
                let n = head.render(&sample, step, held, &mut l, Some(&mut r));
                prop_assert!(n <= frames);
                prop_assert_eq!(n < frames, head.has_ended());
                if was_ended {
                    prop_assert_eq!(n, 0);
                }
                prop_assert!(l.iter().chain(&r).all(|v| v.is_finite() && v.abs() <= 4.0));
                prop_assert!(l[n..].iter().chain(&r[n..]).all(|&v| v == 0.0));
            }
        }
    }
}

#[test]
fn shared_16_bit_frames_play_as_their_f32_values() {
    // The same frames stored as i16 (inside a larger shared buffer) and as
    // f32 give the same output, within f32 rounding, across every kernel,
    // step and the loop seam.
    let values: Vec<i16> = signal(3000, 0.7)
        .iter()
        .map(|v| (v * 32_767.0) as i16)
        .collect();
    let mut shared = vec![12_345i16; 100];
    shared.extend(&values);
    shared.extend([-777i16; 50]);
    let shared: std::sync::Arc<[i16]> = shared.into();
    let pcm = SampleData::from_pcm16(&shared, 100..3100, 44_100).unwrap();
    let float: Vec<f32> = values.iter().map(|&v| f32::from(v) / 32_768.0).collect();
    let float = SampleData::from_mono(float, 44_100).unwrap();
    for interpolation in ALL {
        for (a, b) in [
            (pcm.clone(), float.clone()),
            (
                pcm.clone().with_loop(700, 1900).unwrap(),
                float.clone().with_loop(700, 1900).unwrap(),
            ),
        ] {
            let (a, b) = (
                a.with_interpolation(interpolation),
                b.with_interpolation(interpolation),
            );
            for step in [0.37, 1.0, 2.3] {
                let (la, _, wa) = render_chunked(&a, step, true, 4000, 333);
                let (lb, _, wb) = render_chunked(&b, step, true, 4000, 333);
                assert_eq!(wa, wb);
                let worst = la
                    .iter()
                    .zip(&lb)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f32::max);
                assert!(worst < 1e-5, "{interpolation:?} at {step}: {worst}");
            }
        }
    }
}

#[test]
fn a_loop_in_release_goes_on_after_the_note_is_released() {
    let sample = SampleData::from_mono(signal(1000, 0.1), 44_100)
        .unwrap()
        .with_loop(200, 600)
        .unwrap();
    // Released from the start: the plain loop plays through to the end of
    // the data; the release loop never ends.
    let (_, _, plain) = render_chunked(&sample, 1.0, false, 5000, 256);
    assert_eq!(plain, 1000);
    let looping = sample.with_loop_in_release(true);
    let (l, _, written) = render_chunked(&looping, 1.0, false, 5000, 256);
    assert_eq!(written, 5000);
    assert!(l[4000..].iter().any(|v| v.abs() > 0.1));
}
