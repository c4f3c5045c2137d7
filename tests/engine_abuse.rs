//! Property tests over arbitrary call sequences: whatever the calls, no
//! panic, and every sample finite and within [-1, 1].

mod common;
use common::*;
use polyphonica::patch::Patch;
use polyphonica::{AdsrEnvelope, Event, EventTarget, Note, RealtimeEngine, SampleData, Waveform};
use proptest::prelude::*;
use std::sync::Arc;

#[derive(Clone, Debug)]
enum Call {
    Trigger {
        waveform: u8,
        frequency: f32,
        env: [f32; 4],
        amplitude: f32,
        pan: f32,
        duty: f32,
    },
    Release(usize),
    SetFrequency(usize, f32),
    SetAmplitude(usize, f32),
    SetPan(usize, f32),
    SetDuty(usize, f32),
    Master(f32),
    ReleaseAll,
    StopAll,
    Mono(usize),
    Stereo(usize),
    Planar(usize),
    Group(u8, f32),
    Fade(u8, f32, f32),
    ReleaseGroup(u8),
    StopGroup(u8),
    Ramp(usize, f32, f32),
    Sweep(usize, f32, f32),
    TriggerPatch {
        shape: [u8; 6],
        values: [f32; 8],
    },
    Controller(u8, u8, f32),
    Bend(u8, f32),
    Pressure(u8, f32),
    PolyPressure(usize, f32),
    SlotAmount(usize, u8, f32),
}

