//! Patches, measured: a plain patch is the plain note; filters by spectrum;
//! vibrato by zero crossings; the modulation envelope; controllers at their
//! frame; unison spread; velocity; no allocation on the audio side.

mod common;
use std::sync::Arc;

use common::alloc_counter::count_allocations;
use common::*;
use polyphonica::fx::Sends;
use polyphonica::patch::{
    CurveShape, Filter, FilterMode, Lfo, LfoShape, ModCurve, ModSource, ModTarget, Modulation,
    Patch, PatchSource,
};
use polyphonica::{AdsrEnvelope, At, Event, EventTarget, Note, RealtimeEngine, Waveform};

const RATE: f32 = 48_000.0;
const HOLD: AdsrEnvelope = AdsrEnvelope {
    attack_secs: 0.0,
    decay_secs: 0.0,
    sustain_level: 1.0,
    release_secs: 0.0,
};

fn play(patch: Patch, hz: f32, velocity: f32, frames: usize) -> Vec<f32> {
    let mut engine = RealtimeEngine::new(RATE);
    let patch = Arc::new(patch);
    engine
        .trigger(
            Note::from_patch(&patch, hz)
                .with_velocity(velocity)
                .with_amplitude(0.4),
        )
        .unwrap();
    // (At 0.4 the limiter never acts: levels are the patch's own.)
    render_stereo(&mut engine, frames, 256)
}

/// Energy fraction above `hz` of `signal`, in dB.
fn energy_above_db(signal: &[f32], hz: f32) -> f64 {
    use rustfft::{num_complex::Complex, FftPlanner};
    let n = signal.len().next_power_of_two() / 2;
    let mut buf: Vec<Complex<f64>> = signal[..n]
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n as f64).cos();
            Complex::new(f64::from(x) * w, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let bin = f64::from(RATE) / n as f64;
    let (mut above, mut total) = (0.0, 0.0);
    for (i, c) in buf[1..n / 2].iter().enumerate() {
        let p = c.norm_sqr();
        total += p;
        if (i + 1) as f64 * bin > f64::from(hz) {
            above += p;
        }
    }
    10.0 * (above / total).log10()
}

#[test]
fn a_plain_patch_sounds_exactly_as_trigger_note() {
    for waveform in [
        Waveform::Sawtooth,
        Waveform::Pulse { duty_cycle: 0.3 },
        Waveform::Noise,
    ] {
        let env = AdsrEnvelope::new(0.01, 0.05, 0.6, 0.05);
        let mut a = RealtimeEngine::new(RATE);
        let mut b = RealtimeEngine::new(RATE);
        let ia = a.trigger_note(waveform.clone(), 220.0, env).unwrap();
        let patch = Arc::new(Patch::new(waveform).with_envelope(env));
        let ib = b.trigger(Note::from_patch(&patch, 220.0)).unwrap();
        let mut x = render_stereo(&mut a, 4000, 256);
        let mut y = render_stereo(&mut b, 4000, 256);
        a.release_note(ia);
        b.release_note(ib);
        x.extend(render_stereo(&mut a, 4000, 256));
        y.extend(render_stereo(&mut b, 4000, 256));
        assert_eq!(x, y);
    }
}

#[test]
fn a_lowpass_takes_the_highs_off_a_saw() {
    let saw = play(
        Patch::new(Waveform::Sawtooth).with_envelope(HOLD),
        110.0,
        1.0,
        32_768,
    );
    let filtered = play(
        Patch::new(Waveform::Sawtooth)
            .with_envelope(HOLD)
            .with_filter(Filter::lowpass(500.0, 0.0)),
        110.0,
        1.0,
        32_768,
    );
    let (l, _) = split_stereo(&saw);
    let (fl, _) = split_stereo(&filtered);
    let raw = energy_above_db(&l, 4000.0);
    let low = energy_above_db(&fl, 4000.0);
    println!("energy above 4 kHz: saw {raw:.1} dB, lowpass at 500 Hz {low:.1} dB");
    assert!(low < raw - 30.0);
    assert_bounded(&filtered);
}

/// The frequency of each half cycle, from the zero crossings.
fn instantaneous_hz(signal: &[f32]) -> Vec<(f64, f64)> {
    let mut crossings = vec![];
    for i in 1..signal.len() {
        if signal[i - 1] <= 0.0 && signal[i] > 0.0 {
            let frac = f64::from(-signal[i - 1]) / f64::from(signal[i] - signal[i - 1]);
            crossings.push((i - 1) as f64 + frac);
        }
    }
    crossings
        .windows(2)
        .map(|w| ((w[0] + w[1]) / 2.0, f64::from(RATE) / (w[1] - w[0])))
        .collect()
}

#[test]
fn vibrato_depth_and_rate_are_exact() {
    // A sine at 440 Hz, LFO 1 at 5 Hz moving the pitch ±1 semitone.
    let patch = Patch::new(Waveform::Sine)
        .with_envelope(HOLD)
        .with_lfo(1, Lfo::new(LfoShape::Sine, 5.0))
        .with_modulation(ModSource::Lfo1, ModTarget::Pitch, 1.0)
        .unwrap();
    let out = play(patch, 440.0, 1.0, 48_000 * 2);
    let (l, _) = split_stereo(&out);
    let hz = instantaneous_hz(&l);
    let (lo, hi) = hz.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &(_, f)| {
        (lo.min(f), hi.max(f))
    });
    let want_hi = 440.0 * 2f64.powf(1.0 / 12.0);
    let want_lo = 440.0 * 2f64.powf(-1.0 / 12.0);
    // The frequency rises through 440 Hz once per LFO cycle (first at
    // 0.2 s: the LFO starts there).
    let rises: Vec<f64> = hz
        .windows(2)
        .filter(|w| w[0].1 < 440.0 && w[1].1 >= 440.0)
        .map(|w| w[1].0 / f64::from(RATE))
        .collect();
    let period = (rises[rises.len() - 1] - rises[0]) / (rises.len() - 1) as f64;
    println!(
        "vibrato {lo:.2}..{hi:.2} Hz (want {want_lo:.2}..{want_hi:.2}), rate {:.4} Hz (want 5)",
        1.0 / period
    );
    assert!((hi / want_hi - 1.0).abs() < 0.003, "{hi}");
    assert!((lo / want_lo - 1.0).abs() < 0.003, "{lo}");
    assert_eq!(rises.len(), 9);
    assert!((1.0 / period - 5.0).abs() < 0.01, "{period}");
}

