//! Limits on rules and the checks the console runs before saving them.

use std::collections::HashSet;

use regex::{Regex, RegexBuilder};

use super::window::WindowError;
use super::{Matcher, Rule};
use crate::action::ActionError;
use crate::normalize::normalize;

/// Most rules one account may have.
pub const MAX_RULES: usize = 500;
/// Longest keyword, in characters after normalisation (the shortest is 1).
pub const MAX_KEYWORD_CHARS: usize = 30;
/// Longest regex pattern, in characters.
pub const MAX_REGEX_CHARS: usize = 256;
/// Cap on one compiled regex, so a merchant's pattern cannot take megabytes per rule.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// Cap on the lazy DFA cache of one regex.
const REGEX_DFA_LIMIT: usize = 512 * 1024;

/// Why a rule or rule set was refused. Every variant names the rule it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// More rules than [`MAX_RULES`].
    #[error("{count} rules given; an account may have at most {max}")]
    TooManyRules {
        /// Rules given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A rule without an id.
    #[error("rule #{position} has an empty id")]
    EmptyId {
        /// Zero-based position in the list given.
        position: usize,
    },
    /// Two rules share an id.
    #[error("rule id {rule_id:?} is used by more than one rule")]
    DuplicateId {
        /// The shared id.
        rule_id: String,
    },
    /// A contains matcher with an empty keyword list.
    #[error("rule {rule_id:?} has no keywords")]
    NoKeywords {
        /// The rule.
        rule_id: String,
    },
    /// A keyword outside 1..=[`MAX_KEYWORD_CHARS`] characters.
    #[error("rule {rule_id:?}: keyword {keyword:?} is {chars} characters long; keywords must be 1 to {max} characters")]
    KeywordLength {
        /// The rule.
        rule_id: String,
        /// The keyword as given.
        keyword: String,
        /// Its length after normalisation.
        chars: usize,
        /// The limit, [`MAX_KEYWORD_CHARS`].
        max: usize,
    },
    /// A regex pattern longer than [`MAX_REGEX_CHARS`].
    #[error("rule {rule_id:?}: the regex is {chars} characters long; at most {max} are allowed")]
    RegexTooLong {
        /// The rule.
        rule_id: String,
        /// Pattern length.
        chars: usize,
        /// The limit, [`MAX_REGEX_CHARS`].
        max: usize,
    },
    /// A regex that does not compile, is too large, or matches every message.
    #[error("rule {rule_id:?}: invalid regex: {reason}")]
    InvalidRegex {
        /// The rule.
        rule_id: String,
        /// What is wrong, from the regex parser or the size and catch-all checks.
        reason: String,
    },
    /// The reply breaks WeChat's limits.
    #[error("rule {rule_id:?}: {error}")]
    Reply {
        /// The rule.
        rule_id: String,
        /// What is wrong with the reply.
        error: ActionError,
    },
    /// A time window is malformed.
    #[error("rule {rule_id:?}: time window #{position}: {error}")]
    Window {
        /// The rule.
        rule_id: String,
        /// Zero-based position of the window in the rule.
        position: usize,
        /// What is wrong with it.
        error: WindowError,
    },
    /// The contains keywords could not be built into one automaton.
    #[error("the keyword matcher could not be built: {reason}")]
    Keywords {
        /// The builder's explanation.
        reason: String,
    },
    /// The JSON given to [`super::RuleSet::from_json`] is not a list of rules.
    #[error("rules JSON is malformed: {0}")]
    Json(String),
}

impl Rule {
    /// Checks one rule on its own (everything except id uniqueness and the rule count).
    pub fn validate(&self) -> Result<(), RuleError> {
        self.compile_regex().map(|_| ())
    }

    /// Validates the rule and, for a regex matcher, returns the compiled regex.
    pub(super) fn compile_regex(&self) -> Result<Option<Regex>, RuleError> {
        let rule_id = || self.id.clone();
        let mut regex = None;
        match &self.matcher {
            Matcher::Exact(keyword) => check_keyword(&self.id, keyword)?,
            Matcher::Contains(keywords) => {
                if keywords.is_empty() {
                    return Err(RuleError::NoKeywords { rule_id: rule_id() });
                }
                for keyword in keywords {
                    check_keyword(&self.id, keyword)?;
                }
            }
            Matcher::Regex(pattern) => regex = Some(compile_pattern(&self.id, pattern)?),
        }
        self.reply.validate().map_err(|error| RuleError::Reply {
            rule_id: rule_id(),
            error,
        })?;
        for (position, window) in self.windows.iter().enumerate() {
            window.validate().map_err(|error| RuleError::Window {
                rule_id: rule_id(),
                position,
                error,
            })?;
        }
        Ok(regex)
    }
}

/// Every problem in a list of rules, for the console to show all at once (compiling stops at
/// the first).
#[must_use]
pub fn validate_rules(rules: &[Rule]) -> Vec<RuleError> {
    let mut errors = Vec::new();
    if rules.len() > MAX_RULES {
        errors.push(RuleError::TooManyRules {
            count: rules.len(),
            max: MAX_RULES,
        });
    }
    let mut seen = HashSet::new();
    for (position, rule) in rules.iter().enumerate() {
        if let Err(error) = check_id(position, rule, &mut seen) {
            errors.push(error);
        }
        if let Err(error) = rule.validate() {
            errors.push(error);
        }
    }
    errors
}

/// Checks that the id is non-empty and unseen, remembering it.
pub(super) fn check_id<'a>(
    position: usize,
    rule: &'a Rule,
    seen: &mut HashSet<&'a str>,
) -> Result<(), RuleError> {
    if rule.id.trim().is_empty() {
        return Err(RuleError::EmptyId { position });
    }
    if !seen.insert(rule.id.as_str()) {
        return Err(RuleError::DuplicateId {
            rule_id: rule.id.clone(),
        });
    }
    Ok(())
}

fn check_keyword(rule_id: &str, keyword: &str) -> Result<(), RuleError> {
    let chars = normalize(keyword).chars().count();
    if (1..=MAX_KEYWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(RuleError::KeywordLength {
            rule_id: rule_id.to_owned(),
            keyword: keyword.to_owned(),
            chars,
            max: MAX_KEYWORD_CHARS,
        })
    }
}

fn compile_pattern(rule_id: &str, pattern: &str) -> Result<Regex, RuleError> {
    let chars = pattern.chars().count();
    if chars > MAX_REGEX_CHARS {
        return Err(RuleError::RegexTooLong {
            rule_id: rule_id.to_owned(),
            chars,
            max: MAX_REGEX_CHARS,
        });
    }
    let invalid = |reason: String| RuleError::InvalidRegex {
        rule_id: rule_id.to_owned(),
        reason,
    };
    let regex = RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => invalid(format!(
                "the pattern compiles to more than {limit} bytes; simplify it (large repetitions such as \\w{{500}} are the usual cause)"
            )),
            other => invalid(other.to_string()),
        })?;
    if regex.is_match("") {
        return Err(invalid(
            "it matches the empty string, so it would fire on messages that contain none of its text; use the fallback reply for a catch-all".to_owned(),
        ));
    }
    Ok(regex)
}
