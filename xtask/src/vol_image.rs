//! The real-image Volatility 3 test: a memory image of Debian's 6.1.0-56-amd64 kernel booted in
//! QEMU (TCG) with a busybox initramfs guest, and a runner that runs Volatility 3's Linux plugins
//! on it with dwarf2json's reference ISF and with ours and compares their rows.
//!
//! Everything it needs comes through the ordinary package clients: the kernel image and
//! `busybox-static` packages are fetched with `apt-get download` and unpacked (not installed)
//! under `target/vol-image/root/`; `qemu-system-x86` is installed with apt-get when missing;
//! Volatility 3 (pinned) lives in the test virtualenv `target/vol3venv`. Dumps and plugin outputs
//! are cached under `target/vol-image/` by content (the inputs' SHA-256), so a second run only
//! runs what changed (our ISF). Facts from `../shared/volatility/README.md`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{self, Result};
use crate::{bail, format_err};

/// The kernel package, and the exact build dwarf2json's reference ISF and the shared System.map
/// were made from.
pub const KERNEL_PACKAGE: &str = "linux-image-6.1.0-56-amd64-unsigned";
pub const KERNEL_VERSION: &str = "6.1.192-2";
pub const RELEASE: &str = "6.1.0-56-amd64";
/// The pinned Volatility 3.
pub const VOLATILITY: &str = "volatility3==2.28.2";
/// The guest prints this on the serial line when its marker processes run.
const READY: &str = "LAYOUT-EXPERT-GUEST-READY";
/// QEMU's machine: the README's flags (TCG, no KVM: a guest under it spins without vmx/svm).
const QEMU_ARGS: [&str; 11] =
    ["-cpu", "qemu64", "-smp", "1", "-m", "512", "-nodefaults", "-nic", "none", "-display", "none"];
/// How long a boot to the ready guest may take (18–24 s measured on 2 cores).
const BOOT_TIMEOUT: Duration = Duration::from_secs(240);
/// How long one plugin run may take.
const PLUGIN_TIMEOUT_SECS: u32 = 300;

/// `target/vol-image/`.
pub fn dir() -> PathBuf {
    util::target_dir().join("vol-image")
}

