//! The text form of the segment language: a hand-written lexer and recursive-descent parser.
//!
//! ```text
//! expr    := or
//! or      := and (("or" | "||") and)*
//! and     := unary (("and" | "&&") unary)*
//! unary   := ("not" | "!") unary | primary
//! primary := "(" expr ")" | pred
//! ```
//!
//! Keywords, predicate names and enumerated values are case-insensitive. Positions in errors are
//! 0-based character (not byte) indexes into the input.

use super::print::quote;
use super::{ActivityState, Expr, Pred, Range, RfmCell, Touch, Window};

/// Why a segment could not be read: where, what was expected there and what was found instead.
///
/// Displays as `at 12: expected `)`, found end of input`. Errors from
/// [`from_json`](super::from_json) have `position` 0 and name the JSON path (such as `$.and[1]`)
/// in `expected`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at {position}: expected {expected}, found {found}")]
pub struct ParseError {
    /// 0-based character (not byte) index into the input where the problem is.
    pub position: usize,
    /// What was expected there, such as ``"`)`"``.
    pub expected: String,
    /// What was found instead: the offending token, or `end of input`.
    pub found: String,
}

impl ParseError {
    pub(super) fn new(
        position: usize,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        ParseError {
            position,
            expected: expected.into(),
            found: found.into(),
        }
    }
}

/// Predicate names, in the order error messages list them.
pub(super) const PRED_NAMES: [&str; 16] = [
    "tag",
    "region",
    "channel",
    "following",
    "followed",
    "active",
    "activity",
    "rfm",
    "level",
    "points",
    "bought",
    "orders",
    "spend",
    "has",
    "consent",
    "segment",
];

/// Identity kinds `has(…)` accepts.
pub(super) const IDENTITY_KINDS: [&str; 9] = [
    "unionid",
    "openid",
    "phone",
    "email",
    "taobao",
    "jd",
    "weibo",
    "member_card",
    "external",
];

/// Consent purposes `consent(…)` accepts.
pub(super) const CONSENT_PURPOSES: [&str; 3] = ["marketing", "sms", "profiling"];

/// What a predicate position expects, for error messages.
const EXPECT_PRED: &str = "a predicate such as tag(\"…\"), `not` or `(`";

/// Parses the text form of a segment.
///
/// ```text
/// expr   := or
/// or     := and (("or" | "||") and)*
/// and    := unary (("and" | "&&") unary)*
/// unary  := ("not" | "!") unary | "(" expr ")" | pred
/// pred   := tag(STR) | level(STR) | segment(STR)
///         | region(STR)                        "安徽" or "安徽/合肥": split on the first `/`,
///                                              both parts trimmed and non-empty
///         | channel(STR [, first|last|any])    touch defaults to first
///         | following [()]
///         | followed(WINDOW) | active(WINDOW)
///         | activity(WORD) | rfm(WORD)         names from ActivityState::ALL / RfmCell::ALL
///         | has(WORD)                          unionid openid phone email taobao jd weibo
///                                              member_card external
///         | consent(WORD)                      marketing sms profiling
///         | points(RANGE) | orders(RANGE) | spend(RANGE)
///         | bought([PART {, PART}])            PART := sku STR | category STR | WINDOW,
///                                              each at most once, any order
/// WINDOW := within INT UNIT                    INT > 0; UNIT h | d | w (or hour(s), day(s),
///                                              week(s)); a space before the unit is allowed
/// RANGE  := (>= | > | <= | < | =) NUM | NUM .. NUM
///                                              inclusive; `> n` is `>= n+1`, `< n` is `<= n-1`
/// NUM    := points: any integer; orders: integer >= 0;
///           spend: yuan >= 0 with up to two decimals, held in fen
/// STR    := "…" (escapes \" \\ \n \r \t) or “…”; names must not be blank
/// WORD   := identifier or STR
/// ```
///
/// Keywords, predicate names and enumerated values are case-insensitive; `（`, `）` and `，`
/// are accepted for `(`, `)` and `,`. `and` and `or` chains are flattened (`(a and b) and c`
/// is `And([a, b, c])`) and a group of one is just its element, so
/// `parse(&e.to_string()) == Ok(e)` for every well-formed [`Expr`].
///
/// # Errors
///
/// A [`ParseError`] locating the first problem: an unexpected token, an unknown predicate or
/// value name, an empty name, an empty or inverted range, a bad window, or empty input.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser {
        lex: Lexer {
            chars: text.chars().collect(),
            i: 0,
        },
        peeked: None,
    };
    let e = p.or_expr()?;
    let t = p.bump()?;
    if t.tok != Tok::End {
        return Err(ParseError::new(
            t.pos,
            "`and`, `or` or end of input",
            t.describe(),
        ));
    }
    Ok(e)
}

// ---------------------------------------------------------------------------------------------
// Shared checks (also used by the JSON form).

/// Whether a name is usable: not empty and not only whitespace.
pub(super) fn name_ok(s: &str) -> bool {
    !s.trim().is_empty()
}

