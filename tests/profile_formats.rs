//! The profile writers' output formats, checked on a model read from GCC's DWARF of a kernel-like
//! fixture (`tests/data/profile/forensics_fixture.c`), and with Volatility 3 itself.
//!
//! These tests check the FORMATS, not kernel layouts: the model comes from GCC (the fixture is
//! compiled with `gcc -g` and its DWARF read by `common/dwarf_model.rs`), and the tests check that
//! what Rekall and Volatility 3 read back from our files is that model. Kernel layouts are the
//! engine's job and are checked by the conformance suite.
//!
//! Volatility 3 and jsonschema are installed from PyPI into a virtualenv cached in
//! `<repo>/target/vol3venv` on first use.

#[path = "common/dwarf_model.rs"]
mod dwarf_model;

#[path = "common/vol3.rs"]
mod vol3;

#[path = "support/profile_file.rs"]
mod profile_file;
use profile_file::write_profile;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use layout_expert::profile::model::{ProfileModel, RecordKind, TypeRef};
use layout_expert::profile::system_map::SystemMap;
use layout_expert::profile::{isf, naming, rekall, Format, WriteOptions};
use object::{Object, ObjectSection, ObjectSymbol};
use serde_json::Value;

const BANNER: &str = "Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-01-17)\n";
const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

/// The 23 types Volatility 3 registers unconditionally for Linux.
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

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile_formats").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The fixture's model: GCC's layouts, a System.map made from the linked object's own symbol
/// table (addresses moved to the kernel's range), a config and the banner.
fn fixture() -> &'static ProfileModel {
    static MODEL: OnceLock<ProfileModel> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = scratch("fixture");
        let object_path = dwarf_model::compile_fixture(
            &repo().join("tests/data/profile/forensics_fixture.c"),
            &dir,
        );
        let mut model = dwarf_model::model_from_dwarf(&object_path);
        let bytes = std::fs::read(&object_path).unwrap();
        let file = object::File::parse(&*bytes).unwrap();
        let mut map = String::new();
        for symbol in file.symbols() {
            let Ok(name) = symbol.name() else { continue };
            if name.is_empty() || symbol.kind() != object::SymbolKind::Data {
                continue;
            }
            let section = symbol.section_index().and_then(|i| file.section_by_index(i).ok());
            let letter = match section.map(|s| s.kind()) {
                Some(object::SectionKind::UninitializedData) => 'b',
                Some(object::SectionKind::ReadOnlyData) => 'r',
                _ => 'd',
            };
            let letter = if symbol.is_global() { letter.to_ascii_uppercase() } else { letter };
            map.push_str(&format!("{:016x} {letter} {name}\n", KERNEL_BASE + symbol.address()));
        }
        model.system_map = Some(SystemMap::parse("System.map-fixture", map.as_bytes()).unwrap());
        model.config = vec![
            ("CONFIG_SMP".to_owned(), "y".to_owned()),
            ("CONFIG_NR_CPUS".to_owned(), "64".to_owned()),
            ("CONFIG_EXT4_FS".to_owned(), "m".to_owned()),
            ("CONFIG_LOCALVERSION".to_owned(), String::new()),
        ];
        model.banner = Some(BANNER.to_owned());
        model.kernel_release = Some("6.1.0-56-amd64".to_owned());
        model
    })
}

/// Runs `vol3_check.py` on `files`: schema validation, loading, and what Volatility 3 sees.
fn vol3_check(files: &[&Path]) -> Value {
    let output =
        Command::new(vol3::python()).arg(vol3::check_script()).args(files).output().unwrap();
    assert!(
        output.status.success(),
        "Volatility 3 rejected the ISF:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn named_record<'m>(
    model: &'m ProfileModel,
    name: &str,
) -> &'m layout_expert::profile::model::Record {
    model
        .records
        .iter()
        .find(|r| r.name.as_deref() == Some(name) && r.fields.is_some())
        .unwrap_or_else(|| panic!("no struct {name}"))
}

