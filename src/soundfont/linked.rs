//! SoundFont 2.04's linked modulators (section 9.5.4): modulators whose
//! destination is another modulator, which reads what they add up to as
//! its source (the general controller 127, "link").
//!
//! The standard does not say how that sum becomes a source. Here, as in
//! Polyphone, it is placed in the range its modulators can reach together
//! (from the sum of their lowest outputs to the sum of their highest) as a
//! number from 0 to 1, which the fed modulator reads through its curve.
//! FluidSynth, the reference elsewhere, ignores linked modulators.
//!
//! A graph whose sources are all the note's velocity and key (or no
//! controller), feeding what a note's own modulators may, is evaluated as
//! the note starts. Any other becomes slots of the matrix: each fed
//! modulator reads a link ([`ModTarget::Link`]) that the slots of the
//! modulators feeding it fill, so a graph needs a link per fed modulator
//! (and one more on an LFO's or the modulation envelope's depth with an
//! amount source); a graph needing more than the matrix has is not
//! followed, and counted. So are graphs more than [`MAX_DEPTH`] deep, and
//! every linked modulator of a zone that has more than [`MAX_LINKED`].

use super::modulators::{follows_per_note, is_depth, with_curve, ZoneModulation};
use super::operator::{amount_source, curve_of, Source};
use super::Modulator;
use crate::patch::{ModCurve, ModSource, ModTarget, Modulation};

/// The most modulators feeding one another in a line that a zone's
/// graphs may have (a font's graphs are a level or two).
const MAX_DEPTH: usize = 8;

/// The most linked modulators a zone may have (a font has a handful; a
/// broken or hostile one could have thousands, all in one line).
const MAX_LINKED: usize = 64;

impl ZoneModulation {
    /// Follows the linked modulators of `all` (the zone's, each link
    /// naming an index in it), counting in `ignored` those it cannot, and
    /// keeps them for the graphs evaluated at note-on.
    pub(super) fn add_linked(&mut self, all: &[Modulator]) {
        let linked = |m: &Modulator| m.is_linked() && m.amount != 0;
        let indices: Vec<usize> = (0..all.len()).filter(|&i| all[i].is_linked()).collect();
        if indices.len() > MAX_LINKED {
            self.ignored += all.iter().filter(|m| linked(m)).count();
            return;
        }
        if !all.iter().any(linked) {
            return;
        }
        // The linked modulators alone, each link naming an index among them.
        let list: Vec<Modulator> = indices
            .iter()
            .map(|&i| match all[i].feeds() {
                Some(k) => all[i].feeding(indices.iter().position(|&j| j == k)),
                None => all[i],
            })
            .collect();
        let mut followed = vec![false; list.len()];
        for (root, m) in list.iter().enumerate() {
            if !m.reads_links() || m.feeds().is_some() || m.amount == 0 {
                continue;
            }
            let mut graph = Vec::new();
            if !gather(&list, root, 0, &mut graph) {
                continue;
            }
            let note_only = graph.iter().all(|&n| per_note(&list[n]));
            let ok = if note_only && !is_depth(m.destination) {
                let ok = follows_per_note(m.destination);
                if ok {
                    self.per_note_roots.push(root);
                }
                ok
            } else {
                // All of the graph's slots, or none.
                let before = (self.slots.len(), self.links_used, self.moves_cutoff);
                let ok = self.root_slots(&list, root).is_some();
                if !ok {
                    self.slots.truncate(before.0);
                    (self.links_used, self.moves_cutoff) = (before.1, before.2);
                }
                ok
            };
            if ok {
                for n in graph {
                    followed[n] = true;
                }
            }
        }
        self.ignored += (0..list.len())
            .filter(|&i| linked(&list[i]) && !followed[i])
            .count();
        self.list = list;
    }

    /// The slots of the graph that feeds the generator of `list[root]`.
    fn root_slots(&mut self, list: &[Modulator], root: usize) -> Option<()> {
        let m = &list[root];
        let input = (
            ModSource::Link(self.input_link(list, root)?),
            curve_of(m.source)?,
        );
        let scale = scale_of(m)?;
        self.product(m, input, scale)
    }

    /// A new link holding what feeds `list[n]`, placed in its range (0 to
    /// 1), with the slots that fill it.
    fn input_link(&mut self, list: &[Modulator], n: usize) -> Option<u8> {
        let link = self.new_link()?;
        let (lo, hi) = feeders(list, n).fold((0.0, 0.0), |(lo, hi), f| {
            let (l, h) = range(&list[f]);
            (lo + l, hi + h)
        });
        if hi > lo {
            let per_unit = 1.0 / (hi - lo);
            for f in feeders(list, n) {
                self.feed(list, f, link, per_unit)?;
            }
            if lo != 0.0 {
                let offset =
                    Modulation::new(ModSource::Constant, ModTarget::Link(link), -lo * per_unit);
                self.slots.push(offset);
            }
        }
        Some(link)
    }

