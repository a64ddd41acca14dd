//! Static parity with dwarf2json: for everything Volatility 3 reads (the coverage list,
//! `targets/volatility3-linux.coverage`), our ISF for Debian 6.1 amd64, built from the headers
//! package plus the same kernel's source (`linux-source-6.1`, fetched and unpacked once by
//! `xtask::custom_config::ensure_source`), equals `../shared/volatility/dwarf2json-6.1.0-56-amd64.json.xz`
//! (dwarf2json 0.9.0 on the real debug vmlinux and System.map): sizes, member offsets, bit
//! positions and lengths, member types; anonymous types compared by structure, not by their
//! hash names; enums by their constants; symbols by address and type. The Rekall profile made
//! from the same model carries the same types at the same offsets.
//!
//! The figures are printed (`cargo test --test volatility_parity -- --nocapture`).

#[path = "common/kernels.rs"]
mod kernels;

#[path = "support/profile_file.rs"]
mod profile_file;
use profile_file::write_profile;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use layout_expert::config::ConfigFile;
use layout_expert::db::RootDatabase;
use layout_expert::pipeline;
use layout_expert::pre_ast::build::{
    self, BuildInput, PrivateSources, BUILTIN_TARGET, BUILTIN_TARGET_NAME,
};
use layout_expert::pre_ast::kernel_source::{Excerpt, KernelSource};
use layout_expert::pre_ast::tree;
use layout_expert::profile::private_symbols::{builtin_target_text, SOURCE_EXCERPTS};
use layout_expert::profile::system_map::SystemMap;
use layout_expert::profile::volatility_coverage::Coverage;
use layout_expert::profile::{Format, WriteOptions};
use serde_json::Value;

/// Our ISF and Rekall profile for 6.1 amd64 (headers + linux-source-6.1, real System.map).
fn ours() -> (Value, Value) {
    let (_, flavour) = kernels::debian_6_1();
    let mut timings = Vec::new();
    let package = xtask::custom_config::source_package("6.1").unwrap();
    let source_dir = xtask::custom_config::ensure_source(package, &mut timings)
        .unwrap_or_else(|e| panic!("linux-source-6.1 is needed for the private types: {e}"));
    let wanted: Vec<&str> = SOURCE_EXCERPTS.iter().map(|e| e.file).collect();
    let private = PrivateSources {
        kernel_source: Some(Arc::new(KernelSource::open(&source_dir, &wanted).unwrap())),
        excerpts: SOURCE_EXCERPTS
            .iter()
            .map(|e| Excerpt {
                file: e.file.to_owned(),
                names: e.names.iter().map(|n| n.to_string()).collect(),
            })
            .collect(),
    };
    let input = BuildInput {
        tree: tree::discover(&flavour).unwrap(),
        target_name: BUILTIN_TARGET_NAME.to_owned(),
        target_text: builtin_target_text(BUILTIN_TARGET),
        target_dir: None,
        force: false,
    };
    let (pre_ast, _, warnings) = build::build_with(&input, &private).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(
        pre_ast.notes.is_empty(),
        "with the source nothing should be unavailable: {:?}",
        pre_ast.notes
    );
    let config_path = flavour.join(".config");
    let config = ConfigFile::parse_bytes(
        &config_path.display().to_string(),
        &std::fs::read(&config_path).unwrap(),
    )
    .unwrap();
    let map_path = kernels::shared_kernels().join("System.map-6.1.0-56-amd64.gz");
    let db = RootDatabase::default();
    let out = pipeline::run(&db, &Arc::new(pre_ast), &config, || {
        Ok(Some(SystemMap::read(&map_path).map_err(|e| e.to_string())?))
    })
    .unwrap();
    assert!(out.problems.is_empty(), "{:#?}", out.problems);
    assert!(out.model.errors.is_empty(), "{:#?}", out.model.errors);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("volatility_parity");
    std::fs::create_dir_all(&dir).unwrap();
    let read = |format: Format, name: &str| -> Value {
        let path = dir.join(name);
        write_profile(&out.model, &path, &WriteOptions { format, banner: None }).unwrap();
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    };
    (read(Format::Isf, "ours.json"), read(Format::Rekall, "ours.rekall.json"))
}

