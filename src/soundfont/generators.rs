//! SoundFont 2.04 generators (section 8.1): their numbers, defaults, and how
//! an instrument's values and a preset's offsets combine.

/// How many generator numbers there are (0–60; the unused ones stay at
/// their default of 0).
pub const GENERATOR_COUNT: usize = 61;

/// The generators by number, as section 8.1.2 lists them.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum Generator {
    StartAddrsOffset = 0,
    EndAddrsOffset = 1,
    StartloopAddrsOffset = 2,
    EndloopAddrsOffset = 3,
    StartAddrsCoarseOffset = 4,
    ModLfoToPitch = 5,
    VibLfoToPitch = 6,
    ModEnvToPitch = 7,
    InitialFilterFc = 8,
    InitialFilterQ = 9,
    ModLfoToFilterFc = 10,
    ModEnvToFilterFc = 11,
    EndAddrsCoarseOffset = 12,
    ModLfoToVolume = 13,
    ChorusEffectsSend = 15,
    ReverbEffectsSend = 16,
    Pan = 17,
    DelayModLfo = 21,
    FreqModLfo = 22,
    DelayVibLfo = 23,
    FreqVibLfo = 24,
    DelayModEnv = 25,
    AttackModEnv = 26,
    HoldModEnv = 27,
    DecayModEnv = 28,
    SustainModEnv = 29,
    ReleaseModEnv = 30,
    KeynumToModEnvHold = 31,
    KeynumToModEnvDecay = 32,
    DelayVolEnv = 33,
    AttackVolEnv = 34,
    HoldVolEnv = 35,
    DecayVolEnv = 36,
    SustainVolEnv = 37,
    ReleaseVolEnv = 38,
    KeynumToVolEnvHold = 39,
    KeynumToVolEnvDecay = 40,
    Instrument = 41,
    KeyRange = 43,
    VelRange = 44,
    StartloopAddrsCoarseOffset = 45,
    Keynum = 46,
    Velocity = 47,
    InitialAttenuation = 48,
    EndloopAddrsCoarseOffset = 50,
    CoarseTune = 51,
    FineTune = 52,
    SampleId = 53,
    SampleModes = 54,
    ScaleTuning = 56,
    ExclusiveClass = 57,
    OverridingRootKey = 58,
}

/// Every generator's value before any zone sets it (section 8.1.3): the
/// envelope and LFO times at −12000 timecents (about 1 ms), the filter wide
/// open at 13500 cents, the key and velocity overrides off (−1), scale
/// tuning at 100 cents per key, the ranges full (0–127, stored as
/// `lo | hi << 8`).
pub const DEFAULTS: [i16; GENERATOR_COUNT] = {
    let mut d = [0i16; GENERATOR_COUNT];
    d[Generator::InitialFilterFc as usize] = 13500;
    let timecents = [
        Generator::DelayModLfo,
        Generator::DelayVibLfo,
        Generator::DelayModEnv,
        Generator::AttackModEnv,
        Generator::HoldModEnv,
        Generator::DecayModEnv,
        Generator::ReleaseModEnv,
        Generator::DelayVolEnv,
        Generator::AttackVolEnv,
        Generator::HoldVolEnv,
        Generator::DecayVolEnv,
        Generator::ReleaseVolEnv,
    ];
    let mut i = 0;
    while i < timecents.len() {
        d[timecents[i] as usize] = -12000;
        i += 1;
    }
    d[Generator::KeyRange as usize] = 127 << 8;
    d[Generator::VelRange as usize] = 127 << 8;
    d[Generator::Keynum as usize] = -1;
    d[Generator::Velocity as usize] = -1;
    d[Generator::ScaleTuning as usize] = 100;
    d[Generator::OverridingRootKey as usize] = -1;
    d
};

/// Whether a preset zone may set generator `n`: not the sample offsets,
/// key and velocity overrides, sample modes, exclusive class or root key
/// (section 8.1.2 marks them instrument-only), nor the terminal links.
pub(super) fn allowed_in_preset(n: usize) -> bool {
    !matches!(n, 0..=4 | 12 | 45..=47 | 50 | 53 | 54 | 57 | 58)
}

/// Whether generator `n` holds a range (two bytes, low and high).
pub(super) fn is_range(n: usize) -> bool {
    n == Generator::KeyRange as usize || n == Generator::VelRange as usize
}

/// The low and high bytes of a range value.
pub(super) fn range_of(value: i16) -> (u8, u8) {
    let [lo, hi] = value.to_le_bytes();
    (lo, hi)
}

/// A range value from its low and high bytes.
pub(super) fn range_value(lo: u8, hi: u8) -> i16 {
    i16::from_le_bytes([lo, hi])
}

/// The intersection of two ranges (empty when `lo > hi`).
pub(super) fn intersect(a: i16, b: i16) -> (u8, u8) {
    let (a_lo, a_hi) = range_of(a);
    let (b_lo, b_hi) = range_of(b);
    (a_lo.max(b_lo), a_hi.min(b_hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_ranges_follow_the_standard() {
        assert_eq!(DEFAULTS[Generator::InitialFilterFc as usize], 13500);
        assert_eq!(DEFAULTS[Generator::AttackVolEnv as usize], -12000);
        assert_eq!(DEFAULTS[Generator::SustainVolEnv as usize], 0);
        assert_eq!(range_of(DEFAULTS[Generator::KeyRange as usize]), (0, 127));
        assert_eq!(
            intersect(range_value(10, 60), range_value(40, 90)),
            (40, 60)
        );
        assert!(!allowed_in_preset(Generator::SampleId as usize));
        assert!(!allowed_in_preset(Generator::OverridingRootKey as usize));
        assert!(allowed_in_preset(Generator::InitialAttenuation as usize));
    }
}
