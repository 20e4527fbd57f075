//! Reply → XML.

use super::{Reply, ReplyContent, MAX_ARTICLES};
use crate::error::{Result, WechatError};
use crate::xml::{push_cdata_element, push_element};

pub(super) fn render(r: &Reply) -> Result<String> {
    let mut out = String::with_capacity(256);
    out.push_str("<xml>");
    push_cdata_element(&mut out, "ToUserName", &r.to_user_name);
    push_cdata_element(&mut out, "FromUserName", &r.from_user_name);
    push_element(&mut out, "CreateTime", r.create_time);
    push_cdata_element(&mut out, "MsgType", r.msg_type());
    match &r.content {
        ReplyContent::Text { content } => push_cdata_element(&mut out, "Content", content),
        ReplyContent::Image { media_id } => wrap(&mut out, "Image", &[("MediaId", media_id)]),
        ReplyContent::Voice { media_id } => wrap(&mut out, "Voice", &[("MediaId", media_id)]),
        ReplyContent::Video {
            media_id,
            title,
            description,
        } => wrap(
            &mut out,
            "Video",
            &[
                ("MediaId", media_id),
                ("Title", title),
                ("Description", description),
            ],
        ),
        ReplyContent::Music {
            title,
            description,
            music_url,
            hq_music_url,
            thumb_media_id,
        } => wrap(
            &mut out,
            "Music",
            &[
                ("Title", title),
                ("Description", description),
                ("MusicUrl", music_url),
                ("HQMusicUrl", hq_music_url),
                ("ThumbMediaId", thumb_media_id),
            ],
        ),
        ReplyContent::News { articles } => {
            if articles.is_empty() || articles.len() > MAX_ARTICLES {
                return Err(WechatError::InvalidReply("news needs 1..=8 articles"));
            }
            push_element(&mut out, "ArticleCount", articles.len());
            out.push_str("<Articles>");
            for a in articles {
                wrap(
                    &mut out,
                    "item",
                    &[
                        ("Title", &a.title),
                        ("Description", &a.description),
                        ("PicUrl", &a.pic_url),
                        ("Url", &a.url),
                    ],
                );
            }
            out.push_str("</Articles>");
        }
        ReplyContent::TransferCustomerService { kf_account } => {
            if let Some(kf) = kf_account {
                wrap(&mut out, "TransInfo", &[("KfAccount", kf)]);
            }
        }
    }
    out.push_str("</xml>");
    Ok(out)
}

fn wrap(out: &mut String, name: &str, fields: &[(&str, &String)]) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    for (k, v) in fields {
        push_cdata_element(out, k, v);
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}
