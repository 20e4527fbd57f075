#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Timing of the hot path on the sizes the server has to handle: 500 rules (the per-account
//! maximum) and a 1,000-entry knowledge base. Prints microseconds per message; the assertions
//! are loose enough for an unoptimised build on a busy machine and only catch an accidental
//! change of complexity. For the real figures run
//! `cargo test --release -p siyu-replies --test speed -- --nocapture`.

use std::time::Instant;

use siyu_replies::{Entry, KnowledgeBase, Matcher, ReplyAction, Rule, RuleSet};

const PRODUCTS: [&str; 32] = [
    "拿铁",
    "美式",
    "燕麦拿铁",
    "卫衣",
    "牛仔裤",
    "衬衫",
    "连衣裙",
    "针织衫",
    "风衣",
    "帆布包",
    "马克杯",
    "挂耳咖啡",
    "咖啡豆",
    "芝士蛋糕",
    "贝果",
    "可颂",
    "围巾",
    "渔夫帽",
    "棉袜",
    "短袖",
    "短裤",
    "半身裙",
    "西装",
    "大衣",
    "羽绒服",
    "毛衣",
    "运动鞋",
    "托特包",
    "保温杯",
    "冷萃",
    "手冲",
    "礼盒",
];

/// 1,024 entries: every shipped FAQ entry asked about each of 32 products.
fn big_kb() -> KnowledgeBase {
    let base: Vec<Entry> =
        serde_json::from_str(include_str!("data/kb_entries.json")).expect("entries JSON");
    let mut entries = Vec::new();
    for product in PRODUCTS {
        for entry in &base {
            entries.push(Entry {
                id: format!("{product}-{}", entry.id),
                questions: entry
                    .questions
                    .iter()
                    .map(|q| format!("{product}{q}"))
                    .collect(),
                answer: entry.answer.clone(),
            });
        }
    }
    KnowledgeBase::build(entries).unwrap()
}

fn questions() -> Vec<&'static str> {
    vec![
        "买的燕麦拿铁不想要了怎么退",
        "卫衣什么时候发货？",
        "牛仔裤尺码偏大吗",
        "能开发票吗",
        "你们几点开门",
        "今天天气怎么样",
        "快递单号在哪里看",
        "积分会过期吗😊",
    ]
}

#[test]
fn knowledge_base_answers_well_under_a_millisecond() {
    KnowledgeBase::warm_up();
    let started = Instant::now();
    let kb = big_kb();
    let build = started.elapsed();

    let questions = questions();
    let rounds = 50;
    let started = Instant::now();
    for _ in 0..rounds {
        for q in &questions {
            std::hint::black_box(kb.answer(q));
        }
    }
    let per_query = started.elapsed() / (rounds * questions.len() as u32);
    println!(
        "knowledge base: {} entries built in {build:?}; {per_query:?} per question",
        kb.entries().len()
    );
    // Debug builds are ~10x slower than release; this only catches a quadratic slip.
    assert!(per_query.as_micros() < 20_000, "{per_query:?} per question");
}

#[test]
fn rules_match_in_microseconds() {
    let mut rules = Vec::new();
    for i in 0..500 {
        let matcher = match i % 5 {
            0 => Matcher::Exact(format!("关键词{i}")),
            1 | 2 => Matcher::Contains(vec![format!("活动{i}"), format!("优惠{i}号")]),
            3 => Matcher::Contains(vec![format!("{}款", PRODUCTS[i % 32])]),
            _ => Matcher::Regex(format!(r"^订单\s*{i}\d{{4}}$")),
        };
        rules.push(Rule {
            id: format!("r{i:03}"),
            priority: i32::try_from(i % 7).unwrap(),
            matcher,
            reply: ReplyAction::Text(format!("回复{i}")),
            windows: Vec::new(),
            enabled: true,
        });
    }
    let started = Instant::now();
    let set = RuleSet::compile(rules).unwrap();
    let compile = started.elapsed();

    let messages = [
        "关键词250",
        "我想参加活动131的抽奖",
        "拿铁款还有吗",
        "订单 4991234",
        "一句谁也不匹配的很长很长的话，看看最坏情况要多久才能走完所有规则",
    ];
    let now = 1_704_038_400_000;
    assert!(set.matching(messages[1], now).is_some());
    assert!(set.matching(messages[4], now).is_none());
    let rounds = 2_000;
    let started = Instant::now();
    for _ in 0..rounds {
        for m in &messages {
            std::hint::black_box(set.matching(m, now));
        }
    }
    let per_message = started.elapsed() / (rounds * messages.len() as u32);
    println!("rules: 500 compiled in {compile:?}; {per_message:?} per message");
    assert!(
        per_message.as_micros() < 2_000,
        "{per_message:?} per message"
    );
}