/// The unpacked kernel image and busybox packages (`root/boot/vmlinuz-…`, `root/bin/busybox`,
/// `root/lib/modules/…`), fetched once. A kernel build other than [`KERNEL_VERSION`] is an error:
/// the reference ISF and System.map belong to that build, a different one must not pass.
pub fn ensure_packages() -> Result<PathBuf> {
    let dir = dir();
    let root = dir.join("root");
    let stamp = root.join(".layout-expert-stamp");
    let want = format!("{KERNEL_PACKAGE} {KERNEL_VERSION} + busybox-static\n");
    if util::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(root);
    }
    let debs = dir.join("debs");
    util::remove_dir_all_if_exists(&debs)?;
    util::create_dir_all(&debs)?;
    let pinned = format!("{KERNEL_PACKAGE}={KERNEL_VERSION}");
    if let Err(e) =
        util::run(Command::new("apt-get").args(["download", &pinned]).current_dir(&debs))
    {
        let policy = util::run_stdout(Command::new("apt-cache").args(["policy", KERNEL_PACKAGE]))
            .unwrap_or_default();
        bail!(
            "the kernel the reference ISF was made from, {pinned}, cannot be fetched: {e}\n\
             apt-cache policy {KERNEL_PACKAGE}:\n{policy}\n\
             dwarf2json's reference and the shared System.map are for {KERNEL_VERSION}; another \
             build has another banner and other addresses, so the real-image test cannot run"
        );
    }
    util::run(Command::new("apt-get").args(["download", "busybox-static"]).current_dir(&debs))?;
    util::remove_dir_all_if_exists(&root)?;
    util::create_dir_all(&root)?;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&debs)
        .map_err(|e| format_err!("{}: {e}", debs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    entries.sort();
    for deb in &entries {
        let version =
            util::run_stdout(Command::new("dpkg-deb").args(["-f"]).arg(deb).arg("Version"))?;
        let name = deb.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with(KERNEL_PACKAGE) && version.trim() != KERNEL_VERSION {
            bail!(
                "{}: version {} is not the reference's {KERNEL_VERSION}",
                deb.display(),
                version.trim()
            );
        }
        util::run(Command::new("dpkg-deb").arg("-x").arg(deb).arg(&root))?;
    }
    for need in [format!("boot/vmlinuz-{RELEASE}"), "bin/busybox".to_owned()] {
        if !root.join(&need).is_file() {
            bail!("{}: the unpacked packages have no {need}", root.display());
        }
    }
    util::write(&stamp, want)?;
    Ok(root)
}

/// QEMU, installed with apt-get when it is missing.
fn ensure_qemu() -> Result<String> {
    if let Ok(version) = util::run_stdout(Command::new("qemu-system-x86_64").arg("--version")) {
        return Ok(version);
    }
    util::run(Command::new("apt-get").args(["update", "-qq"]))?;
    util::run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends", "qemu-system-x86"])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    util::run_stdout(Command::new("qemu-system-x86_64").arg("--version"))
}

/// The guest's `/init`: mounts, two modules, marker processes (one as another user, one holding
/// an open file, a shell history file), its own process table on the serial line (the answer
/// key for `linux.pslist`), then the ready line.
const INIT: &str = r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
insmod /modules/crc7.ko
insmod /modules/dummy.ko
printf '#1700000000\nls -la /tmp\n#1700000001\necho layout-expert-marker\n' > /root/.bash_history
echo 'layout-expert open file' > /tmp/marker.txt
sleep 100001 &
sleep 100002 3< /tmp/marker.txt &
su -s /bin/sh nobody -c 'exec sleep 100003' &
sleep 1
echo LAYOUT-EXPERT-PROCESS-TABLE
for s in /proc/[0-9]*/status; do
  awk '/^(Name|Pid|PPid|Uid|Gid):/ {printf "%s %s %s ", $1, $2, $3} END {print ""}' "$s" 2>/dev/null
done
echo LAYOUT-EXPERT-GUEST-READY
exec sleep 1000000
"#;

/// A `newc` cpio archive of `staging`, with owners and modes as on disk (the guest tells uids
/// apart, so no owner is rewritten).
fn cpio(staging: &Path) -> Result<Vec<u8>> {
    use std::os::unix::fs::MetadataExt;
    fn walk(
        dir: &Path,
        base: &Path,
        out: &mut Vec<(String, std::fs::Metadata, Vec<u8>)>,
    ) -> Result<()> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| format_err!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        for path in paths {
            let meta = std::fs::symlink_metadata(&path)
                .map_err(|e| format_err!("{}: {e}", path.display()))?;
            let name = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().into_owned();
            let data = if meta.file_type().is_symlink() {
                std::fs::read_link(&path)
                    .map_err(|e| format_err!("{}: {e}", path.display()))?
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes()
            } else if meta.is_file() {
                util::read(&path)?
            } else {
                Vec::new()
            };
            let is_dir = meta.is_dir();
            out.push((name, meta, data));
            if is_dir {
                walk(&path, base, out)?;
            }
        }
        Ok(())
    }
    /// One `newc` entry; `owner` is (mode, uid, gid, nlink).
    fn entry(out: &mut Vec<u8>, ino: usize, name: &str, owner: (u32, u32, u32, u32), data: &[u8]) {
        let (mode, uid, gid, nlink) = owner;
        let fields = [
            ino as u32,
            mode,
            uid,
            gid,
            nlink,
            0,
            data.len() as u32,
            0,
            0,
            0,
            0,
            name.len() as u32 + 1,
            0,
        ];
        out.extend_from_slice(b"070701");
        for f in fields {
            out.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.resize(out.len().next_multiple_of(4), 0);
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    let mut files = Vec::new();
    walk(staging, staging, &mut files)?;
    let mut out = Vec::new();
    for (i, (name, meta, data)) in files.iter().enumerate() {
        let nlink = if meta.is_dir() { 2 } else { 1 };
        entry(&mut out, i + 1, name, (meta.mode(), meta.uid(), meta.gid(), nlink), data);
    }
    entry(&mut out, 0, "TRAILER!!!", (0, 0, 0, 1), &[]);
    Ok(out)
}

/// The guest's initramfs (busybox as `/init`'s shell, the two modules), as bytes.
fn initramfs(root: &Path) -> Result<Vec<u8>> {
    use std::os::unix::fs::PermissionsExt;
    let staging = dir().join(format!("staging-{}", std::process::id()));
    util::remove_dir_all_if_exists(&staging)?;
    for d in ["bin", "proc", "sys", "dev", "tmp", "root", "etc", "modules"] {
        util::create_dir_all(&staging.join(d))?;
    }
    let chmod = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format_err!("{}: {e}", path.display()))
    };
    // The staging root becomes the guest's `/`: mode 755, or non-root users cannot run anything.
    chmod(&staging, 0o755)?;
    chmod(&staging.join("tmp"), 0o1777)?;
    let copy = |from: PathBuf, to: &str| {
        std::fs::copy(&from, staging.join(to)).map_err(|e| format_err!("{}: {e}", from.display()))
    };
    copy(root.join("bin/busybox"), "bin/busybox")?;
    let modules = root.join("lib/modules").join(RELEASE).join("kernel");
    copy(modules.join("lib/crc7.ko"), "modules/crc7.ko")?;
    copy(modules.join("drivers/net/dummy.ko"), "modules/dummy.ko")?;
    util::write(&staging.join("etc/hostname"), "layout-expert-guest\n")?;
    util::write(
        &staging.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n",
    )?;
    util::write(&staging.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n")?;
    util::write(&staging.join("init"), INIT)?;
    chmod(&staging.join("init"), 0o755)?;
    let archive = cpio(&staging);
    util::remove_dir_all_if_exists(&staging)?;
    archive
}

/// A memory image of the booted guest and what the guest printed.
#[derive(Debug, Clone)]
pub struct Dump {
    pub image: PathBuf,
    pub console: String,
    pub kaslr: bool,
    /// The cache key (SHA-256 of the kernel, the initramfs, QEMU's version and command line).
    pub key: String,
}

/// Boots the guest (with or without `nokaslr`) and dumps its memory as an ELF core through QMP
/// (`stop`, `dump-guest-memory` without paging), unless a dump of the same inputs is cached.
pub fn ensure_dump(kaslr: bool) -> Result<Dump> {
    let root = ensure_packages()?;
    let qemu_version = ensure_qemu()?;
    let initrd = initramfs(&root)?;
    let kernel = root.join("boot").join(format!("vmlinuz-{RELEASE}"));
    let append = format!("console=ttyS0 panic=-1{}", if kaslr { "" } else { " nokaslr" });
    let key_text = format!(
        "{}\n{}\n{qemu_version}\n{}\n{append}\n",
        util::sha256_files(std::slice::from_ref(&kernel))?.concat(),
        util::sha256_bytes(&initrd)?,
        QEMU_ARGS.join(" ")
    );
    let key = util::sha256_bytes(key_text.as_bytes())?;
    let out = dir().join("dumps").join(&key[..16]);
    let image = out.join("memory.elf");
    let console_path = out.join("console.log");
    if image.is_file() && out.join("done").is_file() {
        let console = util::read_to_string(&console_path)?;
        return Ok(Dump { image, console, kaslr, key });
    }
    util::remove_dir_all_if_exists(&out)?;
    util::create_dir_all(&out)?;
    let initrd_path = out.join("initramfs.cpio");
    util::write(&initrd_path, &initrd)?;
    let qmp = out.join("qmp.sock");
    let mut qemu = Command::new("qemu-system-x86_64")
        .args(QEMU_ARGS)
        .arg("-serial")
        .arg(format!("file:{}", console_path.display()))
        .arg("-kernel")
        .arg(&kernel)
        .arg("-initrd")
        .arg(&initrd_path)
        .args(["-append", &append])
        .arg("-qmp")
        .arg(format!("unix:{},server=on,wait=off", qmp.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format_err!("cannot run qemu-system-x86_64: {e}"))?;
    let result = boot_and_dump(&mut qemu, &console_path, &qmp, &image);
    let _ = qemu.kill();
    let _ = qemu.wait();
    let console = std::fs::read_to_string(&console_path).unwrap_or_default();
    if let Err(e) = result {
        let tail: Vec<&str> = console.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("{e}\nthe guest's serial console ended with:\n{}", tail.join("\n"));
    }
    util::write(&out.join("done"), "")?;
    let _ = std::fs::remove_file(&initrd_path);
    Ok(Dump { image, console, kaslr, key })
}

fn boot_and_dump(
    qemu: &mut std::process::Child,
    console: &Path,
    qmp: &Path,
    image: &Path,
) -> Result<()> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = qemu.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = qemu.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            bail!("QEMU exited ({status}) before the guest was ready: {err}");
        }
        let text = std::fs::read_to_string(console).unwrap_or_default();
        if text.lines().any(|l| l.trim() == READY) {
            break;
        }
        if start.elapsed() > BOOT_TIMEOUT {
            bail!("the guest was not ready after {} s", BOOT_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let sock =
        UnixStream::connect(qmp).map_err(|e| format_err!("QMP socket {}: {e}", qmp.display()))?;
    sock.set_read_timeout(Some(Duration::from_secs(120))).map_err(|e| format_err!("QMP: {e}"))?;
    let mut writer = sock.try_clone().map_err(|e| format_err!("QMP: {e}"))?;
    let mut reader = BufReader::new(sock);
    let mut expect = |what: &str| -> Result<()> {
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).map_err(|e| format_err!("QMP, waiting for {what}: {e}"))?;
            if line.is_empty() {
                bail!("QMP closed while waiting for {what}");
            }
            if line.contains("\"error\"") {
                bail!("QMP answered {what} with {}", line.trim());
            }
            if line.contains(what) {
                return Ok(());
            }
        }
    };
    expect("QMP")?;
    let dump = format!(
        r#"{{"execute":"dump-guest-memory","arguments":{{"paging":false,"protocol":"file:{}"}}}}"#,
        image.display()
    );
    for command in [r#"{"execute":"qmp_capabilities"}"#, r#"{"execute":"stop"}"#, dump.as_str()] {
        writeln!(writer, "{command}").map_err(|e| format_err!("QMP: {e}"))?;
        expect("\"return\"")?;
    }
    let _ = writeln!(writer, r#"{{"execute":"quit"}}"#);
    if !image.is_file() {
        bail!("QEMU reported the dump done but {} is missing", image.display());
    }
    Ok(())
}

/// The test virtualenv's python with the pinned Volatility 3, created on first use.
pub fn volatility_python() -> Result<PathBuf> {
    let venv = util::target_dir().join("vol3venv");
    let python = venv.join("bin/python");
    let ok = |python: &Path| {
        Command::new(python)
            .args(["-c", "import volatility3, jsonschema; from volatility3.framework import constants; assert constants.PACKAGE_VERSION == '2.28.2', constants.PACKAGE_VERSION"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !ok(&python) {
        util::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        util::run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            VOLATILITY,
            "jsonschema==4.26.0",
        ]))?;
        if !ok(&python) {
            bail!("{}: the virtualenv has no {VOLATILITY}", venv.display());
        }
    }
    Ok(python)
}

/// The Linux plugins to run: those `plugin-reads.json` recorded, and every `linux.` plugin the
/// pinned package lists in `vol -h`.
pub fn plugins(python: &Path) -> Result<Vec<String>> {
    let reads = shared_volatility()?.join("plugin-reads.json");
    let reads: Value = serde_json::from_str(&util::read_to_string(&reads)?)
        .map_err(|e| format_err!("{}: {e}", reads.display()))?;
    let mut names: Vec<String> =
        reads["plugins"].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    let help = util::run_stdout(Command::new(python).args(["-c", VOL_MAIN, "-h"]))?;
    for line in help.lines() {
        let word = line.split_whitespace().next().unwrap_or("");
        if word.starts_with("linux.") && word.matches('.').count() >= 2 && line.starts_with("    ")
        {
            names.push(word.to_owned());
        }
    }
    names.sort();
    names.dedup();
    if names.len() < 20 {
        bail!("only {} Linux plugins found in plugin-reads.json and `vol -h`", names.len());
    }
    Ok(names)
}

const VOL_MAIN: &str = "import sys; from volatility3.cli import main; sys.argv[0] = 'vol'; main()";

/// `../shared/volatility` (the reference ISF and plugin-reads.json).
pub fn shared_volatility() -> Result<PathBuf> {
    let dir = crate::kernels::shared_kernels_dir()
        .and_then(|k| k.parent().map(|p| p.join("volatility")))
        .ok_or_else(|| format_err!("the shared kernels directory is missing"))?;
    if !dir.join("dwarf2json-6.1.0-56-amd64.json.xz").is_file() {
        bail!("{}: dwarf2json-6.1.0-56-amd64.json.xz is missing", dir.display());
    }
    Ok(dir)
}

/// The banner in the reference ISF (`linux_banner`'s `constant_data`), decoded.
fn reference_banner(python: &Path, reference: &Path) -> Result<String> {
    let script = "import base64, json, lzma, sys\n\
        d = json.load(lzma.open(sys.argv[1]))\n\
        sys.stdout.write(base64.b64decode(d['symbols']['linux_banner']['constant_data']).decode('latin-1'))";
    util::run_stdout(Command::new(python).args(["-c", script]).arg(reference))
}

/// Every distinct `Linux version <release> …` string in the image, up to its NUL (the kernel's
/// `linux_banner` is one of them; printk's copies in the log buffer are others).
fn image_banners(image: &Path) -> Result<Vec<String>> {
    use std::io::Read;
    let mut file =
        std::fs::File::open(image).map_err(|e| format_err!("{}: {e}", image.display()))?;
    let needle = format!("Linux version {RELEASE} ");
    let mut buf = vec![0u8; 1 << 24];
    let mut window: Vec<u8> = Vec::new();
    let mut found: Vec<String> = Vec::new();
    loop {
        let n = file.read(&mut buf).map_err(|e| format_err!("{}: {e}", image.display()))?;
        window.extend_from_slice(&buf[..n]);
        let mut from = 0;
        while let Some(at) = find(&window[from..], needle.as_bytes()).map(|i| i + from) {
            let rest = &window[at..];
            let Some(end) = rest.iter().take(1024).position(|&b| b == 0 || b == b'\n') else {
                if rest.len() < 1024 && n > 0 {
                    break;
                }
                from = at + 1;
                continue;
            };
            let end =
                if rest[end] == b'\n' && rest.get(end + 1) == Some(&0) { end + 1 } else { end };
            let text = String::from_utf8_lossy(&rest[..=end]).into_owned();
            if !found.contains(&text) {
                found.push(text);
            }
            from = at + 1;
        }
        if n == 0 {
            return Ok(found);
        }
        let keep = window.len().saturating_sub(2048).max(from.min(window.len()));
        window.drain(..keep);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A directory whose `jsonschema` package fails to import, put first on `PYTHONPATH`: Volatility
/// then skips validating the ISF against its schema. Validating dwarf2json's 160,837 symbols in
/// pure Python takes minutes per run on a loaded 2-core machine (and is redone in every fresh
/// cache directory); our ISF's schema validity is checked by the ISF tests
/// (`tests/data/profile/vol3_check.py`), and both tables are loaded the same way here.
fn no_validation() -> Result<PathBuf> {
    let dir = dir().join("no-validation");
    let init = dir.join("jsonschema/__init__.py");
    if !init.is_file() {
        util::create_dir_all(&dir.join("jsonschema"))?;
        util::write(
            &init,
            "raise ImportError('schema validation skipped by xtask vol-compare')\n",
        )?;
    }
    Ok(dir)
}

/// One plugin run's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub ok: bool,
    pub timed_out: bool,
    pub rows: Vec<Value>,
    /// The last line of standard error (Volatility's reason when it fails).
    pub error: String,
}

/// Runs `plugin` on `image` with the tables in `symbols` (a directory holding `linux/*.json.xz`)
/// and the cache directory `cache`, with the JSON renderer. Cached in `cache_file`.
fn run_plugin(
    python: &Path,
    image: &Path,
    symbols: &Path,
    cache: &Path,
    plugin: &str,
    cache_file: &Path,
) -> Result<Run> {
    if let Some(v) = std::fs::read_to_string(cache_file)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
    {
        return Ok(Run {
            ok: v["ok"].as_bool().unwrap_or(false),
            timed_out: v["timed_out"].as_bool().unwrap_or(false),
            rows: v["rows"].as_array().cloned().unwrap_or_default(),
            error: v["error"].as_str().unwrap_or_default().to_owned(),
        });
    }
    // Plugins that write files (linux.pagecache.RecoverFs, dumps) write them here, not into the
    // caller's directory.
    let files = cache.join("output");
    util::create_dir_all(&files)?;
    let output = Command::new("timeout")
        .env("PYTHONPATH", no_validation()?)
        .arg(PLUGIN_TIMEOUT_SECS.to_string())
        .arg(python)
        .args(["-c", VOL_MAIN, "-q", "-r", "json", "-o"])
        .arg(&files)
        .arg("--cache-path")
        .arg(cache)
        .arg("-s")
        .arg(symbols)
        .arg("-f")
        .arg(image)
        .arg(plugin)
        .current_dir(&files)
        .env("XDG_CACHE_HOME", cache)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format_err!("cannot run Volatility: {e}"))?;
    let timed_out = output.status.code() == Some(124);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Volatility's reason: the last lines of standard error, without its banner and its
    // closing boilerplate.
    let mut reason: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("Volatility 3 Framework")
                && !l.starts_with("No further results")
                && !l.starts_with("* ")
        })
        .rev()
        .take(2)
        .collect();
    reason.reverse();
    let error = reason.join(" / ");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed = serde_json::from_str::<Value>(&stdout).ok();
    let ok = output.status.success() && parsed.is_some();
    let rows = parsed.and_then(|v| v.as_array().cloned()).unwrap_or_default();
    let error = if timed_out {
        format!("timed out after {PLUGIN_TIMEOUT_SECS} s")
    } else if ok || !error.is_empty() {
        error
    } else {
        format!("exit {}, no JSON rows", output.status)
    };
    let run = Run { ok, timed_out, rows, error };
    let stored = serde_json::json!({"ok": run.ok, "timed_out": run.timed_out, "rows": run.rows, "error": run.error});
    util::write(cache_file, stored.to_string())?;
    Ok(run)
}