#[test]
fn a_notes_own_lfo_rate_speeds_its_vibrato() {
    // LFO 1 at 5 Hz moving the pitch ±1 semitone; the note's own rate
    // offset of one octave makes it 10 Hz.
    let patch = Arc::new(
        Patch::new(Waveform::Sine)
            .with_envelope(HOLD)
            .with_lfo(1, Lfo::new(LfoShape::Sine, 5.0))
            .with_modulation(ModSource::Lfo1, ModTarget::Pitch, 1.0)
            .unwrap(),
    );
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine.trigger(Note::from_patch(&patch, 440.0)).unwrap();
    engine
        .send(Event::SetNoteModulation {
            id,
            target: ModTarget::Lfo1Rate,
            amount: 1.0,
        })
        .unwrap();
    let out = render_mono(&mut engine, 48_000, 256);
    let rises: Vec<f64> = instantaneous_hz(&out)
        .windows(2)
        .filter(|w| w[0].1 < 440.0 && w[1].1 >= 440.0)
        .map(|w| w[1].0 / f64::from(RATE))
        .collect();
    let rate_hz = (rises.len() - 1) as f64 / (rises[rises.len() - 1] - rises[0]);
    println!("vibrato at the note's own rate: {rate_hz:.3} Hz (want 10)");
    assert!((rate_hz - 10.0).abs() < 0.05, "{rate_hz}");
}

#[test]
fn an_lfo_delay_and_fade_hold_the_vibrato_back() {
    let patch = Patch::new(Waveform::Sine)
        .with_envelope(HOLD)
        .with_lfo(1, Lfo::new(LfoShape::Sine, 6.0).with_delay(0.5, 0.5))
        .with_modulation(ModSource::Lfo1, ModTarget::Pitch, 2.0)
        .unwrap();
    let out = play(patch, 440.0, 1.0, 48_000 * 2);
    let (l, _) = split_stereo(&out);
    let hz = instantaneous_hz(&l);
    let spread = |from: f64, to: f64| {
        let v: Vec<f64> = hz
            .iter()
            .filter(|(t, _)| *t >= from * 48_000.0 && *t < to * 48_000.0)
            .map(|&(_, f)| f)
            .collect();
        v.iter().cloned().fold(0.0, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
    };
    let (still, fading, full) = (spread(0.0, 0.5), spread(0.5, 0.75), spread(1.2, 2.0));
    println!("pitch spread: delay {still:.2} Hz, fading in {fading:.2} Hz, full {full:.2} Hz");
    assert!(still < 0.5);
    assert!(fading > 1.0 && fading < full * 0.75);
    assert!((full / (440.0 * (2f64.powf(2.0 / 12.0) - 2f64.powf(-2.0 / 12.0))) - 1.0).abs() < 0.01);
}

#[test]
fn the_mod_envelope_opens_the_filter_in_its_time() {
    // Mod envelope: decay 0.1 s to 0; moves the cutoff 4 octaves up from
    // 200 Hz. The highs are there at first and gone after the decay.
    let patch = Patch::new(Waveform::Sawtooth)
        .with_envelope(HOLD)
        .with_filter(Filter::lowpass(200.0, 0.0))
        .with_mod_envelope(AdsrEnvelope::new(0.0, 0.1, 0.0, 0.0))
        .with_modulation(ModSource::ModEnvelope, ModTarget::Cutoff, 4.0)
        .unwrap();
    let out = play(patch, 110.0, 1.0, 48_000);
    let (l, _) = split_stereo(&out);
    let early = energy_above_db(&l[..2048], 1000.0);
    let late = energy_above_db(&l[8192..8192 + 2048], 1000.0);
    println!("energy above 1 kHz: first 43 ms {early:.1} dB, after the decay {late:.1} dB");
    assert!(early > late + 15.0);
}

/// A square whose modulation envelope (attack 0, decay 0.05 s to 0) on
/// amplitude −1 dips the gain: it rises from 0 to 1 over the decay.
fn mod_envelope_dip() -> Arc<Patch> {
    Arc::new(
        Patch::new(Waveform::Square)
            .with_envelope(HOLD)
            .with_mod_envelope(AdsrEnvelope::new(0.0, 0.05, 0.0, 0.0))
            .with_modulation(ModSource::ModEnvelope, ModTarget::Amplitude, -1.0)
            .unwrap(),
    )
}

#[test]
fn the_mod_envelope_is_timed_from_the_notes_frame() {
    // The mod envelope's amplitude dip (attack 0, decay 0.05 s to 0, on
    // amplitude -1: the gain rises from 0 to 1 in 50 ms) starts at the
    // note's frame, whatever the block.
    let patch = mod_envelope_dip();
    let mut levels = vec![];
    for start in [0u64, 100, 777] {
        let (mut audio, mut control) = RealtimeEngine::new(RATE).split();
        control
            .at(At::Frame(start))
            .trigger(Note::from_patch(&patch, 100.0).with_amplitude(0.25))
            .unwrap();
        let mut out = vec![0.0f32; 4800];
        for chunk in out.chunks_mut(128) {
            audio.process_buffer(chunk);
        }
        // Gain 25 ms (1200 frames) after the note.
        let at = start as usize + 1200;
        let level = out[at - 16..at + 16]
            .iter()
            .map(|x| x.abs())
            .fold(0.0, f32::max);
        let full = peak(&out[start as usize + 2600..start as usize + 3600]);
        levels.push(level / full);
    }
    println!(
        "level 25 ms into the note against its full level, at start frames 0/100/777: {levels:?}"
    );
    for l in &levels {
        assert!((l - 0.5).abs() < 0.03, "{l}");
    }
}

#[test]
fn a_notes_own_envelope_times_replace_its_patchs() {
    // As above, the mod envelope dips the gain: it rises from 0 to 1 over
    // the mod envelope's decay. The patch's decay is 50 ms; one note
    // brings its own 200 ms decay, another also a 50 ms hold first, a
    // third a 10 ms delay of its amplitude envelope.
    let patch = mod_envelope_dip();
    let slow = AdsrEnvelope::new(0.0, 0.2, 0.0, 0.0);
    let render = |note: Note| {
        let mut engine = RealtimeEngine::new(RATE);
        engine.trigger(note.with_amplitude(0.25)).unwrap();
        let (left, _) = split_stereo(&render_stereo(&mut engine, 24_000, 128));
        left
    };
    let gain_at = |out: &[f32], secs: f32| {
        let at = (secs * RATE) as usize;
        let level = peak(&out[at - 16..at + 16]);
        level / peak(&out[19_000..24_000])
    };
    let patchs = render(Note::from_patch(&patch, 100.0));
    let own = render(Note::from_patch(&patch, 100.0).with_mod_envelope(slow));
    let held = render(
        Note::from_patch(&patch, 100.0)
            .with_mod_envelope(slow)
            .with_mod_delay_hold(0.0, 0.05),
    );
    let figures = [
        ("patch's, 25 ms", gain_at(&patchs, 0.025), 0.5),
        ("patch's, 100 ms", gain_at(&patchs, 0.1), 1.0),
        ("own, 25 ms", gain_at(&own, 0.025), 0.125),
        ("own, 100 ms", gain_at(&own, 0.1), 0.5),
        ("held, 40 ms", gain_at(&held, 0.04), 0.0),
        ("held, 150 ms", gain_at(&held, 0.15), 0.5),
    ];
    for (what, got, want) in figures {
        println!("{what}: gain {got:.3} (want {want})");
        assert!((got - want).abs() < 0.03, "{what}: {got}");
    }
    // A delay of the amplitude envelope: 480 silent frames, on this patch
    // and on a plain one (which otherwise plays as a plain note).
    let plain = Arc::new(Patch::new(Waveform::Square).with_envelope(HOLD));
    for patch in [&patch, &plain] {
        let out = render(Note::from_patch(patch, 100.0).with_delay_hold(0.01, 0.0));
        let onset = out.iter().position(|&x| x != 0.0).unwrap();
        println!("a 10 ms delay: first sound at frame {onset}");
        assert!((480..=482).contains(&onset), "{onset}");
    }
}

#[test]
fn the_mod_wheel_reaches_the_channels_voices_at_its_frame() {
    let patch = Arc::new(
        Patch::new(Waveform::Square)
            .with_envelope(HOLD)
            .with_modulation(ModSource::ModWheel, ModTarget::Amplitude, -1.0)
            .unwrap(),
    );
    for block in [1usize, 64, 256, 1000] {
        let (mut audio, mut control) = RealtimeEngine::new(RATE).split();
        let note = |hz: f32, channel: u8| {
            Note::from_patch(&patch, hz)
                .with_channel(channel)
                .with_amplitude(0.25)
        };
        control.trigger(note(100.0, 3)).unwrap();
        control.trigger(note(150.0, 4)).unwrap();
        control
            .at(At::Frame(1000))
            .set_controller(3, 1, 1.0)
            .unwrap();
        let mut out = vec![0.0f32; 4000];
        for chunk in out.chunks_mut(block) {
            audio.process_buffer(chunk);
        }
        let before = peak(&out[900..1000]);
        // Channel 3's note goes silent within a control segment (64 frames); channel
        // 4's plays on alone.
        let after = peak(&out[1064..3000]);
        println!("block {block}: peak before {before:.3}, after {after:.3}");
        let alone = peak(&out[3000..]);
        assert!(before > 1.5 * alone, "{before}");
        assert!((after / alone - 1.0).abs() < 0.01, "{after}");
    }
}

#[test]
fn unison_spreads_detuned_copies_across_the_stereo_field() {
    let mono_patch = Patch::new(Waveform::Sawtooth).with_envelope(HOLD);
    let wide = Patch::new(Waveform::Sawtooth)
        .with_envelope(HOLD)
        .with_unison(4, 20.0, 1.0);
    let (l, r) = split_stereo(&play(mono_patch, 220.0, 1.0, 24_000));
    assert_eq!(l, r);
    let (l, r) = split_stereo(&play(wide, 220.0, 1.0, 24_000));
    let dot: f64 = l.iter().zip(&r).map(|(a, b)| f64::from(a * b)).sum();
    let norm = (l.iter().map(|a| f64::from(a * a)).sum::<f64>()
        * r.iter().map(|b| f64::from(b * b)).sum::<f64>())
    .sqrt();
    let corr = dot / norm;
    println!(
        "unison 4 copies over 20 cents, spread 1: L/R correlation {corr:.3}, rms {:.3}",
        rms(&l)
    );
    assert!(corr < 0.9, "{corr}");
    assert!(rms(&l) > 0.1 && peak(&l) <= 0.8);
}

#[test]
fn two_sources_mix_at_their_levels_and_detunes() {
    // Two sines a fifth apart (detune 702 cents), the second at half level.
    let patch = Patch::new(Waveform::Sine)
        .with_envelope(HOLD)
        .with_sources([
            PatchSource::new(Waveform::Sine),
            PatchSource::new(Waveform::Sine).with(0.5, 702.0),
        ])
        .unwrap();
    let (l, _) = split_stereo(&play(patch, 200.0, 1.0, 48_000));
    let spectrum = |hz: f64| {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &x) in l.iter().enumerate() {
            let w = std::f64::consts::TAU * hz * i as f64 / f64::from(RATE);
            re += f64::from(x) * w.cos();
            im += f64::from(x) * w.sin();
        }
        (re * re + im * im).sqrt() / l.len() as f64 * 2.0
    };
    let (a, b) = (spectrum(200.0), spectrum(200.0 * 2f64.powf(7.02 / 12.0)));
    println!("source levels {a:.3} and {b:.3} (note amplitude 0.4)");
    assert!((a - 0.4).abs() < 0.01 && (b - 0.2).abs() < 0.01);
}

