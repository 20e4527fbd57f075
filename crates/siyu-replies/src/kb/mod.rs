//! The FAQ knowledge base (知识库): entries with several phrasings of a question, matched
//! against a fan's free text with jieba segmentation, character bigrams and BM25.
//!
//! # Terms
//! A question becomes jieba words (search mode, so 快递单号 also yields 快递 and 单号; a small
//! shop vocabulary is added to the dictionary and a few synonyms are folded, see `words.txt`
//! and `synonyms.txt`), plus the character bigrams (weight 0.5) and single characters
//! (weight 0.3) of each run of kept Chinese text, which catch words the dictionary does not know.
//! Stop words (`stopwords.txt`: particles, pronouns, politeness, 怎么/如何/请问 …) are dropped;
//! words that carry the question (退货, 发票, 多久, 哪里, 不 …) are kept.
//!
//! # Score
//! Each question variant is a BM25 document (k1 = 1.2, b = 0.75; idf counted over entries).
//! [`KnowledgeBase::answer`] reports a normalised score in `0.0..=1.0`:
//!
//! ```text
//! score(q, v) = BM25(q, v) / sqrt(self(q) · self(v))
//! ```
//!
//! where `self(q)` is the BM25 score the question would get against a variant identical to
//! itself (terms the base has never seen count at the highest idf) and `self(v)` is the
//! variant's score against itself. An entry's score is its best variant's. 1.0 means the
//! question and the variant say the same thing; a question mostly about something else, or a
//! variant that asks much more than the question, scores low even when one word matches.
//! Scores are comparable across questions, which is what makes one threshold work.

mod bm25;
mod lexicon;
mod tokenize;

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::action::{ActionError, ReplyAction};
use bm25::Index;

/// The default threshold for [`KnowledgeBase::answer`], chosen on the shipped evaluation set
/// (see `EVALUATION.md`): below it a question falls back rather than risk a wrong answer.
pub const DEFAULT_THRESHOLD: f64 = 0.45;

/// One FAQ entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable identifier, unique within the knowledge base.
    pub id: String,
    /// The canonical question first, then paraphrases; every one is indexed.
    pub questions: Vec<String>,
    /// The reply sent when the entry matches.
    pub answer: ReplyAction,
}

/// The result of asking the knowledge base.
#[derive(Debug, Clone, PartialEq)]
pub enum KbOutcome<'a> {
    /// An entry scored at or above the threshold.
    Matched {
        /// The entry's id.
        entry_id: &'a str,
        /// Normalised score, `threshold..=1.0`.
        score: f64,
        /// The entry's reply.
        answer: &'a ReplyAction,
    },
    /// Nothing scored high enough.
    Fallback {
        /// The closest entry and its score, if any word matched at all (for logs and for
        /// growing the knowledge base).
        best: Option<(&'a str, f64)>,
    },
}

/// Why a knowledge base cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KbError {
    /// An entry without an id.
    #[error("entry #{position} has an empty id")]
    EmptyId {
        /// Zero-based position in the list given.
        position: usize,
    },
    /// Two entries share an id.
    #[error("entry id {entry_id:?} is used by more than one entry")]
    DuplicateId {
        /// The shared id.
        entry_id: String,
    },
    /// An entry with no questions.
    #[error("entry {entry_id:?} has no questions")]
    NoQuestions {
        /// The entry.
        entry_id: String,
    },
    /// A question that leaves nothing to search for once stop words and punctuation go.
    #[error("entry {entry_id:?}: question {question:?} has no searchable words (only stop words, punctuation or emoji)")]
    EmptyQuestion {
        /// The entry.
        entry_id: String,
        /// The question as given.
        question: String,
    },
    /// The answer breaks WeChat's limits.
    #[error("entry {entry_id:?}: {error}")]
    Answer {
        /// The entry.
        entry_id: String,
        /// What is wrong with the answer.
        error: ActionError,
    },
    /// The JSON given to [`KnowledgeBase::from_json`] is not a list of entries.
    #[error("knowledge base JSON is malformed: {0}")]
    Json(String),
}

