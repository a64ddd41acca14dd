//! Constant expressions: array bounds, bitfield widths, enumerator values, `aligned(...)`.
//!
//! Values follow C's integer rules on x86-64 (promotions, usual arithmetic conversions, wrapping
//! to the result type's width), and every expression also has a type, because `sizeof`,
//! `typeof`, `__builtin_types_compatible_p` and the kernel's `__is_constexpr` trick (a null
//! pointer constant in a conditional expression) depend on types. A value we cannot determine is
//! an error naming the expression, never a guess.

use std::{ops::Range, sync::Arc};

use smol_str::SmolStr;
use syntax::{SyntaxKind, T};

use crate::{
    decl::{
        parse::Parser,
        resolve::{at_token, Resolver},
        DeclError, DeclErrorKind,
    },
    layout::LayoutError,
    preprocess::eval::{char_constant, char_units, precedence},
    token::NumberParts,
    ty::{BaseTy, RecordTy, Ty},
};

/// A typed value; `value` is `None` when it is not a compile-time constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Val {
    pub(crate) ty: Ty,
    pub(crate) value: Option<i128>,
    /// A null pointer constant (an integer constant 0, possibly cast to `void *`).
    pub(crate) npc: bool,
}

impl Val {
    fn int(ty: BaseTy, value: Option<i128>) -> Val {
        let value = value.map(|v| wrap(v, ty));
        Val { ty: Ty::Base(ty), npc: value == Some(0), value }
    }
    fn unknown(ty: Ty) -> Val {
        Val { ty, value: None, npc: false }
    }
}

impl<'a> Resolver<'a> {
    /// Evaluates the expression in `range` to an integer constant.
    pub(crate) fn eval_const(&mut self, range: Range<usize>) -> Result<i128, DeclError> {
        let start = range.start;
        let val = self.eval_range(range.clone())?;
        match val.value {
            Some(v) if self.int_info(&val.ty).is_some() => Ok(v),
            _ => Err(DeclError::of(
                start,
                DeclErrorKind::NotAnIntegerConstant { spelling: self.spell(range) },
            )),
        }
    }

    /// Evaluates the whole of `range` as an expression.
    pub(crate) fn eval_range(&mut self, range: Range<usize>) -> Result<Val, DeclError> {
        if range.is_empty() {
            return Err(DeclError::new(range.start, "an empty expression"));
        }
        let mut pos = range.start;
        let end = range.end.min(self.toks.len());
        let val = self.comma(&mut pos, end)?;
        if pos != end {
            return Err(DeclError::new(
                pos,
                format!("unexpected `{}` in an expression", self.toks[pos].text),
            ));
        }
        Ok(val)
    }

