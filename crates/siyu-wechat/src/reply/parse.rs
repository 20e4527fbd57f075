//! XML → Reply (used for round-trip tests and for checking replies in conformance tests).

use super::{Article, Reply, ReplyContent, MAX_ARTICLES};
use crate::error::{Result, WechatError};
use crate::xml::{self, Element, XmlLimits};

pub(super) fn parse(input: &[u8], limits: &XmlLimits) -> Result<Reply> {
    let el = xml::parse(input, limits)?;
    let to_user_name = req(&el, "ToUserName")?;
    let from_user_name = req(&el, "FromUserName")?;
    let create_time = req(&el, "CreateTime")?
        .trim()
        .parse()
        .map_err(|_| WechatError::InvalidField("CreateTime"))?;
    let content = match req(&el, "MsgType")?.as_str() {
        "text" => ReplyContent::Text {
            content: req(&el, "Content")?,
        },
        "image" => ReplyContent::Image {
            media_id: sub(&el, "Image", "MediaId")?,
        },
        "voice" => ReplyContent::Voice {
            media_id: sub(&el, "Voice", "MediaId")?,
        },
        "video" => ReplyContent::Video {
            media_id: sub(&el, "Video", "MediaId")?,
            title: sub_or_empty(&el, "Video", "Title"),
            description: sub_or_empty(&el, "Video", "Description"),
        },
        "music" => ReplyContent::Music {
            title: sub_or_empty(&el, "Music", "Title"),
            description: sub_or_empty(&el, "Music", "Description"),
            music_url: sub_or_empty(&el, "Music", "MusicUrl"),
            hq_music_url: sub_or_empty(&el, "Music", "HQMusicUrl"),
            thumb_media_id: sub_or_empty(&el, "Music", "ThumbMediaId"),
        },
        "news" => news(&el)?,
        "transfer_customer_service" => ReplyContent::TransferCustomerService {
            kf_account: el
                .child("TransInfo")
                .and_then(|t| t.child_text("KfAccount"))
                .map(str::to_owned),
        },
        _ => return Err(WechatError::InvalidReply("unknown MsgType")),
    };
    Ok(Reply {
        to_user_name,
        from_user_name,
        create_time,
        content,
    })
}

fn news(el: &Element) -> Result<ReplyContent> {
    let items: Vec<&Element> = el
        .child("Articles")
        .ok_or(WechatError::MissingField("Articles"))?
        .children_named("item")
        .collect();
    let count: usize = req(el, "ArticleCount")?
        .trim()
        .parse()
        .map_err(|_| WechatError::InvalidField("ArticleCount"))?;
    if count != items.len() || items.is_empty() || items.len() > MAX_ARTICLES {
        return Err(WechatError::InvalidReply(
            "ArticleCount must match 1..=8 items",
        ));
    }
    let get = |i: &Element, n: &str| i.child_text(n).unwrap_or_default().to_owned();
    let articles = items
        .into_iter()
        .map(|i| Article {
            title: get(i, "Title"),
            description: get(i, "Description"),
            pic_url: get(i, "PicUrl"),
            url: get(i, "Url"),
        })
        .collect();
    Ok(ReplyContent::News { articles })
}

fn req(el: &Element, name: &'static str) -> Result<String> {
    el.child_text(name)
        .map(str::to_owned)
        .ok_or(WechatError::MissingField(name))
}

fn sub(el: &Element, outer: &'static str, name: &'static str) -> Result<String> {
    el.child(outer)
        .ok_or(WechatError::MissingField(outer))?
        .child_text(name)
        .map(str::to_owned)
        .ok_or(WechatError::MissingField(name))
}

fn sub_or_empty(el: &Element, outer: &str, name: &str) -> String {
    el.child(outer)
        .and_then(|o| o.child_text(name))
        .unwrap_or_default()
        .to_owned()
}
