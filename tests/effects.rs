//! The effects, measured: the reverb's RT60 by Schroeder backward
//! integration, its decorrelated channels, its dense and smooth tail (echo
//! density, and no resonance standing out of the spectrum), the delay's echoes and glides,
//! the chorus, the sends (notes, groups, MIDI CC91/CC93), and no
//! allocation on the audio side.

mod common;
use common::alloc_counter::count_allocations;
use common::*;
use polyphonica::fx::{ChorusParams, DelayParams, ReverbParams, Sends};
use polyphonica::midi::{MidiMessage, MidiSynth};
use polyphonica::{AdsrEnvelope, EventTarget, Note, RealtimeEngine, SampleData, Waveform};

const RATE: f32 = 48_000.0;
const HOLD: AdsrEnvelope = AdsrEnvelope {
    attack_secs: 0.0,
    decay_secs: 0.0,
    sustain_level: 1.0,
    release_secs: 0.0,
};

/// A one-sample click played at its own pitch, sent to the effects.
fn click(engine: &mut RealtimeEngine, sends: Sends) {
    let mut data = vec![0.0f32; 64];
    data[0] = 1.0;
    let sample = SampleData::from_mono(data, RATE as u32).unwrap();
    let note = Note::new(Waveform::Sample(sample), 440.0, HOLD).with_sends(sends);
    engine.trigger(note).unwrap();
}

/// RT60 from the energy decay curve of `signal` (Schroeder backward
/// integration), fitted between -5 and -35 dB and extrapolated to 60 dB.
fn rt60_secs(signal: &[f32], rate: f32) -> f32 {
    let mut edc = vec![0.0f64; signal.len()];
    let mut sum = 0.0f64;
    for i in (0..signal.len()).rev() {
        sum += f64::from(signal[i]) * f64::from(signal[i]);
        edc[i] = sum;
    }
    let total = edc[0];
    let db = |i: usize| 10.0 * (edc[i] / total).log10();
    let start = (0..edc.len()).find(|&i| db(i) <= -5.0).unwrap();
    let end = (0..edc.len()).find(|&i| db(i) <= -35.0).unwrap();
    // Least-squares slope of dB against time over the range.
    let n = (end - start) as f64;
    let (mut st, mut sd, mut stt, mut std) = (0.0, 0.0, 0.0, 0.0);
    for i in start..end {
        let t = i as f64 / f64::from(rate);
        let d = db(i);
        st += t;
        sd += d;
        stt += t * t;
        std += t * d;
    }
    let slope = (n * std - st * sd) / (n * stt - st * st);
    (-60.0 / slope) as f32
}

fn reverb_tail(decay_secs: f32, damping: f32, secs: f32) -> (Vec<f32>, Vec<f32>) {
    let mut engine = RealtimeEngine::new(RATE);
    let params = ReverbParams {
        decay_secs,
        damping,
        predelay_secs: 0.0,
        ..ReverbParams::default()
    };
    engine.set_reverb(params).unwrap();
    click(
        &mut engine,
        Sends {
            reverb: 1.0,
            ..Sends::default()
        },
    );
    let mut left = vec![0.0f32; (secs * RATE) as usize];
    let mut right = left.clone();
    for (l, r) in left.chunks_mut(256).zip(right.chunks_mut(256)) {
        engine.process_planar_buffers(l, r);
    }
    (left, right)
}

#[test]
fn the_reverb_decays_by_60_db_in_its_decay_time() {
    let mut results = Vec::new();
    for decay in [0.5f32, 1.0, 2.0, 8.0] {
        for damping in [0.0f32, 0.02, 0.05, 0.5, 1.0] {
            let (left, right) = reverb_tail(decay, damping, decay * 1.2 + 0.5);
            let skip = (0.05 * RATE) as usize; // past the click itself
            let energy: Vec<f32> = left[skip..]
                .iter()
                .zip(&right[skip..])
                .map(|(l, r)| (0.5 * (l * l + r * r)).sqrt())
                .collect();
            let measured = rt60_secs(&energy, RATE);
            println!("decay {decay} s, damping {damping}: RT60 measured {measured:.3} s");
            results.push((decay, damping, measured));
        }
    }
    for (decay, damping, measured) in results {
        {
            assert!(
                (measured / decay - 1.0).abs() <= 0.10,
                "decay {decay} s, damping {damping}: measured {measured:.3} s"
            );
        }
    }
}