/// A row with its children sorted, as text: rows compare as a multiset (order-insensitive), and
/// a tree plugin's children too.
fn canonical(row: &Value) -> String {
    match row {
        Value::Object(map) => {
            let mut map = map.clone();
            if let Some(Value::Array(children)) = map.get_mut("__children") {
                let mut texts: Vec<String> = children.iter().map(canonical).collect();
                texts.sort();
                *children = texts.into_iter().map(Value::String).collect();
            }
            Value::Object(map).to_string()
        }
        other => other.to_string(),
    }
}

/// How one plugin compares on one image.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Fails (or times out) with the reference table too: not counted.
    ReferenceFails(String),
    /// Same rows (`ordered`: in the same order too).
    Same { rows: usize, ordered: bool },
    /// Ours fails where the reference works.
    OursFails(String),
    /// Both work, the rows differ: counts of rows only in one, and the columns that differ.
    Different { only_reference: usize, only_ours: usize, columns: Vec<String>, example: String },
}

impl Outcome {
    fn cell(&self) -> String {
        match self {
            Outcome::ReferenceFails(e) => format!("n/a (reference fails: {})", short(e)),
            Outcome::Same { rows, ordered: true } => format!("same ({rows} rows)"),
            Outcome::Same { rows, ordered: false } => format!("same ({rows} rows, other order)"),
            Outcome::OursFails(e) => format!("OURS FAILS: {}", short(e)),
            Outcome::Different { only_reference, only_ours, columns, .. } => format!(
                "DIFFERENT: {only_reference} rows only in the reference, {only_ours} only in ours; columns {}",
                columns.join(", ")
            ),
        }
    }
}

