//! Byte-level mutations of real files, for the parsers' fuzz tests: flip,
//! set, insert and remove bytes, or cut the file short.

use proptest::prelude::*;

/// One change to a file's bytes.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Remove { at: usize, len: usize },
    Truncate { len: usize },
}

/// A random mutation; positions are taken modulo the file's length.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    // Positions are scaled to the file later; most land in the header.
    let at = prop_oneof![0usize..64, any::<usize>()];
    prop_oneof![
        4 => (at.clone(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        4 => (at.clone(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        1 => (at.clone(), prop::collection::vec(any::<u8>(), 1..9))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (at.clone(), 1usize..16).prop_map(|(at, len)| Mutation::Remove { at, len }),
        1 => any::<usize>().prop_map(|len| Mutation::Truncate { len }),
    ]
}

/// Applies `m` to `bytes`.
pub fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match m {
        Mutation::Flip { at, bit } => {
            if let Some(b) = bytes.get_mut(at % n) {
                *b ^= 1 << bit;
            }
        }
        Mutation::Set { at, byte } => {
            if let Some(b) = bytes.get_mut(at % n) {
                *b = *byte;
            }
        }
        Mutation::Insert { at, bytes: ins } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, ins.iter().copied());
        }
        Mutation::Remove { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
        Mutation::Truncate { len } => bytes.truncate(len % n),
    }
}
