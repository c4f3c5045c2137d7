//! SoundFont 2 files: presets, instruments and their zones, resolved into
//! regions a note can pick from, and the sample data, loaded once.
//!
//! [`SoundFont::from_file`] reads a `.sf2` file; every length in it is
//! checked against the bytes that are there before anything is read, so a
//! broken or hostile file gets a [`SoundFontError`] naming what is wrong,
//! never a panic or an allocation larger than the file. Each preset's
//! zones are resolved when the font loads (the instrument's generators with
//! the preset's offsets added, the key and velocity ranges intersected, as
//! section 9.4 of the SoundFont 2.04 specification says), so choosing what
//! a note plays is a search of one preset's regions.
//!
//! SoundFont 3 fonts (MuseScore's, whose samples are Ogg Vorbis streams)
//! load with the `sf3` feature, their samples decoded with lewton into the
//! same 16-bit data (Debian's `MuseScore_General_Lite.sf3`, 39 MB, decodes
//! to 215 MB in about 3.6 s); without it they are refused with an error
//! that says so.
//!
//! The sample data stays 16-bit, as the file holds it, in one shared
//! buffer ([`SoundFont::sample_data`]): a font's memory is about its sample
//! data, once. Sample headers are clamped into the data (see
//! [`SampleHeader`]).
//!
//! ```no_run
//! use polyphonica::soundfont::SoundFont;
//! let font = SoundFont::from_file("/usr/share/sounds/sf2/TimGM6mb.sf2")?;
//! let piano = font.preset(0, 0).expect("a General MIDI font has a piano");
//! let region = piano.regions_for(60, 100).next().expect("middle C plays");
//! println!("{}: sample {}", piano.name, font.sample_headers()[region.sample].name);
//! # Ok::<(), polyphonica::soundfont::SoundFontError>(())
//! ```
//!
//! [`Region::sound`] turns a region and a key into what a voice needs, in
//! the engine's units ([`ZoneSound`]: sample frames and loop, playback
//! rate, gain, pan, envelopes in seconds, filter in Hz, LFOs, sends).
//! [`SoundFontBank`] turns every region into a [`Patch`](crate::patch::Patch)
//! once, when the font loads (the standard's default modulators and the
//! font's own among its matrix's slots), so that a note only picks its
//! zones ([`SoundFontInstrument::notes`]); [`MidiSynth::with_soundfont`]
//! plays MIDI with them.
//!
//! [`MidiSynth::with_soundfont`]: crate::midi::MidiSynth::with_soundfont

mod error;
mod generators;
mod instrument;
mod linked;
mod modulators;
mod operator;
mod parse;
mod riff;
#[cfg(feature = "sf3")]
mod sf3;
mod sound;
mod zone_note;

use std::path::Path;
use std::sync::Arc;

pub use error::SoundFontError;
pub use generators::{Generator, DEFAULTS, GENERATOR_COUNT};
pub use instrument::{BankOptions, SoundFontBank, SoundFontInstrument, MAX_LAYERS};
pub use sound::{
    centibels_to_gain, cents_to_hz, timecents_to_secs, EnvelopeSecs, LfoSecs, LoopMode, ZoneSound,
};
pub use zone_note::{constant_power, ZoneNote};

use riff::{chunks, list};

/// The largest SoundFont [`SoundFont::from_file`] reads: 2 GiB.
pub const MAX_FILE_BYTES: u64 = 2 << 30;

/// A loaded SoundFont: its presets with their regions, the sample headers
/// and the sample data.
#[derive(Clone, Debug)]
pub struct SoundFont {
    /// The font's name (its `INAM`), empty if it has none.
    pub name: String,
    presets: Vec<Preset>,
    headers: Vec<SampleHeader>,
    data: Arc<[i16]>,
}

/// A preset (what a MIDI program plays): its name, bank and program, and
/// its regions.
#[derive(Clone, Debug)]
pub struct Preset {
    /// The preset's name.
    pub name: String,
    /// Its MIDI bank (128 is percussion in General MIDI fonts).
    pub bank: u16,
    /// Its MIDI program.
    pub program: u16,
    /// The instrument zones it reaches, with its own offsets added.
    pub regions: Vec<Region>,
}

impl Preset {
    /// The regions a note of `key` at `velocity` plays (several for a
    /// layered sound, none outside every range).
    pub fn regions_for(&self, key: u8, velocity: u8) -> impl Iterator<Item = &Region> {
        self.regions.iter().filter(move |r| {
            (r.keys.0..=r.keys.1).contains(&key)
                && (r.velocities.0..=r.velocities.1).contains(&velocity)
        })
    }
}