#[test]
fn velocity_scales_the_gain_unless_the_patch_says_otherwise() {
    let p = || {
        Patch::new(Waveform::Square)
            .with_envelope(HOLD)
            .with_filter(Filter::lowpass(20_000.0, 0.0))
    };
    let full = peak(&play(p(), 100.0, 1.0, 4800)[2000..]);
    let half = peak(&play(p(), 100.0, 0.5, 4800)[2000..]);
    let ignored = peak(&play(p().with_velocity_to_gain(0.0), 100.0, 0.5, 4800)[2000..]);
    println!("peaks: velocity 1 {full:.3}, 0.5 {half:.3}, 0.5 ignored {ignored:.3}");
    assert!((half / full - 0.5).abs() < 0.01);
    assert!((ignored / full - 1.0).abs() < 0.01);
}

#[test]
fn every_filter_mode_plays_bounded_through_the_engine() {
    for mode in [
        FilterMode::Lowpass,
        FilterMode::Highpass,
        FilterMode::Bandpass,
        FilterMode::Notch,
        FilterMode::Ladder,
    ] {
        let patch = Patch::new(Waveform::Sawtooth)
            .with_envelope(HOLD)
            .with_filter(Filter {
                drive: 0.5,
                ..Filter::new(mode, 800.0, 0.9)
            })
            .with_lfo(2, Lfo::new(LfoShape::SampleAndHold, 13.0))
            .with_modulation(ModSource::Lfo2, ModTarget::Cutoff, 5.0)
            .unwrap();
        let out = play(patch, 55.0, 1.0, 48_000);
        assert_bounded(&out);
        assert!(rms(&out) > 0.01, "{mode:?}");
    }
}

