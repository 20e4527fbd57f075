//! The export formats siyu knows by heart, with the column names those exports really use.
//!
//! The first name in each list is the one the platform writes today; the rest are older or
//! neighbouring wordings (帐号/账号, 订单号/订单编号…). Headers match after trimming (Taobao pads
//! some, e.g. `订单付款时间 `), ignoring ASCII case and full-width punctuation. Unknown extra
//! columns are ignored.

use crate::field::Field;
use crate::spec::{ColumnSpec, Need, Spec};

/// A known export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Taobao / Tmall seller centre 订单报表 (CSV, usually GBK).
    TaobaoOrders,
    /// JD merchant back office order export (CSV with BOM, or XLSX).
    JdOrders,
    /// Weibo follower list (粉丝列表) export.
    WeiboFollowers,
    /// A store POS member list (会员列表), typically XLSX.
    PosMembers,
}

type Columns = &'static [(Field, &'static [&'static str], Need)];

const TAOBAO: Columns = &[
    (
        Field::OrderId,
        &["订单编号", "订单号", "主订单编号", "订单ID"],
        Need::Value,
    ),
    (
        Field::TaobaoNick,
        &["买家会员名", "买家昵称", "买家账号", "买家帐号", "会员名"],
        Need::Column,
    ),
    (
        Field::Amount,
        &[
            "买家实际支付金额",
            "实付金额",
            "买家实付金额",
            "实际支付金额",
            "实收款",
        ],
        Need::Value,
    ),
    (Field::Status, &["订单状态"], Need::Column),
    (
        Field::CreatedAt,
        &["订单创建时间", "创建时间", "下单时间"],
        Need::Value,
    ),
    (
        Field::PaidAt,
        &["订单付款时间", "付款时间", "支付时间"],
        Need::Optional,
    ),
    (Field::Name, &["收货人姓名", "收货人"], Need::Optional),
    (
        Field::Address,
        &["收货地址", "收货人地址", "详细地址"],
        Need::Optional,
    ),
    (
        Field::Phone,
        &["联系手机", "收货人手机", "手机", "手机号"],
        Need::Optional,
    ),
    (
        Field::Items,
        &["宝贝标题", "商品标题", "宝贝名称", "商品名称"],
        Need::Optional,
    ),
    (
        Field::Sku,
        &["商家编码", "商品编码", "外部系统编号"],
        Need::Optional,
    ),
    (
        Field::Quantity,
        &["宝贝总数量", "购买数量", "宝贝数量", "数量"],
        Need::Optional,
    ),
];

const JD: Columns = &[
    (Field::OrderId, &["订单号", "订单编号"], Need::Value),
    (
        Field::JdPin,
        &[
            "下单帐号",
            "下单账号",
            "客户账号",
            "客户帐号",
            "用户账号",
            "京东账号",
            "用户PIN",
            "PIN",
        ],
        Need::Column,
    ),
    (
        Field::Amount,
        &["应付金额", "订单金额", "实付金额", "实际支付金额"],
        Need::Value,
    ),
    (Field::Status, &["订单状态"], Need::Column),
    (Field::CreatedAt, &["下单时间", "订单创建时间"], Need::Value),
    (
        Field::PaidAt,
        &["付款确认时间", "支付时间", "付款时间"],
        Need::Optional,
    ),
    (
        Field::Name,
        &["客户姓名", "收货人", "收货人姓名"],
        Need::Optional,
    ),
    (
        Field::Phone,
        &[
            "联系电话",
            "客户手机号",
            "手机号",
            "收货人手机",
            "收货人电话",
        ],
        Need::Optional,
    ),
    (
        Field::Address,
        &["客户地址", "收货地址", "收货人地址"],
        Need::Optional,
    ),
    (Field::Items, &["商品名称"], Need::Optional),
    (
        Field::Sku,
        &["商品ID", "商品编号", "SKU", "货号"],
        Need::Optional,
    ),
    (
        Field::Quantity,
        &["订购数量", "商品数量", "数量"],
        Need::Optional,
    ),
];

const WEIBO: Columns = &[
    (
        Field::WeiboUid,
        &["用户ID", "UID", "微博ID", "微博UID"],
        Need::Value,
    ),
    (
        Field::Nickname,
        &["昵称", "用户昵称", "微博昵称"],
        Need::Column,
    ),
    (Field::Gender, &["性别"], Need::Optional),
    (
        Field::Region,
        &["所在地", "地区", "所在地区"],
        Need::Optional,
    ),
    (Field::FollowedAt, &["关注时间", "关注日期"], Need::Optional),
];

const POS: Columns = &[
    (
        Field::MemberCard,
        &["会员卡号", "卡号", "会员号", "会员编号"],
        Need::Value,
    ),
    (
        Field::Name,
        &["姓名", "会员姓名", "顾客姓名", "客户姓名"],
        Need::Column,
    ),
    (
        Field::Phone,
        &["手机号", "手机", "手机号码", "联系电话", "电话"],
        Need::Column,
    ),
    (Field::Gender, &["性别"], Need::Optional),
    (
        Field::Birthday,
        &["生日", "出生日期", "会员生日"],
        Need::Optional,
    ),
    (
        Field::Points,
        &["积分", "当前积分", "可用积分", "剩余积分"],
        Need::Optional,
    ),
    (
        Field::TotalSpend,
        &["累计消费", "累计消费金额", "消费总额", "累计消费(元)"],
        Need::Optional,
    ),
    (
        Field::Store,
        &["开卡门店", "所属门店", "开卡店铺", "门店"],
        Need::Optional,
    ),
    (
        Field::OpenedAt,
        &["开卡时间", "开卡日期", "注册时间", "入会时间"],
        Need::Optional,
    ),
    (
        Field::Level,
        &["会员等级", "等级", "卡类型"],
        Need::Optional,
    ),
    (
        Field::Email,
        &["邮箱", "电子邮箱", "Email", "E-mail"],
        Need::Optional,
    ),
];

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 4] = [
        Preset::TaobaoOrders,
        Preset::JdOrders,
        Preset::WeiboFollowers,
        Preset::PosMembers,
    ];

    /// The CLI name, e.g. `taobao-orders`.
    pub fn name(self) -> &'static str {
        match self {
            Preset::TaobaoOrders => "taobao-orders",
            Preset::JdOrders => "jd-orders",
            Preset::WeiboFollowers => "weibo-followers",
            Preset::PosMembers => "pos-members",
        }
    }

    /// The preset a CLI name selects.
    pub fn parse(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The prefix of this preset's idempotency keys: `taobao`, `jd`, `weibo`, `pos`.
    pub fn source(self) -> &'static str {
        match self {
            Preset::TaobaoOrders => "taobao",
            Preset::JdOrders => "jd",
            Preset::WeiboFollowers => "weibo",
            Preset::PosMembers => "pos",
        }
    }

    /// How messages name this kind of file.
    pub fn label(self) -> &'static str {
        match self {
            Preset::TaobaoOrders => "a Taobao order export (淘宝订单报表)",
            Preset::JdOrders => "a JD order export (京东订单)",
            Preset::WeiboFollowers => "a Weibo follower export (微博粉丝)",
            Preset::PosMembers => "a store POS member list (门店会员)",
        }
    }

    /// The columns this preset reads: field, accepted header names, and how much it needs them.
    pub fn columns(self) -> &'static [(Field, &'static [&'static str], Need)] {
        match self {
            Preset::TaobaoOrders => TAOBAO,
            Preset::JdOrders => JD,
            Preset::WeiboFollowers => WEIBO,
            Preset::PosMembers => POS,
        }
    }

    /// The field whose value keys each row.
    pub fn key_field(self) -> Field {
        match self {
            Preset::TaobaoOrders | Preset::JdOrders => Field::OrderId,
            Preset::WeiboFollowers => Field::WeiboUid,
            Preset::PosMembers => Field::MemberCard,
        }
    }

    /// The reading specification for this preset.
    pub fn spec(self) -> Spec {
        let columns = self
            .columns()
            .iter()
            .map(|(field, headers, need)| ColumnSpec {
                field: *field,
                headers: headers.iter().map(|h| (*h).to_string()).collect(),
                need: *need,
            })
            .collect();
        Spec::new(self.source(), self.label(), columns, self.key_field())
            .with_follow(self == Preset::WeiboFollowers)
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_keys_are_value_required() {
        for p in Preset::ALL {
            assert_eq!(Preset::parse(p.name()), Some(p));
            let key = p.columns().iter().find(|(f, _, _)| *f == p.key_field());
            assert!(matches!(key, Some((_, _, Need::Value))), "{p}");
        }
    }
}
