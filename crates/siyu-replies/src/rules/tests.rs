//! Rule-set behaviour: precedence, tie-breaks, windows, normalisation and validation errors.

use super::*;

/// 2024-01-01 00:00 in China (Monday).
const MON: i64 = 1_704_038_400_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// Wednesday 2024-01-03 12:00 China time: inside ordinary daytime windows.
const WED_NOON: i64 = MON + 2 * DAY + 12 * HOUR;

fn text(s: &str) -> ReplyAction {
    ReplyAction::Text(s.to_owned())
}

fn rule(id: &str, priority: i32, matcher: Matcher) -> Rule {
    Rule {
        id: id.to_owned(),
        priority,
        matcher,
        reply: text(id),
        windows: Vec::new(),
        enabled: true,
    }
}

fn exact(k: &str) -> Matcher {
    Matcher::Exact(k.to_owned())
}

fn contains(ks: &[&str]) -> Matcher {
    Matcher::Contains(ks.iter().map(|k| (*k).to_owned()).collect())
}

fn regex(p: &str) -> Matcher {
    Matcher::Regex(p.to_owned())
}

fn matched(set: &RuleSet, msg: &str, now: i64) -> Option<String> {
    set.matching(msg, now).map(|r| r.id.clone())
}

#[test]
fn highest_priority_wins_regardless_of_kind() {
    let set = RuleSet::compile(vec![
        rule("exact-low", 1, exact("退货")),
        rule("regex-high", 9, regex("退.")),
        rule("contains-mid", 5, contains(&["退货"])),
    ])
    .unwrap();
    assert_eq!(
        matched(&set, "退货", WED_NOON).as_deref(),
        Some("regex-high")
    );
}

#[test]
fn equal_priority_prefers_exact_then_contains_then_regex_then_id() {
    let set = RuleSet::compile(vec![
        rule("r", 0, regex("发票")),
        rule("c2", 0, contains(&["发票"])),
        rule("c1", 0, contains(&["开发票", "发票"])),
        rule("e", 0, exact("发票")),
    ])
    .unwrap();
    assert_eq!(matched(&set, "发票", WED_NOON).as_deref(), Some("e"));
    assert_eq!(matched(&set, "要开发票", WED_NOON).as_deref(), Some("c1"));
    let ids: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["e", "c1", "c2", "r"]);

    let only_regex_and_contains = RuleSet::compile(vec![
        rule("b-regex", 0, regex("^发票$")),
        rule("a-regex", 0, regex("发")),
    ])
    .unwrap();
    assert_eq!(
        matched(&only_regex_and_contains, "发票", WED_NOON).as_deref(),
        Some("a-regex")
    );
}

#[test]
fn disabled_rules_never_match() {
    let mut off = rule("off", 100, exact("hi"));
    off.enabled = false;
    let set = RuleSet::compile(vec![off, rule("on", 0, contains(&["h"]))]).unwrap();
    assert_eq!(matched(&set, "hi", WED_NOON).as_deref(), Some("on"));
}

#[test]
fn windows_gate_rules_including_across_midnight() {
    // Night shift: every day 22:00–08:00 answer "we're closed"; daytime rule is lower priority.
    let mut night = rule("night", 10, contains(&["客服"]));
    night.windows = vec![TimeWindow::new(Weekdays::EVERY_DAY, 22 * 60, 8 * 60).unwrap()];
    let mut weekend = rule("weekend", 5, contains(&["客服"]));
    weekend.windows = vec![TimeWindow::new(Weekdays::WEEKEND, 0, MINUTES_PER_DAY).unwrap()];
    let set =
        RuleSet::compile(vec![night, weekend, rule("always", 0, contains(&["客服"]))]).unwrap();

    assert_eq!(
        matched(&set, "人工客服", WED_NOON).as_deref(),
        Some("always")
    );
    assert_eq!(
        matched(&set, "人工客服", MON + 2 * DAY + 23 * HOUR).as_deref(),
        Some("night")
    );
    assert_eq!(
        matched(&set, "人工客服", MON + 3 * DAY + 7 * HOUR).as_deref(),
        Some("night")
    );
    assert_eq!(
        matched(&set, "人工客服", MON + 3 * DAY + 8 * HOUR).as_deref(),
        Some("always")
    );
    // Saturday noon: weekend rule; Saturday 23:00: night beats weekend.
    assert_eq!(
        matched(&set, "人工客服", MON + 5 * DAY + 12 * HOUR).as_deref(),
        Some("weekend")
    );
    assert_eq!(
        matched(&set, "人工客服", MON + 5 * DAY + 23 * HOUR).as_deref(),
        Some("night")
    );
    // Monday 00:30 after Sunday: night still (window opened Sunday 22:00).
    assert_eq!(
        matched(&set, "人工客服", MON + 7 * DAY + HOUR / 2).as_deref(),
        Some("night")
    );
}

