//! Keyword auto-reply rules (关键词自动回复): exact, contains and regex matchers with priorities
//! and weekly time windows, compiled once into a [`RuleSet`] that answers in microseconds.

mod set;
mod validate;
mod window;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::action::ReplyAction;

pub use set::RuleSet;
pub use validate::{validate_rules, RuleError, MAX_KEYWORD_CHARS, MAX_REGEX_CHARS, MAX_RULES};
pub use window::{
    china_day_and_minute, TimeWindow, Weekday, Weekdays, WindowError, MINUTES_PER_DAY,
};

/// One auto-reply rule as the merchant configures it in the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable identifier, unique within a rule set; also the last tie-breaker.
    pub id: String,
    /// Higher wins when several rules match.
    #[serde(default)]
    pub priority: i32,
    /// What the message has to look like.
    pub matcher: Matcher,
    /// What to send back.
    pub reply: ReplyAction,
    /// When the rule is active; empty means always.
    #[serde(default)]
    pub windows: Vec<TimeWindow>,
    /// A disabled rule is kept but never matches.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// How a rule recognises a message. Text is compared after [`crate::normalize()`]: trimmed,
/// lower-cased, full-width letters and digits folded to half-width, whitespace runs collapsed.
///
/// Stored as JSON like `{"type":"contains","value":["退货","退款"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Matcher {
    /// The whole message equals the keyword.
    Exact(String),
    /// The message contains any one of the keywords.
    Contains(Vec<String>),
    /// The normalised message matches the pattern (case-insensitive, `regex` crate syntax,
    /// unanchored unless the pattern anchors itself).
    Regex(String),
}

/// The kind of a matcher, ordered by how specific it is: on equal priority an exact rule beats a
/// contains rule, which beats a regex rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// [`Matcher::Exact`].
    Exact,
    /// [`Matcher::Contains`].
    Contains,
    /// [`Matcher::Regex`].
    Regex,
}

impl Matcher {
    /// The kind of this matcher.
    #[must_use]
    pub fn kind(&self) -> MatchKind {
        match self {
            Matcher::Exact(_) => MatchKind::Exact,
            Matcher::Contains(_) => MatchKind::Contains,
            Matcher::Regex(_) => MatchKind::Regex,
        }
    }
}

impl Rule {
    /// Whether the rule may fire at `now_unix_ms`: enabled, and inside one of its windows if it
    /// has any.
    #[must_use]
    pub fn is_active(&self, now_unix_ms: i64) -> bool {
        self.enabled
            && (self.windows.is_empty() || self.windows.iter().any(|w| w.contains(now_unix_ms)))
    }
}