    fn spell(&self, range: Range<usize>) -> String {
        let mut s = String::new();
        for t in &self.toks[range.start..range.end.min(self.toks.len())] {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&t.text);
            if s.len() > 200 {
                s.push_str(" ...");
                break;
            }
        }
        s
    }

    fn kind_at(&self, pos: usize, end: usize) -> Option<SyntaxKind> {
        (pos < end).then(|| self.toks[pos].kind)
    }

    fn ident_at(&self, pos: usize, end: usize) -> Option<&'a str> {
        let toks: &'a [crate::token::Token] = self.toks;
        (pos < end && toks[pos].kind == SyntaxKind::IDENT).then(|| toks[pos].text.as_str())
    }

    fn expect_at(
        &self,
        pos: &mut usize,
        end: usize,
        kind: SyntaxKind,
        what: &str,
    ) -> Result<(), DeclError> {
        if self.kind_at(*pos, end) == Some(kind) {
            *pos += 1;
            Ok(())
        } else {
            Err(DeclError::new(*pos, format!("expected {what}")))
        }
    }

    /// The end of the balanced group opening at `pos` (the position after its closer).
    fn group_end(&self, pos: usize, end: usize) -> Result<usize, DeclError> {
        let mut p = Parser::new(self.toks, pos..end, &self.index.typedef_names);
        p.skip_group()?;
        Ok(p.pos)
    }

    fn comma(&mut self, pos: &mut usize, end: usize) -> Result<Val, DeclError> {
        let mut val = self.conditional(pos, end)?;
        while self.kind_at(*pos, end) == Some(T![,]) {
            *pos += 1;
            val = self.conditional(pos, end)?;
            val.npc = false;
        }
        Ok(val)
    }

    fn conditional(&mut self, pos: &mut usize, end: usize) -> Result<Val, DeclError> {
        let at = *pos;
        let cond = self.binary(pos, end, 0)?;
        if self.kind_at(*pos, end) != Some(T![?]) {
            return Ok(cond);
        }
        *pos += 1;
        let then_res = if self.kind_at(*pos, end) == Some(T![:]) {
            Ok(cond.clone())
        } else {
            self.comma(pos, end)
        };
        self.expect_at(pos, end, T![:], "`:` in a conditional expression")?;
        let else_res = self.conditional(pos, end);
        let truth = cond.value.map(|v| v != 0);
        let (then_val, else_val) = match (then_res, else_res, truth) {
            (Ok(a), Ok(b), _) => (a, b),
            (Ok(a), Err(_), Some(true)) => (a.clone(), a),
            (Err(_), Ok(b), Some(false)) => (b.clone(), b),
            (Err(e), _, _) | (_, Err(e), _) => return Err(e),
        };
        let ty = self.conditional_type(&then_val, &else_val, at)?;
        let chosen = match truth {
            Some(true) => &then_val,
            Some(false) => &else_val,
            None => return Ok(Val::unknown(ty)),
        };
        let value = match (chosen.value, self.int_info(&ty)) {
            (Some(v), Some(base)) => Some(wrap(v, base)),
            (v, _) => v,
        };
        Ok(Val { ty, value, npc: false })
    }

    /// The type of `c ? a : b` (C11 6.5.15), including the null-pointer-constant rules that make
    /// the kernel's `__is_constexpr` work.
    fn conditional_type(&mut self, a: &Val, b: &Val, at: usize) -> Result<Ty, DeclError> {
        let ta = decay(&a.ty);
        let tb = decay(&b.ty);
        if let (Some(ia), Some(ib)) = (self.int_info(&ta), self.int_info(&tb)) {
            return Ok(Ty::Base(arith_conv(ia, ib)));
        }
        let pa = matches!(ta.strip_typedefs(), Ty::Pointer(_));
        let pb = matches!(tb.strip_typedefs(), Ty::Pointer(_));
        match (pa, pb) {
            (true, true) => {
                if a.npc {
                    return Ok(tb);
                }
                if b.npc {
                    return Ok(ta);
                }
                if is_void_pointer(&ta) {
                    return Ok(ta);
                }
                if is_void_pointer(&tb) {
                    return Ok(tb);
                }
                Ok(ta)
            }
            (true, false) if b.npc => Ok(ta),
            (false, true) if a.npc => Ok(tb),
            _ => {
                if ta.strip_typedefs() == tb.strip_typedefs() {
                    Ok(ta)
                } else if matches!(ta, Ty::Void) || matches!(tb, Ty::Void) {
                    Ok(Ty::Void)
                } else {
                    Err(DeclError::new(
                        at,
                        "operands of a conditional expression have incompatible types",
                    ))
                }
            }
        }
    }

    fn binary(&mut self, pos: &mut usize, end: usize, min_prec: u8) -> Result<Val, DeclError> {
        let mut lhs = self.unary(pos, end)?;
        while let Some((kind, prec)) =
            self.kind_at(*pos, end).and_then(|k| precedence(k).map(|p| (k, p)))
        {
            if prec < min_prec {
                break;
            }
            let at = *pos;
            *pos += 1;
            let rhs = self.binary(pos, end, prec + 1)?;
            lhs = self.binary_op(kind, lhs, rhs, at)?;
        }
        Ok(lhs)
    }

    fn binary_op(
        &mut self,
        op: SyntaxKind,
        lhs: Val,
        rhs: Val,
        at: usize,
    ) -> Result<Val, DeclError> {
        let lt = decay(&lhs.ty);
        let rt = decay(&rhs.ty);
        if matches!(op, T![&&] | T![||]) {
            let value = match (op, lhs.value, rhs.value) {
                (T![&&], Some(0), _) | (T![&&], _, Some(0)) => Some(0),
                (T![||], Some(l), _) if l != 0 => Some(1),
                (T![||], _, Some(r)) if r != 0 => Some(1),
                (T![&&], Some(_), Some(_)) => Some(1),
                (T![||], Some(_), Some(_)) => Some(0),
                _ => None,
            };
            return Ok(Val::int(BaseTy::Int, value));
        }
        let (li, ri) = (self.int_info(&lt), self.int_info(&rt));
        let (Some(li), Some(ri)) = (li, ri) else {
            // Pointer arithmetic and comparisons: typed, never constant here.
            let ty = match op {
                T![==] | T![!=] | T![<] | T![>] | T![<=] | T![>=] => Ty::Base(BaseTy::Int),
                T![-] if matches!(rt.strip_typedefs(), Ty::Pointer(_)) => Ty::Base(BaseTy::Long),
                _ if matches!(lt.strip_typedefs(), Ty::Pointer(_)) => lt,
                _ => rt,
            };
            let value = match (op, lhs.value, rhs.value) {
                (T![==], Some(l), Some(r)) => Some((l == r) as i128),
                (T![!=], Some(l), Some(r)) => Some((l != r) as i128),
                _ => None,
            };
            return Ok(Val { ty, value, npc: false });
        };
        if matches!(op, T![<<] | T![>>]) {
            let ty = promote(li);
            let value = match (lhs.value, rhs.value) {
                (Some(l), Some(r)) => {
                    let bits = size_bits(ty) as i128;
                    if r < 0 || r >= bits {
                        return Err(DeclError::new(at, format!("shift count {r} out of range")));
                    }
                    let l = wrap(l, ty);
                    Some(if op == T![<<] { l << r } else { l >> r })
                }
                _ => None,
            };
            return Ok(Val::int(ty, value));
        }
        let ty = arith_conv(li, ri);
        let (l, r) = (lhs.value.map(|v| wrap(v, ty)), rhs.value.map(|v| wrap(v, ty)));
        let (Some(l), Some(r)) = (l, r) else {
            let res_ty = if is_comparison(op) { BaseTy::Int } else { ty };
            return Ok(Val::int(res_ty, None));
        };
        let res = match op {
            T![+] => l.checked_add(r),
            T![-] => l.checked_sub(r),
            T![*] => l.checked_mul(r),
            T![/] | T![%] => {
                if r == 0 {
                    return Err(DeclError::new(at, "division by zero in a constant expression"));
                }
                if op == T![/] {
                    l.checked_div(r)
                } else {
                    l.checked_rem(r)
                }
            }
            T![&] => Some(l & r),
            T![|] => Some(l | r),
            T![^] => Some(l ^ r),
            T![==] => return Ok(Val::int(BaseTy::Int, Some((l == r) as i128))),
            T![!=] => return Ok(Val::int(BaseTy::Int, Some((l != r) as i128))),
            T![<] => return Ok(Val::int(BaseTy::Int, Some((l < r) as i128))),
            T![>] => return Ok(Val::int(BaseTy::Int, Some((l > r) as i128))),
            T![<=] => return Ok(Val::int(BaseTy::Int, Some((l <= r) as i128))),
            T![>=] => return Ok(Val::int(BaseTy::Int, Some((l >= r) as i128))),
            _ => return Err(DeclError::new(at, "unsupported operator")),
        };
        let res = res.ok_or_else(|| DeclError::new(at, "overflow in a constant expression"))?;
        Ok(Val::int(ty, Some(res)))
    }

    fn unary(&mut self, pos: &mut usize, end: usize) -> Result<Val, DeclError> {
        let at = *pos;
        let Some(kind) = self.kind_at(*pos, end) else {
            return Err(DeclError::new(at.saturating_sub(1), "expression ends early"));
        };
        match kind {
            T![-] | T![+] | T![~] | T![!] => {
                *pos += 1;
                let v = self.unary(pos, end)?;
                let vt = decay(&v.ty);
                if kind == T![!] {
                    return Ok(Val::int(BaseTy::Int, v.value.map(|x| (x == 0) as i128)));
                }
                let Some(info) = self.int_info(&vt) else {
                    return Err(DeclError::new(at, "arithmetic on a non-integer"));
                };
                let ty = promote(info);
                let value = v.value.map(|x| match kind {
                    T![-] => x.wrapping_neg(),
                    T![~] => !x,
                    _ => x,
                });
                Ok(Val::int(ty, value))
            }
            T![*] => {
                *pos += 1;
                let v = self.unary(pos, end)?;
                let pointee = match decay(&v.ty).strip_typedefs() {
                    Ty::Pointer(t) => (**t).clone(),
                    Ty::Function(_) => v.ty.clone(),
                    _ => return Err(DeclError::new(at, "dereferencing a non-pointer")),
                };
                let pointee = self.deep(&pointee, at)?;
                Ok(Val::unknown(pointee))
            }
            T![&] => {
                *pos += 1;
                let v = self.unary(pos, end)?;
                Ok(Val::unknown(Ty::Pointer(Arc::new(v.ty))))
            }
            T![++] | T![--] => Err(DeclError::new(at, "increment in a constant expression")),
            SyntaxKind::IDENT => {
                let word = self.ident_at(*pos, end).unwrap_or_default();
                match word {
                    "sizeof" | "_Alignof" | "__alignof__" | "__alignof" | "alignof" => {
                        *pos += 1;
                        let ty = if self.kind_at(*pos, end) == Some(T!['('])
                            && self.type_follows(*pos + 1, end)
                        {
                            let close = self.group_end(*pos, end)?;
                            let ty = self.type_name(*pos + 1..close - 1)?;
                            *pos = close;
                            if self.kind_at(*pos, end) == Some(T!['{']) {
                                return Err(DeclError::new(
                                    at,
                                    "compound literal in a constant expression",
                                ));
                            }
                            ty
                        } else {
                            self.unary(pos, end)?.ty
                        };
                        let layout = match (word, &ty) {
                            // GNU C: `sizeof(void)` and `sizeof` of a function are 1.
                            (_, Ty::Void) | (_, Ty::Function(_)) => {
                                crate::layout::TyLayout { size_bits: 8, align_bits: 8 }
                            }
                            _ => self.ty_layout(&ty).map_err(|e| layout_error(e, at, &ty))?,
                        };
                        let bits =
                            if word == "sizeof" { layout.size_bits } else { layout.align_bits };
                        Ok(Val::int(BaseTy::ULong, Some((bits / 8) as i128)))
                    }
                    "__extension__" => {
                        *pos += 1;
                        self.unary(pos, end)
                    }
                    "__real__" | "__imag__" => {
                        Err(DeclError::new(at, "complex arithmetic in a constant expression"))
                    }
                    _ => self.postfix(pos, end),
                }
            }
            T!['('] if self.type_follows(*pos + 1, end) => {
                let close = self.group_end(*pos, end)?;
                let ty = self.type_name(*pos + 1..close - 1)?;
                *pos = close;
                if self.kind_at(*pos, end) == Some(T!['{']) {
                    return Err(DeclError::new(at, "compound literal in a constant expression"));
                }
                let v = self.unary(pos, end)?;
                self.cast(v, ty, at)
            }
            _ => self.postfix(pos, end),
        }
    }

    /// Whether a type name starts at `pos` (inside parentheses).
    fn type_follows(&self, pos: usize, end: usize) -> bool {
        let p = Parser::new(self.toks, pos..end, &self.index.typedef_names);
        p.at_type_start()
            || self.ident_at(pos, end).is_some_and(|w| matches!(w, "__attribute__" | "__attribute"))
    }

    fn cast(&mut self, v: Val, ty: Ty, at: usize) -> Result<Val, DeclError> {
        let target = ty.strip_typedefs().clone();
        match &target {
            Ty::Void => Ok(Val::unknown(Ty::Void)),
            Ty::Pointer(_) => {
                let int_zero = v.value == Some(0) && self.int_info(&decay(&v.ty)).is_some();
                let npc = (int_zero || v.npc) && is_void_pointer(&target);
                Ok(Val { ty, value: v.value, npc })
            }
            _ => match self.int_info(&target) {
                Some(base) => {
                    let value = v.value.map(|x| wrap(x, base));
                    Ok(Val { ty, npc: value == Some(0), value })
                }
                None => match target {
                    Ty::Base(_) => Ok(Val::unknown(ty)),
                    _ => {
                        Err(DeclError::new(at, format!("cast to `{ty}` in a constant expression")))
                    }
                },
            },
        }
    }

    fn postfix(&mut self, pos: &mut usize, end: usize) -> Result<Val, DeclError> {
        let mut v = self.primary(pos, end)?;
        loop {
            let at = *pos;
            match self.kind_at(*pos, end) {
                Some(T!['[']) => {
                    let close = self.group_end(*pos, end)?;
                    let _index = self.eval_range(*pos + 1..close - 1)?;
                    *pos = close;
                    let elem = match decay(&v.ty).strip_typedefs() {
                        Ty::Pointer(t) => (**t).clone(),
                        _ => return Err(DeclError::new(at, "subscript of a non-array")),
                    };
                    v = Val::unknown(self.deep(&elem, at)?);
                }
                Some(T![.]) | Some(T![->]) => {
                    let arrow = self.toks[*pos].kind == T![->];
                    *pos += 1;
                    let Some(member) = self.ident_at(*pos, end) else {
                        return Err(DeclError::new(*pos, "expected a member name"));
                    };
                    *pos += 1;
                    let base = if arrow {
                        match decay(&v.ty).strip_typedefs() {
                            Ty::Pointer(t) => (**t).clone(),
                            _ => return Err(DeclError::new(at, "`->` on a non-pointer")),
                        }
                    } else {
                        v.ty.clone()
                    };
                    let base = self.deep(&base, at)?;
                    let Ty::Record(rec) = base.strip_typedefs().clone() else {
                        return Err(DeclError::new(
                            at,
                            format!("member `{member}` of non-record type `{base}`"),
                        ));
                    };
                    let Some((field_ty, _)) = find_member(&rec, member) else {
                        return Err(DeclError::new(
                            at,
                            format!("no member `{member}` in `{base}`"),
                        ));
                    };
                    v = Val::unknown(field_ty);
                }
                Some(T!['(']) => {
                    let close = self.group_end(*pos, end)?;
                    *pos = close;
                    let ret = match decay(&v.ty).strip_typedefs() {
                        Ty::Pointer(t) => match &**t {
                            Ty::Function(sig) => sig.ret.clone(),
                            _ => Ty::Base(BaseTy::Int),
                        },
                        _ => Ty::Base(BaseTy::Int),
                    };
                    v = Val::unknown(self.deep(&ret, at)?);
                }
                Some(T![++]) | Some(T![--]) => {
                    return Err(DeclError::new(at, "increment in a constant expression"))
                }
                _ => return Ok(v),
            }
        }
    }

    fn primary(&mut self, pos: &mut usize, end: usize) -> Result<Val, DeclError> {
        let at = *pos;
        let Some(kind) = self.kind_at(*pos, end) else {
            return Err(DeclError::new(at.saturating_sub(1), "expression ends early"));
        };
        match kind {
            SyntaxKind::PP_NUMBER => {
                *pos += 1;
                parse_number(&self.toks[at].text).ok_or_else(|| {
                    DeclError::new(at, format!("cannot read the number `{}`", self.toks[at].text))
                })
            }
            SyntaxKind::CHAR => {
                *pos += 1;
                let (prefix, v) = char_constant(&self.toks[at].text).map_err(|e| {
                    DeclError::new(at, format!("cannot read `{}`: {e}", self.toks[at].text))
                })?;
                // C's types: `int` for plain and `L` (wchar_t), char8_t/char16_t/char32_t.
                let ty = match prefix {
                    "u8" => BaseTy::UChar,
                    "u" => BaseTy::UShort,
                    "U" => BaseTy::UInt,
                    _ => BaseTy::Int,
                };
                Ok(Val::int(ty, Some(v as i128)))
            }
            SyntaxKind::STRING => {
                let mut len = 0u64;
                while self.kind_at(*pos, end) == Some(SyntaxKind::STRING) {
                    len +=
                        string_len(&self.toks[*pos].text).map_err(|e| DeclError::new(*pos, e))?;
                    *pos += 1;
                }
                Ok(Val::unknown(Ty::Array(Arc::new(Ty::Base(BaseTy::Char)), Some(len + 1))))
            }
            T!['('] => {
                if self.kind_at(*pos + 1, end) == Some(T!['{']) {
                    return Err(DeclError::of(at, DeclErrorKind::StatementExpression));
                }
                let close = self.group_end(*pos, end)?;
                let v = self.eval_range(*pos + 1..close - 1)?;
                *pos = close;
                Ok(v)
            }
            SyntaxKind::IDENT => {
                let word = self.ident_at(*pos, end).unwrap_or_default();
                *pos += 1;
                match word {
                    "__builtin_constant_p" => {
                        let args = self.call_args(pos, end, 1)?;
                        let constant = match self.eval_range(args[0].clone()) {
                            Ok(v) => v.value.is_some(),
                            Err(_) => false,
                        };
                        Ok(Val::int(BaseTy::Int, Some(constant as i128)))
                    }
                    "__builtin_choose_expr" => {
                        let args = self.call_args(pos, end, 3)?;
                        let c = self.eval_const(args[0].clone())?;
                        self.eval_range(if c != 0 { args[1].clone() } else { args[2].clone() })
                    }
                    "__builtin_types_compatible_p" => {
                        let args = self.call_args(pos, end, 2)?;
                        let a = self.type_name(args[0].clone())?;
                        let b = self.type_name(args[1].clone())?;
                        let same = self.compatible(&a, &b);
                        Ok(Val::int(BaseTy::Int, Some(same as i128)))
                    }
                    "__builtin_expect" | "__builtin_expect_with_probability" => {
                        let args = self.call_args(pos, end, 0)?;
                        self.eval_range(args[0].clone())
                    }
                    "__builtin_offsetof" | "offsetof" => {
                        let args = self.call_args(pos, end, 2)?;
                        let ty = self.type_name(args[0].clone())?;
                        let bits = self.offsetof(ty, args[1].clone())?;
                        Ok(Val::int(BaseTy::ULong, Some((bits / 8) as i128)))
                    }
                    w if w.starts_with("__builtin_") && bit_builtin(w).is_some() => {
                        let args = self.call_args(pos, end, 1)?;
                        let v = self.eval_range(args[0].clone())?;
                        let (op, bits) = bit_builtin(w).unwrap_or(("", 32));
                        let value = match v.value {
                            Some(x) => {
                                let x = (x as u128) & (u128::MAX >> (128 - bits));
                                Some(match op {
                                    "clz" if x == 0 => {
                                        return Err(DeclError::new(at, "__builtin_clz of 0"))
                                    }
                                    "ctz" if x == 0 => {
                                        return Err(DeclError::new(at, "__builtin_ctz of 0"))
                                    }
                                    "clz" => (x.leading_zeros() - (128 - bits)) as i128,
                                    "ctz" => x.trailing_zeros() as i128,
                                    "popcount" => x.count_ones() as i128,
                                    "ffs" => {
                                        if x == 0 {
                                            0
                                        } else {
                                            x.trailing_zeros() as i128 + 1
                                        }
                                    }
                                    "parity" => (x.count_ones() & 1) as i128,
                                    _ => {
                                        return Err(DeclError::new(
                                            at,
                                            format!("unsupported builtin `{w}`"),
                                        ))
                                    }
                                })
                            }
                            None => None,
                        };
                        Ok(Val::int(BaseTy::Int, value))
                    }
                    _ => {
                        if let Some(res) = self.enumerator(word, at) {
                            let v = res?;
                            let ty = if i32::try_from(v).is_ok() {
                                BaseTy::Int
                            } else if v < 0 || i64::try_from(v).is_ok() {
                                BaseTy::Long
                            } else {
                                BaseTy::ULong
                            };
                            return Ok(Val::int(ty, Some(v)));
                        }
                        if self.index.vars.contains_key(word) {
                            let ty = self.variable(word).map_err(|e| at_token(e, at))?;
                            return Ok(Val::unknown(ty));
                        }
                        if let Some(ty) = self.function_type(word) {
                            return Ok(Val::unknown(ty?));
                        }
                        Err(DeclError::of(
                            at,
                            DeclErrorKind::UnknownConstant { name: SmolStr::from(word) },
                        ))
                    }
                }
            }
            _ => Err(DeclError::new(
                at,
                format!("unexpected `{}` in an expression", self.toks[at].text),
            )),
        }
    }

    /// The type of a function declared at file scope, if `name` is one.
    fn function_type(&mut self, name: &str) -> Option<Result<Ty, DeclError>> {
        for (i, decl) in self.index.decls.iter().enumerate() {
            if decl.specs.is_typedef {
                continue;
            }
            for (j, d) in decl.declarators.iter().enumerate() {
                if d.name.as_ref().is_some_and(|n| n.0 == name) {
                    let decl = &self.index.decls[i];
                    let specs = decl.specs.clone();
                    let d = decl.declarators[j].clone();
                    return Some(self.declared_type(&specs, &d, false).map(|it| it.0));
                }
            }
        }
        None
    }

    /// The comma-separated arguments of a builtin call at `pos` (at its `(`).
    fn call_args(
        &mut self,
        pos: &mut usize,
        end: usize,
        n: usize,
    ) -> Result<Vec<Range<usize>>, DeclError> {
        if self.kind_at(*pos, end) != Some(T!['(']) {
            return Err(DeclError::new(*pos, "expected `(` after a builtin"));
        }
        let close = self.group_end(*pos, end)?;
        let mut args = Vec::new();
        let mut p = Parser::new(self.toks, *pos + 1..close - 1, &self.index.typedef_names);
        loop {
            let start = p.pos;
            p.skip_expression()?;
            args.push(start..p.pos);
            if p.at(T![,]) {
                p.pos += 1;
            } else {
                break;
            }
        }
        *pos = close;
        if args.len() < n.max(1) {
            return Err(DeclError::new(*pos - 1, "too few arguments to a builtin"));
        }
        Ok(args)
    }

    /// `__builtin_offsetof(type, member-designator)` in bits.
    fn offsetof(&mut self, ty: Ty, designator: Range<usize>) -> Result<u64, DeclError> {
        let at = designator.start;
        let mut pos = designator.start;
        let end = designator.end;
        let mut cur = ty;
        let mut bits: u64 = 0;
        let mut first = true;
        while pos < end {
            match self.toks[pos].kind {
                T![.] if !first => pos += 1,
                T!['['] => {
                    let close = self.group_end(pos, end)?;
                    let i = self.eval_const(pos + 1..close - 1)?;
                    pos = close;
                    let Ty::Array(elem, _) = cur.strip_typedefs().clone() else {
                        return Err(DeclError::new(at, "offsetof subscript of a non-array"));
                    };
                    let elem = self.deep(&elem, at)?;
                    let size =
                        self.ty_layout(&elem).map_err(|e| layout_error(e, at, &elem))?.size_bits;
                    let step = size.checked_mul(
                        u64::try_from(i)
                            .map_err(|_| DeclError::new(at, "negative offsetof index"))?,
                    );
                    bits = step
                        .and_then(|s| bits.checked_add(s))
                        .ok_or_else(|| DeclError::new(at, "offsetof overflows"))?;
                    first = false;
                    continue;
                }
                _ => {}
            }
            let Some(member) = self.ident_at(pos, end) else {
                return Err(DeclError::new(pos, "expected a member name in offsetof"));
            };
            pos += 1;
            first = false;
            let base = self.deep(&cur, at)?;
            let Ty::Record(rec) = base.strip_typedefs().clone() else {
                return Err(DeclError::new(
                    at,
                    format!("offsetof member `{member}` of a non-record"),
                ));
            };
            let (field_ty, offset_bits) = self.member_offset(&rec, member, at)?;
            bits = bits
                .checked_add(offset_bits)
                .ok_or_else(|| DeclError::new(at, "offsetof overflows"))?;
            cur = field_ty;
        }
        if !bits.is_multiple_of(8) {
            return Err(DeclError::new(at, "offsetof a bitfield"));
        }
        Ok(bits)
    }

    /// The type and bit offset of member `name`, looking through anonymous members.
    fn member_offset(
        &mut self,
        rec: &Arc<RecordTy>,
        name: &str,
        at: usize,
    ) -> Result<(Ty, u64), DeclError> {
        let layout = self
            .record_layout(rec)
            .map_err(|e| layout_error(e, at, &Ty::Record(Arc::clone(rec))))?;
        for (f, fl) in rec.fields.iter().zip(&layout.fields) {
            match (&f.name, &f.ty) {
                (Some(n), _) if n == name => {
                    if f.bit_width.is_some() {
                        return Err(DeclError::new(at, format!("offsetof bitfield `{name}`")));
                    }
                    return Ok((f.ty.clone(), fl.offset_bits));
                }
                (None, Ty::Record(inner)) if find_member(inner, name).is_some() => {
                    let (ty, off) = self.member_offset(inner, name, at)?;
                    return Ok((ty, fl.offset_bits + off));
                }
                _ => {}
            }
        }
        Err(DeclError::new(at, format!("no member `{name}`")))
    }

    /// GCC's `__builtin_types_compatible_p`, ignoring qualifiers (our types carry none).
    fn compatible(&mut self, a: &Ty, b: &Ty) -> bool {
        let a = a.strip_typedefs();
        let b = b.strip_typedefs();
        match (a, b) {
            (Ty::Pointer(x), Ty::Pointer(y)) => {
                let (x, y) = ((**x).clone(), (**y).clone());
                let x = self.deep(&x, 0).unwrap_or(x);
                let y = self.deep(&y, 0).unwrap_or(y);
                self.compatible(&x, &y)
            }
            (Ty::Array(x, n), Ty::Array(y, m)) => {
                (n.is_none() || m.is_none() || n == m) && {
                    let (x, y) = ((**x).clone(), (**y).clone());
                    self.compatible(&x, &y)
                }
            }
            (Ty::Record(x), Ty::Record(y)) => {
                Arc::ptr_eq(x, y) || (x.tag.is_some() && x.tag == y.tag && x.kind == y.kind)
            }
            (Ty::Record(x), Ty::RecordRef(k, t)) | (Ty::RecordRef(k, t), Ty::Record(x)) => {
                x.kind == *k && x.tag.as_ref() == Some(t)
            }
            (Ty::Enum(x), Ty::Enum(y)) => Arc::ptr_eq(x, y) || (x.tag.is_some() && x.tag == y.tag),
            _ => a == b,
        }
    }

    /// Integer type of a (decayed) type: base integers and enums.
    pub(crate) fn int_info(&mut self, ty: &Ty) -> Option<BaseTy> {
        match ty.strip_typedefs() {
            Ty::Base(b) if b.is_integer() => Some(*b),
            Ty::Enum(def) => crate::layout::enum_layout(def).ok().map(|it| it.1),
            Ty::EnumRef(tag) => {
                let def = self.index.enums.get(tag)?.at;
                let def = self.enum_def(def).ok()?;
                crate::layout::enum_layout(&def).ok().map(|it| it.1)
            }
            _ => None,
        }
    }
}