/// A patch from raw numbers, any of them absurd.
fn patch_of(shape: [u8; 6], v: [f32; 8], sample: &SampleData) -> Patch {
    use polyphonica::patch::*;
    let mode = [
        FilterMode::Lowpass,
        FilterMode::Highpass,
        FilterMode::Bandpass,
        FilterMode::Notch,
        FilterMode::Ladder,
    ][usize::from(shape[0] % 5)];
    let sources = [
        ModSource::Velocity,
        ModSource::Key,
        ModSource::ModEnvelope,
        ModSource::Lfo1,
        ModSource::Lfo2,
        ModSource::ModWheel,
        ModSource::Pressure,
        ModSource::PolyPressure,
        ModSource::PitchBend,
        ModSource::Controller(shape[5] % 128),
        ModSource::Random,
        ModSource::Constant,
        ModSource::Link(shape[2] % 4),
        ModSource::Link(shape[3] % 4),
    ];
    // Every named target, and the links (a slot feeding a link read before
    // it is refused, and the patch goes on without it).
    let targets: Vec<ModTarget> = ModTarget::NAMES
        .iter()
        .filter_map(|name| ModTarget::from_name(name))
        .chain((0..4).map(ModTarget::Link))
        .collect();
    let waveform = match shape[1] % 4 {
        0 => Waveform::Sawtooth,
        1 => Waveform::Pulse { duty_cycle: v[7] },
        2 => Waveform::Noise,
        _ => Waveform::Sample(sample.clone()),
    };
    let shapes = [
        LfoShape::Sine,
        LfoShape::Triangle,
        LfoShape::Square,
        LfoShape::Saw,
        LfoShape::SampleAndHold,
    ];
    let mut patch = Patch::new(waveform)
        .with_sources([
            PatchSource::new(Waveform::Sawtooth).with(v[0], v[1]),
            PatchSource::new(Waveform::Square).with(v[2], v[3]),
        ])
        .unwrap()
        .with_unison(shape[2], v[1], v[2])
        .with_filter(Filter {
            drive: v[4],
            ..Filter::new(mode, v[5], v[6])
        })
        .with_lfo(
            1,
            Lfo::new(shapes[usize::from(shape[3] % 5)], v[7]).with_delay(v[0], v[1]),
        )
        .with_lfo(
            2,
            Lfo::new(shapes[usize::from(shape[4] % 5)], v[6]).free_running(),
        )
        .with_mod_envelope(AdsrEnvelope::new(v[0], v[1], v[2], v[3]))
        .with_delay_hold(v[4] * 0.01, v[5] * 0.0001);
    for k in 0..usize::from(shape[5] % 17) {
        let target = targets[(k * 7 + usize::from(shape[4])) % targets.len()];
        let source = sources[(k * 5 + usize::from(shape[3])) % sources.len()];
        let before = patch.clone();
        patch = if k % 3 == 0 {
            patch.with_scaled_modulation(source, sources[k % sources.len()], target, v[k % 8])
        } else if k % 3 == 1 {
            // Through a curve: shape, direction and polarity from the bits.
            let bits = shape[(k + 1) % 6];
            let shapes = [
                CurveShape::Linear,
                CurveShape::Concave,
                CurveShape::Convex,
                CurveShape::Switch,
            ];
            let curve = ModCurve {
                shape: shapes[usize::from(bits % 4)],
                falling: bits & 4 != 0,
                bipolar: bits & 8 != 0,
            };
            patch.with_slot(Modulation::new(source, target, v[k % 8]).with_curve(curve))
        } else {
            patch.with_modulation(source, target, v[k % 8])
        }
        .unwrap_or(before);
    }
    patch
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => -2.0f32..2.0,
        2 => 0.0f32..30_000.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(f32::MAX),
        1 => Just(-f32::MAX),
        1 => Just(f32::MIN_POSITIVE),
        1 => Just(0.0f32),
        1 => proptest::num::f32::ANY,
    ]
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        4 => (0u8..7, any_f32(), [any_f32(), any_f32(), any_f32(), any_f32()], any_f32(), any_f32(), any_f32())
            .prop_map(|(waveform, frequency, env, amplitude, pan, duty)| Call::Trigger { waveform, frequency, env, amplitude, pan, duty }),
        2 => (0usize..64).prop_map(Call::Release),
        1 => (0usize..64, any_f32()).prop_map(|(i, v)| Call::SetFrequency(i, v)),
        1 => (0usize..64, any_f32()).prop_map(|(i, v)| Call::SetAmplitude(i, v)),
        1 => (0usize..64, any_f32()).prop_map(|(i, v)| Call::SetPan(i, v)),
        1 => (0usize..64, any_f32()).prop_map(|(i, v)| Call::SetDuty(i, v)),
        1 => any_f32().prop_map(Call::Master),
        1 => Just(Call::ReleaseAll),
        1 => Just(Call::StopAll),
        3 => (0usize..1500).prop_map(Call::Mono),
        3 => (0usize..1500).prop_map(Call::Stereo),
        2 => (0usize..1500).prop_map(Call::Planar),
        1 => (any::<u8>(), any_f32()).prop_map(|(g, v)| Call::Group(g, v)),
        1 => (any::<u8>(), any_f32(), any_f32()).prop_map(|(g, v, t)| Call::Fade(g, v, t)),
        1 => any::<u8>().prop_map(Call::ReleaseGroup),
        1 => any::<u8>().prop_map(Call::StopGroup),
        1 => (0usize..64, any_f32(), any_f32()).prop_map(|(i, v, t)| Call::Ramp(i, v, t)),
        1 => (0usize..64, any_f32(), any_f32()).prop_map(|(i, v, t)| Call::Sweep(i, v, t)),
        3 => (any::<[u8; 6]>(), [any_f32(), any_f32(), any_f32(), any_f32(), any_f32(), any_f32(), any_f32(), any_f32()])
            .prop_map(|(shape, values)| Call::TriggerPatch { shape, values }),
        1 => (any::<u8>(), any::<u8>(), any_f32()).prop_map(|(c, n, v)| Call::Controller(c, n, v)),
        1 => (any::<u8>(), any_f32()).prop_map(|(c, v)| Call::Bend(c, v)),
        1 => (any::<u8>(), any_f32()).prop_map(|(c, v)| Call::Pressure(c, v)),
        1 => (0usize..64, any_f32()).prop_map(|(i, v)| Call::PolyPressure(i, v)),
        1 => (0usize..64, any::<u8>(), any_f32()).prop_map(|(i, s, v)| Call::SlotAmount(i, s, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_call_sequence_keeps_the_output_bounded(
        rate in prop_oneof![Just(44_100.0f32), Just(8_000.0), Just(192_000.0), any_f32()],
        voices in 1usize..40,
        calls in proptest::collection::vec(call(), 1..120),
    ) {
        let sample = SampleData::from_mono(sine_frames(300.0, 22_050, 0.05, 1.0), 22_050).unwrap();
        let looped = sample.clone().with_loop(10, 500).unwrap();
        let mut engine = RealtimeEngine::with_voices(rate, voices);
        let mut ids = Vec::new();
        let mut buf = vec![0.0f32; 3000];
        for c in calls {
            match c {
                Call::Trigger { waveform, frequency, env, amplitude, pan, duty } => {
                    let w = match waveform {
                        0 => Waveform::Sine,
                        1 => Waveform::Square,
                        2 => Waveform::Sawtooth,
                        3 => Waveform::Triangle,
                        4 => Waveform::Pulse { duty_cycle: duty },
                        5 => Waveform::Noise,
                        _ => Waveform::Sample(if duty > 0.0 { looped.clone() } else { sample.clone() }),
                    };
                    let note = Note::new(w, frequency, AdsrEnvelope::new(env[0] * 0.01, env[1] * 0.01, env[2], env[3] * 0.01))
                        .with_amplitude(amplitude)
                        .with_pan(pan)
                        .with_group(waveform.wrapping_mul(37));
                    if let Some(id) = engine.trigger(note) {
                        ids.push(id);
                    }
                    prop_assert!(engine.get_active_voice_count() <= engine.voice_capacity());
                }
                Call::TriggerPatch { shape, values } => {
                    let patch = Arc::new(patch_of(shape, values, &looped));
                    let mut note = Note::from_patch(&patch, values[5])
                        .with_velocity(values[0])
                        .with_channel(shape[5])
                        .with_group(shape[1]);
                    if shape[2] % 2 == 1 {
                        // The note's own times and key, as absurd as the rest.
                        note = note
                            .with_delay_hold(values[1] * 0.01, values[2] * 0.01)
                            .with_mod_envelope(AdsrEnvelope::new(values[3], values[4], values[6], values[7]))
                            .with_mod_delay_hold(values[6] * 0.01, values[7]);
                        note.midi_key = Some(shape[3]);
                    }
                    if let Some(id) = engine.trigger(note) {
                        ids.push(id);
                    }
                }
                Call::Controller(c, n, v) => EventTarget::set_controller(&mut engine, c, n, v).unwrap(),
                Call::Bend(c, v) => EventTarget::set_pitch_bend(&mut engine, c, v).unwrap(),
                Call::Pressure(c, v) => EventTarget::set_channel_pressure(&mut engine, c, v).unwrap(),
                Call::PolyPressure(i, v) => if let Some(id) = ids.get(i) { EventTarget::set_poly_pressure(&mut engine, *id, v).unwrap() },
                Call::SlotAmount(i, slot, amount) => if let Some(&id) = ids.get(i) {
                    engine.send(Event::SetNoteSlotAmount { id, slot: slot % 20, amount }).unwrap()
                },
                Call::Release(i) => if let Some(id) = ids.get(i) { engine.release_note(*id) },
                Call::SetFrequency(i, v) => if let Some(id) = ids.get(i) { engine.set_voice_frequency(*id, v) },
                Call::SetAmplitude(i, v) => if let Some(id) = ids.get(i) { engine.set_voice_amplitude(*id, v) },
                Call::SetPan(i, v) => if let Some(id) = ids.get(i) { engine.set_voice_pan(*id, v) },
                Call::SetDuty(i, v) => if let Some(id) = ids.get(i) { engine.set_voice_duty_cycle(*id, v) },
                Call::Master(v) => {
                    engine.set_master_volume(v);
                    let m = engine.get_master_volume();
                    prop_assert!((0.0..=1.0).contains(&m));
                }
                Call::ReleaseAll => engine.release_all_notes(),
                Call::StopAll => {
                    engine.stop_all_notes();
                    prop_assert_eq!(engine.get_active_voice_count(), 0);
                }
                Call::Mono(n) => {
                    engine.process_buffer(&mut buf[..n]);
                    for s in &buf[..n] { prop_assert!(s.is_finite() && s.abs() <= 1.0, "sample {}", s); }
                }
                Call::Stereo(n) => {
                    engine.process_stereo_buffer(&mut buf[..n]);
                    for s in &buf[..n] { prop_assert!(s.is_finite() && s.abs() <= 1.0, "sample {}", s); }
                    if n % 2 == 1 { prop_assert_eq!(buf[n - 1], 0.0); }
                }
                Call::Planar(n) => {
                    let (left, right) = buf.split_at_mut(1500);
                    engine.process_planar_buffers(&mut left[..n], &mut right[..n]);
                    for s in left[..n].iter().chain(&right[..n]) { prop_assert!(s.is_finite() && s.abs() <= 1.0, "sample {}", s); }
                }
                Call::Group(g, v) => {
                    engine.set_group_volume(g, v).unwrap();
                    prop_assert!((0.0..=1.0).contains(&engine.group_volume(g)));
                }
                Call::Fade(g, v, t) => engine.fade_group(g, v, t).unwrap(),
                Call::ReleaseGroup(g) => engine.release_group(g).unwrap(),
                Call::StopGroup(g) => {
                    engine.stop_group(g).unwrap();
                    prop_assert!(engine.active_voices().all(|v| v.group() != g));
                }
                Call::Ramp(i, v, t) => if let Some(id) = ids.get(i) { engine.ramp_voice_amplitude(*id, v, t).unwrap() },
                Call::Sweep(i, v, t) => if let Some(id) = ids.get(i) { engine.sweep_voice_frequency(*id, v, t) },
            }
            while engine.take_ended_note().is_some() {}
        }
    }
}