/// Splits `安徽` or `安徽/合肥` into province and city (on the first `/`, both trimmed and
/// non-empty).
pub(super) fn split_region(s: &str) -> Option<(String, Option<String>)> {
    match s.split_once('/') {
        None => {
            let p = s.trim();
            (!p.is_empty()).then(|| (p.to_string(), None))
        }
        Some((p, c)) => {
            let (p, c) = (p.trim(), c.trim());
            (!p.is_empty() && !c.is_empty()).then(|| (p.to_string(), Some(c.to_string())))
        }
    }
}

/// Hours in a window unit (`h`, `d`, `w`, or their words), case-insensitive.
fn unit_hours(unit: &str) -> Option<i64> {
    match unit.to_ascii_lowercase().as_str() {
        "h" | "hour" | "hours" => Some(1),
        "d" | "day" | "days" => Some(24),
        "w" | "week" | "weeks" => Some(168),
        _ => None,
    }
}

/// Reads a window length without `within`, such as `30d` or `30 d`.
pub(super) fn window_from_text(s: &str) -> Option<Window> {
    let s = s.trim();
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let (n, unit) = s.split_at(digits);
    let n: i64 = n.parse().ok()?;
    let hours = n.checked_mul(unit_hours(unit.trim())?)?;
    (hours > 0).then_some(Window { hours })
}

/// Normalises an identity kind (`has(…)`).
pub(super) fn identity_kind(s: &str) -> Option<String> {
    let s = s.to_ascii_lowercase();
    IDENTITY_KINDS.contains(&s.as_str()).then_some(s)
}

/// Normalises a consent purpose (`consent(…)`).
pub(super) fn consent_purpose(s: &str) -> Option<String> {
    let s = s.to_ascii_lowercase();
    CONSENT_PURPOSES.contains(&s.as_str()).then_some(s)
}

/// Reads an activity state name, case-insensitive.
pub(super) fn activity_state(s: &str) -> Option<ActivityState> {
    ActivityState::from_name(&s.to_ascii_lowercase())
}

/// Reads an RFM cell name, case-insensitive.
pub(super) fn rfm_cell(s: &str) -> Option<RfmCell> {
    RfmCell::from_name(&s.to_ascii_lowercase())
}

/// Reads a channel touch name, case-insensitive.
pub(super) fn touch(s: &str) -> Option<Touch> {
    match s.to_ascii_lowercase().as_str() {
        "first" => Some(Touch::First),
        "last" => Some(Touch::Last),
        "any" => Some(Touch::Any),
        _ => None,
    }
}

/// `one of a, b or c`.
pub(super) fn one_of(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("one of {} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_string(),
        None => String::new(),
    }
}

/// `expected` for a bad activity state.
pub(super) fn expect_activity() -> String {
    let names: Vec<&str> = ActivityState::ALL.iter().map(|(_, n)| *n).collect();
    format!("an activity state: {}", one_of(&names))
}

/// `expected` for a bad RFM cell.
pub(super) fn expect_rfm() -> String {
    let names: Vec<&str> = RfmCell::ALL.iter().map(|c| c.1).collect();
    format!("an RFM cell: {}", one_of(&names))
}

/// `expected` for a bad identity kind.
pub(super) fn expect_kind() -> String {
    format!("an identity kind: {}", one_of(&IDENTITY_KINDS))
}

/// `expected` for a bad consent purpose.
pub(super) fn expect_purpose() -> String {
    format!("a consent purpose: {}", one_of(&CONSENT_PURPOSES))
}

/// `expected` for a bad region.
pub(super) const EXPECT_REGION: &str = "a region such as \"安徽\" or \"安徽/合肥\"";
/// `expected` for an empty name.
pub(super) const EXPECT_NAME: &str = "a non-empty name";
/// `expected` for a bad channel touch.
pub(super) const EXPECT_TOUCH: &str = "a touch: one of first, last or any";
/// `expected` where a window belongs.
pub(super) const EXPECT_WINDOW: &str = "a window such as `within 7d`";

