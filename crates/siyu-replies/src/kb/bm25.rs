//! An inverted index over question variants with Okapi BM25 scoring.
//!
//! Each question variant is a document (term frequencies and length are per variant), but
//! document frequency is counted per *entry*: an entry that repeats 退货 in all four of its
//! phrasings should not make 退货 look four times as common as it is.

use std::collections::HashMap;

use super::tokenize::weight;

/// Term-frequency saturation.
const K1: f64 = 1.2;
/// Length normalisation.
const B: f64 = 0.75;

/// The inverted index. Documents are question variants, numbered in build order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    term_ids: HashMap<String, usize>,
    /// Per term: (document, term frequency), documents ascending.
    postings: Vec<Vec<(u32, u32)>>,
    /// Per term: inverse document frequency over entries.
    idf: Vec<f64>,
    /// Per document: the entry it belongs to.
    doc_entry: Vec<u32>,
    /// Per document: number of terms.
    doc_len: Vec<f64>,
    avg_len: f64,
    /// Per document: its score against itself.
    doc_self: Vec<f64>,
    /// Inverse document frequency of a term no entry has.
    unseen_idf: f64,
}

impl Index {
    /// Builds the index from `(entry, terms of one variant)` pairs.
    pub(crate) fn build(docs: Vec<(u32, Vec<String>)>, entries: usize) -> Index {
        let mut index = Index::default();
        let mut entry_df: Vec<(u32, u32)> = Vec::new(); // per term: (last entry seen, count)
        for (doc, (entry, terms)) in docs.into_iter().enumerate() {
            let doc = u32::try_from(doc).unwrap_or(u32::MAX);
            index.doc_entry.push(entry);
            index.doc_len.push(terms.len() as f64);
            let mut tf: HashMap<String, u32> = HashMap::new();
            for term in terms {
                *tf.entry(term).or_default() += 1;
            }
            for (term, count) in tf {
                let next = index.postings.len();
                let id = *index.term_ids.entry(term).or_insert(next);
                if id == next {
                    index.postings.push(Vec::new());
                    entry_df.push((u32::MAX, 0));
                }
                index.postings[id].push((doc, count));
                if entry_df[id].0 != entry {
                    entry_df[id] = (entry, entry_df[id].1 + 1);
                }
            }
        }
        let n = entries as f64;
        index.idf = entry_df
            .iter()
            .map(|&(_, df)| idf(n, f64::from(df)))
            .collect();
        index.unseen_idf = idf(n, 0.0);
        let docs = index.doc_len.len().max(1) as f64;
        index.avg_len = (index.doc_len.iter().sum::<f64>() / docs).max(1.0);
        let mut doc_self = vec![0.0; index.doc_len.len()];
        for (term, &id) in &index.term_ids {
            let weight = weight(term);
            for &(doc, tf) in &index.postings[id] {
                let len = index.doc_len[doc as usize];
                doc_self[doc as usize] +=
                    weight * index.idf[id] * saturate(f64::from(tf), len, index.avg_len);
            }
        }
        index.doc_self = doc_self;
        index
    }

    /// Normalised BM25 of the query against every document, reduced to each entry's best
    /// variant: `best[e]` receives entry `e`'s score in `0.0..=1.0`.
    ///
    /// The raw score is divided by the geometric mean of two self-scores: the query's (what it
    /// would score against a document identical to itself, terms the index has never seen
    /// counted at the highest idf) and the document's (what the variant scores against itself).
    /// So the score is high only when the match covers most of the question *and* most of the
    /// variant: a question mostly about something else, or a variant that says much more than
    /// the question, both score low even if one word matches.
    pub(crate) fn score(&self, query: &[String], best: &mut [f64]) {
        best.iter_mut().for_each(|s| *s = 0.0);
        let mut distinct: Vec<&String> = query.iter().collect();
        distinct.sort_unstable();
        distinct.dedup();
        let query_len = query.len() as f64;
        let mut self_score = 0.0;
        let mut doc_scores: HashMap<u32, f64> = HashMap::new();
        for term in distinct {
            let weight = weight(term);
            let Some(&id) = self.term_ids.get(term.as_str()) else {
                self_score += weight * self.unseen_idf * saturate(1.0, query_len, self.avg_len);
                continue;
            };
            let idf = self.idf[id];
            self_score += weight * idf * saturate(1.0, query_len, self.avg_len);
            for &(doc, tf) in &self.postings[id] {
                let len = self.doc_len[doc as usize];
                *doc_scores.entry(doc).or_default() +=
                    weight * idf * saturate(f64::from(tf), len, self.avg_len);
            }
        }
        if self_score <= 0.0 {
            return;
        }
        for (doc, score) in doc_scores {
            let entry = self.doc_entry[doc as usize] as usize;
            let doc_self = self.doc_self[doc as usize];
            let normalised = (score / (self_score * doc_self).sqrt()).min(1.0);
            if normalised > best[entry] {
                best[entry] = normalised;
            }
        }
    }
}

/// BM25's idf, in the "+1 inside the log" form that never goes negative.
fn idf(n: f64, df: f64) -> f64 {
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// BM25's term-frequency part for a document of length `len`.
fn saturate(tf: f64, len: f64, avg_len: f64) -> f64 {
    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn identical_document_scores_one_and_partial_less() {
        let index = Index::build(
            vec![
                (0, t(&["退货", "流程"])),
                (1, t(&["发票", "抬头"])),
                (1, t(&["开", "发票"])),
            ],
            2,
        );
        let mut best = vec![0.0; 2];
        index.score(&t(&["退货", "流程"]), &mut best);
        assert!((best[0] - 1.0).abs() < 1e-9, "{best:?}");
        assert_eq!(best[1], 0.0);
        index.score(&t(&["发票", "邮寄"]), &mut best);
        assert!(best[1] > 0.2 && best[1] < 0.8, "{best:?}");
        index.score(&[], &mut best);
        assert_eq!(best, [0.0, 0.0]);
    }

    #[test]
    fn rare_terms_outweigh_common_ones() {
        let index = Index::build(
            vec![
                (0, t(&["订单", "取消"])),
                (1, t(&["订单", "地址"])),
                (2, t(&["订单", "支付"])),
            ],
            3,
        );
        let mut best = vec![0.0; 3];
        index.score(&t(&["订单", "地址"]), &mut best);
        assert!(best[1] > 0.99);
        assert!(best[0] < 0.3 && best[2] < 0.3, "{best:?}");
    }
}