fn reference() -> Value {
    let path = kernels::shared_kernels()
        .parent()
        .unwrap()
        .join("volatility/dwarf2json-6.1.0-56-amd64.json.xz");
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = lzma_rust2::XzReader::new(std::io::BufReader::new(file), true);
    serde_json::from_reader(std::io::BufReader::new(reader)).unwrap()
}

/// A type descriptor (or a user type) in a form that does not depend on dwarf2json's names of
/// anonymous types: an anonymous struct or union is replaced by its structure, an anonymous enum
/// by its constants.
fn shape(isf: &Value, ty: &Value, depth: usize) -> String {
    let kind = ty["kind"].as_str().unwrap_or("?");
    let name = ty["name"].as_str().unwrap_or("");
    match kind {
        "struct" | "union" if name.starts_with("unnamed_") => {
            if depth > 8 {
                return format!("{kind} <deep>");
            }
            format!(
                "{kind} {{{}}}",
                user_type_shape(isf, name, depth + 1).unwrap_or_else(|| "<missing>".into())
            )
        }
        "enum" if name.starts_with("unnamed_") => {
            format!("enum {{{}}}", enum_shape(isf, name).unwrap_or_else(|| "<missing>".into()))
        }
        "pointer" => format!("*{}", shape(isf, &ty["subtype"], depth)),
        "array" => format!("[{}]{}", ty["count"], shape(isf, &ty["subtype"], depth)),
        "bitfield" => format!(
            "bits({},{}){}",
            ty["bit_position"],
            ty["bit_length"],
            shape(isf, &ty["type"], depth)
        ),
        "function" => "function".to_owned(),
        _ => format!("{kind} {name}"),
    }
}

/// [`shape`] with a named record at the end of a pointer or array chain replaced by its structure.
fn resolved_shape(isf: &Value, ty: &Value) -> String {
    match ty["kind"].as_str().unwrap_or("") {
        "pointer" => format!("*{}", resolved_shape(isf, &ty["subtype"])),
        "array" => format!("[{}]{}", ty["count"], resolved_shape(isf, &ty["subtype"])),
        "struct" | "union" => {
            user_type_shape(isf, ty["name"].as_str().unwrap_or(""), 0).unwrap_or_default()
        }
        _ => shape(isf, ty, 0),
    }
}

/// A user type's kind, size and fields (dwarf2json's `unnamed_field_N` names compared as such,
/// since both number them in declaration order).
fn user_type_shape(isf: &Value, name: &str, depth: usize) -> Option<String> {
    let ty = isf["user_types"].get(name)?;
    let mut fields: Vec<String> = ty["fields"]
        .as_object()?
        .iter()
        .map(|(field, f)| format!("{field}@{}:{}", f["offset"], shape(isf, &f["type"], depth)))
        .collect();
    fields.sort();
    Some(format!("{} {} {}", ty["kind"], ty["size"], fields.join("; ")))
}

fn enum_shape(isf: &Value, name: &str) -> Option<String> {
    let e = isf["enums"].get(name)?;
    let mut constants: Vec<String> =
        e["constants"].as_object()?.iter().map(|(n, v)| format!("{n}={v}")).collect();
    constants.sort();
    Some(format!("{} {} {}", e["size"], e["base"], constants.join(",")))
}

/// Whether `ty` has member `name`, directly or in an anonymous struct or union member (which
/// Volatility reads through, as C does).
fn has_member(isf: &Value, ty: &str, name: &str, depth: usize) -> bool {
    let Some(fields) = isf["user_types"][ty]["fields"].as_object() else {
        return false;
    };
    fields.contains_key(name)
        || (depth < 8
            && fields.iter().any(|(field, f)| {
                field.starts_with("unnamed_field")
                    && f["type"]["name"]
                        .as_str()
                        .is_some_and(|inner| has_member(isf, inner, name, depth + 1))
            }))
}

