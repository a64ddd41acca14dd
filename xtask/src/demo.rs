//! `cargo xtask demo`: the main job on bundled defaults, for a newcomer's first run.
//!
//! Unpacks the pinned Debian 6.1 kernel header packages (from `../shared/kernels`, the download
//! cache, or `apt-get download`, SHA-256 checked; the archive's current 6.1 packages when the pins
//! are gone), builds the release binary, builds the 6.1 pre-AST
//! from the amd64 flavour with the built-in target, then makes a Rekall profile and a Volatility 3
//! symbol table for the amd64 and cloud configurations, with the real System.map and banner of
//! the amd64 kernel when `shared/kernels` has them. Everything goes to `target/demo/`; at the end
//! it prints the Volatility 3 and Rekall command lines that load the outputs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{self, Result};
use crate::{format_err, kernels};

/// The banner of the Debian 6.1.0-56-amd64 kernel (its `/proc/version`), which Volatility 3
/// matches against a memory image.
const BANNER_61: &str = "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)";

/// Runs the demo; prints what it made.
pub fn run() -> Result<()> {
    let start = Instant::now();
    let trees = kernels::debian_trees()?;
    let tree = |name: &str| -> Result<PathBuf> {
        trees
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.path.clone())
            .ok_or_else(|| format_err!("no kernel tree named {name}"))
    };
    let amd64 = tree("6.1-amd64")?;
    let cloud = tree("6.1-cloud-amd64")?;
    println!("demo: building layout-expert (release)");
    util::run(Command::new(env_cargo()).current_dir(util::repo_root()).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "layout-expert",
    ]))?;
    let exe = util::target_dir().join("release/layout-expert");
    let out = util::target_dir().join("demo");
    std::fs::create_dir_all(&out).map_err(|e| format_err!("{}: {e}", out.display()))?;
    let pre_ast = out.join("linux-6.1.pre-ast");
    step(&exe, &["build-pre-ast", "-l", path(&amd64), path(&pre_ast)])?;
    // The System.map and banner are those of the pinned amd64 kernel only (not of the archive's
    // current packages, which `kernels` falls back to when the pins are gone).
    let map = kernels::shared_kernels_dir().map(|d| d.join("System.map-6.1.0-56-amd64.gz"));
    let map = map.filter(|m| m.is_file());
    let release = |tree: &Path| {
        tree.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("linux-headers-"))
            .unwrap_or("linux")
            .to_owned()
    };
    let mut made = Vec::new();
    for flavour in [&amd64, &cloud] {
        let name = release(flavour);
        let config = flavour.join(".config");
        let mut common: Vec<String> =
            vec!["make-profile".into(), "--config-file".into(), path(&config).into()];
        let with_map = name == "6.1.0-56-amd64" && map.is_some();
        if let (Some(map), true) = (&map, with_map) {
            common.extend(["--system-map".into(), path(map).into()]);
            common.extend(["--banner".into(), BANNER_61.into()]);
        }
        let rekall = out.join(format!("{name}.rekall.json"));
        let isf = out.join(format!("{name}.json.xz"));
        let mut args = common.clone();
        args.extend([path(&pre_ast).into(), path(&rekall).into()]);
        step(&exe, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
        let mut args = common;
        args.extend(["--format".into(), "isf".into(), path(&pre_ast).into(), path(&isf).into()]);
        step(&exe, &args.iter().map(String::as_str).collect::<Vec<_>>())?;
        made.push((name, rekall, isf, with_map));
    }
    println!("demo: done in {:.1} s; outputs in {}:", start.elapsed().as_secs_f64(), out.display());
    let mut entries: Vec<_> = std::fs::read_dir(&out)
        .map_err(|e| format_err!("{}: {e}", out.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        println!("  {:>10}  {}", len, entry.file_name().to_string_lossy());
    }
    print!("{}", next_steps(&made));
    Ok(())
}

/// What to do with the outputs: the Volatility 3 and Rekall command lines that load them.
fn next_steps(made: &[(String, PathBuf, PathBuf, bool)]) -> String {
    let mut text = String::from("\nNext: analyse a memory image of one of these kernels (MEMORY.img: a raw, ELF or LiME dump).\n");
    for (name, rekall, isf, with_map) in made {
        text.push_str(&format!("\n  {name}:\n"));
        text.push_str(&format!(
            "    Volatility 3 (symbol tables live under a `linux/` directory of a symbol path):\n      \
             mkdir -p ~/vol3-symbols/linux && cp {} ~/vol3-symbols/linux/\n      \
             vol -s ~/vol3-symbols -f MEMORY.img linux.pslist\n",
            isf.display()
        ));
        text.push_str(&format!(
            "    Rekall:\n      rekall -f MEMORY.img --profile {} pslist\n",
            rekall.display()
        ));
        if !with_map {
            text.push_str(
                "    (made without a System.map and banner: for a real image, rerun make-profile with \
                 that kernel's --system-map and --banner, so the tools can find the kernel's symbols \
                 and Volatility can match the image)\n",
            );
        }
    }
    text
}

fn step(exe: &Path, args: &[&str]) -> Result<()> {
    println!("demo: layout-expert {}", args.join(" "));
    let status = Command::new(exe)
        .args(args)
        .status()
        .map_err(|e| format_err!("cannot run {}: {e}", exe.display()))?;
    if !status.success() {
        return Err(format_err!("layout-expert {} failed ({status})", args.join(" ")));
    }
    Ok(())
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

fn env_cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_steps_name_both_tools_and_every_output() {
        let made = [(
            "6.1.0-56-amd64".to_owned(),
            "/d/6.1.0-56-amd64.rekall.json".into(),
            "/d/6.1.0-56-amd64.json.xz".into(),
            false,
        )];
        let text = super::next_steps(&made);
        assert!(text.contains("vol -s ~/vol3-symbols -f MEMORY.img linux.pslist"), "{text}");
        assert!(text.contains("cp /d/6.1.0-56-amd64.json.xz ~/vol3-symbols/linux/"), "{text}");
        assert!(
            text.contains("rekall -f MEMORY.img --profile /d/6.1.0-56-amd64.rekall.json pslist"),
            "{text}"
        );
        assert!(text.contains("--system-map"), "{text}");
    }
}
