//! `#if` arithmetic: C11 6.10.1 on macro-expanded tokens, in `intmax_t`/`uintmax_t` (64 bits on
//! x86-64) with C's precedence, the usual arithmetic conversions and short-circuit evaluation.
//!
//! The caller has already replaced `defined X`, `__has_include(…)` and friends by numbers; any
//! identifier left is 0 (C11 6.10.1p4). Division by zero in an evaluated operand is an error;
//! signed overflow wraps, as GCC's preprocessor does (with a warning we do not reproduce).

use syntax::{SyntaxKind, T};

use crate::preprocess::skeleton::Tok;
use crate::token::NumberParts;

/// A value of a `#if` expression: `intmax_t` or `uintmax_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Signed(i64),
    Unsigned(u64),
}

impl Value {
    pub fn is_true(self) -> bool {
        match self {
            Value::Signed(v) => v != 0,
            Value::Unsigned(v) => v != 0,
        }
    }

    fn bits(self) -> u64 {
        match self {
            Value::Signed(v) => v as u64,
            Value::Unsigned(v) => v,
        }
    }

    fn unsigned(self) -> bool {
        matches!(self, Value::Unsigned(_))
    }

    /// As a signed number (for sizes, widths and counts).
    pub fn as_i128(self) -> i128 {
        match self {
            Value::Signed(v) => v as i128,
            Value::Unsigned(v) => v as i128,
        }
    }
}

/// Evaluates a whole `#if` expression.
pub fn evaluate(tokens: &[Tok]) -> Result<Value, String> {
    let toks: Vec<&Tok> = tokens.iter().filter(|t| !t.is_padding() && !t.is_eof()).collect();
    if toks.is_empty() {
        return Err("#if with no expression".into());
    }
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let v = p.cond(true)?;
    if let Some(t) = p.peek() {
        return Err(format!("missing binary operator before token \"{}\"", t.text));
    }
    Ok(v)
}

/// Parses the value of a pp-number as an integer constant (C11 6.4.4.1 plus GCC's `0b`).
pub fn parse_integer(text: &str) -> Result<Value, String> {
    let NumberParts { digits: num, radix, suffix } = NumberParts::split(text);
    let (num, suffix) = (num.as_str(), suffix.as_str());
    if radix != 16 && (suffix.starts_with('.') || suffix.starts_with('e'))
        || radix == 16 && suffix.starts_with('.')
    {
        return Err(format!("floating constant in preprocessor expression: {text}"));
    }
    let unsigned_suffix = match suffix {
        "" | "l" | "ll" => false,
        "u" | "ul" | "lu" | "ull" | "llu" => true,
        _ => return Err(format!("invalid suffix \"{suffix}\" on integer constant {text}")),
    };
    let written_suffix = &text[text.len() - suffix.len()..];
    if written_suffix.contains("lL") || written_suffix.contains("Ll") {
        return Err(format!("invalid suffix on integer constant {text}"));
    }
    let num = if num.is_empty() && radix == 8 { "0" } else { num };
    if num.is_empty() {
        return Err(format!("invalid integer constant {text}"));
    }
    let v = u64::from_str_radix(num, radix)
        .map_err(|_| format!("integer constant is too large: {text}"))?;
    // A constant too large for intmax_t is unsigned (GCC: "so large that it is unsigned").
    if unsigned_suffix || v > i64::MAX as u64 {
        Ok(Value::Unsigned(v))
    } else {
        Ok(Value::Signed(v as i64))
    }
}

