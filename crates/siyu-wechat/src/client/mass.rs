//! Mass send by tag or OpenID list (WECHAT.md 2.5).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::core::{decode, CallOpts};
use super::message::{MediaRef, TextContent};
use super::WechatClient;
use crate::error::{Result, WechatError};

/// errcode 45065: clientmsgid already used; WeChat returns the existing msg_id.
const MASS_DUPLICATE: i64 = 45065;

/// Mass-send content; serialized as `"msgtype": …, "<type>": {…}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "msgtype", rename_all = "lowercase")]
#[non_exhaustive]
pub enum MassContent {
    /// Text.
    Text {
        /// Body.
        text: TextContent,
    },
    /// A draft/article by media id.
    Mpnews {
        /// Media.
        mpnews: MediaRef,
    },
    /// Voice.
    Voice {
        /// Media.
        voice: MediaRef,
    },
    /// Images: `{"media_ids":[…],"recommend":…,"need_open_comment":…}`.
    Image {
        /// Raw object.
        images: Value,
    },
    /// Video (media id from `media/uploadvideo`).
    Mpvideo {
        /// Media.
        mpvideo: MediaRef,
    },
    /// Card: `{"card_id": …}`.
    Wxcard {
        /// Raw object.
        wxcard: Value,
    },
}

impl MassContent {
    /// Text content.
    pub fn text(content: impl Into<String>) -> Self {
        MassContent::Text {
            text: TextContent {
                content: content.into(),
            },
        }
    }
}

/// Mass-send options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MassOptions {
    /// `clientmsgid` (≤ 64 bytes): dedupes sends and makes the call safe to retry.
    pub client_msg_id: Option<String>,
    /// `send_ignore_reprint`: continue when an article is judged a reprint.
    pub send_ignore_reprint: bool,
}

/// Result of a mass-send submission (the outcome arrives as `MASSSENDJOBFINISH`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MassSendResult {
    /// `msg_id` (equals `MsgID` of the finish event).
    #[serde(default)]
    pub msg_id: u64,
    /// `msg_data_id` (articles only).
    #[serde(default)]
    pub msg_data_id: Option<u64>,
    /// `true` when WeChat answered 45065: this `clientmsgid` was already sent.
    #[serde(skip)]
    pub duplicate: bool,
}

impl WechatClient {
    /// `POST /cgi-bin/message/mass/sendall` to a tag (`filter.tag_id`), or to everyone
    /// when `tag_id` is `None` (`is_to_all`).
    pub async fn mass_send_by_tag(
        &self,
        tag_id: Option<i64>,
        content: &MassContent,
        opts: &MassOptions,
    ) -> Result<MassSendResult> {
        let filter = match tag_id {
            Some(id) => json!({"is_to_all": false, "tag_id": id}),
            None => json!({"is_to_all": true}),
        };
        self.mass(
            "/cgi-bin/message/mass/sendall",
            "filter",
            filter,
            content,
            opts,
        )
        .await
    }

    /// `POST /cgi-bin/message/mass/send` to an OpenID list (2..=10000).
    pub async fn mass_send_by_openids(
        &self,
        openids: &[String],
        content: &MassContent,
        opts: &MassOptions,
    ) -> Result<MassSendResult> {
        if openids.len() < 2 || openids.len() > 10_000 {
            return Err(WechatError::InvalidRequest(
                "mass send needs 2..=10000 openids",
            ));
        }
        self.mass(
            "/cgi-bin/message/mass/send",
            "touser",
            json!(openids),
            content,
            opts,
        )
        .await
    }

    async fn mass(
        &self,
        path: &str,
        target_key: &str,
        target: Value,
        content: &MassContent,
        opts: &MassOptions,
    ) -> Result<MassSendResult> {
        let mut body =
            serde_json::to_value(content).map_err(|e| WechatError::Decode(e.to_string()))?;
        if let Some(obj) = body.as_object_mut() {
            obj.insert(target_key.to_owned(), target);
            obj.insert(
                "send_ignore_reprint".into(),
                json!(i32::from(opts.send_ignore_reprint)),
            );
            if let Some(id) = &opts.client_msg_id {
                obj.insert("clientmsgid".into(), json!(id));
            }
        }
        let call = CallOpts {
            retry: opts.client_msg_id.is_some(),
            ok_codes: &[MASS_DUPLICATE],
        };
        let value: Value = self.post(path, &body, call).await?;
        let duplicate = value.get("errcode").and_then(Value::as_i64) == Some(MASS_DUPLICATE);
        let mut result: MassSendResult = decode(value)?;
        result.duplicate = duplicate;
        Ok(result)
    }
}