/// An indexed knowledge base. Build once when the merchant saves entries; share across requests.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    entries: Vec<Entry>,
    index: Index,
    threshold: f64,
}

impl KnowledgeBase {
    /// Validates the entries and indexes every question.
    pub fn build(entries: Vec<Entry>) -> Result<KnowledgeBase, KbError> {
        let mut seen = HashSet::new();
        let mut docs = Vec::new();
        for (position, entry) in entries.iter().enumerate() {
            if entry.id.trim().is_empty() {
                return Err(KbError::EmptyId { position });
            }
            if !seen.insert(entry.id.as_str()) {
                return Err(KbError::DuplicateId {
                    entry_id: entry.id.clone(),
                });
            }
            if entry.questions.is_empty() {
                return Err(KbError::NoQuestions {
                    entry_id: entry.id.clone(),
                });
            }
            entry.answer.validate().map_err(|error| KbError::Answer {
                entry_id: entry.id.clone(),
                error,
            })?;
            let entry_no = u32::try_from(position).unwrap_or(u32::MAX);
            for question in &entry.questions {
                let terms = tokenize::terms(question);
                if terms.is_empty() {
                    return Err(KbError::EmptyQuestion {
                        entry_id: entry.id.clone(),
                        question: question.clone(),
                    });
                }
                docs.push((entry_no, terms));
            }
        }
        let index = Index::build(docs, entries.len());
        Ok(KnowledgeBase {
            entries,
            index,
            threshold: DEFAULT_THRESHOLD,
        })
    }

    /// Parses a JSON array of entries and builds the knowledge base.
    pub fn from_json(json: &str) -> Result<KnowledgeBase, KbError> {
        let entries: Vec<Entry> =
            serde_json::from_str(json).map_err(|e| KbError::Json(e.to_string()))?;
        Self::build(entries)
    }

    /// Sets the score a match needs, clamped to `0.0..=1.0` (NaN keeps the current one).
    #[must_use]
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        if !threshold.is_nan() {
            self.threshold = threshold.clamp(0.0, 1.0);
        }
        self
    }

    /// The score a match needs.
    #[must_use]
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The entries, in the order given.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Loads the segmenter's dictionary now (about 100 ms, once per process) so the first
    /// fan's message does not pay for it.
    pub fn warm_up() {
        tokenize::warm_up();
    }

    /// Answers a fan's question: the best entry if it clears the threshold, else a fallback.
    #[must_use]
    pub fn answer(&self, question: &str) -> KbOutcome<'_> {
        let scores = self.scores(question);
        // The first entry wins a tie, so the result does not depend on float noise elsewhere.
        let best = scores
            .iter()
            .enumerate()
            .filter(|(_, score)| **score > 0.0)
            .fold(None, |best: Option<(usize, f64)>, (i, &score)| match best {
                Some((_, top)) if top >= score => best,
                _ => Some((i, score)),
            });
        match best {
            Some((i, score)) if score >= self.threshold => KbOutcome::Matched {
                entry_id: &self.entries[i].id,
                score,
                answer: &self.entries[i].answer,
            },
            Some((i, score)) => KbOutcome::Fallback {
                best: Some((&self.entries[i].id, score)),
            },
            None => KbOutcome::Fallback { best: None },
        }
    }

    /// The `limit` best entries for a question with their normalised scores, best first,
    /// leaving out entries that share no term with it (for the console's "try a question").
    #[must_use]
    pub fn ranked(&self, question: &str, limit: usize) -> Vec<(&str, f64)> {
        let mut ranked: Vec<(&str, f64)> = self
            .entries
            .iter()
            .zip(self.scores(question))
            .filter(|(_, score)| *score > 0.0)
            .map(|(entry, score)| (entry.id.as_str(), score))
            .collect();
        // Ties keep entry order: the sort is stable.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(limit);
        ranked
    }

    /// Every entry's normalised score for the question, in entry order.
    fn scores(&self, question: &str) -> Vec<f64> {
        let terms = tokenize::terms(question);
        let mut scores = vec![0.0; self.entries.len()];
        self.index.score(&terms, &mut scores);
        scores
    }
}

#[cfg(test)]
mod tests;