fn short(e: &str) -> String {
    let e = e.trim();
    if e.chars().count() > 110 {
        format!("{}…", e.chars().take(110).collect::<String>())
    } else {
        e.to_owned()
    }
}

fn compare_rows(reference: &Run, ours: &Run) -> Outcome {
    if !reference.ok {
        return Outcome::ReferenceFails(reference.error.clone());
    }
    if !ours.ok {
        return Outcome::OursFails(ours.error.clone());
    }
    let a: Vec<String> = reference.rows.iter().map(canonical).collect();
    let b: Vec<String> = ours.rows.iter().map(canonical).collect();
    if a == b {
        return Outcome::Same { rows: a.len(), ordered: true };
    }
    let (mut sa, mut sb) = (a.clone(), b.clone());
    sa.sort();
    sb.sort();
    if sa == sb {
        return Outcome::Same { rows: a.len(), ordered: false };
    }
    // Rows only on one side (multiset difference), and the columns in which they differ when
    // paired in order.
    let mut only_b = sb.clone();
    let mut only_a = Vec::new();
    for row in &sa {
        if let Some(i) = only_b.iter().position(|r| r == row) {
            only_b.swap_remove(i);
        } else {
            only_a.push(row.clone());
        }
    }
    let mut columns = std::collections::BTreeSet::new();
    for (x, y) in only_a.iter().zip(&only_b) {
        let (Ok(Value::Object(x)), Ok(Value::Object(y))) =
            (serde_json::from_str::<Value>(x), serde_json::from_str::<Value>(y))
        else {
            continue;
        };
        for (k, v) in &x {
            if y.get(k) != Some(v) {
                columns.insert(k.clone());
            }
        }
    }
    let example = format!(
        "reference: {}\nours:      {}",
        only_a.first().map_or("-", |s| s.as_str()),
        only_b.first().map_or("-", |s| s.as_str())
    );
    Outcome::Different {
        only_reference: only_a.len(),
        only_ours: only_b.len(),
        columns: columns.into_iter().collect(),
        example,
    }
}

