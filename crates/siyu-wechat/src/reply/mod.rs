//! Passive replies (WECHAT.md 1.4): the XML returned as the callback's HTTP body.

mod parse;
mod render;

use crate::error::Result;
use crate::message::Message;

/// The body that means "no reply": WeChat does nothing and does not retry.
pub const SUCCESS: &str = "success";
/// Maximum articles in a news reply (WeChat allows 1 in reply to a user message since 2018).
pub const MAX_ARTICLES: usize = 8;

/// One article of a news reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Article {
    /// `Title`.
    pub title: String,
    /// `Description`.
    pub description: String,
    /// `PicUrl` (cover image).
    pub pic_url: String,
    /// `Url` (link target).
    pub url: String,
}

/// The type-specific part of a [`Reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyContent {
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`.
    Image {
        /// `Image/MediaId`.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// `Voice/MediaId`.
        media_id: String,
    },
    /// `video`.
    Video {
        /// `Video/MediaId`.
        media_id: String,
        /// `Video/Title`.
        title: String,
        /// `Video/Description`.
        description: String,
    },
    /// `music`.
    Music {
        /// `Music/Title`.
        title: String,
        /// `Music/Description`.
        description: String,
        /// `Music/MusicUrl`.
        music_url: String,
        /// `Music/HQMusicUrl`.
        hq_music_url: String,
        /// `Music/ThumbMediaId`.
        thumb_media_id: String,
    },
    /// `news` with 1..=8 articles.
    News {
        /// The articles.
        articles: Vec<Article>,
    },
    /// `transfer_customer_service`: hand the conversation to 客服.
    TransferCustomerService {
        /// `TransInfo/KfAccount`, to route to a specific agent.
        kf_account: Option<String>,
    },
}

/// A passive reply message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// `ToUserName`: the user's OpenID (the request's `FromUserName`).
    pub to_user_name: String,
    /// `FromUserName`: the account's `gh_…` id (the request's `ToUserName`).
    pub from_user_name: String,
    /// `CreateTime`, unix seconds.
    pub create_time: i64,
    /// Type-specific content.
    pub content: ReplyContent,
}

impl Reply {
    /// A reply to `msg`, with the addressing swapped as WeChat requires.
    pub fn to(msg: &Message, create_time: i64, content: ReplyContent) -> Reply {
        Reply {
            to_user_name: msg.header.from_user_name.clone(),
            from_user_name: msg.header.to_user_name.clone(),
            create_time,
            content,
        }
    }

    /// A text reply to `msg`.
    pub fn text(msg: &Message, create_time: i64, content: impl Into<String>) -> Reply {
        Self::to(
            msg,
            create_time,
            ReplyContent::Text {
                content: content.into(),
            },
        )
    }

    /// The `MsgType` this reply renders with.
    pub fn msg_type(&self) -> &'static str {
        match self.content {
            ReplyContent::Text { .. } => "text",
            ReplyContent::Image { .. } => "image",
            ReplyContent::Voice { .. } => "voice",
            ReplyContent::Video { .. } => "video",
            ReplyContent::Music { .. } => "music",
            ReplyContent::News { .. } => "news",
            ReplyContent::TransferCustomerService { .. } => "transfer_customer_service",
        }
    }

    /// Serializes to XML (strings in CDATA, `]]>` split safely).
    /// Fails for news with 0 or more than [`MAX_ARTICLES`] articles.
    pub fn to_xml(&self) -> Result<String> {
        render::render(self)
    }

    /// Parses reply XML (the inverse of [`to_xml`](Self::to_xml)).
    pub fn parse(xml: &[u8], limits: &crate::xml::XmlLimits) -> Result<Reply> {
        parse::parse(xml, limits)
    }
}

/// What a callback handler answers: nothing (`success`) or a reply message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassiveReply {
    /// The literal body `success`: no reply, no retry. May be sent unencrypted in any mode.
    Success,
    /// A reply message.
    Reply(Reply),
}

impl PassiveReply {
    /// The plaintext HTTP body (before any encryption).
    pub fn render(&self) -> Result<String> {
        match self {
            PassiveReply::Success => Ok(SUCCESS.to_owned()),
            PassiveReply::Reply(r) => r.to_xml(),
        }
    }
}

impl From<Reply> for PassiveReply {
    fn from(r: Reply) -> Self {
        PassiveReply::Reply(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::XmlLimits;

    fn reply(content: ReplyContent) -> Reply {
        Reply {
            to_user_name: "oUser".into(),
            from_user_name: "gh_1".into(),
            create_time: 12_345_678,
            content,
        }
    }

    #[test]
    fn text_reply_matches_wechatpy_layout() {
        let xml = reply(ReplyContent::Text {
            content: "你好".into(),
        })
        .to_xml()
        .unwrap();
        assert_eq!(
            xml,
            "<xml><ToUserName><![CDATA[oUser]]></ToUserName><FromUserName><![CDATA[gh_1]]></FromUserName>\
             <CreateTime>12345678</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>"
        );
    }

    #[test]
    fn news_needs_one_to_eight_articles() {
        let news = |n: usize| {
            reply(ReplyContent::News {
                articles: vec![Article::default(); n],
            })
        };
        assert!(matches!(
            news(0).to_xml(),
            Err(crate::WechatError::InvalidReply(_))
        ));
        assert!(news(9).to_xml().is_err());
        let one = news(1).to_xml().unwrap();
        assert!(one.contains("<ArticleCount>1</ArticleCount><Articles><item>"));
        // The single-article case wechatpy 1.8.18's deserializer crashes on.
        assert_eq!(
            Reply::parse(one.as_bytes(), &XmlLimits::default()).unwrap(),
            news(1)
        );
        assert!(news(8).to_xml().is_ok());
    }

    #[test]
    fn transfer_customer_service_and_success() {
        let r = reply(ReplyContent::TransferCustomerService {
            kf_account: Some("kf@x".into()),
        });
        let xml = r.to_xml().unwrap();
        assert!(xml.contains("<MsgType><![CDATA[transfer_customer_service]]></MsgType><TransInfo><KfAccount><![CDATA[kf@x]]></KfAccount></TransInfo>"));
        assert_eq!(
            Reply::parse(xml.as_bytes(), &XmlLimits::default()).unwrap(),
            r
        );
        assert_eq!(PassiveReply::Success.render().unwrap(), "success");
    }

    #[test]
    fn reply_to_swaps_addressing() {
        let m = crate::Message::parse_str(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
        )
        .unwrap();
        let r = Reply::text(&m, 2, "y");
        assert_eq!(
            (r.to_user_name.as_str(), r.from_user_name.as_str()),
            ("oUser", "gh_1")
        );
        assert_eq!(r.msg_type(), "text");
    }
}
