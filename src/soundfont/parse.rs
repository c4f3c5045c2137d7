//! The `pdta` records (presets, instruments, their zones, generators and
//! modulators, sample headers) read and resolved into regions: for every
//! preset, the instrument zones it reaches with the preset's offsets added
//! (section 9.4 of the SoundFont 2.04 specification).

use super::generators::{
    allowed_in_preset, intersect, is_range, range_value, Generator, DEFAULTS, GENERATOR_COUNT,
};
use super::riff::{i16_at, text, u16_at, u32_at};
use super::{Modulator, Preset, Region, SampleHeader, SoundFontError};

/// The `pdta` chunk's sub-chunks.
#[derive(Default)]
pub(super) struct Pdta<'a> {
    pub(super) phdr: &'a [u8],
    pub(super) pbag: &'a [u8],
    pub(super) pmod: &'a [u8],
    pub(super) pgen: &'a [u8],
    pub(super) inst: &'a [u8],
    pub(super) ibag: &'a [u8],
    pub(super) imod: &'a [u8],
    pub(super) igen: &'a [u8],
    pub(super) shdr: &'a [u8],
}

/// A sub-chunk's records of `size` bytes each (at least `min` of them,
/// counting the terminal record).
fn records<'a>(
    name: &str,
    bytes: &'a [u8],
    size: usize,
    min: usize,
) -> Result<Vec<&'a [u8]>, SoundFontError> {
    if bytes.len() % size != 0 {
        return Err(SoundFontError::Invalid(format!(
            "the {name} chunk is {} bytes, not a whole number of {size}-byte records",
            bytes.len()
        )));
    }
    let list: Vec<&[u8]> = bytes.chunks_exact(size).collect();
    if list.len() < min {
        return Err(SoundFontError::Invalid(format!(
            "the {name} chunk has {} records, at least {min} are needed",
            list.len()
        )));
    }
    Ok(list)
}

/// One zone as the file holds it: its generators (in file order) and
/// modulators.
#[derive(Clone, Debug, Default)]
struct RawZone {
    generators: Vec<(u16, i16)>,
    modulators: Vec<Modulator>,
}

impl RawZone {
    /// The value of the terminal generator (`Instrument` or `SampleId`) if
    /// the zone has one.
    fn link(&self, generator: Generator) -> Option<u16> {
        self.generators
            .iter()
            .find(|(n, _)| *n == generator as u16)
            .map(|&(_, v)| v as u16)
    }
}

/// The zones of each header (preset or instrument): header `h` owns bags
/// `bag_index[h]..bag_index[h + 1]`.
fn zones(
    what: &str,
    bag_index: &[u16],
    bags: &[&[u8]],
    gens: &[&[u8]],
    mods: &[&[u8]],
) -> Result<Vec<Vec<RawZone>>, SoundFontError> {
    let invalid = |why: String| SoundFontError::Invalid(format!("{what}: {why}"));
    let mut out = Vec::with_capacity(bag_index.len().saturating_sub(1));
    for h in 0..bag_index.len().saturating_sub(1) {
        let (first, last) = (usize::from(bag_index[h]), usize::from(bag_index[h + 1]));
        if first > last || last >= bags.len() {
            return Err(invalid(format!(
                "header {h} owns zones {first}..{last}, the file has {}",
                bags.len().saturating_sub(1)
            )));
        }
        let mut list = Vec::with_capacity(last - first);
        for b in first..last {
            let (g0, m0) = (
                usize::from(u16_at(bags[b], 0)),
                usize::from(u16_at(bags[b], 2)),
            );
            let (g1, m1) = (
                usize::from(u16_at(bags[b + 1], 0)),
                usize::from(u16_at(bags[b + 1], 2)),
            );
            if g0 > g1 || g1 > gens.len() || m0 > m1 || m1 > mods.len() {
                return Err(invalid(format!(
                    "zone {b} points at generators {g0}..{g1} and modulators {m0}..{m1} \
                     (the file has {} and {})",
                    gens.len(),
                    mods.len()
                )));
            }
            list.push(RawZone {
                generators: gens[g0..g1]
                    .iter()
                    .map(|g| (u16_at(g, 0), i16_at(g, 2)))
                    .collect(),
                modulators: mods[m0..m1]
                    .iter()
                    .map(|m| Modulator {
                        source: u16_at(m, 0),
                        destination: u16_at(m, 2),
                        amount: i16_at(m, 4),
                        amount_source: u16_at(m, 6),
                        transform: u16_at(m, 8),
                    })
                    .collect(),
            });
        }
        out.push(list);
    }
    Ok(out)
}

