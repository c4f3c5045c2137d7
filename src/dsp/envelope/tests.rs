//! The envelopes frame by frame: phases, chunking, curves, clamps.

use super::*;

fn levels(env: &mut EnvelopeState, frames: usize) -> Vec<f32> {
    let mut out = vec![0.0; frames];
    env.render(&mut out);
    out
}

#[test]
fn attack_reaches_full_level_at_exactly_attack_frames() {
    // 100 ms at 48 kHz = 4800 frames.
    let mut env = EnvelopeState::new(&AdsrEnvelope::new(0.1, 0.1, 0.5, 0.1), 48_000.0);
    let out = levels(&mut env, 4801);
    assert_eq!(out[0], 0.0);
    assert!((out[2400] - 0.5).abs() < 1e-6);
    assert!(out[4799] < 1.0);
    assert_eq!(out[4800], 1.0);
    assert_eq!(env.phase(), EnvelopePhase::Decay);
}

#[test]
fn decay_reaches_sustain_and_holds() {
    let mut env = EnvelopeState::new(&AdsrEnvelope::new(0.0, 0.01, 0.25, 0.1), 1000.0);
    let out = levels(&mut env, 30);
    assert_eq!(out[0], 1.0);
    assert!((out[5] - (1.0 - 0.75 * 0.5)).abs() < 1e-6);
    assert!(out[10..].iter().all(|&l| l == 0.25));
    assert_eq!(env.phase(), EnvelopePhase::Sustain);
}

#[test]
fn release_from_mid_attack_starts_at_the_current_level() {
    let mut env = EnvelopeState::new(&AdsrEnvelope::new(1.0, 0.0, 1.0, 0.004), 1000.0);
    levels(&mut env, 500);
    let at = env.level();
    assert!((at - 0.5).abs() < 1e-6);
    env.release();
    let out = levels(&mut env, 6);
    assert_eq!(out[0], at);
    assert!(out.windows(2).all(|w| w[1] <= w[0]));
    assert_eq!(&out[4..], &[0.0, 0.0]);
    assert!(env.is_finished());
}

#[test]
fn render_reports_the_frame_where_it_finished() {
    let mut env = EnvelopeState::new(&AdsrEnvelope::new(0.0, 0.0, 1.0, 0.003), 1000.0);
    env.release();
    let mut out = [9.0; 8];
    assert_eq!(env.render(&mut out), 3);
    let expected = [1.0, 2.0 / 3.0, 1.0 / 3.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    assert!(
        out.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6),
        "{out:?}"
    );
}

#[test]
fn chunked_rendering_equals_one_render() {
    let e = AdsrEnvelope::new(0.013, 0.027, 0.4, 0.011);
    let mut whole = EnvelopeState::new(&e, 44_100.0);
    let mut parts = whole;
    let a = levels(&mut whole, 3000);
    let mut b = Vec::new();
    for n in [1, 7, 64, 500, 1, 1427, 1000] {
        b.extend(levels(&mut parts, n));
    }
    assert!(a == b[..3000], "chunked levels differ");
}

#[test]
fn skipping_gives_the_levels_render_gives() {
    let settings = [
        (
            AdsrEnvelope::new(0.004, 0.010, 0.3, 0.006),
            EnvelopeCurve::Linear,
        ),
        (
            AdsrEnvelope::new(0.0, 0.050, 0.1, 0.020),
            EnvelopeCurve::Decibels,
        ),
        (
            AdsrEnvelope::new(0.003, 0.0, 0.0, 0.0),
            EnvelopeCurve::Linear,
        ),
    ];
    for (adsr, curve) in settings {
        for step in [1usize, 3, 7, 32, 100] {
            let make = || EnvelopeState::with_delay_hold(&adsr, curve, 0.002, 0.005, 1000.0);
            let (mut rendered, mut skipped) = (make(), make());
            let mut out = vec![0.0; step];
            for block in 0..12 {
                if block == 6 {
                    rendered.release();
                    skipped.release();
                }
                assert_eq!(skipped.skip(0), rendered.level());
                rendered.render(&mut out);
                let level = skipped.skip(step);
                let want = out[step - 1];
                assert!(
                    (level - want).abs() <= 1e-5 * want.abs().max(1e-3),
                    "{curve:?}, steps of {step}, block {block}: {level} against {want}"
                );
                assert_eq!(skipped.phase(), rendered.phase());
            }
        }
    }
}

