//! What the fake recorded, as returned by the inspection methods of
//! [`FakeWechat`](crate::FakeWechat).

use serde::Serialize;
use serde_json::Value;

/// One request as seen by the fake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/cgi-bin/user/info`.
    pub path: String,
    /// The `access_token` query parameter, if any.
    pub access_token: Option<String>,
    /// The errcode answered (0 for success).
    pub errcode: i64,
    /// Fake-clock time of the call (unix milliseconds).
    pub at_ms: i64,
}

/// A template message accepted by `message/template/send`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateRecord {
    /// The `msgid` answered.
    pub msgid: u64,
    /// The request body.
    pub body: Value,
}

/// A mass send accepted by `message/mass/sendall` or `message/mass/send`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MassRecord {
    /// Which API: `/cgi-bin/message/mass/sendall` or `/cgi-bin/message/mass/send`.
    pub path: String,
    /// The `msg_id` answered.
    pub msg_id: u64,
    /// The `msg_data_id` answered.
    pub msg_data_id: u64,
    /// The request body.
    pub body: Value,
}

/// A QR code created by `qrcode/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QrRecord {
    /// `QR_SCENE`, `QR_STR_SCENE`, `QR_LIMIT_SCENE` or `QR_LIMIT_STR_SCENE`.
    pub action_name: String,
    /// `scene_id` for the numeric kinds.
    pub scene_id: Option<u32>,
    /// `scene_str` for the string kinds.
    pub scene_str: Option<String>,
    /// Lifetime (temporary codes only).
    pub expire_seconds: Option<u32>,
    /// The ticket.
    pub ticket: String,
    /// The QR content URL (`http://weixin.qq.com/q/02…`).
    pub url: String,
    /// Creation time (unix seconds).
    pub created_at: i64,
}

impl QrRecord {
    /// Whether this is a permanent (`QR_LIMIT_*`) code.
    pub fn is_permanent(&self) -> bool {
        self.action_name.starts_with("QR_LIMIT_")
    }
}

/// A temporary media file uploaded with `media/upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaRecord {
    /// `image`, `voice`, `video` or `thumb`.
    pub media_type: String,
    /// The id answered.
    pub media_id: String,
    /// Multipart field name (WeChat requires `media`).
    pub field: String,
    /// File name of the part.
    pub filename: Option<String>,
    /// Content type of the part.
    pub content_type: Option<String>,
    /// Size in bytes.
    pub len: usize,
    /// Upload time (unix seconds).
    pub created_at: i64,
}

/// A tag and its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagRecord {
    /// Tag id (2 is the reserved 星标组; created tags start at 100).
    pub id: i64,
    /// Name.
    pub name: String,
    /// Member OpenIDs in tagging order.
    pub members: Vec<String>,
}

/// Recorded messages and objects.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub(crate) custom: Vec<Value>,
    pub(crate) templates: Vec<TemplateRecord>,
    pub(crate) mass: Vec<MassRecord>,
    pub(crate) qrcodes: Vec<QrRecord>,
    pub(crate) media: Vec<MediaRecord>,
}
