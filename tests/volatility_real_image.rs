//! The real client on a real image (behind `LAYOUT_EXPERT_QEMU=1`, as it boots a VM): Debian's
//! 6.1.0-56-amd64 kernel boots in QEMU (TCG) with a busybox initramfs guest that loads two
//! modules and starts marker processes; its memory is dumped through QMP; Volatility 3 2.28.2
//! runs every Linux plugin of the coverage list on the dump with our ISF (headers +
//! linux-source-6.1, the image's config and System.map, the banner found in the image) and with
//! dwarf2json's, and the rows must be the same for every plugin that works with dwarf2json's.
//! `LAYOUT_EXPERT_QEMU_KASLR=1` boots with KASLR (default: `nokaslr`).
//!
//! What it needs is installed here: `qemu-system-x86` (apt-get install), the kernel image and
//! `busybox-static` packages (apt-get download, into `target/vol-image/`), Volatility 3 in the
//! test virtualenv. Facts from `../shared/volatility/README.md`.

#[path = "common/kernels.rs"]
mod kernels;
#[path = "common/vol3.rs"]
mod vol3;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use layout_expert::profile::volatility_coverage::Coverage;

const KERNEL_PACKAGE: &str = "linux-image-6.1.0-56-amd64-unsigned=6.1.192-2";
const RELEASE: &str = "6.1.0-56-amd64";
const READY: &str = "LAYOUT-EXPERT-GUEST-READY";

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The unpacked kernel image and busybox packages, and QEMU, installed once.
fn prepare(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    if !root.join("boot").join(format!("vmlinuz-{RELEASE}")).is_file() || !root.join("bin/busybox").is_file() {
        let debs = dir.join("debs");
        std::fs::create_dir_all(&debs).unwrap();
        run(Command::new("apt-get").args(["download", KERNEL_PACKAGE, "busybox-static"]).current_dir(&debs));
        for deb in std::fs::read_dir(&debs).unwrap() {
            run(Command::new("dpkg-deb").arg("-x").arg(deb.unwrap().path()).arg(&root));
        }
    }
    if Command::new("qemu-system-x86_64").arg("--version").output().is_err() {
        run(Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "qemu-system-x86"])
            .env("DEBIAN_FRONTEND", "noninteractive"));
    }
    root
}

/// A `newc` cpio archive of `staging` (owners and modes as on disk: the guest tells uids apart).
fn cpio(staging: &Path) -> Vec<u8> {
    use std::os::unix::fs::MetadataExt;
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, std::fs::Metadata, Vec<u8>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for path in entries {
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            let data = if meta.file_type().is_symlink() {
                std::fs::read_link(&path).unwrap().to_string_lossy().into_owned().into_bytes()
            } else if meta.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            let is_dir = meta.is_dir();
            out.push((rel, meta, data));
            if is_dir {
                walk(&path, base, out);
            }
        }
    }
    let mut entries = Vec::new();
    walk(staging, staging, &mut entries);
    let mut out = Vec::new();
    let mut push = |name: &str, mode: u32, uid: u32, gid: u32, nlink: u32, data: &[u8], ino: u32| {
        let header = format!(
            "070701{ino:08X}{mode:08X}{uid:08X}{gid:08X}{nlink:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}",
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0
        );
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    for (i, (name, meta, data)) in entries.iter().enumerate() {
        push(name, meta.mode(), meta.uid(), meta.gid(), if meta.is_dir() { 2 } else { 1 }, data, i as u32 + 1);
    }
    push("TRAILER!!!", 0, 0, 0, 1, &[], 0);
    out
}

const INIT: &str = r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
insmod /modules/crc7.ko
insmod /modules/dummy.ko
echo 'ls -la /tmp' > /root/.bash_history
sleep 100001 &
sleep 100002 &
exec 3< /etc/hostname
su -s /bin/sh nobody -c 'sleep 100003' &
sleep 2
echo LAYOUT-EXPERT-GUEST-READY
exec sleep 1000000
"#;

