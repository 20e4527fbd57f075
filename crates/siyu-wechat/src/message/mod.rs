//! Typed inbound messages and events (WECHAT.md 1.3).
//!
//! Parsing is lenient about unknown fields and types (kept raw, never rejected) and strict
//! about the header and about malformed numbers.

mod event;
mod fields;

pub use event::{
    Event, MassSendJobFinish, ScanCodeInfo, SendLocationInfo, SendPicsInfo, VerifyNotice,
    QRSCENE_PREFIX,
};
pub use fields::Fields;

use crate::error::{Result, WechatError};
use crate::xml::{self, Element, XmlLimits};
use fields::{num, opt, text};

/// Fields every callback carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// `ToUserName`: the account's original id (`gh_…`).
    pub to_user_name: String,
    /// `FromUserName`: the user's OpenID.
    pub from_user_name: String,
    /// `CreateTime`: unix seconds.
    pub create_time: i64,
    /// `MsgType` exactly as sent (`text`, `event`, …).
    pub msg_type: String,
    /// `MsgId` (messages only; events have none, job-finish events use `MsgID`).
    pub msg_id: Option<u64>,
}

/// The type-specific part of a [`Message`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MessageKind {
    /// `text`.
    Text {
        /// `Content`.
        content: String,
    },
    /// `image`.
    Image {
        /// `PicUrl`.
        pic_url: String,
        /// `MediaId`.
        media_id: String,
    },
    /// `voice`.
    Voice {
        /// `MediaId`.
        media_id: String,
        /// `Format` (`amr`, `speex`, …).
        format: String,
        /// `Recognition`, only with speech recognition enabled.
        recognition: Option<String>,
    },
    /// `video`.
    Video {
        /// `MediaId`.
        media_id: String,
        /// `ThumbMediaId`.
        thumb_media_id: String,
    },
    /// `shortvideo`.
    ShortVideo {
        /// `MediaId`.
        media_id: String,
        /// `ThumbMediaId`.
        thumb_media_id: String,
    },
    /// `location`.
    Location {
        /// `Location_X`.
        latitude: f64,
        /// `Location_Y`.
        longitude: f64,
        /// `Scale`.
        scale: Option<String>,
        /// `Label`.
        label: String,
    },
    /// `link`.
    Link {
        /// `Title`.
        title: String,
        /// `Description`.
        description: String,
        /// `Url`.
        url: String,
    },
    /// `event`.
    Event(Event),
    /// Any other `MsgType`, kept raw.
    Unknown {
        /// All top-level leaf fields.
        fields: Fields,
    },
}

/// One parsed callback: header, typed payload and the raw element tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Common header.
    pub header: Header,
    /// Typed payload.
    pub kind: MessageKind,
    /// The whole `<xml>` tree, for fields not modelled here (e.g. `MsgDataId`, `Idx`).
    pub raw: Element,
}

impl Message {
    /// Parses inbound XML with the hardened parser under `limits`.
    pub fn parse(xml: &[u8], limits: &XmlLimits) -> Result<Message> {
        Self::from_element(xml::parse(xml, limits)?)
    }

    /// Parses with [`XmlLimits::default`].
    pub fn parse_str(xml: &str) -> Result<Message> {
        Self::parse(xml.as_bytes(), &XmlLimits::default())
    }

    /// Builds a message from an already parsed tree.
    pub fn from_element(el: Element) -> Result<Message> {
        let header = Header {
            to_user_name: required(&el, "ToUserName")?,
            from_user_name: required(&el, "FromUserName")?,
            create_time: num(&el, "CreateTime")?.ok_or(WechatError::MissingField("CreateTime"))?,
            msg_type: required(&el, "MsgType")?,
            msg_id: num(&el, "MsgId")?,
        };
        let kind = parse_kind(&header.msg_type, &el)?;
        Ok(Message {
            header,
            kind,
            raw: el,
        })
    }

    /// The event, if this is `MsgType=event`.
    pub fn event(&self) -> Option<&Event> {
        match &self.kind {
            MessageKind::Event(e) => Some(e),
            _ => None,
        }
    }

    /// A top-level field of the raw XML.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.raw.child_text(name)
    }

    /// Key for deduplicating WeChat's retries (WECHAT.md 1.5): `msg:<MsgId>` for messages,
    /// `event:<FromUserName>:<CreateTime>:<Event>:<EventKey>` for events (and for messages
    /// that lack a `MsgId`).
    pub fn dedupe_key(&self) -> String {
        match (&self.kind, self.header.msg_id) {
            (MessageKind::Event(_), _) | (_, None) => format!(
                "event:{}:{}:{}:{}",
                self.header.from_user_name,
                self.header.create_time,
                self.field("Event").unwrap_or_default(),
                self.field("EventKey").unwrap_or_default()
            ),
            (_, Some(id)) => format!("msg:{id}"),
        }
    }
}

fn required(el: &Element, name: &'static str) -> Result<String> {
    el.child_text(name)
        .map(str::to_owned)
        .ok_or(WechatError::MissingField(name))
}

fn parse_kind(msg_type: &str, el: &Element) -> Result<MessageKind> {
    Ok(match msg_type {
        "text" => MessageKind::Text {
            content: text(el, "Content"),
        },
        "image" => MessageKind::Image {
            pic_url: text(el, "PicUrl"),
            media_id: text(el, "MediaId"),
        },
        "voice" => MessageKind::Voice {
            media_id: text(el, "MediaId"),
            format: text(el, "Format"),
            recognition: opt(el, "Recognition"),
        },
        "video" => MessageKind::Video {
            media_id: text(el, "MediaId"),
            thumb_media_id: text(el, "ThumbMediaId"),
        },
        "shortvideo" => MessageKind::ShortVideo {
            media_id: text(el, "MediaId"),
            thumb_media_id: text(el, "ThumbMediaId"),
        },
        "location" => MessageKind::Location {
            latitude: fields::num_or_default(el, "Location_X")?,
            longitude: fields::num_or_default(el, "Location_Y")?,
            scale: opt(el, "Scale"),
            label: text(el, "Label"),
        },
        "link" => MessageKind::Link {
            title: text(el, "Title"),
            description: text(el, "Description"),
            url: text(el, "Url"),
        },
        "event" => MessageKind::Event(event::parse_event(el)?),
        _ => MessageKind::Unknown {
            fields: el.leaf_fields(),
        },
    })
}

#[cfg(test)]
mod tests;
