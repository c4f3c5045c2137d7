//! The plugin's saved state: the parameter values, versioned.
//!
//! Layout (little-endian): the magic `PLYC`, a format version (`u32`, now
//! 1), a count (`u32`), then per parameter its stable id (`u32`) and value
//! (`f64`). Loading takes the ids it knows (clamping each value into
//! range) and leaves the others at their current values, so a state saved
//! by a version with more or fewer parameters still loads.

use crate::params::{index_of, SPECS};

/// The first bytes of every state.
pub const MAGIC: &[u8; 4] = b"PLYC";
/// The format version written.
pub const VERSION: u32 = 1;
/// The most parameters a state may list (a bound on what a state can make
/// the loader read).
pub const MAX_ENTRIES: u32 = 4096;

/// Why a state did not load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateError {
    /// It does not start with [`MAGIC`].
    NotAState,
    /// A format version this build cannot read.
    Version(u32),
    /// It ends early or lists more than [`MAX_ENTRIES`].
    Truncated,
}

/// The state holding `values` (one per entry of [`SPECS`], in order).
///
/// ```
/// use polyphonica_clap::{params::SPECS, state};
/// let values: Vec<f64> = SPECS.iter().map(|s| s.default).collect();
/// let bytes = state::encode(&values);
/// let back = state::decode(&bytes).unwrap();
/// assert_eq!(back.len(), SPECS.len());
/// ```
pub fn encode(values: &[f64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + 12 * values.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for (spec, value) in SPECS.iter().zip(values) {
        out.extend_from_slice(&spec.id.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}

/// The (position in [`SPECS`], value) pairs a state holds, each value
/// clamped into its range; unknown ids are skipped.
///
/// # Errors
/// [`StateError`] when the bytes are not a state this build reads.
pub fn decode(bytes: &[u8]) -> Result<Vec<(usize, f64)>, StateError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(StateError::NotAState)?;
    let word = |at: usize| -> Result<u32, StateError> {
        let b = rest.get(at..at + 4).ok_or(StateError::Truncated)?;
        Ok(u32::from_le_bytes(b.try_into().expect("four bytes")))
    };
    let version = word(0)?;
    if version != VERSION {
        return Err(StateError::Version(version));
    }
    let count = word(4)?;
    if count > MAX_ENTRIES || rest.len() < 8 + 12 * count as usize {
        return Err(StateError::Truncated);
    }
    let mut out = Vec::with_capacity(count as usize);
    for k in 0..count as usize {
        let at = 8 + 12 * k;
        let id = word(at)?;
        let b = &rest[at + 4..at + 12];
        let value = f64::from_le_bytes(b.try_into().expect("eight bytes"));
        if let Some(i) = index_of(id) {
            out.push((i, SPECS[i].clamp(value)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_a_state() {
        let values: Vec<f64> = SPECS.iter().map(|s| s.max).collect();
        let bytes = encode(&values);
        let back = decode(&bytes).unwrap();
        assert_eq!(back, values.iter().copied().enumerate().collect::<Vec<_>>());
        assert_eq!(decode(b"nope"), Err(StateError::NotAState));
        assert_eq!(
            decode(&bytes[..bytes.len() - 1]),
            Err(StateError::Truncated)
        );
        let mut future = bytes.clone();
        future[4] = 2;
        assert_eq!(decode(&future), Err(StateError::Version(2)));
        // A huge count in a short state is refused before anything is read.
        let mut huge = bytes[..12].to_vec();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&huge), Err(StateError::Truncated));
    }

    #[test]
    fn out_of_range_values_are_clamped_and_unknown_ids_skipped() {
        let mut bytes = encode(&[]);
        bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
        for (id, v) in [(8u32, 1e9f64), (999, 1.0)] {
            bytes.extend_from_slice(&id.to_le_bytes());
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(decode(&bytes).unwrap(), vec![(7, 20_000.0)]);
    }
}
