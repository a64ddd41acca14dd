//! `sizeof` of a type named in a translation unit, for headers kbuild generates by compiling C:
//! bounds.h's `SPINLOCK_SIZE` is `sizeof(spinlock_t)` in kernel/bounds.c under the target config.
//!
//! The preprocessor asks through its `TypeSizes` trait while it regenerates bounds.h; this is the
//! one place where preprocessing calls the later stages, just as kbuild compiles bounds.c before
//! anything else of the kernel.

use crate::{
    decl::{DeclIndex, Resolver},
    preprocess::generated::TypeSizes,
    token::Token,
};

/// Sizes from our own declaration parser and layout engine over the given tokens.
pub struct EngineSizes;

impl TypeSizes for EngineSizes {
    fn enumerator_values(&self, names: &[String], tokens: &[Token]) -> Vec<Result<i128, String>> {
        let index = DeclIndex::build(tokens);
        let mut resolver = Resolver::new(tokens, &index);
        names
            .iter()
            .map(|name| {
                // `NAME = ( EXPR ) }`: the expression's tokens, up to the enum's closing brace.
                let at = tokens
                    .windows(2)
                    .position(|w| w[0].is_ident(name) && w[1].kind == syntax::T![=])
                    .ok_or_else(|| format!("{name} is not an enumerator of the unit"))?;
                let start = at + 2;
                let mut depth = 0i32;
                let mut end = start;
                while end < tokens.len() {
                    let k = tokens[end].kind;
                    if k == syntax::T!['('] {
                        depth += 1;
                    } else if k == syntax::T![')'] {
                        depth -= 1;
                    } else if (k == syntax::T!['}'] || k == syntax::T![,]) && depth == 0 {
                        break;
                    }
                    end += 1;
                }
                resolver.eval_const(start..end).map_err(|e| format!("{name}: {e}"))
            })
            .collect()
    }

    fn sizeof_type(
        &self,
        type_name: &str,
        _options: &[(smol_str::SmolStr, smol_str::SmolStr)],
        tokens: &[Token],
    ) -> Result<u64, String> {
        let index = DeclIndex::build(tokens);
        let mut resolver = Resolver::new(tokens, &index);
        let ty = resolver.typedef(type_name).map_err(|e| format!("sizeof({type_name}): {e}"))?;
        let layout = resolver.ty_layout(&ty).map_err(|e| format!("sizeof({type_name}): {e}"))?;
        if layout.size_bits % 8 != 0 {
            return Err(format!(
                "sizeof({type_name}): {} bits is not whole bytes",
                layout.size_bits
            ));
        }
        Ok(layout.size_bits / 8)
    }
}
