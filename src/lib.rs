//! layout-expert: exact memory layouts of Linux kernel structs for any kernel configuration.
//!
//! The pipeline, in module order: `input` (salsa inputs: header files, the pre-AST, kernel
//! configs) → `pre_ast` (the config-independent pre-AST: every reachable file's text, the include
//! search order, kbuild's flags; trees are computed from the text, per file) →
//! `preprocess` (C preprocessing under one config) → `decl` (declarations parsed lazily from the
//! preprocessed tokens) → `layout` (GCC x86-64 System V record layout) → `profile` (Rekall and
//! Volatility 3 outputs). `db` wires the salsa database.

pub mod config;
pub mod db;
pub mod decl;
pub mod explain;
pub mod input;
pub mod layout;
pub mod pipeline;
pub mod pre_ast;
pub mod preprocess;
pub mod profile;
pub mod token;
pub mod ty;

// The unit tests include test tooling written for the integration tests (`layout_expert::…` paths).
#[cfg(test)]
extern crate self as layout_expert;