#[test]
fn weekday_only_window() {
    let mut r = rule("lunch", 0, exact("午餐"));
    r.windows = vec![TimeWindow::new(Weekdays::WORKDAYS, 11 * 60, 14 * 60).unwrap()];
    let set = RuleSet::compile(vec![r]).unwrap();
    assert!(
        set.matching("午餐", MON + 4 * DAY + 12 * HOUR).is_some(),
        "Friday noon"
    );
    assert!(
        set.matching("午餐", MON + 5 * DAY + 12 * HOUR).is_none(),
        "Saturday noon"
    );
    assert!(
        set.matching("午餐", MON + 4 * DAY + 14 * HOUR).is_none(),
        "Friday 14:00"
    );
}

#[test]
fn exact_is_trimmed_case_and_width_insensitive() {
    let set = RuleSet::compile(vec![rule("vip", 0, exact("VIP 会员"))]).unwrap();
    for msg in ["vip 会员", "  ＶＩＰ　会员 ", "Vip   会员", "ｖｉｐ 会员\n"] {
        assert_eq!(
            matched(&set, msg, WED_NOON).as_deref(),
            Some("vip"),
            "{msg:?}"
        );
    }
    assert_eq!(
        matched(&set, "vip会员卡", WED_NOON),
        None,
        "exact means the whole message"
    );
}

#[test]
fn contains_matches_any_keyword_after_normalisation() {
    let set = RuleSet::compile(vec![rule("wifi", 0, contains(&["WiFi", "无线网"]))]).unwrap();
    assert_eq!(
        matched(&set, "店里的ＷＩＦＩ密码是多少", WED_NOON).as_deref(),
        Some("wifi")
    );
    assert_eq!(
        matched(&set, "有无线网吗？", WED_NOON).as_deref(),
        Some("wifi")
    );
    assert_eq!(matched(&set, "有网吗", WED_NOON), None);
}

#[test]
fn overlapping_contains_keywords_all_count() {
    // "发票" is inside "开发票"; the lower-priority rule's longer keyword must not hide the other.
    let set = RuleSet::compile(vec![
        rule("open", 1, contains(&["开发票"])),
        rule("any", 2, contains(&["发票"])),
        rule("shared", 0, contains(&["发票", "开发票"])),
    ])
    .unwrap();
    assert_eq!(
        matched(&set, "我要开发票", WED_NOON).as_deref(),
        Some("any")
    );
}

#[test]
fn regex_is_case_insensitive_and_sees_normalised_text() {
    let set = RuleSet::compile(vec![rule("order", 0, regex(r"^订单\s?[A-Z]{2}\d{6}$"))]).unwrap();
    assert_eq!(
        matched(&set, "订单 ab123456", WED_NOON).as_deref(),
        Some("order")
    );
    assert_eq!(
        matched(&set, "订单　ＡＢ１２３４５６", WED_NOON).as_deref(),
        Some("order")
    );
    assert_eq!(matched(&set, "订单 ab12345", WED_NOON), None);
}

#[test]
fn invalid_regex_names_the_rule_and_the_problem() {
    let err = RuleSet::compile(vec![
        rule("ok", 0, exact("a")),
        rule("broken", 0, regex("退(货")),
    ])
    .unwrap_err();
    let RuleError::InvalidRegex { rule_id, reason } = &err else {
        panic!("expected InvalidRegex, got {err:?}");
    };
    assert_eq!(rule_id, "broken");
    assert!(reason.contains("unclosed group"), "{reason}");
    assert!(
        err.to_string()
            .starts_with("rule \"broken\": invalid regex:"),
        "{err}"
    );
}

#[test]
fn oversized_and_catch_all_regexes_are_refused() {
    let big = RuleSet::compile(vec![rule("big", 0, regex(r"\w{200}\w{200}\w{200}"))]).unwrap_err();
    assert!(
        matches!(&big, RuleError::InvalidRegex { reason, .. } if reason.contains("compiles to more than")),
        "{big}"
    );
    let long = RuleSet::compile(vec![rule("long", 0, regex(&"a".repeat(300)))]).unwrap_err();
    assert_eq!(
        long,
        RuleError::RegexTooLong {
            rule_id: "long".into(),
            chars: 300,
            max: 256
        }
    );
    let all = RuleSet::compile(vec![rule("all", 0, regex(".*"))]).unwrap_err();
    assert!(
        matches!(&all, RuleError::InvalidRegex { reason, .. } if reason.contains("empty string"))
    );
}