/// What the comparison is given: our layout-expert binary and the make-profile inputs.
#[derive(Debug, Clone)]
pub struct OurIsf {
    /// The layout-expert executable.
    pub exe: PathBuf,
    /// `build-pre-ast --kernel-source` (the linux-source-6.1 tarball or tree), when given.
    pub kernel_source: Option<PathBuf>,
    /// A label for the output directory (e.g. `own`, `vol`).
    pub label: String,
}

/// The result on one image.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub kaslr: bool,
    pub banner: String,
    pub outcomes: Vec<(String, Outcome)>,
    /// The commands that made our ISF.
    pub commands: Vec<String>,
    /// Where the runs with our ISF are cached (`<plugin>.json`).
    pub our_runs: PathBuf,
}

/// The rows a cached run of `plugin` gave (`Comparison::our_runs`).
pub fn cached_rows(runs: &Path, plugin: &str) -> Result<Vec<Value>> {
    let path = runs.join(format!("{plugin}.json"));
    let v: Value = serde_json::from_str(&util::read_to_string(&path)?)
        .map_err(|e| format_err!("{}: {e}", path.display()))?;
    Ok(v["rows"].as_array().cloned().unwrap_or_default())
}

/// The guest's own process table from its serial console: (pid, ppid, uid, gid, name).
pub fn guest_processes(console: &str) -> Vec<(u64, u64, u64, u64, String)> {
    let after = console.split("LAYOUT-EXPERT-PROCESS-TABLE").nth(1).unwrap_or("");
    let mut out = Vec::new();
    for line in after.lines().take_while(|l| !l.contains(READY)) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let field = |key: &str| {
            words.iter().position(|w| *w == key).and_then(|i| words.get(i + 1)).copied()
        };
        let num = |key: &str| field(key).and_then(|v| v.parse::<u64>().ok());
        if let (Some(name), Some(pid), Some(ppid), Some(uid), Some(gid)) =
            (field("Name:"), num("Pid:"), num("PPid:"), num("Uid:"), num("Gid:"))
        {
            out.push((pid, ppid, uid, gid, name.to_owned()));
        }
    }
    out
}