/// The named enums a type reaches through its fields (and anonymous members).
fn enums_of(isf: &Value, ty: &Value, out: &mut BTreeSet<String>, depth: usize) {
    let kind = ty["kind"].as_str().unwrap_or("");
    let name = ty["name"].as_str().unwrap_or("");
    match kind {
        "enum" if !name.starts_with("unnamed_") => {
            out.insert(name.to_owned());
        }
        "pointer" | "array" => enums_of(isf, &ty["subtype"], out, depth),
        "bitfield" => enums_of(isf, &ty["type"], out, depth),
        "struct" | "union" if name.starts_with("unnamed_") && depth < 8 => {
            for f in isf["user_types"][name]["fields"].as_object().into_iter().flatten() {
                enums_of(isf, &f.1["type"], out, depth + 1);
            }
        }
        _ => {}
    }
}

#[derive(Default)]
struct Tally {
    compared: usize,
    equal: usize,
    differences: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, ours: Option<String>, theirs: Option<String>) {
        self.compared += 1;
        if ours == theirs {
            self.equal += 1;
        } else {
            self.differences.push(format!(
                "{what}:\n    ours:       {}\n    dwarf2json: {}",
                ours.as_deref().unwrap_or("<absent>"),
                theirs.as_deref().unwrap_or("<absent>")
            ));
        }
    }
}