#[test]
fn patches_allocate_nothing_on_the_audio_side() {
    let (mut audio, mut control) = RealtimeEngine::new(RATE).split();
    let patches: Vec<Arc<Patch>> = (0..5)
        .map(|i| {
            let mode = [
                FilterMode::Lowpass,
                FilterMode::Ladder,
                FilterMode::Bandpass,
                FilterMode::Highpass,
                FilterMode::Notch,
            ][i];
            Arc::new(
                Patch::new(Waveform::Sawtooth)
                    .with_unison(1 + i as u8, 15.0, 0.7)
                    .with_filter(Filter::new(mode, 500.0 + 300.0 * i as f32, 0.4))
                    .with_lfo(1, Lfo::new(LfoShape::Triangle, 3.0).free_running())
                    .with_modulation(ModSource::Lfo1, ModTarget::Cutoff, 1.0)
                    .unwrap()
                    .with_modulation(ModSource::ModWheel, ModTarget::Pitch, 0.5)
                    .unwrap()
                    .with_modulation(ModSource::Random, ModTarget::ReverbSend, 0.3)
                    .unwrap()
                    .with_slot(
                        Modulation::new(ModSource::Controller(74), ModTarget::Cutoff, 2.0)
                            .with_curve(ModCurve::new(CurveShape::Concave).falling())
                            .with_scale(ModSource::ModEnvelope),
                    )
                    .unwrap()
                    // A steady and a moving link.
                    .with_slot(Modulation::new(ModSource::Lfo1, ModTarget::Link(0), 0.5))
                    .unwrap()
                    .with_slot(Modulation::new(
                        ModSource::Constant,
                        ModTarget::Link(1),
                        0.5,
                    ))
                    .unwrap()
                    .with_slot(
                        Modulation::new(ModSource::Link(0), ModTarget::Pitch, 0.2)
                            .with_scale(ModSource::Link(1)),
                    )
                    .unwrap()
                    .with_sends(Sends {
                        delay: 0.2,
                        ..Sends::default()
                    }),
            )
        })
        .collect();
    let mut block = [0.0f32; 512];
    let mut counted = 0;
    for round in 0..300usize {
        // Each round's patch: the audio side may hold the last reference
        // of an earlier one once the controller side drops it.
        let patch = Arc::new((*patches[round % 5]).clone());
        // Every other note brings its own envelope times and MIDI key.
        let mut note = Note::from_patch(&patch, 60.0 + round as f32).with_velocity(0.7);
        if round % 2 == 1 {
            note = note
                .with_delay_hold(0.001, 0.01)
                .with_mod_envelope(AdsrEnvelope::new(0.01, 0.1, 0.5, 0.1))
                .with_mod_delay_hold(0.0, 0.02);
            note.midi_key = Some(round as u8 % 128);
        }
        let id = control.trigger(note).unwrap();
        control
            .send(Event::SetNoteSlotAmount {
                id,
                slot: (round % 5) as u8,
                amount: 0.5,
            })
            .unwrap();
        drop(patch);
        control
            .set_controller(0, 1, (round % 7) as f32 / 7.0)
            .unwrap();
        control.set_poly_pressure(id, 0.5).unwrap();
        if round % 3 == 0 {
            control.release_note(id).unwrap();
        }
        counted += count_allocations(|| audio.process_stereo_buffer(&mut block));
        counted += count_allocations(|| audio.process_buffer(&mut block[..256]));
        while control.take_ended_note().is_some() {}
        control.collect_garbage();
    }
    assert_eq!(counted, 0);
}

#[test]
fn the_mod_wheel_brings_in_the_general_midi_vibrato() {
    use polyphonica::midi::{MidiMessage, MidiSynth};
    let spread = |wheel: u8| {
        let mut engine = RealtimeEngine::new(RATE);
        let mut synth = MidiSynth::new();
        for m in [
            MidiMessage::ProgramChange {
                channel: 0,
                program: 72,
            }, // a pipe: a sine
            // No reverb: its tail would blur the zero crossings.
            MidiMessage::ControlChange {
                channel: 0,
                controller: 91,
                value: 0,
            },
            MidiMessage::ControlChange {
                channel: 0,
                controller: 1,
                value: wheel,
            },
            MidiMessage::NoteOn {
                channel: 0,
                key: 69,
                velocity: 100,
            },
        ] {
            synth.handle(&mut engine, m).unwrap();
        }
        let (l, _) = split_stereo(&render_stereo(&mut engine, 48_000, 256));
        let hz: Vec<f64> = instantaneous_hz(&l[9600..])
            .into_iter()
            .map(|(_, f)| f)
            .collect();
        hz.iter().cloned().fold(0.0, f64::max) - hz.iter().cloned().fold(f64::MAX, f64::min)
    };
    let (still, full) = (spread(0), spread(127));
    let want = 440.0 * (2f64.powf(0.5 / 12.0) - 2f64.powf(-0.5 / 12.0));
    println!("pitch spread: wheel down {still:.2} Hz, wheel up {full:.2} Hz (half a semitone each way: {want:.2})");
    assert!(still < 0.5);
    assert!((full / want - 1.0).abs() < 0.03, "{full}");
}

#[test]
fn general_midi_notes_are_brighter_played_harder() {
    use polyphonica::midi::{MidiMessage, MidiSynth};
    let highs = |velocity: u8, program: u8| {
        let mut engine = RealtimeEngine::new(RATE);
        let mut synth = MidiSynth::new();
        for m in [
            MidiMessage::ProgramChange {
                channel: 0,
                program,
            },
            MidiMessage::ControlChange {
                channel: 0,
                controller: 91,
                value: 0,
            },
            MidiMessage::NoteOn {
                channel: 0,
                key: 48,
                velocity,
            },
        ] {
            synth.handle(&mut engine, m).unwrap();
        }
        let (l, _) = split_stereo(&render_stereo(&mut engine, 16_384, 256));
        energy_above_db(&l, 4000.0)
    };
    for (program, family) in [(0, "piano"), (32, "bass"), (48, "strings"), (56, "brass")] {
        let (soft, hard) = (highs(30, program), highs(127, program));
        println!("{family}: energy above 4 kHz at velocity 30 {soft:.1} dB, at 127 {hard:.1} dB");
        assert!(hard > soft + 5.0, "{family}");
    }
}

/// Sets a source on the engine for the note.
type Setter = dyn Fn(&mut RealtimeEngine, polyphonica::VoiceId);

