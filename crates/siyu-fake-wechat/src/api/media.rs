//! Temporary media, `POST /cgi-bin/media/upload?type=…` with multipart field `media`
//! (WECHAT.md 2.9).

use serde_json::json;

use super::{Req, ReqBody};
use crate::errors::{
    fail, ApiResult, INVALID_FILE_TYPE, INVALID_IMAGE_SIZE, INVALID_MEDIA_TYPE, INVALID_THUMB_SIZE,
    INVALID_VIDEO_SIZE, INVALID_VOICE_SIZE, MEDIA_DATA_MISSING,
};
use crate::ids;
use crate::records::MediaRecord;
use crate::state::World;

const MB: usize = 1024 * 1024;

/// Size limit, its errcode and the accepted file extensions for a media type.
fn limits(kind: &str) -> Option<(usize, i64, &'static [&'static str])> {
    Some(match kind {
        "image" => (
            10 * MB,
            INVALID_IMAGE_SIZE,
            &["png", "jpg", "jpeg", "gif", "bmp"],
        ),
        "voice" => (2 * MB, INVALID_VOICE_SIZE, &["amr", "mp3"]),
        "video" => (10 * MB, INVALID_VIDEO_SIZE, &["mp4"]),
        "thumb" => (64 * 1024, INVALID_THUMB_SIZE, &["jpg", "jpeg"]),
        _ => return None,
    })
}

/// → `{"type","media_id","created_at"}` (`thumb_media_id` for thumbnails). 40004 bad type,
/// 41005 no `media` part, 40005 wrong file extension, 40009..40012 too large.
pub(crate) fn upload(w: &mut World, r: &Req<'_>) -> ApiResult {
    let kind = r.query("type").unwrap_or_default();
    let Some((max_len, size_code, extensions)) = limits(kind) else {
        return fail(INVALID_MEDIA_TYPE);
    };
    let ReqBody::Multipart(Some(parts)) = r.body else {
        return fail(MEDIA_DATA_MISSING);
    };
    let Some(part) = parts
        .iter()
        .find(|p| p.name == "media" && !p.bytes.is_empty())
    else {
        return fail(MEDIA_DATA_MISSING);
    };
    let ext = part
        .filename
        .as_deref()
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, e)| e.to_ascii_lowercase());
    if ext.is_some_and(|e| !extensions.contains(&e.as_str())) {
        return fail(INVALID_FILE_TYPE);
    }
    if part.bytes.len() > max_len {
        return fail(size_code);
    }
    let media_id = ids::media_id(&mut w.rng);
    let created_at = r.now_secs();
    w.records.media.push(MediaRecord {
        media_type: kind.to_owned(),
        media_id: media_id.clone(),
        field: part.name.clone(),
        filename: part.filename.clone(),
        content_type: part.content_type.clone(),
        len: part.bytes.len(),
        created_at,
    });
    let id_key = if kind == "thumb" {
        "thumb_media_id"
    } else {
        "media_id"
    };
    Ok(json!({"type": kind, id_key: media_id, "created_at": created_at}))
}
