//! Turning a question into weighted index terms: jieba words, character bigrams and single
//! characters.
//!
//! Jieba (search mode, no HMM) gives words and, for a long word, its dictionary parts too
//! (快递单号 → 快递, 单号, 快递单号), so a fan who types only 单号 still meets it. The HMM
//! guesser is off: on chat text it glues unknown characters into one-off "words" (咋退) that no
//! entry shares, while without it they stay single characters the other channels can use.
//!
//! The default dictionary does not know a shop's own words (a product called 云朵杯, a store
//! nicknamed 小屿), which it cuts into single characters. Character bigrams over each run of kept
//! Chinese text recover those: 云朵杯 still yields 云朵 and 朵杯. Single characters catch the
//! colloquial short forms fans use (退 for 退货, 码 for 尺码). Both get lower weights than words
//! because they also produce junk across word boundaries.

use std::sync::OnceLock;

use jieba_rs::Jieba;

use super::lexicon::{canonical, extra_words, is_stopword};
use crate::normalize::normalize;

/// Marks a bigram term so that it never collides with a word term.
const BIGRAM_MARK: char = '\u{1}';
/// Marks a single-character term.
const CHAR_MARK: char = '\u{2}';
/// Query weight of a bigram relative to a word.
const BIGRAM_WEIGHT: f64 = 0.5;
/// Query weight of a single character relative to a word.
const CHAR_WEIGHT: f64 = 0.3;

/// The shared segmenter. Loading the dictionary takes ~100 ms, so it happens once per process.
fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let mut jieba = Jieba::new();
        for word in extra_words() {
            jieba.add_word(word, None, None);
        }
        jieba
    })
}

/// Loads the segmenter now rather than on the first message.
pub(crate) fn warm_up() {
    let _ = jieba();
}

/// Index terms of a text, with repeats: words (synonyms folded), then bigrams and characters of
/// each run of kept Chinese text.
pub(crate) fn terms(text: &str) -> Vec<String> {
    let text = normalize(text);
    let mut out = Vec::new();
    let mut run = String::new();
    // Byte offset up to which `text` has been added to `run` (or passed over).
    let mut run_end = 0;
    for token in jieba().cut_for_search(&text, false) {
        let word = token.word;
        if is_stopword(word) || !word.chars().any(char::is_alphanumeric) {
            if token.byte_start >= run_end {
                flush_run(&mut run, &mut out);
            }
            continue;
        }
        out.push(canonical(word).to_owned());
        // Search mode yields the parts of a long word before the word itself, so tokens
        // overlap; the run takes only text past what it already holds.
        if token.byte_end <= run_end {
            continue;
        }
        if word.chars().all(is_han) {
            if token.byte_start > run_end {
                flush_run(&mut run, &mut out);
            }
            run.push_str(&text[token.byte_start.max(run_end)..token.byte_end]);
        } else {
            flush_run(&mut run, &mut out);
        }
        run_end = token.byte_end;
    }
    flush_run(&mut run, &mut out);
    out
}

/// The query weight of a term, by the channel it came from.
pub(crate) fn weight(term: &str) -> f64 {
    match term.chars().next() {
        Some(BIGRAM_MARK) => BIGRAM_WEIGHT,
        Some(CHAR_MARK) => CHAR_WEIGHT,
        _ => 1.0,
    }
}

/// Emits the characters and bigrams of a run of kept Chinese text, and empties it.
fn flush_run(run: &mut String, out: &mut Vec<String>) {
    let chars: Vec<char> = run.chars().collect();
    for c in &chars {
        out.push(String::from_iter([CHAR_MARK, *c]));
    }
    for pair in chars.windows(2) {
        out.push(String::from_iter([BIGRAM_MARK, pair[0], pair[1]]));
    }
    run.clear();
}

/// CJK unified ideographs (the basic block and extension A), which is where chat text lives.
fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(text: &str, mark: Option<char>) -> Vec<String> {
        terms(text)
            .into_iter()
            .filter(|t| match mark {
                Some(m) => t.starts_with(m),
                None => !t.starts_with([BIGRAM_MARK, CHAR_MARK]),
            })
            .map(|t| t.trim_start_matches([BIGRAM_MARK, CHAR_MARK]).to_owned())
            .collect()
    }

    fn words(text: &str) -> Vec<String> {
        channel(text, None)
    }

    fn bigrams(text: &str) -> Vec<String> {
        channel(text, Some(BIGRAM_MARK))
    }

    #[test]
    fn drops_stop_words_punctuation_and_emoji() {
        assert_eq!(words("请问怎么退货呢？😭"), ["退货"]);
        assert_eq!(words("你好，在吗"), Vec::<String>::new());
    }

    #[test]
    fn folds_case_and_width() {
        assert_eq!(words("ＷＩＦＩ密码"), words("wifi密码"));
        assert!(words("WiFi密码").contains(&"wifi".to_owned()));
    }

    #[test]
    fn bigrams_cover_runs_of_kept_chinese_text() {
        assert_eq!(bigrams("退货"), ["退货"]);
        // A stop word breaks the run: no 货发 pair across 的.
        let b = bigrams("退货的发票");
        assert!(b.contains(&"退货".to_owned()) && b.contains(&"发票".to_owned()));
        assert!(!b.iter().any(|p| p == "货发" || p == "货的"), "{b:?}");
    }

    #[test]
    fn search_mode_parts_do_not_repeat_text_in_the_run() {
        // 快递单号 comes as 快递, 单号 and 快递单号; the run must hold the text once.
        assert_eq!(bigrams("快递单号"), ["快递", "递单", "单号"]);
        assert_eq!(
            channel("快递单号", Some(CHAR_MARK)),
            ["快", "递", "单", "号"]
        );
        let w = words("快递单号");
        assert!(
            w.contains(&"快递".to_owned()) && w.contains(&"快递单号".to_owned()),
            "{w:?}"
        );
    }

    #[test]
    fn shop_vocabulary_and_synonyms_apply() {
        assert!(words("包邮吗").contains(&"包邮".to_owned()));
        assert!(words("运单号多少").contains(&"快递单号".to_owned()));
        assert_eq!(weight("退货"), 1.0);
        assert!(terms("退货").iter().map(|t| weight(t)).any(|w| w < 1.0));
    }
}
