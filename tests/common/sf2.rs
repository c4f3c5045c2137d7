//! A SoundFont 2 file written byte by byte: one preset (bank 0, program
//! 0) of one instrument zone playing one looped mono sample, for tests
//! that need a font whose every sample they know.

#![allow(dead_code)]

/// One chunk: id, little-endian length, body, pad byte.
fn chunk(id: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend((body.len() as u32).to_le_bytes());
    out.extend(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
    out
}

/// A LIST chunk of `kind` holding `chunks`.
fn list(kind: &[u8; 4], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut body = kind.to_vec();
    for c in chunks {
        body.extend(c);
    }
    chunk(b"LIST", &body)
}

/// A 20-byte name.
fn name(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    out.resize(20, 0);
    out
}

/// A font whose preset 0:0 plays `frames` (at `sample_rate`, sounding at
/// MIDI key `root`) on every key, looping `loop_frames` (start, end)
/// continuously, with no envelope to speak of (instant attack, full
/// sustain, 10 ms release) and `generators` (number, value) added to the
/// instrument zone.
pub fn looped_sample_font(
    frames: &[i16],
    sample_rate: u32,
    root: u8,
    loop_frames: (u32, u32),
    generators: &[(u16, i16)],
) -> Vec<u8> {
    let mut smpl: Vec<u8> = frames.iter().flat_map(|s| s.to_le_bytes()).collect();
    smpl.extend([0u8; 92]); // 46 zero frames after the sample, as the standard asks
    let u16s = |v: &[u16]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
    let gen = |oper: u16, amount: i16| -> Vec<u8> {
        let mut g = oper.to_le_bytes().to_vec();
        g.extend(amount.to_le_bytes());
        g
    };

    let mut phdr = name("Test");
    phdr.extend(u16s(&[0, 0, 0]));
    phdr.extend([0u8; 12]);
    phdr.extend(name("EOP"));
    phdr.extend(u16s(&[0, 0, 1]));
    phdr.extend([0u8; 12]);
    let pbag = u16s(&[0, 0, 1, 0]);
    let pmod = vec![0u8; 10];
    let mut pgen = gen(41, 0); // instrument 0
    pgen.extend(gen(0, 0));

    let mut inst = name("Test");
    inst.extend(u16s(&[0]));
    inst.extend(name("EOI"));
    inst.extend(u16s(&[1]));
    let mut igen = Vec::new();
    for &(oper, amount) in generators {
        igen.extend(gen(oper, amount));
    }
    igen.extend(gen(38, -3986)); // releaseVolEnv: 10 ms
    igen.extend(gen(54, 1)); // sampleModes: loop continuously
    igen.extend(gen(53, 0)); // sampleID: the last generator
    let zone_gens = (igen.len() / 4) as u16;
    igen.extend(gen(0, 0));
    let ibag = u16s(&[0, 0, zone_gens, 0]);
    let imod = vec![0u8; 10];

    let mut shdr = name("Sample");
    let end = frames.len() as u32;
    for v in [0, end, loop_frames.0, loop_frames.1, sample_rate] {
        shdr.extend(v.to_le_bytes());
    }
    shdr.extend([root, 0]);
    shdr.extend(u16s(&[0, 1]));
    shdr.extend(name("EOS"));
    shdr.extend([0u8; 26]);

    let info = list(
        b"INFO",
        &[
            chunk(b"ifil", &u16s(&[2, 1])),
            chunk(b"isng", b"EMU8000\0"),
            chunk(b"INAM", b"Test\0\0"),
        ],
    );
    let sdta = list(b"sdta", &[chunk(b"smpl", &smpl)]);
    let pdta = list(
        b"pdta",
        &[
            chunk(b"phdr", &phdr),
            chunk(b"pbag", &pbag),
            chunk(b"pmod", &pmod),
            chunk(b"pgen", &pgen),
            chunk(b"inst", &inst),
            chunk(b"ibag", &ibag),
            chunk(b"imod", &imod),
            chunk(b"igen", &igen),
            chunk(b"shdr", &shdr),
        ],
    );
    let mut body = b"sfbk".to_vec();
    body.extend(info);
    body.extend(sdta);
    body.extend(pdta);
    chunk(b"RIFF", &body)
}