/// Arrays and functions decay to pointers in value contexts.
fn decay(ty: &Ty) -> Ty {
    match ty.strip_typedefs() {
        Ty::Array(elem, _) => Ty::Pointer(Arc::clone(elem)),
        Ty::Function(_) => Ty::Pointer(Arc::new(ty.clone())),
        _ => ty.clone(),
    }
}

fn is_void_pointer(ty: &Ty) -> bool {
    matches!(ty.strip_typedefs(), Ty::Pointer(t) if matches!(t.strip_typedefs(), Ty::Void))
}

fn is_comparison(op: SyntaxKind) -> bool {
    matches!(op, T![==] | T![!=] | T![<] | T![>] | T![<=] | T![>=])
}

fn size_bits(b: BaseTy) -> u32 {
    crate::layout::base_layout(b).size_bits as u32
}

/// Integer promotion.
fn promote(b: BaseTy) -> BaseTy {
    if size_bits(b) < 32 {
        BaseTy::Int
    } else {
        b
    }
}

/// The usual arithmetic conversions for two integer types.
fn arith_conv(a: BaseTy, b: BaseTy) -> BaseTy {
    let (a, b) = (promote(a), promote(b));
    let (sa, sb) = (size_bits(a), size_bits(b));
    let (ua, ub) = (!a.is_signed(), !b.is_signed());
    if ua == ub {
        return if sa >= sb { a } else { b };
    }
    let (u, s) = if ua { (a, b) } else { (b, a) };
    if size_bits(u) >= size_bits(s) {
        u
    } else {
        s
    }
}