fn initramfs(root: &Path, dir: &Path) -> PathBuf {
    let staging = dir.join("staging");
    let _ = std::fs::remove_dir_all(&staging);
    for d in ["bin", "proc", "sys", "dev", "tmp", "root", "etc", "modules"] {
        std::fs::create_dir_all(staging.join(d)).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(root.join("bin/busybox"), staging.join("bin/busybox")).unwrap();
    let modules = root.join("lib/modules").join(RELEASE).join("kernel");
    std::fs::copy(modules.join("lib/crc7.ko"), staging.join("modules/crc7.ko")).unwrap();
    std::fs::copy(modules.join("drivers/net/dummy.ko"), staging.join("modules/dummy.ko")).unwrap();
    std::fs::write(staging.join("etc/hostname"), "guest\n").unwrap();
    std::fs::write(staging.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n").unwrap();
    std::fs::write(staging.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
    std::fs::write(staging.join("init"), INIT).unwrap();
    std::fs::set_permissions(staging.join("init"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.join("initramfs.cpio");
    std::fs::write(&path, cpio(&staging)).unwrap();
    path
}

/// Boots the guest, waits until it is ready, dumps its memory as ELF and stops QEMU.
fn dump(root: &Path, dir: &Path, kaslr: bool) -> PathBuf {
    let initrd = initramfs(root, dir);
    let qmp = dir.join("qmp.sock");
    let _ = std::fs::remove_file(&qmp);
    let image = dir.join(if kaslr { "memory-kaslr.elf" } else { "memory.elf" });
    let _ = std::fs::remove_file(&image);
    let append = format!("console=ttyS0 panic=-1{}", if kaslr { "" } else { " nokaslr" });
    let mut qemu = Command::new("qemu-system-x86_64")
        .args(["-cpu", "qemu64", "-smp", "1", "-m", "512", "-nodefaults", "-nic", "none", "-display", "none", "-serial", "stdio"])
        .arg("-kernel")
        .arg(root.join("boot").join(format!("vmlinuz-{RELEASE}")))
        .arg("-initrd")
        .arg(&initrd)
        .args(["-append", &append])
        .arg("-qmp")
        .arg(format!("unix:{},server=on,wait=off", qmp.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("qemu-system-x86_64");
    let start = Instant::now();
    let mut serial = BufReader::new(qemu.stdout.take().unwrap());
    let mut console = String::new();
    loop {
        let mut line = String::new();
        if serial.read_line(&mut line).unwrap_or(0) == 0 || start.elapsed() > Duration::from_secs(300) {
            let _ = qemu.kill();
            panic!("the guest did not get ready:\n{console}");
        }
        console.push_str(&line);
        if line.trim() == READY {
            break;
        }
    }
    let mut sock = UnixStream::connect(&qmp).unwrap();
    let mut reply = BufReader::new(sock.try_clone().unwrap());
    let mut read_reply = |want: &str| loop {
        let mut line = String::new();
        reply.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "QMP closed");
        assert!(!line.contains("\"error\""), "QMP: {line}");
        if line.contains(want) {
            break;
        }
    };
    read_reply("QMP");
    for (command, want) in [
        (r#"{"execute":"qmp_capabilities"}"#.to_owned(), "return"),
        (r#"{"execute":"stop"}"#.to_owned(), "return"),
        (format!(r#"{{"execute":"dump-guest-memory","arguments":{{"paging":false,"protocol":"file:{}"}}}}"#, image.display()), "return"),
    ] {
        writeln!(sock, "{command}").unwrap();
        read_reply(want);
    }
    writeln!(sock, r#"{{"execute":"quit"}}"#).unwrap();
    let _ = qemu.wait();
    assert!(image.is_file());
    image
}

/// Runs one plugin. `cache` is this table's own cache directory (emptied once per test run), so
/// Volatility cannot pick the other table from a cache.
fn vol(python: &Path, image: &Path, symbols: &Path, cache: &Path, plugin: &str) -> (bool, String) {
    // Plugins that need arguments get ones that make them read the most.
    let args: &[&str] = match plugin {
        "linux.kallsyms.Kallsyms" => &["--core", "--modules", "--ftrace", "--bpf"],
        "linux.vmaregexscan.VmaRegExScan" => &["--pattern", "LAYOUT"],
        _ => &[],
    };
    let out = Command::new(python)
        .args(["-c", "import sys; from volatility3.cli import main; sys.argv[0] = 'vol'; main()"])
        .arg("-q")
        .arg("--cache-path")
        .arg(cache)
        .arg("-s")
        .arg(symbols)
        .arg("-f")
        .arg(image)
        .arg(plugin)
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn volatility_plugins_give_the_same_rows_with_our_isf_on_a_real_image() {
    if std::env::var_os("LAYOUT_EXPERT_QEMU").is_none() {
        // Booting a VM takes minutes on CI without KVM: opt-in, as the module doc says.
        eprintln!("LAYOUT_EXPERT_QEMU is not set: the real-image test does not run");
        return;
    }
    let kaslr = std::env::var_os("LAYOUT_EXPERT_QEMU_KASLR").is_some();
    let dir = kernels::repo().join("target/vol-image");
    std::fs::create_dir_all(&dir).unwrap();
    let root = prepare(&dir);
    let image = dump(&root, &dir, kaslr);

    // Our ISF: headers + linux-source-6.1, the image's config and System.map, the banner found in
    // the image, through the real command line.
    let (_, flavour) = kernels::debian_6_1();
    let mut timings = Vec::new();
    let source = xtask::custom_config::ensure_source(xtask::custom_config::source_package("6.1").unwrap(), &mut timings).unwrap();
    let exe = env!("CARGO_BIN_EXE_layout-expert");
    let ours_dir = dir.join("symbols-ours");
    let _ = std::fs::remove_dir_all(&ours_dir);
    std::fs::create_dir_all(ours_dir.join("linux")).unwrap();
    let pre_ast = dir.join("6.1.pre-ast");
    run(Command::new(exe).args(["-q", "build-pre-ast", "-l"]).arg(&flavour).arg("--kernel-source").arg(&source).arg(&pre_ast));
    run(Command::new(exe)
        .args(["-q", "make-profile", "--format", "isf", "--config-file"])
        .arg(root.join("boot").join(format!("config-{RELEASE}")))
        // The image package's System.map is a placeholder; the real one is the shared copy.
        .arg("--system-map")
        .arg(kernels::shared_kernels().join(format!("System.map-{RELEASE}.gz")))
        .arg("--banner-from-image")
        .arg(&image)
        .arg(&pre_ast)
        .arg(ours_dir.join("linux/ours.json.xz")));
    let theirs_dir = dir.join("symbols-dwarf2json");
    std::fs::create_dir_all(theirs_dir.join("linux")).unwrap();
    let reference = kernels::shared_kernels().parent().unwrap().join("volatility/dwarf2json-6.1.0-56-amd64.json.xz");
    std::fs::copy(&reference, theirs_dir.join("linux/dwarf2json.json.xz")).unwrap();

    let python = vol3::python();
    let (cache_theirs, cache_ours) = (dir.join("cache-theirs"), dir.join("cache-ours"));
    for cache in [&cache_theirs, &cache_ours] {
        let _ = std::fs::remove_dir_all(cache);
        std::fs::create_dir_all(cache).unwrap();
    }
    let list = Coverage::builtin();
    // The plugins that walk every symbol or scan all memory are slow in Python: last.
    // `LAYOUT_EXPERT_QEMU_PLUGINS=a,b` runs only those (full names, e.g. `linux.ip.Addr`).
    let only = std::env::var("LAYOUT_EXPERT_QEMU_PLUGINS").ok();
    let mut plugins: Vec<&str> = list
        .plugins
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == *p)))
        .collect();
    const SLOW: [&str; 10] = [
        "linux.psscan", "linux.sockscan", "linux.pagecache", "linux.vmaregexscan", "linux.check_afinfo",
        "linux.check_syscall", "linux.kthreads", "linux.netfilter", "linux.check_idt", "linux.tty_check",
    ];
    plugins.sort_by_key(|p| SLOW.iter().any(|slow| p.starts_with(&format!("{slow}."))));
    let (mut same, mut working, mut report) = (0, 0, Vec::new());
    for name in plugins {
        let (ok_theirs, rows_theirs) = vol(&python, &image, &theirs_dir, &cache_theirs, name);
        if !ok_theirs {
            report.push(format!("{name}: fails with dwarf2json's table too"));
            eprintln!("{}", report.last().unwrap());
            continue;
        }
        working += 1;
        let (ok_ours, rows_ours) = vol(&python, &image, &ours_dir, &cache_ours, name);
        if ok_ours && rows_ours == rows_theirs {
            same += 1;
            report.push(format!("{name}: same rows ({} lines)", rows_theirs.lines().count()));
        } else {
            report.push(format!("{name}: DIFFERENT (ours ok: {ok_ours})\n--- dwarf2json\n{rows_theirs}\n--- ours\n{rows_ours}"));
        }
        eprintln!("{}", report.last().unwrap());
    }
    println!("real image ({}): {same}/{working} plugins give the same rows\n{}", if kaslr { "KASLR" } else { "nokaslr" }, report.join("\n"));
    assert!(working > 20 || only.is_some(), "too few plugins work with dwarf2json's table: {report:?}");
    assert_eq!(same, working, "{}", report.join("\n"));
}