#[test]
fn zero_times_jump_straight_through() {
    let mut env = EnvelopeState::new(&AdsrEnvelope::new(0.0, 0.0, 0.8, 0.0), 48_000.0);
    assert_eq!(env.phase(), EnvelopePhase::Sustain);
    assert_eq!(env.next_level(), 0.8);
    env.release();
    assert!(env.is_finished());
    assert_eq!(env.next_level(), 0.0);
}

#[test]
fn zero_sustain_finishes_after_decay() {
    let mut env = EnvelopeState::new(&AdsrEnvelope::new(0.0, 0.002, 0.0, 1.0), 1000.0);
    let mut out = [1.0; 4];
    assert_eq!(env.render(&mut out), 2);
    assert!(env.is_finished());
}

#[test]
fn huge_times_do_not_overflow() {
    let mut env = EnvelopeState::new(&AdsrEnvelope::new(1e30, 1e30, 0.5, 1e30), 192_000.0);
    let out = levels(&mut env, 1000);
    assert!(out.iter().all(|l| (0.0..1e-6).contains(l)));
    env.release();
    assert!(levels(&mut env, 1000)
        .iter()
        .all(|l| l.is_finite() && *l >= 0.0));
}

#[test]
fn delay_and_hold_come_before_and_after_the_attack() {
    // 2 frames of delay, 2 of attack, 3 of hold, 2 of decay to 0.5.
    let env = AdsrEnvelope::new(0.002, 0.002, 0.5, 0.001);
    let mut state =
        EnvelopeState::with_delay_hold(&env, EnvelopeCurve::Linear, 0.002, 0.003, 1000.0);
    assert_eq!(
        levels(&mut state, 10),
        [0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 0.75, 0.5]
    );
    assert_eq!(state.phase(), EnvelopePhase::Sustain);
    // No attack: the hold starts at once.
    let env = AdsrEnvelope::new(0.0, 0.002, 0.5, 0.001);
    let mut state = EnvelopeState::with_delay_hold(&env, EnvelopeCurve::Linear, 0.0, 0.002, 1000.0);
    assert_eq!(levels(&mut state, 5), [1.0, 1.0, 1.0, 0.75, 0.5]);
    // Released during the delay: silent, then done.
    let mut state = EnvelopeState::with_delay_hold(&env, EnvelopeCurve::Linear, 0.01, 0.0, 1000.0);
    state.release();
    assert_eq!(levels(&mut state, 2), [0.0, 0.0]);
    assert!(state.is_finished());
}

#[test]
fn a_decibel_release_falls_at_its_rate_from_wherever_it_starts() {
    let db = |x: f32| 20.0 * x.log10();
    // Sustaining 24 dB down, a 1 s release (for 96 dB) at 1 kHz takes
    // 750 frames, 1 dB every 10.4 frames, and ends silent.
    let e = AdsrEnvelope::new(0.0, 0.0, 10f32.powf(-24.0 / 20.0), 1.0);
    let mut env = EnvelopeState::with_curve(&e, EnvelopeCurve::Decibels, 1000.0);
    assert!((db(env.next_level()) + 24.0).abs() < 0.05);
    env.release();
    let out = levels(&mut env, 800);
    assert!((db(out[375]) + 60.0).abs() < 0.2, "{}", db(out[375]));
    assert!(out.windows(2).all(|w| w[1] <= w[0]));
    assert!(out[749] > 0.0 && out[751..].iter().all(|&l| l == 0.0));
    assert!(env.is_finished());
    // Released halfway up a linear attack (-6 dB): 96 dB less 6 to go.
    let e = AdsrEnvelope::new(0.1, 0.0, 1.0, 1.0);
    let mut env = EnvelopeState::with_curve(&e, EnvelopeCurve::Decibels, 1000.0);
    levels(&mut env, 50);
    env.release();
    let out = levels(&mut env, 1000);
    assert!((db(out[0]) + 6.02).abs() < 0.05);
    let end = out.iter().position(|&l| l == 0.0).unwrap();
    assert!((935..=940).contains(&end), "{end}");
    // Chunked rendering matches one render.
    let e = AdsrEnvelope::new(0.013, 0.5, 0.2, 0.3);
    let mut whole = EnvelopeState::with_curve(&e, EnvelopeCurve::Decibels, 44_100.0);
    let mut parts = whole;
    let a = levels(&mut whole, 30_000);
    let mut b = Vec::new();
    for n in [1, 7, 64, 500, 1, 1427, 28_000] {
        b.extend(levels(&mut parts, n));
    }
    // The same within 0.01 dB (each piece restarts its series).
    assert!(a
        .iter()
        .zip(&b)
        .all(|(x, y)| (x - y).abs() <= 1e-3 * x.abs().max(1e-6)));
}