#[test]
fn every_controller_source_moves_its_target_smoothly() {
    // Each source on `amplitude` at -1: the gain is 1 - source.
    let level = |source: ModSource, set: &Setter| {
        let patch = Arc::new(
            Patch::new(Waveform::Sine)
                .with_envelope(HOLD)
                .with_modulation(source, ModTarget::Amplitude, -1.0)
                .unwrap(),
        );
        let mut engine = RealtimeEngine::new(RATE);
        let id = engine
            .trigger(
                Note::from_patch(&patch, 220.0)
                    .with_channel(5)
                    .with_amplitude(0.25),
            )
            .unwrap();
        let before = render_mono(&mut engine, 4800, 256);
        set(&mut engine, id);
        let after = render_mono(&mut engine, 4800, 256);
        let step = max_step(&after[..64]);
        (peak(&before[2400..]), peak(&after[2400..]), step)
    };
    let cases: [(&str, ModSource, f32, &Setter); 5] = [
        ("pressure", ModSource::Pressure, 0.0, &|e, _| {
            EventTarget::set_channel_pressure(e, 5, 1.0).unwrap()
        }),
        ("poly pressure", ModSource::PolyPressure, 0.0, &|e, id| {
            EventTarget::set_poly_pressure(e, id, 1.0).unwrap()
        }),
        ("pitch bend down", ModSource::PitchBend, 2.0, &|e, _| {
            EventTarget::set_pitch_bend(e, 5, -1.0).unwrap()
        }),
        ("cc74 at half", ModSource::Controller(74), 0.5, &|e, _| {
            EventTarget::set_controller(e, 5, 74, 0.5).unwrap()
        }),
        (
            "another channel's cc74",
            ModSource::Controller(74),
            1.0,
            &|e, _| EventTarget::set_controller(e, 4, 74, 1.0).unwrap(),
        ),
    ];
    for (name, source, ratio, set) in cases {
        let (before, after, step) = level(source, set);
        println!("{name}: level {before:.3} -> {after:.3} (want ×{ratio}), largest step after the change {step:.4}");
        assert!((after / before - ratio).abs() < 0.01, "{name}");
        // The change glides over a control segment. A jump of the level at
        // once would be a step of up to its size (0.125 to 0.25 here); the
        // sine's own steepest step is its level × 2π × 220 / 48000.
        let own = before.max(after) * std::f32::consts::TAU * 220.0 / RATE;
        assert!(step <= own * 1.25 + 0.002, "{name}: {step}");
    }
    // Key: A4 is 0.75 octave above middle C; random is drawn per note.
    let keyed = Arc::new(
        Patch::new(Waveform::Square)
            .with_envelope(HOLD)
            .with_modulation(ModSource::Key, ModTarget::Amplitude, -1.0)
            .unwrap(),
    );
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .trigger(Note::from_patch(&keyed, 440.0).with_amplitude(0.25))
        .unwrap();
    let a4 = peak(&render_mono(&mut engine, 4800, 256)[2400..]);
    let mut engine = RealtimeEngine::new(RATE);
    engine
        .trigger(Note::from_patch(&keyed, 261.6256).with_amplitude(0.25))
        .unwrap();
    let c4 = peak(&render_mono(&mut engine, 4800, 256)[2400..]);
    println!("key: A4 at {:.3} of middle C's level (want 0.25)", a4 / c4);
    assert!((a4 / c4 - 0.25).abs() < 0.01);
    let random = Arc::new(
        Patch::new(Waveform::Square)
            .with_envelope(HOLD)
            .with_modulation(ModSource::Random, ModTarget::Amplitude, -1.0)
            .unwrap(),
    );
    let mut engine = RealtimeEngine::new(RATE);
    let levels: Vec<f32> = (0..6)
        .map(|_| {
            let id = engine
                .trigger(Note::from_patch(&random, 220.0).with_amplitude(0.25))
                .unwrap();
            let l = peak(&render_mono(&mut engine, 2400, 256)[1200..]);
            engine.stop_all_notes();
            render_mono(&mut engine, 512, 256);
            let _ = id;
            l
        })
        .collect();
    println!("random: levels {levels:?}");
    assert!(levels.iter().all(|&l| (0.0..=0.26).contains(&l)));
    assert!(levels.windows(2).any(|w| (w[0] - w[1]).abs() > 0.01));
}

