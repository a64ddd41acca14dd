//! The command line: argument definitions (clap), and one module per subcommand. Shared helpers
//! for every subcommand: `progress` (stage timing on stderr, `-q`) and `atomic` (output files
//! written through a temporary file and a rename).

pub mod atomic;
pub mod build_pre_ast;
pub mod progress;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const ABOUT: &str =
    "Exact memory layouts of Linux kernel structs for any kernel configuration, without a compiler";

const LONG_ABOUT: &str = "\
Exact memory layouts of Linux kernel structs for any kernel configuration, without a compiler.

The work is split in two so that the machine under analysis needs nothing but this program:
`build-pre-ast` runs once per kernel version, on any machine that has the kernel's headers, and
writes one config-independent pre-AST file; later commands turn a pre-AST and a kernel .config
into profiles for Rekall and Volatility 3.";

const EXAMPLES: &str = "\
Examples:
  # Debian/Ubuntu, headers of the running kernel (package linux-headers-$(uname -r)):
  layout-expert build-pre-ast -l /usr/src/linux-headers-$(uname -r) $(uname -r).pre-ast

  # Details and more examples:
  layout-expert build-pre-ast --help";

/// The command line.
#[derive(Debug, Parser)]
#[command(name = "layout-expert", version, about = ABOUT, long_about = LONG_ABOUT, after_long_help = EXAMPLES)]
pub struct Cli {
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Only implemented ones exist here; make-profile, preprocess, explain and
/// batch join as their stages land.
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(name = "build-pre-ast", visible_alias = "build_pre_ast")]
    BuildPreAst(BuildPreAstArgs),
}

const BUILD_LONG_ABOUT: &str = "\
Build the pre-AST of a kernel tree: every header the target file can reach under ANY kernel
configuration (every branch of every #if is followed, in kbuild's x86-64 include search order,
from kbuild's forced includes and the target), plus what make-profile needs and the analysis
machine lacks: the kernel release and version, the include search order, kbuild's preprocessing
flags, the compiler's predefined macros (chosen by CONFIG_GCC_VERSION), and which generated
headers are derived from the configuration (autoconf.h, bounds.h, timeconst.h, asm-offsets.h).

Build it once per kernel version, from any one flavour's tree: other flavours' configurations
are applied to the same pre-AST later. Includes that cannot be found are listed as warnings and
stored in the file; in branches no configuration activates they are harmless.";

const BUILD_EXAMPLES: &str = "\
TREE is one of:
  - a Debian/Ubuntu headers directory, e.g. /usr/src/linux-headers-6.1.0-56-amd64 (its Makefile
    names the -common directory with the headers; if that absolute path does not exist, the
    directory of the same name next to TREE is used, so unpacked packages work anywhere);
  - a kernel build directory made with `make O=DIR olddefconfig modules_prepare` (TREE=DIR);
  - a kernel source tree prepared in place with `make modules_prepare`.
  A full source tree also makes types outside the public headers available (e.g. struct mount
  from fs/mount.h); from a headers package they are listed as unavailable.

Examples:
  # The built-in target (the types forensics tools read), headers of a Debian kernel:
  layout-expert build-pre-ast -l /usr/src/linux-headers-6.1.0-56-amd64 6.1.pre-ast

  # Your own target file, e.g. Rekall's tools/linux/module.c:
  layout-expert build-pre-ast -l ~/src/linux-build -s module.c linux.pre-ast

  # The original tool's spelling:
  layout-expert build_pre_ast --source_file_path module.c \\
      --linux_repository_path TREE out.pre-ast";

/// Arguments of `build-pre-ast`.
#[derive(Debug, Args)]
#[command(
    about = "Build the config-independent pre-AST of a kernel tree (once per kernel version)",
    long_about = BUILD_LONG_ABOUT,
    after_long_help = BUILD_EXAMPLES
)]
pub struct BuildPreAstArgs {
    /// Kernel tree: a Debian/Ubuntu linux-headers-* directory or a prepared build (see below).
    #[arg(
        short = 'l',
        long = "linux-repository-path",
        visible_alias = "linux_repository_path",
        value_name = "TREE"
    )]
    pub tree: PathBuf,
    /// Root of the include graph; default: the built-in forensics target.
    #[arg(
        short = 's',
        long = "source-file",
        visible_alias = "source_file_path",
        value_name = "FILE"
    )]
    pub source_file: Option<PathBuf>,
    /// Build even if no predefined-macro table matches the tree's compiler (warns).
    #[arg(long)]
    pub force: bool,
    /// Where to write the pre-AST (written atomically).
    #[arg(value_name = "OUTPUT")]
    pub output: PathBuf,
}
