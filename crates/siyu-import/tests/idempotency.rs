#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Idempotency keys are stable across reads, encodings and formats, and unique per entity.

mod common;

use std::collections::HashSet;

use common::read_all;
use siyu_import::Preset;

const SAMPLES: [(&str, Preset); 4] = [
    ("taobao_orders.csv", Preset::TaobaoOrders),
    ("jd_orders.csv", Preset::JdOrders),
    ("weibo_followers.csv", Preset::WeiboFollowers),
    ("pos_members.xlsx", Preset::PosMembers),
];

#[test]
fn two_reads_give_the_same_records_and_keys() {
    for (name, preset) in SAMPLES {
        let (first, _) = read_all(name, preset.spec());
        let (second, _) = read_all(name, preset.spec());
        assert_eq!(first, second, "{name}");
        let keys: HashSet<_> = first.iter().map(|r| r.idempotency_key.as_str()).collect();
        assert_eq!(
            keys.len(),
            first.len(),
            "{name}: keys must be unique per row"
        );
        assert!(keys
            .iter()
            .all(|k| k.starts_with(&format!("{}:", preset.source()))));
    }
}

#[test]
fn keys_do_not_depend_on_the_file_encoding() {
    let (utf8, _) = read_all("weibo_followers.csv", Preset::WeiboFollowers.spec());
    let (gbk, _) = read_all("weibo_followers_gbk.csv", Preset::WeiboFollowers.spec());
    let keys = |rs: &[siyu_import::Record]| {
        rs.iter()
            .map(|r| r.idempotency_key.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&utf8), keys(&gbk));
}

#[test]
fn keys_are_spelled_as_documented() {
    let expect = [
        (
            "taobao_orders.csv",
            Preset::TaobaoOrders,
            "taobao:order_id:3412345678901234567",
        ),
        (
            "jd_orders.csv",
            Preset::JdOrders,
            "jd:order_id:285634917203",
        ),
        (
            "weibo_followers.csv",
            Preset::WeiboFollowers,
            "weibo:weibo_uid:5512345678",
        ),
        (
            "pos_members.xlsx",
            Preset::PosMembers,
            "pos:member_card:SY0001001",
        ),
    ];
    for (name, preset, key) in expect {
        let (records, _) = read_all(name, preset.spec());
        assert_eq!(records[0].idempotency_key, key);
    }
}