#[test]
fn a_slots_curve_shapes_its_source() {
    // Each slot moves `amplitude`: the gain is 1 + amount × the curve at
    // the source's place in its range. The standard's concave curve is
    // 0.1254 half way (−(40/96)·log10(0.5)).
    type Set = dyn Fn(&mut RealtimeEngine);
    type Change = dyn Fn(Note) -> Note;
    let level = |slot: Modulation, note: &Change, set: &Set| {
        let render = |patch: Patch| {
            let patch = Arc::new(patch.with_envelope(HOLD));
            let mut engine = RealtimeEngine::new(RATE);
            set(&mut engine);
            engine
                .trigger(note(Note::from_patch(&patch, 220.0).with_amplitude(0.25)))
                .unwrap();
            peak(&render_mono(&mut engine, 4800, 256)[2400..])
        };
        let patched = render(Patch::new(Waveform::Square).with_slot(slot).unwrap());
        // The same note with a slot that does nothing.
        let off = Modulation {
            amount: 0.0,
            ..slot
        };
        patched / render(Patch::new(Waveform::Square).with_slot(off).unwrap())
    };
    let amplitude = |source, amount, curve: Option<ModCurve>| Modulation {
        curve,
        ..Modulation::new(source, ModTarget::Amplitude, amount)
    };
    let concave = ModCurve::new(CurveShape::Concave);
    let half_concave = 0.125_42;
    let cc74_at_half: &Set = &|e| EventTarget::set_controller(e, 0, 74, 0.5).unwrap();
    let unset: &Set = &|_| {};
    let same = |n: Note| n;
    let bend_up_half: &Set = &|e| EventTarget::set_pitch_bend(e, 0, 0.5).unwrap();
    let cases: [(&str, Modulation, &Change, &Set, f32); 12] = [
        (
            "velocity scaled by cc74 at half through a concave curve",
            amplitude(ModSource::Velocity, -1.0, None)
                .with_scale(ModSource::Controller(74))
                .with_scale_curve(concave),
            &same,
            cc74_at_half,
            1.0 - half_concave,
        ),
        (
            "wheel up half, absolute",
            amplitude(ModSource::PitchBend, -0.5, None).absolute(),
            &same,
            bend_up_half,
            1.25,
        ),
        (
            "velocity scaled by cc74 at half",
            amplitude(ModSource::Velocity, -1.0, None).with_scale(ModSource::Controller(74)),
            &same,
            cc74_at_half,
            0.5,
        ),
        (
            "cc74 half, concave",
            amplitude(ModSource::Controller(74), -1.0, Some(concave)),
            &same,
            cc74_at_half,
            1.0 - half_concave,
        ),
        (
            "cc74 half, convex",
            amplitude(
                ModSource::Controller(74),
                -1.0,
                Some(ModCurve::new(CurveShape::Convex)),
            ),
            &same,
            cc74_at_half,
            half_concave,
        ),
        (
            "cc74 at rest, falling line",
            amplitude(
                ModSource::Controller(74),
                -0.5,
                Some(ModCurve::new(CurveShape::Linear).falling()),
            ),
            &same,
            unset,
            0.5,
        ),
        (
            "wheel up half, bipolar switch",
            amplitude(
                ModSource::PitchBend,
                -0.5,
                Some(ModCurve::new(CurveShape::Switch).bipolar()),
            ),
            &same,
            &|e| EventTarget::set_pitch_bend(e, 0, 0.5).unwrap(),
            0.5,
        ),
        (
            "wheel down half, bipolar switch",
            amplitude(
                ModSource::PitchBend,
                -0.5,
                Some(ModCurve::new(CurveShape::Switch).bipolar()),
            ),
            &same,
            &|e| EventTarget::set_pitch_bend(e, 0, -0.5).unwrap(),
            1.5,
        ),
        (
            "velocity half, falling concave",
            amplitude(ModSource::Velocity, -1.0, Some(concave.falling())),
            &|n: Note| n.with_velocity(0.5),
            unset,
            1.0 - half_concave,
        ),
        (
            "key 127, line",
            amplitude(
                ModSource::Key,
                -0.5,
                Some(ModCurve::new(CurveShape::Linear)),
            ),
            &|n: Note| Note {
                midi_key: Some(127),
                ..n
            },
            unset,
            0.5,
        ),
        (
            "key 0, line",
            amplitude(
                ModSource::Key,
                -0.5,
                Some(ModCurve::new(CurveShape::Linear)),
            ),
            &|n: Note| Note {
                midi_key: Some(0),
                ..n
            },
            unset,
            1.0,
        ),
        (
            "key 72, no curve",
            amplitude(ModSource::Key, -0.5, None),
            &|n: Note| Note {
                midi_key: Some(72),
                ..n
            },
            unset,
            0.5,
        ),
    ];
    for (name, slot, note, set, want) in cases {
        let got = level(slot, note, set);
        println!("{name}: gain {got:.4} (want {want:.4})");
        assert!((got - want).abs() < 0.005, "{name}: {got}");
    }
}

/// A patch of `waveform` with `slots` in its matrix.
fn with_slots(waveform: Waveform, slots: &[Modulation]) -> Patch {
    slots
        .iter()
        .fold(Patch::new(waveform), |p, &s| p.with_slot(s).unwrap())
}

/// `frames` of a note of `patch` (held at full level) at 440 Hz, mono,
/// with `controllers` of channel 0 set before it starts.
fn render_at_440(patch: Patch, controllers: &[(u8, f32)], frames: usize) -> Vec<f32> {
    let patch = Arc::new(patch.with_envelope(HOLD));
    let mut engine = RealtimeEngine::new(RATE);
    for &(cc, value) in controllers {
        EventTarget::set_controller(&mut engine, 0, cc, value).unwrap();
    }
    engine
        .trigger(Note::from_patch(&patch, 440.0).with_amplitude(0.25))
        .unwrap();
    render_mono(&mut engine, frames, 256)
}

/// The gain of a square through `slots` against the plain square's, with
/// `controllers` set: their peaks over 50 to 100 ms.
fn square_gain(slots: &[Modulation], controllers: &[(u8, f32)]) -> f32 {
    let peak_of = |patch| peak(&render_at_440(patch, controllers, 4800)[2400..]);
    peak_of(with_slots(Waveform::Square, slots)) / peak_of(Patch::new(Waveform::Square))
}

#[test]
fn links_sum_slots_for_a_curve_or_a_third_factor() {
    use polyphonica::patch::PatchError;
    // Controllers 74 at 0.5, 75 at 0.25, 1 (the wheel) and 2 at 0.5.
    let controllers = [(74, 0.5), (75, 0.25), (1, 0.5), (2, 0.5)];
    let slot = Modulation::new;
    let half_concave = 0.125_42;
    let gains = [
        (
            // 0.5 × 0.5 + 0.25 × 1 = 0.5 in link 0, through the concave
            // curve: 0.1254 off the gain.
            "two controllers summed, read through a concave curve",
            vec![
                slot(ModSource::Controller(74), ModTarget::Link(0), 0.5),
                slot(ModSource::Controller(75), ModTarget::Link(0), 1.0),
                slot(ModSource::Link(0), ModTarget::Amplitude, -1.0)
                    .with_curve(ModCurve::new(CurveShape::Concave)),
            ],
            1.0 - half_concave,
        ),
        (
            "a constant 0.5 in link 3, times -0.5 on the gain",
            vec![
                slot(ModSource::Constant, ModTarget::Link(3), 0.5),
                slot(ModSource::Link(3), ModTarget::Amplitude, -0.5),
            ],
            0.75,
        ),
        (
            // Three factors: the wheel (0.5) × cc2 (0.5) × cc74 (0.5).
            "wheel × cc2 in a link, scaled by cc74",
            vec![
                slot(ModSource::ModWheel, ModTarget::Link(1), 1.0)
                    .with_scale(ModSource::Controller(2)),
                slot(ModSource::Link(1), ModTarget::Amplitude, -4.0)
                    .with_scale(ModSource::Controller(74)),
            ],
            0.5,
        ),
    ];
    for (name, slots, want) in gains {
        let got = square_gain(&slots, &controllers);
        println!("{name}: gain {got:.4} (want {want:.4})");
        assert!((got - want).abs() < 0.005, "{name}: {got}");
    }

    // Vibratos, by zero crossings of a sine at 440 Hz: the lowest and the
    // highest pitch, in semitones.
    let lfo = Lfo::new(LfoShape::Sine, 5.0);
    let swing = |slots: &[Modulation]| {
        let patch = with_slots(Waveform::Sine, slots)
            .with_lfo(1, lfo)
            .with_lfo(2, lfo);
        let hz = instantaneous_hz(&render_at_440(patch, &controllers, 48_000));
        let semis = |f: f64| 12.0 * (f / 440.0).log2();
        hz.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &(_, f)| {
            (lo.min(semis(f)), hi.max(semis(f)))
        })
    };
    let vibratos = [
        (
            // LFO 2 × the wheel (0.5) × cc2 (0.5) × 2 semitones: ±0.5.
            "a vibrato as deep as the wheel times cc2",
            vec![
                slot(ModSource::ModWheel, ModTarget::Link(0), 1.0)
                    .with_scale(ModSource::Controller(2)),
                slot(ModSource::Link(0), ModTarget::Pitch, 2.0).with_scale(ModSource::Lfo2),
            ],
            (-0.5, 0.5),
        ),
        (
            // An LFO fed into a link that moves within the block: 0.5 +
            // 0.5 × LFO 1 is 0 to 1, read as it is.
            "LFO 1 and a constant in a link, one way only",
            vec![
                slot(ModSource::Lfo1, ModTarget::Link(2), 0.5),
                slot(ModSource::Constant, ModTarget::Link(2), 0.5),
                slot(ModSource::Link(2), ModTarget::Pitch, 1.0),
            ],
            (0.0, 1.0),
        ),
    ];
    for (name, slots, (want_lo, want_hi)) in vibratos {
        let (lo, hi) = swing(&slots);
        println!("{name}: {lo:+.3}..{hi:+.3} semitones (want {want_lo:+.1}..{want_hi:+.1})");
        assert!(
            (lo - want_lo).abs() < 0.02 && (hi - want_hi).abs() < 0.02,
            "{name}"
        );
    }

    // A link is fed before it is read, and there are four.
    let read_first = Patch::new(Waveform::Sine)
        .with_slot(slot(ModSource::Link(0), ModTarget::Pitch, 1.0))
        .unwrap()
        .with_slot(slot(ModSource::Velocity, ModTarget::Link(0), 1.0));
    assert_eq!(read_first.unwrap_err(), PatchError::LinkOrder);
    let itself = slot(ModSource::Link(1), ModTarget::Link(1), 1.0);
    assert!(Patch::new(Waveform::Sine).with_slot(itself).is_err());
    let fifth = slot(ModSource::Velocity, ModTarget::Link(4), 1.0);
    assert!(Patch::new(Waveform::Sine).with_slot(fifth).is_err());
}

