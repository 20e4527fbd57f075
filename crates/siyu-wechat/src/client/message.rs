//! Active messages: customer-service and template messages (WECHAT.md 2.6, 2.7).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::core::CallOpts;
use super::{Ack, WechatClient};
use crate::error::Result;

/// `{"content": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextContent {
    /// The text.
    pub content: String,
}

/// `{"media_id": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaRef {
    /// A media id from the upload APIs.
    pub media_id: String,
}

/// A customer-service news article (exactly one per message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomArticle {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Link.
    pub url: String,
    /// Cover image URL.
    pub picurl: String,
}

/// Content of a customer-service message; serialized as `"msgtype": …, "<type>": {…}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
#[non_exhaustive]
pub enum CustomContent {
    /// Text.
    Text {
        /// Body.
        text: TextContent,
    },
    /// Image.
    Image {
        /// Media.
        image: MediaRef,
    },
    /// Voice.
    Voice {
        /// Media.
        voice: MediaRef,
    },
    /// Video: `{"media_id","thumb_media_id","title","description"}`.
    Video {
        /// Raw object.
        video: Value,
    },
    /// Music: `{"title","description","musicurl","hqmusicurl","thumb_media_id"}`.
    Music {
        /// Raw object.
        music: Value,
    },
    /// One news article (external link).
    News {
        /// `{"articles": [ … ]}`.
        news: BTreeMap<&'static str, Vec<CustomArticle>>,
    },
    /// A published article by media id.
    Mpnews {
        /// Media.
        mpnews: MediaRef,
    },
    /// A published article by article id: `{"article_id": …}`.
    Mpnewsarticle {
        /// Raw object.
        mpnewsarticle: Value,
    },
    /// Menu message: `{"head_content","list":[{"id","content"}],"tail_content"}`.
    Msgmenu {
        /// Raw object.
        msgmenu: Value,
    },
    /// Card: `{"card_id": …}`.
    Wxcard {
        /// Raw object.
        wxcard: Value,
    },
    /// Mini program card: `{"title","appid","pagepath","thumb_media_id"}`.
    Miniprogrampage {
        /// Raw object.
        miniprogrampage: Value,
    },
}

/// A customer-service (客服) message; only within 48 h of the user's last interaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomMessage {
    /// Recipient OpenID.
    pub touser: String,
    /// Content.
    #[serde(flatten)]
    pub content: CustomContent,
    /// `{"kf_account": …}` to send as a specific agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customservice: Option<Value>,
}

impl CustomMessage {
    /// A text message.
    pub fn text(touser: impl Into<String>, content: impl Into<String>) -> Self {
        Self::new(
            touser,
            CustomContent::Text {
                text: TextContent {
                    content: content.into(),
                },
            },
        )
    }

    /// An image message.
    pub fn image(touser: impl Into<String>, media_id: impl Into<String>) -> Self {
        Self::new(
            touser,
            CustomContent::Image {
                image: MediaRef {
                    media_id: media_id.into(),
                },
            },
        )
    }

    /// A one-article news message.
    pub fn news(touser: impl Into<String>, article: CustomArticle) -> Self {
        let news = BTreeMap::from([("articles", vec![article])]);
        Self::new(touser, CustomContent::News { news })
    }

    /// Any content.
    pub fn new(touser: impl Into<String>, content: CustomContent) -> Self {
        CustomMessage {
            touser: touser.into(),
            content,
            customservice: None,
        }
    }
}

/// A template field value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateValue {
    /// The value.
    pub value: String,
    /// Optional `#RRGGBB` colour (ignored by newer templates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
}

/// A mini program target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MiniProgram {
    /// Mini program AppID.
    pub appid: String,
    /// Page path with query.
    pub pagepath: String,
}

/// A template message (`message/template/send`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateMessage {
    /// Recipient OpenID.
    pub touser: String,
    /// Template id.
    pub template_id: String,
    /// Link (the mini program wins if both are set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Mini program target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<MiniProgram>,
    /// Dedupe id (per openid, 10 min); makes the call safe to retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// Field values by template key.
    pub data: BTreeMap<String, TemplateValue>,
}

impl TemplateMessage {
    /// An empty template message.
    pub fn new(touser: impl Into<String>, template_id: impl Into<String>) -> Self {
        TemplateMessage {
            touser: touser.into(),
            template_id: template_id.into(),
            url: None,
            miniprogram: None,
            client_msg_id: None,
            data: BTreeMap::new(),
        }
    }

    /// Adds one field value.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let value = TemplateValue {
            value: value.into(),
            color: None,
        };
        self.data.insert(key.into(), value);
        self
    }
}

#[derive(Deserialize)]
struct TemplateSent {
    #[serde(default)]
    msgid: u64,
}

impl WechatClient {
    /// `POST /cgi-bin/message/custom/send` (not retried on busy: not idempotent).
    pub async fn send_custom_message(&self, msg: &CustomMessage) -> Result<()> {
        let _: Ack = self
            .post("/cgi-bin/message/custom/send", msg, CallOpts::ONCE)
            .await?;
        Ok(())
    }

    /// `POST /cgi-bin/message/template/send`; returns `msgid`. Retried on busy only when
    /// `client_msg_id` is set.
    pub async fn send_template_message(&self, msg: &TemplateMessage) -> Result<u64> {
        let opts = if msg.client_msg_id.is_some() {
            CallOpts::IDEMPOTENT
        } else {
            CallOpts::ONCE
        };
        let sent: TemplateSent = self
            .post("/cgi-bin/message/template/send", msg, opts)
            .await?;
        Ok(sent.msgid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_message_shape() {
        let v = serde_json::to_value(CustomMessage::text("o1", "你好")).unwrap();
        assert_eq!(
            v,
            json!({"touser": "o1", "msgtype": "text", "text": {"content": "你好"}})
        );
        let s = serde_json::to_string(&CustomMessage::text("o1", "你好")).unwrap();
        assert!(s.contains("你好"), "Chinese must not be escaped: {s}");
    }

    #[test]
    fn template_shape() {
        let m = TemplateMessage::new("o1", "T1").field("k", "v");
        let v = serde_json::to_value(m).unwrap();
        assert_eq!(
            v,
            json!({"touser": "o1", "template_id": "T1", "data": {"k": {"value": "v"}}})
        );
    }
}