impl Comparison {
    /// (plugins with the same rows, plugins that work with the reference).
    pub fn score(&self) -> (usize, usize) {
        let working =
            self.outcomes.iter().filter(|(_, o)| !matches!(o, Outcome::ReferenceFails(_))).count();
        let same = self.outcomes.iter().filter(|(_, o)| matches!(o, Outcome::Same { .. })).count();
        (same, working)
    }
}

/// Builds our ISF for the dump (headers tree of 6.1 amd64, its `.config`, the shared System.map,
/// the banner found in the image) with `ours.exe`.
fn build_our_isf(ours: &OurIsf, dump: &Dump, out: &Path) -> Result<Vec<String>> {
    let tree = crate::kernels::debian_trees()?
        .into_iter()
        .find(|t| t.name == "6.1-amd64")
        .ok_or_else(|| format_err!("no unpacked 6.1-amd64 headers tree (cargo xtask kernels)"))?
        .path;
    let system_map = crate::kernels::shared_kernels_dir()
        .map(|d| d.join(format!("System.map-{RELEASE}.gz")))
        .filter(|p| p.is_file())
        .ok_or_else(|| format_err!("the shared System.map-{RELEASE}.gz is missing"))?;
    util::create_dir_all(out)?;
    let pre_ast = out.join("6.1-amd64.pre-ast");
    let mut build = Command::new(&ours.exe);
    build.args(["-q", "build-pre-ast", "-l"]).arg(&tree);
    if let Some(source) = &ours.kernel_source {
        build.arg("--kernel-source").arg(source);
    }
    build.arg(&pre_ast);
    let mut commands = vec![util::show_command(&build)];
    util::run(&mut build)?;
    let symbols = out.join("symbols").join("linux");
    util::remove_dir_all_if_exists(&symbols)?;
    util::create_dir_all(&symbols)?;
    let mut profile = Command::new(&ours.exe);
    profile
        .args(["-q", "make-profile", "--format", "isf", "--config-file"])
        .arg(tree.join(".config"))
        .arg("--system-map")
        .arg(&system_map)
        .arg("--banner-from-image")
        .arg(&dump.image)
        .arg(&pre_ast)
        .arg(symbols.join("layout-expert.json.xz"));
    commands.push(util::show_command(&profile));
    util::run(&mut profile)?;
    Ok(commands)
}

