//! Temporary media upload (WECHAT.md 2.9).

use reqwest::Method;
use serde::Deserialize;

use super::core::{decode, CallOpts, Payload, Upload};
use super::WechatClient;
use crate::error::Result;

/// Kind of temporary media.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    /// Image (≤ 10 MB; PNG/JPEG/GIF).
    Image,
    /// Voice (≤ 2 MB, ≤ 60 s; AMR/MP3).
    Voice,
    /// Video (≤ 10 MB; MP4).
    Video,
    /// Thumbnail (≤ 64 KB; JPG).
    Thumb,
}

impl MediaType {
    /// The `type` query value.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::Video => "video",
            MediaType::Thumb => "thumb",
        }
    }
}

/// `media/upload` response; the id is kept 3 days.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UploadedMedia {
    /// `type`.
    #[serde(rename = "type", default)]
    pub media_type: String,
    /// `media_id` (`thumb_media_id` for thumbnails).
    #[serde(alias = "thumb_media_id")]
    pub media_id: String,
    /// Upload time (unix seconds).
    #[serde(default)]
    pub created_at: i64,
}

impl WechatClient {
    /// `POST /cgi-bin/media/upload?type=…` as multipart field `media`.
    pub async fn upload_media(
        &self,
        kind: MediaType,
        filename: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<UploadedMedia> {
        let payload = Payload::Multipart(Upload {
            field: "media",
            filename: filename.to_owned(),
            content_type: content_type.to_owned(),
            bytes,
        });
        let value = self
            .call(
                Method::POST,
                "/cgi-bin/media/upload",
                &[("type", kind.as_str())],
                payload,
                CallOpts::IDEMPOTENT,
            )
            .await?;
        decode(value)
    }
}
