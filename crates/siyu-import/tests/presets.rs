#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Each preset reads its sample export exactly.

mod common;

use common::{read_all, where_};
use siyu_import::{Birthday, Fen, Format, Gender, IdentityKind, OrderState, Preset, TextEncoding};

/// 2024-03-01 12:30:45 in China (UTC+8).
const T_2024_03_01_123045: i64 = 1_709_267_445_000;

#[test]
fn taobao_orders_gbk_sample() {
    let (records, summary) = read_all("taobao_orders.csv", Preset::TaobaoOrders.spec());
    assert_eq!((summary.rows, summary.ok, summary.rejected), (15, 15, 0));
    let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
    // Line 4 holds a buyer message spanning two lines, so the next order starts on line 6.
    assert_eq!(lines, [2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);

    let first = &records[0];
    assert_eq!(first.idempotency_key, "taobao:order_id:3412345678901234567");
    assert_eq!(
        first.identity(IdentityKind::TaobaoNick),
        Some("tb_lixiaoyu")
    );
    assert_eq!(first.identity(IdentityKind::Phone), Some("+8613956781234"));
    assert_eq!(first.profile.name.as_deref(), Some("李晓雨"));
    assert_eq!(first.profile.province.as_deref(), Some("安徽"));
    assert_eq!(first.profile.city.as_deref(), Some("合肥"));
    let order = first.order.as_ref().unwrap();
    assert_eq!(order.order_id, "3412345678901234567");
    assert_eq!(order.amount, Fen(19_900));
    assert_eq!(order.state, Some(OrderState::Completed));
    assert_eq!(order.created_at, Some(T_2024_03_01_123045));
    assert_eq!(order.paid_at, Some(T_2024_03_01_123045 + 17_000));
    assert_eq!(order.items.as_deref(), Some("法式碎花连衣裙 春季新款"));
    assert_eq!(order.sku.as_deref(), Some("SYF-DR-001"));
    assert_eq!(order.quantity, Some(1));

    let amounts: Vec<i64> = records
        .iter()
        .map(|r| r.order.as_ref().unwrap().amount.0)
        .collect();
    assert_eq!(
        amounts,
        [
            19_900, 23_800, 11_900, 35_910, 0, 15_900, 52_700, 21_900, 10_900, 27_900, 4_990,
            31_800, 17_800, 119_900, 7_900
        ]
    );
    // An unpaid order has no payment time; "+86 139 1688 2233" normalises.
    let unpaid = &records[5];
    assert_eq!(
        unpaid.order.as_ref().unwrap().state,
        Some(OrderState::PendingPayment)
    );
    assert_eq!(unpaid.order.as_ref().unwrap().paid_at, None);
    assert_eq!(
        records[6].identity(IdentityKind::Phone),
        Some("+8613916882233")
    );
    assert_eq!(records[6].profile.city.as_deref(), Some("上海"));

    // Masked phones and nicks are warnings, never identities.
    assert_eq!(
        where_(&summary.warnings),
        [
            (3, "联系手机"),
            (4, "买家会员名"),
            (11, "买家会员名"),
            (11, "联系手机")
        ]
    );
    assert!(records[1].identity(IdentityKind::Phone).is_none());
    assert!(records[8].identities.is_empty());
}

#[test]
fn jd_orders_utf8_bom_sample() {
    let (records, summary) = read_all("jd_orders.csv", Preset::JdOrders.spec());
    assert_eq!((summary.rows, summary.ok, summary.rejected), (12, 12, 0));
    assert_eq!(records[0].line, 2);
    let first = &records[0];
    assert_eq!(first.idempotency_key, "jd:order_id:285634917203");
    assert_eq!(
        first.identity(IdentityKind::JdPin),
        Some("jd_5f3a9c2e1b7d4")
    );
    assert_eq!(first.identity(IdentityKind::Phone), Some("+8613912345678"));
    assert_eq!(first.profile.name.as_deref(), Some("张伟"));
    assert_eq!(
        (
            first.profile.province.as_deref(),
            first.profile.city.as_deref()
        ),
        (Some("安徽"), Some("合肥"))
    );
    // 应付金额 (what the customer pays) wins over 订单金额.
    assert_eq!(first.order.as_ref().unwrap().amount, Fen(8_800));
    assert_eq!(
        first.order.as_ref().unwrap().items.as_deref(),
        Some("山野咖啡 云南小粒咖啡豆 中度烘焙 454g")
    );
    assert_eq!(
        first.order.as_ref().unwrap().sku.as_deref(),
        Some("100012345678")
    );

    // "2024/3/6 8:05" is China time.
    let third = records[2].order.as_ref().unwrap();
    assert_eq!(third.created_at, Some(1_709_683_500_000));
    assert_eq!(third.paid_at, Some(1_709_683_560_000));
    assert_eq!(third.amount, Fen(5_990));
    assert_eq!(third.state, Some(OrderState::Paid));

    let states: Vec<_> = records
        .iter()
        .map(|r| r.order.as_ref().unwrap().state.unwrap())
        .collect();
    assert_eq!(states[4], OrderState::Closed);
    assert_eq!(states[5], OrderState::Closed);
    assert_eq!(states[1], OrderState::Shipped);
    assert_eq!(
        records[3].identity(IdentityKind::Phone),
        Some("+8618621003344")
    );
    assert_eq!(
        where_(&summary.warnings),
        [(3, "联系电话"), (10, "联系电话")]
    );
    // The repeat customer carries the same identities on both orders.
    assert_eq!(records[0].identities, records[10].identities);
}

#[test]
fn weibo_followers_sample() {
    let (records, summary) = read_all("weibo_followers.csv", Preset::WeiboFollowers.spec());
    assert_eq!((summary.rows, summary.ok, summary.rejected), (12, 12, 0));
    let first = &records[0];
    assert_eq!(first.line, 2);
    assert_eq!(first.idempotency_key, "weibo:weibo_uid:5512345678");
    assert_eq!(first.identity(IdentityKind::WeiboUid), Some("5512345678"));
    assert_eq!(
        first.profile.nickname.as_deref(),
        Some("合肥吃喝玩乐小分队")
    );
    assert_eq!(first.profile.gender, Some(Gender::Female));
    assert_eq!(
        (
            first.profile.province.as_deref(),
            first.profile.city.as_deref()
        ),
        (Some("安徽"), Some("合肥"))
    );
    assert_eq!(
        first.follow.as_ref().unwrap().followed_at,
        Some(1_707_912_900_000)
    );
    assert!(first.order.is_none() && first.membership.is_none());

    assert_eq!(records[6].profile.nickname.as_deref(), Some("小周,爱生活"));
    assert_eq!(records[5].profile.province, None); // 海外 美国
    assert_eq!(records[7].profile.gender, None);
    assert_eq!(
        records[10].follow.as_ref().unwrap().followed_at,
        Some(1_708_754_400_000)
    );
}

#[test]
fn pos_members_xlsx_sample() {
    let source = siyu_import::open(common::data("pos_members.xlsx")).unwrap();
    assert_eq!(source.format(), Format::Xlsx);
    assert_eq!(source.encoding(), None);

    let (records, summary) = read_all("pos_members.xlsx", Preset::PosMembers.spec());
    assert_eq!((summary.rows, summary.ok, summary.rejected), (12, 12, 0));
    assert!(summary.warnings.is_empty());
    let first = &records[0];
    assert_eq!(first.line, 2);
    assert_eq!(first.idempotency_key, "pos:member_card:SY0001001");
    assert_eq!(first.identity(IdentityKind::MemberCard), Some("SY0001001"));
    // A number cell holding a phone reads as its digits.
    assert_eq!(first.identity(IdentityKind::Phone), Some("+8613912345678"));
    assert_eq!(
        first.profile.birthday,
        Some(Birthday {
            year: Some(1988),
            month: 6,
            day: 15
        })
    );
    let m = first.membership.as_ref().unwrap();
    assert_eq!(m.card_number.as_deref(), Some("SY0001001"));
    assert_eq!(m.points, Some(1280));
    assert_eq!(m.total_spend, Some(Fen(356_050)));
    assert_eq!(m.store.as_deref(), Some("山野咖啡(合肥天鹅湖店)"));
    assert_eq!(m.level.as_deref(), Some("金卡"));
    // An Excel date-time cell is wall-clock China time.
    assert_eq!(m.opened_at, Some(1_684_549_800_000));

    assert_eq!(
        records[3].profile.birthday,
        Some(Birthday {
            year: None,
            month: 5,
            day: 12
        })
    );
    assert_eq!(
        records[4].identity(IdentityKind::Phone),
        Some("+8613955102345")
    );
    assert_eq!(
        records[4].membership.as_ref().unwrap().total_spend,
        Some(Fen(688_880))
    );
    assert_eq!(records[5].profile.birthday, None);
    assert_eq!(records[8].profile.gender, None);
    assert_eq!(
        records[9].profile.birthday,
        Some(Birthday {
            year: Some(2000),
            month: 2,
            day: 29
        })
    );
    assert_eq!(
        records[11].membership.as_ref().unwrap().opened_at,
        Some(1_709_254_800_000)
    );
}

#[test]
fn encodings_are_detected() {
    let gbk = siyu_import::open(common::data("taobao_orders.csv")).unwrap();
    assert_eq!(gbk.encoding(), Some(TextEncoding::Gb18030));
    let bom = siyu_import::open(common::data("jd_orders.csv")).unwrap();
    assert_eq!(bom.encoding(), Some(TextEncoding::Utf8));
    let plain = siyu_import::open(common::data("weibo_followers.csv")).unwrap();
    assert_eq!(plain.encoding(), Some(TextEncoding::Utf8));
}

#[test]
fn the_same_list_in_gbk_and_utf8_reads_the_same() {
    let (utf8, _) = read_all("weibo_followers.csv", Preset::WeiboFollowers.spec());
    let (gbk, _) = read_all("weibo_followers_gbk.csv", Preset::WeiboFollowers.spec());
    assert_eq!(utf8, gbk);
}
