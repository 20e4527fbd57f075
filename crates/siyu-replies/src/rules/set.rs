//! The compiled rule set: one hash lookup for exact keywords, one Aho-Corasick pass for every
//! contains keyword, and regexes tried in precedence order only while they could still win.

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::validate::{check_id, RuleError, MAX_RULES};
use super::Matcher;
use super::Rule;
use crate::normalize::normalize;

/// Rules compiled for matching. Build once when the merchant saves rules, share across requests.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    /// In precedence order: priority descending, then exact < contains < regex, then id.
    rules: Vec<Rule>,
    /// Normalised exact keyword → positions in `rules`, ascending.
    exact: HashMap<String, Vec<usize>>,
    /// All distinct normalised contains keywords; `None` when there are none.
    contains: Option<AhoCorasick>,
    /// Keyword pattern id → positions in `rules`, ascending.
    contains_rules: Vec<Vec<usize>>,
    /// Regex rules in precedence order.
    regexes: Vec<(usize, Regex)>,
}

impl RuleSet {
    /// Validates and compiles rules. Fails on the first problem; [`super::validate_rules`]
    /// lists them all.
    pub fn compile(rules: Vec<Rule>) -> Result<RuleSet, RuleError> {
        if rules.len() > MAX_RULES {
            return Err(RuleError::TooManyRules {
                count: rules.len(),
                max: MAX_RULES,
            });
        }
        let mut seen = HashSet::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for (position, rule) in rules.iter().enumerate() {
            check_id(position, rule, &mut seen)?;
            compiled.push(rule.compile_regex()?);
        }
        let mut paired: Vec<(Rule, Option<Regex>)> = rules.into_iter().zip(compiled).collect();
        paired.sort_by(|(a, _), (b, _)| {
            (Reverse(a.priority), a.matcher.kind(), &a.id).cmp(&(
                Reverse(b.priority),
                b.matcher.kind(),
                &b.id,
            ))
        });

        let mut rules = Vec::with_capacity(paired.len());
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut keyword_ids: HashMap<String, usize> = HashMap::new();
        let mut contains_rules: Vec<Vec<usize>> = Vec::new();
        let mut regexes = Vec::new();
        for (position, (rule, regex)) in paired.into_iter().enumerate() {
            match &rule.matcher {
                Matcher::Exact(keyword) => {
                    exact.entry(normalize(keyword)).or_default().push(position);
                }
                Matcher::Contains(keywords) => {
                    for keyword in keywords {
                        let next = contains_rules.len();
                        let id = *keyword_ids.entry(normalize(keyword)).or_insert(next);
                        if id == next {
                            contains_rules.push(Vec::new());
                        }
                        // A rule listing the same keyword twice is recorded once.
                        if contains_rules[id].last() != Some(&position) {
                            contains_rules[id].push(position);
                        }
                    }
                }
                Matcher::Regex(_) => regexes.extend(regex.map(|r| (position, r))),
            }
            rules.push(rule);
        }
        let contains = if keyword_ids.is_empty() {
            None
        } else {
            let mut patterns: Vec<(usize, String)> =
                keyword_ids.into_iter().map(|(k, id)| (id, k)).collect();
            patterns.sort_unstable();
            let automaton =
                AhoCorasick::new(patterns.into_iter().map(|(_, k)| k)).map_err(|e| {
                    RuleError::Keywords {
                        reason: e.to_string(),
                    }
                })?;
            Some(automaton)
        };
        Ok(RuleSet {
            rules,
            exact,
            contains,
            contains_rules,
            regexes,
        })
    }

    /// Parses a JSON array of rules and compiles it.
    pub fn from_json(json: &str) -> Result<RuleSet, RuleError> {
        let rules: Vec<Rule> =
            serde_json::from_str(json).map_err(|e| RuleError::Json(e.to_string()))?;
        Self::compile(rules)
    }

    /// The rule that answers `text` at `now_unix_ms`, if any: the highest priority among the
    /// active matching rules, ties going to exact over contains over regex, then to the smaller id.
    #[must_use]
    pub fn matching(&self, text: &str, now_unix_ms: i64) -> Option<&Rule> {
        let text = normalize(text);
        let mut best: Option<usize> = None;
        let mut consider = |position: usize| {
            if best.is_none_or(|b| position < b) && self.rules[position].is_active(now_unix_ms) {
                best = Some(position);
            }
        };
        if let Some(positions) = self.exact.get(&text) {
            positions.iter().copied().for_each(&mut consider);
        }
        if let Some(automaton) = &self.contains {
            for found in automaton.find_overlapping_iter(&text) {
                self.contains_rules[found.pattern().as_usize()]
                    .iter()
                    .copied()
                    .for_each(&mut consider);
            }
        }
        for (position, regex) in &self.regexes {
            if best.is_some_and(|b| *position > b) {
                break;
            }
            if self.rules[*position].is_active(now_unix_ms) && regex.is_match(&text) {
                best = Some(*position);
                break;
            }
        }
        best.map(|position| &self.rules[position])
    }

    /// The rules in precedence order (the order ties are broken in).
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Number of rules.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}
