//! Both formats on real kernel layouts: a small target on the real Debian 6.1 headers
//! (`tests/data/profile/real_headers.c`), compiled by GCC with kbuild's flags; its DWARF gives
//! the model. Volatility 3 loads the ISF (its 23 mandatory types come from real 6.1 headers) and
//! sees GCC's offsets; the symbols the headers declare `extern` carry their types; the Rekall
//! profile has the structs Rekall's Linux support reads, at GCC's offsets. This checks the formats
//! on real kernel types; the engine's own layouts are checked by the conformance suite.

#[path = "common/dwarf_model.rs"]
mod dwarf_model;
#[path = "common/kernels.rs"]
mod kernels;
#[path = "common/vol3.rs"]
mod vol3;

use std::path::Path;
use std::process::Command;

use layout_expert::profile::model::ProfileModel;
use layout_expert::profile::system_map::SystemMap;
use layout_expert::profile::{write_profile_to, Format, WriteOptions};
use serde_json::Value;

const MANDATORY: [&str; 23] = [
    "file",
    "list_head",
    "hlist_head",
    "mm_struct",
    "super_block",
    "task_struct",
    "vm_area_struct",
    "qstr",
    "dentry",
    "fs_struct",
    "files_struct",
    "kobject",
    "cred",
    "inode",
    "idr",
    "address_space",
    "page",
    "vfsmount",
    "net",
    "socket",
    "sock",
    "inet_sock",
    "unix_sock",
];
const BANNER: &str = "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-01-17)\n";

fn model() -> ProfileModel {
    let (common, flavour) = kernels::debian_6_1();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile_real_headers");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let object = dir.join("real_headers.o");
    let source = kernels::repo().join("tests/data/profile/real_headers.c");
    kernels::kbuild_gcc(
        &common,
        &flavour,
        &source,
        &["-g", "-gdwarf-5", "-O2", "-fPIC", "-c", "-o", object.to_str().unwrap()],
    )
    .unwrap_or_else(|err| panic!("gcc rejected {}:\n{err}", source.display()));
    // Linked, so the debug sections need no relocation; the layouts are the object's.
    let shared = dir.join("real_headers.so");
    let status = Command::new("gcc")
        .args(["-shared", "-nostdlib", "-o"])
        .arg(&shared)
        .arg(&object)
        .status()
        .unwrap();
    assert!(status.success());
    let mut model = dwarf_model::model_from_dwarf(&shared);
    // The real System.map, cut to the symbols this test looks at, to keep the schema check fast.
    let full =
        SystemMap::read(&kernels::shared_kernels().join("System.map-6.1.0-56-amd64.gz")).unwrap();
    let wanted = [
        "init_task",
        "init_mm",
        "init_files",
        "init_pid_ns",
        "net_namespace_list",
        "iomem_resource",
        "tty_drivers",
        "linux_banner",
        "_text",
        "init_top_pgt",
    ];
    let mut text = String::new();
    for symbol in full.symbols.iter().filter(|s| wanted.contains(&s.name.as_str())) {
        text.push_str(&format!("{:016x} {} {}\n", symbol.address, symbol.kind, symbol.name));
    }
    model.system_map =
        Some(SystemMap::parse("System.map-6.1.0-56-amd64", text.as_bytes()).unwrap());
    model.banner = Some(BANNER.to_owned());
    model
}

fn field_bytes(model: &ProfileModel, record: &str, field: &str) -> u64 {
    let record = model
        .records
        .iter()
        .find(|r| r.name.as_deref() == Some(record) && r.fields.is_some())
        .unwrap();
    record
        .fields
        .as_ref()
        .unwrap()
        .iter()
        .find(|f| f.name.as_deref() == Some(field))
        .unwrap()
        .offset_bits
        / 8
}

