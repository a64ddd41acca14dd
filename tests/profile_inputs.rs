//! The output side's inputs and file handling: the banner found in a memory image, live-system
//! discovery under a fake root, and atomic writing (no partial file on error).

use std::io::Write;
use std::path::{Path, PathBuf};

use layout_expert::profile::{banner, live};

const BANNER_61: &str = "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-01-17)\n";
const BANNER_510: &str = "Linux version 5.10.0-30-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.218-1 (2024-06-01)\n";

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile_inputs").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A deterministic pseudo-random filler, so the image is not mostly zeros.
fn filler(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u8
        })
        .collect()
}

/// A synthetic ELF-core-like image of about 9 MiB: an ELF header, random pages, the banner of
/// another kernel, a copy of the 6.1 banner without its NUL (as in a log buffer), and the real
/// `linux_banner` (banner, `\n\0`) placed across the scanner's 8 MiB read boundary.
#[test]
fn banner_from_image_takes_the_release_of_the_pre_ast() {
    let dir = scratch("image");
    let path = dir.join("memory.core");
    let mut image = Vec::new();
    image.extend_from_slice(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x04\0\x3e\0");
    image.extend(filler(4096 - image.len(), 1));
    image.extend(filler(100_000, 2));
    image.extend_from_slice(BANNER_510.as_bytes());
    image.push(0);
    image.extend(filler(300_000, 3));
    image.extend_from_slice(b"<5>");
    image.extend_from_slice(BANNER_61.trim_end().as_bytes());
    image.extend_from_slice(b" [log continues]\x01\x02");
    let boundary = 8 << 20;
    image.extend(filler(boundary - 100 - image.len(), 4));
    image.extend_from_slice(BANNER_61.as_bytes());
    image.push(0);
    image.extend(filler(700_000, 5));
    std::fs::write(&path, &image).unwrap();

    assert_eq!(banner::scan_image(&path, "6.1.0-56-amd64").unwrap(), BANNER_61);
    assert_eq!(banner::scan_image(&path, "5.10.0-30-amd64").unwrap(), BANNER_510);
    let candidates = banner::scan_candidates(&path).unwrap();
    let real = candidates.iter().find(|c| c.text == BANNER_61).unwrap();
    assert_eq!((real.count, real.nul_terminated), (1, 1));

    let err = banner::scan_image(&path, "6.12.117+deb12-amd64").unwrap_err().to_string();
    assert!(err.contains("no banner of kernel 6.12.117+deb12-amd64"), "{err}");
    assert!(err.contains("5.10.0-30-amd64") && err.contains("6.1.0-56-amd64"), "{err}");

    let empty = dir.join("empty.raw");
    std::fs::write(&empty, filler(10_000, 6)).unwrap();
    let err = banner::scan_image(&empty, "6.1.0-56-amd64").unwrap_err().to_string();
    assert!(err.contains("no `Linux version` banner") && err.contains("--banner"), "{err}");
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn gzip(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap();
}

/// A fake root laid out like a Debian 6.1 system: /proc (as root would read it) and /boot.
fn fake_root(dir: &Path) -> (PathBuf, PathBuf) {
    let root = dir.join("root");
    write(&root.join("proc/sys/kernel/osrelease"), "6.1.0-56-amd64\n");
    write(&root.join("proc/version"), BANNER_61);
    gzip(&root.join("proc/config.gz"), "CONFIG_SMP=y\nCONFIG_NR_CPUS=8192\n");
    write(&root.join("proc/kallsyms"), "ffffffff81000000 T _text\nffffffff82a1aa40 D init_task\nffffffffc0a01000 t helper\t[nf_tables]\n");
    write(&root.join("boot/config-6.1.0-56-amd64"), "CONFIG_SMP=y\n");
    write(
        &root.join("boot/System.map-6.1.0-56-amd64"),
        "ffffffff81000000 T _text\nffffffff82a1aa40 D init_task\nffffffff82161900 D linux_banner\n",
    );
    let pre_asts = dir.join("pre-asts");
    for name in ["6.1.0-56.pre-ast", "6.12.117+deb12.pre-ast", "6.1.0-5.pre-ast"] {
        write(&pre_asts.join(name), "");
    }
    (root, pre_asts)
}

#[test]
fn live_mode_finds_everything_under_a_fake_root() {
    let dir = scratch("live");
    let (root, pre_asts) = fake_root(&dir);
    let found = live::discover(&root, &pre_asts).unwrap();
    assert_eq!(found.release, "6.1.0-56-amd64");
    assert_eq!(found.config, root.join("proc/config.gz"));
    assert_eq!(found.symbol_map.file_name, "kallsyms");
    assert_eq!(found.symbol_map.address("init_task"), Some(0xffffffff82a1aa40));
    assert_eq!(found.symbol_map.address("helper"), None);
    assert_eq!(found.banner.as_deref(), Some(BANNER_61));
    assert_eq!(found.pre_ast, pre_asts.join("6.1.0-56.pre-ast"));
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);

    // Without /proc/config.gz the config comes from /boot; unprivileged kallsyms (all zero) falls
    // back to System.map with a warning; without /proc/version there is no banner, with a warning.
    std::fs::remove_file(root.join("proc/config.gz")).unwrap();
    write(&root.join("proc/kallsyms"), "0000000000000000 T _text\n0000000000000000 D init_task\n");
    std::fs::remove_file(root.join("proc/version")).unwrap();
    let found = live::discover(&root, &pre_asts).unwrap();
    assert_eq!(found.config, root.join("boot/config-6.1.0-56-amd64"));
    assert_eq!(found.symbol_map.file_name, "System.map-6.1.0-56-amd64");
    assert_eq!(found.banner, None);
    assert_eq!(found.warnings.len(), 2, "{:?}", found.warnings);
    assert!(found.warnings[0].contains("kptr_restrict"), "{:?}", found.warnings);
    assert!(found.warnings[1].contains("--banner"), "{:?}", found.warnings);
}

#[test]
fn live_mode_says_what_to_supply_for_each_missing_piece() {
    let dir = scratch("live_missing");
    let (root, pre_asts) = fake_root(&dir);

    std::fs::remove_file(root.join("proc/config.gz")).unwrap();
    std::fs::remove_file(root.join("boot/config-6.1.0-56-amd64")).unwrap();
    let err = live::discover(&root, &pre_asts).unwrap_err().to_string();
    assert!(
        err.contains("no kernel config")
            && err.contains("--config-file")
            && err.contains("boot/config-6.1.0-56-amd64"),
        "{err}"
    );
    write(&root.join("boot/config-6.1.0-56-amd64"), "CONFIG_SMP=y\n");

    std::fs::remove_file(root.join("proc/kallsyms")).unwrap();
    std::fs::remove_file(root.join("boot/System.map-6.1.0-56-amd64")).unwrap();
    let err = live::discover(&root, &pre_asts).unwrap_err().to_string();
    assert!(err.contains("no kernel symbols") && err.contains("--system-map"), "{err}");
    write(&root.join("proc/kallsyms"), "0000000000000000 T _text\n");
    let err = live::discover(&root, &pre_asts).unwrap_err().to_string();
    assert!(err.contains("kptr_restrict") && err.contains("--system-map"), "{err}");
    write(&root.join("proc/kallsyms"), "ffffffff81000000 T _text\n");

    let other = dir.join("other-pre-asts");
    write(&other.join("6.12.117+deb12.pre-ast"), "");
    let err = live::discover(&root, &other).unwrap_err().to_string();
    assert!(
        err.contains("no pre-AST for kernel 6.1.0-56-amd64")
            && err.contains("6.12.117+deb12.pre-ast")
            && err.contains("build-pre-ast"),
        "{err}"
    );

    std::fs::remove_file(root.join("proc/sys/kernel/osrelease")).unwrap();
    std::fs::remove_file(root.join("proc/version")).unwrap();
    let err = live::discover(&root, &pre_asts).unwrap_err().to_string();
    assert!(err.contains("cannot tell the running kernel's release"), "{err}");
}
