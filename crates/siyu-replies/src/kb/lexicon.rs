//! The word lists shipped with the crate, each parsed once: stop words (`stopwords.txt`), extra
//! segmenter vocabulary (`words.txt`) and synonym groups (`synonyms.txt`).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const STOPWORDS: &str = include_str!("stopwords.txt");
const WORDS: &str = include_str!("words.txt");
const SYNONYMS: &str = include_str!("synonyms.txt");

/// The non-comment, non-blank lines of a list.
fn lines(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// Whether `word` (already normalised: lower-case, half-width) is a stop word.
pub(crate) fn is_stopword(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| lines(STOPWORDS).collect())
        .contains(word)
}

/// Words to add to the segmenter's dictionary.
pub(crate) fn extra_words() -> impl Iterator<Item = &'static str> {
    lines(WORDS)
}

/// The canonical form of a word: itself unless it is a listed variant.
pub(crate) fn canonical(word: &str) -> &str {
    static MAP: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let map = MAP.get_or_init(|| {
        let mut map = HashMap::new();
        for line in lines(SYNONYMS) {
            if let Some((canonical, variants)) = line.split_once(':') {
                for variant in variants.split_whitespace() {
                    map.insert(variant, canonical.trim());
                }
            }
        }
        map
    });
    map.get(word).copied().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffolding_is_stopped_and_subjects_are_kept() {
        for w in [
            "的", "了", "吗", "呢", "啊", "我", "你", "怎么", "如何", "请问", "hello",
        ] {
            assert!(is_stopword(w), "{w}");
        }
        for w in ["退货", "发票", "客服", "多久", "哪里", "不", "#", ""] {
            assert!(!is_stopword(w), "{w}");
        }
    }

    #[test]
    fn synonyms_fold_to_the_canonical_word() {
        assert_eq!(canonical("运单号"), "快递单号");
        assert_eq!(canonical("价保"), "保价");
        assert_eq!(canonical("退货"), "退货");
    }

    #[test]
    fn lists_are_well_formed() {
        for word in extra_words().chain(lines(STOPWORDS)) {
            assert!(!word.contains(char::is_whitespace), "{word:?}");
            assert_eq!(crate::normalize(word), word, "lists hold normalised words");
        }
        for line in lines(SYNONYMS) {
            let (canonical, variants) = line.split_once(':').expect("canonical: variants");
            assert!(
                !canonical.trim().is_empty() && variants.split_whitespace().count() > 0,
                "{line}"
            );
            // A variant that is also a stop word would never reach the map.
            assert!(
                variants.split_whitespace().all(|v| !is_stopword(v)),
                "{line}"
            );
        }
    }
}
