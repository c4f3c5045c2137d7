//! Stereo placement of a voice.

/// Left and right gains for `pan` in `-1.0..=1.0` (-1 hard left, 0 centre,
/// +1 hard right), by a balance law: the centre gives 1.0 to both sides, so a
/// centred voice is exactly the mono signal on each channel, and moving
/// toward one side turns the other side down linearly.
pub(crate) fn pan_gains(pan: f32) -> (f32, f32) {
    let p = pan.clamp(-1.0, 1.0);
    ((1.0 - p).min(1.0), (1.0 + p).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_is_unity_and_sides_mute_the_other_channel() {
        assert_eq!(pan_gains(0.0), (1.0, 1.0));
        assert_eq!(pan_gains(-1.0), (1.0, 0.0));
        assert_eq!(pan_gains(1.0), (0.0, 1.0));
        assert_eq!(pan_gains(0.5), (0.5, 1.0));
        assert_eq!(pan_gains(7.0), (0.0, 1.0));
    }
}
