#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of normalisation, time windows and rule matching.

use proptest::prelude::*;
use siyu_replies::rules::{china_day_and_minute, Weekday, MINUTES_PER_DAY};
use siyu_replies::{normalize, Matcher, ReplyAction, Rule, RuleSet, TimeWindow, Weekdays};

const WEEK_MS: i64 = 7 * 86_400_000;

fn days() -> impl Strategy<Value = Weekdays> {
    (1u8..128).prop_map(|bits| {
        Weekday::ALL
            .into_iter()
            .filter(|d| bits & (1 << d.index()) != 0)
            .collect()
    })
}

proptest! {
    #[test]
    fn normalize_is_idempotent(s in "\\PC{0,40}") {
        let once = normalize(&s);
        prop_assert_eq!(normalize(&once), once.clone());
        prop_assert_eq!(once.trim(), once.as_str());
    }

    #[test]
    fn full_width_ascii_folds_to_ascii(s in "[!-~]{1,20}") {
        let wide: String = s.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap()).collect();
        prop_assert_eq!(normalize(&wide), normalize(&s));
    }

    #[test]
    fn windows_repeat_every_week(
        days in days(), start in 0u16..MINUTES_PER_DAY, end in 0u16..=MINUTES_PER_DAY,
        now in -2_000_000_000_000i64..4_000_000_000_000,
    ) {
        prop_assume!(start != end);
        let w = TimeWindow::new(days, start, end).unwrap();
        prop_assert_eq!(w.contains(now), w.contains(now + WEEK_MS));
    }

    #[test]
    fn overnight_window_is_evening_plus_next_morning(
        days in days(), end in 0u16..720, start in 720u16..MINUTES_PER_DAY,
        now in 0i64..2_000_000_000_000,
    ) {
        let overnight = TimeWindow::new(days, start, end).unwrap();
        let evening = TimeWindow::new(days, start, MINUTES_PER_DAY).unwrap();
        let next_days: Weekdays = Weekday::ALL
            .into_iter()
            .filter(|d| days.contains(d.previous()))
            .collect();
        let morning = (end > 0).then(|| TimeWindow::new(next_days, 0, end).unwrap());
        let expected = evening.contains(now) || morning.is_some_and(|m| m.contains(now));
        prop_assert_eq!(overnight.contains(now), expected);
        // The clock helper stays within the day.
        prop_assert!(china_day_and_minute(now).1 < MINUTES_PER_DAY);
    }

    #[test]
    fn the_winner_is_the_best_matching_rule(
        priorities in proptest::collection::vec(-3i32..3, 1..12),
        enabled in proptest::collection::vec(any::<bool>(), 12),
    ) {
        // Every rule matches "退货"; the winner must be the first in (priority desc, kind, id).
        let rules: Vec<Rule> = priorities.iter().enumerate().map(|(i, &priority)| Rule {
            id: format!("r{i:02}"),
            priority,
            matcher: match i % 3 {
                0 => Matcher::Exact("退货".into()),
                1 => Matcher::Contains(vec!["退".into()]),
                _ => Matcher::Regex("货$".into()),
            },
            reply: ReplyAction::Text(format!("{i}")),
            windows: Vec::new(),
            enabled: enabled[i],
        }).collect();
        let expected = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.enabled)
            .min_by_key(|(i, r)| (-r.priority, i % 3, r.id.clone()))
            .map(|(_, r)| r.id.clone());
        let set = RuleSet::compile(rules).unwrap();
        prop_assert_eq!(set.matching("退货", 0).map(|r| r.id.clone()), expected);
    }
}
