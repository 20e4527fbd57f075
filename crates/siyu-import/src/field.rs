//! The target fields an export column can feed, with the keys a custom mapping names them by.

use crate::record::IdentityKind;

/// A field of a [`crate::Record`] that a column can be mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Platform order number.
    OrderId,
    /// Taobao buyer nickname (买家会员名), an identity.
    TaobaoNick,
    /// JD account (下单帐号, "pin"), an identity.
    JdPin,
    /// Weibo user id (UID), an identity.
    WeiboUid,
    /// Store membership card number, an identity.
    MemberCard,
    /// Mobile phone, an identity once normalised.
    Phone,
    /// E-mail address, an identity.
    Email,
    /// Real name or consignee name.
    Name,
    /// Display name on a platform (Weibo 昵称).
    Nickname,
    /// 男 / 女.
    Gender,
    /// Birthday, with or without year.
    Birthday,
    /// Province.
    Province,
    /// City.
    City,
    /// Province and city in one cell (`安徽 合肥`).
    Region,
    /// Street address; province and city are taken from it when not given separately.
    Address,
    /// Amount paid, in yuan.
    Amount,
    /// Order status wording.
    Status,
    /// When the order was created.
    CreatedAt,
    /// When the order was paid.
    PaidAt,
    /// Product titles.
    Items,
    /// Merchant's product code or platform product id.
    Sku,
    /// Number of items.
    Quantity,
    /// Loyalty points balance.
    Points,
    /// Total spend to date, in yuan.
    TotalSpend,
    /// Store where the card was opened.
    Store,
    /// When the card was opened.
    OpenedAt,
    /// Membership level (会员等级).
    Level,
    /// When the user followed.
    FollowedAt,
}

impl Field {
    /// Every field, in a stable order.
    pub const ALL: [Field; 28] = [
        Field::OrderId,
        Field::TaobaoNick,
        Field::JdPin,
        Field::WeiboUid,
        Field::MemberCard,
        Field::Phone,
        Field::Email,
        Field::Name,
        Field::Nickname,
        Field::Gender,
        Field::Birthday,
        Field::Province,
        Field::City,
        Field::Region,
        Field::Address,
        Field::Amount,
        Field::Status,
        Field::CreatedAt,
        Field::PaidAt,
        Field::Items,
        Field::Sku,
        Field::Quantity,
        Field::Points,
        Field::TotalSpend,
        Field::Store,
        Field::OpenedAt,
        Field::Level,
        Field::FollowedAt,
    ];

    /// The key a mapping file uses, e.g. `phone`, `order_id`.
    pub fn key(self) -> &'static str {
        match self {
            Field::OrderId => "order_id",
            Field::TaobaoNick => "taobao_nick",
            Field::JdPin => "jd_pin",
            Field::WeiboUid => "weibo_uid",
            Field::MemberCard => "member_card",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Name => "name",
            Field::Nickname => "nickname",
            Field::Gender => "gender",
            Field::Birthday => "birthday",
            Field::Province => "province",
            Field::City => "city",
            Field::Region => "region",
            Field::Address => "address",
            Field::Amount => "amount",
            Field::Status => "status",
            Field::CreatedAt => "created_at",
            Field::PaidAt => "paid_at",
            Field::Items => "items",
            Field::Sku => "sku",
            Field::Quantity => "quantity",
            Field::Points => "points",
            Field::TotalSpend => "total_spend",
            Field::Store => "store",
            Field::OpenedAt => "opened_at",
            Field::Level => "level",
            Field::FollowedAt => "followed_at",
        }
    }

    /// The field a mapping key names.
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The identity this field carries, if it is one.
    pub fn identity_kind(self) -> Option<IdentityKind> {
        match self {
            Field::TaobaoNick => Some(IdentityKind::TaobaoNick),
            Field::JdPin => Some(IdentityKind::JdPin),
            Field::WeiboUid => Some(IdentityKind::WeiboUid),
            Field::MemberCard => Some(IdentityKind::MemberCard),
            Field::Phone => Some(IdentityKind::Phone),
            Field::Email => Some(IdentityKind::Email),
            _ => None,
        }
    }

    /// Whether the field belongs to an order (and so makes the record carry one).
    pub fn is_order(self) -> bool {
        matches!(
            self,
            Field::OrderId
                | Field::Amount
                | Field::Status
                | Field::CreatedAt
                | Field::PaidAt
                | Field::Items
                | Field::Sku
                | Field::Quantity
        )
    }

    /// Whether the field belongs to a store membership.
    pub fn is_membership(self) -> bool {
        matches!(
            self,
            Field::MemberCard
                | Field::Points
                | Field::TotalSpend
                | Field::Store
                | Field::OpenedAt
                | Field::Level
        )
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_are_unique() {
        for f in Field::ALL {
            assert_eq!(Field::from_key(f.key()), Some(f));
        }
        let mut keys: Vec<_> = Field::ALL.iter().map(|f| f.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Field::ALL.len());
    }
}
