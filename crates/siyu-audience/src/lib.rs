//! siyu's in-memory audience index.
//!
//! Every live customer profile of a tenant is reduced to [`Facts`] and given a dense `u32` slot
//! in an [`Index`]. The index keeps one Roaring bitmap per categorical value (tag, province,
//! city, channel, level, identity kind, consent, following), bit-sliced indexes (BSI) for
//! numbers and times held by most profiles (points, orders, spend, follow time, last
//! interaction, last order, latest purchase of anything), and sparse sorted columns for the
//! latest purchase time per sku and per category. A segment ([`siyu_domain::segment::Expr`])
//! evaluates to a bitmap of slots by set algebra and range queries, `and` narrowing the scope
//! its later children look at, without visiting all profiles one by one.
//!
//! [`matches()`] is the plain reference evaluator over one profile; the index must agree with it
//! exactly (the differential tests check this), including the time rule below.
//!
//! # Time granularity of windows
//!
//! Window predicates (`followed(within w)`, `active(within w)`, `bought(…, within w)`) work in
//! whole minutes: a moment `at` (ms) is within window `w` at `now` (ms) when
//!
//! ```text
//! floor(at / 60_000) >= floor((now - w.hours * 3_600_000) / 60_000)
//! ```
//!
//! (floored division, saturating arithmetic; see [`within`]). So the minute in which the window
//! starts counts whole, and moments after `now` count too. The activity state and the RFM cell
//! are not windows: they follow [`siyu_domain::activity::activity`] and
//! [`siyu_domain::activity::rfm`] to the millisecond.

mod bsi;
mod index;
mod latest;
mod naive;
mod records;
pub mod synth;

pub use index::Index;
pub use naive::matches;

use siyu_domain::segment::{Expr, Pred, Window};

/// Milliseconds in a minute: the granularity of window predicates.
pub const MINUTE_MS: i64 = 60_000;

/// Everything the index knows about one live customer profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// Tag names.
    pub tags: Vec<String>,
    /// Province, as stored (e.g. `安徽`).
    pub province: Option<String>,
    /// City (e.g. `合肥`); only meaningful with a province.
    pub city: Option<String>,
    /// Channel id of the first touch.
    pub first_channel: Option<String>,
    /// Channel id of the latest touch.
    pub last_channel: Option<String>,
    /// Follows the Official Account now.
    pub following: bool,
    /// Has ever followed the Official Account.
    pub ever_followed: bool,
    /// Latest follow, ms since the Unix epoch.
    pub followed_at: Option<i64>,
    /// Latest interaction, ms since the Unix epoch.
    pub last_interaction_at: Option<i64>,
    /// Member card level (e.g. `金卡`).
    pub level: Option<String>,
    /// Member points balance.
    pub points: i64,
    /// Number of orders.
    pub orders: i64,
    /// Total spent, fen.
    pub spend_fen: i64,
    /// Latest order, ms since the Unix epoch.
    pub last_order_at: Option<i64>,
    /// Purchased items.
    pub purchases: Vec<Purchase>,
    /// Kinds of identity held (`openid`, `unionid`, `phone`, `taobao`, …).
    pub identity_kinds: Vec<String>,
    /// Purposes consented to (latest word), e.g. `marketing`.
    pub consents: Vec<String>,
}

/// One purchased item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purchase {
    /// Product code.
    pub sku: Option<String>,
    /// Product category.
    pub category: Option<String>,
    /// When, ms since the Unix epoch.
    pub at: i64,
}

/// Why a segment could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// The expression refers to a saved segment (`segment("name")`); the caller inlines saved
    /// segments before evaluating.
    Unresolved(String),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Unresolved(name) => {
                write!(f, "segment {name:?} must be inlined before evaluation")
            }
        }
    }
}

impl std::error::Error for EvalError {}

/// The first minute (minutes since the Unix epoch, floored) covered by `window` ending at
/// `now_ms`: `floor((now_ms - window.hours * 3_600_000) / 60_000)`, saturating.
pub fn window_start_minute(window: Window, now_ms: i64) -> i64 {
    now_ms
        .saturating_sub(window.hours.saturating_mul(3_600_000))
        .div_euclid(MINUTE_MS)
}

/// Whether the moment `at_ms` is within `window` ending at `now_ms`: its minute is not before
/// the window's first minute ([`window_start_minute`]). Later moments, even after `now_ms`,
/// are within.
pub fn within(at_ms: i64, window: Window, now_ms: i64) -> bool {
    at_ms.div_euclid(MINUTE_MS) >= window_start_minute(window, now_ms)
}

/// The first saved segment the expression refers to, as an error.
fn check_resolved(expr: &Expr) -> Result<(), EvalError> {
    match expr.preds().into_iter().find_map(|p| match p {
        Pred::Segment(name) => Some(name),
        _ => None,
    }) {
        Some(name) => Err(EvalError::Unresolved(name.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_rule_counts_the_whole_first_minute() {
        let now = 10 * 3_600_000 + 90_500; // 10h 1m 30.5s
        let w = Window { hours: 1 };
        // The window starts at 9h 1m 30.5s, so all of minute 9h 1m counts.
        let start = 9 * 3_600_000 + 60_000;
        assert_eq!(window_start_minute(w, now), start / MINUTE_MS);
        assert!(within(start, w, now));
        assert!(within(start + 59_999, w, now));
        assert!(!within(start - 1, w, now));
        assert!(within(now + 1_000_000, w, now));
        // Negative times floor, not truncate.
        assert_eq!((-1i64).div_euclid(MINUTE_MS), -1);
        assert!(within(-60_000, w, -1));
        assert!(!within(-3_600_000 - 60_001, w, -1));
        // Huge windows saturate instead of overflowing.
        assert!(within(i64::MIN, Window { hours: i64::MAX }, 0));
    }

    #[test]
    fn unresolved_segments_are_found_anywhere() {
        let e = Expr::And(vec![
            Expr::Pred(Pred::Following),
            Expr::Not(Box::new(Expr::Pred(Pred::Segment("高价值".into())))),
        ]);
        assert_eq!(
            check_resolved(&e),
            Err(EvalError::Unresolved("高价值".into()))
        );
        assert_eq!(check_resolved(&Expr::Pred(Pred::Following)), Ok(()));
    }
}