/// Every member Volatility should see in `record`, anonymous members flattened:
/// `(name, offset_bits, bit_width)`.
fn flattened(
    model: &ProfileModel,
    record: &layout_expert::profile::model::Record,
    base_bits: u64,
    out: &mut Vec<(String, u64, Option<u32>)>,
) {
    for field in record.fields.iter().flatten() {
        match &field.name {
            Some(name) => out.push((name.clone(), base_bits + field.offset_bits, field.bit_width)),
            None if field.bit_width.is_some() => {}
            None => {
                let TypeRef::Record(inner) = model.resolve(&field.ty) else {
                    panic!("anonymous member is not a record")
                };
                flattened(model, model.record(*inner), base_bits + field.offset_bits, out);
            }
        }
    }
}

#[test]
fn format_isf_validates_against_volatility3_schema_and_loads_with_gcc_offsets() {
    let model = fixture();
    let dir = scratch("isf_vol3");
    let plain = dir.join("fixture.json");
    let compressed = dir.join("fixture.json.xz");
    let options = WriteOptions { format: Format::Isf, banner: None };
    let summary = write_profile(model, &plain, &options).unwrap();
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    let compressed_summary = write_profile(model, &compressed, &options).unwrap();
    assert!(
        compressed_summary.bytes < summary.bytes / 4,
        "xz output is not compressed: {compressed_summary:?}"
    );

    // Types in error are listed in the producer metadata, which the schema leaves open.
    let with_errors = dir.join("with_errors.json");
    let erroneous = ProfileModel {
        errors: vec![layout_expert::profile::model::TypeInError {
            name: "struct bpf_prog".to_owned(),
            reason: "include/linux/filter.h:580: cannot evaluate `sizeof(struct sock_filter)`"
                .to_owned(),
        }],
        ..model.clone()
    };
    let errors_summary = write_profile(&erroneous, &with_errors, &options).unwrap();
    assert_eq!(errors_summary.type_errors, 1);

    let seen = vol3_check(&[&plain, &compressed, &with_errors]);
    let written: Value = serde_json::from_slice(&std::fs::read(&with_errors).unwrap()).unwrap();
    assert_eq!(
        written["metadata"]["producer"]["types_in_error"]["struct bpf_prog"],
        "include/linux/filter.h:580: cannot evaluate `sizeof(struct sock_filter)`"
    );
    assert_eq!(
        seen[with_errors.to_str().unwrap()]["types"],
        seen[plain.to_str().unwrap()]["types"]
    );
    let plain_view = &seen[plain.to_str().unwrap()];
    assert_eq!(
        plain_view,
        &seen[compressed.to_str().unwrap()],
        "the .json.xz table differs from the plain one"
    );
    assert_eq!(plain_view["schema"], "schema-6.2.0.json");
    let types = &plain_view["types"];
    for name in MANDATORY {
        assert!(types.get(name).is_some(), "mandatory type {name} missing");
    }

    // Every named record, as Volatility 3 reads it, has GCC's size and member offsets.
    let mut checked = 0;
    for record in model.records.iter().filter(|r| r.name.is_some() && r.fields.is_some()) {
        let name = record.name.as_deref().unwrap();
        let seen = &types[name];
        assert_eq!(seen["size"], record.size_bits / 8, "sizeof(struct {name})");
        let mut members = Vec::new();
        flattened(model, record, 0, &mut members);
        for (member, offset_bits, width) in members {
            let got = &seen["members"][&member];
            match width {
                None => assert_eq!(got["offset"], offset_bits / 8, "{name}.{member}"),
                Some(width) => {
                    let first_bit =
                        got["offset"].as_u64().unwrap() * 8 + got["start_bit"].as_u64().unwrap();
                    assert_eq!(first_bit, offset_bits, "{name}.{member} first bit");
                    assert_eq!(
                        got["end_bit"].as_u64().unwrap() - got["start_bit"].as_u64().unwrap(),
                        u64::from(width),
                        "{name}.{member} width"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 250, "only {checked} members checked");

    // Symbols: typed from the declarations, addresses from the map, banner with its NUL.
    let map = model.system_map.as_ref().unwrap();
    let init_task = &plain_view["symbols"]["init_task"];
    assert_eq!(init_task["address"], map.address("init_task").unwrap());
    assert_eq!(init_task["type"]["type_name"], "lx!task_struct");
    assert_eq!(plain_view["symbols"]["modules"]["type"]["type_name"], "lx!list_head");
    assert_eq!(plain_view["banner"], format!("{BANNER}\0"));
}

/// The Rekall and ISF outputs of one model give every field the same place.
#[test]
fn format_rekall_and_isf_agree_on_every_offset() {
    let model = fixture();
    let (rekall_names, isf_names) = (rekall::names(model), isf::names(model));
    let profile = serde_json::to_value(rekall::build(model, &rekall_names)).unwrap();
    let (document, _) = isf::build(model, &isf_names, &isf::IsfOptions::default());
    let isf = document.to_value();
    let structs = profile["$STRUCTS"].as_object().unwrap();
    let user_types = isf["user_types"].as_object().unwrap();
    let mut compared = 0;
    for (name, rekall_struct) in structs {
        let isf_name = name.strip_prefix("__").unwrap_or(name);
        let isf_type = &user_types[isf_name];
        assert_eq!(rekall_struct[0], isf_type["size"], "size of {name}");
        let rekall_fields = rekall_struct[1].as_object().unwrap();
        let isf_fields = isf_type["fields"].as_object().unwrap();
        assert_eq!(rekall_fields.len(), isf_fields.len(), "field count of {name}");
        for (field, rekall_field) in rekall_fields {
            // Anonymous members: Rekall's u1, u2… are ISF's unnamed_field_0, 1….
            let isf_field_name = match field.strip_prefix('u').and_then(|n| n.parse::<u32>().ok()) {
                Some(n) if !isf_fields.contains_key(field) => format!("unnamed_field_{:x}", n - 1),
                _ => field.clone(),
            };
            let isf_field = &isf_fields[&isf_field_name];
            let rekall_offset = rekall_field[0].as_u64().unwrap();
            let descriptor = &rekall_field[1];
            let bitfield_args = match descriptor[0].as_str().unwrap() {
                "BitField" => Some(&descriptor[1]),
                "Enumeration" if descriptor[1]["target"] == "BitField" => {
                    Some(&descriptor[1]["target_args"])
                }
                _ => None,
            };
            match bitfield_args {
                Some(args) => {
                    let rekall_first_bit = rekall_offset * 8 + args["start_bit"].as_u64().unwrap();
                    let isf_first_bit = isf_field["offset"].as_u64().unwrap() * 8
                        + isf_field["type"]["bit_position"].as_u64().unwrap();
                    assert_eq!(rekall_first_bit, isf_first_bit, "{name}.{field}");
                    let width =
                        args["end_bit"].as_u64().unwrap() - args["start_bit"].as_u64().unwrap();
                    assert_eq!(width, isf_field["type"]["bit_length"], "{name}.{field} width");
                }
                None => assert_eq!(rekall_offset, isf_field["offset"], "{name}.{field}"),
            }
            compared += 1;
        }
    }
    assert!(compared > 300, "only {compared} fields compared");
}

#[test]
fn format_rekall_profile_shapes() {
    let model = fixture();
    let names = rekall::names(model);
    let profile = serde_json::to_value(rekall::build(model, &names)).unwrap();
    assert_eq!(
        profile["$METADATA"],
        serde_json::json!({"ProfileClass": "Linux", "Type": "Profile", "Version": 1, "arch": "AMD64"})
    );
    assert_eq!(profile["$CONFIG"]["CONFIG_NR_CPUS"], "64");
    assert_eq!(profile["$CONFIG"]["CONFIG_LOCALVERSION"], "");
    let init_task = model.system_map.as_ref().unwrap().address("init_task").unwrap();
    assert_eq!(profile["$CONSTANTS"]["init_task"], init_task & 0xFFFF_FFFF_FFFF);

    let task = &profile["$STRUCTS"]["task_struct"];
    let record = named_record(model, "task_struct");
    let field_bytes = |name: &str| {
        record
            .fields
            .as_ref()
            .unwrap()
            .iter()
            .find(|f| f.name.as_deref() == Some(name))
            .unwrap()
            .offset_bits
            / 8
    };
    assert_eq!(task[0], record.size_bits / 8);
    let fields = &task[1];
    assert_eq!(fields["pid"], serde_json::json!([field_bytes("pid"), ["int"]]));
    assert_eq!(
        fields["comm"][1],
        serde_json::json!(["Array", {"count": 16, "target": "char", "target_args": null}])
    );
    assert_eq!(fields["tasks"][1], serde_json::json!(["list_head"]));
    assert_eq!(
        fields["stack"][1],
        serde_json::json!(["Pointer", {"target": "Void", "target_args": null}])
    );
    assert_eq!(
        fields["exit_fn"][1],
        serde_json::json!(["Pointer", {"target": "Function", "target_args": null}])
    );
    assert_eq!(fields["usage"][1], serde_json::json!(["refcount_t"]));
    let anonymous_refcount = format!("__unnamed_{}", rekall_anonymous_hash(model, "refcount_t"));
    assert_eq!(profile["$STRUCTS"][&anonymous_refcount], profile["$STRUCTS"]["refcount_t"]);
    assert_eq!(
        fields["matrix"][1],
        serde_json::json!(["Array", {"count": 2, "target": "Array", "target_args": {"count": 3, "target": "unsigned int", "target_args": null}}])
    );
    assert_eq!(
        fields["names"][1],
        serde_json::json!(["Array", {"count": 2, "target": "Pointer", "target_args": {"target": "char", "target_args": null}}])
    );
    assert_eq!(
        fields["tail"][1],
        serde_json::json!(["Array", {"count": 0, "target": "long unsigned int", "target_args": null}])
    );
    assert_eq!(
        fields["zero_len"][1],
        serde_json::json!(["Array", {"count": 0, "target": "unsigned char", "target_args": null}])
    );
    assert_eq!(
        fields["pid_kind"][1],
        serde_json::json!(["Enumeration", {"enum_name": "pid_type", "target": "unsigned int"}])
    );
    assert_eq!(
        fields["cred"][1],
        serde_json::json!(["Pointer", {"target": "cred", "target_args": null}])
    );
    // The anonymous union member is u1, of an anonymous type named from its content.
    assert!(fields["u1"][1][0].as_str().unwrap().starts_with("__unnamed_"), "{}", fields["u1"]);
    // Bitfields: the storage unit is the aligned `unsigned int` holding the bits.
    let bits = |name: &str| {
        let f = record
            .fields
            .as_ref()
            .unwrap()
            .iter()
            .find(|f| f.name.as_deref() == Some(name))
            .unwrap();
        (f.offset_bits, f.bit_width.unwrap())
    };
    let (in_execve_bit, _) = bits("in_execve");
    assert_eq!(
        fields["in_execve"],
        serde_json::json!([in_execve_bit / 32 * 4, ["BitField", {"start_bit": in_execve_bit % 32, "end_bit": in_execve_bit % 32 + 1, "target": "unsigned int"}]])
    );
    // A bitfield of enum type keeps the enum.
    let sock = &profile["$STRUCTS"]["sock"][1];
    assert_eq!(sock["sk_pid_kind"][1][0], "Enumeration");
    assert_eq!(sock["sk_pid_kind"][1][1]["target"], "BitField");
    assert_eq!(sock["sk_pid_kind"][1][1]["target_args"]["target"], "unsigned int");
    // A typedef of an anonymous struct is exported under the typedef's name too; a typedef of a
    // named struct is transparent.
    assert_eq!(profile["$STRUCTS"]["atomic_t"], serde_json::json!([4, {"counter": [0, ["int"]]}]));
    assert!(profile["$STRUCTS"].get("kernel_cap_t").is_none());
    assert_eq!(
        profile["$STRUCTS"]["cred"][1]["cap_effective"][1],
        serde_json::json!(["kernel_cap_struct"])
    );
    // Enums both ways; values are integers in $REVENUMS and strings as keys in $ENUMS.
    assert_eq!(profile["$ENUMS"]["pid_type"]["2"], "PIDTYPE_PGID");
    assert_eq!(profile["$REVENUMS"]["pid_type"]["PIDTYPE_MAX"], 4);
    assert_eq!(profile["$REVENUMS"]["big_flags"]["BIG_HIGH"], u64::MAX);

    let erroneous = ProfileModel {
        errors: vec![layout_expert::profile::model::TypeInError {
            name: "struct x".to_owned(),
            reason: "a.h:1: why".to_owned(),
        }],
        ..model.clone()
    };
    let names = rekall::names(&erroneous);
    let profile = serde_json::to_value(rekall::build(&erroneous, &names)).unwrap();
    assert_eq!(profile["$METADATA"]["TypesInError"], serde_json::json!({"struct x": "a.h:1: why"}));
}

/// The Rekall name hash of the anonymous record a typedef names.
fn rekall_anonymous_hash(model: &ProfileModel, typedef: &str) -> String {
    let t = model.typedefs.iter().find(|t| t.name == typedef).unwrap();
    let TypeRef::Record(id) = &t.target else { panic!() };
    naming::hash16(&naming::record_defn(model, *id))
}

#[test]
fn format_isf_shapes_follow_dwarf2json() {
    let model = fixture();
    let names = isf::names(model);
    let (document, report) = isf::build(model, &names, &isf::IsfOptions::default());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let isf = document.to_value();
    assert_eq!(isf["metadata"]["format"], "6.2.0");
    assert_eq!(isf["metadata"]["producer"]["name"], "layout-expert");
    assert_eq!(isf["metadata"]["linux"]["symbols"][0]["kind"], "system-map");
    assert_eq!(
        isf["base_types"]["pointer"],
        serde_json::json!({"size": 8, "signed": false, "kind": "int", "endian": "little"})
    );
    assert_eq!(
        isf["base_types"]["void"],
        serde_json::json!({"size": 0, "signed": false, "kind": "void", "endian": "little"})
    );
    assert_eq!(
        isf["base_types"]["_Bool"],
        serde_json::json!({"size": 1, "signed": true, "kind": "bool", "endian": "little"})
    );
    assert_eq!(isf["base_types"]["unsigned char"]["kind"], "char");

    let task = &isf["user_types"]["task_struct"];
    assert_eq!(task["kind"], "struct");
    let fields = &task["fields"];
    assert_eq!(
        fields["comm"]["type"],
        serde_json::json!({"count": 16, "kind": "array", "subtype": {"kind": "base", "name": "char"}})
    );
    assert_eq!(
        fields["matrix"]["type"]["subtype"],
        serde_json::json!({"count": 3, "kind": "array", "subtype": {"kind": "base", "name": "unsigned int"}})
    );
    assert_eq!(
        fields["exit_fn"]["type"],
        serde_json::json!({"kind": "pointer", "subtype": {"kind": "function"}})
    );
    assert_eq!(
        fields["stack"]["type"],
        serde_json::json!({"kind": "pointer", "subtype": {"kind": "base", "name": "void"}})
    );
    assert_eq!(fields["tail"]["type"]["count"], 0);
    assert_eq!(fields["unnamed_field_0"]["anonymous"], true);
    assert!(fields["unnamed_field_0"]["type"]["name"].as_str().unwrap().starts_with("unnamed_"));
    // A typedef whose target is directly a struct names that struct in references, and the struct
    // is exported under the typedef's name too (dwarf2json's rule, named structs included).
    assert_eq!(
        fields["usage"]["type"],
        serde_json::json!({"kind": "struct", "name": "refcount_t"})
    );
    assert_eq!(
        isf["user_types"]["cred"]["fields"]["cap_effective"]["type"],
        serde_json::json!({"kind": "struct", "name": "kernel_cap_t"})
    );
    assert_eq!(isf["user_types"]["kernel_cap_t"], isf["user_types"]["kernel_cap_struct"]);
    // Bitfields: byte of the first bit, bit position within it.
    let record = named_record(model, "task_struct");
    let in_execve = record
        .fields
        .as_ref()
        .unwrap()
        .iter()
        .find(|f| f.name.as_deref() == Some("in_execve"))
        .unwrap();
    assert_eq!(fields["in_execve"]["offset"], in_execve.offset_bits / 8);
    assert_eq!(
        fields["in_execve"]["type"],
        serde_json::json!({"bit_length": 1, "bit_position": in_execve.offset_bits % 8, "kind": "bitfield", "type": {"kind": "base", "name": "unsigned int"}})
    );
    assert_eq!(
        isf["user_types"]["sock"]["fields"]["sk_pid_kind"]["type"]["type"],
        serde_json::json!({"kind": "enum", "name": "pid_type"})
    );
    // Enums: base is the first int base type of the size and signedness.
    assert_eq!(isf["enums"]["pid_type"]["base"], "unsigned int");
    // Go reads 0xffffffffffffffff as the int64 -1, so dwarf2json calls this enum signed.
    assert_eq!(isf["enums"]["big_flags"]["constants"]["BIG_HIGH"], -1);
    let first_signed_8_byte = isf["base_types"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, b)| b["kind"] == "int" && b["size"] == 8 && b["signed"] == true)
        .map(|(name, _)| name.clone())
        .unwrap();
    assert_eq!(isf["enums"]["big_flags"]["base"], first_signed_8_byte);
    let anonymous_enum = isf["enums"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(name, _)| name.starts_with("unnamed_"))
        .unwrap();
    assert_eq!(anonymous_enum.1["base"], "int");
    assert_eq!(anonymous_enum.1["constants"]["SOCK_NONE"], -1);
    // Symbols: typed from declarations, untyped ones are void, as dwarf2json writes System.map-only symbols.
    assert_eq!(
        isf["symbols"]["init_task"]["type"],
        serde_json::json!({"kind": "struct", "name": "task_struct"})
    );
    let tk_core = &isf["symbols"]["tk_core"]["type"];
    assert_eq!(tk_core["kind"], "struct");
    assert!(tk_core["name"].as_str().unwrap().starts_with("unnamed_"));
    assert_eq!(isf["symbols"]["linux_banner"]["type"]["kind"], "array");
}

/// dwarf2json's names of anonymous types: `unnamed_` + 8 bytes of SHA-1 of Go's `Defn()` text.
/// The expected texts are written out by hand from Go's `debug/dwarf` rules; the hash is
/// computed by Python's hashlib, independently of our SHA-1.
#[test]
fn format_anonymous_type_names_hash_go_defn_text() {
    let model = fixture();
    let anonymous_target = |typedef: &str| {
        let t = model.typedefs.iter().find(|t| t.name == typedef).unwrap();
        let TypeRef::Record(id) = &t.target else { panic!("{typedef} is not a record typedef") };
        *id
    };
    assert_eq!(naming::record_defn(model, anonymous_target("atomic_t")), "struct {counter int@0}");
    assert_eq!(
        naming::record_defn(model, anonymous_target("refcount_t")),
        "struct {refs atomic_t@0}"
    );
    assert_eq!(
        naming::record_defn(model, anonymous_target("split_u64_t")),
        "union {v long long unsigned int@0;  struct {lo u32@0; hi u32@4}@0}"
    );
    let qstr = named_record(model, "qstr");
    let TypeRef::Record(union_id) = &qstr.fields.as_ref().unwrap()[0].ty else { panic!() };
    assert_eq!(model.record(*union_id).kind, RecordKind::Union);
    let defn = naming::record_defn(model, *union_id);
    assert_eq!(defn, "union { struct {hash u32@0; len u32@4}@0; hash_len u64@0}");
    let python = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest()[:16])",
            &defn,
        ])
        .output()
        .unwrap();
    let expected = String::from_utf8(python.stdout).unwrap().trim().to_owned();
    let names = isf::names(model);
    let (document, _) = isf::build(model, &names, &isf::IsfOptions::default());
    let isf = document.to_value();
    assert_eq!(
        isf["user_types"]["qstr"]["fields"]["unnamed_field_0"]["type"]["name"],
        format!("unnamed_{expected}")
    );
}