/// The code units of the body of a character constant or string literal (between the quotes),
/// escapes decoded: bytes for an unprefixed one, characters for a wide one (`L`, `u`, `U`). The
/// one escape decoder of the engine (`#if` character constants, and character constants and
/// string lengths in declarations).
pub fn char_units(body: &str, wide: bool) -> Result<Vec<u32>, String> {
    let b = body.as_bytes();
    let mut units: Vec<u32> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            // A UTF-8 sequence counts as one character for wide prefixes, as bytes otherwise.
            if wide {
                let c = body[i..].chars().next().unwrap_or('\0');
                units.push(c as u32);
                i += c.len_utf8().max(1);
            } else {
                units.push(b[i] as u32);
                i += 1;
            }
            continue;
        }
        i += 1;
        let Some(&e) = b.get(i) else {
            return Err(format!("a lone backslash ends '{body}'"));
        };
        i += 1;
        let v = match e {
            b'n' => 10,
            b't' => 9,
            b'r' => 13,
            b'a' => 7,
            b'b' => 8,
            b'f' => 12,
            b'v' => 11,
            b'e' | b'E' => 27,
            b'\\' | b'\'' | b'"' | b'?' => e as u32,
            b'x' => {
                let start = i;
                while i < b.len() && b[i].is_ascii_hexdigit() {
                    i += 1;
                }
                u32::from_str_radix(&body[start..i], 16)
                    .map_err(|_| format!("bad \\x escape in '{body}'"))?
            }
            b'0'..=b'7' => {
                let start = i - 1;
                while i < b.len() && i < start + 3 && (b'0'..=b'7').contains(&b[i]) {
                    i += 1;
                }
                u32::from_str_radix(&body[start..i], 8).unwrap_or(0)
            }
            _ => return Err(format!("unknown escape sequence in '{body}'")),
        };
        units.push(v);
    }
    Ok(units)
}

/// The prefix (`""`, `L`, `u`, `U`, `u8`) and the value of a character constant, as GCC gives
/// it on x86-64: plain `char` is signed; a multi-character constant packs its characters
/// big-endian into an `int` (`'ab'` is 0x6162); a wide one has its last character's value
/// (`wchar_t` is `int`).
pub fn char_constant(text: &str) -> Result<(&str, i64), String> {
    let (prefix, body) = match text.find('\'') {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => return Err(format!("invalid character constant {text}")),
    };
    let body = body
        .strip_suffix('\'')
        .ok_or_else(|| format!("missing terminating ' character in {text}"))?;
    let units = char_units(body, !prefix.is_empty() && prefix != "u8")?;
    let Some(&last) = units.last() else {
        return Err("empty character constant".into());
    };
    let value = match prefix {
        "" if units.len() == 1 => last as u8 as i8 as i64,
        "" => {
            let mut v: u32 = 0;
            for c in &units {
                v = (v << 8) | (*c & 0xff);
            }
            v as i32 as i64
        }
        "L" => last as i32 as i64,
        "u8" => last as u8 as i64,
        "u" => last as u16 as i64,
        "U" => last as i64,
        _ => return Err(format!("invalid character constant {text}")),
    };
    Ok((prefix, value))
}

/// The value of a character constant in `#if` (see [`char_constant`]).
pub fn parse_char(text: &str) -> Result<Value, String> {
    char_constant(text).map(|(_, v)| Value::Signed(v))
}

