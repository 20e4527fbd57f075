//! Knowledge-base building and answering on a small hand-made base.

use super::*;

fn entry(id: &str, questions: &[&str]) -> Entry {
    Entry {
        id: id.to_owned(),
        questions: questions.iter().map(|q| (*q).to_owned()).collect(),
        answer: ReplyAction::Text(format!("answer {id}")),
    }
}

fn small_kb() -> KnowledgeBase {
    KnowledgeBase::build(vec![
        entry(
            "return",
            &["怎么退货", "退货流程是什么", "不想要了可以退吗"],
        ),
        entry("invoice", &["可以开发票吗", "发票怎么开", "电子发票"]),
        entry("hours", &["营业时间", "几点开门几点关门"]),
        entry("cup", &["云朵杯有现货吗", "云朵杯什么时候补货"]),
    ])
    .unwrap()
}

fn matched_id<'a>(outcome: &KbOutcome<'a>) -> Option<&'a str> {
    match outcome {
        KbOutcome::Matched { entry_id, .. } => Some(entry_id),
        KbOutcome::Fallback { .. } => None,
    }
}

#[test]
fn answers_paraphrases() {
    let kb = small_kb();
    assert_eq!(matched_id(&kb.answer("请问退货流程？")), Some("return"));
    assert_eq!(matched_id(&kb.answer("能开发票吗😊")), Some("invoice"));
    assert_eq!(matched_id(&kb.answer("你们几点开门")), Some("hours"));
}

#[test]
fn out_of_vocabulary_words_match_through_bigrams() {
    let kb = small_kb();
    assert_eq!(matched_id(&kb.answer("云朵杯还有吗")), Some("cup"));
}

#[test]
fn unrelated_questions_fall_back_with_a_best_guess() {
    let kb = small_kb();
    assert_eq!(
        kb.answer("今天天气怎么样"),
        KbOutcome::Fallback { best: None }
    );
    assert_eq!(kb.answer("？？？"), KbOutcome::Fallback { best: None });
    assert_eq!(kb.answer(""), KbOutcome::Fallback { best: None });
    match kb.answer("发票和快递单号一起寄到公司地址吗，抬头写我们部门") {
        KbOutcome::Fallback {
            best: Some((id, score)),
        } => {
            assert_eq!(id, "invoice");
            assert!(score > 0.0 && score < kb.threshold(), "{score}");
        }
        other => panic!("expected a fallback with a guess, got {other:?}"),
    }
}

#[test]
fn scores_are_normalised_and_threshold_is_configurable() {
    let kb = small_kb();
    let KbOutcome::Matched { score, answer, .. } = kb.answer("怎么退货") else {
        panic!("exact phrasing must match");
    };
    assert!((score - 1.0).abs() < 1e-9, "{score}");
    assert_eq!(answer, &ReplyAction::Text("answer return".into()));
    for (_, s) in kb.ranked("发票怎么开 退货", 10) {
        assert!((0.0..=1.0).contains(&s));
    }
    let strict = small_kb().with_threshold(1.0);
    assert!(matches!(
        strict.answer("退货流程？"),
        KbOutcome::Matched { .. }
    ));
    assert!(matches!(
        strict.answer("不想要了能退货吗"),
        KbOutcome::Fallback { .. }
    ));
    assert_eq!(small_kb().with_threshold(7.0).threshold(), 1.0);
    assert_eq!(
        small_kb().with_threshold(f64::NAN).threshold(),
        DEFAULT_THRESHOLD
    );
}

#[test]
fn ranked_lists_best_first() {
    let kb = small_kb();
    let ranked = kb.ranked("退货要开发票吗", 10);
    let ids: Vec<&str> = ranked.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids[..2], ["invoice", "return"], "{ranked:?}");
    assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1), "{ranked:?}");
    assert!(ranked.iter().all(|(_, s)| *s > 0.0));
    assert_eq!(kb.ranked("退货要开发票吗", 1).len(), 1);
}

#[test]
fn build_errors_name_the_entry() {
    let err = KnowledgeBase::build(vec![entry("a", &["退货"]), entry("a", &["发票"])]).unwrap_err();
    assert_eq!(
        err,
        KbError::DuplicateId {
            entry_id: "a".into()
        }
    );
    let err = KnowledgeBase::build(vec![entry("", &["退货"])]).unwrap_err();
    assert_eq!(err, KbError::EmptyId { position: 0 });
    let err = KnowledgeBase::build(vec![entry("q", &[])]).unwrap_err();
    assert_eq!(
        err,
        KbError::NoQuestions {
            entry_id: "q".into()
        }
    );
    let err = KnowledgeBase::build(vec![entry("s", &["退货", "请问怎么办呢？"])]).unwrap_err();
    assert_eq!(err.to_string(), "entry \"s\": question \"请问怎么办呢？\" has no searchable words (only stop words, punctuation or emoji)");
    let mut long = entry("long", &["退货"]);
    long.answer = ReplyAction::Text("长".repeat(1_000));
    assert!(matches!(
        KnowledgeBase::build(vec![long]),
        Err(KbError::Answer { .. })
    ));
    assert!(matches!(
        KnowledgeBase::from_json("[{}]"),
        Err(KbError::Json(_))
    ));
}

#[test]
fn empty_knowledge_base_always_falls_back() {
    let kb = KnowledgeBase::build(Vec::new()).unwrap();
    assert_eq!(kb.answer("退货"), KbOutcome::Fallback { best: None });
}
