//! Profile attributes (name, gender, birthday, region, city, address, counters) and how two
//! profiles' attributes combine when they merge, and separate again when the merge is undone.
//!
//! Both functions are pure. To undo a merge exactly, keep both profiles' attributes as they
//! were at merge time (next to the merge record) and pass them to [`split_attributes`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Well-known attribute names.
pub mod field {
    /// The customer's name.
    pub const NAME: &str = "name";
    /// Gender as the channel reported it.
    pub const GENDER: &str = "gender";
    /// Birthday, `YYYY-MM-DD`.
    pub const BIRTHDAY: &str = "birthday";
    /// Province or region.
    pub const REGION: &str = "region";
    /// City.
    pub const CITY: &str = "city";
    /// Postal address.
    pub const ADDRESS: &str = "address";
    /// Number of orders (a counter).
    pub const ORDER_COUNT: &str = "order_count";
    /// Amount spent in fen (a counter).
    pub const SPENT_FEN: &str = "spent_fen";
    /// Loyalty points (a counter).
    pub const POINTS: &str = "points";
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// Text; blank text counts as empty.
    Text(String),
    /// A counter or amount (money in fen).
    Count(i64),
}

impl AttributeValue {
    fn is_empty(&self) -> bool {
        matches!(self, Self::Text(t) if t.trim().is_empty())
    }
}

/// A value and when it was last set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped {
    /// The value.
    pub value: AttributeValue,
    /// When it was set (caller's clock).
    pub updated_at: i64,
}

/// A profile's attributes by name.
pub type Attributes = BTreeMap<String, Stamped>;

/// How one field combines when two profiles merge. An empty value never wins over a
/// non-empty one, whatever the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldPolicy {
    /// The value set last; the survivor's on a tie.
    MostRecent,
    /// The value set first; the survivor's on a tie.
    Oldest,
    /// The survivor's value if it has one.
    FirstNonEmpty,
    /// Counters add up (stamped with the later time); text falls back to `MostRecent`.
    Sum,
}

/// The per-field policies of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributePolicy {
    /// For fields not listed.
    pub default: FieldPolicy,
    /// Per field.
    pub fields: BTreeMap<String, FieldPolicy>,
}

impl Default for AttributePolicy {
    fn default() -> Self {
        use FieldPolicy::*;
        let fields = [
            (field::NAME, MostRecent),
            (field::GENDER, MostRecent),
            (field::BIRTHDAY, Oldest),
            (field::REGION, MostRecent),
            (field::CITY, MostRecent),
            (field::ADDRESS, MostRecent),
            (field::ORDER_COUNT, Sum),
            (field::SPENT_FEN, Sum),
            (field::POINTS, Sum),
        ];
        Self {
            default: MostRecent,
            fields: fields.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        }
    }
}

impl AttributePolicy {
    /// The policy of one field.
    pub fn of(&self, name: &str) -> FieldPolicy {
        self.fields.get(name).copied().unwrap_or(self.default)
    }
}

/// The survivor's attributes after absorbing another profile.
pub fn merge_attributes(
    survivor: &Attributes,
    absorbed: &Attributes,
    policy: &AttributePolicy,
) -> Attributes {
    let mut out = survivor.clone();
    for (name, theirs) in absorbed {
        let merged = match survivor.get(name) {
            None => theirs.clone(),
            Some(mine) => merge_field(mine, theirs, policy.of(name)),
        };
        out.insert(name.clone(), merged);
    }
    out
}

fn merge_field(mine: &Stamped, theirs: &Stamped, policy: FieldPolicy) -> Stamped {
    match (mine.value.is_empty(), theirs.value.is_empty()) {
        (false, true) | (true, true) => return mine.clone(),
        (true, false) => return theirs.clone(),
        (false, false) => {}
    }
    let later = |a: &Stamped, b: &Stamped| {
        if b.updated_at > a.updated_at {
            b.clone()
        } else {
            a.clone()
        }
    };
    match policy {
        FieldPolicy::MostRecent => later(mine, theirs),
        FieldPolicy::Oldest => {
            if theirs.updated_at < mine.updated_at {
                theirs.clone()
            } else {
                mine.clone()
            }
        }
        FieldPolicy::FirstNonEmpty => mine.clone(),
        FieldPolicy::Sum => match (&mine.value, &theirs.value) {
            (AttributeValue::Count(a), AttributeValue::Count(b)) => Stamped {
                value: AttributeValue::Count(a.saturating_add(*b)),
                updated_at: mine.updated_at.max(theirs.updated_at),
            },
            _ => later(mine, theirs),
        },
    }
}

/// Separates attributes again when a merge made at `merged_at` is undone: the restored profile
/// gets back what it had; the survivor gets back what it had, except fields set since the
/// merge, which stay, and counters, which keep what was added since.
/// `split_attributes(&merge_attributes(s, a, p), s, a, t, p) == (s, a)` when nothing was set after `t`.
pub fn split_attributes(
    current: &Attributes,
    survivor_before: &Attributes,
    absorbed_before: &Attributes,
    merged_at: i64,
    policy: &AttributePolicy,
) -> (Attributes, Attributes) {
    let mut survivor = Attributes::new();
    for (name, now) in current {
        if now.updated_at <= merged_at {
            if let Some(before) = survivor_before.get(name) {
                survivor.insert(name.clone(), before.clone());
            }
            continue;
        }
        let brought = absorbed_before.get(name).map(|s| &s.value);
        let value = match (policy.of(name), &now.value, brought) {
            (FieldPolicy::Sum, AttributeValue::Count(n), Some(AttributeValue::Count(b))) => {
                AttributeValue::Count(n.saturating_sub(*b))
            }
            _ => now.value.clone(),
        };
        survivor.insert(
            name.clone(),
            Stamped {
                value,
                updated_at: now.updated_at,
            },
        );
    }
    (survivor, absorbed_before.clone())
}

#[cfg(test)]
mod tests;
