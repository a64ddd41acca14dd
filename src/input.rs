//! Salsa inputs: the only values the outside world sets. Everything else is derived.
//!
//! Header files are inputs with high durability (they never change within one pre-AST);
//! kernel configurations are inputs with low durability, one per configuration, so `batch`
//! can create all of them up front and queries keyed by config share the config-independent work.

use std::sync::Arc;

use crate::{db::Db, pre_ast::PreAst};

/// One file of the pre-AST's virtual file system.
#[salsa::input(debug)]
pub struct SourceFile {
    /// The file's path inside the pre-AST's virtual tree (for example `include/linux/types.h`).
    #[returns(ref)]
    pub path: Arc<str>,
    /// The file's text, exactly as read.
    #[returns(ref)]
    pub text: Arc<str>,
}

/// One kernel configuration: `CONFIG_*` name → value as autoconf.h spells it.
#[salsa::input(debug)]
pub struct KernelConfig {
    /// Where the configuration came from (a path, or a label in tests).
    #[returns(ref)]
    pub origin: Arc<str>,
    /// Options in file order; `=m` options appear as `CONFIG_X_MODULE`.
    #[returns(ref)]
    pub options: Arc<[(smol_str::SmolStr, smol_str::SmolStr)]>,
}

/// An interned identifier (a struct tag, typedef or macro name).
#[salsa::interned(debug)]
pub struct Name<'db> {
    #[returns(ref)]
    pub text: smol_str::SmolStr,
}

/// A pre-AST as a salsa input: its shape (paths, search order, flags) and one `SourceFile`
/// input per file, parallel to `PreAst::files`.
#[salsa::input(debug)]
pub struct PreAstInput {
    #[returns(ref)]
    pub pre_ast: Arc<PreAst>,
    #[returns(ref)]
    pub sources: Arc<[SourceFile]>,
}

impl PreAstInput {
    /// Creates the inputs for a loaded pre-AST.
    pub fn from_pre_ast(db: &dyn Db, pre_ast: Arc<PreAst>) -> PreAstInput {
        let sources: Vec<SourceFile> = pre_ast
            .files
            .iter()
            .map(|f| SourceFile::new(db, f.path.as_str().into(), Arc::clone(&f.text)))
            .collect();
        PreAstInput::new(db, pre_ast, sources.into())
    }
}