#[test]
fn the_level_target_moves_the_gain_in_decibels() {
    // Controller 74 at 0.5.
    let gain = |slots: &[Modulation]| square_gain(slots, &[(74, 0.5)]);
    let level = |amount| Modulation::new(ModSource::Controller(74), ModTarget::LevelDb, amount);
    let half_db = 20.0 * 0.5f32.log10();
    let cases = [
        ("cc74 half of -12 dB", vec![level(2.0 * half_db)], 0.5),
        ("cc74 half of +12 dB", vec![level(-2.0 * half_db)], 2.0),
        (
            "-6 dB of level and +100 % of amplitude",
            vec![
                level(2.0 * half_db),
                Modulation::new(ModSource::Controller(74), ModTarget::Amplitude, 2.0),
            ],
            1.0,
        ),
    ];
    for (name, slots, want) in cases {
        let got = gain(&slots);
        println!("{name}: gain {got:.4} (want {want:.4})");
        assert!((got - want).abs() < 0.005 * want, "{name}: {got}");
    }
}

#[test]
fn a_notes_own_slot_amounts_replace_its_patchs() {
    // Slot 0: velocity on amplitude at −1 (silent at velocity 1); slot 1:
    // LFO 1 on pitch at 0 (still); slot 2: the velocity on pitch scaled
    // by LFO 2, at 0. One note sets its own amounts for all three.
    let patch = Arc::new(
        Patch::new(Waveform::Sine)
            .with_envelope(HOLD)
            .with_lfo(1, Lfo::new(LfoShape::Sine, 5.0))
            .with_lfo(2, Lfo::new(LfoShape::Sine, 7.0))
            .with_modulation(ModSource::Velocity, ModTarget::Amplitude, -1.0)
            .unwrap()
            .with_modulation(ModSource::Lfo1, ModTarget::Pitch, 0.0)
            .unwrap()
            .with_scaled_modulation(ModSource::Velocity, ModSource::Lfo2, ModTarget::Pitch, 0.0)
            .unwrap(),
    );
    let play = |amounts: &[(u8, f32)]| {
        let mut engine = RealtimeEngine::new(RATE);
        let id = engine
            .trigger(Note::from_patch(&patch, 440.0).with_amplitude(0.25))
            .unwrap();
        for &(slot, amount) in amounts {
            engine
                .send(Event::SetNoteSlotAmount { id, slot, amount })
                .unwrap();
        }
        let out = render_mono(&mut engine, 48_000, 256);
        let hz = instantaneous_hz(&out);
        let (lo, hi) = hz.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &(_, f)| {
            (lo.min(f), hi.max(f))
        });
        (peak(&out), lo, hi)
    };
    let (silent, _, _) = play(&[]);
    assert_eq!(silent, 0.0);
    let semitone = 2f64.powf(1.0 / 12.0);
    // Its own: half the level, a vibrato of ±1 semitone from LFO 1, and
    // one of ±0.5 from LFO 2 (through slot 2, whose LFO is its scale).
    for (amounts, depth) in [
        (vec![(0, -0.5), (1, 1.0)], 1.0),
        (vec![(0, -0.5), (2, 0.5)], 0.5),
        // A slot the patch does not have is ignored.
        (vec![(0, -0.5), (9, 1.0)], 0.0),
    ] {
        let (level, lo, hi) = play(&amounts);
        let want = (440.0 / semitone.powf(depth), 440.0 * semitone.powf(depth));
        println!(
            "own amounts {amounts:?}: level {level:.3}, {lo:.2}..{hi:.2} Hz (want {want:.2?})"
        );
        assert!((level - 0.125).abs() < 0.002, "{level}");
        assert!((lo / want.0 - 1.0).abs() < 0.004 && (hi / want.1 - 1.0).abs() < 0.004);
    }
}