/// Whether a zone is its header's global zone: the first zone, without the
/// terminal generator.
fn is_global(zones: &[RawZone], i: usize, link: Generator) -> bool {
    i == 0 && zones.len() > 1 && zones[0].link(link).is_none()
}

/// The generators of a zone over `base` (the defaults or the global zone):
/// each the zone sets replaces the base's.
fn apply(base: &[i16; GENERATOR_COUNT], zone: &RawZone) -> [i16; GENERATOR_COUNT] {
    let mut g = *base;
    for &(n, v) in &zone.generators {
        if let Some(slot) = g.get_mut(usize::from(n)) {
            *slot = v;
        }
    }
    g
}

/// The sample headers as the file has them (all but the terminal `EOS`
/// record).
pub(super) fn raw_sample_headers(shdr: &[u8]) -> Result<Vec<SampleHeader>, SoundFontError> {
    let list = records("shdr", shdr, 46, 1)?;
    Ok(list[..list.len() - 1]
        .iter()
        .map(|r| SampleHeader {
            name: text(&r[..20]),
            start: u32_at(r, 20),
            end: u32_at(r, 24),
            loop_start: u32_at(r, 28),
            loop_end: u32_at(r, 32),
            sample_rate: u32_at(r, 36),
            original_key: r[40],
            correction_cents: r[41] as i8,
            link: u16_at(r, 42),
            kind: u16_at(r, 44),
        })
        .collect())
}

/// Clamps each header into the `sample_frames` the font holds: the end to
/// the data's end, the start to the end, the loop into the sample (a loop
/// that is then shorter than 2 frames does not loop). ROM samples (type
/// bit 15) have no data here and become empty.
pub(super) fn clamp_headers(headers: &mut [SampleHeader], sample_frames: usize) {
    let frames = u32::try_from(sample_frames).unwrap_or(u32::MAX);
    for header in headers {
        if header.kind & 0x8000 != 0 {
            header.end = 0;
        }
        header.end = header.end.min(frames);
        header.start = header.start.min(header.end);
        header.loop_end = header.loop_end.clamp(header.start, header.end);
        header.loop_start = header.loop_start.clamp(header.start, header.loop_end);
    }
}

/// Every preset with its regions resolved.
pub(super) fn presets(
    p: &Pdta<'_>,
    samples: &[SampleHeader],
) -> Result<Vec<Preset>, SoundFontError> {
    let phdr = records("phdr", p.phdr, 38, 1)?;
    let pbag = records("pbag", p.pbag, 4, 1)?;
    let pmod = records("pmod", p.pmod, 10, 0)?;
    let pgen = records("pgen", p.pgen, 4, 0)?;
    let inst = records("inst", p.inst, 22, 1)?;
    let ibag = records("ibag", p.ibag, 4, 1)?;
    let imod = records("imod", p.imod, 10, 0)?;
    let igen = records("igen", p.igen, 4, 0)?;

    let inst_bags: Vec<u16> = inst.iter().map(|r| u16_at(r, 20)).collect();
    let inst_zones = zones("an instrument", &inst_bags, &ibag, &igen, &imod)?;
    let preset_bags: Vec<u16> = phdr.iter().map(|r| u16_at(r, 24)).collect();
    let preset_zones = zones("a preset", &preset_bags, &pbag, &pgen, &pmod)?;

    let mut out = Vec::with_capacity(phdr.len() - 1);
    for (h, zones) in preset_zones.iter().enumerate() {
        let r = phdr[h];
        let mut preset = Preset {
            name: text(&r[..20]),
            program: u16_at(r, 20),
            bank: u16_at(r, 22),
            regions: Vec::new(),
        };
        let mut global = [0i16; GENERATOR_COUNT];
        global[Generator::KeyRange as usize] = DEFAULTS[Generator::KeyRange as usize];
        global[Generator::VelRange as usize] = DEFAULTS[Generator::VelRange as usize];
        let mut global_mods: &[Modulator] = &[];
        for (z, zone) in zones.iter().enumerate() {
            if is_global(zones, z, Generator::Instrument) {
                global = apply(&global, zone);
                global_mods = &zone.modulators;
                continue;
            }
            let Some(i) = zone.link(Generator::Instrument) else {
                continue; // A local zone without an instrument is ignored.
            };
            let Some(instrument) = inst_zones.get(usize::from(i)) else {
                return Err(SoundFontError::Invalid(format!(
                    "preset {:?} uses instrument {i}, the file has {}",
                    preset.name,
                    inst_zones.len()
                )));
            };
            let offsets = apply(&global, zone);
            let preset_mods = merge_modulators(global_mods, &zone.modulators);
            resolve_instrument(&mut preset, instrument, &offsets, &preset_mods, samples)?;
        }
        out.push(preset);
    }
    Ok(out)
}