    /// The slot of `list[f]` feeding `link`, `per_unit` of it per unit of
    /// its output (after the slots of what feeds it in turn).
    fn feed(&mut self, list: &[Modulator], f: usize, link: u8, per_unit: f32) -> Option<()> {
        let m = &list[f];
        let (source, curve) = if m.reads_links() {
            (
                ModSource::Link(self.input_link(list, f)?),
                curve_of(m.source)?,
            )
        } else {
            let s = Source::decode(m.source)?;
            (s.mod_source()?, s.curve)
        };
        let amount = f32::from(m.amount) * per_unit;
        let mut slot = with_curve(
            Modulation::new(source, ModTarget::Link(link), amount),
            curve,
        );
        if let Some((scale, curve)) = scale_of(m)? {
            slot = slot.with_scale(scale);
            if !curve.is_identity_for(scale) {
                slot = slot.with_scale_curve(curve);
            }
        }
        self.slots.push(if m.transform == 2 {
            slot.absolute()
        } else {
            slot
        });
        Some(())
    }
}

/// What `list[n]` puts out for a note of `key` at `velocity`, when all that
/// feeds it is the note's (see [`ZoneModulation::add_linked`]).
pub(super) fn output(list: &[Modulator], n: usize, key: u8, velocity: u8) -> f32 {
    let m = &list[n];
    let value = |raw: u16| Source::decode(raw).map_or(1.0, |s| s.value(key, velocity));
    let input = if m.reads_links() {
        let (mut sum, mut lo, mut hi) = (0.0, 0.0, 0.0);
        for f in feeders(list, n) {
            let (l, h) = range(&list[f]);
            (sum, lo, hi) = (sum + output(list, f, key, velocity), lo + l, hi + h);
        }
        let place = if hi > lo { (sum - lo) / (hi - lo) } else { 0.0 };
        curve_of(m.source).map_or(0.0, |c| c.at(place))
    } else {
        value(m.source)
    };
    let y = f32::from(m.amount) * input * value(m.amount_source);
    if m.transform == 2 {
        y.abs()
    } else {
        y
    }
}

/// The modulators feeding `list[n]` (those with an amount).
fn feeders(list: &[Modulator], n: usize) -> impl Iterator<Item = usize> + '_ {
    (0..list.len()).filter(move |&i| list[i].feeds() == Some(n) && list[i].amount != 0)
}

/// Collects into `graph` `list[n]` and what feeds it, all the way down;
/// `false` if a source is one no engine source follows, or the links go
/// round in a circle.
fn gather(list: &[Modulator], n: usize, depth: usize, graph: &mut Vec<usize>) -> bool {
    let m = &list[n];
    if depth >= MAX_DEPTH || curve_of(m.source).is_none() || amount_source(m).is_none() {
        return false;
    }
    graph.push(n);
    if !m.reads_links() {
        return Source::decode(m.source).is_some();
    }
    feeders(list, n).all(|f| gather(list, f, depth + 1, graph))
}

/// Whether `m`'s own sources are the same for the whole note.
fn per_note(m: &Modulator) -> bool {
    let source = m.reads_links() || Source::decode(m.source).is_some_and(|s| s.per_note());
    source && amount_source(m).is_some_and(|a| a.is_none_or(|a| a.per_note()))
}

/// The engine's source and curve for `m`'s amount source: `Some(None)` if
/// it has none, `None` if the engine has no such source.
fn scale_of(m: &Modulator) -> Option<Option<(ModSource, ModCurve)>> {
    match amount_source(m)? {
        None => Some(None),
        Some(a) => Some(Some((a.mod_source()?, a.curve))),
    }
}