#[test]
fn a_free_running_lfo_follows_the_engines_clock_a_restarted_one_the_note() {
    // A 10 Hz square LFO on amplitude -1: silent while it is high (its
    // first half cycle). A note started at 0.025 s: a restarted LFO is
    // high from the note on; a free one is halfway through its high half.
    let silent_frames = |lfo: Lfo| {
        let patch = Arc::new(
            Patch::new(Waveform::Square)
                .with_envelope(HOLD)
                .with_lfo(1, lfo)
                .with_modulation(ModSource::Lfo1, ModTarget::Amplitude, -1.0)
                .unwrap(),
        );
        let mut engine = RealtimeEngine::new(RATE);
        render_mono(&mut engine, 1200, 256); // 25 ms of the engine's clock
        engine
            .trigger(Note::from_patch(&patch, 220.0).with_amplitude(0.25))
            .unwrap();
        let out = render_mono(&mut engine, 4800, 256);
        // Frames until the first loud stretch.
        out.iter().position(|x| x.abs() > 0.1).unwrap()
    };
    let restarted = silent_frames(Lfo::new(LfoShape::Square, 10.0));
    let free = silent_frames(Lfo::new(LfoShape::Square, 10.0).free_running());
    println!("silent for {restarted} frames (restarted) and {free} frames (free-running)");
    assert!((restarted as i32 - 2400).abs() <= 40, "{restarted}");
    assert!((free as i32 - 1200).abs() <= 40, "{free}");
}

#[test]
fn a_patch_and_its_matrix_feed_the_effect_sends() {
    use polyphonica::fx::ReverbParams;
    // A short note; what is left a second after it ended is the reverb's
    // tail, there only if the note sent to the reverb.
    let tail = |patch: Patch, velocity: f32| {
        let patch = Arc::new(patch.with_envelope(AdsrEnvelope::new(0.001, 0.0, 1.0, 0.01)));
        let mut engine = RealtimeEngine::new(RATE);
        EventTarget::set_reverb(
            &mut engine,
            ReverbParams {
                decay_secs: 4.0,
                ..ReverbParams::default()
            },
        )
        .unwrap();
        let id = engine
            .trigger(Note::from_patch(&patch, 220.0).with_velocity(velocity))
            .unwrap();
        render_stereo(&mut engine, 4800, 256);
        engine.release_note(id);
        let out = render_stereo(&mut engine, 96_000, 256);
        rms(&out[48_000..])
    };
    let dry = tail(Patch::new(Waveform::Sawtooth), 1.0);
    let by_patch = tail(
        Patch::new(Waveform::Sawtooth).with_sends(Sends {
            reverb: 0.5,
            ..Sends::default()
        }),
        1.0,
    );
    let by_velocity = |v| {
        tail(
            Patch::new(Waveform::Sawtooth)
                .with_modulation(ModSource::Velocity, ModTarget::ReverbSend, 0.5)
                .unwrap(),
            v,
        )
    };
    let (soft, hard) = (by_velocity(0.2), by_velocity(1.0));
    println!("reverb tail rms: no send {dry:.5}, the patch's send {by_patch:.5}, velocity 0.2 {soft:.5}, velocity 1 {hard:.5}");
    assert_eq!(dry, 0.0);
    assert!(by_patch > 1e-3);
    assert!(
        (hard / by_patch - 1.0).abs() < 0.05,
        "the matrix's 0.5 at velocity 1 is the patch's 0.5"
    );
    // Velocity 0.2 scales the gain (0.2) and the send (0.2 × 0.5): the
    // tail is 0.04 of the full one.
    assert!((soft / hard - 0.04).abs() < 0.006, "{soft} {hard}");
}

#[test]
fn a_notes_own_modulation_moves_only_that_note_at_its_frame() {
    use polyphonica::Event;
    let patch = Arc::new(
        Patch::new(Waveform::Sine)
            .with_envelope(HOLD)
            .with_lfo(2, Lfo::new(LfoShape::Sine, 5.0))
            .with_scaled_modulation(ModSource::Lfo2, ModSource::Vibrato, ModTarget::Pitch, 1.0)
            .unwrap(),
    );
    let mut engine = RealtimeEngine::new(RATE);
    let note = |hz| Note::from_patch(&patch, hz).with_amplitude(0.3);
    let low = engine.trigger(note(220.0)).unwrap();
    let high = engine.trigger(note(440.0)).unwrap();
    render_mono(&mut engine, 4800, 256);
    // An octave up on the low note, silence on the high one.
    engine
        .send(Event::SetNoteModulation {
            id: low,
            target: ModTarget::Pitch,
            amount: 12.0,
        })
        .unwrap();
    engine
        .send(Event::SetNoteModulation {
            id: high,
            target: ModTarget::Amplitude,
            amount: -1.0,
        })
        .unwrap();
    // Non-finite amounts change nothing.
    engine
        .send(Event::SetNoteModulation {
            id: low,
            target: ModTarget::Pitch,
            amount: f32::NAN,
        })
        .unwrap();
    let out = render_mono(&mut engine, 9600, 256);
    let hz = zero_crossing_hz(&out[4800..], RATE);
    println!("low note with +12 semitones of its own, high note at gain 0: {hz:.2} Hz");
    assert!((hz - 440.0).abs() < 1.0, "{hz}");
    // Back to no offset: the low note at 220 Hz again, the high one back.
    engine
        .send(Event::SetNoteModulation {
            id: low,
            target: ModTarget::Pitch,
            amount: 0.0,
        })
        .unwrap();
    engine
        .send(Event::SetNoteModulation {
            id: high,
            target: ModTarget::Amplitude,
            amount: 0.0,
        })
        .unwrap();
    let out = render_mono(&mut engine, 9600, 256);
    assert!(max_step(&out) < 0.2, "a click: {}", max_step(&out));
    let both = rms(&out[4800..]);
    assert!(both > 0.25, "{both}");

    // Vibrato depth 1: the pitch of the note swings ±1 semitone at 5 Hz;
    // depth 0 (the default) leaves it still.
    let mut engine = RealtimeEngine::new(RATE);
    let id = engine.trigger(note(440.0)).unwrap();
    let still = render_stereo(&mut engine, 24_000, 256);
    engine
        .send(Event::SetNoteVibrato { id, depth: 1.0 })
        .unwrap();
    let moving = render_stereo(&mut engine, 48_000, 256);
    let spread = |s: &[f32]| {
        let (l, _) = split_stereo(s);
        let hz = instantaneous_hz(&l);
        hz.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &(_, f)| {
            (lo.min(f), hi.max(f))
        })
    };
    let (lo, hi) = spread(&still);
    assert!(hi - lo < 0.5, "{lo}..{hi}");
    let (lo, hi) = spread(&moving);
    println!("vibrato expression at depth 1: {lo:.2}..{hi:.2} Hz");
    assert!(
        (hi / (440.0 * 2f64.powf(1.0 / 12.0)) - 1.0).abs() < 0.003,
        "{hi}"
    );
    assert!(
        (lo / (440.0 * 2f64.powf(-1.0 / 12.0)) - 1.0).abs() < 0.003,
        "{lo}"
    );
}
