//! The pre-AST's virtual file system: virtual paths, kbuild's include search order for x86-64,
//! its forced includes, and the mapping from virtual paths back to the disk while building.
//!
//! Virtual paths are `/`-separated and start with a root name: `src/…` is the source tree
//! (kbuild's `$(srctree)`, the headers), `obj/…` the object tree (`$(objtree)`: `.config`, the
//! generated headers) and `target/…` the directory of the target source file. When the build is
//! in place (`srctree == objtree`) everything is under `src/`, as kbuild then passes only one
//! `include` directory.
//!
//! Where the order comes from (Linux 6.1 and 6.12 alike): `scripts/Makefile.lib` defines
//! `c_flags = -Wp,-MMD,… $(NOSTDINC_FLAGS) $(LINUXINCLUDE) -include
//! $(srctree)/include/linux/compiler_types.h $(_c_flags) …`, and the top `Makefile` defines
//! `LINUXINCLUDE := -I$(srctree)/arch/$(SRCARCH)/include
//! -I$(objtree)/arch/$(SRCARCH)/include/generated $(if $(building_out_of_srctree),
//! -I$(srctree)/include) -I$(objtree)/include $(USERINCLUDE)` and
//! `USERINCLUDE := -I$(srctree)/arch/$(SRCARCH)/include/uapi
//! -I$(objtree)/arch/$(SRCARCH)/include/generated/uapi -I$(srctree)/include/uapi
//! -I$(objtree)/include/generated/uapi -include $(srctree)/include/linux/compiler-version.h
//! -include $(srctree)/include/linux/kconfig.h`; `NOSTDINC_FLAGS += -nostdinc` removes the
//! compiler's own directories. GCC processes the `-include` files in command-line order:
//! compiler-version.h, kconfig.h, compiler_types.h. The real command kbuild ran for a module on
//! 6.1 amd64 shows exactly this order.

use std::path::{Path, PathBuf};

use crate::pre_ast::tree::KernelTree;

/// The virtual root of the source tree.
pub const SRC: &str = "src";
/// The virtual root of the object tree (when it differs from the source tree).
pub const OBJ: &str = "obj";
/// The virtual root of the target's directory.
pub const TARGET: &str = "target";
/// The compiler's own header directory (`$(CC) -print-file-name=include`), as `cc/include`.
pub const CC_INCLUDE: &str = "cc/include";

/// The `-I` directories and `-include` files of kbuild's x86-64 C compile, as virtual paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchOrder {
    pub dirs: Vec<String>,
    pub forced_includes: Vec<String>,
}

/// kbuild's order for x86-64 (see the module documentation for its source). `separate_objtree`
/// is kbuild's `building_out_of_srctree`; `src_makefile` is the top Makefile's text, which says
/// whether this kernel passes `compiler-version.h` (added in 5.13).
pub fn kbuild_search_order(separate_objtree: bool, src_makefile: &str) -> SearchOrder {
    let obj = if separate_objtree { OBJ } else { SRC };
    let mut dirs =
        vec![format!("{SRC}/arch/x86/include"), format!("{obj}/arch/x86/include/generated")];
    if separate_objtree {
        dirs.push(format!("{SRC}/include"));
    }
    dirs.extend([
        format!("{obj}/include"),
        format!("{SRC}/arch/x86/include/uapi"),
        format!("{obj}/arch/x86/include/generated/uapi"),
        format!("{SRC}/include/uapi"),
        format!("{obj}/include/generated/uapi"),
    ]);
    if uses_compiler_include(src_makefile) {
        // `NOSTDINC_FLAGS += -nostdinc -isystem $(shell $(CC) -print-file-name=include)` (Linux
        // before 5.15/5.17, for <stdarg.h>): -isystem directories come after every -I one.
        dirs.push(CC_INCLUDE.to_string());
    }
    let mut forced_includes = Vec::new();
    if src_makefile.contains("include/linux/compiler-version.h") {
        forced_includes.push(format!("{SRC}/include/linux/compiler-version.h"));
    }
    forced_includes.push(format!("{SRC}/include/linux/kconfig.h"));
    forced_includes.push(format!("{SRC}/include/linux/compiler_types.h"));
    SearchOrder { dirs, forced_includes }
}

/// Whether the tree's top `Makefile` lets the kernel reach the compiler's own headers.
pub fn uses_compiler_include(src_makefile: &str) -> bool {
    src_makefile.contains("-print-file-name=include")
}

/// Maps virtual paths to the disk while building.
#[derive(Clone, Debug)]
pub struct DiskMap {
    pub srctree: PathBuf,
    pub objtree: PathBuf,
    /// The directory of the target file (only the target itself and files next to it that it
    /// includes with `"…"` live there).
    pub target_dir: Option<PathBuf>,
    /// The compiler's header directory on this machine, when the tree uses it.
    pub compiler_include: Option<PathBuf>,
}

impl DiskMap {
    pub fn new(tree: &KernelTree, target_dir: Option<PathBuf>) -> DiskMap {
        DiskMap {
            srctree: tree.srctree.clone(),
            objtree: tree.objtree.clone(),
            target_dir,
            compiler_include: None,
        }
    }

    /// The real path of a normalised virtual path, or `None` when it is outside every root.
    pub fn real_path(&self, vpath: &str) -> Option<PathBuf> {
        let (root, rest) = vpath.split_once('/')?;
        let base: &Path = match root {
            SRC => &self.srctree,
            OBJ => &self.objtree,
            TARGET => self.target_dir.as_deref()?,
            "cc" => {
                return Some(self.compiler_include.as_deref()?.join(rest.strip_prefix("include/")?))
            }
            _ => return None,
        };
        Some(base.join(rest))
    }

    /// The virtual path of a file of the object tree, relative to the object tree root.
    pub fn obj_relative<'a>(&self, vpath: &'a str) -> Option<&'a str> {
        let obj = if self.srctree == self.objtree { SRC } else { OBJ };
        vpath.strip_prefix(obj)?.strip_prefix('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_kbuild_command() {
        // The order of the `-I` flags in kbuild's real command for a module on 6.1 amd64
        // (`-I<common>/arch/x86/include -I./arch/x86/include/generated -I<common>/include
        // -I./include -I<common>/arch/x86/include/uapi -I./arch/x86/include/generated/uapi
        // -I<common>/include/uapi -I./include/generated/uapi`).
        let order =
            kbuild_search_order(true, "-include $(srctree)/include/linux/compiler-version.h");
        assert_eq!(
            order.dirs,
            [
                "src/arch/x86/include",
                "obj/arch/x86/include/generated",
                "src/include",
                "obj/include",
                "src/arch/x86/include/uapi",
                "obj/arch/x86/include/generated/uapi",
                "src/include/uapi",
                "obj/include/generated/uapi",
            ]
        );
        assert_eq!(
            order.forced_includes,
            [
                "src/include/linux/compiler-version.h",
                "src/include/linux/kconfig.h",
                "src/include/linux/compiler_types.h"
            ]
        );
        let in_place = kbuild_search_order(false, "");
        assert_eq!(in_place.dirs.len(), 7);
        assert!(in_place.dirs.iter().all(|d| d.starts_with("src/")));
        assert_eq!(in_place.forced_includes.len(), 2);
    }
}