/// The lowest and highest `m` can put out: its amount times a source and
/// an amount source each 0 to 1, or −1 to 1 when bipolar; 0 up to the
/// amount's size with the absolute-value transform.
fn range(m: &Modulator) -> (f32, f32) {
    let amount = f32::from(m.amount);
    let bipolar = |raw: u16| raw & 0xFF != 0 && curve_of(raw).is_some_and(|c| c.bipolar);
    if m.transform == 2 {
        (0.0, amount.abs())
    } else if bipolar(m.source) || bipolar(m.amount_source) {
        (-amount.abs(), amount.abs())
    } else {
        (amount.min(0.0), amount.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::super::modulator_tests::{modulator, KEY, VELOCITY};
    use super::super::tests::tiny_font;
    use super::super::{Generator, Modulator, SoundFont, SoundFontBank};
    use crate::{EventTarget, RealtimeEngine};

    /// The source operator "link" (general controller 127), linear.
    const LINK: u16 = 0x7F;
    /// Curve bits of a source operator.
    const FALLING: u16 = 0x0100;
    const BIPOLAR: u16 = 0x0200;
    const CONCAVE: u16 = 0x0400;
    const CONVEX: u16 = 0x0800;
    /// The standard's concave curve, written out again for the tests.
    fn concave(x: f32) -> f32 {
        -(40.0 / 96.0) * (1.0 - x).log10()
    }

    /// The frequency of `x` at 48 kHz from its rising zero crossings,
    /// interpolated between frames.
    fn rising_hz(x: &[f32]) -> f32 {
        let crossings: Vec<f32> = (1..x.len())
            .filter(|&i| x[i - 1] <= 0.0 && x[i] > 0.0)
            .map(|i| (i - 1) as f32 + x[i - 1] / (x[i - 1] - x[i]))
            .collect();
        let cycles = (crossings.len() - 1) as f32;
        48_000.0 * cycles / (crossings[crossings.len() - 1] - crossings[0])
    }

    /// `m` feeding the modulator at `index`.
    fn feeding(index: u16, m: Modulator) -> Modulator {
        Modulator {
            destination: 0x8000 | index,
            ..m
        }
    }

    /// The pitch, in cents off the plain zone, at which the test font's
    /// looped zone (keys 64–80, velocities 0–63) plays key 70 at
    /// velocity 50 with `modulators`, controllers 20, 21 and 22 at 0.5,
    /// 0.25 and 1 (measured by the loop's rising zero crossings).
    fn pitch_cents(modulators: Vec<Modulator>) -> (f32, usize) {
        pitch_cents_of(modulators, false)
    }

    /// As `pitch_cents`, the modulators the preset zone's if `preset`.
    fn pitch_cents_of(modulators: Vec<Modulator>, preset: bool) -> (f32, usize) {
        let hz = |modulators: Vec<Modulator>| {
            let mut font = SoundFont::parse(&tiny_font()).unwrap();
            let region = &mut font.presets[0].regions[1];
            if preset {
                region.preset_modulators = modulators;
            } else {
                region.instrument_modulators = modulators;
            }
            let bank = SoundFontBank::new(&font);
            let instrument = bank.instrument(0, 5).unwrap();
            let mut engine = RealtimeEngine::new(48_000.0);
            for (cc, value) in [(20, 0.5), (21, 0.25), (22, 1.0)] {
                engine.set_controller(0, cc, value).unwrap();
            }
            let zone = instrument.notes(70, 50).next().unwrap();
            zone.trigger(&mut engine).unwrap();
            let mut out = vec![0.0f32; 24_000];
            for block in out.chunks_mut(256) {
                engine.process_buffer(block);
            }
            let tail = &out[4_800..];
            let mean = tail.iter().sum::<f32>() / tail.len() as f32;
            let centred: Vec<f32> = tail.iter().map(|x| x - mean).collect();
            (rising_hz(&centred), instrument.ignored_modulators())
        };
        let (plain, _) = hz(Vec::new());
        let (moved, ignored) = hz(modulators);
        (1200.0 * (moved / plain).log2(), ignored)
    }

    #[test]
    fn a_graph_of_velocity_and_key_tunes_the_note_as_it_starts() {
        // 0 and 1 feed 2: velocity × 600 (0 to 600), the key bipolar × 300
        // (−300 to 300); 2 reads the sum placed in −300..900 through the
        // concave curve, −500 cents at full.
        let list = vec![
            feeding(2, modulator(VELOCITY, Generator::FineTune, 600, 0)),
            feeding(2, modulator(BIPOLAR | KEY, Generator::FineTune, 300, 0)),
            modulator(CONCAVE | LINK, Generator::FineTune, -500, 0),
        ];
        let sum = 600.0 * 50.0 / 127.0 + 300.0 * (2.0 * 70.0 / 127.0 - 1.0);
        let want = -500.0 * concave((sum + 300.0) / 1200.0);
        for preset in [false, true] {
            let (got, ignored) = pitch_cents_of(list.clone(), preset);
            println!("velocity and key through a link (preset {preset}): {got:.2} cents (want {want:.2})");
            assert_eq!(ignored, 0);
            assert!((got - want).abs() < 1.0, "{got} against {want}");
        }
    }

    #[test]
    fn a_graph_of_controllers_plays_through_the_matrixs_links() {
        // Two levels: CC20 × 400 and falling CC21 × velocity × 200 feed 2
        // (0 to 600), which feeds 3 with 100 (0 to 100), as does "no
        // controller" with 50 (always 50); 3 reads its sum placed in 0..150
        // through the convex curve, −300 cents at full, times CC22.
        let list = vec![
            feeding(2, modulator(0x80 | 20, Generator::FineTune, 400, 0)),
            feeding(
                2,
                modulator(FALLING | 0x80 | 21, Generator::FineTune, 200, VELOCITY),
            ),
            feeding(3, modulator(LINK, Generator::FineTune, 100, 0)),
            modulator(CONVEX | LINK, Generator::FineTune, -300, 0x80 | 22),
            feeding(3, modulator(0, Generator::FineTune, 50, 0)),
        ];
        let first = (400.0 * 0.5 + 200.0 * 0.75 * 50.0 / 127.0) / 600.0;
        let second = (100.0 * first + 50.0) / 150.0;
        let want = -300.0 * (1.0 - concave(1.0 - second));
        let (got, ignored) = pitch_cents(list);
        println!("controllers through two links: {got:.2} cents (want {want:.2})");
        assert_eq!(ignored, 0);
        assert!((got - want).abs() < 1.0, "{got} against {want}");
    }

    /// A modulator of raw numbers, any of them absurd, but often linked.
    fn any_modulator() -> impl proptest::strategy::Strategy<Value = Modulator> {
        use proptest::prelude::*;
        let operator = prop_oneof![
            Just(0u16),
            Just(LINK),
            Just(VELOCITY | CONCAVE),
            Just(KEY | BIPOLAR),
            (0u16..128).prop_map(|cc| 0x80 | cc | BIPOLAR),
            any::<u16>(),
        ];
        let destination = prop_oneof![(0u16..8).prop_map(|i| 0x8000 | i), 0u16..61, any::<u16>(),];
        (
            operator.clone(),
            destination,
            any::<i16>(),
            operator,
            0u16..3,
        )
            .prop_map(|(source, destination, amount, amount_source, transform)| {
                Modulator {
                    source,
                    destination,
                    amount,
                    amount_source,
                    transform,
                }
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any modulators, linked or not, in the instrument's and the
        /// preset's zones: the bank builds and every note plays finite and
        /// bounded, whatever the controllers do.
        #[test]
        fn any_modulators_build_and_play_bounded(
            instrument in proptest::collection::vec(any_modulator(), 0..12),
            preset in proptest::collection::vec(any_modulator(), 0..6),
            controllers in proptest::collection::vec((0u8..128, 0.0f32..=1.0), 0..6),
        ) {
            let mut font = SoundFont::parse(&tiny_font()).unwrap();
            for region in &mut font.presets[0].regions {
                region.instrument_modulators = instrument.clone();
                region.preset_modulators = preset.clone();
            }
            let bank = SoundFontBank::new(&font);
            let instrument = bank.instrument(0, 5).unwrap();
            let mut engine = RealtimeEngine::new(48_000.0);
            for (key, velocity) in [(50u8, 100u8), (70, 30), (80, 1)] {
                for zone in instrument.notes(key, velocity) {
                    zone.trigger(&mut engine).unwrap();
                }
            }
            let mut out = vec![0.0f32; 2 * 4096];
            for (i, block) in out.chunks_mut(512).enumerate() {
                if let Some(&(cc, value)) = controllers.get(i) {
                    engine.set_controller(0, cc, value).unwrap();
                }
                engine.process_stereo_buffer(block);
            }
            proptest::prop_assert!(out.iter().all(|s| s.is_finite() && s.abs() <= 1.0));
        }
    }

    #[test]
    fn links_in_a_circle_to_nowhere_or_past_the_matrix_are_counted() {
        let cases: [(&str, Vec<Modulator>, usize); 4] = [
            (
                "a circle",
                vec![
                    feeding(1, modulator(LINK, Generator::Pan, 100, 0)),
                    feeding(0, modulator(LINK, Generator::Pan, 100, 0)),
                ],
                2,
            ),
            (
                "to nowhere",
                vec![feeding(9, modulator(0x80 | 20, Generator::Pan, 100, 0))],
                1,
            ),
            (
                // Five fed modulators in a chain: five links, one more
                // than a patch has; the chain is left out whole.
                "five links",
                (0..6u16)
                    .map(|i| match i {
                        0 => feeding(1, modulator(0x80 | 20, Generator::Pan, 100, 0)),
                        5 => modulator(LINK, Generator::Pan, 100, 0),
                        _ => feeding(i + 1, modulator(LINK, Generator::Pan, 100, 0)),
                    })
                    .collect(),
                6,
            ),
            (
                "more than a zone may have",
                vec![feeding(0, modulator(LINK, Generator::Pan, 100, 0)); super::MAX_LINKED + 1],
                super::MAX_LINKED + 1,
            ),
        ];
        for (name, list, want) in cases {
            let (_, ignored) = pitch_cents(list);
            assert_eq!(ignored, want, "{name}");
        }
    }
}