struct Parser<'a> {
    toks: Vec<&'a Tok>,
    pos: usize,
    /// Nesting of unary operators and parentheses (bounded to keep the stack safe).
    depth: u32,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos).copied()
    }

    fn at(&self, kind: SyntaxKind) -> bool {
        self.peek().is_some_and(|t| t.kind == kind)
    }

    fn expect(&mut self, kind: SyntaxKind, what: &str) -> Result<(), String> {
        if self.at(kind) {
            self.pos += 1;
            Ok(())
        } else {
            Err(match self.peek() {
                Some(t) => format!("expected {what} in #if, found \"{}\"", t.text),
                None => format!("expected {what} at the end of #if"),
            })
        }
    }

    /// `?:`, the lowest precedence (the comma operator is not allowed in #if at top level, but GCC
    /// accepts it in unevaluated operands; we accept it inside parentheses below).
    fn cond(&mut self, live: bool) -> Result<Value, String> {
        let c = self.binary(0, live)?;
        if !self.at(T![?]) {
            return Ok(c);
        }
        self.pos += 1;
        let take = c.is_true();
        let a = self.comma(live && take)?;
        self.expect(T![:], "':'")?;
        let b = self.cond(live && !take)?;
        let (a, b) = convert(a, b);
        Ok(if take { a } else { b })
    }

    fn comma(&mut self, live: bool) -> Result<Value, String> {
        let mut v = self.cond(live)?;
        while self.at(T![,]) {
            self.pos += 1;
            v = self.cond(live)?;
        }
        Ok(v)
    }

    fn binary(&mut self, min_prec: u8, live: bool) -> Result<Value, String> {
        let mut lhs = self.unary(live)?;
        while let Some(t) = self.peek() {
            let Some(prec) = precedence(t.kind) else {
                break;
            };
            if prec < min_prec {
                break;
            }
            let op = t.kind;
            self.pos += 1;
            lhs = match op {
                T![&&] => {
                    let rhs = self.binary(prec + 1, live && lhs.is_true())?;
                    Value::Signed((lhs.is_true() && rhs.is_true()) as i64)
                }
                T![||] => {
                    let rhs = self.binary(prec + 1, live && !lhs.is_true())?;
                    Value::Signed((lhs.is_true() || rhs.is_true()) as i64)
                }
                _ => {
                    let rhs = self.binary(prec + 1, live)?;
                    apply(op, lhs, rhs, live)?
                }
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self, live: bool) -> Result<Value, String> {
        if self.depth > 256 {
            return Err("#if expression nested too deeply".into());
        }
        self.depth += 1;
        let res = self.unary_inner(live);
        self.depth -= 1;
        res
    }

    fn unary_inner(&mut self, live: bool) -> Result<Value, String> {
        let Some(t) = self.peek() else {
            return Err("#if expression ends early".into());
        };
        self.pos += 1;
        match t.kind {
            T![+] => self.unary(live),
            T![-] => Ok(match self.unary(live)? {
                Value::Signed(v) => Value::Signed(v.wrapping_neg()),
                Value::Unsigned(v) => Value::Unsigned(v.wrapping_neg()),
            }),
            T![~] => Ok(match self.unary(live)? {
                Value::Signed(v) => Value::Signed(!v),
                Value::Unsigned(v) => Value::Unsigned(!v),
            }),
            T![!] => Ok(Value::Signed(!self.unary(live)?.is_true() as i64)),
            T!['('] => {
                let v = self.comma(live)?;
                self.expect(T![')'], "')'")?;
                Ok(v)
            }
            SyntaxKind::PP_NUMBER => parse_integer(&t.text),
            SyntaxKind::CHAR => parse_char(&t.text),
            SyntaxKind::IDENT => {
                if self.at(T!['(']) {
                    return Err(format!("missing binary operator before token \"(\" (function-like use of \"{}\" in #if)", t.text));
                }
                Ok(Value::Signed(0))
            }
            SyntaxKind::STRING => {
                Err(format!("token \"{}\" is not valid in preprocessor expressions", t.text))
            }
            _ => Err(format!("token \"{}\" is not valid in preprocessor expressions", t.text)),
        }
    }
}

/// C's binary operator precedence, loosest first (`||` is 1, `*` is 10); `None` for a token that
/// is not a binary operator of `#if` or integer constant expressions. The engine's one table.
pub fn precedence(kind: SyntaxKind) -> Option<u8> {
    Some(match kind {
        T![||] => 1,
        T![&&] => 2,
        T![|] => 3,
        T![^] => 4,
        T![&] => 5,
        T![==] | T![!=] => 6,
        T![<] | T![>] | T![<=] | T![>=] => 7,
        T![<<] | T![>>] => 8,
        T![+] | T![-] => 9,
        T![*] | T![/] | T![%] => 10,
        _ => return None,
    })
}

/// The usual arithmetic conversions between two `#if` values.
fn convert(a: Value, b: Value) -> (Value, Value) {
    if a.unsigned() || b.unsigned() {
        (Value::Unsigned(a.bits()), Value::Unsigned(b.bits()))
    } else {
        (a, b)
    }
}

fn apply(op: SyntaxKind, lhs: Value, rhs: Value, live: bool) -> Result<Value, String> {
    if matches!(op, T![<<] | T![>>]) {
        return Ok(shift(op, lhs, rhs));
    }
    let (a, b) = convert(lhs, rhs);
    let bool_val = |c: bool| Value::Signed(c as i64);
    Ok(match (a, b) {
        (Value::Signed(x), Value::Signed(y)) => match op {
            T![*] => Value::Signed(x.wrapping_mul(y)),
            T![/] | T![%] => {
                if y == 0 {
                    if live {
                        return Err("division by zero in #if".into());
                    }
                    Value::Signed(0)
                } else if op == T![/] {
                    Value::Signed(x.wrapping_div(y))
                } else {
                    Value::Signed(x.wrapping_rem(y))
                }
            }
            T![+] => Value::Signed(x.wrapping_add(y)),
            T![-] => Value::Signed(x.wrapping_sub(y)),
            T![<] => bool_val(x < y),
            T![>] => bool_val(x > y),
            T![<=] => bool_val(x <= y),
            T![>=] => bool_val(x >= y),
            T![==] => bool_val(x == y),
            T![!=] => bool_val(x != y),
            T![&] => Value::Signed(x & y),
            T![^] => Value::Signed(x ^ y),
            T![|] => Value::Signed(x | y),
            _ => unreachable!("not a binary operator: {op:?}"),
        },
        (x, y) => {
            let (x, y) = (x.bits(), y.bits());
            match op {
                T![*] => Value::Unsigned(x.wrapping_mul(y)),
                T![/] | T![%] => {
                    if y == 0 {
                        if live {
                            return Err("division by zero in #if".into());
                        }
                        Value::Unsigned(0)
                    } else if op == T![/] {
                        Value::Unsigned(x / y)
                    } else {
                        Value::Unsigned(x % y)
                    }
                }
                T![+] => Value::Unsigned(x.wrapping_add(y)),
                T![-] => Value::Unsigned(x.wrapping_sub(y)),
                T![<] => bool_val(x < y),
                T![>] => bool_val(x > y),
                T![<=] => bool_val(x <= y),
                T![>=] => bool_val(x >= y),
                T![==] => bool_val(x == y),
                T![!=] => bool_val(x != y),
                T![&] => Value::Unsigned(x & y),
                T![^] => Value::Unsigned(x ^ y),
                T![|] => Value::Unsigned(x | y),
                _ => unreachable!("not a binary operator: {op:?}"),
            }
        }
    })
}

/// Shifts keep the left operand's type; a negative count shifts the other way and a count of
/// 64 or more gives 0 (or -1 for a negative signed value shifted right), as GCC's cpplib does.
fn shift(op: SyntaxKind, lhs: Value, rhs: Value) -> Value {
    let count: i128 = match rhs {
        Value::Signed(v) => v as i128,
        Value::Unsigned(v) => v as i128,
    };
    let left = (op == T![<<]) == (count >= 0);
    let n = count.unsigned_abs().min(64) as u32;
    match lhs {
        Value::Signed(v) => Value::Signed(if left {
            if n >= 64 {
                0
            } else {
                ((v as u64) << n) as i64
            }
        } else if n >= 64 {
            if v < 0 {
                -1
            } else {
                0
            }
        } else {
            v >> n
        }),
        Value::Unsigned(v) => Value::Unsigned(if n >= 64 {
            0
        } else if left {
            v << n
        } else {
            v >> n
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str) -> Result<Value, String> {
        let sk = crate::preprocess::skeleton::lower(text);
        evaluate(&sk.tokens)
    }

    #[test]
    fn precedence_and_conversions() {
        // Each expected value is what C (and GCC's #if) gives; the original tool got the first two wrong.
        assert_eq!(eval("1 & 2 && 4"), Ok(Value::Signed(0)));
        assert_eq!(eval("2 | 1 == 1"), Ok(Value::Signed(3)));
        assert_eq!(eval("-1 < 0u"), Ok(Value::Signed(0)));
        assert_eq!(eval("-3 / 2"), Ok(Value::Signed(-1)));
        assert_eq!(eval("-3 % 2"), Ok(Value::Signed(-1)));
        assert_eq!(eval("~0 == -1"), Ok(Value::Signed(1)));
        assert_eq!(eval("0xffffffffffffffff == -1"), Ok(Value::Signed(1)));
        assert_eq!(eval("1 ? 2 : 0u"), Ok(Value::Unsigned(2)));
        assert_eq!(eval("0 && 1 / 0"), Ok(Value::Signed(0)));
        assert_eq!(eval("1 || (1 % 0)"), Ok(Value::Signed(1)));
        assert_eq!(eval("'\\377' < 0"), Ok(Value::Signed(1)));
        assert_eq!(eval("'ab'"), Ok(Value::Signed(0x6162)));
        assert_eq!(eval("1 << 63 < 0"), Ok(Value::Signed(1)));
        assert_eq!(eval("0x10 + 010 + 0b11 + 10UL"), Ok(Value::Unsigned(16 + 8 + 3 + 10)));
        assert!(eval("1 / 0").is_err());
        assert!(eval("1.0").is_err());
        assert!(eval("1 2").is_err());
        assert!(eval(&format!("{}1{}", "(".repeat(5000), ")".repeat(5000))).is_err());
    }
}