/// One instrument zone as a preset reaches it: the sample, the key and
/// velocity ranges (the instrument's and the preset's intersected), and
/// every generator's value (the instrument's, or the default, plus the
/// preset's offset).
#[derive(Clone, Debug)]
pub struct Region {
    /// Lowest and highest key.
    pub keys: (u8, u8),
    /// Lowest and highest velocity.
    pub velocities: (u8, u8),
    /// Index into [`SoundFont::sample_headers`].
    pub sample: usize,
    /// Every generator's value, by number ([`Generator`]).
    pub generators: [i16; GENERATOR_COUNT],
    /// The instrument zone's modulators (its global zone's, with the ones
    /// the zone replaces left out).
    pub instrument_modulators: Vec<Modulator>,
    /// The preset zone's modulators, which add to the instrument's.
    pub preset_modulators: Vec<Modulator>,
}

impl Region {
    /// The value of `generator`.
    pub fn get(&self, generator: Generator) -> i16 {
        self.generators[generator as usize]
    }
}

/// A modulator record (section 8.2): a source (and an amount source) moving
/// a destination generator by up to `amount`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modulator {
    /// The source operator (controller, curve, polarity, direction).
    pub source: u16,
    /// The generator it moves.
    pub destination: u16,
    /// How far, in the destination's unit.
    pub amount: i16,
    /// A second source that scales the amount.
    pub amount_source: u16,
    /// The transform (0 linear, 2 absolute value).
    pub transform: u16,
}

impl Modulator {
    /// Whether two modulators are the same kind (section 9.5.1: same
    /// sources, destination and transform), so one replaces the other.
    pub fn same_kind(&self, other: &Modulator) -> bool {
        self.source == other.source
            && self.destination == other.destination
            && self.amount_source == other.amount_source
            && self.transform == other.transform
    }

    /// The modulator this one feeds, as an index into its zone's list
    /// (SoundFont 2.04's linked modulators, section 9.5.4: a destination
    /// of `0x8000 | index`), if it feeds one rather than a generator.
    pub(super) fn feeds(&self) -> Option<usize> {
        (self.destination & LINK != 0).then_some(usize::from(self.destination & !LINK))
    }

    /// Whether its source is the sum of the modulators that feed it (the
    /// general controller 127, "link").
    pub(super) fn reads_links(&self) -> bool {
        self.source & 0xFF == 0x7F
    }

    /// Whether it is part of a graph of linked modulators.
    pub(super) fn is_linked(&self) -> bool {
        self.feeds().is_some() || self.reads_links()
    }

    /// The same modulator feeding the modulator at `index` instead
    /// (`None`: none, so it is not followed).
    pub(super) fn feeding(self, index: Option<usize>) -> Self {
        let index = index.and_then(|i| u16::try_from(i).ok()).unwrap_or(!LINK);
        Modulator {
            destination: LINK | index.min(!LINK),
            ..self
        }
    }
}

/// The bit of a modulator's destination that makes it feed another
/// modulator rather than a generator.
const LINK: u16 = 0x8000;

/// A sample header, clamped into the sample data when the font loads: the
/// end at most the data's end, the start at most the end, the loop inside
/// the sample. ROM samples (whose data is not in the file) are empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleHeader {
    /// The sample's name.
    pub name: String,
    /// First frame, in [`SoundFont::sample_data`].
    pub start: u32,
    /// One past the last frame.
    pub end: u32,
    /// First frame of the loop.
    pub loop_start: u32,
    /// One past the loop's last frame.
    pub loop_end: u32,
    /// Frames per second it was recorded at.
    pub sample_rate: u32,
    /// The MIDI key it sounds at unpitched.
    pub original_key: u8,
    /// Its pitch correction, in cents.
    pub correction_cents: i8,
    /// The other channel's sample, for a stereo pair.
    pub link: u16,
    /// Mono (1), right (2), left (4), linked (8); bit 15 for ROM.
    pub kind: u16,
}