/// Adds to `preset` a region for every zone of `instrument` with a sample,
/// where its ranges meet the preset zone's.
fn resolve_instrument(
    preset: &mut Preset,
    instrument: &[RawZone],
    offsets: &[i16; GENERATOR_COUNT],
    preset_mods: &[Modulator],
    samples: &[SampleHeader],
) -> Result<(), SoundFontError> {
    let mut global = DEFAULTS;
    let mut global_mods: &[Modulator] = &[];
    for (z, zone) in instrument.iter().enumerate() {
        if is_global(instrument, z, Generator::SampleId) {
            global = apply(&DEFAULTS, zone);
            global_mods = &zone.modulators;
            continue;
        }
        let Some(sample) = zone.link(Generator::SampleId) else {
            continue;
        };
        let sample = usize::from(sample);
        if sample >= samples.len() {
            return Err(SoundFontError::Invalid(format!(
                "an instrument zone uses sample {sample}, the file has {}",
                samples.len()
            )));
        }
        let mut generators = apply(&global, zone);
        let key = intersect(
            generators[Generator::KeyRange as usize],
            offsets[Generator::KeyRange as usize],
        );
        let velocity = intersect(
            generators[Generator::VelRange as usize],
            offsets[Generator::VelRange as usize],
        );
        if key.0 > key.1 || velocity.0 > velocity.1 {
            continue;
        }
        generators[Generator::KeyRange as usize] = range_value(key.0, key.1);
        generators[Generator::VelRange as usize] = range_value(velocity.0, velocity.1);
        for (n, value) in generators.iter_mut().enumerate() {
            if allowed_in_preset(n) && !is_range(n) && n != Generator::Instrument as usize {
                *value = value.saturating_add(offsets[n]);
            }
        }
        let instrument_mods = merge_modulators(global_mods, &zone.modulators);
        preset.regions.push(Region {
            keys: key,
            velocities: velocity,
            sample,
            generators,
            instrument_modulators: instrument_mods,
            preset_modulators: preset_mods.to_vec(),
        });
    }
    Ok(())
}

/// A zone's modulators over its global zone's: one the zone has with the
/// same sources, destination and transform replaces the global one
/// (section 9.5.1). Linked modulators (2.04, section 9.5.4) neither
/// replace nor are replaced; each still feeds the modulator it fed, at its
/// place in the merged list.
fn merge_modulators(global: &[Modulator], local: &[Modulator]) -> Vec<Modulator> {
    let replaced =
        |g: &Modulator| !g.is_linked() && local.iter().any(|l| !l.is_linked() && l.same_kind(g));
    let kept: Vec<usize> = (0..global.len())
        .filter(|&i| !replaced(&global[i]))
        .collect();
    let mut out: Vec<Modulator> = kept
        .iter()
        .map(|&i| match global[i].feeds() {
            Some(k) => global[i].feeding(kept.iter().position(|&j| j == k)),
            None => global[i],
        })
        .collect();
    out.extend(local.iter().map(|l| match l.feeds() {
        Some(k) => l.feeding((k < local.len()).then_some(kept.len() + k)),
        None => *l,
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(source: u16, destination: u16) -> Modulator {
        Modulator {
            source,
            destination,
            amount: 100,
            amount_source: 0,
            transform: 0,
        }
    }

    #[test]
    fn merged_modulators_keep_their_links() {
        const LINKED: u16 = 0x8000;
        let pan = Generator::Pan as u16;
        // Global: 0 (CC20) feeds 1 (a link reader on the pan); 2 (CC7 on
        // the pan) is replaced by the zone's own of its kind.
        let global = [m(0x80 | 20, LINKED | 1), m(0x7F, pan), m(0x80 | 7, pan)];
        // Local: 0 is that replacement; 1 (CC21) feeds 2 (a reader); 3
        // feeds a modulator the zone does not have.
        let local = [
            m(0x80 | 7, pan),
            m(0x80 | 21, LINKED | 2),
            m(0x7F, pan),
            m(0x80 | 22, LINKED | 9),
        ];
        let merged = merge_modulators(&global, &local);
        let sources: Vec<u16> = merged.iter().map(|m| m.source).collect();
        assert_eq!(
            sources,
            [0x80 | 20, 0x7F, 0x80 | 7, 0x80 | 21, 0x7F, 0x80 | 22]
        );
        // Each feeds the reader it fed, where it now is; the last nothing.
        assert_eq!(merged[0].feeds(), Some(1));
        assert_eq!(merged[3].feeds(), Some(4));
        assert!(merged[5].feeds().is_some_and(|k| k >= merged.len()));
    }
}