/// Wraps `v` to the width and signedness of `b`.
fn wrap(v: i128, b: BaseTy) -> i128 {
    let bits = if b == BaseTy::Bool {
        return (v != 0) as i128;
    } else {
        size_bits(b)
    };
    if bits >= 128 {
        return if b.is_signed() { v } else { v & i128::MAX };
    }
    let mask = (1u128 << bits) - 1;
    let u = (v as u128) & mask;
    if b.is_signed() && u >> (bits - 1) == 1 {
        (u | !mask) as i128
    } else {
        u as i128
    }
}

/// A C integer literal with its type (C11 6.4.4.1).
fn parse_number(text: &str) -> Option<Val> {
    let NumberParts { digits: num, radix, suffix } = NumberParts::split(text);
    let (num, suffix) = (num.as_str(), suffix.as_str());
    if radix != 16 && (suffix.starts_with('.') || suffix.starts_with('e'))
        || radix == 16 && suffix.starts_with('p')
    {
        return Some(Val::unknown(Ty::Base(BaseTy::Double)));
    }
    let value = if num.is_empty() { 0 } else { u128::from_str_radix(num, radix).ok()? };
    let unsigned = suffix.contains('u');
    let longs = suffix.matches('l').count();
    if !suffix.chars().all(|c| c == 'u' || c == 'l') || suffix.matches('u').count() > 1 || longs > 2
    {
        return None;
    }
    let candidates: &[BaseTy] = match (unsigned, longs, radix == 10) {
        (false, 0, true) => &[BaseTy::Int, BaseTy::Long],
        (false, 0, false) => &[BaseTy::Int, BaseTy::UInt, BaseTy::Long, BaseTy::ULong],
        (true, 0, _) => &[BaseTy::UInt, BaseTy::ULong],
        (false, 1, true) => &[BaseTy::Long],
        (false, 1, false) => &[BaseTy::Long, BaseTy::ULong],
        (true, 1, _) => &[BaseTy::ULong],
        (false, _, true) => &[BaseTy::LongLong],
        (false, _, false) => &[BaseTy::LongLong, BaseTy::ULongLong],
        (true, _, _) => &[BaseTy::ULongLong],
    };
    for ty in candidates {
        let bits = size_bits(*ty);
        let max = if ty.is_signed() { (1u128 << (bits - 1)) - 1 } else { (1u128 << bits) - 1 };
        if value <= max {
            return Some(Val::int(*ty, Some(value as i128)));
        }
    }
    // GCC gives too-large decimal literals an unsigned or __int128 type; keep the value.
    Some(Val::int(BaseTy::ULong, Some(value as i128)))
}

