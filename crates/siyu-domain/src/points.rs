//! Loyalty points: an append-only ledger from which balances are derived, points that expire
//! lot by lot (first earned, first spent), and levels reached by thresholds.
//!
//! Pure: the caller reads a card's ledger, asks what is available and what has fallen due, writes
//! the expirations and the new entry, and recomputes the level.

use serde::{Deserialize, Serialize};

/// What a ledger entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Points earned (a lot that may expire).
    Earn,
    /// Points spent: taken from the oldest lots still valid at the time.
    Spend,
    /// A lot's remaining points expired; `lot` is the ledger id of the earning entry.
    Expire {
        /// The earning entry that expired.
        lot: i64,
    },
}

/// One ledger entry, in ledger order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Ledger id (increasing).
    pub id: i64,
    /// Earn and Spend carry the amount as a positive number; Expire's is ignored (the lot's
    /// remainder at the time is what expired).
    pub points: i64,
    /// What it is.
    pub kind: EntryKind,
    /// When, Unix ms.
    pub at: i64,
    /// For an earning entry: when its points expire, if they do.
    pub expires_at: Option<i64>,
}

/// A card's points at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Balance {
    /// Points that can be spent now.
    pub available: i64,
    /// Earning lots past their expiry with points left: `(lot id, points)`. Write an Expire
    /// entry for each; until then they are not available.
    pub due: Vec<(i64, i64)>,
    /// Points that expire within the window asked for.
    pub expiring_soon: i64,
    /// Every point ever earned (for levels by points).
    pub lifetime_earned: i64,
}

#[derive(Debug, Clone, Copy)]
struct Lot {
    id: i64,
    left: i64,
    expires_at: Option<i64>,
}

fn valid_at(lot: &Lot, t: i64) -> bool {
    lot.expires_at.is_none_or(|e| e > t)
}

/// The balance after `entries` (in ledger order) at `now`; `soon` is the window for
/// `expiring_soon` (ms).
pub fn balance(entries: &[Entry], now: i64, soon: i64) -> Balance {
    let mut lots: Vec<Lot> = Vec::new();
    let mut lifetime = 0i64;
    for e in entries {
        match e.kind {
            EntryKind::Earn => {
                lifetime = lifetime.saturating_add(e.points);
                lots.push(Lot {
                    id: e.id,
                    left: e.points,
                    expires_at: e.expires_at,
                });
            }
            EntryKind::Expire { lot } => {
                if let Some(l) = lots.iter_mut().find(|l| l.id == lot) {
                    l.left = 0;
                }
            }
            EntryKind::Spend => {
                let mut need = e.points;
                for l in lots.iter_mut().filter(|l| l.left > 0) {
                    if need == 0 {
                        break;
                    }
                    if !valid_at(l, e.at) {
                        continue;
                    }
                    let take = need.min(l.left);
                    l.left -= take;
                    need -= take;
                }
            }
        }
    }
    let mut out = Balance {
        lifetime_earned: lifetime,
        ..Balance::default()
    };
    for l in lots.iter().filter(|l| l.left > 0) {
        if valid_at(l, now) {
            out.available += l.left;
            if l.expires_at.is_some_and(|e| e <= now.saturating_add(soon)) {
                out.expiring_soon += l.left;
            }
        } else {
            out.due.push((l.id, l.left));
        }
    }
    out
}

/// Points earned for a purchase of `amount_fen` at `points_per_yuan` (rounded down).
pub fn for_purchase(amount_fen: i64, points_per_yuan: i64) -> i64 {
    if amount_fen <= 0 || points_per_yuan <= 0 {
        return 0;
    }
    amount_fen.saturating_mul(points_per_yuan) / 100
}

/// A membership level and the threshold that reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// Its name, e.g. 金卡.
    pub name: String,
    /// The lifetime points or spend (fen) that reach it.
    pub min: i64,
}

/// The level reached by `value` (lifetime points or spend): the highest threshold not above
/// it; `None` below the lowest.
pub fn level_for(levels: &[Level], value: i64) -> Option<&Level> {
    levels
        .iter()
        .filter(|l| l.min <= value)
        .max_by_key(|l| l.min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn earn(id: i64, points: i64, at: i64, expires_at: Option<i64>) -> Entry {
        Entry {
            id,
            points,
            kind: EntryKind::Earn,
            at,
            expires_at,
        }
    }
    fn spend(id: i64, points: i64, at: i64) -> Entry {
        Entry {
            id,
            points,
            kind: EntryKind::Spend,
            at,
            expires_at: None,
        }
    }

    #[test]
    fn spending_takes_the_oldest_lots_and_expiry_takes_the_rest() {
        let ledger = [
            earn(1, 100, 0, Some(1_000)),
            earn(2, 50, 10, Some(2_000)),
            spend(3, 120, 20),
        ];
        let b = balance(&ledger, 500, 0);
        assert_eq!((b.available, b.due.clone()), (30, vec![]));
        // Lot 1 is used up, so only lot 2's 30 are left; they fall due at 2 000.
        let b = balance(&ledger, 2_000, 0);
        assert_eq!((b.available, b.due.clone()), (0, vec![(2, 30)]));
        let mut written = ledger.to_vec();
        written.push(Entry {
            id: 4,
            points: 30,
            kind: EntryKind::Expire { lot: 2 },
            at: 2_000,
            expires_at: None,
        });
        let b = balance(&written, 3_000, 0);
        assert_eq!((b.available, b.due, b.lifetime_earned), (0, vec![], 150));
    }

    #[test]
    fn spending_skips_lots_already_expired() {
        let ledger = [
            earn(1, 100, 0, Some(100)),
            earn(2, 100, 50, None),
            spend(3, 60, 200),
        ];
        let b = balance(&ledger, 300, 0);
        assert_eq!(b.available, 40);
        assert_eq!(b.due, vec![(1, 100)]);
    }

    #[test]
    fn expiring_soon_and_levels() {
        let b = balance(
            &[earn(1, 10, 0, Some(1_000)), earn(2, 5, 0, None)],
            500,
            600,
        );
        assert_eq!((b.available, b.expiring_soon), (15, 10));
        let levels = [
            Level {
                name: "银卡".into(),
                min: 0,
            },
            Level {
                name: "金卡".into(),
                min: 1_000,
            },
            Level {
                name: "钻石".into(),
                min: 5_000,
            },
        ];
        assert_eq!(
            level_for(&levels, 999).map(|l| l.name.as_str()),
            Some("银卡")
        );
        assert_eq!(
            level_for(&levels, 1_000).map(|l| l.name.as_str()),
            Some("金卡")
        );
        assert_eq!(level_for(&levels[1..], 10), None);
        assert_eq!(for_purchase(1_999, 1), 19);
        assert_eq!(for_purchase(-5, 1), 0);
    }
}