/// Our ISF of the fixture equals dwarf2json's ISF of the same object (committed in
/// `tests/data/profile/`, see its README), section by section: same base types, the same user
/// types under the same names (anonymous ones included), same enums, same symbols with the same
/// types and banner bytes. Only the metadata's producer and source list differ.
#[test]
fn format_isf_equals_dwarf2json_for_the_same_dwarf() {
    let model = fixture();
    let dir = scratch("dwarf2json");
    let path = dir.join("fixture.json");
    write_profile(model, &path, &WriteOptions { format: Format::Isf, banner: None }).unwrap();
    let ours: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let theirs: Value = serde_json::from_slice(
        &std::fs::read(repo().join("tests/data/profile/forensics_fixture.dwarf2json.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(ours["metadata"]["format"], theirs["metadata"]["format"]);
    for section in ["base_types", "user_types", "enums"] {
        let (a, b) = (ours[section].as_object().unwrap(), theirs[section].as_object().unwrap());
        let names = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(a), names(b), "{section}: different names");
        for (name, value) in a {
            assert_eq!(value, &b[name], "{section}.{name}");
        }
    }
    // dwarf2json also reads the ELF symbol table, which has the null symbol and the file name.
    let mut their_symbols = theirs["symbols"].as_object().unwrap().clone();
    their_symbols.remove("");
    their_symbols.remove("forensics_fixture.c");
    assert_eq!(ours["symbols"].as_object().unwrap(), &their_symbols);
}

/// `--banner` replaces the model's banner; without a banner or a symbol map the ISF is still
/// written, and the summary says what Volatility 3 will not be able to do.
#[test]
fn format_isf_banner_override_and_warnings() {
    let model = fixture();
    let dir = scratch("banner");
    let path = dir.join("fixture.json");
    let other = "Linux version 6.1.0-56-amd64 (someone@elsewhere) #1 SMP\n";
    write_profile(
        model,
        &path,
        &WriteOptions { format: Format::Isf, banner: Some(other.to_owned()) },
    )
    .unwrap();
    let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        written["symbols"]["linux_banner"]["constant_data"],
        isf::base64(format!("{other}\0").as_bytes())
    );

    let bare = ProfileModel { banner: None, system_map: None, ..model.clone() };
    let summary =
        write_profile(&bare, &path, &WriteOptions { format: Format::Isf, banner: None }).unwrap();
    assert_eq!(summary.warnings.len(), 2, "{:?}", summary.warnings);
    assert!(summary.warnings[0].contains("no symbol map"), "{:?}", summary.warnings);
    assert!(
        summary.warnings[1].contains("will not select this symbol table automatically"),
        "{:?}",
        summary.warnings
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["symbols"], serde_json::json!({}));
    assert!(written["metadata"].get("linux").is_none());
}
