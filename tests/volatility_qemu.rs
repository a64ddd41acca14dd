//! The real client on a real image, behind `LAYOUT_EXPERT_QEMU=1` (it boots a VM twice and runs
//! every Volatility 3 Linux plugin with two tables: tens of minutes on 2 cores the first time).
//! Debian's 6.1.0-56-amd64 kernel boots in QEMU (TCG) with a busybox guest, with and without
//! KASLR (`xtask::vol_image`); Volatility 3 2.28.2 runs every Linux plugin on each dump with
//! dwarf2json's ISF of the real debug kernel and with ours (this build's `build-pre-ast`, with
//! `--kernel-source` linux-source-6.1 when the binary has that flag, and `make-profile --format
//! isf` with the headers package's `.config`, the real System.map and the image's banner). Every
//! plugin that works with dwarf2json's table must give the same rows with ours.

use xtask::vol_image::{self, OurIsf};

#[test]
fn every_plugin_that_works_with_dwarf2json_gives_the_same_rows_with_our_isf() {
    if std::env::var_os("LAYOUT_EXPERT_QEMU").is_none_or(|v| v != "1") {
        println!(
            "real-image Volatility test not run: set LAYOUT_EXPERT_QEMU=1 (CI does when time allows)"
        );
        return;
    }
    let exe = std::path::PathBuf::from(env!("CARGO_BIN_EXE_layout-expert"));
    let package = xtask::custom_config::source_package("6.1").unwrap();
    let kernel_source = Some(
        xtask::custom_config::ensure_source(package, &mut Vec::new())
            .unwrap_or_else(|e| panic!("linux-source-6.1: {e}")),
    );
    let ours = OurIsf { exe, kernel_source, label: "test".to_owned() };
    let mut comparisons = Vec::new();
    for kaslr in [false, true] {
        let dump =
            vol_image::ensure_dump(kaslr).unwrap_or_else(|e| panic!("the memory image: {e}"));
        let comparison = vol_image::compare(&dump, &ours, &[], &mut |line| eprintln!("{line}"))
            .unwrap_or_else(|e| panic!("the comparison: {e}"));
        // The answer key: the guest printed its own process table just before the dump. Every
        // process still there (all but the printing loop's own) is in linux.pslist's rows with
        // our table, with the same parent, uid and gid; the marker run as nobody among them.
        let guest = vol_image::guest_processes(&dump.console);
        let rows = vol_image::cached_rows(&comparison.our_runs, "linux.pslist.PsList").unwrap();
        let found: Vec<_> = guest
            .iter()
            .filter(|(pid, ppid, uid, gid, _)| {
                rows.iter().any(|r| {
                    r["PID"] == *pid && r["PPID"] == *ppid && r["UID"] == *uid && r["GID"] == *gid
                })
            })
            .collect();
        assert!(guest.len() >= 40, "the guest printed only {} processes", guest.len());
        assert!(
            found.len() + 3 >= guest.len(),
            "pslist with our ISF misses guest processes: {guest:?}\n{rows:?}"
        );
        assert!(found
            .iter()
            .any(|(_, ppid, uid, _, name)| *ppid == 1 && *uid == 65534 && name == "sleep"));
        comparisons.push(comparison);
    }
    let table = vol_image::table(&comparisons);
    println!("{table}");
    for comparison in &comparisons {
        let (same, working) = comparison.score();
        // dwarf2json's table makes 54 of the 59 plugin names (old names and their
        // `linux.malware.*` successors) work on this image in both modes: far fewer means the
        // image or Volatility is broken, not that our table is good.
        assert!(working >= 50, "only {working} plugins work with dwarf2json's table:\n{table}");
        // Volatility 3 2.28.2's hidden_modules (framework/plugins/linux/malware/hidden_modules.py)
        // raises unless `verify_table_versions("dwarf2json", …)` is false, which happens only for
        // a table whose producer is dwarf2json 0.8.0 or later: every other producer's table is
        // refused before anything is read. Ours names its own producer, so that plugin (under
        // both its names) fails with ours, and nothing else may differ.
        let differing: Vec<&str> = comparison
            .outcomes
            .iter()
            .filter(|(_, o)| {
                !matches!(
                    o,
                    vol_image::Outcome::Same { .. } | vol_image::Outcome::ReferenceFails(_)
                )
            })
            .map(|(plugin, _)| plugin.as_str())
            .collect();
        let producer_check =
            ["linux.hidden_modules.Hidden_modules", "linux.malware.hidden_modules.Hidden_modules"];
        assert!(
            differing.iter().all(|p| producer_check.contains(p)),
            "plugins whose rows differ with our ISF:\n{table}"
        );
        for (plugin, outcome) in &comparison.outcomes {
            if producer_check.contains(&plugin.as_str()) {
                assert!(
                    matches!(
                        outcome,
                        vol_image::Outcome::OursFails(_) | vol_image::Outcome::Same { .. }
                    ),
                    "{plugin}: {outcome:?}"
                );
            }
        }
        assert!(same + 2 >= working, "{same}/{working}:\n{table}");
    }
}