impl SoundFont {
    /// Reads a `.sf2` file (at most [`MAX_FILE_BYTES`]).
    ///
    /// # Errors
    /// [`SoundFontError::Io`] when the file cannot be read, and the errors
    /// of [`parse`](Self::parse).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SoundFontError> {
        let path = path.as_ref();
        let len = std::fs::metadata(path)?.len();
        if len > MAX_FILE_BYTES {
            return Err(SoundFontError::Unsupported(format!(
                "{} is {len} bytes, more than the {MAX_FILE_BYTES} a SoundFont may be",
                path.display()
            )));
        }
        Self::parse(&std::fs::read(path)?)
    }

    /// Reads a SoundFont from its bytes.
    ///
    /// # Errors
    /// [`SoundFontError::NotASoundFont`] without a `RIFF sfbk` header,
    /// [`SoundFontError::Truncated`] when a chunk runs past the end,
    /// [`SoundFontError::Invalid`] for a missing chunk, records of the wrong
    /// size, an index out of range or (SoundFont 3) a sample that does not
    /// decode, [`SoundFontError::Unsupported`] for a SoundFont 3 without the
    /// `sf3` feature.
    pub fn parse(bytes: &[u8]) -> Result<Self, SoundFontError> {
        if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"sfbk" {
            return Err(SoundFontError::NotASoundFont);
        }
        let riff_len = riff::u32_at(bytes, 4) as usize;
        let body = &bytes[12..bytes.len().min(8 + riff_len.max(4))];
        let mut name = String::new();
        let mut version = (2u16, 0u16);
        let mut smpl: Option<&[u8]> = None;
        let mut pdta = parse::Pdta::default();
        let mut seen_pdta = false;
        for chunk in chunks(body) {
            let chunk = chunk?;
            if let Some(info) = list(&chunk, b"INFO") {
                // Only names and the version live here: a writer that left
                // out a pad byte (MuseScore's SoundFont 3 files do) ends
                // the list early instead of failing the font.
                for sub in chunks(info).map_while(Result::ok) {
                    match &sub.id {
                        b"INAM" => name = riff::text(sub.body),
                        b"ifil" if sub.body.len() >= 4 => {
                            version = (riff::u16_at(sub.body, 0), riff::u16_at(sub.body, 2));
                        }
                        _ => {}
                    }
                }
            } else if let Some(sdta) = list(&chunk, b"sdta") {
                for sub in chunks(sdta) {
                    let sub = sub?;
                    if &sub.id == b"smpl" {
                        smpl = Some(sub.body);
                    }
                }
            } else if let Some(records) = list(&chunk, b"pdta") {
                seen_pdta = true;
                for sub in chunks(records) {
                    let sub = sub?;
                    let slot = match &sub.id {
                        b"phdr" => &mut pdta.phdr,
                        b"pbag" => &mut pdta.pbag,
                        b"pmod" => &mut pdta.pmod,
                        b"pgen" => &mut pdta.pgen,
                        b"inst" => &mut pdta.inst,
                        b"ibag" => &mut pdta.ibag,
                        b"imod" => &mut pdta.imod,
                        b"igen" => &mut pdta.igen,
                        b"shdr" => &mut pdta.shdr,
                        _ => continue,
                    };
                    *slot = sub.body;
                }
            }
        }
        if !seen_pdta {
            return Err(SoundFontError::Invalid(
                "no pdta list (presets and instruments)".into(),
            ));
        }
        let smpl =
            smpl.ok_or_else(|| SoundFontError::Invalid("no smpl chunk (sample data)".into()))?;
        let mut headers = parse::raw_sample_headers(pdta.shdr)?;
        let data: Arc<[i16]> = if version.0 >= 3 {
            sf3_samples(smpl, &mut headers, version)?.into()
        } else {
            // Into a vector first (a loop the compiler vectorises), then one
            // copy into the shared slice: faster than collecting the slice
            // frame by frame.
            let mut frames = vec![0i16; smpl.len() / 2];
            for (x, b) in frames.iter_mut().zip(smpl.chunks_exact(2)) {
                *x = i16::from_le_bytes([b[0], b[1]]);
            }
            Arc::from(frames)
        };
        parse::clamp_headers(&mut headers, data.len());
        let presets = parse::presets(&pdta, &headers)?;
        Ok(SoundFont {
            name,
            presets,
            headers,
            data,
        })
    }

    /// Every preset, in file order.
    pub fn presets(&self) -> &[Preset] {
        &self.presets
    }

    /// The preset at `bank` and `program`, if the font has one.
    pub fn preset(&self, bank: u16, program: u16) -> Option<&Preset> {
        self.presets
            .iter()
            .find(|p| p.bank == bank && p.program == program)
    }

    /// The sample headers, as regions index them.
    pub fn sample_headers(&self) -> &[SampleHeader] {
        &self.headers
    }

    /// The sample data: every sample's 16-bit frames, one after another,
    /// shared (cloning the `Arc` copies nothing).
    pub fn sample_data(&self) -> &Arc<[i16]> {
        &self.data
    }
}

/// The samples of a SoundFont 3: each an Ogg Vorbis stream, decoded here
/// (feature `sf3`).
#[cfg(feature = "sf3")]
fn sf3_samples(
    smpl: &[u8],
    headers: &mut [SampleHeader],
    _version: (u16, u16),
) -> Result<Vec<i16>, SoundFontError> {
    sf3::decode(smpl, headers)
}

/// Without the `sf3` feature, a SoundFont 3 is refused.
#[cfg(not(feature = "sf3"))]
fn sf3_samples(
    _smpl: &[u8],
    _headers: &mut [SampleHeader],
    version: (u16, u16),
) -> Result<Vec<i16>, SoundFontError> {
    Err(SoundFontError::Unsupported(format!(
        "version {}.{} is a SoundFont 3 (Ogg Vorbis samples): build with the sf3 feature",
        version.0, version.1
    )))
}

#[cfg(test)]
mod modulator_tests;
#[cfg(test)]
mod tests;