/// Runs every plugin on the dump with the reference ISF and with ours and compares the rows.
/// `only` restricts the plugins (empty: all). Progress goes to `log`.
pub fn compare(
    dump: &Dump,
    ours: &OurIsf,
    only: &[String],
    log: &mut dyn FnMut(&str),
) -> Result<Comparison> {
    let python = volatility_python()?;
    let shared = shared_volatility()?;
    let reference = shared.join("dwarf2json-6.1.0-56-amd64.json.xz");
    let want = reference_banner(&python, &reference)?;
    let banners = image_banners(&dump.image)?;
    if !banners.contains(&want) {
        bail!(
            "the image does not hold the reference ISF's banner {want:?} (it holds {banners:?}): \
             the booted kernel is not the build dwarf2json's table was made from"
        );
    }
    let banner = want;
    let mode = if dump.kaslr { "kaslr" } else { "nokaslr" };
    let runs = dir().join("runs").join(&dump.key[..16]);
    // The reference table in a directory of its own; its outputs are cached per image and table.
    let ref_digest = util::sha256_files(std::slice::from_ref(&reference))?.concat();
    let ref_dir = runs.join(format!("reference-{}", &ref_digest[..16]));
    let ref_symbols = ref_dir.join("symbols");
    if !ref_symbols.join("linux/dwarf2json.json.xz").is_file() {
        util::create_dir_all(&ref_symbols.join("linux"))?;
        std::fs::copy(&reference, ref_symbols.join("linux/dwarf2json.json.xz"))
            .map_err(|e| format_err!("{}: {e}", reference.display()))?;
    }
    let build_dir = runs.join(format!("ours-{}", ours.label));
    let commands = build_our_isf(ours, dump, &build_dir)?;
    let isf = build_dir.join("symbols/linux/layout-expert.json.xz");
    let our_digest = util::sha256_files(std::slice::from_ref(&isf))?.concat();
    let our_dir = runs.join(format!("ours-{}", &our_digest[..16]));
    let our_symbols = our_dir.join("symbols");
    util::remove_dir_all_if_exists(&our_symbols)?;
    util::create_dir_all(&our_symbols.join("linux"))?;
    std::fs::copy(&isf, our_symbols.join("linux/layout-expert.json.xz"))
        .map_err(|e| format_err!("{}: {e}", isf.display()))?;
    // A fresh cache directory per table and run: Volatility must not find the other table there.
    let (ref_cache, our_cache) = (
        runs.join(format!("cache-reference-{}", std::process::id())),
        runs.join(format!("cache-ours-{}", std::process::id())),
    );
    for cache in [&ref_cache, &our_cache] {
        util::remove_dir_all_if_exists(cache)?;
        util::create_dir_all(cache)?;
    }
    let mut names = plugins(&python)?;
    if !only.is_empty() {
        names.retain(|n| only.iter().any(|o| n == o || n.starts_with(&format!("{o}."))));
    }
    let mut outcomes = Vec::new();
    for name in &names {
        let start = Instant::now();
        let ref_run = run_plugin(
            &python,
            &dump.image,
            &ref_symbols,
            &ref_cache,
            name,
            &ref_dir.join(format!("{name}.json")),
        )?;
        let outcome = if ref_run.ok {
            let our_run = run_plugin(
                &python,
                &dump.image,
                &our_symbols,
                &our_cache,
                name,
                &our_dir.join(format!("{name}.json")),
            )?;
            compare_rows(&ref_run, &our_run)
        } else {
            Outcome::ReferenceFails(ref_run.error.clone())
        };
        log(&format!("{mode} {name}: {} [{:.1} s]", outcome.cell(), start.elapsed().as_secs_f64()));
        if let Outcome::Different { example, .. } = &outcome {
            log(example);
        }
        outcomes.push((name.clone(), outcome));
    }
    for cache in [&ref_cache, &our_cache] {
        let _ = std::fs::remove_dir_all(cache);
    }
    Ok(Comparison { kaslr: dump.kaslr, banner, outcomes, commands, our_runs: our_dir })
}

