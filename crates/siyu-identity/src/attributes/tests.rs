use proptest::prelude::*;

use super::*;

fn text(v: &str, at: i64) -> Stamped {
    Stamped {
        value: AttributeValue::Text(v.into()),
        updated_at: at,
    }
}

fn count(n: i64, at: i64) -> Stamped {
    Stamped {
        value: AttributeValue::Count(n),
        updated_at: at,
    }
}

fn attrs(fields: &[(&str, Stamped)]) -> Attributes {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn each_policy_picks_as_documented() {
    let mut policy = AttributePolicy::default();
    policy
        .fields
        .insert("nickname".into(), FieldPolicy::FirstNonEmpty);
    let s = attrs(&[
        (field::NAME, text("张三", 10)),
        (field::BIRTHDAY, text("1990-01-02", 20)),
        ("nickname", text("小张", 5)),
        (field::ORDER_COUNT, count(3, 10)),
        (field::CITY, text("", 50)),
    ]);
    let a = attrs(&[
        (field::NAME, text("张小三", 30)),
        (field::BIRTHDAY, text("1990-01-03", 5)),
        ("nickname", text("三哥", 99)),
        (field::ORDER_COUNT, count(4, 40)),
        (field::CITY, text("杭州", 1)),
        (field::ADDRESS, text("西湖区", 7)),
    ]);
    let m = merge_attributes(&s, &a, &policy);
    assert_eq!(m[field::NAME], text("张小三", 30), "most recent");
    assert_eq!(m[field::BIRTHDAY], text("1990-01-03", 5), "oldest");
    assert_eq!(
        m["nickname"],
        text("小张", 5),
        "first non-empty: the survivor's"
    );
    assert_eq!(
        m[field::ORDER_COUNT],
        count(7, 40),
        "sum, stamped with the later time"
    );
    assert_eq!(m[field::CITY], text("杭州", 1), "empty never wins");
    assert_eq!(m[field::ADDRESS], text("西湖区", 7), "only one side has it");
}

#[test]
fn ties_keep_the_survivor_and_sum_saturates() {
    let p = AttributePolicy::default();
    let s = attrs(&[
        (field::NAME, text("A", 5)),
        (field::POINTS, count(i64::MAX, 1)),
    ]);
    let a = attrs(&[(field::NAME, text("B", 5)), (field::POINTS, count(10, 1))]);
    let m = merge_attributes(&s, &a, &p);
    assert_eq!(m[field::NAME], text("A", 5));
    assert_eq!(m[field::POINTS], count(i64::MAX, 1));
}

#[test]
fn split_keeps_changes_made_after_the_merge_on_the_survivor() {
    let p = AttributePolicy::default();
    let s = attrs(&[
        (field::NAME, text("A", 1)),
        (field::ORDER_COUNT, count(2, 1)),
    ]);
    let a = attrs(&[
        (field::CITY, text("上海", 2)),
        (field::ORDER_COUNT, count(5, 2)),
    ]);
    let mut now = merge_attributes(&s, &a, &p);
    now.insert(field::ORDER_COUNT.into(), count(8, 20)); // one more order after the merge at 10
    now.insert(field::GENDER.into(), text("f", 15));
    let (survivor, restored) = split_attributes(&now, &s, &a, 10, &p);
    assert_eq!(restored, a);
    assert_eq!(survivor[field::ORDER_COUNT], count(3, 20));
    assert_eq!(survivor[field::GENDER], text("f", 15));
    assert_eq!(survivor[field::NAME], text("A", 1));
    assert!(
        !survivor.contains_key(field::CITY),
        "the city came with the absorbed profile"
    );
}

fn stamped() -> impl Strategy<Value = Stamped> {
    prop_oneof![
        ("[ab]{0,2}", 0i64..20).prop_map(|(t, at)| text(&t, at)),
        (-5i64..5, 0i64..20).prop_map(|(n, at)| count(n, at)),
    ]
}

fn attributes() -> impl Strategy<Value = Attributes> {
    let names = prop::sample::select(vec![
        field::NAME,
        field::BIRTHDAY,
        field::CITY,
        field::ORDER_COUNT,
        "x",
    ]);
    prop::collection::btree_map(names.prop_map(String::from), stamped(), 0..5)
}

fn policy() -> impl Strategy<Value = AttributePolicy> {
    let p = prop::sample::select(vec![
        FieldPolicy::MostRecent,
        FieldPolicy::Oldest,
        FieldPolicy::FirstNonEmpty,
        FieldPolicy::Sum,
    ]);
    (p.clone(), p).prop_map(|(default, name)| {
        let mut policy = AttributePolicy {
            default,
            ..AttributePolicy::default()
        };
        policy.fields.insert(field::NAME.into(), name);
        policy
    })
}

proptest! {
    #[test]
    fn split_undoes_merge_when_nothing_changed_since(s in attributes(), a in attributes(), p in policy()) {
        let merged = merge_attributes(&s, &a, &p);
        prop_assert_eq!(split_attributes(&merged, &s, &a, 20, &p), (s, a));
    }

    #[test]
    fn merge_never_loses_a_field_nor_prefers_empty(s in attributes(), a in attributes(), p in policy()) {
        let merged = merge_attributes(&s, &a, &p);
        for name in s.keys().chain(a.keys()) {
            let m = &merged[name];
            let any_full = [s.get(name), a.get(name)].into_iter().flatten().any(|v| !v.value.is_empty());
            prop_assert!(!any_full || !m.value.is_empty());
        }
    }
}