#[test]
fn keyword_and_reply_limits() {
    let long_kw = "退".repeat(31);
    assert!(matches!(
        RuleSet::compile(vec![rule("k", 0, contains(&["ok", &long_kw]))]),
        Err(RuleError::KeywordLength { chars: 31, .. })
    ));
    assert!(RuleSet::compile(vec![rule("k", 0, exact(&"退".repeat(30)))]).is_ok());
    assert!(matches!(
        RuleSet::compile(vec![rule("k", 0, exact("　 "))]),
        Err(RuleError::KeywordLength { chars: 0, .. })
    ));
    assert_eq!(
        RuleSet::compile(vec![rule("k", 0, contains(&[]))]).unwrap_err(),
        RuleError::NoKeywords {
            rule_id: "k".into()
        }
    );
    let mut long_reply = rule("r", 0, exact("a"));
    long_reply.reply = text(&"字".repeat(700));
    assert!(matches!(
        RuleSet::compile(vec![long_reply]),
        Err(RuleError::Reply {
            error: crate::action::ActionError::TextTooLong { bytes: 2_100, .. },
            ..
        })
    ));
}

#[test]
fn ids_windows_and_count_are_checked() {
    assert_eq!(
        RuleSet::compile(vec![rule("a", 0, exact("x")), rule("a", 1, exact("y"))]).unwrap_err(),
        RuleError::DuplicateId {
            rule_id: "a".into()
        }
    );
    assert_eq!(
        RuleSet::compile(vec![rule(" ", 0, exact("x"))]).unwrap_err(),
        RuleError::EmptyId { position: 0 }
    );
    let mut bad_window = rule("w", 0, exact("x"));
    bad_window.windows = vec![TimeWindow {
        days: Weekdays::EVERY_DAY,
        start_minute: 5,
        end_minute: 5,
    }];
    assert_eq!(
        RuleSet::compile(vec![bad_window]).unwrap_err(),
        RuleError::Window {
            rule_id: "w".into(),
            position: 0,
            error: WindowError::Empty { minute: 5 }
        }
    );
    let many: Vec<Rule> = (0..=MAX_RULES)
        .map(|i| rule(&format!("r{i}"), 0, exact("x")))
        .collect();
    assert_eq!(
        RuleSet::compile(many).unwrap_err(),
        RuleError::TooManyRules {
            count: 501,
            max: 500
        }
    );
}

#[test]
fn validate_rules_reports_every_problem() {
    let errors = validate_rules(&[
        rule("a", 0, regex("(")),
        rule("a", 0, exact("")),
        rule("fine", 0, exact("ok")),
    ]);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(matches!(errors[0], RuleError::InvalidRegex { .. }));
    assert!(matches!(errors[1], RuleError::DuplicateId { .. }));
    assert!(matches!(errors[2], RuleError::KeywordLength { .. }));
}

#[test]
fn rules_round_trip_through_json() {
    let json = r#"[
      {"id":"hours","priority":3,"matcher":{"type":"contains","value":["几点","营业时间"]},
       "reply":{"type":"text","value":"每天 9:00–22:00"},
       "windows":[{"days":["mon","tue","wed","thu","fri"],"start_minute":540,"end_minute":1320}]},
      {"id":"human","matcher":{"type":"exact","value":"人工"},
       "reply":{"type":"transfer_customer_service"},"enabled":false}
    ]"#;
    let set = RuleSet::from_json(json).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(
        matched(&set, "你们几点关门", WED_NOON).as_deref(),
        Some("hours")
    );
    assert_eq!(matched(&set, "人工", WED_NOON), None, "disabled in JSON");
    let back: Vec<Rule> =
        serde_json::from_str(&serde_json::to_string(set.rules()).unwrap()).unwrap();
    assert_eq!(back, set.rules());
    assert!(matches!(RuleSet::from_json("{"), Err(RuleError::Json(_))));
}

#[test]
fn empty_set_and_empty_message() {
    assert!(RuleSet::default().matching("anything", WED_NOON).is_none());
    let set = RuleSet::compile(vec![rule("a", 0, contains(&["a"]))]).unwrap();
    assert!(set.matching("", WED_NOON).is_none());
    assert!(!set.is_empty() && set.len() == 1);
}
