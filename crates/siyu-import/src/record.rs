//! The typed, validated output of one export row.
//!
//! One struct serves every preset: the sections present depend on which fields the preset or
//! mapping reads. Taobao and JD orders always carry [`Record::order`]; POS members always carry
//! [`Record::membership`]; Weibo followers always carry [`Record::follow`].

use serde::Serialize;
use siyu_domain::Fen;

use crate::error::RowError;
use crate::parse::attrs::{Birthday, Gender, OrderState};

/// One valid row, ready for the server to stitch and store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The row's line (header = line 1).
    pub line: u64,
    /// Stable key of what this row describes, e.g. `taobao:order:3412345678901234567`; storing a
    /// record whose key is already stored with the same content must change nothing.
    pub idempotency_key: String,
    /// Identities that name the customer on each channel (possibly none, e.g. a Taobao order
    /// whose buyer and phone are both masked).
    pub identities: Vec<Identity>,
    /// What the row says about the customer.
    pub profile: Profile,
    /// The order, for order exports.
    pub order: Option<Order>,
    /// The store membership, for member lists.
    pub membership: Option<Membership>,
    /// The follow, for follower lists.
    pub follow: Option<Follow>,
    /// Fields dropped without rejecting the row (masked phone, unreadable gender…).
    pub warnings: Vec<RowError>,
}

impl Record {
    /// The first identity of `kind`, if any.
    pub fn identity(&self, kind: IdentityKind) -> Option<&str> {
        self.identities
            .iter()
            .find(|i| i.kind == kind)
            .map(|i| i.value.as_str())
    }
}

/// Which channel an identity belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    /// Taobao buyer nickname (买家会员名).
    TaobaoNick,
    /// JD account ("pin", 下单帐号).
    JdPin,
    /// Weibo UID.
    WeiboUid,
    /// Store membership card number.
    MemberCard,
    /// Mainland mobile number in E.164.
    Phone,
    /// E-mail address.
    Email,
}

impl IdentityKind {
    /// The stable name used in idempotency keys and by the server, e.g. `jd_pin`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityKind::TaobaoNick => "taobao_nick",
            IdentityKind::JdPin => "jd_pin",
            IdentityKind::WeiboUid => "weibo_uid",
            IdentityKind::MemberCard => "member_card",
            IdentityKind::Phone => "phone",
            IdentityKind::Email => "email",
        }
    }
}

/// A customer's id on one channel.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Identity {
    /// The channel.
    pub kind: IdentityKind,
    /// The normalised value (phones in E.164).
    pub value: String,
}

impl std::fmt::Debug for Identity {
    /// Phones and e-mails are masked: records may end up in logs, personal data may not (PIPL).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = match self.kind {
            IdentityKind::Phone | IdentityKind::Email => mask(&self.value),
            _ => self.value.clone(),
        };
        write!(f, "{}:{}", self.kind.as_str(), shown)
    }
}

fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let keep = chars.len() / 4;
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}****{tail}")
}

/// Customer attributes; all optional because exports differ in what they carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Profile {
    /// Real or consignee name.
    pub name: Option<String>,
    /// Platform display name.
    pub nickname: Option<String>,
    /// Gender when stated.
    pub gender: Option<Gender>,
    /// Birthday when stated.
    pub birthday: Option<Birthday>,
    /// Short province name, e.g. `安徽`.
    pub province: Option<String>,
    /// Short city name, e.g. `合肥`.
    pub city: Option<String>,
    /// Full address as written.
    pub address: Option<String>,
}

/// An order from a platform export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// The platform's order number.
    pub order_id: String,
    /// What the buyer paid.
    pub amount: Fen,
    /// Status as classified, when the export has one.
    pub state: Option<OrderState>,
    /// Status wording as the platform wrote it.
    pub status_text: Option<String>,
    /// Creation time, Unix milliseconds.
    pub created_at: Option<i64>,
    /// Payment time, Unix milliseconds (absent while unpaid).
    pub paid_at: Option<i64>,
    /// Product titles as exported.
    pub items: Option<String>,
    /// Merchant product code or platform product id.
    pub sku: Option<String>,
    /// Number of items.
    pub quantity: Option<i64>,
}

/// A store membership from a POS member list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// Card number.
    pub card_number: Option<String>,
    /// Points balance.
    pub points: Option<i64>,
    /// Total spend to date.
    pub total_spend: Option<Fen>,
    /// Store where the card was opened.
    pub store: Option<String>,
    /// When the card was opened, Unix milliseconds.
    pub opened_at: Option<i64>,
    /// Membership level wording.
    pub level: Option<String>,
}

/// A follow on a social platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Follow {
    /// When the user followed, Unix milliseconds.
    pub followed_at: Option<i64>,
}
