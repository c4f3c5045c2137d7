//! `--soundfont FONT`: the MIDI synth every MIDI command plays through.

use std::path::Path;
use std::sync::Arc;

use polyphonica::midi::MidiSynth;
use polyphonica::soundfont::SoundFontBank;

use crate::Failure;

/// The synth for `--soundfont`: the font's presets, or the built-in
/// oscillator presets without one.
pub(crate) fn synth(font: Option<&Path>) -> Result<MidiSynth, Failure> {
    let Some(path) = font else {
        return Ok(MidiSynth::new());
    };
    let bank = SoundFontBank::from_file(path).map_err(|e| {
        Failure(format!(
            "could not use {} as a SoundFont: {e}",
            path.display()
        ))
    })?;
    Ok(MidiSynth::with_soundfont(Arc::new(bank)))
}
