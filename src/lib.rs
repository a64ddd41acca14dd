//! layout-expert: exact memory layouts of Linux kernel structs for any kernel configuration.
//!
//! The pipeline, in module order: `input` (salsa inputs: header files, kernel configs) →
//! `pre_ast` (the config-independent pre-AST: every reachable header, its lossless tree) →
//! `preprocess` (C preprocessing under one config) → `decl` (declarations parsed lazily from the
//! preprocessed tokens) → `layout` (GCC x86-64 System V record layout) → `profile` (Rekall and
//! Volatility 3 outputs). `db` wires the salsa database.

pub mod config;
pub mod db;
pub mod decl;
pub mod explain;
pub mod input;
pub mod pipeline;
pub mod pre_ast;
pub mod layout;
pub mod preprocess;
pub mod profile;
pub mod token;
pub mod ty;
