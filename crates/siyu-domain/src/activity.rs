//! How engaged a fan is (activity state and score from recency and frequency of interactions)
//! and where a buyer sits in RFM terms (recency, frequency and monetary value of orders).

use serde::Serialize;

const DAY: i64 = 86_400_000;

/// A fan's activity state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Interacted within the active window (7 days).
    Active,
    /// Interacted within the dormant window (30 days), not the active one.
    Dormant,
    /// Follows but has not interacted for longer (or never).
    Lost,
    /// No longer follows.
    Unfollowed,
    /// Never followed (known from another channel only).
    NotAFan,
}

/// Activity of one fan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// The state.
    pub state: State,
    /// 0–100: 60 for recency (falling to 0 over 30 days), 40 for frequency (10 interactions in
    /// 30 days score full).
    pub score: u8,
    /// Interactions in the last 30 days.
    pub interactions_30d: i64,
}

/// The active window: 7 days.
pub const ACTIVE_MS: i64 = 7 * DAY;
/// The dormant window: 30 days.
pub const DORMANT_MS: i64 = 30 * DAY;

/// Activity at `now` of a customer who follows (or did, or never did), last interacted at
/// `last` and interacted `count_30d` times in the last 30 days.
pub fn activity(
    following: bool,
    ever_followed: bool,
    last: Option<i64>,
    count_30d: i64,
    now: i64,
) -> Activity {
    let since = last.map(|l| (now - l).max(0));
    let state = match (following, since) {
        (false, _) if !ever_followed => State::NotAFan,
        (false, _) => State::Unfollowed,
        (true, Some(s)) if s <= ACTIVE_MS => State::Active,
        (true, Some(s)) if s <= DORMANT_MS => State::Dormant,
        _ => State::Lost,
    };
    let recency = since.map_or(0.0, |s| {
        60.0 * (1.0 - s as f64 / DORMANT_MS as f64).max(0.0)
    });
    let frequency = 40.0 * (count_30d.max(0) as f64 / 10.0).min(1.0);
    Activity {
        state,
        score: (recency + frequency).round().clamp(0.0, 100.0) as u8,
        interactions_30d: count_30d.max(0),
    }
}

/// A buyer's RFM position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rfm {
    /// Days since the last order.
    pub recency_days: i64,
    /// Number of orders.
    pub frequency: i64,
    /// Total spent, fen.
    pub monetary_fen: i64,
    /// Scores 1–5.
    pub r: u8,
    /// Scores 1–5.
    pub f: u8,
    /// Scores 1–5.
    pub m: u8,
    /// The cell: `important_value`, `important_develop`, `important_keep`, `important_retain`,
    /// `general_value`, `general_develop`, `general_keep`, `general_retain`.
    pub segment: &'static str,
}

fn score(v: i64, steps: [i64; 4], ascending: bool) -> u8 {
    let above = steps
        .iter()
        .filter(|s| if ascending { v >= **s } else { v <= **s })
        .count();
    1 + above as u8
}

/// RFM from the last order time, the order count and the total (fen); `None` without orders.
pub fn rfm(last_order: Option<i64>, orders: i64, total_fen: i64, now: i64) -> Option<Rfm> {
    let last = last_order.filter(|_| orders > 0)?;
    let recency_days = ((now - last).max(0)) / DAY;
    let r = score(recency_days, [365, 180, 90, 30], false);
    let f = score(orders, [2, 3, 5, 10], true);
    let m = score(total_fen, [10_000, 50_000, 200_000, 500_000], true);
    let segment = match (r >= 3, f >= 3, m >= 3) {
        (true, true, true) => "important_value",
        (true, false, true) => "important_develop",
        (false, true, true) => "important_keep",
        (false, false, true) => "important_retain",
        (true, true, false) => "general_value",
        (true, false, false) => "general_develop",
        (false, true, false) => "general_keep",
        (false, false, false) => "general_retain",
    };
    Some(Rfm {
        recency_days,
        frequency: orders,
        monetary_fen: total_fen,
        r,
        f,
        m,
        segment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_scores() {
        let now = 100 * DAY;
        assert_eq!(
            activity(true, true, Some(now - DAY), 3, now).state,
            State::Active
        );
        assert_eq!(
            activity(true, true, Some(now - 10 * DAY), 0, now).state,
            State::Dormant
        );
        assert_eq!(
            activity(true, true, Some(now - 40 * DAY), 0, now).state,
            State::Lost
        );
        assert_eq!(activity(true, true, None, 0, now).state, State::Lost);
        assert_eq!(
            activity(false, true, Some(now), 9, now).state,
            State::Unfollowed
        );
        assert_eq!(activity(false, false, None, 0, now).state, State::NotAFan);
        assert_eq!(activity(true, true, Some(now), 10, now).score, 100);
        assert_eq!(activity(true, true, None, 0, now).score, 0);
        assert!(
            activity(true, true, Some(now - DAY), 1, now).score
                > activity(true, true, Some(now - 20 * DAY), 1, now).score
        );
    }

    #[test]
    fn rfm_cells() {
        let now = 1_000 * DAY;
        assert_eq!(rfm(None, 0, 0, now), None);
        let best = rfm(Some(now - DAY), 12, 600_000, now).unwrap();
        assert_eq!(
            (best.r, best.f, best.m, best.segment),
            (5, 5, 5, "important_value")
        );
        let lapsed = rfm(Some(now - 400 * DAY), 1, 5_000, now).unwrap();
        assert_eq!(
            (lapsed.r, lapsed.f, lapsed.m, lapsed.segment),
            (1, 1, 1, "general_retain")
        );
        assert_eq!(
            rfm(Some(now - 200 * DAY), 6, 300_000, now).unwrap().segment,
            "important_keep"
        );
    }
}
