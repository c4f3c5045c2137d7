//! Pitches as people write them: note names (`C4`, `F#3`, `Bb2`) or Hz.

use super::error::RenderError;

/// The frequency of a note name in twelve-tone equal temperament with
/// A4 = 440 Hz (MIDI note 69; C4 = MIDI 60 = 261.63 Hz).
///
/// A name is a letter `A` to `G` (either case), then any number of sharps
/// (`#`, `♯`) or flats (`b`, `♭`), then an octave number, which may be
/// negative (`C-1` is MIDI note 0). Anything else is an
/// [`InvalidPitch`](RenderError::InvalidPitch) error.
///
/// ```
/// use polyphonica::render::note_frequency;
///
/// assert_eq!(note_frequency("A4")?, 440.0);
/// assert!((note_frequency("C4")? - 261.63).abs() < 0.01);
/// assert_eq!(note_frequency("F#3")?, note_frequency("Gb3")?);
/// assert!((note_frequency("Bb2")? - 116.54).abs() < 0.01);
/// assert!(note_frequency("H4").is_err());
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn note_frequency(name: &str) -> Result<f32, RenderError> {
    midi_note(name)
        .map(midi_frequency)
        .ok_or_else(|| RenderError::InvalidPitch {
            text: name.to_string(),
        })
}

/// The frequency of MIDI note `note` (69 = A4 = 440 Hz); fractional notes
/// are between semitones.
///
/// ```
/// use polyphonica::render::midi_frequency;
/// assert_eq!(midi_frequency(69.0), 440.0);
/// assert_eq!(midi_frequency(81.0), 880.0);
/// ```
pub fn midi_frequency(note: f32) -> f32 {
    (440.0 * 2f64.powf((f64::from(note) - 69.0) / 12.0)) as f32
}

/// A pitch written as a note name (see [`note_frequency`]) or as a number
/// of Hz, optionally followed by `Hz` (`"440"`, `"261.6 Hz"`). The number
/// must be finite and above 0.
///
/// ```
/// use polyphonica::render::parse_pitch;
/// assert_eq!(parse_pitch("A5")?, 880.0);
/// assert_eq!(parse_pitch("123.5")?, 123.5);
/// assert_eq!(parse_pitch(" 50 hz ")?, 50.0);
/// assert_eq!(
///     parse_pitch("loud").unwrap_err().to_string(),
///     "\"loud\" is not a pitch; expected a note name (a letter A to G, an optional # or b, \
///      and an octave number, like C4, F#3 or Bb2) or a frequency in Hz (like 440 or 440Hz)"
/// );
/// # Ok::<(), polyphonica::RenderError>(())
/// ```
pub fn parse_pitch(text: &str) -> Result<f32, RenderError> {
    let trimmed = text.trim();
    let number = trimmed
        .strip_suffix("Hz")
        .or_else(|| trimmed.strip_suffix("hz"))
        .or_else(|| trimmed.strip_suffix("HZ"))
        .unwrap_or(trimmed)
        .trim_end();
    if let Ok(hz) = number.parse::<f32>() {
        if hz.is_finite() && hz > 0.0 {
            return Ok(hz);
        }
        return Err(RenderError::InvalidPitch {
            text: text.to_string(),
        });
    }
    note_frequency(trimmed).map_err(|_| RenderError::InvalidPitch {
        text: text.to_string(),
    })
}

/// The MIDI note number of a note name, if it is one.
fn midi_note(name: &str) -> Option<f32> {
    let mut chars = name.chars().peekable();
    let semitone = match chars.next()?.to_ascii_uppercase() {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    let mut accidental = 0i32;
    while let Some(&c) = chars.peek() {
        match c {
            '#' | '♯' => accidental += 1,
            'b' | '♭' => accidental -= 1,
            _ => break,
        }
        chars.next();
    }
    let octave: String = chars.collect();
    let octave_valid = {
        let digits = octave.strip_prefix('-').unwrap_or(&octave);
        !digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if !octave_valid {
        return None;
    }
    let octave: i32 = octave.parse().ok()?;
    Some(((octave + 1) * 12 + semitone + accidental) as f32)
}
