//! The reference evaluator: one profile, one predicate at a time, no cleverness.

use siyu_domain::activity::{self, State};
use siyu_domain::segment::{ActivityState, Expr, Pred, Touch};

use crate::{check_resolved, within, EvalError, Facts};

/// Whether the profile `facts` is in the segment `expr` at `now_ms`.
///
/// The plain reference for [`crate::Index::evaluate`], which must agree with it:
///
/// - `tag`, `level`, `has`, `consent`: the profile holds that name;
/// - `region(p)`: the province is `p`; `region(p/c)`: and the city is `c`;
/// - `channel(x, first|last|any)`: the first, the last, or either touch is channel `x`;
/// - `following()`: follows now;
/// - `followed(within w)`, `active(within w)`: the latest follow or interaction is within `w`,
///   at whole-minute granularity ([`within`]);
/// - `activity(s)`: [`activity::activity`]`(following, ever_followed, last_interaction_at, 0,
///   now)` is in state `s` (to the millisecond);
/// - `rfm(c)`: [`activity::rfm`]`(last_order_at, orders, spend_fen, now)` exists and its
///   (R≥3, F≥3, M≥3) are those of `c`;
/// - `points`, `orders`, `spend`: the range contains the value (no orders is 0 orders);
/// - `bought(sku, category, within w)`: some purchase has that sku (if given), that category
///   (if given) and a time within `w` (if given);
/// - an empty `and` holds, an empty `or` does not.
///
/// # Errors
///
/// [`EvalError::Unresolved`] when the expression mentions `segment(…)` anywhere: saved
/// segments are inlined by the caller first.
pub fn matches(facts: &Facts, expr: &Expr, now_ms: i64) -> Result<bool, EvalError> {
    check_resolved(expr)?;
    Ok(eval(facts, expr, now_ms))
}

fn eval(facts: &Facts, expr: &Expr, now: i64) -> bool {
    match expr {
        Expr::And(children) => children.iter().all(|e| eval(facts, e, now)),
        Expr::Or(children) => children.iter().any(|e| eval(facts, e, now)),
        Expr::Not(inner) => !eval(facts, inner, now),
        Expr::Pred(p) => pred(facts, p, now),
    }
}

fn has(list: &[String], name: &str) -> bool {
    list.iter().any(|s| s == name)
}

fn is(value: &Option<String>, name: &str) -> bool {
    value.as_deref() == Some(name)
}

fn pred(f: &Facts, p: &Pred, now: i64) -> bool {
    match p {
        Pred::Tag(name) => has(&f.tags, name),
        Pred::Region { province, city } => {
            is(&f.province, province) && city.as_ref().is_none_or(|c| is(&f.city, c))
        }
        Pred::Channel { name, touch } => match touch {
            Touch::First => is(&f.first_channel, name),
            Touch::Last => is(&f.last_channel, name),
            Touch::Any => is(&f.first_channel, name) || is(&f.last_channel, name),
        },
        Pred::Following => f.following,
        Pred::Followed(w) => f.followed_at.is_some_and(|at| within(at, *w, now)),
        Pred::Active(w) => f.last_interaction_at.is_some_and(|at| within(at, *w, now)),
        Pred::Activity(want) => {
            let state =
                activity::activity(f.following, f.ever_followed, f.last_interaction_at, 0, now)
                    .state;
            state_of(state) == *want
        }
        Pred::Rfm(cell) => activity::rfm(f.last_order_at, f.orders, f.spend_fen, now)
            .is_some_and(|r| (r.r >= 3, r.f >= 3, r.m >= 3) == cell.highs()),
        Pred::Level(name) => is(&f.level, name),
        Pred::Points(r) => r.contains(f.points),
        Pred::Orders(r) => r.contains(f.orders),
        Pred::Spend(r) => r.contains(f.spend_fen),
        Pred::Bought {
            sku,
            category,
            window,
        } => f.purchases.iter().any(|b| {
            sku.as_ref().is_none_or(|s| is(&b.sku, s))
                && category.as_ref().is_none_or(|c| is(&b.category, c))
                && window.is_none_or(|w| within(b.at, w, now))
        }),
        Pred::Has(kind) => has(&f.identity_kinds, kind),
        Pred::Consent(purpose) => has(&f.consents, purpose),
        // Rejected by `check_resolved` before evaluation.
        Pred::Segment(_) => false,
    }
}

/// The segment language's name for a domain activity state.
fn state_of(state: State) -> ActivityState {
    match state {
        State::Active => ActivityState::Active,
        State::Dormant => ActivityState::Dormant,
        State::Lost => ActivityState::Lost,
        State::Unfollowed => ActivityState::Unfollowed,
        State::NotAFan => ActivityState::NotAFan,
    }
}