/// The number of code units of a string literal's text, without the terminating NUL.
fn string_len(text: &str) -> Result<u64, String> {
    let start = text.find('"').map(|i| i + 1).unwrap_or(0);
    let wide = start > 1 && !text.starts_with("u8");
    let inner = text[start..].strip_suffix('"').unwrap_or(&text[start..]);
    if wide {
        return Err(format!("sizeof a wide string literal ({text})"));
    }
    char_units(inner, wide).map(|it| it.len() as u64)
}

/// The bit-twiddling builtins: operation and operand width.
fn bit_builtin(name: &str) -> Option<(&'static str, u32)> {
    let rest = name.strip_prefix("__builtin_")?;
    for op in ["clz", "ctz", "popcount", "ffs", "parity"] {
        if let Some(width) = rest.strip_prefix(op) {
            let bits = match width {
                "" => 32,
                "l" | "ll" => 64,
                _ => return None,
            };
            return Some((op, bits));
        }
    }
    None
}

/// Finds member `name` in `rec` or its anonymous members: its type and whether it is a bitfield.
pub(crate) fn find_member(rec: &RecordTy, name: &str) -> Option<(Ty, bool)> {
    for f in &rec.fields {
        match (&f.name, &f.ty) {
            (Some(n), _) if n == name => return Some((f.ty.clone(), f.bit_width.is_some())),
            (None, Ty::Record(inner)) => {
                if let Some(found) = find_member(inner, name) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

fn layout_error(e: LayoutError, at: usize, ty: &Ty) -> DeclError {
    DeclError::new(at, format!("cannot lay out `{ty}`: {e}"))
}