#[test]
fn the_reverb_tail_is_decorrelated_between_channels() {
    let (left, right) = reverb_tail(2.0, 0.5, 1.5);
    let (l, r) = (&left[4_800..], &right[4_800..]);
    let dot: f64 = l
        .iter()
        .zip(r)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum();
    let norm = |x: &[f32]| x.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt();
    let correlation = dot / (norm(l) * norm(r));
    println!("tail L/R correlation {correlation:.3}");
    assert!(correlation.abs() < 0.5, "correlation {correlation}");
    assert_bounded(&left);
}

/// Normalised echo density (Abel and Huang) of `signal` in windows of
/// `window` frames, half overlapping: the share of a window's samples
/// beyond one standard deviation, over a Gaussian's share (0.3173). About 1
/// for a dense tail, far below 1 for separate echoes (flutter).
fn echo_density(signal: &[f32], window: usize) -> Vec<f64> {
    signal
        .windows(window)
        .step_by(window / 2)
        .map(|w| {
            let deviation =
                (w.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
            let beyond = w.iter().filter(|x| f64::from(x.abs()) > deviation).count();
            beyond as f64 / w.len() as f64 / 0.3173
        })
        .collect()
}

/// How far the tail's resonances stand out, in dB: the power spectrum of
/// `signal` from `from_secs` on, its decay undone (`decay_secs` is the
/// RT60), averaged over half-overlapping 4096-frame windows, and each bin
/// from 100 Hz to 10 kHz against the median of the bins within a sixth of
/// an octave. A dense, smooth tail averages out to its median; a ringing
/// one (modes that hold still) keeps narrow peaks.
fn resonance_peak_db(signal: &[f32], decay_secs: f32, from_secs: f32) -> f64 {
    use rustfft::{num_complex::Complex, FftPlanner};
    const N: usize = 4096;
    let fft = FftPlanner::<f32>::new().plan_fft_forward(N);
    let mut average = vec![0.0f64; N / 2];
    let first = (from_secs * RATE) as usize;
    for start in (first..signal.len() - N).step_by(N / 2) {
        let mut buffer: Vec<Complex<f32>> = (0..N)
            .map(|i| {
                let t = (start + i) as f32 / RATE;
                let undone = 10f32.powf(3.0 * t / decay_secs);
                let hann = 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / N as f32).cos();
                Complex::new(signal[start + i] * undone * hann, 0.0)
            })
            .collect();
        fft.process(&mut buffer);
        for (a, x) in average.iter_mut().zip(&buffer) {
            *a += f64::from(x.norm_sqr());
        }
    }
    let bin_hz = f64::from(RATE) / N as f64;
    let sixth = 2f64.powf(1.0 / 6.0);
    let (low, high) = ((100.0 / bin_hz) as usize, (10_000.0 / bin_hz) as usize);
    (low..=high)
        .map(|k| {
            let mut around =
                average[(k as f64 / sixth) as usize..=(k as f64 * sixth) as usize].to_vec();
            around.sort_by(f64::total_cmp);
            10.0 * (average[k] / around[around.len() / 2]).log10()
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn the_reverb_tail_is_dense_and_smooth() {
    // A long undamped tail rings most; fundsp's 32-line `reverb_stereo`
    // measured 3.2 and 2.6 dB here (0.78 to 0.89 for its sparsest window).
    // With four of the eight lines' lengths swayed instead (the reverb
    // until session 12), the undamped tail rang at 11 dB in its highs.
    for damping in [0.0f32, 0.5] {
        let (left, right) = reverb_tail(8.0, damping, 5.2);
        for (side, channel) in [("left", &left), ("right", &right)] {
            let density = echo_density(&channel[(0.2 * RATE) as usize..], 960);
            let mut sorted = density.clone();
            sorted.sort_by(f64::total_cmp);
            let (sparsest, median) = (sorted[0], sorted[sorted.len() / 2]);
            let peak = resonance_peak_db(channel, 8.0, 0.2);
            println!(
                "damping {damping}, {side}: echo density from 0.2 s median {median:.2}, sparsest {sparsest:.2}; resonances up to {peak:.1} dB"
            );
            assert!(
                median > 0.9 && sparsest > 0.7,
                "damping {damping}, {side}: flutter"
            );
            assert!(
                peak < 6.0,
                "damping {damping}, {side}: rings at {peak:.1} dB"
            );
        }
    }
}

#[test]
fn echoes_fall_exactly_at_the_delay_time_each_feedback_quieter() {
    for ping_pong in [false, true] {
        let mut engine = RealtimeEngine::new(RATE);
        let params = DelayParams {
            time_secs: 0.25,
            feedback: 0.5,
            ping_pong,
        };
        engine.set_delay(params).unwrap();
        click(
            &mut engine,
            Sends {
                delay: 1.0,
                ..Sends::default()
            },
        );
        let (mut left, mut right) = (vec![0.0f32; 60_000], vec![0.0f32; 60_000]);
        for (l, r) in left.chunks_mut(100).zip(right.chunks_mut(100)) {
            engine.process_planar_buffers(l, r);
        }
        // The dry click (centred: the mid the ping-pong takes is the click).
        let dry: Vec<f32> = left[..24].to_vec();
        let t = 12_000;
        for k in 1..=4usize {
            let level = 0.5f32.powi(k as i32 - 1);
            let (to_left, to_right) = match (ping_pong, k % 2) {
                (false, _) => (level, level),
                (true, 1) => (level, 0.0),
                (true, _) => (0.0, level),
            };
            let at = k * t;
            for (j, d) in dry.iter().enumerate() {
                let (l, r) = (left[at + j], right[at + j]);
                assert!(
                    (l - d * to_left).abs() < 1e-4,
                    "ping-pong {ping_pong}, echo {k}, frame {j}: L {l}"
                );
                assert!(
                    (r - d * to_right).abs() < 1e-4,
                    "ping-pong {ping_pong}, echo {k}, frame {j}: R {r}"
                );
            }
            // Silence just before each echo.
            assert!(left[at - 30..at - 2]
                .iter()
                .chain(&right[at - 30..at - 2])
                .all(|s| s.abs() < 1e-3));
        }
    }
}

#[test]
fn a_delay_time_change_glides_without_a_click() {
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .set_delay(DelayParams {
            time_secs: 0.1,
            feedback: 0.3,
            ping_pong: false,
        })
        .unwrap();
    let note = Note::new(Waveform::Sine, 220.0, HOLD)
        .with_amplitude(0.3)
        .with_sends(Sends {
            delay: 1.0,
            ..Sends::default()
        });
    engine.trigger(note).unwrap();
    let mut out = render_mono(&mut engine, 24_000, 256);
    engine
        .set_delay(DelayParams {
            time_secs: 0.31,
            feedback: 0.3,
            ping_pong: false,
        })
        .unwrap();
    out.extend(render_mono(&mut engine, 24_000, 256));
    let settled = max_step(&out[12_000..24_000]);
    let during = max_step(&out[24_000..]);
    println!("largest step: settled {settled:.4}, during the glide {during:.4}");
    assert!(
        during < 1.5 * settled,
        "a click: {during} against {settled}"
    );
}

#[test]
fn the_chorus_widens_a_note_and_its_depth_glides() {
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .set_chorus(ChorusParams {
            rate_hz: 1.0,
            depth: 0.0,
            voices: 3,
        })
        .unwrap();
    let note = Note::new(Waveform::Sine, 440.0, HOLD)
        .with_amplitude(0.3)
        .with_sends(Sends {
            chorus: 1.0,
            ..Sends::default()
        });
    engine.trigger(note).unwrap();
    let mut out = render_stereo(&mut engine, 24_000, 256);
    engine
        .set_chorus(ChorusParams {
            rate_hz: 1.0,
            depth: 1.0,
            voices: 3,
        })
        .unwrap();
    out.extend(render_stereo(&mut engine, 24_000, 256));
    let (left, right) = split_stereo(&out);
    assert!(
        left.iter().zip(&right).any(|(l, r)| (l - r).abs() > 0.01),
        "stereo spread"
    );
    let settled = max_step(&left[6_000..24_000]);
    let during = max_step(&left[24_000..]);
    assert!(
        during < 1.5 * settled,
        "a click: {during} against {settled}"
    );
    assert_bounded(&out);
}

#[test]
fn without_sends_the_output_is_dry_and_unchanged() {
    let play = |sends: Sends| {
        let mut engine = RealtimeEngine::new(RATE);
        engine
            .trigger(
                Note::new(Waveform::Sawtooth, 110.0, AdsrEnvelope::default()).with_sends(sends),
            )
            .unwrap();
        render_stereo(&mut engine, 4_800, 256)
    };
    let dry = play(Sends::default());
    let mut reference = RealtimeEngine::new(RATE);
    reference
        .trigger_note(Waveform::Sawtooth, 110.0, AdsrEnvelope::default())
        .unwrap();
    assert_eq!(dry, render_stereo(&mut reference, 4_800, 256));
    assert_ne!(
        dry,
        play(Sends {
            reverb: 0.5,
            ..Sends::default()
        })
    );
}

#[test]
fn group_sends_add_to_the_notes_own() {
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .set_group_sends(
            2,
            Sends {
                delay: 1.0,
                ..Sends::default()
            },
        )
        .unwrap();
    engine
        .set_delay(DelayParams {
            time_secs: 0.05,
            feedback: 0.0,
            ping_pong: false,
        })
        .unwrap();
    let mut data = vec![0.0f32; 64];
    data[0] = 1.0;
    let sample = SampleData::from_mono(data, RATE as u32).unwrap();
    engine
        .trigger(Note::new(Waveform::Sample(sample), 440.0, HOLD).with_group(2))
        .unwrap();
    let out = render_mono(&mut engine, 4_800, 256);
    // The echo 50 ms later is the click again, at the group's send level.
    for j in 0..24 {
        assert!(
            (out[2_400 + j] - out[j]).abs() < 1e-4,
            "the group's send, frame {j}: {}",
            out[2_400 + j]
        );
    }
    assert!(out[0] > 0.5);
}

#[test]
fn midi_cc91_and_cc93_set_the_channel_sends() {
    let mut engine = RealtimeEngine::new(RATE);
    let mut synth = MidiSynth::new();
    let cc = |controller, value| MidiMessage::ControlChange {
        channel: 0,
        controller,
        value,
    };
    synth.handle(&mut engine, cc(91, 127)).unwrap();
    synth.handle(&mut engine, cc(93, 64)).unwrap();
    synth
        .handle(
            &mut engine,
            MidiMessage::NoteOn {
                channel: 0,
                key: 60,
                velocity: 100,
            },
        )
        .unwrap();
    let voice = engine.active_voices().next().unwrap();
    let sends = voice.sends();
    assert_eq!(sends.reverb, 1.0);
    assert!((sends.chorus - 64.0 / 127.0).abs() < 1e-6);
    // A change reaches the held note.
    synth.handle(&mut engine, cc(91, 0)).unwrap();
    assert_eq!(engine.active_voices().next().unwrap().sends().reverb, 0.0);
    // A fresh channel starts at General MIDI's defaults: reverb 40, chorus 0.
    synth
        .handle(
            &mut engine,
            MidiMessage::NoteOn {
                channel: 1,
                key: 60,
                velocity: 100,
            },
        )
        .unwrap();
    let fresh = engine
        .active_voices()
        .find(|v| v.sends().reverb != 0.0)
        .unwrap()
        .sends();
    assert!((fresh.reverb - 40.0 / 127.0).abs() < 1e-6 && fresh.chorus == 0.0);
}

#[test]
fn effects_allocate_nothing_on_the_audio_side() {
    let (mut audio, mut control) = RealtimeEngine::new(RATE).split();
    let mut block = [0.0f32; 512];
    let mut counted = 0;
    for round in 0..400u32 {
        let sends = Sends {
            reverb: 0.3,
            chorus: 0.2,
            delay: (round % 3) as f32 * 0.3,
        };
        let id = control
            .trigger(
                Note::new(
                    Waveform::Sawtooth,
                    100.0 + round as f32,
                    AdsrEnvelope::default(),
                )
                .with_sends(sends),
            )
            .unwrap();
        control.release_note(id).unwrap();
        control
            .set_delay(DelayParams {
                time_secs: 0.1 + (round % 5) as f32 * 0.1,
                ..DelayParams::default()
            })
            .unwrap();
        control
            .set_reverb(ReverbParams {
                size: (round % 4) as f32 * 0.3,
                ..ReverbParams::default()
            })
            .unwrap();
        control
            .set_chorus(ChorusParams {
                depth: (round % 2) as f32,
                ..ChorusParams::default()
            })
            .unwrap();
        control
            .set_group_sends(
                0,
                Sends {
                    reverb: 0.1,
                    ..Sends::default()
                },
            )
            .unwrap();
        counted += count_allocations(|| audio.process_stereo_buffer(&mut block));
        counted += count_allocations(|| audio.process_buffer(&mut block[..256]));
        while control.take_ended_note().is_some() {}
    }
    assert_eq!(counted, 0);
}

#[test]
fn effect_settings_and_sends_apply_at_their_frame() {
    use polyphonica::At;
    for buffer in [1usize, 64, 256, 1000] {
        let (mut audio, mut control) = RealtimeEngine::new(RATE).split();
        // Both at frame 1000, in this order: the delay becomes 480 frames,
        // then a click sends everything to it.
        let params = DelayParams {
            time_secs: 0.01,
            feedback: 0.0,
            ping_pong: false,
        };
        control.at(At::Frame(1_000)).set_delay(params).unwrap();
        let mut data = vec![0.0f32; 64];
        data[0] = 1.0;
        let sample = SampleData::from_mono(data, RATE as u32).unwrap();
        let note = Note::new(Waveform::Sample(sample), 440.0, HOLD).with_sends(Sends {
            delay: 1.0,
            ..Sends::default()
        });
        control.at(At::Frame(1_000)).trigger(note).unwrap();
        let mut out = vec![0.0f32; 2_048];
        for chunk in out.chunks_mut(buffer) {
            audio.process_buffer(chunk);
        }
        let dry = &out[1_000..1_024];
        assert!(out[..1_000].iter().all(|s| *s == 0.0), "buffer {buffer}");
        assert!(dry[0] > 0.5, "buffer {buffer}: the click at frame 1000");
        // The echo is the click again, exactly 480 frames later.
        for (j, d) in dry.iter().enumerate() {
            let echo = out[1_480 + j];
            assert!(
                (echo - d).abs() < 1e-5,
                "buffer {buffer}, frame {j}: {echo} against {d}"
            );
        }
        assert!(
            out[1_100..1_470].iter().all(|s| s.abs() < 1e-3),
            "buffer {buffer}: nothing between"
        );
    }
}
