//! The xtask library: development tasks for layout-expert, usable from tests and other crates.
//!
//! `kernels` unpacks the real Debian kernel header packages into `target/kernels/`; `oracle`
//! builds a C file as an out-of-tree kernel module with kbuild and gcc-12 and turns the DWARF of
//! the object (read by `dwarf`) into the canonical layout JSON defined in `layout_json`;
//! `compilers` unpacks the real GCC releases of Debian's suites and regenerates the shipped
//! compiler tables from them; `conformance` compares two such JSON documents field by field; `custom_config` prepares full
//! kernel source trees for custom configurations; `util` holds the error type and the plumbing
//! for external commands; `vol_image` boots Debian's kernel in QEMU, dumps its memory and
//! compares Volatility 3's plugin rows with dwarf2json's ISF and with ours. `cli` parses `cargo xtask` arguments by hand (no clap, to keep xtask
//! cheap to compile) and `main.rs` only calls it.

pub mod cli;
pub mod compilers;
pub mod conformance;
pub mod custom_config;
pub mod demo;
pub mod dwarf;
pub mod kernels;
pub mod layout_json;
pub mod oracle;
pub mod util;
pub mod vol_image;
