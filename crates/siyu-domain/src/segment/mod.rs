//! The segment language: who a push, a voucher or a report is for.
//!
//! A segment has a readable text form and an equivalent JSON tree; both parse to [`Expr`], and
//! [`Expr`] prints back to the text form (`parse(print(e)) == e`). For example:
//!
//! ```text
//! tag("咖啡控") and region("安徽/合肥") and bought(sku "LATTE-L", within 30d)
//!     and active(within 7d) and not channel("poster-2")
//! ```
//!
//! `and` binds tighter than `or`; `not` binds tightest; parentheses group. Names (tags, channels,
//! levels, skus, other segments) are quoted strings; windows are `within N` followed by a unit
//! (`h`, `d` or `w`); ranges are `>= N`, `> N`, `<= N`, `< N`, `= N` or `N..M` (inclusive).
//! Spend is written in yuan (up to two decimals) and held in fen.
//!
//! Pure: parsing says nothing about whether a tag or channel exists; the caller checks names
//! against what the tenant has and reports unknown ones.

mod json;
mod parse;
mod print;

pub use json::{from_json, to_json};
pub use parse::{parse, ParseError};

/// A segment expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All of these (two or more).
    And(Vec<Expr>),
    /// Any of these (two or more).
    Or(Vec<Expr>),
    /// Not this.
    Not(Box<Expr>),
    /// One predicate.
    Pred(Pred),
}

/// Which touch of a channel a predicate looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touch {
    /// The channel that first brought the customer (`channel("x")` or `channel("x", first)`).
    First,
    /// The latest channel the customer came through (`channel("x", last)`).
    Last,
    /// Either (`channel("x", any)`).
    Any,
}

/// A fan's activity state, as `siyu_domain::activity::State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityState {
    /// `active`: follows and interacted within 7 days.
    Active,
    /// `dormant`: follows and interacted within 30 days, not 7.
    Dormant,
    /// `lost`: follows, no interaction for 30 days (or never).
    Lost,
    /// `unfollowed`: followed once, no longer.
    Unfollowed,
    /// `not_a_fan`: never followed (known from another channel only).
    NotAFan,
}

/// An RFM cell, as `siyu_domain::activity::rfm` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RfmCell {
    /// `important_value`: R≥3, F≥3, M≥3.
    ImportantValue,
    /// `important_develop`: R≥3, F<3, M≥3.
    ImportantDevelop,
    /// `important_keep`: R<3, F≥3, M≥3.
    ImportantKeep,
    /// `important_retain`: R<3, F<3, M≥3.
    ImportantRetain,
    /// `general_value`: R≥3, F≥3, M<3.
    GeneralValue,
    /// `general_develop`: R≥3, F<3, M<3.
    GeneralDevelop,
    /// `general_keep`: R<3, F≥3, M<3.
    GeneralKeep,
    /// `general_retain`: R<3, F<3, M<3.
    GeneralRetain,
}

/// An inclusive integer range; at least one bound is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Lowest value included.
    pub min: Option<i64>,
    /// Highest value included.
    pub max: Option<i64>,
}

impl Range {
    /// Whether `v` lies in the range.
    pub fn contains(&self, v: i64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// A look-back window ending now, in hours (`within 7d` is 168).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Length in hours (positive).
    pub hours: i64,
}

impl Window {
    /// Length in milliseconds.
    pub fn millis(&self) -> i64 {
        self.hours * 3_600_000
    }
}

/// One predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pred {
    /// `tag("咖啡控")`: carries the tag.
    Tag(String),
    /// `region("安徽")` or `region("安徽/合肥")`: lives in the province (and city).
    Region {
        /// Province as stored (e.g. `安徽`).
        province: String,
        /// City, when given.
        city: Option<String>,
    },
    /// `channel("poster-2")`, `channel("poster-2", last)`: came through the channel (by name or
    /// id).
    Channel {
        /// Channel name or id.
        name: String,
        /// Which touch.
        touch: Touch,
    },
    /// `following()`: follows the Official Account now.
    Following,
    /// `followed(within 30d)`: (last) followed within the window.
    Followed(Window),
    /// `active(within 7d)`: interacted within the window.
    Active(Window),
    /// `activity(dormant)`: in this activity state now.
    Activity(ActivityState),
    /// `rfm(important_value)`: in this RFM cell now.
    Rfm(RfmCell),
    /// `level("金卡")`: holds a member card at this level.
    Level(String),
    /// `points(>= 100)`: member points balance.
    Points(Range),
    /// `bought()`, `bought(sku "LATTE-L")`, `bought(category "咖啡", within 30d)`.
    Bought {
        /// Product code.
        sku: Option<String>,
        /// Product category.
        category: Option<String>,
        /// Only orders within the window.
        window: Option<Window>,
    },
    /// `orders(>= 2)`: number of orders.
    Orders(Range),
    /// `spend(>= 100)`: total spent, written in yuan, held in fen.
    Spend(Range),
    /// `has(taobao)`: has an identity of this kind (taobao, jd, weibo, phone, email,
    /// member_card, unionid, openid, external).
    Has(String),
    /// `consent(marketing)`: agreed to this purpose (latest word).
    Consent(String),
    /// `segment("高价值")`: in another saved segment.
    Segment(String),
}

impl ActivityState {
    /// Every state with its text name.
    pub const ALL: [(ActivityState, &'static str); 5] = [
        (ActivityState::Active, "active"),
        (ActivityState::Dormant, "dormant"),
        (ActivityState::Lost, "lost"),
        (ActivityState::Unfollowed, "unfollowed"),
        (ActivityState::NotAFan, "not_a_fan"),
    ];

    /// The text name.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(s, _)| *s == self)
            .map_or("", |(_, n)| n)
    }

    /// Parses a text name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(s, _)| *s)
    }
}

impl RfmCell {
    /// Every cell with its text name and whether it needs R≥3, F≥3, M≥3.
    pub const ALL: [(RfmCell, &'static str, bool, bool, bool); 8] = [
        (RfmCell::ImportantValue, "important_value", true, true, true),
        (
            RfmCell::ImportantDevelop,
            "important_develop",
            true,
            false,
            true,
        ),
        (RfmCell::ImportantKeep, "important_keep", false, true, true),
        (
            RfmCell::ImportantRetain,
            "important_retain",
            false,
            false,
            true,
        ),
        (RfmCell::GeneralValue, "general_value", true, true, false),
        (
            RfmCell::GeneralDevelop,
            "general_develop",
            true,
            false,
            false,
        ),
        (RfmCell::GeneralKeep, "general_keep", false, true, false),
        (
            RfmCell::GeneralRetain,
            "general_retain",
            false,
            false,
            false,
        ),
    ];

    /// The text name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|c| c.0 == self).map_or("", |c| c.1)
    }

    /// Parses a text name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|c| c.1 == name).map(|c| c.0)
    }

    /// Whether the cell needs (R≥3, F≥3, M≥3).
    pub fn highs(self) -> (bool, bool, bool) {
        Self::ALL
            .iter()
            .find(|c| c.0 == self)
            .map_or((false, false, false), |c| (c.2, c.3, c.4))
    }
}

impl Expr {
    /// Every predicate in the expression, depth first.
    pub fn preds(&self) -> Vec<&Pred> {
        let mut out = Vec::new();
        self.walk(&mut |p| out.push(p));
        out
    }

    fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Pred)) {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().for_each(|e| e.walk(f)),
            Expr::Not(e) => e.walk(f),
            Expr::Pred(p) => f(p),
        }
    }
}