/// Adds or subtracts one for an exclusive bound, refusing overflow.
fn exclusive(v: i64, up: bool) -> Option<i64> {
    if up {
        v.checked_add(1)
    } else {
        v.checked_sub(1)
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    DotDot,
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    AndOp,
    OrOp,
    NotOp,
    Ident(String),
    Str(String),
    /// `-?digits(.digits)?`, as written.
    Num(String),
    /// A character that starts no token.
    Bad(char),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

impl Token {
    /// How the token reads in an error's `found`.
    fn describe(&self) -> String {
        match &self.tok {
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
            Tok::DotDot => "`..`".into(),
            Tok::Ge => "`>=`".into(),
            Tok::Gt => "`>`".into(),
            Tok::Le => "`<=`".into(),
            Tok::Lt => "`<`".into(),
            Tok::Eq => "`=`".into(),
            Tok::AndOp => "`&&`".into(),
            Tok::OrOp => "`||`".into(),
            Tok::NotOp => "`!`".into(),
            Tok::Ident(s) | Tok::Num(s) => format!("`{s}`"),
            Tok::Str(s) => quote(s),
            Tok::Bad(c) => format!("`{c}`"),
            Tok::End => "end of input".into(),
        }
    }

    /// The identifier, lowercased, if the token is one.
    fn ident(&self) -> Option<String> {
        match &self.tok {
            Tok::Ident(s) => Some(s.to_lowercase()),
            _ => None,
        }
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(&self.tok, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
}

impl Lexer {
    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn next_token(&mut self) -> Result<Token, ParseError> {
        while self.at(self.i).is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        let pos = self.i;
        let Some(c) = self.at(pos) else {
            return Ok(Token { tok: Tok::End, pos });
        };
        let next = self.at(pos + 1);
        let (tok, len) = match c {
            '(' | '（' => (Tok::LParen, 1),
            ')' | '）' => (Tok::RParen, 1),
            ',' | '，' => (Tok::Comma, 1),
            '.' if next == Some('.') => (Tok::DotDot, 2),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '=' => (Tok::Eq, 1),
            '&' if next == Some('&') => (Tok::AndOp, 2),
            '|' if next == Some('|') => (Tok::OrOp, 2),
            '!' => (Tok::NotOp, 1),
            '"' => return self.string(pos, '"'),
            '“' => return self.string(pos, '”'),
            c if c.is_ascii_digit() || (c == '-' && next.is_some_and(|n| n.is_ascii_digit())) => {
                return Ok(self.number(pos))
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = pos + 1;
                while self.at(j).is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    j += 1;
                }
                let s: String = self.chars[pos..j].iter().collect();
                (Tok::Ident(s), j - pos)
            }
            c => (Tok::Bad(c), 1),
        };
        self.i = pos + len;
        Ok(Token { tok, pos })
    }

    fn number(&mut self, pos: usize) -> Token {
        let mut j = pos + 1;
        while self.at(j).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        if self.at(j) == Some('.') && self.at(j + 1).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
            while self.at(j).is_some_and(|c| c.is_ascii_digit()) {
                j += 1;
            }
        }
        self.i = j;
        Token {
            tok: Tok::Num(self.chars[pos..j].iter().collect()),
            pos,
        }
    }

    fn string(&mut self, pos: usize, close: char) -> Result<Token, ParseError> {
        let mut out = String::new();
        let mut j = pos + 1;
        loop {
            match self.at(j) {
                None => {
                    return Err(ParseError::new(
                        j,
                        format!("`{close}` to close the string opened at {pos}"),
                        "end of input",
                    ))
                }
                Some(c) if c == close => break,
                Some('\\') => {
                    let e = match self.at(j + 1) {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('r') => '\r',
                        Some('t') => '\t',
                        Some('”') => '”',
                        other => {
                            return Err(ParseError::new(
                                j,
                                "an escape: one of \\\", \\\\, \\n, \\r or \\t",
                                other.map_or_else(
                                    || "end of input".to_string(),
                                    |c| format!("`\\{c}`"),
                                ),
                            ))
                        }
                    };
                    out.push(e);
                    j += 2;
                }
                Some(c) => {
                    out.push(c);
                    j += 1;
                }
            }
        }
        self.i = j + 1;
        Ok(Token {
            tok: Tok::Str(out),
            pos,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Parser.

struct Parser {
    lex: Lexer,
    peeked: Option<Token>,
}

/// Which numbers a range holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NumKind {
    /// Any whole number (points).
    Signed,
    /// A whole number ≥ 0 (orders).
    Count,
    /// Yuan with up to two decimals, held in fen (≥ 0).
    Yuan,
}

impl NumKind {
    fn expected(self) -> &'static str {
        match self {
            NumKind::Signed => "a whole number",
            NumKind::Count => "a whole number, 0 or more",
            NumKind::Yuan => "an amount in yuan such as 99.5 (0 or more, up to two decimals)",
        }
    }
}

/// Joins `and` (or `or`) operands, splicing in operands of the same kind; one operand is itself.
pub(super) fn flatten(items: Vec<Expr>, and: bool) -> Expr {
    let mut out = Vec::with_capacity(items.len());
    for e in items {
        match e {
            Expr::And(v) if and => out.extend(v),
            Expr::Or(v) if !and => out.extend(v),
            e => out.push(e),
        }
    }
    if out.len() == 1 {
        out.pop().unwrap_or(Expr::And(Vec::new()))
    } else if and {
        Expr::And(out)
    } else {
        Expr::Or(out)
    }
}

impl Parser {
    fn peek(&mut self) -> Result<&Token, ParseError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lex.next_token()?);
        }
        Ok(self.peeked.get_or_insert(Token {
            tok: Tok::End,
            pos: 0,
        }))
    }

    fn bump(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next_token(),
        }
    }

    fn expect(&mut self, tok: Tok, expected: &str) -> Result<Token, ParseError> {
        let t = self.bump()?;
        if t.tok == tok {
            Ok(t)
        } else {
            Err(ParseError::new(t.pos, expected, t.describe()))
        }
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.and_expr()?];
        loop {
            let t = self.peek()?;
            if t.tok == Tok::OrOp || t.is_keyword("or") {
                self.bump()?;
                items.push(self.and_expr()?);
            } else {
                return Ok(flatten(items, false));
            }
        }
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut items = vec![self.unary()?];
        loop {
            let t = self.peek()?;
            if t.tok == Tok::AndOp || t.is_keyword("and") {
                self.bump()?;
                items.push(self.unary()?);
            } else {
                return Ok(flatten(items, true));
            }
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let t = self.peek()?;
        if t.tok == Tok::NotOp || t.is_keyword("not") {
            self.bump()?;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let t = self.bump()?;
        if t.tok == Tok::LParen {
            let e = self.or_expr()?;
            self.expect(Tok::RParen, "`and`, `or` or `)`")?;
            return Ok(e);
        }
        match t.ident() {
            Some(kw) if kw == "and" || kw == "or" => {
                Err(ParseError::new(t.pos, EXPECT_PRED, t.describe()))
            }
            Some(name) => self.pred(&t, &name).map(Expr::Pred),
            None => Err(ParseError::new(t.pos, EXPECT_PRED, t.describe())),
        }
    }

    fn pred(&mut self, t: &Token, name: &str) -> Result<Pred, ParseError> {
        if name == "following" {
            if self.peek()?.tok == Tok::LParen {
                self.bump()?;
                self.close()?;
            }
            return Ok(Pred::Following);
        }
        if !PRED_NAMES.contains(&name) {
            return Err(ParseError::new(
                t.pos,
                format!("a predicate: {}", one_of(&PRED_NAMES)),
                format!("unknown predicate {}", t.describe()),
            ));
        }
        self.expect(Tok::LParen, "`(`")?;
        let p = match name {
            "tag" => Pred::Tag(self.name()?),
            "level" => Pred::Level(self.name()?),
            "segment" => Pred::Segment(self.name()?),
            "region" => {
                let t = self.bump()?;
                let Tok::Str(s) = &t.tok else {
                    return Err(ParseError::new(t.pos, EXPECT_REGION, t.describe()));
                };
                let (province, city) = split_region(s)
                    .ok_or_else(|| ParseError::new(t.pos, EXPECT_REGION, t.describe()))?;
                Pred::Region { province, city }
            }
            "channel" => {
                let name = self.name()?;
                let mut touch_ = Touch::First;
                if self.peek()?.tok == Tok::Comma {
                    self.bump()?;
                    let t = self.bump()?;
                    touch_ = t
                        .ident()
                        .and_then(|s| touch(&s))
                        .ok_or_else(|| ParseError::new(t.pos, EXPECT_TOUCH, t.describe()))?;
                }
                Pred::Channel {
                    name,
                    touch: touch_,
                }
            }
            "followed" => Pred::Followed(self.window()?),
            "active" => Pred::Active(self.window()?),
            "activity" => {
                let (t, s) = self.word(&expect_activity())?;
                Pred::Activity(
                    activity_state(&s)
                        .ok_or_else(|| ParseError::new(t.pos, expect_activity(), t.describe()))?,
                )
            }
            "rfm" => {
                let (t, s) = self.word(&expect_rfm())?;
                Pred::Rfm(
                    rfm_cell(&s)
                        .ok_or_else(|| ParseError::new(t.pos, expect_rfm(), t.describe()))?,
                )
            }
            "has" => {
                let (t, s) = self.word(&expect_kind())?;
                Pred::Has(
                    identity_kind(&s)
                        .ok_or_else(|| ParseError::new(t.pos, expect_kind(), t.describe()))?,
                )
            }
            "consent" => {
                let (t, s) = self.word(&expect_purpose())?;
                Pred::Consent(
                    consent_purpose(&s)
                        .ok_or_else(|| ParseError::new(t.pos, expect_purpose(), t.describe()))?,
                )
            }
            "points" => Pred::Points(self.range(NumKind::Signed)?),
            "orders" => Pred::Orders(self.range(NumKind::Count)?),
            "spend" => Pred::Spend(self.range(NumKind::Yuan)?),
            _ => return self.bought(),
        };
        self.close()?;
        Ok(p)
    }

    fn close(&mut self) -> Result<(), ParseError> {
        self.expect(Tok::RParen, "`)`").map(drop)
    }

    /// A quoted, non-blank name.
    fn name(&mut self) -> Result<String, ParseError> {
        let t = self.bump()?;
        match t.tok {
            Tok::Str(s) if name_ok(&s) => Ok(s),
            Tok::Str(_) => Err(ParseError::new(t.pos, EXPECT_NAME, t.describe())),
            _ => Err(ParseError::new(
                t.pos,
                "a quoted string such as \"咖啡控\"",
                t.describe(),
            )),
        }
    }

    /// A bare identifier or a quoted string.
    fn word(&mut self, expected: &str) -> Result<(Token, String), ParseError> {
        let t = self.bump()?;
        match &t.tok {
            Tok::Ident(s) | Tok::Str(s) => {
                let s = s.clone();
                Ok((t, s))
            }
            _ => Err(ParseError::new(t.pos, expected, t.describe())),
        }
    }

    /// `within N unit`.
    fn window(&mut self) -> Result<Window, ParseError> {
        let t = self.bump()?;
        if !t.is_keyword("within") {
            return Err(ParseError::new(t.pos, EXPECT_WINDOW, t.describe()));
        }
        self.window_after_within()
    }

    fn window_after_within(&mut self) -> Result<Window, ParseError> {
        let t = self.bump()?;
        let n = match &t.tok {
            Tok::Num(s) => s.parse::<i64>().ok().filter(|n| *n > 0),
            _ => None,
        };
        let n = n.ok_or_else(|| {
            ParseError::new(
                t.pos,
                "a positive whole number of hours, days or weeks",
                t.describe(),
            )
        })?;
        let u = self.bump()?;
        let per = u.ident().and_then(|s| unit_hours(&s)).ok_or_else(|| {
            ParseError::new(u.pos, "a unit: one of `h`, `d` or `w`", u.describe())
        })?;
        let hours = n.checked_mul(per).ok_or_else(|| {
            ParseError::new(t.pos, "a shorter window", format!("`{n}{}`", unit_name(&u)))
        })?;
        Ok(Window { hours })
    }

    /// A number of the given kind, with its token.
    fn number(&mut self, kind: NumKind) -> Result<(Token, i64), ParseError> {
        let t = self.bump()?;
        let v = match &t.tok {
            Tok::Num(s) => match kind {
                NumKind::Signed => s.parse::<i64>().ok(),
                NumKind::Count => s.parse::<i64>().ok().filter(|v| *v >= 0),
                NumKind::Yuan => yuan_to_fen(s),
            },
            _ => None,
        };
        match v {
            Some(v) => Ok((t, v)),
            None => Err(ParseError::new(t.pos, kind.expected(), t.describe())),
        }
    }

    /// `>= N`, `> N`, `<= N`, `< N`, `= N` or `N..M`.
    fn range(&mut self, kind: NumKind) -> Result<Range, ParseError> {
        let t = self.peek()?.clone();
        let op = match t.tok {
            Tok::Ge | Tok::Gt | Tok::Le | Tok::Lt | Tok::Eq => {
                self.bump()?;
                t.tok
            }
            Tok::Num(_) => {
                let (a_tok, a) = self.number(kind)?;
                self.expect(Tok::DotDot, "`..` as in `2..5`")?;
                let (b_tok, b) = self.number(kind)?;
                if a > b {
                    return Err(ParseError::new(
                        a_tok.pos,
                        "a range whose start is not above its end, such as `2..5`",
                        format!("{}..{}", a_tok.describe(), b_tok.describe()),
                    ));
                }
                return Ok(Range {
                    min: Some(a),
                    max: Some(b),
                });
            }
            _ => {
                return Err(ParseError::new(
                    t.pos,
                    "a range such as `>= 2`, `< 10`, `= 3` or `2..5`",
                    t.describe(),
                ))
            }
        };
        let (vt, v) = self.number(kind)?;
        let bound = match op {
            Tok::Gt => exclusive(v, true),
            Tok::Lt => exclusive(v, false).filter(|m| kind == NumKind::Signed || *m >= 0),
            _ => Some(v),
        };
        let bound = bound.ok_or_else(|| {
            ParseError::new(
                vt.pos,
                "a bound that leaves some values in range",
                vt.describe(),
            )
        })?;
        Ok(match op {
            Tok::Ge | Tok::Gt => Range {
                min: Some(bound),
                max: None,
            },
            Tok::Le | Tok::Lt => Range {
                min: None,
                max: Some(bound),
            },
            _ => Range {
                min: Some(bound),
                max: Some(bound),
            },
        })
    }

    /// The inside of `bought(…)` and its closing parenthesis.
    fn bought(&mut self) -> Result<Pred, ParseError> {
        let (mut sku, mut category, mut window) = (None, None, None);
        if self.peek()?.tok == Tok::RParen {
            self.bump()?;
            return Ok(Pred::Bought {
                sku,
                category,
                window,
            });
        }
        loop {
            let t = self.bump()?;
            let part = t.ident();
            let dup = match part.as_deref() {
                Some("sku") => sku.is_some(),
                Some("category") => category.is_some(),
                Some("within") => window.is_some(),
                _ => {
                    return Err(ParseError::new(
                        t.pos,
                        "`sku \"…\"`, `category \"…\"` or `within 7d`",
                        t.describe(),
                    ))
                }
            };
            if dup {
                return Err(ParseError::new(
                    t.pos,
                    "each of sku, category and within at most once",
                    format!("a second {}", t.describe()),
                ));
            }
            match part.as_deref() {
                Some("sku") => sku = Some(self.name()?),
                Some("category") => category = Some(self.name()?),
                _ => window = Some(self.window_after_within()?),
            }
            let t = self.bump()?;
            match t.tok {
                Tok::Comma => {}
                Tok::RParen => break,
                _ => return Err(ParseError::new(t.pos, "`,` or `)`", t.describe())),
            }
        }
        Ok(Pred::Bought {
            sku,
            category,
            window,
        })
    }
}

fn unit_name(t: &Token) -> String {
    match &t.tok {
        Tok::Ident(s) => s.clone(),
        _ => String::new(),
    }
}

/// Reads yuan (`99`, `99.5`, `99.05`; not negative, no trailing `.`) as fen.
pub(super) fn yuan_to_fen(s: &str) -> Option<i64> {
    if s.ends_with('.') {
        return None;
    }
    crate::money::hundredths(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pred {
        match parse(s) {
            Ok(Expr::Pred(p)) => p,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn err(s: &str) -> ParseError {
        match parse(s) {
            Err(e) => e,
            Ok(e) => panic!("{s}: parsed as {e:?}"),
        }
    }

    fn tag(s: &str) -> Expr {
        Expr::Pred(Pred::Tag(s.into()))
    }

    fn w(hours: i64) -> Window {
        Window { hours }
    }

    fn r(min: Option<i64>, max: Option<i64>) -> Range {
        Range { min, max }
    }

    #[test]
    fn names() {
        assert_eq!(p("tag(\"咖啡控\")"), Pred::Tag("咖啡控".into()));
        assert_eq!(p("TAG ( \"a\\\"b\\\\c\" )"), Pred::Tag("a\"b\\c".into()));
        assert_eq!(p("tag(“咖啡控”)"), Pred::Tag("咖啡控".into()));
        assert_eq!(p("tag(\"a\\nb\")"), Pred::Tag("a\nb".into()));
        assert_eq!(p("level(\"金卡\")"), Pred::Level("金卡".into()));
        assert_eq!(p("segment(\"高价值\")"), Pred::Segment("高价值".into()));
        assert_eq!(p("tag（“咖啡控”）"), Pred::Tag("咖啡控".into()));
    }

    #[test]
    fn region() {
        assert_eq!(
            p("region(\"安徽\")"),
            Pred::Region {
                province: "安徽".into(),
                city: None
            }
        );
        assert_eq!(
            p("region(\" 安徽 / 合肥 \")"),
            Pred::Region {
                province: "安徽".into(),
                city: Some("合肥".into())
            }
        );
        assert_eq!(
            p("region(\"a/b/c\")"),
            Pred::Region {
                province: "a".into(),
                city: Some("b/c".into())
            }
        );
        for bad in [
            "region(\"\")",
            "region(\"/合肥\")",
            "region(\"安徽/\")",
            "region(\" \")",
        ] {
            let e = err(bad);
            assert_eq!(e.position, 7, "{bad}");
            assert_eq!(e.expected, EXPECT_REGION);
        }
    }

    #[test]
    fn channel() {
        let ch = |touch| Pred::Channel {
            name: "poster-2".into(),
            touch,
        };
        assert_eq!(p("channel(\"poster-2\")"), ch(Touch::First));
        assert_eq!(p("channel(\"poster-2\", first)"), ch(Touch::First));
        assert_eq!(p("channel(\"poster-2\", LAST)"), ch(Touch::Last));
        assert_eq!(p("channel(\"poster-2\",any)"), ch(Touch::Any));
        let e = err("channel(\"poster-2\", latest)");
        assert_eq!((e.position, e.expected.as_str()), (20, EXPECT_TOUCH));
    }

    #[test]
    fn following_and_windows() {
        assert_eq!(p("following()"), Pred::Following);
        assert_eq!(p("following"), Pred::Following);
        assert_eq!(p("Following ( )"), Pred::Following);
        assert_eq!(p("followed(within 30d)"), Pred::Followed(w(720)));
        assert_eq!(p("followed(within 30 d)"), Pred::Followed(w(720)));
        assert_eq!(p("active(within 7d)"), Pred::Active(w(168)));
        assert_eq!(p("active(WITHIN 12h)"), Pred::Active(w(12)));
        assert_eq!(p("active(within 2w)"), Pred::Active(w(336)));
        assert_eq!(p("active(within 3 days)"), Pred::Active(w(72)));
        let e = err("active(7d)");
        assert_eq!((e.position, e.expected.as_str()), (7, EXPECT_WINDOW));
        let e = err("active(within 0d)");
        assert_eq!(e.position, 14);
        let e = err("active(within 7m)");
        assert_eq!((e.position, e.found.as_str()), (15, "`m`"));
        let e = err("active(within 1.5d)");
        assert_eq!(e.position, 14);
        let e = err("active(within 999999999999999999w)");
        assert_eq!(e.position, 14);
        assert_eq!(err("following(x)").position, 10);
    }

    #[test]
    fn enumerated() {
        assert_eq!(
            p("activity(dormant)"),
            Pred::Activity(ActivityState::Dormant)
        );
        assert_eq!(
            p("activity(\"not_a_fan\")"),
            Pred::Activity(ActivityState::NotAFan)
        );
        assert_eq!(
            p("rfm(important_value)"),
            Pred::Rfm(RfmCell::ImportantValue)
        );
        assert_eq!(p("rfm(General_Retain)"), Pred::Rfm(RfmCell::GeneralRetain));
        assert_eq!(p("has(taobao)"), Pred::Has("taobao".into()));
        assert_eq!(p("has(\"member_card\")"), Pred::Has("member_card".into()));
        assert_eq!(p("consent(marketing)"), Pred::Consent("marketing".into()));
        let e = err("activity(sleepy)");
        assert_eq!(e.position, 9);
        assert!(e.expected.contains("dormant") && e.expected.contains("not_a_fan"));
        assert_eq!(e.found, "`sleepy`");
        let e = err("rfm(vip)");
        assert!(e.expected.contains("important_value"), "{e}");
        let e = err("has(qq)");
        assert!(e.expected.contains("taobao") && e.expected.contains("external"));
        let e = err("consent(\"email\")");
        assert_eq!(e.position, 8);
        assert!(e.expected.contains("profiling"));
        assert_eq!(e.found, "\"email\"");
    }

    #[test]
    fn ranges() {
        assert_eq!(p("points(>= 100)"), Pred::Points(r(Some(100), None)));
        assert_eq!(p("points(> 100)"), Pred::Points(r(Some(101), None)));
        assert_eq!(p("points(<= -5)"), Pred::Points(r(None, Some(-5))));
        assert_eq!(p("points(< 0)"), Pred::Points(r(None, Some(-1))));
        assert_eq!(p("points(= 7)"), Pred::Points(r(Some(7), Some(7))));
        assert_eq!(p("points(-5..-1)"), Pred::Points(r(Some(-5), Some(-1))));
        assert_eq!(p("orders(2..5)"), Pred::Orders(r(Some(2), Some(5))));
        assert_eq!(p("orders(3..3)"), Pred::Orders(r(Some(3), Some(3))));
        assert_eq!(p("orders(<3)"), Pred::Orders(r(None, Some(2))));
        assert_eq!(p("spend(>= 99.5)"), Pred::Spend(r(Some(9950), None)));
        assert_eq!(p("spend(> 99.5)"), Pred::Spend(r(Some(9951), None)));
        assert_eq!(p("spend(<= 100)"), Pred::Spend(r(None, Some(10000))));
        assert_eq!(p("spend(0.05..1.1)"), Pred::Spend(r(Some(5), Some(110))));
        let e = err("orders(5..2)");
        assert_eq!(e.position, 7);
        assert_eq!(e.found, "`5`..`2`");
        assert_eq!(err("orders(-1..2)").position, 7);
        assert_eq!(err("orders(< 0)").position, 9);
        assert_eq!(err("spend(< 0)").position, 8);
        assert_eq!(err("spend(>= 1.234)").position, 9);
        assert_eq!(err("spend(>= -1)").position, 9);
        assert_eq!(err("orders(>= 1.5)").position, 10);
        assert_eq!(err("points(> 9223372036854775807)").position, 9);
        assert_eq!(err("points(99999999999999999999..1)").position, 7);
        let e = err("points(100)");
        assert_eq!((e.position, e.found.as_str()), (10, "`)`"));
        let e = err("points(x)");
        assert_eq!(e.position, 7);
    }

    #[test]
    fn bought() {
        let b = |sku: Option<&str>, category: Option<&str>, window: Option<i64>| Pred::Bought {
            sku: sku.map(Into::into),
            category: category.map(Into::into),
            window: window.map(w),
        };
        assert_eq!(p("bought()"), b(None, None, None));
        assert_eq!(p("bought(sku \"LATTE-L\")"), b(Some("LATTE-L"), None, None));
        assert_eq!(p("bought(category \"咖啡\")"), b(None, Some("咖啡"), None));
        assert_eq!(
            p("bought(sku \"X\", within 30d)"),
            b(Some("X"), None, Some(720))
        );
        assert_eq!(p("bought(within 7d)"), b(None, None, Some(168)));
        assert_eq!(
            p("bought(within 1h, category \"c\", SKU \"s\")"),
            b(Some("s"), Some("c"), Some(1))
        );
        let e = err("bought(sku \"a\", sku \"b\")");
        assert_eq!((e.position, e.found.as_str()), (16, "a second `sku`"));
        assert_eq!(err("bought(sku)").position, 10);
        assert_eq!(err("bought(colour \"red\")").position, 7);
        assert_eq!(err("bought(sku \"a\" within 1d)").position, 15);
        assert_eq!(err("bought(,)").position, 7);
    }

    #[test]
    fn boolean_structure() {
        let (a, b, c) = (tag("a"), tag("b"), tag("c"));
        let and = |v: Vec<Expr>| Expr::And(v);
        let or = |v: Vec<Expr>| Expr::Or(v);
        let not = |e: Expr| Expr::Not(Box::new(e));
        let abc = "tag(\"a\") and tag(\"b\") and tag(\"c\")";
        assert_eq!(parse(abc), Ok(and(vec![a.clone(), b.clone(), c.clone()])));
        assert_eq!(
            parse("(tag(\"a\") AND tag(\"b\")) and tag(\"c\")"),
            Ok(and(vec![a.clone(), b.clone(), c.clone()]))
        );
        assert_eq!(
            parse("tag(\"a\") && (tag(\"b\") && tag(\"c\"))"),
            Ok(and(vec![a.clone(), b.clone(), c.clone()]))
        );
        assert_eq!(
            parse("tag(\"a\") or tag(\"b\") and tag(\"c\")"),
            Ok(or(vec![a.clone(), and(vec![b.clone(), c.clone()])]))
        );
        assert_eq!(
            parse("(tag(\"a\") || tag(\"b\")) and not tag(\"c\")"),
            Ok(and(vec![or(vec![a.clone(), b.clone()]), not(c.clone())]))
        );
        assert_eq!(
            parse("not not (tag(\"a\") or tag(\"b\"))"),
            Ok(not(not(or(vec![a.clone(), b.clone()]))))
        );
        assert_eq!(parse("!tag(\"a\")"), Ok(not(a.clone())));
        assert_eq!(parse("((tag(\"a\")))"), Ok(a.clone()));
        assert_eq!(
            parse("not tag(\"a\") and tag(\"b\")"),
            Ok(and(vec![not(a), b]))
        );
    }

    #[test]
    fn errors() {
        let e = err("tag(\"a\") and");
        assert_eq!(e.position, 12);
        assert_eq!(e.found, "end of input");
        assert_eq!(e.expected, EXPECT_PRED);
        assert_eq!(
            e.to_string(),
            format!("at 12: expected {EXPECT_PRED}, found end of input")
        );

        let e = err("tag(a)");
        assert_eq!(e.position, 4);
        assert_eq!(e.expected, "a quoted string such as \"咖啡控\"");
        assert_eq!(e.found, "`a`");

        // Positions count characters, not bytes.
        let e = err("tag(\"咖啡控\") and tag(咖啡)");
        assert_eq!((e.position, e.found.as_str()), (19, "`咖啡`"));

        let e = err("tags(\"a\")");
        assert_eq!(e.position, 0);
        assert_eq!(e.found, "unknown predicate `tags`");
        assert!(e.expected.contains("tag, region, channel"), "{e}");
        assert!(e.expected.ends_with("or segment"), "{e}");

        for empty in ["", "   "] {
            let e = err(empty);
            assert_eq!(e.found, "end of input");
            assert_eq!(e.position, empty.chars().count());
        }
        assert_eq!(err("tag(\"\")").expected, EXPECT_NAME);
        assert_eq!(err("tag(\"  \")").position, 4);
        let e = err("tag(\"a\"");
        assert_eq!((e.position, e.expected.as_str()), (7, "`)`"));
        let e = err("tag(\"abc");
        assert_eq!((e.position, e.found.as_str()), (8, "end of input"));
        let e = err("tag(\"a\\q\")");
        assert_eq!((e.position, e.found.as_str()), (6, "`\\q`"));
        let e = err("tag(\"a\") tag(\"b\")");
        assert_eq!(
            (e.position, e.expected.as_str()),
            (9, "`and`, `or` or end of input")
        );
        let e = err("(tag(\"a\") tag(\"b\"))");
        assert_eq!(
            (e.position, e.expected.as_str()),
            (10, "`and`, `or` or `)`")
        );
        let e = err("tag(\"a\") & tag(\"b\")");
        assert_eq!((e.position, e.found.as_str()), (9, "`&`"));
        let e = err("tag \"a\"");
        assert_eq!((e.position, e.expected.as_str()), (4, "`(`"));
        let e = err("tag(\"a\") and or tag(\"b\")");
        assert_eq!((e.position, e.found.as_str()), (13, "`or`"));
        let e = err("not");
        assert_eq!(e.position, 3);
        let e = err("tag(\"a\", \"b\")");
        assert_eq!((e.position, e.found.as_str()), (7, "`,`"));
    }

    #[test]
    fn example_from_the_docs() {
        let e = parse(
            "tag(\"咖啡控\") and region(\"安徽/合肥\") and bought(sku \"LATTE-L\", within 30d)\n    \
             and active(within 7d) and not channel(\"poster-2\")",
        )
        .unwrap();
        let Expr::And(v) = e else {
            panic!("not an and")
        };
        assert_eq!(v.len(), 5);
    }

    #[test]
    fn helpers() {
        assert_eq!(yuan_to_fen("99.5"), Some(9950));
        assert_eq!(yuan_to_fen("99.05"), Some(9905));
        assert_eq!(yuan_to_fen("0"), Some(0));
        assert_eq!(yuan_to_fen("92233720368547758.07"), Some(i64::MAX));
        assert_eq!(yuan_to_fen("92233720368547758.08"), None);
        assert_eq!(yuan_to_fen("-1"), None);
        assert_eq!(yuan_to_fen("1."), None);
        assert_eq!(window_from_text("30d"), Some(w(720)));
        assert_eq!(window_from_text("30 D"), Some(w(720)));
        assert_eq!(window_from_text("0d"), None);
        assert_eq!(window_from_text("d"), None);
        assert_eq!(window_from_text("-1d"), None);
        assert_eq!(one_of(&["a", "b", "c"]), "one of a, b or c");
    }
}