#[test]
fn isf_for_6_1_equals_dwarf2json_for_everything_volatility_reads() {
    let list = Coverage::builtin();
    let (ours, rekall) = ours();
    let theirs = reference();
    let (mut types, mut members, mut enums, mut symbols, mut templates) =
        (Tally::default(), Tally::default(), Tally::default(), Tally::default(), Tally::default());
    let mut reached_enums = BTreeSet::new();
    for need in &list.types {
        let name = need.name.as_str();
        types.check(
            &format!("type {name}"),
            user_type_shape(&ours, name, 0),
            user_type_shape(&theirs, name, 0),
        );
        let fields = theirs["user_types"][name]["fields"].as_object().cloned().unwrap_or_default();
        for (field, f) in &fields {
            let our = ours["user_types"][name]["fields"].get(field);
            members.check(
                &format!("member {name}.{field}"),
                our.map(|o| format!("@{} {}", o["offset"], shape(&ours, &o["type"], 0))),
                Some(format!("@{} {}", f["offset"], shape(&theirs, &f["type"], 0))),
            );
            enums_of(&theirs, &f["type"], &mut reached_enums, 0);
        }
        for m in &need.members {
            // A member read must exist in both; one only tested for may be absent from both.
            let (in_ours, in_theirs) =
                (has_member(&ours, name, &m.name, 0), has_member(&theirs, name, &m.name, 0));
            assert!(
                in_theirs || m.checked,
                "{name}.{} is read but dwarf2json does not have it",
                m.name
            );
            assert_eq!(
                in_ours, in_theirs,
                "{name}.{}: in ours {in_ours}, in dwarf2json's {in_theirs}",
                m.name
            );
        }
    }
    let listed_enums: BTreeSet<String> = list.enums.iter().cloned().collect();
    for name in listed_enums.union(&reached_enums) {
        enums.check(&format!("enum {name}"), enum_shape(&ours, name), enum_shape(&theirs, name));
    }
    let mut through_typedef = Vec::new();
    for name in &list.symbols {
        let show = |isf: &Value| {
            isf["symbols"].get(name.as_str()).map(|s| {
                let ty = if s.get("type").is_some() {
                    shape(isf, &s["type"], 0)
                } else {
                    "<untyped>".into()
                };
                format!("{} {ty}", s["address"])
            })
        };
        let (our, their) = (show(&ours), show(&theirs));
        // dwarf2json leaves the symbols its DWARF has no type for untyped (`_text`, the linker's
        // symbols, when its debug info does not declare them); we may know their declared type.
        let our = match (&our, &their) {
            (Some(o), Some(t)) if t.ends_with("<untyped>") => {
                Some(format!("{} <untyped>", o.split(' ').next().unwrap()))
            }
            _ => our,
        };
        if our != their {
            // dwarf2json takes a symbol's type from one compilation unit's declaration, which may
            // spell the record through a typedef (node_data: `pg_data_t *[]` for
            // `struct pglist_data *[]`): equal when the records themselves are.
            let resolved = |isf: &Value| {
                isf["symbols"]
                    .get(name.as_str())
                    .and_then(|s| s.get("type"))
                    .map(|t| resolved_shape(isf, t))
            };
            if our.is_some() && resolved(&ours) == resolved(&theirs) {
                symbols.compared += 1;
                symbols.equal += 1;
                through_typedef.push(name.as_str());
                continue;
            }
        }
        symbols.check(&format!("symbol {name}"), our, their);
    }
    // Templates: every type Volatility fetched that we have is equal; how many we have is a figure.
    let mut template_present = 0;
    for name in &list.template_types {
        if ours["user_types"].get(name.as_str()).is_some() {
            template_present += 1;
            templates.check(
                &format!("template {name}"),
                user_type_shape(&ours, name, 0),
                user_type_shape(&theirs, name, 0),
            );
        }
    }
    let mut template_enums_present = 0;
    for name in &list.template_enums {
        if ours["enums"].get(name.as_str()).is_some() {
            template_enums_present += 1;
            templates.check(
                &format!("template enum {name}"),
                enum_shape(&ours, name),
                enum_shape(&theirs, name),
            );
        }
    }
    // The Rekall profile has the same types at the same offsets.
    let (mut rekall_checked, mut rekall_types, mut rekall_transparent) = (0, 0, Vec::new());
    for need in &list.types {
        let isf_ty = &ours["user_types"][need.name.as_str()];
        let entry = &rekall["$STRUCTS"][need.name.as_str()];
        if entry.is_null() {
            // Rekall keeps a typedef of a tagged record transparent (kernel_cap_t is
            // kernel_cap_struct there), where dwarf2json lists the typedef's name too.
            rekall_transparent.push(need.name.as_str());
            continue;
        }
        rekall_types += 1;
        assert_eq!(entry[0], isf_ty["size"], "Rekall size of {}", need.name);
        for (field, f) in isf_ty["fields"].as_object().into_iter().flatten() {
            // Rekall places a bitfield by its first byte, the ISF by its storage unit.
            if field.starts_with("unnamed_field") || f["type"]["kind"] == "bitfield" {
                continue;
            }
            assert_eq!(entry[1][field][0], f["offset"], "Rekall offset of {}.{field}", need.name);
            rekall_checked += 1;
        }
    }
    let absent_in_ours: Vec<&str> = list
        .absent
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| {
            let has = |isf: &Value, key: &str| isf[key].get(*n).is_some();
            (has(&ours, "user_types") && !has(&theirs, "user_types"))
                || (has(&ours, "symbols") && !has(&theirs, "symbols"))
        })
        .collect();
    println!(
        "parity with dwarf2json (6.1 amd64, headers + linux-source-6.1): types {}/{} equal, members {}/{}, enums {}/{}, symbols {}/{} (equal through a typedef name: {through_typedef:?}); \
         templates: {template_present} of {} types and {template_enums_present} of {} enums present, {}/{} equal; Rekall: {rekall_types} types, {rekall_checked} member offsets (typedef names it keeps transparent: {rekall_transparent:?}); \
         names dwarf2json lacks that we have (module types): {absent_in_ours:?}",
        types.equal, types.compared, members.equal, members.compared, enums.equal, enums.compared, symbols.equal, symbols.compared,
        list.template_types.len(), list.template_enums.len(), templates.equal, templates.compared,
    );
    for (plugin, needed) in &list.plugins {
        let unmet: Vec<&String> = needed
            .iter()
            .filter(|t| types.differences.iter().any(|d| d.starts_with(&format!("type {t}:"))))
            .collect();
        println!(
            "  {plugin}: {}",
            if unmet.is_empty() { "met".to_owned() } else { format!("unmet: {unmet:?}") }
        );
    }
    let differences: Vec<&String> = [&types, &members, &enums, &symbols, &templates]
        .iter()
        .flat_map(|t| &t.differences)
        .collect();
    assert!(
        differences.is_empty(),
        "{} difference(s):\n{}",
        differences.len(),
        differences.iter().map(|d| d.as_str()).collect::<Vec<_>>().join("\n")
    );
    assert!(
        rekall_types + rekall_transparent.len() == list.types.len()
            && rekall_transparent.len() < 12,
        "{rekall_transparent:?}"
    );
    assert!(
        types.compared > 100 && members.compared > 1000 && symbols.compared > 60,
        "too little compared"
    );
}
