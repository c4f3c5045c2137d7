//! Loading a SoundFont: Debian's FluidR3_GM (148 MB) and TimGM6mb (6 MB),
//! read from the file and resolved, as `SoundFont::from_file` does (the
//! file is in the page cache after the first iteration).
//!
//! `cargo bench --bench soundfont_load` (needs `apt-get install
//! fluid-soundfont-gm timgm6mb-soundfont`; a missing font is reported and
//! skipped).

use criterion::{criterion_group, criterion_main, Criterion};
use polyphonica::soundfont::SoundFont;

const FONTS: [(&str, &str); 2] = [
    ("fluidr3_gm_148mb", "/usr/share/sounds/sf2/FluidR3_GM.sf2"),
    ("timgm6mb_6mb", "/usr/share/sounds/sf2/TimGM6mb.sf2"),
];

fn load(c: &mut Criterion) {
    let mut group = c.benchmark_group("soundfont_load");
    group.sample_size(10);
    for (name, path) in FONTS {
        if !std::path::Path::new(path).exists() {
            eprintln!("{path} is not installed: {name} skipped");
            continue;
        }
        group.bench_function(name, |b| {
            b.iter(|| SoundFont::from_file(path).expect("the font loads"))
        });
    }
    group.finish();
}

criterion_group!(benches, load);
criterion_main!(benches);
