//! The command line: argument definitions (clap), and one module per subcommand. Shared helpers
//! for every subcommand: `progress` (stage timing on stderr, `-q`) and `atomic` (output files
//! written through a temporary file and a rename).

pub mod atomic;
pub mod batch;
pub mod build_pre_ast;
pub mod explain;
pub mod make_profile;
pub mod preprocess;
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

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    #[command(name = "build-pre-ast", visible_alias = "build_pre_ast")]
    BuildPreAst(BuildPreAstArgs),
    #[command(name = "make-profile", visible_alias = "make_profile")]
    MakeProfile(MakeProfileArgs),
    /// Write the target preprocessed under a kernel config, as `gcc -E` would.
    #[command(name = "preprocess")]
    Preprocess(PreprocessCliArgs),
    /// Show types as pahole does, for a kernel config, and why each member is where it is.
    #[command(name = "explain")]
    Explain(explain::ExplainArgs),
    /// Make profiles for many kernel configurations (and versions) in one run.
    #[command(name = "batch")]
    Batch(batch::BatchArgs),
}

const MAKE_LONG_ABOUT: &str = "\
Make a profile for memory forensics from a pre-AST and a kernel configuration: the target is
preprocessed under the configuration, the declarations it needs are parsed, and every struct and
union GCC's debug info would hold is laid out with GCC's x86-64 rules. The output is a Rekall
profile (default) or a Volatility 3 symbol table (--format isf; .json.xz output is compressed).
Types whose layout is not certain are listed as errors in the output's metadata and the summary,
never emitted with guessed offsets.";

const MAKE_EXAMPLES: &str = "\
Examples:
  # Volatility 3 symbol table for a Debian 6.1 kernel, with its System.map and banner:
  layout-expert make-profile --config-file /boot/config-6.1.0-56-amd64 \\
      --system-map System.map-6.1.0-56-amd64 --format isf --banner \"$(cat /proc/version)\" \\
      6.1.pre-ast linux-6.1.0-56-amd64.json.xz

  # Rekall profile, the original tool's spelling:
  layout-expert make_profile --config_file_path config --system_map_file_path System.map \\
      6.1.pre-ast profile.json

  # On the machine under analysis: everything from /proc and /boot:
  layout-expert make-profile --live --pre-ast-dir /opt/pre-asts --format isf out.json.xz";

/// Arguments of `make-profile`.
#[derive(Debug, Args)]
#[command(
    about = "Make a Rekall profile or Volatility 3 symbol table from a pre-AST and a kernel config",
    long_about = MAKE_LONG_ABOUT,
    after_long_help = MAKE_EXAMPLES
)]
pub struct MakeProfileArgs {
    /// The kernel configuration: a .config file or /proc/config.gz (gzip is detected).
    #[arg(
        short = 'c',
        long = "config-file",
        visible_alias = "config_file_path",
        value_name = "CONFIG"
    )]
    pub config_file: Option<PathBuf>,
    /// A System.map or /proc/kallsyms: symbol addresses ($CONSTANTS, ISF symbols).
    #[arg(
        short = 'm',
        long = "system-map",
        visible_alias = "system_map_file_path",
        value_name = "MAP"
    )]
    pub system_map: Option<PathBuf>,
    /// The kernel banner (`/proc/version`), which Volatility 3 uses to select the symbol table.
    #[arg(long, value_name = "TEXT")]
    pub banner: Option<String>,
    /// Find the banner in a memory image (raw, ELF core, LiME).
    #[arg(long, value_name = "IMAGE")]
    pub banner_from_image: Option<PathBuf>,
    /// `rekall` (default) or `isf` (Volatility 3); an OUTPUT ending in .json.xz implies isf.
    #[arg(short = 'f', long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Also write our layouts in the canonical layout JSON the conformance harness compares.
    #[arg(long, value_name = "FILE")]
    pub layouts_json: Option<PathBuf>,
    /// Accept a config of another kernel version than the pre-AST's, or one built by a GCC
    /// release we ship no data for (the nearest is used; warns, and the profile's metadata says so).
    #[arg(long)]
    pub force: bool,
    /// Live mode: read the config, symbols and banner of the running system.
    #[arg(long)]
    pub live: bool,
    /// Live mode: the directory with one pre-AST per kernel release.
    #[arg(long, value_name = "DIR")]
    pub pre_ast_dir: Option<PathBuf>,
    /// Live mode: the root of the system to read (default /).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// PRE_AST OUTPUT; with --live only OUTPUT. The output is written atomically.
    #[arg(value_name = "PRE_AST OUTPUT", num_args = 1..=2, required = true)]
    pub paths: Vec<PathBuf>,
}

/// Arguments of `preprocess`.
#[derive(Debug, Args)]
pub struct PreprocessCliArgs {
    /// The kernel configuration: a .config file or /proc/config.gz.
    #[arg(short = 'c', long = "config-file", value_name = "CONFIG")]
    pub config_file: PathBuf,
    /// Accept a config of another kernel version than the pre-AST's.
    #[arg(long)]
    pub force: bool,
    /// The pre-AST file.
    #[arg(value_name = "PRE_AST")]
    pub pre_ast: PathBuf,
    /// Where to write (standard output when absent).
    #[arg(value_name = "OUTPUT")]
    pub output: Option<PathBuf>,
}

const BUILD_LONG_ABOUT: &str = "\
Build the pre-AST of a kernel tree: every header the target file can reach under ANY kernel
configuration (every branch of every #if is followed, in kbuild's x86-64 include search order,
from kbuild's forced includes and the target), plus what make-profile needs and the analysis
machine lacks: the kernel release and version, the include search order, kbuild's preprocessing
flags, and which generated headers are derived from the configuration (autoconf.h, bounds.h, timeconst.h, asm-offsets.h).

Build it once per kernel version, from any one flavour's tree: other flavours' configurations
are applied to the same pre-AST later. The compiler's predefined macros are not in it:
make-profile chooses them from the target's configuration (CONFIG_GCC_VERSION, CONFIG_CC_IS_CLANG),
so a kernel built by another GCC than the tree's still gets its own compiler's data. Includes that cannot be found are listed as warnings and
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
    /// The same kernel's full source (an unpacked tree, or a .tar/.tar.xz such as Debian's
    /// /usr/src/linux-source-6.1.tar.xz): the private headers and .c declarations of the types
    /// the headers package lacks (struct mount, struct kthread, the printk ring buffer, …).
    #[arg(long = "kernel-source", value_name = "SRC")]
    pub kernel_source: Option<PathBuf>,
    /// Build even if --kernel-source is of another kernel version (warns). (The compiler is chosen
    /// by make-profile from the target's config.)
    #[arg(long)]
    pub force: bool,
    /// Where to write the pre-AST (written atomically).
    #[arg(value_name = "OUTPUT")]
    pub output: PathBuf,
}