/// The plugin-by-plugin table (markdown) for one or more comparisons of the same plugins.
pub fn table(comparisons: &[Comparison]) -> String {
    let mut out = String::new();
    let modes: Vec<&str> =
        comparisons.iter().map(|c| if c.kaslr { "KASLR" } else { "nokaslr" }).collect();
    let _ = writeln!(out, "| plugin | {} |", modes.join(" | "));
    let _ = writeln!(out, "|---|{}", "---|".repeat(modes.len()));
    if let Some(first) = comparisons.first() {
        for (i, (name, _)) in first.outcomes.iter().enumerate() {
            let cells: Vec<String> = comparisons
                .iter()
                .map(|c| c.outcomes.get(i).map_or("-".to_owned(), |(_, o)| o.cell()))
                .collect();
            let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
        }
    }
    let scores: Vec<String> = comparisons
        .iter()
        .map(|c| {
            let (same, working) = c.score();
            format!("{same}/{working}")
        })
        .collect();
    let _ = writeln!(out, "| **same rows / works with the reference** | {} |", scores.join(" | "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rows: Value) -> Run {
        Run {
            ok: true,
            timed_out: false,
            rows: rows.as_array().cloned().unwrap(),
            error: String::new(),
        }
    }

    #[test]
    fn rows_compare_as_a_multiset_with_sorted_children() {
        let a = run(
            serde_json::json!([{"PID": 1, "__children": [{"PID": 2}, {"PID": 3}]}, {"PID": 9}]),
        );
        let b = run(
            serde_json::json!([{"PID": 9}, {"PID": 1, "__children": [{"PID": 3}, {"PID": 2}]}]),
        );
        assert_eq!(compare_rows(&a, &b), Outcome::Same { rows: 2, ordered: false });
        let c = run(
            serde_json::json!([{"PID": 9}, {"PID": 1, "__children": [{"PID": 3}, {"PID": 4}]}]),
        );
        match compare_rows(&a, &c) {
            Outcome::Different { only_reference: 1, only_ours: 1, columns, .. } => {
                assert_eq!(columns, ["__children"])
            }
            other => panic!("{other:?}"),
        }
        let failed = Run {
            ok: false,
            timed_out: false,
            rows: Vec::new(),
            error: "Unknown symbol: mount".into(),
        };
        assert_eq!(
            compare_rows(&failed, &a),
            Outcome::ReferenceFails("Unknown symbol: mount".into())
        );
        assert_eq!(compare_rows(&a, &failed), Outcome::OursFails("Unknown symbol: mount".into()));
    }

    #[test]
    fn cpio_entries_are_newc_with_owners_kept() {
        let tmp = util::TempDir::new("cpio").unwrap();
        util::write(&tmp.path().join("init"), "x").unwrap();
        let bytes = cpio(tmp.path()).unwrap();
        assert!(bytes.starts_with(b"070701"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("init\0"));
        assert!(text.contains("TRAILER!!!\0"));
        assert_eq!(bytes.len() % 4, 0);
    }
}