#[test]
fn real_6_1_headers_isf_loads_in_volatility3_and_rekall_has_the_linux_structs() {
    let model = model();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile_real_headers");
    let isf_path = dir.join("real.json.xz");
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = std::fs::File::create(&isf_path).unwrap();
    let summary = write_profile_to(
        &model,
        &WriteOptions { format: Format::Isf, banner: None },
        true,
        &mut file,
    )
    .unwrap();
    drop(file);
    // Missing from the map: the target's own 24 variables (lx_*), and three variables the headers
    // define themselves (current_stack_pointer, kernel_read_file_str, kernel_load_data_str).
    assert_eq!(summary.warnings.len(), 1, "{:?}", summary.warnings);
    assert!(summary.warnings[0].starts_with("27 symbol(s)"), "{:?}", summary.warnings);

    let output = Command::new(vol3::python())
        .arg(vol3::check_script())
        .arg(format!("--types={}", MANDATORY.join(",")))
        .arg(&isf_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "Volatility 3 rejected the ISF:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    let seen = &seen[isf_path.to_str().unwrap()];
    for name in MANDATORY {
        let record = model
            .records
            .iter()
            .find(|r| r.name.as_deref() == Some(name) && r.fields.is_some())
            .unwrap();
        assert_eq!(seen["types"][name]["size"], record.size_bits / 8, "sizeof(struct {name})");
    }
    let task = &seen["types"]["task_struct"]["members"];
    for field in ["__state", "comm", "pid", "tgid", "tasks", "mm", "files", "real_parent", "cred"] {
        assert_eq!(
            task[field]["offset"],
            field_bytes(&model, "task_struct", field),
            "task_struct.{field}"
        );
    }
    let map = model.system_map.as_ref().unwrap();
    for (symbol, type_name) in [
        ("init_task", "lx!task_struct"),
        ("init_mm", "lx!mm_struct"),
        ("init_files", "lx!files_struct"),
        ("init_pid_ns", "lx!pid_namespace"),
        ("net_namespace_list", "lx!list_head"),
        ("iomem_resource", "lx!resource"),
        ("tty_drivers", "lx!list_head"),
    ] {
        assert_eq!(seen["symbols"][symbol]["type"]["type_name"], type_name, "{symbol}");
        assert_eq!(seen["symbols"][symbol]["address"], map.address(symbol).unwrap(), "{symbol}");
    }
    assert_eq!(seen["banner"], format!("{BANNER}\0"));

    let rekall_path = dir.join("real.rekall.json");
    let mut file = std::fs::File::create(&rekall_path).unwrap();
    write_profile_to(
        &model,
        &WriteOptions { format: Format::Rekall, banner: None },
        false,
        &mut file,
    )
    .unwrap();
    drop(file);
    let profile: Value = serde_json::from_slice(&std::fs::read(&rekall_path).unwrap()).unwrap();
    for (record, fields) in [
        ("task_struct", &["comm", "pid", "tgid", "tasks", "mm", "files", "real_parent"][..]),
        ("list_head", &["next", "prev"][..]),
        ("mm_struct", &["pgd", "mm_users", "start_code", "arg_start"][..]),
        ("file", &["f_path", "f_inode", "f_op", "f_pos"][..]),
        ("dentry", &["d_name", "d_parent", "d_inode", "d_iname"][..]),
        ("cred", &["uid", "gid", "euid", "cap_effective"][..]),
    ] {
        let entry = &profile["$STRUCTS"][record];
        for field in fields {
            // mm_struct keeps most fields in an anonymous struct (u1); look through it.
            let direct = &entry[1][field];
            let offset = if direct.is_null() {
                let u1 = &entry[1]["u1"];
                let inner = &profile["$STRUCTS"][u1[1][0].as_str().unwrap()];
                u1[0].as_u64().unwrap() + inner[1][field][0].as_u64().unwrap()
            } else {
                direct[0].as_u64().unwrap()
            };
            assert_eq!(offset, field_bytes_anywhere(&model, record, field), "{record}.{field}");
        }
    }
    assert_eq!(
        profile["$CONSTANTS"]["init_task"],
        map.address("init_task").unwrap() & 0xFFFF_FFFF_FFFF
    );
}

/// The byte offset of `field` in `record`, looking into anonymous members.
fn field_bytes_anywhere(model: &ProfileModel, record: &str, field: &str) -> u64 {
    fn find(
        model: &ProfileModel,
        record: &layout_expert::profile::model::Record,
        field: &str,
    ) -> Option<u64> {
        for f in record.fields.iter().flatten() {
            match &f.name {
                Some(name) if name == field => return Some(f.offset_bits),
                None => {
                    if let layout_expert::profile::model::TypeRef::Record(inner) =
                        model.resolve(&f.ty)
                    {
                        if let Some(bits) = find(model, model.record(*inner), field) {
                            return Some(f.offset_bits + bits);
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }
    let record = model
        .records
        .iter()
        .find(|r| r.name.as_deref() == Some(record) && r.fields.is_some())
        .unwrap();
    find(model, record, field).unwrap_or_else(|| panic!("no {field}")) / 8
}
